/**
 * Open-loop HTTP load against a load balancer's frontend while a deployment
 * step runs, to prove that no request fails there: HAProxy must only ever be
 * reloaded seamlessly, never restarted.
 *
 * The load runs in a child process (loadgen.ts): the tests block their own
 * event loop in spawnSync for seconds at a time, and a load generated
 * in-process would pause exactly while the step under test runs, hiding the
 * failures it is there to see.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as path from "node:path";

/** "new": one request per new TCP connection. "keepalive": several requests back to back on each connection. */
export type LoadMode = "new" | "keepalive";

/** How a load runs; every field has a default. */
export interface LoadOptions {
    /** New connections per second, scheduled by wall clock (default 200 for "new", 30 for "keepalive"). */
    rate?: number;
    /** Default "new". */
    mode?: LoadMode;
    /** Requests per kept-alive connection, "keepalive" mode only (default 10). */
    callsPerConnection?: number;
    /** A request without its full response after this long counts as `timeout` (default 5000). */
    timeoutMs?: number;
}

/** The settings loadgen.ts takes as its one JSON argument: LoadOptions with the defaults applied. */
export interface LoadSettings {
    url: string;
    rate: number;
    mode: LoadMode;
    callsPerConnection: number;
    timeoutMs: number;
}

/** What one load saw. Every request is counted exactly once, in `ok` or in one of the failure classes. */
export interface LoadReport {
    /** Requests made (a retry, see `retried`, is not a request of its own). */
    sent: number;
    /** Answered with a 2xx status. */
    ok: number;
    /** Everything but `ok`: refused + reset + timeout + status5xx + statusOther + otherError. */
    failed: number;
    /** The connection was refused (ECONNREFUSED): nothing listened. */
    refused: number;
    /** The connection broke before the full response (ECONNRESET, EPIPE, "socket hang up"). */
    reset: number;
    /** No full response within the timeout. */
    timeout: number;
    /** Answered with a 5xx status. */
    status5xx: number;
    /** Answered with a status that is neither 2xx nor 5xx. */
    statusOther: number;
    /** Any other error. */
    otherError: number;
    /**
     * Requests that broke on a reused idle kept-alive connection before any byte
     * of response, and were sent again once on a new connection (RFC 9112
     * section 9.3.1); counted here and not as failures, unless the retry failed too.
     */
    retried: number;
    /** The first few distinct failures, each as "<class>: <message>". */
    errors: string[];
    /** From the first request launched to the last. */
    durationSeconds: number;
    /** New connections per second actually launched (the unit of `rate`, in both modes). */
    achievedRate: number;
    /** Of the requests that got a full response, whatever its status. */
    latencyMs: { p50: number; p99: number; max: number };
    mode: LoadMode;
    url: string;
}

const LOADGEN = path.join(__dirname, "loadgen.ts");
const REPO = path.resolve(__dirname, "..");
const START_DEADLINE_MS = 15_000;
/** Kept of the child's stderr, for error messages. */
const STDERR_LIMIT = 64 << 10;

/** LoadOptions with the defaults applied. */
export function loadSettings(url: string, opts: LoadOptions = {}): LoadSettings {
    const mode = opts.mode ?? "new";
    return {
        url,
        mode,
        rate: opts.rate ?? (mode === "new" ? 200 : 30),
        callsPerConnection: opts.callsPerConnection ?? 10,
        timeoutMs: opts.timeoutMs ?? 5000,
    };
}

/** One load, running in its own process until stop(). */
export class Load {
    private stopping: Promise<LoadReport> | undefined;

    private constructor(
        private readonly child: ChildProcessWithoutNullStreams,
        private readonly settings: LoadSettings,
        private readonly report: Promise<LoadReport>,
        private readonly stderr: () => string,
    ) {}

