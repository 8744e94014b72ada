/**
 * Path settings that would hand a system file or directory to user haproxy,
 * or print a root-only file, through the real engine on a real host of each
 * release:
 *
 *   - each hostile value from the issue is refused before any SSH session,
 *     naming the key, with nothing on the host changed;
 *   - values the rule allows but that lead elsewhere on the host (a symbolic
 *     link) or name a file that is not HAProxy's are refused by the preflight,
 *     which shows nothing of the file, and nothing changes;
 *   - a directory dropped from `directories` is given back on the next `up`.
 *
 * No line of the host's /etc/shadow, and no planted secret, appears in any
 * output the engine gives.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_DIRECTORIES } from "../../components/config";
import {
    buildTools,
    changeCounts,
    type ConfigValue,
    describeTools,
    haproxyMasterIdentity,
    hostDown,
    hostListing,
    hostRun,
    hostsConfig,
    hostUp,
    listingChanges,
    Mirror,
    newStack,
    type Release,
    RELEASES,
    setConfig,
    sshLogins,
    type TestHost,
    type Tools,
} from "../../lab/lab";
import { indexByRelease } from "../../lab/hosts";

const INDEX = indexByRelease("paths");
const run = randomBytes(3).toString("hex");
const password = `pw-${randomBytes(12).toString("hex")}`;
/** Planted in files the preflight must not show. */
const SECRET = `planted-secret-${randomBytes(8).toString("hex")}`;
const stateRoot = mkdtempSync(path.join(tmpdir(), "dpapi-paths-"));
/** Where the test looks for changes: every place a hostile value names, and where the program writes. */
const WATCHED = ["/etc", "/usr/local", "/var/spool/cron", "/root", "/var/lib/haproxy-dataplane-deploy"];
let tools: Tools;

before(() => {
    tools = buildTools();
    console.log(describeTools(tools));
});
after(() => rmSync(stateRoot, { recursive: true, force: true }));

/** The values from the issue: each must be refused before an SSH session, naming its key. */
const REFUSED_BEFORE_SSH: [label: string, config: Record<string, ConfigValue>, key: RegExp][] = [
    [
        "a systemd drop-in directory for sshd in directories",
        { directories: { value: [...DEFAULT_DIRECTORIES, "/etc/systemd/system/ssh.service.d"] } },
        /directories\[11\]: "\/etc\/systemd\/system\/ssh\.service\.d" is not a place for the API's files/,
    ],
    [
        "/etc/sudoers.d/x in directories",
        { directories: { value: [...DEFAULT_DIRECTORIES, "/etc/sudoers.d/x"] } },
        /directories\[11\]: "\/etc\/sudoers\.d\/x" is not a place/,
    ],
    [
        "/etc/cron.d/x in directories",
        { directories: { value: [...DEFAULT_DIRECTORIES, "/etc/cron.d/x"] } },
        /directories\[11\]: "\/etc\/cron\.d\/x" is not a place/,
    ],
    [
        "/usr/local/sbin/x in directories",
        { directories: { value: [...DEFAULT_DIRECTORIES, "/usr/local/sbin/x"] } },
        /directories\[11\]: "\/usr\/local\/sbin\/x" is not a place/,
    ],
    [
        "/var/spool/cron/crontabs/x in directories",
        { directories: { value: [...DEFAULT_DIRECTORIES, "/var/spool/cron/crontabs/x"] } },
        /directories\[11\]: "\/var\/spool\/cron\/crontabs\/x" is not a place/,
    ],
    [
        "/etc/shadow as haproxyConfigFile",
        { haproxyConfigFile: { value: "/etc/shadow" } },
        /haproxyConfigFile: "\/etc\/shadow" is not a place for HAProxy's configuration/,
    ],
    ["/etc/sudoers as haproxyConfigFile", { haproxyConfigFile: { value: "/etc/sudoers" } }, /haproxyConfigFile: "\/etc\/sudoers" is not a place/],
    [
        "/root/.ssh/id_rsa as haproxyConfigFile",
        { haproxyConfigFile: { value: "/root/.ssh/id_rsa" } },
        /haproxyConfigFile: "\/root\/\.ssh\/id_rsa" is not a place/,
    ],
];

/** The path settings the cases change, at their defaults: each case starts from these, not from the one before. */
const PATH_DEFAULTS: Record<string, ConfigValue> = {
    directories: { value: [...DEFAULT_DIRECTORIES] },
    adoptDirectories: { value: [] },
    haproxyConfigFile: { value: "/etc/haproxy/haproxy.cfg" },
};

for (const release of RELEASES) describe(`path settings on a ${release} host`, () => pathSuite(release));

