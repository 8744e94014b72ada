import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sha256Hex } from "./digest";
import { asRoot, removeFileScript, type WriteFileSpec, writeFileScript } from "./shell";

/** Every component type token starts with this, so it is spelled once. */
export const TOKEN_PREFIX = "haproxy-dataplane:index";

/** How to reach one host. */
export interface HostAccess {
    /** SSH connection, with the private key as a secret Output. */
    connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** True when the SSH user is not root: scripts then run under `sudo -n`. */
    useSudo: boolean;
    /**
     * Steps every command on this host waits for: the preflight, so that a
     * refusal comes before any change; in a rolling change, the previous
     * batch's health gates.
     */
    gate?: pulumi.Resource[];
    /** When set, every command made for this host is recorded here (a health gate runs after them all). */
    steps?: HostStep[];
}

/** One command on a host, and a digest of what it runs (secret when its stdin is). */
export interface HostStep {
    resource: command.remote.Command;
    fingerprint: pulumi.Output<string>;
}

export interface RemoteScriptArgs {
    /** The script (a step's scripts.ts); an Output only when it embeds a value known after another step. */
    create: pulumi.Input<string>;
    delete?: string;
    /** Secrets go here, never into the scripts. */
    stdin?: pulumi.Input<string>;
    /**
     * Values whose change replaces the command (providers.md). Only for a
     * command with no `delete`: a replace runs the old `delete` after the new
     * `create`.
     */
    triggers?: pulumi.Input<string>[];
}

/**
 * A script run as root on a host. Every change to it is an in-place update,
 * which runs the new `create` (the provider does when `update` is unset, and
 * leaving it unset keeps each script once in a preview). `triggers`, the one
 * input whose change replaces, is refused next to a `delete`, because a
 * replace runs the old `delete` after the new `create`: for a file, it deletes
 * what was just written.
 */
export function remoteScript(name: string, host: HostAccess, args: RemoteScriptArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    if (args.triggers !== undefined && args.delete !== undefined) throw new Error(`${name}: a command with a delete must not have triggers`);
    const create = pulumi.output(args.create).apply((s) => asRoot(s, host.useSudo));
    const cmd = new command.remote.Command(
        name,
        {
            connection: host.connection,
            create,
            delete: args.delete === undefined ? undefined : asRoot(args.delete, host.useSudo),
            stdin: args.stdin,
            triggers: args.triggers,
            // PULUMI_COMMAND_STDOUT would travel as SSH setenv, which sshd refuses by default.
            addPreviousOutputInEnv: false,
            logging: "stdoutAndStderr",
        },
        withGate(host, opts),
    );
    host.steps?.push({
        resource: cmd,
        fingerprint: pulumi.all([create, args.stdin ?? ""]).apply(([c, s]) => `${name}: ${sha256Hex(`${c}\0${s}`).slice(0, 16)}`),
    });
    return cmd;
}

/** The options with the host's gate added to dependsOn. */
export function withGate(host: HostAccess, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    if (!host.gate?.length) return opts;
    return pulumi.mergeOptions(opts, { dependsOn: host.gate });
}

/** A file on the host whose content is this command's stdin: a content change re-writes exactly this file. */
export function remoteFile(
    name: string,
    host: HostAccess,
    spec: WriteFileSpec,
    content: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): command.remote.Command {
    return remoteScript(
        name,
        host,
        {
            create: writeFileScript(spec),
            delete: removeFileScript(spec),
            stdin: content,
        },
        opts,
    );
}