    /**
     * Starts a load on `url` and resolves once its first request has been
     * answered or has failed, so that the load is known to be running before
     * the step under test starts. Rejects, with the child's stderr, if that
     * does not happen within 15 s.
     */
    static async start(url: string, opts: LoadOptions = {}): Promise<Load> {
        const settings = loadSettings(url, opts);
        // cwd is the repository, where --require finds ts-node and ts-node finds tsconfig.json.
        const child = spawn(process.execPath, ["--require", "ts-node/register", LOADGEN, JSON.stringify(settings)], {
            cwd: REPO,
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (c: string) => {
            if (stderr.length < STDERR_LIMIT) stderr += c;
        });
        // The child may be gone when stop() closes its stdin; that is reported by its exit, not by EPIPE here.
        child.stdin.on("error", () => {});

        let onStarted!: () => void;
        let onReport!: (r: LoadReport) => void;
        const started = new Promise<void>((resolve) => (onStarted = resolve));
        const reported = new Promise<LoadReport>((resolve) => (onReport = resolve));
        let buffer = "";
        child.stdout.setEncoding("utf8");
        child.stdout.on("data", (c: string) => {
            buffer += c;
            for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
                const line = buffer.slice(0, i).trim();
                buffer = buffer.slice(i + 1);
                if (!line) continue;
                let message: unknown;
                try {
                    message = JSON.parse(line);
                } catch {
                    stderr += `(unexpected line on stdout: ${line})\n`;
                    continue;
                }
                if (isObject(message) && message.started === true) onStarted();
                else if (isObject(message) && typeof message.sent === "number") onReport(message as unknown as LoadReport);
            }
        });
        const exited = new Promise<string>((resolve) => {
            child.on("error", (e) => resolve(`could not run the load generator: ${e.message}`));
            child.on("exit", (code, signal) => resolve(`the load generator exited (${signal ?? `code ${code}`})`));
        });
        // Whichever comes first: the report, or the child's end without one.
        const report = Promise.race([
            reported,
            exited.then(async (why) => {
                // The report line may still sit in the pipe when 'exit' fires; 'close' comes after the last data.
                await new Promise<void>((resolve) => (child.stdout.closed ? resolve() : child.stdout.once("close", () => resolve())));
                return Promise.race([reported, Promise.reject(new Error(`${why} without a report; stderr:\n${stderr}`))]);
            }),
        ]);
        report.catch(() => {}); // observed by stop(); a load that is never stopped must not crash the tests

        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
            timer = setTimeout(
                () => reject(new Error(`the load on ${url} did not get its first answer within ${START_DEADLINE_MS / 1000} s; stderr:\n${stderr}`)),
                START_DEADLINE_MS,
            );
        });
        try {
            await Promise.race([started, deadline, report.then(() => Promise.reject(new Error(`the load on ${url} ended before starting`)))]);
        } catch (e) {
            child.kill("SIGKILL");
            throw e;
        } finally {
            clearTimeout(timer);
        }
        return new Load(child, settings, report, () => stderr);
    }

    /**
     * Stops the load: no new requests, the ones in flight finish (or time out),
     * and the report comes back. Rejects with the child's stderr if the child
     * ends without a report. Calling it again returns the same report.
     */
    stop(): Promise<LoadReport> {
        if (!this.stopping) {
            // The child stops when its stdin closes; that also holds if this process dies first.
            this.child.stdin.end();
            // Its own drain is bounded by timeoutMs + 1 s; the rest is margin for a loaded machine.
            const limit = this.settings.timeoutMs + 16_000;
            let timer: NodeJS.Timeout | undefined;
            const deadline = new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                    this.child.kill("SIGKILL");
                    reject(new Error(`the load on ${this.settings.url} gave no report within ${limit / 1000} s of stop; stderr:\n${this.stderr()}`));
                }, limit);
            });
            this.stopping = Promise.race([this.report, deadline]).finally(() => clearTimeout(timer));
        }
        return this.stopping;
    }
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null;
}

/**
 * One line for a test's log, e.g. "new connections at 200/s on http://…: 2400
 * sent in 12.0 s, 0 failed (0 refused, 0 reset, 0 timed out, 0 5xx); latency
 * p50 0.8 ms, p99 4.1 ms, max 9.0 ms".
 */
/**
 * Fails unless every request of every report was answered 2xx, naming
 * `label` and describing each load that saw a failure; returns
 * "<sent>/<failed>" over all reports, for a step's figures.
 */
export function assertServed(label: string, reports: LoadReport[]): string {
    const failed = reports.filter((r) => r.failed > 0);
    assert.equal(failed.length, 0, `requests failed during ${label}:\n${failed.map(describeLoad).join("\n")}`);
    return `${reports.reduce((n, r) => n + r.sent, 0)}/0`;
}

export function describeLoad(r: LoadReport): string {
    const kind = r.mode === "new" ? "new connections" : "kept-alive connections";
    const rate = r.achievedRate >= 10 ? Math.round(r.achievedRate) : Math.round(r.achievedRate * 10) / 10;
    const classes = [`${r.refused} refused`, `${r.reset} reset`, `${r.timeout} timed out`, `${r.status5xx} 5xx`];
    if (r.statusOther) classes.push(`${r.statusOther} other status`);
    if (r.otherError) classes.push(`${r.otherError} other errors`);
    const retried = r.retried ? `, ${r.retried} retried on a new connection` : "";
    const answered = r.ok + r.status5xx + r.statusOther;
    const latency = answered ? `latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms` : "no answers";
    const errors = r.errors.length ? `; first errors: ${r.errors.join(" | ")}` : "";
    return (
        `${kind} at ${rate}/s on ${r.url}: ${r.sent} sent in ${r.durationSeconds.toFixed(1)} s, ` +
        `${r.failed} failed (${classes.join(", ")})${retried}; ${latency}${errors}`
    );
}

/** Options of underLoad: those of Load.start for both loads, with a rate for each. */
export interface UnderLoadOptions extends Omit<LoadOptions, "mode" | "rate"> {
    /** Rate of the "new" loads (default 200). */
    newRate?: number;
    /** Rate of the "keepalive" loads (default 30). */
    keepaliveRate?: number;
}

/**
 * Runs `fn` while every url takes one "new" and one "keepalive" load, and
 * returns fn's result with the reports (for each url in order: new, then
 * keepalive). The loads are stopped whatever happens: if fn throws, they are
 * stopped and fn's error is rethrown.
 */
export async function underLoad<T>(urls: string[], fn: () => Promise<T>, opts: UnderLoadOptions = {}): Promise<{ result: T; reports: LoadReport[] }> {
    const { newRate, keepaliveRate, ...common } = opts;
    const starting = await Promise.allSettled(
        urls.flatMap((url) => [
            Load.start(url, { ...common, mode: "new", rate: newRate }),
            Load.start(url, { ...common, mode: "keepalive", rate: keepaliveRate }),
        ]),
    );
    const loads = starting.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const notStarted = starting.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (notStarted) {
        await Promise.allSettled(loads.map((l) => l.stop()));
        throw notStarted.reason;
    }
    let result: T;
    try {
        result = await fn();
    } catch (e) {
        // fn's error is the one that matters; the loads are stopped so that no child outlives the test.
        await Promise.allSettled(loads.map((l) => l.stop()));
        throw e;
    }
    const reports = await Promise.all(loads.map((l) => l.stop()));
    return { result, reports };
}
