/**
 * The sandbox: one real host (scripts/testhost.sh) and a stack named
 * "sandbox" whose state and passphrase live in the cache, so repeated runs
 * update the same deployment. Credentials are generated once and kept in
 * files readable by root only; they are never printed.
 *
 *   up (default)  boot the host if it is not running, then `pulumi up`
 *   preview       `pulumi preview --diff`
 *   destroy       `pulumi destroy`, then power the host off and forget the stack
 *
 * LB_RELEASE picks the host's Debian release for a new sandbox: trixie
 * (Debian 13, HAProxy 3.0; the default) or bookworm (Debian 12, HAProxy 2.6).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { buildTools, CACHE, describeTools, hostDown, hostInfo, hostsConfig, hostUp, Mirror, newStack, releaseFromEnv, type TestHost } from "../tests/e2e/lab";
import { seedOperations } from "../tests/e2e/guide";

const SANDBOX = path.join(CACHE, "sandbox");
const STATE = path.join(SANDBOX, "state");
const HOST = "sandbox";
const INDEX = 9;
/** A fixed port, so that the download URL in the stack's config is the same on every run. */
const MIRROR_PORT = 18089;

function secretFile(name: string, make: () => string): string {
    const file = path.join(SANDBOX, name);
    if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
    return readFileSync(file, "utf8");
}

/**
 * The running sandbox host, or a new one. A new host has nothing deployed, so
 * a stack left from an earlier host (the machine rebooted, say) is forgotten.
 */
function sandboxHost(): TestHost {
    const wanted = releaseFromEnv();
    const running = hostInfo(HOST, INDEX);
    if (running) {
        if (wanted && running.release !== wanted) {
            throw new Error(
                `The sandbox host runs ${running.release}, not ${wanted}: run scripts/sandbox.sh destroy first, then deploy again with LB_RELEASE=${wanted}.`,
            );
        }
        return running;
    }
    if (existsSync(STATE)) {
        console.log("The sandbox host was not running: booting a new one and starting a new deployment.");
        rmSync(STATE, { recursive: true, force: true });
    }
    return hostUp(HOST, INDEX, wanted ?? "trixie");
}

function usage(host: TestHost, out: { apiUrl: string; version: string; haproxy: string }, caFile: string): string {
    const passwordFile = path.join(SANDBOX, "api-password");
    const curl = `curl --cacert ${caFile} -u "dpadmin:$(cat ${passwordFile})"`;
    return `
${out.haproxy}.
The Data Plane API ${out.version} answers at ${out.apiUrl}
  user dpadmin, password in ${passwordFile}, CA certificate in ${caFile}

  ${curl} ${out.apiUrl}/info
  ${curl} ${out.apiUrl}/health

The seed's operations, in the API's v3 form: servers sit under their backend, and every
change names the configuration version it applies to. Paste these into a shell:

${seedOperations({ apiUrl: out.apiUrl, caFile, user: "dpadmin", passwordFile })}
Log in to the host: ssh -i ${host.privateKeyFile} ${host.user}@${host.address}
Again (a no-op):    scripts/sandbox.sh
Preview, destroy:   scripts/sandbox.sh preview | scripts/sandbox.sh destroy
`;
}

async function main(action: string): Promise<void> {
    if (!["up", "preview", "destroy"].includes(action)) throw new Error(`unknown action "${action}": use up, preview or destroy`);
    mkdirSync(SANDBOX, { recursive: true, mode: 0o700 });
    process.env.PULUMI_CONFIG_PASSPHRASE = secretFile("passphrase", () => randomBytes(16).toString("hex"));
    const password = secretFile("api-password", () => randomBytes(18).toString("base64url"));
    const tools = buildTools();
    console.log(describeTools(tools));
    if (action === "destroy" && !hostInfo(HOST, INDEX)) {
        rmSync(STATE, { recursive: true, force: true });
        console.log("The sandbox host is not running; nothing to destroy.");
        return;
    }
    const host = sandboxHost();
    console.log(`sandbox host: ${host.name} at ${host.address}, Debian ${host.release}`);
    const mirror = new Mirror(tools.dpapi.mirrorDir);
    const baseUrl = await mirror.listen(host.outerAddress, MIRROR_PORT);
    const stack = await newStack("sandbox", tools, STATE, hostsConfig([host], baseUrl, tools, password));
    const print = (s: string) => process.stdout.write(s);
    try {
        if (action === "preview") {
            await stack.preview({ diff: true, onOutput: print });
        } else if (action === "destroy") {
            await stack.destroy({ onOutput: print });
            hostDown(HOST);
            rmSync(STATE, { recursive: true, force: true });
            console.log("The sandbox is gone.");
        } else {
            const result = await stack.up({ onOutput: print });
            const out = result.outputs.dataplane.value[HOST];
            const caFile = path.join(SANDBOX, "ca.pem");
            writeFileSync(caFile, out.caCertificate);
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
