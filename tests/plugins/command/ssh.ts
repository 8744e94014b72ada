/**
 * SSH for the stand-in: one new connection per run (dialled with the real
 * plugin's retry policy), an "exec" session without a PTY, setenv requests
 * that want a reply, and SFTP uploads.
 *
 * Error texts follow golang.org/x/crypto/ssh, which the real plugin uses, so
 * that the messages the engine shows read the same.
 */
import * as net from "node:net";
import { type AnyAuthMethod, Client, type ClientChannel, type ParsedKey, type SFTPWrapper, utils } from "ssh2";
import type { ResourceLogger } from "./engineLog";
import { goQuote } from "./values";

// Internals of ssh2 1.17 used to open a session whose requests want replies
// (Client.exec sends "env" without want-reply, so a refusal would go unseen).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MAX_WINDOW, PACKET_SIZE } = require("ssh2/lib/Channel.js") as { MAX_WINDOW: number; PACKET_SIZE: number };

export interface Connection {
    host: string;
    port: number;
    user: string;
    password?: string;
    privateKey?: string;
    privateKeyPassword?: string;
    agentSocketPath?: string;
    dialErrorLimit: number;
    perDialTimeout: number;
    hostKey?: string;
    proxy?: Connection;
}

/** Reads a (revealed) connection input, applying the schema's defaults. */
export function parseConnection(v: unknown): Connection {
    if (typeof v !== "object" || v === null) throw new Error("connection: missing");
    const c = v as Record<string, unknown>;
    const str = (k: string) => (typeof c[k] === "string" ? (c[k] as string) : undefined);
    const num = (k: string, d: number) => (typeof c[k] === "number" ? Math.trunc(c[k] as number) : d);
    if (!str("host")) throw new Error("connection: missing required property 'host'");
    return {
        host: str("host")!,
        port: num("port", 22),
        user: str("user") ?? "root",
        password: str("password"),
        privateKey: str("privateKey"),
        privateKeyPassword: str("privateKeyPassword"),
        agentSocketPath: str("agentSocketPath"),
        dialErrorLimit: num("dialErrorLimit", 10),
        perDialTimeout: num("perDialTimeout", 15),
        hostKey: str("hostKey"),
        proxy: c.proxy ? parseConnection(c.proxy) : undefined,
    };
}

function joinHostPort(host: string, port: number): string {
    return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The real plugin's dialWithRetry (PC connection.go:150-187) on the
 * retry.Until defaults (PU sdk/go/common/util/retry/until.go): 100 ms, ×1.5,
 * at most 5 s; `limit` + 1 attempts, -1 for no limit.
 */
async function dialWithRetry<T>(log: ResourceLogger, msg: string, limit: number, attempt: () => Promise<T>): Promise<T> {
    let delay = 100;
    for (let tr = 0; ; tr++) {
        if (delay > 5000) delay = 5000;
        try {
            return await attempt();
        } catch (e) {
            const dials = tr + 1;
            if (limit > -1 && dials > limit) {
                throw new Error(`after ${tr} failed attempts: ${(e as Error).message}`);
            }
            log.infoStatus(`${msg} ${dials}/${limit === -1 ? "inf" : String(limit)} failed: retrying`);
        }
        await sleep(delay);
        delay = delay * 1.5;
    }
}

/** A TCP connection, timing out after `timeoutSec` (0: no limit), with Go's net.Dial error texts. */
function tcpDial(host: string, port: number, timeoutSec: number): Promise<net.Socket> {
    const hp = joinHostPort(host, port);
    return new Promise((resolve, reject) => {
        const sock = net.connect({ host, port });
        let timer: NodeJS.Timeout | undefined;
        if (timeoutSec > 0) {
            timer = setTimeout(() => {
                sock.destroy();
                reject(new Error(`dial tcp ${hp}: i/o timeout`));
            }, timeoutSec * 1000);
        }
        sock.once("connect", () => {
            if (timer) clearTimeout(timer);
            sock.removeAllListeners("error");
            resolve(sock);
        });
        sock.once("error", (e: NodeJS.ErrnoException) => {
            if (timer) clearTimeout(timer);
            const text: Record<string, string> = {
                ECONNREFUSED: "connect: connection refused",
                EHOSTUNREACH: "connect: no route to host",
                ENETUNREACH: "connect: network is unreachable",
                ECONNRESET: "read: connection reset by peer",
                ETIMEDOUT: "i/o timeout",
            };
            if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") reject(new Error(`dial tcp: lookup ${host}: no such host`));
            else reject(new Error(`dial tcp ${hp}: ${text[e.code ?? ""] ?? e.message}`));
        });
    });
}

/** The parts of an authorized-keys line: key type and key blob. */
function parseHostKey(line: string): { type: string; blob: Buffer } {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2) throw new Error("failed to parse host key: ssh: no key found");
    const blob = Buffer.from(fields[1], "base64");
    const parsed = utils.parseKey(blob);
    if (parsed instanceof Error || (Array.isArray(parsed) && parsed.length === 0)) {
        throw new Error(`failed to parse host key: ssh: ${parsed instanceof Error ? parsed.message : "no key found"}`);
    }
    return { type: fields[0], blob };
}

