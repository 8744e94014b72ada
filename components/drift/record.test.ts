/**
 * The drift record's round trip: records written by the real shell
 * (recordDeployedScript, run with bash), read by the real check
 * (driftCheckScript, run with bash), parsed by parseCheckOutput, for each kind
 * of line; and read by the real repair (driftRepairScript), which puts a file
 * back from its record. The scripts run as they are rendered, with the state
 * directory moved under a temporary one; no root is needed (the repaired
 * files are the test user's own).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { haproxyEditSpec } from "../haproxy";
import { PATHS } from "../shared/paths";
import type { WriteFileSpec } from "../shared/shell";
import { type CheckOutput, checkLine, deployedId, type FileRecord, parseCheckOutput, recordDeployedScript } from "./record";
import { driftCheckScript, driftRepairScript } from "./scripts";

const top = mkdtempSync(path.join(tmpdir(), "drift-record-"));
after(() => rmSync(top, { recursive: true, force: true }));

/** A script as rendered, with the state directory under `root` instead. */
function run(script: string, root: string): string {
    return execFileSync("bash", ["-c", script.split(PATHS.stateDir).join(`${root}/state`)], { encoding: "utf8" });
}

const sha256 = (file: string) => execFileSync("sha256sum", [file], { encoding: "utf8" }).split(" ")[0];
const stat = (file: string) => execFileSync("stat", ["-c", "%U\t%G\t%a", file], { encoding: "utf8" }).trim().split("\t");

/** Writes a file and its record as a step does, and returns the record as the check should report it once `live` is done to the file. */
function deploy(root: string, name: string, content: string, traits: Partial<WriteFileSpec>, copy: boolean): { spec: WriteFileSpec; record: FileRecord } {
    const file = path.join(root, name);
    writeFileSync(file, content);
    const spec: WriteFileSpec = { path: file, owner: 'someone\'s "owner"', group: "a group", mode: "0640", ...traits };
    run(recordDeployedScript(spec, copy), root);
    const record: FileRecord = {
        path: file,
        owner: spec.owner,
        group: spec.group,
        mode: spec.mode,
        sha: sha256(file),
        compare: spec.compare ?? "bytes",
        secret: spec.secret ?? false,
        copy,
        restarts: spec.restarts,
    };
    return { spec, record };
}

function check(root: string, directories: string[]): { text: string; parsed: CheckOutput } {
    const haproxy = { ...haproxyEditSpec(path.join(root, "haproxy.cfg"), "/run/haproxy/admin.sock", "controller") };
    const text = run(driftCheckScript({ directories, haproxy }), root);
    return { text, parsed: parseCheckOutput(text) };
}

