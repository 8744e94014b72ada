import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertGolden, permuted } from "../testing/golden";
import { parse } from "yaml";
import { dataplaneApiConfigDocument, type DataplaneApiConfigModel, renderDataplaneApiConfig } from "./yaml";

const MODEL: DataplaneApiConfigModel = {
    name: "lb1",
    bindAddress: "0.0.0.0",
    port: 5555,
    tls: true,
    advertisedAddress: "198.18.1.2",
    userlist: "controller",
    haproxyConfigFile: "/etc/haproxy/haproxy.cfg",
    reloadDelay: 5,
    haproxyVersion: "2.6.12",
};

describe("dataplaneapi.yaml", () => {
    it("parses back to the expected config_version 2 document", () => {
        const doc = parse(renderDataplaneApiConfig(MODEL)) as any;
        assert.equal(doc.config_version, 2);
        assert.deepEqual(doc.dataplaneapi.scheme, ["https"]);
        assert.equal(doc.dataplaneapi.port, 5555);
        assert.equal(doc.dataplaneapi.tls.tls_certificate, "/etc/haproxy-dataplane/tls/server.crt");
        assert.equal(doc.dataplaneapi.userlist.userlist, "controller");
        assert.equal(doc.dataplaneapi.resources.spoe_transaction_dir, "/tmp/spoe-haproxy");
        assert.equal(doc.dataplaneapi.transaction.transaction_dir, "/etc/haproxy/transactions");
        assert.deepEqual(doc.dataplaneapi.advertised, { api_address: "198.18.1.2", api_port: 5555 });
        assert.equal(doc.haproxy.master_worker_mode, true);
        assert.ok(!("master_runtime" in doc.haproxy), "no master runtime: the stock master socket stays root-only");
        assert.equal(doc.haproxy.reload.reload_cmd, "/usr/local/lib/haproxy-dataplane/request-reload");
        assert.equal(doc.haproxy.reload.restart_cmd, "/usr/local/lib/haproxy-dataplane/request-reload", "the API never restarts HAProxy");
        assert.ok(!("user" in doc.dataplaneapi), "users come from the userlist, never from this file");
        // Last: deepEqual narrows `doc`'s type.
        assert.deepEqual(doc, dataplaneApiConfigDocument(MODEL));
    });
    it("renders exactly its golden file, for HAProxy 2.6 and 3.0", () => {
        assertGolden(path.join(__dirname, "golden", "dataplaneapi-haproxy-2.6.yaml"), renderDataplaneApiConfig(MODEL));
        assertGolden(path.join(__dirname, "golden", "dataplaneapi-haproxy-3.0.yaml"), renderDataplaneApiConfig({ ...MODEL, haproxyVersion: "3.0.11" }));
    });
    it("does not depend on the order of its input's keys", () => {
        assert.equal(renderDataplaneApiConfig(permuted(MODEL)), renderDataplaneApiConfig(MODEL));
        assert.notDeepEqual(Object.keys(permuted(MODEL)), Object.keys(MODEL), "the permutation changes the key order");
    });
    it("reloads through the reload service on every HAProxy version, and says so with the version it found", () => {
        for (const version of ["2.6.12", "2.7.0", "3.0.11", "unknown"]) {
            const text = renderDataplaneApiConfig({ ...MODEL, haproxyVersion: version });
            const doc = parse(text) as any;
            assert.equal(doc.haproxy.master_runtime, undefined, version);
            assert.equal(doc.haproxy.reload.reload_cmd, "/usr/local/lib/haproxy-dataplane/request-reload", version);
            assert.match(
                text,
                new RegExp(
                    `^# HAProxy ${version.replace(/\./g, "\\.")} on this host: the API reloads it through the reload service, never restarts it\\.$`,
                    "m",
                ),
            );
        }
    });
    it("serves plain HTTP without a tls block when TLS is off", () => {
        const doc = parse(renderDataplaneApiConfig({ ...MODEL, tls: false })) as any;
        assert.deepEqual(doc.dataplaneapi.scheme, ["http"]);
        assert.equal(doc.dataplaneapi.tls, undefined);
    });
});
