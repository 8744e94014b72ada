/**
 * Test equipment: an open-loop HTTP load client, run as its own process by
 * load.ts (see there why). It takes its settings (LoadSettings) as one JSON
 * argument, prints {"started":true} on stdout once its first request has been
 * answered or has failed, and when its stdin closes or it gets SIGTERM it
 * stops launching, lets the requests in flight finish, prints one JSON line
 * with its LoadReport and exits 0.
 *
 * Open loop: connections are launched on a wall-clock schedule, however the
 * server answers, so that a stalled server meets the full rate (and fails
 * requests) instead of slowing the client down and hiding the stall.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { LoadReport, LoadSettings } from "./load";

type Outcome = "ok" | "status5xx" | "statusOther" | "refused" | "reset" | "timeout" | "otherError";

interface Attempt {
    outcome: Outcome;
    /** Why it failed, for LoadReport.errors. */
    message: string;
    /** Set when a full response arrived. */
    latencyMs?: number;
    /** It broke on a reused idle connection before any byte of response: RFC 9112 section 9.3.1 lets a client send it again. */
    retryable: boolean;
}

/** How often the schedule is looked at; each look launches every connection due since the start. */
const TICK_MS = 5;
const MAX_ERRORS = 8;

function parseSettings(arg: string | undefined): LoadSettings {
    if (!arg) throw new Error("usage: loadgen.ts '<LoadSettings as JSON>'");
    const s = JSON.parse(arg) as Partial<LoadSettings>;
    const mode = s.mode ?? "new";
    if (mode !== "new" && mode !== "keepalive") throw new Error(`mode must be "new" or "keepalive", not ${JSON.stringify(mode)}`);
    const settings: LoadSettings = {
        url: String(s.url),
        mode,
        rate: s.rate ?? (mode === "new" ? 200 : 30),
        callsPerConnection: s.callsPerConnection ?? 10,
        timeoutMs: s.timeoutMs ?? 5000,
    };
    new URL(settings.url); // throws "Invalid URL" now rather than on every request
    for (const k of ["rate", "callsPerConnection", "timeoutMs"] as const) {
        if (!(Number.isFinite(settings[k]) && settings[k] > 0)) throw new Error(`${k} must be a positive number, not ${JSON.stringify(settings[k])}`);
    }
    return settings;
}

function classifyStatus(status: number): Outcome {
    if (status >= 200 && status < 300) return "ok";
    if (status >= 500 && status < 600) return "status5xx";
    return "statusOther";
}

function classifyError(e: NodeJS.ErrnoException): Outcome {
    if (e.code === "ECONNREFUSED") return "refused";
    if (e.code === "ECONNRESET" || e.code === "EPIPE" || e.message === "socket hang up") return "reset";
    return "otherError";
}

const settings = parseSettings(process.argv[2]);
const url = new URL(settings.url);

const counts: Record<Outcome, number> = { ok: 0, status5xx: 0, statusOther: 0, refused: 0, reset: 0, timeout: 0, otherError: 0 };
const errors: string[] = [];
const latencies: number[] = [];
let sent = 0;
let retried = 0;
/** Requests launched and not yet classified (a request between its attempt and its retry counts). */
let pending = 0;
/** Connections launched: the unit of the rate. */
let launched = 0;
let started = false;
let stopping = false;
/** Attempts in flight, each with the function that ends it as a timeout (used at the drain deadline). */
const inFlight = new Set<() => void>();

/** One HTTP exchange, settled exactly once: by its full response, by its error, or by the timeout. */
function attempt(agent: http.Agent | false, headers: http.OutgoingHttpHeaders): Promise<Attempt> {
    return new Promise<Attempt>((resolve) => {
        const t0 = performance.now();
        let socket: Socket | undefined;
        let bytesAtStart = 0;
        let reused = false;
        let responded = false;
        let settled = false;
        let req: http.ClientRequest | undefined;
        const settle = (a: Attempt) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            inFlight.delete(expire);
            resolve(a);
        };
        const expire = () => {
            settle({ outcome: "timeout", message: `no full response within ${settings.timeoutMs} ms`, retryable: false });
            req?.destroy();
        };
        const fail = (e: NodeJS.ErrnoException) => {
            // Bytes read on this socket since this request got it: none means the server never began an answer.
            const silent = !responded && socket !== undefined && socket.bytesRead === bytesAtStart;
            const outcome = classifyError(e);
            settle({ outcome, message: e.code ? `${e.code} ${e.message}` : e.message, retryable: outcome === "reset" && reused && silent });
        };
        const timer = setTimeout(expire, settings.timeoutMs);
        inFlight.add(expire);
        try {
            req = http.request(url, { method: "GET", agent, headers });
        } catch (e) {
            fail(e as NodeJS.ErrnoException);
            return;
        }
        req.on("socket", (s: Socket) => {
            socket = s;
            bytesAtStart = s.bytesRead;
            reused = req?.reusedSocket ?? false;
        });
        req.on("response", (res: http.IncomingMessage) => {
            responded = true;
            const status = res.statusCode ?? 0;
            res.on("error", fail);
            // Only a full response counts: the body is read to its end.
            res.on("end", () => settle({ outcome: classifyStatus(status), message: `HTTP ${status}`, latencyMs: performance.now() - t0, retryable: false }));
            res.resume();
        });
        req.on("error", fail);
        req.end();
    });
}

