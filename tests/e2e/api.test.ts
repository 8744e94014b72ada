/**
 * What the program and its README rely on of the real Data Plane API (the
 * release the program installs by default), shown against the real binary on
 * a host the program deployed through the real engine: one host per Debian
 * release of the lab, bookworm with HAProxy 2.6 and trixie with HAProxy 3.0.
 * On both, the API reaches HAProxy's runtime through the admin socket and
 * reloads it with reload_cmd, the client of the program's reload service.
 *
 * These used to run against a stand-in of the API (git history:
 * tests/standins/dataplaneapi); a stand-in can only repeat what its author
 * believed, so the answers asserted here are the ones the real API gave:
 *   1. a server added with `?version=N` goes in at run time: 201, no reload,
 *      the server in maintenance until the next reload;
 *   2. a server PUT that changes only the weight: 200, no reload, live at once;
 *   3. a backend change: 202 and a Reload-ID that succeeds; HAProxy reloaded,
 *      never restarted;
 *   4. a configuration `haproxy -c` passes but HAProxy refuses (a frontend on
 *      a port another process holds): the Reload-ID ends `failed` and the API
 *      puts its last known good haproxy.cfg back. HAProxy keeps its worker,
 *      but pauses that worker's listeners while it retries the bind (about
 *      2 s of refused connections), then serves as before;
 *  4b. the API's own model keeps the refused change: the next write through
 *      the API puts it back in haproxy.cfg, until it is deleted;
 *   5. transactions: committing one outdates the others started at its
 *      version (406 on their commit), and a stale `?version=` is refused (409).
 * Each check builds on the configuration the one before left.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse as parseYaml } from "yaml";
import { shq } from "../../components/shared/shell";
import { indexByRelease } from "../../lab/hosts";
import {
    type ApiResponse,
    api,
    buildTools,
    describeTools,
    eventually,
    haproxyAdmin,
    haproxyMasterIdentity,
    haproxyMasterReloads,
    haproxyServers,
    hostDown,
    hostRun,
    hostsConfig,
    hostUp,
    type MasterReloads,
    Mirror,
    newStack,
    RELEASES,
    type Release,
    type ReloadOutcome,
    reloadOutcome as apiReloadOutcome,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { assertServed, describeLoad, Load, type LoadReport, underLoad } from "../../lab/load";

const INDEX = indexByRelease("api");
const CFG = "/etc/haproxy/haproxy.cfg";
const API_YAML = "/etc/haproxy-dataplane/dataplaneapi.yaml";
const SERVERS = "/services/haproxy/configuration/backends/web/servers";
/** A port the refused frontend binds, held by a process of the test's own while it does. */
const TAKEN_PORT = 8099;
const PORT_HOLDER_UNIT = "api-test-port-holder.service";
/** A Reload-ID as the API makes them: the day, then a counter. */
const RELOAD_ID = /^\d{4}-\d{2}-\d{2}-\d+$/;

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-api-"));
const password = `pw-${randomBytes(12).toString("hex")}`;
let tools: Tools;

before(() => {
    tools = buildTools();
    console.log(describeTools(tools));
});
after(() => rmSync(stateDir, { recursive: true, force: true }));

for (const release of RELEASES) describe(`the real Data Plane API on a ${release} host the program deployed`, () => onHost(release));

/**
 * How long a worker had its listeners paused, in seconds, from HAProxy's log
 * (journalctl -o short-unix): a new configuration that cannot bind makes
 * HAProxy pause the running worker's listeners while it retries, then resume them.
 */
function listenerPause(haproxyLog: string): number {
    const at = (what: string): number => {
        const line = haproxyLog.split("\n").find((l) => l.includes(`${what} frontend web.`));
        assert.ok(line, `"${what} frontend web." in HAProxy's log:\n${haproxyLog}`);
        return Number(line.split(" ")[0]);
    };
    const paused = at("Paused");
    const resumed = at("Resumed");
    assert.ok(resumed >= paused, `resumed after it paused:\n${haproxyLog}`);
    return resumed - paused;
}

