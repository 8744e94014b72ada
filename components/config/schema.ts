import { isIPv4 } from "node:net";
import { z } from "zod";
import { API_DIRECTORIES, PATHS } from "../shared/paths";
import { ARCHES, absolutePath, address, checkUrl, downloadUrl, hostSchema, sha256, socketPath } from "./values";

/**
 * Every key of the stack's configuration, declared once: its type (the zod
 * schema, which also says what is allowed), its default (`.default`) and its
 * description (`.describe`). Pulumi.yaml's `config:` block and the
 * configuration table (docs/operations.md) say the same, in this order, and declarations.test.ts
 * fails when they do not. Problems are reported in this order too.
 */

/** Starts the description of a key whose value must be stored encrypted (`pulumi config set --secret`); SECRET_KEYS is read from it. */
const SECRET = "(secret) ";

/**
 * The seed's directory set, the default of `directories`: the API's config
 * directory, every directory its YAML names (API_DIRECTORIES), and two more the
 * seed made for the API, for ACL files and config snippets, which the YAML does
 * not name. In this order, which is the order the directories step lists them
 * in its scripts.
 */
export const DEFAULT_DIRECTORIES = [
    PATHS.configDir,
    API_DIRECTORIES.dataplaneStorage,
    API_DIRECTORIES.maps,
    API_DIRECTORIES.sslCerts,
    API_DIRECTORIES.generalStorage,
    API_DIRECTORIES.spoe,
    "/etc/haproxy/acl",
    API_DIRECTORIES.transactions,
    "/etc/haproxy/config_snippets",
    API_DIRECTORIES.backups,
    API_DIRECTORIES.spoeTransactions,
] as const;

