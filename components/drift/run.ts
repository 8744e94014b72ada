/**
 * The drift check and repair over every host of a stack, from the stack's
 * config as `pulumi config --json --show-secrets` prints it. The engine cannot
 * do this: the command provider's refresh reads nothing from a host
 * (providers.md), so a hand edit stays invisible to `pulumi refresh` and
 * `pulumi up`.
 */
import { installBinaryScript, installSpecFor } from "../binary/scripts";
import { parseSettings, type RawConfig, sshKeyOf, toDeploymentConfig } from "../config";
import { DIRECTORY_MODE } from "../directories/tmpfiles";
import { haproxyEditSpec } from "../haproxy";
import { findDrift, formatReport, repairPlan } from "./report";
import { type DriftHostSpec, driftCheckScript, driftRepairScript } from "./scripts";
import { SshSession, type SshTarget } from "./ssh";

export interface DriftRunOptions {
    repair: boolean;
    /** Only these hosts (by name); default: all. */
    hosts?: readonly string[];
    /** Where the report goes, line by line. */
    print: (text: string) => void;
}

/** Exit status: 0 no drift (or all repaired), 2 drift found (check), 1 a host could not be checked or repaired. */
export async function runDrift(raw: RawConfig, opts: DriftRunOptions): Promise<number> {
    // The settings, for the SSH keys in plain (parseSettings has checked that every host has one); the typed config for the rest.
    const settings = parseSettings(raw);
    const c = toDeploymentConfig(settings);
    const hosts = c.hosts.filter((h) => !opts.hosts?.length || opts.hosts.includes(h.name));
    const unknown = (opts.hosts ?? []).filter((n) => !c.hosts.some((h) => h.name === n));
    if (unknown.length) throw new Error(`--host ${unknown.join(", ")}: no such host in the stack's \`hosts\``);
    const spec: DriftHostSpec = {
        directories: c.directories,
        haproxy: haproxyEditSpec(c.haproxy.configFile, c.haproxy.adminSocket, c.haproxy.userlist),
    };
    const expect = { directories: c.directories, mode: DIRECTORY_MODE };
    const session = new SshSession();
    await session.start(hosts.map((h) => sshKeyOf(settings, h.name)));
    try {
        const results = await Promise.all(
            hosts.map(async (h): Promise<number> => {
                const target: SshTarget = h;
                const label = `${h.name} (${h.user}@${h.address}:${h.port})`;
                const check = async () => {
                    const r = await session.run(target, driftCheckScript(spec));
                    if (r.code !== 0) throw new Error(`${label}: the check failed (exit ${r.code}): ${r.stderr.trim()}`);
                    return findDrift(r.stdout, expect);
                };
                try {
                    const found = await check();
                    opts.print(formatReport(label, found));
                    if (found.unrecorded) return 1;
                    if (found.items.length === 0) return 0;
                    if (!opts.repair) return 2;
                    const plan = repairPlan(
                        found.items,
                        installBinaryScript(installSpecFor(c.dataplaneapi.version, c.dataplaneapi.sha256, h.arch, c.dataplaneapi.source)),
                    );
                    const r = await session.run(target, driftRepairScript(spec, plan, DIRECTORY_MODE));
                    opts.print(
                        r.stdout
                            .trimEnd()
                            .split("\n")
                            .map((l) => `${h.name}: ${l}`)
                            .join("\n"),
                    );
                    if (r.code !== 0) {
                        opts.print(`${h.name}: the repair failed (exit ${r.code}): ${r.stderr.trim()}`);
                        return 1;
                    }
                    const after = await check();
                    opts.print(after.items.length === 0 ? `${h.name}: repaired; no drift remains` : formatReport(`${label} after the repair`, after));
                    return after.items.length === 0 ? 0 : 1;
                } catch (e) {
                    opts.print(e instanceof Error ? e.message : String(e));
                    return 1;
                }
            }),
        );
        return results.includes(1) ? 1 : results.includes(2) ? 2 : 0;
    } finally {
        session.close();
    }
}
