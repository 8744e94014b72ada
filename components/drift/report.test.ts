import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLine, type FileRecord } from "./record";
import { findDrift, formatReport, repairPlan, yamlValueDrift } from "./report";

const expect = { directories: ["/var/lib/haproxy", "/etc/haproxy/maps"], mode: "0750" };
const sha = (c: string) => c.repeat(64);
/** One F record, as the check prints it (record.ts checkLine). */
const file = (
    p: string,
    o: { mode?: string; sha?: string; compare?: string; secret?: string; copy?: string; restarts?: string; live?: FileRecord["live"] | "missing" },
) =>
    checkLine.file({
        path: p,
        owner: "root",
        group: "root",
        mode: o.mode ?? "0644",
        sha: sha("a"),
        compare: o.compare ?? "bytes",
        secret: o.secret === "1",
        copy: (o.copy ?? "1") === "1",
        restarts: o.restarts,
        live: o.live === "missing" ? undefined : (o.live ?? { owner: "root", group: "root", mode: "644", sha: o.sha ?? sha("a") }),
    });
const dirs = [
    checkLine.directory("/etc/haproxy", { owner: "root", group: "haproxy", mode: "770" }),
    checkLine.directory("/var/lib/haproxy", { owner: "haproxy", group: "haproxy", mode: "750" }),
    checkLine.directory("/etc/haproxy/maps", { owner: "haproxy", group: "haproxy", mode: "750" }),
];

describe("findDrift", () => {
    it("finds nothing when every record, directory and haproxy.cfg match", () => {
        const out = [file("/usr/local/lib/x", {}), ...dirs, checkLine.cfg("same"), ""].join("\n");
        assert.deepEqual(findDrift(out, expect), { unrecorded: false, items: [] });
    });

    it("reports a changed file with its diff, and a repair that restores it", () => {
        const out = [
            file("/etc/systemd/system/dataplaneapi.service", { sha: sha("b"), restarts: "dataplaneapi.service" }),
            checkLine.diff("/etc/systemd/system/dataplaneapi.service", "+Environment=X=1"),
            ...dirs,
            checkLine.cfg("same"),
        ].join("\n");
        const [item, ...rest] = findDrift(out, expect).items;
        assert.deepEqual(rest, []);
        assert.equal(item.summary, "content differs");
        assert.deepEqual(item.detail, ["+Environment=X=1"]);
        assert.deepEqual(item.repair, { kind: "file", content: true });
        assert.equal(item.restarts, "dataplaneapi.service");
    });

    it("reports owner and mode apart from content, and a missing file", () => {
        const out = [file("/a", { live: { owner: "haproxy", group: "root", mode: "600", sha: sha("a") } }), file("/b", { live: "missing" }), ...dirs].join(
            "\n",
        );
        const items = findDrift(out, expect).items;
        assert.deepEqual(
            items.map((i) => `${i.path}: ${i.summary}`),
            ["/a: owner haproxy:root, deployed root:root; mode 0600, deployed 0644", "/b: missing"],
        );
    });

    it("never shows a secret file's content, only that it differs", () => {
        const out = [
            file("/var/lib/haproxy-dataplane-deploy/userlist-users", {
                secret: "1",
                mode: "0600",
                live: { owner: "root", group: "root", mode: "600", sha: sha("c") },
            }),
            ...dirs,
        ].join("\n");
        const [item] = findDrift(out, expect).items;
        assert.equal(item.summary, "content differs (a secret: not shown)");
        assert.deepEqual(item.detail, []);
    });

    it("compares the API's YAML by its values: the API's rewrite (format, defaults, mode 0644) is not drift, a changed value is", () => {
        const deployed = "# comment\ndataplaneapi:\n  host: 0.0.0.0\n  port: 5555\nhaproxy:\n  reload:\n    reload_delay: 5\n";
        const rewritten =
            "dataplaneapi:\n    port: 5555\n    host: 0.0.0.0\n    scheme: [https]\nhaproxy:\n    reload:\n        reload_delay: 5\n        reload_strategy: custom\n";
        const y = (live: string, mode = "644") =>
            [
                file("/etc/haproxy-dataplane/dataplaneapi.yaml", {
                    compare: "yaml-values",
                    mode: "0640",
                    live: { owner: "root", group: "root", mode: mode, sha: sha("d") },
                }),
                checkLine.yaml("/etc/haproxy-dataplane/dataplaneapi.yaml", "deployed", deployed),
                checkLine.yaml("/etc/haproxy-dataplane/dataplaneapi.yaml", "live", live),
            ].join("\n");
        assert.deepEqual(findDrift(y(rewritten), expect).items, []);
        const [item] = findDrift(y(rewritten.replace("reload_delay: 5", "reload_delay: 30"), "666"), expect).items;
        assert.equal(item.summary, "mode 0666, deployed 0640; settings differ");
        assert.deepEqual(item.detail, ["haproxy.reload.reload_delay: 30 (deployed 5)"]);
    });

    it("checks the API's directories for owner haproxy:haproxy and their mode, and /etc/haproxy for group haproxy, g+w and nothing for others", () => {
        const out = [
            checkLine.directory("/etc/haproxy", { owner: "root", group: "root", mode: "755" }),
            checkLine.directory("/var/lib/haproxy", { owner: "root", group: "haproxy", mode: "750" }),
            checkLine.directory("/etc/haproxy/maps", undefined),
        ].join("\n");
        assert.deepEqual(
            findDrift(out, expect).items.map((i) => `${i.path}: ${i.summary}`),
            [
                "/etc/haproxy: group root, deployed haproxy; mode 0755, deployed group-writable and closed to others",
                "/var/lib/haproxy: owner root:haproxy, deployed haproxy:haproxy",
                "/etc/haproxy/maps: missing",
            ],
        );
    });

    it("reports haproxy.cfg's managed parts with the diff the host sent, and an edit that cannot apply as needing a hand", () => {
        const differs = findDrift(
            [checkLine.cfg("differs"), checkLine.cfgLine("-    user <masked>"), checkLine.cfgLine("+    user <masked>")].join("\n"),
            expect,
        ).items;
        assert.deepEqual(
            differs.map((i) => [i.path, i.repair, i.detail]),
            [["haproxy.cfg", { kind: "haproxyCfg" }, ["-    user <masked>", "+    user <masked>"]]],
        );
        const error = findDrift([checkLine.cfg("error"), checkLine.cfgLine("haproxy-cfg-edit: x:3: two stats socket lines")].join("\n"), expect).items;
        assert.equal(error[0].repair, undefined);
    });

    it("says when nothing of a deployment is recorded", () => {
        assert.equal(findDrift(`${checkLine.none()}\n`, expect).unrecorded, true);
    });
});

