import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertGolden } from "../testing/golden";
import { itPassesShellcheck } from "../testing/shellcheck";
import { renderReloadHelper } from "./reloadHelper";

describe("reload helper", () => {
    it("renders exactly its golden file", () => {
        assertGolden(path.join(__dirname, "golden", "reload-haproxy"), renderReloadHelper("/run/haproxy-master.sock"));
    });
    const helper = renderReloadHelper("/run/haproxy-master.sock");
    // A file the API runs, not a step's script: no summary line or prelude.
    itPassesShellcheck({ reloadHelper: helper }, { prelude: false });
    it("sends `reload` to the master socket", () => {
        assert.ok(helper.startsWith("#!/bin/sh\n"));
        assert.ok(helper.includes('print $s "reload\\n";'));
        assert.ok(helper.includes('"/run/haproxy-master.sock"'));
    });
});
