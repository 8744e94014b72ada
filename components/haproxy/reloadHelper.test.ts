import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { assertGolden } from "../testing/golden";
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
interface FakeMaster {
    socket: string;
    commands: string[];
    /** The most reloads that were loading at the same time. */
    maxInFlight: () => number;
    close: () => void;
}

function fakeMaster(outcome: "loads" | "fails" | "never", delayMs = 300): Promise<FakeMaster> {
    const socket = path.join(dir, `master-${Math.random().toString(16).slice(2)}.sock`);
    const commands: string[] = [];
    let reloads = 3;
    let failed = 0;
    let inFlight = 0;
    let maxInFlight = 0;
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
                inFlight++;
                maxInFlight = Math.max(maxInFlight, inFlight);
                if (outcome !== "never") {
                    setTimeout(() => {
                        inFlight--;
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
    return new Promise((resolve) => server.listen(socket, () => resolve({ socket, commands, maxInFlight: () => maxInFlight, close: () => server.close() })));
}

/** Runs `fn` against a fake master CLI (see fakeMaster), and closes it afterwards. */
async function withFakeMaster(outcome: "loads" | "fails" | "never", fn: (master: FakeMaster) => Promise<void>, delayMs?: number): Promise<void> {
    const master = await fakeMaster(outcome, delayMs);
    try {
        await fn(master);
    } finally {
        master.close();
    }
}

function runHelper(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const file = path.join(dir, `helper-${Math.random().toString(16).slice(2)}`);
    writeFileSync(file, script, { mode: 0o700 });
    return runFile(file);
}

/** Runs a helper file; `journal` runs it as the reload service does, with stderr on the journal (JOURNAL_STREAM set). */
function runFile(file: string, journal = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(file, [], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, JOURNAL_STREAM: journal ? "8:12345" : "" } });
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
    it("sends `reload` and exits 0 once the new master counts one more reload and no failure", () =>
        withFakeMaster(
            "loads",
            async (master) => {
                const r = await runHelper(renderReloadHelper(master.socket, 10));
                assert.deepEqual([r.code, r.stdout, r.stderr], [0, "ok: HAProxy reloaded (reload 4 of its master)\n", ""]);
                assert.equal(master.commands[0], "show proc");
                assert.equal(master.commands[1], "reload");
                assert.ok(master.commands.length > 3, `it asked again while the master was loading: ${master.commands}`);
                // Loading takes 2 s here, so that even on a busy machine the helper asks more than once before it ends.
            },
            2000,
        ));

    it("run by the reload service, also writes its verdict to the journal", () =>
        withFakeMaster("loads", async (master) => {
            const file = path.join(dir, "helper-journal");
            writeFileSync(file, renderReloadHelper(master.socket, 10), { mode: 0o700 });
            const r = await runFile(file, true);
            assert.deepEqual(
                [r.code, r.stdout, r.stderr],
                [0, "ok: HAProxy reloaded (reload 4 of its master)\n", "ok: HAProxy reloaded (reload 4 of its master)\n"],
            );
        }));

    it("exits 1 when HAProxy refused the new configuration, so the API restores its last known good file", () =>
        withFakeMaster("fails", async (master) => {
            const r = await runHelper(renderReloadHelper(master.socket, 10));
            assert.equal(r.code, 1);
            assert.equal(r.stdout, "failed: HAProxy refused the reload and still runs the previous configuration (journalctl -u haproxy.service says why)\n");
        }));

    it("gives up after its wait when the master never comes back", () =>
        withFakeMaster("never", async (master) => {
            const r = await runHelper(renderReloadHelper(master.socket, 1));
            assert.equal(r.code, 1);
            assert.equal(r.stdout, "failed: HAProxy did not finish the reload within 1 s\n");
        }));

    it("fails, naming the socket, when the master CLI cannot be reached", async () => {
        const r = await runHelper(renderReloadHelper(path.join(dir, "absent.sock"), 1));
        assert.equal(r.code, 1);
        assert.match(r.stdout, /^failed: cannot read the reload count of the master at .*absent\.sock: No such file or directory\n$/);
    });

    it("serialises concurrent reloads: each waits for the one before, and each verdict is its own", () =>
        withFakeMaster("loads", async (master) => {
            const file = path.join(dir, "helper-shared");
            writeFileSync(file, renderReloadHelper(master.socket, 20), { mode: 0o700 });
            const runs = await Promise.all([runFile(file), runFile(file), runFile(file)]);
            assert.deepEqual(
                runs.map((r) => r.code),
                [0, 0, 0],
                runs.map((r) => r.stdout).join(""),
            );
            assert.deepEqual(
                runs.map((r) => r.stdout).sort(),
                [4, 5, 6].map((n) => `ok: HAProxy reloaded (reload ${n} of its master)\n`),
            );
            assert.equal(master.commands.filter((c) => c === "reload").length, 3);
            // Each reload was sent only after the previous one was counted: never two in flight.
            assert.equal(master.maxInFlight(), 1, "no reload was sent while another was still loading");
        }));

    it("without the lock, two reloads overlap and one is misjudged (what the lock prevents)", () =>
        withFakeMaster("loads", async (master) => {
            const unlocked = renderReloadHelper(master.socket, 3).replace(/flock\(\$lock, LOCK_EX\)/, "1");
            assert.notEqual(unlocked, renderReloadHelper(master.socket, 3));
            const a = path.join(dir, "helper-unlocked-a");
            writeFileSync(a, unlocked, { mode: 0o700 });
            await Promise.all([runFile(a), runFile(a)]);
            assert.equal(master.maxInFlight(), 2, "both reloads were in flight at once");
        }));
});
