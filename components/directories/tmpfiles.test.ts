import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_DIRECTORIES } from "../config";
import { renderTmpfiles } from "./tmpfiles";

describe("tmpfiles.d", () => {
    it("recreates only the /tmp directories, never ageing them", () => {
        assert.equal(renderTmpfiles(DEFAULT_DIRECTORIES).split("\n").filter((l) => l.startsWith("d ")).join("\n"),
            "d /tmp/spoe-haproxy 0755 haproxy haproxy -");
    });
});
