import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseConfig } from "../../components/config";
import { deployStack } from "../../components/program";
import { sha256Hex } from "../../components/shared/digest";
import {
    installMocks,
    isSecret,
    MOCK_HAPROXY_VERSION,
    mockHaproxyBanners,
    MOCK_REPORTED_VERSION,
    type Registration,
    registrations,
    rawConfig,
    resolve,
    settle,
    TEST_PASSWORD,
    TEST_SHA,
    TEST_SSH_KEY,
    unwrapSecret,
} from "../support/harness";

installMocks();

function deploy(values: Record<string, unknown> = {}) {
    const start = registrations.length;
    const outputs = deployStack(parseConfig(rawConfig(values)));
    return {
        outputs,
        since: async () => {
            await Promise.all(Object.values(outputs).map((o) => resolve(o.version)));
            await settle();
            return registrations.slice(start);
        },
    };
}

const byName = (regs: Registration[], name: string) => {
    const r = regs.find((x) => x.name === name);
    assert.ok(r, `resource ${name} is registered (got ${regs.map((x) => x.name).join(", ")})`);
    return r;
};
const urnOf = (regs: Registration[], name: string) => byName(regs, name).urn;

/** Pairs of one host's commands where the first must be done before the second starts. */
const ORDER = [
    ["lb1-dirs-create", "lb1-config-yaml"],
    ["lb1-dirs-create", "lb1-config-key"],
    ["lb1-dirs-create", "lb1-haproxy-cfg"],
    ["lb1-config-ca", "lb1-haproxy-cfg"],
    ["lb1-haproxy-credentials", "lb1-haproxy-cfg"],
    ["lb1-haproxy-editor", "lb1-haproxy-cfg"],
    ["lb1-haproxy-reload-helper", "lb1-haproxy-cfg"],
    ["lb1-haproxy-reload-helper", "lb1-reload-socket"],
    ["lb1-reload-client", "lb1-reload-socket"],
    ["lb1-reload-service-unit", "lb1-reload-socket"],
    ["lb1-reload-socket-unit", "lb1-reload-socket"],
    ["lb1-service-unit", "lb1-service-enable"],
    ["lb1-service-enable", "lb1-service-start"],
    ["lb1-binary-install", "lb1-service-start"],
    ["lb1-config-yaml", "lb1-service-start"],
    ["lb1-config-key", "lb1-service-start"],
    ["lb1-haproxy-cfg", "lb1-service-start"],
    ["lb1-reload-socket", "lb1-service-start"],
];

/**
 * The longest chain of one host's commands that must run one after another,
 * preflight included: a fresh `up` takes about one SSH round per link. The
 * chain today: preflight, directories, the API's files, the haproxy.cfg edit,
 * the start.
 */
const CRITICAL_PATH = ["lb1-preflight-check", "lb1-dirs-create", "lb1-config-ca", "lb1-haproxy-cfg", "lb1-service-start"];

/** The longest dependency chain among the commands in `regs`, as names. */
function longestChain(regs: Registration[]): string[] {
    const commands = new Map(regs.filter((r) => r.type.startsWith("command:remote:")).map((r) => [r.urn, r]));
    const memo = new Map<string, string[]>();
    const chain = (urn: string): string[] => {
        const known = memo.get(urn);
        if (known) return known;
        const r = commands.get(urn)!;
        let longest: string[] = [];
        for (const d of r.dependencies) if (commands.has(d)) longest = [chain(d), longest].reduce((a, b) => (a.length >= b.length ? a : b));
        const result = [...longest, r.name];
        memo.set(urn, result);
        return result;
    };
    return [...commands.keys()].map(chain).reduce((a, b) => (a.length >= b.length ? a : b), []);
}

