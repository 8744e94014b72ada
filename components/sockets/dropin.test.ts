import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderHaproxyDropIn } from "./dropin";

describe("haproxy.service drop-in", () => {
    it("opens the master CLI to group haproxy", () => {
        assert.ok(renderHaproxyDropIn("/run/haproxy-master.sock").includes('Environment="EXTRAOPTS=-S /run/haproxy-master.sock,mode,660,group,haproxy"'));
    });
});
