import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { sha512Crypt, deriveSalt } from "../../components/crypt";
import {
    dataplaneApiConfigDocument, DataplaneApiConfigModel, renderDataplaneApiConfig, renderHaproxyDropIn,
    renderManagedSections, renderReloadHelper, renderTmpfiles, renderUnit, USERS_PLACEHOLDER,
} from "../../components/render";
import { curlCredentialsConfig } from "../../components/shell";
import { DEFAULT_DIRECTORIES } from "../../components/config";

const MODEL: DataplaneApiConfigModel = {
    name: "lb1", bindAddress: "0.0.0.0", port: 5555, tls: true, advertisedAddress: "198.18.1.2",
    userlist: "controller", haproxyConfigFile: "/etc/haproxy/haproxy.cfg", masterSocket: "/run/haproxy-master.sock", reloadDelay: 5,
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
        assert.ok(!("master_runtime" in doc.haproxy), "no master runtime on HAProxy 2.6: its master CLI hides worker errors");
        assert.equal(doc.haproxy.reload.reload_cmd, "/usr/local/lib/haproxy-dataplane/reload-haproxy");
        assert.ok(!("user" in doc.dataplaneapi), "users come from the userlist, never from this file");
        // Last: deepEqual narrows `doc`'s type.
        assert.deepEqual(doc, dataplaneApiConfigDocument(MODEL));
    });
    it("renders byte-identical output for the same input, and differs when an input does", () => {
        assert.equal(renderDataplaneApiConfig({ ...MODEL }), renderDataplaneApiConfig({ ...MODEL }));
        assert.notEqual(renderDataplaneApiConfig({ ...MODEL, port: 5556 }), renderDataplaneApiConfig(MODEL));
    });
    it("gives the API the master runtime only on HAProxy 2.7 and newer, and says which way it reloads", () => {
        for (const [version, master] of [["2.6.12", false], ["2.6", false], ["2.7.0", true], ["2.8.5", true], ["3.0.11", true], ["unknown", false]] as const) {
            const text = renderDataplaneApiConfig({ ...MODEL, haproxyVersion: version });
            const doc = parse(text) as any;
            assert.equal(doc.haproxy.master_runtime, master ? "/run/haproxy-master.sock" : undefined, version);
            assert.match(text, new RegExp(`^# HAProxy ${version} on this host: ${master ? "the API reloads it through the master socket" : "the API reloads it with reload_cmd"}`, "m"));
        }
    });
    it("serves plain HTTP without a tls block when TLS is off", () => {
        const doc = parse(renderDataplaneApiConfig({ ...MODEL, tls: false })) as any;
        assert.deepEqual(doc.dataplaneapi.scheme, ["http"]);
        assert.equal(doc.dataplaneapi.tls, undefined);
    });
});

describe("systemd unit", () => {
    const unit = renderUnit({ writableDirectories: DEFAULT_DIRECTORIES });
    for (const directive of [
        "Type=exec", "User=haproxy", "Group=haproxy", "Restart=always", "NoNewPrivileges=true", "ProtectSystem=strict",
        "ProtectHome=true", "PrivateTmp=true", "ReadWritePaths=/etc/haproxy", "ReadWritePaths=/etc/haproxy-dataplane",
        "ReadWritePaths=/var/lib/haproxy", "ReadWritePaths=-/run/haproxy", "WantedBy=multi-user.target",
        "ExecStart=/usr/local/bin/dataplaneapi -f /etc/haproxy-dataplane/dataplaneapi.yaml",
    ]) {
        it(`carries ${directive}`, () => assert.ok(unit.split("\n").includes(directive), unit));
    }
    it("binds /tmp directories in instead of listing them in ReadWritePaths (226/NAMESPACE with PrivateTmp)", () => {
        assert.ok(unit.includes("BindPaths=/tmp/spoe-haproxy\n"));
        assert.ok(!/ReadWritePaths=-?\/tmp/.test(unit));
    });
    it("lists a writable directory outside the usual trees", () => {
        assert.ok(renderUnit({ writableDirectories: ["/srv/dp"] }).includes("ReadWritePaths=/srv/dp\n"));
    });
});

describe("other rendered files", () => {
    it("tmpfiles.d recreates only the /tmp directories, never ageing them", () => {
        assert.equal(renderTmpfiles(DEFAULT_DIRECTORIES).split("\n").filter((l) => l.startsWith("d ")).join("\n"),
            "d /tmp/spoe-haproxy 0755 haproxy haproxy -");
    });
    it("the haproxy.service drop-in opens the master CLI to group haproxy", () => {
        assert.ok(renderHaproxyDropIn("/run/haproxy-master.sock").includes('Environment="EXTRAOPTS=-S /run/haproxy-master.sock,mode,660,group,haproxy"'));
    });
    it("the reload helper sends `reload` to the master socket", () => {
        const helper = renderReloadHelper("/run/haproxy-master.sock");
        assert.ok(helper.startsWith("#!/bin/sh\n"));
        assert.ok(helper.includes('print $s "reload\\n";'));
        assert.ok(helper.includes('"/run/haproxy-master.sock"'));
    });
    it("the managed sections hold the seed's backend and a placeholder, not a secret", () => {
        const text = renderManagedSections({ userlist: "controller", apiPort: 5555, tls: { caFile: "/etc/haproxy-dataplane/tls/ca.crt", serverName: "lb1" } });
        assert.ok(text.startsWith(`userlist controller\n    ${USERS_PLACEHOLDER}\n`));
        assert.ok(text.includes("backend haproxy-dataplane-api\n    server dataplane 127.0.0.1:5555 check ssl verify required ca-file /etc/haproxy-dataplane/tls/ca.crt verifyhost lb1\n"));
        assert.ok(renderManagedSections({ userlist: "controller", apiPort: 5555 }).includes("    server dataplane 127.0.0.1:5555 check\n"));
    });
    it("curl credentials are quoted for curl's config parser", () => {
        assert.equal(curlCredentialsConfig("a", 'p"w\\x'), 'user = "a:p\\"w\\\\x"\n');
    });
});

describe("SHA-512 crypt", () => {
    for (const [password, salt] of [["password", "abc"], ["x".repeat(100), "saltsaltsaltsalt"], ["ünïcødé pass", "./09AZaz"]]) {
        it(`matches openssl passwd -6 for a ${password.length}-character password`, () => {
            const expected = execFileSync("openssl", ["passwd", "-6", "-salt", salt, "-stdin"], { input: password, encoding: "utf8" }).trim();
            assert.equal(sha512Crypt(password, salt), expected);
        });
    }
    it("has no rounds= part, which Data Plane API 3.2.1 would reject", () => {
        assert.equal(sha512Crypt("pw", "salt").split("$").length, 4);
    });
    it("derives the same salt from the same seed, and another from another seed", () => {
        assert.equal(deriveSalt("seed", "lb1"), deriveSalt("seed", "lb1"));
        assert.notEqual(deriveSalt("seed", "lb1"), deriveSalt("seed2", "lb1"));
        assert.match(deriveSalt("seed", "lb1"), /^[./0-9A-Za-z]{16}$/);
    });
});
