/**
 * Test program for tests/plugins/command/contract.test.ts: registers the
 * remote.Command and remote.CopyToRemote resources described by the stack
 * config `resources` (a JSON list of ResourceSpec), with the real
 * @pulumi/command 1.2.1 SDK. Each resource's stdout/stderr are exported.
 *
 * Config: host, port, user, hostKey (plain); privateKey, password, altKey
 * (secret; altKey is a key the host does not accept).
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { ConnSpec, ResourceSpec } from "../spec";

const config = new pulumi.Config();
const specs = JSON.parse(config.require("resources")) as ResourceSpec[];

function connection(c: ConnSpec = {}): command.types.input.remote.ConnectionArgs {
    const key = c.key ?? "main";
    const hostKey = c.hostKey === undefined ? config.get("hostKey") : c.hostKey;
    const args: command.types.input.remote.ConnectionArgs = {
        host: c.host ?? config.require("host"),
        port: c.port === 0 ? undefined : (c.port ?? config.getNumber("port")),
        user: c.user === "" ? undefined : (c.user ?? config.get("user")),
        ...(hostKey ? { hostKey } : {}),
        ...(key === "main" ? { privateKey: config.requireSecret("privateKey") } : {}),
        ...(key === "alt" ? { privateKey: config.requireSecret("altKey") } : {}),
        ...(c.password ? { password: config.requireSecret("password") } : {}),
        ...(c.dialErrorLimit !== undefined ? { dialErrorLimit: c.dialErrorLimit } : {}),
        ...(c.perDialTimeout !== undefined ? { perDialTimeout: c.perDialTimeout } : {}),
        ...(c.agentSocketPath !== undefined ? { agentSocketPath: c.agentSocketPath } : {}),
    };
    if (c.proxy) {
        const p = connection(c.proxy);
        args.proxy = { ...p, proxy: undefined } as command.types.input.remote.ProxyConnectionArgs;
    }
    return args;
}

function maybeSecret<T>(spec: ResourceSpec, key: string, v: T | undefined): pulumi.Input<T> | undefined {
    if (v === undefined) return undefined;
    return spec.secret?.includes(key) ? (pulumi.secret(v) as pulumi.Output<T>) : v;
}

const made = new Map<string, pulumi.CustomResource>();
const outputs: Record<string, pulumi.Output<unknown>> = {};

for (const s of specs) {
    const opts: pulumi.CustomResourceOptions = {
        dependsOn: (s.dependsOn ?? []).map((n) => made.get(n)!).filter(Boolean),
        ...(s.additionalSecretOutputs ? { additionalSecretOutputs: s.additionalSecretOutputs } : {}),
        ...(s.replaceOnChanges ? { replaceOnChanges: s.replaceOnChanges } : {}),
    };
    if ((s.kind ?? "command") === "command") {
        const c = new command.remote.Command(
            s.name,
            {
                connection: connection(s.conn),
                create: maybeSecret(s, "create", s.create),
                update: maybeSecret(s, "update", s.update),
                delete: maybeSecret(s, "delete", s.delete),
                stdin: maybeSecret(s, "stdin", s.stdin),
                environment: maybeSecret(s, "environment", s.environment),
                logging: s.logging as command.types.enums.remote.Logging | undefined,
                addPreviousOutputInEnv: s.addPreviousOutputInEnv,
                triggers: maybeSecret(s, "triggers", s.triggers),
            },
            opts,
        );
        made.set(s.name, c);
        outputs[s.name] = pulumi.all([c.stdout, c.stderr]).apply(([stdout, stderr]) => ({ stdout, stderr }));
    } else {
        const src = s.source ?? {};
        const source =
            src.text !== undefined
                ? new pulumi.asset.StringAsset(src.text)
                : src.file !== undefined
                  ? new pulumi.asset.FileAsset(src.file)
                  : new pulumi.asset.FileArchive(src.archive ?? ".");
        const c = new command.remote.CopyToRemote(
            s.name,
            {
                connection: connection(s.conn),
                source,
                remotePath: s.remotePath ?? "",
                triggers: maybeSecret(s, "triggers", s.triggers),
            },
            opts,
        );
        made.set(s.name, c);
    }
}

export const results = outputs;
