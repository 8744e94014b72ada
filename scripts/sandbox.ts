/**
 * The sandbox: one real host (lab/testhost.sh) and the stack "sandbox",
 * the same stack scripts/pulumi drives (lab/sandboxStack.ts says where it
 * lives). Repeated runs update the same deployment. What the sandbox owns in
 * Pulumi.sandbox.yaml (the host, the download mirror and the checksums of
 * the archives set-up built) is set on every run; everything else (the host's SSH
 * key included) only when the stack does not have it yet, so a setting or a
 * password changed with `scripts/pulumi config set` survives the next run. Secrets are
 * never printed; the API's password is put in a file readable by root only.
 *
 *   up (default)  boot the host if it is not running, then `pulumi up`
 *   preview       `pulumi preview --diff`
 *   destroy       `pulumi destroy`, then power the host off and forget the stack
 *
 * LB_RELEASE picks the host's Debian release for a new sandbox: trixie
 * (Debian 13, HAProxy 3.0; the default) or bookworm (Debian 12, HAProxy 2.6).
 * LB_ARCH=arm64 makes it an arm64 host, a Raspberry Pi's, run under qemu-user
 * emulation; Debian 12 unless LB_RELEASE says otherwise (Raspberry Pi OS is
 * Debian 12 based).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import {
    archFromEnv,
    buildTools,
    type ConfigValue,
    describeTools,
    hostDown,
    hostInfo,
    hostsConfig,
    hostUp,
    Mirror,
    newStack,
    PROJECT,
    releaseFromEnv,
    type TestHost,
} from "../lab/lab";
import { onlyHost } from "../lab/hosts";
import { seedOperations } from "../lab/guide";
import { HOST, INDEX, MIRROR_PORT, PASSPHRASE_FILE, SANDBOX, STACK, STACK_CONFIG_DIR, STATE, saveCliSettings } from "../lab/sandboxStack";

const STACK_FILE = path.join(STACK_CONFIG_DIR, `Pulumi.${STACK}.yaml`);
const USER_FILE = path.join(SANDBOX, "api-user");
const PASSWORD_FILE = path.join(SANDBOX, "api-password");

/**
 * The running sandbox host, or a new one. A new host has nothing deployed, so
 * a stack left from an earlier host (the machine rebooted, say) is forgotten.
 */
function sandboxHost(): TestHost {
    const wanted = releaseFromEnv();
    const wantedArch = archFromEnv();
    const running = hostInfo(HOST, INDEX);
    if (running) {
        if (wanted && running.release !== wanted) {
            throw new Error(
                `The sandbox host runs ${running.release}, not ${wanted}: run scripts/sandbox.sh destroy first, then deploy again with LB_RELEASE=${wanted}.`,
            );
        }
        if (wantedArch && running.arch !== wantedArch) {
            throw new Error(
                `The sandbox host is ${running.arch}, not ${wantedArch}: run scripts/sandbox.sh destroy first, then deploy again with LB_ARCH=${wantedArch}.`,
            );
        }
        return running;
    }
    if (existsSync(STATE)) {
        console.log("The sandbox host was not running: booting a new one and starting a new deployment.");
        forgetStack();
    }
    const arch = wantedArch ?? "amd64";
    return hostUp(HOST, INDEX, wanted ?? (arch === "arm64" ? "bookworm" : onlyHost("sandbox").release), arch);
}

/** Forgets the stack: its state, and its settings file (whose secrets are encrypted with the state's salt). */
function forgetStack(): void {
    rmSync(STATE, { recursive: true, force: true });
    rmSync(STACK_FILE, { force: true });
}

/**
 * The settings the sandbox owns, and the others a production stack holds
 * (Pulumi.prod.yaml; one host, so one sshPrivateKey) where the stack does
 * not have them yet. Secrets are set only when missing: setting one again
 * would re-encrypt it, and rewrite the file with nothing changed.
 */
