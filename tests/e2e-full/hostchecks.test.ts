/**
 * The host checks of ../shared/docs/host-needs.md (section B, C1-C15): what the
 * real Data Plane API does on the host beyond its raw endpoint, tried on a host
 * the program deployed through the real engine, on each Debian release of the
 * lab. Each check runs as user haproxy inside the API unit's own sandbox (a
 * transient unit with the installed unit's [Service] settings), and each one
 * is shown to fail on a host broken on purpose, then to pass again once the
 * host is put right.
 *
 * C8 and C9 follow this program's reload design (components/reload): the API
 * reloads through reload_cmd, the client of a root reload service; it has no
 * master_runtime, and user haproxy cannot reach HAProxy's master CLI at all.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { shq } from "../../components/shared/shell";
import {
    type ApiResponse,
    api,
    buildTools,
    describeTools,
    eventually,
    haproxyAdmin,
    haproxyMasterReloads,
    haproxyServers,
    hostDown,
    hostExec,
    hostRun,
    hostsConfig,
    hostUp,
    inSandbox,
    Mirror,
    newStack,
    RELEASES,
    reloadOutcome as apiReloadOutcome,
    type Release,
    type TestHost,
    type Tools,
    unitSandboxProperties,
} from "../../lab/lab";
import { indexByRelease } from "../../lab/hosts";

const INDEX = indexByRelease("hostchecks");
const CFG = "/etc/haproxy/haproxy.cfg";
const YAML_FILE = "/etc/haproxy-dataplane/dataplaneapi.yaml";
const ADMIN_SOCKET = "/run/haproxy/admin.sock";
const MASTER_SOCKET = "/run/haproxy-master.sock";
const ROOT_RELOAD = "/usr/local/lib/haproxy-dataplane/reload-haproxy";

const run = randomBytes(3).toString("hex");
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-checks-"));
const password = `pw-${randomBytes(12).toString("hex")}`;
let tools: Tools;

before(() => {
    tools = buildTools();
    console.log(describeTools(tools));
});
after(() => rmSync(stateDir, { recursive: true, force: true }));

for (const release of RELEASES) describe(`C1-C15 on a deployed ${release} host, as user haproxy in the API's sandbox`, () => checks(release));

/** A check's verdict: it throws, naming the check and what it found, or returns what it saw. */
class CheckFailed extends Error {}

