/**
 * Stand-in for the Pulumi `tls` provider plugin v5.6.1 (pulumi-resource-tls),
 * which cannot be downloaded or built on these machines. TEST EQUIPMENT ONLY:
 * never part of the program. It implements the contract recorded in
 * ../shared/docs/providers.md ("tls"), as terraform-provider-tls behind the
 * Pulumi bridge does it; README.md beside this file lists each behaviour, its
 * source and the test that shows it, and how the stand-in differs.
 *
 * Served by @pulumi/pulumi/provider's gRPC server, which accepts secrets: the
 * values arrive raw, secrets in the envelope form, and secret outputs are
 * returned in that form.
 */
import { specialOutputValueSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import {
    type CheckFailure,
    type CheckResult,
    type CreateResult,
    type DiffResult,
    main,
    type Provider,
    type ReadResult,
    type UpdateResult,
} from "@pulumi/pulumi/provider";
import { ALLOWED_USES, certRequest, type CertOptions, locallySignedCert, sansFromInput, selfSignedCert, type SubjectInput } from "./certs";
import {
    ALGORITHMS,
    type Algorithm,
    type Curve,
    CURVES,
    generateKey,
    hashForState,
    parsePrivateKeyPem,
    privateKeyPem,
    privateKeyPemPkcs8,
    publicKeyPem,
    spkiDer,
    sshForms,
} from "./keys";

export const VERSION = "5.6.1";

// ---- values as the provider server hands them over

const SIG = specialSigKey;
const SECRET_SIG = specialSecretSig;
const OUTPUT_SIG = specialOutputValueSig;
const UNKNOWN = unknownValue;

type Props = Record<string, any>;

/** Plain values: secret envelopes and output values opened (an unknown output becomes the unknown sentinel). */
function plain(v: any): any {
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") {
        if (v[SIG] === SECRET_SIG) return plain(v.value);
        if (v[SIG] === OUTPUT_SIG) return "value" in v ? plain(v.value) : UNKNOWN;
        return Object.fromEntries(
            Object.entries(v)
                .filter(([, x]) => x !== undefined && x !== null)
                .map(([k, x]) => [k, plain(x)]),
        );
    }
    return v;
}

const secret = (value: unknown) => ({ [SIG]: SECRET_SIG, value });

function unknown(v: any): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(unknown);
    if (v && typeof v === "object") return Object.values(v).some(unknown);
    return false;
}

function canonical(v: any): string {
    if (v === undefined || v === null) return "null";
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (typeof v === "object")
        return `{${Object.keys(v)
            .sort()
            .filter((k) => v[k] !== undefined && v[k] !== null)
            .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
            .join(",")}}`;
    return JSON.stringify(v);
}

// ---- resource kinds

interface Kind {
    /** Input properties, SDK names. */
    inputs: string[];
    /** PEM inputs: TF replaces only when the stored value is a PEM (requireReplaceIfStateContainsPEMString). */
    pemInputs: string[];
    /** Optional+computed inputs that keep their stored value when not set (UseStateForUnknown). */
    keepState: string[];
    defaults: Props;
    /** Outputs the real plugin marks secret (TF Sensitive). */
    secrets: string[];
    certificate: boolean;
    validate(news: Props): CheckFailure[];
    create(inputs: Props): { id: string; outs: Props };
}

const PEM_TEXT = /^-----BEGIN [A-Za-z ]+-----\n(.|\s)+\n-----END [A-Za-z ]+-----\n?$/;

function failuresFor(news: Props, rules: Record<string, (v: any) => string | undefined>): CheckFailure[] {
    const out: CheckFailure[] = [];
    for (const [property, rule] of Object.entries(rules)) {
        const v = news[property];
        if (unknown(v)) continue;
        const reason = rule(v);
        if (reason) out.push({ property, reason });
    }
    return out;
}

const required = (name: string) => (v: any) =>
    v === undefined ? `Missing required argument: The argument "${name}" is required, but no definition was found.` : undefined;
const atLeast = (min: number) => (v: any) =>
    v !== undefined && !(Number.isInteger(v) && v >= min) ? `value must be an integer at least ${min}, got: ${v}` : undefined;
