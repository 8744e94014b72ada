import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ApiConfigFiles } from "./apiConfig";
import { API_DIRECTORIES, describeReloadPath, renderDataplaneApiConfig } from "./apiConfig/yaml";
import { DataplaneBinary } from "./binary";
import type { DeploymentConfig, HostConfig } from "./config";
import { deriveSalt, sha512Crypt } from "./crypt";
import { DirectorySet } from "./directories";
import { HostFacts } from "./facts";
import { HaproxyIntegration } from "./haproxy";
import { managedSectionIds } from "./haproxy/sections";
import { DataplaneService } from "./service";
import { curlCredentialsConfig } from "./service/credentials";
import { renderUnit } from "./service/unit";
import { sha256Hex } from "./shared/digest";
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

/**
 * One load balancer, end to end: binary, directories, TLS, config files,
 * HAProxy integration, the reload service and the API's service, finishing with a
 * readiness check. Hosts are independent, so the engine deploys them in parallel.
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
        const { host: h, config: c } = args;
        const child = { parent: this };

        const direct: HostAccess = {
            connection: {
                host: h.address,
                port: h.port,
                user: h.user,
                privateKey: h.privateKey,
                hostKey: h.hostKey,
                dialErrorLimit: 20,
                perDialTimeout: 15,
            },
            useSudo: h.user !== "root",
            gate: args.after?.length ? [...args.after] : undefined,
            // Recorded only for a health gate to run after them.
            steps: c.rollout.batchSize > 0 ? [] : undefined,
        };
        // The preflight runs first (after the previous batch's gates, in a rolling change); every other step on the host waits for it.
        const facts = new HostFacts(
            `${name}-facts`,
            {
                host: direct,
                preflight: {
                    configFile: c.haproxy.configFile,
                    ownedSections: managedSectionIds(c.haproxy.userlist),
                    adoptSections: c.haproxy.adoptSections,
                    directories: c.directories,
                    adoptDirectories: c.adoptDirectories,
                },
            },
            child,
        );
        const access: HostAccess = { ...direct, gate: [facts.probe] };
        const advertised = c.api.advertisedAddress || h.address;
        const scheme = c.api.tls ? "https" : "http";

        const binary = new DataplaneBinary(
            `${name}-binary`,
            {
                host: access,
                version: c.dataplaneapi.version,
                sha256: c.dataplaneapi.sha256,
                arch: h.arch,
                source: c.dataplaneapi.source,
            },
            child,
        );

        const directories = new DirectorySet(`${name}-dirs`, { host: access, directories: c.directories }, child);

        const apiTls = c.api.tls
            ? new ApiTls(
                  `${name}-tls`,
                  {
                      hostName: h.name,
                      addresses: [h.address, advertised],
                      userCertificate: c.api.userCertificate,
                  },
                  child,
              )
            : undefined;

        const configYaml = facts.haproxyVersion.apply((haproxyVersion) =>
            renderDataplaneApiConfig({
                name: h.name,
                bindAddress: c.api.bindAddress,
                port: c.api.port,
                tls: c.api.tls,
                advertisedAddress: advertised,
                userlist: c.haproxy.userlist,
                haproxyConfigFile: c.haproxy.configFile,
                reloadDelay: c.haproxy.reloadDelay,
                haproxyVersion,
            }),
        );
        const files = new ApiConfigFiles(
            `${name}-config`,
            {
                host: access,
                configYaml,
                tls: apiTls && { certPem: apiTls.certPem, keyPem: apiTls.keyPem, caCertPem: apiTls.caCertPem },
                dependsOn: [directories.create],
            },
            child,
        );

        // A stable secret per host, kept in state, from which the password
        // hash's salt is derived: an unchanged password then gives an unchanged
        // hash, so a re-run has nothing to do.
        const saltSeed = new tls.PrivateKey(`${name}-salt-seed`, { algorithm: "ED25519" }, child);
        const passwordHash = pulumi.secret(
            pulumi
                .all([c.api.password, saltSeed.privateKeyOpenssh])
                .apply(([password, seed]) => sha512Crypt(password, deriveSalt(seed, `${h.name}/api-password`))),
        );

        const haproxy = new HaproxyIntegration(
            `${name}-haproxy`,
            {
                host: access,
                configFile: c.haproxy.configFile,
                adminSocket: c.haproxy.adminSocket,
                masterSocket: c.haproxy.masterSocket,
                sections: {
                    userlist: c.haproxy.userlist,
                    apiPort: c.api.port,
                    tls: !c.api.tls ? undefined : c.api.userCertificate ? { systemCa: true } : { caFile: PATHS.tlsCa, serverName: h.name },
                },
                username: c.api.username,
                passwordHash,
                dependsOn: [directories.create, ...files.files],
            },
            child,
        );

        const reloads = new ReloadService(
            `${name}-reload`,
            {
                host: access,
                adminSocket: c.haproxy.adminSocket,
                dependsOn: [haproxy.reloadHelper],
                upgradesFrom: `${name}-sockets`,
            },
            child,
        );

        const probeHost = c.api.userCertificate ? advertised : h.name;
        const probeAddress = c.api.bindAddress === "0.0.0.0" ? "127.0.0.1" : c.api.bindAddress;
        const probeBase = `${scheme}://${probeHost}:${c.api.port}/v3`;
        const probeResolve = `${probeHost}:${c.api.port}:${probeAddress}`;
        const probeCa = apiTls?.caCertPem ? PATHS.tlsCa : undefined;
        const credentials = pulumi.secret(pulumi.all([c.api.username, c.api.password]).apply(([u, p]) => curlCredentialsConfig(u, p)));
        const service = new DataplaneService(
            `${name}-service`,
            {
                host: access,
                unitText: renderUnit({ writableDirectories: c.directories, transactionDir: API_DIRECTORIES.transactions }),
                restartOn: {
                    binary: pulumi.interpolate`dataplaneapi ${binary.version} (${binary.sha256.apply((s) => s.slice(0, 16))})`,
                    config: configYaml.apply((y) => sha256Hex(y).slice(0, 16)),
                    ...(apiTls ? { certificate: apiTls.certPem.apply((p) => sha256Hex(p).slice(0, 16)) } : {}),
                },
                probe: { url: `${probeBase}/info`, resolve: probeResolve, caFile: probeCa, tls: c.api.tls, credentials },
                dependsOn: [binary.install, ...files.files, haproxy.edit, reloads.listening],
            },
            child,
        );

        if (c.rollout.batchSize > 0) {
            this.gate = new HealthGate(
                `${name}-gate`,
                {
                    host: { ...access, steps: undefined },
                    steps: direct.steps ?? [],
                    gate: {
                        hostName: h.name,
                        healthUrl: `${probeBase}/health`,
                        resolve: probeResolve,
                        caFile: probeCa,
                        tls: c.api.tls,
                        checkUrl: c.rollout.checkUrl && checkUrlFor(c.rollout.checkUrl, h.address),
                        healthySeconds: c.rollout.healthySeconds,
                        graceSeconds: 60,
                        nextHosts: args.nextBatch ?? [],
                    },
                    credentials,
                },
                child,
            ).check;
        }

        this.apiUrl = pulumi.output(`${scheme}://${advertised}:${c.api.port}/v3`);
        this.version = pulumi.all([binary.version, service.ready.stdout]).apply(([v]) => v);
        this.caCertificate = apiTls?.caCertPem ?? pulumi.output(undefined);
        this.haproxy = facts.haproxyVersion.apply(describeReloadPath);
        this.registerOutputs({ apiUrl: this.apiUrl, version: this.version, caCertificate: this.caCertificate, haproxy: this.haproxy });
    }
}
