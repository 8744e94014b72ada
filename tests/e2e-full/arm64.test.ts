/**
 * The write-up's own hardware: an arm64 load balancer, a Raspberry Pi's
 * Debian 12, here an arm64 Debian 12 host that systemd-nspawn boots under
 * qemu-user emulation (lab/testhost.sh). The real engine and plugins run
 * the program into it as into any host: the host says it is aarch64, and the
 * program picks the arm64 release archive by itself.
 *
 * Alone, under load: a fresh `up`, the seed's three operations, a no-op `up`
 * (no SSH session), a password rotation and `destroy`, with no failed request
 * and HAProxy's master never restarted. Then a stack mixing it with an x86_64
 * host: each gets its own archive, checked against its own checksum, `up`
 * and `destroy`. Emulation is slow, so the load is lighter than the x86_64
 * scenario's, and the run prints each step's time on arm64 against the same
 * step on x86_64 (the mixed stack runs both side by side).
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { LAB_HOSTS } from "../../lab/hosts";
import { GUIDE_SERVER, seedOperations } from "../../lab/guide";
import {
    api,
    ARCHIVE_ARCH,
    buildTools,
    changeCounts,
    describeTools,
    eventually,
    haproxyAdmin,
    haproxyMasterIdentity,
    haproxyServers,
    hostDown,
    hostExec,
    hostRun,
    hostsConfig,
    hostUp,
    httpGet,
    Mirror,
    newStack,
    reloadOutcome,
    setConfig,
    stateUrns,
    stepsByOp,
    sshLogins,
    type TestHost,
    Timings,
    type Tools,
} from "../../lab/lab";
import { assertServed, describeLoad, underLoad } from "../../lab/load";

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-arm64-"));
const password1 = `pw1-${randomBytes(12).toString("hex")}`;
const password2 = `pw2-${randomBytes(12).toString("hex")}`;
const [PI, X86] = LAB_HOSTS.arm64;
/** The light load an emulated HAProxy takes beside the emulated steps, on two CPUs: new connections and keep-alive sessions per second. */
const LOAD = { newRate: 50, keepaliveRate: 10 };

let tools: Tools;
let pi: TestHost;
let x86: TestHost | undefined;
let mirror: Mirror;
let baseUrl: string;
const timings = new Timings();
/** Per host of the mixed stack, each command step's seconds in `up` and in `destroy` (see stepSeconds). */
const mixed: { up?: Map<string, Map<string, number>>; destroy?: Map<string, Map<string, number>> } = {};
let engineOutput = "";
const capture = (s: string) => {
    engineOutput += s;
};

/** Runs `fn` under load on each host's frontend (the application that served before the deployment); fails unless every request was answered 2xx. */
async function loaded<T>(label: string, hosts: TestHost[], fn: () => Promise<T>): Promise<T> {
    const { result, reports } = await underLoad(
        hosts.map((h) => `http://${h.address}/`),
        () => timings.time(label, fn),
        LOAD,
    );
    for (const r of reports) console.log(`step "${label}": ${describeLoad(r)}`);
    assertServed(`"${label}"`, reports);
    return result;
}

/** What a host's install step printed, as the stack's state has it. */
async function installOutput(stack: Stack, host: TestHost): Promise<string> {
    const { deployment } = await stack.exportStack();
    const install = deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`::${host.name}-binary-install`));
    assert.ok(install, `${host.name}'s install step is in the stack`);
    return String(install.outputs?.stdout ?? "");
}

/** The SHA-256 of the binary an architecture's archive in the lab's mirror holds (build-tools.sh writes it beside the archive). */
function archiveBinarySha256(arch: "x86_64" | "arm64"): string {
    const v = tools.dpapi.version;
    return readFileSync(path.join(tools.dpapi.mirrorDir, `v${v}`, `dataplaneapi_${v}_linux_${arch}.tar.gz.binary-sha256`), "utf8").trim();
}

