/**
 * TEST EQUIPMENT: a stand-in for the `command` provider plugin v1.2.1
 * (pulumi-resource-command), which cannot be downloaded or built on these
 * machines. It implements command:remote:Command and
 * command:remote:CopyToRemote to the contract in
 * ../../../../shared/docs/providers.md (see README.md beside this file),
 * on @pulumi/pulumi's Node provider server. Never part of the program.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { type CheckFailure, type CheckResult, type CreateResult, type DiffResult, main, type Provider, type UpdateResult } from "@pulumi/pulumi/provider";
import { copyToRemote, type CopySource } from "./copy";
import { EngineLog, engineAddressFromArgs, ResourceLogger } from "./engineLog";
import { parseConnection, runCommand } from "./ssh";
import { assetOf, deepEqual, isSecret, type Json, type Props, reveal, secret } from "./values";

export const VERSION = "1.2.1";
const COMMAND = "command:remote:Command";
const COPY = "command:remote:CopyToRemote";

const args = process.argv.slice(2);
const engine = new EngineLog(engineAddressFromArgs(args));

function typeOf(urn: string): string {
    return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}
function nameOf(urn: string): string {
    return urn.split("::")[3] ?? "";
}

/** The inputs of a Command, in the order the real plugin's schema lists them. */
const COMMAND_INPUTS = ["addPreviousOutputInEnv", "connection", "create", "delete", "environment", "logging", "stdin", "triggers", "update"];
const COPY_INPUTS = ["connection", "remotePath", "source", "triggers"];

/** The given properties, unset ones left out, `connection` always secret. */
function stateOf(props: Props, keys: string[]): Props {
    const out: Props = {};
    for (const k of keys) {
        if (props[k] === undefined || props[k] === null) continue;
        out[k] = k === "connection" ? secret(props[k]) : props[k];
    }
    return out;
}

/** Fills the connection defaults inside the (secret) connection, as the schema's defaults do. */
function withConnectionDefaults(v: Json): Json {
    const wrapped = isSecret(v);
    const inner = wrapped ? (v as { value: Json }).value : v;
    if (typeof inner !== "object" || inner === null || Array.isArray(inner)) return v;
    const c: { [k: string]: Json } = { ...inner };
    const defaults: Props = { user: "root", port: 22, dialErrorLimit: 10, perDialTimeout: 15 };
    for (const [k, d] of Object.entries(defaults)) if (c[k] === undefined || c[k] === null) c[k] = d;
    return wrapped ? secret(c) : c;
}

function str(v: Json | undefined): string | undefined {
    return typeof v === "string" ? v : undefined;
}

const LOGGING = ["stdout", "stderr", "stdoutAndStderr", "none"];

// ------------------------------------------------------------------ Command

async function runFor(urn: string, props: Props, cmd: string, previous: { stdout: string; stderr: string }): Promise<{ stdout: string; stderr: string }> {
    const r = reveal(props) as { [k: string]: Json };
    const log = new ResourceLogger(engine, urn);
    const logging = str(r.logging);
    try {
        return await runCommand(
            parseConnection(r.connection),
            cmd,
            {
                environment: (r.environment ?? undefined) as Record<string, string> | undefined,
                previousStdout: previous.stdout,
                previousStderr: previous.stderr,
                addPreviousOutputInEnv: r.addPreviousOutputInEnv !== false,
                stdin: str(r.stdin),
                logStdout: logging === undefined || logging === "stdout" || logging === "stdoutAndStderr",
                logStderr: logging === undefined || logging === "stderr" || logging === "stdoutAndStderr",
            },
            log,
        );
    } finally {
        await log.flush();
    }
}

const command = {
    check(news: Props): CheckResult {
        const failures: CheckFailure[] = [];
        if (news.connection === undefined) failures.push({ property: "connection", reason: "Missing required field 'connection' on 'remote.CommandInputs'" });
        const logging = reveal(news.logging);
        if (typeof logging === "string" && !LOGGING.includes(logging)) {
            failures.push({ property: "logging", reason: `value ${JSON.stringify(logging)} is not a valid Logging (${LOGGING.join(", ")})` });
        }
        const inputs = { ...news };
        if (inputs.connection !== undefined) inputs.connection = withConnectionDefaults(inputs.connection);
        return { inputs, failures };
    },

    async create(urn: string, inputs: Props): Promise<CreateResult> {
        const id = nameOf(urn) + randomBytes(4).toString("hex");
        const create = str(reveal(inputs.create));
        let out = { stdout: "", stderr: "" };
        if (create !== undefined) out = await runFor(urn, inputs, create, out);
        return { id, outs: { ...stateOf(inputs, COMMAND_INPUTS), stdout: out.stdout, stderr: out.stderr } };
    },

    async update(urn: string, olds: Props, news: Props): Promise<UpdateResult> {
        const previous = { stdout: str(olds.stdout) ?? "", stderr: str(olds.stderr) ?? "" };
        const cmd = str(reveal(news.update)) ?? str(reveal(news.create));
        let out = previous;
        if (cmd !== undefined) out = await runFor(urn, news, cmd, previous);
        return { outs: { ...stateOf(news, COMMAND_INPUTS), stdout: out.stdout, stderr: out.stderr } };
    },

    async delete(urn: string, props: Props): Promise<void> {
        const del = str(reveal(props.delete));
        if (del === undefined) return;
        await runFor(urn, props, del, { stdout: str(props.stdout) ?? "", stderr: str(props.stderr) ?? "" });
    },
};

