import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rawConfig } from "../tests/support/harness";
import { ConfigError, DEFAULT_DIRECTORIES, parseConfig } from "./config";
import { configFileProblem, directoryProblem, isBelow, socketProblem, userRootProblem } from "./pathRule";

/** The problems parseConfig reports for these settings, or [] when it accepts them. */
function problems(values: Record<string, unknown>): string[] {
    try {
        parseConfig(rawConfig(values));
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

/** Places that give user haproxy root, or a root-only file to print, if a path setting may point there. */
const SYSTEM_DIRECTORIES = [
    "/etc/systemd/system/ssh.service.d",
    "/etc/sudoers.d",
    "/etc/sudoers.d/x",
    "/etc/cron.d",
    "/etc/cron.d/x",
    "/usr/local/sbin",
    "/usr/local/sbin/x",
    "/var/spool/cron/crontabs/x",
    "/root/.ssh",
    "/home/deploy/.ssh",
    "/etc/systemd/system",
    "/etc/profile.d/x",
    "/etc/ssl/private/x",
    "/usr/lib/systemd/system/x",
    "/var/lib/dpkg/info",
    "/boot/x",
    "/",
    "/etc",
    "/var",
    "/var/lib",
    "/tmp",
    "/var/tmp",
    "/run",
    "/run/systemd/system",
    "/run/haproxy",
    "/var/lib/haproxy",
    "/etc/haproxy",
    "/etc/haproxy-dataplane/tls",
    "/var/lib/haproxy-dataplane-deploy",
    "/usr/local/lib/haproxy-dataplane",
];

/** Look-alikes of HAProxy's directories: a shared prefix of characters, not of path segments. */
const LOOK_ALIKES = ["/etc/haproxy-evil", "/etc/haproxy-evil/maps", "/etc/haproxyx/maps", "/var/lib/haproxyx/state", "/tmpx/dir", "/var/tmp2/dir", "/srvx/lb"];

describe("where a path setting may point", () => {
    it("a directory: below HAProxy's config or state directory, a directory of its own in a temporary tree, or the API's config directory", () => {
        for (const d of [
            "/etc/haproxy/maps",
            "/etc/haproxy/maps/geo",
            "/var/lib/haproxy/dataplane",
            "/tmp/spoe-haproxy",
            "/var/tmp/dataplane",
            "/etc/haproxy-dataplane",
        ]) {
            assert.equal(directoryProblem(d, []), undefined, d);
        }
    });

    it("refuses every system directory, its subdirectories and the directories above HAProxy's own", () => {
        for (const d of SYSTEM_DIRECTORIES) assert.match(directoryProblem(d, []) ?? "", /is not a place for the API's files/, d);
    });

    it("compares whole path segments: look-alikes of HAProxy's directories are refused", () => {
        for (const d of LOOK_ALIKES) assert.match(directoryProblem(d, ["/srv/lb"]) ?? "", /is not a place/, d);
        assert.equal(isBelow("/etc/haproxy-evil", "/etc/haproxy"), false);
        assert.equal(isBelow("/etc/haproxy/x", "/etc/haproxy"), true);
        assert.equal(isBelow("/etc/haproxy", "/etc/haproxy"), false, "a directory is not below itself");
    });

    it("a root of the user's own: only below a tree the FHS leaves to the site, and it opens nothing else", () => {
        for (const r of ["/srv/lb", "/opt/haproxy", "/var/opt/lb", "/var/local/lb", "/mnt/data/lb", "/media/usb/lb"])
            assert.equal(userRootProblem(r), undefined, r);
        for (const r of ["/srv", "/opt", "/etc/sudoers.d", "/etc", "/usr/local", "/var/lib", "/root", "/home/deploy", "/srvx/lb", "/"]) {
            assert.match(userRootProblem(r) ?? "", /is not below \/srv, \/opt, \/var\/opt, \/var\/local, \/mnt or \/media/, r);
        }
        assert.equal(directoryProblem("/srv/lb", ["/srv/lb"]), undefined, "the root itself");
        assert.equal(directoryProblem("/srv/lb/maps", ["/srv/lb"]), undefined, "below the root");
        assert.match(directoryProblem("/srv/other", ["/srv/lb"]) ?? "", /at or below a root named in allowPathsUnder \(\/srv\/lb\)/);
    });

    it("the config file: a file below /etc/haproxy or a root of the user's", () => {
        assert.equal(configFileProblem("/etc/haproxy/haproxy.cfg", []), undefined);
        assert.equal(configFileProblem("/etc/haproxy/conf.d/main.cfg", []), undefined);
        assert.equal(configFileProblem("/srv/lb/haproxy.cfg", ["/srv/lb"]), undefined);
        for (const f of [
            "/etc/shadow",
            "/etc/sudoers",
            "/root/.ssh/id_rsa",
            "/etc/haproxy",
            "/etc/haproxy-evil.cfg",
            "/etc/haproxy-dataplane/tls/server.key",
            "/tmp/x/haproxy.cfg",
            "/srv/lb",
        ]) {
            assert.match(configFileProblem(f, ["/srv/lb"]) ?? "", /is not a place for HAProxy's configuration/, f);
        }
    });

    it("the sockets: in HAProxy's run or state directory or a root of the user's; the master's also as /run/haproxy<name>.sock", () => {
        assert.equal(socketProblem("/run/haproxy/admin.sock", [], "admin"), undefined);
        assert.equal(socketProblem("/var/lib/haproxy/stats", [], "admin"), undefined);
        assert.equal(socketProblem("/run/haproxy-master.sock", [], "master"), undefined);
        assert.equal(socketProblem("/srv/lb/admin.sock", ["/srv/lb"], "admin"), undefined);
        assert.match(socketProblem("/run/haproxy-admin.sock", [], "admin") ?? "", /admin socket/, "an admin socket in /run would open /run to group haproxy");
        for (const s of ["/etc/passwd", "/etc/cron.d/x.sock", "/run/systemd/notify", "/run/haproxy-master", "/run/sshd.sock", "/tmp/x/master.sock"]) {
            assert.match(socketProblem(s, [], "master") ?? "", /is not a place for HAProxy's master socket/, s);
        }
    });
});

describe("the stack's configuration refuses each hostile path before anything reaches a host", () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
        [
            "a systemd drop-in directory for sshd",
            { directories: [...DEFAULT_DIRECTORIES, "/etc/systemd/system/ssh.service.d"] },
            /^directories\[11\]: "\/etc\/systemd\/system\/ssh\.service\.d" is not a place for the API's files: user haproxy would own it\. A directory must be below \/etc\/haproxy/,
        ],
        ["a sudoers drop-in", { directories: [...DEFAULT_DIRECTORIES, "/etc/sudoers.d/x"] }, /^directories\[11\]: "\/etc\/sudoers\.d\/x" is not a place/],
        ["a cron directory", { directories: [...DEFAULT_DIRECTORIES, "/etc/cron.d/x"] }, /^directories\[11\]: "\/etc\/cron\.d\/x" is not a place/],
        ["root's PATH", { directories: [...DEFAULT_DIRECTORIES, "/usr/local/sbin/x"] }, /^directories\[11\]: "\/usr\/local\/sbin\/x" is not a place/],
        [
            "root's crontab",
            { directories: [...DEFAULT_DIRECTORIES, "/var/spool/cron/crontabs/x"] },
            /^directories\[11\]: "\/var\/spool\/cron\/crontabs\/x" is not a place/,
        ],
        [
            "/etc/shadow as the config file",
            { haproxyConfigFile: "/etc/shadow" },
            /^haproxyConfigFile: "\/etc\/shadow" is not a place for HAProxy's configuration/,
        ],
        ["/etc/sudoers as the config file", { haproxyConfigFile: "/etc/sudoers" }, /^haproxyConfigFile: "\/etc\/sudoers" is not a place/],
        ["root's SSH key as the config file", { haproxyConfigFile: "/root/.ssh/id_rsa" }, /^haproxyConfigFile: "\/root\/\.ssh\/id_rsa" is not a place/],
        [
            "a look-alike of /etc/haproxy",
            { directories: [...DEFAULT_DIRECTORIES, "/etc/haproxy-evil"] },
            /^directories\[11\]: "\/etc\/haproxy-evil" is not a place/,
        ],
        [
            "'..' out of /etc/haproxy",
            { directories: [...DEFAULT_DIRECTORIES, "/etc/haproxy/../sudoers.d"] },
            /^directories\[11\]: "\/etc\/haproxy\/\.\.\/sudoers\.d" must not contain '\.\.'/,
        ],
        [
            "'..' in the config file",
            { haproxyConfigFile: "/etc/haproxy/../shadow" },
            /^haproxyConfigFile: "\/etc\/haproxy\/\.\.\/shadow" must not contain '\.\.'/,
        ],
        [
            "a socket over a system file",
            { haproxyMasterSocket: "/etc/passwd" },
            /^haproxyMasterSocket: "\/etc\/passwd" is not a place for HAProxy's master socket/,
        ],
        [
            "an admin socket whose directory would be opened",
            { haproxyAdminSocket: "/etc/cron.d/admin.sock" },
            /^haproxyAdminSocket: "\/etc\/cron\.d\/admin\.sock" is not a place/,
        ],
        ["a user root in /etc", { allowPathsUnder: ["/etc/sudoers.d"] }, /^allowPathsUnder\[0\]: "\/etc\/sudoers\.d" is not below \/srv/],
        ["a user root that is a whole site tree", { allowPathsUnder: ["/opt"] }, /^allowPathsUnder\[0\]: "\/opt" is not below/],
        [
            "a system directory through a refused user root",
            { allowPathsUnder: ["/usr/local"], directories: [...DEFAULT_DIRECTORIES, "/usr/local/sbin"] },
            /^directories\[11\]: "\/usr\/local\/sbin" is not a place/,
        ],
    ];
    for (const [what, values, message] of cases) {
        it(`refuses ${what}, naming the key and the value`, () => {
            const got = problems(values);
            assert.ok(
                got.some((p) => message.test(p)),
                `expected a problem matching ${message}, got:\n${got.join("\n")}`,
            );
        });
    }

    it("a spelling with // or /./ is judged as the path it names", () => {
        assert.ok(
            problems({ directories: [...DEFAULT_DIRECTORIES, "/etc//sudoers.d/./x"] }).some((p) =>
                p.startsWith('directories[11]: "/etc/sudoers.d/x" is not a place'),
            ),
        );
    });

    it("accepts the defaults, and a root of the user's holding the config file, a socket and directories", () => {
        assert.deepEqual(problems({}), []);
        assert.deepEqual(
            problems({
                allowPathsUnder: ["/srv/lb"],
                haproxyConfigFile: "/srv/lb/haproxy.cfg",
                haproxyAdminSocket: "/srv/lb/run/admin.sock",
                directories: [...DEFAULT_DIRECTORIES, "/srv/lb/certs", "/var/tmp/dataplane"],
            }),
            [],
        );
    });
});
