/**
 * Which provider plugins a run of the engine loads, and what each real part
 * of a run says its version is.
 *
 * The plugins are the real `command` and `tls` providers, built from their
 * upstream source by scripts/build-tools.sh (README, "What runs for real").
 * The engine loads them explicitly, through `plugins.providers` in the test
 * workspace's Pulumi.yaml, with automatic plugin downloads off, and under a
 * PULUMI_HOME of the run's own, so nothing reaches the user's plugin cache.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

/** The versions the program's SDKs ask for (package.json pins them). */
export const PLUGIN_VERSIONS = { command: "1.2.1", tls: "5.5.1" } as const;
export type PluginName = keyof typeof PLUGIN_VERSIONS;

export interface PluginChoice {
    name: PluginName;
    version: string;
    /** Directory holding `pulumi-resource-<name>`, as `plugins.providers[].path` takes it. */
    dir: string;
}

/** The real plugins in `toolsBinDir`; an error names any that is missing. */
export function choosePlugins(toolsBinDir: string): PluginChoice[] {
    return (Object.keys(PLUGIN_VERSIONS) as PluginName[]).map((name) => {
        const version = PLUGIN_VERSIONS[name];
        if (!existsSync(path.join(toolsBinDir, `pulumi-resource-${name}`))) {
            throw new Error(`no pulumi-resource-${name} in ${toolsBinDir}: run scripts/setup.sh, which builds it (its log says why it could not)`);
        }
        return { name, version, dir: toolsBinDir };
    });
}

/** The `plugins` block of a test workspace's Pulumi.yaml. */
export function pluginsSettings(choices: PluginChoice[]): { providers: { name: string; path: string; version: string }[] } {
    return { providers: choices.map((c) => ({ name: c.name, path: c.dir, version: c.version })) };
}

/**
 * The version a Go binary was stamped with when it was built, from its own
 * build information (`go version -m`): the value its linker flags gave the
 * variable named `variable`. Providers have no version flag: they report it
 * to the engine over gRPC, from this same variable.
 */
export function stampedVersion(binary: string, variable: string): string {
    const info = execFileSync("go", ["version", "-m", binary], { encoding: "utf8" });
    const m = new RegExp(`-X ${variable.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}=(\\S+?)["\\s]`).exec(info);
    if (!m) throw new Error(`${binary} carries no ${variable} in its build information`);
    return m[1];
}

/** What the parts report of themselves: one line for a run's output. */
export function describeRun(parts: { name: string; version: string }[]): string {
    return [
        "stand-ins in this run: none",
        `real in this run: ${parts.map((p) => `${p.name} ${p.version}`).join(", ")}, sshd, systemd and HAProxy on the test hosts`,
    ].join("\n");
}
