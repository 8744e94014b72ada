/**
 * A rolling change across three real hosts of mixed releases, driven by the
 * real engine (issue 17, item 1): with rolloutBatchSize 1, a setting that
 * breaks the second host stops the rollout there, the third host is not
 * touched (no SSH session, its files, API and HAProxy as they were), and the
 * next `up` after the fix finishes the rollout. Every host's frontend is under
 * load throughout, and no request may fail.
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    api,
    buildTools,
    commandEventOrder,
    describeTools,
    eventually,
    haproxyMasterIdentity,
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
    changeCounts,
    setConfig,
    sshLogins,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { LAB_HOSTS } from "../../lab/hosts";
import { assertServed, describeLoad, underLoad } from "../../lab/load";

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-rolling-"));
const password = `pw-${randomBytes(12).toString("hex")}`;
/** The hosts, in rollout order: index and release. */
const HOSTS = LAB_HOSTS.rolling;
const NEW_PORT = 5556;

/** What must not change on a host that the rollout has not reached: its API's files and process, and HAProxy's master. */
function untouched(h: TestHost): string {
    return [
        hostRun(h.name, "sha256sum /etc/haproxy-dataplane/dataplaneapi.yaml /etc/haproxy/haproxy.cfg /etc/systemd/system/dataplaneapi.service"),
        hostRun(h.name, "systemctl show -p MainPID -p ExecMainStartTimestamp dataplaneapi.service"),
        haproxyMasterIdentity(h.name),
    ].join("\n");
}

