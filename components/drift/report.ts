import { parse } from "yaml";
import { type DirectoryState, type FileRecord, parseCheckOutput } from "./record";
import type { RepairPlan } from "./scripts";

/** One piece of a host that differs from what the stack deployed. */
export interface DriftItem {
    /** The file or directory, or haproxy.cfg's managed sections. */
    path: string;
    /** What differs, in one line. */
    summary: string;
    /** A diff or the values that differ; never a secret. */
    detail: string[];
    /** How the repair puts it back (a file: its content too, or only owner and mode); undefined when it cannot. */
    repair?: { kind: "file"; content: boolean } | { kind: "binary" } | { kind: "directory" } | { kind: "haproxyCfg" };
    /** The unit a repair of this piece restarts: one that reads the file, when its content drifted. */
    restarts?: string;
}

export interface DriftFindings {
    /** Nothing of this version's deployment is recorded on the host. */
    unrecorded: boolean;
    items: DriftItem[];
}

/** What the check expects of the directories (the config's view). */
export interface DirectoryExpectations {
    /** The API's directories: owner haproxy:haproxy, this mode. */
    directories: readonly string[];
    mode: string;
}

/** Octal modes compared as numbers: stat prints 640, the record says 0640. */
const sameMode = (a: string, b: string) => Number.parseInt(a, 8) === Number.parseInt(b, 8);
const octal = (m: string) => `0${Number.parseInt(m, 8).toString(8).padStart(3, "0")}`;

/** Reads the check script's output (its records: record.ts) and says what drifted. */
export function findDrift(output: string, expect: DirectoryExpectations): DriftFindings {
    const { unrecorded, files, diffs, yamls, directories: dirs, cfg, cfgLines } = parseCheckOutput(output);
    const items: DriftItem[] = [];
    for (const r of files) items.push(...fileDrift(r, diffs.get(r.path) ?? [], yamls.get(r.path)));
    for (const [dir, live] of dirs) {
        const item = directoryDrift(dir, live, expect);
        if (item) items.push(item);
    }
    if (cfg === "differs") {
        items.push({
            path: "haproxy.cfg",
            summary: "the sections and global lines the deployment owns differ from its last edit (user lines masked)",
            detail: cfgLines,
            repair: { kind: "haproxyCfg" },
        });
    } else if (cfg === "error") {
        items.push({ path: "haproxy.cfg", summary: "the deployment's edit stops on the file as it is now", detail: cfgLines, repair: undefined });
    }
    return { unrecorded, items };
}

function fileDrift(r: FileRecord, diff: string[], yaml: { deployed?: string; live?: string } | undefined): DriftItem[] {
    const repairWith = (content: boolean): DriftItem["repair"] =>
        r.copy ? { kind: "file", content } : content ? { kind: "binary" } : { kind: "file", content };
    if (!r.live) return [{ path: r.path, repair: repairWith(true), restarts: r.restarts, summary: "missing", detail: [] }];
    let content = false;
    const found: string[] = [];
    const detail: string[] = [];
    if (r.live.owner !== r.owner || r.live.group !== r.group) found.push(`owner ${r.live.owner}:${r.live.group}, deployed ${r.owner}:${r.group}`);
    // The API writes its YAML back 0644 at every start: only a mode that opens it further is drift.
    const modeDrift = r.compare === "yaml-values" ? (Number.parseInt(r.live.mode, 8) & ~0o644) !== 0 : !sameMode(r.live.mode, r.mode);
    if (modeDrift) found.push(`mode ${octal(r.live.mode)}, deployed ${r.mode}`);
    if (r.live.sha !== r.sha) {
        content = true;
        if (r.secret) {
            found.push("content differs (a secret: not shown)");
        } else if (r.compare === "yaml-values") {
            const changed = yaml?.deployed !== undefined && yaml.live !== undefined ? yamlValueDrift(yaml.deployed, yaml.live) : ["(no copy to compare with)"];
            if (changed.length > 0) {
                found.push("settings differ");
                detail.push(...changed);
            } else {
                content = false;
            }
        } else if (!r.copy) {
            found.push(`content differs: sha256 ${r.live.sha.slice(0, 16)}, deployed ${r.sha.slice(0, 16)}`);
        } else {
            found.push("content differs");
            detail.push(...diff);
        }
    }
    // Owner and mode alone are put back in place: the content, and whatever read it, are as deployed.
    return found.length ? [{ path: r.path, repair: repairWith(content), restarts: content ? r.restarts : undefined, summary: found.join("; "), detail }] : [];
}

