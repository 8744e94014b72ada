/**
 * The Data Plane API 3.2.1 stand-in, checked on real Debian hosts against what
 * /work/shared/docs/dataplaneapi.md says the real binary does: one host per
 * release of the lab (tests/e2e/lab.ts RELEASES), Debian 12 with HAProxy 2.6
 * and Debian 13 with HAProxy 3.0, on either side of the 2.7 line where the
 * API stops running reload_cmd and reloads HAProxy through the master socket
 * itself. It builds the stand-in (build.sh), runs its Go unit tests, and on
 * each host installs the release-style archive with the program's own install
 * script, configures it as the program renders it for that host's HAProxy,
 * runs it as user haproxy under the program's systemd unit, and exercises
 * every behaviour the README lists.
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
import { type DataplaneApiConfigModel, dataplaneApiConfigDocument, renderDataplaneApiConfig } from "../../../components/apiConfig/yaml";
import { installBinaryScript } from "../../../components/binary/scripts";
import { renderReloadHelper } from "../../../components/haproxy/reloadHelper";
import { renderReloadClient } from "../../../components/reload/client";
import { renderReloadServiceUnit, renderReloadSocketUnit } from "../../../components/reload/units";
import { renderUnit } from "../../../components/service/unit";
import { API_DIRECTORIES, PATHS } from "../../../components/shared/paths";
import {
    eventually,
    haproxyAdmin,
    haproxyMasterPid,
    haproxyServers,
    hostDown,
    hostExec,
    hostRun,
    hostUp,
    RELEASES,
    REPO,
    type Release,
    type TestHost,
} from "../../e2e/lab";
import { indexByRelease } from "../../e2e/hosts";

const HERE = path.join(REPO, "tests", "standins", "dataplaneapi");
const PORT = 5555;
const CFG = "/etc/haproxy/haproxy.cfg";
const LKG = `${API_DIRECTORIES.backups}/haproxy.cfg.lkg`;
const MASTER = "/run/haproxy-master.sock";
const USER = "dpadmin";

/**
 * One host per release, and what its HAProxy makes the API do. The lab's
 * bookworm runs HAProxy 2.6, where the API reloads with reload_cmd; trixie
 * runs 3.0, where these tests give the API master_runtime (as a user may), and
 * the API reloads through the master socket itself (dp
 * configure_data_plane.go:1195-1211). The program gives no master_runtime on
 * either (its reload_cmd asks the reload service); both paths of the
 * stand-in are shown here, because the real API has both.
 */
const HOSTS: Record<Release, { name: string; index: number; debian: number; haproxy: RegExp; viaMaster: boolean }> = {
    bookworm: { name: "dpapi-standin-bookworm", index: indexByRelease("standin").bookworm, debian: 12, haproxy: /^2\.6\.\d+-/, viaMaster: false },
    trixie: { name: "dpapi-standin-trixie", index: indexByRelease("standin").trixie, debian: 13, haproxy: /^3\.0\.\d+-/, viaMaster: true },
};

const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

interface Res {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
}

/** What GET /v3/services/haproxy/reloads/{id} answers. */
interface ReloadStatus {
    id: string;
    status: string;
    response?: string;
}

/** The archive build.sh made, shared by both hosts. */
let archive = { file: "", sha256: "" };

describe("dataplaneapi stand-in on real Debian hosts", { timeout: 1_800_000 }, () => {
    before(() => {
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
        archive = { file: kv.DPAPI_ARCHIVE, sha256: kv.DPAPI_ARCHIVE_SHA256 };
    });

    it("runs its Go unit tests (format writer, hashes, YAML strictness, version parsing, master-socket reload)", () => {
        const cache = process.env.LB_CACHE_DIR ?? "/var/cache/haproxy-dpapi-lab";
        const r = spawnSync("go", ["test", "-count=1", "./..."], {
            cwd: HERE,
            encoding: "utf8",
            env: {
                ...process.env,
                GOTOOLCHAIN: "local",
                GOFLAGS: "-mod=readonly",
                GOMODCACHE: path.join(cache, "gomod"),
                GOCACHE: path.join(cache, "go-build"),
            },
        });
        assert.equal(r.status, 0, `go test failed:\n${r.stdout}\n${r.stderr}`);
    });

    for (const release of RELEASES) onHost(release);
});

