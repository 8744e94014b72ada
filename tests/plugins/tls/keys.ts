/**
 * Private keys for the tls stand-in: generation, parsing, and every encoding
 * the real plugin's PrivateKey outputs (PKCS#1 / SEC1 / PKCS#8 PEM, SPKI PEM,
 * OpenSSH authorized-key line and openssh-key-v1 private key, fingerprints),
 * laid out as Go's crypto/x509 and x/crypto/ssh lay them out.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import * as der from "./der";

export type Algorithm = "RSA" | "ECDSA" | "ED25519";
export type Curve = "P224" | "P256" | "P384" | "P521";

export const ALGORITHMS: readonly Algorithm[] = ["RSA", "ECDSA", "ED25519"];
export const CURVES: readonly Curve[] = ["P224", "P256", "P384", "P521"];

const OPENSSL_CURVE: Record<Curve, string> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };
const CURVE_OID: Record<string, Curve> = {
    "1.3.132.0.33": "P224",
    "1.2.840.10045.3.1.7": "P256",
    "1.3.132.0.34": "P384",
    "1.3.132.0.35": "P521",
};
const SSH_CURVE: Partial<Record<Curve, string>> = { P256: "nistp256", P384: "nistp384", P521: "nistp521" };

export function generateKey(algorithm: Algorithm, curve: Curve, rsaBits: number): KeyObject {
    switch (algorithm) {
        case "RSA":
            // Go 1.24+ refuses RSA keys under 1024 bits.
            if (rsaBits < 1024) throw new Error(`crypto/rsa: ${rsaBits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)`);
            return generateKeyPairSync("rsa", { modulusLength: rsaBits, publicExponent: 65537 }).privateKey;
        case "ECDSA":
            if (!OPENSSL_CURVE[curve]) throw new Error(`invalid ECDSA curve; supported values are: ${CURVES.join(" ")}`);
            return generateKeyPairSync("ec", { namedCurve: OPENSSL_CURVE[curve] }).privateKey;
        case "ED25519":
            return generateKeyPairSync("ed25519").privateKey;
    }
}

export function pem(type: string, body: Buffer): string {
    const b64 = body.toString("base64");
    const lines: string[] = [];
    for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
    return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}

/** The first PEM block, as Go's pem.Decode finds it. */
export function decodePem(text: string): { type: string; bytes: Buffer } | undefined {
    const m = /-----BEGIN ([^\n-]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/.exec(text);
    if (!m) return undefined;
    // Skip RFC 1421 headers ("Key: value" lines) if any.
    const body = m[2]
        .split(/\r?\n/)
        .filter((l) => !l.includes(":"))
        .join("");
    return { type: m[1], bytes: Buffer.from(body, "base64") };
}

export interface ParsedKey {
    key: KeyObject;
    algorithm: Algorithm;
    curve?: Curve;
}

/** Like TF's parsePrivateKeyPEM: RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY. */
export function parsePrivateKeyPem(text: string): ParsedKey {
    const block = decodePem(text);
    if (!block) throw new Error(`failed to decode PEM block: decoded bytes 0, undecoded ${Buffer.byteLength(text)}`);
    const type = ({ "RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1", "PRIVATE KEY": "pkcs8" } as const)[block.type];
    if (!type) throw new Error(`unable to determine parser for PEM preamble: ${block.type}`);
    let key: KeyObject;
    try {
        key = createPrivateKey({ key: block.bytes, format: "der", type });
    } catch (e) {
        throw new Error(`failed to parse private key given PEM preamble '${block.type}': ${(e as Error).message}`);
    }
    switch (key.asymmetricKeyType) {
        case "rsa":
            return { key, algorithm: "RSA" };
        case "ec":
            return { key, algorithm: "ECDSA", curve: ecCurve(key) };
        case "ed25519":
            return { key, algorithm: "ED25519" };
        default:
            throw new Error(`failed to determine key algorithm for private key of type ${key.asymmetricKeyType}`);
    }
}

export function spkiDer(key: KeyObject): Buffer {
    return createPublicKey(key).export({ type: "spki", format: "der" });
}

/** The curve of an EC key, from its SPKI AlgorithmIdentifier. */
export function ecCurve(key: KeyObject): Curve {
    const [alg] = der.children(der.parse(spkiDer(key)));
    const params = der.children(alg)[1];
    const curve = CURVE_OID[der.oidToString(params.content)];
    if (!curve) throw new Error("unsupported elliptic curve");
    return curve;
}

/** The subjectPublicKey BIT STRING's bytes (the EC point, the PKCS#1 RSAPublicKey, the raw Ed25519 key). */
export function publicKeyBits(spki: Buffer): Buffer {
    const bits = der.children(der.parse(spki))[1];
    return bits.content.subarray(1);
}

function ecPrivateScalar(key: KeyObject): Buffer {
    const sec1 = key.export({ type: "sec1", format: "der" });
    return der.children(der.parse(sec1))[1].content;
}

/** The private key in the form TF stores in private_key_pem. */
export function privateKeyPem(key: KeyObject): string {
    switch (key.asymmetricKeyType) {
        case "rsa":
            return pem("RSA PRIVATE KEY", key.export({ type: "pkcs1", format: "der" }));
        case "ec":
            return pem("EC PRIVATE KEY", key.export({ type: "sec1", format: "der" }));
        default:
            return pem("PRIVATE KEY", key.export({ type: "pkcs8", format: "der" }));
    }
}

export const privateKeyPemPkcs8 = (key: KeyObject): string => pem("PRIVATE KEY", key.export({ type: "pkcs8", format: "der" }));
export const publicKeyPem = (key: KeyObject): string => pem("PUBLIC KEY", spkiDer(key));

// ---- SSH wire format

const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
};
const sshString = (b: Buffer | string): Buffer => {
    const buf = typeof b === "string" ? Buffer.from(b, "utf8") : b;
    return Buffer.concat([u32(buf.length), buf]);
};
function mpint(unsigned: Buffer): Buffer {
    let i = 0;
    while (i < unsigned.length && unsigned[i] === 0) i++;
    let b = unsigned.subarray(i);
    if (b.length && b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return sshString(b);
}
const b64url = (s: string | undefined): Buffer => Buffer.from(s ?? "", "base64url");

interface SshKey {
    type: string;
    publicWire: Buffer;
    /** The key-specific part of the private section (after the key type), comment included. */
    privateRest: Buffer;
}

/** undefined for P-224, which x/crypto/ssh does not support. */
function sshKey(key: KeyObject): SshKey | undefined {
    const comment = sshString("");
    switch (key.asymmetricKeyType) {
        case "rsa": {
            const j = key.export({ format: "jwk" });
            const [n, e] = [b64url(j.n), b64url(j.e)];
            return {
                type: "ssh-rsa",
                publicWire: Buffer.concat([sshString("ssh-rsa"), mpint(e), mpint(n)]),
                privateRest: Buffer.concat([mpint(n), mpint(e), mpint(b64url(j.d)), mpint(b64url(j.qi)), mpint(b64url(j.p)), mpint(b64url(j.q)), comment]),
            };
        }
        case "ec": {
            const curve = SSH_CURVE[ecCurve(key)];
            if (!curve) return undefined;
            const point = publicKeyBits(spkiDer(key));
            const type = `ecdsa-sha2-${curve}`;
            return {
                type,
                publicWire: Buffer.concat([sshString(type), sshString(curve), sshString(point)]),
                privateRest: Buffer.concat([sshString(curve), sshString(point), mpint(ecPrivateScalar(key)), comment]),
            };
        }
        case "ed25519": {
            const j = key.export({ format: "jwk" });
            const pub = b64url(j.x);
            const priv = Buffer.concat([b64url(j.d), pub]);
            return {
                type: "ssh-ed25519",
                publicWire: Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]),
                privateRest: Buffer.concat([sshString(pub), sshString(priv), comment]),
            };
        }
        default:
            return undefined;
    }
}

