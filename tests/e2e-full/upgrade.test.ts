/**
 * A host that the previous version of the program deployed (a haproxy.service
 * drop-in opening the master socket to group haproxy, and HAProxy restarted
 * once to take it) updates to this version with one `up`, through the real
 * engine, on each release: no replace, HAProxy never restarted, traffic never
 * dropped; the drop-in goes and the reload service takes over. `destroy` then
 * removes everything this version adds.
 *
 * The previous version is the program as it landed in PREVIOUS, taken out of
 * this repository's history with `git archive`. A host deployed by the version
 * before the restructuring (BEFORE_RESTRUCTURE) updates to this one with one
 * update (the start step, whose script changed since) and nothing restarted.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    api,
    buildTools,
    changeCounts,
    describeTools,
    haproxyMasterIdentity,
    hostDown,
    hostExec,
    hostRun,
    hostsConfig,
    hostUp,
    Mirror,
    RELEASES,
    REPO,
    setConfig,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { indexByRelease, onlyHost } from "../../lab/hosts";
import { assertServed, describeLoad, underLoad } from "../../lab/load";
import { openStack, writeWorkspace } from "../../lab/workspace";

/** The last commit of the program that opened the master socket with a drop-in and restarted HAProxy once. */
const PREVIOUS = "97b831e32f03cc651a82aaacc078baba20b6d563";
const INDEX = indexByRelease("upgrade");
/**
 * The last commit before the restructuring of issue 16 (test equipment out of
 * components/, assets/, the TLS plan, the state-file registry, host.ts's names):
 * its deployment must update to this one with nothing to do on the host.
 */
const BEFORE_RESTRUCTURE = "1618224b79b216f31feceb6347eef9c5dd8e3c61";
const RESTRUCTURE_HOST = onlyHost("upgradeRestructure");
const DROP_IN = "/etc/systemd/system/haproxy.service.d/50-dataplaneapi-master-socket.conf";

const run = randomBytes(3).toString("hex");
const password = `pw-${randomBytes(12).toString("hex")}`;
const work = mkdtempSync(path.join(tmpdir(), "dpapi-upgrade-"));
let tools: Tools;
let previousDir: string;

const masterIdentity = (h: TestHost) => haproxyMasterIdentity(h.name);

before(() => {
    tools = buildTools();
    console.log(describeTools(tools));
    // The previous program, with this checkout's npm packages (the same package.json).
    previousDir = path.join(work, "previous");
    mkdirSync(previousDir);
    const archive = execFileSync("git", ["-C", REPO, "archive", PREVIOUS, "index.ts", "components", "package.json", "tsconfig.json", "Pulumi.yaml"]);
    execFileSync("tar", ["-x", "-C", previousDir], { input: archive });
    symlinkSync(path.join(REPO, "node_modules"), path.join(previousDir, "node_modules"));
});

after(() => rmSync(work, { recursive: true, force: true }));

