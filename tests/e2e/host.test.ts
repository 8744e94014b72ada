/**
 * The program's remote commands, run on a real host.
 *
 * This suite takes the exact command strings and stdin the program registers
 * (under Pulumi's mocks) and runs them one by one, the way the command
 * provider does: over real SSH as a non-root user, through `sudo -n`, on a
 * host of each Debian release the lab has (12 with HAProxy 2.6, 13 with
 * HAProxy 3.0). It reaches states the engine does not stop at (between two
 * steps) and failure paths; the deployment through the engine is
 * tests/e2e-full/scenario.test.ts.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_DIRECTORIES, parseConfig } from "../../components/config";
import { preflightScript } from "../../components/preflight/scripts";
import { deployStack } from "../../components/program";
import { asRoot } from "../../components/shared/shell";
import { installMocks, mockHaproxyBanners, rawConfig, type Registration, registrations, resolve, unwrapSecret } from "../support/harness";
import {
    eventually,
    haproxyAdmin,
    haproxyMasterIdentity,
    haproxyMasterPid,
    haproxyMasterReloads,
    hostDown,
    hostExec,
    hostReboot,
    hostRun,
    hostUp,
    httpGet,
    inSandbox,
    Mirror,
    RELEASES,
    type Release,
    type TestHost,
    Timings,
    unitSandboxProperties,
} from "../../lab/lab";
import { indexByRelease } from "../../lab/hosts";

/** What differs by release: the host index and the HAProxy version the preflight must read. The reload path is the same on both. */
const RELEASE: Record<Release, { index: number; haproxy: RegExp }> = {
    bookworm: { index: indexByRelease("hostCommands").bookworm, haproxy: /^2\.6\.\d+$/ },
    trixie: { index: indexByRelease("hostCommands").trixie, haproxy: /^3\.0\.\d+$/ },
};

/** The API's reload_cmd, as the API runs it (as user haproxy, split on spaces, no shell). */
const API_RELOAD = "/usr/local/lib/haproxy-dataplane/request-reload";
/** The root helper that the program's own edit and the reload service run. */
const ROOT_RELOAD = "/usr/local/lib/haproxy-dataplane/reload-haproxy";

const run = randomBytes(3).toString("hex");
const password = `pw-${randomBytes(12).toString("hex")}`;
let host: TestHost;
let knownHosts: string;
let commands: Map<string, Registration>;
let originalCfg: string;
let mirror: Mirror | undefined;