interface Method {
    /** The name Go's client keeps in its `tried` set (the agent counts as "publickey"). */
    name: "publickey" | "password" | "keyboard-interactive";
    make: (user: string) => AnyAuthMethod;
}

/**
 * The SSH client config of a connection (PC connection.go:85-148): auth
 * methods in the order private key, password, keyboard-interactive, agent;
 * the host key pinned when `hostKey` is set, unchecked otherwise.
 */
function sshConfig(c: Connection): { methods: Method[]; hostKey?: { type: string; blob: Buffer } } {
    const methods: Method[] = [];
    let hostKey: { type: string; blob: Buffer } | undefined;
    if (c.hostKey !== undefined) hostKey = parseHostKey(c.hostKey);
    if (c.privateKey !== undefined) {
        const key = utils.parseKey(c.privateKey, c.privateKeyPassword);
        if (key instanceof Error) throw new Error(`ssh: ${key.message}`);
        const parsed = (Array.isArray(key) ? key[0] : key) as ParsedKey;
        methods.push({ name: "publickey", make: (username) => ({ type: "publickey", username, key: parsed }) });
    }
    if (c.password !== undefined) {
        const password = c.password;
        methods.push({ name: "password", make: (username) => ({ type: "password", username, password }) });
        methods.push({
            name: "keyboard-interactive",
            make: (username) => ({
                type: "keyboard-interactive",
                username,
                prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (answers: string[]) => void) => finish(prompts.map(() => password)),
            }),
        });
    }
    const agent = c.agentSocketPath ?? (process.env.SSH_AUTH_SOCK || undefined);
    if (agent !== undefined) {
        methods.push({ name: "publickey", make: (username) => ({ type: "agent", username, agent }) });
    }
    return { methods, hostKey };
}

/** One SSH handshake over an established stream. */
function handshake(sock: net.Socket | NodeJS.ReadWriteStream, c: Connection, cfg: ReturnType<typeof sshConfig>): Promise<Client> {
    return new Promise((resolve, reject) => {
        const client = new Client();
        const tried = new Set<string>();
        let current: string | undefined;
        let settled = false;
        let hostKeyMismatch = false;
        const serverHostKey = cfg.hostKey ? (cfg.hostKey.type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [cfg.hostKey.type]) : undefined;
        client.on("error", (e: Error & { level?: string }) => {
            if (settled) return;
            settled = true;
            client.end();
            let reason = e.message;
            if (hostKeyMismatch) reason = "ssh: host key mismatch";
            else if (e.level === "client-authentication") {
                reason = `ssh: unable to authenticate, attempted methods [${[...tried].sort().join(" ")}], no supported methods remain`;
            } else if (/before handshake|Connection lost|ECONNRESET|socket hang up/i.test(e.message)) reason = "EOF";
            reject(new Error(`ssh: handshake failed: ${reason}`));
        });
        client.on("close", () => {
            if (settled) return;
            settled = true;
            reject(new Error("ssh: handshake failed: EOF"));
        });
        client.on("ready", () => {
            if (settled) return;
            settled = true;
            resolve(client);
        });
        client.connect({
            sock: sock as net.Socket,
            username: c.user,
            readyTimeout: 2 ** 31 - 1,
            keepaliveInterval: 0,
            ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as never } } : {}),
            hostVerifier: (key: Buffer) => {
                if (!cfg.hostKey) return true;
                const ok = key.equals(cfg.hostKey.blob);
                if (!ok) hostKeyMismatch = true;
                return ok;
            },
            authHandler: (methodsLeft, _partial, next) => {
                if (current !== undefined) tried.add(current);
                if (methodsLeft === null || methodsLeft === undefined) {
                    current = "none";
                    next({ type: "none", username: c.user });
                    return;
                }
                const m = cfg.methods.find((x) => !tried.has(x.name) && methodsLeft.includes(x.name as never));
                if (!m) {
                    next(false as never);
                    return;
                }
                current = m.name;
                next(m.make(c.user));
            },
        });
    });
}

