import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sha256Hex } from "../shared/digest";
import { PATHS } from "../shared/paths";
import { type HostAccess, remoteFile, TOKEN_PREFIX } from "../shared/remote";
import { type DataplaneApiConfigModel, describeReloadPath, renderDataplaneApiConfig } from "./yaml";

export interface ApiConfigFilesArgs {
    /** The host to write them on. */
    readonly host: HostAccess;
    /**
     * What dataplaneapi.yaml says (yaml.ts renders it), each field with its
     * default there. Whether the API serves HTTPS is not among them: it does
     * exactly when `tls` is given.
     */
    readonly settings: Omit<DataplaneApiConfigModel, "tls" | "haproxyVersion">;
    /** HAProxy's version on the host, as the preflight read it: the YAML's header names it. */
    readonly haproxyVersion: pulumi.Output<string>;
    /** TLS material; absent when the API serves plain HTTP (apiTls false). */
    readonly tls?: {
        certPem: pulumi.Input<string>;
        keyPem: pulumi.Input<string>;
        caCertPem?: pulumi.Input<string>;
    };
    /** Steps that must come first (the directories). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * dataplaneapi.yaml, rendered here (yaml.ts) from `settings` and HAProxy's
 * version, and the API's TLS files. The YAML is owned by haproxy and
 * writable by it, because the API rewrites it on every start (temp file and
 * rename in the same directory). The key reaches the host on stdin only (never
 * in a command string or a log), and is readable by haproxy alone.
 */
export class ApiConfigFiles extends pulumi.ComponentResource {
    /** Every write, for ordering the service after them. */
    public readonly files: command.remote.Command[];
    /**
     * The first 16 hex digits of the YAML's SHA-256: a restart reason of the
     * service, since the API reads the file only when it starts.
     */
    public readonly digest: pulumi.Output<string>;
    /** How the API reloads the host's HAProxy, with its version, in one line (the YAML's header says the same). */
    public readonly reloadPath: pulumi.Output<string>;

    constructor(name: string, args: ApiConfigFilesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:ApiConfigFiles`, name, {}, opts);
        const child = { parent: this, dependsOn: args.dependsOn };
        const configYaml = args.haproxyVersion.apply((v) => renderDataplaneApiConfig({ ...args.settings, tls: args.tls !== undefined, haproxyVersion: v }));
        this.files = [
            remoteFile(
                `${name}-yaml`,
                args.host,
                { path: PATHS.configFile, owner: "haproxy", group: "haproxy", mode: "0640", compare: "yaml-values", restarts: PATHS.unitName },
                configYaml,
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
        this.digest = configYaml.apply((y) => sha256Hex(y).slice(0, 16));
        this.reloadPath = args.haproxyVersion.apply(describeReloadPath);
        this.registerOutputs({ digest: this.digest, reloadPath: this.reloadPath });
    }
}