describe("one host under mocks", () => {
    let regs: Registration[];
    let outputs: ReturnType<typeof deploy>["outputs"];
    before(async () => {
        const d = deploy();
        outputs = d.outputs;
        regs = await d.since();
    });

    it("registers the components and their commands, each under its parent", () => {
        const components: [string, string][] = [
            ["lb1", "haproxy-dataplane:index:DataplaneHost"],
            ["lb1-binary", "haproxy-dataplane:index:DataplaneBinary"],
            ["lb1-dirs", "haproxy-dataplane:index:DirectorySet"],
            ["lb1-preflight", "haproxy-dataplane:index:Preflight"],
            ["lb1-tls", "haproxy-dataplane:index:ApiTls"],
            ["lb1-config", "haproxy-dataplane:index:ApiConfigFiles"],
            ["lb1-haproxy", "haproxy-dataplane:index:HaproxyIntegration"],
            ["lb1-reload", "haproxy-dataplane:index:ReloadService"],
            ["lb1-service", "haproxy-dataplane:index:DataplaneService"],
        ];
        for (const [name, type] of components) {
            assert.equal(byName(regs, name).type, type);
            if (name !== "lb1") assert.equal(byName(regs, name).parent, urnOf(regs, "lb1"), `${name} is a child of the host`);
        }
        const commandParents: Record<string, string> = {
            "lb1-binary-install": "lb1-binary",
            "lb1-dirs-create": "lb1-dirs",
            "lb1-preflight-check": "lb1-preflight",
            "lb1-config-yaml": "lb1-config",
            "lb1-config-cert": "lb1-config",
            "lb1-config-key": "lb1-config",
            "lb1-config-ca": "lb1-config",
            "lb1-haproxy-editor": "lb1-haproxy",
            "lb1-haproxy-reload-helper": "lb1-haproxy",
            "lb1-haproxy-credentials": "lb1-haproxy",
            "lb1-haproxy-cfg": "lb1-haproxy",
            "lb1-reload-client": "lb1-reload",
            "lb1-reload-service-unit": "lb1-reload",
            "lb1-reload-socket-unit": "lb1-reload",
            "lb1-reload-socket": "lb1-reload",
            "lb1-service-unit": "lb1-service",
            "lb1-service-enable": "lb1-service",
            "lb1-service-start": "lb1-service",
        };
        for (const [cmd, parent] of Object.entries(commandParents)) {
            const r = byName(regs, cmd);
            assert.equal(r.type, "command:remote:Command");
            assert.equal(r.parent, urnOf(regs, parent), `${cmd} is a child of ${parent}`);
        }
        for (const t of ["lb1-tls-ca-key", "lb1-tls-ca", "lb1-tls-server-key", "lb1-tls-csr", "lb1-tls-cert"]) {
            assert.equal(byName(regs, t).parent, urnOf(regs, "lb1-tls"));
        }
        // The password hash's salt seed belongs to the component that writes the userlist; an alias takes over
        // the seed a stack created as the host's own child, whose key (and so the hash) must not change.
        const seed = byName(regs, "lb1-salt-seed");
        assert.equal(seed.parent, urnOf(regs, "lb1-haproxy"));
        assert.deepEqual(
            seed.aliases.map((a) => {
                const { name, type, parenturn } = (a as { spec: Record<string, unknown> }).spec;
                return { name, type, parenturn };
            }),
            [{ name: "lb1-salt-seed", type: "", parenturn: urnOf(regs, "lb1") }],
            "the seed's old name under the host (type unchanged)",
        );
        const commands = regs
            .filter((r) => r.type === "command:remote:Command")
            .map((r) => r.name)
            .sort();
        assert.deepEqual(commands, Object.keys(commandParents).sort(), "no other remote command is registered");
        assert.equal(regs.filter((r) => r.type === "command:remote:CopyToRemote").length, 0, "nothing is uploaded when downloading");
    });

    it("configures the API to reload through the reload service, and says so with the HAProxy version the host reported", () => {
        const yaml = String(unwrapSecret(byName(regs, "lb1-config-yaml").inputs.stdin));
        assert.match(
            yaml,
            new RegExp(
                `^# HAProxy ${MOCK_HAPROXY_VERSION.replace(/\./g, "\\.")} on this host: the API reloads it through the reload service, never restarts it\\.$`,
                "m",
            ),
        );
        assert.ok(!/^\s*master_runtime:/m.test(yaml), "no master runtime");
    });

    it("a host that reports HAProxy 3.0 reloads the same way, and each host's output says so with its version", async () => {
        mockHaproxyBanners.set("lb30", "HAProxy version 3.0.11-1+deb13u4 2026/10/15 - https://haproxy.org/");
        const d = deploy({
            hosts: [
                { name: "lb26", address: "10.0.0.26" },
                { name: "lb30", address: "10.0.0.30" },
            ],
        });
        const mixed = await d.since();
        for (const h of ["lb26", "lb30"]) {
            assert.doesNotMatch(String(unwrapSecret(byName(mixed, `${h}-config-yaml`).inputs.stdin)), /^\s*master_runtime:/m, h);
        }
        assert.equal(await resolve(d.outputs.lb30.haproxy), "HAProxy 3.0.11 on this host: the API reloads it through the reload service, never restarts it");
        assert.match(await resolve(d.outputs.lb26.haproxy), /^HAProxy 2\.6\.12 on this host: the API reloads it through the reload service/);
    });

    it("runs the preflight before any other step on the host", () => {
        const preflight = urnOf(regs, "lb1-preflight-check");
        const onHost = regs.filter((r) => r.type.startsWith("command:remote:") && r.name !== "lb1-preflight-check");
        assert.ok(onHost.length >= 15);
        for (const r of onHost) assert.ok(r.dependencies.includes(preflight), `${r.name} waits for the preflight`);
    });

    it("orders the steps: each depends on what must exist before it", () => {
        for (const [first, then] of ORDER) {
            assert.ok(byName(regs, then).dependencies.includes(urnOf(regs, first)), `${then} depends on ${first}`);
        }
    });

    it("runs one after another only what must be: the longest chain is five steps", () => {
        const chain = longestChain(regs);
        assert.equal(chain.length, CRITICAL_PATH.length, `the longest chain: ${chain.join(" -> ")}`);
        // Each link is a real need: drop it and the step after it could run too early.
        for (let i = 1; i < CRITICAL_PATH.length; i++) {
            assert.ok(
                byName(regs, CRITICAL_PATH[i]).dependencies.includes(urnOf(regs, CRITICAL_PATH[i - 1])),
                `${CRITICAL_PATH[i]} waits for ${CRITICAL_PATH[i - 1]}`,
            );
        }
        for (const early of ["lb1-service-unit", "lb1-reload-service-unit", "lb1-haproxy-editor", "lb1-haproxy-credentials", "lb1-binary-install"]) {
            const deps = byName(regs, early).dependencies.filter((d) => regs.some((r) => r.urn === d && r.type.startsWith("command:remote:")));
            assert.deepEqual(
                deps.map((d) => regs.find((r) => r.urn === d)!.name),
                ["lb1-preflight-check"],
                `${early} waits for the preflight alone`,
            );
        }
    });

    it("re-runs the haproxy.cfg edit when the password hash changes, and restarts on binary, config, unit and certificate", () => {
        const cfg = byName(regs, "lb1-haproxy-cfg");
        assert.equal(cfg.inputs.triggers, undefined, "no trigger: a replace would run the revert after the new edit");
        assert.match(cfg.inputs.create, /# API users: [0-9a-f]{16} /, "a digest of the hashed users is in the script instead");
        const start = byName(regs, "lb1-service-start");
        for (const reason of [`# binary: dataplaneapi ${MOCK_REPORTED_VERSION} (`, "# config: ", "# unit: ", "# certificate: "]) {
            assert.ok(start.inputs.create.includes(reason), `the start script names ${reason}`);
        }
        for (const r of regs.filter((x) => x.type === "command:remote:Command")) {
            // triggers is the one input whose change replaces (providers.md): a replace would run the old delete after the new create.
            assert.equal(r.inputs.triggers, undefined, `${r.name} is never replaced`);
            assert.equal(r.inputs.update, undefined, `${r.name}: an update runs create, and a preview shows the script once`);
            assert.equal(r.inputs.addPreviousOutputInEnv, false);
            assert.match(r.inputs.create, /^sudo -n bash -c "\$\(cat <<'DPDEPLOY_SCRIPT_END'\n# /, `${r.name} runs as root through sudo for a non-root user`);
        }
    });

    it("restarts on digests of exactly what the other steps put on the host: the binary, the YAML, the certificate, the unit", () => {
        const start = String(byName(regs, "lb1-service-start").inputs.create);
        const digestOf = (name: string) => sha256Hex(String(unwrapSecret(byName(regs, name).inputs.stdin))).slice(0, 16);
        for (const [reason, value] of [
            ["binary", `dataplaneapi ${MOCK_REPORTED_VERSION} (${TEST_SHA.slice(0, 16)})`],
            ["config", digestOf("lb1-config-yaml")],
            ["certificate", digestOf("lb1-config-cert")],
            ["unit", digestOf("lb1-service-unit")],
        ]) {
            assert.ok(start.includes(`\n# ${reason}: ${value}\n`), `the start script names ${reason}: ${value}`);
        }
    });

    it("no command that has a delete can be replaced: a replace runs the old delete after the new create", () => {
        const withDelete = regs.filter((r) => r.type === "command:remote:Command" && r.inputs.delete !== undefined);
        assert.ok(withDelete.length >= 8, `the steps with an undo are registered (${withDelete.length})`);
        for (const r of withDelete) {
            // providers.md: only triggers replaces, through the SDK's replaceOnChanges; nothing else may be added to it.
            assert.deepEqual(r.replaceOnChanges, ["triggers[*]"], `${r.name}: the program adds no replaceOnChanges`);
            assert.equal(r.inputs.triggers, undefined, `${r.name} has no triggers`);
            assert.equal(r.deleteBeforeReplace, false, `${r.name}`);
        }
    });

    it("keeps secrets out of command strings and non-secret inputs", () => {
        const text = JSON.stringify(
            regs.map((r) => [
                r.name,
                r.inputs.create,
                r.inputs.update,
                r.inputs.delete,
                r.inputs.triggers,
                r.type === "command:remote:Command" && !isSecretStdin(r) ? r.inputs.stdin : "",
            ]),
        );
        assert.ok(!text.includes(TEST_PASSWORD), "the password is in no command or plain input");
        assert.ok(!text.includes("b3BlbnNzaC1rZXktdjEAAAAA-unit-test-only"), "the SSH key is in no command");
        assert.ok(!text.includes("mock-lb1-tls-server-key"), "the TLS key is in no command");
        assert.ok(!text.includes("dpadmin"), "the user name (a secret) is in no command");
        for (const name of ["lb1-config-key", "lb1-haproxy-credentials", "lb1-service-start"]) {
            assert.ok(isSecretStdin(byName(regs, name)), `${name} gets its stdin as a secret`);
        }
        for (const r of regs.filter((x) => x.type === "command:remote:Command")) {
            assert.ok(isSecret(r.inputs.connection) || isSecret(r.inputs.connection?.privateKey), `${r.name}'s private key is secret`);
        }
        assert.ok(!JSON.stringify(byName(regs, "lb1-haproxy-credentials").inputs.stdin).includes(TEST_PASSWORD), "only the hash reaches the host");
    });

    it("exports the API URL, the version and the CA", async () => {
        assert.equal(await resolve(outputs.lb1.apiUrl), "https://198.18.1.2:5555/v3");
        assert.equal(await resolve(outputs.lb1.version), MOCK_REPORTED_VERSION, "the version the install step reported, not the configured 3.2.1");
        // Under mocks each tls resource's PEM names the resource: the export must be the CA's, not the server's.
        const ca = (await resolve(outputs.lb1.caCertificate)) ?? "";
        assert.match(ca, /\nmock-lb1-tls-ca\n/, "the CA certificate is exported");
        assert.ok(!ca.includes("mock-lb1-tls-cert"), "not the server certificate");
        // What real certificates do (chain, SANs, one CA per host) is shown by tests/plugins/tls and the full scenario.
    });
});

describe("what a configuration change touches", () => {
    /** The inputs that make a remote command run again, by resource name, secrets unwrapped. */
    async function commandInputs(values: Record<string, unknown>): Promise<Map<string, string>> {
        const regs = await deploy(values).since();
        return new Map(
            regs
                .filter((r) => r.type.startsWith("command:remote:"))
                .map((r) => [r.name, JSON.stringify([r.inputs.create, r.inputs.delete, unwrapSecret(r.inputs.stdin), r.inputs.triggers, r.inputs.connection])]),
        );
    }
    async function changed(a: Record<string, unknown>, b: Record<string, unknown>): Promise<string[]> {
        const [before, after] = [await commandInputs(a), await commandInputs(b)];
        assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), "the same resources exist");
        return [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
    }
    const sha = { x86_64: "c".repeat(64), arm64: "d".repeat(64) };

    it("a new version changes the binary step and the service restart, and nothing else", async () => {
        assert.deepEqual(await changed({ dataplaneapiSha256: sha }, { dataplaneapiVersion: "3.2.2", dataplaneapiSha256: { ...sha, x86_64: "e".repeat(64) } }), [
            "lb1-binary-install",
            "lb1-service-start",
        ]);
    });
    it("a new checksum for another architecture re-runs the install, but does not restart the service", async () => {
        assert.deepEqual(await changed({ dataplaneapiSha256: sha }, { dataplaneapiSha256: { ...sha, arm64: "f".repeat(64) } }), ["lb1-binary-install"]);
    });
    it("a new reload delay changes the config file and the service restart", async () => {
        assert.deepEqual(await changed({}, { haproxyReloadDelay: 3 }), ["lb1-config-yaml", "lb1-service-start"]);
    });
    it("a new password changes the stored hash, the haproxy.cfg edit's trigger and the readiness credentials, not the files or unit", async () => {
        assert.deepEqual(await changed({}, { apiPassword: "another-long-password-7" }), ["lb1-haproxy-cfg", "lb1-haproxy-credentials", "lb1-service-start"]);
    });
    it("the same configuration twice registers the same inputs", async () => {
        assert.deepEqual(await changed({}, {}), []);
    });
    it("command strings are never secret, so previews show them", async () => {
        const regs = await deploy().since();
        for (const r of regs.filter((x) => x.type === "command:remote:Command")) {
            assert.ok(!isSecret(r.inputs.create) && typeof r.inputs.create === "string", `${r.name}'s script is shown in previews`);
        }
    });
});

describe("the API's TLS, as the YAML and the restart reasons follow it", () => {
    it("off: the YAML serves plain HTTP, and no certificate is a restart reason", async () => {
        const regs = await deploy({ apiTls: false }).since();
        const yaml = String(unwrapSecret(byName(regs, "lb1-config-yaml").inputs.stdin));
        assert.match(yaml, /^ {2}scheme:\n {4}- http$/m);
        assert.doesNotMatch(yaml, /tls_certificate/);
        assert.ok(!regs.some((r) => r.name === "lb1-config-cert"), "no certificate is written");
        assert.doesNotMatch(String(byName(regs, "lb1-service-start").inputs.create), /^# certificate: /m);
    });
    it("the user's own certificate: HTTPS, restarted on a digest of that certificate", async () => {
        const certPem = "-----BEGIN CERTIFICATE-----\nuser\n-----END CERTIFICATE-----\n";
        const regs = await deploy({ apiTlsCertificate: certPem, apiTlsKey: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n" }).since();
        assert.match(String(unwrapSecret(byName(regs, "lb1-config-yaml").inputs.stdin)), /^ {2}scheme:\n {4}- https$/m);
        assert.ok(String(byName(regs, "lb1-service-start").inputs.create).includes(`\n# certificate: ${sha256Hex(certPem).slice(0, 16)}\n`));
    });
});

describe("two hosts under mocks", () => {
    it("registers an independent set per host, with its own certificate and no edge between hosts", async () => {
        const d = deploy({
            hosts: [
                { name: "lb1", address: "198.18.1.2" },
                { name: "lb2", address: "198.18.2.2", user: "deploy", arch: "arm64" },
            ],
            sshPrivateKeys: { lb2: TEST_SSH_KEY },
        });
        const regs = await d.since();
        for (const host of ["lb1", "lb2"]) {
            assert.equal(byName(regs, host).parent, "", `${host} is a top-level component`);
            assert.equal(byName(regs, `${host}-tls-cert`).parent, urnOf(regs, `${host}-tls`));
            assert.equal(regs.filter((r) => r.type === "command:remote:Command" && r.urn.includes(`::${host}-`)).length, 18);
        }
        const lb1 = new Set(regs.filter((r) => r.name.startsWith("lb1")).map((r) => r.urn));
        for (const r of regs.filter((x) => x.name.startsWith("lb2"))) {
            assert.ok(
                r.dependencies.every((dep) => !lb1.has(dep)),
                `${r.name} waits for nothing of lb1, so hosts deploy in parallel`,
            );
        }
        assert.match(byName(regs, "lb1-binary-install").inputs.create, /^bash -c /, "root needs no sudo");
        const lb2Install = byName(regs, "lb2-binary-install").inputs.create as string;
        assert.ok(lb2Install.includes("arm64) sha=") && !lb2Install.includes("x86_64) sha="), "a host with a known arch gets only its checksum");
        assert.equal(byName(regs, "lb2-config-cert").inputs.stdin !== byName(regs, "lb1-config-cert").inputs.stdin, true);
        assert.ok(Object.keys(d.outputs).sort().join() === "lb1,lb2");
    });
});

describe("a rolling change under mocks", () => {
    const hosts = [
        { name: "lb1", address: "198.18.1.2" },
        { name: "lb2", address: "198.18.2.2" },
        { name: "lb3", address: "198.18.3.2" },
    ];
    const commandsOf = (regs: Registration[], host: string) =>
        regs.filter((r) => r.type === "command:remote:Command" && r.name.startsWith(`${host}-`) && r.name !== `${host}-gate-check`);

    it("one host at a time: each host's every step waits for the gate of the host before it, and each gate for all of its host's steps", async () => {
        const regs = await deploy({ hosts, rolloutBatchSize: 1, rolloutCheckUrl: "http://{address}/" }).since();
        for (const [i, host] of ["lb1", "lb2", "lb3"].entries()) {
            const gate = byName(regs, `${host}-gate-check`);
            assert.equal(gate.parent, urnOf(regs, `${host}-gate`));
            assert.equal(gate.inputs.delete, undefined, "the gate has nothing to undo, so replacing it only runs the check again");
            const steps = commandsOf(regs, host);
            assert.equal(steps.length, 18);
            for (const s of steps) assert.ok(gate.dependencies.includes(s.urn), `${host}'s gate runs after ${s.name}`);
            assert.equal(gate.inputs.triggers.length, steps.length, "one trigger per step: any change to the host runs its gate again");
            assert.match(
                gate.inputs.create,
                new RegExp(
                    `# health gate: ${host} ${i < 2 ? `before lb${i + 2}` : "\\(last\\)"}: passes when GET https://${host}:5555/v3/health says haproxy up and http://198\\.18\\.${i + 1}\\.2/ answers 2xx for 10 s in a row\n`,
                ),
            );
            const before = i === 0 ? undefined : urnOf(regs, `lb${i}-gate-check`);
            const preflight = byName(regs, `${host}-preflight-check`);
            if (before) assert.ok(preflight.dependencies.includes(before), `${host}'s preflight waits for lb${i}'s gate`);
            for (const s of steps) {
                if (s !== preflight) assert.ok(s.dependencies.includes(preflight.urn), `${s.name} waits for the preflight, so for lb${i}'s gate too`);
                if (!before)
                    assert.ok(
                        s.dependencies.every((d) => !d.includes("-gate")),
                        `${s.name} of the first host waits for no gate`,
                    );
            }
        }
        const credentials = byName(regs, "lb2-gate-check").inputs.stdin;
        assert.ok(isSecret(credentials), "the gate's credentials are a secret");
        const credentialsStep = byName(regs, "lb1-gate-check").inputs.triggers.find((t: unknown) =>
            String(unwrapSecret(t)).startsWith("lb1-haproxy-credentials: "),
        );
        assert.ok(isSecret(credentialsStep), "the fingerprint of a step with secret stdin stays secret");
        assert.ok(!JSON.stringify(regs.map((r) => r.inputs.create)).includes(TEST_PASSWORD));
    });

    it("two at a time: the third host waits for both gates of the first batch", async () => {
        const regs = await deploy({ hosts, rolloutBatchSize: 2 }).since();
        const gates = [urnOf(regs, "lb1-gate-check"), urnOf(regs, "lb2-gate-check")];
        for (const s of commandsOf(regs, "lb2"))
            assert.ok(
                s.dependencies.every((d) => !d.includes("-gate")),
                `${s.name} is in the first batch`,
            );
        const lb3Preflight = byName(regs, "lb3-preflight-check");
        for (const g of gates) assert.ok(lb3Preflight.dependencies.includes(g), "lb3's preflight waits for both gates of the first batch");
        assert.doesNotMatch(byName(regs, "lb3-gate-check").inputs.create, /answers 2xx/, "no check URL: only /v3/health");
    });

    it("the default changes all hosts at once, with no gate", async () => {
        const regs = await deploy({ hosts }).since();
        assert.equal(regs.filter((r) => r.name.includes("-gate")).length, 0);
    });
});

describe("host names that are JavaScript object keys", () => {
    it("a host called constructor gets its own key and its own resources, and is exported", async () => {
        const d = deploy({
            hosts: [
                { name: "constructor", address: "198.18.1.2" },
                { name: "lb2", address: "198.18.2.2" },
            ],
            sshPrivateKeys: { lb2: TEST_SSH_KEY },
        });
        const regs = await d.since();
        assert.ok(
            regs.some((r) => r.name === "constructor-binary-install"),
            "its steps are registered",
        );
        assert.ok(Object.hasOwn(d.outputs, "constructor"), "it is exported under its own name");
        const conn = byName(regs, "constructor-binary-install").inputs.connection;
        assert.equal(
            typeof unwrapSecret<{ privateKey: unknown }>(conn).privateKey,
            "string",
            "its key is the shared sshPrivateKey, not Object.prototype.constructor",
        );
    });
});

describe("a local archive", () => {
    it("is uploaded first and installed from the upload", async () => {
        const d = deploy({ dataplaneapiLocalArchive: "/tmp/dataplaneapi_3.2.1_linux_x86_64.tar.gz", dataplaneapiArch: "x86_64" });
        const regs = await d.since();
        const upload = byName(regs, "lb1-binary-upload");
        assert.equal(upload.type, "command:remote:CopyToRemote");
        const install = byName(regs, "lb1-binary-install");
        assert.ok(install.dependencies.includes(upload.urn));
        assert.ok(!install.inputs.create.includes("downloading"), "nothing is downloaded");
    });
});

function isSecretStdin(r: Registration): boolean {
    return isSecret(r.inputs.stdin);
}

void pulumi;