/** Dials a new SSH connection, retrying as the real plugin does (PC connection.go:190-243). */
export async function dial(c: Connection, log: ResourceLogger): Promise<Client> {
    const cfg = sshConfig(c);
    if (!c.proxy) {
        return dialWithRetry(log, "Dial", c.dialErrorLimit, async () => {
            const sock = await tcpDial(c.host, c.port, c.perDialTimeout);
            return handshake(sock, c, cfg);
        });
    }
    const p = c.proxy;
    let proxyCfg: ReturnType<typeof sshConfig>;
    try {
        proxyCfg = sshConfig(p);
    } catch (e) {
        throw new Error(`proxy: ${(e as Error).message}`);
    }
    const wrap = async <T>(f: () => Promise<T>) => {
        try {
            return await f();
        } catch (e) {
            throw new Error(`proxy: ${(e as Error).message}`);
        }
    };
    const proxyClient = await wrap(() =>
        dialWithRetry(log, "Dial proxy", p.dialErrorLimit, async () => {
            const sock = await tcpDial(p.host, p.port, p.perDialTimeout);
            return handshake(sock, p, proxyCfg);
        }),
    );
    try {
        const stream = await wrap(() =>
            dialWithRetry(
                log,
                "Dial from proxy",
                c.dialErrorLimit,
                () =>
                    new Promise<ClientChannel>((resolve, reject) =>
                        proxyClient.forwardOut("127.0.0.1", 0, c.host, c.port, (err, ch) => {
                            if (err) reject(new Error(`ssh: rejected: connect failed (${err.message})`));
                            else resolve(ch);
                        }),
                    ),
            ),
        );
        const client = await wrap(() => dialWithRetry(log, "Dial", c.dialErrorLimit, () => handshake(stream as unknown as net.Socket, c, cfg)));
        client.on("close", () => proxyClient.end());
        return client;
    } catch (e) {
        proxyClient.end();
        throw e;
    }
}

// ------------------------------------------------------------------ sessions

interface Internals {
    _chanMgr: { add(cb: unknown): number };
    _protocol: {
        session(id: number, window: number, packet: number): void;
        env(id: number, key: string, val: string, wantReply: boolean): void;
        exec(id: number, cmd: string, wantReply: boolean): void;
    };
}
interface ChannelInternals {
    outgoing: { id: number };
    _callbacks: ((failed: boolean) => void)[];
    subtype?: string;
    allowHalfOpen?: boolean;
}

function openSession(client: Client): Promise<ClientChannel> {
    const c = client as unknown as Internals;
    return new Promise((resolve, reject) => {
        const wrapper = Object.assign((err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch)), { type: "session" });
        const id = c._chanMgr.add(wrapper);
        if (id === -1) {
            reject(new Error("ssh: no free channels available"));
            return;
        }
        c._protocol.session(id, MAX_WINDOW, PACKET_SIZE);
    });
}

/** A channel request with want-reply set; resolves true on success, false on failure. */
function request(client: Client, ch: ClientChannel, send: (p: Internals["_protocol"], id: number) => void): Promise<boolean> {
    const ci = ch as unknown as ChannelInternals;
    return new Promise((resolve) => {
        ci._callbacks.push((failed) => resolve(!failed));
        send((client as unknown as Internals)._protocol, ci.outgoing.id);
    });
}

/** x/crypto/ssh Session.Setenv: want-reply, and "ssh: setenv failed" on refusal. */
export async function setenv(client: Client, ch: ClientChannel, key: string, value: string): Promise<void> {
    const ok = await request(client, ch, (p, id) => p.env(id, key, value, true));
    if (!ok) throw new Error("ssh: setenv failed");
}

