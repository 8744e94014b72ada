/**
 * The whole deployment, end to end: the real Pulumi engine runs this program
 * into real Debian hosts (systemd, sshd, HAProxy), from a fresh `up` to
 * `destroy`, on one host and then on two, with the real command and tls
 * plugins and the real Data Plane API (the run's first lines say which
 * versions). The one-host stack starts on the API's release before the
 * default and upgrades to the default in step 5b.
 *
 * Each step asserts what the engine did (creates, updates, replaces and
 * deletes), how many SSH sessions the host accepted, and what reached the
 * host. The table printed at the end gives each step's figures.
 */
import type { EngineEvent, OpType, Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as tls from "node:tls";
import {
    api,
    buildTools,
    changeCounts,
    describeTools,
    eventually,
    haproxyAdmin,
    haproxyMasterIdentity,
    haproxyServers,
    hostDown,
    hostExec,
    hostListing,
    hostReboot,
    hostRun,
    hostsConfig,
    hostUp,
    hostUrns,
    httpGet,
    listingChanges,
    Mirror,
    newStack,
    PROJECT,
    type Release,
    RELEASES,
    setConfig,
    sshLogins,
    stateUrns,
    stepsByOp,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { indexByRelease, LAB_HOSTS } from "../../lab/hosts";
import { GUIDE_SERVER, seedOperations } from "../../lab/guide";
import { assertServed, describeLoad, underLoad } from "../../lab/load";
import { storedState } from "../../lab/workspace";

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-e2e-"));
const password1 = `pw1-${randomBytes(12).toString("hex")}`;
const password2 = `pw2-${randomBytes(12).toString("hex")}`;
/** Everything the engine printed, to check that no secret is in it. */
let engineOutput = "";
const capture = (s: string) => {
    engineOutput += s;
};

interface StepRecord {
    step: string;
    release: string;
    seconds: number;
    ops: Record<string, number>;
    ssh: number | string;
    /** Requests sent to the hosts' frontends during the step, and how many failed ("-": no load, the reboot). */
    load: string;
}
const records: StepRecord[] = [];

let tools: Tools;

/** The Debian release and HAProxy version of a host, for the step table; read once per host. */
const releases = new Map<string, string>();
function releaseOf(host: TestHost): string {
    let release = releases.get(host.name);
    if (release === undefined) {
        const codename = hostRun(host.name, '. /etc/os-release && echo "$VERSION_CODENAME"').trim();
        const haproxy = /version (\S+)/.exec(hostRun(host.name, "haproxy -v | head -n 1"))?.[1] ?? "?";
        release = `${codename}, HAProxy ${haproxy}`;
        releases.set(host.name, release);
    }
    return release;
}

/**
 * Runs `fn` while each host's frontend (HAProxy's `frontend web`, which
 * served before the deployment) takes new connections at 200/s and
 * keep-alive sessions at 30/s, from outside the host's network namespace;
 * fails unless every request was answered 2xx.
 */
async function loaded<T>(label: string, hosts: TestHost[], fn: () => Promise<T>): Promise<{ result: T; load: string }> {
    const { result, reports } = await underLoad(
        hosts.map((h) => `http://${h.address}/`),
        fn,
    );
    for (const r of reports) console.log(`step "${label}": ${describeLoad(r)}`);
    return { result, load: assertServed(`"${label}"`, reports) };
}

/** HAProxy's master on a host as "PID start-time": the same from the first up to destroy means it was never restarted. */
const masterIdentity = (host: TestHost): string => haproxyMasterIdentity(host.name);

/**
 * Runs one engine operation as a scenario step, under load (see loaded):
 * times it, counts the SSH sessions the hosts accepted during it, and records
 * the engine's counts and the requests sent and failed. A preview or a
 * refresh runs nothing on a host (its step asserts 0 SSH sessions), so it
 * runs without load (`load: false`): the load would only slow it down.
 */
async function step<T>(
    label: string,
    hosts: TestHost[],
    fn: () => Promise<T>,
    ops: (r: T) => Record<string, number> | undefined,
    opts: { load?: boolean } = {},
): Promise<{ result: T; ssh: number; ops: Record<string, number> }> {
    const before = hosts.map((h) => sshLogins(h.name));
    const start = Date.now();
    const { result, load } = (opts.load ?? true) ? await loaded(label, hosts, fn) : { result: await fn(), load: "-" };
    const seconds = (Date.now() - start) / 1000;
    const ssh = hosts.map((h) => sshLogins(h.name)).reduce((sum, n, i) => sum + n - before[i], 0);
    const counts = ops(result) ?? {};
    records.push({
        step: label,
        release: hosts
            .map(releaseOf)
            .filter((r, i, a) => a.indexOf(r) === i)
            .join(" + "),
        seconds,
        ops: counts,
        ssh,
        load,
    });
    console.log(`step "${label}": ${seconds.toFixed(1)} s, engine ${JSON.stringify(counts)}, ${ssh} SSH sessions`);
    return { result, ssh, ops: changeCounts(counts) };
}

/** A step that is not an engine operation (API calls, a reboot): its duration, under load unless `load` is false (the reboot). */
async function timed(label: string, hosts: TestHost[], fn: () => Promise<void>, opts: { load?: boolean } = {}): Promise<void> {
    const start = Date.now();
    let load = "-";
    if (opts.load ?? true) load = (await loaded(label, hosts, fn)).load;
    else await fn();
    records.push({ step: label, release: hosts.map(releaseOf).join(" + "), seconds: (Date.now() - start) / 1000, ops: {}, ssh: "-", load });
}

/** `preview --diff`: its text, the operations it plans per resource name, and its summary. */
async function previewDiff(stack: Stack): Promise<{ diff: string; planned: string[]; summary: Record<string, number> }> {
    const events: EngineEvent[] = [];
    let diff = "";
    const preview = await stack.preview({
        diff: true,
        color: "never",
        onOutput: (s) => {
            diff += s;
            capture(s);
        },
        onEvent: (e) => events.push(e),
    });
    const planned = events
        .filter((e) => e.resourcePreEvent && e.resourcePreEvent.metadata.op !== ("same" as OpType))
        .map((e) => `${e.resourcePreEvent!.metadata.op} ${e.resourcePreEvent!.metadata.urn.split("::").pop()}`)
        .sort();
    return { diff, planned, summary: changeCounts(preview.changeSummary as Record<string, number>) };
}

/** Whether a line is the header of `section`, e.g. "backend web", as the API writes it too ("backend web from unnamed_defaults_1"). */
function isHeader(line: string, section: string): boolean {
    return (
        line
            .trim()
            .replace(/\s+/g, " ")
            .replace(/ from \S+$/, "") === section
    );
}

/** The lines of one section, with whitespace collapsed, for comparing across the API's reformatting. */
function sectionLines(cfg: string, section: string): string[] {
    const lines = cfg.replace(/\r/g, "").split("\n");
    const start = lines.findIndex((l) => isHeader(l, section));
    if (start < 0) return [];
    const out: string[] = [];
    for (const l of lines.slice(start + 1)) {
        if (/^\S/.test(l) && !l.startsWith("#")) break;
        const t = l.trim().replace(/\s+/g, " ");
        if (t && !t.startsWith("#")) out.push(t);
    }
    return out;
}

/** The running HAProxy's view of backend web: server name to user weight. */
function runningServers(host: TestHost): Map<string, string> {
    return new Map([...haproxyServers(host.name, "web")].map(([name, s]) => [name, String(s.weight)]));
}

/**
 * A client of one host's API for the seed's first two operations in their v3
 * form (per-object endpoints with `?version=N`); step 2 makes all three with
 * the sandbox's printed calls.
 */
class ApiClient {
    constructor(
        private readonly url: string,
        private readonly ca: string,
        private readonly auth: string,
    ) {}
    get(p: string) {
        return api(`${this.url}${p}`, this.ca, { auth: this.auth });
    }
    private send(method: string, p: string, body: unknown) {
        return api(`${this.url}${p}`, this.ca, { method, auth: this.auth, body });
    }
    private async version(): Promise<number> {
        const v = (await this.get("/services/haproxy/configuration/version")).body;
        assert.equal(typeof v, "number", `configuration version: ${JSON.stringify(v)}`);
        return v;
    }
    /** Waits for one of the API's reloads to end, and asserts it succeeded. */
    async reloaded(id: string): Promise<void> {
        let status = "";
        await eventually(`reload ${id} to end`, async () => {
            status = (await this.get(`/services/haproxy/reloads/${id}`)).body?.status;
            return status === "succeeded" || status === "failed";
        });
        assert.equal(status, "succeeded", `reload ${id}`);
    }

    /** Seed op 1: adds a server to backend web. HAProxy takes it at once, through the runtime: 201, no reload, the server in maintenance. */
    async addServer(name: string, port: number): Promise<void> {
        const r = await this.send("POST", `/services/haproxy/configuration/backends/web/servers?version=${await this.version()}`, {
            name,
            address: "127.0.0.1",
            port,
            check: "enabled",
            inter: 5000,
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.headers["reload-id"], undefined, "no reload: the runtime took it");
    }

    /** Seed op 2: web1's weight. PUT replaces the whole server, so it sends the server as GET gave it: only the weight differs, and the runtime takes it (200). */
    async setWeight(weight: number): Promise<void> {
        const s = await this.get("/services/haproxy/configuration/backends/web/servers/web1");
        assert.equal(s.status, 200, JSON.stringify(s.body));
        const r = await this.send("PUT", `/services/haproxy/configuration/backends/web/servers/web1?version=${await this.version()}`, { ...s.body, weight });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.headers["reload-id"], undefined, "no reload: the runtime took it");
    }

    /** Starts an explicit transaction on the current configuration version, and gives its id. */
    async startTransaction(): Promise<string> {
        const t = await this.send("POST", `/services/haproxy/transactions?version=${await this.version()}`, undefined);
        assert.equal(t.status, 201, JSON.stringify(t.body));
        return t.body.id;
    }

    /** Commits transaction `id`; the API's answer. */
    commitTransaction(id: string) {
        return this.send("PUT", `/services/haproxy/transactions/${id}`, undefined);
    }
}

before(() => {
    tools = buildTools();
    console.log(describeTools(tools));
});

after(() => {
    rmSync(stateDir, { recursive: true, force: true });
    const table = records.map(
        (r) =>
            `${r.seconds.toFixed(1).padStart(7)} s  ${String(r.ssh).padStart(3)} ssh  ${r.load.padStart(11)} req/failed  ${r.step} [${r.release}] ${JSON.stringify(r.ops)}`,
    );
    console.log(
        `scenario steps (duration, SSH sessions accepted, requests sent/failed under load, step [host release], engine operations):\n${table.join("\n")}`,
    );
});

/** The one-host scenario's host index for each release. */
const CFG = "/etc/haproxy/haproxy.cfg";

/**
 * Every place the deployment writes to, or could leave something in: each is
 * listed (owner, mode, digest; see hostListing) before the first `up` and
 * compared after `destroy`.
 */
const TOUCHED = [
    "/etc/haproxy",
    "/etc/haproxy-dataplane",
    "/etc/systemd/system",
    "/etc/tmpfiles.d",
    "/etc/passwd",
    "/etc/group",
    "/usr/local/bin",
    "/usr/local/lib",
    "/var/lib/haproxy",
    "/var/lib/haproxy-dataplane-deploy",
    "/run/haproxy",
    "/run/haproxy-dataplane",
    "/run/haproxy-master.sock",
    "/tmp",
];

const ONE_HOST_INDEX = indexByRelease("scenarioOneHost");

/** What the stack's `haproxy` output says on each release: its HAProxy, and the one reload path. */
const RELOAD_PATH: Record<Release, RegExp> = {
    bookworm: /^HAProxy 2\.6\.\d+ on this host: the API reloads it through the reload service, never restarts it$/,
    trixie: /^HAProxy 3\.0\.\d+ on this host: the API reloads it through the reload service, never restarts it$/,
};

for (const release of RELEASES) describe(`one ${release} host, from a fresh up to destroy`, () => oneHost(release));

function oneHost(release: Release): void {
    let mirror: Mirror;
    let lb: TestHost;
    let stack: Stack;
    /** How many resources the preview of the first deployment planned to create. */
    let plannedCreates = 0;
    /** This host's steps by their names ("config-yaml" is "<host>-config-yaml"), sorted as stepsByOp sorts them. */
    const steps = (...names: string[]) => names.map((n) => `${lb.name}-${n}`).sort();
    let originalCfg: string;
    /** TOUCHED as it was before the first up. */
    let pristine: Map<string, string>;
    let ca: string;
    let apiUrl: string;
    let client: ApiClient;
    /** HAProxy's master before the first up (and again after the reboot). */
    let master = "";
    const assertNotRestarted = (when: string) => assert.equal(masterIdentity(lb), master, `HAProxy's master is the same process ${when}: never restarted`);

    before(async () => {
        lb = hostUp(`lb1-${release}-${run}`, ONE_HOST_INDEX[release], release);
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(lb.outerAddress);
        originalCfg = hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg");
        pristine = hostListing(lb.name, TOUCHED);
        master = masterIdentity(lb);
        // The release before the default, so that step 5b upgrades the API to the default.
        stack = await newStack(`e2e-${release}-${run}`, tools, path.join(stateDir, release), {
            ...hostsConfig([lb], baseUrl, tools, password1),
            dataplaneapiVersion: { value: tools.dpapi.previous.version },
            dataplaneapiSha256: { value: tools.dpapi.previous.sha256 },
            dataplaneapiArch: { value: "x86_64" },
        });
    });

    after(() => {
        mirror?.close();
        if (lb) hostDown(lb.name);
    });

    it("1. a preview of the first deployment shows every step and runs nothing on the host", async () => {
        const { ssh, result } = await step(
            "1a. preview",
            [lb],
            () => previewDiff(stack),
            (r) => r.summary,
            { load: false },
        );
        assert.equal(ssh, 0, "a preview opens no SSH session");
        assert.deepEqual(Object.keys(result.summary), ["create"], "a first deployment only creates");
        plannedCreates = result.summary.create;
        // A new command shows the first lines of its script: each script's first line says what it does.
        const v = tools.dpapi.previous.version.replace(/\./g, "\\.");
        assert.match(result.diff, new RegExp(`# install dataplaneapi ${v} from http://[\\d.:]+/v${v}/, checked against its SHA-256 first`));
        assert.match(result.diff, /# write \/etc\/haproxy-dataplane\/dataplaneapi\.yaml \(haproxy:haproxy 0640\) from stdin/);
        assert.match(result.diff, /stdin +: "userlist controller\\n/, "the sections the edit adds to haproxy.cfg are readable in the preview");
        assert.match(
            result.diff,
            /\\n# reload service: root reloads \(never restarts\) HAProxy when group haproxy asks on \/run\/haproxy-dataplane\/reload\.sock\\n/,
            "the step that changes how HAProxy reloads says so in the preview",
        );
        assert.doesNotMatch(result.diff, /restart HAProxy/, "no step restarts HAProxy");
        assert.match(result.diff, /\[secret\]/, "secrets are masked");
    });

    it("1. a fresh up installs a working, authenticated API and leaves the existing frontend serving", async () => {
        const { result, ops } = await step(
            "1. fresh up",
            [lb],
            () => stack.up({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(ops, { create: (await stateUrns(stack)).length }, "it created everything in the stack, and did nothing else");
        assert.equal(ops.create, plannedCreates, "as many steps as the preview showed");
        const v = tools.dpapi.previous.version;
        assert.ok(mirror.requests.includes(`/v${v}/dataplaneapi_${v}_linux_x86_64.tar.gz`), "the archive was downloaded from the mirror");
        const out = result.outputs.dataplane.value[lb.name];
        apiUrl = out.apiUrl;
        ca = out.caCertificate;
        client = new ApiClient(apiUrl, ca, `dpadmin:${password1}`);
        assert.equal(apiUrl, `https://${lb.address}:5555/v3`);
        assert.match(out.haproxy, RELOAD_PATH[release], "the stack says how the API reloads this host's HAProxy");
        assert.ok(result.stdout.includes(out.haproxy), "and up's output shows it");
        // The API rewrote its YAML at start (comments gone), keeping the settings.
        const apiYaml = hostRun(lb.name, "cat /etc/haproxy-dataplane/dataplaneapi.yaml");
        assert.match(apiYaml, /^\s*master_worker_mode: true$/m);
        assert.doesNotMatch(apiYaml, /^\s*master_runtime:/m, "no master runtime: the API reloads through reload_cmd");
        assert.match(apiYaml, /^\s*reload_cmd: \/usr\/local\/lib\/haproxy-dataplane\/request-reload$/m);
        const banner = hostRun(lb.name, "/usr/local/bin/dataplaneapi --version 2>/dev/null");
        assert.equal(out.version, /Data Plane API v(\S+)/.exec(banner)?.[1], "the stack reports the version the installed binary reports");
        assert.equal(hostRun(lb.name, "systemctl is-active dataplaneapi.service").trim(), "active");
        assert.equal(hostRun(lb.name, "systemctl is-enabled dataplaneapi.service").trim(), "enabled");

        const info = await client.get("/info");
        assert.equal(info.status, 200, JSON.stringify(info.body));
        assert.match(info.body.api.version, new RegExp(`^v${v.replace(/\./g, "\\.")} `));
        const health = await client.get("/health");
        assert.deepEqual([health.status, health.body.haproxy], [200, "up"], "status_cmd tells the API HAProxy's state");
        assert.equal((await api(`${apiUrl}/info`, ca)).status, 401, "no credentials: 401");
        assert.equal((await api(`${apiUrl}/info`, ca, { auth: "dpadmin:wrong-password" })).status, 401, "wrong password: 401");
        await assert.rejects(
            api(`${apiUrl}/info`, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
            "the certificate does not verify against another CA",
        );

        assert.match(haproxyAdmin(lb.name, "show info"), /^Name: HAProxy$/m, "user haproxy can use the admin socket");
        hostRun(lb.name, "haproxy -c -q -f /etc/haproxy/haproxy.cfg");
        assertNotRestarted("after the fresh up");
        assert.match(
            hostRun(lb.name, "stat -c '%U:%G %a' /run/haproxy-master.sock").trim(),
            /^root:root [0-7][0-5][0-5]$/,
            "the stock master socket stays root's, writable by root only",
        );
        assert.equal(hostRun(lb.name, "stat -c '%U:%G %a' /run/haproxy-dataplane/reload.sock").trim(), "root:haproxy 660");
        const web = await httpGet(`http://${lb.address}/`);
        assert.equal(web.status, 200);
        assert.match(web.body, /hello from web1/);
    });

    it("1. a refresh after the deploy changes nothing", async () => {
        const { ops, ssh } = await step(
            "1b. refresh",
            [lb],
            () => stack.refresh({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
            { load: false },
        );
        assert.deepEqual(ops, {}, "refresh found nothing to change");
        assert.equal(ssh, 0, "refresh runs no remote command");
    });

    it("2. the seed's three operations, pasted as the sandbox prints them, reach the running HAProxy without a restart", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "guide-"));
        const target = { apiUrl, caFile: path.join(dir, "ca.pem"), user: "dpadmin", passwordFile: path.join(dir, "api-password") };
        writeFileSync(target.caFile, ca);
        writeFileSync(target.passwordFile, password1, { mode: 0o600 });
        const s = GUIDE_SERVER.name;
        const statLine = (server: string) =>
            haproxyAdmin(lb.name, "show stat")
                .split("\n")
                .find((l) => l.startsWith(`web,${server},`)) ?? "";
        let out = "";
        try {
            await timed("2. the seed's three operations, as the sandbox prints them", [lb], async () => {
                const r = spawnSync("bash", ["-euo", "pipefail", "-c", seedOperations(target)], { encoding: "utf8", timeout: 60_000 });
                out = r.stdout;
                assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
                const responses = out
                    .split(/^(?=HTTP\/\S+ \d{3})/m)
                    .filter((b) => b.startsWith("HTTP/"))
                    .map((b) => ({ status: Number(/^HTTP\/\S+ (\d{3})/.exec(b)?.[1]), reloadId: /^reload-id: *(\S+)/im.exec(b)?.[1] }));
                assert.deepEqual(
                    responses.map((x) => [x.status, x.reloadId !== undefined]),
                    [
                        [201, false],
                        [200, false],
                        [202, true],
                    ],
                    `add through the runtime, weight through the runtime, health check by a reload:\n${out}`,
                );
                await client.reloaded(responses[2].reloadId!);
                // HAProxy counts a server UP while its first check still runs ("INI"): wait for the check's own verdict.
                await eventually(`${s}'s HTTP check to pass after the reload`, () => /,L7OK,/.test(statLine(s)), 30);
            });
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        assert.ok(!out.includes(password1), "the calls' output shows no password");
        assertNotRestarted("after the seed's operations");
        const cfg = hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg");
        assert.match(cfg, new RegExp(`^\\s*server ${s} 127\\.0\\.0\\.1:${GUIDE_SERVER.port} .*\\bcheck\\b`, "m"));
        assert.match(cfg, /^\s*server web1 127\.0\.0\.1:8081.* weight 150/m);
        assert.match(cfg, /^\s*option httpchk GET \/health$/m);
        assert.match(cfg, /^\s*balance roundrobin$/m, "the backend kept its balance: the body had it");
        const live = haproxyServers(lb.name, "web");
        assert.equal(live.get("web1")?.weight, 150);
        assert.equal(live.get(s)?.adminState, 0, `${s} serves: out of maintenance after the reload`);
        assert.equal(live.get(s)?.opState, 2, `${s} is UP`);
    });

    it("3. a second up with the same config changes nothing and opens no SSH session", async () => {
        const { ops, ssh } = await step(
            "3. second up, same config",
            [lb],
            () => stack.up({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(ops, {});
        assert.equal(ssh, 0, "no SSH session was opened");
    });

    it("4. changing one setting previews only what it affects, readably, and up applies it without losing API changes", async () => {
        await setConfig(stack, { haproxyReloadDelay: { value: 3 } });
        const { result: preview, ssh: previewSsh } = await step(
            "4a. preview --diff",
            [lb],
            () => previewDiff(stack),
            (r) => r.summary,
            { load: false },
        );
        assert.equal(previewSsh, 0, "a preview opens no SSH session");
        assert.deepEqual(preview.planned, [`update ${lb.name}-config-yaml`, `update ${lb.name}-service-start`], preview.diff);
        assert.match(preview.diff, /~ reload_delay\s*: 5 => 3/, "the changed line is shown, old and new");
        // The engine shows the YAML as a document (its comments dropped), the same on both releases.
        assert.match(preview.diff, /master_worker_mode\s*: true/);
        assert.match(preview.diff, /reload_cmd\s*: "\/usr\/local\/lib\/haproxy-dataplane\/request-reload"/);
        assert.doesNotMatch(preview.diff, /master_runtime/);
        assert.deepEqual(preview.summary, { update: 2 });

        const events: EngineEvent[] = [];
        await step(
            "4. up with the changed setting",
            [lb],
            () => stack.up({ onOutput: capture, onEvent: (e) => events.push(e), color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(stepsByOp(events), { update: steps("config-yaml", "service-start") }, "the YAML and the start step, in place");
        assert.match(hostRun(lb.name, "systemctl show -p ActiveState --value dataplaneapi.service"), /active/);
        const servers = runningServers(lb);
        assert.ok(servers.has(GUIDE_SERVER.name) && servers.get("web1") === "150", "the API's changes are still live");
        assert.match(
            hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg"),
            new RegExp(`server ${GUIDE_SERVER.name} 127\\.0\\.0\\.1:${GUIDE_SERVER.port}`),
            "and still configured",
        );
        await client.addServer("web3", 8083);
        await eventually("a third API change to reach HAProxy after the program's own changes", () => runningServers(lb).has("web3"), 60);
    });

    it("5. rotating the password: the old one gets 401, the new one works, neither is written anywhere", async () => {
        await setConfig(stack, { apiPassword: { value: password2, secret: true } });
        const { result: preview, ssh: previewSsh } = await step(
            "5a. preview --diff",
            [lb],
            () => previewDiff(stack),
            (r) => r.summary,
            { load: false },
        );
        assert.equal(previewSsh, 0, "a preview opens no SSH session");
        assert.deepEqual(
            preview.planned,
            [`update ${lb.name}-haproxy-cfg`, `update ${lb.name}-haproxy-credentials`, `update ${lb.name}-service-start`],
            preview.diff,
        );
        assert.match(preview.diff, /# API users: [0-9a-f]{16}/, "the edit shows that the users changed");
        assert.ok(!preview.diff.includes(password1) && !preview.diff.includes(password2), "no password in the preview");
        assert.match(preview.diff, /\[secret\]/);

        const events: EngineEvent[] = [];
        await step(
            "5. up with a rotated password",
            [lb],
            () => stack.up({ onOutput: capture, onEvent: (e) => events.push(e), color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(
            stepsByOp(events),
            { update: steps("haproxy-cfg", "haproxy-credentials", "service-start") },
            "the hashed users, the haproxy.cfg edit and the start step's credentials, in place",
        );
        await eventually("the new password to work", async () => (await api(`${apiUrl}/info`, ca, { auth: `dpadmin:${password2}` })).status === 200, 30);
        assert.equal((await api(`${apiUrl}/info`, ca, { auth: `dpadmin:${password1}` })).status, 401);
        client = new ApiClient(apiUrl, ca, `dpadmin:${password2}`);

        const state = storedState(path.join(stateDir, release), PROJECT, stack.name);
        assert.match(state, /"ciphertext"/, "the stored state holds encrypted secrets");
        for (const pw of [password1, password2]) {
            assert.ok(!engineOutput.includes(pw), "not in the engine's output");
            assert.ok(!state.includes(pw), "not in the stored state");
            const grep = hostExec(lb.name, `grep -rlF -- '${pw}' /etc /var /usr/local /tmp /run /root /home 2>/dev/null`);
            assert.equal(grep.stdout.trim(), "", `not in any file on the host: ${grep.stdout}`);
        }
        assert.match(
            hostRun(lb.name, "grep -h 'user dpadmin password' /etc/haproxy/haproxy.cfg"),
            /password \$6\$[./0-9A-Za-z]{16}\$/,
            "the host has only the SHA-512 crypt hash",
        );
        assert.ok(runningServers(lb).has("web3"), "the rotation kept the API's changes");
        assertNotRestarted("after the rotation");
    });

    it("5b. a new version of the API: the binary and the API's restart, HAProxy untouched", async () => {
        const upgrade = { version: tools.dpapi.version, sha256: tools.dpapi.sha256 };
        assert.notEqual(upgrade.version, tools.dpapi.previous.version);
        await setConfig(stack, { dataplaneapiVersion: { value: upgrade.version }, dataplaneapiSha256: { value: upgrade.sha256 } });
        const events: EngineEvent[] = [];
        const { result } = await step(
            `5b. up with dataplaneapiVersion ${upgrade.version}`,
            [lb],
            () => stack.up({ onOutput: capture, onEvent: (e) => events.push(e), color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(stepsByOp(events), { update: steps("binary-install", "service-start") }, "the binary and the start step, in place");
        assert.equal(result.outputs.dataplane.value[lb.name].version, upgrade.version);
        assert.ok(mirror.requests.includes(`/v${upgrade.version}/dataplaneapi_${upgrade.version}_linux_x86_64.tar.gz`));
        const info = await client.get("/info");
        assert.match(info.body.api.version, new RegExp(`^v${upgrade.version.replace(/\./g, "\\.")} `));
        assert.ok(runningServers(lb).has("web3"), "the API's changes are still live");
        assertNotRestarted("after the API's upgrade");
    });

    it("5c. a userlist rename: the API is stopped before the old userlist goes and starts with the new one", async () => {
        await setConfig(stack, { haproxyUserlist: { value: "dpapi_users" } });
        const events: EngineEvent[] = [];
        await step(
            "5c. up with a renamed userlist",
            [lb],
            () => stack.up({ onOutput: capture, onEvent: (e) => events.push(e), color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(
            stepsByOp(events),
            { update: steps("config-yaml", "haproxy-cfg", "preflight-check", "service-start") },
            "the preflight, the YAML, the haproxy.cfg edit and the start step, in place",
        );
        const cfg = hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg");
        assert.match(cfg, /^userlist dpapi_users$/m);
        assert.doesNotMatch(cfg, /^userlist controller/m);
        await eventually("the user to be accepted from the renamed userlist", async () => (await client.get("/info")).status === 200, 30);
        await client.setWeight(130);
        await eventually("an API change after the rename to reach HAProxy", () => runningServers(lb).get("web1") === "130", 60);
        assertNotRestarted("after the userlist rename");
    });

    it("6. after a reboot HAProxy and the API come back by themselves, and API changes still reach HAProxy", async () => {
        await timed("6. reboot", [lb], async () => hostReboot(lb.name), { load: false });
        master = masterIdentity(lb);
        await eventually("the API to answer after the reboot", async () => (await client.get("/info")).status === 200, 90);
        assert.equal(hostRun(lb.name, "systemctl is-active haproxy.service dataplaneapi.service").trim(), "active\nactive");
        assert.match(haproxyAdmin(lb.name, "show info"), /^Name: HAProxy$/m, "the admin socket is still open to group haproxy");
        assert.equal(hostRun(lb.name, "stat -c '%U:%G %a' /tmp/spoe-haproxy").trim(), "haproxy:haproxy 750", "tmpfiles.d brought /tmp/spoe-haproxy back");
        assert.equal(hostRun(lb.name, "stat -c '%U:%G %a' /run/haproxy-dataplane/reload.sock").trim(), "root:haproxy 660", "the reload service listens again");
        assert.equal((await httpGet(`http://${lb.address}/`)).status, 200);
        await client.setWeight(120);
        await eventually("an API change after the reboot to reach HAProxy", () => runningServers(lb).get("web1") === "120", 60);
        const { ops, ssh } = await step(
            "6b. up after the reboot",
            [lb],
            () => stack.up({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(ops, {}, "nothing to do after a reboot");
        assert.equal(ssh, 0);
    });

    it("6c. transactions the API keeps: one outdated (committed after the version moved on), one left open", async () => {
        const stale = await client.startTransaction();
        await client.setWeight(130);
        const commit = await client.commitTransaction(stale);
        assert.equal(commit.status, 409, `a transaction older than the configuration is refused: ${JSON.stringify(commit.body)}`);
        const open = await client.startTransaction();
        const dir = "/etc/haproxy/transactions";
        // Each copy holds the API users' password hashes: destroy must not leave them (step 7's listing).
        hostRun(lb.name, `test -f ${dir}/outdated/haproxy.cfg.${stale} && test -f ${dir}/haproxy.cfg.${open}`);
    });

    it("7. destroy removes the service and its files, gives haproxy.cfg back apart from the API's changes, and HAProxy keeps serving", async () => {
        const deployed = await stateUrns(stack);
        const { result, ops } = await step(
            "7. destroy",
            [lb],
            () => stack.destroy({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(ops, { delete: deployed.length }, "it deleted everything in the stack, and did nothing else");
        assert.deepEqual(await stateUrns(stack), [], "nothing is left in the state");
        assert.notEqual(hostExec(lb.name, "systemctl cat dataplaneapi.service").code, 0, "the unit is gone");
        for (const f of [
            "/usr/local/bin/dataplaneapi",
            "/etc/systemd/system/dataplaneapi.service",
            "/etc/haproxy-dataplane/dataplaneapi.yaml",
            "/etc/systemd/system/haproxy-dataplane-reload.socket",
            "/etc/systemd/system/haproxy-dataplane-reload@.service",
            "/run/haproxy-dataplane",
            "/usr/local/lib/haproxy-dataplane/request-reload",
            "/usr/local/lib/haproxy-dataplane/reload-haproxy",
            "/var/lib/haproxy-dataplane-deploy",
            "/etc/tmpfiles.d/haproxy-dataplaneapi.conf",
        ]) {
            assert.notEqual(hostExec(lb.name, `test -e ${f}`).code, 0, `${f} is gone`);
        }
        const cfg = hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg");
        hostRun(lb.name, "haproxy -c -q -f /etc/haproxy/haproxy.cfg");
        assert.ok(!/^userlist (controller|dpapi_users)/m.test(cfg) && !/haproxy-dataplane-api/.test(cfg), "the program's sections are gone");
        assert.ok(!/^\s*master-worker/m.test(cfg), "master-worker is gone (the stock file did not have it)");
        assert.deepEqual(sectionLines(cfg, "global"), sectionLines(originalCfg, "global"), "global is as it was");
        assert.deepEqual(sectionLines(cfg, "frontend web"), sectionLines(originalCfg, "frontend web"));
        assert.match(cfg, new RegExp(`server ${GUIDE_SERVER.name} 127\\.0\\.0\\.1:${GUIDE_SERVER.port}`), "what the API added stays");
        assert.equal(hostRun(lb.name, "stat -c '%U:%G %a' /etc/haproxy").trim(), "root:root 755", "/etc/haproxy has its mode back");
        assert.equal(hostRun(lb.name, "systemctl is-active haproxy.service").trim(), "active");
        assert.equal((await httpGet(`http://${lb.address}/`)).status, 200, "HAProxy is still serving");
        assert.ok(runningServers(lb).has(GUIDE_SERVER.name), "and still runs what the API configured");
        assertNotRestarted("after destroy (the same master since the reboot)");
        // Every path as before the first up (owner, mode, content), but for what
        // the API itself changed in haproxy.cfg: asserted above, and it stays.
        const now = hostListing(lb.name, TOUCHED);
        const left = listingChanges(pristine, now);
        console.log(`after destroy on ${release}, what differs from before the first up:\n${left.join("\n")}`);
        const withoutDigest = (entry: string | undefined) => entry?.split(" ").slice(0, 3).join(" ");
        assert.equal(withoutDigest(now.get(CFG)), withoutDigest(pristine.get(CFG)), `${CFG} has its owner and mode back`);
        assert.deepEqual(
            left.filter((l) => !l.startsWith(`${CFG}: `)),
            [],
            "destroy leaves every path it touched as it found it",
        );
    });
}

describe("two hosts in one stack, one of each release", () => {
    const hosts: TestHost[] = [];
    let mirror: Mirror;
    let stack: Stack;

    after(() => {
        mirror?.close();
        for (const h of hosts) hostDown(h.name);
    });

    it("8. deploy in parallel, each with its own certificate and its release's reload path; a no-op up; destroy", async () => {
        hosts.push(hostUp(`lb2-${run}`, ...LAB_HOSTS.scenarioTwoHosts[0]), hostUp(`lb3-${run}`, ...LAB_HOSTS.scenarioTwoHosts[1]));
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(hosts[0].outerAddress);
        stack = await newStack(`e2e2-${run}`, tools, path.join(stateDir, "two"), hostsConfig(hosts, baseUrl, tools, password1));
        const { result, ops } = await step(
            "8. up on two hosts",
            hosts,
            () => stack.up({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(ops, { create: (await stateUrns(stack)).length }, "it created everything in the stack, and did nothing else");
        const fingerprints = new Set<string>();
        for (const h of hosts) {
            const out = result.outputs.dataplane.value[h.name];
            const info = await api(`${out.apiUrl}/info`, out.caCertificate, { auth: `dpadmin:${password1}` });
            assert.equal(info.status, 200, `${h.name} answers`);
            fingerprints.add(await peerFingerprint(h.address, out.caCertificate));
            assert.match(out.haproxy, RELOAD_PATH[h.release], `${h.name} (${h.release}) is configured for its own HAProxy`);
            const other = result.outputs.dataplane.value[hosts.find((o) => o !== h)!.name].caCertificate;
            await assert.rejects(api(`${out.apiUrl}/info`, other), "one host's CA does not vouch for the other");
        }
        assert.equal(fingerprints.size, 2, "each host has its own certificate");

        const again = await step(
            "8b. second up on two hosts",
            hosts,
            () => stack.up({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(again.ops, {});
        assert.equal(again.ssh, 0);

        // A host removed, then added back: only its steps run, and the other host serves throughout.
        const masters = hosts.map(masterIdentity);
        const both = await stateUrns(stack);
        await setConfig(stack, hostsConfig(hosts.slice(0, 1), baseUrl, tools, password1));
        const removed = await step(
            "8c. the second host removed",
            hosts,
            () => stack.up({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(removed.ops, { delete: hostUrns(both, hosts[1].name).length }, "only the removed host's steps, each deleted");
        assert.deepEqual(
            await stateUrns(stack),
            both.filter((u) => !hostUrns(both, hosts[1].name).includes(u)),
            "the other host's steps are all still there",
        );
        assert.notEqual(hostExec(hosts[1].name, "systemctl cat dataplaneapi.service").code, 0, "the removed host's service is gone");
        await setConfig(stack, hostsConfig(hosts, baseUrl, tools, password1));
        const added = await step(
            "8d. the second host added back",
            hosts,
            () => stack.up({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(added.ops, { create: hostUrns(await stateUrns(stack), hosts[1].name).length }, "only the added host's steps, each created");
        assert.equal(hostRun(hosts[1].name, "systemctl is-active dataplaneapi.service").trim(), "active");
        assert.deepEqual(hosts.map(masterIdentity), masters, "neither host's HAProxy was restarted");

        const before = await stateUrns(stack);
        const destroyed = await step(
            "8e. destroy two hosts",
            hosts,
            () => stack.destroy({ onOutput: capture, color: "never" }),
            (r) => r.summary.resourceChanges,
        );
        assert.deepEqual(destroyed.ops, { delete: before.length }, "it deleted everything in the stack, and did nothing else");
        for (const h of hosts) assert.equal((await httpGet(`http://${h.address}/`)).status, 200, `${h.name} still serves`);
    });
});

function peerFingerprint(host: string, ca: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const s = tls.connect({ host, port: 5555, ca }, () => {
            resolve(s.getPeerCertificate().fingerprint256);
            s.end();
        });
        s.on("error", reject);
    });
}
