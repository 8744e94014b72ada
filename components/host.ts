import * as pulumi from "@pulumi/pulumi";
import { ApiConfigFiles } from "./apiConfig";
import { DataplaneBinary } from "./binary";
import type { ApiTlsPlan, DeploymentConfig, HostConfig } from "./config";
import { DirectorySet } from "./directories";
import { Preflight } from "./preflight";
import { HaproxyIntegration } from "./haproxy";
import { type ManagedSectionsModel, managedSectionIds } from "./haproxy/sections";
import { DataplaneService } from "./service";
import { curlCredentialsConfig } from "./service/credentials";
import { ReloadService } from "./reload";
import { HealthGate } from "./rollout";
import { checkUrlFor } from "./rollout/plan";
import { PATHS } from "./shared/paths";
import { type HostAccess, TOKEN_PREFIX } from "./shared/remote";
import { ApiTls } from "./tls";

export interface DataplaneHostArgs {
    /** The host, with its SSH private key as a secret. */
    readonly host: HostConfig & { privateKey: pulumi.Output<string> };
    /** The validated stack configuration (shared by all hosts). */
    readonly config: DeploymentConfig;
    /** In a rolling change: the previous batch's health gates, which every step here waits for. Default: none. */
    readonly after?: pulumi.Resource[];
    /** In a rolling change: the hosts of the next batch, named by this host's gate. Default: none. */
    readonly nextBatch?: readonly string[];
}

/** What the API's TLS plan means for one host's steps. */
interface TlsWiring {
    /** The API serves HTTPS. */
    https: boolean;
    /** The certificate the host gets: none (plain HTTP), one from the stack's private CA, or the user's own. */
    certificate: { kind: "none" } | { kind: "private-ca" } | { kind: "own"; certPem: string; keyPem: pulumi.Output<string> };
    /** The name a local client (the start's probe, the health gate) asks for: the one the certificate is for. */
    probeHost: string;
    /** The CA file on the host that a local client verifies the API with; undefined: the system's CAs, or no TLS. */
    probeCaFile?: string;
    /** How HAProxy's backend for the API verifies it. */
    backend: ManagedSectionsModel["tls"];
}

/** The one place the TLS plan is read: everything a host's steps need from it. */
export function tlsWiring(plan: ApiTlsPlan, hostName: string, advertised: string): TlsWiring {
    switch (plan.mode) {
        case "off":
            return { https: false, certificate: { kind: "none" }, probeHost: hostName, backend: undefined };
        case "private-ca":
            return {
                https: true,
                certificate: { kind: "private-ca" },
                probeHost: hostName,
                probeCaFile: PATHS.tlsCa,
                backend: { caFile: PATHS.tlsCa, serverName: hostName },
            };
        case "own-certificate":
            // The user's certificate names the address clients use, not necessarily the host's name.
            return {
                https: true,
                certificate: { kind: "own", certPem: plan.certPem, keyPem: plan.keyPem },
                probeHost: advertised,
                backend: { systemCa: true },
            };
    }
}

/**
 * One load balancer, end to end: binary, directories, TLS, config files,
 * HAProxy integration, the reload service and the API's service, finishing with a
 * readiness check. Hosts are independent, so the engine deploys them in parallel.
 * This only wires the steps together: each renders, digests and names its own files.
 */
export class DataplaneHost extends pulumi.ComponentResource {
    /** Base URL of the API, e.g. https://lb1.example:5555/v3. */
    public readonly apiUrl: pulumi.Output<string>;
    /** The dataplaneapi version installed. */
    public readonly version: pulumi.Output<string>;
    /** PEM of the CA that signs the API's certificate (undefined with a user-supplied certificate or TLS off). */
    public readonly caCertificate: pulumi.Output<string | undefined>;
    /** The host's HAProxy version and how the API reloads it (through the reload service, on every release). */
    public readonly haproxy: pulumi.Output<string>;
    /** The health gate the next batch waits for; only in a rolling change (rolloutBatchSize > 0). */
    public readonly gate?: pulumi.Resource;

