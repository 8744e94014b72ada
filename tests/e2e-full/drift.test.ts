/**
 * Drift, found and repaired (issue 17, item 2), on a real host deployed by the
 * real engine: `scripts/drift` reports hand edits to the API's unit, its YAML,
 * the userlist, a directory's owner and the reload helper, masks the password
 * hashes, and changes nothing; a change made through the API is not drift;
 * `--repair` puts back exactly the drifted pieces (the API restarts only when
 * its own files drifted; HAProxy is reloaded, never restarted) with the
 * frontend under load; and the next `up` has nothing to do.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
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
    hostListing,
    hostRun,
    hostsConfig,
    hostUp,
    listingChanges,
    Mirror,
    newStack,
    REPO,
    sshLogins,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { onlyHost } from "../../lab/hosts";

const DRIFT_HOST = onlyHost("drift");
import { assertServed, describeLoad, underLoad } from "../../lab/load";
import { engineEnv } from "../../lab/workspace";

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-drift-"));
const password = `pw-${randomBytes(12).toString("hex")}`;
const stackName = `drift-${run}`;
/** Everything a hand edit here touches, and what a repair must leave alone. */
const ROOTS = ["/etc/haproxy", "/etc/haproxy-dataplane", "/etc/systemd/system", "/usr/local/bin", "/usr/local/lib", "/var/lib/haproxy-dataplane-deploy"];
const HAND_HASH = "$6$handedit$0123456789abcdef";