for (const release of RELEASES) {
    describe(`a ${release} host deployed by the previous version`, () => {
        let lb: TestHost;
        let mirror: Mirror;
        let stack: Stack;
        let stateDir: string;

        before(async () => {
            lb = hostUp(`upg-${release}-${run}`, INDEX[release], release);
            mirror = new Mirror(tools.dpapi.mirrorDir);
            const baseUrl = await mirror.listen(lb.outerAddress);
            stateDir = path.join(work, release);
            stack = await openStack({
                programDir: previousDir,
                stackName: `upg-${release}-${run}`,
                stateDir,
                engineBinDir: tools.binDir,
                plugins: tools.plugins,
            });
            await setConfig(stack, hostsConfig([lb], baseUrl, tools, password));
        });

        after(() => {
            mirror?.close();
            if (lb) hostDown(lb.name);
        });

        it("the previous version deploys with its drop-in, its group-open master socket and its one restart", async () => {
            const result = await stack.up({ color: "never" });
            assert.equal(result.summary.result, "succeeded");
            assert.equal(hostExec(lb.name, `test -f ${DROP_IN}`).code, 0, "the drop-in is there");
            assert.equal(hostRun(lb.name, "stat -c '%G %a' /run/haproxy-master.sock").trim(), "haproxy 660");
        });

        it("one up of this version: updates in place, no replace, HAProxy not restarted, no request lost; the drop-in goes", async () => {
            const master = masterIdentity(lb);
            writeWorkspace({ programDir: REPO, stackName: stack.name, stateDir, engineBinDir: tools.binDir, plugins: tools.plugins });
            const ops: Record<string, string[]> = {};
            const { result, reports } = await underLoad([`http://${lb.address}/`], () =>
                stack.up({
                    color: "never",
                    onEvent: (e) => {
                        const m = e.resOutputsEvent?.metadata;
                        if (m && m.op !== "same" && !m.urn.includes("pulumi:providers:")) {
                            ops[m.op] ??= [];
                            ops[m.op].push(m.urn.split("::").pop()!.replace(`${lb.name}-`, ""));
                        }
                    },
                }),
            );
            for (const r of reports) console.log(`upgrade on ${release}: ${describeLoad(r)}`);
            assert.equal(result.summary.result, "succeeded");
            for (const names of Object.values(ops)) names.sort();
            console.log(`upgrade on ${release}: ${JSON.stringify(ops)}`);
            assert.equal(ops.replace, undefined, "nothing is replaced");
            assert.deepEqual(ops.delete, ["sockets-haproxy-dropin"], "only the drop-in goes");
            assert.deepEqual(ops.create, ["reload-client", "reload-service-unit", "reload-socket-unit"], "the reload service's files come");
            assert.ok(ops.update.includes("reload-socket"), `the old sockets step is this version's reload-socket step, updated in place: ${ops.update}`);
            assert.equal(masterIdentity(lb), master, "HAProxy's master is the same process: not restarted");
            assert.notEqual(hostExec(lb.name, `test -e ${DROP_IN}`).code, 0, "the drop-in is gone");
            assert.equal(hostRun(lb.name, "stat -c '%U:%G %a' /run/haproxy-dataplane/reload.sock").trim(), "root:haproxy 660");
            assert.doesNotMatch(hostRun(lb.name, "cat /etc/haproxy-dataplane/dataplaneapi.yaml"), /master_runtime/);

            // The API reloads through the reload service now: an API change reaches HAProxy.
            const out = result.outputs.dataplane.value[lb.name];
            const auth = `dpadmin:${password}`;
            const base = `${out.apiUrl}/services/haproxy`;
            const version = (await api(`${base}/configuration/version`, out.caCertificate, { auth })).body;
            const raw = (await api(`${base}/configuration/raw`, out.caCertificate, { auth })).body as string;
            const posted = await api(`${base}/configuration/raw?version=${version}`, out.caCertificate, {
                method: "POST",
                auth,
                text: raw.replace(/(server web1 127\.0\.0\.1:8081)(.*)$/m, "$1 weight 77"),
            });
            assert.ok([201, 202].includes(posted.status), JSON.stringify(posted.body));
            const id = String(posted.headers["reload-id"]);
            let status = "";
            for (let i = 0; i < 30 && !["succeeded", "failed"].includes(status); i++) {
                await new Promise((r) => setTimeout(r, 1000));
                status = (await api(`${base}/reloads/${id}`, out.caCertificate, { auth })).body.status;
            }
            assert.equal(status, "succeeded", "the API's reload went through the reload service");
            assert.match(hostRun(lb.name, "journalctl --sync; journalctl -u 'haproxy-dataplane-reload@*' --no-pager -o cat"), /ok: HAProxy reloaded/);
            assert.equal(masterIdentity(lb), master);

            assertServed("the upgrade", reports);
            const again = await stack.up({ color: "never" });
            assert.deepEqual(changeCounts(again.summary.resourceChanges), {}, "the next up is a no-op");
        });

        it("destroy removes everything this version added, and HAProxy keeps serving", async () => {
            const master = masterIdentity(lb);
            const { reports } = await underLoad([`http://${lb.address}/`], () => stack.destroy({ color: "never" }));
            for (const r of reports) console.log(`destroy on ${release}: ${describeLoad(r)}`);
            for (const f of [
                "/etc/systemd/system/haproxy-dataplane-reload.socket",
                "/etc/systemd/system/haproxy-dataplane-reload@.service",
                "/run/haproxy-dataplane",
                "/usr/local/lib/haproxy-dataplane",
                "/var/lib/haproxy-dataplane-deploy",
                DROP_IN,
            ]) {
                assert.notEqual(hostExec(lb.name, `test -e ${f}`).code, 0, `${f} is gone`);
            }
            assert.notEqual(hostExec(lb.name, "systemctl cat haproxy-dataplane-reload.socket").code, 0, "systemd no longer knows the reload socket");
            assert.equal(masterIdentity(lb), master, "not restarted by destroy either");
            assertServed("destroy", reports);
        });
    });
}

