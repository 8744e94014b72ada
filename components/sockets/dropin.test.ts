import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertGolden } from "../testing/golden";
import { renderHaproxyDropIn } from "./dropin";

describe("haproxy.service drop-in", () => {
    it("renders exactly its golden file", () => {
        assertGolden(path.join(__dirname, "golden", "50-dataplaneapi-master-socket.conf"), renderHaproxyDropIn("/run/haproxy-master.sock"));
    });
    it("opens the master CLI to group haproxy", () => {
        assert.ok(renderHaproxyDropIn("/run/haproxy-master.sock").includes('Environment="EXTRAOPTS=-S /run/haproxy-master.sock,mode,660,group,haproxy"'));
    });
});