// ------------------------------------------------------------------ CopyToRemote

function copySource(source: Json | undefined): CopySource {
    const a = assetOf(source);
    if (!a) throw new Error("source: not an asset or archive");
    if (a.kind === "asset" && a.text !== undefined && a.path === undefined) return { kind: "text", text: a.text };
    if (a.path === undefined) throw new Error("source: must be a path-based file asset, a text asset or a path archive");
    // Relative paths are relative to the plugin's working directory (the program's), as for the real plugin.
    return { kind: "path", path: a.path.endsWith("/") ? `${path.resolve(a.path)}/` : path.resolve(a.path) };
}

const copy = {
    check(news: Props): CheckResult {
        const failures: CheckFailure[] = [];
        for (const k of ["connection", "remotePath", "source"]) {
            if (news[k] === undefined) failures.push({ property: k, reason: `Missing required field '${k}' on 'remote.CopyToRemoteInputs'` });
        }
        if (news.source !== undefined) {
            const a = assetOf(news.source);
            if (!a) failures.push({ property: "asset", reason: "either asset or archive must be set" });
            else if (a.kind === "asset" && a.path === undefined && a.text === undefined) {
                failures.push({ property: "asset", reason: "asset must be a path-based file asset or a text asset" });
            } else if (a.kind === "archive" && a.path === undefined) {
                failures.push({ property: "archive", reason: "archive must be a path to a file or directory" });
            }
        }
        const inputs = { ...news };
        if (inputs.connection !== undefined) inputs.connection = withConnectionDefaults(inputs.connection);
        return { inputs, failures };
    },

    async copy(urn: string, props: Props): Promise<void> {
        const r = reveal(props) as { [k: string]: Json };
        const log = new ResourceLogger(engine, urn);
        try {
            await copyToRemote(parseConnection(r.connection), copySource(props.source), str(r.remotePath) ?? "", log);
        } finally {
            await log.flush();
        }
    },

    async create(urn: string, inputs: Props): Promise<CreateResult> {
        await copy.copy(urn, inputs);
        return { id: randomBytes(4).toString("hex"), outs: stateOf(inputs, COPY_INPUTS) };
    },

    async update(urn: string, olds: Props, news: Props): Promise<UpdateResult> {
        const hash = (v: Json | undefined) => assetOf(v)?.hash ?? "";
        const needCopy = hash(news.source) !== hash(olds.source) || !deepEqual(reveal(news.remotePath), reveal(olds.remotePath));
        if (needCopy) await copy.copy(urn, news);
        return { outs: stateOf(news, COPY_INPUTS) };
    },
};

// ------------------------------------------------------------------ provider

function unknownType(urn: string): Error {
    return new Error(`unknown resource type ${JSON.stringify(typeOf(urn))}`);
}

const provider: Provider = {
    version: VERSION,

    async check(urn: string, _olds: Props, news: Props): Promise<CheckResult> {
        switch (typeOf(urn)) {
            case COMMAND:
                return command.check(news);
            case COPY:
                return copy.check(news);
            default:
                throw unknownType(urn);
        }
    },

    /**
     * Only `triggers` replaces (GP infer/resource.go:1132-1152). The Node
     * server's DiffResult has no detailed diff, and `changes: true` without
     * `replaces` would stop the engine from applying the SDK's
     * `replaceOnChanges`. So: no change -> `changes: false`; any change ->
     * `changes` left unknown, so that the engine diffs the inputs itself
     * (detailed diff, replaceOnChanges, ignoreChanges all apply), plus
     * `replaces: ["triggers"]` when `triggers` differ in any way (including
     * the whole array being added or removed, the schema's replaceOnChanges).
     */
    async diff(_id: string, urn: string, olds: Props, news: Props): Promise<DiffResult> {
        const keys = typeOf(urn) === COPY ? COPY_INPUTS : COMMAND_INPUTS;
        const changed = keys.some((k) => !deepEqual(k === "connection" ? reveal(olds[k]) : olds[k], k === "connection" ? reveal(news[k]) : news[k]));
        if (!changed) return { changes: false };
        return deepEqual(reveal(olds.triggers), reveal(news.triggers)) ? {} : { replaces: ["triggers"] };
    },

    async create(urn: string, inputs: Props): Promise<CreateResult> {
        switch (typeOf(urn)) {
            case COMMAND:
                return command.create(urn, inputs);
            case COPY:
                return copy.create(urn, inputs);
            default:
                throw unknownType(urn);
        }
    },

    async update(_id: string, urn: string, olds: Props, news: Props): Promise<UpdateResult> {
        switch (typeOf(urn)) {
            case COMMAND:
                return command.update(urn, olds, news);
            case COPY:
                return copy.update(urn, olds, news);
            default:
                throw unknownType(urn);
        }
    },

    async delete(_id: string, urn: string, props: Props): Promise<void> {
        switch (typeOf(urn)) {
            case COMMAND:
                return command.delete(urn, props);
            case COPY:
                return; // CopyToRemote has no delete: the remote file stays.
            default:
                throw unknownType(urn);
        }
    },

    // No read: refresh hands the state back unchanged and connects nowhere.
};

void main(provider, args);