function checks(release: Release): void {
    let lb: TestHost;
    let mirror: Mirror;
    let stack: Stack;
    let ca = "";
    let apiUrl = "";
    /** The API's own settings, as it rewrote its YAML at start. */
    let dirs: Record<string, string> = {};
    let sandbox: string[] = [];
    const auth = `dpadmin:${password}`;

    const root = (cmd: string) => hostRun(lb.name, cmd);
    const statOf = (p: string) => root(`stat -c '%U:%G %a' ${p}`).trim();
    /** Runs a check script as user haproxy in the API's sandbox; throws CheckFailed with its output unless it exits 0. */
    const asApi = (id: string, script: string): string => {
        const r = inSandbox(lb.name, sandbox, script);
        if (r.code !== 0) throw new CheckFailed(`${id}: ${`${r.stdout}${r.stderr}`.trim()} (exit ${r.code})`);
        return r.stdout;
    };
    const call = (p: string, opts: Parameters<typeof api>[2] = {}): Promise<ApiResponse> => api(`${apiUrl}${p}`, ca, { auth, ...opts });
    const version = async (): Promise<number> => (await call("/services/haproxy/configuration/version")).body;
    /**
     * Runs a root command that changes haproxy.cfg, then waits for the API's
     * watcher to have read it and written it back with its own hash: an API
     * write sent before that would build on the configuration from before the
     * edit, and undo it.
     */
    const rootEditsCfg = async (cmd: string) => {
        root(cmd);
        await eventually(
            "the API to have read the edited haproxy.cfg",
            () => {
                const [first, ...rest] = root(`cat ${CFG}`).split("\n");
                return first === `# _md5hash=${createHash("md5").update(rest.join("\n")).digest("hex")}`;
            },
            30,
        );
    };
    /** Waits for a reload the API started to end; returns its final status. */
    const reloadOutcome = async (id: string): Promise<string> => (await apiReloadOutcome(apiUrl, ca, auth, id)).status;
    /** One write through the API (the raw endpoint), then its reload; returns the reload's status. */
    const apiWrite = async (edit: (cfg: string) => string = (c) => c): Promise<string> => {
        const raw = await call("/services/haproxy/configuration/raw");
        const posted = await call(`/services/haproxy/configuration/raw?version=${await version()}`, { method: "POST", text: edit(raw.body) });
        if (posted.status !== 202) throw new CheckFailed(`the API refused the write: ${posted.status} ${JSON.stringify(posted.body)}`);
        return reloadOutcome(String(posted.headers["reload-id"]));
    };
    /** Edits haproxy.cfg as root and reloads HAProxy with the program's own helper (how an operator breaks a host). */
    /**
     * Puts back a copy of haproxy.cfg saved as root, without its hash line: the
     * API's watcher ignores a file whose hash is valid, and would keep what it
     * read last.
     */
    const restoreCfg = (saved: string) =>
        rootEditsCfg(`grep -v '^# _md5hash=' ${saved} > /etc/haproxy/.restore.cfg && mv /etc/haproxy/.restore.cfg ${CFG} && rm ${saved}`);
    const editAsRoot = (sed: string) => rootEditsCfg(`sed -i ${shq(sed)} ${CFG} && haproxy -c -q -f ${CFG} && ${ROOT_RELOAD}`);
    const waitForApi = () =>
        eventually("the API to answer", async () => (await call("/info")).status === 200, 60).then(() => {
            sandbox = unitSandboxProperties(lb.name, "/etc/systemd/system/dataplaneapi.service");
        });

    before(async () => {
        lb = hostUp(`hc-${release}-${run}`, INDEX[release], release);
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(lb.outerAddress);
        stack = await newStack(`hc-${release}-${run}`, tools, path.join(stateDir, release), hostsConfig([lb], baseUrl, tools, password));
        const up = await stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        const out = up.outputs.dataplane.value[lb.name];
        apiUrl = out.apiUrl;
        ca = out.caCertificate;
        const yaml = parseYaml(root(`cat ${YAML_FILE}`));
        dirs = { ...yaml.dataplaneapi.transaction, ...yaml.dataplaneapi.resources };
        delete dirs.backups_number;
        await waitForApi();
    });
    after(() => {
        mirror?.close();
        if (lb) hostDown(lb.name);
    });

    // C1 ------------------------------------------------------------------
    const storageDirs = () =>
        ["transaction_dir", "backups_dir", "maps_dir", "ssl_certs_dir", "general_storage_dir", "spoe_dir", "spoe_transaction_dir", "dataplane_storage_dir"].map(
            (k) => {
                assert.ok(dirs[k], `the API's YAML sets ${k}`);
                return dirs[k];
            },
        );
    const c1 = () =>
        asApi(
            "C1",
            `for d in ${storageDirs().join(" ")}; do
    t="$d/.hostcheck.$$"; y="$d/.hostcheck-y.$$"
    if ! { echo x > "$t" && echo y > "$y" && mv -f "$t" "$y" && rm -f "$y"; } 2>/dev/null; then
        rm -f "$t" "$y" 2>/dev/null; echo "user $(id -un) cannot create, rename over and delete a file in $d"; exit 1
    fi
done`,
        );
    it("C1: user haproxy can create, rename over and delete a file in each storage directory", () => {
        c1();
    });
    it("C1 fails when a storage directory is root's", () => {
        root(`chown root:root ${dirs.maps_dir}`);
        try {
            assert.throws(c1, new RegExp(`C1: user haproxy cannot create, rename over and delete a file in ${dirs.maps_dir}`));
        } finally {
            root(`chown haproxy:haproxy ${dirs.maps_dir}`);
        }
        c1();
    });

    // C2 ------------------------------------------------------------------
    const c2 = () =>
        asApi(
            "C2",
            `d=${dirs.transaction_dir}
mkdir -p "$d/failed" || { echo "user $(id -un) cannot make $d/failed"; exit 1; }
for s in failed outdated; do
    [ ! -e "$d/$s" ] || ls "$d/$s" > /dev/null 2>&1 || { echo "user $(id -un) cannot read $d/$s"; exit 1; }
done`,
        );
    it("C2: failed/ can be made in the transaction directory, and failed/ and outdated/ are readable", () => {
        c2();
    });
    it("C2 fails when outdated/ is root's alone", () => {
        root(`install -d -o root -g root -m 0700 ${dirs.transaction_dir}/outdated`);
        try {
            assert.throws(c2, new RegExp(`C2: user haproxy cannot read ${dirs.transaction_dir}/outdated`));
        } finally {
            root(`rmdir ${dirs.transaction_dir}/outdated`);
        }
        c2();
    });

    // C3 ------------------------------------------------------------------
    const c3 = () =>
        asApi(
            "C3",
            `for f in ${dirs.transaction_dir}/haproxy.cfg.*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    [ -f "$f" ] && [ -r "$f" ] || { echo "$f is a transaction file user $(id -un) cannot read: the API would not start"; exit 1; }
done`,
        );
    it("C3: the transaction directory holds no transaction file the API cannot load", () => {
        c3();
    });
    it("C3 fails on a transaction file only root can read, and the unit's sweep moves it to failed/ when the API starts again", async () => {
        const stale = `${dirs.transaction_dir}/haproxy.cfg.0badc0de-0000-4000-8000-${run}000000`;
        root(`printf '# _version=1\\n' > ${stale} && chmod 0600 ${stale}`);
        assert.throws(c3, new RegExp(`C3: ${stale} is a transaction file user haproxy cannot read: the API would not start`));
        const cursor = root("journalctl --show-cursor -n 0 -o cat | sed -n 's/^-- cursor: //p'").trim();
        root("systemctl restart dataplaneapi.service");
        await waitForApi();
        assert.equal(hostExec(lb.name, `test -e ${stale}`).code, 1, "the file left the top level");
        assert.equal(statOf(`${dirs.transaction_dir}/failed/${path.basename(stale)}`), "root:root 600", "it is kept in failed/, as it was");
        assert.match(root(`journalctl -u dataplaneapi.service --after-cursor=${shq(cursor)} -o cat`), /moved \S+ to \S+\/failed\/: the API cannot read it/);
        root(`rm ${dirs.transaction_dir}/failed/${path.basename(stale)}`);
        c3();
    });

    // C4 ------------------------------------------------------------------
    const c4 = () =>
        asApi(
            "C4",
            `flock -x -w 10 ${CFG} true 2>/dev/null || { echo "user $(id -un) cannot open and lock ${CFG}"; exit 1; }
t=$(mktemp /etc/haproxy/.haproxy.cfgXXXXXX 2>/dev/null) || { echo "user $(id -un) cannot create /etc/haproxy/.haproxy.cfg*"; exit 1; }
mv -f "$t" /etc/haproxy/.haproxy.cfg.hostcheck && rm -f /etc/haproxy/.haproxy.cfg.hostcheck || { echo "user $(id -un) cannot rename in /etc/haproxy"; exit 1; }`,
        );
    it("C4: haproxy.cfg can be locked and replaced; after an API write it is haproxy's 0644 and root's haproxy -c accepts it", async () => {
        c4();
        assert.equal(await apiWrite(), "succeeded");
        assert.equal(statOf(CFG), "haproxy:haproxy 644");
        root(`haproxy -c -q -f ${CFG}`);
    });
    it("C4 fails when /etc/haproxy is not writable by group haproxy", () => {
        root("chmod g-w /etc/haproxy");
        try {
            assert.throws(c4, /C4: user haproxy cannot create \/etc\/haproxy\/\.haproxy\.cfg\*/);
        } finally {
            root("chmod g+w /etc/haproxy");
        }
        c4();
    });

    // C5 ------------------------------------------------------------------
    const c5 = () =>
        asApi(
            "C5",
            `c=${dirs.transaction_dir}/haproxy.cfg.hostcheck-c5
trap 'rm -f "$c"' EXIT
cp ${CFG} "$c" || exit 1
out=$(haproxy -W -f "$c" -c 2>&1) || { echo "haproxy -c of a copy in the transaction directory fails as user $(id -un): $out"; exit 1; }`,
        );
    it("C5: haproxy -W -c of a copy in the transaction directory passes as user haproxy", () => {
        c5();
    });
    it("C5 fails when haproxy.cfg names a certificate only root can read", async () => {
        await rootEditsCfg(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=c5 -days 1 -keyout /root/c5.key -out /root/c5.crt 2>/dev/null" +
                " && cat /root/c5.crt /root/c5.key > /etc/ssl/private/hostcheck-c5.pem && chmod 0600 /etc/ssl/private/hostcheck-c5.pem" +
                ` && cp -p ${CFG} /root/c5.cfg && printf '\\nfrontend hostcheck_c5\\n    bind 127.0.0.1:8445 ssl crt /etc/ssl/private/hostcheck-c5.pem\\n' >> ${CFG}`,
        );
        try {
            assert.throws(c5, /C5: haproxy -c of a copy in the transaction directory fails as user haproxy: .*\/etc\/ssl\/private\/hostcheck-c5\.pem/s);
        } finally {
            await restoreCfg("/root/c5.cfg");
            root("rm -f /root/c5.* /etc/ssl/private/hostcheck-c5.pem");
        }
        c5();
    });

    // C6 ------------------------------------------------------------------
    /** Sends commands to the admin socket the way client-native does, from the sandbox; fails on a [0-3] answer. */
    const adminSteps = (steps: [string, string][]) =>
        steps
            .map(
                ([
                    cmd,
                    want,
                ]) => `out=$(printf 'set severity-output number;%s\\n' ${shq(cmd)} | socat -t 5 stdio unix-connect:${ADMIN_SOCKET} 2>&1) || { echo "user $(id -un) cannot use ${ADMIN_SOCKET}: $out"; exit 1; }
case "$out" in *${shq(want)}*) ;; *) echo ${shq(`${cmd}:`)} "$out"; exit 1;; esac
case "$out" in *"[0]:"*|*"[1]:"*|*"[2]:"*|*"[3]:"*) echo ${shq(`${cmd}:`)} "$out"; exit 1;; esac`,
            )
            .join("\n");
    const c6 = () =>
        asApi(
            "C6",
            adminSteps([
                ["show info", "Version: "],
                ["add server web/hostcheck-c6 127.0.0.1:9", "[6]: New server registered."],
                ["set server web/hostcheck-c6 weight 5", ""],
                ["del server web/hostcheck-c6", ""],
            ]),
        );
    it("C6: the admin socket lets group haproxy add, weigh and delete a server (level admin)", () => {
        c6();
    });
    it("C6 fails when the admin socket is at level operator", async () => {
        await editAsRoot("s|^\\(\\s*stats socket /run/haproxy/admin.sock.*\\) level admin|\\1 level operator|");
        try {
            assert.throws(c6, /C6: add server web\/hostcheck-c6 127\.0\.0\.1:9: .*\[3\]: Permission denied/s);
        } finally {
            await editAsRoot("s|^\\(\\s*stats socket /run/haproxy/admin.sock.*\\) level operator|\\1 level admin|");
        }
        c6();
    });

    // C7 ------------------------------------------------------------------
    const reloadCmd = () => {
        const cmd = parseYaml(root(`cat ${YAML_FILE}`)).haproxy.reload.reload_cmd as string;
        assert.ok(cmd, "the YAML has a reload_cmd");
        return cmd;
    };
    const c7 = () => {
        for (let i = 0; i < 2; i++) asApi("C7", reloadCmd());
        const mode = statOf(ADMIN_SOCKET);
        if (mode !== "root:haproxy 660") throw new CheckFailed(`C7: after two reloads ${ADMIN_SOCKET} is ${mode}, not root:haproxy 660`);
        c6();
    };
    it("C7: the admin socket is root:haproxy 0660 after two reloads, and C6 still passes", () => {
        c7();
    });
    it("C7 fails when the socket was made root's alone: a reload keeps the socket it inherits, mode and all", () => {
        root(`chmod 0600 ${ADMIN_SOCKET}`);
        try {
            assert.throws(c7, /C7: after two reloads \/run\/haproxy\/admin\.sock is root:haproxy 600, not root:haproxy 660/);
        } finally {
            root(`chmod 0660 ${ADMIN_SOCKET}`);
        }
        c7();
    });

    // C8 ------------------------------------------------------------------
    const c8 = () => {
        const yaml = root(`cat ${YAML_FILE}`);
        if (/^\s*master_runtime:/m.test(yaml)) throw new CheckFailed("C8: the API's YAML sets master_runtime");
        const journal = root("journalctl -u dataplaneapi.service -b -o cat");
        if (/Error setting up runtime client with master socket|not connected to a master socket/.test(journal))
            throw new CheckFailed("C8: the API's journal has a master-socket runtime error");
        asApi(
            "C8",
            `if out=$(echo 'show proc' | socat -t 5 stdio unix-connect:${MASTER_SOCKET} 2>&1); then echo "user $(id -un) can use HAProxy's master CLI, which runs as root: $out"; exit 1; fi`,
        );
    };
    it("C8: the API has no master runtime and user haproxy cannot reach HAProxy's master CLI (root's); reloads go through the reload service", () => {
        c8();
    });
    it("C8 fails when the master socket is opened to group haproxy", () => {
        const was = root(`stat -c '%g %a' ${MASTER_SOCKET}`).trim().split(" ");
        root(`chgrp haproxy ${MASTER_SOCKET} && chmod 0660 ${MASTER_SOCKET}`);
        try {
            assert.throws(c8, /C8: user haproxy can use HAProxy's master CLI, which runs as root/);
        } finally {
            root(`chgrp ${was[0]} ${MASTER_SOCKET} && chmod ${was[1]} ${MASTER_SOCKET}`);
        }
        c8();
    });

    // C9 ------------------------------------------------------------------
    const reloads = () => haproxyMasterReloads(lb.name).reloads;
    const c9 = async () => {
        for (let i = 1; i <= 3; i++) {
            const before = reloads();
            asApi("C9", reloadCmd());
            const after = reloads();
            if (after !== before + 1) throw new CheckFailed(`C9: reload_cmd run ${i} exited 0 but HAProxy's master counts ${after - before} new reloads`);
        }
        const status = await apiWrite();
        if (status !== "succeeded") throw new CheckFailed(`C9: the API's reload after a commit ended ${status}`);
    };
    it("C9: reload_cmd, run as the API runs it, reloads HAProxy three times running; the API's own reload after a commit succeeds", async () => {
        await c9();
    });
    it("C9 fails when the reload service is not listening", async () => {
        root("systemctl stop haproxy-dataplane-reload.socket");
        try {
            await assert.rejects(c9(), /C9: .*cannot reach the reload service at \/run\/haproxy-dataplane\/reload\.sock/s);
        } finally {
            root("systemctl start haproxy-dataplane-reload.socket");
        }
        await c9();
    });

    // C10 -----------------------------------------------------------------
    const lkg = () => `${dirs.backups_dir}/haproxy.cfg.lkg`;
    const c10 = async () => {
        const status = await apiWrite();
        const same = hostExec(lb.name, `test -f ${lkg()} && cmp -s ${lkg()} ${CFG}`).code === 0;
        if (!same) throw new CheckFailed(`C10: after a reload that ${status}, ${lkg()} is not a copy of the live ${CFG}`);
    };
    it("C10: the API's last known good copy is refreshed after each successful reload", async () => {
        assert.equal(hostExec(lb.name, `test -f ${lkg()}`).code, 0, "it exists since the API started");
        await c10();
    });
    it("C10 fails when the copy cannot be replaced", async () => {
        root(`rm ${lkg()} && install -d -o haproxy -g haproxy ${lkg()}`);
        try {
            await assert.rejects(c10(), /C10: after a reload that succeeded, \S+haproxy\.cfg\.lkg is not a copy of the live/);
        } finally {
            root(`rmdir ${lkg()}`);
        }
        await c10();
    });

    // C11 -----------------------------------------------------------------
    const certName = "hostcheck.pem";
    const certPath = () => `${dirs.ssl_certs_dir}/${certName}`;
    const c11 = async () => {
        const dirMode = statOf(dirs.ssl_certs_dir);
        if (dirMode !== "haproxy:haproxy 750")
            throw new CheckFailed(`C11: ${dirs.ssl_certs_dir} is ${dirMode}: anyone on the host could read the keys stored there`);
        if (hostExec(lb.name, `test -e ${certPath()}`).code !== 0) {
            const pem = root(
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=hostcheck -days 2 -keyout /root/c11.key -out /root/c11.crt 2>/dev/null" +
                    " && cat /root/c11.crt /root/c11.key && rm /root/c11.crt /root/c11.key",
            );
            const up = await call("/services/haproxy/storage/ssl_certificates", {
                method: "POST",
                form: { field: "file_upload", filename: certName, content: pem },
            });
            if (up.status !== 201) throw new CheckFailed(`C11: the upload answered ${up.status} ${JSON.stringify(up.body)}`);
        }
        const file = statOf(certPath());
        if (file !== "haproxy:haproxy 644") throw new CheckFailed(`C11: ${certPath()} is ${file}`);
        if (!haproxyAdmin(lb.name, "show ssl cert").split("\n").includes(certPath())) throw new CheckFailed(`C11: show ssl cert does not list ${certPath()}`);
        await rootEditsCfg(`cp -p ${CFG} /root/c11.cfg && printf '\\nfrontend hostcheck_c11\\n    bind 127.0.0.1:8446 ssl crt ${certPath()}\\n' >> ${CFG}`);
        try {
            c5();
        } finally {
            await restoreCfg("/root/c11.cfg");
        }
    };
    it("C11: a certificate uploaded to the API's storage is haproxy's 0644 in a 0750 directory, live at once, and usable by a bind", async () => {
        await c11();
    });
    it("C11 fails when the certificate directory is open to everyone", async () => {
        root(`chmod 0755 ${dirs.ssl_certs_dir}`);
        try {
            await assert.rejects(c11(), new RegExp(`C11: ${dirs.ssl_certs_dir} is haproxy:haproxy 755: anyone on the host could read the keys`));
        } finally {
            root(`chmod 0750 ${dirs.ssl_certs_dir}`);
        }
        await c11();
    });

    // Beyond C1-C15 (issue 15): what a user outside group haproxy can read --
    /** Files holding a private key or a password hash that user nobody can read, anywhere the deployment or the API writes. */
    const readableSecrets = () =>
        hostExec(
            lb.name,
            `su -s /bin/sh nobody -c ${shq(
                "find /etc/haproxy /etc/haproxy-dataplane /var/lib/haproxy-dataplane-deploy /usr/local/lib/haproxy-dataplane /tmp/spoe-haproxy -type f -readable 2>/dev/null" +
                    " | xargs -r grep -lE 'PRIVATE KEY|[$]6[$]' 2>/dev/null",
            )}`,
        ).stdout.trim();
    it("no file holding a private key or a password hash is readable by a user outside group haproxy", () => {
        assert.ok(hostExec(lb.name, `grep -q 'PRIVATE KEY' ${certPath()}`).code === 0, "the API stored a key (C11)");
        assert.match(root(`cat ${CFG}`), /password \$6\$/, "haproxy.cfg holds the users' hashes");
        assert.equal(readableSecrets(), "");
    });
    it("and the same search finds haproxy.cfg once /etc/haproxy is open to everyone", () => {
        root("chmod o+rx /etc/haproxy");
        try {
            assert.match(readableSecrets(), /^\/etc\/haproxy\/haproxy\.cfg$/m);
        } finally {
            root("chmod o-rwx /etc/haproxy");
        }
        assert.equal(readableSecrets(), "");
    });

    // C12 -----------------------------------------------------------------
    const mapPath = () => `${dirs.maps_dir}/hostcheck.map`;
    const c12 = () => {
        if (!haproxyAdmin(lb.name, "show map").includes(mapPath())) throw new CheckFailed(`C12: show map does not list ${mapPath()}`);
        asApi(
            "C12",
            `dd if=/dev/null of=${mapPath()} conv=notrunc status=none 2>/dev/null || { echo "user $(id -un) cannot open ${mapPath()} for writing"; exit 1; }`,
        );
    };
    it("C12: a map referenced by its path in maps_dir is listed under that path, and user haproxy can write the file", async () => {
        // As the API's map storage writes it: a temporary file, renamed.
        asApi("C12", `printf '10.0.0.0/8 private\\n' > ${dirs.maps_dir}/.hostcheck.map.tmp && mv ${dirs.maps_dir}/.hostcheck.map.tmp ${mapPath()}`);
        const status = await apiWrite((cfg) => cfg.replace(/^(frontend web\b.*)$/m, `$1\n  http-request set-var(txn.hostcheck) src,map_ip(${mapPath()},none)`));
        assert.equal(status, "succeeded");
        c12();
    });
    it("C12 fails when the map file is root's", async () => {
        root(`chown root:root ${mapPath()}`);
        try {
            assert.throws(c12, new RegExp(`C12: user haproxy cannot open ${mapPath()} for writing`));
        } finally {
            root(`chown haproxy:haproxy ${mapPath()}`);
        }
        c12();
        assert.equal(await apiWrite((cfg) => cfg.replace(/^\s*http-request set-var\(txn\.hostcheck\).*\n/m, "")), "succeeded");
    });

    // C13, C14: the seed's operations, through the API's per-object endpoints
    const servers = () => haproxyServers(lb.name, "web");
    const c13 = async (name: string, port: number) => {
        const r = await call(`/services/haproxy/configuration/backends/web/servers?version=${await version()}`, {
            method: "POST",
            body: { name, address: "127.0.0.1", port, check: "enabled" },
        });
        if (r.status !== 201 || r.headers["reload-id"])
            throw new CheckFailed(
                `C13: adding ${name} answered ${r.status}${r.headers["reload-id"] ? ` with Reload-ID ${r.headers["reload-id"]}` : ""}, not 201 from the runtime`,
            );
        const live = servers().get(name);
        if (!live || (live.adminState & 1) !== 1) throw new CheckFailed(`C13: ${name} is not in maintenance after the runtime add: ${JSON.stringify(live)}`);
    };
    const putBackend = async (edit: (b: any) => any) => {
        const b = await call("/services/haproxy/configuration/backends/web");
        assert.equal(b.status, 200, JSON.stringify(b.body));
        const r = await call(`/services/haproxy/configuration/backends/web?version=${await version()}`, { method: "PUT", body: edit(b.body) });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        assert.equal(await reloadOutcome(String(r.headers["reload-id"])), "succeeded");
    };
    const deleteServer = async (name: string) => {
        const r = await call(`/services/haproxy/configuration/backends/web/servers/${name}?version=${await version()}`, { method: "DELETE" });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        assert.equal(await reloadOutcome(String(r.headers["reload-id"])), "succeeded");
    };
    it("C13: a server added through the API is live at once, in maintenance; after a backend change's reload it is UP", async () => {
        await c13("web2", 8082);
        await putBackend((b) => ({ ...b, adv_check: "httpchk", httpchk_params: { method: "GET", uri: "/health" } }));
        assert.match(root(`cat ${CFG}`), /^\s*option httpchk GET \/health$/m);
        await eventually("web2 to be UP (operational state 2) after its health check", () => servers().get("web2")?.opState === 2, 30);
        assert.equal((servers().get("web2")?.adminState ?? 1) & 1, 0, "no longer in maintenance");
    });
    it("C13 fails when the admin socket is at level operator (the API falls back to a reload)", async () => {
        await editAsRoot("s|^\\(\\s*stats socket /run/haproxy/admin.sock.*\\) level admin|\\1 level operator|");
        try {
            await assert.rejects(c13("web3", 8083), /C13: adding web3 answered 202 with Reload-ID \S+, not 201 from the runtime/);
        } finally {
            await editAsRoot("s|^\\(\\s*stats socket /run/haproxy/admin.sock.*\\) level operator|\\1 level admin|");
        }
        await eventually("the API's reload of web3 to end", () => servers().has("web3"), 30);
        await deleteServer("web3");
        await c13("web3", 8083);
        await deleteServer("web3");
    });

    const c14 = async (weight: number) => {
        const s = await call("/services/haproxy/configuration/backends/web/servers/web1");
        assert.equal(s.status, 200, JSON.stringify(s.body));
        const r = await call(`/services/haproxy/configuration/backends/web/servers/web1?version=${await version()}`, {
            method: "PUT",
            body: { ...s.body, weight },
        });
        if (r.status !== 200 || r.headers["reload-id"]) throw new CheckFailed(`C14: changing web1's weight answered ${r.status}, not 200 from the runtime`);
        const live = servers().get("web1")?.weight;
        if (live !== weight) throw new CheckFailed(`C14: web1's live weight is ${live}, not ${weight}`);
        if (!new RegExp(`^\\s*server web1 .*\\bweight ${weight}\\b`, "m").test(root(`cat ${CFG}`)))
            throw new CheckFailed(`C14: the file does not say weight ${weight}`);
    };
    it("C14: a weight change through the API answers 200, with no reload, and is live and in the file", async () => {
        await c14(150);
    });
    it("C14 fails when the admin socket is at level operator", async () => {
        await editAsRoot("s|^\\(\\s*stats socket /run/haproxy/admin.sock.*\\) level admin|\\1 level operator|");
        try {
            await assert.rejects(c14(120), /C14: changing web1's weight answered 202, not 200 from the runtime/);
        } finally {
            await editAsRoot("s|^\\(\\s*stats socket /run/haproxy/admin.sock.*\\) level operator|\\1 level admin|");
        }
        await eventually(
            "the API's reload of the weight to end",
            async () => (await call("/services/haproxy/reloads")).body.every((r: any) => r.status !== "in_progress"),
            30,
        );
        await c14(100);
    });

    // C15 -----------------------------------------------------------------
    const c15 = () => {
        asApi(
            "C15",
            `t=$(mktemp /etc/haproxy-dataplane/.yamlXXXXXX) && mv -f "$t" /etc/haproxy-dataplane/.yaml.hostcheck && rm /etc/haproxy-dataplane/.yaml.hostcheck`,
        );
        // The API rewrites its YAML at every start, dropping comments: a comment means a version it has not read.
        if (/^#/m.test(root(`cat ${YAML_FILE}`)))
            throw new CheckFailed(`C15: ${YAML_FILE} changed since the API last started; only a restart of the API applies it (SIGUSR1 does not)`);
    };
    it("C15: the YAML directory takes a new file by rename, and the running API has read the YAML on disk", () => {
        c15();
    });
    it("C15 fails after a YAML change without a restart, and passes once the API is restarted", async () => {
        root(`sed -i '1i # changed by hand' ${YAML_FILE}`);
        assert.throws(c15, /C15: \S+dataplaneapi\.yaml changed since the API last started/);
        root("systemctl kill --kill-who=main -s SIGUSR1 dataplaneapi.service");
        assert.throws(c15, /C15: /, "SIGUSR1 does not re-read it");
        root("systemctl restart dataplaneapi.service");
        await waitForApi();
        c15();
    });

    it("after the checks, the transaction directory has no top-level leftovers", () => {
        assert.equal(root(`find ${dirs.transaction_dir} -maxdepth 1 -type f`).trim(), "");
    });
}