function sandboxConfig(host: TestHost, baseUrl: string, tools: ReturnType<typeof buildTools>): Record<string, ConfigValue> {
    const have = existsSync(STACK_FILE) ? (parseYaml(readFileSync(STACK_FILE, "utf8"))?.config ?? {}) : {};
    const { sshPrivateKeys, apiUsername, apiPassword, ...owned } = hostsConfig([host], baseUrl, tools, "");
    const unlessSet: Record<string, ConfigValue> = {
        // The host's key lasts as long as the host; a new host starts a new stack (forgetStack).
        sshPrivateKey: { value: readFileSync(host.privateKeyFile, "utf8"), secret: true },
        apiUsername: { value: "dpadmin", secret: true },
        apiPassword: { value: randomBytes(18).toString("base64url"), secret: true },
        dataplaneapiVersion: { value: "3.2.1" },
        apiPort: { value: 5555 },
    };
    return {
        ...owned,
        ...Object.fromEntries(Object.entries(unlessSet).filter(([key]) => !(`${PROJECT}:${key}` in have))),
    };
}

function usage(host: TestHost, out: { apiUrl: string; version: string; haproxy: string }, caFile: string): string {
    // The user name is a secret setting too: the calls read both from their files.
    const user = `$(cat ${USER_FILE})`;
    const curl = `curl --cacert ${caFile} -u "${user}:$(cat ${PASSWORD_FILE})"`;
    return `
${out.haproxy}.
The Data Plane API ${out.version} answers at ${out.apiUrl}
  user in ${USER_FILE}, password in ${PASSWORD_FILE}, CA certificate in ${caFile}

  ${curl} ${out.apiUrl}/info
  ${curl} ${out.apiUrl}/health

The seed's operations, in the API's v3 form: servers sit under their backend, and every
change names the configuration version it applies to. Paste these into a shell:

${seedOperations({ apiUrl: out.apiUrl, caFile, user, passwordFile: PASSWORD_FILE })}
Log in to the host: ssh -i ${host.privateKeyFile} ${host.user}@${host.address}
Again (a no-op):    scripts/sandbox.sh
The stack, with the pulumi CLI:
  scripts/pulumi config set haproxyReloadDelay 3
  scripts/pulumi preview --diff
  scripts/pulumi up
  scripts/pulumi stack output dataplane --json
Preview, destroy:   scripts/sandbox.sh preview | scripts/sandbox.sh destroy
`;
}

async function main(action: string): Promise<void> {
    if (!["up", "preview", "destroy"].includes(action)) throw new Error(`unknown action "${action}": use up, preview or destroy`);
    mkdirSync(SANDBOX, { recursive: true, mode: 0o700 });
    if (!existsSync(PASSPHRASE_FILE)) writeFileSync(PASSPHRASE_FILE, randomBytes(16).toString("hex"), { mode: 0o600 });
    process.env.PULUMI_CONFIG_PASSPHRASE = readFileSync(PASSPHRASE_FILE, "utf8");
    const tools = buildTools();
    console.log(describeTools(tools));
    if (action === "destroy" && !hostInfo(HOST, INDEX)) {
        forgetStack();
        console.log("The sandbox host is not running; nothing to destroy.");
        return;
    }
    const host = sandboxHost();
    console.log(`sandbox host: ${host.name} at ${host.address}, Debian ${host.release}, ${host.arch}`);
    const mirror = new Mirror(tools.dpapi.mirrorDir);
    const baseUrl = await mirror.listen(host.outerAddress, MIRROR_PORT);
    const stack = await newStack(STACK, tools, STATE, sandboxConfig(host, baseUrl, tools), STACK_CONFIG_DIR);
    saveCliSettings({ binDir: tools.binDir, mirrorDir: tools.dpapi.mirrorDir, workDir: stack.workspace.workDir });
    const print = (s: string) => process.stdout.write(s);
    try {
        if (action === "preview") {
            await stack.preview({ diff: true, onOutput: print });
        } else if (action === "destroy") {
            await stack.destroy({ onOutput: print });
            hostDown(HOST);
            forgetStack();
            console.log("The sandbox is gone.");
        } else {
            const result = await stack.up({ onOutput: print });
            const out = result.outputs.dataplane.value[HOST];
            const caFile = path.join(SANDBOX, "ca.pem");
            writeFileSync(caFile, out.caCertificate);
            // The credentials as the stack has them now (a rotation with `config set --secret` included), for the printed calls.
            writeFileSync(USER_FILE, (await stack.getConfig(`${PROJECT}:apiUsername`)).value, { mode: 0o600 });
            writeFileSync(PASSWORD_FILE, (await stack.getConfig(`${PROJECT}:apiPassword`)).value, { mode: 0o600 });
            print(usage(host, out, caFile));
        }
    } finally {
        mirror.close();
    }
}

main(process.argv[2] ?? "up").catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
