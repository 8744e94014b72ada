import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { LAB_APPLICATION, fixtureManagedSections as managed, PACKAGE_FIXTURES, packageFile, provenance } from "./cfgeditFixtures";
import { ASSETS_DIR } from "../shared/assets";
import { managedSectionIds, renderManagedSections, renderUserLine, USERS_PLACEHOLDER } from "./sections";

/**
 * These tests run haproxy-cfg-edit.awk, the very file the hosts run, with the
 * awk of this machine, as the host script calls it.
 */
const EDITOR = path.join(ASSETS_DIR, "haproxy", "haproxy-cfg-edit.awk");
// Debian 12's haproxy.cfg with the lab's application after it (cfgeditFixtures.ts).
const STOCK = readFileSync(path.join(__dirname, "fixtures", "debian12-haproxy.cfg"), "utf8");
// Hand-written in the API's format (sections sorted, 2-space indentation, `from` on headers, extra
// sections the API added) before the real API ran here; api-3.2.1-rewritten.cfg, further down, is a real rewrite.
const REWRITTEN = readFileSync(path.join(__dirname, "fixtures", "api-rewritten.cfg"), "utf8");
const SOCKET = "/run/haproxy/admin.sock";
const OWNED = managedSectionIds("controller").join("|");
const dir = mkdtempSync(path.join(tmpdir(), "cfgedit-"));

