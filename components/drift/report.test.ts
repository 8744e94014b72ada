import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findDrift, formatReport, repairPlan, yamlValueDrift } from "./report";

const expect = { directories: ["/var/lib/haproxy", "/etc/haproxy/maps"], mode: "0750" };
const sha = (c: string) => c.repeat(64);
const b64 = (s: string) => Buffer.from(s).toString("base64");
/** One F record as driftCheckScript prints it. */
const file = (
    p: string,
    o: { owner?: string; mode?: string; sha?: string; compare?: string; secret?: string; copy?: string; restarts?: string; live?: string },
) =>
    [
        "F",
        p,
        "root",
        "root",
        o.mode ?? "0644",
        sha("a"),
        o.compare ?? "bytes",
        o.secret ?? "0",
        o.copy ?? "1",
        o.restarts ?? "-",
        ...(o.live ?? `root\troot\t644\t${o.sha ?? sha("a")}`).split("\t"),
    ].join("\t");
const dirs = ["R\t/etc/haproxy\troot\thaproxy\t770", "R\t/var/lib/haproxy\thaproxy\thaproxy\t750", "R\t/etc/haproxy/maps\thaproxy\thaproxy\t750"];

describe("findDrift", () => {
    it("finds nothing when every record, directory and haproxy.cfg match", () => {
        const out = [file("/usr/local/lib/x", {}), ...dirs, "C\tsame", ""].join("\n");
        assert.deepEqual(findDrift(out, expect), { unrecorded: false, items: [] });
    });

    it("reports a changed file with its diff, and a repair that restores it", () => {
        const out = [
            file("/etc/systemd/system/dataplaneapi.service", { sha: sha("b"), restarts: "dataplaneapi.service" }),
            "D\t/etc/systemd/system/dataplaneapi.service\t+Environment=X=1",
            ...dirs,
            "C\tsame",
        ].join("\n");
        const [item, ...rest] = findDrift(out, expect).items;
        assert.deepEqual(rest, []);
        assert.equal(item.summary, "content differs");
        assert.deepEqual(item.detail, ["+Environment=X=1"]);
        assert.deepEqual(item.repair, { kind: "file", content: true });
        assert.equal(item.restarts, "dataplaneapi.service");
    });

    it("reports owner and mode apart from content, and a missing file", () => {
        const out = [file("/a", { live: `haproxy\troot\t600\t${sha("a")}` }), file("/b", { live: "-\t-\t-\t-" }), ...dirs].join("\n");
        const items = findDrift(out, expect).items;
        assert.deepEqual(
            items.map((i) => `${i.path}: ${i.summary}`),
            ["/a: owner haproxy:root, deployed root:root; mode 0600, deployed 0644", "/b: missing"],
        );
    });

    it("never shows a secret file's content, only that it differs", () => {
        const out = [
            file("/var/lib/haproxy-dataplane-deploy/userlist-users", { secret: "1", mode: "0600", live: `root\troot\t600\t${sha("c")}` }),
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
                file("/etc/haproxy-dataplane/dataplaneapi.yaml", { compare: "yaml-values", mode: "0640", live: `root\troot\t${mode}\t${sha("d")}` }),
                `Y\t/etc/haproxy-dataplane/dataplaneapi.yaml\tdeployed\t${b64(deployed)}`,
                `Y\t/etc/haproxy-dataplane/dataplaneapi.yaml\tlive\t${b64(live)}`,
            ].join("\n");
        assert.deepEqual(findDrift(y(rewritten), expect).items, []);
        const [item] = findDrift(y(rewritten.replace("reload_delay: 5", "reload_delay: 30"), "666"), expect).items;
        assert.equal(item.summary, "mode 0666, deployed 0640; settings differ");
        assert.deepEqual(item.detail, ["haproxy.reload.reload_delay: 30 (deployed 5)"]);
    });

    it("checks the API's directories for owner haproxy:haproxy and their mode, and /etc/haproxy for group haproxy, g+w and nothing for others", () => {
        const out = ["R\t/etc/haproxy\troot\troot\t755", "R\t/var/lib/haproxy\troot\thaproxy\t750", "R\t/etc/haproxy/maps\t-\t-\t-"].join("\n");
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
        const differs = findDrift(["C\tdiffers", "c\t-    user <masked>", "c\t+    user <masked>"].join("\n"), expect).items;
        assert.deepEqual(
            differs.map((i) => [i.path, i.repair, i.detail]),
            [["haproxy.cfg", { kind: "haproxyCfg" }, ["-    user <masked>", "+    user <masked>"]]],
        );
        const error = findDrift(["C\terror", "c\thaproxy-cfg-edit: x:3: two stats socket lines"].join("\n"), expect).items;
        assert.equal(error[0].repair, undefined);
    });

    it("says when nothing of a deployment is recorded", () => {
        assert.equal(findDrift("N\tnone\n", expect).unrecorded, true);
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
            "R\t/var/lib/haproxy\troot\troot\t750",
            "C\tdiffers",
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
            live: `root\troot\t644\t${sha("a")}`,
        });
        const [item] = findDrift(out, expect).items;
        assert.deepEqual(item.repair, { kind: "file", content: false });
        assert.equal(item.restarts, undefined);
    });
});