/** The ELF machine of the installed binary, read from its header (e_machine): 0xb7 is AArch64, 0x3e is x86-64. */
function installedMachine(host: TestHost): string {
    return hostRun(host.name, "od -An -tx1 -j18 -N2 /usr/local/bin/dataplaneapi").trim();
}
const ELF_MACHINE = { arm64: "b7 00", x86_64: "3e 00" } as const;

const UNIT_FILE = "/etc/systemd/system/dataplaneapi.service";

/** The overall exposure `systemd-analyze security` gives the API's unit on a host, e.g. "1.4 OK". */
function securityScore(host: TestHost): string {
    const out = hostRun(host.name, "systemd-analyze security --no-pager dataplaneapi.service");
    const score = /Overall exposure level for dataplaneapi\.service: ([0-9.]+ [A-Z]+)/.exec(out)?.[1];
    assert.ok(score, `an overall exposure for the unit on ${host.name}:\n${out}`);
    return score;
}

/**
 * Asserts that the host's install step fetched, checked and installed its
 * own architecture's archive: the step's output names the archive and the
 * checksum it verified (the configured one for that architecture), and the
 * binary on the host is that archive's, built for that CPU.
 */
async function assertOwnArchive(stack: Stack, host: TestHost): Promise<void> {
    const arch = ARCHIVE_ARCH[host.arch];
    const v = tools.dpapi.version;
    const archive = `dataplaneapi_${v}_linux_${arch}.tar.gz`;
    const out = await installOutput(stack, host);
    console.log(`${host.name} (${host.arch}) install step:\n${out}`);
    assert.match(
        out,
        new RegExp(`^verified ${archive.replace(/\./g, "\\.")} \\(sha256 ${tools.dpapi.sha256[arch]}\\)$`, "m"),
        "the step checked its own archive against its own checksum",
    );
    assert.match(out, new RegExp(`^arch=${arch}$`, "m"));
    assert.ok(mirror.requests.includes(`/v${v}/${archive}`), `${archive} was downloaded from the mirror`);
    const binarySha = hostRun(host.name, "sha256sum /usr/local/bin/dataplaneapi").split(" ")[0];
    assert.equal(binarySha, archiveBinarySha256(arch), `the installed binary is the one ${archive} holds`);
    assert.match(out, new RegExp(`^binary_sha256=${binarySha}$`, "m"), "and the step reported it");
    assert.equal(installedMachine(host), ELF_MACHINE[arch], `the installed binary is built for ${arch}`);
}

/** The row of stepSeconds that holds a host's wall time: from its first step's start to its last step's end. */
const WALL = "(the host's wall time, first step's start to last step's end)";

/**
 * Each command step's seconds, by step name (the resource's name without the
 * host's prefix), per host, and the host's wall time (WALL): from the
 * engine's own events, the start of a step to its end. The engine stamps
 * events in whole seconds.
 */
function stepSeconds(events: EngineEvent[], hosts: TestHost[]): Map<string, Map<string, number>> {
    const started = new Map<string, number>();
    const span = new Map<string, [number, number]>();
    const out = new Map(hosts.map((h) => [h.name, new Map<string, number>()]));
    for (const e of events) {
        const pre = e.resourcePreEvent?.metadata;
        const done = e.resOutputsEvent?.metadata;
        const m = pre ?? done;
        if (m?.type !== "command:remote:Command" || m.op === "same") continue;
        const name = m.urn.split("::").pop()!;
        if (pre) started.set(name, e.timestamp);
        else {
            const host = hosts.find((h) => name.startsWith(`${h.name}-`));
            const start = started.get(name);
            if (host && start !== undefined) {
                out.get(host.name)!.set(name.slice(host.name.length + 1), e.timestamp - start);
                const [first, last] = span.get(host.name) ?? [start, e.timestamp];
                span.set(host.name, [Math.min(first, start), Math.max(last, e.timestamp)]);
            }
        }
    }
    for (const [host, [first, last]] of span) out.get(host)!.set(WALL, last - first);
    return out;
}