export interface SshForms {
    publicKeyOpenssh: string;
    privateKeyOpenssh: string;
    fingerprintMd5: string;
    fingerprintSha256: string;
}

/** The OpenSSH forms; all empty strings where x/crypto/ssh cannot encode the key (ECDSA P-224). */
export function sshForms(key: KeyObject): SshForms {
    const k = sshKey(key);
    if (!k) return { publicKeyOpenssh: "", privateKeyOpenssh: "", fingerprintMd5: "", fingerprintSha256: "" };
    // openssh-key-v1, unencrypted: cipher "none", kdf "none", one key, block padded to 8 bytes.
    const check = randomBytes(4);
    let block = Buffer.concat([check, check, sshString(k.type), k.privateRest]);
    const pad: number[] = [];
    for (let i = 1; (block.length + pad.length) % 8 !== 0; i++) pad.push(i);
    block = Buffer.concat([block, Buffer.from(pad)]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0", "binary"),
        sshString("none"),
        sshString("none"),
        sshString(""),
        u32(1),
        sshString(k.publicWire),
        sshString(block),
    ]);
    const md5 = createHash("md5").update(k.publicWire).digest("hex").match(/../g)!.join(":");
    const sha256 = createHash("sha256").update(k.publicWire).digest("base64").replace(/=+$/, "");
    return {
        publicKeyOpenssh: `${k.type} ${k.publicWire.toString("base64")}\n`,
        privateKeyOpenssh: pem("OPENSSH PRIVATE KEY", body),
        fingerprintMd5: md5,
        fingerprintSha256: `SHA256:${sha256}`,
    };
}

// ---- TF's hashForState: hex SHA-1 of strings.TrimSpace(value)

const SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
const isSpace = (cp: number): boolean => SPACE.has(cp) || (cp >= 0x2000 && cp <= 0x200a);

/** Length of the valid UTF-8 sequence ending at `end` and its code point, or undefined. */
function lastRune(b: Buffer, end: number): { cp: number; size: number } | undefined {
    for (let size = 1; size <= 4 && end - size >= 0; size++) {
        const lead = b[end - size];
        if (size === 1 && lead < 0x80) return { cp: lead, size };
        if ((lead & 0xc0) === 0x80) continue;
        const want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
        if (want !== size) return undefined;
        const s = b.subarray(end - size, end).toString("utf8");
        const cp = s.codePointAt(0)!;
        return cp === 0xfffd ? undefined : { cp, size };
    }
    return undefined;
}

export function goTrimSpace(b: Buffer): Buffer {
    let start = 0;
    while (start < b.length) {
        const first = b[start];
        if (first < 0x80) {
            if (!isSpace(first)) break;
            start++;
            continue;
        }
        const size = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
        const s = b.subarray(start, start + size).toString("utf8");
        const cp = s.codePointAt(0)!;
        if (size === 1 || cp === 0xfffd || !isSpace(cp)) break;
        start += size;
    }
    let end = b.length;
    while (end > start) {
        const r = lastRune(b, end);
        if (!r || !isSpace(r.cp)) break;
        end -= r.size;
    }
    return b.subarray(start, end);
}

export function hashForState(value: Buffer): string {
    if (value.length === 0) return "";
    return createHash("sha1").update(goTrimSpace(value)).digest("hex");
}
