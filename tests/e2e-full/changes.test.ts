/**
 * Every kind of change a user makes to a running deployment, through the real
 * engine, on a real host: what the engine plans and does (its counts, by
 * resource), and what happens on the host. The table "What each change
 * does" in docs/operations.md is what this file checks.
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    api,
    buildTools,
    type ConfigValue,
    describeTools,
    eventually,
    haproxyMasterPid,
    hostDown,
    hostExec,
    hostRun,
    hostsConfig,
    hostUp,
    httpGet,
    Mirror,
    newStack,
    stateUrns,
    hostUrns,
    commandNames,
    changeCounts,
    stepsByOp,
    setConfig,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { LAB_HOSTS } from "../../lab/hosts";
import { assertServed, underLoad } from "../../lab/load";

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-changes-"));
const password = `pw-${randomBytes(12).toString("hex")}`;
const rows: string[] = [];

let tools: Tools;
let mirror: Mirror;
let lb: TestHost;
let stack: Stack;
let config: Record<string, ConfigValue>;
let ca: string;

/** The service's main PID: unchanged unless the service restarted. */
const apiPid = () => hostRun(lb.name, "systemctl show -p MainPID --value dataplaneapi.service").trim();

/**
 * Changes config, runs `up` with load on the frontends of `lb` and of `also`,
 * and returns what the engine did, per operation, with the resource names.
 * Every request during the `up` must be answered 2xx.
 */
async function change(
    label: string,
    values: Record<string, ConfigValue>,
    also: TestHost[] = [],
): Promise<{ ops: Record<string, number>; byOp: Record<string, string[]> }> {
    Object.assign(config, values);
    await setConfig(stack, values);
    const events: EngineEvent[] = [];
    const start = Date.now();
    const { result, reports } = await underLoad(
        [lb, ...also].map((h) => `http://${h.address}/`),
        () => stack.up({ color: "never", onEvent: (e) => events.push(e) }),
    );
    const served = assertServed(`"${label}"`, reports);
    // The first host's steps by their own names ("config-yaml"), as the assertions spell them.
    const byOp = Object.fromEntries(Object.entries(stepsByOp(events)).map(([op, names]) => [op, names.map((n) => n.replace(`${lb.name}-`, "")).sort()]));
    const ops = changeCounts(result.summary.resourceChanges);
    rows.push(`${((Date.now() - start) / 1000).toFixed(1).padStart(6)} s  ${label}: ${JSON.stringify(byOp)} (requests sent/failed ${served})`);
    return { ops, byOp };
}

async function answers(port: number, auth: string): Promise<number> {
    return (await api(`https://${lb.address}:${port}/v3/info`, ca, { auth })).status;
}

before(async () => {
    tools = buildTools();
    console.log(describeTools(tools));
    lb = hostUp(`chg-${run}`, ...LAB_HOSTS.changes[0]);
    mirror = new Mirror(tools.dpapi.mirrorDir);
    const baseUrl = await mirror.listen(lb.outerAddress);
    config = hostsConfig([lb], baseUrl, tools, password);
    stack = await newStack(`chg-${run}`, tools, stateDir, config);
    const result = await stack.up({ color: "never" });
    ca = result.outputs.dataplane.value[lb.name].caCertificate;
});

after(() => {
    mirror?.close();
    if (lb) hostDown(lb.name);
    rmSync(stateDir, { recursive: true, force: true });
    console.log(`changes (duration, what the engine did by resource):\n${rows.join("\n")}`);
});