describe("a rolling change across three hosts, one at a time", () => {
    let tools: Tools;
    let mirror: Mirror;
    let stack: Stack;
    const hosts: TestHost[] = [];
    let config: ReturnType<typeof hostsConfig>;
    let masters: string[] = [];
    const logins = () => hosts.map((h) => sshLogins(h.name));

    /** Runs fn with every host's frontend under load; fails if any request failed. */
    async function loaded<T>(label: string, fn: () => Promise<T>): Promise<T> {
        const { result, reports } = await underLoad(
            hosts.map((h) => `http://${h.address}/`),
            fn,
        );
        for (const r of reports) console.log(`step "${label}": ${describeLoad(r)}`);
        assertServed(`"${label}"`, reports);
        return result;
    }

    before(async () => {
        tools = buildTools();
        console.log(describeTools(tools));
        for (const [i, [index, release]] of HOSTS.entries()) hosts.push(hostUp(`roll${i + 1}-${run}`, index, release));
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(hosts[0].outerAddress);
        config = {
            ...hostsConfig(hosts, baseUrl, tools, password),
            rolloutBatchSize: { value: 1 },
            rolloutCheckUrl: { value: "http://{address}/" },
            rolloutHealthySeconds: { value: 3 },
        };
        stack = await newStack(`rolling-${run}`, tools, stateDir, config);
        masters = hosts.map((h) => haproxyMasterIdentity(h.name));
    });

    after(() => {
        mirror?.close();
        for (const h of hosts) hostDown(h.name);
    });

    it("the preview says the order; the first up deploys the hosts one after the other, each after the gate of the one before", async () => {
        let previewOut = "";
        await stack.preview({ onOutput: (s) => (previewOut += s), color: "never" });
        const [a, b, c] = hosts.map((h) => h.name);
        assert.ok(
            previewOut.includes(
                `rollout order: rolling, one host at a time: ${a}, then ${b}, then ${c}; each batch waits for the one before it to pass its health gate`,
            ),
            previewOut,
        );
        // preview --diff does not print the engine's info lines; each gate's first line says what waits for it.
        let diffOut = "";
        await stack.preview({ diff: true, onOutput: (s) => (diffOut += s), color: "never" });
        assert.match(
            diffOut,
            new RegExp(
                `# health gate: ${b} before ${c}: passes when GET https://${b}:5555/v3/health says haproxy up and http://${hosts[1].address.replaceAll(".", "\\.")}/`,
            ),
        );
        assert.match(diffOut, new RegExp(`# health gate: ${c} \\(last\\): passes when `));

        const events: EngineEvent[] = [];
        const result = await loaded("first up", () => stack.up({ onEvent: (e) => events.push(e), color: "never" }));
        assert.equal(result.summary.result, "succeeded");
        const deployed = await stateUrns(stack);
        assert.deepEqual(changeCounts(result.summary.resourceChanges), { create: deployed.length }, "it created everything in the stack, and did nothing else");
        for (const h of hosts)
            assert.ok(
                hostUrns(deployed, h.name).some((u) => u.endsWith(`::${h.name}-gate-check`)),
                `${h.name} has its health gate`,
            );
        const order = commandEventOrder(events);
        for (let i = 1; i < hosts.length; i++) {
            const gateDone = order.indexOf(`done ${hosts[i - 1].name}-gate-check`);
            const nextStarts = order.findIndex((o) => o.startsWith(`pre ${hosts[i].name}-`));
            assert.ok(
                gateDone >= 0 && nextStarts > gateDone,
                `${hosts[i].name}'s first step (at ${nextStarts}) starts after ${hosts[i - 1].name}'s gate passed (at ${gateDone})`,
            );
        }
        for (const h of hosts) assert.match(result.stdout, new RegExp(`${h.name} is healthy: every check passed for 3 s`));
        assert.deepEqual(
            hosts.map((h) => haproxyMasterIdentity(h.name)),
            masters,
            "no HAProxy was restarted",
        );
    });

    it("a setting that breaks the second host stops the rollout there: the third host is not touched", async () => {
        // The second host's new API port is taken, so its API cannot start there.
        hostRun(hosts[1].name, `systemd-run --quiet --unit=port-blocker socat TCP-LISTEN:${NEW_PORT},reuseaddr,fork SYSTEM:true`);
        await eventually(
            `port ${NEW_PORT} is taken on ${hosts[1].name}`,
            () => hostExec(hosts[1].name, `ss -Hltn 'sport = :${NEW_PORT}' | grep -q .`).code === 0,
        );
        const third = untouched(hosts[2]);
        const before = logins();
        await setConfig(stack, { apiPort: { value: NEW_PORT } });

        const failure = await loaded("a change that breaks the second host", () =>
            stack.up({ color: "never" }).then(
                () => undefined,
                (e: unknown) => e as Error,
            ),
        );
        assert.ok(failure, "the up fails");
        assert.match(failure.message, new RegExp(`${hosts[1].name}-service-start`), "the error names the second host's step that failed");
        assert.match(failure.message, /does not answer GET|exited \d+ times/, "and what failed");

        const out = (await stack.outputs()).dataplane?.value;
        const first = await api(`https://${hosts[0].address}:${NEW_PORT}/v3/info`, out[hosts[0].name].caCertificate, { auth: `dpadmin:${password}` });
        assert.equal(first.status, 200, "the first host runs the change");
        const after = logins();
        assert.equal(after[2] - before[2], 0, "no SSH session reached the third host");
        assert.equal(untouched(hosts[2]), third, "the third host's files, API process and HAProxy are as they were");
        assert.equal((await httpGet(`http://${hosts[1].address}/`)).status, 200, "the broken host's HAProxy still serves");
    });

    it("after the fix, one up finishes the rollout; then an up with nothing changed opens no SSH session", async () => {
        hostRun(hosts[1].name, "systemctl stop port-blocker.service");
        const before = logins();
        const result = await loaded("the up after the fix", () => stack.up({ color: "never" }));
        assert.equal(result.summary.result, "succeeded");
        const after = logins();
        assert.ok(after[1] > before[1] && after[2] > before[2], "the second and third hosts were changed");
        assert.equal(after[0], before[0], "the first host, already changed and healthy, gets no SSH session");
        for (const h of hosts) {
            const info = await api(`https://${h.address}:${NEW_PORT}/v3/info`, result.outputs.dataplane.value[h.name].caCertificate, {
                auth: `dpadmin:${password}`,
            });
            assert.equal(info.status, 200, `${h.name} runs the change`);
        }
        assert.deepEqual(
            hosts.map((h) => haproxyMasterIdentity(h.name)),
            masters,
            "no HAProxy was restarted",
        );

        const quiet = logins();
        const again = await stack.up({ color: "never" });
        assert.deepEqual(Object.fromEntries(Object.entries(again.summary.resourceChanges ?? {}).filter(([op]) => op !== "same")), {}, "nothing changes");
        assert.deepEqual(logins(), quiet, "and no host gets an SSH session");
    });

    it("destroy takes the hosts down in reverse order and leaves every host serving", async () => {
        const events: EngineEvent[] = [];
        const deployed = await stateUrns(stack);
        const result = await loaded("destroy", () => stack.destroy({ onEvent: (e) => events.push(e), color: "never" }));
        assert.deepEqual(changeCounts(result.summary.resourceChanges), { delete: deployed.length }, "it deleted everything in the stack, and did nothing else");
        const order = commandEventOrder(events);
        const steps = (h: TestHost) => order.map((o, i) => [o, i] as const).filter(([o]) => o.startsWith(`done ${h.name}-`) || o.startsWith(`pre ${h.name}-`));
        for (let i = 1; i < hosts.length; i++) {
            const laterLast = Math.max(...steps(hosts[i]).map(([, n]) => n));
            const earlierFirst = Math.min(...steps(hosts[i - 1]).map(([, n]) => n));
            assert.ok(earlierFirst > laterLast, `${hosts[i - 1].name} is taken down (from ${earlierFirst}) after ${hosts[i].name} (until ${laterLast})`);
        }
        for (const h of hosts) assert.equal((await httpGet(`http://${h.address}/`)).status, 200, `${h.name} still serves`);
    });
});
