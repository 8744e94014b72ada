import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sha256Hex } from "../shared/digest";
import { PATHS } from "../shared/paths";
import { type HostAccess, remoteFile, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { renderReloadClient } from "./client";
import { reloadServiceScript, removeReloadServiceScript } from "./scripts";
import { renderReloadServiceUnit, renderReloadSocketUnit } from "./units";

export interface ReloadServiceArgs {
    /** The host. */
    readonly host: HostAccess;
    /** HAProxy's admin socket, whose directory is opened to group haproxy; default /run/haproxy/admin.sock. */
    readonly adminSocket: string;
    /**
     * Steps the socket must not start before: the reload helper the service
     * runs. The client and the units need nothing but the host.
     */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * The name this host's SocketPermissions component had in earlier versions
     * of the program (`<host>-sockets`), so that a host they deployed updates in
     * place. Default: none.
     */
    readonly upgradesFrom?: string;
}

/**
 * How the Data Plane API (user haproxy, under NoNewPrivileges) gets HAProxy
 * reloaded without ever restarting it: a socket that group haproxy may
 * connect to, and a root service, started once per connection, that runs the
 * reload helper against HAProxy's stock root-only master socket and answers
 * with HAProxy's verdict. The API's reload_cmd is the small client that asks.
 * HAProxy's own unit, start options and master socket stay as Debian ships
 * them, so no step needs a restart, on any release (see README, "Reloads").
 *
 * Earlier versions of the program opened the master socket to group haproxy
 * with a haproxy.service drop-in and restarted HAProxy once. The alias makes
 * that step (`<host>-sockets-live`) this one, updated in place; the engine
 * deletes the old drop-in, and the running HAProxy keeps serving.
 */
export class ReloadService extends pulumi.ComponentResource {
    /** The step that starts the socket, for ordering. */
    public readonly listening: command.remote.Command;

    constructor(name: string, args: ReloadServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const legacy = args.upgradesFrom;
        const legacyType = `${TOKEN_PREFIX}:SocketPermissions`;
        super(`${TOKEN_PREFIX}:ReloadService`, name, {}, pulumi.mergeOptions(opts, { aliases: legacy ? [{ type: legacyType, name: legacy }] : [] }));
        const unitFile = (file: string) => ({
            path: file,
            owner: "root",
            group: "root",
            mode: "0644",
            after: "systemctl daemon-reload",
            afterDelete: "systemctl daemon-reload",
        });
        const socketUnitText = renderReloadSocketUnit();
        const serviceUnitText = renderReloadServiceUnit();
        const child = { parent: this };
        const client = remoteFile(
            `${name}-client`,
            args.host,
            { path: PATHS.reloadClient, owner: "root", group: "root", mode: "0755", removeEmptyDir: true },
            renderReloadClient(),
            child,
        );
        const serviceUnit = remoteFile(`${name}-service-unit`, args.host, unitFile(PATHS.reloadServiceUnit), serviceUnitText, child);
        const socketUnit = remoteFile(`${name}-socket-unit`, args.host, unitFile(PATHS.reloadSocketUnit), socketUnitText, child);
        this.listening = remoteScript(
            `${name}-socket`,
            args.host,
            {
                create: reloadServiceScript({
                    adminSocket: args.adminSocket,
                    unitsDigest: sha256Hex(socketUnitText + serviceUnitText).slice(0, 16),
                }),
                delete: removeReloadServiceScript({ adminSocket: args.adminSocket }),
            },
            {
                parent: this,
                dependsOn: [...(args.dependsOn ?? []), client, serviceUnit, socketUnit],
                aliases: legacy ? [{ name: `${legacy}-live`, parent: pulumi.createUrn(legacy, legacyType, opts?.parent) }] : [],
            },
        );
        this.registerOutputs({});
    }
}