function directoryDrift(dir: string, live: DirectoryState, expect: DirectoryExpectations): DriftItem | undefined {
    const repair = { kind: "directory" } as const;
    if (!live) return { path: dir, summary: "missing", detail: [], repair };
    const found: string[] = [];
    const mode = Number.parseInt(live.mode, 8);
    if (dir === "/etc/haproxy") {
        // The deployment gives it group haproxy, group write, and nothing for others.
        if (live.group !== "haproxy") found.push(`group ${live.group}, deployed haproxy`);
        if ((mode & 0o020) === 0 || (mode & 0o007) !== 0) found.push(`mode ${octal(live.mode)}, deployed group-writable and closed to others`);
    } else if (expect.directories.includes(dir)) {
        if (live.owner !== "haproxy" || live.group !== "haproxy") found.push(`owner ${live.owner}:${live.group}, deployed haproxy:haproxy`);
        if (!sameMode(live.mode, expect.mode)) found.push(`mode ${octal(live.mode)}, deployed ${expect.mode}`);
    }
    return found.length ? { path: dir, summary: found.join("; "), detail: [], repair } : undefined;
}

/**
 * The settings of the deployed YAML whose values differ on the host, as
 * `key.path: <on the host> (deployed <value>)`. Keys only the host's file has
 * are the API's own defaults, written back at its start, and are not drift.
 */
export function yamlValueDrift(deployedText: string, liveText: string): string[] {
    let live: unknown;
    try {
        live = parse(liveText);
    } catch (e) {
        return [`the file on the host is not valid YAML: ${(e as Error).message.split("\n")[0]}`];
    }
    const out: string[] = [];
    const walk = (want: unknown, have: unknown, at: string) => {
        if (want !== null && typeof want === "object" && !Array.isArray(want)) {
            for (const [k, v] of Object.entries(want)) {
                const next = have !== null && typeof have === "object" && !Array.isArray(have) ? (have as Record<string, unknown>)[k] : undefined;
                walk(v, next, at ? `${at}.${k}` : k);
            }
        } else if (JSON.stringify(want) !== JSON.stringify(have)) {
            out.push(`${at}: ${have === undefined ? "missing" : JSON.stringify(have)} (deployed ${JSON.stringify(want)})`);
        }
    };
    walk(parse(deployedText), live, "");
    return out;
}

/** What a repair of these items runs; each item is put back once. */
export function repairPlan(items: readonly DriftItem[], binaryInstall: string): RepairPlan {
    return {
        files: items.flatMap((i) => (i.repair?.kind === "file" ? [{ path: i.path, content: i.repair.content }] : [])),
        binary: items.some((i) => i.repair?.kind === "binary") ? binaryInstall : undefined,
        directories: items.filter((i) => i.repair?.kind === "directory").map((i) => i.path),
        haproxyCfg: items.some((i) => i.repair?.kind === "haproxyCfg"),
    };
}

/** The report a person reads for one host. */
export function formatReport(host: string, findings: DriftFindings): string {
    if (findings.unrecorded) return `${host}: no deployment of this version is recorded on the host (run \`pulumi up\` first)`;
    if (findings.items.length === 0) return `${host}: no drift`;
    const lines = [
        `${host}: ${findings.items.length} piece${findings.items.length === 1 ? "" : "s"} differ${findings.items.length === 1 ? "s" : ""} from what the stack deployed`,
    ];
    for (const i of findings.items) {
        lines.push(`  ~ ${i.path}: ${i.summary}`);
        for (const d of i.detail) lines.push(`      ${d}`);
    }
    const restarts = [...new Set(findings.items.map((i) => i.restarts).filter((r): r is string => r !== undefined))];
    const manual = findings.items.filter((i) => !i.repair).map((i) => i.path);
    lines.push(
        `  repair: \`--repair\` puts back ${findings.items.length - manual.length} of them` +
            (restarts.length ? ` and restarts ${restarts.join(", ")} (its own files drifted)` : "; nothing is restarted") +
            (manual.length ? `; by hand: ${manual.join(", ")}` : ""),
    );
    return lines.join("\n");
}
