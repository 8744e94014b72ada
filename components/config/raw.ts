import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, type ConfigKey } from "./schema";

/**
 * The stack's configuration as text, before any parsing, read from either of
 * the two places that hold it: the running Pulumi program (readRawConfig), or
 * `pulumi config --json --show-secrets` for the tools that run outside the
 * engine, such as the drift command (rawConfigFromCli). parseConfig takes either.
 */

/** The raw configuration as the engine hands it over: strings, or JSON for structured keys. */
export interface RawConfig {
    /** Value of each key that is set, before any parsing. */
    values: Partial<Record<ConfigKey, string>>;
    /** Keys whose values are stored encrypted. */
    secretKeys: ReadonlySet<string>;
}

/**
 * Reads every key of this project from the running Pulumi program. Values are
 * read raw (`pulumi.runtime.getConfig`) so that secrets can be checked without
 * Pulumi's "use getSecret" warning; parseConfig wraps them again.
 */
export function readRawConfig(project = pulumi.getProject()): RawConfig {
    const values: Partial<Record<ConfigKey, string>> = {};
    const secretKeys = new Set<string>();
    for (const key of CONFIG_KEYS) {
        const full = `${project}:${key}`;
        const v = pulumi.runtime.getConfig(full);
        if (v !== undefined) values[key] = v;
        if (isConfigSecret(full)) secretKeys.add(key);
    }
    return { values, secretKeys };
}

/** Every key of project `project` in `pulumi config --json --show-secrets` output. */
export function rawConfigFromCli(json: string, project: string): RawConfig {
    const entries = JSON.parse(json) as Record<string, { value?: string; secret?: boolean }>;
    const values: Partial<Record<ConfigKey, string>> = {};
    const secretKeys = new Set<string>();
    for (const key of CONFIG_KEYS) {
        const e = entries[`${project}:${key}`];
        if (e?.value === undefined) continue;
        values[key] = e.value;
        if (e.secret) secretKeys.add(key);
    }
    return { values, secretKeys };
}

/**
 * Whether a key is stored encrypted. The SDK has this function but leaves it out
 * of its type declarations; without it, plaintext secrets could not be refused.
 */
function isConfigSecret(fullKey: string): boolean {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    if (typeof runtime.isConfigSecret !== "function") {
        throw new Error("this @pulumi/pulumi has no runtime.isConfigSecret; pin the version in package.json");
    }
    return runtime.isConfigSecret(fullKey);
}
