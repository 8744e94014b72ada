/**
 * What HAProxy actually does with the editor's results: "haproxy -c passed" is
 * not enough. Each expected result of fixtures/ (cfgedit.test.ts checks that
 * the editor writes exactly those bytes) goes onto a real Debian 12 host with
 * HAProxy 2.6 (tests/e2e/lab.ts) as /etc/haproxy/haproxy.cfg; HAProxy is
 * restarted on it, and the test checks the admin socket it binds (owner,
 * group, mode), that user haproxy, as the Data Plane API runs, gets admin
 * level on it, and that the file alone puts HAProxy in master-worker mode.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { haproxyAdmin, hostDown, hostExec, hostRun, hostUp, type TestHost } from "../../tests/e2e/lab";
import { renderManagedSections, SYSTEM_CA_BUNDLE, USERS_PLACEHOLDER } from "./sections";

const FIXTURES = path.join(__dirname, "fixtures");
const SOCKET = "/run/haproxy/admin.sock";
const CFG = "/etc/haproxy/haproxy.cfg";
const MW_PID = "/run/cfgedit-mw-check.pid";

/** The editor's results whose effect depends on run time, and what each one tests. */
const CASES: Record<string, string> = {
    "debian12-haproxy": "the stock Debian 12 file",
    crlf: "CRLF line endings",
    "no-global": "no global section in the original",
    "socket-comment": "a trailing comment on the socket line",
    "socket-options": "expose-fd listeners, uid 0 and a gid that gave way to group haproxy",
    "socket-unix-prefix": "the socket spelled unix@/run/haproxy/admin.sock",
    "socket-var-run": "the socket spelled /var/run/haproxy/admin.sock",
    "api-rewritten": "a file the Data Plane API rewrote",
};

let host: TestHost | undefined;
let name = "";
let original = "";

/** The editor's result for a case, as cfgedit.test.ts checks it. */
const expected = (c: string) => readFileSync(path.join(FIXTURES, `${c}.expected.cfg`), "utf8");

/** Puts `cfg` in place, validates it as the edit script does, and restarts HAProxy on it (a fresh socket). */
function install(cfg: string): void {
    const w = hostExec(name, `cat > ${CFG}`, cfg);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(hostRun(name, `cat ${CFG}`), cfg, "the host has the bytes of the fixture");
    const check = hostExec(name, `runuser -u haproxy -- haproxy -c -f ${CFG}`);
    assert.equal(check.code, 0, `haproxy -c:\n${check.stdout}${check.stderr}`);
    // reset-failed: the unit allows only a few starts in a row.
    hostRun(name, `systemctl stop haproxy.service; rm -f ${SOCKET}; systemctl reset-failed haproxy.service; systemctl start haproxy.service`);
    hostRun(name, `for _ in $(seq 50); do [ -S ${SOCKET} ] && exit 0; sleep 0.1; done; echo "no ${SOCKET}" >&2; exit 1`);
}

/**
 * Whether the file alone makes HAProxy a master with a worker: started by
 * hand without -W (the Debian unit passes -Ws, which would hide a missing
 * `master-worker`), the process in the pid file has a child only in
 * master-worker mode. The service is left stopped.
 */
function masterWorkerFromFile(): boolean {
    hostRun(name, `systemctl stop haproxy.service; rm -f ${MW_PID}; haproxy -D -f ${CFG} -p ${MW_PID}`);
    try {
        return hostRun(name, `sleep 0.5; pgrep -P "$(cat ${MW_PID})" || true`).trim() !== "";
    } finally {
        hostRun(name, `m=$(cat ${MW_PID}); kill "$m"; for _ in $(seq 50); do kill -0 "$m" 2>/dev/null || exit 0; sleep 0.1; done; kill -9 "$m"`);
    }
}

describe("HAProxy on the editor's results", () => {
    before(() => {
        name = `ce-${randomBytes(3).toString("hex")}`;
        host = hostUp(name, 46);
        original = hostRun(name, `cat ${CFG}`);
    });
    after(() => {
        if (!host) return;
        try {
            hostExec(name, `cat > ${CFG} && systemctl reset-failed haproxy.service && systemctl restart haproxy.service`, original);
        } finally {
            hostDown(name);
        }
    });

    for (const [c, what] of Object.entries(CASES)) {
        it(`${c} (${what}): admin socket root:haproxy 660, level admin for user haproxy, master-worker`, () => {
            install(expected(c));
            assert.equal(hostRun(name, `stat -c '%U:%G %a' ${SOCKET}`).trim(), "root:haproxy 660");
            assert.match(haproxyAdmin(name, "show info"), /^Name: HAProxy$/m, "user haproxy can use the socket");
            assert.equal(haproxyAdmin(name, "show cli level").trim(), "admin");
            // An admin-only command: at level operator HAProxy answers "Permission denied".
            assert.equal(haproxyAdmin(name, "disable server web/web1").trim(), "");
            assert.match(haproxyAdmin(name, "show servers state web"), / web1 127\.0\.0\.1 \d+ 1 /, "web1 is in maintenance (admin state 1)");
            assert.equal(haproxyAdmin(name, "enable server web/web1").trim(), "");
            const sockets = hostRun(name, "ss -xlpn | grep -c haproxy/admin.sock || true").trim();
            assert.equal(sockets, "1", "one listening admin socket");
            assert.ok(masterWorkerFromFile(), "the file puts HAProxy in master-worker mode");
        });
    }

    it("the API backend for a user's own certificate loads with Debian's ca-base (which would turn @system-ca into a missing file)", () => {
        const stock = readFileSync(path.join(FIXTURES, "debian12-haproxy.cfg"), "utf8");
        assert.match(stock, /^\s*ca-base \/etc\/ssl\/certs$/m, "the stock file sets ca-base");
        const backend = renderManagedSections({ userlist: "controller", apiPort: 5555, tls: { systemCa: true } }).replace(
            `    ${USERS_PLACEHOLDER}\n`,
            "    user probe insecure-password probe-password\n",
        );
        install(`${stock}\n${backend}`);
        assert.equal(hostRun(name, "systemctl is-active haproxy.service").trim(), "active");
        const old = hostExec(
            name,
            "cat > /tmp/ca-base.cfg && chmod 644 /tmp/ca-base.cfg && runuser -u haproxy -- haproxy -c -f /tmp/ca-base.cfg",
            `${stock}\n${backend.replace(SYSTEM_CA_BUNDLE, "@system-ca")}`,
        );
        assert.notEqual(old.code, 0, "@system-ca fails under ca-base: the check can fail");
        assert.match(old.stdout + old.stderr, /\/etc\/ssl\/certs\/@system-ca/);
    });

    it("the checks tell a file that is not right: the unedited stock file has no master-worker, unix@ at level operator stays operator", () => {
        install(readFileSync(path.join(FIXTURES, "debian12-haproxy.cfg"), "utf8"));
        assert.equal(masterWorkerFromFile(), false);
        install(readFileSync(path.join(FIXTURES, "socket-unix-prefix.cfg"), "utf8"));
        assert.equal(haproxyAdmin(name, "show cli level").trim(), "operator");
        assert.match(haproxyAdmin(name, "disable server web/web1"), /Permission denied/);
    });
});