/** One line per step: its seconds on the arm64 host and on the x86_64 host, and the ratio; then the steps added up, and each host's wall time. */
function comparison(title: string, seconds: Map<string, Map<string, number>>, arm: TestHost, x86: TestHost): string {
    const a = seconds.get(arm.name)!;
    const x = seconds.get(x86.name)!;
    const steps = [...new Set([...a.keys(), ...x.keys()])].filter((s) => s !== WALL);
    const sum = (m: Map<string, number>) => steps.reduce((s, step) => s + (m.get(step) ?? 0), 0);
    const ratio = (p?: number, q?: number) => (p !== undefined && q ? `${(p / q).toFixed(1)}x` : "-");
    const line = (label: string, p?: number, q?: number) =>
        `${String(p ?? "-").padStart(6)} s ${String(q ?? "-").padStart(6)} s ${ratio(p, q).padStart(7)}  ${label}`;
    return [
        `${title} (engine events, whole seconds): arm64 (emulated), x86_64, ratio, step`,
        ...steps.map((s) => line(s, a.get(s), x.get(s))),
        line("(the steps' times added up; many run at once)", sum(a), sum(x)),
        line(WALL, a.get(WALL), x.get(WALL)),
    ].join("\n");
}

before(() => {
    tools = buildTools();
    console.log(describeTools(tools));
});

after(() => {
    mirror?.close();
    rmSync(stateDir, { recursive: true, force: true });
    console.log(`arm64 steps (seconds):\n${timings.report()}`);
    if (pi && x86) {
        if (mixed.up) console.log(comparison("the mixed stack's up, per step", mixed.up, pi, x86));
        if (mixed.destroy) console.log(comparison("the mixed stack's destroy, per step", mixed.destroy, pi, x86));
    }
    if (pi) hostDown(pi.name);
    if (x86) hostDown(x86.name);
});

