/**
 * Helpers of contract.test.ts: a stack of the test program per test, `up`
 * runs that record engine events and never throw, local TCP listeners that
 * count and time connection attempts, and the test host's sshd log.
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import * as net from "node:net";
import * as path from "node:path";
import { hostExec, hostRun, type TestHost } from "../../../lab/lab";
import type { PluginChoice } from "../../../lab/plugins";
import { openStack } from "../../../lab/workspace";
import type { ConnSpec, ResourceSpec } from "./spec";

export type { ConnSpec, ResourceSpec };

export const PROGRAM_DIR = path.join(__dirname, "program");
export const PROJECT = "command-contract";

export interface Secrets {
    privateKey: string;
    altKey: string;
    password: string;
}

export interface RunResult {
    ok: boolean;
    /** Empty on success; else the Automation API's error, the engine's stderr and its error diagnostics. */
    error: string;
    output: string;
    events: EngineEvent[];
    changes: Record<string, number>;
    durationMs: number;
}

/** Flushes what journald has received to the journal files (best effort: only a wait makes a test sure). */
const JOURNAL_SYNC = "journalctl --sync 2>/dev/null || true";
/**
 * sshd's lines, by the identifier each line carries itself (sshd-session and
 * sshd-auth on newer OpenSSH). Not `-u ssh`: journald finds a line's unit from the
 * sender's cgroup, and a pre-auth child that has exited by the time journald
 * reads its last lines leaves them without one, so `-u` misses them at random.
 */
const SSHD_LINES = "-t sshd -t sshd-session -t sshd-auth";

export class Lab {
    constructor(
        readonly host: TestHost,
        readonly secrets: Secrets,
        readonly plugins: PluginChoice[],
        readonly engineBinDir: string,
        readonly stateDir: string,
    ) {}

    /** A fresh stack of the test program, connected to the test host. */
    async stack(name: string): Promise<Stack> {
        const stack = await openStack({
            programDir: PROGRAM_DIR,
            stackName: name,
            stateDir: this.stateDir,
            engineBinDir: this.engineBinDir,
            plugins: this.plugins,
        });
        await stack.setAllConfig({
            [`${PROJECT}:host`]: { value: this.host.address },
            [`${PROJECT}:port`]: { value: String(this.host.port) },
            [`${PROJECT}:user`]: { value: this.host.user },
            [`${PROJECT}:hostKey`]: { value: this.host.hostKey },
            [`${PROJECT}:privateKey`]: { value: this.secrets.privateKey, secret: true },
            [`${PROJECT}:altKey`]: { value: this.secrets.altKey, secret: true },
            [`${PROJECT}:password`]: { value: this.secrets.password, secret: true },
            [`${PROJECT}:resources`]: { value: "[]" },
        });
        return stack;
    }

    /** Asserts that no secret value appears in a text that the tests may print. */
    assertNoSecret(text: string, what: string): void {
        const keyBody = (k: string) =>
            k
                .split("\n")
                .filter((l) => l && !l.startsWith("-----"))
                .slice(0, 2)
                .join("");
        for (const [name, v] of Object.entries({
            privateKey: keyBody(this.secrets.privateKey),
            altKey: keyBody(this.secrets.altKey),
            password: this.secrets.password,
        })) {
            if (v && text.includes(v)) throw new Error(`${what} contains the secret ${name} (value not shown)`);
        }
    }

    /** `up` (or another operation) with these resources; never throws. */
    async up(stack: Stack, resources: ResourceSpec[], op: "up" | "preview" | "refresh" | "destroy" = "up"): Promise<RunResult> {
        await stack.setConfig(`${PROJECT}:resources`, { value: JSON.stringify(resources) });
        const events: EngineEvent[] = [];
        let output = "";
        const start = Date.now();
        const opts = { color: "never" as const, onEvent: (e: EngineEvent) => events.push(e), onOutput: (s: string) => (output += s) };
        let error = "";
        let changes: Record<string, number> = {};
        try {
            if (op === "up") changes = ((await stack.up(opts)).summary.resourceChanges ?? {}) as Record<string, number>;
            else if (op === "preview") changes = (await stack.preview(opts)).changeSummary as Record<string, number>;
            else if (op === "refresh") changes = ((await stack.refresh(opts)).summary.resourceChanges ?? {}) as Record<string, number>;
            else changes = ((await stack.destroy(opts)).summary.resourceChanges ?? {}) as Record<string, number>;
        } catch (e) {
            const err = e as Error & { commandResult?: { stdout?: string; stderr?: string } };
            const errorDiags = events.flatMap((ev) => (ev.diagnosticEvent?.severity === "error" ? [ev.diagnosticEvent.message] : []));
            error = `${err.message ?? ""}\n${err.commandResult?.stderr ?? ""}\n${errorDiags.join("\n")}`;
        }
        const result = { ok: error === "", error, output, events, changes, durationMs: Date.now() - start };
        this.assertNoSecret(JSON.stringify({ error, output, events }), `the engine's output of ${op}`);
        return result;
    }

    /** Runs a shell command on the test host as root. */
    run(cmd: string): string {
        return hostRun(this.host.name, cmd);
    }

    exec(cmd: string): { code: number; stdout: string; stderr: string } {
        return hostExec(this.host.name, cmd);
    }

    /** Lines of a log file on the host (empty when it does not exist). */
    lines(file: string): string[] {
        return this.run(`cat ${file} 2>/dev/null || true`)
            .split("\n")
            .filter((l) => l !== "");
    }

    /**
     * A mark in sshd's journal, to read only what comes after it. journald is
     * synced first, so that lines of earlier tests still on their way do not
     * land after the mark.
     */
    journalCursor(): string {
        return this.run(`${JOURNAL_SYNC}; journalctl ${SSHD_LINES} -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'`).trim();
    }

