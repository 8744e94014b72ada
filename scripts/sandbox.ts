/**
 * The sandbox: one real host (scripts/testhost.sh) and a stack named
 * "sandbox" whose state and passphrase live in the cache, so repeated runs
 * update the same deployment. Credentials are generated once and kept in
 * files readable by root only; they are never printed.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildTools, CACHE, hostDown, hostInfo, hostsConfig, hostUp, Mirror, newStack } from "../tests/e2e/lab";

const SANDBOX = path.join(CACHE, "sandbox");
const HOST = "sandbox";
const INDEX = 9;

function secretFile(name: string, make: () => string): string {
    const file = path.join(SANDBOX, name);
    if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
    return readFileSync(file, "utf8");
}

async function main(action: string): Promise<void> {
    mkdirSync(SANDBOX, { recursive: true, mode: 0o700 });
    process.env.PULUMI_CONFIG_PASSPHRASE = secretFile("passphrase", () => randomBytes(16).toString("hex"));
    const password = secretFile("api-password", () => randomBytes(18).toString("base64url"));
    const tools = buildTools();
    const missing = tools.failed.filter((t) => /command|tls/.test(t));
    if (missing.length > 0 || !tools.archiveSha256) {
        throw new Error([
            "The sandbox cannot deploy on this machine:",
            ...missing.map((t) => `  - the ${t} plugin could not be built: the Go module proxy refuses its module (403)`),
            ...(!tools.archiveSha256 ? ["  - the Data Plane API release archive could not be built: the proxy refuses github.com/haproxytech/dataplaneapi (403)"] : []),
            "The engine needs both providers for any preview or up of this program. See README, \"What cannot run here\".",
            "What does run here: scripts/test.sh (unit tests, the real engine on invalid config, and the program's",
            "remote commands on a real Debian 12 host).",
        ].join("\n"));
    }
    const host = hostInfo(HOST, INDEX) ?? hostUp(HOST, INDEX);
    const mirror = new Mirror(tools.mirrorDir);
    const baseUrl = await mirror.listen(host.outerAddress);
    const stack = await newStack("sandbox", tools, path.join(SANDBOX, "state"), hostsConfig([host], baseUrl, tools, password));
    const print = (s: string) => process.stdout.write(s);
    try {
        if (action === "preview") {
            await stack.preview({ diff: true, onOutput: print });
            return;
        }
        if (action === "destroy") {
            await stack.destroy({ onOutput: print });
            hostDown(HOST);
            return;
        }
        const result = await stack.up({ onOutput: print });
        const out = result.outputs.dataplane.value[HOST];
        const caFile = path.join(SANDBOX, "ca.pem");
        writeFileSync(caFile, out.caCertificate);
        const auth = `-u "dpadmin:$(cat ${path.join(SANDBOX, "api-password")})"`;
        const curl = `curl --cacert ${caFile} ${auth}`;
        const base = `${out.apiUrl}/services/haproxy`;
        print(`
The Data Plane API ${out.version} answers at ${out.apiUrl} (user dpadmin; password in ${SANDBOX}/api-password).

  ${curl} ${out.apiUrl}/info

The seed's operations, against the sandbox (API v3 nests servers under their backend, and
every change names the configuration version or a transaction):

  v=$(${curl} -s ${base}/configuration/version)
  # add a server to backend "web" without a restart
  ${curl} -X POST -H 'Content-Type: application/json' "${base}/configuration/backends/web/servers?version=$v" \\
    -d '{"name": "new-server", "address": "127.0.0.1", "port": 8082}'
  # change a server's weight
  v=$(${curl} -s ${base}/configuration/version)
  ${curl} -X PUT -H 'Content-Type: application/json' "${base}/configuration/backends/web/servers/web1?version=$v" \\
    -d '{"name": "web1", "address": "127.0.0.1", "port": 8081, "weight": 150}'
  # configure a health check on backend "web"
  v=$(${curl} -s ${base}/configuration/version)
  ${curl} -X PUT -H 'Content-Type: application/json' "${base}/configuration/backends/web?version=$v" \\
    -d '{"name": "web", "mode": "http", "balance": {"algorithm": "roundrobin"}, "adv_check": "httpchk", "httpchk_params": {"method": "GET", "uri": "/health"}}'
  # runtime view of the servers
  ${curl} ${base}/runtime/backends/web/servers

Log in to the host: ssh -i ${host.privateKeyFile} ${host.user}@${host.address}
Preview, destroy:   scripts/sandbox.sh preview | scripts/sandbox.sh destroy
`);
    } finally {
        mirror.close();
    }
}

main(process.argv[2] ?? "up").catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
