import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type HostAccess, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { hostFactsScript, type PreflightSpec } from "./scripts";

export interface HostFactsArgs {
    /** The host to look at. */
    readonly host: HostAccess;
    /** What the preflight checks in haproxy.cfg. */
    readonly preflight: PreflightSpec;
}

/**
 * The preflight, and what the configuration depends on that only the host
 * knows. Every other step on the host waits for it (HostAccess.gate), so a
 * refusal here comes before anything changes. HAProxy's version is reported in
 * the stack's outputs and the API's YAML (apiConfig/yaml.ts describeReloadPath). The
 * probe runs when the host is first deployed, and again whenever its inputs or
 * its connection change; its answer is kept in state, so later previews show
 * the configuration it leads to.
 */
export class HostFacts extends pulumi.ComponentResource {
    /** HAProxy's version, e.g. "2.6.12". */
    public readonly haproxyVersion: pulumi.Output<string>;
    /** The probe, for ordering. */
    public readonly probe: command.remote.Command;

    constructor(name: string, args: HostFactsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:HostFacts`, name, {}, opts);
        // No delete: destroying a probe has nothing to undo, and opens no SSH session.
        this.probe = remoteScript(`${name}-haproxy`, args.host, { create: hostFactsScript(args.preflight) }, { parent: this });
        this.haproxyVersion = this.probe.stdout.apply((out) => /^haproxy_version=(\S+)$/m.exec(out)?.[1] ?? "unknown");
        this.registerOutputs({ haproxyVersion: this.haproxyVersion });
    }
}
