import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type HostAccess, remoteScript, TOKEN_PREFIX } from "../shared/remote";
import { directoriesScript, removeDirectoriesScript } from "./scripts";
import { renderTmpfiles } from "./tmpfiles";

export interface DirectorySetArgs {
    /** The host to create them on. */
    readonly host: HostAccess;
    /** Absolute paths, created haproxy:haproxy 0750 (DIRECTORY_MODE); default set: the seed's (config/schema.ts DEFAULT_DIRECTORIES). */
    readonly directories: readonly string[];
}

/**
 * The directories the API stores its data in, owned by haproxy. Those under
 * /tmp are also declared in tmpfiles.d, so they exist again after a reboot.
 * Destroy removes the ones that are empty; data the API stored is kept.
 */
export class DirectorySet extends pulumi.ComponentResource {
    /** The step that creates them, for ordering. */
    public readonly create: command.remote.Command;

    constructor(name: string, args: DirectorySetArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:DirectorySet`, name, {}, opts);
        const spec = { directories: args.directories, tmpfiles: renderTmpfiles(args.directories) };
        this.create = remoteScript(
            `${name}-create`,
            args.host,
            {
                create: directoriesScript(spec),
                delete: removeDirectoriesScript(spec),
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
