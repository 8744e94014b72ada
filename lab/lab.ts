/**
 * The end-to-end lab: real Debian hosts (lab/testhost.sh), the real
 * Data Plane API release archive served from a loopback-side mirror, and the
 * real Pulumi engine (lab/build-tools.sh) driven by the Automation API.
 * Used by the e2e tests and by the sandbox.
 */
import type { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { shq } from "../components/shared/shell";
import { choosePlugins, describeRun, type PluginChoice, pluginReportedVersion } from "./plugins";
import { openStack, stackSettingsFile } from "./workspace";

export const REPO = path.resolve(__dirname, "..");
export const CACHE = process.env.LB_CACHE_DIR ?? "/var/cache/haproxy-dpapi-lab";
export const PROJECT = "haproxy-dataplane";

/**
 * The resources in a stack's state, by URN, as the engine counts them in an
 * update's summary: the stack and every resource the program registers, not
 * the default providers. Tests compare an update's counts with these, so no
 * test holds the number of steps a host has.
 */
export async function stateUrns(stack: Stack): Promise<string[]> {
    const state = await stack.exportStack();
    return (state.deployment.resources ?? [])
        .map((r: { urn: string }) => r.urn)
        .filter((urn: string) => !urn.includes("::pulumi:providers:"))
        .sort();
}

/** The resources each operation of an update touched, by name (the URN's last part), sorted; `same` and the providers left out. */
export function stepsByOp(events: readonly EngineEvent[]): Record<string, string[]> {
    const byOp: Record<string, string[]> = {};
    for (const e of events) {
        const m = e.resOutputsEvent?.metadata;
        if (!m || m.op === "same" || m.urn.includes("::pulumi:providers:")) continue;
        byOp[m.op] ??= [];
        byOp[m.op].push(m.urn.split("::").pop() ?? "");
    }
    for (const names of Object.values(byOp)) names.sort();
    return byOp;
}

/** An update's counts by operation, without `same` and the operations that did not happen. */
export function changeCounts(counts: Record<string, number> | undefined): Record<string, number> {
    return Object.fromEntries(Object.entries(counts ?? {}).filter(([op, n]) => op !== "same" && n > 0));
}

/** The URNs of one host's resources: its component and every step named after it ("<host>-..."). */
export function hostUrns(urns: readonly string[], host: string): string[] {
    return urns.filter((urn) => {
        const name = urn.split("::").pop() ?? "";
        return name === host || name.startsWith(`${host}-`);
    });
}

/** The names of the remote commands in a stack's state: every step that runs on a host. */
export async function commandNames(stack: Stack): Promise<string[]> {
    const state = await stack.exportStack();
    return (state.deployment.resources ?? [])
        .filter((r: { type: string }) => r.type === "command:remote:Command")
        .map((r: { urn: string }) => r.urn.split("::").pop() ?? "")
        .sort();
}

export interface Tools {
    /** Directory with pulumi, pulumi-language-nodejs and the provider plugins. */
    binDir: string;
    /** The provider plugins this run loads (lab/plugins.ts). */
    plugins: PluginChoice[];
    /** The Data Plane API release archives this run serves. */
    dpapi: {
        /** The release the program installs by default. */
        version: string;
        /** Directory laid out like the release site: v<version>/<archive>. */
        mirrorDir: string;
        /** SHA-256 of its release archives, by architecture. */
        sha256: { x86_64: string; arm64: string };
        /** The release before it, in the same mirror: the one the tests upgrade from. */
        previous: { version: string; sha256: { x86_64: string } };
        /** The x86_64 binary of `version`, as its archive holds it. */
        binary: string;
    };
    /** Each real part and the version it reports of itself, for a run's output. */
    parts: { name: string; version: string }[];
}

function keyValues(out: string): Record<string, string> {
    return Object.fromEntries(
        out
            .split("\n")
            .filter((l) => /^[A-Z_0-9]+=/.test(l))
            .map((l) => {
                const i = l.indexOf("=");
                return [l.slice(0, i), l.slice(i + 1)];
            }),
    );
}

/** The version a binary prints for `args`, its first line; the reason when it prints none. */
function reported(binary: string, args: string[]): string {
    // A home of its own: the CLI writes its logs under PULUMI_HOME, which is the user's ~/.pulumi by default.
    const home = mkdtempSync(path.join(tmpdir(), "pulumi-home-"));
    const r = spawnSync(binary, args, { encoding: "utf8", timeout: 30_000, env: { ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    rmSync(home, { recursive: true, force: true });
    const line = `${r.stdout ?? ""}`.split("\n")[0].trim();
    if (r.status !== 0 || !line) throw new Error(`${binary} ${args.join(" ")} reported no version (exit ${r.status}): ${r.stderr}`);
    return line;
}

/**
 * Builds (or finds in the cache) the engine, its language host, the provider
 * plugins and the Data Plane API release archives (lab/build-tools.sh),
 * and asks each what version it is. Throws when any of them is missing.
 */
export function buildTools(): Tools {
    const r = spawnSync("bash", [path.join(REPO, "lab", "build-tools.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    const kv = keyValues(r.stdout ?? "");
    if (r.status !== 0 || !kv.PULUMI_VERSION || !kv.DPAPI_ARCHIVE_SHA256 || !kv.DPAPI_ARCHIVE_SHA256_ARM64 || !kv.DPAPI_PREVIOUS_SHA256) {
        throw new Error(
            `lab/build-tools.sh could not build every real part (not built: ${kv.BUILD_TOOLS_FAILED || "see below"}):\n${(r.stderr ?? "").split("\n").slice(-40).join("\n")}`,
        );
    }
    const binDir = kv.PULUMI_BIN_DIR;
    const plugins = choosePlugins(binDir);
    const dpapi: Tools["dpapi"] = {
        version: kv.DPAPI_VERSION,
        mirrorDir: kv.DPAPI_MIRROR_DIR,
        sha256: { x86_64: kv.DPAPI_ARCHIVE_SHA256, arm64: kv.DPAPI_ARCHIVE_SHA256_ARM64 },
        previous: { version: kv.DPAPI_PREVIOUS_VERSION, sha256: { x86_64: kv.DPAPI_PREVIOUS_SHA256 } },
        binary: kv.DPAPI_BINARY,
    };
    const parts = [
        { name: "pulumi", version: reported(path.join(binDir, "pulumi"), ["version"]) },
        { name: "pulumi-language-nodejs", version: reported(path.join(binDir, "pulumi-language-nodejs"), ["--version"]) },
        ...plugins.map((p) => ({ name: `pulumi-resource-${p.name}`, version: pluginReportedVersion(path.join(p.dir, `pulumi-resource-${p.name}`)) })),
        {
            name: "dataplaneapi",
            version: `${reported(dpapi.binary, ["--version"]).replace(/^HAProxy Data Plane API /, "")} (x86_64 and arm64 archives; ${dpapi.previous.version} to upgrade from)`,
        },
    ];
    return { binDir, plugins, dpapi, parts };
}

/** Each part of this run and the version it reports, for the run's output. */
export function describeTools(tools: Tools): string {
    return describeRun(tools.parts);
}

/**
 * The Debian releases a test host can run (lab/testhost.sh), oldest
 * first: bookworm is Debian 12 with HAProxy 2.6, trixie is Debian 13 with
 * HAProxy 3.0, on either side of the 2.7 line where the API's reloads change.
 */
export const RELEASES = ["bookworm", "trixie"] as const;
export type Release = (typeof RELEASES)[number];

/** The release LB_RELEASE names, or undefined when it is not set; anything else is an error. */
export function releaseFromEnv(): Release | undefined {
    const r = process.env.LB_RELEASE;
    if (r === undefined || r === "") return undefined;
    if (!(RELEASES as readonly string[]).includes(r)) throw new Error(`LB_RELEASE=${r} is not a release the lab has: use ${RELEASES.join(" or ")}`);
    return r as Release;
}

/**
 * The architectures a test host can have (lab/testhost.sh), as Debian
 * names them: amd64 (x86_64, this machine's) and arm64 (a Raspberry Pi's,
 * run under qemu-user emulation).
 */
export const ARCHES = ["amd64", "arm64"] as const;
export type HostArch = (typeof ARCHES)[number];

/** The name of a host architecture's release archive (dataplaneapi_<version>_linux_<name>.tar.gz, and the keys of Tools.dpapi.sha256). */
export const ARCHIVE_ARCH: Record<HostArch, keyof Tools["dpapi"]["sha256"]> = { amd64: "x86_64", arm64: "arm64" };

/** The architecture LB_ARCH names, or undefined when it is not set; anything else is an error. */
export function archFromEnv(): HostArch | undefined {
    const a = process.env.LB_ARCH;
    if (a === undefined || a === "") return undefined;
    if (!(ARCHES as readonly string[]).includes(a)) throw new Error(`LB_ARCH=${a} is not an architecture the lab has: use ${ARCHES.join(" or ")}`);
    return a as HostArch;
}

export interface TestHost {
    name: string;
    /** The Debian release it runs. */
    release: Release;
    /** Its architecture. */
    arch: HostArch;
    index: number;
    address: string;
    outerAddress: string;
    port: number;
    user: string;
    privateKeyFile: string;
    hostKey: string;
    /** known_hosts file with the host's keys. */
    knownHostsFile: string;
    /** The host's root file system, as seen from this machine. */
    root: string;
}

function testhost(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
    const r = spawnSync("bash", [path.join(REPO, "lab", "testhost.sh"), ...args], {
        encoding: "utf8",
        input,
        maxBuffer: 64 << 20,
        // An emulated host boots in up to five minutes (testhost.sh's LB_READY_TIMEOUT).
        timeout: 600_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * Boots a fresh host (its netns routes to every outer address, so one mirror
 * serves all hosts), of this machine's architecture unless `arch` says otherwise.
 */
export function hostUp(name: string, index: number, release: Release = "bookworm", arch: HostArch = "amd64"): TestHost {
    const r = testhost(["up", name, String(index), release, arch]);
    if (r.code !== 0) throw new Error(`testhost up ${name} failed (${r.code}):\n${r.stderr}`);
    const info = JSON.parse(r.stdout.trim().split("\n").pop()!);
    return { ...info, index };
}

/** Runs a shell command as root inside the host; `input` is its stdin. */
export function hostExec(name: string, command: string, input?: string): { code: number; stdout: string; stderr: string } {
    return testhost(["exec", name, "--", "bash", "-c", command], input);
}

/** Like hostExec, but throws unless the command succeeds. */
export function hostRun(name: string, command: string): string {
    const r = hostExec(name, command);
    if (r.code !== 0) throw new Error(`on ${name}: ${command}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** The running host's JSON line (as `up` printed it), or undefined when it is not running. */
export function hostInfo(name: string, index: number): TestHost | undefined {
    const r = testhost(["info", name]);
    return r.code === 0 ? { ...JSON.parse(r.stdout.trim()), index } : undefined;
}

/** Sends one command to HAProxy's admin socket as user haproxy, the way the API connects. */
export function haproxyAdmin(name: string, command: string): string {
    return hostRun(name, `echo '${command}' | su -s /bin/sh haproxy -c 'socat stdio unix-connect:/run/haproxy/admin.sock'`);
}

/**
 * The [Service] settings of an installed unit that make up its sandbox (user,
 * group and hardening), as `systemd-run -p` arguments: every setting but the
 * ones that say what to start and when to restart it.
 */
export function unitSandboxProperties(name: string, unitPath: string): string[] {
    const unit = hostRun(name, `cat ${unitPath}`);
    const service = unit.slice(unit.indexOf("[Service]"));
    return service
        .slice(0, service.indexOf("\n["))
        .split("\n")
        .slice(1)
        .filter((l) => /^[A-Z]\w+=/.test(l) && !/^(ExecStart|ExecStartPre|ExecStartPost|ExecReload|ExecStop|Type|Restart|RestartSec)=/.test(l))
        .flatMap((l) => ["-p", l]);
}

/**
 * Runs a POSIX sh script in a transient unit with `properties` (see
 * unitSandboxProperties): as the unit's user, inside the unit's sandbox.
 * Its exit status is the script's.
 */
export function inSandbox(name: string, properties: string[], script: string): { code: number; stdout: string; stderr: string } {
    return hostExec(name, `systemd-run --quiet --wait --pipe --collect ${properties.map(shq).join(" ")} /bin/sh -c ${shq(script)}`);
}

/** One server as the running HAProxy has it (`show servers state`). */
export interface LiveServer {
    /** srv_op_state: 0 stopped, 1 starting, 2 running (UP), 3 stopping. */
    opState: number;
    /** srv_admin_state: bit 0x1 is forced maintenance, where HAProxy starts a server added at run time. */
    adminState: number;
    weight: number;
}

/** The servers of one backend of the running HAProxy, by name, read through the admin socket as user haproxy. */
export function haproxyServers(name: string, backend: string): Map<string, LiveServer> {
    return new Map(
        haproxyAdmin(name, `show servers state ${backend}`)
            .split("\n")
            .map((l) => l.split(" "))
            .filter((r) => r.length > 7 && r[1] === backend)
            .map((r) => [r[3], { opState: Number(r[5]), adminState: Number(r[6]), weight: Number(r[7]) }]),
    );
}

/**
 * Every path under `roots` (each root included, `find -xdev`), as path ->
 * "owner:group mode type what": for a regular file `what` is its SHA-256, for
 * a symbolic link its target, otherwise "-". A root that does not exist is
 * listed as "absent", so a root that appears later shows up as a difference.
 * systemd's per-service private /tmp directories are left out: they come and
 * go with whatever service runs.
 */
export function hostListing(name: string, roots: readonly string[]): Map<string, string> {
    const script = `for r in ${roots.map(shq).join(" ")}; do
  if [ ! -e "$r" ] && [ ! -L "$r" ]; then printf '%s\\tabsent\\n' "$r"; continue; fi
  find "$r" -xdev -path '/tmp/systemd-private-*' -prune -o -printf '%y %u:%g %m %p\\n' |
    while read -r type owner mode p; do
      case $type in
        f) what=$(sha256sum < "$p" | cut -d' ' -f1) ;;
        l) what=$(readlink "$p") ;;
        *) what=- ;;
      esac
      printf '%s\\t%s %s %s %s\\n' "$p" "$owner" "$mode" "$type" "$what"
    done
done`;
    return new Map(
        hostRun(name, script)
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split("\t") as [string, string]),
    );
}

/** The entries of two listings (see hostListing) that differ, as "path: before -> after" lines, sorted. */
export function listingChanges(before: Map<string, string>, after: Map<string, string>): string[] {
    const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
    return paths.filter((p) => before.get(p) !== after.get(p)).map((p) => `${p}: ${before.get(p) ?? "(none)"} -> ${after.get(p) ?? "(none)"}`);
}

/** PID of HAProxy's master process: unchanged across reloads, new after a restart. */
export function haproxyMasterPid(name: string): string {
    return hostRun(name, "systemctl show -p MainPID --value haproxy.service").trim();
}

/** HAProxy's master as "PID start-time": the same value before and after a step means HAProxy was not restarted (a new PID could reuse an old number; the start time cannot). */
export function haproxyMasterIdentity(name: string): string {
    return hostRun(name, `ps -o pid=,lstart= -p "$(systemctl show -p MainPID --value haproxy.service)"`).trim();
}

/** HAProxy's reload counters as its master keeps them: reloads since it started, and failed ones since the last success. */
export interface MasterReloads {
    reloads: number;
    failed: number;
}

/** The master's reload counters, from `show proc` on HAProxy's stock master socket (root's alone, read as root). */
export function haproxyMasterReloads(name: string): MasterReloads {
    const out = hostRun(name, "echo 'show proc' | socat stdio unix-connect:/run/haproxy-master.sock");
    const m = /^\d+\s+master\s+(\d+)\s+\[failed: (\d+)\]/m.exec(out);
    if (!m) throw new Error(`no reload counters for the master in show proc on ${name}:\n${out}`);
    return { reloads: Number(m[1]), failed: Number(m[2]) };
}

/**
 * SSH sessions the host's sshd accepted so far. journald is synced first: a
 * line it has not written yet would otherwise count in the next step. Lines
 * are picked by sshd's identifier, not by unit: journald can lose the unit of
 * a line whose sender has already exited.
 */
export function sshLogins(name: string): number {
    return Number(
        hostRun(
            name,
            "journalctl --sync 2>/dev/null || true; journalctl -t sshd -t sshd-session -t sshd-auth --no-pager -o cat | grep -c 'Accepted publickey' || true",
        ).trim(),
    );
}

export function hostReboot(name: string): void {
    const r = testhost(["reboot", name]);
    if (r.code !== 0) throw new Error(`testhost reboot ${name} failed:\n${r.stderr}`);
}

export function hostDown(name: string): void {
    testhost(["down", name]);
}

/**
 * A static file server for the release archives, listening only on the outer
 * ends of the hosts' veth links (never on a public interface).
 */
export class Mirror {
    private servers: http.Server[] = [];
    public readonly requests: string[] = [];
    constructor(private readonly root: string) {}

    async listen(address: string, port = 0): Promise<string> {
        const server = http.createServer((req, res) => {
            this.requests.push(req.url ?? "");
            const file = path.join(this.root, path.normalize(decodeURIComponent(req.url ?? "/")).replace(/^(\.\.[/\\])+/, ""));
            if (!file.startsWith(this.root) || !existsSync(file) || !statSync(file).isFile()) {
                res.writeHead(404).end("not found\n");
                return;
            }
            res.writeHead(200, { "content-length": statSync(file).size });
            createReadStream(file).pipe(res);
        });
        await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, address, resolve));
        this.servers.push(server);
        return `http://${address}:${(server.address() as AddressInfo).port}`;
    }

    close(): void {
        for (const s of this.servers) s.close();
    }
}

export interface ConfigValue {
    /** A plain value (string, number, list or map) as the stack file holds it; a secret is a string or a map of strings. */
    value: string | number | boolean | object;
    secret?: boolean;
}

/**
 * Sets stack config. Plain values are written into the workspace's stack file
 * with their types (lists and maps stay structured); secrets go through
 * `pulumi config set --secret` with the value on stdin, never on a command
 * line, where `ps` and a failed command's error message would show it.
 */
export async function setConfig(stack: Stack, config: Record<string, ConfigValue>): Promise<void> {
    const ws = stack.workspace as LocalWorkspace;
    const file = stackSettingsFile(ws.workDir, stack.name);
    const doc = existsSync(file) ? (parseYaml(readFileSync(file, "utf8")) ?? {}) : {};
    doc.config ??= {};
    for (const [key, v] of Object.entries(config)) {
        if (!v.secret) doc.config[`${PROJECT}:${key}`] = v.value;
        else delete doc.config[`${PROJECT}:${key}`];
    }
    writeFileSync(file, stringifyYaml(doc));
    const env = { ...process.env, ...ws.envVars };
    const pulumi = ws.pulumiCommand.command;
    for (const [key, v] of Object.entries(config).filter(([, v]) => v.secret)) {
        const leaves: [string, string][] =
            typeof v.value === "string"
                ? [[`${PROJECT}:${key}`, v.value]]
                : Object.entries(v.value as Record<string, string>).map(([k, leaf]) => [`${PROJECT}:${key}["${k}"]`, leaf]);
        for (const [target, value] of leaves) {
            const args = ["config", "set", "--secret", "--stack", stack.name, "--non-interactive", ...(typeof v.value === "string" ? [] : ["--path"]), target];
            const r = spawnSync(pulumi, args, { cwd: ws.workDir, env, input: value, encoding: "utf8" });
            // The value is not in args, so the message cannot show it.
            if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed: ${r.stderr}`);
        }
    }
}

/**
 * A stack of this project on a local file backend with a passphrase secrets
 * provider, in a workspace of its own under stateDir (lab/workspace.ts).
 * Its settings file is in stackConfigDir when one is given (the sandbox keeps
 * Pulumi.sandbox.yaml beside Pulumi.prod.yaml), in the workspace otherwise;
 * nothing reaches the user's Pulumi home.
 */
export async function newStack(
    stackName: string,
    tools: Tools,
    stateDir: string,
    config: Record<string, ConfigValue>,
    stackConfigDir?: string,
): Promise<Stack> {
    const stack = await openStack({ programDir: REPO, stackName, stateDir, engineBinDir: tools.binDir, plugins: tools.plugins, stackConfigDir });
    await setConfig(stack, config);
    return stack;
}

/** Config for a stack whose hosts are test hosts. */
export function hostsConfig(hosts: TestHost[], baseUrl: string, tools: Tools, password: string): Record<string, ConfigValue> {
    const keys: Record<string, string> = {};
    for (const h of hosts) keys[h.name] = readFileSync(h.privateKeyFile, "utf8");
    return {
        hosts: { value: hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey })) },
        sshPrivateKeys: { value: keys, secret: true },
        apiUsername: { value: "dpadmin", secret: true },
        apiPassword: { value: password, secret: true },
        dataplaneapiBaseUrl: { value: baseUrl },
        // The test mirror serves plain http on the hosts' veth links.
        dataplaneapiAllowHttp: { value: true },
        // Both architectures, so each host detects its own.
        dataplaneapiSha256: { value: tools.dpapi.sha256 },
    };
}

export interface ApiResponse {
    status: number;
    body: any;
    headers: http.IncomingHttpHeaders;
}

/** A file sent as multipart/form-data, as `curl -F field=@filename` sends it. */
export interface FormFile {
    field: string;
    filename: string;
    content: string;
}

/**
 * One HTTPS request to a host's API, verified against the stack's CA. `body`
 * goes as JSON, `text` as text/plain, `form` as multipart/form-data.
 */
export function api(
    url: string,
    ca: string,
    opts: { method?: string; auth?: string; body?: unknown; text?: string; form?: FormFile } = {},
): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
        const u = new URL(url);
        const boundary = `----dpapi-lab-${Date.now().toString(16)}`;
        const data = opts.form
            ? `--${boundary}\r\nContent-Disposition: form-data; name="${opts.form.field}"; filename="${opts.form.filename}"\r\n` +
              `Content-Type: application/octet-stream\r\n\r\n${opts.form.content}\r\n--${boundary}--\r\n`
            : (opts.text ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)));
        const type = opts.form ? `multipart/form-data; boundary=${boundary}` : opts.text !== undefined ? "text/plain" : "application/json";
        const req = https.request(
            {
                host: u.hostname,
                port: u.port,
                path: u.pathname + u.search,
                method: opts.method ?? "GET",
                ca,
                // A connection of its own, closed after the answer, as curl makes one: Node's
                // default agent would keep it open and reuse it, and a request sent on a kept
                // connection just as the API closes it as idle fails with "socket hang up".
                agent: false,
                headers: {
                    ...(opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString("base64")}` } : {}),
                    ...(data !== undefined ? { "content-type": type, "content-length": Buffer.byteLength(data) } : {}),
                },
                timeout: 15_000,
            },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (c) => (text += c));
                res.on("end", () => {
                    let body: any = text;
                    if (/json/.test(res.headers["content-type"] ?? "")) {
                        try {
                            body = JSON.parse(text);
                        } catch {
                            /* not JSON after all */
                        }
                    }
                    resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
        req.on("error", reject);
        if (data) req.write(data);
        req.end();
    });
}

/** What GET /v3/services/haproxy/reloads/<id> answers. */
export interface ReloadOutcome {
    id: string;
    status: string;
    response?: string;
}

/** Waits for one of the API's reloads to end (succeeded or failed), and gives what the API says of it. */
export async function reloadOutcome(apiUrl: string, ca: string, auth: string, id: string, seconds = 60): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome | undefined;
    await eventually(
        `reload ${id} to end`,
        async () => {
            outcome = (await api(`${apiUrl}/services/haproxy/reloads/${id}`, ca, { auth })).body;
            return outcome?.status === "succeeded" || outcome?.status === "failed";
        },
        seconds,
    );
    return outcome!;
}

/** Plain HTTP GET, for the application frontend HAProxy served before the deployment. */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        http.get(url, { timeout: 10_000 }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject);
    });
}

