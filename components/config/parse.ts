import { z } from "zod";
import { type CheckedSettings, crossChecks } from "./checks";
import { type DeploymentConfig, toDeploymentConfig } from "./deployment";
import { quote } from "./quote";
import type { RawConfig } from "./raw";
import { CONFIG_KEYS, type ConfigKey, configSchema, defaultOf, SECRET_KEYS, type Settings, typeOf, type ValueType } from "./schema";
import { ARCHES, type Arch, hostSchema } from "./values";

/**
 * Parsing and checking the whole configuration, before any resource exists.
 * Every problem is reported at once, each naming its key, quoting the value
 * (or `[secret]`, never a secret) and saying what is allowed.
 */

export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** The typed configuration the components take. Pure: no Pulumi runtime is needed, so tests call it directly. */
export function parseConfig(raw: RawConfig): DeploymentConfig {
    return toDeploymentConfig(parseSettings(raw));
}

/** What a value that is not valid JSON was meant to be, by its key's type. */
const JSON_KIND: Record<Exclude<ValueType, "string">, string> = {
    array: "JSON list",
    object: "JSON object",
    integer: "number",
    number: "number",
    boolean: "boolean",
};

/**
 * The checked settings, plain values (secrets too): for a tool that runs
 * outside the engine and must use them, such as the drift command. Throws a
 * ConfigError listing every problem.
 */
export function parseSettings(raw: RawConfig): Settings {
    const problems: string[] = [];
    const input: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
        const text = raw.values[key];
        const { type } = typeOf(key);
        if (text === undefined || type === "string") {
            input[key] = text ?? defaultOf(key);
            continue;
        }
        try {
            input[key] = JSON.parse(text);
        } catch {
            problems.push(`${key}: ${quote(key, text)} is not a valid ${JSON_KIND[type]}`);
            input[key] = defaultOf(key);
        }
    }

    for (const key of SECRET_KEYS) {
        const v = raw.values[key];
        if (v !== undefined && v !== "" && v !== "{}" && !raw.secretKeys.has(key)) {
            problems.push(`${key}: is stored in plaintext; set it with \`pulumi config set --secret ${key}\``);
        }
    }

    // On the raw input: a key such as "__proto__" does not survive parsing into an object.
    unknownHostKeys(input, problems);

    // Checked before the schema, so they are reported even when other keys are wrong.
    for (const key of ["apiUsername", "apiPassword"] as const) {
        if (input[key] === "") problems.push(`${key}: is not set; set it with \`pulumi config set --secret ${key} <value>\``);
    }

    const result = configSchema.safeParse(input);
    if (result.success) {
        crossChecks(result.data, problems);
        if (problems.length > 0) throw new ConfigError(problems);
        return result.data;
    }
    for (const issue of result.error.issues) {
        const key = issue.path[0] as ConfigKey;
        const value = valueAt(input, issue.path);
        const where = issue.path
            .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
            .join("")
            .slice(1);
        problems.push(`${where}: ${quote(key, value)} ${messageFor(issue)}`);
    }
    // Cross-field checks still run, on the keys that did parse (the others at
    // their defaults), so one run reports every problem at once.
    const rest = settingsForChecks(input, new Set(result.error.issues.map((i) => i.path[0] as ConfigKey)));
    if (rest) crossChecks(rest, problems);
    throw new ConfigError(problems);
}

/**
 * The input with every key that failed at its default, each parsed on its own;
 * hosts keep what the cross-checks read (a name, and the arch if it is one).
 */
function settingsForChecks(input: Record<string, unknown>, failed: ReadonlySet<ConfigKey>): CheckedSettings | undefined {
    const out: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
        if (key === "hosts") continue;
        const r = configSchema.shape[key].safeParse(failed.has(key) ? defaultOf(key) : input[key]);
        if (!r.success) return undefined;
        out[key] = r.data;
    }
    out.hosts = Array.isArray(input.hosts)
        ? input.hosts
              .filter((h): h is Record<string, unknown> => h !== null && typeof h === "object" && typeof (h as Record<string, unknown>).name === "string")
              .map((h) => ({ name: h.name as string, arch: (ARCHES as readonly unknown[]).includes(h.arch) ? (h.arch as Arch) : undefined }))
        : [];
    return out as CheckedSettings;
}

function unknownHostKeys(input: Record<string, unknown>, problems: string[]): void {
    const keys = input.sshPrivateKeys;
    if (keys === null || typeof keys !== "object" || Array.isArray(keys)) return;
    const names = Array.isArray(input.hosts)
        ? input.hosts
              .map((h) => (h !== null && typeof h === "object" ? (h as Record<string, unknown>).name : undefined))
              .filter((n): n is string => typeof n === "string")
        : [];
    for (const name of Object.keys(keys)) {
        if (!names.includes(name)) problems.push(`sshPrivateKeys.${name}: names no host in \`hosts\` (${names.map((n) => `"${n}"`).join(", ")})`);
    }
}

function valueAt(input: Record<string, unknown>, path: (string | number)[]): unknown {
    let v: unknown = input;
    for (const p of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<string | number, unknown>)[p];
    }
    return v;
}

function messageFor(issue: z.ZodIssue): string {
    switch (issue.code) {
        case z.ZodIssueCode.invalid_type:
            return issue.received === "undefined" ? "is required" : `must be a ${issue.expected}, not a ${issue.received}`;
        case z.ZodIssueCode.invalid_enum_value:
            return `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}`;
        case z.ZodIssueCode.invalid_union:
            return `is not allowed here: ${issue.unionErrors.flatMap((e) => e.issues.map(messageFor)).join("; or ")}`;
        case z.ZodIssueCode.unrecognized_keys:
            // Only a host entry is strict.
            return `has unknown field${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => `"${k}"`).join(", ")}; allowed: ${Object.keys(hostSchema.shape).join(", ")}`;
        case z.ZodIssueCode.too_small:
            return issue.type === "number" ? `must be at least ${issue.minimum}` : issue.message;
        case z.ZodIssueCode.too_big:
            return issue.type === "number" ? `must be at most ${issue.maximum}` : issue.message;
        default:
            return issue.message;
    }
}
