/**
 * What runs on a host: every script each step's commands run (create, update,
 * delete), as the program registers them for a default stack, is pinned in a
 * golden file beside its step, components/<step>/golden/<command>.<op>.sh.
 * A change to a script shows in its golden file's diff; a change no diff
 * shows cannot happen. A deployed host runs a changed script on the next
 * `up` (the command updates), so a golden file that moves is a change every
 * host sees. UPDATE_GOLDEN=1 rewrites them after review.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { installMocks, rawConfig, registrations, resolve, settle, unwrapSecret } from "../tests/support/harness";
import { ROOT_HOST, SETUPS } from "../tests/support/setups";
import { parseConfig } from "./config";
import { deployStack } from "./program";
import { asRoot } from "./shared/shell";
import { assertGolden } from "./testing/golden";

installMocks();

/** Each step's component, by its type, and the folder it lives in. */
const STEP_FOLDERS: Record<string, string> = {
    "haproxy-dataplane:index:Preflight": "preflight",
    "haproxy-dataplane:index:DataplaneBinary": "binary",
    "haproxy-dataplane:index:DirectorySet": "directories",
    "haproxy-dataplane:index:ApiConfigFiles": "apiConfig",
    "haproxy-dataplane:index:HaproxyIntegration": "haproxy",
    "haproxy-dataplane:index:ReloadService": "reload",
    "haproxy-dataplane:index:DataplaneService": "service",
};

/** What asRoot puts before and after a script (the host logs in as root: no sudo). */
const [WRAP_BEFORE, WRAP_AFTER] = asRoot("\0", false).split("\0");

interface HostScript {
    folder: string;
    file: string;
    text: string;
}

async function defaultStackScripts(): Promise<HostScript[]> {
    const start = registrations.length;
    const outputs = deployStack(parseConfig(rawConfig({ hosts: [ROOT_HOST], ...SETUPS["defaults (private CA, download)"] })));
    await Promise.all(Object.values(outputs).map((o) => resolve(o.version)));
    await settle();
    const mine = registrations.slice(start);
    const out: HostScript[] = [];
    for (const r of mine) {
        if (r.type !== "command:remote:Command") continue;
        const parent = mine.find((p) => p.urn === r.parent);
        const folder = parent && STEP_FOLDERS[parent.type];
        assert.ok(folder, `${r.name}: its step (${parent?.type}) has a folder in STEP_FOLDERS`);
        for (const op of ["create", "update", "delete"] as const) {
            const command = unwrapSecret(r.inputs[op]);
            if (typeof command !== "string") continue;
            assert.ok(command.startsWith(WRAP_BEFORE) && command.endsWith(WRAP_AFTER), `${r.name} ${op} runs as root through asRoot`);
            const text = command.slice(WRAP_BEFORE.length, command.length - WRAP_AFTER.length);
            out.push({ folder, file: `${r.name.slice(`${ROOT_HOST.name}-`.length)}.${op}.sh`, text });
        }
    }
    return out;
}

describe("what runs on a host, step by step (golden files)", () => {
    let scripts: HostScript[] = [];
    before(async () => {
        scripts = await defaultStackScripts();
    });

    it("each step's scripts match components/<step>/golden/", () => {
        assert.ok(scripts.length >= 20, `${scripts.length} scripts`);
        for (const s of scripts) {
            assertGolden(path.join(__dirname, s.folder, "golden", s.file), s.text);
        }
    });

    it("no golden script is left that the program no longer runs", () => {
        const expected = new Set(scripts.map((s) => path.join(s.folder, s.file)));
        for (const folder of new Set(Object.values(STEP_FOLDERS))) {
            let files: string[] = [];
            try {
                files = readdirSync(path.join(__dirname, folder, "golden")).filter((f) => /\.(create|update|delete)\.sh$/.test(f));
            } catch {
                continue;
            }
            for (const f of files) assert.ok(expected.has(path.join(folder, f)), `components/${folder}/golden/${f} is a script the program runs`);
        }
    });
});
