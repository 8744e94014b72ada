import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { run } from "./ssh";

describe("drift's command runner", () => {
    it("a command that exits without reading its stdin gives its own result, not an EPIPE crash", async () => {
        // More than a pipe's buffer, so the write is still under way when the command has exited.
        const r = await run("sh", ["-c", "exit 3"], "x".repeat(4 << 20), {});
        assert.equal(r.code, 3);
    });
});
