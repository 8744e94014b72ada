/**
 * What HAProxy actually does with the editor's results: "haproxy -c passed" is
 * not enough. On a real host of each Debian release the lab runs
 * (lab/lab.ts; Debian 12 with HAProxy 2.6, Debian 13 with HAProxy 3.0),
 * each expected result of fixtures/ (cfgedit.test.ts checks that the editor
 * writes exactly those bytes) goes in as /etc/haproxy/haproxy.cfg; HAProxy is
 * restarted on it, and the test checks the admin socket it binds (owner,
 * group, mode), that user haproxy, as the Data Plane API runs, gets admin
 * level on it, and that the file alone puts HAProxy in master-worker mode.
 * First, it proves that the release's fixture of Debian's haproxy.cfg is the
 * installed package's file, and that the editor, run there by the host's own
 * awk, turns it into a file that release's HAProxy takes without a warning.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { haproxyAdmin, hostDown, hostExec, hostRun, hostUp, RELEASES } from "../../lab/lab";
import { indexByRelease } from "../../lab/hosts";
import { ASSETS_DIR } from "../../components/shared/assets";
import { API_BACKEND } from "../../components/shared/paths";
import { fixtureManagedSections, LAB_APPLICATION, PACKAGE_FIXTURES, packageFile, provenance } from "../../components/haproxy/cfgeditFixtures";
import { renderManagedSections, SYSTEM_CA_BUNDLE, USERS_PLACEHOLDER } from "../../components/haproxy/sections";

const HAPROXY = path.join(__dirname, "..", "..", "components", "haproxy");
const FIXTURES = path.join(HAPROXY, "fixtures");
const EDITOR = path.join(ASSETS_DIR, "haproxy", "haproxy-cfg-edit.awk");
const SOCKET = "/run/haproxy/admin.sock";
const CFG = "/etc/haproxy/haproxy.cfg";
const MW_PID = "/run/cfgedit-mw-check.pid";
/** The lab host indices of this test, one per release. */
const INDEX = indexByRelease("cfgedit");

/** The editor's results whose effect depends on run time, and what each one tests. */
const CASES: Record<string, string> = {
    "debian12-haproxy": "Debian 12's file, with the lab's application",
    "debian13-haproxy": "Debian 13's file, which has no frontend",
    crlf: "CRLF line endings",
    "no-global": "no global section in the original",
    "socket-comment": "a trailing comment on the socket line",
    "socket-options": "expose-fd listeners, uid 0 and a gid that gave way to group haproxy",
    "socket-unix-prefix": "the socket spelled unix@/run/haproxy/admin.sock",
    "socket-var-run": "the socket spelled /var/run/haproxy/admin.sock",
    "api-rewritten": "a file the Data Plane API rewrote",
};

const fixture = (file: string) => readFileSync(path.join(FIXTURES, file), "utf8");
/** The editor's result for a case, as cfgedit.test.ts checks it. */
const expected = (c: string) => fixture(`${c}.expected.cfg`);
const md5 = (text: string) => createHash("md5").update(text).digest("hex");

/** Puts `cfg` in place on host `name`, validates it as the edit script does, and restarts HAProxy on it (a fresh socket). */
function install(name: string, cfg: string): void {
    const w = hostExec(name, `cat > ${CFG}`, cfg);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(hostRun(name, `cat ${CFG}`), cfg, "the host has the bytes of the fixture");
    const check = hostExec(name, `runuser -u haproxy -- haproxy -c -f ${CFG}`);
    assert.equal(check.code, 0, `haproxy -c:\n${check.stdout}${check.stderr}`);
    // reset-failed: the unit allows only a few starts in a row.
    const start = hostExec(name, `systemctl stop haproxy.service; rm -f ${SOCKET}; systemctl reset-failed haproxy.service; systemctl start haproxy.service`);
    if (start.code !== 0) {
        const why = hostExec(name, "systemctl status --no-pager -n 0 haproxy.service; journalctl --sync; journalctl -n 40 --no-pager -o short-precise");
        assert.fail(`haproxy.service did not start:\n${start.stdout}${start.stderr}\n${why.stdout}${why.stderr}`);
    }
    hostRun(name, `for _ in $(seq 50); do [ -S ${SOCKET} ] && exit 0; sleep 0.1; done; echo "no ${SOCKET}" >&2; exit 1`);
}

