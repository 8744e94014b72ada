/**
 * The repository's own code passes its linter and formatter (biome, biome.json)
 * and its own bash scripts pass shellcheck; the generated scripts are checked
 * beside their generators (components/<step>/scripts.test.ts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const REPO = path.resolve(__dirname, "..", "..");
const BIOME = path.join(REPO, "node_modules", ".bin", "biome");

function run(cmd: string, args: string[], cwd = REPO): { code: number; out: string } {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** Every .sh file under assets/, at any depth: a new step's folder is checked without being listed here. */
function assetScripts(): string[] {
    return readdirSync(path.join(REPO, "assets"), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".sh"))
        .map((f) => path.join("assets", f))
        .sort();
}

/** Whether a file starts with a #! line, which tells shellcheck its shell. */
function hasShebang(file: string): boolean {
    return readFileSync(path.join(REPO, file), "utf8").startsWith("#!");
}

/**
 * The repository's shell scripts: scripts/, the lab's (lab/), .ci/run, the
 * assets that are whole files on the host (they start with #!), and the test runner.
 */
function shellScripts(): string[] {
    const dir = (d: string, keep: (f: string) => boolean) =>
        readdirSync(path.join(REPO, d))
            .filter(keep)
            .map((f) => path.join(d, f));
    return [
        ...dir("scripts", (f) => f.endsWith(".sh") || f === "pulumi" || f === "drift"),
        ...dir("lab", (f) => f.endsWith(".sh")),
        ".ci/run",
        ...assetScripts().filter(hasShebang),
        "tests/run.sh",
    ];
}

describe("static checks", () => {
    it("biome: the TypeScript and JSON are linted and formatted as biome.json says", () => {
        const r = run(BIOME, ["ci", "."]);
        assert.equal(r.code, 0, r.out);
    });
    it("biome flags a file that breaks its rules, and passes a clean one (the check can fail)", () => {
        // Inside the repository, so biome.json applies to it; removed again whatever happens.
        const probe = path.join(REPO, "tests", `.lint-probe-${process.pid}.ts`);
        try {
            writeFileSync(probe, "let  x = 1\nexport const y = x\n");
            const bad = run(BIOME, ["ci", probe]);
            assert.notEqual(bad.code, 0, bad.out);
            assert.match(bad.out, /lint\/style\/useConst|format/, "refused for the rule, not for a crash");
            writeFileSync(probe, "export const y = 1;\n");
            const good = run(BIOME, ["ci", probe]);
            assert.equal(good.code, 0, good.out);
        } finally {
            rmSync(probe, { force: true });
        }
    });
    it("shellcheck: every bash script of the repository", () => {
        const files = shellScripts();
        assert.ok(files.length >= 7, files.join(" "));
        const r = run("shellcheck", ["-S", "style", ...files]);
        assert.equal(r.code, 0, r.out);
    });
    it("shellcheck: every script body in assets/ (no #! line: script() runs it under bash), as the file it is", () => {
        const files = assetScripts().filter((f) => !hasShebang(f));
        assert.ok(files.length >= 1, "assets/ holds script bodies");
        const r = run("shellcheck", ["-s", "bash", "-S", "style", ...files]);
        assert.equal(r.code, 0, r.out);
    });
});