export interface RunOptions {
    environment?: Record<string, string>;
    previousStdout?: string;
    previousStderr?: string;
    addPreviousOutputInEnv?: boolean;
    stdin?: string;
    logStdout: boolean;
    logStderr: boolean;
}

const SIGNALS: Record<string, number> = {
    ABRT: 6,
    ALRM: 14,
    FPE: 8,
    HUP: 1,
    ILL: 4,
    INT: 2,
    KILL: 9,
    PIPE: 13,
    QUIT: 3,
    SEGV: 11,
    TERM: 15,
    USR1: 10,
    USR2: 12,
};

/**
 * Runs one command on a new connection (PC commandOutputs.go:30-108) and
 * returns stdout and stderr, each with one trailing newline trimmed.
 */
export async function runCommand(conn: Connection, cmd: string, opts: RunOptions, log: ResourceLogger): Promise<{ stdout: string; stderr: string }> {
    const client = await dial(conn, log);
    try {
        const ch = await openSession(client);
        const setenvErr = (severity: "error" | "warning", key: string, err: Error) => {
            const msg = `Unable to set '${key}'. This only works if your SSH server is configured to accept
	these variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote host, you could
	prefix the command itself with the variables in the form 'VAR=value command'`;
            if (severity === "error") log.error(msg);
            else log.warning(msg);
            return new Error(`could not set environment variable ${JSON.stringify(key)}: ${err.message}`);
        };
        for (const [k, v] of Object.entries(opts.environment ?? {})) {
            try {
                await setenv(client, ch, k, v);
            } catch (e) {
                throw setenvErr("error", k, e as Error);
            }
        }
        if (opts.addPreviousOutputInEnv !== false) {
            for (const [k, v] of [
                ["PULUMI_COMMAND_STDOUT", opts.previousStdout],
                ["PULUMI_COMMAND_STDERR", opts.previousStderr],
            ] as const) {
                if (!v) continue;
                try {
                    await setenv(client, ch, k, v);
                } catch (e) {
                    setenvErr("warning", k, e as Error);
                }
            }
        }

        let stdout = "";
        let stderr = "";
        let both = "";
        let pending = "";
        const emit = (chunk: string, final: boolean) => {
            pending += chunk;
            for (let i = pending.indexOf("\n"); i >= 0; i = pending.indexOf("\n")) {
                log.infoStatus(pending.slice(0, i).replace(/\r$/, ""));
                pending = pending.slice(i + 1);
            }
            if (final && pending !== "") {
                log.infoStatus(pending);
                pending = "";
            }
        };
        const exit = new Promise<{ code?: number; signal?: string }>((resolve) => {
            let result: { code?: number; signal?: string } = {};
            ch.on("exit", (code: number | null, signal?: string) => {
                result = code !== null && code !== undefined ? { code } : { signal: (signal ?? "").replace(/^SIG/, "") };
            });
            ch.on("close", () => resolve(result));
        });
        const outDecoder = new TextDecoder();
        const errDecoder = new TextDecoder();
        ch.on("data", (d: Buffer) => {
            const s = outDecoder.decode(d, { stream: true });
            stdout += s;
            both += s;
            if (opts.logStdout) emit(s, false);
        });
        ch.stderr.on("data", (d: Buffer) => {
            const s = errDecoder.decode(d, { stream: true });
            stderr += s;
            both += s;
            if (opts.logStderr) emit(s, false);
        });

        const ci = ch as unknown as ChannelInternals;
        ci.subtype = "exec";
        ci.allowHalfOpen = true;
        const started = await request(client, ch, (p, id) => p.exec(id, cmd, true));
        if (!started) throw new Error(`ssh: command ${cmd} failed to start`);
        if (opts.stdin) ch.write(opts.stdin);
        ch.end();

        const result = await exit;
        emit("", true);
        if (result.code === 0) {
            return { stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") };
        }
        let reason: string;
        if (result.code !== undefined) reason = `Process exited with status ${result.code}`;
        else if (result.signal) reason = `Process exited with status ${128 + (SIGNALS[result.signal] ?? 0)} from signal ${result.signal}`;
        else reason = "wait: remote command exited without exit status or exit signal";
        throw new Error(`${reason}: running ${goQuote(cmd)}:\n${both}`);
    } finally {
        client.end();
    }
}

// ------------------------------------------------------------------ sftp

export function sftpOf(client: Client): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
}
