/**
 * The benchmark: how long the engine's operations take on one, two and ten
 * hosts in one stack, against the engine's floor, and where the time goes.
 * It prints figures; it asserts nothing (the tests do).
 *
 * - The floor: the `up` of an empty program (lab/floor) with the same
 *   engine, language host, backend and plugins, the median of three.
 * - For 1, 2 and 10 fresh hosts (the releases alternate, bookworm first;
 *   LB_RELEASE=bookworm|trixie gives all hosts one release): a fresh `up`, a
 *   no-op `up`, a rolling change (rolloutBatchSize 1, health gates of 2 s, a
 *   new haproxyReloadDelay: every host's API restarts) and `destroy`.
 *
 * Each figure comes with its ratio to the floor and the peak resident memory
 * of this process's descendants (the `pulumi` CLI, its language host, the
 * program and the plugins), sampled every 100 ms from /proc; this process
 * itself (the harness) is not counted. "Where the time goes" splits each
 * operation: the engine's start-up before the first step, the critical path
 * of the longest host, how many commands ran at once (the engine runs at most
 * PULUMI_PARALLEL at a time, 4 per CPU by default), the mean command's
 * duration, the CPU time of the engine, the program and each plugin, and the
 * machine's idle share.
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { openStack } from "../lab/workspace";
import {
    buildTools,
    describeTools,
    hostDown,
    hostsConfig,
    hostUp,
    Mirror,
    newStack,
    REPO,
    releaseFromEnv,
    setConfig,
    type TestHost,
    type Tools,
} from "../lab/lab";
import { LAB_HOSTS } from "../lab/hosts";

/** How many hosts each stack has (the hosts are LAB_HOSTS.bench); BENCH_HOSTS="1,10" picks some counts. */
const HOST_COUNTS = (process.env.BENCH_HOSTS ?? "1,2,10").split(",").map(Number);
const CLOCK_TICK = 100; // USER_HZ on Linux

interface ProcSample {
    rssKiB: number;
    cpuTicks: number;
    role: string;
}

/** What a process is, from its command line, for the CPU split. */
function roleOf(cmdline: string): string {
    if (cmdline.includes("pulumi-resource-command")) return "command plugin";
    if (cmdline.includes("pulumi-resource-tls")) return "tls plugin";
    if (cmdline.includes("@pulumi/pulumi/cmd/run") || cmdline.includes("pulumi-language-nodejs")) return "language host and program";
    if (/(^|\/)pulumi(\0|$)/.test(cmdline) || cmdline.startsWith("pulumi\0")) return "engine";
    return "other";
}

/** Each process's role, read once (the sampler runs every 100 ms and should cost little itself). */
const roles = new Map<number, string>();

/** One process as /proc shows it: its parent, CPU ticks (its own, and its reaped children's), resident memory. */
interface ProcEntry {
    ppid: number;
    ownTicks: number;
    reapedTicks: number;
    rssKiB: number;
    nspawn: boolean;
}

/** Every process, read once from /proc, with each one's children. */
function procTable(): { procs: Map<number, ProcEntry>; children: Map<number, number[]> } {
    const procs = new Map<number, ProcEntry>();
    const children = new Map<number, number[]>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            // The command name (in parentheses) may hold spaces: the fields after it are fixed.
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            const pid = Number(entry);
            const ppid = Number(fields[1]);
            const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
            procs.set(pid, {
                ppid,
                ownTicks: Number(fields[11]) + Number(fields[12]),
                reapedTicks: Number(fields[13]) + Number(fields[14]),
                rssKiB: m ? Number(m[1]) : 0,
                nspawn: stat.includes("(systemd-nspawn)"),
            });
            children.set(ppid, [...(children.get(ppid) ?? []), pid]);
        } catch {
            // The process exited while being read.
        }
    }
    return { procs, children };
}

/** The processes below `root` in the table (not `root` itself). */
function below(children: Map<number, number[]>, root: number): number[] {
    const found: number[] = [];
    const stack = [...(children.get(root) ?? [])];
    while (stack.length > 0) {
        const pid = stack.pop()!;
        found.push(pid);
        stack.push(...(children.get(pid) ?? []));
    }
    return found;
}

