import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { curlCredentialsConfig } from "./credentials";

describe("readiness probe credentials", () => {
    it("curl credentials are quoted for curl's config parser", () => {
        assert.equal(curlCredentialsConfig("a", 'p"w\\x'), 'user = "a:p\\"w\\\\x"\n');
    });
});
