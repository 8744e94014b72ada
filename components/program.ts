import * as pulumi from "@pulumi/pulumi";
import type { DeploymentConfig } from "./config";
import { DataplaneHost } from "./host";
import { describeRollout, rolloutBatches } from "./rollout/plan";

/** What the stack exports for one host. */
export interface HostOutputs {
    apiUrl: pulumi.Output<string>;
    version: pulumi.Output<string>;
    caCertificate: pulumi.Output<string | undefined>;
    /** The host's HAProxy version and how the API reloads it there. */
    haproxy: pulumi.Output<string>;
}

/**
 * Registers one DataplaneHost per configured host. They share nothing, so by
 * default they deploy in parallel; with rolloutBatchSize, each batch waits for
 * the health gates of the batch before it.
 */
export function deployStack(config: DeploymentConfig): Record<string, HostOutputs> {
    const out: Record<string, HostOutputs> = {};
    const batches = rolloutBatches(config.hosts, config.rollout.batchSize);
    if (batches.length > 1)
        pulumi.log.info(
            `rollout order: ${describeRollout(
                config.hosts.map((h) => h.name),
                config.rollout.batchSize,
            )}`,
        );
    let after: pulumi.Resource[] = [];
    for (const [i, batch] of batches.entries()) {
        const gates: pulumi.Resource[] = [];
        const nextBatch = (batches[i + 1] ?? []).map((h) => h.name);
        for (const host of batch) {
            const h = new DataplaneHost(host.name, { host, config, after, nextBatch });
            if (h.gate) gates.push(h.gate);
            out[host.name] = { apiUrl: h.apiUrl, version: h.version, caCertificate: h.caCertificate, haproxy: h.haproxy };
        }
        after = gates;
    }
    return out;
}
