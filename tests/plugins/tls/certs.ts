/**
 * Certificates and CSRs for the tls stand-in, laid out as Go's
 * x509.CreateCertificate / CreateCertificateRequest lay them out from the
 * templates terraform-provider-tls builds (internal/provider/common_cert.go,
 * resource_*_cert.go, resource_cert_request.go). Signing uses node:crypto;
 * @peculiar/x509 reads the CA certificate and the CSR's SANs.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createHash, createPublicKey, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import * as der from "./der";
import { ecCurve, type ParsedKey, pem, publicKeyBits, spkiDer } from "./keys";

// ---- names

/** Subject as the Node SDK passes it (SelfSignedCertSubject / CertRequestSubject). */
export interface SubjectInput {
    commonName?: string;
    country?: string;
    emailAddress?: string;
    locality?: string;
    organization?: string;
    organizationalUnit?: string;
    postalCode?: string;
    province?: string;
    serialNumber?: string;
    streetAddresses?: string[];
}

/** The fields of Go's pkix.Name that TF uses. */
interface GoName {
    country: string[];
    province: string[];
    locality: string[];
    street: string[];
    postal: string[];
    org: string[];
    ou: string[];
    cn: string;
    serial: string;
    email?: string;
}

const OID = {
    C: "2.5.4.6",
    ST: "2.5.4.8",
    L: "2.5.4.7",
    STREET: "2.5.4.9",
    POSTAL: "2.5.4.17",
    O: "2.5.4.10",
    OU: "2.5.4.11",
    CN: "2.5.4.3",
    SERIAL: "2.5.4.5",
    EMAIL: "1.2.840.113549.1.9.1",
    keyUsage: "2.5.29.15",
    extKeyUsage: "2.5.29.37",
    basicConstraints: "2.5.29.19",
    subjectKeyId: "2.5.29.14",
    authorityKeyId: "2.5.29.35",
    subjectAltName: "2.5.29.17",
    extensionRequest: "1.2.840.113549.1.9.14",
    sha256WithRSA: "1.2.840.113549.1.1.11",
    ecdsaSha256: "1.2.840.10045.4.3.2",
    ecdsaSha384: "1.2.840.10045.4.3.3",
    ecdsaSha512: "1.2.840.10045.4.3.4",
    ed25519: "1.3.101.112",
};

/** TF's createSubjectDistinguishedNames. */
function nameFromInput(s: SubjectInput | undefined): GoName {
    const one = (v: string | undefined): string[] => (v === undefined || v === null ? [] : [v]);
    return {
        cn: s?.commonName ?? "",
        org: one(s?.organization),
        ou: one(s?.organizationalUnit),
        street: s?.streetAddresses ?? [],
        locality: one(s?.locality),
        province: one(s?.province),
        country: one(s?.country),
        postal: one(s?.postalCode),
        serial: s?.serialNumber ?? "",
        email: s?.emailAddress ?? undefined,
    };
}

/** Go's asn1 PrintableString test (no '*' or '&'). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function stringValue(v: string): Buffer {
    return PRINTABLE.test(v) ? der.tlv(der.TAG.PRINTABLE_STRING, Buffer.from(v, "ascii")) : der.tlv(der.TAG.UTF8_STRING, Buffer.from(v, "utf8"));
}

/** pkix.Name.ToRDNSequence: C, ST, L, street, postalCode, O, OU, CN, serialNumber, then ExtraNames. */
function encodeName(n: GoName): Buffer {
    const rdns: Buffer[] = [];
    const add = (values: string[], oid: string) => {
        if (values.length) rdns.push(der.setOf(...values.map((v) => der.seq(der.oid(oid), stringValue(v)))));
    };
    add(n.country, OID.C);
    add(n.province, OID.ST);
    add(n.locality, OID.L);
    add(n.street, OID.STREET);
    add(n.postal, OID.POSTAL);
    add(n.org, OID.O);
    add(n.ou, OID.OU);
    if (n.cn) add([n.cn], OID.CN);
    if (n.serial) add([n.serial], OID.SERIAL);
    if (n.email !== undefined) rdns.push(der.setOf(der.seq(der.oid(OID.EMAIL), der.tlv(der.TAG.IA5_STRING, Buffer.from(n.email, "ascii")))));
    return der.seq(...rdns);
}

