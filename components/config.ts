import * as pulumi from "@pulumi/pulumi";
import { isIPv4 } from "node:net";
import { z } from "zod";
import { configFileProblem, directoryProblem, socketProblem, userRootProblem } from "./pathRule";
import { API_DIRECTORIES, PATHS } from "./shared/paths";
import { dirname } from "./shared/shell";

/**
 * Stack configuration: read once, validated once, before any resource exists.
 *
 * Values are read raw (`pulumi.runtime.getConfig`) so that secrets can be checked
 * without Pulumi's "use getSecret" warning; every secret leaves this module
 * wrapped again with `pulumi.secret`, and no error message ever quotes one.
 */

export const DEFAULT_VERSION = "3.2.1";
export const DEFAULT_BASE_URL = "https://github.com/haproxytech/dataplaneapi/releases/download";

/**
 * The seed's directory set, the default of `directories`: the API's config
 * directory, every directory its YAML names (API_DIRECTORIES), and two more the
 * seed made for the API, for ACL files and config snippets, which the YAML does
 * not name. In this order, which is the order the directories step lists them
 * in its scripts (and Pulumi.yaml's default, which a unit test compares).
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

/** The directories every `directories` must include: the config file's, and those dataplaneapi.yaml names. */
export const REQUIRED_DIRECTORIES: readonly string[] = [PATHS.configDir, ...Object.values(API_DIRECTORIES)];

export const ARCHES = ["x86_64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

/**
 * Published SHA-256 of release archives, by version and architecture.
 *
 * Empty on purpose: the published checksums.txt of 3.2.1 could not be read from
 * the machines this project is built on (no route to the release site), and a
 * checksum that was not copied from the publisher is worse than none. Until it is
 * filled in, `dataplaneapiSha256` is required for every version.
 */
export const PUBLISHED_SHA256: Readonly<Record<string, Partial<Record<Arch, string>>>> = {};

/** Every key this program reads, with its project default. Pulumi.yaml declares the same set. */
export const CONFIG_KEYS = [
    "hosts",
    "sshPrivateKey",
    "sshPrivateKeys",
    "dataplaneapiVersion",
    "dataplaneapiArch",
    "dataplaneapiBaseUrl",
    "dataplaneapiSha256",
    "dataplaneapiLocalArchive",
    "dataplaneapiAllowHttp",
    "apiBindAddress",
    "apiPort",
    "apiAdvertisedAddress",
    "apiTls",
    "apiTlsCertificate",
    "apiTlsKey",
    "apiUsername",
    "apiPassword",
    "haproxyConfigFile",
    "haproxyUserlist",
    "haproxyAdminSocket",
    "haproxyMasterSocket",
    "haproxyReloadDelay",
    "haproxyAdoptSections",
    "directories",
    "adoptDirectories",
    "allowPathsUnder",
    "rolloutBatchSize",
    "rolloutCheckUrl",
    "rolloutHealthySeconds",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Keys whose values must be stored encrypted (`pulumi config set --secret`). */
export const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>(["sshPrivateKey", "sshPrivateKeys", "apiTlsKey", "apiUsername", "apiPassword"]);

const hostName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lower-case DNS label (a-z, 0-9, '-'), at most 63 characters");
const dnsName = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const address = z
    .string()
    .refine((s) => !s.includes(":"), "is an IPv6 address, which is not supported; use an IPv4 address or a DNS name")
    // A DNS name of digits and dots only would be looked up as a name, and some
    // resolvers read "10.0.5" as 10.0.0.5: such a name must be a real IPv4 address.
    .refine((s) => s.includes(":") || !/^[\d.]+$/.test(s) || isIPv4(s), "is not an IPv4 address (four numbers 0-255) nor a DNS name")
    .refine((s) => s.includes(":") || /^[\d.]+$/.test(s) || isIPv4(s) || dnsName.test(s), "must be an IPv4 address or a DNS name");
const port = z.number().int().min(1).max(65535);
const absolutePath = z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]*$/, "must be an absolute path of [A-Za-z0-9._/-]")
    .refine((s) => !s.split("/").includes(".."), "must not contain '..'")
    .transform(canonicalPath);
