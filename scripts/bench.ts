/**
 * The benchmark: how long each engine operation takes on a host of each
 * Debian release, and how much memory the engine, the language host and the
 * program use meanwhile. It prints figures; it asserts nothing (the tests do).
 *
 * For each release (LB_RELEASE picks one; both by default), on a fresh host:
 * preview, a fresh up, a no-op up, a refresh, destroy; then the same on two
 * hosts of that release in one stack. Memory is the largest total resident
 * set size of this process's descendants (the `pulumi` CLI, its language
 * host, the program's node process and the plugins), sampled every 100 ms
 * from /proc: this process itself (the harness) is not counted.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
    buildTools,
    describeTools,
    hostDown,
    hostsConfig,
    hostUp,
    Mirror,
    newStack,
    RELEASES,
    type Release,
    releaseFromEnv,
    type TestHost,
    type Tools,
} from "../tests/e2e/lab";

/** Host indices of the benchmark (scripts/testhost.sh), apart from the tests' and the sandbox's. */
const INDICES = [5, 6, 7];

/** Total resident set size, in KiB, of the processes below `root` (not `root` itself). */
function descendantsRssKiB(root: number): number {
    const children = new Map<number, number[]>();
    const rss = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            // The command name (in parentheses) may hold spaces: the fields after it are fixed.
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            const pid = Number(entry);
            children.set(ppid, [...(children.get(ppid) ?? []), pid]);
            const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
            rss.set(pid, m ? Number(m[1]) : 0);
        } catch {
            // The process exited while being read.
        }
    }
    let total = 0;
    const stack = [...(children.get(root) ?? [])];
    while (stack.length > 0) {
        const pid = stack.pop()!;
        total += rss.get(pid) ?? 0;
        stack.push(...(children.get(pid) ?? []));
    }
    return total;
}

interface Figure {
    release: string;
    hosts: number;
    operation: string;
    seconds: number;
    peakMiB: number;
    changes: string;
}

/** Runs `op`, timing it and sampling the memory of this process's descendants. */
async function measure(op: () => Promise<Record<string, number> | undefined>): Promise<{ seconds: number; peakMiB: number; changes: string }> {
    let peak = 0;
    const timer = setInterval(() => {
        peak = Math.max(peak, descendantsRssKiB(process.pid));
    }, 100);
    const start = process.hrtime.bigint();
    try {
        const counts = (await op()) ?? {};
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const changes = Object.entries(counts)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ");
        return { seconds, peakMiB: peak / 1024, changes };
    } finally {
        clearInterval(timer);
    }
}

async function runOn(tools: Tools, release: Release, hosts: TestHost[], figures: Figure[], password: string): Promise<void> {
    const mirror = new Mirror(tools.dpapi.mirrorDir);
    const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-bench-"));
    try {
        const baseUrl = await mirror.listen(hosts[0].outerAddress);
        const stack: Stack = await newStack(`bench-${release}-${hosts.length}`, tools, stateDir, hostsConfig(hosts, baseUrl, tools, password));
        const record = async (operation: string, op: () => Promise<Record<string, number> | undefined>) => {
            const f = { release, hosts: hosts.length, operation, ...(await measure(op)) };
            figures.push(f);
            console.log(`${release}, ${hosts.length} host(s), ${operation}: ${f.seconds.toFixed(1)} s, peak ${f.peakMiB.toFixed(0)} MiB (${f.changes})`);
        };
        await record("preview", async () => (await stack.preview()).changeSummary as Record<string, number>);
        await record("up (fresh)", async () => (await stack.up()).summary.resourceChanges as Record<string, number>);
        await record("up (no change)", async () => (await stack.up()).summary.resourceChanges as Record<string, number>);
        await record("refresh", async () => (await stack.refresh()).summary.resourceChanges as Record<string, number>);
        await record("destroy", async () => (await stack.destroy()).summary.resourceChanges as Record<string, number>);
    } finally {
        mirror.close();
        rmSync(stateDir, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    const wanted = releaseFromEnv();
    const releases = RELEASES.filter((r) => !wanted || r === wanted);
    const tools = buildTools();
    console.log(describeTools(tools));
    const run = randomBytes(2).toString("hex");
    const password = randomBytes(18).toString("base64url");
    const figures: Figure[] = [];
    for (const release of releases) {
        // Fresh hosts for each stack, so that every first up starts from a host as the lab boots it.
        for (const count of [1, 2]) {
            const hosts: TestHost[] = [];
            try {
                for (let i = 0; i < count; i++) hosts.push(hostUp(`bench-${release}-${count}${i}-${run}`, INDICES[count - 1 + i], release));
                await runOn(tools, release, hosts, figures, password);
            } finally {
                for (const h of hosts) hostDown(h.name);
            }
        }
    }
    console.log("\nrelease   hosts  operation        seconds  peak MiB  engine changes");
    for (const f of figures) {
        console.log(
            `${f.release.padEnd(9)} ${String(f.hosts).padStart(5)}  ${f.operation.padEnd(15)} ${f.seconds.toFixed(1).padStart(8)} ${f.peakMiB.toFixed(0).padStart(9)}  ${f.changes}`,
        );
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
