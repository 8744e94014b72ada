import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { managedSectionIds, renderManagedSections, renderUserLine, USERS_PLACEHOLDER } from "./sections";

/**
 * These tests run haproxy-cfg-edit.awk, the very file the hosts run, with the
 * awk of this machine, as the host script calls it.
 */
const EDITOR = path.join(__dirname, "haproxy-cfg-edit.awk");
const STOCK = readFileSync(path.join(__dirname, "fixtures", "debian12-haproxy.cfg"), "utf8");
const REWRITTEN = readFileSync(path.join(__dirname, "fixtures", "api-rewritten.cfg"), "utf8");
const SOCKET = "/run/haproxy/admin.sock";
const OWNED = managedSectionIds("controller").join("|");
const dir = mkdtempSync(path.join(tmpdir(), "cfgedit-"));

function managed(hash = "$6$salt$hash", user = "dpadmin"): string {
    return renderManagedSections({ userlist: "controller", apiPort: 5555 })
        .replace(`    ${USERS_PLACEHOLDER}\n`, renderUserLine(user, hash));
}

function awk(mode: "apply" | "revert", reference: string, current: string, remove = ""): string {
    const ref = path.join(dir, `ref-${Math.random()}`);
    const cur = path.join(dir, `cur-${Math.random()}`);
    writeFileSync(ref, reference);
    writeFileSync(cur, current);
    return execFileSync("awk", ["-v", `mode=${mode}`, "-v", `socket=${SOCKET}`, "-v", `remove=${remove}`, "-f", EDITOR, ref, cur], { encoding: "utf8" });
}
const apply = (cfg: string, m = managed(), previouslyOwned = "") => awk("apply", m, cfg, previouslyOwned);
const revert = (snapshot: string, cfg: string) => awk("revert", snapshot, cfg, OWNED);
const lines = (s: string) => s.split("\n");

describe("haproxy.cfg edit", () => {
    const once = apply(STOCK);

    it("keeps its sections as the Data Plane API rewrote them: a second apply changes nothing", () => {
        // The API's spelling of the edited file: 2-space indentation, `from` on the headers.
        const apiStyle = once.split("\n").map((l) => l.replace(/^ {4}/, "  ")
            .replace(/^(backend haproxy-dataplane-api)$/, "$1 from unnamed_defaults_1")).join("\n");
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


describe("haproxy.cfg as the Data Plane API stand-in rewrote it after a deployment", () => {
    // /etc/haproxy/haproxy.cfg of a sandbox host after `scripts/sandbox.sh` and one
    // raw-configuration POST (server web2), as the stand-in wrote it in the API's
    // format; only the password hash was replaced by a dummy one.
    const REAL = readFileSync(path.join(__dirname, "fixtures", "standin-rewritten.cfg"), "utf8");
    const hash = /user dpadmin password (\S+)/.exec(REAL)![1];
    const sections = (h: string) => renderManagedSections({
        userlist: "controller", apiPort: 5555, tls: { caFile: "/etc/haproxy-dataplane/tls/ca.crt", serverName: "sandbox" },
    }).replace(`    ${USERS_PLACEHOLDER}\n`, renderUserLine("dpadmin", h));
    const global = (cfg: string) => {
        const all = cfg.split("\n");
        const start = all.findIndex((l) => l.trim() === "global");
        const end = all.findIndex((l, i) => i > start && /^\S/.test(l));
        return all.slice(start + 1, end).map((l) => l.trim().replace(/\s+/g, " ")).filter((l) => l && !l.startsWith("#"));
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