describe("each change a user makes updates in place, as docs/operations.md says", () => {
    it("the API user's name: the hashed user file, the haproxy.cfg edit and the readiness check; no restart", async () => {
        const pid = apiPid();
        const { byOp } = await change("apiUsername", { apiUsername: { value: "ops", secret: true } });
        assert.deepEqual(byOp, { update: ["haproxy-cfg", "haproxy-credentials", "service-start"] });
        await eventually("the new user to be accepted", async () => (await answers(5555, `ops:${password}`)) === 200, 30);
        assert.equal(await answers(5555, `dpadmin:${password}`), 401, "the old user is gone");
        assert.equal(apiPid(), pid, "the API re-read its users without a restart");
    });

    it("the API port: the YAML, the backend in haproxy.cfg and the start step; the API restarts on the new port", async () => {
        const { byOp } = await change("apiPort", { apiPort: { value: 5556 } });
        assert.deepEqual(byOp, { update: ["config-yaml", "haproxy-cfg", "service-start"] });
        assert.equal(await answers(5556, `ops:${password}`), 200);
        await assert.rejects(answers(5555, `ops:${password}`), "nothing listens on the old port");
        assert.match(hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg"), /server dataplane 127\.0\.0\.1:5556 /, "HAProxy's API backend follows");
    });

    it("an extra directory: created for haproxy, writable in the unit's sandbox; the service restarts with the new unit", async () => {
        const dirs = [...(await stack.getConfig("haproxy-dataplane:directories").then((v) => JSON.parse(v.value) as string[])), "/srv/dpapi-extra"];
        const pid = apiPid();
        // A directory of the site's own: allowed once allowPathsUnder names its root.
        const { byOp } = await change("directories + /srv/dpapi-extra", { directories: { value: dirs }, allowPathsUnder: { value: ["/srv/dpapi-extra"] } });
        // The preflight runs again: the new directory must not be someone else's.
        assert.deepEqual(byOp, { update: ["dirs-create", "preflight-check", "service-start", "service-unit"] });
        assert.equal(hostRun(lb.name, "stat -c '%U:%G %a' /srv/dpapi-extra").trim(), "haproxy:haproxy 750");
        assert.match(hostRun(lb.name, "systemctl show -p ReadWritePaths --value dataplaneapi.service"), /\/srv\/dpapi-extra/);
        assert.notEqual(apiPid(), pid, "restarted: the unit changed");
    });

    it("the userlist's name: the YAML, the haproxy.cfg sections (the old userlist goes) and a restart; the user still works", async () => {
        const since = hostRun(lb.name, "date +%s").trim();
        const { byOp } = await change("haproxyUserlist", { haproxyUserlist: { value: "dpapi_users" } });
        // The preflight runs again: the new name must not be a userlist the user already has.
        assert.deepEqual(byOp, { update: ["config-yaml", "haproxy-cfg", "preflight-check", "service-start"] });
        const cfg = hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg");
        assert.match(cfg, /^userlist dpapi_users$/m);
        assert.ok(!/^userlist controller/m.test(cfg), "the old userlist is gone");
        await eventually("the user to be accepted", async () => (await answers(5556, `ops:${password}`)) === 200, 30);
        // An explicit restart of a running unit resets NRestarts, so the journal tells: a failed exit is logged as such.
        const exits = hostRun(
            lb.name,
            `journalctl --sync; journalctl -u dataplaneapi.service --since @${since} --no-pager -o cat | grep -c 'Main process exited' || true`,
        ).trim();
        assert.equal(exits, "0", "the API never exited on its own (it exits when its userlist disappears); it was only restarted");
    });

    it("a new checksum for the other architecture: the install step runs again, installs the same bytes, restarts nothing", async () => {
        const pid = apiPid();
        const sha = { ...(config.dataplaneapiSha256.value as Record<string, string>), arm64: "0".repeat(64) };
        const { byOp } = await change("dataplaneapiSha256.arm64", { dataplaneapiSha256: { value: sha } });
        assert.deepEqual(byOp, { update: ["binary-install"] }, "the start step's restart key is the installed binary's digest, which did not change");
        assert.equal(apiPid(), pid);
    });

    it("the connection (host key no longer pinned): every step runs again, changes nothing, restarts nothing", async () => {
        const master = haproxyMasterPid(lb.name);
        const pid = apiPid();
        const hosts = (config.hosts.value as Record<string, unknown>[]).map(({ hostKey: _unpinned, ...h }) => h);
        const { ops, byOp } = await change("hosts[0].hostKey removed", { hosts: { value: hosts } });
        assert.deepEqual(Object.keys(ops), ["update"], "updates in place only");
        assert.deepEqual(
            byOp.update,
            (await commandNames(stack)).map((n) => n.replace(`${lb.name}-`, "")).sort(),
            "every remote command, and nothing else, is updated",
        );
        assert.equal(haproxyMasterPid(lb.name), master, "HAProxy was not restarted");
        assert.equal(apiPid(), pid, "the API was not restarted");
        assert.equal(await answers(5556, `ops:${password}`), 200);
    });

    it("a host added, then removed: only that host's steps, and the removed host is cleaned up and keeps serving", async () => {
        const second = hostUp(`chg2-${run}`, ...LAB_HOSTS.changes[1]);
        try {
            const hosts = [
                ...(config.hosts.value as object[]),
                { name: second.name, address: second.address, port: second.port, user: second.user, hostKey: second.hostKey },
            ];
            const firstKeys = config.sshPrivateKeys.value as Record<string, string>;
            const keys = { ...firstKeys, [second.name]: readFileSync(second.privateKeyFile, "utf8") };
            const first = await stateUrns(stack);
            const added = await change("a host added", { hosts: { value: hosts }, sshPrivateKeys: { value: keys, secret: true } }, [second]);
            const withSecond = await stateUrns(stack);
            assert.deepEqual(added.ops, { create: hostUrns(withSecond, second.name).length }, "only the added host's steps, each created");
            assert.equal(hostRun(second.name, "systemctl is-active dataplaneapi.service").trim(), "active");

            const removed = await change("the host removed", { hosts: { value: hosts.slice(0, 1) }, sshPrivateKeys: { value: firstKeys, secret: true } }, [
                second,
            ]);
            assert.deepEqual(removed.ops, { delete: hostUrns(withSecond, second.name).length }, "only the removed host's steps, each deleted");
            assert.deepEqual(await stateUrns(stack), first, "the first host's steps are as they were");
            assert.notEqual(hostExec(second.name, "systemctl cat dataplaneapi.service").code, 0, "its service is gone");
            assert.equal((await httpGet(`http://${second.address}/`)).status, 200, "it keeps serving");
            assert.equal(await answers(5556, `ops:${password}`), 200, "the other host is untouched");
        } finally {
            hostDown(second.name);
        }
    });

    it("an uploaded archive: installed from the upload, and installed again after a connection change without a new upload", async () => {
        const archive = path.join(tools.dpapi.mirrorDir, "v3.2.1", "dataplaneapi_3.2.1_linux_x86_64.tar.gz");
        const uploaded = await change("dataplaneapiLocalArchive", {
            dataplaneapiLocalArchive: { value: archive },
            dataplaneapiArch: { value: "x86_64" },
        });
        assert.deepEqual(uploaded.byOp, { create: ["binary-upload"], update: ["binary-install"] });
        const requests = mirror.requests.length;
        const hosts = (config.hosts.value as Record<string, unknown>[]).map((h) => ({ ...h, hostKey: lb.hostKey }));
        const again = await change("hostKey pinned again, with the uploaded archive", { hosts: { value: hosts } });
        assert.ok(again.byOp.update?.includes("binary-install"), "the install step ran again");
        assert.equal(
            hostExec(lb.name, "ls /tmp/dataplaneapi-upload-*").code,
            2,
            "the upload was not copied again (a connection change copies nothing), and the first one was taken in",
        );
        assert.match(
            hostRun(lb.name, "ls /var/lib/haproxy-dataplane-deploy/archives"),
            /dataplaneapi_3\.2\.1_linux_x86_64\.tar\.gz/,
            "so the install ran from the copy it kept",
        );
        assert.equal(mirror.requests.length, requests, "nothing was downloaded");
        assert.equal(
            hostRun(lb.name, "/usr/local/bin/dataplaneapi --version 2>/dev/null | head -n 1").trim().split(" ").slice(0, 5).join(" "),
            "HAProxy Data Plane API v3.2.1",
        );
    });

    it("destroy after all that: the extra directory is gone, HAProxy serves", async () => {
        const deployed = await stateUrns(stack);
        const result = await stack.destroy({ color: "never" });
        assert.deepEqual(changeCounts(result.summary.resourceChanges), { delete: deployed.length }, "everything in the stack, the upload step with it");
        assert.notEqual(hostExec(lb.name, "test -e /srv/dpapi-extra").code, 0);
        assert.equal((await httpGet(`http://${lb.address}/`)).status, 200);
    });
});