/** A socket's path: absolute, not at the root of the file system, and naming a file (no trailing "/"). */
const socketPath = z
    .string()
    .refine((s) => !s.endsWith("/"), "ends with '/': a socket is a file, not a directory")
    .pipe(absolutePath)
    .refine((s) => s.lastIndexOf("/") > 0, "is at the root of the file system: put the socket in a directory of its own, such as /run/haproxy");
/**
 * The release site. Parsed as a URL, not matched as text: it must have a host,
 * no credentials (it is shown in previews and logs), no query or fragment (the
 * archive path is appended), and only characters a URL carries as they are.
 */
const downloadUrl = z
    .string()
    .regex(
        /^[A-Za-z0-9\-._~:/%@!$&()*+,;=?#]*$/,
        "must be a URL of printable ASCII without spaces, quotes, backslashes or [ ] { } (curl would expand those as a glob)",
    )
    .superRefine((s, ctx) => {
        let u: URL;
        try {
            u = new URL(s);
        } catch {
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: "is not a URL (e.g. https://github.com/haproxytech/dataplaneapi/releases/download)" });
            return;
        }
        if (u.protocol !== "https:" && u.protocol !== "http:") ctx.addIssue({ code: z.ZodIssueCode.custom, message: "must be an http(s) URL" });
        else if (!/^[a-z]+:\/\/[^/]/i.test(s) || u.hostname === "") ctx.addIssue({ code: z.ZodIssueCode.custom, message: "has no host" });
        else if (u.username !== "" || u.password !== "")
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: "must not carry credentials (user:password@): the URL is shown in previews and logs" });
        else if (u.search !== "" || u.hash !== "" || s.includes("?") || s.includes("#"))
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: "must not have a query or fragment: the archive's path is appended to it" });
    })
    .transform((s) => s.replace(/\/+$/, ""));
/**
 * The URL a health gate checks from each host: http(s), with a host, no
 * credentials (it is shown in previews), and only characters a URL carries as
 * they are; `{address}` stands for the host's address.
 */
const checkUrl = z
    .string()
    .regex(/^[A-Za-z0-9\-._~:/%@!$&()*+,;=?#{}]*$/, "must be a URL of printable ASCII without spaces, quotes, backslashes or [ ]")
    .refine((s) => s.replaceAll("{address}", "").match(/[{}]/) === null, "may hold { } only as {address}")
    .superRefine((s, ctx) => {
        let u: URL;
        try {
            u = new URL(s.replaceAll("{address}", "192.0.2.1"));
        } catch {
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: "is not a URL (e.g. http://{address}/health)" });
            return;
        }
        if (u.protocol !== "https:" && u.protocol !== "http:") ctx.addIssue({ code: z.ZodIssueCode.custom, message: "must be an http(s) URL" });
        else if (u.hostname === "") ctx.addIssue({ code: z.ZodIssueCode.custom, message: "has no host" });
        else if (u.username !== "" || u.password !== "")
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: "must not carry credentials (user:password@): the URL is shown in previews and logs" });
    });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits");
const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Unix user name");
const hostKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/=]+$/,
        "must be a public key line: '<type> <base64>', as in known_hosts without the host name",
    );

const hostSchema = z
    .object({
        name: hostName,
        address,
        port: port.default(22),
        user: unixUser.default("root"),
        hostKey: hostKey.optional(),
        arch: z.enum(ARCHES).optional(),
    })
    .strict();

