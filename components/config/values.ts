import { isIPv4 } from "node:net";
import { z } from "zod";

/**
 * The kinds of value the stack's keys hold (schema.ts says which key holds
 * which): each refuses what the hosts or the shell could not take, with a
 * message that says what is allowed.
 */

export const ARCHES = ["x86_64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

const hostName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lower-case DNS label (a-z, 0-9, '-'), at most 63 characters");
const dnsName = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const address = z
    .string()
    .refine((s) => !s.includes(":"), "is an IPv6 address, which is not supported; use an IPv4 address or a DNS name")
    // A DNS name of digits and dots only would be looked up as a name, and some
    // resolvers read "10.0.5" as 10.0.0.5: such a name must be a real IPv4 address.
    .refine((s) => s.includes(":") || !/^[\d.]+$/.test(s) || isIPv4(s), "is not an IPv4 address (four numbers 0-255) nor a DNS name")
    .refine((s) => s.includes(":") || /^[\d.]+$/.test(s) || isIPv4(s) || dnsName.test(s), "must be an IPv4 address or a DNS name");
const port = z.number().int().min(1).max(65535);

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

export const absolutePath = z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]*$/, "must be an absolute path of [A-Za-z0-9._/-]")
    .refine((s) => !s.split("/").includes(".."), "must not contain '..'")
    .transform(canonicalPath);
/** A socket's path: absolute, not at the root of the file system, and naming a file (no trailing "/"). */
export const socketPath = z
    .string()
    .refine((s) => !s.endsWith("/"), "ends with '/': a socket is a file, not a directory")
    .pipe(absolutePath)
    .refine((s) => s.lastIndexOf("/") > 0, "is at the root of the file system: put the socket in a directory of its own, such as /run/haproxy");
/**
 * The release site. Parsed as a URL, not matched as text: it must have a host,
 * no credentials (it is shown in previews and logs), no query or fragment (the
 * archive path is appended), and only characters a URL carries as they are.
 */
export const downloadUrl = z
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
export const checkUrl = z
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
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits");
const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Unix user name");
const hostKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/=]+$/,
        "must be a public key line: '<type> <base64>', as in known_hosts without the host name",
    );

/** One entry of `hosts`. Strict: a misspelt field is refused, not ignored. */
export const hostSchema = z
    .object({
        name: hostName,
        address,
        port: port.default(22),
        user: unixUser.default("root"),
        hostKey: hostKey.optional(),
        arch: z.enum(ARCHES).optional(),
    })
    .strict();
export type HostConfig = z.infer<typeof hostSchema>;