describe("a host deployed by the version before the restructuring", () => {
    let lb: TestHost;
    let mirror: Mirror;
    let stack: Stack;
    let stateDir: string;
    let beforeDir: string;

    before(async () => {
        beforeDir = path.join(work, "before-restructure");
        mkdirSync(beforeDir);
        const archive = execFileSync("git", [
            "-C",
            REPO,
            "archive",
            BEFORE_RESTRUCTURE,
            "index.ts",
            "components",
            "package.json",
            "tsconfig.json",
            "tsconfig.base.json",
            "Pulumi.yaml",
        ]);
        execFileSync("tar", ["-x", "-C", beforeDir], { input: archive });
        symlinkSync(path.join(REPO, "node_modules"), path.join(beforeDir, "node_modules"));
        lb = hostUp(`upg-rs-${run}`, RESTRUCTURE_HOST.index, RESTRUCTURE_HOST.release);
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(lb.outerAddress);
        stateDir = path.join(work, "restructure");
        stack = await openStack({ programDir: beforeDir, stackName: `upg-rs-${run}`, stateDir, engineBinDir: tools.binDir, plugins: tools.plugins });
        await setConfig(stack, hostsConfig([lb], baseUrl, tools, password));
        const result = await stack.up({ color: "never" });
        assert.equal(result.summary.result, "succeeded");
    });

    after(() => {
        mirror?.close();
        if (lb) hostDown(lb.name);
    });

    it("one up of this version: steps whose scripts changed since run again in place; nothing is created, replaced or deleted; HAProxy and the API not restarted", async () => {
        const master = masterIdentity(lb);
        const apiPid = hostRun(lb.name, "systemctl show -p MainPID --value dataplaneapi.service").trim();
        writeWorkspace({ programDir: REPO, stackName: stack.name, stateDir, engineBinDir: tools.binDir, plugins: tools.plugins });
        const ops: Record<string, string[]> = {};
        const result = await stack.up({
            color: "never",
            onEvent: (e) => {
                const m = e.resOutputsEvent?.metadata;
                if (m && m.op !== "same" && !m.urn.includes("pulumi:providers:")) {
                    ops[m.op] ??= [];
                    ops[m.op].push(m.urn.split("::").pop()!.replace(`${lb.name}-`, ""));
                }
            },
        });
        assert.equal(result.summary.result, "succeeded");
        console.log(`restructure upgrade: ${JSON.stringify(result.summary.resourceChanges)} ${JSON.stringify(ops)}`);
        // Steps whose scripts changed since the restructuring run again (the start step, which
        // counts the API's exits from its own run now; the editor, which gives global back in
        // its order on destroy), in place: their restart keys are unchanged.
        assert.deepEqual(Object.keys(ops), ["update"], "no create, replace or delete");
        assert.ok(ops.update.includes("service-start"), `the start step's new script runs: ${ops.update}`);
        assert.equal(masterIdentity(lb), master, "HAProxy's master is the same process");
        assert.equal(hostRun(lb.name, "systemctl show -p MainPID --value dataplaneapi.service").trim(), apiPid, "the API is the same process");
        await stack.destroy({ color: "never" });
    });
});
