/**
 * A Pulumi workspace for tests: the real engine runs a program of ours with
 * the provider plugins chosen by select.ts, loaded through `plugins.providers`.
 *
 * The program's own Pulumi.yaml is never touched: the workspace is a directory
 * of the run's own whose Pulumi.yaml is the program's, plus the `plugins`
 * block, and whose `main` points back at the program. Stack settings files,
 * the file backend and PULUMI_HOME all live under the run's state directory.
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { type PluginChoice, pluginsSettings } from "./plugins";

const REPO = path.resolve(__dirname, "..");

export interface WorkspaceStackSpec {
    /**
     * Directory of the program: its Pulumi.yaml, and a package.json whose
     * `main` names the entry point (the language host uses the nearest
     * package.json above the program, so a program without one would run
     * whatever is above it).
     */
    programDir: string;
    stackName: string;
    /** Root of this run's state: the file backend, PULUMI_HOME and the workspace live under it. */
    stateDir: string;
    /** Directory holding the engine: pulumi and pulumi-language-nodejs. */
    engineBinDir: string;
    plugins: PluginChoice[];
    /** Where the stack settings files (Pulumi.<stack>.yaml) live; default: the workspace itself. */
    stackConfigDir?: string;
}

/**
 * Environment for every engine call: a private backend and home, no plugin
 * downloads, Node 22 first on PATH. Whether the program is type-checked is
 * left to its tsconfig.json, as for a user (the repository's sets noCheck).
 */
export function engineEnv(engineBinDir: string, stateDir: string): Record<string, string> {
    return {
        PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
        PULUMI_HOME: path.join(stateDir, "home"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // Only the plugins named in Pulumi.yaml are used, never one that happens to be on PATH.
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PATH: [engineBinDir, path.join(REPO, "node_modules", ".bin"), process.env.PATH ?? ""].join(":"),
    };
}

/** Writes the workspace's Pulumi.yaml and returns its directory. */
export function writeWorkspace(spec: WorkspaceStackSpec): string {
    const dir = path.join(spec.stateDir, "workspace");
    mkdirSync(dir, { recursive: true });
    const project = parse(readFileSync(path.join(spec.programDir, "Pulumi.yaml"), "utf8"));
    project.main = path.relative(dir, spec.programDir) || ".";
    project.plugins = pluginsSettings(spec.plugins);
    if (spec.stackConfigDir) project.stackConfigDir = path.relative(dir, spec.stackConfigDir) || ".";
    else delete project.stackConfigDir;
    writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(project, { lineWidth: 0 }));
    return dir;
}

/**
 * Creates (or selects) a stack of the program in a workspace of its own, on a
 * local file backend with a passphrase secrets provider. The passphrase comes
 * from PULUMI_CONFIG_PASSPHRASE, or is made up for this run and put there.
 */
export async function openStack(spec: WorkspaceStackSpec): Promise<Stack> {
    mkdirSync(path.join(spec.stateDir, "backend"), { recursive: true });
    const passphrase = process.env.PULUMI_CONFIG_PASSPHRASE ?? randomBytes(12).toString("hex");
    process.env.PULUMI_CONFIG_PASSPHRASE = passphrase;
    const workDir = writeWorkspace(spec);
    const env = engineEnv(spec.engineBinDir, spec.stateDir);
    // PulumiCommand.get runs `pulumi version` with this process's environment, and the CLI
    // logs into $PULUMI_HOME/logs: without this, that would be the user's ~/.pulumi.
    const userHome = process.env.PULUMI_HOME;
    process.env.PULUMI_HOME = env.PULUMI_HOME;
    let pulumiCommand: PulumiCommand;
    try {
        pulumiCommand = await PulumiCommand.get({ root: path.dirname(spec.engineBinDir), skipVersionCheck: false });
    } finally {
        if (userHome === undefined) delete process.env.PULUMI_HOME;
        else process.env.PULUMI_HOME = userHome;
    }
    return LocalWorkspace.createOrSelectStack(
        { stackName: spec.stackName, workDir },
        {
            envVars: { ...env, PULUMI_CONFIG_PASSPHRASE: passphrase },
            pulumiCommand,
            pulumiHome: env.PULUMI_HOME,
            secretsProvider: "passphrase",
        },
    );
}

/** The stack settings file of a stack in a workspace written by writeWorkspace (its `stackConfigDir`, or the workspace). */
export function stackSettingsFile(workDir: string, stackName: string): string {
    const project = parse(readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8"));
    return path.join(path.resolve(workDir, project.stackConfigDir ?? "."), `Pulumi.${stackName}.yaml`);
}

/**
 * The stack's state as the backend stores it, secrets encrypted. (`exportStack`
 * runs `pulumi stack export --show-secrets`, which decrypts them.)
 */
export function storedState(stateDir: string, project: string, stackName: string): string {
    return readFileSync(path.join(stateDir, "backend", ".pulumi", "stacks", project, `${stackName}.json`), "utf8");
}
