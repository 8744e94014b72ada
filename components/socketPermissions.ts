import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "./paths";
import { HostAccess, remoteFile, remoteScript, TOKEN_PREFIX } from "./remote";
import { renderHaproxyDropIn } from "./render";
import { restoreSocketPermissionsScript, socketPermissionsScript } from "./shell";

export interface SocketPermissionsArgs {
    /** The host. */
    readonly host: HostAccess;
    /** HAProxy's master CLI socket; default /run/haproxy-master.sock. */
    readonly masterSocket: string;
    /** HAProxy's admin socket; default /run/haproxy/admin.sock. */
    readonly adminSocket: string;
    /** Steps that must come first (the haproxy.cfg edit that sets the admin socket's group). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Keeps the sockets the API uses open to group haproxy, now and after reloads
 * and reboots: the admin socket's mode and group come from its haproxy.cfg
 * line; the master socket's from a haproxy.service drop-in for every later
 * start, and from a chgrp/chmod of the live socket today, since applying the
 * drop-in would need a restart.
 */
export class SocketPermissions extends pulumi.ComponentResource {
    /** The live fix, for ordering. */
    public readonly live: command.remote.Command;

    constructor(name: string, args: SocketPermissionsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:SocketPermissions`, name, {}, opts);
        const dropIn = remoteFile(`${name}-haproxy-dropin`, args.host, {
            path: PATHS.haproxyDropIn, owner: "root", group: "root", mode: "0644",
            after: "systemctl daemon-reload",
            afterDelete: "systemctl daemon-reload",
        }, renderHaproxyDropIn(args.masterSocket), { parent: this, dependsOn: args.dependsOn });
        const spec = { masterSocket: args.masterSocket, adminSocket: args.adminSocket };
        this.live = remoteScript(`${name}-live`, args.host, {
            create: socketPermissionsScript(spec),
            delete: restoreSocketPermissionsScript(spec),
        }, { parent: this, dependsOn: [dropIn] });
        this.registerOutputs({});
    }
}
