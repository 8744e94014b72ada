/**
 * Six faults during a deployment, through the real engine, on a real host of
 * each release, with load on the host's frontend the whole time:
 *
 *   A. haproxy.cfg already invalid before the first up, and hand-edited into an
 *      invalid state between two runs;
 *   B. the download fails (the mirror stops answering, then returns);
 *   C. the archive's checksum does not match;
 *   D. the API cannot start (another process has its port);
 *   E. SSH drops in the middle of a step;
 *   F. the host reboots in the middle of an up.
 *
 * Each faulty `up` fails with a message naming the step and the cause, HAProxy
 * serves every request throughout (the reboot itself aside), haproxy.cfg
 * always passes `haproxy -c`, and once the fault is gone one `up` converges:
 * every file the stack wrote is on the host as the stack has it, and the next
 * `up` is a no-op that opens no SSH session.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    api,
    buildTools,
    changeCounts,
    describeTools,
    eventually,
    haproxyMasterIdentity,
    hostDown,
    hostExec,
    hostReboot,
    hostRun,
    hostsConfig,
    hostUp,
    httpGet,
    Mirror,
    newStack,
    RELEASES,
    setConfig,
    sshLogins,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { indexByRelease } from "../../lab/hosts";
import { shq } from "../../components/shared/shell";
import { assertServed, type LoadReport, underLoad } from "../../lab/load";

const INDEX = indexByRelease("faults");
const CFG = "/etc/haproxy/haproxy.cfg";
const run = randomBytes(3).toString("hex");
const password1 = `pw1-${randomBytes(12).toString("hex")}`;
const password2 = `pw2-${randomBytes(12).toString("hex")}`;
const stateRoot = mkdtempSync(path.join(tmpdir(), "dpapi-faults-"));
const figures: string[] = [];
let tools: Tools;

before(() => {
    tools = buildTools();
    console.log(describeTools(tools));
});

after(() => {
    rmSync(stateRoot, { recursive: true, force: true });
    console.log(`faults (release, fault, the message the user saw, seconds to converge, requests sent/failed):\n${figures.join("\n")}`);
});

/** A value from `stack export --show-secrets`: plain, or inside Pulumi's secret envelope. */
function plain(v: unknown): string {
    if (typeof v === "string") return v;
    if (v && typeof v === "object" && "plaintext" in v) return JSON.parse(String((v as { plaintext: string }).plaintext));
    return "";
}