describe("an arm64 host (a Raspberry Pi's Debian 12, under qemu-user emulation), alone, under load", () => {
    let stack: Stack;
    let apiUrl: string;
    let ca: string;
    let master: string;
    const assertNotRestarted = (when: string) =>
        assert.equal(haproxyMasterIdentity(pi.name), master, `HAProxy's master is the same process ${when}: never restarted`);

    before(async () => {
        pi = await timings.time("boot the arm64 host", async () => hostUp(`pi-${run}`, PI[0], PI[1], PI[2]));
        const machine = hostRun(pi.name, "uname -m").trim();
        console.log(`${pi.name}: uname -m: ${machine}; ${hostRun(pi.name, "haproxy -v | head -n 1").trim()}`);
        assert.equal(machine, "aarch64", "the host reports itself as arm64");
        mirror = new Mirror(tools.dpapi.mirrorDir);
        baseUrl = await mirror.listen(pi.outerAddress);
        master = haproxyMasterIdentity(pi.name);
        // Both architectures' checksums, as for any fleet: the host's own architecture picks one.
        stack = await newStack(`arm64-${run}`, tools, path.join(stateDir, "one"), hostsConfig([pi], baseUrl, tools, password1));
    });

    it("a fresh up installs the arm64 archive, checked against its checksum, and its hardened unit runs the API", async () => {
        const result = await loaded("fresh up", [pi], () => stack.up({ onOutput: capture, color: "never" }));
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(changeCounts(result.summary.resourceChanges), { create: (await stateUrns(stack)).length }, "creates only: everything in the state");
        await assertOwnArchive(stack, pi);
        assert.ok(!mirror.requests.some((r) => r.includes("x86_64")), "the x86_64 archive was not fetched");
        const out = result.outputs.dataplane.value[pi.name];
        apiUrl = out.apiUrl;
        ca = out.caCertificate;
        assert.equal(out.version, tools.dpapi.version, "the stack reports the version the arm64 binary reports");
        const info = await api(`${apiUrl}/info`, ca, { auth: `dpadmin:${password1}` });
        assert.equal(info.status, 200, JSON.stringify(info.body));
        assert.equal((await api(`${apiUrl}/info`, ca)).status, 401, "no credentials: 401");
        assert.equal(hostRun(pi.name, "systemctl is-active dataplaneapi.service").trim(), "active");
        // The program wrote its unit as on any host; the lab's emulation drop-in (lab/emulated) turns off what qemu-user cannot do.
        assert.match(hostRun(pi.name, `cat ${UNIT_FILE}`), /^PrivateIPC=true\nPrivateUsers=true$/m, "the unit asks for its own IPC and user namespaces");
        console.log(
            `${pi.name}: under emulation, with the lab's drop-in: ${hostRun(pi.name, "systemctl show -p PrivateIPC,PrivateUsers --value dataplaneapi.service").trim().replace(/\n/g, ", ")} (PrivateIPC, PrivateUsers)`,
        );
        console.log(`${pi.name}: systemd-analyze security dataplaneapi.service: ${securityScore(pi)}`);
        assertNotRestarted("after the fresh up");
    });

    it("the seed's three operations, as the sandbox prints them, reach the running HAProxy without a restart", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "guide-"));
        const target = { apiUrl, caFile: path.join(dir, "ca.pem"), user: "dpadmin", passwordFile: path.join(dir, "api-password") };
        writeFileSync(target.caFile, ca);
        writeFileSync(target.passwordFile, password1, { mode: 0o600 });
        const s = GUIDE_SERVER.name;
        const statLine = () =>
            haproxyAdmin(pi.name, "show stat")
                .split("\n")
                .find((l) => l.startsWith(`web,${s},`)) ?? "";
        try {
            await loaded("the seed's three operations", [pi], async () => {
                const r = spawnSync("bash", ["-euo", "pipefail", "-c", seedOperations(target)], { encoding: "utf8", timeout: 180_000 });
                assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
                const responses = r.stdout
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
                    `add through the runtime, weight through the runtime, health check by a reload:\n${r.stdout}`,
                );
                const reload = await reloadOutcome(apiUrl, ca, `dpadmin:${password1}`, responses[2].reloadId!, 180);
                assert.equal(reload.status, "succeeded", JSON.stringify(reload));
                await eventually(`${s}'s HTTP check to pass after the reload`, () => /,L7OK,/.test(statLine()), 90);
            });
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        const live = haproxyServers(pi.name, "web");
        assert.equal(live.get("web1")?.weight, 150);
        assert.equal(live.get(s)?.adminState, 0, `${s} serves: out of maintenance after the reload`);
        assert.equal(live.get(s)?.opState, 2, `${s} is UP`);
        assert.match(hostRun(pi.name, "cat /etc/haproxy/haproxy.cfg"), /^\s*option httpchk GET \/health$/m);
        assertNotRestarted("after the seed's operations");
    });

    it("a second up with the same config changes nothing and opens no SSH session", async () => {
        const before = sshLogins(pi.name);
        const result = await loaded("no-op up", [pi], () => stack.up({ onOutput: capture, color: "never" }));
        assert.deepEqual(changeCounts(result.summary.resourceChanges), {});
        assert.equal(sshLogins(pi.name) - before, 0, "no SSH session was opened");
    });

    it("rotating the password: the old one gets 401, the new one works, nothing else restarts", async () => {
        await setConfig(stack, { apiPassword: { value: password2, secret: true } });
        const events: EngineEvent[] = [];
        await loaded("password rotation", [pi], () => stack.up({ onOutput: capture, color: "never", onEvent: (e) => events.push(e) }));
        assert.deepEqual(
            stepsByOp(events),
            { update: [`${pi.name}-haproxy-cfg`, `${pi.name}-haproxy-credentials`, `${pi.name}-service-start`] },
            "updates in place only: the haproxy.cfg edit, the credentials and the start step",
        );
        await eventually("the new password to work", async () => (await api(`${apiUrl}/info`, ca, { auth: `dpadmin:${password2}` })).status === 200, 120);
        assert.equal((await api(`${apiUrl}/info`, ca, { auth: `dpadmin:${password1}` })).status, 401);
        for (const pw of [password1, password2]) assert.ok(!engineOutput.includes(pw), "no password in the engine's output");
        assert.ok(haproxyServers(pi.name, "web").has(GUIDE_SERVER.name), "the rotation kept the API's changes");
        assertNotRestarted("after the rotation");
    });

    it("destroy removes the API and leaves HAProxy serving what the API configured", async () => {
        const count = (await stateUrns(stack)).length;
        const result = await loaded("destroy", [pi], () => stack.destroy({ onOutput: capture, color: "never" }));
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(changeCounts(result.summary.resourceChanges), { delete: count }, "deletes only: everything in the state");
        assert.equal((await stateUrns(stack)).length, 0, "nothing is left in the state");
        assert.notEqual(hostExec(pi.name, "systemctl cat dataplaneapi.service").code, 0, "the unit is gone");
        assert.notEqual(hostExec(pi.name, "test -e /usr/local/bin/dataplaneapi").code, 0, "the binary is gone");
        hostRun(pi.name, "haproxy -c -q -f /etc/haproxy/haproxy.cfg");
        assert.equal(hostRun(pi.name, "systemctl is-active haproxy.service").trim(), "active");
        assert.equal((await httpGet(`http://${pi.address}/`)).status, 200, "HAProxy is still serving");
        assert.ok(haproxyServers(pi.name, "web").has(GUIDE_SERVER.name), "and still runs what the API configured");
        assertNotRestarted("after destroy");
    });
});