const schema = z.object({
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
        }),
    sshPrivateKey: z.string(),
    sshPrivateKeys: z.record(z.string()),
    dataplaneapiVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "must be a release version such as 3.2.1"),
    dataplaneapiArch: z.union([z.literal(""), z.enum(ARCHES)]),
    dataplaneapiBaseUrl: downloadUrl,
    dataplaneapiSha256: z.record(z.enum(ARCHES), sha256),
    dataplaneapiLocalArchive: z.string(),
    dataplaneapiAllowHttp: z.boolean(),
    apiBindAddress: z.string().refine(isIPv4, "must be an IPv4 address (0.0.0.0 for all)"),
    // The API runs as user haproxy, without CAP_NET_BIND_SERVICE.
    apiPort: z
        .number()
        .int()
        .max(65535, "must be at most 65535")
        .refine((p) => p >= 1024, "is below 1024: the API runs as user haproxy, which cannot bind it; use 1024-65535 (default 5555)"),
    apiAdvertisedAddress: z.union([z.literal(""), address]),
    apiTls: z.boolean(),
    apiTlsCertificate: z.string(),
    apiTlsKey: z.string(),
    // Empty means "not set", reported by crossChecks with how to set it.
    apiUsername: z.string().regex(/^([A-Za-z0-9_.-]{1,64})?$/, "must be 1-64 characters of [A-Za-z0-9_.-]"),
    apiPassword: z
        .string()
        .refine((s) => s === "" || s.length >= 12, "must be at least 12 characters")
        // NUL ends a C string: crypt would hash only what comes before it.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this check refuses
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters (NUL, newline, ...)")
        .refine((s) => s === "" || s.length < 12 || new Set(s.trim()).size >= 6, "is too weak: use at least 6 different characters, not only spaces")
        .refine((s) => s.length <= 256, "must be at most 256 characters"),
    haproxyConfigFile: absolutePath,
    haproxyUserlist: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 characters of [A-Za-z0-9_.-]"),
    haproxyAdminSocket: socketPath,
    haproxyMasterSocket: socketPath,
    haproxyReloadDelay: z.number().int().min(1).max(60),
    haproxyAdoptSections: z.boolean(),
    directories: z.array(absolutePath).min(1, "must list at least one directory"),
    adoptDirectories: z.array(absolutePath),
    allowPathsUnder: z.array(absolutePath),
    rolloutBatchSize: z.number().int().min(0),
    rolloutCheckUrl: z.union([z.literal(""), checkUrl]),
    rolloutHealthySeconds: z.number().int().min(1).max(600),
});

type Parsed = z.infer<typeof schema>;
export type HostConfig = z.infer<typeof hostSchema>;

/** The raw configuration as the engine hands it over: strings, or JSON for structured keys. */
export interface RawConfig {
    /** Value of each key that is set, before any parsing. */
    values: Partial<Record<ConfigKey, string>>;
    /** Keys whose values are stored encrypted. */
    secretKeys: ReadonlySet<string>;
}

/** Binary source: a URL the host downloads, or an archive on the workstation to upload. */
export type ArchiveSource = { kind: "download"; baseUrl: string } | { kind: "local"; path: string };

/**
 * How the API serves, decided here once from apiTls, apiTlsCertificate and
 * apiTlsKey: plain HTTP; HTTPS with a certificate from a private CA per host
 * (the default); or HTTPS with the user's own certificate, which clients and
 * HAProxy verify against the system's CAs.
 */
export type ApiTlsPlan = { mode: "off" } | { mode: "private-ca" } | { mode: "own-certificate"; certPem: string; keyPem: pulumi.Output<string> };

export interface DeploymentConfig {
    hosts: (HostConfig & { privateKey: pulumi.Output<string> })[];
    dataplaneapi: {
        version: string;
        source: ArchiveSource;
        sha256: Partial<Record<Arch, string>>;
    };
    api: {
        bindAddress: string;
        port: number;
        /** Empty: each host's own address. */
        advertisedAddress: string;
        tls: ApiTlsPlan;
        username: pulumi.Output<string>;
        password: pulumi.Output<string>;
    };
    haproxy: {
        configFile: string;
        userlist: string;
        adminSocket: string;
        masterSocket: string;
        reloadDelay: number;
        /** Take over sections that haproxy.cfg already has under the managed names. */
        adoptSections: boolean;
    };
    directories: string[];
    /** Directories in `directories` that exist on the host, are not haproxy's, and may be handed to haproxy (destroy gives them back). */
    adoptDirectories: string[];
    rollout: {
        /** Hosts changed at a time, in the order of `hosts`; 0: all at once. */
        batchSize: number;
        /** A URL each host must answer 2xx on (checked from the host; `{address}` is its address); empty: none. */
        checkUrl: string;
        /** How long a host must pass every check before the next batch starts. */
        healthySeconds: number;
    };
}

export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

