import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "../shared/paths";
import { type HostAccess, remoteFile, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { renderHaproxyDropIn } from "./dropin";
import { restoreSocketPermissionsScript, socketPermissionsScript } from "./scripts";

export interface SocketPermissionsArgs {
    /** The host. */
    readonly host: HostAccess;
    /** HAProxy's master CLI socket; default /run/haproxy-master.sock. */
    readonly masterSocket: string;
    /** HAProxy's admin socket; default /run/haproxy/admin.sock. */
    readonly adminSocket: string;
    /** HAProxy's config file, validated before the one-time restart. */
    readonly configFile: string;
    /** Steps that must come first (the haproxy.cfg edit that sets the admin socket's group). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Keeps the sockets the API uses open to group haproxy, now and after reloads
 * and reboots: the admin socket's mode and group come from its haproxy.cfg
 * line; the master socket's from a haproxy.service drop-in. HAProxy applies
 * the drop-in's options only when it starts, and re-applies them at every
 * reload, so a running HAProxy started without them is restarted once (the
 * step says so in its script, and so in the preview; see scripts.ts).
 */
export class SocketPermissions extends pulumi.ComponentResource {
    /** The step that makes the running HAProxy match the drop-in, for ordering. */
    public readonly live: command.remote.Command;

    constructor(name: string, args: SocketPermissionsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:SocketPermissions`, name, {}, opts);
        const dropIn = remoteFile(
            `${name}-haproxy-dropin`,
            args.host,
            {
                path: PATHS.haproxyDropIn,
                owner: "root",
                group: "root",
                mode: "0644",
                after: "systemctl daemon-reload",
                afterDelete: "systemctl daemon-reload",
            },
            renderHaproxyDropIn(args.masterSocket),
            { parent: this, dependsOn: args.dependsOn },
        );
        const spec = { masterSocket: args.masterSocket, adminSocket: args.adminSocket, configFile: args.configFile };
        this.live = remoteScript(
            `${name}-live`,
            args.host,
            {
                create: socketPermissionsScript(spec),
                delete: restoreSocketPermissionsScript(spec),
            },
            { parent: this, dependsOn: [dropIn] },
        );
        this.registerOutputs({});
    }
}