/** ssh arguments that run `command` on the host as the SSH user, checking its pinned host key. */
function sshArgs(command: string): string[] {
    return [
        "-i",
        host.privateKeyFile,
        "-o",
        `UserKnownHostsFile=${knownHosts}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-p",
        String(host.port),
        `${host.user}@${host.address}`,
        command,
    ];
}

/** Runs one registered command's create (or delete) over SSH as the provider does. */
function runCommand(name: string, which: "create" | "delete" = "create"): { code: number; stdout: string; stderr: string } {
    const r = commands.get(`${host.name}-${name}`);
    assert.ok(r, `command ${name} is registered`);
    const cmd = r.inputs[which] as string;
    assert.ok(cmd, `${name} has a ${which} command`);
    const res = spawnSync("ssh", sshArgs(cmd), {
        input: which === "create" ? (unwrapSecret<string | undefined>(r.inputs.stdin) ?? "") : "",
        encoding: "utf8",
        timeout: 120_000,
    });
    return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}
function mustRun(name: string, which: "create" | "delete" = "create"): string {
    const r = runCommand(name, which);
    assert.equal(r.code, 0, `${name} ${which} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

const adminSocket = (cmd: string) => haproxyAdmin(host.name, cmd);
const masterPid = () => haproxyMasterPid(host.name);
const workerPids = () => hostRun(host.name, `pgrep -P ${masterPid()} haproxy || true`).trim();
const statOf = (p: string) => hostRun(host.name, `stat -c '%U:%G %a' ${p}`).trim();
/** The master's reload count, from `show proc` on the stock master socket (as root). */
const reloadCount = () => haproxyMasterReloads(host.name).reloads;
const masterIdentity = () => haproxyMasterIdentity(host.name);

for (const release of RELEASES) describe(`the program's remote commands on a real ${release} host`, () => hostSuite(release));

function hostSuite(release: Release): void {
    const timings = new Timings();
    /** HAProxy's master as the host booted it, before any step. */
    let bootMaster = "";
    before(async () => {
        host = await timings.time(`boot the ${release} host`, async () => hostUp(`hs-${release}-${run}`, RELEASE[release].index, release));
        knownHosts = path.join(mkdtempSync(path.join(tmpdir(), "kh-")), "known_hosts");
        writeFileSync(knownHosts, `${host.address} ${host.hostKey}\n`);
        originalCfg = hostRun(host.name, "cat /etc/haproxy/haproxy.cfg");
        bootMaster = masterIdentity();
        // The registered commands are what the engine would send to a host whose preflight printed this.
        mockHaproxyBanners.set(host.name, hostRun(host.name, "haproxy -v | head -n 1").trim());
        installMocks({ realTls: true });
        const start = registrations.length;
        const outputs = deployStack(
            parseConfig(
                rawConfig({
                    hosts: [{ name: host.name, address: host.address, user: host.user, hostKey: host.hostKey }],
                    sshPrivateKey: readFileSync(host.privateKeyFile, "utf8"),
                    apiPassword: password,
                    // One directory the host already has: destroy must give it back as it was.
                    directories: [...DEFAULT_DIRECTORIES, "/srv/existing"],
                    adoptDirectories: ["/srv/existing"],
                    allowPathsUnder: ["/srv/existing"],
                }),
            ),
        );
        await resolve(outputs[host.name].version);
        await new Promise((r) => setTimeout(r, 200));
        commands = new Map(
            registrations
                .slice(start)
                .filter((r) => r.type === "command:remote:Command")
                .map((r) => [r.name, r]),
        );
    });

    after(() => {
        mirror?.close();
        mirror = undefined;
        if (host) hostDown(host.name);
        console.log(`durations (${release}):\n${timings.report()}`);
    });

    it("the preflight refuses a section the user already has under a managed name, before anything changes", () => {
        hostRun(
            host.name,
            "cp -p /etc/haproxy/haproxy.cfg /root/keep.cfg && printf '\\nuserlist controller\\n    user ops insecure-password x\\n' >> /etc/haproxy/haproxy.cfg",
        );
        const refused = runCommand("preflight-check");
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, /already has a section 'userlist controller', which this program would replace; nothing was changed/);
        assert.match(refused.stderr, /set haproxyAdoptSections to true/);
        assert.notEqual(hostExec(host.name, "test -e /var/lib/haproxy-dataplane-deploy").code, 0, "the preflight wrote nothing");
        hostRun(host.name, "cp -p /root/keep.cfg /etc/haproxy/haproxy.cfg && rm /root/keep.cfg");
        const version = /^haproxy_version=(.*)$/m.exec(mustRun("preflight-check"))?.[1] ?? "";
        assert.match(version, RELEASE[release].haproxy, `the preflight reads ${release}'s HAProxy`);
    });

    it("the preflight refuses a haproxy.cfg with no global or no defaults section (not HAProxy's main file), before anything changes", () => {
        hostRun(host.name, "cp -p /etc/haproxy/haproxy.cfg /root/keep.cfg");
        try {
            for (const section of ["global", "defaults"]) {
                // The file without that section still passes haproxy -c: only the section check can refuse it.
                hostRun(
                    host.name,
                    `awk '/^${section}/ { skip = 1; next } skip && /^[^ \t#]/ { skip = 0 } !skip' /root/keep.cfg > /etc/haproxy/haproxy.cfg && haproxy -c -q -f /etc/haproxy/haproxy.cfg`,
                );
                const refused = runCommand("preflight-check");
                assert.notEqual(refused.code, 0);
                assert.match(
                    refused.stderr,
                    new RegExp(
                        `haproxyConfigFile: /etc/haproxy/haproxy\\.cfg has no '${section}' section: it is not HAProxy's main configuration; nothing was changed, and its content is not shown`,
                    ),
                );
            }
        } finally {
            hostRun(host.name, "cp -p /root/keep.cfg /etc/haproxy/haproxy.cfg && rm /root/keep.cfg");
        }
        assert.notEqual(hostExec(host.name, "test -e /var/lib/haproxy-dataplane-deploy").code, 0, "the preflight wrote nothing");
    });

    it("the preflight refuses a directory that exists and is not haproxy's unless adoptDirectories names it, before anything changes", () => {
        const preflight = (adopt: string[]) =>
            hostExec(
                host.name,
                asRoot(
                    preflightScript({
                        configFile: "/etc/haproxy/haproxy.cfg",
                        ownedSections: [],
                        adoptSections: false,
                        directories: ["/etc/haproxy-dataplane", "/srv/theirs"],
                        adoptDirectories: adopt,
                        sockets: { haproxyAdminSocket: "/run/haproxy/admin.sock", haproxyMasterSocket: "/run/haproxy-master.sock" },
                    }),
                    false,
                ),
            );
        hostRun(host.name, "install -d -o root -g root -m 0700 /srv/theirs");
        try {
            const refused = preflight([]);
            assert.notEqual(refused.code, 0);
            assert.match(refused.stderr, /^\/srv\/theirs already exists and belongs to root:root 700, not to haproxy; nothing was changed\.$/m);
            assert.match(refused.stderr, /add \/srv\/theirs to adoptDirectories to hand it over/);
            assert.equal(hostRun(host.name, "stat -c '%U:%G %a' /srv/theirs").trim(), "root:root 700", "untouched");
            const adopted = preflight(["/srv/theirs"]);
            assert.equal(adopted.code, 0, adopted.stderr);
            assert.match(adopted.stdout, /\/srv\/theirs \(root:root 700\) will be handed to haproxy:haproxy \(adoptDirectories names it\)/);
            hostRun(host.name, "rmdir /srv/theirs && touch /srv/theirs");
            assert.match(preflight(["/srv/theirs"]).stderr, /\/srv\/theirs exists and is not a directory; nothing was changed/);
        } finally {
            hostRun(host.name, "rm -rf /srv/theirs");
        }
        assert.notEqual(hostExec(host.name, "test -e /var/lib/haproxy-dataplane-deploy").code, 0, "the preflight wrote nothing");
    });

    it("the binary install refuses an archive whose SHA-256 does not match, and installs nothing", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "mirror-"));
        mkdirSync(path.join(dir, "v3.2.1"));
        writeFileSync(path.join(dir, "v3.2.1", "dataplaneapi_3.2.1_linux_x86_64.tar.gz"), "not the release archive");
        mirror = new Mirror(dir);
        const baseUrl = await mirror.listen(host.outerAddress);
        const cmd = (commands.get(`${host.name}-binary-install`)!.inputs.create as string).replaceAll(
            "https://github.com/haproxytech/dataplaneapi/releases/download",
            baseUrl,
        );
        // Asynchronous: the mirror answering the host lives in this process.
        const res = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
            const p = spawn("ssh", sshArgs(cmd), { stdio: ["ignore", "ignore", "pipe"] });
            let stderr = "";
            p.stderr.on("data", (c) => (stderr += c));
            p.on("close", (status) => resolve({ status, stderr }));
        });
        assert.notEqual(res.status, 0);
        assert.match(res.stderr, /checksum mismatch for dataplaneapi_3\.2\.1_linux_x86_64\.tar\.gz: expected a{64}, got [0-9a-f]{64}; nothing was installed/);
        assert.deepEqual(mirror.requests, ["/v3.2.1/dataplaneapi_3.2.1_linux_x86_64.tar.gz"], "the host detected x86_64 and asked for that archive");
        assert.notEqual(hostExec(host.name, "test -e /usr/local/bin/dataplaneapi").code, 0);
    });

    it("creates the API's directories owned by haproxy and opens /etc/haproxy to the group", () => {
        hostRun(host.name, "install -d -o root -g root -m 0750 /srv/existing && touch /srv/existing/data");
        mustRun("dirs-create");
        assert.equal(statOf("/srv/existing"), "haproxy:haproxy 750", "the API can write there while deployed");
        for (const d of ["/etc/haproxy-dataplane", "/etc/haproxy/maps", "/etc/haproxy/transactions", "/etc/haproxy/backups", "/tmp/spoe-haproxy"]) {
            assert.equal(statOf(d), "haproxy:haproxy 750", d);
        }
        assert.equal(statOf("/etc/haproxy"), "root:haproxy 770", "group-writable for the API, closed to others: haproxy.cfg holds the password hashes");
        assert.match(hostRun(host.name, "cat /etc/tmpfiles.d/haproxy-dataplaneapi.conf"), /^d \/tmp\/spoe-haproxy 0750 haproxy haproxy -$/m);
    });

    it("writes the config and TLS files with owners and modes the service can use", () => {
        for (const f of ["config-yaml", "config-cert", "config-key", "config-ca"]) mustRun(f);
        assert.equal(statOf("/etc/haproxy-dataplane/dataplaneapi.yaml"), "haproxy:haproxy 640");
        assert.equal(statOf("/etc/haproxy-dataplane/tls/server.key"), "haproxy:haproxy 600");
        assert.equal(statOf("/etc/haproxy-dataplane/tls/ca.crt"), "root:haproxy 644");
        const yaml = hostRun(host.name, "cat /etc/haproxy-dataplane/dataplaneapi.yaml");
        assert.match(yaml, /^config_version: 2$/m);
        // One reload path on every release: reload_cmd asks the reload service; no master_runtime.
        assert.doesNotMatch(yaml, /^\s*master_runtime:/m);
        assert.match(yaml, new RegExp(`^ {4}reload_cmd: ${API_RELOAD}$`, "m"));
        assert.match(yaml, /^# HAProxy \d+\.\d+\.\d+ on this host: the API reloads it through the reload service, never restarts it\.$/m);
        assert.match(yaml, /^ {2}master_worker_mode: true$/m);
    });

    it("edits haproxy.cfg, validates it and reloads HAProxy without a restart; the existing frontend keeps serving", () => {
        // A home user haproxy cannot enter (Debian 13's default, made so here on every
        // release): the validation as user haproxy must not start from there.
        hostRun(host.name, `chmod 0700 /home/${host.user}`);
        const master = masterPid();
        const workers = workerPids();
        for (const f of ["haproxy-editor", "haproxy-reload-helper", "haproxy-credentials"]) mustRun(f);
        const out = mustRun("haproxy-cfg");
        assert.match(out, /validated \/etc\/haproxy\/haproxy\.cfg and reloaded HAProxy/);
        assert.ok(!out.includes(password) && !out.includes("dpadmin"), "the log shows neither the password nor the user");
        const cfg = hostRun(host.name, "cat /etc/haproxy/haproxy.cfg");
        assert.match(cfg, /^userlist controller\n {4}user dpadmin password \$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/m);
        assert.match(cfg, /^backend haproxy-dataplane-api\n {4}server dataplane 127\.0\.0\.1:5555 check ssl verify required ca-file/m);
        assert.equal(cfg.match(/stats socket \/run\/haproxy\/admin\.sock/g)?.length, 1, "one admin socket line, edited in place");
        hostRun(host.name, "haproxy -c -q -f /etc/haproxy/haproxy.cfg");
        assert.equal(masterPid(), master, "same master: reloaded, not restarted");
        assert.notEqual(workerPids(), workers, "the worker was replaced");
        assert.equal(hostExec(host.name, `grep -rlF -- '${password}' /etc /var /usr/local /tmp /run /root /home`).stdout, "", "the password is in no file");
        assert.match(adminSocket("show info"), /^Name: HAProxy$/m, "user haproxy can use the admin socket");
        assert.equal(
            hostRun(host.name, "cat /etc/haproxy/backups/haproxy.cfg.lkg"),
            cfg,
            "the API's last known good copy is the edited file, so a failed API reload cannot bring back the old one",
        );
        assert.equal(statOf("/etc/haproxy/backups/haproxy.cfg.lkg"), "haproxy:haproxy 644");
    });

    it("a second run of the edit changes nothing and does not reload", () => {
        const before = hostRun(host.name, "cat /etc/haproxy/haproxy.cfg");
        const workers = workerPids();
        assert.match(mustRun("haproxy-cfg"), /already as wanted/);
        assert.equal(hostRun(host.name, "cat /etc/haproxy/haproxy.cfg"), before);
        assert.equal(workerPids(), workers);
    });

    it("a candidate that haproxy -c rejects never goes live", () => {
        const r = commands.get(`${host.name}-haproxy-cfg`)!;
        const before = hostRun(host.name, "cat /etc/haproxy/haproxy.cfg");
        const res = spawnSync("ssh", sshArgs(r.inputs.create), {
            input: unwrapSecret<string>(r.inputs.stdin).replace("check", "check bogus-keyword"),
            encoding: "utf8",
        });
        assert.notEqual(res.status, 0);
        assert.match(res.stderr, /rejected by haproxy -c run as user haproxy, as the Data Plane API validates every change/);
        assert.match(res.stderr, /the live file is unchanged/);
        assert.equal(hostRun(host.name, "cat /etc/haproxy/haproxy.cfg"), before);
    });

    it("a configuration the API could not commit (a file only root can read) fails, naming the file", () => {
        const r = commands.get(`${host.name}-haproxy-cfg`)!;
        hostRun(
            host.name,
            [
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=probe -days 1" +
                    " -keyout /root/probe.key -out /root/probe.crt 2>/dev/null",
                "cat /root/probe.crt /root/probe.key > /etc/ssl/private/dp-probe.pem && chmod 600 /etc/ssl/private/dp-probe.pem",
                "cp -p /etc/haproxy/haproxy.cfg /root/haproxy.cfg.keep",
                "printf '\\nfrontend tls_probe\\n    bind 127.0.0.1:8443 ssl crt /etc/ssl/private/dp-probe.pem\\n' >> /etc/haproxy/haproxy.cfg",
                "haproxy -c -q -f /etc/haproxy/haproxy.cfg",
            ].join(" && "),
        );
        try {
            const before = hostRun(host.name, "cat /etc/haproxy/haproxy.cfg");
            const res = spawnSync("ssh", sshArgs(r.inputs.create), {
                input: unwrapSecret<string>(r.inputs.stdin).replace(" check", " check inter 3s"),
                encoding: "utf8",
            });
            assert.notEqual(res.status, 0, "root can load it, but user haproxy cannot");
            assert.match(res.stderr, /rejected by haproxy -c run as user haproxy/);
            assert.match(res.stderr, /\/etc\/ssl\/private\/dp-probe\.pem/, "haproxy's message names the unreadable file");
            assert.equal(hostRun(host.name, "cat /etc/haproxy/haproxy.cfg"), before, "the live file is unchanged");
        } finally {
            hostRun(
                host.name,
                "cp -p /root/haproxy.cfg.keep /etc/haproxy/haproxy.cfg && rm -f /etc/ssl/private/dp-probe.pem /root/probe.* /root/haproxy.cfg.keep",
            );
        }
    });

    it("the reload service lets user haproxy ask for a reload, and nothing else, with no restart of HAProxy", () => {
        for (const f of ["reload-client", "reload-service-unit", "reload-socket-unit"]) mustRun(f);
        assert.match(
            mustRun("reload-socket"),
            /listening for reload requests on \/run\/haproxy-dataplane\/reload\.sock \(root:haproxy 660\); HAProxy was not restarted/,
        );
        assert.equal(statOf("/run/haproxy-dataplane/reload.sock"), "root:haproxy 660");
        assert.match(statOf("/run/haproxy-master.sock"), /^root:root [0-7][0-5][0-5]$/, "the stock master socket stays root's, writable by root only");
        assert.equal(statOf(ROOT_RELOAD), "root:root 700");
        const master = masterPid();
        for (let i = 1; i <= 3; i++) {
            // As the API does, as user haproxy; then one of the program's own reloads, as root.
            const before = reloadCount();
            const api = hostExec(host.name, `su -s /bin/sh haproxy -c ${API_RELOAD}`);
            assert.equal(api.code, 0, `API-driven reload ${i} as user haproxy:\n${api.stdout}\n${api.stderr}`);
            assert.match(api.stdout, /^ok: HAProxy reloaded \(reload \d+ of its master\)$/m);
            assert.equal(reloadCount(), before + 1, "exactly one reload per request");
            assert.match(hostRun(host.name, ROOT_RELOAD), /^ok: HAProxy reloaded/);
            assert.equal(reloadCount(), before + 2);
        }
        const direct = hostExec(host.name, "su -s /bin/sh haproxy -c 'echo \"show proc\" | socat stdio unix-connect:/run/haproxy-master.sock'");
        assert.notEqual(direct.code, 0, "user haproxy cannot reach the master CLI itself");
        assert.match(direct.stderr, /Permission denied/);
        const nobody = hostExec(host.name, `su -s /bin/sh nobody -c ${API_RELOAD}`);
        assert.equal(nobody.code, 1, "a user outside group haproxy cannot ask");
        assert.match(nobody.stderr, /cannot reach the reload service at \/run\/haproxy-dataplane\/reload\.sock: Permission denied/);
        assert.equal(masterPid(), master, "six reloads, no restart");
        assert.equal(masterIdentity(), bootMaster, "the master the host booted with");
    });

    it("reloads from the API and from the program at the same moment are serialised, each with its own verdict", () => {
        const before = reloadCount();
        const both = hostExec(
            host.name,
            `set -e; (su -s /bin/sh haproxy -c ${API_RELOAD} > /tmp/api.out 2>&1; echo "api=$?" >> /tmp/api.out) & (${ROOT_RELOAD} > /tmp/root.out 2>&1; echo "root=$?" >> /tmp/root.out) & wait; cat /tmp/api.out /tmp/root.out; rm -f /tmp/api.out /tmp/root.out`,
        );
        assert.equal(both.code, 0, both.stderr);
        assert.match(both.stdout, /^api=0$/m, both.stdout);
        assert.match(both.stdout, /^root=0$/m, both.stdout);
        const counts = [...both.stdout.matchAll(/reload (\d+) of its master/g)].map((m) => Number(m[1])).sort();
        assert.deepEqual(counts, [before + 1, before + 2], `two reloads, one after the other: ${both.stdout}`);
        assert.equal(reloadCount(), before + 2);
    });

    it("a reload HAProxy refuses (a port already taken, which haproxy -c cannot see) fails for the API and for the program's own edit, and HAProxy keeps the old configuration", () => {
        const master = masterPid();
        const workers = workerPids();
        hostRun(host.name, "cp -p /etc/haproxy/haproxy.cfg /root/haproxy.cfg.keep");
        try {
            // A port already taken (sshd's) passes the check but cannot be bound by the new master.
            hostRun(
                host.name,
                "printf '\\nfrontend clash\\n    bind 127.0.0.1:22\\n' >> /etc/haproxy/haproxy.cfg && haproxy -c -q -f /etc/haproxy/haproxy.cfg",
            );
            const refused = hostExec(host.name, `su -s /bin/sh haproxy -c ${API_RELOAD}`);
            assert.equal(refused.code, 1, `${refused.stdout}${refused.stderr}`);
            assert.match(refused.stderr, /^failed: HAProxy refused the reload and still runs the previous configuration/m);
            assert.equal(masterPid(), master);
            assert.equal(workerPids(), workers, "the old worker still serves");

            // The program's edit, with a change of its own, on top of that file: its reload is refused too.
            const r = commands.get(`${host.name}-haproxy-cfg`)!;
            const cfgBefore = hostRun(host.name, "cat /etc/haproxy/haproxy.cfg");
            const res = spawnSync("ssh", sshArgs(r.inputs.create), {
                input: unwrapSecret<string>(r.inputs.stdin).replace(" check", " check inter 4s"),
                encoding: "utf8",
            });
            assert.equal(res.status, 1, `${res.stdout}\n${res.stderr}`);
            assert.match(
                res.stderr,
                /failed: HAProxy refused the reload and still runs the previous configuration .*; restoring the previous \/etc\/haproxy\/haproxy\.cfg/,
            );
            assert.equal(hostRun(host.name, "cat /etc/haproxy/haproxy.cfg"), cfgBefore, "the file HAProxy refused is not left live");
            assert.equal(masterPid(), master);
        } finally {
            hostRun(host.name, "cp -p /root/haproxy.cfg.keep /etc/haproxy/haproxy.cfg && rm /root/haproxy.cfg.keep");
        }
        const ok = hostExec(host.name, `su -s /bin/sh haproxy -c ${API_RELOAD}`);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /^ok: HAProxy reloaded/);
        assert.notEqual(workerPids(), workers, "the next reload loads");
        hostRun(host.name, "haproxy -c -q -f /etc/haproxy/haproxy.cfg");
    });

    it("the API's way of reloading works from inside the hardened unit", () => {
        mustRun("service-unit");
        assert.equal(hostRun(host.name, "systemctl is-enabled dataplaneapi.service || true").trim(), "disabled");
        mustRun("service-enable");
        assert.equal(hostRun(host.name, "systemctl is-enabled dataplaneapi.service").trim(), "enabled");
        mustRun("service-enable", "delete");

        // The unit's own [Service] sandbox, with a shell in the API's place: it must set up
        // (no 226/NAMESPACE), let user haproxy write where the API writes, and reload HAProxy.
        const props = unitSandboxProperties(host.name, "/etc/systemd/system/dataplaneapi.service");
        assert.ok(props.includes("BindPaths=/tmp/spoe-haproxy") && props.includes("ProtectSystem=strict"));
        const master = masterPid();
        const workers = workerPids();
        const check = [
            "set -e",
            "echo new > /etc/haproxy/.probe.tmp && mv /etc/haproxy/.probe.tmp /etc/haproxy/.probe",
            "echo new > /etc/haproxy-dataplane/.probe.tmp && mv /etc/haproxy-dataplane/.probe.tmp /etc/haproxy-dataplane/.probe",
            "echo x > /tmp/spoe-haproxy/.probe",
            "if touch /usr/local/bin/.probe 2>/dev/null; then echo 'ProtectSystem did not apply'; exit 1; fi",
            API_RELOAD,
        ].join("\n");
        const res = inSandbox(host.name, props, check);
        assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
        assert.equal(hostRun(host.name, "cat /tmp/spoe-haproxy/.probe").trim(), "x", "the service's /tmp/spoe-haproxy is the host's");
        assert.equal(masterPid(), master, "the reload kept the master");
        assert.notEqual(workerPids(), workers, "and replaced the worker");
        hostRun(host.name, "rm -f /etc/haproxy/.probe /etc/haproxy-dataplane/.probe /tmp/spoe-haproxy/.probe");
    });

    it("after a reboot the directories, the reload service and HAProxy come back by themselves", async () => {
        await timings.time("reboot", async () => hostReboot(host.name));
        assert.equal(statOf("/tmp/spoe-haproxy"), "haproxy:haproxy 750", "tmpfiles.d recreated it");
        assert.equal(statOf("/run/haproxy-dataplane/reload.sock"), "root:haproxy 660", "the enabled socket listens again");
        assert.match(statOf("/run/haproxy-master.sock"), /^root:root [0-7][0-5][0-5]$/);
        assert.match(adminSocket("show info"), /^Name: HAProxy$/m);
        assert.match(hostRun(host.name, `su -s /bin/sh haproxy -c ${API_RELOAD}`), /^ok: HAProxy reloaded/m);
        bootMaster = masterIdentity();
        assert.equal((await httpGet(`http://${host.address}/`)).status, 200);
    });

    it("the deletes, in reverse order, give the host back as it was and HAProxy keeps serving", async () => {
        const master = masterPid();
        for (const name of [
            "service-unit",
            "reload-socket",
            "reload-socket-unit",
            "reload-service-unit",
            "reload-client",
            "haproxy-cfg",
            "haproxy-credentials",
            "haproxy-reload-helper",
            "haproxy-editor",
            "config-ca",
            "config-key",
            "config-cert",
            "config-yaml",
            "dirs-create",
        ]) {
            mustRun(name, "delete");
        }
        assert.equal(hostRun(host.name, "cat /etc/haproxy/haproxy.cfg"), originalCfg, "haproxy.cfg is byte for byte the original");
        assert.equal(statOf("/etc/haproxy"), "root:root 755");
        assert.equal(statOf("/srv/existing"), "root:root 750", "a directory the host had gets its owner and mode back, and stays");
        assert.equal(hostRun(host.name, "ls /srv/existing").trim(), "data");
        for (const f of [
            "/etc/systemd/system/dataplaneapi.service",
            "/etc/haproxy-dataplane",
            "/etc/tmpfiles.d/haproxy-dataplaneapi.conf",
            "/etc/systemd/system/haproxy-dataplane-reload.socket",
            "/etc/systemd/system/haproxy-dataplane-reload@.service",
            "/run/haproxy-dataplane",
            "/usr/local/lib/haproxy-dataplane",
            "/var/lib/haproxy-dataplane-deploy",
            "/tmp/spoe-haproxy",
            "/etc/haproxy/maps",
            // Held only the last known good copy, which the program wrote.
            "/etc/haproxy/backups",
        ]) {
            assert.notEqual(hostExec(host.name, `test -e ${f}`).code, 0, `${f} is gone`);
        }
        assert.equal(masterPid(), master, "HAProxy was reloaded, not restarted");
        assert.equal(masterIdentity(), bootMaster, "the same master since the reboot");
        assert.equal(hostRun(host.name, "systemctl is-active haproxy.service").trim(), "active");
        // One request racing the reload's worker hand-over was seen reset once; serving means it answers.
        await eventually("the frontend to answer 200", async () => (await httpGet(`http://${host.address}/`)).status === 200, 10);
    });
}