const PROJECT_DEFAULTS: Record<ConfigKey, unknown> = {
    hosts: [],
    sshPrivateKey: "",
    sshPrivateKeys: {},
    dataplaneapiVersion: DEFAULT_VERSION,
    dataplaneapiArch: "",
    dataplaneapiBaseUrl: DEFAULT_BASE_URL,
    dataplaneapiAllowHttp: false,
    dataplaneapiSha256: {},
    dataplaneapiLocalArchive: "",
    apiBindAddress: "0.0.0.0",
    apiPort: 5555,
    apiAdvertisedAddress: "",
    apiTls: true,
    apiTlsCertificate: "",
    apiTlsKey: "",
    apiUsername: "",
    apiPassword: "",
    haproxyConfigFile: "/etc/haproxy/haproxy.cfg",
    haproxyUserlist: "controller",
    haproxyAdminSocket: "/run/haproxy/admin.sock",
    haproxyMasterSocket: "/run/haproxy-master.sock",
    haproxyReloadDelay: 5,
    haproxyAdoptSections: false,
    directories: [...DEFAULT_DIRECTORIES],
    adoptDirectories: [],
    allowPathsUnder: [],
    rolloutBatchSize: 0,
    rolloutCheckUrl: "",
    rolloutHealthySeconds: 10,
};

/** The defaults, as Pulumi.yaml declares them (a unit test keeps the two in step). */
export function projectDefaults(): Record<ConfigKey, unknown> {
    return structuredClone(PROJECT_DEFAULTS);
}

/**
 * Parses and checks the whole configuration. Returns every problem at once, each
 * naming its key, quoting the value (or `[secret]`) and saying what is allowed.
 * Pure: no Pulumi runtime is needed, so tests call it directly.
 */
export function parseConfig(raw: RawConfig): DeploymentConfig {
    const problems: string[] = [];
    const input: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
        const text = raw.values[key];
        if (text === undefined) {
            input[key] = structuredClone(PROJECT_DEFAULTS[key]);
            continue;
        }
        const wanted = PROJECT_DEFAULTS[key];
        if (typeof wanted === "string") {
            input[key] = text;
            continue;
        }
        try {
            input[key] = JSON.parse(text);
        } catch {
            const kind = Array.isArray(wanted) ? "JSON list" : typeof wanted === "object" ? "JSON object" : typeof wanted;
            problems.push(`${key}: ${describe(key, text)} is not a valid ${kind}`);
            input[key] = structuredClone(wanted);
        }
    }

    for (const key of SECRET_KEYS) {
        const v = raw.values[key];
        if (v !== undefined && v !== "" && v !== "{}" && !raw.secretKeys.has(key)) {
            problems.push(`${key}: is stored in plaintext; set it with \`pulumi config set --secret ${key}\``);
        }
    }

    // On the raw input: a key such as "__proto__" does not survive parsing into an object.
    unknownHostKeys(input, problems);

    // Checked before the schema, so they are reported even when other keys are wrong.
    for (const key of ["apiUsername", "apiPassword"] as const) {
        if (input[key] === "") problems.push(`${key}: is not set; set it with \`pulumi config set --secret ${key} <value>\``);
    }

    const result = schema.safeParse(input);
    if (result.success) {
        crossChecks(result.data, problems);
        if (problems.length > 0) throw new ConfigError(problems);
        return build(result.data);
    }
    for (const issue of result.error.issues) {
        const key = issue.path[0] as ConfigKey;
        const value = valueAt(input, issue.path);
        const where = issue.path
            .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
            .join("")
            .slice(1);
        problems.push(`${where}: ${describe(key, value)} ${messageFor(issue)}`);
    }
    // Cross-field checks still run, on the keys that did parse (the others at
    // their defaults), so one run reports every problem at once.
    const lenient = lenientSchema.safeParse(lenientInput(input, new Set(result.error.issues.map((i) => i.path[0] as string))));
    if (lenient.success) crossChecks(lenient.data as Parsed, problems);
    throw new ConfigError(problems);
}