describe("drift: hand edits found, reported and repaired", () => {
    let tools: Tools;
    let mirror: Mirror;
    let stack: Stack;
    let lb: TestHost;
    let apiUrl = "";
    let ca = "";
    const auth = `dpadmin:${password}`;
    const apiPid = () => hostRun(lb.name, "systemctl show -p MainPID --value dataplaneapi.service").trim();

    /** scripts/drift as a user runs it on this stack: its config through the same engine, backend and passphrase. */
    async function drift(...args: string[]): Promise<{ code: number; out: string }> {
        const child = spawn(path.join(REPO, "scripts", "drift"), ["--stack", stackName, "--cwd", path.join(stateDir, "workspace"), ...args], {
            env: { ...process.env, ...engineEnv(tools.binDir, stateDir) },
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        const code = await new Promise<number>((resolve) => child.once("close", (c) => resolve(c ?? -1)));
        console.log(`scripts/drift ${args.join(" ")} (exit ${code}):\n${out}`);
        return { code, out };
    }

    /** Waits until the API has no reload pending, so that nothing else writes on the host. */
    async function settled(): Promise<void> {
        await eventually(
            "the API's reloads to finish",
            async () => {
                const r = await api(`${apiUrl}/services/haproxy/reloads`, ca, { auth });
                return r.status === 200 && Array.isArray(r.body) && r.body.every((x: { status: string }) => x.status !== "in_progress");
            },
            60,
        );
    }

    before(async () => {
        tools = buildTools();
        console.log(describeTools(tools));
        lb = hostUp(`drift-${run}`, DRIFT_HOST.index, DRIFT_HOST.release);
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(lb.outerAddress);
        stack = await newStack(stackName, tools, stateDir, hostsConfig([lb], baseUrl, tools, password));
        const result = await stack.up({ color: "never" });
        const out = result.outputs.dataplane.value[lb.name];
        apiUrl = out.apiUrl;
        ca = out.caCertificate;
    });

    after(() => {
        mirror?.close();
        if (lb) hostDown(lb.name);
    });

    it("after an up there is no drift, a change made through the API is none either, and the check changes nothing", async () => {
        const first = await drift();
        assert.equal(first.code, 0);
        assert.ok(first.out.split("\n").includes(`${lb.name} (${lb.user}@${lb.address}:22): no drift`), "the report names the host and says no drift");
        // The API adds a server (runtime, then haproxy.cfg) and changes a backend (a reload): it rewrites the whole file in its own format.
        const version = async () => (await api(`${apiUrl}/services/haproxy/configuration/version`, ca, { auth })).body;
        const added = await api(`${apiUrl}/services/haproxy/configuration/backends/web/servers?version=${await version()}`, ca, {
            method: "POST",
            auth,
            body: { name: "drift-api-server", address: "127.0.0.1", port: 8084 },
        });
        assert.equal(added.status, 201, JSON.stringify(added.body));
        const backend = await api(`${apiUrl}/services/haproxy/configuration/backends/web`, ca, { auth });
        const changed = await api(`${apiUrl}/services/haproxy/configuration/backends/web?version=${await version()}`, ca, {
            method: "PUT",
            auth,
            body: { ...backend.body, adv_check: "httpchk", httpchk_params: { method: "GET", uri: "/" } },
        });
        assert.ok([200, 202].includes(changed.status), JSON.stringify(changed.body));
        await settled();
        assert.match(hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg"), /server drift-api-server 127\.0\.0\.1:8084/);
        const before = hostListing(lb.name, ROOTS);
        const check = await drift();
        assert.equal(check.code, 0);
        assert.match(check.out, /: no drift$/m);
        assert.deepEqual(listingChanges(before, hostListing(lb.name, ROOTS)), [], "the check wrote nothing");
    });

    it("hand edits to the unit, the API's YAML, the userlist, a directory's owner and the reload helper are each reported, hashes masked, and nothing is changed", async () => {
        hostRun(
            lb.name,
            [
                "echo 'Environment=HAND_EDIT=1' >> /etc/systemd/system/dataplaneapi.service",
                "sed -i 's/reload_delay: [0-9]*/reload_delay: 30/' /etc/haproxy-dataplane/dataplaneapi.yaml",
                `sed -i 's/^\\([[:space:]]*user dpadmin password \\).*/\\1${HAND_HASH.replaceAll("$", "\\$")}/' /etc/haproxy/haproxy.cfg`,
                "chown root:root /etc/haproxy/maps",
                "echo '# hand edit' >> /usr/local/lib/haproxy-dataplane/reload-haproxy",
            ].join(" && "),
        );
        assert.match(hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg"), new RegExp(HAND_HASH.replaceAll("$", "\\$")), "the userlist edit took");
        const before = hostListing(lb.name, ROOTS);
        const check = await drift();
        assert.equal(check.code, 2, "exit 2: drift found");
        for (const line of [
            `${lb.name} (${lb.user}@${lb.address}:22): 5 pieces differ from what the stack deployed`,
            "  ~ /etc/systemd/system/dataplaneapi.service: content differs",
            "      +Environment=HAND_EDIT=1",
            "  ~ /etc/haproxy-dataplane/dataplaneapi.yaml: settings differ",
            "      haproxy.reload.reload_delay: 30 (deployed 5)",
            "  ~ /usr/local/lib/haproxy-dataplane/reload-haproxy: content differs",
            "      +# hand edit",
            "  ~ /etc/haproxy/maps: owner root:root, deployed haproxy:haproxy",
            "  ~ haproxy.cfg: the sections and global lines the deployment owns differ from its last edit (user lines masked)",
            "  repair: `--repair` puts back 5 of them and restarts dataplaneapi.service (its own files drifted)",
        ]) {
            assert.ok(check.out.split("\n").includes(line), `the report has the line ${JSON.stringify(line)}`);
        }
        assert.match(check.out, /^ {6}[-+] *user <masked>$/m);
        const deployedHash = hostRun(lb.name, "awk '{ print $4 }' /var/lib/haproxy-dataplane-deploy/userlist-users").trim();
        assert.match(deployedHash, /^\$6\$/);
        for (const secret of [HAND_HASH, deployedHash, password, "dpadmin"])
            assert.ok(!check.out.includes(secret), "no hash, password or user name in the report");
        assert.deepEqual(listingChanges(before, hostListing(lb.name, ROOTS)), [], "the check wrote nothing");
    });

    it("--repair puts them back under load: the API restarts (its unit and YAML drifted), HAProxy is reloaded, never restarted, and no request fails", async () => {
        const master = haproxyMasterIdentity(lb.name);
        const pid = apiPid();
        const { result, reports } = await underLoad([`http://${lb.address}/`], async () => drift("--repair"));
        for (const r of reports) console.log(`drift repair: ${describeLoad(r)}`);
        assertServed("the drift repair", reports);
        assert.equal(result.code, 0, "exit 0: repaired");
        assert.match(result.out, new RegExp(`^${lb.name}: repaired; no drift remains$`, "m"));
        assert.match(result.out, /restarted dataplaneapi\.service: its own files were restored/);
        assert.notEqual(apiPid(), pid, "the API restarted");
        assert.equal(haproxyMasterIdentity(lb.name), master, "HAProxy's master is the same process");
        assert.doesNotMatch(hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg"), /handedit/);
        assert.equal(hostRun(lb.name, "stat -c %U:%G /etc/haproxy/maps").trim(), "haproxy:haproxy");
        await eventually("the API to answer with the deployed password", async () => (await api(`${apiUrl}/info`, ca, { auth })).status === 200, 60);
        assert.match(hostRun(lb.name, "cat /etc/haproxy/haproxy.cfg"), /server drift-api-server/, "the API's own change stays");
    });

    it("a repair of the reload helper and a directory alone restarts nothing and touches nothing else", async () => {
        await settled();
        hostRun(lb.name, "echo '# again' >> /usr/local/lib/haproxy-dataplane/reload-haproxy && chmod 0700 /etc/haproxy/ssl");
        const before = hostListing(lb.name, ROOTS);
        const master = haproxyMasterIdentity(lb.name);
        const pid = apiPid();
        const repair = await drift("--repair");
        assert.equal(repair.code, 0);
        assert.match(repair.out, /2 pieces differ/);
        assert.match(repair.out, /repair: `--repair` puts back 2 of them; nothing is restarted/);
        assert.equal(apiPid(), pid, "the API was not restarted");
        assert.equal(haproxyMasterIdentity(lb.name), master);
        assert.deepEqual(
            listingChanges(before, hostListing(lb.name, ROOTS)).map((c) => c.split(":")[0]),
            ["/etc/haproxy/ssl", "/usr/local/lib/haproxy-dataplane/reload-haproxy"],
            "only the two drifted pieces changed",
        );
    });

    it("the next up has nothing to do and opens no SSH session", async () => {
        const logins = sshLogins(lb.name);
        const result = await stack.up({ color: "never" });
        assert.deepEqual(changeCounts(result.summary.resourceChanges), {});
        assert.equal(sshLogins(lb.name), logins);
    });
});
