/**
 * Which provider plugins a run of the engine uses, and how the engine is told.
 *
 * The real `command` 1.2.1 and `tls` 5.6.1 plugins cannot be downloaded or
 * built on these machines (README, "What runs for real"). The stand-ins in
 * tests/plugins/<name> are test equipment built to the contracts in
 * ../shared/docs/providers.md; they are never part of the program.
 *
 * The engine always loads plugins explicitly, through `plugins.providers` in
 * the test workspace's Pulumi.yaml, with automatic plugin downloads off, and
 * under a PULUMI_HOME of the run's own, so nothing reaches the user's plugin
 * cache.
 *
 * LB_PLUGINS chooses:
 *   - unset (auto): the real plugin where the engine already has one (built by
 *     scripts/build-tools.sh, or in ~/.pulumi/plugins), the stand-in otherwise;
 *   - `real`: the real plugins, and an error when one cannot be found;
 *   - `stand-in`: the stand-ins, even where a real plugin exists.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

export const PLUGINS_DIR = __dirname;
const REPO = path.resolve(__dirname, "..", "..");

/** The versions the program's SDKs ask for (package.json pins them). */
export const PLUGIN_VERSIONS = { command: "1.2.1", tls: "5.6.1" } as const;
export type PluginName = keyof typeof PLUGIN_VERSIONS;

export interface PluginChoice {
    name: PluginName;
    version: string;
    source: "real" | "stand-in";
    /** Directory holding `pulumi-resource-<name>`, as `plugins.providers[].path` takes it. */
    dir: string;
}

/** Where a real plugin of this name and version already is, if anywhere. */
function findReal(name: PluginName, toolsBinDir?: string): string | undefined {
    const binary = `pulumi-resource-${name}`;
    const candidates = [
        ...(toolsBinDir ? [toolsBinDir] : []),
        path.join(process.env.PULUMI_HOME ?? path.join(homedir(), ".pulumi"), "plugins", `resource-${name}-v${PLUGIN_VERSIONS[name]}`),
    ];
    return candidates.find((d) => existsSync(path.join(d, binary)));
}

/** Decides, for each plugin, whether this run uses the real one or the stand-in. */
export function choosePlugins(toolsBinDir?: string, mode = process.env.LB_PLUGINS ?? "auto"): PluginChoice[] {
    if (!["auto", "real", "stand-in"].includes(mode)) {
        throw new Error(`LB_PLUGINS=${JSON.stringify(mode)}: use "real", "stand-in", or leave it unset`);
    }
    return (Object.keys(PLUGIN_VERSIONS) as PluginName[]).map((name) => {
        const version = PLUGIN_VERSIONS[name];
        const real = mode === "stand-in" ? undefined : findReal(name, toolsBinDir);
        if (mode === "real" && !real) {
            throw new Error(
                `LB_PLUGINS=real, but no real pulumi-resource-${name} v${version} was found ` +
                    `(looked in ${toolsBinDir ?? "(no tools dir)"} and the plugin cache)`,
            );
        }
        return real ? { name, version, source: "real", dir: real } : { name, version, source: "stand-in", dir: path.join(PLUGINS_DIR, name, "bin") };
    });
}

/** The `plugins` block of a test workspace's Pulumi.yaml. */
export function pluginsSettings(choices: PluginChoice[]): { providers: { name: string; path: string; version: string }[] } {
    return { providers: choices.map((c) => ({ name: c.name, path: c.dir, version: c.version })) };
}

/** How standin.sh starts this stand-in: compiled into the cache at set-up, or through ts-node (edited since). */
function standInStart(name: PluginName): string {
    const how = execFileSync("sh", [path.join(PLUGINS_DIR, "standin.sh"), "how", name], { encoding: "utf8" }).trim();
    return how === "compiled" ? "compiled at set-up" : "through ts-node";
}

/** One line for a run's output: what is real and what is a stand-in. */
export function describeRun(choices: PluginChoice[], extra: { name: string; source: "real" | "stand-in"; where?: string }[] = []): string {
    const all = [
        ...choices.map((c) => ({
            name: `${c.name} plugin ${c.version}`,
            source: c.source,
            where: c.source === "stand-in" ? `${path.relative(REPO, path.dirname(c.dir))}, ${standInStart(c.name)}` : c.dir,
        })),
        ...extra,
    ];
    const standIns = all.filter((a) => a.source === "stand-in");
    const real = all.filter((a) => a.source === "real");
    return [
        `stand-ins in this run: ${standIns.length ? standIns.map((a) => `${a.name} (${a.where})`).join(", ") : "none"}`,
        `real in this run: ${real.length ? `${real.map((a) => a.name).join(", ")}, ` : ""}the Pulumi engine, sshd, systemd and HAProxy on the test hosts`,
    ].join("\n");
}
