import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { it } from "node:test";

/** Runs shellcheck on a script (bash unless told); returns its findings (empty when clean). */
export function shellcheck(script: string, shell: "bash" | "sh" = "bash"): string {
    const dir = mkdtempSync(path.join(tmpdir(), "sc-"));
    const file = path.join(dir, "script.sh");
    writeFileSync(file, script);
    try {
        execFileSync("shellcheck", ["-s", shell, "-S", "style", file], { encoding: "utf8" });
        return "";
    } catch (e: any) {
        return `${e.stdout ?? ""}${e.stderr ?? ""}` || String(e);
    }
}

/**
 * One test per script that it passes shellcheck, and, for the scripts a step
 * runs (`prelude`, the default), one that it opens with its summary line and
 * the prelude. Each step's scripts.test.ts passes every generator it has.
 */
export function itPassesShellcheck(scripts: Record<string, string>, opts: { prelude?: boolean } = {}): void {
    for (const [name, script] of Object.entries(scripts)) {
        it(`${name} passes shellcheck`, () => {
            assert.equal(shellcheck(script), "");
        });
        if (opts.prelude ?? true) {
            it(`${name} says what it does on its first line, and stops at the first error`, () => assert.match(script, /^# \S[^\n]+\nset -euo pipefail\n/));
        }
    }
}
