import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderManagedSections, USERS_PLACEHOLDER } from "./sections";

describe("managed sections", () => {
    it("hold the seed's backend and a placeholder, not a secret", () => {
        const text = renderManagedSections({ userlist: "controller", apiPort: 5555, tls: { caFile: "/etc/haproxy-dataplane/tls/ca.crt", serverName: "lb1" } });
        assert.ok(text.startsWith(`userlist controller\n    ${USERS_PLACEHOLDER}\n`));
        assert.ok(text.includes("backend haproxy-dataplane-api\n    server dataplane 127.0.0.1:5555 check ssl verify required ca-file /etc/haproxy-dataplane/tls/ca.crt verifyhost lb1\n"));
        assert.ok(renderManagedSections({ userlist: "controller", apiPort: 5555 }).includes("    server dataplane 127.0.0.1:5555 check\n"));
    });
});
