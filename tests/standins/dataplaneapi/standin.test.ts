/**
 * The Data Plane API 3.2.1 stand-in, checked on a real Debian 12 host with
 * HAProxy 2.6 against what /work/shared/docs/dataplaneapi.md says the real
 * binary does. It builds the stand-in (build.sh), runs its Go unit tests,
 * installs the release-style archive with the program's own install script,
 * configures it as the program renders it, runs it as user haproxy under the
 * program's systemd unit, and exercises every behaviour the README lists.
 *
 * Run: TS_NODE_TRANSPILE_ONLY=true node_modules/.bin/node --require ts-node/register \
 *        --test --test-concurrency=1 tests/standins/dataplaneapi/standin.test.ts
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import * as tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { API_DIRECTORIES, type DataplaneApiConfigModel, dataplaneApiConfigDocument, renderDataplaneApiConfig } from "../../../components/apiConfig/yaml";
import { installBinaryScript } from "../../../components/binary/scripts";
import { renderReloadHelper } from "../../../components/haproxy/reloadHelper";
import { renderUnit } from "../../../components/service/unit";
import { PATHS } from "../../../components/shared/paths";
import { renderHaproxyDropIn } from "../../../components/sockets/dropin";
import { eventually, haproxyAdmin, hostDown, hostExec, hostRun, hostUp, REPO, type TestHost } from "../../e2e/lab";

const HERE = path.join(REPO, "tests", "standins", "dataplaneapi");
const NAME = "dpapi-standin";
const INDEX = 40;
const PORT = 5555;
const CFG = "/etc/haproxy/haproxy.cfg";
const LKG = `${API_DIRECTORIES.backups}/haproxy.cfg.lkg`;
const MASTER = "/run/haproxy-master.sock";
const USER = "dpadmin";
const password = randomBytes(12).toString("hex");
const password2 = randomBytes(12).toString("hex");
const password3 = randomBytes(12).toString("hex");

/** The password the API's userlist holds now. */
let current = password;
let host: TestHost;
let archiveSha = "";
let ca = "";
let cfgAtStart = "";
let rendered = "";

// ---------------------------------------------------------------- helpers

const sh = (cmd: string): string => hostRun(NAME, cmd);

/** Runs a command on the host with stdin; the error never repeats stdin (it may hold a password). */
function shIn(cmd: string, input: string | Buffer): string {
    const r = spawnSync("bash", [path.join(REPO, "scripts", "testhost.sh"), "exec", NAME, "--", "bash", "-c", cmd], {
        input,
        encoding: "utf8",
        maxBuffer: 64 << 20,
        timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`on ${NAME}: ${cmd}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** A SHA-512 crypt hash made on the host (glibc crypt through perl), the password on stdin. */
function cryptHash(pw: string, salt: string): string {
    return shIn(`perl -e '$p = <STDIN>; chomp $p; print crypt($p, "\\$6\\$${salt}\\$")'`, `${pw}\n`).trim();
}

/** Replaces haproxy.cfg the way the program does: a complete file renamed into place. */
function putCfg(text: string): void {
    shIn(`cat > /etc/haproxy/.standin-test.tmp && mv -f /etc/haproxy/.standin-test.tmp ${CFG}`, text);
}

const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

interface Res {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
}

function request(method: string, p: string, opts: { auth?: [string, string]; body?: string; contentType?: string } = {}): Promise<Res> {
    return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = {};
        if (opts.auth) headers.authorization = `Basic ${Buffer.from(`${opts.auth[0]}:${opts.auth[1]}`).toString("base64")}`;
        if (opts.body !== undefined) {
            headers["content-type"] = opts.contentType ?? "text/plain";
            headers["content-length"] = Buffer.byteLength(opts.body);
        }
        const req = https.request({ host: host.address, port: PORT, path: p, method, ca, headers, timeout: 15_000 }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        });
        req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${p}`)));
        req.on("error", reject);
        if (opts.body !== undefined) req.write(opts.body);
        req.end();
    });
}

const get = (p: string, pw = current) => request("GET", `/v3${p}`, { auth: [USER, pw] });

async function apiVersion(): Promise<number> {
    const r = await get("/services/haproxy/configuration/version");
    assert.equal(r.status, 200, r.text);
    return JSON.parse(r.text);
}