/** The input with every key that failed replaced by its default; hosts keep what cross-checks read. */
function lenientInput(input: Record<string, unknown>, failed: Set<string>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...input };
    for (const key of failed) out[key] = structuredClone(PROJECT_DEFAULTS[key as ConfigKey]);
    if (Array.isArray(input.hosts)) {
        out.hosts = input.hosts
            .filter((h): h is Record<string, unknown> => h !== null && typeof h === "object" && typeof (h as Record<string, unknown>).name === "string")
            .map((h) => ({ name: h.name, arch: h.arch === "x86_64" || h.arch === "arm64" ? h.arch : undefined }));
    }
    return out;
}

/** The schema the cross-checks run against when some keys are invalid: host entries need only a name. */
const lenientSchema = schema.extend({
    hosts: z.array(z.object({ name: z.string(), arch: z.enum(ARCHES).optional() })),
});

function crossChecks(c: Parsed, problems: string[]): void {
    for (const [i, h] of c.hosts.entries()) {
        const key = own(c.sshPrivateKeys, h.name) ?? c.sshPrivateKey;
        if (key === "") {
            problems.push(`hosts[${i}] ("${h.name}"): has no SSH private key; set \`sshPrivateKey\` (all hosts) or \`sshPrivateKeys.${h.name}\` with --secret`);
        } else if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.trim())) {
            problems.push(
                `${own(c.sshPrivateKeys, h.name) !== undefined ? `sshPrivateKeys.${h.name}` : "sshPrivateKey"}: [secret] is not a PEM/OpenSSH private key (it must start with "-----BEGIN ... PRIVATE KEY-----")`,
            );
        }
    }
    const published = PUBLISHED_SHA256[c.dataplaneapiVersion] ?? {};
    const arches: Arch[] =
        c.dataplaneapiArch !== "" ? [c.dataplaneapiArch] : [...new Set(c.hosts.map((h) => h.arch).filter((a): a is Arch => a !== undefined))];
    const needsAll = c.dataplaneapiArch === "" && c.hosts.some((h) => h.arch === undefined);
    for (const arch of needsAll ? [...ARCHES] : arches) {
        if (!c.dataplaneapiSha256[arch] && !published[arch] && c.dataplaneapiLocalArchive === "") {
            problems.push(
                `dataplaneapiSha256.${arch}: is required for dataplaneapiVersion "${c.dataplaneapiVersion}" ` +
                    `(no published checksum is built in); copy it from the release's checksums.txt` +
                    (needsAll ? ` (or set dataplaneapiArch / hosts[].arch to the architectures you deploy)` : ""),
            );
        }
    }
    if (c.dataplaneapiLocalArchive === "" && c.dataplaneapiBaseUrl.startsWith("http:") && !c.dataplaneapiAllowHttp) {
        problems.push(
            `dataplaneapiBaseUrl: ${describe("dataplaneapiBaseUrl", c.dataplaneapiBaseUrl)} must be an https URL; ` +
                "set dataplaneapiAllowHttp to true to download over plain http (the archive's SHA-256 is still checked)",
        );
    }
    if (c.dataplaneapiLocalArchive !== "") {
        if (!c.dataplaneapiLocalArchive.endsWith(".tar.gz")) {
            problems.push(`dataplaneapiLocalArchive: "${c.dataplaneapiLocalArchive}" must be a release archive (*.tar.gz)`);
        }
        const forced = c.dataplaneapiArch || (new Set(c.hosts.map((h) => h.arch)).size === 1 ? c.hosts[0].arch : undefined);
        if (!forced) {
            problems.push(`dataplaneapiArch: "" must name the architecture of dataplaneapiLocalArchive (x86_64 or arm64) when a local archive is used`);
        } else if (!c.dataplaneapiSha256[forced] && !published[forced]) {
            problems.push(`dataplaneapiSha256.${forced}: is required with dataplaneapiLocalArchive, so the upload is verified on the host`);
        }
    }
    if (c.apiTlsCertificate !== "" || c.apiTlsKey !== "") {
        if (!c.apiTls) problems.push(`apiTlsCertificate: is set but apiTls is false; remove it or set apiTls to true`);
        if (!/^-----BEGIN CERTIFICATE-----/.test(c.apiTlsCertificate.trim())) {
            problems.push(`apiTlsCertificate: "${truncate(c.apiTlsCertificate)}" must be a PEM certificate, given together with apiTlsKey`);
        }
        if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(c.apiTlsKey.trim())) {
            problems.push(`apiTlsKey: [secret] must be a PEM private key, given together with apiTlsCertificate`);
        }
    }
    const ownedDirs = new Set(c.directories);
    if (ownedDirs.size !== c.directories.length) {
        problems.push(`directories: ${JSON.stringify(c.directories)} lists a directory twice`);
    }
    // A refused root opens nothing: the paths below it are judged without it.
    const roots: string[] = [];
    for (const [i, root] of c.allowPathsUnder.entries()) {
        const problem = userRootProblem(root);
        if (problem) problems.push(`allowPathsUnder[${i}]: "${root}" ${problem}`);
        else roots.push(root);
    }
    const configFileRefused = configFileProblem(c.haproxyConfigFile, roots);
    if (configFileRefused) problems.push(`haproxyConfigFile: "${c.haproxyConfigFile}" ${configFileRefused}`);
    for (const [key, role] of [
        ["haproxyAdminSocket", "admin"],
        ["haproxyMasterSocket", "master"],
    ] as const) {
        const refused = socketProblem(c[key], roots, role);
        if (refused) problems.push(`${key}: "${c[key]}" ${refused}`);
    }
    const socketDirs = [dirname(c.haproxyAdminSocket), dirname(c.haproxyMasterSocket)];
    for (const [i, d] of c.directories.entries()) {
        const refused = directoryProblem(d, roots);
        if (refused) {
            problems.push(`directories[${i}]: "${d}" ${refused}`);
        } else if (socketDirs.some((sd) => sd === d || sd.startsWith(`${d}/`))) {
            problems.push(
                `directories[${i}]: "${d}" holds a socket whose directory the program changes (${socketDirs.join(", ")}); list directories the API owns`,
            );
        } else if ([c.haproxyConfigFile, c.haproxyAdminSocket, c.haproxyMasterSocket].includes(d)) {
            problems.push(`directories[${i}]: "${d}" is the path of a file or socket set elsewhere in the configuration`);
        }
    }
    for (const [i, d] of c.adoptDirectories.entries()) {
        if (!ownedDirs.has(d)) problems.push(`adoptDirectories[${i}]: "${d}" is not in directories; only a directory the API uses can be adopted`);
    }
    for (const required of REQUIRED_DIRECTORIES) {
        if (!ownedDirs.has(required)) {
            problems.push(`directories: ${truncate(JSON.stringify(c.directories))} must include "${required}", which the API configuration uses`);
        }
    }
    // Compared as canonical paths, so two spellings of one socket are caught.
    if (c.haproxyAdminSocket === c.haproxyMasterSocket) {
        problems.push(`haproxyMasterSocket: "${c.haproxyMasterSocket}" must differ from haproxyAdminSocket (they name the same socket)`);
    }
}

