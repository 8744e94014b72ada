/**
 * Every shell script the program sends to a host passes shellcheck, and every
 * step's script opens with its summary line and the prelude.
 *
 * Two sources: the commands the program registers (under mocks, for each way
 * a stack can be set up, so each branch's script is the real one), and the
 * generators whose scripts run outside a registered command (the drift check,
 * the files the API and systemd run). This is the lint tier: it needs the
 * shellcheck binary (a Debian package), which the unit tier must not.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseConfig } from "../../components/config";
import { haproxyEditSpec } from "../../components/haproxy";
import { renderReloadHelper } from "../../components/haproxy/reloadHelper";
import { driftCheckScript, driftRepairScript, type DriftHostSpec } from "../../components/drift/scripts";
import { deployStack } from "../../components/program";
import { renderReloadClient } from "../../components/reload/client";
import { API_DIRECTORIES, PATHS } from "../../components/shared/paths";
import { asRoot } from "../../components/shared/shell";
import { renderTransactionSweep } from "../../components/service/unit";
import { installMocks, rawConfig, registrations, resolve, settle, unwrapSecret } from "../support/harness";
import { ROOT_HOST, SETUPS } from "../support/setups";
import { shellcheck } from "./shellcheck";

installMocks();

const PRELUDE = /^# \S[^\n]+\nset -euo pipefail\n/;

/** What asRoot puts before and after a script (the hosts here log in as root, so there is no sudo). */
const [WRAP_BEFORE, WRAP_AFTER] = asRoot("\0", false).split("\0");

/** The script inside asRoot's wrapper. */
function unwrap(command: string): string {
    assert.ok(command.startsWith(WRAP_BEFORE) && command.endsWith(WRAP_AFTER), `a command in asRoot's wrapper: ${command.slice(0, 80)}`);
    return command.slice(WRAP_BEFORE.length, command.length - WRAP_AFTER.length);
}

/** Every distinct script a setup's commands run (create and delete), by the command's name. */
async function registeredScripts(values: Record<string, unknown>): Promise<Map<string, string>> {
    const start = registrations.length;
    const outputs = deployStack(parseConfig(rawConfig({ hosts: [ROOT_HOST], ...values })));
    await Promise.all(Object.values(outputs).map((o) => resolve(o.version)));
    await settle();
    const scripts = new Map<string, string>();
    for (const r of registrations.slice(start)) {
        if (r.type !== "command:remote:Command") continue;
        for (const op of ["create", "delete"] as const) {
            const text = unwrapSecret(r.inputs[op]);
            if (typeof text === "string") scripts.set(`${r.name} ${op}`, unwrap(text));
        }
    }
    return scripts;
}

describe("the scripts the program registers", () => {
    const found = new Map<string, Map<string, string>>();
    before(async () => {
        for (const [setup, values] of Object.entries(SETUPS)) found.set(setup, await registeredScripts(values));
    });

    for (const setup of Object.keys(SETUPS)) {
        it(`${setup}: every create and delete passes shellcheck and opens with its summary line and the prelude`, () => {
            const scripts = found.get(setup)!;
            // Each host has 18 commands; most of them have a delete.
            assert.ok(scripts.size >= 25, `${scripts.size} scripts: ${[...scripts.keys()].join(", ")}`);
            const failures: string[] = [];
            for (const [name, script] of scripts) {
                if (!PRELUDE.test(script)) failures.push(`${name}: does not open with "# <summary>" and "set -euo pipefail"`);
                const findings = shellcheck(script);
                if (findings) failures.push(`${name}:\n${findings}`);
            }
            assert.deepEqual(failures, []);
        });
    }

    it("the setups reach the branches they are here for", () => {
        const all = [...found.values()].flatMap((m) => [...m.keys()]);
        for (const name of ["lb1-binary-install create", "lb1-gate-check create", "lb1-config-ca create", "lb1-preflight-check create"]) {
            assert.ok(all.includes(name), `${name} is among ${all.length} scripts`);
        }
    });
});

const driftSpec: DriftHostSpec = {
    directories: ["/var/lib/haproxy", "/etc/haproxy/maps"],
    haproxy: haproxyEditSpec("/etc/haproxy/haproxy.cfg", "/run/haproxy/admin.sock", "controller"),
};

/** Scripts that run outside a registered command: name, text, shell, and whether it is a step's script (summary line and prelude). */
const OTHER_SCRIPTS: [string, string, "bash" | "sh", boolean][] = [
    ["drift check", driftCheckScript(driftSpec), "bash", true],
    [
        "drift repair (everything)",
        driftRepairScript(
            driftSpec,
            {
                files: [
                    { path: PATHS.unit, content: true },
                    { path: PATHS.reloadHelper, content: false },
                ],
                binary: "# install\necho installed x",
                directories: ["/etc/haproxy", "/var/lib/haproxy"],
                haproxyCfg: true,
            },
            "0750",
        ),
        "bash",
        true,
    ],
    [
        "drift repair (one file)",
        driftRepairScript(driftSpec, { files: [{ path: PATHS.reloadHelper, content: true }], directories: [], haproxyCfg: false }, "0750"),
        "bash",
        true,
    ],
    // Files the API or systemd run: no summary line or prelude.
    ["the reload helper", renderReloadHelper("/run/haproxy-master.sock"), "bash", false],
    ["the reload client", renderReloadClient(), "bash", false],
    ["the unit's transaction sweep", renderTransactionSweep(API_DIRECTORIES.transactions), "sh", false],
];

describe("the scripts that run outside a registered command", () => {
    for (const [name, script, shell, step] of OTHER_SCRIPTS) {
        it(`${name} passes shellcheck${shell === "sh" ? " as POSIX sh" : ""}`, () => assert.equal(shellcheck(script, shell), ""));
        if (step) it(`${name} opens with its summary line and the prelude`, () => assert.match(script, PRELUDE));
    }
});

describe("shellcheck itself", () => {
    it("reports a real problem (the checks above can fail)", () => {
        assert.notEqual(shellcheck("#!/bin/bash\nrm -rf $dir/*\n"), "");
    });
});