describe("yamlValueDrift", () => {
    it("names a removed key as missing, and an invalid file as such", () => {
        assert.deepEqual(yamlValueDrift("a:\n  b: 1\n  c: [x]\n", "a:\n  c: [x]\n"), ["a.b: missing (deployed 1)"]);
        assert.match(yamlValueDrift("a: 1\n", "a: [\n")[0], /^the file on the host is not valid YAML/);
    });
});

describe("repairPlan and formatReport", () => {
    const items = findDrift(
        [
            file("/etc/systemd/system/dataplaneapi.service", { sha: sha("b"), restarts: "dataplaneapi.service" }),
            file("/usr/local/bin/dataplaneapi", { copy: "0", sha: sha("e") }),
            checkLine.directory("/var/lib/haproxy", { owner: "root", group: "root", mode: "750" }),
            checkLine.cfg("differs"),
        ].join("\n"),
        expect,
    ).items;

    it("puts back each drifted piece once, the binary by its install step", () => {
        assert.deepEqual(repairPlan(items, "INSTALL"), {
            files: [{ path: "/etc/systemd/system/dataplaneapi.service", content: true }],
            binary: "INSTALL",
            directories: ["/var/lib/haproxy"],
            haproxyCfg: true,
        });
    });

    it("reads as a list of what differs and what the repair restarts", () => {
        assert.equal(
            formatReport("lb1", { unrecorded: false, items }),
            [
                "lb1: 4 pieces differ from what the stack deployed",
                "  ~ /etc/systemd/system/dataplaneapi.service: content differs",
                "  ~ /usr/local/bin/dataplaneapi: content differs: sha256 eeeeeeeeeeeeeeee, deployed aaaaaaaaaaaaaaaa",
                "  ~ /var/lib/haproxy: owner root:root, deployed haproxy:haproxy",
                "  ~ haproxy.cfg: the sections and global lines the deployment owns differ from its last edit (user lines masked)",
                "  repair: `--repair` puts back 4 of them and restarts dataplaneapi.service (its own files drifted)",
            ].join("\n"),
        );
        assert.equal(formatReport("lb2", { unrecorded: false, items: [] }), "lb2: no drift");
    });
});

describe("a drift of owner or mode only", () => {
    it("is put back in place, and restarts nothing: the content, and what read it, are as deployed", () => {
        const out = file("/etc/haproxy-dataplane/tls/server.key", {
            secret: "1",
            mode: "0600",
            restarts: "dataplaneapi.service",
            live: { owner: "root", group: "root", mode: "644", sha: sha("a") },
        });
        const [item] = findDrift(out, expect).items;
        assert.deepEqual(item.repair, { kind: "file", content: false });
        assert.equal(item.restarts, undefined);
    });
});
