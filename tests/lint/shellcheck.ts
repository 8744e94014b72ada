import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

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
