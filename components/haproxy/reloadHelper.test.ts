import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { assertGolden } from "../testing/golden";
import { itPassesShellcheck } from "../testing/shellcheck";
import { renderReloadHelper } from "./reloadHelper";

const dir = mkdtempSync(path.join(tmpdir(), "reload-helper-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A master CLI as HAProxy 2.6 runs it (recorded on Debian 12): `reload` is
 * answered with nothing, and after the re-execution `show proc` gives the
 * master's reload count and its failed reloads since the last success.
 * `outcome` says how the reload ends; until `delayMs` has passed the old
 * count is shown, as while the new master is still loading.
 */
function fakeMaster(outcome: "loads" | "fails" | "never", delayMs = 300): Promise<{ socket: string; commands: string[]; close: () => void }> {
    const socket = path.join(dir, `master-${Math.random().toString(16).slice(2)}.sock`);
    const commands: string[] = [];
    let reloads = 3;
    let failed = 0;
    const server = net.createServer((c) => {
        let request = "";
        c.on("data", (d) => {
            request += d;
        });
        c.on("end", () => {
            const command = request.trim();
            commands.push(command);
            if (command === "reload") {
                c.end();
                if (outcome !== "never") {
                    setTimeout(() => {
                        reloads++;
                        failed = outcome === "fails" ? failed + 1 : 0;
                    }, delayMs);
                }
                return;
            }
            c.end(
                "#<PID>          <type>          <reloads>       <uptime>        <version>      \n" +
                    `30              master          ${reloads} [failed: ${failed}]   0d00h00m05s     2.6.12-1+deb12u3\n` +
                    "# workers\n38              worker          0               0d00h00m03s     2.6.12-1+deb12u3\n# programs\n\n",
            );
        });
    });
    return new Promise((resolve) => server.listen(socket, () => resolve({ socket, commands, close: () => server.close() })));
}

/** Runs `fn` against a fake master CLI (see fakeMaster), and closes it afterwards. */
async function withFakeMaster(outcome: "loads" | "fails" | "never", fn: (master: { socket: string; commands: string[] }) => Promise<void>): Promise<void> {
    const master = await fakeMaster(outcome);
    try {
        await fn(master);
    } finally {
        master.close();
    }
}

function runHelper(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const file = path.join(dir, `helper-${Math.random().toString(16).slice(2)}`);
    writeFileSync(file, script, { mode: 0o755 });
    return new Promise((resolve) => {
        const p = spawn(file, [], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

describe("reload helper", () => {
    it("renders exactly its golden file", () => {
        assertGolden(path.join(__dirname, "golden", "reload-haproxy"), renderReloadHelper("/run/haproxy-master.sock"));
    });
    const helper = renderReloadHelper("/run/haproxy-master.sock");
    // A file the API runs, not a step's script: no summary line or prelude.
    itPassesShellcheck({ reloadHelper: helper }, { prelude: false });

    it("sends `reload` and exits 0 once the new master counts one more reload and no failure", () =>
        withFakeMaster("loads", async (master) => {
            const r = await runHelper(renderReloadHelper(master.socket, 10));
            assert.deepEqual([r.code, r.stdout, r.stderr], [0, "HAProxy reloaded\n", ""]);
            assert.equal(master.commands[0], "show proc");
            assert.equal(master.commands[1], "reload");
            assert.ok(master.commands.length > 3, `it asked again while the master was loading: ${master.commands}`);
        }));

    it("exits 1 when HAProxy refused the new configuration, so the API restores its last known good file", () =>
        withFakeMaster("fails", async (master) => {
            const r = await runHelper(renderReloadHelper(master.socket, 10));
            assert.equal(r.code, 1);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, /^HAProxy refused the reload and still runs the previous configuration \(journalctl -u haproxy\.service says why\)$/m);
        }));

    it("gives up after its wait when the master never comes back", () =>
        withFakeMaster("never", async (master) => {
            const r = await runHelper(renderReloadHelper(master.socket, 1));
            assert.notEqual(r.code, 0);
            assert.match(r.stderr, /HAProxy did not finish the reload within 1 s/);
        }));

    it("fails, naming the socket, when the master CLI cannot be reached", async () => {
        const r = await runHelper(renderReloadHelper(path.join(dir, "absent.sock"), 1));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /cannot read the reload count of the master at .*absent\.sock: No such file or directory/);
    });
});
