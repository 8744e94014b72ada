/**
 * The `pulumi` CLI on the sandbox stack (scripts/pulumi runs this): the
 * engine built by set-up, the sandbox's backend, home and passphrase, and the
 * workspace whose Pulumi.yaml loads the plugins set-up built, so nothing reaches the user's own
 * ~/.pulumi. While the command runs, the archive mirror serves the sandbox
 * host, so an `up` that installs the API can download it.
 */
import { spawn } from "node:child_process";
import { hostInfo, Mirror } from "../lab/lab";
import { cliEnv, HOST, INDEX, loadCliSettings, MIRROR_PORT } from "../lab/sandboxStack";

async function main(args: string[]): Promise<number> {
    const cli = loadCliSettings();
    if (!cli) throw new Error("There is no sandbox stack yet: run scripts/sandbox.sh first.");
    const host = hostInfo(HOST, INDEX);
    const mirror = new Mirror(cli.mirrorDir);
    if (host) await mirror.listen(host.outerAddress, MIRROR_PORT);
    const env: NodeJS.ProcessEnv = { ...process.env, ...cliEnv(cli.binDir) };
    // The passphrase comes from its file only.
    delete env.PULUMI_CONFIG_PASSPHRASE;
    try {
        const child = spawn("pulumi", ["--cwd", cli.workDir, ...args], { env, stdio: "inherit" });
        return await new Promise<number>((resolve, reject) => {
            child.once("error", reject);
            child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
        });
    } finally {
        mirror.close();
    }
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    },
);