/** The processes below `root` (not `root` itself), with their memory, CPU time and role. */
function descendants(root: number): Map<number, ProcSample> {
    const { procs, children } = procTable();
    const found = new Map<number, ProcSample>();
    for (const pid of below(children, root)) {
        const p = procs.get(pid);
        if (!p) continue;
        let role = roles.get(pid);
        if (role === undefined) {
            try {
                role = roleOf(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
            } catch {
                continue; // The process exited meanwhile.
            }
            roles.set(pid, role);
        }
        found.set(pid, { rssKiB: p.rssKiB, cpuTicks: p.ownTicks, role });
    }
    return found;
}

/**
 * CPU seconds used so far by the processes this harness started (the engine
 * and everything below it, those already reaped included) and by the test
 * hosts (every process under each systemd-nspawn, the same way). A process's
 * time moves into its parent's cutime/cstime when it is reaped, so summing
 * utime+stime+cutime+cstime over the live processes of a tree counts every
 * process that ever ran in it.
 */
function treeCpuSeconds(): { operation: number; hosts: number } {
    const { procs, children } = procTable();
    const ticks = (pid: number) => (procs.get(pid)?.ownTicks ?? 0) + (procs.get(pid)?.reapedTicks ?? 0);
    const subtree = (root: number) => below(children, root).reduce((sum, pid) => sum + ticks(pid), 0);
    const self = procs.get(process.pid)?.reapedTicks ?? 0;
    const hosts = [...procs].filter(([, p]) => p.nspawn).reduce((sum, [pid]) => sum + ticks(pid) + subtree(pid), 0);
    return { operation: (self + subtree(process.pid)) / CLOCK_TICK, hosts: hosts / CLOCK_TICK };
}

/** The machine's total and idle CPU ticks (/proc/stat). */
function machineTicks(): { total: number; idle: number } {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: cpu.reduce((a, b) => a + b, 0), idle: cpu[3] + cpu[4] };
}

interface Measured {
    /** When each command ran (CommandClock.timeline). */
    timeline: string[];
    seconds: number;
    peakMiB: number;
    changes: string;
    /** CPU seconds by role. */
    cpu: Record<string, number>;
    idlePercent: number;
    /** CPU seconds of everything the operation started (engine, language host, program, plugins). */
    operationCpu: number;
    /** CPU seconds the test hosts used meanwhile (sshd, sudo, the scripts, systemd, HAProxy, the API). */
    hostsCpu: number;
    /** Seconds from the start to the first command's start. */
    startup?: number;
    /** Most commands running at once. */
    maxConcurrent?: number;
    /** Mean seconds from a command's start to its end. */
    meanCommand?: number;
    commands?: number;
}

/** When each command began and ended, in seconds since `t0`, from the engine's events as they arrived. */
class CommandClock {
    readonly spans = new Map<string, { start: number; end?: number }>();
    constructor(private readonly t0: number) {}
    onEvent = (e: EngineEvent): void => {
        const now = (Date.now() - this.t0) / 1000;
        const pre = e.resourcePreEvent?.metadata;
        if (pre?.type.startsWith("command:remote:") && pre.op !== "same") this.spans.set(pre.urn, { start: now });
        const done = e.resOutputsEvent?.metadata;
        if (done?.type.startsWith("command:remote:")) {
            const s = this.spans.get(done.urn);
            if (s) s.end = now;
        }
    };
    /** Each command's start and end, earliest first, as lines. */
    timeline(): string[] {
        return [...this.spans.entries()]
            .filter(([, s]) => s.end !== undefined)
            .sort(([, a], [, b]) => a.start - b.start)
            .map(([urn, s]) => `${s.start.toFixed(2).padStart(7)} → ${s.end!.toFixed(2).padStart(7)}  ${urn.split("::").pop()}`);
    }
    figures(): Pick<Measured, "startup" | "maxConcurrent" | "meanCommand" | "commands"> {
        const spans = [...this.spans.values()].filter((s) => s.end !== undefined) as { start: number; end: number }[];
        if (spans.length === 0) return {};
        const edges = spans.flatMap((s) => [
            [s.start, 1],
            [s.end, -1],
        ]);
        edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        let running = 0;
        let maxConcurrent = 0;
        for (const [, d] of edges) {
            running += d;
            maxConcurrent = Math.max(maxConcurrent, running);
        }
        return {
            startup: Math.min(...spans.map((s) => s.start)),
            maxConcurrent,
            meanCommand: spans.reduce((a, s) => a + s.end - s.start, 0) / spans.length,
            commands: spans.length,
        };
    }
}

