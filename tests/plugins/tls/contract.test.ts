/**
 * The tls plugin contract (README.md beside this file, one test per row), shown
 * under the real Pulumi engine with the real pulumi-resource-tls that
 * lab/build-tools.sh builds from its upstream source, and judged by real tools on a real Debian test host: openssl, ssh-keygen, curl
 * and HAProxy there, and Go's crypto/tls here (gotls/main.go). No test trusts
 * what the plugin says about itself where a tool can look.
 *
 *   cd /work/main && TS_NODE_TRANSPILE_ONLY=true node_modules/.bin/node --require ts-node/register \
 *       --test --test-concurrency=1 tests/plugins/tls/contract.test.ts
 *
 * The tests share one stack and run in order: the later ones change its config.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import type { EngineEvent, OutputMap, Stack, UpResult } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { buildTools, describeTools, hostDown, hostExec, hostRun, hostUp, type TestHost } from "../../../lab/lab";
import { onlyHost } from "../../../lab/hosts";
import { PLUGIN_VERSIONS, type PluginChoice } from "../../../lab/plugins";
import { openStack } from "../../../lab/workspace";

const PROJECT = "tls-contract";
const HOST = { name: "tls-contract", ...onlyHost("tlsContract") };
const HOST_DIR = "/srv/tls-contract";
const SERVER_NAME = "lb-tls.test";
const HOST_IP = `198.18.${HOST.index}.2`;

let plugins: PluginChoice[];
let stack: Stack;
let host: TestHost & { root?: string };
let stateDir: string;
/** The first `up`: its time window and engine log lines. */
let first: { result: UpResult; start: number; end: number; log: string[] };
let outputs: OutputMap;
const durations: [string, number][] = [];

// ---- engine helpers

interface Run {
    result: UpResult;
    events: EngineEvent[];
    start: number;
    end: number;
}

async function up(label: string, config: Record<string, string | string[] | number> = {}): Promise<Run> {
    for (const [k, v] of Object.entries(config)) {
        await stack.setConfig(`${PROJECT}:${k}`, { value: typeof v === "string" ? v : JSON.stringify(v) });
    }
    const events: EngineEvent[] = [];
    const start = Date.now();
    const result = await stack.up({ color: "never", onEvent: (e) => events.push(e) });
    const end = Date.now();
    durations.push([label, (end - start) / 1000]);
    outputs = await stack.outputs();
    return { result, events, start, end };
}

/** Step events (resourcePreEvent), in order: op, resource name, the keys the provider reported. */
function steps(events: EngineEvent[]): { op: string; name: string; type: string; keys: string[] }[] {
    return events
        .filter((e) => e.resourcePreEvent)
        .map((e) => {
            const m = e.resourcePreEvent!.metadata;
            return { op: m.op, name: m.urn.split("::").pop()!, type: m.type, keys: m.keys ?? [] };
        });
}

/** Resource name → the operations the engine ran on it (same, create, update, replace, ...). */
function opsByName(events: EngineEvent[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of steps(events)) {
        out[s.name] ??= [];
        out[s.name].push(s.op);
    }
    return out;
}

/** The state as the backend stores it (the Automation API's exportStack shows secrets decrypted). */
function storedState(): any {
    const file = path.join(stateDir, "backend", ".pulumi", "stacks", PROJECT, `${stack.name}.json`);
    return JSON.parse(readFileSync(file, "utf8"));
}

/** The stored tls resources, by name. */
function stateResources(): Record<string, any> {
    return Object.fromEntries(
        (storedState().checkpoint.latest?.resources ?? []).filter((r: any) => r.type.startsWith("tls:")).map((r: any) => [r.urn.split("::").pop(), r]),
    );
}

const out = (name: string): any => outputs[name]?.value;
const privateKey = (name: string, form: "privateKeyPem" | "privateKeyPemPkcs8" | "privateKeyOpenssh"): string => out("privateKeys")[name][form];
const publicKey = (name: string): Record<string, any> => out("publicKeys")[name];

// ---- host helpers

/** Writes a file into the host's /srv/tls-contract (through its root directory: no key material on a command line). */
function put(file: string, content: string): void {
    assert.ok(host.root, "testhost.sh reports the host's root directory");
    const dir = path.join(host.root, HOST_DIR.slice(1));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, file), content, { mode: 0o600 });
}

function sh(command: string): string {
    return hostRun(HOST.name, `cd ${HOST_DIR} && ${command}`);
}

function shFails(command: string): { code: number; output: string } {
    const r = hostExec(HOST.name, `cd ${HOST_DIR} && ${command}`);
    return { code: r.code, output: `${r.stdout}${r.stderr}` };
}

