/**
 * Test program for tests/plugins/tls/contract.test.ts: the tls resources the
 * real program uses (components/tls/index.ts), plus the key types and signers
 * the contract covers. Every knob the tests turn is stack config.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

const cfg = new pulumi.Config();
const num = (k: string, d: number) => cfg.getNumber(k) ?? d;
const list = (k: string, d: string[]) => cfg.getObject<string[]>(k) ?? d;

// Keys: one per algorithm / curve the contract names. "p224" sets no curve (the default).
const rsa = new tls.PrivateKey("rsa", { algorithm: "RSA", ...(cfg.getNumber("rsaBits") ? { rsaBits: cfg.getNumber("rsaBits") } : {}) });
const p224 = new tls.PrivateKey("p224", { algorithm: "ECDSA" });
const p384 = new tls.PrivateKey("p384", { algorithm: "ECDSA", ecdsaCurve: "P384" });
const ed = new tls.PrivateKey("ed", { algorithm: "ED25519" });

// The CA and server certificate, as components/tls/index.ts builds them.
const caKey = new tls.PrivateKey("ca-key", { algorithm: "ECDSA", ecdsaCurve: cfg.get("caCurve") ?? "P256" });
const ca = new tls.SelfSignedCert("ca", {
    privateKeyPem: caKey.privateKeyPem,
    isCaCertificate: true,
    validityPeriodHours: num("caValidityHours", 87600),
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    subject: { commonName: cfg.get("caCommonName") ?? "Contract Test CA", organization: "tls-contract" },
});
const serverKey = new tls.PrivateKey("server-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
const serverName = cfg.get("serverName") ?? "lb-tls.test";
const csr = new tls.CertRequest("csr", {
    privateKeyPem: serverKey.privateKeyPem,
    subject: { commonName: serverName, organization: "tls-contract servers", emailAddress: "ops@lb-tls.test" },
    dnsNames: list("dnsNames", [serverName]),
    ipAddresses: list("ipAddresses", []),
});
const cert = new tls.LocallySignedCert("cert", {
    certRequestPem: csr.certRequestPem,
    caPrivateKeyPem: caKey.privateKeyPem,
    caCertPem: ca.certPem,
    validityPeriodHours: num("certValidityHours", 8760),
    earlyRenewalHours: num("earlyRenewalHours", 720),
    allowedUses: list("allowedUses", ["server_auth", "digital_signature", "key_encipherment"]),
});

// Other signers: RSA and P-384 CAs each sign the same CSR.
const signer = (name: string, key: tls.PrivateKey) => {
    const c = new tls.SelfSignedCert(`${name}-ca`, {
        privateKeyPem: key.privateKeyPem,
        isCaCertificate: true,
        validityPeriodHours: 24,
        allowedUses: ["cert_signing", "digital_signature"],
        subject: { commonName: `${name} signer` },
    });
    const leaf = new tls.LocallySignedCert(`${name}-leaf`, {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: key.privateKeyPem,
        caCertPem: c.certPem,
        validityPeriodHours: 24,
        allowedUses: ["client_auth", "digital_signature"],
    });
    return { ca: c.certPem, leaf: leaf.certPem };
};
const rsaSigned = signer("rsa", rsa);
const p384Signed = signer("p384", p384);

const keyOutputs = (k: tls.PrivateKey) => ({
    privateKeyPem: k.privateKeyPem,
    privateKeyPemPkcs8: k.privateKeyPemPkcs8,
    privateKeyOpenssh: k.privateKeyOpenssh,
});
const publicOutputs = (k: tls.PrivateKey) => ({
    id: k.id,
    ecdsaCurve: k.ecdsaCurve,
    rsaBits: k.rsaBits,
    publicKeyPem: k.publicKeyPem,
    publicKeyOpenssh: k.publicKeyOpenssh,
    publicKeyFingerprintMd5: k.publicKeyFingerprintMd5,
    publicKeyFingerprintSha256: k.publicKeyFingerprintSha256,
});
const keys = { rsa, p224, p384, ed, caKey, serverKey };

/** Private forms (secret outputs). */
export const privateKeys = Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, keyOutputs(k)]));
/** Public forms. */
export const publicKeys = Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, publicOutputs(k)]));
export const caCertPem = ca.certPem;
export const caId = ca.id;
export const csrPem = csr.certRequestPem;
export const csrId = csr.id;
export const certPem = cert.certPem;
export const certId = cert.id;
export const certValidityStartTime = cert.validityStartTime;
export const certValidityEndTime = cert.validityEndTime;
export const certReadyForRenewal = cert.readyForRenewal;
export const rsaCaCertPem = rsaSigned.ca;
export const rsaLeafCertPem = rsaSigned.leaf;
export const p384CaCertPem = p384Signed.ca;
export const p384LeafCertPem = p384Signed.leaf;
