import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type HostAccess, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { type PreflightSpec, preflightScript } from "./scripts";

export interface PreflightArgs {
    /** The host to check. */
    readonly host: HostAccess;
    /** What the preflight checks in haproxy.cfg and the directories. */
    readonly preflight: PreflightSpec;
    /**
     * The name this step had when it was called HostFacts (`<host>-facts`,
     * its command `<host>-facts-haproxy`): a stack deployed then takes this
     * step over in place, through aliases. Default: none.
     */
    readonly upgradesFrom?: string;
}

/**
 * The preflight: it refuses a host the deployment cannot take (no HAProxy, a
 * section or directory someone else owns) and reports what only the host
 * knows, HAProxy's version. Every other step on the host waits for it
 * (HostAccess.gate), so a refusal comes before anything changes. HAProxy's
 * version is reported in the stack's outputs and the API's YAML
 * (apiConfig/yaml.ts describeReloadPath). The check runs when the host is first
 * deployed, and again whenever its inputs or its connection change; its answer
 * is kept in state, so later previews show the configuration it leads to.
 */
export class Preflight extends pulumi.ComponentResource {
    /** HAProxy's version, e.g. "2.6.12". */
    public readonly haproxyVersion: pulumi.Output<string>;
    /** The check, which every other step on the host waits for. */
    public readonly check: command.remote.Command;

    constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        const legacy = args.upgradesFrom;
        const legacyType = `${TOKEN_PREFIX}:HostFacts`;
        super(`${TOKEN_PREFIX}:Preflight`, name, {}, pulumi.mergeOptions(opts, { aliases: legacy ? [{ type: legacyType, name: legacy }] : [] }));
        // No delete: destroying a check has nothing to undo, and opens no SSH session.
        this.check = remoteScript(
            `${name}-check`,
            args.host,
            { create: preflightScript(args.preflight) },
            {
                parent: this,
                aliases: legacy ? [{ name: `${legacy}-haproxy`, parent: pulumi.createUrn(legacy, legacyType, opts?.parent) }] : [],
            },
        );
        this.haproxyVersion = this.check.stdout.apply((out) => /^haproxy_version=(\S+)$/m.exec(out)?.[1] ?? "unknown");
        this.registerOutputs({ haproxyVersion: this.haproxyVersion });
    }
}
