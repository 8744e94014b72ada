import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PATHS } from "../../components/paths";
import { renderReloadHelper, USERS_PLACEHOLDER } from "../../components/render";
import * as shell from "../../components/shell";
import { shellcheck } from "./harness";

const file = { path: PATHS.tlsKey, owner: "haproxy", group: "haproxy", mode: "0600", removeEmptyDir: true, after: "systemctl daemon-reload", afterDelete: "systemctl daemon-reload" };
const edit = { configFile: "/etc/haproxy/haproxy.cfg", adminSocket: "/run/haproxy/admin.sock", ownedSections: ["userlist controller", "backend haproxy-dataplane-api"], placeholder: USERS_PLACEHOLDER, backupsDir: "/etc/haproxy/backups" };
const sockets = { masterSocket: "/run/haproxy-master.sock", adminSocket: "/run/haproxy/admin.sock", configFile: "/etc/haproxy/haproxy.cfg" };
const dirs = { directories: ["/etc/haproxy-dataplane", "/tmp/spoe-haproxy"], tmpfiles: "d /tmp/spoe-haproxy 0755 haproxy haproxy -\n" };
const start = {
    restartKey: "0123abcd", restartReasons: { binary: "dataplaneapi 3.2.1 (abc)", config: "def" },
    probeUrl: "https://lb1:5555/v3/info", resolve: "lb1:5555:127.0.0.1", caFile: PATHS.tlsCa, tls: true, timeoutSeconds: 90,
};

/** Every script generator, with representative inputs. */
const SCRIPTS: Record<string, string> = {
    writeFile: shell.writeFileScript(file),
    removeFile: shell.removeFileScript(file),
    installBinaryDownload: shell.installBinaryScript({ version: "3.2.1", sha256: { x86_64: "a".repeat(64), arm64: "b".repeat(64) }, baseUrl: "https://example.test/releases/download" }),
    installBinaryUpload: shell.installBinaryScript({ version: "3.2.1", sha256: { x86_64: "a".repeat(64) }, arch: "x86_64", uploadedArchive: "/tmp/dataplaneapi-upload-aaaa.tar.gz" }),
    removeBinary: shell.removeBinaryScript(),
    hostFacts: shell.hostFactsScript(),
    directories: shell.directoriesScript(dirs),
    removeDirectories: shell.removeDirectoriesScript(dirs),
    haproxyEdit: shell.haproxyEditScript(edit),
    haproxyRevert: shell.haproxyRevertScript(edit),
    socketPermissions: shell.socketPermissionsScript(sockets),
    restoreSocketPermissions: shell.restoreSocketPermissionsScript(sockets),
    enableService: shell.enableServiceScript(),
    disableService: shell.disableServiceScript(),
    startService: shell.startServiceScript(start),
    startServicePlainHttp: shell.startServiceScript({ ...start, tls: false, caFile: undefined, probeUrl: "http://lb1:5555/v3/info" }),
    stopService: shell.stopServiceScript(),
    reloadHelper: renderReloadHelper("/run/haproxy-master.sock"),
};

describe("generated shell", () => {
    for (const [name, script] of Object.entries(SCRIPTS)) {
        it(`${name} passes shellcheck`, () => {
            assert.equal(shellcheck(script), "");
        });
        if (name !== "reloadHelper") {
            it(`${name} says what it does on its first line, and stops at the first error`, () => assert.match(script, /^# \S[^\n]+\nset -euo pipefail\n/));
        }
    }

    it("shellcheck itself reports a real problem (the check can fail)", () => {
        assert.notEqual(shellcheck("#!/bin/bash\nrm -rf $dir/*\n"), "");
    });

    it("shq quotes anything into one word", () => {
        for (const s of ["plain", "it's", "a b", "$(rm -rf /)", "`x`", "'\"'", ""]) {
            const script = `#!/bin/bash\nprintf '%s' ${shell.shq(s)}\n`;
            const out = require("node:child_process").execFileSync("bash", ["-c", script], { encoding: "utf8" });
            assert.equal(out, s);
        }
    });

    it("asRoot wraps in sudo -n only for a non-root user", () => {
        assert.equal(shell.asRoot("echo hi", false), "bash -c 'echo hi'");
        assert.equal(shell.asRoot("echo 'hi'", true), "sudo -n bash -c 'echo '\\''hi'\\'''");
    });
});
