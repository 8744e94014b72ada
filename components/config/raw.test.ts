import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TEST_PASSWORD, TEST_SHA, TEST_SSH_KEY } from "../../tests/support/harness";
import { sshKeyOf } from "./deployment";
import { parseSettings } from "./parse";
import { rawConfigFromCli } from "./raw";

/** `pulumi config --json --show-secrets` output: each key as `project:key`, with its value as text and whether it is secret. */
function cliJson(project: string, values: Record<string, unknown>, secret: string[]): string {
    const out: Record<string, { value: string; secret: boolean; objectValue?: unknown }> = {};
    for (const [k, v] of Object.entries(values)) {
        out[`${project}:${k}`] = {
            value: typeof v === "string" ? v : JSON.stringify(v),
            secret: secret.includes(k),
            ...(typeof v === "object" ? { objectValue: v } : {}),
        };
    }
    return JSON.stringify(out);
}

const OTHER_KEY = TEST_SSH_KEY.replace("unit-test-only", "other-host-key");
const STACK = {
    hosts: [
        { name: "lb1", address: "198.18.1.2" },
        { name: "lb2", address: "198.18.1.3" },
    ],
    sshPrivateKey: TEST_SSH_KEY,
    sshPrivateKeys: { lb2: OTHER_KEY },
    apiUsername: "dpadmin",
    apiPassword: TEST_PASSWORD,
    dataplaneapiSha256: { x86_64: TEST_SHA, arm64: TEST_SHA },
    apiPort: 6000,
};
const SECRET = ["sshPrivateKey", "sshPrivateKeys", "apiUsername", "apiPassword"];

describe("the configuration as the pulumi CLI prints it (the drift command's)", () => {
    it("takes this project's keys, as text, with which are secret; another project's keys and unknown keys are not read", () => {
        const json = JSON.parse(cliJson("haproxy-dataplane", STACK, SECRET));
        json["other-project:apiPort"] = { value: "7000", secret: false };
        json["haproxy-dataplane:noSuchKey"] = { value: "x", secret: false };
        const raw = rawConfigFromCli(JSON.stringify(json), "haproxy-dataplane");
        assert.equal(raw.values.apiPort, "6000");
        assert.equal(raw.values.sshPrivateKeys, JSON.stringify({ lb2: OTHER_KEY }));
        assert.equal("noSuchKey" in raw.values, false);
        assert.deepEqual([...raw.secretKeys].sort(), [...SECRET].sort());
    });

    it("is parsed as the program parses it, and each host gets its own SSH key, else the shared one", () => {
        const settings = parseSettings(rawConfigFromCli(cliJson("haproxy-dataplane", STACK, SECRET), "haproxy-dataplane"));
        assert.equal(settings.apiPort, 6000);
        assert.equal(sshKeyOf(settings, "lb1"), TEST_SSH_KEY);
        assert.equal(sshKeyOf(settings, "lb2"), OTHER_KEY);
    });

    it("refuses a secret stored in plaintext, as the program does", () => {
        assert.throws(
            () => parseSettings(rawConfigFromCli(cliJson("haproxy-dataplane", STACK, ["sshPrivateKey", "sshPrivateKeys", "apiUsername"]), "haproxy-dataplane")),
            /apiPassword: is stored in plaintext/,
        );
    });
});
