/**
 * Prints every registration the program makes under mocks, for each setup in
 * setups.ts and for a host reached through sudo: type, name, parent,
 * dependencies, inputs (secrets unwrapped: these are the harness's test
 * values), replaceOnChanges and aliases, one JSON object a line.
 *
 * A refactoring that must not change what reaches the hosts compares two
 * dumps: `node -r ts-node/register tests/support/dumpRegistrations.ts > a`
 * before and after, then `diff a b`. An identical dump means a deployed stack
 * sees no update and no replace. The program's own log lines (the rollout
 * order) come out on stdout too, as `info: ...`, between the JSON lines.
 */
import { parseConfig } from "../../components/config";
import { deployStack } from "../../components/program";
import { installMocks, rawConfig, registrations, resolve, settle } from "./harness";
import { ROOT_HOST, SETUPS } from "./setups";

installMocks();

const ALL: Record<string, Record<string, unknown>> = {
    ...Object.fromEntries(Object.entries(SETUPS).map(([k, v]) => [k, { hosts: [ROOT_HOST], ...v }])),
    "a host reached through sudo": {},
};

async function main(): Promise<void> {
    for (const [setup, values] of Object.entries(ALL)) {
        const start = registrations.length;
        const outputs = deployStack(parseConfig(rawConfig(values)));
        await Promise.all(Object.values(outputs).map((o) => resolve(o.version)));
        await settle();
        for (const r of registrations.slice(start)) process.stdout.write(`${JSON.stringify({ setup, ...r })}\n`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