/** Runs `op`, timing it, sampling the memory and CPU time of this process's descendants and timing each command. */
async function measure(op: (onEvent: (e: EngineEvent) => void) => Promise<Record<string, number> | undefined>): Promise<Measured> {
    let peak = 0;
    const lastTicks = new Map<number, ProcSample>();
    const sample = () => {
        const procs = descendants(process.pid);
        let rss = 0;
        for (const [pid, p] of procs) {
            rss += p.rssKiB;
            lastTicks.set(pid, p);
        }
        peak = Math.max(peak, rss);
    };
    const timer = setInterval(sample, 100);
    const cpu0 = machineTicks();
    const tree0 = treeCpuSeconds();
    const t0 = Date.now();
    const clock = new CommandClock(t0);
    try {
        const counts = (await op(clock.onEvent)) ?? {};
        const seconds = (Date.now() - t0) / 1000;
        const cpu1 = machineTicks();
        const tree1 = treeCpuSeconds();
        const cpu: Record<string, number> = {};
        for (const p of lastTicks.values()) cpu[p.role] = (cpu[p.role] ?? 0) + p.cpuTicks / CLOCK_TICK;
        const changes = Object.entries(counts)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ");
        return {
            seconds,
            peakMiB: peak / 1024,
            changes,
            cpu,
            idlePercent: (100 * (cpu1.idle - cpu0.idle)) / Math.max(1, cpu1.total - cpu0.total),
            timeline: clock.timeline(),
            operationCpu: tree1.operation - tree0.operation,
            hostsCpu: tree1.hosts - tree0.hosts,
            ...clock.figures(),
        };
    } finally {
        clearInterval(timer);
    }
}

interface Figure extends Measured {
    hosts: number;
    operation: string;
}

const upCounts = async (stack: Stack, onEvent: (e: EngineEvent) => void) =>
    (await stack.up({ onEvent, color: "never" })).summary.resourceChanges as Record<string, number>;

/** The engine's floor: the median of three `up`s of the empty program. */
async function floor(tools: Tools): Promise<Figure> {
    const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-bench-floor-"));
    try {
        const stack = await openStack({
            programDir: path.join(REPO, "lab", "floor"),
            stackName: "floor",
            stateDir,
            engineBinDir: tools.binDir,
            plugins: tools.plugins,
        });
        const runs: Measured[] = [];
        for (let i = 0; i < 3; i++) runs.push(await measure((onEvent) => upCounts(stack, onEvent)));
        runs.sort((a, b) => a.seconds - b.seconds);
        return { hosts: 0, operation: "up (empty program)", ...runs[1] };
    } finally {
        rmSync(stateDir, { recursive: true, force: true });
    }
}

async function runOn(tools: Tools, hosts: TestHost[], figures: Figure[], password: string): Promise<void> {
    const mirror = new Mirror(tools.dpapi.mirrorDir);
    const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-bench-"));
    try {
        const baseUrl = await mirror.listen(hosts[0].outerAddress);
        const stack: Stack = await newStack(`bench-${hosts.length}`, tools, stateDir, hostsConfig(hosts, baseUrl, tools, password));
        const record = async (operation: string, op: (onEvent: (e: EngineEvent) => void) => Promise<Record<string, number> | undefined>) => {
            const f = { hosts: hosts.length, operation, ...(await measure(op)) };
            figures.push(f);
            console.log(`${hosts.length} host(s), ${operation}: ${f.seconds.toFixed(1)} s, peak ${f.peakMiB.toFixed(0)} MiB (${f.changes})`);
        };
        await record("up (fresh)", (onEvent) => upCounts(stack, onEvent));
        await record("up (no change)", (onEvent) => upCounts(stack, onEvent));
        await setConfig(stack, { rolloutBatchSize: { value: 1 }, rolloutHealthySeconds: { value: 2 }, haproxyReloadDelay: { value: 3 } });
        await record("rolling change", (onEvent) => upCounts(stack, onEvent));
        await record("destroy", async (onEvent) => (await stack.destroy({ onEvent, color: "never" })).summary.resourceChanges as Record<string, number>);
    } finally {
        mirror.close();
        rmSync(stateDir, { recursive: true, force: true });
    }
}