/** `openssl x509 -text` of a PEM on the host. */
const x509Text = (file: string): string => sh(`openssl x509 -in ${file} -noout -text`);

/** The text block that follows an extension's heading, e.g. "X509v3 Key Usage: critical\n    Digital Signature". */
function extension(text: string, heading: string): { critical: boolean; value: string } | undefined {
    const m = new RegExp(`${heading}:( critical)?\\s*\\n\\s*(.*)`).exec(text);
    return m ? { critical: !!m[1], value: m[2].trim() } : undefined;
}

/** Go's strings.TrimSpace on bytes, for TF's hashForState (ASCII whitespace is all DER can end in but U+0085/U+00A0). */
function trimSpace(b: Buffer): Buffer {
    let s = 0;
    let e = b.length;
    const ws = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
    while (s < e && ws(b[s])) s++;
    for (;;) {
        if (e > s && ws(b[e - 1])) e--;
        else if (e - 2 >= s && b[e - 2] === 0xc2 && (b[e - 1] === 0x85 || b[e - 1] === 0xa0)) e -= 2;
        else break;
    }
    return b.subarray(s, e);
}

function goRun(args: string[]): { code: number; output: string } {
    const r = spawnSync("go", ["run", path.join(__dirname, "gotls", "main.go"), ...args], {
        encoding: "utf8",
        timeout: 300_000,
        env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "" },
    });
    return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
}

const isSecretInState = (v: unknown): boolean =>
    !!v && typeof v === "object" && (v as any)[specialSigKey] === specialSecretSig && typeof (v as any).ciphertext === "string";