function pathSuite(release: Release): void {
    let lb: TestHost;
    let mirror: Mirror;
    let stack: Stack;
    let base: Record<string, ConfigValue>;
    /** What a leak of /etc/shadow would show: each whole line, and each real password hash, with the account it is of. */
    let shadowLines: { account: string; text: string }[] = [];

    /** Runs `up` with `config` on top of the stack's base and the path settings' defaults; returns whether it failed and everything the engine said. */
    async function up(config: Record<string, ConfigValue>): Promise<{ failed: boolean; output: string }> {
        await setConfig(stack, { ...base, ...PATH_DEFAULTS, ...config });
        let output = "";
        try {
            await stack.up({ color: "never", onOutput: (s) => (output += s) });
            return { failed: false, output };
        } catch (e) {
            return { failed: true, output: `${output}\n${(e as Error).message}` };
        }
    }

    /** Nothing of /etc/shadow, nor the planted secret, in `text`. */
    function assertNothingShown(label: string, text: string): void {
        // The message names the account only: it must not print what it looks for.
        for (const { account, text: shown } of shadowLines) assert.ok(!text.includes(shown), `${label}: /etc/shadow's entry for ${account} is in the output`);
        assert.ok(!text.includes(SECRET), `${label}: the planted secret is in the output`);
    }

    before(async () => {
        lb = hostUp(`pth-${release}-${run}`, INDEX[release], release);
        mirror = new Mirror(tools.dpapi.mirrorDir);
        const baseUrl = await mirror.listen(lb.outerAddress);
        base = hostsConfig([lb], baseUrl, tools, password);
        stack = await newStack(`paths-${release}-${run}`, tools, path.join(stateRoot, release), base);
        // Whole lines, as HAProxy's alerts quoted them, and each real password hash
        // (a locked account's "name:*" is too short to tell a leak from other text).
        shadowLines = hostRun(lb.name, "cat /etc/shadow")
            .split("\n")
            .filter(Boolean)
            .flatMap((l) => {
                const account = l.split(":")[0];
                return [l, ...l.split(":").filter((field) => field.startsWith("$"))].map((text) => ({ account, text }));
            });
        assert.ok(shadowLines.length >= 4, "the host has accounts in /etc/shadow");
    });
    after(() => {
        mirror?.close();
        if (lb) hostDown(lb.name);
    });

    it("refuses each hostile value of the issue before any SSH session, naming the key, and changes nothing", async () => {
        const listing = hostListing(lb.name, WATCHED);
        for (const [label, config, key] of REFUSED_BEFORE_SSH) {
            const logins = sshLogins(lb.name);
            const { failed, output } = await up(config);
            assert.ok(failed, `${label}: the up must fail`);
            assert.match(output, key, `${label}: the message names the key and the value`);
            assert.match(output, /nothing was deployed/, label);
            assert.equal(sshLogins(lb.name), logins, `${label}: no SSH session was opened`);
            assertNothingShown(label, output);
        }
        assert.deepEqual(listingChanges(listing, hostListing(lb.name, WATCHED)), [], "no file under the watched places changed");
    });

    it("the preflight refuses a path that leads elsewhere through a link, or a file that is not HAProxy's, showing nothing of it", async () => {
        hostRun(
            lb.name,
            [
                "ln -s /etc/shadow /etc/haproxy/shadow.cfg",
                "ln -s /etc/cron.d /etc/haproxy/cron",
                // A HAProxy-looking file only root can read, and a readable file that is not HAProxy's.
                `printf 'global\\n    # %s\\ndefaults\\n' ${SECRET} > /etc/haproxy/private.cfg && chmod 600 /etc/haproxy/private.cfg`,
                `printf 'token=%s\\n' ${SECRET} > /etc/haproxy/notes.txt && chmod 644 /etc/haproxy/notes.txt`,
            ].join(" && "),
        );
        const listing = hostListing(lb.name, WATCHED);
        const cases: [string, Record<string, ConfigValue>, RegExp][] = [
            [
                "a config file linked to /etc/shadow",
                { haproxyConfigFile: { value: "/etc/haproxy/shadow.cfg" } },
                /haproxyConfigFile: \/etc\/haproxy\/shadow\.cfg leads to \/etc\/shadow through a symbolic link; nothing was changed/,
            ],
            [
                "a directory linked to /etc/cron.d",
                { directories: { value: [...DEFAULT_DIRECTORIES, "/etc/haproxy/cron"] } },
                /directories: \/etc\/haproxy\/cron leads to \/etc\/cron\.d through a symbolic link; nothing was changed/,
            ],
            [
                "a config file only root can read",
                { haproxyConfigFile: { value: "/etc/haproxy/private.cfg" } },
                /haproxyConfigFile: \/etc\/haproxy\/private\.cfg is not readable by user haproxy.*its content is not shown/,
            ],
            [
                "a readable file that is not HAProxy's",
                { haproxyConfigFile: { value: "/etc/haproxy/notes.txt" } },
                /haproxyConfigFile: \/etc\/haproxy\/notes\.txt has no 'global' section: it is not HAProxy's main configuration; nothing was changed, and its content is not shown/,
            ],
        ];
        try {
            for (const [label, config, message] of cases) {
                const { failed, output } = await up(config);
                assert.ok(failed, `${label}: the up must fail`);
                assert.match(output, /preflight-check/, `${label}: the preflight refused it`);
                assert.match(output, message, label);
                assertNothingShown(label, output);
            }
            assert.deepEqual(listingChanges(listing, hostListing(lb.name, WATCHED)), [], "nothing changed on the host");
        } finally {
            hostRun(lb.name, "rm -f /etc/haproxy/shadow.cfg /etc/haproxy/cron /etc/haproxy/private.cfg /etc/haproxy/notes.txt");
        }
    });

    it("a directory dropped from directories is given back on the next up, and HAProxy is never restarted", async () => {
        const master = haproxyMasterIdentity(lb.name);
        // One the host already had (adopted), one that will hold data, one left empty, one in /var/tmp.
        hostRun(lb.name, "install -d -o root -g adm -m 0755 /etc/haproxy/adopted && echo kept > /etc/haproxy/adopted/theirs");
        const extra = ["/etc/haproxy/adopted", "/etc/haproxy/full", "/etc/haproxy/empty", "/var/tmp/dpapi-extra"];
        const deployed = await up({ directories: { value: [...DEFAULT_DIRECTORIES, ...extra] }, adoptDirectories: { value: ["/etc/haproxy/adopted"] } });
        assert.ok(!deployed.failed, deployed.output.slice(-2000));
        const stat = (p: string) => hostRun(lb.name, `stat -c '%U:%G %a' ${p}`).trim();
        for (const d of extra) assert.equal(stat(d), "haproxy:haproxy 750", `${d} was handed to haproxy`);
        hostRun(lb.name, "runuser -u haproxy -- sh -c 'echo data > /etc/haproxy/full/stored'");

        const dropped = await up({ directories: { value: [...DEFAULT_DIRECTORIES] }, adoptDirectories: { value: [] } });
        assert.ok(!dropped.failed, dropped.output.slice(-2000));
        assert.equal(stat("/etc/haproxy/adopted"), "root:adm 755", "the adopted directory has its owner and mode back");
        assert.equal(hostRun(lb.name, "cat /etc/haproxy/adopted/theirs").trim(), "kept");
        assert.equal(stat("/etc/haproxy/full"), "root:root 750", "a non-empty directory the program created is returned to root");
        assert.equal(hostRun(lb.name, "cat /etc/haproxy/full/stored").trim(), "data", "with its content kept");
        for (const d of ["/etc/haproxy/empty", "/var/tmp/dpapi-extra"]) {
            assert.equal(hostRun(lb.name, `test -e ${d} && echo present || echo absent`).trim(), "absent", `${d}, empty, was removed`);
        }
        assert.doesNotMatch(
            hostRun(lb.name, "cat /etc/tmpfiles.d/haproxy-dataplaneapi.conf"),
            /dpapi-extra/,
            "the dropped /var/tmp directory is no longer declared",
        );
        assert.match(dropped.output, /gave \/etc\/haproxy\/adopted back its owner \d+:\d+ and mode 755/, "the step says what it gave back");
        assert.match(dropped.output, /removed \/etc\/haproxy\/empty: directories no longer lists it/);
        assert.match(dropped.output, /gave \/etc\/haproxy\/full to root:root 0750, its content kept/);
        for (const d of DEFAULT_DIRECTORIES) assert.equal(stat(d), "haproxy:haproxy 750", `${d}, still listed, stays haproxy's`);

        const logins = sshLogins(lb.name);
        const again = await stack.up({ color: "never" });
        assert.deepEqual(changeCounts(again.summary.resourceChanges), {}, "the next up is a no-op");
        assert.equal(sshLogins(lb.name), logins, "and opens no SSH session");
        assert.equal(haproxyMasterIdentity(lb.name), master, "HAProxy's master was never restarted");
        hostRun(lb.name, "rm -rf /etc/haproxy/full /etc/haproxy/adopted");
    });
}