const oneOf = (values: readonly string[]) => (v: any) =>
    v !== undefined && !values.includes(v) ? `value must be one of: ${JSON.stringify(values)}, got: ${JSON.stringify(v)}` : undefined;
const eachOneOf = (values: readonly string[]) => (v: any) => {
    if (v === undefined) return undefined;
    const bad = (v as any[]).filter((x) => !unknown(x) && !values.includes(x));
    return bad.length ? `values must be one of: ${JSON.stringify(values)}, got: ${JSON.stringify(bad)}` : undefined;
};
const nonEmptyStrings = (v: any) => (v !== undefined && (v as any[]).some((x) => x === "") ? "values must be at least 1 character long" : undefined);
const all =
    (...rules: ((v: any) => string | undefined)[]) =>
    (v: any) =>
        rules.map((r) => r(v)).find(Boolean);

function keyInput(p: Props, name: string): string {
    if (p[name] === undefined && p[`${name}Wo`] !== undefined) {
        throw new Error(`${name}Wo (write-only) is not implemented by the tls stand-in; set ${name}`);
    }
    return p[name];
}

function certOptions(p: Props): CertOptions {
    return {
        allowedUses: p.allowedUses ?? [],
        validityPeriodHours: p.validityPeriodHours,
        isCaCertificate: !!p.isCaCertificate,
        maxPathLength: p.maxPathLength,
        setSubjectKeyId: !!p.setSubjectKeyId,
        setAuthorityKeyId: !!p.setAuthorityKeyId,
    };
}

/** TF's ready_for_renewal plan value for a new certificate (attribute_plan_modifier_bool.ReadyForRenewal). */
const readyAtCreation = (p: Props): boolean => p.validityPeriodHours === 0 || (p.earlyRenewalHours ?? 0) >= p.validityPeriodHours;

/** TF modifyPlanIfCertificateReadyForRenewal: now ≥ validity_end_time − early_renewal_hours. */
function dueForRenewal(validityEndTime: unknown, earlyRenewalHours: unknown, now = Date.now()): boolean {
    if (typeof validityEndTime !== "string" || typeof earlyRenewalHours !== "number") return false;
    const end = Date.parse(validityEndTime);
    return !Number.isNaN(end) && end - earlyRenewalHours * 3600_000 - now <= 0;
}

const CERT_RULES = {
    validityPeriodHours: all(required("validity_period_hours"), atLeast(0)),
    allowedUses: all(required("allowed_uses"), eachOneOf(ALLOWED_USES)),
    earlyRenewalHours: atLeast(0),
    maxPathLength: atLeast(-1),
    ipAddresses: nonEmptyStrings,
    uris: nonEmptyStrings,
};

/**
 * The only input whose change is an in-place update; a change to any other
 * input forces a replacement (TF RequiresReplace on every other attribute).
 */
const UPDATED_IN_PLACE = ["earlyRenewalHours"];