describe("tls plugin contract (real engine, real test host)", () => {
    before(async () => {
        const tools = buildTools();
        plugins = tools.plugins;
        console.log(`${describeTools(tools)}, and Go's crypto/tls (go run gotls/main.go)`);
        // The program is type-checked by `tsc -p .`; the language host need not do it again.
        process.env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
        stateDir = mkdtempSync(path.join(tmpdir(), "tls-contract-"));
        hostDown(HOST.name);
        let t = Date.now();
        host = hostUp(HOST.name, HOST.index, HOST.release);
        durations.push(["boot the test host", (Date.now() - t) / 1000]);
        stack = await openStack({
            programDir: path.join(__dirname, "program"),
            stackName: "contract",
            stateDir,
            engineBinDir: tools.binDir,
            plugins,
        });
        // The server certificate's IP SAN is the test host's address (the Go client verifies by it).
        await stack.setConfig(`${PROJECT}:ipAddresses`, { value: JSON.stringify([HOST_IP]) });
        // The first up logs verbosely: the engine's own record of which plugin it launched.
        let log = "";
        t = Date.now();
        const result = await stack.up({ color: "never", logVerbosity: 9, logToStdErr: true, onError: (s) => (log += s) });
        const end = Date.now();
        durations.push(["first up (verbose engine log)", (end - t) / 1000]);
        first = { result, start: t, end, log: log.split("\n") };
        outputs = await stack.outputs();
        // Everything the host looks at, once.
        for (const n of ["rsa", "p224", "p384", "ed", "caKey", "serverKey"]) {
            put(`${n}.pem`, privateKey(n, "privateKeyPem"));
            put(`${n}.p8`, privateKey(n, "privateKeyPemPkcs8"));
            put(`${n}.ssh`, privateKey(n, "privateKeyOpenssh"));
            put(`${n}.pub`, publicKey(n).publicKeyOpenssh);
            put(`${n}.spki`, publicKey(n).publicKeyPem);
        }
        put("ca.crt", out("caCertPem"));
        put("csr.pem", out("csrPem"));
        put("cert.crt", out("certPem"));
        put("rsa-ca.crt", out("rsaCaCertPem"));
        put("rsa-leaf.crt", out("rsaLeafCertPem"));
        put("p384-ca.crt", out("p384CaCertPem"));
        put("p384-leaf.crt", out("p384LeafCertPem"));
    });

    after(async () => {
        try {
            if (stack) await stack.destroy({ color: "never" }).catch(() => undefined);
        } finally {
            hostDown(HOST.name);
            if (stateDir) rmSync(stateDir, { recursive: true, force: true });
            console.log(`durations:\n${durations.map(([l, s]) => `${s.toFixed(1).padStart(7)} s  ${l}`).join("\n")}`);
        }
    });

    it(`plugin: the engine launches pulumi-resource-tls from plugins.providers and it reports version ${PLUGIN_VERSIONS.tls}`, () => {
        const tls = plugins.find((p) => p.name === "tls")!;
        const binary = path.join(tls.dir, "pulumi-resource-tls");
        const launch = first.log.findIndex((l) => l.includes("Launching plugin 'tls (resource)'") && l.includes(`'${binary}'`));
        assert.ok(launch >= 0, `the engine log names ${binary} as the tls plugin it launched`);
        const info = first.log.slice(launch).find((l) => /Provider\[[^\]]+\]\.GetPluginInfo\(\) success/.test(l));
        assert.ok((info ?? "").includes(`#version=${PLUGIN_VERSIONS.tls})`), `the plugin answers GetPluginInfo with ${PLUGIN_VERSIONS.tls}: ${info}`);
        assert.ok(!first.log.some((l) => /resource-tls.*(no version|older version|lower version)/i.test(l)), "no version warning");
        assert.equal(first.result.summary.result, "succeeded");
        assert.equal(first.result.summary.resourceChanges?.create, 14, "stack + 13 tls resources created");
    });

    it("PrivateKey: the default ECDSA curve is P224, and its OpenSSH fields are empty strings", () => {
        assert.match(sh("openssl pkey -in p224.pem -noout -text_pub"), /ASN1 OID: secp224r1/, "openssl reads a P-224 key");
        const pub = publicKey("p224");
        assert.equal(pub.ecdsaCurve, "P224");
        assert.equal(pub.publicKeyOpenssh, "");
        assert.equal(pub.publicKeyFingerprintMd5, "");
        assert.equal(pub.publicKeyFingerprintSha256, "");
        assert.ok(privateKey("p224", "privateKeyOpenssh") === "", "privateKeyOpenssh is empty (its value is not printed)");
    });

    it("PrivateKey: privateKeyPem is PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for ED25519; privateKeyPemPkcs8 is PKCS#8; publicKeyPem is the same key", () => {
        const expected: Record<string, [string, RegExp]> = {
            rsa: ["RSA PRIVATE KEY", /Private-Key: \(2048 bit/],
            p224: ["EC PRIVATE KEY", /secp224r1/],
            p384: ["EC PRIVATE KEY", /secp384r1/],
            caKey: ["EC PRIVATE KEY", /prime256v1/],
            ed: ["PRIVATE KEY", /ED25519 Private-Key/],
        };
        for (const [n, [type, text]] of Object.entries(expected)) {
            // (Checks on private values never hand the value to assert, which would print it.)
            assert.ok(privateKey(n, "privateKeyPem").startsWith(`-----BEGIN ${type}-----\n`), `${n}: privateKeyPem is ${type}`);
            assert.ok(privateKey(n, "privateKeyPemPkcs8").startsWith("-----BEGIN PRIVATE KEY-----\n"), `${n}: privateKeyPemPkcs8 is PKCS#8`);
            // The host's openssl parses each with the decoder of that exact format.
            const inform = { "RSA PRIVATE KEY": "rsa", "EC PRIVATE KEY": "ec", "PRIVATE KEY": "pkey" }[type]!;
            assert.match(
                sh(`openssl ${inform} -in ${n}.pem -noout -text 2>&1 | grep -E "Private-Key|ASN1 OID"`),
                text,
                `${n}: openssl ${inform} reads privateKeyPem`,
            );
            if (type !== "PRIVATE KEY") assert.match(sh(`openssl ${inform} -in ${n}.pem -check -noout 2>&1`), /(RSA key ok|EC Key valid)/i);
            const fromPem = sh(`openssl pkey -in ${n}.pem -pubout`);
            assert.equal(sh(`openssl pkey -in ${n}.p8 -pubout`), fromPem, `${n}: both private forms hold the same key`);
            assert.equal(sh(`openssl pkey -pubin -in ${n}.spki -pubout`), fromPem, `${n}: publicKeyPem is its public key`);
        }
    });

    it("PrivateKey: rsaBits defaults to 2048", () => {
        assert.match(sh("openssl rsa -in rsa.pem -noout -text | head -1"), /Private-Key: \(2048 bit, 2 primes\)/);
        assert.equal(publicKey("rsa").rsaBits, 2048);
        assert.equal(publicKey("caKey").rsaBits, 2048, "set even for ECDSA keys (a schema default)");
    });

    it("PrivateKey: privateKeyOpenssh is an unencrypted OPENSSH PRIVATE KEY that ssh-keygen reads", () => {
        for (const n of ["rsa", "p384", "ed", "serverKey"]) {
            assert.ok(
                /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+-----END OPENSSH PRIVATE KEY-----\n$/.test(privateKey(n, "privateKeyOpenssh")),
                `${n}: an OPENSSH PRIVATE KEY block`,
            );
            // An empty passphrase opens it: it is not encrypted.
            const derived = sh(`ssh-keygen -y -P '' -f ${n}.ssh`).trim();
            assert.equal(derived, publicKey(n).publicKeyOpenssh.trim(), `${n}: ssh-keygen derives publicKeyOpenssh from it`);
        }
    });

    it('PrivateKey: publicKeyOpenssh is "<type> <base64>\\n" and the fingerprints are ssh-keygen\'s MD5 and SHA256', () => {
        const types: Record<string, string> = { rsa: "ssh-rsa", p384: "ecdsa-sha2-nistp384", ed: "ssh-ed25519", serverKey: "ecdsa-sha2-nistp256" };
        for (const [n, type] of Object.entries(types)) {
            const pub = publicKey(n);
            assert.match(pub.publicKeyOpenssh, new RegExp(`^${type} [A-Za-z0-9+/]+=*\\n$`), `${n}: authorized_keys line`);
            const md5 = sh(`ssh-keygen -l -E md5 -f ${n}.pub`).split(" ")[1];
            const sha = sh(`ssh-keygen -l -E sha256 -f ${n}.pub`).split(" ")[1];
            assert.equal(`MD5:${pub.publicKeyFingerprintMd5}`, md5, `${n}: MD5 fingerprint, colon-separated hex without the prefix`);
            assert.equal(pub.publicKeyFingerprintSha256, sha, `${n}: SHA256 fingerprint with its prefix`);
        }
    });

    it("secrets: the three private key forms and the private-key inputs are encrypted in state; public keys, certificates and CSRs are plain", () => {
        const res = stateResources();
        for (const n of ["rsa", "p224", "p384", "ed", "ca-key", "server-key"]) {
            for (const k of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) {
                assert.ok(isSecretInState(res[n].outputs[k]), `${n}.${k} is encrypted in state`);
            }
            for (const k of ["publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"]) {
                assert.equal(typeof res[n].outputs[k], "string", `${n}.${k} is plain in state`);
            }
        }
        for (const n of ["ca", "rsa-ca", "p384-ca", "csr"]) {
            assert.ok(isSecretInState(res[n].inputs.privateKeyPem), `${n}: input privateKeyPem is encrypted`);
            assert.ok(isSecretInState(res[n].outputs.privateKeyPem), `${n}: output privateKeyPem is encrypted`);
        }
        for (const n of ["cert", "rsa-leaf", "p384-leaf"]) {
            assert.ok(isSecretInState(res[n].inputs.caPrivateKeyPem), `${n}: input caPrivateKeyPem is encrypted`);
            assert.ok(isSecretInState(res[n].outputs.caPrivateKeyPem), `${n}: output caPrivateKeyPem is encrypted`);
            for (const k of ["certPem", "caCertPem", "certRequestPem"])
                assert.match(res[n].outputs[k], /^-----BEGIN CERTIFICATE( REQUEST)?-----/, `${n}.${k} is plain`);
        }
        assert.match(res.ca.outputs.certPem, /^-----BEGIN CERTIFICATE-----/);
        assert.match(res.csr.outputs.certRequestPem, /^-----BEGIN CERTIFICATE REQUEST-----/);
        assert.ok(!JSON.stringify(storedState()).includes("PRIVATE KEY-----"), "no private key in plaintext anywhere in the stored state");
    });

    it("ids: PrivateKey's is the SHA-1 of its public key DER, CertRequest's the SHA-1 of its DER (TF hashForState)", () => {
        for (const n of ["rsa", "ed", "caKey"]) {
            const spkiDer = Buffer.from(sh(`openssl pkey -pubin -in ${n}.spki -outform DER | base64 -w0`), "base64");
            assert.equal(publicKey(n).id, createHash("sha1").update(trimSpace(spkiDer)).digest("hex"), `${n}: id`);
        }
        const csrDer = Buffer.from(sh("openssl req -in csr.pem -outform DER | base64 -w0"), "base64");
        assert.equal(out("csrId"), createHash("sha1").update(trimSpace(csrDer)).digest("hex"));
    });

    it("CertRequest: a signed CSR with the subject and SANs given, not secret", () => {
        const text = sh("openssl req -in csr.pem -noout -verify -text 2>&1");
        assert.match(text, /verify OK/i, "its self-signature verifies");
        assert.match(text, /Subject: O = tls-contract servers, CN = lb-tls\.test, emailAddress = ops@lb-tls\.test/);
        assert.match(text, new RegExp(`X509v3 Subject Alternative Name: ?\\n\\s*DNS:lb-tls\\.test, IP Address:${HOST_IP.replaceAll(".", "\\.")}\\n`));
        assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    });

    it("certificates: NotBefore is the creation time (no backdating), NotAfter = NotBefore + validityPeriodHours, and the RFC 3339 outputs match", () => {
        const dates = sh("openssl x509 -in cert.crt -noout -startdate -enddate -dateopt iso_8601");
        const notBefore = Date.parse(/notBefore=(.*)/.exec(dates)![1].replace(" ", "T"));
        const notAfter = Date.parse(/notAfter=(.*)/.exec(dates)![1].replace(" ", "T"));
        assert.ok(
            notBefore >= Math.floor(first.start / 1000) * 1000 && notBefore <= first.end,
            `NotBefore ${new Date(notBefore).toISOString()} lies inside the first up (${new Date(first.start).toISOString()} .. ${new Date(first.end).toISOString()})`,
        );
        assert.equal(notAfter - notBefore, 8760 * 3600_000);
        const start = out("certValidityStartTime");
        const end = out("certValidityEndTime");
        assert.match(start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
        assert.match(end, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
        assert.equal(Math.floor(Date.parse(start) / 1000) * 1000, notBefore, "validityStartTime is NotBefore (to the second)");
        assert.equal(Math.floor(Date.parse(end) / 1000) * 1000, notAfter, "validityEndTime is NotAfter (to the second)");
    });

    it("certificates: the serial is random below 2^128 and is the resource id", () => {
        const serials = new Set<bigint>();
        const ids: Record<string, string> = { "cert.crt": out("certId"), "ca.crt": out("caId") };
        for (const f of ["cert.crt", "ca.crt", "rsa-ca.crt", "rsa-leaf.crt", "p384-ca.crt", "p384-leaf.crt"]) {
            const serial = BigInt(`0x${/serial=([0-9A-F]+)/.exec(sh(`openssl x509 -in ${f} -noout -serial`))![1]}`);
            assert.ok(serial > 0n && serial < 1n << 128n, `${f}: 0 < serial < 2^128`);
            serials.add(serial);
            if (ids[f]) assert.equal(ids[f], serial.toString(10), `${f}: id is the serial in decimal`);
        }
        assert.equal(serials.size, 6, "all serials differ");
    });

    it("certificates: BasicConstraints is always present and critical", () => {
        for (const [f, ca] of [
            ["ca.crt", "TRUE"],
            ["cert.crt", "FALSE"],
            ["rsa-ca.crt", "TRUE"],
            ["rsa-leaf.crt", "FALSE"],
            ["p384-leaf.crt", "FALSE"],
        ]) {
            const bc = extension(x509Text(f), "X509v3 Basic Constraints");
            assert.deepEqual(bc, { critical: true, value: `CA:${ca}` }, f);
        }
    });

    it("certificates: allowedUses (snake_case) become KeyUsage (critical) and ExtendedKeyUsage as TF maps them", () => {
        const leaf = x509Text("cert.crt");
        assert.deepEqual(extension(leaf, "X509v3 Key Usage"), { critical: true, value: "Digital Signature, Key Encipherment" });
        assert.deepEqual(extension(leaf, "X509v3 Extended Key Usage"), { critical: false, value: "TLS Web Server Authentication" });
        const ca = x509Text("ca.crt");
        assert.deepEqual(extension(ca, "X509v3 Key Usage"), { critical: true, value: "Digital Signature, Certificate Sign, CRL Sign" });
        assert.equal(extension(ca, "X509v3 Extended Key Usage"), undefined, "no EKU when no extended use is listed");
        assert.deepEqual(extension(x509Text("rsa-leaf.crt"), "X509v3 Extended Key Usage"), { critical: false, value: "TLS Web Client Authentication" });
    });

    it("certificates: a CA gets a SubjectKeyId (SHA-1 of its public key); a locally signed certificate gets the CA's as AuthorityKeyId", () => {
        const ca = x509Text("ca.crt");
        const ski = extension(ca, "X509v3 Subject Key Identifier")?.value;
        assert.ok(ski, "the CA has a SubjectKeyId");
        // RFC 5280 method 1: SHA-1 of the subjectPublicKey bits (the 65-byte P-256 point).
        const point = sh("openssl x509 -in ca.crt -noout -pubkey | openssl pkey -pubin -outform DER | tail -c 65 | sha1sum").split(" ")[0];
        assert.equal(ski!.replace(/:/g, "").toLowerCase(), point);
        const leaf = x509Text("cert.crt");
        assert.equal(extension(leaf, "X509v3 Authority Key Identifier")?.value.replace(/^keyid:/, ""), ski, "leaf AKI = CA SKI");
        assert.equal(extension(leaf, "X509v3 Subject Key Identifier"), undefined, "a leaf has no SKI unless setSubjectKeyId");
        assert.equal(extension(ca, "X509v3 Authority Key Identifier"), undefined, "a self-signed CA has no AKI unless setAuthorityKeyId");
    });

    it("certificates: SHA-256 signatures for RSA and P-256 signers (SHA-384 for P-384, as Go picks)", () => {
        const alg = (f: string) => /Signature Algorithm: (\S+)/.exec(x509Text(f))![1];
        assert.equal(alg("ca.crt"), "ecdsa-with-SHA256");
        assert.equal(alg("cert.crt"), "ecdsa-with-SHA256");
        assert.equal(alg("rsa-ca.crt"), "sha256WithRSAEncryption");
        assert.equal(alg("rsa-leaf.crt"), "sha256WithRSAEncryption");
        assert.equal(alg("p384-leaf.crt"), "ecdsa-with-SHA384");
    });

    it("LocallySignedCert: takes only the subject and the SANs from the CSR; issuer, validity and uses are its own", () => {
        const leaf = x509Text("cert.crt");
        const csr = sh("openssl req -in csr.pem -noout -text");
        const san = (t: string) => /X509v3 Subject Alternative Name: ?\n\s*(.*)/.exec(t)![1];
        assert.equal(san(leaf), san(csr), "the SANs are the CSR's");
        // Go re-encodes the CSR subject from the fields it knows: emailAddress is not carried over.
        assert.match(leaf, /Subject: O = tls-contract servers, CN = lb-tls\.test\n/);
        assert.match(leaf, /Issuer: O = tls-contract, CN = Contract Test CA\n/);
        assert.equal(sh("openssl x509 -in cert.crt -noout -pubkey"), sh("openssl req -in csr.pem -noout -pubkey"), "the CSR's public key");
        assert.doesNotMatch(csr, /Key Usage/, "the uses come from LocallySignedCert, not the CSR");
    });

    it("chains: every locally signed certificate verifies against its CA for its purpose", () => {
        assert.match(sh("openssl verify -purpose sslserver -CAfile ca.crt cert.crt"), /cert\.crt: OK/);
        assert.match(sh("openssl verify -purpose sslclient -CAfile rsa-ca.crt rsa-leaf.crt"), /OK/);
        assert.match(sh("openssl verify -purpose sslclient -CAfile p384-ca.crt p384-leaf.crt"), /OK/);
        const wrong = shFails("openssl verify -CAfile rsa-ca.crt cert.crt");
        assert.notEqual(wrong.code, 0, "and not against another CA");
    });

    it("TLS: HAProxy serves the P-256 certificate and key; curl, openssl and Go's crypto/tls verify them by name and by IP", () => {
        put("server-bundle.pem", `${out("certPem")}${privateKey("serverKey", "privateKeyPem")}`);
        put(
            "haproxy.cfg",
            [
                "global",
                "    maxconn 64",
                "defaults",
                "    mode http",
                "    timeout connect 5s",
                "    timeout client 5s",
                "    timeout server 5s",
                "frontend tls_contract",
                `    bind :8443 ssl crt ${HOST_DIR}/server-bundle.pem`,
                "    http-request return status 200 content-type text/plain string tls-contract-ok",
                "",
            ].join("\n"),
        );
        sh("haproxy -c -f haproxy.cfg >/dev/null && haproxy -D -f haproxy.cfg -p haproxy.pid");
        assert.equal(sh(`curl -sS --cacert ca.crt --resolve ${SERVER_NAME}:8443:127.0.0.1 https://${SERVER_NAME}:8443/`), "tls-contract-ok");
        assert.match(
            sh(
                `openssl s_client -connect 127.0.0.1:8443 -servername ${SERVER_NAME} -verify_hostname ${SERVER_NAME} -CAfile ca.crt -verify_return_error </dev/null 2>&1`,
            ),
            /Verify return code: 0 \(ok\)/,
        );
        // Go, as the Data Plane API is: a client from this machine, verifying by DNS name and by IP SAN.
        const caFile = path.join(stateDir, "ca.crt");
        writeFileSync(caFile, out("caCertPem"));
        for (const name of [SERVER_NAME, HOST_IP]) {
            const r = goRun(["client", `${HOST_IP}:8443`, name, caFile]);
            assert.equal(r.code, 0, r.output);
            assert.match(r.output, /^OK: TLS 1\.3, .*leaf "lb-tls\.test" \(ECDSA\)/m);
        }
        // And as a Go server loads its files (tls.LoadX509KeyPair: the SEC1 key with the certificate).
        const certFile = path.join(stateDir, "server.crt");
        const keyFile = path.join(stateDir, "server.key");
        writeFileSync(certFile, out("certPem"));
        writeFileSync(keyFile, privateKey("serverKey", "privateKeyPem"), { mode: 0o600 });
        const served = goRun(["serve", certFile, keyFile, SERVER_NAME, caFile]);
        assert.equal(served.code, 0, served.output);
        rmSync(keyFile);
        sh("kill $(cat haproxy.pid)");
    });

    it("validation: allowedUses must be TF's snake_case names", async () => {
        const before = out("certId");
        await stack.setConfig(`${PROJECT}:allowedUses`, { value: JSON.stringify(["serverAuth", "digital_signature"]) });
        let message = "";
        try {
            await stack.up({ color: "never" });
        } catch (e: any) {
            message = `${e.message}`;
        }
        await stack.removeConfig(`${PROJECT}:allowedUses`);
        assert.match(message, /serverAuth/, "the update fails naming the bad value");
        assert.match(message, /server_auth/, "and listing the accepted ones");
        outputs = await stack.outputs();
        assert.equal(out("certId"), before, "the certificate is untouched");
    });

    it("renewal: no replacement while validityEnd − earlyRenewalHours lies ahead", async () => {
        const before = out("certId");
        const run = await up("up, nothing changed");
        assert.deepEqual(run.result.summary.resourceChanges, { same: 14 });
        assert.equal(out("certId"), before);
        assert.equal(out("certReadyForRenewal"), false);
    });

    it("earlyRenewalHours: a change is an in-place update, the certificate stays", async () => {
        const before = { id: out("certId"), pem: out("certPem") };
        const run = await up("up, earlyRenewalHours 720 -> 100", { earlyRenewalHours: 100 });
        assert.deepEqual(opsByName(run.events).cert, ["update"]);
        assert.deepEqual(run.result.summary.resourceChanges, { same: 13, update: 1 });
        assert.equal(out("certId"), before.id, "same serial");
        assert.equal(out("certPem"), before.pem, "same certificate");
        const res = stateResources();
        assert.equal(res.cert.outputs.earlyRenewalHours, 100, "the new value is in state");
    });

    it("replacement: algorithm parameters, subject, SANs, validity, uses and changed key PEMs each replace", async () => {
        const before = { ca: out("caId"), cert: out("certId"), rsaKey: publicKey("rsa").id, serverKey: publicKey("serverKey").id };
        const run = await up("up, five inputs changed", {
            rsaBits: 3072, // PrivateKey.rsaBits
            caCommonName: "Contract Test CA 2", // SelfSignedCert.subject
            dnsNames: [SERVER_NAME, `alt.${SERVER_NAME}`], // CertRequest.dnsNames
            certValidityHours: 48, // LocallySignedCert.validityPeriodHours
            earlyRenewalHours: 24, // (an update; keeps the new certificate clear of its renewal window)
        });
        const ops = opsByName(run.events);
        const keys = Object.fromEntries(
            steps(run.events)
                .filter((s) => s.op === "create-replacement")
                .map((s) => [s.name, [...s.keys].sort()]),
        );
        assert.deepEqual(keys, {
            rsa: ["rsaBits"],
            "rsa-ca": ["privateKeyPem"], // the new key's PEM
            "rsa-leaf": ["caCertPem", "caPrivateKeyPem", "certRequestPem"],
            ca: ["subject"],
            csr: ["dnsNames"],
            cert: ["caCertPem", "certRequestPem", "validityPeriodHours"],
            "p384-leaf": ["certRequestPem"],
        });
        for (const n of ["p224", "p384", "ed", "ca-key", "server-key", "p384-ca"]) assert.deepEqual(ops[n], ["same"], `${n} stays`);
        assert.equal(run.result.summary.resourceChanges?.replace, 7);
        assert.notEqual(out("caId"), before.ca);
        assert.notEqual(out("certId"), before.cert);
        assert.notEqual(publicKey("rsa").id, before.rsaKey);
        assert.equal(publicKey("serverKey").id, before.serverKey);
        put("rsa2.pem", privateKey("rsa", "privateKeyPem"));
        assert.match(sh("openssl rsa -in rsa2.pem -noout -text | head -1"), /Private-Key: \(3072 bit/, "the new key has the new size");
        put("cert2.crt", out("certPem"));
        assert.match(
            sh("openssl x509 -in cert2.crt -noout -ext subjectAltName"),
            new RegExp(`DNS:lb-tls\\.test, DNS:alt\\.lb-tls\\.test, IP Address:${HOST_IP.replaceAll(".", "\\.")}`),
        );

        const run2 = await up("up, CA curve P256 -> P384 and allowedUses changed", {
            caCurve: "P384",
            allowedUses: ["server_auth", "client_auth", "digital_signature"],
        });
        const keys2 = Object.fromEntries(
            steps(run2.events)
                .filter((s) => s.op === "create-replacement")
                .map((s) => [s.name, [...s.keys].sort()]),
        );
        assert.deepEqual(keys2, {
            "ca-key": ["ecdsaCurve"],
            ca: ["privateKeyPem"],
            cert: ["allowedUses", "caCertPem", "caPrivateKeyPem"],
        });
        put("ca3.crt", out("caCertPem"));
        put("cert3.crt", out("certPem"));
        assert.match(sh("openssl verify -purpose sslclient -CAfile ca3.crt cert3.crt"), /OK/, "the new chain verifies, for the new use too");
        assert.match(x509Text("cert3.crt"), /Signature Algorithm: ecdsa-with-SHA384/, "signed by the new P-384 CA key");
    });

    it("replacement: create-before-delete, the old resources deleted after every create", async () => {
        const run = await up("up, subject changed", { caCommonName: "Contract Test CA 3" });
        const s = steps(run.events).map((x) => `${x.op} ${x.name}`);
        const created = s.filter((x) => x.startsWith("create-replacement ")).map((x) => x.split(" ")[1]);
        const deleted = s.filter((x) => x.startsWith("delete-replaced ")).map((x) => x.split(" ")[1]);
        assert.deepEqual([...created].sort(), ["ca", "cert"]);
        assert.deepEqual([...deleted].sort(), ["ca", "cert"], "no deleteBeforeReplace: the old ones are deleted as 'delete-replaced'");
        const lastCreate = Math.max(...created.map((n) => s.indexOf(`create-replacement ${n}`)));
        const firstDelete = Math.min(...deleted.map((n) => s.indexOf(`delete-replaced ${n}`)));
        assert.ok(
            lastCreate < firstDelete,
            `every replacement is created before any old one is deleted:\n${s.filter((x) => !x.startsWith("same")).join("\n")}`,
        );
    });

    it("renewal: with earlyRenewalHours ≥ validity, every up replaces the certificate (readyForRenewal), no refresh needed", async () => {
        const run = await up("up, validity 1 h, earlyRenewalHours 1", { certValidityHours: 1, earlyRenewalHours: 1 });
        assert.deepEqual(opsByName(run.events).cert, ["create-replacement", "replace", "delete-replaced"]);
        assert.equal(out("certReadyForRenewal"), true, "readyForRenewal is true from the start");
        const ids = [out("certId")];
        for (const i of [1, 2]) {
            const again = await up(`up #${i} with nothing changed`);
            const step = steps(again.events).find((x) => x.name === "cert" && x.op === "create-replacement");
            assert.ok(step, "the certificate is replaced");
            assert.deepEqual(step!.keys, ["readyForRenewal"], "because it is ready for renewal");
            assert.equal(again.result.summary.resourceChanges?.replace, 1, "and nothing else is");
            ids.push(out("certId"));
        }
        assert.equal(new Set(ids).size, 3, "each up issued a new certificate");
        put("cert4.crt", out("certPem"));
        const dates = sh("openssl x509 -in cert4.crt -noout -startdate -enddate -dateopt iso_8601");
        const [nb, na] = [/notBefore=(.*)/, /notAfter=(.*)/].map((r) => Date.parse(r.exec(dates)![1].replace(" ", "T")));
        assert.equal(na - nb, 3600_000, "a one-hour certificate");
        assert.ok(Date.now() - nb < 120_000, "issued just now");
    });

    it("delete: destroy deletes every resource from state, with nothing to undo anywhere", async () => {
        const events: EngineEvent[] = [];
        const result = await stack.destroy({ color: "never", onEvent: (e) => events.push(e) });
        assert.equal(result.summary.result, "succeeded");
        assert.equal(result.summary.resourceChanges?.delete, 14);
        const deleted = steps(events)
            .filter((s) => s.op === "delete" && s.type.startsWith("tls:"))
            .map((s) => s.name)
            .sort();
        assert.deepEqual(deleted, ["ca", "ca-key", "cert", "csr", "ed", "p224", "p384", "p384-ca", "p384-leaf", "rsa", "rsa-ca", "rsa-leaf", "server-key"]);
        assert.deepEqual(Object.keys(stateResources()), [], "no tls resource left in state");
    });
});