    constructor(name: string, args: DataplaneHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:DataplaneHost`, name, {}, opts);
        const { host, config } = args;
        const child = { parent: this };

        const preflightAccess: HostAccess = {
            connection: {
                host: host.address,
                port: host.port,
                user: host.user,
                privateKey: host.privateKey,
                hostKey: host.hostKey,
                dialErrorLimit: 20,
                perDialTimeout: 15,
            },
            useSudo: host.user !== "root",
            gate: args.after?.length ? [...args.after] : undefined,
            // Recorded only for a health gate to run after them.
            steps: config.rollout.batchSize > 0 ? [] : undefined,
        };
        // The preflight runs first (after the previous batch's gates, in a rolling change); every other step on the host waits for it.
        const preflight = new Preflight(
            `${name}-preflight`,
            {
                host: preflightAccess,
                upgradesFrom: `${name}-facts`,
                preflight: {
                    configFile: config.haproxy.configFile,
                    ownedSections: managedSectionIds(config.haproxy.userlist),
                    adoptSections: config.haproxy.adoptSections,
                    directories: config.directories,
                    adoptDirectories: config.adoptDirectories,
                    sockets: { haproxyAdminSocket: config.haproxy.adminSocket, haproxyMasterSocket: config.haproxy.masterSocket },
                },
            },
            child,
        );
        const afterPreflight: HostAccess = { ...preflightAccess, gate: [preflight.check] };
        const advertised = config.api.advertisedAddress || host.address;
        const wiring = tlsWiring(config.api.tls, host.name, advertised);
        const scheme = wiring.https ? "https" : "http";

        const binary = new DataplaneBinary(
            `${name}-binary`,
            {
                host: afterPreflight,
                version: config.dataplaneapi.version,
                sha256: config.dataplaneapi.sha256,
                arch: host.arch,
                source: config.dataplaneapi.source,
            },
            child,
        );

        const directories = new DirectorySet(`${name}-dirs`, { host: afterPreflight, directories: config.directories }, child);

        const certificate = wiring.certificate;
        const apiTls =
            certificate.kind === "none"
                ? undefined
                : new ApiTls(
                      `${name}-tls`,
                      {
                          hostName: host.name,
                          addresses: [host.address, advertised],
                          userCertificate: certificate.kind === "own" ? { certPem: certificate.certPem, keyPem: certificate.keyPem } : undefined,
                      },
                      child,
                  );

        const files = new ApiConfigFiles(
            `${name}-config`,
            {
                host: afterPreflight,
                settings: {
                    name: host.name,
                    bindAddress: config.api.bindAddress,
                    port: config.api.port,
                    advertisedAddress: advertised,
                    userlist: config.haproxy.userlist,
                    haproxyConfigFile: config.haproxy.configFile,
                    reloadDelay: config.haproxy.reloadDelay,
                },
                haproxyVersion: preflight.haproxyVersion,
                tls: apiTls && { certPem: apiTls.certPem, keyPem: apiTls.keyPem, caCertPem: apiTls.caCertPem },
                dependsOn: [directories.create],
            },
            child,
        );

        const haproxy = new HaproxyIntegration(
            `${name}-haproxy`,
            {
                host: afterPreflight,
                configFile: config.haproxy.configFile,
                adminSocket: config.haproxy.adminSocket,
                masterSocket: config.haproxy.masterSocket,
                sections: {
                    userlist: config.haproxy.userlist,
                    apiPort: config.api.port,
                    tls: wiring.backend,
                },
                username: config.api.username,
                password: config.api.password,
                hostName: host.name,
                saltSeedUpgradesFrom: { name: `${name}-salt-seed`, parent: this },
                dependsOn: [directories.create, ...files.files],
            },
            child,
        );

        const reloads = new ReloadService(
            `${name}-reload`,
            {
                host: afterPreflight,
                adminSocket: config.haproxy.adminSocket,
                dependsOn: [haproxy.reloadHelper],
                upgradesFrom: `${name}-sockets`,
            },
            child,
        );

        const probeAddress = config.api.bindAddress === "0.0.0.0" ? "127.0.0.1" : config.api.bindAddress;
        const probeBase = `${scheme}://${wiring.probeHost}:${config.api.port}/v3`;
        const probeResolve = `${wiring.probeHost}:${config.api.port}:${probeAddress}`;
        const credentials = pulumi.secret(pulumi.all([config.api.username, config.api.password]).apply(([u, p]) => curlCredentialsConfig(u, p)));
        const service = new DataplaneService(
            `${name}-service`,
            {
                host: afterPreflight,
                directories: config.directories,
                restartOn: {
                    binary: binary.digest,
                    config: files.digest,
                    ...(apiTls ? { certificate: apiTls.certificateDigest } : {}),
                },
                probe: { url: `${probeBase}/info`, resolve: probeResolve, caFile: wiring.probeCaFile, tls: wiring.https, credentials },
                dependsOn: [binary.install, ...files.files, haproxy.edit, reloads.listening],
            },
            child,
        );

        if (config.rollout.batchSize > 0) {
            this.gate = new HealthGate(
                `${name}-gate`,
                {
                    host: { ...afterPreflight, steps: undefined },
                    steps: preflightAccess.steps ?? [],
                    gate: {
                        hostName: host.name,
                        healthUrl: `${probeBase}/health`,
                        resolve: probeResolve,
                        caFile: wiring.probeCaFile,
                        tls: wiring.https,
                        checkUrl: config.rollout.checkUrl && checkUrlFor(config.rollout.checkUrl, host.address),
                        healthySeconds: config.rollout.healthySeconds,
                        graceSeconds: 60,
                        nextHosts: args.nextBatch ?? [],
                    },
                    credentials,
                },
                child,
            ).check;
        }

        this.apiUrl = pulumi.output(`${scheme}://${advertised}:${config.api.port}/v3`);
        this.version = pulumi.all([binary.version, service.start.stdout]).apply(([v]) => v);
        this.caCertificate = apiTls?.caCertPem ?? pulumi.output(undefined);
        this.haproxy = files.reloadPath;
        this.registerOutputs({ apiUrl: this.apiUrl, version: this.version, caCertificate: this.caCertificate, haproxy: this.haproxy });
    }
}
