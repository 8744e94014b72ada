import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./schema";
import type { Arch } from "./values";

/**
 * The one transform from the checked settings to the typed configuration the
 * components take (DeploymentConfig is its result type). Secrets leave here
 * wrapped with `pulumi.secret`.
 */

/**
 * Published SHA-256 of release archives, by version and architecture.
 *
 * Empty on purpose: the published checksums.txt of 3.2.1 could not be read from
 * the machines this project is built on (no route to the release site), and a
 * checksum that was not copied from the publisher is worse than none. Until it is
 * filled in, `dataplaneapiSha256` is required for every version.
 */
export const PUBLISHED_SHA256: Readonly<Record<string, Partial<Record<Arch, string>>>> = {};

/** The archive checksums a deployment verifies, by architecture: the published ones, overridden by `dataplaneapiSha256`. */
export function checksums(s: Pick<Settings, "dataplaneapiVersion" | "dataplaneapiSha256">): Partial<Record<Arch, string>> {
    return { ...(PUBLISHED_SHA256[s.dataplaneapiVersion] ?? {}), ...s.dataplaneapiSha256 };
}

/** The SSH private key of the host named `name`: its own in `sshPrivateKeys`, else `sshPrivateKey` ("" when neither is set). */
export function sshKeyOf(s: Pick<Settings, "sshPrivateKey" | "sshPrivateKeys">, name: string): string {
    return ownKeyOf(s, name) ?? s.sshPrivateKey;
}

/** The host's own key in `sshPrivateKeys`, if it has one. An own property only: a host named "constructor" must not find Object.prototype.constructor. */
export function ownKeyOf(s: Pick<Settings, "sshPrivateKeys">, name: string): string | undefined {
    return Object.hasOwn(s.sshPrivateKeys, name) ? s.sshPrivateKeys[name] : undefined;
}

/** Binary source: a URL the host downloads, or an archive on the workstation to upload. */
export type ArchiveSource = { kind: "download"; baseUrl: string } | { kind: "local"; path: string };

/**
 * How the API serves, decided here once from apiTls, apiTlsCertificate and
 * apiTlsKey: plain HTTP; HTTPS with a certificate from a private CA per host
 * (the default); or HTTPS with the user's own certificate, which clients and
 * HAProxy verify against the system's CAs.
 */
export type ApiTlsPlan = { mode: "off" } | { mode: "private-ca" } | { mode: "own-certificate"; certPem: string; keyPem: pulumi.Output<string> };

export type DeploymentConfig = ReturnType<typeof toDeploymentConfig>;

export function toDeploymentConfig(s: Settings) {
    const source: ArchiveSource =
        s.dataplaneapiLocalArchive !== "" ? { kind: "local", path: s.dataplaneapiLocalArchive } : { kind: "download", baseUrl: s.dataplaneapiBaseUrl };
    const tls: ApiTlsPlan = !s.apiTls
        ? { mode: "off" }
        : s.apiTlsCertificate !== ""
          ? { mode: "own-certificate", certPem: s.apiTlsCertificate, keyPem: pulumi.secret(s.apiTlsKey) }
          : { mode: "private-ca" };
    return {
        hosts: s.hosts.map((h) => ({
            ...h,
            arch: h.arch ?? (s.dataplaneapiArch || undefined),
            privateKey: pulumi.secret(sshKeyOf(s, h.name)),
        })),
        dataplaneapi: { version: s.dataplaneapiVersion, source, sha256: checksums(s) },
        api: {
            bindAddress: s.apiBindAddress,
            port: s.apiPort,
            /** Empty: each host's own address. */
            advertisedAddress: s.apiAdvertisedAddress,
            tls,
            username: pulumi.secret(s.apiUsername),
            password: pulumi.secret(s.apiPassword),
        },
        haproxy: {
            configFile: s.haproxyConfigFile,
            userlist: s.haproxyUserlist,
            adminSocket: s.haproxyAdminSocket,
            masterSocket: s.haproxyMasterSocket,
            reloadDelay: s.haproxyReloadDelay,
            adoptSections: s.haproxyAdoptSections,
        },
        directories: s.directories,
        adoptDirectories: s.adoptDirectories,
        rollout: { batchSize: s.rolloutBatchSize, checkUrl: s.rolloutCheckUrl, healthySeconds: s.rolloutHealthySeconds },
    };
}
