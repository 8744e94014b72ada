import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { asRoot, SCRIPT_END, shq } from "./shell";

describe("shared shell", () => {
    it("shq quotes anything into one word", () => {
        for (const s of ["plain", "it's", "a b", "$(rm -rf /)", "`x`", "'\"'", ""]) {
            const script = `#!/bin/bash\nprintf '%s' ${shq(s)}\n`;
            const out = execFileSync("bash", ["-c", script], { encoding: "utf8" });
            assert.equal(out, s);
        }
    });

    it("asRoot wraps in sudo -n only for a non-root user, and carries the script as written", () => {
        assert.equal(asRoot("echo 'hi'", false), `bash -c "$(cat <<'${SCRIPT_END}'\necho 'hi'\n${SCRIPT_END}\n)"`);
        assert.equal(asRoot("echo 'hi'", true), `sudo -n bash -c "$(cat <<'${SCRIPT_END}'\necho 'hi'\n${SCRIPT_END}\n)"`);
    });

    it("asRoot's command runs the script byte for byte under sh and bash, with the command's stdin", () => {
        // Quotes, expansions, backslashes, a here-document of its own, a trailing blank line.
        const script = [
            `x='a b'; y="$x \\$HOME \\\\ \\\`"`,
            `printf '%s|%s|' "$x" "$y"`,
            "cat <<'INNER'",
            `$(not run) \\n 'q' "dq"`,
            "INNER",
            `read -r line; printf 'stdin:%s\\n' "$line"`,
            "",
        ].join("\n");
        const expected = `a b|a b $HOME \\ \`|$(not run) \\n 'q' "dq"\nstdin:from stdin\n`;
        for (const shell of ["sh", "bash"]) {
            const out = execFileSync(shell, ["-c", asRoot(script, false)], { encoding: "utf8", input: "from stdin\n" });
            assert.equal(out, expected, shell);
        }
    });

    it("asRoot refuses a script with a line that would end its here-document", () => {
        assert.throws(() => asRoot(`echo 1\n${SCRIPT_END}\necho 2`, false), /may not be DPDEPLOY_SCRIPT_END/);
    });
});