describe("the drift record, written by its shell, read by the check, parsed", () => {
    it("N: nothing recorded", () => {
        const root = mkdtempSync(path.join(top, "none-"));
        const { text, parsed } = check(root, []);
        assert.equal(text, `${checkLine.none()}\n`);
        assert.equal(parsed.unrecorded, true);
    });

    it("F, D, Y: files with spaces, quotes, $ and unicode in their paths, changed, missing and unchanged", () => {
        const root = mkdtempSync(path.join(top, "files-"));
        const changed = deploy(root, "a 'quoted' \"name\" $HOME é", "one\n\tindented 'line'\nthree\n", { restarts: "dataplaneapi.service" }, true);
        const secret = deploy(root, "secret file", "s3cret\n", { secret: true, mode: "0600" }, true);
        const yaml = deploy(root, "api yaml", "a:\n  b: 1\n", { compare: "yaml-values" }, true);
        const gone = deploy(root, "gone", "x\n", {}, true);
        const binary = deploy(root, "binary", "", {}, false);
        writeFileSync(changed.spec.path, 'one\n\tindented "line"\nthree\n');
        writeFileSync(secret.spec.path, "other\n");
        writeFileSync(yaml.spec.path, "a:\n    b: 2\n");
        chmodSync(yaml.spec.path, 0o600);
        rmSync(gone.spec.path);
        const { text, parsed } = check(root, []);
        const live = (r: FileRecord) => {
            const [owner, group, mode] = stat(r.path);
            return { ...r, live: { owner, group, mode, sha: sha256(r.path) } };
        };
        const expected = [live(changed.record), live(secret.record), live(yaml.record), { ...gone.record, live: undefined }, live(binary.record)];
        const byPath = (a: FileRecord, b: FileRecord) => a.path.localeCompare(b.path);
        assert.deepEqual([...parsed.files].sort(byPath), [...expected].sort(byPath));
        // The test's own lines (checkLine) are the check's lines.
        for (const r of expected) assert.ok(text.split("\n").includes(checkLine.file(r)), `${checkLine.file(r)} in\n${text}`);
        assert.deepEqual(parsed.diffs.get(changed.spec.path), [
            "--- deployed",
            "+++ on the host",
            "@@ -1,3 +1,3 @@",
            " one",
            "-\tindented 'line'",
            '+\tindented "line"',
            " three",
        ]);
        assert.deepEqual([...parsed.diffs.keys()], [changed.spec.path], "no diff for a secret, a missing file or one compared by values");
        assert.deepEqual(parsed.yamls.get(yaml.spec.path), { deployed: "a:\n  b: 1\n", live: "a:\n    b: 2\n" });
        assert.ok(text.includes(checkLine.yaml(yaml.spec.path, "live", "a:\n    b: 2\n")));
        assert.equal(parsed.unrecorded, false);
    });

    it("R: directories with spaces in their names, present and missing", () => {
        const root = mkdtempSync(path.join(top, "dirs-"));
        deploy(root, "f", "x\n", {}, true);
        const there = path.join(root, "a dir 'q'");
        mkdirSync(there, { mode: 0o750 });
        chmodSync(there, 0o750);
        const missing = path.join(root, "no such dir");
        const { text, parsed } = check(root, [there, missing]);
        const [owner, group] = stat(there);
        assert.deepEqual(parsed.directories.get(there), { owner, group, mode: "750" });
        assert.ok(parsed.directories.has(missing));
        assert.equal(parsed.directories.get(missing), undefined);
        assert.ok(text.split("\n").includes(checkLine.directory(there, { owner, group, mode: "750" })));
        assert.ok(text.split("\n").includes(checkLine.directory(missing, undefined)));
    });

    describe("C and c: haproxy.cfg against the recorded edit", () => {
        /** A host with a recorded edit whose editor is `editor` (awk), and haproxy.cfg. */
        function host(editor: string): string {
            const root = mkdtempSync(path.join(top, "cfg-"));
            const deployed = path.join(root, "state", "deployed");
            mkdirSync(deployed, { recursive: true });
            writeFileSync(path.join(root, "state", "managed-sections"), "backend x\n    controller\n");
            writeFileSync(path.join(deployed, deployedId(PATHS.cfgEditor)), editor);
            writeFileSync(path.join(deployed, deployedId(PATHS.userlistUsers)), "    user admin password $5$x\n");
            writeFileSync(path.join(root, "haproxy.cfg"), "global\n\tdaemon\n");
            return root;
        }
        it("unrecorded: no edit recorded", () => {
            const root = mkdtempSync(path.join(top, "cfg-none-"));
            deploy(root, "f", "x\n", {}, true);
            assert.equal(check(root, []).parsed.cfg, "unrecorded");
        });
        it("same", () => {
            const { parsed } = check(host("NR != FNR { print }\n"), []);
            assert.equal(parsed.cfg, "same");
            assert.deepEqual(parsed.cfgLines, []);
        });
        it("differs, with the diff's lines (tabs kept, user lines masked)", () => {
            const { parsed } = check(host('NR != FNR { print } END { print "\\tuser admin password x"; print "\\tnew line" }\n'), []);
            assert.equal(parsed.cfg, "differs");
            assert.deepEqual(parsed.cfgLines.slice(3), [" global", " \tdaemon", "-\tuser <masked>", "-\tnew line"]);
        });
        it("error, with the edit's message", () => {
            const { parsed } = check(host('BEGIN { print "edit: x:3: two \\"stats socket\\" lines\\there" > "/dev/stderr"; exit 1 }\n'), []);
            assert.equal(parsed.cfg, "error");
            assert.deepEqual(parsed.cfgLines, ['edit: x:3: two "stats socket" lines\there']);
        });
    });

    it("the repair reads the same record: it puts back a file's content, owner and mode from its record and copy", () => {
        const root = mkdtempSync(path.join(top, "repair-"));
        const owner = execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
        const group = execFileSync("id", ["-gn"], { encoding: "utf8" }).trim();
        const content = deploy(root, "a 'quoted' name", "as deployed\n", { owner, group, mode: "0600" }, true);
        const modeOnly = deploy(root, "mode only", "kept\n", { owner, group, mode: "0640" }, true);
        writeFileSync(content.spec.path, "changed on the host\n");
        chmodSync(content.spec.path, 0o666);
        writeFileSync(modeOnly.spec.path, "changed, and left so\n");
        chmodSync(modeOnly.spec.path, 0o604);
        const haproxy = haproxyEditSpec(path.join(root, "haproxy.cfg"), "/run/haproxy/admin.sock", "controller");
        const plan = {
            files: [
                { path: content.spec.path, content: true },
                { path: modeOnly.spec.path, content: false },
            ],
            directories: [],
            haproxyCfg: false,
        };
        const out = run(driftRepairScript({ directories: [], haproxy }, plan, "0750"), root);
        assert.equal(readFileSync(content.spec.path, "utf8"), "as deployed\n");
        assert.equal(statSync(content.spec.path).mode & 0o777, 0o600);
        assert.equal(readFileSync(modeOnly.spec.path, "utf8"), "changed, and left so\n");
        assert.equal(statSync(modeOnly.spec.path).mode & 0o777, 0o640);
        assert.match(out, new RegExp(`restored .*a 'quoted' name \\(${owner}:${group} 0600\\)`));
        // And the check finds nothing left but the content it was told to leave.
        const after = check(root, []).parsed.files;
        assert.deepEqual(
            after.map((f) => [path.basename(f.path), f.live?.sha === f.sha, f.live?.mode]),
            [
                ["a 'quoted' name", true, "600"],
                ["mode only", false, "640"],
            ],
        );
    });

    it("refuses a value the line cannot carry: empty, or with a tab or a newline", () => {
        const f: WriteFileSpec = { path: "/etc/x", owner: "root", group: "root", mode: "0644" };
        assert.throws(() => recordDeployedScript({ ...f, path: "/etc/a\tb" }, true), /path "\/etc\/a\\tb" cannot be recorded/);
        assert.throws(() => recordDeployedScript({ ...f, path: "/etc/a\nb" }, true), /cannot be recorded/);
        assert.throws(() => recordDeployedScript({ ...f, restarts: "" }, true), /restarts "" cannot be recorded/);
        assert.throws(() => recordDeployedScript({ ...f, owner: "" }, true), /owner "" cannot be recorded/);
    });
});