/**
 * A path as the host resolves it: repeated slashes, "." segments and a trailing
 * slash removed, so that two spellings of one path compare equal. ".." is
 * refused before this runs.
 */
export function canonicalPath(p: string): string {
    return `/${p
        .split("/")
        .filter((seg) => seg !== "" && seg !== ".")
        .join("/")}`;
}

/** An own property only: a host named "constructor" must not find Object.prototype.constructor. */
function own<T>(map: Record<string, T>, key: string): T | undefined {
    return Object.hasOwn(map, key) ? map[key] : undefined;
}

function unknownHostKeys(input: Record<string, unknown>, problems: string[]): void {
    const keys = input.sshPrivateKeys;
    if (keys === null || typeof keys !== "object" || Array.isArray(keys)) return;
    const names = Array.isArray(input.hosts)
        ? input.hosts
              .map((h) => (h !== null && typeof h === "object" ? (h as Record<string, unknown>).name : undefined))
              .filter((n): n is string => typeof n === "string")
        : [];
    for (const name of Object.keys(keys)) {
        if (!names.includes(name)) problems.push(`sshPrivateKeys.${name}: names no host in \`hosts\` (${names.map((n) => `"${n}"`).join(", ")})`);
    }
}

function build(c: Parsed): DeploymentConfig {
    const published = PUBLISHED_SHA256[c.dataplaneapiVersion] ?? {};
    return {
        hosts: c.hosts.map((h) => ({
            ...h,
            arch: h.arch ?? (c.dataplaneapiArch || undefined),
            privateKey: pulumi.secret(own(c.sshPrivateKeys, h.name) ?? c.sshPrivateKey),
        })),
        dataplaneapi: {
            version: c.dataplaneapiVersion,
            source:
                c.dataplaneapiLocalArchive !== "" ? { kind: "local", path: c.dataplaneapiLocalArchive } : { kind: "download", baseUrl: c.dataplaneapiBaseUrl },
            sha256: { ...published, ...c.dataplaneapiSha256 },
        },
        api: {
            bindAddress: c.apiBindAddress,
            port: c.apiPort,
            advertisedAddress: c.apiAdvertisedAddress,
            tls: !c.apiTls
                ? { mode: "off" }
                : c.apiTlsCertificate !== ""
                  ? { mode: "own-certificate", certPem: c.apiTlsCertificate, keyPem: pulumi.secret(c.apiTlsKey) }
                  : { mode: "private-ca" },
            username: pulumi.secret(c.apiUsername),
            password: pulumi.secret(c.apiPassword),
        },
        haproxy: {
            configFile: c.haproxyConfigFile,
            userlist: c.haproxyUserlist,
            adminSocket: c.haproxyAdminSocket,
            masterSocket: c.haproxyMasterSocket,
            reloadDelay: c.haproxyReloadDelay,
            adoptSections: c.haproxyAdoptSections,
        },
        directories: c.directories,
        adoptDirectories: c.adoptDirectories,
        rollout: { batchSize: c.rolloutBatchSize, checkUrl: c.rolloutCheckUrl, healthySeconds: c.rolloutHealthySeconds },
    };
}