function decodeString(node: der.Node): string | undefined {
    switch (node.tag) {
        case 0x0c:
        case 0x13:
        case 0x16:
        case 0x12:
        case 0x14:
            return node.content.toString(node.tag === 0x0c ? "utf8" : "latin1");
        case 0x1e: {
            // BMPString
            const b = Buffer.from(node.content);
            return b.swap16().toString("utf16le");
        }
        default:
            return undefined;
    }
}

/** pkix.Name.FillFromRDNSequence: only the attributes Go keeps in fields (emailAddress and others are dropped on re-encoding). */
function nameFromDer(name: der.Node): GoName {
    const n: GoName = { country: [], province: [], locality: [], street: [], postal: [], org: [], ou: [], cn: "", serial: "" };
    for (const rdn of der.children(name)) {
        for (const atv of der.children(rdn)) {
            const [type, value] = der.children(atv);
            const v = decodeString(value);
            if (v === undefined) continue;
            switch (der.oidToString(type.content)) {
                case OID.CN:
                    n.cn = v;
                    break;
                case OID.SERIAL:
                    n.serial = v;
                    break;
                case OID.C:
                    n.country.push(v);
                    break;
                case OID.L:
                    n.locality.push(v);
                    break;
                case OID.ST:
                    n.province.push(v);
                    break;
                case OID.STREET:
                    n.street.push(v);
                    break;
                case OID.O:
                    n.org.push(v);
                    break;
                case OID.OU:
                    n.ou.push(v);
                    break;
                case OID.POSTAL:
                    n.postal.push(v);
                    break;
            }
        }
    }
    return n;
}

const EMPTY_NAME = der.seq();
const isEmptyName = (n: Buffer): boolean => n.length === 0 || n.equals(EMPTY_NAME);

// ---- SANs

function parseIp(s: string): Buffer {
    if (isIPv4(s)) return Buffer.from(s.split(".").map(Number));
    if (!isIPv6(s)) throw new Error(`Failed to parse "${s}"`);
    let text = s;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    let tail: number[] = [];
    if (v4) {
        const b = v4[1].split(".").map(Number);
        tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
        text = `${text.slice(0, -v4[1].length)}0:0`;
    }
    const [head, rest] = text.split("::");
    const h = head ? head.split(":") : [];
    const r = rest !== undefined ? (rest ? rest.split(":") : []) : [];
    const groups = rest !== undefined ? [...h, ...Array(8 - h.length - r.length).fill("0"), ...r] : h;
    const words = groups.map((g) => parseInt(g, 16));
    if (tail.length) words.splice(6, 2, ...tail);
    const out = Buffer.alloc(16);
    for (const [i, w] of words.entries()) out.writeUInt16BE(w, i * 2);
    // Go: net.IP.To4() turns an IPv4-mapped address into 4 bytes.
    return out.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) ? out.subarray(12) : out;
}

interface Sans {
    dns: string[];
    ips: Buffer[];
    uris: string[];
}

/** Go's marshalSANs: DNS names, (emails), IP addresses, URIs, in that order. */
function encodeSans(s: Sans): Buffer {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range is what IA5String allows
    for (const d of s.dns) if (!/^[\x00-\x7f]*$/.test(d)) throw new Error(`x509: "${d}" cannot be encoded as an IA5String`);
    return der.seq(
        ...s.dns.map((d) => der.implicitPrimitive(2, Buffer.from(d, "ascii"))),
        ...s.ips.map((ip) => der.implicitPrimitive(7, ip)),
        ...s.uris.map((u) => der.implicitPrimitive(6, Buffer.from(u, "ascii"))),
    );
}

const hasSans = (s: Sans): boolean => s.dns.length + s.ips.length + s.uris.length > 0;

export function sansFromInput(dnsNames?: string[], ipAddresses?: string[], uris?: string[]): Sans {
    return {
        dns: dnsNames ?? [],
        ips: (ipAddresses ?? []).map(parseIp),
        // Go re-encodes a parsed url.URL; for the absolute URIs certificates carry that is the text itself.
        uris: uris ?? [],
    };
}

