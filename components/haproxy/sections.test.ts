import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertGolden, permuted } from "../testing/golden";
import { renderManagedSections, USERS_PLACEHOLDER } from "./sections";

describe("managed sections", () => {
    it("render exactly their golden file, and the same whatever the order of the model's keys", () => {
        const model = { userlist: "controller", apiPort: 5555, tls: { caFile: "/etc/haproxy-dataplane/tls/ca.crt", serverName: "lb1" } };
        assertGolden(path.join(__dirname, "golden", "managed-sections.cfg"), renderManagedSections(model));
        assert.equal(renderManagedSections(permuted(model)), renderManagedSections(model));
    });
    it("hold the seed's backend and a placeholder, not a secret", () => {
        const text = renderManagedSections({ userlist: "controller", apiPort: 5555, tls: { caFile: "/etc/haproxy-dataplane/tls/ca.crt", serverName: "lb1" } });
        assert.ok(text.startsWith(`userlist controller\n    ${USERS_PLACEHOLDER}\n`));
        assert.ok(
            text.includes(
                "backend haproxy-dataplane-api\n    server dataplane 127.0.0.1:5555 check ssl verify required ca-file /etc/haproxy-dataplane/tls/ca.crt verifyhost lb1\n",
            ),
        );
        assert.ok(renderManagedSections({ userlist: "controller", apiPort: 5555 }).includes("    server dataplane 127.0.0.1:5555 check\n"));
    });
});