/** Polls until `check` returns true or the time is up. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, seconds = 60): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            if (await check()) return;
        } catch (e) {
            last = e;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`timed out after ${seconds} s waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** Records how long each step took, printed at the end of a run. */
export class Timings {
    private readonly rows: [string, number][] = [];
    async time<T>(label: string, fn: () => Promise<T>): Promise<T> {
        const start = Date.now();
        try {
            return await fn();
        } finally {
            this.rows.push([label, (Date.now() - start) / 1000]);
        }
    }
    report(): string {
        return this.rows.map(([l, s]) => `${s.toFixed(1).padStart(7)} s  ${l}`).join("\n");
    }
}

/**
 * The order in which the engine began (pre) and finished (done) each command
 * it ran on the hosts, as "pre <name>" and "done <name>". Components are left
 * out (the program registers them all at once, before any command runs), and
 * so are `same` steps, which run nothing.
 */
export function commandEventOrder(events: EngineEvent[]): string[] {
    const order: string[] = [];
    for (const e of events) {
        for (const [kind, m] of [
            ["pre", e.resourcePreEvent?.metadata],
            ["done", e.resOutputsEvent?.metadata],
        ] as const) {
            if (m?.type === "command:remote:Command" && m.op !== "same") order.push(`${kind} ${m.urn.split("::").pop()}`);
        }
    }
    return order;
}