const KINDS: Record<string, Kind> = {
    "tls:index/privateKey:PrivateKey": {
        inputs: ["algorithm", "ecdsaCurve", "rsaBits"],
        pemInputs: [],
        keepState: [],
        defaults: { ecdsaCurve: "P224", rsaBits: 2048 },
        secrets: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
        certificate: false,
        validate: (n) =>
            failuresFor(n, {
                algorithm: all(required("algorithm"), oneOf(ALGORITHMS)),
                ecdsaCurve: oneOf(CURVES),
                rsaBits: atLeast(0),
            }),
        create(p) {
            const key = generateKey(p.algorithm as Algorithm, p.ecdsaCurve as Curve, p.rsaBits);
            const ssh = sshForms(key);
            const id = hashForState(spkiDer(key));
            return {
                id,
                outs: {
                    id,
                    algorithm: p.algorithm,
                    ecdsaCurve: p.ecdsaCurve,
                    rsaBits: p.rsaBits,
                    privateKeyPem: privateKeyPem(key),
                    privateKeyPemPkcs8: privateKeyPemPkcs8(key),
                    privateKeyOpenssh: ssh.privateKeyOpenssh,
                    publicKeyPem: publicKeyPem(key),
                    publicKeyOpenssh: ssh.publicKeyOpenssh,
                    publicKeyFingerprintMd5: ssh.fingerprintMd5,
                    publicKeyFingerprintSha256: ssh.fingerprintSha256,
                },
            };
        },
    },
    "tls:index/selfSignedCert:SelfSignedCert": {
        inputs: [
            "privateKeyPem",
            "validityPeriodHours",
            "allowedUses",
            "dnsNames",
            "ipAddresses",
            "uris",
            "subject",
            "earlyRenewalHours",
            "isCaCertificate",
            "maxPathLength",
            "setSubjectKeyId",
            "setAuthorityKeyId",
        ],
        pemInputs: ["privateKeyPem"],
        keepState: ["maxPathLength"],
        defaults: { earlyRenewalHours: 0, isCaCertificate: false, setSubjectKeyId: false, setAuthorityKeyId: false },
        secrets: ["privateKeyPem"],
        certificate: true,
        validate: (n) =>
            failuresFor(n, {
                ...CERT_RULES,
                privateKeyPem: (v) => (v === undefined && n.privateKeyPemWo === undefined ? "one of privateKeyPem or privateKeyPemWo must be set" : undefined),
            }),
        create(p) {
            const key = parsePrivateKeyPem(keyInput(p, "privateKeyPem"));
            const c = selfSignedCert(key, p.subject as SubjectInput, sansFromInput(p.dnsNames, p.ipAddresses, p.uris), certOptions(p));
            return {
                id: c.id,
                outs: {
                    ...p,
                    id: c.id,
                    keyAlgorithm: key.algorithm,
                    certPem: c.certPem,
                    validityStartTime: c.validityStartTime,
                    validityEndTime: c.validityEndTime,
                    readyForRenewal: readyAtCreation(p),
                },
            };
        },
    },
    "tls:index/certRequest:CertRequest": {
        inputs: ["privateKeyPem", "subject", "dnsNames", "ipAddresses", "uris"],
        pemInputs: ["privateKeyPem"],
        keepState: [],
        defaults: {},
        secrets: ["privateKeyPem"],
        certificate: false,
        validate: (n) =>
            failuresFor(n, {
                privateKeyPem: (v) => (v === undefined && n.privateKeyPemWo === undefined ? "one of privateKeyPem or privateKeyPemWo must be set" : undefined),
                ipAddresses: nonEmptyStrings,
                uris: nonEmptyStrings,
            }),
        create(p) {
            const key = parsePrivateKeyPem(keyInput(p, "privateKeyPem"));
            const csr = certRequest(key, p.subject as SubjectInput, sansFromInput(p.dnsNames, p.ipAddresses, p.uris));
            const id = hashForState(csr.der);
            return { id, outs: { ...p, id, keyAlgorithm: key.algorithm, certRequestPem: csr.pem } };
        },
    },
    "tls:index/locallySignedCert:LocallySignedCert": {
        inputs: [
            "certRequestPem",
            "caPrivateKeyPem",
            "caCertPem",
            "validityPeriodHours",
            "allowedUses",
            "earlyRenewalHours",
            "isCaCertificate",
            "maxPathLength",
            "setSubjectKeyId",
        ],
        pemInputs: ["certRequestPem", "caPrivateKeyPem", "caCertPem"],
        keepState: ["maxPathLength"],
        defaults: { earlyRenewalHours: 0, isCaCertificate: false, setSubjectKeyId: false },
        secrets: ["caPrivateKeyPem"],
        certificate: true,
        validate: (n) =>
            failuresFor(n, {
                ...CERT_RULES,
                certRequestPem: required("cert_request_pem"),
                caCertPem: required("ca_cert_pem"),
                caPrivateKeyPem: (v) =>
                    v === undefined && n.caPrivateKeyPemWo === undefined ? "one of caPrivateKeyPem or caPrivateKeyPemWo must be set" : undefined,
            }),
        create(p) {
            const caKey = parsePrivateKeyPem(keyInput(p, "caPrivateKeyPem"));
            const c = locallySignedCert(p.certRequestPem, caKey, p.caCertPem, certOptions(p));
            for (const w of c.warnings) process.stderr.write(`warning: ${w}\n`);
            return {
                id: c.id,
                outs: {
                    ...p,
                    id: c.id,
                    caKeyAlgorithm: caKey.algorithm,
                    certPem: c.certPem,
                    validityStartTime: c.validityStartTime,
                    validityEndTime: c.validityEndTime,
                    readyForRenewal: readyAtCreation(p),
                },
            };
        },
    },
};