export const configSchema = z.object({
    hosts: z
        .array(hostSchema)
        .min(1, "must list at least one host")
        .superRefine((hosts, ctx) => {
            const seen = new Set<string>();
            hosts.forEach((h, i) => {
                if (seen.has(h.name)) {
                    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, "name"], message: "is used by more than one host; host names must be unique" });
                }
                seen.add(h.name);
            });
        })
        .default([])
        .describe(
            "Load-balancer hosts, each {name, address, port?, user?, hostKey?, arch?}. name is a DNS label and the certificate's name; " +
                "port defaults to 22; user defaults to root (any other user needs passwordless sudo); " +
                'hostKey pins the SSH host key ("ssh-ed25519 AAAA..."); arch (x86_64 or arm64) skips detection.',
        ),
    sshPrivateKey: z.string().default("").describe(`${SECRET}SSH private key (PEM or OpenSSH) used for every host without its own key in sshPrivateKeys.`),
    sshPrivateKeys: z.record(z.string()).default({}).describe(`${SECRET}Per-host SSH private keys, by host name; overrides sshPrivateKey.`),
    dataplaneapiVersion: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, "must be a release version such as 3.2.1")
        .default("3.2.1")
        .describe("Data Plane API release to install."),
    dataplaneapiArch: z
        .union([z.literal(""), z.enum(ARCHES)])
        .default("")
        .describe("CPU architecture of the release archive, x86_64 or arm64; empty means detect it on each host."),
    dataplaneapiBaseUrl: downloadUrl
        .default("https://github.com/haproxytech/dataplaneapi/releases/download")
        .describe("Where release archives are downloaded from; <base>/v<version>/dataplaneapi_<version>_linux_<arch>.tar.gz."),
    dataplaneapiSha256: z
        .record(z.enum(ARCHES), sha256)
        .default({})
        .describe(`SHA-256 of the release archive by architecture, e.g. {"x86_64": "<hex>", "arm64": "<hex>"}, from the release's checksums.txt.`),
    dataplaneapiLocalArchive: z
        .string()
        .default("")
        .describe("Path on this workstation of a release archive to upload instead of downloading (offline hosts); needs dataplaneapiArch."),
    dataplaneapiAllowHttp: z
        .boolean()
        .default(false)
        .describe("Allow a plain http dataplaneapiBaseUrl (a local mirror, say); the archive's SHA-256 is checked either way."),
    apiBindAddress: z.string().refine(isIPv4, "must be an IPv4 address (0.0.0.0 for all)").default("0.0.0.0").describe("Address the API listens on."),
    // The API runs as user haproxy, without CAP_NET_BIND_SERVICE.
    apiPort: z
        .number()
        .int()
        .max(65535, "must be at most 65535")
        .refine((p) => p >= 1024, "is below 1024: the API runs as user haproxy, which cannot bind it; use 1024-65535 (default 5555)")
        .default(5555)
        .describe("Port the API listens on."),
    apiAdvertisedAddress: z
        .union([z.literal(""), address])
        .default("")
        .describe("Address clients use to reach the API; empty means each host's own address."),
    apiTls: z.boolean().default(true).describe("Serve the API over HTTPS, with a certificate from a private CA (or apiTlsCertificate/apiTlsKey)."),
    apiTlsCertificate: z.string().default("").describe("Your own PEM certificate for the API, instead of one from the private CA; needs apiTlsKey."),
    apiTlsKey: z.string().default("").describe(`${SECRET}PEM private key for apiTlsCertificate.`),
    // Empty means "not set", which parse.ts reports with how to set it.
    apiUsername: z
        .string()
        .regex(/^([A-Za-z0-9_.-]{1,64})?$/, "must be 1-64 characters of [A-Za-z0-9_.-]")
        .default("")
        .describe(`${SECRET}Name of the API user, added to the HAProxy userlist.`),
    apiPassword: z
        .string()
        .refine((s) => s === "" || s.length >= 12, "must be at least 12 characters")
        // NUL ends a C string: crypt would hash only what comes before it.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this check refuses
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters (NUL, newline, ...)")
        .refine((s) => s === "" || s.length < 12 || new Set(s.trim()).size >= 6, "is too weak: use at least 6 different characters, not only spaces")
        .refine((s) => s.length <= 256, "must be at most 256 characters")
        .default("")
        .describe(`${SECRET}Password of the API user, at least 12 characters; only its SHA-512 crypt hash reaches the hosts.`),
    haproxyConfigFile: absolutePath.default("/etc/haproxy/haproxy.cfg").describe("HAProxy configuration file that the program edits and the API manages."),
    haproxyUserlist: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 characters of [A-Za-z0-9_.-]")
        .default("controller")
        .describe("Name of the HAProxy userlist that holds the API user."),
    haproxyAdminSocket: socketPath
        .default("/run/haproxy/admin.sock")
        .describe("HAProxy admin socket; its existing `stats socket` line is opened to group haproxy."),
    haproxyMasterSocket: socketPath
        .default("/run/haproxy-master.sock")
        .describe(
            "HAProxy master CLI socket (Debian's haproxy.service starts HAProxy with -S on it, root only); " +
                "the reload service (root) reloads HAProxy through it for the API.",
        ),
    haproxyReloadDelay: z.number().int().min(1).max(60).default(5).describe("Seconds the API waits to batch changes before reloading HAProxy."),
    haproxyAdoptSections: z
        .boolean()
        .default(false)
        .describe(
            "Take over a `userlist <haproxyUserlist>` or `backend haproxy-dataplane-api` that haproxy.cfg already has (it is replaced, and removed on destroy). " +
                "Without it such a section stops the deployment before anything changes.",
        ),
    directories: z
        .array(absolutePath)
        .min(1, "must list at least one directory")
        .default([...DEFAULT_DIRECTORIES])
        .describe(
            "Directories created for the API, owned haproxy:haproxy 0750; those under /tmp come back at boot. " +
                "One that already exists and is not haproxy's stops the deployment before anything changes, unless adoptDirectories names it.",
        ),
    adoptDirectories: z
        .array(absolutePath)
        .default([])
        .describe(
            "Directories of `directories` that already exist on the host, belong to someone else, and may be handed to haproxy:haproxy 0750 anyway " +
                "(destroy gives each its owner and mode back).",
        ),
    allowPathsUnder: z
        .array(absolutePath)
        .default([])
        .describe(
            "Roots of your own, below /srv, /opt, /var/opt, /var/local, /mnt or /media, where directories, haproxyConfigFile and the sockets may also be. " +
                "Without one they must be where Debian's HAProxy keeps its files (/etc/haproxy, /var/lib/haproxy, /run/haproxy) " +
                "or a directory of their own below /tmp or /var/tmp.",
        ),
    rolloutBatchSize: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe(
            "Hosts changed at a time, in the order of `hosts`; 0 changes all hosts at once. " +
                "With 1 or more, each batch waits until every host of the batch before it has passed its health gate, " +
                "so a change that breaks a host stops the rollout there; the next `pulumi up` after the fix continues from that host.",
        ),
    rolloutCheckUrl: z
        .union([z.literal(""), checkUrl])
        .default("")
        .describe(
            "A URL each host's health gate must find answering 2xx, besides the API's /v3/health saying HAProxy is up; " +
                "checked from the host itself, with {address} standing for the host's address (e.g. http://{address}/). Empty: only /v3/health.",
        ),
    rolloutHealthySeconds: z
        .number()
        .int()
        .min(1)
        .max(600)
        .default(10)
        .describe("How long, in seconds, a host must pass every check of its health gate in a row (it gets 60 s more to get there)."),
});