async function waitUp(pw = current): Promise<void> {
    await eventually("the API answers GET /v3/info", async () => (await get("/info", pw)).status === 200, 40);
}

function mainPid(): string {
    return sh("systemctl show -p MainPID --value dataplaneapi.service").trim();
}

/** Weight of server web1 in backend web, as the running HAProxy has it. */
function liveWeight(): string {
    const out = haproxyAdmin(NAME, "show servers state web");
    const line = out.split("\n").find((l) => l.split(" ")[3] === "web1");
    assert.ok(line, `web1 in show servers state:\n${out}`);
    return line!.split(" ")[7];
}

function journal(): string {
    return sh("journalctl -u dataplaneapi.service --no-pager -o cat -n 400");
}

/** The program's rendered YAML for this host. */
function model(): DataplaneApiConfigModel {
    return {
        name: NAME,
        bindAddress: "0.0.0.0",
        port: PORT,
        tls: true,
        advertisedAddress: host.address,
        userlist: "controller",
        haproxyConfigFile: CFG,
        masterSocket: MASTER,
        reloadDelay: 1,
        haproxyVersion: sh("haproxy -v | sed -n 's/^HAProxy version \\([^ ]*\\).*/\\1/p'").trim(),
    };
}

// ---------------------------------------------------------------- setup