/** Every host check, on a fresh host of this release. */
function onHost(release: Release): void {
    const { name: NAME, index: INDEX, debian, haproxy: haproxyVersionPattern, viaMaster } = HOSTS[release];
    const password = randomBytes(12).toString("hex");
    const password2 = randomBytes(12).toString("hex");
    const password3 = randomBytes(12).toString("hex");

    /** The password the API's userlist holds now. */
    let current = password;
    let host: TestHost;
    let ca = "";
    let cfgAtStart = "";
    let rendered = "";
    /** HAProxy's version as `haproxy -v` names it on this host. */
    let haproxyVersion = "";

    // ------------------------------------------------------------ helpers

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

    /** Waits until the reload is no longer in progress, and returns what the API says of it. */
    async function settledReload(id: string, seconds = 20): Promise<ReloadStatus> {
        let last: ReloadStatus | undefined;
        await eventually(
            `reload ${id} is done`,
            async () => {
                last = JSON.parse((await get(`/services/haproxy/reloads/${id}`)).text) as ReloadStatus;
                return last.status === "succeeded" || last.status === "failed";
            },
            seconds,
        );
        return last!;
    }

    function mainPid(): string {
        return sh("systemctl show -p MainPID --value dataplaneapi.service").trim();
    }

    /** PIDs of HAProxy's workers (the master's children), sorted. */
    function workerPids(): string[] {
        return sh(`ps -o pid= --ppid ${haproxyMasterPid(NAME)} || true`)
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean)
            .sort();
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

    /** The YAML with master_runtime where these tests give it (3.0: see HOSTS). */
    function withMasterRuntime(yaml: string): string {
        return viaMaster ? yaml.replace(/^haproxy:\n/m, `haproxy:\n  master_runtime: ${MASTER}\n`) : yaml;
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
            reloadDelay: 1,
            haproxyVersion,
        };
    }

    describe(`on ${release} (Debian ${debian}): ${viaMaster ? "reloads through the master socket" : "reloads with reload_cmd"}`, { timeout: 900_000 }, () => {
        // ------------------------------------------------------------ setup

        before(async () => {
            hostDown(NAME);
            host = hostUp(NAME, INDEX, release);
            assert.equal(host.release, release);
            haproxyVersion = sh("haproxy -v | sed -n 's/^HAProxy version \\([^ ]*\\).*/\\1/p'").trim();
            assert.match(haproxyVersion, haproxyVersionPattern, `HAProxy on ${release}`);

            // The archive, installed by the program's own install script.
            shIn("cat > /tmp/dataplaneapi.tar.gz", readFileSync(archive.file));
            const out = sh(installBinaryScript({ version: "3.2.1", sha256: { x86_64: archive.sha256 }, uploadedArchive: "/tmp/dataplaneapi.tar.gz" }));
            assert.match(out, /version=3\.2\.1/);

            // HAProxy: master CLI open to group haproxy from its start (a drop-in of this
            // test's own: the master_runtime path needs it), and the API's users.
            shIn(
                "mkdir -p /etc/systemd/system/haproxy.service.d && cat > /etc/systemd/system/haproxy.service.d/50-standin-master-socket.conf",
                `[Service]\nEnvironment="EXTRAOPTS=-S ${MASTER},mode,660,group,haproxy"\n`,
            );
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
            // The program's reload path: its helper, the reload service and reload_cmd's client.
            shIn(`cat > ${PATHS.reloadHelper} && chmod 0700 ${PATHS.reloadHelper}`, renderReloadHelper(MASTER));
            shIn(`cat > ${PATHS.reloadClient} && chmod 0755 ${PATHS.reloadClient}`, renderReloadClient());
            shIn(`cat > ${PATHS.reloadServiceUnit}`, renderReloadServiceUnit());
            shIn(`cat > ${PATHS.reloadSocketUnit}`, renderReloadSocketUnit());
            sh(`systemctl daemon-reload && systemctl start ${PATHS.reloadSocketUnitName}`);
            rendered = withMasterRuntime(renderDataplaneApiConfig(model()));
            shIn(`cat > ${PATHS.configFile} && chown haproxy:haproxy ${PATHS.configFile}`, rendered);
            shIn(`cat > ${PATHS.unit}`, renderUnit({ writableDirectories: Object.values(API_DIRECTORIES), transactionDir: API_DIRECTORIES.transactions }));

            cfgAtStart = sh(`cat ${CFG}`);
            sh("systemctl daemon-reload && systemctl start dataplaneapi.service");
            await waitUp();
        });

        after(() => {
            if (process.env.LB_KEEP_HOST !== "1") hostDown(NAME);
        });

        // ------------------------------------------------------------ tests

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
            assert.equal(want.haproxy.master_runtime, undefined, "the program gives no master_runtime");
            assert.equal(doc.config_version, 2);
            assert.equal(doc.name, NAME);
            assert.deepEqual(doc.haproxy.reload, { ...want.haproxy.reload, reload_strategy: "custom" });
            // master_runtime only where the API can reload through it (HAProxy 2.7 and newer).
            assert.equal(doc.haproxy.master_runtime, viaMaster ? MASTER : undefined);
            assert.equal(doc.haproxy.master_worker_mode, true);
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

        it(
            viaMaster
                ? "reaches HAProxy's runtime API through the master socket (master_runtime on 3.0; `@1` reaches the worker) and reloads through it, not with reload_cmd"
                : "reaches HAProxy's runtime API through the admin socket (no master_runtime on 2.6) and reloads with reload_cmd",
            () => {
                const j = journal();
                const v = escapeRe(haproxyVersion);
                const workers = workerPids();
                assert.equal(workers.length, 1, `one worker: ${workers}`);
                // `show info` answered by the worker: its PID, and the version the reload decision rests on.
                if (viaMaster) {
                    assert.match(j, new RegExp(`runtime API: using the master socket /run/haproxy-master\\.sock \\(HAProxy ${v}, worker pid ${workers[0]}\\)`));
                    assert.match(j, new RegExp(`reloads: through the master socket /run/haproxy-master\\.sock \\(HAProxy ${v} >= 2\\.7\\)`));
                    assert.doesNotMatch(j, /reloads: running reload_cmd/);
                } else {
                    assert.match(j, new RegExp(`runtime API: using the stats socket /run/haproxy/admin\\.sock \\(HAProxy ${v}, pid ${workers[0]}\\)`));
                    assert.match(j, /reloads: running reload_cmd/);
                    assert.doesNotMatch(j, /reloads: through the master socket/);
                }
            },
        );

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
            const missing = await get("/services/haproxy/configuration/frontends");
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

        it(`a second instance: ${
            viaMaster
                ? "master_runtime is what makes 3.0 reload through the master socket (without it: admin socket, reload_cmd)"
                : "with master_runtime 2.6 is reached through the master socket, reloads still by reload_cmd"
        }; a master_runtime that does not answer leaves the admin socket${viaMaster ? ", and still reloads through master_runtime" : ""}; a storage dir it cannot write is fatal, naming it`, () => {
            // A second instance, as user haproxy outside the unit, for a few seconds.
            const base = sh(`cat ${PATHS.configFile}`)
                .replace(/^ {2}port: 5555$/m, "  port: 5601")
                .replace(/tls_port: 5555/, "tls_port: 5601");
            assert.equal(/^ {2}master_runtime: /m.test(base), viaMaster, "these tests give the API master_runtime on 3.0 only");
            const withMaster = viaMaster ? base : base.replace(/^haproxy:\n/m, `haproxy:\n  master_runtime: ${MASTER}\n`);
            const withoutMaster = base.replace(/^ {2}master_runtime: .*\n/m, "");
            const put = (yaml: string) =>
                shIn("install -d -o haproxy -m 0700 /var/tmp/standin2 && cat > /var/tmp/standin2/dp.yaml && chown haproxy /var/tmp/standin2/dp.yaml", yaml);
            const run = (cmd: string) =>
                hostExec(NAME, `cd /var/tmp/standin2 && timeout 4 runuser -u haproxy -- ${PATHS.binary} -f /var/tmp/standin2/dp.yaml ${cmd}`);
            const v = escapeRe(haproxyVersion);
            const onMaster = new RegExp(`runtime API: using the master socket /run/haproxy-master\\.sock \\(HAProxy ${v}, worker pid \\d+\\)`);
            const onAdmin = new RegExp(`runtime API: using the stats socket /run/haproxy/admin\\.sock \\(HAProxy ${v}, pid \\d+\\)`);

            put(withMaster);
            const ok = run("");
            assert.match(ok.stdout, onMaster);
            assert.match(ok.stdout, viaMaster ? /reloads: through the master socket \/run\/haproxy-master\.sock/ : /reloads: running reload_cmd/);
            put(withoutMaster);
            const plain = run("");
            assert.match(plain.stdout, onAdmin);
            assert.match(plain.stdout, /reloads: running reload_cmd/);
            // Nothing checks which socket the runtime client reached: on 3.0 the decision rests on the
            // version alone (dp configure_data_plane.go:1195-1211), so every reload would then fail with
            // "cannot reload: not connected to a master socket" (Go TestVersionCacheGlobalNeverRefreshed).
            put(
                withMaster
                    .replace(`master_runtime: ${MASTER}`, "master_runtime: /run/no-such-master.sock")
                    .replace(/^haproxy:\n/m, "haproxy:\n  delayed_start_max: 1s\n"),
            );
            const fallback = run("");
            assert.match(fallback.stdout, /Error setting up runtime client with master socket: \/run\/no-such-master\.sock/);
            assert.match(fallback.stdout, onAdmin);
            assert.match(fallback.stdout, viaMaster ? /reloads: through the master socket \/run\/no-such-master\.sock/ : /reloads: running reload_cmd/);

            put(withMaster);
            sh(`chown root:root ${API_DIRECTORIES.maps} && chmod 0755 ${API_DIRECTORIES.maps}`);
            try {
                const bad = run("");
                assert.equal(bad.code, 1, `exit status\n${bad.stdout}`);
                assert.match(bad.stdout, new RegExp(`level=fatal .*${API_DIRECTORIES.maps}`));
            } finally {
                sh(`chown haproxy:haproxy ${API_DIRECTORIES.maps} && chmod 0750 ${API_DIRECTORIES.maps}`);
            }
            // Both reload commands are required with the custom strategy.
            put(withMaster.replace(/^ {4}restart_cmd: .*\n/m, ""));
            const noRestart = run("");
            assert.equal(noRestart.code, 1);
            assert.match(noRestart.stdout, /configuration error: the custom reload strategy requires these options to be set: ReloadCmd, RestartCmd/);
            // Stricter than the real one: an unknown key is refused, by name.
            put(`${withMaster}bogus_key: 1\n`);
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
            putCfg(
                `${before.replace(/password \S+/, `password ${cryptHash(password3, "standin3")}`)}\nbackend outside-edit\n    server o1 127.0.0.1:9 disabled\n`,
            );
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

        it(`POST raw: validated as haproxy, written through temp + rename with _version+1, reloaded ${
            viaMaster ? "through the master socket (HAProxy's startup logs are the reload's response)" : "by reload_cmd"
        }; the change reaches HAProxy, whose master stays`, async () => {
            const v = await apiVersion();
            const master = haproxyMasterPid(NAME);
            const workersBefore = workerPids();
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
            const done = await settledReload(reloadId);
            assert.equal(done.status, "succeeded", JSON.stringify(done));
            assert.equal(haproxyMasterPid(NAME), master, "reloaded, not restarted: the same master");
            if (viaMaster) {
                // client-native's result: the startup logs after "Success=1\n--\n", the status line split off.
                const response = done.response ?? "";
                assert.doesNotMatch(response, /Success=/, response);
                assert.match(response, new RegExp(`^\\[NOTICE\\] +\\(${master}\\) : New worker \\(\\d+\\) forked$`, "m"));
                assert.match(response, /^\[NOTICE\] +\(\d+\) : Loading success\.$/m);
                const forked = /New worker \((\d+)\) forked/.exec(response)![1];
                assert.ok(!workersBefore.includes(forked), `a new worker: ${forked} vs ${workersBefore}`);
                await eventually(`worker ${forked} alone serves`, () => workerPids().join() === forked, 20);
            } else {
                // reload_cmd's stdout: the reload service's verdict, which its helper read from `show proc`.
                assert.match(done.response ?? "", /^ok: HAProxy reloaded \(reload \d+ of its master\)\n$/);
                await eventually(
                    "a new worker alone serves",
                    () => {
                        const w = workerPids();
                        return w.length === 1 && !workersBefore.includes(w[0]);
                    },
                    20,
                );
            }
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

        it(`a failed reload (${
            viaMaster ? "the master socket refuses the API's connection" : "reload_cmd cannot reach the reload service"
        }) puts .lkg back over haproxy.cfg (after a .bck copy that it removes again)`, async () => {
            const v = await apiVersion();
            const good = sh(`cat ${CFG}`);
            assert.equal(sh(`cat ${LKG}`), good);
            const raw = good.replace(/weight 37/, "weight 55");
            // The API itself cannot reach the master CLI (3.0), or reload_cmd cannot reach the reload service (2.6).
            const breakReload = viaMaster ? `chmod 0600 ${MASTER}` : `systemctl stop ${PATHS.reloadSocketUnitName}`;
            const mendReload = viaMaster ? `chmod 0660 ${MASTER}` : `systemctl start ${PATHS.reloadSocketUnitName}`;
            sh(breakReload);
            try {
                const r = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, { auth: [USER, password3], body: raw });
                assert.equal(r.status, 202, r.text);
                // The answer is the file as written. Reading haproxy.cfg here would race the
                // reload tick, whose failure puts .lkg back (under load, before this line ran).
                assert.match(r.text, /weight 55/);
                const done = await settledReload(String(r.headers["reload-id"]), 15);
                assert.equal(done.status, "failed", JSON.stringify(done));
            } finally {
                sh(mendReload);
            }
            assert.equal(sh(`cat ${CFG}`), good, "haproxy.cfg is the last known good file again");
            assert.equal(
                sh(`test -e ${CFG}.bck && echo kept || echo removed`).trim(),
                "removed",
                "the .bck copy is removed once the restore is done (reload_agent.go)",
            );
            assert.equal(liveWeight(), "37");
            const j = journal();
            assert.match(j, /Reload failed, reverting the last working config/);
            assert.match(
                j,
                viaMaster
                    ? /Reload failed: cannot reload: dial unix \/run\/haproxy-master\.sock: connect: permission denied/
                    : new RegExp(`Reload failed: executing ${escapeRe(PATHS.reloadClient)} failed: exit status \\d+`),
            );
        });

        // The API reads HAProxy's verdict from the master socket on 2.7 and newer, and from
        // reload_cmd's exit status on 2.6, where the program's helper asks `show proc` for it.
        it("HAProxy refuses the reload (a frontend on a port already taken, which `haproxy -c` cannot see): failed with HAProxy's verdict, .lkg back over haproxy.cfg, the old worker still serving", async () => {
            const v = await apiVersion();
            const good = sh(`cat ${CFG}`);
            assert.equal(sh(`cat ${LKG}`), good);
            assert.match(sh(`ss -Hltn 'sport = :${PORT}'`), new RegExp(`:${PORT}\\b`), `the API listens on ${PORT}`);
            const master = haproxyMasterPid(NAME);
            const workers = workerPids();
            const weight = liveWeight();
            const r = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, {
                auth: [USER, current],
                body: `${good}\nfrontend clash\n  bind 127.0.0.1:${PORT}\n`,
            });
            assert.equal(r.status, 202, `\`haproxy -c\` as haproxy passes it: ${r.text}`);
            assert.match(sh(`cat ${CFG}`), /^frontend clash$/m);
            const done = await settledReload(String(r.headers["reload-id"]), 30);
            assert.equal(done.status, "failed", JSON.stringify(done));
            const response = done.response ?? "";
            if (viaMaster) {
                // The startup logs after "Success=0\n--\n", as client-native returns them.
                assert.doesNotMatch(response, /Success=/, response);
                assert.match(
                    response,
                    new RegExp(
                        `^\\[ALERT\\] +\\(${master}\\) : Binding \\[${escapeRe(CFG)}:\\d+\\] for frontend clash: .*cannot bind socket \\(Address already in use\\) for \\[127\\.0\\.0\\.1:${PORT}\\]\\.$`,
                        "m",
                    ),
                    response,
                );
                assert.match(response, /\[WARNING\] +\(\d+\) : Loading failure!$/, "the last line");
                assert.match(journal(), /Reload failed: failed to reload configuration/);
            } else {
                // reload_cmd's stderr (the reload service's verdict), and its exit status as the error.
                assert.match(response, /^failed: HAProxy refused the reload and still runs the previous configuration/, response);
                assert.match(journal(), new RegExp(`Reload failed: executing ${escapeRe(PATHS.reloadClient)} failed: exit status 1`));
            }
            assert.equal(sh(`cat ${CFG}`), good, "haproxy.cfg is the last known good file again");
            assert.equal(sh(`cat ${LKG}`), good, ".lkg is refreshed only by a successful reload");
            assert.equal(sh(`test -e ${CFG}.bck && echo kept || echo removed`).trim(), "removed");
            assert.equal(haproxyMasterPid(NAME), master);
            assert.deepEqual(workerPids(), workers, "no new worker: the old one still serves");
            assert.equal(liveWeight(), weight);
        });

        // On HAProxy 2.6 the reload agent holds no runtime client (it runs reload_cmd), so
        // there is nothing it could keep: this check exists only where it reloads through one.
        if (viaMaster) {
            it("the reload agent keeps the runtime client it started with: after a SIGUSR1 whose master-socket reconnect fails (the API's runtime is then the admin socket), reloads still go through the master socket", async () => {
                const since = sh("date +%s").trim();
                const journalSince = () => sh(`journalctl -u dataplaneapi.service --no-pager -o cat --since @${since}`);
                sh(`chmod 0600 ${MASTER}`);
                try {
                    sh("systemctl kill -s USR1 --kill-who=main dataplaneapi.service");
                    // delayed_start_max (30 s) on the master socket, then the admin socket.
                    await eventually("the API re-creates its runtime client", () => /Reloaded Data Plane API/.test(journalSince()), 60);
                } finally {
                    sh(`chmod 0660 ${MASTER}`);
                }
                const j = journalSince();
                assert.match(j, /Error setting up runtime client with master socket: \/run\/haproxy-master\.sock : .*permission denied/);
                assert.match(
                    j,
                    new RegExp(`runtime API: using the stats socket /run/haproxy/admin\\.sock \\(HAProxy ${escapeRe(haproxyVersion)}, pid \\d+\\)`),
                );
                const v = await apiVersion();
                const raw = (await get("/services/haproxy/configuration/raw")).text;
                const weight = liveWeight();
                const next = raw.replace(new RegExp(`(server web1 127\\.0\\.0\\.1:8081 weight )${weight}\\b`), (_, head) => `${head}38`);
                assert.notEqual(next, raw);
                const r = await request("POST", `/v3/services/haproxy/configuration/raw?version=${v}`, { auth: [USER, current], body: next });
                assert.equal(r.status, 202, r.text);
                // Through the API's new (admin socket) client it would fail: "cannot reload: not connected to a master socket".
                const done = await settledReload(String(r.headers["reload-id"]));
                assert.equal(done.status, "succeeded", JSON.stringify(done));
                assert.match(done.response ?? "", /Loading success\./);
                await eventually("HAProxy runs the new weight", () => liveWeight() === "38", 20);
            });
        }

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

        // ------------------------------------------------------------ per-object endpoints

        const TX = API_DIRECTORIES.transactions;
        const json = (method: string, p: string, body?: unknown) =>
            request(method, `/v3/services/haproxy${p}`, {
                auth: [USER, current],
                ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: "application/json" }),
            });
        /** Top-level transaction files (in progress), by name. */
        const txFiles = (sub = ""): string[] =>
            sh(`find ${TX}/${sub} -maxdepth 1 -type f -name 'haproxy.cfg.*' -printf '%f\\n' 2>/dev/null || true`).split("\n").filter(Boolean);
        const webServers = () => haproxyServers(NAME, "web");

        it("per-object setup: the lab's backend web (plus `timeout check 2s`) through raw, reloaded", async () => {
            const orig = sh("cat /root/haproxy.cfg.orig").replace(/(\nbackend web\n {4}balance roundrobin\n)/, "$1    timeout check 2s\n");
            const cfg = `${orig}\nuserlist controller\n    user ${USER} password ${cryptHash(current, "standin5")}\n`;
            const r = await request("POST", `/v3/services/haproxy/configuration/raw?version=${await apiVersion()}`, { auth: [USER, current], body: cfg });
            assert.equal(r.status, 202, r.text);
            assert.equal((await settledReload(String(r.headers["reload-id"]))).status, "succeeded");
            assert.equal(liveWeight(), "100");
            assert.deepEqual([...webServers().keys()], ["web1"]);
        });

        it("GET backends and servers: the v3 models (JSON names, ms ints, enabled/disabled)", async () => {
            const web = await json("GET", "/configuration/backends/web");
            assert.equal(web.status, 200, web.text);
            assert.deepEqual(JSON.parse(web.text), { name: "web", balance: { algorithm: "roundrobin" }, check_timeout: 2000 });
            const all = JSON.parse((await json("GET", "/configuration/backends")).text);
            assert.deepEqual(
                all.map((b: { name: string }) => b.name),
                ["web"],
            );
            const servers = await json("GET", "/configuration/backends/web/servers");
            assert.deepEqual(JSON.parse(servers.text), [{ name: "web1", address: "127.0.0.1", port: 8081, weight: 100 }]);
            assert.equal((await json("GET", "/configuration/backends/web/servers/nope")).status, 404);
            assert.equal((await json("GET", "/configuration/backends/nope")).status, 404);
        });

        it("POST server with ?version: `add server` on the runtime, 201 without a reload; HAProxy has it in maintenance", async () => {
            const v = await apiVersion();
            const reloadsBefore = (await get("/services/haproxy/reloads")).text;
            const r = await json("POST", `/configuration/backends/web/servers?version=${v}`, {
                name: "web2",
                address: "127.0.0.1",
                port: 8082,
                check: "enabled",
                inter: 5000,
            });
            assert.equal(r.status, 201, r.text);
            assert.equal(r.headers["reload-id"], undefined, "no reload");
            assert.deepEqual(JSON.parse(r.text), { name: "web2", address: "127.0.0.1", port: 8082, check: "enabled", inter: 5000 });
            assert.equal(r.headers["configuration-version"], String(v + 1));
            const file = sh(`cat ${CFG}`);
            assert.match(file, /\n {2}server web1 127\.0\.0\.1:8081 weight 100\n {2}server web2 127\.0\.0\.1:8082 check inter 5s\n/);
            assert.equal(file.split("\n")[1], `# _version=${v + 1}`);
            const web2 = webServers().get("web2");
            assert.ok(web2, "HAProxy has web2 without a reload");
            assert.equal(web2!.adminState & 1, 1, `a server added at run time starts in maintenance (admin state ${web2!.adminState})`);
            assert.doesNotMatch(journal(), /failed to add server through runtime/);
            assert.deepEqual(txFiles(), [], "the implicit transaction's file is gone");
            assert.equal((await get("/services/haproxy/reloads")).text, reloadsBefore, "no reload scheduled");
            const rt = await json("GET", "/runtime/backends/web/servers");
            assert.equal(rt.status, 200, rt.text);
            const list = JSON.parse(rt.text) as { name: string; admin_state: string; operational_state: string; port: number; address: string; id: string }[];
            assert.deepEqual(
                list.map((s) => [s.name, s.address, s.port, s.admin_state]),
                [
                    ["web1", "127.0.0.1", 8081, "ready"],
                    ["web2", "127.0.0.1", 8082, "maint"],
                ],
            );
            const one = JSON.parse((await json("GET", "/runtime/backends/web/servers/web1")).text);
            assert.equal(one.operational_state, "up");
            assert.equal((await json("GET", "/runtime/backends/web/servers/nope")).status, 404);
        });

        it("PUT server changing only weight: `set server web/web1 weight`, 200 without Reload-ID; live and in the file", async () => {
            const v = await apiVersion();
            const body = { ...JSON.parse((await json("GET", "/configuration/backends/web/servers/web1")).text), weight: 150 };
            const r = await json("PUT", `/configuration/backends/web/servers/web1?version=${v}`, body);
            assert.equal(r.status, 200, r.text);
            assert.equal(r.headers["reload-id"], undefined);
            assert.equal(liveWeight(), "150", "the runtime changed the weight");
            assert.match(sh(`cat ${CFG}`), /\n {2}server web1 127\.0\.0\.1:8081 weight 150\n/);
            assert.equal(await apiVersion(), v + 1);
        });

        it("PUT server with another difference (maxconn): 202 + Reload-ID that succeeds; web2 leaves maintenance with the reload", async () => {
            const v = await apiVersion();
            const body = { ...JSON.parse((await json("GET", "/configuration/backends/web/servers/web1")).text), maxconn: 50 };
            const r = await json("PUT", `/configuration/backends/web/servers/web1?version=${v}`, body);
            assert.equal(r.status, 202, r.text);
            const id = String(r.headers["reload-id"]);
            assert.match(id, /^\d{4}-\d{2}-\d{2}-\d+$/);
            assert.match(sh(`cat ${CFG}`), /\n {2}server web1 127\.0\.0\.1:8081 maxconn 50 weight 150\n/);
            assert.equal((await settledReload(id)).status, "succeeded");
            await eventually("web2 is re-created from the file, out of maintenance", () => (webServers().get("web2")?.adminState ?? 1) === 0, 20);
        });

        it("PUT backend with httpchk: 202 + Reload-ID; `option httpchk GET /health` in the file, omitted fields gone, servers kept; the checked server UP", async () => {
            const v = await apiVersion();
            const got = JSON.parse((await json("GET", "/configuration/backends/web")).text);
            const { check_timeout: _omitted, ...rest } = got;
            assert.equal(_omitted, 2000);
            const r = await json("PUT", `/configuration/backends/web?version=${v}`, {
                ...rest,
                adv_check: "httpchk",
                httpchk_params: { method: "GET", uri: "/health" },
            });
            assert.equal(r.status, 202, r.text);
            const file = sh(`cat ${CFG}`);
            assert.match(
                file,
                /\nbackend web\n {2}balance roundrobin\n {2}option httpchk GET \/health\n {2}server web1 [^\n]*\n {2}server web2 127\.0\.0\.1:8082 check inter 5s\n/,
            );
            assert.doesNotMatch(file, /timeout check/, "a field the body omits is deleted");
            assert.equal((await settledReload(String(r.headers["reload-id"]))).status, "succeeded");
            await eventually("web2 (check, httpchk) is UP", () => webServers().get("web2")?.opState === 2 && webServers().get("web2")?.adminState === 0, 30);
            // HAProxy runs the HTTP check itself: `show stat` reports L7OK (an L4 check would say L4OK).
            await eventually("web2's `GET /health` check passes (L7OK)", () => /^web,web2,(?:[^,\n]*,)*L7OK,/m.test(haproxyAdmin(NAME, "show stat")), 30);
            const back = JSON.parse((await json("GET", "/configuration/backends/web")).text);
            assert.deepEqual(back, { ...rest, adv_check: "httpchk", httpchk_params: { method: "GET", uri: "/health" } });
        });

        it("DELETE server: always a reload (202 + Reload-ID); gone from the file and from HAProxy", async () => {
            const v = await apiVersion();
            const r = await json("DELETE", `/configuration/backends/web/servers/web2?version=${v}`);
            assert.equal(r.status, 202, r.text);
            assert.doesNotMatch(sh(`cat ${CFG}`), /server web2/);
            assert.equal((await settledReload(String(r.headers["reload-id"]))).status, "succeeded");
            await eventually("HAProxy no longer has web2", () => !webServers().has("web2"), 20);
        });

        it("409 on a stale version (object write and transaction start); 501 naming a field the stand-in does not model", async () => {
            const v = await apiVersion();
            const body = JSON.parse((await json("GET", "/configuration/backends/web/servers/web1")).text);
            const stale = await json("PUT", `/configuration/backends/web/servers/web1?version=${v - 1}`, body);
            assert.equal(stale.status, 409);
            assert.deepEqual(JSON.parse(stale.text), {
                code: 409,
                message: `version mismatch: version in configuration file is ${v}, given version is ${v - 1}`,
            });
            assert.equal((await json("POST", `/transactions?version=${v - 1}`)).status, 409);
            const odd = await json("POST", `/configuration/backends/web/servers?version=${v}`, { name: "x", address: "127.0.0.1", port: 1, proto: "h2" });
            assert.equal(odd.status, 501);
            assert.match(JSON.parse(odd.text).message, /server field\(s\) proto is not modelled by the dataplaneapi stand-in/);
            assert.equal(await apiVersion(), v, "nothing written");
            assert.deepEqual(txFiles(), []);
        });

        it("explicit transactions: files in transaction_dir, changes only there, commit reloads (never the runtime) and outdates older ones, DELETE removes, a failing commit lands in failed/", async () => {
            const v = await apiVersion();
            const t1r = await json("POST", `/transactions?version=${v}`);
            assert.equal(t1r.status, 201, t1r.text);
            const t1 = JSON.parse(t1r.text);
            assert.equal(t1.status, "in_progress");
            assert.equal(t1._version, v);
            const t2 = JSON.parse((await json("POST", `/transactions?version=${v}`)).text);
            assert.deepEqual(txFiles().sort(), [`haproxy.cfg.${t1.id}`, `haproxy.cfg.${t2.id}`].sort());
            const before = sh(`cat ${CFG}`);
            const add = await json("POST", `/configuration/backends/web/servers?transaction_id=${t1.id}`, { name: "web3", address: "127.0.0.1", port: 8083 });
            assert.equal(add.status, 202, add.text);
            assert.equal(add.headers["reload-id"], undefined);
            assert.equal(sh(`cat ${CFG}`), before, "haproxy.cfg untouched");
            assert.match(sh(`cat ${TX}/haproxy.cfg.${t1.id}`), /server web3 127\.0\.0\.1:8083\n/);
            assert.ok(!webServers().has("web3"), "no runtime add inside a transaction");
            assert.deepEqual(JSON.parse((await json("GET", `/configuration/backends/web/servers/web3?transaction_id=${t1.id}`)).text), {
                name: "web3",
                address: "127.0.0.1",
                port: 8083,
            });
            assert.deepEqual(JSON.parse((await json("GET", `/transactions/${t1.id}`)).text), { _version: v, id: t1.id, status: "in_progress" });
            const commit = await json("PUT", `/transactions/${t1.id}`);
            assert.equal(commit.status, 202, commit.text);
            assert.deepEqual(JSON.parse(commit.text), { _version: v, id: t1.id, status: "success" });
            assert.match(sh(`cat ${CFG}`), /server web3 127\.0\.0\.1:8083\n/);
            assert.equal(await apiVersion(), v + 1);
            assert.equal((await settledReload(String(commit.headers["reload-id"]))).status, "succeeded");
            await eventually("HAProxy has web3 after the reload", () => webServers().get("web3")?.adminState === 0, 20);
            assert.deepEqual(txFiles(), [], "t1 committed, t2 outdated");
            assert.deepEqual(txFiles("outdated"), [`haproxy.cfg.${t2.id}`]);
            assert.equal(JSON.parse((await json("GET", `/transactions/${t2.id}`)).text).status, "outdated");
            assert.equal((await json("PUT", `/transactions/${t2.id}`)).status, 406);
            assert.equal((await json("DELETE", `/transactions/${t2.id}`)).status, 204);
            assert.deepEqual(txFiles("outdated"), []);
            assert.equal((await json("GET", `/transactions/${t2.id}`)).status, 404);
            // haproxy -c refuses it (a CA file that does not exist): 400, the file in failed/, nothing written
            const t3 = JSON.parse((await json("POST", `/transactions?version=${v + 1}`)).text);
            const bad = await json("POST", `/configuration/backends/web/servers?transaction_id=${t3.id}`, {
                name: "bad",
                address: "127.0.0.1",
                port: 8084,
                ssl: "enabled",
                verify: "required",
                ssl_cafile: "/nonexistent/ca.pem",
            });
            assert.equal(bad.status, 202, bad.text);
            const beforeFail = sh(`cat ${CFG}`);
            const failed = await json("PUT", `/transactions/${t3.id}`);
            assert.equal(failed.status, 400, failed.text);
            assert.match(JSON.parse(failed.text).message, new RegExp(`^exit status 1: err transactionId=${t3.id}`));
            assert.equal(failed.headers["reload-id"], undefined);
            assert.ok(txFiles("failed").includes(`haproxy.cfg.${t3.id}`), "in failed/");
            assert.equal(JSON.parse((await json("GET", `/transactions/${t3.id}`)).text).status, "failed");
            assert.equal(sh(`cat ${CFG}`), beforeFail);
            // DELETE of an open transaction removes its file
            const t4 = JSON.parse((await json("POST", `/transactions?version=${v + 1}`)).text);
            assert.deepEqual(txFiles(), [`haproxy.cfg.${t4.id}`]);
            assert.equal((await json("DELETE", `/transactions/${t4.id}`)).status, 204);
            assert.deepEqual(txFiles(), []);
            const listed = JSON.parse((await json("GET", "/transactions?status=failed")).text) as { id: string }[];
            assert.ok(listed.some((t) => t.id === t3.id));
        });

        it("open transactions survive an API restart; a top-level haproxy.cfg.* that cannot be loaded is fatal at start", async () => {
            const v = await apiVersion();
            const t = JSON.parse((await json("POST", `/transactions?version=${v}`)).text);
            sh("systemctl restart dataplaneapi.service");
            await waitUp();
            assert.deepEqual(JSON.parse((await json("GET", `/transactions/${t.id}`)).text), { _version: v, id: t.id, status: "in_progress" });
            const del = await json("DELETE", `/configuration/backends/web/servers/web3?transaction_id=${t.id}`);
            assert.equal(del.status, 202, del.text);
            assert.equal((await json("DELETE", `/transactions/${t.id}`)).status, 204);
            // Root-only, so the API (user haproxy) cannot read it: a second instance outside the unit
            // (as haproxy, another port) exits at start naming it. The program's unit sweeps such a
            // file into failed/ before each start (components/service/unit.ts renderTransactionSweep).
            sh(`install -m 0600 -o root -g root /dev/null ${TX}/haproxy.cfg.unreadable`);
            try {
                const yaml = sh(`cat ${PATHS.configFile}`)
                    .replace(/^ {2}port: 5555$/m, "  port: 5602")
                    .replace(/tls_port: 5555/, "tls_port: 5602");
                shIn("install -d -o haproxy -m 0700 /var/tmp/standin3 && cat > /var/tmp/standin3/dp.yaml && chown haproxy /var/tmp/standin3/dp.yaml", yaml);
                const second = hostExec(NAME, `cd /var/tmp/standin3 && timeout 4 runuser -u haproxy -- ${PATHS.binary} -f /var/tmp/standin3/dp.yaml`);
                assert.equal(second.code, 1, second.stdout);
                assert.match(second.stdout, /level=warning msg="transaction unreadable: open [^"]*permission denied"/);
                assert.match(
                    second.stdout,
                    new RegExp(`level=fatal msg="[^"]*failed to read configuration: cannot read ${escapeRe(TX)}/haproxy\\.cfg\\.unreadable"`),
                );
                sh("systemctl restart dataplaneapi.service");
                await waitUp();
                assert.equal(sh(`stat -c %U ${TX}/failed/haproxy.cfg.unreadable`).trim(), "root", "the unit's sweep moved it to failed/");
            } finally {
                sh(`rm -f ${TX}/haproxy.cfg.unreadable ${TX}/failed/haproxy.cfg.unreadable`);
            }
            assert.deepEqual(txFiles(), [], "no top-level transaction file left behind");
        });

        it("POST storage/ssl_certificates (multipart file_upload): name sanitised, PEM checked, written 0644 by temp + rename, pushed with new/set/commit ssl cert; 409 for an existing name", async () => {
            const dir = API_DIRECTORIES.sslCerts;
            const pem = sh(
                "cd /tmp && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout up.key -out up.crt -subj /CN=upload -days 2 2>/dev/null && cat up.crt up.key && rm -f up.crt up.key",
            );
            const multipart = (filename: string, content: string) => {
                const boundary = `standin${randomBytes(8).toString("hex")}`;
                return {
                    body: `--${boundary}\r\nContent-Disposition: form-data; name="file_upload"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`,
                    contentType: `multipart/form-data; boundary=${boundary}`,
                };
            };
            const post = (filename: string, content: string) =>
                request("POST", "/v3/services/haproxy/storage/ssl_certificates", { auth: [USER, current], ...multipart(filename, content) });
            const path = `${dir}/lab_cert.pem`;
            try {
                const r = await post("lab cert.pem", pem);
                assert.equal(r.status, 201, r.text);
                assert.equal(r.headers["reload-id"], undefined, "pushed through the runtime, no reload");
                assert.deepEqual(JSON.parse(r.text), {
                    file: path,
                    description: "managed SSL file",
                    storage_name: "lab_cert.pem",
                    size: Buffer.byteLength(pem),
                });
                assert.equal(sh(`stat -c '%U:%G %a' ${path}`).trim(), "haproxy:haproxy 644");
                assert.equal(sh(`cat ${path}`), pem);
                assert.match(
                    haproxyAdmin(NAME, `show ssl cert ${path}`),
                    new RegExp(`^Filename: ${escapeRe(path)}$`, "m"),
                    "HAProxy holds the new certificate",
                );
                assert.equal((await post("lab cert.pem", pem)).status, 409, "an existing file is refused");
                const noKey = await post("nokey.pem", pem.slice(0, pem.indexOf("-----END CERTIFICATE-----") + 26));
                assert.equal(noKey.status, 500);
                assert.equal(JSON.parse(noKey.text).message, "file should contain both certificate and private key");
                assert.equal(sh(`test -e ${dir}/nokey.pem && echo kept || echo absent`).trim(), "absent");
                const list = JSON.parse((await get("/services/haproxy/storage/ssl_certificates")).text);
                assert.deepEqual(list, [{ file: path, description: "managed SSL file", storage_name: "lab_cert.pem" }]);
            } finally {
                sh(`rm -f ${path}`);
            }
        });
    });
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
