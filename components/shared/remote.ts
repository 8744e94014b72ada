import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { asRoot, removeFileScript, type WriteFileSpec, writeFileScript } from "./shell";

/** Every component type token starts with this, so it is spelled once. */
export const TOKEN_PREFIX = "haproxy-dataplane:index";

/** How to reach one host. */
export interface HostAccess {
    /** SSH connection, with the private key as a secret Output. */
    connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** True when the SSH user is not root: scripts then run under `sudo -n`. */
    useSudo: boolean;
    /** Steps every command on this host waits for: the preflight, so that a refusal comes before any change. */
    gate?: pulumi.Resource[];
}

export interface RemoteScriptArgs {
    /** The script (a step's scripts.ts); an Output only when it embeds a value known after another step. */
    create: pulumi.Input<string>;
    delete?: string;
    /** Secrets go here, never into the scripts. */
    stdin?: pulumi.Input<string>;
}

/**
 * A script run as root on a host. Every change to it is an in-place update,
 * which runs the new `create` (the provider does when `update` is unset, and
 * leaving it unset keeps each script once in a preview); nothing here sets
 * `triggers`, the one input whose change replaces, because a replace runs the
 * old `delete` after the new `create`: for a file, it deletes what was just
 * written.
 */
export function remoteScript(name: string, host: HostAccess, args: RemoteScriptArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: host.connection,
            create: pulumi.output(args.create).apply((s) => asRoot(s, host.useSudo)),
            delete: args.delete === undefined ? undefined : asRoot(args.delete, host.useSudo),
            stdin: args.stdin,
            // PULUMI_COMMAND_STDOUT would travel as SSH setenv, which sshd refuses by default.
            addPreviousOutputInEnv: false,
            logging: "stdoutAndStderr",
        },
        withGate(host, opts),
    );
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
