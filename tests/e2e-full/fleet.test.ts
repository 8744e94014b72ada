/**
 * Ten real hosts in one stack, both Debian releases, driven by the real engine
 * (issue 17, item 3): a fresh `up` deploys them all at once and every API
 * answers; an `up` with nothing changed changes nothing and opens no SSH
 * session on any of them; a rolling change two hosts at a time reaches every
 * host, each batch after the gates of the one before, with no HAProxy
 * restarted and no request lost on the loaded hosts. Timings are printed;
 * the benchmark (scripts/bench.sh) is where they are compared.
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
    haproxyMasterIdentity,
    hostDown,
    hostRun,
    hostsConfig,
    hostUp,
    Mirror,
    newStack,
    stateUrns,
    hostUrns,
    changeCounts,
    stepsByOp,
    setConfig,
    sshLogins,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { LAB_HOSTS } from "../../lab/hosts";
import { assertServed, describeLoad, underLoad } from "../../lab/load";

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-fleet-"));
const password = `pw-${randomBytes(12).toString("hex")}`;
/** Ten hosts, the releases alternating: index and release. */
const HOSTS = LAB_HOSTS.fleet;
const BATCH = 2;

describe("ten hosts in one stack, both releases", () => {
    let tools: Tools;
    let mirror: Mirror;
    let stack: Stack;
    const hosts: TestHost[] = [];
    let masters: string[] = [];
    let ca: Record<string, string> = {};
    const logins = () => hosts.map((h) => sshLogins(h.name));
    const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
        const start = Date.now();
        try {
            return await fn();
        } finally {
            console.log(`${label}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
        }
    };

    before(async () => {
        tools = buildTools();
        console.log(describeTools(tools));
        await timed("ten hosts booted", async () => {
            for (const [i, [index, release]] of HOSTS.entries()) hosts.push(hostUp(`fleet${i + 1}-${run}`, index, release));
        });
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(hosts[0].outerAddress);
        stack = await newStack(`fleet-${run}`, tools, stateDir, hostsConfig(hosts, baseUrl, tools, password));
        masters = hosts.map((h) => haproxyMasterIdentity(h.name));
    });

    after(() => {
        mirror?.close();
        for (const h of hosts) hostDown(h.name);
    });

    it("a fresh up deploys all ten at once, and every API answers", async () => {
        const result = await timed("fresh up, ten hosts", () => stack.up({ color: "never" }));
        assert.equal(result.summary.result, "succeeded");
        const deployed = await stateUrns(stack);
        assert.deepEqual(changeCounts(result.summary.resourceChanges), { create: deployed.length }, "it created everything in the stack, and did nothing else");
        for (const h of hosts) assert.ok(hostUrns(deployed, h.name).length > 0, `${h.name} has its steps`);
        const out = result.outputs.dataplane.value;
        ca = Object.fromEntries(hosts.map((h) => [h.name, out[h.name].caCertificate]));
        const infos = await Promise.all(hosts.map((h) => api(`https://${h.address}:5555/v3/info`, ca[h.name], { auth: `dpadmin:${password}` })));
        for (const [i, info] of infos.entries()) assert.equal(info.status, 200, `${hosts[i].name}'s API answers`);
        assert.deepEqual(
            hosts.map((h) => haproxyMasterIdentity(h.name)),
            masters,
            "no HAProxy was restarted",
        );
    });

    it("an up with nothing changed changes nothing and opens no SSH session on any host", async () => {
        const before = logins();
        const result = await timed("no-op up, ten hosts", () => stack.up({ color: "never" }));
        assert.deepEqual(changeCounts(result.summary.resourceChanges), {}, "nothing changes");
        assert.deepEqual(logins(), before, "no host got an SSH session");
    });

    it("a rolling change, two hosts at a time, reaches every host, each batch after the gates of the one before, losing no request", async () => {
        await setConfig(stack, { rolloutBatchSize: { value: BATCH }, rolloutHealthySeconds: { value: 2 }, haproxyReloadDelay: { value: 3 } });
        const events: EngineEvent[] = [];
        // Two loaded hosts, one per release, in the first and the last batch: ten loads would take the CPU the hosts need.
        const loaded = [hosts[0], hosts[hosts.length - 1]];
        const { result, reports } = await timed("rolling change, ten hosts", () =>
            underLoad(
                loaded.map((h) => `http://${h.address}/`),
                () => stack.up({ onEvent: (e) => events.push(e), color: "never" }),
            ),
        );
        for (const r of reports) console.log(`rolling change: ${describeLoad(r)}`);
        assertServed('"the rolling change"', reports);
        assert.equal(result.summary.result, "succeeded");
        // Per host: the API's YAML and the start step change, and a health gate and its component are created.
        const touched = stepsByOp(events);
        assert.deepEqual(Object.keys(touched).sort(), ["create", "update"], "nothing replaced or deleted");
        for (const h of hosts) {
            const of = (op: string) => touched[op].filter((n) => n.startsWith(`${h.name}-`)).map((n) => n.slice(h.name.length + 1));
            assert.deepEqual(of("update"), ["config-yaml", "service-start"], `${h.name}: its YAML and its start step are updated`);
            assert.deepEqual(of("create"), ["gate", "gate-check"], `${h.name}: its health gate is created`);
        }

        const order = commandEventOrder(events);
        for (let b = BATCH; b < hosts.length; b += BATCH) {
            const gatesDone = hosts.slice(b - BATCH, b).map((h) => order.indexOf(`done ${h.name}-gate-check`));
            const nextStarts = hosts.slice(b, b + BATCH).map((h) => order.findIndex((o) => o.startsWith(`pre ${h.name}-`)));
            assert.ok(
                gatesDone.every((g) => g >= 0) && Math.min(...nextStarts) > Math.max(...gatesDone),
                `batch ${b / BATCH + 1} starts (at ${nextStarts}) after batch ${b / BATCH}'s gates passed (at ${gatesDone})`,
            );
        }
        for (const h of hosts) {
            assert.match(hostRun(h.name, "cat /etc/haproxy-dataplane/dataplaneapi.yaml"), /reload_delay: 3\b/, `${h.name} runs the change`);
        }
        const infos = await Promise.all(hosts.map((h) => api(`https://${h.address}:5555/v3/info`, ca[h.name], { auth: `dpadmin:${password}` })));
        for (const [i, info] of infos.entries()) assert.equal(info.status, 200, `${hosts[i].name}'s API answers after its restart`);
        assert.deepEqual(
            hosts.map((h) => haproxyMasterIdentity(h.name)),
            masters,
            "no HAProxy was restarted",
        );
    });
});
