import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { RawConfig } from "../../components/config";

export const PROJECT = "haproxy-dataplane";

/** One registration as the engine would see it. */
export interface Registration {
    type: string;
    name: string;
    urn: string;
    parent: string;
    dependencies: string[];
    inputs: Record<string, any>;
    /** Input paths whose change replaces the resource (the SDK's and the program's replaceOnChanges). */
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    /** The aliases it was registered with (old names and parents), as the engine receives them. */
    aliases: unknown[];
}

export const registrations: Registration[] = [];

/**
 * What a command prints under mocks. The install step reports a version other
 * than the configured one (so a test can tell the binary's word from the
 * configuration echoed back), and the SHA-256 of the archive it verified for
 * x86_64 as the binary's: the bytes of the binary follow from the archive.
 */
export const MOCK_REPORTED_VERSION = "9.9.9";
export const MOCK_HAPROXY_VERSION = "2.6.12";
/**
 * The `haproxy -v` banner the preflight reports under mocks, by host name;
 * hosts not listed get MOCK_HAPROXY_VERSION. A test that runs the registered
 * commands on a real host puts that host's own banner here first.
 */
export const mockHaproxyBanners = new Map<string, string>();
function mockStdout(name: string, script: string): string {
    if (name.endsWith("-preflight-check")) {
        const banner = mockHaproxyBanners.get(name.slice(0, -"-preflight-check".length)) ?? `HAProxy version ${MOCK_HAPROXY_VERSION}-1+deb12u3 2025/07/12`;
        return `${banner}\nhaproxy_version=${/^HAProxy version ([0-9.]+)/.exec(banner)?.[1]}\n`;
    }
    if (!name.endsWith("-binary-install")) return "";
    // The value may be quoted in the script; \W* skips the quote.
    const sha = /x86_64\) sha=\W*([0-9a-f]{64})/.exec(script)?.[1] ?? "none";
    return `arch=x86_64\nversion=${MOCK_REPORTED_VERSION}\nbinary_sha256=${sha}\n`;
}
let installed = false;

/**
 * Installs Pulumi mocks once per process and records every registration,
 * including the parent and dependencies the mocks API itself does not expose.
 */
export function installMocks(opts: { realTls?: boolean } = {}): void {
    if (installed) return;
    installed = true;
    const real = opts.realTls ? realTlsMaterial() : undefined;
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const state: Record<string, any> = { ...args.inputs };
                if (args.type === "command:remote:Command") state.stdout = mockStdout(args.name, String(args.inputs.create ?? ""));
                if (args.type.startsWith("tls:")) {
                    state.privateKeyPem = real?.key ?? `-----BEGIN PRIVATE KEY-----\nmock-${args.name}\n-----END PRIVATE KEY-----\n`;
                    state.privateKeyOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\nmock-${args.name}\n-----END OPENSSH PRIVATE KEY-----\n`;
                    state.certPem = real?.cert ?? `-----BEGIN CERTIFICATE-----\nmock-${args.name}\n-----END CERTIFICATE-----\n`;
                    state.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\nmock-${args.name}\n-----END CERTIFICATE REQUEST-----\n`;
                }
                return { id: `${args.name}-id`, state };
            },
            call: (args) => {
                throw new Error(`unexpected invoke ${args.token}`);
            },
        },
        PROJECT,
        "unit",
        false,
    );
    const settings = require("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) =>
        original(req, (err: any, resp: any) => {
            if (!err) {
                registrations.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: resp.getUrn(),
                    parent: req.getParent(),
                    dependencies: req.getDependenciesList(),
                    inputs: req.getObject()?.toJavaScript() ?? {},
                    replaceOnChanges: req.getReplaceonchangesList(),
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                    aliases: req.getAliasesList().map((a: any) => a.toObject()),
                });
            }
            cb(err, resp);
        });
}

/**
 * A real self-signed certificate and key (openssl), for tests whose files are
 * read by real programs on a host: haproxy -c parses the CA file.
 */
function realTlsMaterial(): { cert: string; key: string } {
    const dir = mkdtempSync(path.join(tmpdir(), "tls-"));
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=test CA",
            "-keyout",
            path.join(dir, "key.pem"),
            "-out",
            path.join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
    );
    return { cert: readFileSync(path.join(dir, "cert.pem"), "utf8"), key: readFileSync(path.join(dir, "key.pem"), "utf8") };
}

/** True for a value the engine received as a secret: Pulumi's serialized secret envelope. */
export function isSecret(v: unknown): v is { value: unknown } {
    return v !== null && typeof v === "object" && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** The plain value inside a secret, or the value itself. */
export function unwrapSecret<T>(v: T | { value: T }): T {
    return isSecret(v) ? (v.value as T) : (v as T);
}

/** Resolves an Output in a test (mocks resolve everything, secrets included). */
export function resolve<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((r) =>
        o.apply((v) => {
            r(v);
            return v;
        }),
    );
}

/** Lets pending registrations finish. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
}

export const TEST_PASSWORD = "correct-horse-battery-staple-42";
export const TEST_SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-unit-test-only\n-----END OPENSSH PRIVATE KEY-----\n";
export const TEST_SHA = "a".repeat(64);

/** A valid configuration, with overrides; `secret` lists keys stored encrypted. */
export function rawConfig(values: Record<string, unknown> = {}, secret?: string[]): RawConfig {
    const base: Record<string, unknown> = {
        hosts: [{ name: "lb1", address: "198.18.1.2", user: "deploy" }],
        sshPrivateKey: TEST_SSH_KEY,
        apiUsername: "dpadmin",
        apiPassword: TEST_PASSWORD,
        dataplaneapiSha256: { x86_64: TEST_SHA, arm64: "b".repeat(64) },
        ...values,
    };
    const out: RawConfig["values"] = {};
    for (const [k, v] of Object.entries(base)) {
        if (v === undefined) continue;
        (out as Record<string, string>)[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { values: out, secretKeys: new Set(secret ?? ["sshPrivateKey", "sshPrivateKeys", "apiUsername", "apiPassword", "apiTlsKey"]) };
}
