import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Arch, ArchiveSource } from "../config";
import { type HostAccess, remoteScript, TOKEN_PREFIX, withGate } from "../shared/remote";
import { installBinaryScript, installSpecFor, removeBinaryScript } from "./scripts";

export interface DataplaneBinaryArgs {
    /** The host to install on. */
    readonly host: HostAccess;
    /** Release version, e.g. "3.2.1". */
    readonly version: string;
    /** Expected SHA-256 of the archive per architecture; the install fails on any other. */
    readonly sha256: Partial<Record<Arch, string>>;
    /** Architecture of the host; default: detected on the host with `uname -m`. */
    readonly arch?: Arch;
    /** Where the archive comes from: downloaded by the host (default) or uploaded from the workstation. */
    readonly source: ArchiveSource;
}

/**
 * /usr/local/bin/dataplaneapi from a release archive, checksum-verified before
 * it is unpacked and swapped in atomically. A version change updates this one
 * resource; the service restarts because the binary's digest is one of its
 * restart reasons.
 */
export class DataplaneBinary extends pulumi.ComponentResource {
    /** The version the installed binary is. */
    public readonly version: pulumi.Output<string>;
    /**
     * SHA-256 of the installed binary: the service restarts when it changes, and
     * only then (a checksum added for another architecture re-runs the install
     * step, but installs the same bytes).
     */
    public readonly sha256: pulumi.Output<string>;
    /**
     * The installed binary in one line, `dataplaneapi <version> (<first 16 hex
     * digits of its SHA-256>)`: a restart reason of the service.
     */
    public readonly digest: pulumi.Output<string>;
    /** The install step, for ordering. */
    public readonly install: command.remote.Command;

    constructor(name: string, args: DataplaneBinaryArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:DataplaneBinary`, name, {}, opts);

        const spec = installSpecFor(args.version, args.sha256, args.arch, args.source);
        const dependsOn: pulumi.Resource[] = [];
        if (args.source.kind === "local" && spec.uploadedArchive) {
            const sha = args.arch ? args.sha256[args.arch] : undefined;
            dependsOn.push(
                new command.remote.CopyToRemote(
                    `${name}-upload`,
                    {
                        connection: args.host.connection,
                        source: new pulumi.asset.FileAsset(args.source.path),
                        remotePath: spec.uploadedArchive,
                        triggers: [sha ?? ""],
                    },
                    withGate(args.host, { parent: this }),
                ),
            );
        }

        this.install = remoteScript(
            `${name}-install`,
            args.host,
            {
                create: installBinaryScript(spec),
                delete: removeBinaryScript(),
            },
            { parent: this, dependsOn },
        );

        // What the installed binary itself reported, not the configured version echoed back.
        const field = (key: string) => this.install.stdout.apply((out) => new RegExp(`^${key}=(.+)$`, "m").exec(out)?.[1] ?? "unknown");
        this.version = field("version");
        this.sha256 = field("binary_sha256");
        this.digest = pulumi.interpolate`dataplaneapi ${this.version} (${this.sha256.apply((s) => s.slice(0, 16))})`;
        this.registerOutputs({ version: this.version, sha256: this.sha256, digest: this.digest });
    }
}
