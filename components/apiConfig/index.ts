import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "../shared/paths";
import { type HostAccess, remoteFile, TOKEN_PREFIX } from "../shared/remote";

export interface ApiConfigFilesArgs {
    /** The host to write them on. */
    readonly host: HostAccess;
    /** Rendered dataplaneapi.yaml (see yaml.ts); it depends on HAProxy's version on the host. */
    readonly configYaml: pulumi.Input<string>;
    /** TLS material; absent when apiTls is false. */
    readonly tls?: {
        certPem: pulumi.Input<string>;
        keyPem: pulumi.Input<string>;
        caCertPem?: pulumi.Input<string>;
    };
    /** Steps that must come first (the directories). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * dataplaneapi.yaml and the API's TLS files. The YAML is owned by haproxy and
 * writable by it, because the API rewrites it on every start (temp file and
 * rename in the same directory). The key reaches the host on stdin only (never
 * in a command string or a log), and is readable by haproxy alone.
 */
export class ApiConfigFiles extends pulumi.ComponentResource {
    /** Every write, for ordering the service after them. */
    public readonly files: command.remote.Command[];

    constructor(name: string, args: ApiConfigFilesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:ApiConfigFiles`, name, {}, opts);
        const child = { parent: this, dependsOn: args.dependsOn };
        this.files = [
            remoteFile(
                `${name}-yaml`,
                args.host,
                { path: PATHS.configFile, owner: "haproxy", group: "haproxy", mode: "0640", compare: "yaml-values", restarts: PATHS.unitName },
                args.configYaml,
                child,
            ),
        ];
        if (args.tls) {
            this.files.push(
                remoteFile(
                    `${name}-cert`,
                    args.host,
                    { path: PATHS.tlsCert, owner: "root", group: "haproxy", mode: "0644", removeEmptyDir: true, restarts: PATHS.unitName },
                    args.tls.certPem,
                    child,
                ),
                remoteFile(
                    `${name}-key`,
                    args.host,
                    { path: PATHS.tlsKey, owner: "haproxy", group: "haproxy", mode: "0600", removeEmptyDir: true, secret: true, restarts: PATHS.unitName },
                    pulumi.secret(args.tls.keyPem),
                    child,
                ),
            );
            if (args.tls.caCertPem) {
                this.files.push(
                    remoteFile(
                        `${name}-ca`,
                        args.host,
                        { path: PATHS.tlsCa, owner: "root", group: "haproxy", mode: "0644", removeEmptyDir: true, restarts: PATHS.unitName },
                        args.tls.caCertPem,
                        child,
                    ),
                );
            }
        }
        this.registerOutputs({});
    }
}
