import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { isIPv4 } from "node:net";
import { sha256Hex } from "../shared/digest";
import { TOKEN_PREFIX } from "../shared/remote";

export interface ApiTlsArgs {
    /** The host's name: the certificate's common name and first DNS SAN. */
    readonly hostName: string;
    /** Addresses clients use (IPs or DNS names); each becomes a SAN. */
    readonly addresses: readonly string[];
    /** A certificate and key the user supplies instead; default: a private CA issues one. */
    readonly userCertificate?: { certPem: string; keyPem: pulumi.Output<string> };
}

/**
 * The API's TLS material: a private CA (ECDSA P-256; tls defaults ECDSA to
 * P-224, which Go's TLS stack refuses) and a server certificate whose SANs are
 * the host's name and addresses. Keys are secret Outputs.
 */
export class ApiTls extends pulumi.ComponentResource {
    public readonly certPem: pulumi.Output<string>;
    public readonly keyPem: pulumi.Output<string>;
    /** The CA to trust; undefined when the user supplied their own certificate. */
    public readonly caCertPem?: pulumi.Output<string>;
    /**
     * The first 16 hex digits of the certificate's SHA-256: a restart reason
     * of the API's service, which reads the certificate only when it starts.
     */
    public readonly certificateDigest: pulumi.Output<string>;

    constructor(name: string, args: ApiTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${TOKEN_PREFIX}:ApiTls`, name, {}, opts);

        if (args.userCertificate) {
            this.certPem = pulumi.output(args.userCertificate.certPem);
            this.keyPem = pulumi.secret(args.userCertificate.keyPem);
            this.certificateDigest = digestOf(this.certPem);
            this.registerOutputs({ certPem: this.certPem, certificateDigest: this.certificateDigest });
            return;
        }

        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                validityPeriodHours: 10 * 8760,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                subject: { commonName: `${args.hostName} Data Plane API CA`, organization: "haproxy-dataplane-deploy" },
            },
            { parent: this },
        );

        const serverKey = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const unique = [...new Set([args.hostName, ...args.addresses])];
        const csr = new tls.CertRequest(
            `${name}-csr`,
            {
                privateKeyPem: serverKey.privateKeyPem,
                subject: { commonName: args.hostName },
                dnsNames: unique.filter((a) => !isIPv4(a)),
                ipAddresses: unique.filter((a) => isIPv4(a)),
            },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            `${name}-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                // A year, renewed by any `up` in its last 30 days.
                validityPeriodHours: 8760,
                earlyRenewalHours: 30 * 24,
                allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
            },
            { parent: this },
        );

        this.certPem = cert.certPem;
        this.keyPem = pulumi.secret(serverKey.privateKeyPem);
        this.caCertPem = ca.certPem;
        this.certificateDigest = digestOf(this.certPem);
        this.registerOutputs({ certPem: this.certPem, caCertPem: this.caCertPem, certificateDigest: this.certificateDigest });
    }
}

function digestOf(pem: pulumi.Output<string>): pulumi.Output<string> {
    return pem.apply((p) => sha256Hex(p).slice(0, 16));
}
