import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PATHS } from "../shared/paths";
import { type GateSpec, healthGateScript } from "./scripts";

const gate: GateSpec = {
    hostName: "lb2",
    healthUrl: "https://lb2:5555/v3/health",
    resolve: "lb2:5555:127.0.0.1",
    caFile: PATHS.tlsCa,
    tls: true,
    checkUrl: "http://198.18.2.2/",
    healthySeconds: 2,
    graceSeconds: 3,
    nextHosts: ["lb3"],
};

/**
 * The same gate with a long grace, for the cases that must pass: a passing
 * gate ends as soon as it has seen healthySeconds of passing checks, so the
 * grace only matters on a machine so busy that the checks come slowly.
 */
const patientGate: GateSpec = { ...gate, graceSeconds: 60 };

/**
 * Runs the gate script with bash, as the host does, with a `curl` on PATH
 * that answers from files the test writes: the health body (or a failure)
 * and the check URL's status code, read afresh on every call.
 */
async function runGate(spec: GateSpec, answers: { health: string; code: string }) {
    const dir = mkdtempSync(path.join(tmpdir(), "gate-"));
    writeFileSync(path.join(dir, "health"), answers.health);
    writeFileSync(path.join(dir, "code"), answers.code);
    writeFileSync(
        path.join(dir, "curl"),
        `#!/bin/sh
# The health call carries the credentials (-K); the check URL call does not.
for a in "$@"; do [ "$a" = -K ] && kind=health; done
echo "$*" >> ${dir}/calls
if [ "\${kind:-}" = health ]; then
    body=$(cat ${dir}/health)
    [ "$body" = refused ] && { echo "curl: (7) Failed to connect" >&2; exit 7; }
    printf '%s' "$body"
else
    printf '%s' "$(cat ${dir}/code)"
fi
`,
    );
    chmodSync(path.join(dir, "curl"), 0o755);
    const started = Date.now();
    // Not spawnSync: the tests run at once, and a failing gate waits out its window.
    const child = spawn("bash", ["-c", healthGateScript(spec)], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end('user = "dpadmin:not-a-real-password"\n');
    const status = await new Promise<number | null>((done) => child.on("close", done));
    return { status, stdout, stderr, seconds: (Date.now() - started) / 1000, dir };
}

// Concurrently: a failing gate waits out its whole window (healthy time plus grace).
describe("health gate script", { concurrency: true }, () => {
    it("passes once every check has passed for healthySeconds in a row", async () => {
        const r = await runGate(patientGate, { health: '{"haproxy":"up"}', code: "200" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^lb2 is healthy: every check passed for 2 s$/m);
        assert.ok(r.seconds >= 2, `it waited the healthy time (${r.seconds} s)`);
    });

    it("fails when /v3/health does not say haproxy up, naming the host and the answer", async () => {
        const r = await runGate(gate, { health: '{"haproxy":"down"}', code: "200" });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /^health gate of lb2 failed: GET https:\/\/lb2:5555\/v3\/health answered \{"haproxy":"down"\}, not haproxy up \(it must pass every check for 2 s within 5 s\); the hosts after it are not changed$/m,
        );
    });

    it("fails when the API does not answer", async () => {
        const r = await runGate(gate, { health: "refused", code: "200" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /health gate of lb2 failed: GET https:\/\/lb2:5555\/v3\/health failed: curl: \(7\) Failed to connect/);
    });

    it("fails when the check URL answers other than 2xx, or not at all", async () => {
        const [r503, r000] = await Promise.all([
            runGate(gate, { health: '{"haproxy":"up"}', code: "503" }),
            runGate(gate, { health: '{"haproxy":"up"}', code: "000" }),
        ]);
        assert.equal(r503.status, 1);
        assert.match(r503.stderr, /health gate of lb2 failed: http:\/\/198\.18\.2\.2\/ answered HTTP 503/);
        assert.match(r000.stderr, /health gate of lb2 failed: http:\/\/198\.18\.2\.2\/ did not answer/);
    });

    it("without a check URL, only /v3/health counts, with the credentials from stdin and the host's CA", async () => {
        const r = await runGate({ ...patientGate, checkUrl: "" }, { health: '{"haproxy": "up"}', code: "503" });
        assert.equal(r.status, 0, r.stderr);
        const calls = readFileSync(path.join(r.dir, "calls"), "utf8");
        assert.doesNotMatch(calls, /198\.18\.2\.2/, "the check URL is not called");
        assert.match(calls, new RegExp(`--cacert ${PATHS.tlsCa} --resolve lb2:5555:127.0.0.1 -K `));
        assert.doesNotMatch(r.stdout + r.stderr + calls, /not-a-real-password/, "the credentials stay in the temporary curl config");
    });
});