/**
 * Whether the file alone makes HAProxy a master with a worker: started by
 * hand without -W (the Debian unit passes -Ws, which would hide a missing
 * `master-worker`), the process in the pid file has a child only in
 * master-worker mode. The service is left stopped.
 */
function masterWorkerFromFile(name: string): boolean {
    hostRun(name, `systemctl stop haproxy.service; rm -f ${MW_PID}; haproxy -D -f ${CFG} -p ${MW_PID}`);
    try {
        return hostRun(name, `sleep 0.5; pgrep -P "$(cat ${MW_PID})" || true`).trim() !== "";
    } finally {
        hostRun(name, `m=$(cat ${MW_PID}); kill "$m"; for _ in $(seq 50); do kill -0 "$m" 2>/dev/null || exit 0; sleep 0.1; done; kill -9 "$m"`);
    }
}

for (const release of RELEASES) {
    const stock = PACKAGE_FIXTURES[release];

    describe(`HAProxy of ${stock.debian} (${release}) on the editor's results`, () => {
        let up = false;
        let name = "";
        let original = "";
        before(() => {
            name = `ce-${release}-${randomBytes(3).toString("hex")}`;
            hostUp(name, INDEX[release], release);
            up = true;
            original = hostRun(name, `cat ${CFG}`);
        });
        after(() => {
            if (!up) return;
            try {
                hostExec(name, `cat > ${CFG} && systemctl reset-failed haproxy.service && systemctl restart haproxy.service`, original);
            } finally {
                hostDown(name);
            }
        });

        it(`${stock.fixture}.cfg is ${provenance(stock)}, as dpkg records it; the host's awk edits it into the expected result, which passes haproxy -c with no warning`, () => {
            const [version, conffiles] = hostRun(name, `dpkg-query -W -f='\${Version}\\t\${Conffiles}\\n' haproxy`).split("\t");
            // A Debian update of the package (deb13u5, say) reaches a freshly built rootfs: the
            // upstream branch must match, and the conffile's md5 decides whether the file changed.
            const branch = (v: string) => /^\d+\.\d+/.exec(v)?.[0];
            assert.equal(branch(version), branch(stock.version), `the installed haproxy ${version} is of the branch the fixture names`);
            if (version !== stock.version) console.log(`${name}: haproxy ${version} installed; the fixture was taken from ${stock.version}`);
            // A conffile the package no longer ships would be marked "obsolete" after its md5.
            const recorded = new RegExp(`^ ${CFG.replace(/\./g, "\\.")} ([0-9a-f]{32})$`, "m").exec(conffiles)?.[1];
            assert.ok(recorded, `dpkg records no md5 for ${CFG}:\n${conffiles}`);
            const text = fixture(`${stock.fixture}.cfg`);
            const own = packageFile(stock, text);
            assert.equal(md5(own), recorded, `the fixture's package file is the one dpkg installed from haproxy ${version}`);
            assert.equal(original, own + LAB_APPLICATION, "the host's haproxy.cfg is that file with the lab's application after it");

            // The editor as the deployment runs it: on the host, with the host's awk.
            const put = (file: string, content: string) => assert.equal(hostExec(name, `cat > /tmp/cfgedit/${file}`, content).code, 0);
            hostRun(name, "rm -rf /tmp/cfgedit && mkdir -m 755 /tmp/cfgedit");
            put("haproxy-cfg-edit.awk", readFileSync(EDITOR, "utf8"));
            put("managed", fixtureManagedSections());
            put("haproxy.cfg", text);
            const edited = hostExec(
                name,
                `cd /tmp/cfgedit && awk -v mode=apply -v socket=${SOCKET} -v remove= -f haproxy-cfg-edit.awk managed haproxy.cfg > edited.cfg && chmod 644 edited.cfg && cat edited.cfg`,
            );
            assert.equal(edited.code, 0, edited.stderr);
            assert.equal(edited.stdout, expected(stock.fixture), "the host's awk writes the expected result");
            // -dW: zero-warning mode, a warning fails the check.
            const check = hostExec(name, "runuser -u haproxy -- haproxy -c -dW -f /tmp/cfgedit/edited.cfg");
            assert.equal(check.code, 0, `haproxy -c -dW:\n${check.stdout}${check.stderr}`);
        });

        for (const [c, what] of Object.entries(CASES)) {
            it(`${c} (${what}): admin socket root:haproxy 660, level admin for user haproxy, master-worker`, () => {
                install(name, expected(c));
                assert.equal(hostRun(name, `stat -c '%U:%G %a' ${SOCKET}`).trim(), "root:haproxy 660");
                assert.match(haproxyAdmin(name, "show info"), /^Name: HAProxy$/m, "user haproxy can use the socket");
                assert.equal(haproxyAdmin(name, "show cli level").trim(), "admin");
                // An admin-only command, on the server every result has (Debian 13's file has no other):
                // at level operator HAProxy answers "Permission denied".
                assert.equal(haproxyAdmin(name, `disable server ${API_BACKEND}/dataplane`).trim(), "");
                assert.match(
                    haproxyAdmin(name, `show servers state ${API_BACKEND}`),
                    / dataplane 127\.0\.0\.1 \d+ 1 /,
                    "dataplane is in maintenance (admin state 1)",
                );
                assert.equal(haproxyAdmin(name, `enable server ${API_BACKEND}/dataplane`).trim(), "");
                const sockets = hostRun(name, "ss -xlpn | grep -c haproxy/admin.sock || true").trim();
                assert.equal(sockets, "1", "one listening admin socket");
                assert.ok(masterWorkerFromFile(name), "the file puts HAProxy in master-worker mode");
            });
        }

        it("the API backend for a user's own certificate loads with Debian's ca-base (which turns @system-ca into a missing file on HAProxy 2.6, not on 3.0)", () => {
            const cfg = fixture(`${stock.fixture}.cfg`);
            assert.match(cfg, /^\s*ca-base \/etc\/ssl\/certs$/m, "the stock file sets ca-base");
            const backend = renderManagedSections({ userlist: "controller", apiPort: 5555, tls: { systemCa: true } }).replace(
                `    ${USERS_PLACEHOLDER}\n`,
                "    user probe insecure-password probe-password\n",
            );
            install(name, `${cfg}\n${backend}`);
            assert.equal(hostRun(name, "systemctl is-active haproxy.service").trim(), "active");
            const old = hostExec(
                name,
                "cat > /tmp/ca-base.cfg && chmod 644 /tmp/ca-base.cfg && runuser -u haproxy -- haproxy -c -f /tmp/ca-base.cfg",
                `${cfg}\n${backend.replace(SYSTEM_CA_BUNDLE, "@system-ca")}`,
            );
            if (release === "bookworm") {
                assert.notEqual(old.code, 0, "@system-ca fails under ca-base on HAProxy 2.6: the check can fail");
                assert.match(old.stdout + old.stderr, /\/etc\/ssl\/certs\/@system-ca/);
            } else {
                assert.equal(old.code, 0, `HAProxy 3.0 takes @system-ca as it is, ca-base or not:\n${old.stdout}${old.stderr}`);
            }
        });

        it("the checks tell a file that is not right: the unedited stock file has no master-worker, unix@ at level operator stays operator", () => {
            install(name, fixture(`${stock.fixture}.cfg`));
            assert.equal(masterWorkerFromFile(name), false);
            install(name, fixture("socket-unix-prefix.cfg"));
            assert.equal(haproxyAdmin(name, "show cli level").trim(), "operator");
            assert.match(haproxyAdmin(name, "disable server web/web1"), /Permission denied/);
        });
    });
}