function awk(mode: "apply" | "revert", reference: string, current: string, remove = ""): string {
    const ref = path.join(dir, `ref-${Math.random()}`);
    const cur = path.join(dir, `cur-${Math.random()}`);
    writeFileSync(ref, reference);
    writeFileSync(cur, current);
    return execFileSync("awk", ["-v", `mode=${mode}`, "-v", `socket=${SOCKET}`, "-v", `remove=${remove}`, "-f", EDITOR, ref, cur], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}
const apply = (cfg: string, m = managed(), previouslyOwned = "") => awk("apply", m, cfg, previouslyOwned);
const revert = (snapshot: string, cfg: string) => awk("revert", snapshot, cfg, OWNED);
const lines = (s: string) => s.split("\n");

describe("haproxy.cfg edit", () => {
    const once = apply(STOCK);

    it("keeps its sections as the Data Plane API rewrote them: a second apply changes nothing", () => {
        // The API's spelling of the edited file: 2-space indentation, `from` on the headers.
        const apiStyle = once
            .split("\n")
            .map((l) => l.replace(/^ {4}/, "  ").replace(/^(backend haproxy-dataplane-api)$/, "$1 from unnamed_defaults_1"))
            .join("\n");
        assert.equal(apply(apiStyle), apiStyle);
        const rotated = apply(apiStyle, managed("$6$salt$newhash"));
        assert.notEqual(rotated, apiStyle, "a changed section is still replaced");
        assert.match(rotated, /^ {4}user dpadmin password \$6\$salt\$newhash$/m);
        assert.match(rotated, /^userlist controller\n {4}user/m, "the replaced section is written as the program renders it");
        assert.match(rotated, /^backend haproxy-dataplane-api from unnamed_defaults_1\n {2}server/m, "the unchanged one stays as the API wrote it");
    });

    it("adds master-worker, the userlist and the API backend", () => {
        assert.ok(lines(once).includes("    master-worker"));
        assert.ok(once.includes("\nuserlist controller\n    user dpadmin password $6$salt$hash\n"));
        assert.ok(once.endsWith("\nbackend haproxy-dataplane-api\n    server dataplane 127.0.0.1:5555 check\n"));
    });

    it("edits the stock admin socket line instead of adding a second one", () => {
        const sockets = lines(once).filter((l) => /^\s*stats socket /.test(l));
        assert.deepEqual(sockets, ["\tstats socket /run/haproxy/admin.sock mode 660 level admin group haproxy"]);
    });

    it("keeps options of the socket line it does not own, and sets those it does", () => {
        const cfg = "global\n    stats socket /run/haproxy/admin.sock mode 600 expose-fd listeners level user\n";
        assert.ok(apply(cfg).includes("    stats socket /run/haproxy/admin.sock mode 660 expose-fd listeners level admin group haproxy\n"));
    });

    it("adds a socket line when there is none", () => {
        assert.ok(lines(apply("global\n    daemon\n")).includes("    stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy"));
    });

    it("is idempotent: applying twice gives the same bytes as once", () => {
        assert.equal(apply(once), once);
        assert.equal(apply(apply(once)), once);
    });

    it("keeps every unrelated section byte for byte", () => {
        const frontend = STOCK.slice(STOCK.indexOf("frontend web"));
        assert.ok(once.includes(frontend.trimEnd()));
        const defaults = STOCK.slice(STOCK.indexOf("defaults"), STOCK.indexOf("frontend web"));
        assert.ok(once.includes(defaults));
    });

    it("reverses exactly: revert(apply(x)) is x", () => {
        assert.equal(revert(STOCK, once), STOCK);
        const noSocket = "global\n\tdaemon\n\ndefaults\n\tmode http\n";
        assert.equal(revert(noSocket, apply(noSocket)), noSocket);
        const withMw = "global\n    master-worker\n    stats socket /run/haproxy/admin.sock level admin\n\n\n";
        assert.equal(revert(withMw, apply(withMw)), withMw);
    });

    it("changes only the user line when the password rotates", () => {
        const rotated = apply(once, managed("$6$salt$newhash"));
        const diff = lines(rotated).filter((l, i) => l !== lines(once)[i]);
        assert.deepEqual(diff, ["    user dpadmin password $6$salt$newhash"]);
    });

    it("on a file the Data Plane API rewrote, keeps its comment lines and the sections it added, replacing ours in place", () => {
        const out = apply(REWRITTEN, managed("$6$salt$newhash"), OWNED);
        assert.ok(out.startsWith("# _version=7\n# _md5hash=0a1b2c3d4e5f60718293a4b5c6d7e8f9\nglobal\n"));
        assert.ok(out.includes("backend added_by_api\n  server s1 10.9.9.9:80\n"));
        assert.ok(out.includes("  server web2 127.0.0.1:8082\n"));
        assert.equal(out.match(/^userlist controller$/gm)?.length, 1);
        assert.equal(out.match(/^backend haproxy-dataplane-api$/gm)?.length, 1);
        assert.ok(out.includes("userlist controller\n    user dpadmin password $6$salt$newhash\n\nfrontend web"), "the userlist stays where it was");
        assert.ok(!out.includes("oldhash"));
        assert.equal(apply(out, managed("$6$salt$newhash"), OWNED), out);
    });

    it("reverting a file the API rewrote removes only what the program added", () => {
        const out = revert(STOCK, REWRITTEN);
        assert.ok(!out.includes("userlist controller") && !out.includes("haproxy-dataplane-api"));
        assert.ok(!/^\s*master-worker/m.test(out), "master-worker was not in the original");
        assert.ok(out.includes("\tstats socket /run/haproxy/admin.sock mode 660 level admin\n"), "the original socket line is back");
        assert.ok(out.includes("backend added_by_api") && out.includes("# _version=7"), "what the API added stays");
    });

    it("drops a section it owned before but no longer does (a renamed userlist)", () => {
        const renamed = renderManagedSections({ userlist: "ops", apiPort: 5555 }).replace(`    ${USERS_PLACEHOLDER}\n`, renderUserLine("dpadmin", "$6$s$h"));
        const out = apply(once, renamed, OWNED);
        assert.ok(!out.includes("userlist controller") && out.includes("userlist ops"));
        assert.equal(out.match(/^backend haproxy-dataplane-api$/gm)?.length, 1);
    });
});

describe("haproxy.cfg as the Data Plane API rewrote it after a deployment", () => {
    // /etc/haproxy/haproxy.cfg of a sandbox host (Debian 13) after `scripts/sandbox.sh`
    // and one raw-configuration POST (server web2), as the real API 3.2.1 wrote it in
    // its format (global in its own order); only the password hash was replaced by a dummy one.
    const REAL = readFileSync(path.join(__dirname, "fixtures", "api-3.2.1-rewritten.cfg"), "utf8");
    const hash = /user dpadmin password (\S+)/.exec(REAL)![1];
    const sections = (h: string) =>
        renderManagedSections({
            userlist: "controller",
            apiPort: 5555,
            tls: { caFile: "/etc/haproxy-dataplane/tls/ca.crt", serverName: "sandbox" },
        }).replace(`    ${USERS_PLACEHOLDER}\n`, renderUserLine("dpadmin", h));
    const global = (cfg: string) => {
        const all = cfg.split("\n");
        const start = all.findIndex((l) => l.trim() === "global");
        const end = all.findIndex((l, i) => i > start && /^\S/.test(l));
        return all
            .slice(start + 1, end)
            .map((l) => l.trim().replace(/\s+/g, " "))
            .filter((l) => l && !l.startsWith("#"));
    };

    it("applying the same edit again changes nothing", () => {
        assert.equal(apply(REAL, sections(hash), OWNED), REAL);
    });
    it("a new password replaces the userlist only; the backend stays as the API wrote it", () => {
        const out = apply(REAL, sections("$6$other$hash"), OWNED);
        assert.match(out, /^userlist controller\n {4}user dpadmin password \$6\$other\$hash$/m);
        assert.match(out, /^backend haproxy-dataplane-api\n {2}server dataplane/m);
        assert.equal(out.replace(/^userlist controller\n.*$/m, ""), REAL.replace(/^userlist controller\n.*$/m, ""), "nothing else changed");
    });
    it("the revert takes the program's sections and global lines out, and keeps what the API added", () => {
        const out = revert(STOCK, REAL);
        assert.ok(!/^userlist controller/m.test(out) && !/haproxy-dataplane-api/.test(out));
        assert.deepEqual(global(out), global(STOCK), "global says what it said before the deployment");
        assert.match(out, /^ {2}server web2 127\.0\.0\.1:8082$/m);
    });
});

/**
 * The files the editor must get right or refuse: each is a fixture
 * fixtures/<case>.cfg with the result of apply next to it, <case>.expected.cfg,
 * or the error it stops with, <case>.error.txt. tests/e2e/cfgedit.test.ts starts
 * HAProxy on the expected files and checks what it does with them.
 */
const FIXTURES = path.join(__dirname, "fixtures");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

/** The cases whose result is a file, with what each one is about (for Debian's own files: where they come from). */
const EDITED_CASES: Record<string, string> = {
    ...Object.fromEntries(Object.values(PACKAGE_FIXTURES).map((p) => [p.fixture, provenance(p)])),
    crlf: "CRLF line endings: edited as lines, written back with CRLF",
    "no-global": "no global section: one is added at the top",
    "socket-comment": "a trailing comment on the socket line stays after the options",
    "socket-options": "extra options stay; gid gives way to group haproxy; operator becomes admin",
    "socket-unix-prefix": "unix@/run/haproxy/admin.sock is the configured socket",
    "socket-var-run": "/var/run/haproxy/admin.sock is the configured socket",
    "api-rewritten": "a file the Data Plane API rewrote (_version, _md5hash, its indentation)",
};

/** Runs the editor on a fixture file in place, so its messages name the fixture as they name haproxy.cfg on a host. */
function applyFixture(name: string, previouslyOwned = ""): { status: number | null; stdout: string; stderr: string } {
    const ref = path.join(dir, `ref-${Math.random()}`);
    writeFileSync(ref, managed());
    const r = spawnSync("awk", ["-v", "mode=apply", "-v", `socket=${SOCKET}`, "-v", `remove=${previouslyOwned}`, "-f", EDITOR, ref, name], {
        cwd: FIXTURES,
        encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("haproxy.cfg edit: the fixtures, with the expected result", () => {
    for (const [name, what] of Object.entries(EDITED_CASES)) {
        const owned = name === "api-rewritten" ? OWNED : "";
        it(`${name}: ${what}`, () => {
            const r = applyFixture(`${name}.cfg`, owned);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, fixture(`${name}.expected.cfg`));
        });
        it(`${name}: applying again changes nothing, and revert gives the file back`, () => {
            const expected = fixture(`${name}.expected.cfg`);
            assert.equal(apply(expected, managed(), OWNED), expected);
            if (name !== "api-rewritten") assert.equal(revert(fixture(`${name}.cfg`), expected), fixture(`${name}.cfg`));
        });
    }

    it("the Debian fixtures: debian12 is the package's file and the lab's application, debian13 the package's file alone, the same at these versions", () => {
        const [debian12, debian13] = [PACKAGE_FIXTURES.bookworm, PACKAGE_FIXTURES.trixie];
        assert.ok(fixture(`${debian12.fixture}.cfg`).endsWith(LAB_APPLICATION));
        assert.ok(!fixture(`${debian13.fixture}.cfg`).includes("frontend web"), "no application in the package's file");
        assert.equal(packageFile(debian12, fixture(`${debian12.fixture}.cfg`)), packageFile(debian13, fixture(`${debian13.fixture}.cfg`)));
    });

    it("crlf: every line of the result ends in CRLF, the ones it adds too", () => {
        const out = fixture("crlf.expected.cfg");
        assert.ok(out.endsWith("\r\n"));
        assert.deepEqual(
            out.split("\r\n").filter((l) => l.includes("\n") || l.includes("\r")),
            [],
        );
        assert.equal(out.match(/^\s*master-worker\r$/gm)?.length, 1);
        assert.equal(out.match(/^userlist controller\r$/gm)?.length, 1);
        assert.equal(
            apply(out, managed("$6$salt$newhash"), OWNED).match(/^userlist controller\r$/gm)?.length,
            1,
            "the CRLF header is recognised as the managed section",
        );
    });

    it("socket lines: one line for the socket, in its own spelling, with mode 660, level admin and group haproxy", () => {
        for (const name of ["socket-comment", "socket-options", "socket-unix-prefix", "socket-var-run", "crlf", "no-global"]) {
            const sockets = lines(fixture(`${name}.expected.cfg`).replace(/\r/g, "")).filter((l) => /^\s*stats socket /.test(l));
            assert.equal(sockets.length, 1, `${name}: ${sockets.join(" | ")}`);
            const options = sockets[0].replace(/#.*/, "").trim().split(/\s+/);
            const value = (k: string) => options.filter((_, i) => options[i - 1] === k);
            assert.deepEqual([value("mode"), value("level"), value("group"), value("gid")], [["660"], ["admin"], ["haproxy"], []], `${name}: ${sockets[0]}`);
        }
        assert.match(fixture("socket-comment.expected.cfg"), /^\tstats socket \S+ mode 660 level admin group haproxy # the admin socket; see haproxy\(1\)$/m);
        assert.match(fixture("socket-unix-prefix.expected.cfg"), /^\tstats socket unix@\/run\/haproxy\/admin\.sock /m);
        assert.match(fixture("socket-var-run.expected.cfg"), /^\tstats socket \/var\/run\/haproxy\/admin\.sock /m);
    });

    it("a comment glued to an option, and options only in the comment, are not taken for options", () => {
        assert.equal(
            apply("global\n  stats socket /run/haproxy/admin.sock level operator#was level admin\n", managed()).split("\n")[2],
            "  stats socket /run/haproxy/admin.sock level admin mode 660 group haproxy #was level admin",
        );
        assert.equal(
            apply("global\n  stats socket /run/haproxy/admin.sock # mode 600 group adm\n", managed()).split("\n")[2],
            "  stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy # mode 600 group adm",
        );
    });

    it("other spellings of the same path: doubled slashes, /./, unix@/var/run", () => {
        for (const p of ["/run//haproxy/admin.sock", "/run/./haproxy/admin.sock", "unix@/var/run/haproxy/admin.sock"]) {
            const out = apply(`global\n  stats socket ${p} level user\n`);
            assert.deepEqual(
                lines(out).filter((l) => l.includes("stats socket")),
                [`  stats socket ${p} level admin mode 660 group haproxy`],
            );
        }
        const other = apply("global\n  stats socket /run/haproxy/other.sock level user\n  stats socket abns@admin.sock\n");
        assert.ok(other.includes("  stats socket /run/haproxy/other.sock level user\n  stats socket abns@admin.sock\n"), "other sockets stay as they are");
        assert.equal(lines(other).filter((l) => l.includes("stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy")).length, 1);
    });

    it("the global section at the top of a file that has only comments, or nothing", () => {
        assert.ok(
            apply("").startsWith(
                "global\n    master-worker\n    stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy\n\nuserlist controller\n",
            ),
        );
        assert.ok(apply("# nothing yet\n").startsWith("# nothing yet\nglobal\n    master-worker\n"));
        assert.equal(revert("# nothing yet\n", apply("# nothing yet\n")), "# nothing yet\n");
    });
});

describe("haproxy.cfg edit: what it refuses, with a message naming the line", () => {
    for (const name of ["conditional-managed", "conditional-socket", "socket-twice"]) {
        it(name, () => {
            const r = applyFixture(`${name}.cfg`);
            assert.equal(r.status, 1);
            assert.equal(r.stderr, fixture(`${name}.error.txt`));
        });
    }

    const refuse = (cfg: string, message: RegExp, mode: "apply" | "revert" = "apply") => {
        assert.throws(
            () => (mode === "apply" ? apply(cfg, managed(), OWNED) : revert(STOCK, cfg)),
            (e: { status: number; stderr: string }) => e.status === 1 && message.test(e.stderr),
        );
    };

    it("lines that end partly in CRLF and partly in LF, or a carriage return inside a line", () => {
        refuse("global\r\n    daemon\n", /:2: this line ends in LF, but line 1 ends in CRLF; the file mixes line endings/);
        refuse("global\r    daemon\r\n", /:1: a carriage return inside the line/);
    });

    it("a managed section with a conditional block inside it, or one that begins in it and ends in the next", () => {
        refuse(
            "global\n  daemon\n\nuserlist controller\n.if defined(X)\n  user a password b\n.endif\n",
            /:5: this line of the section `userlist controller` \(line 4\) is or is inside an HAProxy conditional block/,
        );
        refuse("backend haproxy-dataplane-api\n  server a 127.0.0.1:1\n.if defined(X)\nbackend b\n.endif\n", /:3: .*`backend haproxy-dataplane-api`/);
        refuse(`${fixture("conditional-managed.cfg")}`, /conditional block/, "revert");
    });

    it("the global section, master-worker or the socket line inside a conditional block", () => {
        refuse(".if defined(X)\nglobal\n  stats socket /run/haproxy/admin.sock\n.endif\n", /:3: the stats socket line/);
        refuse(".if defined(X)\nglobal\n  daemon\n.endif\n", /:2: the global section is inside/);
        refuse("global\n.if defined(X)\n  master-worker\n.endif\n", /:3: `master-worker` is inside/);
    });

    it("a conditional block elsewhere in global, or around a section it does not own, is fine", () => {
        const cfg =
            "global\n  stats socket /run/haproxy/admin.sock\n.if feature(LUA)\n  lua-load /x.lua\n.endif\n\n.if defined(X)\nbackend b\n  server s 127.0.0.1:1\n.endif\n";
        const out = apply(cfg);
        assert.ok(out.includes(".if feature(LUA)\n  lua-load /x.lua\n.endif\n\n.if defined(X)\nbackend b\n  server s 127.0.0.1:1\n.endif\n"));
        assert.equal(revert(cfg, out), cfg);
    });

    it("a socket line with quotes or backslashes", () => {
        refuse('global\n  stats socket "/run/haproxy/admin.sock" level admin\n', /:2: a stats socket line with quotes or backslashes/);
        refuse("global\n  stats socket /run/haproxy/admin\\.sock\n", /quotes or backslashes/);
    });

    it("revert leaves a file that apply refused as it is", () => {
        const cfg = fixture("conditional-socket.cfg");
        assert.equal(revert(cfg, cfg), cfg);
        const twice = fixture("socket-twice.cfg");
        assert.equal(revert(twice, twice), twice);
    });
});

describe("haproxy.cfg revert: the global section as it was before the first apply", () => {
    // Debian 12's file with the lab's application (STOCK) after apply and one server added through the
    // API, as the Data Plane API 3.2.1 writes it (client-native v6.2.0's config-parser): global's lines in
    // the parser's order (daemon first, the log lines last), 2-space indentation, the comment lines that
    // are not indented with spaces moved in front of the next section, sections sorted, named and with
    // `from`, and `# _md5hash=` (of the rest of the file) and `# _version=` at the top.
    const REORDERED = fixture("api-reordered-global.cfg");
    // What revert makes of it: the API's file, with STOCK's global section and without the program's sections.
    const REVERTED = fixture("api-reordered-global.reverted.cfg");
    /** A file's text from its `global` line to its first `defaults` line. */
    const globalOf = (cfg: string) => cfg.slice(cfg.search(/^global\r?$/m), cfg.search(/^defaults/m));
    const crlf = (s: string) => s.replace(/\n/g, "\r\n");

    it("a file the API rewrote with global in its own order gets the snapshot's global back byte for byte", () => {
        assert.notEqual(globalOf(REORDERED), globalOf(STOCK));
        const out = revert(STOCK, REORDERED);
        assert.equal(globalOf(out), globalOf(STOCK));
        assert.equal(out, REVERTED);
        assert.ok(out.startsWith("# _md5hash=cd823e5eabebc5e1c7d428631cd32f9f\n# _version=2\n\nglobal\n"), "the API's comment lines stay");
        assert.equal(out.match(/# Default SSL material locations/g)?.length, 1, "the comment the API moved is not written twice");
        assert.match(out, /^ {2}server web2 127\.0\.0\.1:8082$/m, "what the API added stays");
    });

    it("the same with CRLF line endings", () => {
        assert.equal(revert(crlf(STOCK), crlf(REORDERED)), crlf(REVERTED));
    });

    it("a global line added, changed or taken out after the deploy stays so, in the order the API wrote", () => {
        const changes: Record<string, [string, string]> = {
            added: ["  master-worker\n", "  master-worker\n  maxconn 4096\n"],
            changed: ["  stats timeout 30s\n", "  stats timeout 1m\n"],
            removed: ["  log /dev/log local1 notice\n", ""],
            "a comment line added": ["  user haproxy\n", "  # the files under /var/lib/haproxy belong to this user\n  user haproxy\n"],
        };
        for (const [what, [from, to]] of Object.entries(changes)) {
            const cfg = REORDERED.replace(from, to);
            assert.notEqual(cfg, REORDERED, what);
            // What revert did before it could give the snapshot's global back: the API's lines, less
            // master-worker, with the socket line as the snapshot wrote it.
            const kept = globalOf(cfg)
                .replace("  master-worker\n", "")
                .replace(
                    "  stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy\n",
                    "\tstats socket /run/haproxy/admin.sock mode 660 level admin\n",
                );
            assert.equal(globalOf(revert(STOCK, cfg)), kept, what);
        }
    });

    it("the lines the program changed come back as the snapshot had them: master-worker and the socket line with its comment", () => {
        const snapshot = "global\n\tlog stdout local0\n\tmaster-worker\n\tstats socket /run/haproxy/admin.sock level admin # ours\n\ndefaults\n\tmode http\n";
        const api =
            "# _version=2\n\nglobal\n  master-worker\n  stats socket /run/haproxy/admin.sock level admin mode 660 group haproxy # ours\n  log stdout local0\n\ndefaults unnamed_defaults_1\n  mode http\n";
        assert.equal(
            revert(snapshot, api),
            "# _version=2\n\nglobal\n\tlog stdout local0\n\tmaster-worker\n\tstats socket /run/haproxy/admin.sock level admin # ours\n\ndefaults unnamed_defaults_1\n  mode http\n",
        );
        assert.equal(
            revert(
                "global\n\tlog stdout local0\n\tdaemon\n",
                "global\n  daemon\n  master-worker\n  stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy\n  log stdout local0\n",
            ),
            "global\n\tlog stdout local0\n\tdaemon\n",
            "a socket line the snapshot did not have goes",
        );
    });

    it("global last in the snapshot and first in the API's file: its lines as the snapshot had them, one blank line before the next section", () => {
        const snapshot = "defaults\n\tmode http\n\nglobal\n\tlog stdout local0\n\tdaemon\n\n";
        const api =
            "global\n  daemon\n  master-worker\n  stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy\n  log stdout local0\n\ndefaults unnamed_defaults_1\n  mode http\n";
        assert.equal(revert(snapshot, api), "global\n\tlog stdout local0\n\tdaemon\n\ndefaults unnamed_defaults_1\n  mode http\n\n");
    });

    it("a snapshot without a global section: the one the API kept, with nothing but the program's lines, goes", () => {
        const api =
            "global\n  master-worker\n  stats socket /run/haproxy/admin.sock mode 660 level admin group haproxy\n\ndefaults unnamed_defaults_1\n  mode http\n";
        assert.equal(revert("defaults\n\tmode http\n", api), "defaults unnamed_defaults_1\n  mode http\n");
        const withDaemon = api.replace("  master-worker\n", "  daemon\n  master-worker\n");
        assert.equal(
            revert("defaults\n\tmode http\n", withDaemon),
            "global\n  daemon\n\ndefaults unnamed_defaults_1\n  mode http\n",
            "a line added to it after the deploy stays",
        );
    });
});