for (const release of RELEASES) {
    describe(`faults on a ${release} host, under load`, () => {
        let lb: TestHost;
        let mirror: Mirror;
        let mirrorPort = 0;
        let stack: Stack;
        let master = "";
        let goodCfg = "";
        let password = password1;
        let apiPort = 5555;
        let watchers = 0;

        const masterIdentity = () => haproxyMasterIdentity(lb.name);
        const frontends = () => [`http://${lb.address}/`];

        /** Runs `fn` under load; returns its result or error, and the load reports. */
        async function loaded<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: Error; reports: LoadReport[] }> {
            const out = await underLoad(frontends(), async () => {
                try {
                    return { value: await fn() };
                } catch (e) {
                    return { error: e as Error };
                }
            });
            return { ...out.result, reports: out.reports };
        }

        /** An `up` that must fail: returns its message (the engine's error text), after checking what must hold whatever failed. */
        async function failingUp(label: string, opts: { load?: boolean } = {}): Promise<{ message: string; load: string }> {
            const { value, error, reports } = await loaded(() => stack.up({ color: "never" }));
            assert.ok(error, `the up with ${label} must fail, but it succeeded: ${JSON.stringify(value?.summary.resourceChanges)}`);
            const load = opts.load === false ? "-" : assertServed(label, reports);
            hostRun(lb.name, `haproxy -c -q -f ${CFG}`);
            return { message: String(error.message), load };
        }

        /**
         * What the user reads in the engine's diagnostics: the failing step's
         * name and the lines its script wrote to stderr (the engine's
         * "Process exited" line, which repeats the whole script, left out).
         */
        function userMessage(message: string): string {
            const lines = message.split("\n").map((l) => l.trim());
            const at = lines.findIndex((l) => /^command:remote:Command \(\S+\):$/.test(l));
            if (at < 0) return message.split("\n").slice(-3).join(" | ").slice(0, 300);
            const said = lines.slice(at + 1).filter((l) => l && !/^error: (Process exited|update failed)|^\d+ errored/.test(l));
            // The engine's own errors quote the whole script after ": running"; the reason comes before it.
            return [lines[at], ...said.slice(0, 3)]
                .map((l) => l.replace(/: running ".*$/, ""))
                .join(" ")
                .slice(0, 400);
        }

        /**
         * One `up` after the fault is gone: it succeeds, with no request lost;
         * every file the stack wrote is on the host with the content, owner and
         * mode in its state; no temporary file is left; the API answers; the
         * next `up` changes nothing and opens no SSH session.
         */
        async function converges(fault: string, message: string, faultLoad: string): Promise<void> {
            const start = Date.now();
            const { value, error, reports } = await loaded(() => stack.up({ color: "never" }));
            assert.ok(!error, `after the fault (${fault}) one up succeeds: ${error?.message}`);
            assert.equal(value?.summary.result, "succeeded");
            const load = assertServed(`the up after ${fault}`, reports);
            const seconds = (Date.now() - start) / 1000;

            const state = await stack.exportStack();
            let files = 0;
            for (const r of state.deployment.resources ?? []) {
                if (r.type !== "command:remote:Command") continue;
                const m = /# write (\/\S+) \((\S+) (\d+)\) from stdin/.exec(String(r.inputs?.create ?? ""));
                if (!m) continue;
                const [, file, owner, mode] = m;
                // The API rewrites its YAML when it starts (dataplaneapi.md): its settings are checked through the API below.
                if (file === "/etc/haproxy-dataplane/dataplaneapi.yaml") continue;
                const want = createHash("sha256").update(plain(r.inputs?.stdin)).digest("hex");
                const got = hostRun(lb.name, `stat -c '%U:%G %a' ${file} && sha256sum ${file} | cut -d' ' -f1`).trim().split("\n");
                assert.deepEqual(got, [`${owner} ${Number.parseInt(mode, 8).toString(8)}`, want], `${file} is as the stack wrote it`);
                files++;
            }
            assert.ok(files >= 10, `every written file was checked (${files})`);
            const leftovers = hostRun(
                lb.name,
                "find /etc /usr/local /var/lib/haproxy-dataplane-deploy \\( -name '.dpdeploy.*' -o -name '*.dpdeploy.new' \\) -print 2>/dev/null || true",
            ).trim();
            assert.equal(leftovers, "", "no half-written file is left");
            hostRun(lb.name, `haproxy -c -q -f ${CFG}`);
            const out = value!.outputs.dataplane.value[lb.name];
            assert.equal((await api(`${out.apiUrl}/info`, out.caCertificate, { auth: `dpadmin:${password}` })).status, 200, "the API answers");
            assert.match(
                hostRun(lb.name, "/usr/local/bin/dataplaneapi --version 2>/dev/null | head -n 1"),
                new RegExp(`v${out.version.replace(/\./g, "\\.")} `),
            );

            const logins = sshLogins(lb.name);
            const again = await stack.up({ color: "never" });
            assert.deepEqual(changeCounts(again.summary.resourceChanges), {}, "the next up is a no-op");
            assert.equal(sshLogins(lb.name), logins, "and opens no SSH session");
            figures.push(`${release.padEnd(8)} ${fault}: "${userMessage(message)}"; converged in ${seconds.toFixed(1)} s; fault ${faultLoad}, fix ${load}`);
        }

        /**
         * A host-side watcher: once the start step's script runs, it is stopped
         * (SIGSTOP), so a test can break things at exactly that moment; then
         * `then` runs on the host, and /run/fault-caught says it happened.
         */
        function catchStartStep(then: string): () => void {
            const unit = `fault-watch-${++watchers}`;
            const watch = `until pid=$(pgrep -o -f '^bash -c # start dataplaneapi\\.service'); do sleep 0.02; done; kill -STOP "$pid"; ${then}; touch /run/fault-caught`;
            hostRun(lb.name, `rm -f /run/fault-caught; systemd-run --quiet --collect --unit=${unit} bash -c ${shq(watch)}`);
            return () => hostExec(lb.name, `systemctl stop ${unit} 2>/dev/null || true`);
        }

        before(async () => {
            lb = hostUp(`flt-${release}-${run}`, INDEX[release], release);
            mirror = new Mirror(tools.dpapi.mirrorDir);
            const baseUrl = await mirror.listen(lb.outerAddress);
            mirrorPort = Number(new URL(baseUrl).port);
            goodCfg = hostRun(lb.name, `cat ${CFG}`);
            master = masterIdentity();
            stack = await newStack(`faults-${release}-${run}`, tools, path.join(stateRoot, release), hostsConfig([lb], baseUrl, tools, password1));
        });

        after(() => {
            mirror?.close();
            if (lb) hostDown(lb.name);
        });

        it("A. a haproxy.cfg HAProxy already rejects stops the first up at the preflight, before anything changes", async () => {
            hostRun(lb.name, `printf '\\nbackend broken\\n    server s1 127.0.0.1:notaport\\n' >> ${CFG}`);
            const { value, error, reports } = await loaded(() => stack.up({ color: "never" }));
            hostRun(lb.name, `cat > ${CFG} <<'EOF'\n${goodCfg}EOF`);
            assert.ok(error, `the up must fail: ${JSON.stringify(value?.summary)}`);
            const load = assertServed("A", reports);
            assert.match(error.message, /preflight-check/, "the message names the step");
            assert.match(error.message, /is not a configuration HAProxy accepts as it stands \(haproxy -c\); nothing was changed/);
            assert.match(error.message, /notaport/, "and shows HAProxy's own complaint");
            assert.notEqual(
                hostExec(lb.name, "test -e /var/lib/haproxy-dataplane-deploy || test -e /usr/local/bin/dataplaneapi").code,
                0,
                "nothing was written",
            );
            hostRun(lb.name, `cat > ${CFG} <<'EOF'\n${goodCfg}EOF`);
            figures.push(`${release.padEnd(8)} A1 (invalid haproxy.cfg before the first up): "${userMessage(error.message)}"; load ${load}`);
        });

        it("B. the download fails: the up stops at the install step, naming the URL; once the mirror answers, one up converges", async () => {
            mirror.close();
            const { message, load } = await failingUp("the mirror down");
            assert.match(message, /binary-install/);
            assert.match(message, /could not download http:\/\/[\d.:]+\/v3\.2\.1\/dataplaneapi_3\.2\.1_linux_x86_64\.tar\.gz .*nothing was installed/);
            assert.notEqual(hostExec(lb.name, "test -e /usr/local/bin/dataplaneapi").code, 0);
            mirror = new Mirror(tools.dpapi.mirrorDir);
            await mirror.listen(lb.outerAddress, mirrorPort);
            await converges("B (the download fails)", message, load);
            assert.equal(masterIdentity(), master, "HAProxy was never restarted");
        });

        it("C. a checksum that does not match installs nothing and keeps the API running; with the right one, one up converges", async () => {
            await setConfig(stack, { dataplaneapiSha256: { value: { ...tools.dpapi.sha256, x86_64: "0".repeat(64) } } });
            const { message, load } = await failingUp("a wrong checksum");
            assert.match(message, /binary-install/);
            assert.match(message, /checksum mismatch for dataplaneapi_3\.2\.1_linux_x86_64\.tar\.gz: expected 0{64}, got [0-9a-f]{64}; nothing was installed/);
            assert.equal(hostRun(lb.name, "systemctl is-active dataplaneapi.service").trim(), "active", "the API keeps running");
            await setConfig(stack, { dataplaneapiSha256: { value: tools.dpapi.sha256 } });
            await converges("C (checksum mismatch)", message, load);
        });

        it("A. haproxy.cfg hand-edited into an invalid state between two runs: the edit refuses it and changes nothing live", async () => {
            const live = hostRun(lb.name, `cat ${CFG}`);
            hostRun(lb.name, `printf '\\nbackend broken\\n    server s1 127.0.0.1:notaport\\n' >> ${CFG}`);
            const broken = hostRun(lb.name, `cat ${CFG}`);
            password = password2;
            await setConfig(stack, { apiPassword: { value: password2, secret: true } });
            const { value, error, reports } = await loaded(() => stack.up({ color: "never" }));
            const after = hostRun(lb.name, `cat ${CFG}`);
            hostRun(lb.name, `cat > ${CFG} <<'EOF'\n${live}EOF`);
            assert.ok(error, `the up must fail: ${JSON.stringify(value?.summary)}`);
            const load = assertServed("A2", reports);
            assert.match(error.message, /haproxy-cfg/);
            assert.match(error.message, /rejected by haproxy -c run as user haproxy.*the live file is unchanged/s);
            assert.equal(after, broken, "the edit left the file as it found it");
            hostRun(lb.name, `haproxy -c -q -f ${CFG}`);
            await converges("A2 (haproxy.cfg hand-edited invalid between runs)", error.message, load);
        });

        it("D. the API cannot start (its port is taken): the start step fails with the API's own journal lines; once the port is free, one up converges", async () => {
            apiPort = 5556;
            hostRun(lb.name, `systemd-run --quiet --collect --unit=squatter socat TCP-LISTEN:${apiPort},fork,reuseaddr SYSTEM:true`);
            await eventually("the squatter to listen", () => hostExec(lb.name, `ss -Hltn 'sport = :${apiPort}' | grep -q .`).code === 0, 10);
            await setConfig(stack, { apiPort: { value: apiPort } });
            const { message, load } = await failingUp("the API's port taken");
            assert.match(message, /service-start/);
            assert.match(message, /the Data Plane API (exited \d+ times since it was started|did not answer)/);
            assert.match(message, /address already in use/, "the journal lines say why");
            // The API keeps crash-looping, and systemd keeps NRestarts across a restart made
            // while an automatic one is pending: the next start step must count only its own exits.
            const restarts = Number(hostRun(lb.name, "systemctl show -p NRestarts --value dataplaneapi.service").trim());
            assert.ok(restarts >= 3, `the API exited at least 3 times (${restarts})`);
            hostRun(lb.name, "systemctl stop squatter.service");
            await converges("D (the API's port is taken)", message, load);
        });

        it("E. SSH drops in the middle of a step: the up fails naming the step; one up converges", async () => {
            await setConfig(stack, { haproxyReloadDelay: { value: 3 } });
            // OpenSSH 9.8 and newer (Debian 13) name the session processes sshd-session.
            const stop = catchStartStep(`pkill -KILL -f '^sshd(-session)?: ${lb.user}'; kill -CONT "$pid"`);
            const { message, load } = await failingUp("SSH dropped").finally(stop);
            assert.ok(hostExec(lb.name, "test -e /run/fault-caught").code === 0, "the session was cut during the start step");
            assert.match(message, /service-start/);
            await converges("E (SSH drops mid-step)", message, load);
            assert.equal(masterIdentity(), master, "HAProxy was never restarted");
        });

        it("F. the host reboots in the middle of an up: the up fails; after the reboot one up converges", async () => {
            await setConfig(stack, { haproxyReloadDelay: { value: 4 } });
            const stop = catchStartStep("true");
            const up = stack.up({ color: "never" }).then(
                () => undefined,
                (e: Error) => e,
            );
            try {
                await eventually("the start step to be caught", () => hostExec(lb.name, "test -e /run/fault-caught").code === 0, 120);
            } finally {
                stop();
            }
            hostReboot(lb.name);
            const error = await up;
            assert.ok(error, "the up during the reboot fails");
            assert.match(error.message, /service-start/);
            hostRun(lb.name, `haproxy -c -q -f ${CFG}`);
            assert.equal((await httpGet(`http://${lb.address}/`)).status, 200, "HAProxy serves again after the reboot");
            master = masterIdentity();
            await converges("F (reboot mid-up)", error.message, "-");
            assert.equal(masterIdentity(), master, "HAProxy was not restarted after the reboot");
        });

        it("destroy, under load: HAProxy keeps serving", async () => {
            const { error, reports } = await loaded(() => stack.destroy({ color: "never" }));
            assert.ok(!error, error?.message);
            assertServed("destroy", reports);
            assert.equal(masterIdentity(), master);
            hostRun(lb.name, `haproxy -c -q -f ${CFG}`);
        });
    });
}
