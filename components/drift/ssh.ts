/**
 * Runs the drift check's scripts on a host with the workstation's OpenSSH
 * client. The private key goes to an ssh-agent of this process's own on its
 * stdin, so it never touches a disk; the agent's socket is in a directory only
 * this user can enter, and both go when the run ends.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { asRoot } from "../shared/shell";

export interface SshTarget {
    name: string;
    address: string;
    port: number;
    user: string;
    /** The host's public key (`<type> <base64>`); without it, any key is accepted, as the command provider does. */
    hostKey?: string;
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export class SshSession {
    private readonly dir = mkdtempSync(path.join(tmpdir(), "dpdeploy-drift-"));
    private readonly socket = path.join(this.dir, "agent.sock");
    private agent?: ChildProcess;

    /** Starts the agent and gives it the keys (PEM or OpenSSH text). */
    async start(keys: readonly string[]): Promise<void> {
        this.agent = spawn("ssh-agent", ["-D", "-a", this.socket], { stdio: ["ignore", "ignore", "pipe"] });
        await waitFor(async () => (await run("ssh-add", ["-l"], "", { SSH_AUTH_SOCK: this.socket })).code !== 2, "ssh-agent to listen");
        for (const key of new Set(keys)) {
            const added = await run("ssh-add", ["-q", "-"], key.endsWith("\n") ? key : `${key}\n`, { SSH_AUTH_SOCK: this.socket });
            if (added.code !== 0) throw new Error(`ssh-add refused a private key from the stack's config: ${added.stderr.trim()}`);
        }
    }

    /** Runs a script as root on the host (through `sudo -n` for another user). */
    run(host: SshTarget, script: string): Promise<RunResult> {
        const args = ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", `IdentityAgent=${this.socket}`, "-o", "ConnectTimeout=15", "-p", String(host.port)];
        if (host.hostKey) {
            const known = path.join(this.dir, `known_hosts-${host.name}`);
            writeFileSync(known, `dpdeploy-${host.name} ${host.hostKey}\n`);
            args.push("-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${known}`, "-o", `HostKeyAlias=dpdeploy-${host.name}`);
        } else {
            args.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR");
        }
        args.push(`${host.user}@${host.address}`, asRoot(script, host.user !== "root"));
        return run("ssh", args, "", { SSH_AUTH_SOCK: this.socket });
    }

    close(): void {
        this.agent?.kill();
        rmSync(this.dir, { recursive: true, force: true });
    }
}

export function run(command: string, args: string[], input: string, env: Record<string, string>): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d) => out.push(d));
        child.stderr.on("data", (d) => err.push(d));
        child.once("error", reject);
        child.once("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
        // A command that exits before reading its stdin (ssh that could not connect) closes the pipe:
        // the write then fails with EPIPE, which is not the run's failure: its exit status and stderr say what went wrong.
        child.stdin.on("error", () => {});
        child.stdin.end(input);
    });
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`gave up waiting for ${what}`);
}
