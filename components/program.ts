import type * as pulumi from "@pulumi/pulumi";
import type { DeploymentConfig } from "./config";
import { DataplaneHost } from "./host";

/** What the stack exports for one host. */
export interface HostOutputs {
    apiUrl: pulumi.Output<string>;
    version: pulumi.Output<string>;
    caCertificate: pulumi.Output<string | undefined>;
    /** The host's HAProxy version and how the API reloads it there. */
    haproxy: pulumi.Output<string>;
}

/** Registers one DataplaneHost per configured host; they share nothing, so they deploy in parallel. */
export function deployStack(config: DeploymentConfig): Record<string, HostOutputs> {
    const out: Record<string, HostOutputs> = {};
    for (const host of config.hosts) {
        const h = new DataplaneHost(host.name, { host, config });
        out[host.name] = { apiUrl: h.apiUrl, version: h.version, caCertificate: h.caCertificate, haproxy: h.haproxy };
    }
    return out;
}