function table(figures: Figure[], floorSeconds: number): string {
    const lines = [
        `hosts  operation            seconds  x floor  peak MiB  engine changes`,
        ...figures.map(
            (f) =>
                `${String(f.hosts).padStart(5)}  ${f.operation.padEnd(19)} ${f.seconds.toFixed(1).padStart(8)} ${(f.seconds / floorSeconds).toFixed(2).padStart(8)} ${f.peakMiB.toFixed(0).padStart(9)}  ${f.changes}`,
        ),
    ];
    return lines.join("\n");
}

function whereTimeGoes(figures: Figure[]): string {
    const roles = ["engine", "language host and program", "command plugin", "tls plugin"];
    const lines = [
        `hosts  operation            start-up  commands  at once  mean cmd  idle  CPU s: operation  hosts   (${roles.join(" / ")})`,
        ...figures.map((f) => {
            const opt = (v: number | undefined, digits = 1) => (v === undefined ? "-" : v.toFixed(digits));
            return `${String(f.hosts).padStart(5)}  ${f.operation.padEnd(19)} ${opt(f.startup).padStart(8)} ${String(f.commands ?? "-").padStart(9)} ${String(f.maxConcurrent ?? "-").padStart(8)} ${opt(f.meanCommand, 2).padStart(9)} ${`${f.idlePercent.toFixed(0)}%`.padStart(5)} ${f.operationCpu.toFixed(1).padStart(16)} ${f.hostsCpu.toFixed(1).padStart(6)}   (${roles.map((r) => (f.cpu[r] ?? 0).toFixed(1)).join(" / ")})`;
        }),
    ];
    return lines.join("\n");
}

async function main(): Promise<void> {
    const only = releaseFromEnv();
    const tools = buildTools();
    console.log(describeTools(tools));
    const parallel = process.env.PULUMI_PARALLEL || `${cpus().length * 4} (the engine's default, 4 per CPU)`;
    console.log(`engine parallelism: ${parallel}`);
    const run = randomBytes(2).toString("hex");
    const password = randomBytes(18).toString("base64url");
    const figures: Figure[] = [await floor(tools)];
    console.log(`floor: ${figures[0].seconds.toFixed(1)} s`);
    for (const count of HOST_COUNTS) {
        // Fresh hosts for each stack, so that every first up starts from a host as the lab boots it.
        const hosts: TestHost[] = [];
        try {
            for (let i = 0; i < count; i++) hosts.push(hostUp(`bench${count}-${i}-${run}`, LAB_HOSTS.bench[i][0], only ?? LAB_HOSTS.bench[i][1]));
            await runOn(tools, hosts, figures, password);
        } finally {
            for (const h of hosts) hostDown(h.name);
        }
    }
    const floorSeconds = figures[0].seconds;
    console.log(`\nengine parallelism: ${parallel}; releases: ${only ?? "alternating, bookworm first"}\n`);
    console.log(table(figures, floorSeconds));
    console.log(`\nwhere the time goes (seconds; commands are the ones the engine ran, not "same")\n`);
    console.log(whereTimeGoes(figures));
    const single = figures.find((f) => f.hosts === 1 && f.operation === "up (fresh)");
    if (single) console.log(`\none host's fresh up, each command from its start to its end (seconds since the up began)\n${single.timeline.join("\n")}`);
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
