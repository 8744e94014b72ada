import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertGolden, permuted } from "../testing/golden";
import { DEFAULT_DIRECTORIES } from "../config";
import { renderTmpfiles } from "./tmpfiles";

describe("tmpfiles.d", () => {
    it("renders exactly its golden file, whatever the order of the directories", () => {
        assertGolden(path.join(__dirname, "golden", "tmpfiles.conf"), renderTmpfiles([...DEFAULT_DIRECTORIES, "/tmp/second"]));
        assert.equal(renderTmpfiles(permuted([...DEFAULT_DIRECTORIES, "/tmp/second"], true)), renderTmpfiles([...DEFAULT_DIRECTORIES, "/tmp/second"]));
    });
    it("declares a /var/tmp directory too, so that Debian's 30-day ageing of /var/tmp never empties it", () => {
        assert.match(renderTmpfiles([...DEFAULT_DIRECTORIES, "/var/tmp/dataplane"]), /^d \/var\/tmp\/dataplane 0750 haproxy haproxy -$/m);
    });
    it("recreates only the temporary directories, never ageing them", () => {
        assert.equal(
            renderTmpfiles(DEFAULT_DIRECTORIES)
                .split("\n")
                .filter((l) => l.startsWith("d "))
                .join("\n"),
            "d /tmp/spoe-haproxy 0750 haproxy haproxy -",
        );
    });
});
