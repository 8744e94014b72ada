import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { deriveSalt, sha512Crypt } from "../crypt";
import { renderAsset } from "../shared/assets";
import { sha256Hex } from "../shared/digest";
import { API_DIRECTORIES, PATHS } from "../shared/paths";
import { type HostAccess, remoteFile, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { renderReloadHelper } from "./reloadHelper";
import { haproxyEditScript, type HaproxyEditSpec, haproxyRevertScript } from "./scripts";
import { managedSectionIds, type ManagedSectionsModel, renderManagedSections, renderUserLine, USERS_PLACEHOLDER } from "./sections";

/** The awk program that edits haproxy.cfg on the host (assets/haproxy/); the unit tests run this same file. */
export const CFG_EDITOR_SOURCE = renderAsset("haproxy/haproxy-cfg-edit.awk");

/** The edit of haproxy.cfg as the deployment and the drift repair run it. */
export function haproxyEditSpec(configFile: string, adminSocket: string, userlist: string): Omit<HaproxyEditSpec, "usersDigest"> {
    return {
        configFile,
        adminSocket,
        ownedSections: managedSectionIds(userlist),
        backupsDir: API_DIRECTORIES.backups,
        transactionDir: API_DIRECTORIES.transactions,
        placeholder: USERS_PLACEHOLDER,
    };
}

export interface HaproxyIntegrationArgs {
    /** The host whose HAProxy is edited. */
    readonly host: HostAccess;
    /** HAProxy's config file; default /etc/haproxy/haproxy.cfg. */
    readonly configFile: string;
    /** Admin socket whose stock `stats socket` line is edited; default /run/haproxy/admin.sock. */
    readonly adminSocket: string;
    /** HAProxy's stock master CLI socket (root only), which the reload helper talks to; default /run/haproxy-master.sock. */
    readonly masterSocket: string;
    /** The managed sections: userlist (default "controller") and the API backend. */
    readonly sections: ManagedSectionsModel;
    /** API user name (secret). */
    readonly username: pulumi.Input<string>;
    /** API password (secret); only its SHA-512 crypt hash reaches the host. */
    readonly password: pulumi.Input<string>;
    /** The host's name, which the hash's salt is derived with (see the salt seed below). */
    readonly hostName: string;
    /**
     * The salt seed as the host created it before this component derived the
     * hash: its name (`<host>-salt-seed`), which it keeps, and the host, its
     * parent then, from which an alias moves it here. A deployed stack so keeps
     * its seed, and its hash. Default: a new seed, `<name>-salt-seed`.
     */
    readonly saltSeedUpgradesFrom?: { name: string; parent: pulumi.Resource };
    /**
     * Steps the edit needs first: the directories (the API's backups and
     * transactions) and the CA file the API backend verifies with. The editor,
     * the reload helper and the user lines need nothing but the host, so they
     * are written meanwhile.
     */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * What HAProxy needs for the API: master-worker, the admin socket open to
 * group haproxy, the API user's userlist and the API backend. The edit only
 * touches those; it is validated with `haproxy -c` before it goes live, HAProxy
 * is reloaded (never restarted) by the reload helper, whose verdict is
 * HAProxy's own, and a refused reload puts the old file back.
 */
export class HaproxyIntegration extends pulumi.ComponentResource {
    /** The haproxy.cfg edit, for ordering. */
    public readonly edit: command.remote.Command;
    /** The reload helper, root's one way to reload HAProxy (the reload service runs it too). */
    public readonly reloadHelper: command.remote.Command;

    constructor(name: string, args: HaproxyIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:HaproxyIntegration`, name, {}, opts);
        const child = { parent: this };

        // A stable secret per host, kept in state, from which the password
        // hash's salt is derived: an unchanged password then gives an unchanged
        // hash, so a re-run has nothing to do. A new seed would change the hash,
        // hence the alias for the one the host created.
        const legacySeed = args.saltSeedUpgradesFrom;
        const saltSeed = new tls.PrivateKey(
            legacySeed?.name ?? `${name}-salt-seed`,
            { algorithm: "ED25519" },
            { parent: this, aliases: legacySeed ? [{ name: legacySeed.name, parent: legacySeed.parent }] : [] },
        );
        const passwordHash = pulumi
            .all([args.password, saltSeed.privateKeyOpenssh])
            .apply(([password, seed]) => sha512Crypt(password, deriveSalt(seed, `${args.hostName}/api-password`)));

        const editor = remoteFile(
            `${name}-editor`,
            args.host,
            { path: PATHS.cfgEditor, owner: "root", group: "root", mode: "0644", removeEmptyDir: true },
            CFG_EDITOR_SOURCE,
            child,
        );
        // Root only (0700): it locks itself, so no other user can hold up a reload.
        this.reloadHelper = remoteFile(
            `${name}-reload-helper`,
            args.host,
            { path: PATHS.reloadHelper, owner: "root", group: "root", mode: "0700", removeEmptyDir: true },
            renderReloadHelper(args.masterSocket),
            child,
        );

        // The hashed user line lives in a root-only file, so that the edit
        // below carries no secret and its preview stays readable.
        const userLine = pulumi.secret(pulumi.all([args.username, passwordHash]).apply(([u, h]) => renderUserLine(u, h)));
        const credentials = remoteFile(
            `${name}-credentials`,
            args.host,
            { path: PATHS.userlistUsers, owner: "root", group: "root", mode: "0600", secret: true, dirMode: "0700" },
            userLine,
            child,
        );

        const spec = haproxyEditSpec(args.configFile, args.adminSocket, args.sections.userlist);
        // A new user line must re-run the edit. A digest of it goes into the
        // script text, which updates in place; a trigger would replace the
        // step, and the replaced step's delete (the revert) would then run
        // after the new edit and undo it. The digest of a crypt hash reveals
        // nothing, so it stays readable in previews.
        const usersDigest = pulumi.unsecret(userLine.apply((l) => sha256Hex(l).slice(0, 16)));
        this.edit = remoteScript(
            `${name}-cfg`,
            args.host,
            {
                create: usersDigest.apply((digest) => haproxyEditScript({ ...spec, usersDigest: digest })),
                delete: haproxyRevertScript(spec),
                stdin: renderManagedSections(args.sections),
            },
            { parent: this, dependsOn: [...(args.dependsOn ?? []), editor, this.reloadHelper, credentials] },
        );

        this.registerOutputs({});
    }
}
