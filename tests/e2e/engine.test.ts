/**
 * The real Pulumi engine (CLI v3.259.0 built from Go modules, with its Node.js
 * language host) running this program through the Automation API, on a local
 * file backend with a passphrase secrets provider: invalid configuration is
 * refused before any resource is registered. The full deployment through the
 * engine is tests/e2e-full/scenario.test.ts.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { storedState } from "../../lab/workspace";
import { buildTools, describeTools, newStack, PROJECT, setConfig, Timings, type Tools } from "../../lab/lab";

const timings = new Timings();
const stateDir = mkdtempSync(path.join(tmpdir(), "dpapi-engine-"));
const stackName = `e2e-engine-${randomBytes(3).toString("hex")}`;
const password = `pw-${randomBytes(12).toString("hex")}`;
let tools: Tools;
let stack: Stack;

async function failure(fn: () => Promise<unknown>): Promise<string> {
    try {
        await fn();
    } catch (e: any) {
        return `${e.message ?? ""}\n${e.commandResult?.stdout ?? ""}\n${e.commandResult?.stderr ?? ""}`;
    }
    assert.fail("the operation succeeded");
}

describe("the real engine runs the program", () => {
    before(async () => {
        tools = await timings.time("build or find the engine", async () => buildTools());
        console.log(describeTools(tools));
        stack = await newStack(stackName, tools, stateDir, {
            hosts: { value: [{ name: "LB_1", address: "198.18.40.2", port: 70000 }] },
            apiPassword: { value: password, secret: true },
            apiUsername: { value: "dpadmin", secret: true },
            sshPrivateKey: { value: "not a key", secret: true },
            apiPort: { value: "0" },
        });
    });
    after(() => {
        rmSync(stateDir, { recursive: true, force: true });
        console.log(`durations:\n${timings.report()}`);
    });

    it("stops on invalid configuration with every problem listed, and registers nothing", async () => {
        let output = "";
        const message = await failure(() => timings.time("preview with bad config", () => stack.preview({ color: "never", onOutput: (s) => (output += s) })));
        const all = `${message}\n${output}`;
        assert.match(all, /Invalid stack configuration \(\d+ problems\); nothing was deployed/);
        assert.match(all, /hosts\[0\]\.name: "LB_1" must be a lower-case DNS label/);
        assert.match(all, /hosts\[0\]\.port: 70000 must be at most 65535/);
        assert.match(all, /apiPort: 0 is below 1024/);
        assert.match(all, /dataplaneapiSha256\.x86_64: is required for dataplaneapiVersion "3\.2\.1"/, "cross-field checks run too");
        assert.ok(!all.includes(password) && !all.includes("not a key"), "no secret in the engine's output");
        assert.ok(!/at .*\.ts:\d+/.test(output), "a clean message, not a stack trace");

        await failure(() => timings.time("up with bad config", () => stack.up({ color: "never", onOutput: (s) => (output += s) })));
        const state = await stack.exportStack();
        const registered = (state.deployment.resources ?? []).map((r: any) => r.type).filter((t: string) => t !== "pulumi:pulumi:Stack");
        assert.deepEqual(registered, [], "no resource was registered");
        assert.ok(!storedState(stateDir, PROJECT, stackName).includes(password), "the password is not in the stored state in plaintext");
    });

    it("refuses a secret stored in plaintext, before anything is registered", async () => {
        await setConfig(stack, { apiPassword: { value: password, secret: false } });
        const message = await failure(() => stack.preview({ color: "never" }));
        assert.match(message, /apiPassword: is stored in plaintext; set it with `pulumi config set --secret apiPassword`/);
        assert.ok(!message.includes(password));
    });

    it("the engine itself checks the types Pulumi.yaml declares", async () => {
        await setConfig(stack, { apiPort: { value: "https" } });
        const message = await failure(() => stack.preview({ color: "never" }));
        assert.match(message, /configuration key 'apiPort' must be of type 'integer'/);
    });
});
