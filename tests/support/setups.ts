/**
 * The ways a stack can be set up whose registered commands differ, as config
 * values over harness.rawConfig's defaults. The lint tier shellchecks each
 * one's scripts; dumpRegistrations.ts prints each one's registrations, so a
 * refactoring can show that what reaches the hosts is byte for byte the same.
 */
export const SETUPS: Record<string, Record<string, unknown>> = {
    "defaults (private CA, download)": {},
    "TLS off": { apiTls: false },
    "the user's own certificate": {
        apiTlsCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
        apiTlsKey: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
    },
    "an uploaded archive": { dataplaneapiLocalArchive: "/tmp/dataplaneapi_3.2.1_linux_x86_64.tar.gz", dataplaneapiArch: "x86_64" },
    "adopting sections and directories": { haproxyAdoptSections: true, adoptDirectories: ["/etc/haproxy/maps"] },
    "a rolling change with a check URL": {
        hosts: [
            { name: "lb1", address: "198.18.1.2", user: "root" },
            { name: "lb2", address: "198.18.2.2", user: "root" },
        ],
        rolloutBatchSize: 1,
        rolloutCheckUrl: "http://{address}/",
    },
};

/** The host every setup deploys unless it names its own: root, so no sudo wrapper. */
export const ROOT_HOST = { name: "lb1", address: "198.18.1.2", user: "root" };
