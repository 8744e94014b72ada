import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ConfigError, DEFAULT_DIRECTORIES, parseConfig, REQUIRED_DIRECTORIES } from "../../components/config";
import { deployStack } from "../../components/program";
import { installMocks, rawConfig, registrations, settle, TEST_PASSWORD, TEST_SSH_KEY } from "../support/harness";

installMocks();

/** Each bad configuration and a part of the message it must give. */
const BAD: [string, Record<string, unknown>, string[], RegExp][] = [
    ["no hosts", { hosts: [] }, [], /hosts: \[\] must list at least one host/],
    ["host name not a DNS label", { hosts: [{ name: "LB_1", address: "198.18.1.2" }] }, [], /hosts\[0\]\.name: "LB_1" must be a lower-case DNS label/],
    [
        "address with a space",
        { hosts: [{ name: "lb1", address: "10.0.0.1 extra" }] },
        [],
        /hosts\[0\]\.address: "10\.0\.0\.1 extra" must be an IPv4 address or a DNS name/,
    ],
    ["SSH port out of range", { hosts: [{ name: "lb1", address: "198.18.1.2", port: 70000 }] }, [], /hosts\[0\]\.port: 70000 must be at most 65535/],
    ["unknown host field", { hosts: [{ name: "lb1", address: "198.18.1.2", password: "x" }] }, [], /hosts\[0\]: .* has unknown field "password"/],
    [
        "duplicate host names",
        {
            hosts: [
                { name: "lb1", address: "198.18.1.2" },
                { name: "lb1", address: "198.18.2.2" },
            ],
        },
        [],
        /hosts\[1\]\.name: "lb1" is used by more than one host/,
    ],
    [
        "bad host key",
        { hosts: [{ name: "lb1", address: "198.18.1.2", hostKey: "not-a-key" }] },
        [],
        /hosts\[0\]\.hostKey: "not-a-key" must be a public key line/,
    ],
    ["unknown arch", { dataplaneapiArch: "mips" }, [], /dataplaneapiArch: "mips" is not allowed here/],
    ["version not a release", { dataplaneapiVersion: "latest" }, [], /dataplaneapiVersion: "latest" must be a release version such as 3\.2\.1/],
    ["checksum not hex", { dataplaneapiSha256: { x86_64: "xyz" } }, [], /dataplaneapiSha256\.x86_64: "xyz" must be 64 lower-case hex digits/],
    ["checksum missing", { dataplaneapiSha256: {} }, [], /dataplaneapiSha256\.x86_64: is required for dataplaneapiVersion "3\.2\.1"/],
    [
        "base URL with a quote",
        { dataplaneapiBaseUrl: "https://example.test/a'b" },
        [],
        /dataplaneapiBaseUrl: "https:\/\/example\.test\/a'b" must be a URL of printable ASCII without spaces, quotes/,
    ],
    ["API port zero", { apiPort: 0 }, [], /apiPort: 0 is below 1024/],
    [
        "API port the service user cannot bind",
        { apiPort: 443 },
        [],
        /apiPort: 443 is below 1024: the API runs as user haproxy, which cannot bind it; use 1024-65535 \(default 5555\)/,
    ],
    ["API port a string", { apiPort: "http" }, [], /apiPort: "http" is not a valid number/],
    ["bind address a name", { apiBindAddress: "any" }, [], /apiBindAddress: "any" must be an IPv4 address/],
    ["short password", { apiPassword: "short" }, [], /apiPassword: \[secret\] must be at least 12 characters/],
    [
        "password in plaintext",
        {},
        ["sshPrivateKey", "apiUsername"],
        /apiPassword: is stored in plaintext; set it with `pulumi config set --secret apiPassword`/,
    ],
    ["no password", { apiPassword: undefined }, [], /apiPassword: is not set/],
    ["user name with a colon", { apiUsername: "a:b" }, [], /apiUsername: \[secret\] must be 1-64 characters/],
    ["no SSH key", { sshPrivateKey: undefined }, [], /hosts\[0\] \("lb1"\): has no SSH private key/],
    ["SSH key not a key", { sshPrivateKey: "hunter2" }, [], /sshPrivateKey: \[secret\] is not a PEM\/OpenSSH private key/],
    ["key for an unknown host", { sshPrivateKeys: { lb9: TEST_SSH_KEY } }, [], /sshPrivateKeys\.lb9: names no host in `hosts`/],
    ["relative haproxy.cfg path", { haproxyConfigFile: "haproxy.cfg" }, [], /haproxyConfigFile: "haproxy\.cfg" must be an absolute path/],
    ["path escaping with ..", { haproxyAdminSocket: "/run/../etc/shadow" }, [], /haproxyAdminSocket: "\/run\/\.\.\/etc\/shadow" must not contain '\.\.'/],
    ["userlist with a space", { haproxyUserlist: "my list" }, [], /haproxyUserlist: "my list" must be 1-64 characters/],
    ["reload delay too long", { haproxyReloadDelay: 600 }, [], /haproxyReloadDelay: 600 must be at most 60/],
    ["negative rollout batch", { rolloutBatchSize: -1 }, [], /rolloutBatchSize: -1 must be at least 0/],
    ["fractional rollout batch", { rolloutBatchSize: 1.5 }, [], /rolloutBatchSize: 1\.5 /],
    ["healthy time of 0", { rolloutHealthySeconds: 0 }, [], /rolloutHealthySeconds: 0 /],
    ["check URL that is not one", { rolloutCheckUrl: "lb1/health" }, [], /rolloutCheckUrl: "lb1\/health" is not a URL \(e\.g\. http:\/\/\{address\}\/health\)/],
    ["check URL of another scheme", { rolloutCheckUrl: "ftp://{address}/" }, [], /rolloutCheckUrl: "ftp:\/\/\{address\}\/" must be an http\(s\) URL/],
    ["check URL with a quote", { rolloutCheckUrl: "http://{address}/a'b" }, [], /rolloutCheckUrl: .* without spaces, quotes, backslashes or \[ \]/],
    [
        "check URL with another placeholder",
        { rolloutCheckUrl: "http://{host}/" },
        [],
        /rolloutCheckUrl: "http:\/\/\{host\}\/" may hold \{ \} only as \{address\}/,
    ],
    [
        "check URL with credentials",
        { rolloutCheckUrl: "http://me:pw@{address}/" },
        [],
        /rolloutCheckUrl: "http:\/\/\*\*\*@\{address\}\/" must not carry credentials/,
    ],
    ["system directory", { directories: ["/etc", "/etc/haproxy-dataplane"] }, [], /directories\[0\]: "\/etc" is not a place for the API's files/],
    ["directory the API needs left out", { directories: ["/etc/haproxy-dataplane"] }, [], /directories: .* must include "\/etc\/haproxy\/maps"/],
    [
        "certificate without key",
        { apiTlsCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----" },
        [],
        /apiTlsKey: \[secret\] must be a PEM private key/,
    ],
    [
        "local archive without arch",
        { dataplaneapiLocalArchive: "/tmp/dp.tar.gz" },
        [],
        /dataplaneapiArch: "" must name the architecture of dataplaneapiLocalArchive/,
    ],
    ["hosts not JSON", { hosts: "lb1" }, [], /hosts: "lb1" is not a valid JSON list/],
    [
        "same socket twice",
        { haproxyMasterSocket: "/run/haproxy/admin.sock" },
        [],
        /haproxyMasterSocket: "\/run\/haproxy\/admin\.sock" must differ from haproxyAdminSocket/,
    ],
    // Paths are compared as paths: other spellings of the same thing are caught.
    [
        "same socket, spelled differently",
        { haproxyMasterSocket: "//run/./haproxy//admin.sock" },
        [],
        /haproxyMasterSocket: "\/run\/haproxy\/admin\.sock" must differ from haproxyAdminSocket \(they name the same socket\)/,
    ],
    [
        "a system directory spelled with //",
        { directories: [...DEFAULT_DIRECTORIES, "//etc"] },
        [],
        /directories\[11\]: "\/etc" is not a place for the API's files/,
    ],
    [
        "a system directory with a trailing / and a . segment",
        { directories: [...DEFAULT_DIRECTORIES, "/usr/./local/"] },
        [],
        /directories\[11\]: "\/usr\/local" is not a place for the API's files/,
    ],
    [
        "the parent of a system directory",
        { directories: [...DEFAULT_DIRECTORIES, "/var/lib/haproxy/.."] },
        [],
        /directories\[11\]: "\/var\/lib\/haproxy\/\.\." must not contain '\.\.'/,
    ],
    [
        "HAProxy's own directory",
        { directories: [...DEFAULT_DIRECTORIES, "/etc/haproxy/"] },
        [],
        /directories\[11\]: "\/etc\/haproxy" is not a place for the API's files/,
    ],
    [
        "the program's state directory",
        { directories: [...DEFAULT_DIRECTORIES, "/var/lib/haproxy-dataplane-deploy"] },
        [],
        /directories\[11\]: "\/var\/lib\/haproxy-dataplane-deploy" is not a place for the API's files/,
    ],
    [
        "a directory holding a socket the program changes",
        { haproxyAdminSocket: "/srv/lb/sock/admin.sock", allowPathsUnder: ["/srv/lb"], directories: [...DEFAULT_DIRECTORIES, "/srv/lb"] },
        [],
        /directories\[11\]: "\/srv\/lb" holds a socket whose directory the program changes/,
    ],
    [
        "one directory listed twice in two spellings",
        { directories: [...DEFAULT_DIRECTORIES, "/etc/haproxy/maps/"] },
        [],
        /directories: .* lists a directory twice/,
    ],
    // Values the chain cannot carry.
    ["a password with NUL", { apiPassword: "long-enough-\u0000-password" }, [], /apiPassword: \[secret\] must not contain control characters/],
    ["a password of twelve spaces", { apiPassword: " ".repeat(12) }, [], /apiPassword: \[secret\] is too weak/],
    ["a password of one repeated character", { apiPassword: "a".repeat(20) }, [], /apiPassword: \[secret\] is too weak/],
    ["a password longer than crypt takes", { apiPassword: "Ab1-".repeat(65) }, [], /apiPassword: \[secret\] must be at most 256 characters/],
    // Addresses that are not what they look like.
    [
        "a three-part IPv4 address",
        { hosts: [{ name: "lb1", address: "10.0.5" }] },
        [],
        /hosts\[0\]\.address: "10\.0\.5" is not an IPv4 address \(four numbers 0-255\) nor a DNS name/,
    ],
    [
        "an IPv4 address out of range",
        { hosts: [{ name: "lb1", address: "999.999.999.999" }] },
        [],
        /hosts\[0\]\.address: "999\.999\.999\.999" is not an IPv4 address/,
    ],
    [
        "an IPv6 address",
        { hosts: [{ name: "lb1", address: "fd00::5" }] },
        [],
        /hosts\[0\]\.address: "fd00::5" is an IPv6 address, which is not supported; use an IPv4 address or a DNS name/,
    ],
    ["an advertised IPv6 address", { apiAdvertisedAddress: "::1" }, [], /apiAdvertisedAddress: "::1" is an IPv6 address, which is not supported/],
    // Download URLs.
    [
        "a plain http download",
        { dataplaneapiBaseUrl: "http://mirror.example/releases" },
        [],
        /dataplaneapiBaseUrl: "http:\/\/mirror\.example\/releases" must be an https URL; set dataplaneapiAllowHttp to true/,
    ],
    [
        "credentials in the download URL",
        { dataplaneapiBaseUrl: "https://me:hunter2@mirror.example/releases" },
        [],
        /dataplaneapiBaseUrl: "https:\/\/\*\*\*@mirror\.example\/releases" must not carry credentials/,
    ],
    [
        "curl globbing in the download URL",
        { dataplaneapiBaseUrl: "https://mirror{1,2}.example/[a-z]" },
        [],
        /dataplaneapiBaseUrl: .* without spaces, quotes, backslashes or \[ \] \{ \} \(curl would expand those as a glob\)/,
    ],
    ["a download URL with no host", { dataplaneapiBaseUrl: "https:///releases" }, [], /dataplaneapiBaseUrl: "https:\/\/\/releases" has no host/],
    ["a download URL that is not one", { dataplaneapiBaseUrl: "mirror.example/releases" }, [], /dataplaneapiBaseUrl: "mirror\.example\/releases" is not a URL/],
    [
        "a download URL of another scheme",
        { dataplaneapiBaseUrl: "ftp://mirror.example/releases" },
        [],
        /dataplaneapiBaseUrl: "ftp:\/\/mirror\.example\/releases" must be an http\(s\) URL/,
    ],
    [
        "a download URL with a query",
        { dataplaneapiBaseUrl: "https://mirror.example/releases?token=1" },
        [],
        /dataplaneapiBaseUrl: "https:\/\/mirror\.example\/releases\?token=1" must not have a query or fragment/,
    ],
    [
        "a download URL with a space",
        { dataplaneapiBaseUrl: "https://mirror.example/my releases" },
        [],
        /dataplaneapiBaseUrl: "https:\/\/mirror\.example\/my releases" must be a URL of printable ASCII/,
    ],
    // Socket paths.
    [
        "a socket path ending in /",
        { haproxyAdminSocket: "/run/haproxy/" },
        [],
        /haproxyAdminSocket: "\/run\/haproxy\/" ends with '\/': a socket is a file, not a directory/,
    ],
    [
        "a socket at the root of the file system",
        { haproxyMasterSocket: "/master.sock" },
        [],
        /haproxyMasterSocket: "\/master\.sock" is at the root of the file system/,
    ],
    [
        "a socket path spelled as the root",
        { haproxyAdminSocket: "//admin.sock" },
        [],
        /haproxyAdminSocket: "\/\/admin\.sock" is at the root of the file system/,
    ],
    // Adopted directories.
    [
        "adopting a directory the API does not use",
        { adoptDirectories: ["/srv/keys"] },
        [],
        /adoptDirectories\[0\]: "\/srv\/keys" is not in directories; only a directory the API uses can be adopted/,
    ],
    // Names that are JavaScript object keys.
    ["a host called __proto__", { hosts: [{ name: "__proto__", address: "198.18.1.2" }] }, [], /hosts\[0\]\.name: "__proto__" must be a lower-case DNS label/],
    [
        "a key for __proto__",
        { sshPrivateKeys: JSON.parse(`{"__proto__": ${JSON.stringify(TEST_SSH_KEY)}}`) },
        [],
        /sshPrivateKeys\.__proto__: names no host in `hosts` \("lb1"\)/,
    ],
];

// Concurrently: each case waits out the registrations it must not make. A case that did
// register would change the count the others see, so it could not pass unseen.
describe("bad configuration", { concurrency: true }, () => {
    for (const [title, values, plaintext, message] of BAD) {
        it(`${title}: fails with its message and registers nothing`, async () => {
            const raw = rawConfig(values, plaintext.length ? plaintext : undefined);
            if (title === "hosts not JSON") raw.values.hosts = "lb1";
            const before = registrations.length;
            let error: unknown;
            try {
                deployStack(parseConfig(raw));
            } catch (e) {
                error = e;
            }
            await settle();
            assert.ok(error instanceof ConfigError, `a ConfigError is thrown (got ${String(error)})`);
            assert.match(error.message, message);
            assert.match(error.message, /nothing was deployed/);
            assert.ok(
                !error.message.includes(TEST_PASSWORD) && !error.message.includes("hunter2") && !error.message.includes("BEGIN OPENSSH"),
                "no secret is quoted",
            );
            assert.equal(registrations.length, before, "no resource was registered");
        });
    }

    it("reports every problem of a configuration at once", () => {
        try {
            parseConfig(rawConfig({ apiPort: 0, apiBindAddress: "any", haproxyReloadDelay: 0, hosts: [{ name: "LB", address: "198.18.1.2" }] }));
            assert.fail("no error");
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            assert.equal(e.problems.length, 4, e.message);
        }
    });

    it("runs the cross-field checks even when other keys are invalid", () => {
        try {
            parseConfig(rawConfig({ apiPort: 0, sshPrivateKey: "hunter2", dataplaneapiSha256: {} }));
            assert.fail("no error");
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            assert.match(e.message, /apiPort: 0 is below 1024/);
            assert.match(e.message, /sshPrivateKey: \[secret\] is not a PEM/);
            assert.match(e.message, /dataplaneapiSha256\.x86_64: is required/);
            assert.ok(!e.message.includes("hunter2"));
        }
    });

    it("accepts the good configuration with defaults filled in", () => {
        const c = parseConfig(rawConfig());
        assert.equal(c.dataplaneapi.version, "3.2.1");
        assert.equal(c.api.port, 5555);
        assert.deepEqual(c.api.tls, { mode: "private-ca" });
        assert.equal(c.haproxy.userlist, "controller");
        assert.equal(c.hosts[0].port, 22);
        assert.equal(c.directories.length, 11);
    });

    it("by default gives the API every directory it must have, and requires no other", () => {
        const required = DEFAULT_DIRECTORIES.filter((d) => REQUIRED_DIRECTORIES.includes(d));
        assert.deepEqual([...required].sort(), [...REQUIRED_DIRECTORIES].sort(), "each required directory is a default one");
        assert.deepEqual(parseConfig(rawConfig({ directories: required })).directories, required, "the seed's ACL and snippet directories may be left out");
    });
});

// Pulumi.yaml's declarations are checked against the schema in components/config/declarations.test.ts.
describe("Pulumi.prod.yaml", () => {
    it("production stack names one host and commits no secret", () => {
        const prod = parse(readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8"));
        assert.equal(prod.config["haproxy-dataplane:hosts"].length, 1);
        for (const key of ["apiPassword", "apiUsername", "sshPrivateKey"]) {
            const v = prod.config[`haproxy-dataplane:${key}`];
            assert.ok(v === undefined || (typeof v === "object" && "secure" in v), `${key} is absent or encrypted`);
        }
    });
});