describe("dataplaneapi stand-in on a real Debian 12 host", { timeout: 900_000 }, () => {
    before(async () => {
        const b = spawnSync("bash", [path.join(HERE, "build.sh")], { encoding: "utf8", maxBuffer: 64 << 20 });
        assert.equal(b.status, 0, `build.sh failed:\n${b.stderr}`);
        const kv = Object.fromEntries(
            b.stdout
                .split("\n")
                .filter((l) => l.includes("="))
                .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        );
        assert.equal(kv.DPAPI_SOURCE, "stand-in");
        assert.match(kv.DPAPI_ARCHIVE_SHA256, /^[0-9a-f]{64}$/);
        archiveSha = kv.DPAPI_ARCHIVE_SHA256;

        hostDown(NAME);
        host = hostUp(NAME, INDEX);

        // The archive, installed by the program's own install script.
        const archive = readFileSync(kv.DPAPI_ARCHIVE);
        shIn("cat > /tmp/dataplaneapi.tar.gz", archive);
        const out = sh(installBinaryScript({ version: "3.2.1", sha256: { x86_64: archiveSha }, uploadedArchive: "/tmp/dataplaneapi.tar.gz" }));
        assert.match(out, /version=3\.2\.1/);

        // HAProxy: master CLI open to group haproxy from its start (drop-in), and the API's users.
        shIn(`mkdir -p ${path.dirname(PATHS.haproxyDropIn)} && cat > ${PATHS.haproxyDropIn}`, renderHaproxyDropIn(MASTER));
        sh("systemctl daemon-reload && systemctl restart haproxy.service");
        assert.equal(sh(`stat -c '%G %a' ${MASTER}`).trim(), "haproxy 660");
        const stock = sh(`cat ${CFG}`);
        putCfg(`${stock}\nuserlist controller\n    user ${USER} password ${cryptHash(password, "standin1")}\n`);
        sh("systemctl reload haproxy.service");

        // What the program sets up around the API: /etc/haproxy group-writable
        // (temp file + rename), its config directory, TLS files, the reload
        // helper, /tmp/spoe-haproxy (bound into the unit). The storage
        // directories under /etc/haproxy are left for the API to create.
        sh(`chgrp haproxy /etc/haproxy && chmod g+w /etc/haproxy
            install -d -o haproxy -g haproxy -m 0755 ${PATHS.configDir} ${API_DIRECTORIES.spoeTransactions}
            install -d -m 0755 ${PATHS.tlsDir} ${PATHS.toolsDir}
            cd ${PATHS.tlsDir}
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec-pkcs8.key -out ec.crt \
                -subj /CN=${NAME} -addext subjectAltName=IP:${host.address} -days 2 2>/dev/null
            openssl ec -in ec-pkcs8.key -out ec-sec1.key 2>/dev/null
            openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa-pkcs8.key -out rsa.crt \
                -subj /CN=${NAME} -addext subjectAltName=IP:${host.address} -days 2 2>/dev/null
            openssl rsa -in rsa-pkcs8.key -traditional -out rsa-pkcs1.key 2>/dev/null
            chgrp haproxy *.key && chmod 0640 *.key
            cp ec.crt ${PATHS.tlsCert} && cp ec-pkcs8.key ${PATHS.tlsKey} && chgrp haproxy ${PATHS.tlsKey} && chmod 0640 ${PATHS.tlsKey}`);
        ca = sh(`cat ${PATHS.tlsDir}/ec.crt`);
        shIn(`cat > ${PATHS.reloadHelper} && chmod 0755 ${PATHS.reloadHelper}`, renderReloadHelper(MASTER));
        rendered = renderDataplaneApiConfig(model());
        shIn(`cat > ${PATHS.configFile} && chown haproxy:haproxy ${PATHS.configFile}`, rendered);
        shIn(`cat > ${PATHS.unit}`, renderUnit({ writableDirectories: Object.values(API_DIRECTORIES) }));

        cfgAtStart = sh(`cat ${CFG}`);
        sh("systemctl daemon-reload && systemctl start dataplaneapi.service");
        await waitUp();
    });

    after(() => {
        if (process.env.LB_KEEP_HOST !== "1") hostDown(NAME);
    });

    // ------------------------------------------------------------ tests

    it("runs its Go unit tests (format writer, hashes, YAML strictness, master-socket reload)", () => {
        const r = spawnSync("go", ["test", "-count=1", "./..."], {
            cwd: HERE,
            encoding: "utf8",
            env: {
                ...process.env,
                GOTOOLCHAIN: "local",
                GOFLAGS: "-mod=readonly",
                GOMODCACHE: path.join(process.env.LB_CACHE_DIR ?? "/var/cache/haproxy-dpapi-lab", "gomod"),
                GOCACHE: path.join(process.env.LB_CACHE_DIR ?? "/var/cache/haproxy-dpapi-lab", "go-build"),
            },
        });
        assert.equal(r.status, 0, `go test failed:\n${r.stdout}\n${r.stderr}`);
    });

    it("--version: start-up log lines on stderr first, then the banner on stdout; `| head -n1` under pipefail dies of SIGPIPE", () => {
        const banner = sh(`${PATHS.binary} --version 2>/dev/null`);
        assert.equal(banner.split("\n")[0], "HAProxy Data Plane API v3.2.1 32af2b44");
        assert.match(banner, /^Build from: https:\/\/github\.com\/haproxytech\/dataplaneapi$/m);
        assert.match(banner, /^Build date: 2025-06-16T10:54:13Z$/m);
        const merged = sh(`set -o pipefail; ${PATHS.binary} --version 2>&1 | head -n 1; echo "status=\${PIPESTATUS[0]}"`);
        const [first] = merged.split("\n");
        assert.doesNotMatch(first, /Data Plane API/, "the first merged line is a log line, not the banner");
        assert.match(first, /maxprocs|GOMEMLIMIT|memory is not limited/);
        assert.match(merged, /status=141/);
    });

    it("rewrites its YAML at start: temp file + rename, 0644 haproxy, comments and `mode` gone", () => {
        const text = sh(`cat ${PATHS.configFile}`);
        assert.notEqual(text, rendered);
        assert.doesNotMatch(text, /^\s*#/m, "comments are dropped");
        assert.doesNotMatch(text, /^mode:/m, "the deprecated mode key is dropped");
        assert.equal(sh(`stat -c '%U:%G %a' ${PATHS.configFile}`).trim(), "haproxy:haproxy 644");
        const doc = parseYaml(text);
        const want = dataplaneApiConfigDocument(model()) as any;
        assert.equal(doc.config_version, 2);
        assert.equal(doc.name, NAME);
        assert.deepEqual(doc.haproxy.reload, { ...want.haproxy.reload, reload_strategy: "custom" });
        assert.deepEqual(doc.dataplaneapi.tls, want.dataplaneapi.tls);
        assert.deepEqual(doc.dataplaneapi.userlist, { userlist: "controller", userlist_file: "" });
        assert.deepEqual(doc.log_targets, want.log_targets);
    });

    it("creates its storage directories 0750 as user haproxy, and copies haproxy.cfg to backups_dir/haproxy.cfg.lkg", () => {
        for (const d of Object.values(API_DIRECTORIES)) {
            if (d.startsWith("/tmp/")) continue; // made by the program (bound into the unit)
            assert.equal(sh(`stat -c '%U:%G %a' ${d}`).trim(), "haproxy:haproxy 750", d);
        }
        assert.equal(sh(`cat ${LKG}`), cfgAtStart);
        assert.equal(sh(`stat -c '%U:%G %a' ${LKG}`).trim(), "haproxy:haproxy 644");
        assert.equal(sh(`cat ${CFG}`), cfgAtStart, "no write of haproxy.cfg at start");
    });

    it("reaches HAProxy's runtime API (the admin socket: no master_runtime on 2.6) and reloads with reload_cmd", () => {
        const j = journal();
        assert.match(j, /runtime API: using the stats socket \/run\/haproxy\/admin\.sock \(HAProxy 2\.6\.\d+/);
        assert.match(j, /reloads: running reload_cmd/);
    });

    it("serves TLS only, with Basic auth on every endpoint", async () => {
        const none = await request("GET", "/v3/info");
        assert.equal(none.status, 401);
        assert.equal(none.headers["www-authenticate"], 'Basic realm="API"');
        assert.deepEqual(JSON.parse(none.text), { code: 401, message: "unauthenticated for invalid credentials" });
        const wrong = await get("/info", "wrong");
        assert.equal(wrong.status, 401);
        assert.deepEqual(JSON.parse(wrong.text), { code: 401, message: "unauthorized" });
        assert.equal((await request("GET", "/v3/info", { auth: ["nobody", password] })).status, 401);
        const plain = sh(`curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${PORT}/v3/info || true`).trim();
        assert.notEqual(plain, "200", "no plain HTTP on the TLS port");
    });

    it("GET /v3/info, /health, configuration/version and raw answer as the real API", async () => {
        const info = await get("/info");
        assert.equal(info.status, 200);
        const body = JSON.parse(info.text);
        assert.deepEqual(body.api, { build_date: "2025-06-16T10:54:13.000Z", version: "v3.2.1 32af2b44" });
        assert.deepEqual(body.system, {});
        assert.equal(body.stand_in, "tests/standins/dataplaneapi");
        assert.equal(info.headers["configuration-version"], "1");
        assert.deepEqual(JSON.parse((await get("/health")).text), { haproxy: "up" });
        assert.equal(await apiVersion(), 1, "a file without `# _version` is version 1");
        const raw = await get("/services/haproxy/configuration/raw");
        assert.equal(raw.status, 200);
        assert.match(String(raw.headers["content-type"]), /^text\/plain/);
        assert.equal(raw.text, cfgAtStart);
        const missing = await get("/services/haproxy/transactions");
        assert.equal(missing.status, 501);
        assert.match(JSON.parse(missing.text).message, /not implemented by the dataplaneapi stand-in/);
    });

    it("TLS: 1.2 minimum, P-256 only, and PKCS#8, SEC1 and PKCS#1 keys all load", async () => {
        const handshake = (opts: tls.ConnectionOptions) =>
            new Promise<string>((resolve) => {
                const s = tls.connect({ host: host.address, port: PORT, ca, ...opts }, () => {
                    resolve(`ok ${s.getProtocol()}`);
                    s.end();
                });
                s.on("error", (e) => resolve(`error ${e.message}`));
            });
        assert.match(await handshake({ maxVersion: "TLSv1.2" }), /^ok TLSv1\.2/);
        assert.match(await handshake({ maxVersion: "TLSv1.1", minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" }), /^error/);
        assert.match(await handshake({ maxVersion: "TLSv1.2", ecdhCurve: "X25519" }), /^error/, "only P-256 is offered");
        assert.match(await handshake({ maxVersion: "TLSv1.2", ecdhCurve: "P-256" }), /^ok/);
        for (const [crt, key] of [
            ["ec.crt", "ec-sec1.key"],
            ["rsa.crt", "rsa-pkcs1.key"],
            ["rsa.crt", "rsa-pkcs8.key"],
            ["ec.crt", "ec-pkcs8.key"],
        ]) {
            sh(
                `cd ${PATHS.tlsDir} && cp ${crt} ${PATHS.tlsCert} && cp -p ${key} ${PATHS.tlsKey} && head -n1 ${PATHS.tlsKey} >&2 && systemctl restart dataplaneapi.service`,
            );
            ca = sh(`cat ${PATHS.tlsDir}/${crt}`);
            await waitUp();
        }
    });

    it("tries the master socket first when master_runtime is set (2.6: runtime there, reloads still by reload_cmd); a storage dir it cannot write is fatal, naming it", () => {
        // A second instance, as user haproxy outside the unit, for a few seconds.
        const yaml = sh(`cat ${PATHS.configFile}`)
            .replace(/^ {2}port: 5555$/m, "  port: 5601")
            .replace(/tls_port: 5555/, "tls_port: 5601")
            .replace(/^haproxy:\n/m, `haproxy:\n  master_runtime: ${MASTER}\n`);
        shIn("install -d -o haproxy -m 0700 /var/tmp/standin2 && cat > /var/tmp/standin2/dp.yaml && chown haproxy /var/tmp/standin2/dp.yaml", yaml);
        const run = (cmd: string) =>
            hostExec(NAME, `cd /var/tmp/standin2 && timeout 4 runuser -u haproxy -- ${PATHS.binary} -f /var/tmp/standin2/dp.yaml ${cmd}`);
        const ok = run("");
        assert.match(ok.stdout, /runtime API: using the master socket \/run\/haproxy-master\.sock \(HAProxy 2\.6/);
        assert.match(ok.stdout, /reloads: running reload_cmd/);
        sh(`chown root:root ${API_DIRECTORIES.maps} && chmod 0755 ${API_DIRECTORIES.maps}`);
        try {
            const bad = run("");
            assert.equal(bad.code, 1, `exit status\n${bad.stdout}`);
            assert.match(bad.stdout, new RegExp(`level=fatal .*${API_DIRECTORIES.maps}`));
        } finally {
            sh(`chown haproxy:haproxy ${API_DIRECTORIES.maps} && chmod 0750 ${API_DIRECTORIES.maps}`);
        }
        // Both reload commands are required with the custom strategy.
        shIn("cat > /var/tmp/standin2/dp.yaml", yaml.replace(/^ {4}restart_cmd: .*\n/m, ""));
        const noRestart = run("");
        assert.equal(noRestart.code, 1);
        assert.match(noRestart.stdout, /configuration error: the custom reload strategy requires these options to be set: ReloadCmd, RestartCmd/);
        // Stricter than the real one: an unknown key is refused, by name.
        shIn("cat > /var/tmp/standin2/dp.yaml", `${yaml}bogus_key: 1\n`);
        const unknown = run("");
        assert.equal(unknown.code, 1);
        assert.match(unknown.stdout, /unknown key bogus_key/);
    });

    it("re-reads users on SIGUSR2 (an edit with a valid `# _md5hash` is not seen by the watcher)", async () => {
        const before = sh(`cat ${CFG}`);
        const rest = `# _version=1\n${before.replace(/password \S+/, `password ${cryptHash(password2, "standin2")}`)}`;
        putCfg(`# _md5hash=${md5(rest)}\n${rest}`);
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal((await get("/info", password)).status, 200, "old password still valid: the watcher ignored a hash-valid file");
        assert.equal((await get("/info", password2)).status, 401);
        sh("systemctl kill -s USR2 --kill-who=main dataplaneapi.service");
        await eventually("the new password works after SIGUSR2", async () => (await get("/info", password2)).status === 200, 10);
        current = password2;
        assert.equal((await get("/info", password)).status, 401, "old password refused");
        assert.equal(await apiVersion(), 1, "SIGUSR2 does not bump the version");
    });

    it("an outside edit: the watcher re-reads users, bumps _version and rewrites the whole file in its format as haproxy 0644", async () => {
        const v = await apiVersion();
        const before = sh(`cat ${CFG}`).split("\n").slice(1).join("\n"); // drop the md5 line: an outside edit
        putCfg(`${before.replace(/password \S+/, `password ${cryptHash(password3, "standin3")}`)}\nbackend outside-edit\n    server o1 127.0.0.1:9 disabled\n`);
        await eventually("the watcher rewrites haproxy.cfg", () => /^# _md5hash=/.test(sh(`cat ${CFG}`)), 15);
        const text = sh(`cat ${CFG}`);
        const [first, ...rest] = text.split("\n");
        assert.equal(first, `# _md5hash=${md5(rest.join("\n"))}`);
        assert.equal(rest[0], `# _version=${v + 1}`);
        assert.equal(rest[1], "# Dataplaneapi managed File");
        assert.equal(rest[2], "# changing file directly can cause a conflict if dataplaneapi is running");
        assert.match(text, /^backend outside-edit from unnamed_defaults_1\n {2}server o1 127\.0\.0\.1:9 disabled$/m);
        assert.equal(sh(`stat -c '%U:%G %a' ${CFG}`).trim(), "haproxy:haproxy 644");
        assert.equal((await get("/info", password3)).status, 200, "users re-read");
        current = password3;
        assert.equal(await apiVersion(), v + 1, "the version went up by one");
        assert.equal((await get("/info", password2)).status, 401);
    });

    it("POST raw: validated as haproxy, written through temp + rename with _version+1, reloaded by reload_cmd; the change reaches HAProxy", async () => {
        const v = await apiVersion();
        const raw = (await get("/services/haproxy/configuration/raw", password3)).text;
        assert.equal(liveWeight(), "100");
        const next = raw.replace(/server web1 127\.0\.0\.1:8081 weight 100/, "server web1 127.0.0.1:8081 weight 37");
        assert.notEqual(next, raw);
        const r = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, { auth: [USER, password3], body: next });
        assert.equal(r.status, 202, r.text);
        const reloadId = String(r.headers["reload-id"]);
        assert.match(reloadId, /^\d{4}-\d{2}-\d{2}-\d+$/);
        const file = sh(`cat ${CFG}`);
        assert.equal(r.text, file, "the answer is the file as written");
        assert.equal(r.headers["configuration-checksum"], md5(file.split("\n").slice(1).join("\n")));
        assert.equal(r.headers["configuration-version"], String(v + 1));
        assert.match(file, /^# _md5hash=[0-9a-f]{32}\n# _version=(\d+)\n/);
        assert.equal(file.split("\n")[1], `# _version=${v + 1}`);
        assert.equal(sh(`stat -c '%U:%G %a' ${CFG}`).trim(), "haproxy:haproxy 644");
        assert.equal(
            sh(`cat ${API_DIRECTORIES.backups}/haproxy.cfg.${v}`).split("\n")[1],
            `# _version=${v}`,
            "backup of the previous version (backups_number)",
        );
        await eventually("HAProxy runs the new weight", () => liveWeight() === "37", 20);
        await eventually(
            "the reload is reported succeeded",
            async () => JSON.parse((await get(`/services/haproxy/reloads/${reloadId}`, password3)).text).status === "succeeded",
            10,
        );
        assert.equal(sh(`cat ${LKG}`), file, ".lkg refreshed after the successful reload");
        assert.equal(sh(`ls -A ${API_DIRECTORIES.transactions} | grep -v '^failed$' || true`).trim(), "", "no transaction file left");
    });

    it("POST raw errors: 409 on a stale version, 400 when `haproxy -c` as user haproxy refuses it (file unchanged)", async () => {
        const v = await apiVersion();
        const raw = (await get("/services/haproxy/configuration/raw", password3)).text;
        const stale = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v - 1}`, { auth: [USER, password3], body: raw });
        assert.equal(stale.status, 409);
        assert.deepEqual(JSON.parse(stale.text), { code: 409, message: `version in configuration file is ${v}, given version is ${v - 1}` });
        const bad = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, {
            auth: [USER, password3],
            body: raw.replace(/(\nbackend web[^\n]*\n)/, "$1  bogus-keyword here\n"),
        });
        assert.equal(bad.status, 400);
        assert.match(JSON.parse(bad.text).message, /^exit status 1: err transactionId=[0-9a-f-]{36} \n[\s\S]*bogus-keyword/);
        // Readable by root, not by haproxy: refused, because the check runs as the service user.
        sh("install -m 0600 -o root -g root /etc/haproxy/errors/503.http /etc/haproxy/root-only.http");
        const unreadable = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, {
            auth: [USER, password3],
            body: raw.replace(/(\n {2}errorfile 503 )\S+/, "$1/etc/haproxy/root-only.http"),
        });
        assert.equal(unreadable.status, 400, unreadable.text);
        assert.equal(sh(`cat ${CFG}`), raw, "haproxy.cfg unchanged");
        assert.equal(await apiVersion(), v);
        assert.notEqual(sh(`ls ${API_DIRECTORIES.transactions}/failed`).trim(), "", "failed transactions kept");
        const wrongType = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, {
            auth: [USER, password3],
            body: raw,
            contentType: "application/json",
        });
        assert.equal(wrongType.status, 415);
    });

    it("a failed reload puts .lkg back over haproxy.cfg (after a .bck copy that it removes again)", async () => {
        const v = await apiVersion();
        const good = sh(`cat ${CFG}`);
        assert.equal(sh(`cat ${LKG}`), good);
        const raw = good.replace(/weight 37/, "weight 55");
        sh(`chmod 0600 ${MASTER}`); // the reload helper (user haproxy) cannot reach the master CLI
        try {
            const r = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, { auth: [USER, password3], body: raw });
            assert.equal(r.status, 202, r.text);
            assert.match(sh(`cat ${CFG}`), /weight 55/);
            const id = String(r.headers["reload-id"]);
            await eventually(
                "the reload fails",
                async () => JSON.parse((await get(`/services/haproxy/reloads/${id}`, password3)).text).status === "failed",
                15,
            );
        } finally {
            sh(`chmod 0660 ${MASTER}`);
        }
        assert.equal(sh(`cat ${CFG}`), good, "haproxy.cfg is the last known good file again");
        assert.equal(
            sh(`test -e ${CFG}.bck && echo kept || echo removed`).trim(),
            "removed",
            "the .bck copy is removed once the restore is done (reload_agent.go)",
        );
        assert.equal(liveWeight(), "37");
        assert.match(journal(), /Reload failed, reverting the last working config/);
    });

    it("zero users at a re-read is fatal: the watcher's re-read exits 1 (a crash loop under Restart=always) until users come back", async () => {
        const pid = mainPid();
        const good = sh(`cat ${CFG}`);
        putCfg(
            good
                .split("\n")
                .slice(1)
                .join("\n")
                .replace(/\nuserlist controller\n(?: {2}.*\n)+/, "\nuserlist controller\n  group nobody\n"),
        );
        await eventually("the API exits", () => mainPid() !== pid, 15);
        assert.match(journal(), /level=fatal msg="no users configured in \/etc\/haproxy\/haproxy\.cfg/);
        await eventually("the restarted API exits again at start", () => /Error initiating users: no users configured/.test(journal()), 20);
        putCfg(good);
        await waitUp(password3);
    });

    it("writes haproxy.cfg under an exclusive flock of haproxy.cfg itself, in the API's format: md5 line, version line, fixed section order, 2-space indentation, blank line between sections", async () => {
        const v = await apiVersion();
        // Someone else holds the lock the API's writer takes (gofrs/flock on the file itself).
        sh(`setsid -f flock -x ${CFG} sleep 4 >/dev/null 2>&1 < /dev/null; sleep 0.3`);
        const started = Date.now();
        const pushed =
            "global\n\tdaemon\n\tstats socket /run/haproxy/admin.sock mode 660 level admin\n\tlog /dev/log local0\n" +
            "backend zeta\n\tserver z 127.0.0.1:9 disabled\nfrontend web\n\tbind :80\n\tdefault_backend web\n" +
            "backend web\n\tserver web1 127.0.0.1:8081 weight 37\n" +
            `userlist controller\n\tuser ${USER} password ${cryptHash(password3, "standin4")}\n` +
            "defaults\n\tmode http\n\ttimeout connect 5s\n\ttimeout client 50s\n\ttimeout server 50s\n";
        const r = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}&skip_reload=true`, { auth: [USER, password3], body: pushed });
        assert.equal(r.status, 201, r.text);
        assert.ok(Date.now() - started >= 3000, `the write waited for the lock (${Date.now() - started} ms)`);
        const file = sh(`cat ${CFG}`);
        const [first, ...rest] = file.split("\n");
        assert.equal(first, `# _md5hash=${md5(rest.join("\n"))}`);
        const headers = file.split("\n").filter((l) => /^[a-z]/.test(l));
        assert.deepEqual(headers, ["global", "defaults unnamed_defaults_1", "userlist controller", "frontend web", "backend web", "backend zeta"]);
        assert.doesNotMatch(file, /\t/);
        for (const l of file.split("\n")) if (l && !l.startsWith("#") && !headers.includes(l)) assert.match(l, /^ {2}\S/, l);
        assert.match(file, /\n\nglobal\n/);
        assert.match(file, /\n\nbackend zeta\n/);
        assert.equal(rest[0], `# _version=${v + 1}`);
    });
});