// ---- extensions

function extension(oidStr: string, critical: boolean, value: Buffer): Buffer {
    return der.seq(der.oid(oidStr), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

/** Bit positions of Go's x509.KeyUsage, by TF name. */
const KEY_USAGES: Record<string, number> = {
    digital_signature: 0,
    content_commitment: 1,
    key_encipherment: 2,
    data_encipherment: 3,
    key_agreement: 4,
    cert_signing: 5,
    crl_signing: 6,
    encipher_only: 7,
    decipher_only: 8,
};
const EXT_KEY_USAGES: Record<string, string> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};
export const ALLOWED_USES = [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort();

/** Go's marshalKeyUsage: bit 0 is the most significant bit, trailing zero bits are dropped. */
function keyUsageValue(ku: number): Buffer {
    const rev = (b: number) => {
        let r = 0;
        for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 1 << (7 - i);
        return r;
    };
    const bytes = [rev(ku & 0xff), rev((ku >> 8) & 0xff)];
    const used = Buffer.from(bytes[1] ? bytes : [bytes[0]]);
    const last = used[used.length - 1];
    let unused = 0;
    if (last === 0) unused = 0;
    else while (!(last & (1 << unused))) unused++;
    return der.bitString(used, unused);
}

/** TF's generateSubjectKeyID: SHA-1 of asn1.Marshal(pub) for RSA and Ed25519, of the EC point for ECDSA. */
export function subjectKeyId(spki: Buffer, keyType: string | undefined): Buffer {
    const bits = publicKeyBits(spki);
    // An ed25519.PublicKey is a []byte, which asn1.Marshal writes as an OCTET STRING.
    const input = keyType === "ed25519" ? der.octetString(bits) : bits;
    return createHash("sha1").update(input).digest();
}

interface Template {
    subject: Buffer;
    sans: Sans;
    allowedUses: string[];
    isCa: boolean;
    maxPathLength?: number;
    setSubjectKeyId: boolean;
    setAuthorityKeyId: boolean;
    validityHours: number;
}

interface Signer {
    key: KeyObject;
    /** The parent's raw subject (self-signed: the template's subject). */
    issuer: Buffer;
    /** The parent's SubjectKeyId, for a locally signed certificate. */
    parentSubjectKeyId?: Buffer;
    selfSigned: boolean;
}

function signatureAlgorithm(key: KeyObject): { algId: Buffer; hash: string | null } {
    switch (key.asymmetricKeyType) {
        case "rsa":
            return { algId: der.seq(der.oid(OID.sha256WithRSA), der.nullValue()), hash: "sha256" };
        case "ec": {
            const curve = ecCurve(key);
            if (curve === "P384") return { algId: der.seq(der.oid(OID.ecdsaSha384)), hash: "sha384" };
            if (curve === "P521") return { algId: der.seq(der.oid(OID.ecdsaSha512)), hash: "sha512" };
            return { algId: der.seq(der.oid(OID.ecdsaSha256)), hash: "sha256" };
        }
        case "ed25519":
            return { algId: der.seq(der.oid(OID.ed25519)), hash: null };
        default:
            throw new Error("x509: only RSA, ECDSA and Ed25519 keys supported");
    }
}

function signed(tbs: Buffer, key: KeyObject): Buffer {
    const { algId, hash } = signatureAlgorithm(key);
    const sig = key.asymmetricKeyType === "ec" ? sign(hash, tbs, { key, dsaEncoding: "der" }) : sign(hash, tbs, key);
    return der.seq(tbs, algId, der.bitString(sig));
}

export interface IssuedCertificate {
    id: string;
    certPem: string;
    validityStartTime: string;
    validityEndTime: string;
}

/** Go's time.Time.MarshalText for a UTC time: RFC 3339 with trailing zeros of the fraction dropped. */
export function rfc3339(d: Date): string {
    return d.toISOString().replace(/\.(\d*?)0*Z$/, (_, f: string) => (f ? `.${f}Z` : "Z"));
}

/** TF's createCertificate followed by Go's x509.CreateCertificate. */
function createCertificate(t: Template, subjectSpki: Buffer, subjectKeyType: string | undefined, signer: Signer): IssuedCertificate {
    const notBefore = new Date();
    const notAfter = new Date(notBefore.getTime() + t.validityHours * 3600_000);
    const serial = BigInt(`0x${randomBytes(16).toString("hex")}`); // uniform in [0, 2^128)

    let ku = 0;
    const eku: string[] = [];
    for (const use of t.allowedUses) {
        if (use in KEY_USAGES) ku |= 1 << KEY_USAGES[use];
        if (use in EXT_KEY_USAGES) eku.push(EXT_KEY_USAGES[use]);
    }
    if (t.isCa && isEmptyName(t.subject)) {
        throw new Error("Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
    }
    let ski: Buffer | undefined = t.isCa || t.setSubjectKeyId ? subjectKeyId(subjectSpki, subjectKeyType) : undefined;
    let maxPathLen = 0;
    if (t.maxPathLength !== undefined && t.maxPathLength >= 0) maxPathLen = t.maxPathLength;
    if (!t.isCa && maxPathLen !== 0) throw new Error("Failed to create certificate: x509: only CAs are allowed to specify MaxPathLen");

    let aki: Buffer | undefined;
    if (t.setAuthorityKeyId) {
        const parentSki = signer.selfSigned ? ski : signer.parentSubjectKeyId;
        if (!parentSki?.length) throw new Error("Invalid Certificate Authority: Could not determine Authority Key Identifier");
        aki = parentSki;
    }
    if (!signer.issuer.equals(t.subject) && signer.parentSubjectKeyId?.length) aki = signer.parentSubjectKeyId;
    if (ski && !ski.length) ski = undefined;

    const exts: Buffer[] = [];
    if (ku) exts.push(extension(OID.keyUsage, true, keyUsageValue(ku)));
    if (eku.length) exts.push(extension(OID.extKeyUsage, false, der.seq(...eku.map(der.oid))));
    // BasicConstraintsValid is always true in TF's templates; Go marks it critical.
    exts.push(extension(OID.basicConstraints, true, der.seq(...(t.isCa ? [der.boolean(true)] : []), ...(maxPathLen > 0 ? [der.integer(maxPathLen)] : []))));
    if (ski) exts.push(extension(OID.subjectKeyId, false, der.octetString(ski)));
    if (aki) exts.push(extension(OID.authorityKeyId, false, der.seq(der.implicitPrimitive(0, aki))));
    if (hasSans(t.sans)) exts.push(extension(OID.subjectAltName, isEmptyName(t.subject), encodeSans(t.sans)));

    const { algId } = signatureAlgorithm(signer.key);
    const tbs = der.seq(
        der.explicit(0, der.integer(2)),
        der.integer(serial),
        algId,
        signer.issuer,
        der.seq(der.time(notBefore), der.time(notAfter)),
        t.subject,
        subjectSpki,
        der.explicit(3, der.seq(...exts)),
    );
    return {
        id: serial.toString(10),
        certPem: pem("CERTIFICATE", signed(tbs, signer.key)),
        validityStartTime: rfc3339(notBefore),
        validityEndTime: rfc3339(notAfter),
    };
}

export interface CertOptions {
    allowedUses: string[];
    validityPeriodHours: number;
    isCaCertificate: boolean;
    maxPathLength?: number;
    setSubjectKeyId: boolean;
    setAuthorityKeyId?: boolean;
}

export function selfSignedCert(key: ParsedKey, subject: SubjectInput | undefined, sans: Sans, o: CertOptions): IssuedCertificate {
    const name = encodeName(nameFromInput(subject));
    return createCertificate(
        {
            subject: name,
            sans,
            allowedUses: o.allowedUses,
            isCa: o.isCaCertificate,
            maxPathLength: o.maxPathLength,
            setSubjectKeyId: o.setSubjectKeyId,
            setAuthorityKeyId: !!o.setAuthorityKeyId,
            validityHours: o.validityPeriodHours,
        },
        spkiDer(key.key),
        key.key.asymmetricKeyType,
        { key: key.key, issuer: name, selfSigned: true },
    );
}

export function certRequest(key: ParsedKey, subject: SubjectInput | undefined, sans: Sans): { pem: string; der: Buffer } {
    const attrs = hasSans(sans) ? [der.seq(der.oid(OID.extensionRequest), der.setOf(der.seq(extension(OID.subjectAltName, false, encodeSans(sans)))))] : [];
    const info = der.seq(der.integer(0), encodeName(nameFromInput(subject)), spkiDer(key.key), der.tlv(0xa0, Buffer.concat(attrs)));
    const csr = signed(info, key.key);
    return { pem: pem("CERTIFICATE REQUEST", csr), der: csr };
}

function pemBlock(text: string, type: string): Buffer {
    const m = /-----BEGIN ([^\n-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
    if (!m) throw new Error(`failed to decode PEM of expected type "${type}" from bytes`);
    if (m[1] !== type) throw new Error(`invalid PEM type - expected "${type}", got "${m[1]}"`);
    return Buffer.from(m[2].replace(/\s+/g, ""), "base64");
}

export function locallySignedCert(csrPem: string, caKey: ParsedKey, caCertPem: string, o: CertOptions): IssuedCertificate & { warnings: string[] } {
    // The CSR: Go keeps its subject's known attributes, its public key and its SANs (DNS, IP, URI).
    const csrDer = pemBlock(csrPem, "CERTIFICATE REQUEST");
    const [info] = der.children(der.parse(csrDer));
    const [, csrSubject, csrSpki] = der.children(info);
    const csr = new x509.Pkcs10CertificateRequest(csrDer);
    // By OID: a class argument is matched by identity, which fails across the package's module copies.
    const san = csr.getExtension("2.5.29.17") as x509.SubjectAlternativeNameExtension | null;
    const sans: Sans = { dns: [], ips: [], uris: [] };
    for (const item of san?.names.items ?? []) {
        if (item.type === "dns") sans.dns.push(item.value);
        else if (item.type === "ip") sans.ips.push(parseIp(item.value));
        else if (item.type === "url") sans.uris.push(item.value);
    }
    const subjectKey = createPublicKey({ key: csrSpki.raw, format: "der", type: "spki" });

    // The CA certificate: its raw subject becomes the issuer; its SubjectKeyId the AuthorityKeyId.
    const caDer = pemBlock(caCertPem, "CERTIFICATE");
    const ca = new x509.X509Certificate(caDer);
    const caTbs = der.children(der.children(der.parse(caDer))[0]);
    const off = caTbs[0].tag === 0xa0 ? 1 : 0; // [0] version
    const caSubject = caTbs[off + 4].raw;
    const caSpki = caTbs[off + 5].raw;
    if (!caSpki.equals(spkiDer(caKey.key))) {
        throw new Error("Failed to create certificate: x509: provided PrivateKey doesn't match parent's PublicKey");
    }
    const warnings: string[] = [];
    if (!ca.getExtension<x509.BasicConstraintsExtension>("2.5.29.19")?.ca) {
        warnings.push(
            "Potentially Invalid Certificate Authority: Certificate provided as Authority does not appear to be a valid Certificate Authority. The resulting certificate might fail certificate validation.",
        );
    }
    const skiExt = ca.getExtension<x509.SubjectKeyIdentifierExtension>("2.5.29.14");
    const parentSki = skiExt ? Buffer.from(skiExt.keyId, "hex") : undefined;

    const cert = createCertificate(
        {
            subject: encodeName(nameFromDer(csrSubject)),
            sans,
            allowedUses: o.allowedUses,
            isCa: o.isCaCertificate,
            maxPathLength: o.maxPathLength,
            setSubjectKeyId: o.setSubjectKeyId,
            setAuthorityKeyId: false,
            validityHours: o.validityPeriodHours,
        },
        csrSpki.raw,
        subjectKey.asymmetricKeyType,
        { key: caKey.key, issuer: caSubject, parentSubjectKeyId: parentSki, selfSigned: false },
    );
    return { ...cert, warnings };
}
