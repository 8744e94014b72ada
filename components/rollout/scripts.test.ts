import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PATHS } from "../shared/paths";
import { itPassesShellcheck } from "../testing/shellcheck";
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
 * Runs the gate script with bash, as the host does, with a `curl` on PATH
 * that answers from files the test writes: the health body (or a failure)
 * and the check URL's status code, read afresh on every call.
 */
function runGate(spec: GateSpec, answers: { health: string; code: string }) {
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
    const r = spawnSync("bash", ["-c", healthGateScript(spec)], {
        input: 'user = "dpadmin:not-a-real-password"\n',
        encoding: "utf8",
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    return { ...r, seconds: (Date.now() - started) / 1000, dir };
}

describe("health gate script", () => {
    itPassesShellcheck({
        gate: healthGateScript(gate),
        gateNoCheckUrl: healthGateScript({ ...gate, checkUrl: "" }),
        gatePlainHttp: healthGateScript({ ...gate, tls: false, caFile: undefined, healthUrl: "http://lb2:5555/v3/health" }),
    });

    it("passes once every check has passed for healthySeconds in a row", () => {
        const r = runGate(gate, { health: '{"haproxy":"up"}', code: "200" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^lb2 is healthy: every check passed for 2 s$/m);
        assert.ok(r.seconds >= 2, `it waited the healthy time (${r.seconds} s)`);
    });

    it("fails when /v3/health does not say haproxy up, naming the host and the answer", () => {
        const r = runGate(gate, { health: '{"haproxy":"down"}', code: "200" });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /^health gate of lb2 failed: GET https:\/\/lb2:5555\/v3\/health answered \{"haproxy":"down"\}, not haproxy up \(it must pass every check for 2 s within 5 s\); the hosts after it are not changed$/m,
        );
    });

    it("fails when the API does not answer", () => {
        const r = runGate(gate, { health: "refused", code: "200" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /health gate of lb2 failed: GET https:\/\/lb2:5555\/v3\/health failed: curl: \(7\) Failed to connect/);
    });

    it("fails when the check URL answers other than 2xx, or not at all", () => {
        const r503 = runGate(gate, { health: '{"haproxy":"up"}', code: "503" });
        assert.equal(r503.status, 1);
        assert.match(r503.stderr, /health gate of lb2 failed: http:\/\/198\.18\.2\.2\/ answered HTTP 503/);
        const r000 = runGate(gate, { health: '{"haproxy":"up"}', code: "000" });
        assert.match(r000.stderr, /health gate of lb2 failed: http:\/\/198\.18\.2\.2\/ did not answer/);
    });

    it("without a check URL, only /v3/health counts, with the credentials from stdin and the host's CA", () => {
        const r = runGate({ ...gate, checkUrl: "" }, { health: '{"haproxy": "up"}', code: "503" });
        assert.equal(r.status, 0, r.stderr);
        const calls = spawnSync("cat", [path.join(r.dir, "calls")], { encoding: "utf8" }).stdout;
        assert.doesNotMatch(calls, /198\.18\.2\.2/, "the check URL is not called");
        assert.match(calls, new RegExp(`--cacert ${PATHS.tlsCa} --resolve lb2:5555:127.0.0.1 -K `));
        assert.doesNotMatch(r.stdout + r.stderr + calls, /not-a-real-password/, "the credentials stay in the temporary curl config");
    });
});