/** The configuration as the schema gives it: every key set, every value checked on its own (checks.ts checks them together). */
export type Settings = z.output<typeof configSchema>;
export type ConfigKey = keyof Settings;

/** Every key, in declaration order. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

/** Keys whose values must be stored encrypted: those whose description starts with "(secret)". */
export const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set(CONFIG_KEYS.filter((k) => configSchema.shape[k].description?.startsWith(SECRET)));

/** A key's default, a fresh copy each time. */
export function defaultOf<K extends ConfigKey>(key: K): z.input<typeof configSchema>[K] {
    return structuredClone(configSchema.shape[key]._def.defaultValue()) as z.input<typeof configSchema>[K];
}

/** A key's description, as Pulumi.yaml carries it. */
export function descriptionOf(key: ConfigKey): string {
    return configSchema.shape[key].description ?? "";
}

/** The type of a value as Pulumi.yaml declares it. */
export type ValueType = "string" | "integer" | "number" | "boolean" | "array" | "object";

/**
 * A key's type, as Pulumi.yaml declares it, and the type of its items when it
 * is a list. It also says how parse.ts reads the key's text: a string as it
 * is, anything else as JSON.
 */
export function typeOf(key: ConfigKey): { type: ValueType; items?: ValueType } {
    const t = configSchema.shape[key].removeDefault() as z.ZodTypeAny;
    const type = valueType(t);
    return type === "array" ? { type, items: valueType(arrayOf(t).element) } : { type };
}

function valueType(t: z.ZodTypeAny): ValueType {
    if (t instanceof z.ZodEffects) return valueType(t.innerType());
    if (t instanceof z.ZodPipeline) return valueType(t._def.in);
    if (t instanceof z.ZodDefault) return valueType(t.removeDefault());
    if (t instanceof z.ZodOptional) return valueType(t.unwrap());
    if (t instanceof z.ZodUnion) {
        const types = new Set((t.options as z.ZodTypeAny[]).map(valueType));
        if (types.size === 1) return [...types][0];
    }
    if (t instanceof z.ZodString || t instanceof z.ZodEnum) return "string";
    if (t instanceof z.ZodLiteral && typeof t.value === "string") return "string";
    if (t instanceof z.ZodNumber) return t.isInt ? "integer" : "number";
    if (t instanceof z.ZodBoolean) return "boolean";
    if (t instanceof z.ZodArray) return "array";
    if (t instanceof z.ZodObject || t instanceof z.ZodRecord) return "object";
    throw new Error(`schema.ts: no Pulumi type for a ${t.constructor.name}`);
}

function arrayOf(t: z.ZodTypeAny): z.ZodArray<z.ZodTypeAny> {
    if (t instanceof z.ZodArray) return t;
    if (t instanceof z.ZodEffects) return arrayOf(t.innerType());
    throw new Error(`schema.ts: a ${t.constructor.name} is not a list`);
}