function record(a: Attempt): void {
    counts[a.outcome]++;
    if (a.latencyMs !== undefined) latencies.push(a.latencyMs);
    if (a.outcome !== "ok" && errors.length < MAX_ERRORS) {
        const line = `${a.outcome}: ${a.message}`;
        if (!errors.includes(line)) errors.push(line);
    }
    if (!started) {
        started = true;
        process.stdout.write(`${JSON.stringify({ started: true })}\n`);
    }
}

/** One request, classified once; on a kept-alive connection it may be sent again once (see Attempt.retryable). */
async function request(agent: http.Agent | false, headers: http.OutgoingHttpHeaders): Promise<void> {
    sent++;
    pending++;
    try {
        let a = await attempt(agent, headers);
        if (a.retryable) {
            retried++;
            // The broken socket has left the agent, so this goes out on a new connection.
            a = await attempt(agent, headers);
        }
        record(a);
    } finally {
        pending--;
    }
}

/** "keepalive" mode: one connection (the agent holds at most one socket), requests back to back on it. */
async function keptAliveConnection(): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
        // A server's `Connection: close` just makes the agent open a new socket for the next call.
        for (let i = 0; i < settings.callsPerConnection && !stopping; i++) await request(agent, {});
    } finally {
        agent.destroy();
    }
}

function launch(): void {
    launched++;
    // agent: false gives each request a socket of its own, closed after it.
    if (settings.mode === "new") void request(false, { connection: "close" });
    else void keptAliveConnection();
}

const t0 = performance.now();
let stoppedAt = t0;
function tick(): void {
    // Due since the start by the wall clock, the first at once: a tick that came late catches up.
    const due = Math.floor(((performance.now() - t0) * settings.rate) / 1000) + 1;
    while (launched < due) launch();
}
tick();
const ticker = setInterval(tick, TICK_MS);

function percentile(sorted: number[], q: number): number {
    if (sorted.length === 0) return 0;
    const v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
    return Math.round(v * 10) / 10;
}

function report(): LoadReport {
    // A request still pending here got no full response within the drain's deadline.
    counts.timeout += pending;
    const sorted = [...latencies].sort((a, b) => a - b);
    const durationSeconds = (stoppedAt - t0) / 1000;
    const failed = sent - counts.ok;
    return {
        sent,
        ok: counts.ok,
        failed,
        refused: counts.refused,
        reset: counts.reset,
        timeout: counts.timeout,
        status5xx: counts.status5xx,
        statusOther: counts.statusOther,
        otherError: counts.otherError,
        retried,
        errors,
        durationSeconds: Math.round(durationSeconds * 1000) / 1000,
        achievedRate: durationSeconds > 0 ? Math.round((launched / durationSeconds) * 10) / 10 : 0,
        latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: percentile(sorted, 1) },
        mode: settings.mode,
        url: settings.url,
    };
}

async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    stoppedAt = performance.now();
    clearInterval(ticker);
    // Every attempt has its own timeout, so this deadline only matters for a retry begun late in the drain.
    const deadline = Date.now() + settings.timeoutMs + 1000;
    while (pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const expire of [...inFlight]) expire();
    // Lets the expired attempts' awaiting requests record them.
    await new Promise((r) => setImmediate(r));
    process.stdout.write(`${JSON.stringify(report())}\n`, () => process.exit(0));
}

process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
// The parent may be gone by the time the report is written; that must not turn into a crash with a stack trace.
process.stdout.on("error", () => process.exit(0));
