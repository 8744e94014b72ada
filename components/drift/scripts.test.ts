import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { haproxyEditSpec } from "../haproxy";
import { PATHS } from "../shared/paths";
import { assertGolden } from "../testing/golden";
import { type DriftHostSpec, driftCheckScript, driftRepairScript } from "./scripts";

const spec: DriftHostSpec = {
    directories: ["/var/lib/haproxy", "/etc/haproxy/maps"],
    haproxy: haproxyEditSpec("/etc/haproxy/haproxy.cfg", "/run/haproxy/admin.sock", "controller"),
};
const everything = {
    files: [
        { path: PATHS.unit, content: true },
        { path: PATHS.reloadHelper, content: false },
    ],
    binary: "# install\necho installed x",
    directories: ["/etc/haproxy", "/var/lib/haproxy"],
    haproxyCfg: true,
};

describe("drift scripts", () => {
    it("the check only reads: no command in it writes outside its own temporary directory", () => {
        const check = driftCheckScript(spec);
        // (The host-side proof is tests/e2e-full/drift.test.ts, which lists the host before and after a check.)
        const writers = check.split("\n").filter((l) => /\b(install|chown|chmod|chgrp|mv|cp|rm|systemctl|tee|kill)\b/.test(l) && !l.includes("$work"));
        assert.deepEqual(writers, []);
    });

    it("the repair restores only what the plan names", () => {
        const one = driftRepairScript(spec, { files: [{ path: PATHS.reloadHelper, content: true }], directories: [], haproxyCfg: false }, "0750");
        assert.match(one, /^restore '%usr%local%lib%haproxy-dataplane%reload-haproxy' content$/m);
        assert.doesNotMatch(one, /install -d -o haproxy|edit-haproxy-cfg|install-binary/);
        const all = driftRepairScript(spec, everything, "0750");
        assert.match(all, /^restore '%etc%systemd%system%dataplaneapi.service' content$/m);
        assert.match(all, /^install -d -o haproxy -g haproxy -m 0750 '\/var\/lib\/haproxy'$/m);
        assert.match(all, /bash "\$work\/edit-haproxy-cfg" < '\/var\/lib\/haproxy-dataplane-deploy\/managed-sections'/);
        // HAProxy is reloaded by the edit it runs, never restarted.
        assert.doesNotMatch(all, /systemctl (restart|stop|start) [^"]*haproxy\.service/);
    });

    it("what runs on a host: the check, and a repair of every kind of piece, match golden/", () => {
        assertGolden(path.join(__dirname, "golden", "check.sh"), driftCheckScript(spec));
        assertGolden(path.join(__dirname, "golden", "repair-everything.sh"), driftRepairScript(spec, everything, "0750"));
    });
});
