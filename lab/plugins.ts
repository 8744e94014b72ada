/**
 * Which provider plugins a run of the engine loads, and what each real part
 * of a run says its version is.
 *
 * The plugins are the real `command` and `tls` providers, built from their
 * upstream source by lab/build-tools.sh (docs/testing.md, "What runs for real").
 * The engine loads them explicitly, through `plugins.providers` in the test
 * workspace's Pulumi.yaml, with automatic plugin downloads off, and under a
 * PULUMI_HOME of the run's own, so nothing reaches the user's plugin cache.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..");

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
 * What a provider plugin answers the engine's GetPluginInfo call with: the
 * plugin is started as the engine starts it (it prints the port it serves
 * gRPC on), asked, and stopped. It runs in a child Node process, so that a
 * run's synchronous set-up can ask.
 */
const GET_PLUGIN_INFO = `
const { spawn } = require("node:child_process");
const grpc = require("@grpc/grpc-js");
const rpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
const plugin = spawn(process.argv[1], [], { stdio: ["ignore", "pipe", "inherit"] });
let out = "";
plugin.stdout.on("data", (d) => {
    const port = /^(\\d+)\\n/.exec((out += d))?.[1];
    if (!port) return;
    new rpc.ResourceProviderClient("127.0.0.1:" + port, grpc.credentials.createInsecure()).getPluginInfo(new Empty(), (err, info) => {
        plugin.kill();
        if (err) { console.error(String(err)); process.exit(1); }
        console.log(info.getVersion());
        process.exit(0);
    });
});`;

export function pluginReportedVersion(binary: string): string {
    const r = spawnSync(process.execPath, ["-e", GET_PLUGIN_INFO, binary], { cwd: REPO, encoding: "utf8", timeout: 30_000 });
    const version = (r.stdout ?? "").trim();
    if (r.status !== 0 || !version) throw new Error(`${binary} answered no GetPluginInfo (exit ${r.status}): ${r.stderr}`);
    return version;
}

/** What the parts report of themselves: one line for a run's output. */
export function describeRun(parts: { name: string; version: string }[]): string {
    return [
        "stand-ins in this run: none",
        `real in this run: ${parts.map((p) => `${p.name} ${p.version}`).join(", ")}, sshd, systemd and HAProxy on the test hosts`,
    ].join("\n");
}