describe("a mixed stack: one x86_64 host and the arm64 host", () => {
    it("up gives each host its own architecture's archive, checked against its own checksum; destroy removes both", async () => {
        const amd = await timings.time("boot the x86_64 host", async () => hostUp(`x86-${run}`, X86[0], X86[1]));
        x86 = amd;
        assert.equal(hostRun(amd.name, "uname -m").trim(), "x86_64");
        assert.equal(hostRun(pi.name, "uname -m").trim(), "aarch64");
        const hosts = [amd, pi];
        const masters = hosts.map((h) => haproxyMasterIdentity(h.name));
        const stack = await newStack(`mixed-${run}`, tools, path.join(stateDir, "mixed"), hostsConfig(hosts, baseUrl, tools, password1));
        const upEvents: EngineEvent[] = [];
        const result = await loaded("mixed stack: up", hosts, () => stack.up({ onOutput: capture, color: "never", onEvent: (e) => upEvents.push(e) }));
        mixed.up = stepSeconds(upEvents, hosts);
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(changeCounts(result.summary.resourceChanges), { create: (await stateUrns(stack)).length }, "creates only: everything in the state");
        for (const h of hosts) {
            await assertOwnArchive(stack, h);
            const out = result.outputs.dataplane.value[h.name];
            const info = await api(`${out.apiUrl}/info`, out.caCertificate, { auth: `dpadmin:${password1}` });
            assert.equal(info.status, 200, `${h.name} (${h.arch}) answers: ${JSON.stringify(info.body)}`);
            console.log(`${h.name} (${h.arch}): systemd-analyze security dataplaneapi.service: ${securityScore(h)}`);
        }
        const units = hosts.map((h) => hostRun(h.name, `sha256sum ${UNIT_FILE}`).split(" ")[0]);
        assert.equal(units[0], units[1], "the program wrote the same unit on both architectures");

        const count = (await stateUrns(stack)).length;
        const destroyEvents: EngineEvent[] = [];
        const destroyed = await loaded("mixed stack: destroy", hosts, () =>
            stack.destroy({ onOutput: capture, color: "never", onEvent: (e) => destroyEvents.push(e) }),
        );
        mixed.destroy = stepSeconds(destroyEvents, hosts);
        assert.deepEqual(changeCounts(destroyed.summary.resourceChanges), { delete: count }, "deletes only: everything in the state");
        assert.equal((await stateUrns(stack)).length, 0, "nothing is left in the state");
        for (const h of hosts) {
            assert.notEqual(hostExec(h.name, "test -e /usr/local/bin/dataplaneapi").code, 0, `${h.name}: the binary is gone`);
            assert.equal((await httpGet(`http://${h.address}/`)).status, 200, `${h.name} still serves`);
        }
        assert.deepEqual(
            hosts.map((h) => haproxyMasterIdentity(h.name)),
            masters,
            "neither host's HAProxy was restarted",
        );
    });
});
