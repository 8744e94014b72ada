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
    it("every asset is rendered by its own step's component (components/<step>/), and none is left unread", () => {
        const components = path.join(__dirname, "..");
        for (const step of readdirSync(ASSETS_DIR)) {
            const sources = readdirSync(path.join(components, step))
                .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
                .map((f) => readFileSync(path.join(components, step, f), "utf8"))
                .join("\n");
            // Dot files (a .shellcheckrc) are for the tools, not the hosts; a folder (parts/) holds assets too.
            const files = readdirSync(path.join(ASSETS_DIR, step), { recursive: true, withFileTypes: true })
                .filter((e) => e.isFile() && !e.name.startsWith("."))
                .map((e) => path.relative(path.join(ASSETS_DIR, step), path.join(e.parentPath, e.name)));
            for (const file of files) {
                assert.ok(sources.includes(`renderAsset("${step}/${file}"`), `assets/${step}/${file} is rendered in components/${step}/`);
            }
        }
    });
});