    /**
     * sshd's journal after `cursor`, as journald has it now. It lags behind
     * sshd (and sshd logs some lines only after the client has gone), so a
     * test that looks for lines must wait for them with sshdLogUntil.
     */
    sshdLog(cursor: string): string[] {
        return this.run(`${JOURNAL_SYNC}; journalctl ${SSHD_LINES} -q -o cat --after-cursor=${shq(cursor)}`)
            .split("\n")
            .filter(Boolean);
    }

    /**
     * Polls sshd's journal after `cursor` until `done` holds for its lines,
     * and returns those lines; throws after `seconds`, naming `what` and
     * listing the lines seen. Assert on what it returns: it only waits.
     */
    async sshdLogUntil(cursor: string, what: string, done: (lines: string[]) => boolean, seconds = 30): Promise<string[]> {
        const deadline = Date.now() + seconds * 1000;
        for (;;) {
            const lines = this.sshdLog(cursor);
            if (done(lines)) return lines;
            if (Date.now() >= deadline) {
                throw new Error(
                    `sshd's journal: no ${what} after ${seconds} s; the ${lines.length} line(s) after the cursor:\n${lines.map((l) => `  ${l}`).join("\n")}`,
                );
            }
            await new Promise((r) => setTimeout(r, 250));
        }
    }

    /** Writes an sshd drop-in (read before 10-lab.conf, so its values win) and reloads sshd; empty text removes it. */
    sshdDropIn(name: string, text: string): void {
        const file = `/etc/ssh/sshd_config.d/${name}.conf`;
        this.run(text ? `printf '%s\\n' ${shq(text)} > ${file}` : `rm -f ${file}`);
        this.run("sshd -t && systemctl reload ssh && sleep 0.3");
    }
}

export function shq(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

// ------------------------------------------------------------------ events

export function diags(r: RunResult, filter: { ephemeral?: boolean; urnSuffix?: string; severity?: string } = {}): string[] {
    return r.events
        .flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent] : []))
        .filter((d) => filter.ephemeral === undefined || !!d.ephemeral === filter.ephemeral)
        .filter((d) => filter.urnSuffix === undefined || (d.urn ?? "").endsWith(`::${filter.urnSuffix}`))
        .filter((d) => filter.severity === undefined || d.severity === filter.severity)
        .map((d) => d.message.replace(/\n$/, ""));
}

/** The engine's step operations, in order, as [op, resource name]. */
export function steps(r: RunResult): [string, string][] {
    return r.events
        .flatMap((e) => (e.resOutputsEvent ? [e.resOutputsEvent.metadata] : []))
        .filter((m) => m.type.startsWith("command:"))
        .map((m) => [m.op, m.urn.split("::").pop()!] as [string, string]);
}

/** The operation the engine applied to the named resource (from the ResourceOutputs events), or undefined. */
export function opOf(r: RunResult, name: string): string[] {
    return steps(r)
        .filter(([, n]) => n === name)
        .map(([op]) => op);
}

export async function resources(stack: Stack): Promise<any[]> {
    const state = await stack.exportStack();
    return (state.deployment.resources ?? []).filter((r: any) => String(r.type).startsWith("command:"));
}

export async function resourceState(stack: Stack, name: string): Promise<any | undefined> {
    return (await resources(stack)).find((r: any) => !r.delete && String(r.urn).endsWith(`::${name}`));
}

// ------------------------------------------------------------------ listeners

export interface Attempt {
    at: number;
}

/**
 * A local TCP listener on 127.0.0.1 that records each connection and closes
 * it at once (a handshake error for the client), or, once `forwardAfter`
 * connections were refused so, forwards to `forwardTo`.
 */
export class Listener {
    readonly attempts: number[] = [];
    private server: net.Server;
    port = 0;

    constructor(private readonly opts: { forwardAfter?: number; forwardTo?: { host: string; port: number } } = {}) {
        this.server = net.createServer((sock) => {
            this.attempts.push(performance.now());
            const n = this.attempts.length;
            if (this.opts.forwardTo && this.opts.forwardAfter !== undefined && n > this.opts.forwardAfter) {
                const up = net.connect(this.opts.forwardTo);
                sock.pipe(up).pipe(sock);
                up.on("error", () => sock.destroy());
                sock.on("error", () => up.destroy());
                return;
            }
            sock.on("error", () => undefined);
            sock.destroy();
        });
    }

    async listen(): Promise<this> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.port = (this.server.address() as net.AddressInfo).port;
        return this;
    }

    /** Gaps between consecutive attempts, in ms. */
    gaps(): number[] {
        return this.attempts.slice(1).map((t, i) => t - this.attempts[i]);
    }

    close(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

/** A free local port with nothing listening on it. */
export async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
}

/**
 * A local port whose accept queue is full, so that a TCP connect to it hangs
 * until the client gives up (python3: Node cannot listen without accepting).
 */
export async function blackhole(): Promise<{ port: number; close: () => void }> {
    const { spawn } = await import("node:child_process");
    const script = [
        "import socket, time",
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
        "port = s.getsockname()[1]; fill = []",
        "for i in range(3):",
        "    c = socket.socket(); c.setblocking(False)",
        "    try: c.connect(('127.0.0.1', port))",
        "    except BlockingIOError: pass",
        "    fill.append(c)",
        "print(port, flush=True); time.sleep(900)",
    ].join("\n");
    const child = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
        child.once("exit", (code) => reject(new Error(`python3 exited ${code}`)));
    });
    return { port, close: () => child.kill() };
}
