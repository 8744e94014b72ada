import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { itPassesShellcheck, shellcheck } from "../testing/shellcheck";
import { PATHS } from "./paths";
import { asRoot, removeFileScript, shq, writeFileScript } from "./shell";

const file = {
    path: PATHS.tlsKey,
    owner: "haproxy",
    group: "haproxy",
    mode: "0600",
    removeEmptyDir: true,
    after: "systemctl daemon-reload",
    afterDelete: "systemctl daemon-reload",
};

describe("shared shell", () => {
    itPassesShellcheck({
        writeFile: writeFileScript(file),
        removeFile: removeFileScript(file),
    });

    it("shellcheck itself reports a real problem (the check can fail)", () => {
        assert.notEqual(shellcheck("#!/bin/bash\nrm -rf $dir/*\n"), "");
    });

    it("shq quotes anything into one word", () => {
        for (const s of ["plain", "it's", "a b", "$(rm -rf /)", "`x`", "'\"'", ""]) {
            const script = `#!/bin/bash\nprintf '%s' ${shq(s)}\n`;
            const out = execFileSync("bash", ["-c", script], { encoding: "utf8" });
            assert.equal(out, s);
        }
    });

    it("asRoot wraps in sudo -n only for a non-root user", () => {
        assert.equal(asRoot("echo hi", false), "bash -c 'echo hi'");
        assert.equal(asRoot("echo 'hi'", true), "sudo -n bash -c 'echo '\\''hi'\\'''");
    });
});
