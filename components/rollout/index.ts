import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type HostAccess, type HostStep, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { type GateSpec, healthGateScript } from "./scripts";

export interface HealthGateArgs {
    /** The host the gate checks (its commands run there). */
    readonly host: HostAccess;
    /** Every step on the host: the gate runs after them, and again whenever one of them changes. */
    readonly steps: readonly HostStep[];
    /** What the gate checks, and for how long. */
    readonly gate: GateSpec;
    /** A curl config with the API's credentials, as a secret. */
    readonly credentials: pulumi.Input<string>;
}

/**
 * A rolling change's health gate for one host. The hosts of the next batch
 * wait for it (through their HostAccess.gate), so a host that does not come
 * back healthy stops the rollout before the next host is touched.
 *
 * It must run again whenever the host changes, so its triggers are the
 * fingerprints of the host's steps; a change replaces it, and since it has no
 * `delete`, a replace only runs the new check. Secret inputs keep their
 * fingerprints secret.
 */
export class HealthGate extends pulumi.ComponentResource {
    /** The check; the next batch depends on it. */
    public readonly check: command.remote.Command;

    constructor(name: string, args: HealthGateArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:HealthGate`, name, {}, opts);
        this.check = remoteScript(
            `${name}-check`,
            args.host,
            {
                create: healthGateScript(args.gate),
                stdin: pulumi.secret(args.credentials),
                triggers: args.steps.map((s) => s.fingerprint),
            },
            { parent: this, dependsOn: args.steps.map((s) => s.resource) },
        );
        this.registerOutputs({});
    }
}