function valueAt(input: Record<string, unknown>, path: (string | number)[]): unknown {
    let v: unknown = input;
    for (const p of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<string | number, unknown>)[p];
    }
    return v;
}

function describe(key: ConfigKey, value: unknown): string {
    if (SECRET_KEYS.has(key)) return "[secret]";
    if (value === undefined) return "(missing)";
    // Credentials in a URL are masked, even in the message that refuses them.
    return truncate(JSON.stringify(value).replace(/(:\/\/)[^/"@]*@/g, "$1***@"));
}

function truncate(s: string): string {
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function messageFor(issue: z.ZodIssue): string {
    switch (issue.code) {
        case z.ZodIssueCode.invalid_type:
            return issue.received === "undefined" ? "is required" : `must be a ${issue.expected}, not a ${issue.received}`;
        case z.ZodIssueCode.invalid_enum_value:
            return `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}`;
        case z.ZodIssueCode.invalid_union:
            return `is not allowed here: ${issue.unionErrors.flatMap((e) => e.issues.map(messageFor)).join("; or ")}`;
        case z.ZodIssueCode.unrecognized_keys:
            return `has unknown field${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => `"${k}"`).join(", ")}; allowed: name, address, port, user, hostKey, arch`;
        case z.ZodIssueCode.too_small:
            return issue.type === "number" ? `must be at least ${issue.minimum}` : issue.message;
        case z.ZodIssueCode.too_big:
            return issue.type === "number" ? `must be at most ${issue.maximum}` : issue.message;
        default:
            return issue.message;
    }
}

/** Reads every key of this project from the running Pulumi program. */
export function readRawConfig(project = pulumi.getProject()): RawConfig {
    const values: Partial<Record<ConfigKey, string>> = {};
    const secretKeys = new Set<string>();
    for (const key of CONFIG_KEYS) {
        const full = `${project}:${key}`;
        const v = pulumi.runtime.getConfig(full);
        if (v !== undefined) values[key] = v;
        if (isConfigSecret(full)) secretKeys.add(key);
    }
    return { values, secretKeys };
}

/**
 * Whether a key is stored encrypted. The SDK has this function but leaves it out
 * of its type declarations; without it, plaintext secrets could not be refused.
 */
function isConfigSecret(fullKey: string): boolean {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    if (typeof runtime.isConfigSecret !== "function") {
        throw new Error("this @pulumi/pulumi has no runtime.isConfigSecret; pin the version in package.json");
    }
    return runtime.isConfigSecret(fullKey);
}
