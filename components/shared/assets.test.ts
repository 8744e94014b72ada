import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ASSETS_DIR, renderAsset } from "./assets";

describe("assets", () => {
    it("fills every placeholder with its value", () => {
        const out = renderAsset("reload/reload-client.sh", { MANAGED_BY: "managed", SOCKET: "/run/x.sock", WAIT_SECONDS: 7 });
        assert.match(out, /^# managed$/m);
        assert.match(out, /^' "\/run\/x\.sock" 7$/m);
        assert.doesNotMatch(out, /@[A-Z][A-Z0-9_]*@/);
    });
    it("refuses a placeholder with no value, and a value with no placeholder", () => {
        assert.throws(
            () => renderAsset("reload/reload-client.sh", { MANAGED_BY: "m", SOCKET: "/s" }),
            /assets\/reload\/reload-client\.sh: no value for @WAIT_SECONDS@/,
        );
        assert.throws(
            () => renderAsset("reload/reload-client.sh", { MANAGED_BY: "m", SOCKET: "/s", WAIT_SECONDS: 1, EXTRA: "x" }),
            /has no placeholder @EXTRA@/,
        );
    });
    it("every asset is grouped under a step's folder", () => {
        for (const entry of readdirSync(ASSETS_DIR, { withFileTypes: true })) assert.ok(entry.isDirectory(), `assets/${entry.name} is a folder`);
        assert.ok(readFileSync(path.join(ASSETS_DIR, "haproxy", "haproxy-cfg-edit.awk"), "utf8").length > 1000);
    });
});