function kindOf(urn: string): Kind {
    const type = urn.split("::")[2]?.split("$").pop() ?? "";
    const kind = KINDS[type];
    if (!kind) throw new Error(`tls stand-in: unknown resource type ${type}`);
    return kind;
}

/** The plan's values: inputs with the schema defaults filled in. */
function planned(kind: Kind, news: Props): Props {
    const p = plain(news);
    for (const [k, v] of Object.entries(kind.defaults)) if (p[k] === undefined) p[k] = v;
    return p;
}

/** Outputs with the sensitive ones in the secret envelope. */
function wrapSecrets(kind: Kind, outs: Props): Props {
    const o: Props = {};
    for (const [k, v] of Object.entries(outs)) {
        if (v === undefined || v === null || k.endsWith("Wo")) continue;
        o[k] = kind.secrets.includes(k) ? secret(v) : v;
    }
    return o;
}

export const provider: Provider = {
    version: VERSION,

    async check(urn, _olds, news): Promise<CheckResult> {
        const kind = kindOf(urn);
        return { inputs: news, failures: kind.validate(plain(news)) };
    },

    async diff(_id, urn, olds, news): Promise<DiffResult> {
        const kind = kindOf(urn);
        const o = plain(olds);
        const n = planned(kind, news);
        const replaces: string[] = [];
        let changes = false;
        for (const k of kind.inputs) {
            if (n[k] === undefined && kind.keepState.includes(k)) continue;
            if (!unknown(n[k]) && canonical(n[k]) === canonical(o[k])) continue;
            changes = true;
            if (UPDATED_IN_PLACE.includes(k)) continue;
            if (kind.pemInputs.includes(k) && !(typeof o[k] === "string" && PEM_TEXT.test(o[k]))) continue;
            replaces.push(k);
        }
        if (kind.certificate && dueForRenewal(o.validityEndTime, n.earlyRenewalHours)) {
            changes = true;
            replaces.push("readyForRenewal");
        }
        return { changes, replaces };
    },

    async create(urn, inputs): Promise<CreateResult> {
        const kind = kindOf(urn);
        const { id, outs } = kind.create(planned(kind, inputs));
        return { id, outs: wrapSecrets(kind, outs) };
    },

    async update(_id, urn, olds, news): Promise<UpdateResult> {
        // Only in-place changes reach here (earlyRenewalHours): TF copies the plan into the state.
        const kind = kindOf(urn);
        const n = planned(kind, news);
        const outs: Props = { ...plain(olds) };
        for (const k of kind.inputs) if (n[k] !== undefined || !kind.keepState.includes(k)) outs[k] = n[k];
        if (kind.certificate) outs.readyForRenewal = readyAtCreation(outs);
        return { outs: wrapSecrets(kind, outs) };
    },

    async read(id, urn, props): Promise<ReadResult> {
        // TF's Read changes nothing but ready_for_renewal (modifyStateIfCertificateReadyForRenewal).
        const kind = kindOf(urn);
        const p = plain(props);
        if (kind.certificate && dueForRenewal(p.validityEndTime, p.earlyRenewalHours ?? 0)) p.readyForRenewal = true;
        return { id, props: wrapSecrets(kind, p) };
    },

    async delete(): Promise<void> {
        // Logical resources: nothing to delete anywhere.
    },
};

if (require.main === module) {
    main(provider, process.argv.slice(2)).catch((e) => {
        process.stderr.write(`tls stand-in: ${e?.stack ?? e}\n`);
        process.exit(1);
    });
}
