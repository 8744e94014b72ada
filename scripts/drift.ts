/**
 * scripts/drift: the drift check (and, with --repair, the repair) of a stack's
 * hosts. The stack's config comes from the `pulumi` CLI, secrets decrypted in
 * this process only:
 *   scripts/drift                       the sandbox stack (scripts/pulumi's)
 *   scripts/drift --stack prod          a stack of yours, with your `pulumi` and its login
 *   scripts/drift --stack prod --repair put back what drifted
 *   --host NAME (repeatable) limits it to those hosts; --cwd DIR is the project directory (default: this one).
 * Exit status: 0 no drift (or all of it repaired), 2 drift found, 1 a host could not be checked or repaired.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { rawConfigFromCli } from "../components/config";
import { runDrift } from "../components/drift/run";
import { cliEnv, loadCliSettings, STACK } from "../lab/sandboxStack";

const REPO = path.resolve(__dirname, "..");
const PROJECT = "haproxy-dataplane";

function usage(problem: string): never {
    console.error(`${problem}\nusage: scripts/drift [--stack NAME [--cwd DIR]] [--host NAME]... [--repair]`);
    process.exit(1);
}

async function main(argv: string[]): Promise<number> {
    let stack: string | undefined;
    let cwd = REPO;
    let repair = false;
    const hosts: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => argv[++i] ?? usage(`${a} needs a value`);
        if (a === "--repair") repair = true;
        else if (a === "--stack") stack = value();
        else if (a === "--cwd") cwd = path.resolve(value());
        else if (a === "--host") hosts.push(value());
        else usage(`unknown argument ${a}`);
    }
    let env: NodeJS.ProcessEnv = process.env;
    if (stack === undefined) {
        const cli = loadCliSettings();
        if (!cli) throw new Error("There is no sandbox stack yet: run scripts/sandbox.sh first, or name your stack with --stack.");
        stack = STACK;
        cwd = cli.workDir;
        env = { ...process.env, ...cliEnv(cli.binDir) };
        delete env.PULUMI_CONFIG_PASSPHRASE;
    }
    const config = spawnSync("pulumi", ["--cwd", cwd, "config", "--json", "--show-secrets", "--stack", stack], { env, encoding: "utf8" });
    if (config.status !== 0) throw new Error(`pulumi config --stack ${stack} failed: ${(config.stderr || config.error?.message || "").trim()}`);
    console.log(`drift ${repair ? "repair" : "check"} of stack ${stack}: every file, directory and haproxy.cfg section the stack deployed`);
    return runDrift(rawConfigFromCli(config.stdout, PROJECT), { repair, hosts, print: (t) => console.log(t) });
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    },
);
