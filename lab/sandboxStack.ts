/**
 * Where the sandbox keeps its stack, and what the `pulumi` CLI needs to reach
 * it: shared by scripts/sandbox.ts (which deploys) and scripts/pulumi.ts (the
 * CLI as a user types it), so that the two always work on the same stack.
 *
 * The stack's state, its passphrase and the engine's home (plugins included)
 * are in the cache, never in the user's ~/.pulumi. Its settings file,
 * Pulumi.sandbox.yaml, sits beside Pulumi.prod.yaml (git ignores it); with
 * LB_SANDBOX_DIR set (a sandbox of its own, as the tests make), everything is
 * in that directory instead. LB_SANDBOX_HOST and LB_SANDBOX_INDEX name its
 * host and the lab index of its address (default: "sandbox", 9).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CACHE, REPO } from "./lab";
import { onlyHost } from "./hosts";
import { engineEnv } from "./workspace";

export const SANDBOX = process.env.LB_SANDBOX_DIR ?? path.join(CACHE, "sandbox");
export const STATE = path.join(SANDBOX, "state");
export const STACK = "sandbox";
export const STACK_CONFIG_DIR = process.env.LB_SANDBOX_DIR ? SANDBOX : REPO;
export const HOST = process.env.LB_SANDBOX_HOST ?? "sandbox";
export const INDEX = Number(process.env.LB_SANDBOX_INDEX ?? onlyHost("sandbox").index);
/** A fixed port, so that the download URL in the stack's settings is the same on every run. */
export const MIRROR_PORT = 18089;
export const PASSPHRASE_FILE = path.join(SANDBOX, "passphrase");
/** What scripts/sandbox.ts last used, for scripts/pulumi.ts: the engine and the archive mirror. */
const CLI_FILE = path.join(SANDBOX, "cli.json");

export interface CliSettings {
    /** The engine's directory (pulumi, pulumi-language-nodejs). */
    binDir: string;
    /** The files the download mirror serves. */
    mirrorDir: string;
    /** The workspace the stack lives in: the program's Pulumi.yaml with the plugins block. */
    workDir: string;
}

export function saveCliSettings(s: CliSettings): void {
    writeFileSync(CLI_FILE, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
}

export function loadCliSettings(): CliSettings | undefined {
    return existsSync(CLI_FILE) ? JSON.parse(readFileSync(CLI_FILE, "utf8")) : undefined;
}

/** The environment of every engine call on the sandbox stack: its backend, home and passphrase file. */
export function cliEnv(binDir: string): Record<string, string> {
    return { ...engineEnv(binDir, STATE), PULUMI_CONFIG_PASSPHRASE_FILE: PASSPHRASE_FILE };
}
