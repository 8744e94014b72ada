import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sha256Hex } from "../shared/digest";
import { API_DIRECTORIES, PATHS } from "../shared/paths";
import { type HostAccess, remoteFile, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { disableServiceScript, enableServiceScript, startServiceScript, stopServiceScript } from "./scripts";
import { renderUnit } from "./unit";

export interface DataplaneServiceArgs {
    /** The host. */
    readonly host: HostAccess;
    /**
     * The directories the API writes (the `directories` setting; default: the
     * seed's, config/schema.ts DEFAULT_DIRECTORIES): the unit (unit.ts) opens them in
     * its sandbox.
     */
    readonly directories: readonly string[];
    /**
     * What the service runs with, by name (binary, config, certificate, ...),
     * each a digest its owner exposes. The service restarts exactly when one of
     * them, or the unit, changes. Values must not be secret.
     */
    readonly restartOn: Record<string, pulumi.Input<string>>;
    /** The readiness probe: an authenticated GET /v3/info. */
    readonly probe: {
        url: string;
        resolve?: string;
        caFile?: string;
        tls: boolean;
        /** curl config with the credentials (secret). */
        credentials: pulumi.Input<string>;
        /** Seconds to wait for an answer; default 90. */
        timeoutSeconds?: number;
    };
    /** Everything that must be in place before the service starts (the unit file and its enabling need none of it). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The hardened systemd unit (rendered here, unit.ts), enabled and started; then an authenticated
 * GET /v3/info proves it serves. Three steps, each with its own undo: the unit
 * file (its write runs daemon-reload), enable, and start-and-verify.
 */
export class DataplaneService extends pulumi.ComponentResource {
    /** The start-and-verify step: when it is done, the API answers. */
    public readonly start: command.remote.Command;

    constructor(name: string, args: DataplaneServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:DataplaneService`, name, {}, opts);

        const unitText = renderUnit({ writableDirectories: args.directories, transactionDir: API_DIRECTORIES.transactions });
        const unit = remoteFile(
            `${name}-unit`,
            args.host,
            {
                path: PATHS.unit,
                owner: "root",
                group: "root",
                mode: "0644",
                after: "systemctl daemon-reload",
                afterDelete: "systemctl daemon-reload",
                restarts: PATHS.unitName,
            },
            unitText,
            { parent: this },
        );

        const enable = remoteScript(
            `${name}-enable`,
            args.host,
            {
                create: enableServiceScript(),
                delete: disableServiceScript(),
            },
            { parent: this, dependsOn: [unit] },
        );

        const script = pulumi.all(args.restartOn).apply((restartOn) => {
            const reasons: Record<string, string> = { ...restartOn, unit: sha256Hex(unitText).slice(0, 16) };
            return startServiceScript({
                restartKey: sha256Hex(JSON.stringify(Object.entries(reasons).sort())),
                restartReasons: reasons,
                probeUrl: args.probe.url,
                resolve: args.probe.resolve,
                caFile: args.probe.caFile,
                tls: args.probe.tls,
                timeoutSeconds: args.probe.timeoutSeconds ?? 90,
            });
        });
        this.start = remoteScript(
            `${name}-start`,
            args.host,
            {
                create: script,
                delete: stopServiceScript(),
                stdin: pulumi.secret(args.probe.credentials),
            },
            { parent: this, dependsOn: [enable, ...args.dependsOn] },
        );

        this.registerOutputs({});
    }
}
