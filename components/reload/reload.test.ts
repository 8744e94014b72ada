import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { assertGolden } from "../testing/golden";
import { renderReloadClient } from "./client";
import { reloadServiceScript, removeReloadServiceScript } from "./scripts";
import { renderReloadServiceUnit, renderReloadSocketUnit } from "./units";

const dir = mkdtempSync(path.join(tmpdir(), "reload-client-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A reload service's socket that answers each connection with `answer` (undefined: closes without a word). */
function fakeService(answer: string | undefined): Promise<{ socket: string; connections: () => number; close: () => void }> {
    const socket = path.join(dir, `reload-${Math.random().toString(16).slice(2)}.sock`);
    let connections = 0;
    const server = net.createServer((c) => {
        connections++;
        c.on("error", () => {});
        if (answer === undefined) c.end();
        else c.end(answer);
    });
    return new Promise((resolve) => server.listen(socket, () => resolve({ socket, connections: () => connections, close: () => server.close() })));
}

function runClient(socket: string, wait = 5): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const file = path.join(dir, `client-${Math.random().toString(16).slice(2)}`);
    writeFileSync(file, renderReloadClient(socket, wait), { mode: 0o755 });
    return new Promise((resolve) => {
        const p = spawn(file, [], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

describe("reload service units", () => {
    it("render exactly their golden files", () => {
        assertGolden(path.join(__dirname, "golden", "haproxy-dataplane-reload.socket"), renderReloadSocketUnit());
        assertGolden(path.join(__dirname, "golden", "haproxy-dataplane-reload@.service"), renderReloadServiceUnit());
    });
    it("let group haproxy connect, and nobody else", () => {
        const socket = renderReloadSocketUnit();
        for (const d of ["ListenStream=/run/haproxy-dataplane/reload.sock", "SocketUser=root", "SocketGroup=haproxy", "SocketMode=0660", "Accept=yes"]) {
            assert.match(socket, new RegExp(`^${d.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"), d);
        }
    });
    it("run the root helper with the connection as its stdin and stdout, and nothing else from it", () => {
        const service = renderReloadServiceUnit();
        for (const d of [
            "ExecStart=/usr/local/lib/haproxy-dataplane/reload-haproxy",
            "StandardInput=socket",
            "StandardOutput=socket",
            "StandardError=journal",
        ]) {
            assert.ok(service.split("\n").includes(d), d);
        }
        assert.doesNotMatch(service, /^User=/m, "it runs as root: the master socket is root's");
        assert.doesNotMatch(service, /%i/, "the request carries nothing the helper uses");
    });
});

describe("reload service scripts", () => {
    it("never restart HAProxy", () => {
        for (const s of [
            reloadServiceScript({ adminSocket: "/run/haproxy/admin.sock", unitsDigest: "x" }),
            removeReloadServiceScript({ adminSocket: "/run/haproxy/admin.sock" }),
        ]) {
            assert.doesNotMatch(s, /systemctl\s+(restart|stop|reload|try-restart|kill)\s+[^\n]*haproxy\.service/);
        }
    });
});

describe("reload client (the API's reload_cmd)", () => {
    it("exits 0 and repeats the verdict when the service answers ok", async () => {
        const svc = await fakeService("ok: HAProxy reloaded (reload 4 of its master)\n");
        try {
            const r = await runClient(svc.socket);
            assert.deepEqual([r.code, r.stdout, r.stderr], [0, "ok: HAProxy reloaded (reload 4 of its master)\n", ""]);
            assert.equal(svc.connections(), 1);
        } finally {
            svc.close();
        }
    });

    it("exits 1 with the verdict on stderr when HAProxy refused the configuration", async () => {
        const svc = await fakeService("failed: HAProxy refused the reload and still runs the previous configuration\n");
        try {
            const r = await runClient(svc.socket);
            assert.deepEqual([r.code, r.stdout], [1, ""]);
            assert.equal(r.stderr, "failed: HAProxy refused the reload and still runs the previous configuration\n");
        } finally {
            svc.close();
        }
    });

    it("exits 1 when the service closes without a verdict, or says ok only in an earlier line", async () => {
        for (const answer of [undefined, "", "ok: something\nnoise\n"]) {
            const svc = await fakeService(answer);
            try {
                const r = await runClient(svc.socket);
                assert.equal(r.code, 1, JSON.stringify(answer));
                assert.match(r.stderr, /the reload service answered no verdict/);
            } finally {
                svc.close();
            }
        }
    });

    it("exits 1, naming the socket, when the service is not there", async () => {
        const r = await runClient(path.join(dir, "absent.sock"));
        assert.equal(r.code, 1);
        assert.match(r.stderr, /cannot reach the reload service at .*absent\.sock: No such file or directory/);
    });

    it("gives up after its wait when the service never answers", async () => {
        const socket = path.join(dir, "silent.sock");
        const server = net.createServer(() => {});
        await new Promise<void>((resolve) => server.listen(socket, resolve));
        try {
            const r = await runClient(socket, 1);
            assert.equal(r.code, 1);
            assert.match(r.stderr, /no verdict from the reload service at .*silent\.sock within 1 s/);
        } finally {
            server.close();
        }
    });
});