function onHost(release: Release): void {
    let lb: TestHost;
    let mirror: Mirror;
    let stack: Stack | undefined;
    let apiUrl = "";
    let ca = "";
    /** The API's settings as it rewrote its YAML at start: reload_delay and where it keeps its last known good copy. */
    let reloadDelaySeconds = 0;
    let lkgFile = "";
    /** The configuration version the refused change was committed on (check 4), for check 4b. */
    let versionBeforeRefusal = 0;
    const auth = `dpadmin:${password}`;

    const root = (cmd: string): string => hostRun(lb.name, cmd);
    const cfg = (): string => root(`cat ${CFG}`);
    const call = (method: string, p: string, body?: unknown): Promise<ApiResponse> => api(`${apiUrl}${p}`, ca, { method, auth, body });
    const show = (r: ApiResponse): string => `${r.status} ${JSON.stringify(r.body)}`;
    /** The configuration version the API holds: what `?version=` must name. */
    const version = async (): Promise<number> => {
        const r = await call("GET", "/services/haproxy/configuration/version");
        assert.equal(typeof r.body, "number", show(r));
        return r.body;
    };
    const masterReloads = (): MasterReloads => haproxyMasterReloads(lb.name);
    /** Waits for one of the API's reloads to end (succeeded or failed), and gives what the API says of it. */
    const reloadOutcome = (id: string): Promise<ReloadOutcome> => apiReloadOutcome(apiUrl, ca, auth, id, reloadDelaySeconds + 60);
    /**
     * Asserts that the API did not reload HAProxy for the last change: no
     * reload is pending, and once the API's reload_delay (the batch interval
     * in which a scheduled reload runs) and a margin have passed, HAProxy's
     * master counts no new reload and is the same process.
     */
    const assertNoReload = async (before: { reloads: MasterReloads; master: string }) => {
        const pending = await call("GET", "/services/haproxy/reloads");
        assert.equal(pending.status, 200, show(pending));
        assert.deepEqual(
            (pending.body as ReloadOutcome[]).filter((r) => r.status === "in_progress"),
            [],
            "no reload is scheduled",
        );
        await sleep((reloadDelaySeconds + 3) * 1000);
        assert.deepEqual(masterReloads(), before.reloads, "HAProxy's master counts no new reload");
        assert.equal(haproxyMasterIdentity(lb.name), before.master, "HAProxy's master is the same process");
    };
    /** PIDs of HAProxy's workers (the master's children): a reload HAProxy refuses leaves them as they were. */
    const haproxyWorkers = (): string[] =>
        root(`ps -o pid= --ppid "$(systemctl show -p MainPID --value haproxy.service)" || true`)
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean)
            .sort();
    const snapshot = () => ({ reloads: masterReloads(), master: haproxyMasterIdentity(lb.name) });

    before(async () => {
        lb = hostUp(`api-${release}-${run}`, INDEX[release], release);
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(lb.outerAddress);
        stack = await newStack(`api-${release}-${run}`, tools, path.join(stateDir, release), hostsConfig([lb], baseUrl, tools, password));
        const up = await stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        const out = up.outputs.dataplane.value[lb.name];
        apiUrl = out.apiUrl;
        ca = out.caCertificate;
        assert.equal(apiUrl, `https://${lb.address}:5555/v3`);
        const yaml = parseYaml(root(`cat ${API_YAML}`));
        reloadDelaySeconds = yaml.haproxy.reload.reload_delay;
        assert.ok(reloadDelaySeconds > 0, `reload_delay in ${API_YAML}: ${reloadDelaySeconds}`);
        assert.ok(yaml.dataplaneapi.transaction.backups_dir, `backups_dir in ${API_YAML}`);
        lkgFile = `${yaml.dataplaneapi.transaction.backups_dir}/haproxy.cfg.lkg`;
        const info = await call("GET", "/info");
        assert.equal(info.status, 200, show(info));
        assert.match(info.body.api.version, new RegExp(`^v${tools.dpapi.version.replace(/\./g, "\\.")} `), "the API this test is about");
    });

    after(async () => {
        try {
            if (stack) await stack.destroy({ color: "never" });
        } finally {
            mirror?.close();
            if (lb) hostDown(lb.name);
        }
    });

    it("1. a server added with ?version=N: 201 and no Reload-ID; the running HAProxy has it at once, in maintenance; HAProxy not reloaded", async () => {
        const before = snapshot();
        const v = await version();
        const r = await call("POST", `${SERVERS}?version=${v}`, { name: "web3", address: "127.0.0.1", port: 8083, check: "enabled", inter: 5000 });
        assert.equal(r.status, 201, show(r));
        assert.equal(r.headers["reload-id"], undefined, "no reload: the runtime took it");
        const web3 = haproxyServers(lb.name, "web").get("web3");
        assert.ok(web3, "the running HAProxy has web3 already");
        assert.equal(web3.adminState & 0x1, 0x1, `web3 is in maintenance (admin state ${web3.adminState})`);
        assert.match(cfg(), /^\s*server web3 127\.0\.0\.1:8083\b.*\bcheck\b/m, "and the API wrote it to haproxy.cfg");
        assert.equal(await version(), v + 1);
        await assertNoReload(before);
    });

    it("2. a server PUT that changes only its weight: 200 and no Reload-ID; the running HAProxy has the new weight at once; HAProxy not reloaded", async () => {
        const before = snapshot();
        const web1 = await call("GET", `${SERVERS}/web1`);
        assert.equal(web1.status, 200, show(web1));
        assert.notEqual(web1.body.weight, 150);
        const r = await call("PUT", `${SERVERS}/web1?version=${await version()}`, { ...web1.body, weight: 150 });
        assert.equal(r.status, 200, show(r));
        assert.equal(r.headers["reload-id"], undefined, "no reload: the runtime took it");
        assert.equal(haproxyServers(lb.name, "web").get("web1")?.weight, 150, "the running HAProxy has the new weight right away");
        assert.match(cfg(), /^\s*server web1 127\.0\.0\.1:8081\b.*\bweight 150\b/m);
        await assertNoReload(before);
    });

    it("3. a backend change (an HTTP health check): 202 with a Reload-ID that succeeds; HAProxy reloaded once, not restarted; web3 leaves maintenance", async () => {
        const before = snapshot();
        const backend = await call("GET", "/services/haproxy/configuration/backends/web");
        assert.equal(backend.status, 200, show(backend));
        const r = await call("PUT", `/services/haproxy/configuration/backends/web?version=${await version()}`, {
            ...backend.body,
            adv_check: "httpchk",
            httpchk_params: { method: "GET", uri: "/health" },
        });
        assert.equal(r.status, 202, show(r));
        const id = String(r.headers["reload-id"]);
        assert.match(id, RELOAD_ID);
        const outcome = await reloadOutcome(id);
        assert.equal(outcome.status, "succeeded", JSON.stringify(outcome));
        assert.match(cfg(), /^\s*option httpchk GET \/health$/m);
        assert.deepEqual(masterReloads(), { reloads: before.reloads.reloads + 1, failed: 0 }, "one reload, which HAProxy took");
        assert.equal(haproxyMasterIdentity(lb.name), before.master, "HAProxy's master is the same process: reloaded, not restarted");
        // The reload re-creates the servers from the file: the one added at run time is no longer in maintenance.
        await eventually("web3 to be out of maintenance after the reload", () => haproxyServers(lb.name, "web").get("web3")?.adminState === 0, 20);
        assert.equal(root(`cmp -s ${lkgFile} ${CFG} && echo same || echo differs`).trim(), "same", ".lkg is refreshed after a successful reload");
    });

    it("4. a reload HAProxy refuses (a frontend on a port another process holds; `haproxy -c` passes): failed; haproxy.cfg back to .lkg; HAProxy pauses its listeners for its bind retries, then serves", async () => {
        const good = cfg();
        assert.equal(root(`cat ${lkgFile}`), good, ".lkg is the live file before the change");
        const before = snapshot();
        const worker = haproxyWorkers();
        const cursor = root("journalctl --show-cursor -n 0 -o cat | sed -n 's/^-- cursor: //p'").trim();
        versionBeforeRefusal = await version();
        let outcome: ReloadOutcome;
        let load: LoadReport;
        root(
            `systemd-run --quiet --unit=${PORT_HOLDER_UNIT} socat TCP-LISTEN:${TAKEN_PORT},bind=127.0.0.1,reuseaddr,fork EXEC:/bin/true
             for _ in $(seq 50); do ss -Hltn 'sport = :${TAKEN_PORT}' | grep -q . && exit 0; sleep 0.1; done; echo "nothing listens on ${TAKEN_PORT}" >&2; exit 1`,
        );
        try {
            const t = await call("POST", `/services/haproxy/transactions?version=${versionBeforeRefusal}`);
            assert.equal(t.status, 201, show(t));
            const inTransaction = `transaction_id=${t.body.id}`;
            const frontend = await call("POST", `/services/haproxy/configuration/frontends?${inTransaction}`, {
                name: "clash",
                mode: "http",
                default_backend: "web",
            });
            assert.equal(frontend.status, 202, show(frontend));
            const bind = await call("POST", `/services/haproxy/configuration/frontends/clash/binds?${inTransaction}`, {
                name: "clash",
                address: "127.0.0.1",
                port: TAKEN_PORT,
            });
            assert.equal(bind.status, 202, show(bind));
            const newConnections = await Load.start(`http://${lb.address}/`, { mode: "new", rate: 50 });
            try {
                const commit = await call("PUT", `/services/haproxy/transactions/${t.body.id}`);
                // The API checked the file with `haproxy -c` as user haproxy before it wrote it: a refusal there is a 400.
                assert.equal(commit.status, 202, show(commit));
                const id = String(commit.headers["reload-id"]);
                assert.match(id, RELOAD_ID);
                outcome = await reloadOutcome(id);
            } finally {
                load = await newConnections.stop();
            }
        } finally {
            root(`systemctl stop ${PORT_HOLDER_UNIT} || true`);
        }
        assert.equal(outcome.status, "failed", JSON.stringify(outcome));
        // reload_cmd's stderr: the reload service's verdict, read from HAProxy's master.
        assert.match(outcome.response ?? "", /^failed: HAProxy refused the reload and still runs the previous configuration/);

        // HAProxy's side: its reason, one more reload counted as failed, the same master and the same worker, on the previous configuration.
        root("journalctl --sync");
        const haproxyLog = root(`journalctl -u haproxy.service --after-cursor=${shq(cursor)} --no-pager -o short-unix`);
        assert.match(haproxyLog, new RegExp(`frontend clash: .*cannot bind socket \\(Address already in use\\) for \\[127\\.0\\.0\\.1:${TAKEN_PORT}\\]`));
        const after = masterReloads();
        assert.equal(after.reloads, before.reloads.reloads + 1, "HAProxy's master tried one reload");
        assert.ok(after.failed >= 1, `and counts it failed (${JSON.stringify(after)})`);
        assert.equal(haproxyMasterIdentity(lb.name), before.master, "HAProxy's master is the same process");
        assert.deepEqual(haproxyWorkers(), worker, "the worker from before the change still serves: no new one");
        assert.doesNotMatch(haproxyAdmin(lb.name, "show stat"), /^clash,/m, "HAProxy runs the previous configuration: no frontend clash");

        // Serving: while the new configuration retries its binds, HAProxy pauses the running worker's
        // listeners (its log says "Paused frontend web", then "Resumed"), so new connections are refused
        // for that long; nothing else fails, and it serves as before right after.
        const pauseSeconds = listenerPause(haproxyLog);
        console.log(`${release}, the refused reload: listeners paused ${pauseSeconds.toFixed(2)} s; ${describeLoad(load)}`);
        assert.ok(pauseSeconds < 5, `the worker's listeners were paused ${pauseSeconds.toFixed(2)} s`);
        assert.equal(load.failed, load.refused, `every failed request was a refused connection: ${describeLoad(load)}`);
        assert.ok(
            load.refused <= Math.ceil(load.achievedRate * (pauseSeconds + 1)),
            `refused only while the listeners were paused (${pauseSeconds.toFixed(2)} s): ${describeLoad(load)}`,
        );
        const { reports } = await underLoad([`http://${lb.address}/`], () => sleep(3000), { newRate: 50, keepaliveRate: 10 });
        assertServed("the 3 s after the refused reload", reports);

        // What the API did with the files: haproxy.cfg is the last known good copy again, byte for byte; .lkg is unchanged.
        assert.equal(cfg(), good, "haproxy.cfg is .lkg again");
        assert.equal(root(`cat ${lkgFile}`), good, ".lkg is refreshed only by a successful reload");
        assert.equal(root(`test -e ${CFG}.bck && echo kept || echo removed`).trim(), "removed", "the API's copy of the refused file is gone");
    });

    it("4b. after the refused reload the API's model keeps the change: the next write puts it back in haproxy.cfg; deleting it through the API puts things right", async () => {
        // The restored file carries the API's own hash, so its watcher does not re-read it.
        const fileVersion = () => Number(/^# _version=(\d+)$/m.exec(cfg())?.[1]);
        assert.equal(fileVersion(), versionBeforeRefusal, "haproxy.cfg is the version from before the commit");
        assert.equal(await version(), versionBeforeRefusal + 1, "the API's version counts the refused commit");
        const clash = await call("GET", "/services/haproxy/configuration/frontends/clash");
        assert.equal(clash.status, 200, `the API still has frontend clash: ${show(clash)}`);

        // A weight change goes to the runtime (200, no reload), and the API writes its whole model to the file.
        const web1 = (await call("GET", `${SERVERS}/web1`)).body;
        const weight = await call("PUT", `${SERVERS}/web1?version=${versionBeforeRefusal + 1}`, { ...web1, weight: web1.weight + 10 });
        assert.equal(weight.status, 200, show(weight));
        assert.equal(weight.headers["reload-id"], undefined);
        assert.match(cfg(), /^frontend clash\b/m, "the refused frontend is back in haproxy.cfg");
        assert.doesNotMatch(haproxyAdmin(lb.name, "show stat"), /^clash,/m, "though not in the running HAProxy");

        const del = await call("DELETE", `/services/haproxy/configuration/frontends/clash?version=${await version()}`);
        assert.equal(del.status, 202, show(del));
        const outcome = await reloadOutcome(String(del.headers["reload-id"]));
        assert.equal(outcome.status, "succeeded", JSON.stringify(outcome));
        assert.doesNotMatch(cfg(), /^frontend clash\b/m);
        assert.equal(fileVersion(), await version(), "the file and the API agree again");
        assert.equal(root(`cmp -s ${lkgFile} ${CFG} && echo same || echo differs`).trim(), "same", ".lkg is refreshed by the successful reload");
        assert.equal(masterReloads().failed, 0, "HAProxy took the reload");
    });

    it("5. two transactions at one version: the first commit is 202 with a Reload-ID, the second then 406 (outdated); a stale ?version= is 409", async () => {
        const v = await version();
        const start = () => call("POST", `/services/haproxy/transactions?version=${v}`);
        const [first, second] = [await start(), await start()];
        for (const t of [first, second]) {
            assert.equal(t.status, 201, show(t));
            assert.deepEqual([t.body.status, t.body._version], ["in_progress", v]);
        }
        const inFirst = await call("POST", `${SERVERS}?transaction_id=${first.body.id}`, { name: "web4", address: "127.0.0.1", port: 8084 });
        assert.equal(inFirst.status, 202, show(inFirst));
        const inSecond = await call("POST", `${SERVERS}?transaction_id=${second.body.id}`, { name: "web2", address: "127.0.0.1", port: 8082 });
        assert.equal(inSecond.status, 202, show(inSecond));

        const commit = await call("PUT", `/services/haproxy/transactions/${first.body.id}`);
        assert.equal(commit.status, 202, show(commit));
        assert.deepEqual(commit.body, { _version: v, id: first.body.id, status: "success" });
        const outcome = await reloadOutcome(String(commit.headers["reload-id"]));
        assert.equal(outcome.status, "succeeded", JSON.stringify(outcome));
        assert.equal(await version(), v + 1);
        assert.match(cfg(), /^\s*server web4 127\.0\.0\.1:8084\b/m);

        const outdated = await call("GET", `/services/haproxy/transactions/${second.body.id}`);
        assert.equal(outdated.body?.status, "outdated", show(outdated));
        const late = await call("PUT", `/services/haproxy/transactions/${second.body.id}`);
        assert.equal(late.status, 406, show(late));
        assert.equal(late.body.message, `transaction ${second.body.id} is outdated and cannot be committed`);
        assert.doesNotMatch(cfg(), /server web2\b/, "nothing of the outdated transaction reached haproxy.cfg");

        const web1 = (await call("GET", `${SERVERS}/web1`)).body;
        const stale = await call("PUT", `${SERVERS}/web1?version=${v}`, { ...web1, weight: web1.weight + 10 });
        assert.equal(stale.status, 409, show(stale));
        assert.equal(stale.body.message, `version mismatch: version in configuration file is ${v + 1}, given version is ${v}`);
        const staleStart = await start();
        assert.equal(staleStart.status, 409, show(staleStart));
        assert.equal(await version(), v + 1, "nothing written");
        assert.equal(haproxyServers(lb.name, "web").get("web1")?.weight, web1.weight, "nor set at run time");
    });
}
