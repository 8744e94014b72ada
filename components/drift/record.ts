import { PATHS } from "../shared/paths";
import { shq } from "../shared/quote";
import type { WriteFileSpec } from "../shared/shell";

/**
 * The drift record, in its two forms, written and read here.
 *
 * 1. What a step leaves on the host for each file it writes, in
 *    PATHS.deployedDir: `<id>.meta`, one line of META_FIELDS separated by
 *    tabs, and `<id>`, a copy of the file when `copy` is 1. recordDeployedScript
 *    renders the shell that writes them; every file write runs it.
 * 2. What the drift check (assets/drift/check.sh, run by drift/scripts.ts
 *    driftCheckScript) prints from those records and the host, one record a
 *    line, fields separated by tabs; parseCheckOutput reads it:
 *      F <META_FIELDS> live-owner live-group live-mode live-sha256
 *                     a recorded file; the live fields are "-" when it is missing
 *      D path line    a line of `diff -u` from the recorded copy to the file (not for secrets)
 *      Y path deployed|live base64    both versions of a file compared by its values
 *      R path owner group mode        a directory as it is ("-" when missing)
 *      C same|differs|unrecorded|error  haproxy.cfg against the last applied edit
 *      c line         a line of `diff -u` of haproxy.cfg (user lines masked), or the edit's error
 *      N none         nothing is recorded: no deployment of this version
 *
 * check.sh and the repair (assets/drift/repair.sh) read a .meta line with
 * `IFS=<tab> read`, for which a tab is white space: an empty field would
 * vanish and shift the rest, and a tab or a newline inside one would split
 * it. The writer refuses such values. The round trip (record.test.ts) writes
 * records with this shell, runs the real check on them and parses what it
 * prints, and runs the real repair from them.
 */

/** The fields of a `.meta` line, in order; `sha256` is the digest the shell takes of the file as written. */
export const META_FIELDS = ["path", "owner", "group", "mode", "sha256", "compare", "secret", "copy", "restarts"] as const;

/** The name of a file's record in PATHS.deployedDir: its path with each `/` as `%`. */
export function deployedId(path: string): string {
    return path.replace(/\//g, "%");
}

/** A value of a .meta line: not empty, no tab, no newline (see above). */
function field(name: string, value: string): string {
    if (value === "" || /[\t\n\r]/.test(value))
        throw new Error(`drift record: ${name} ${JSON.stringify(value)} cannot be recorded (empty, or a tab or newline in it)`);
    return shq(value);
}

/**
 * Records a file the program has just put in place, for the drift check: a
 * copy when `copy` is set (root-only, like the rest of the state directory),
 * then the `.meta` line.
 */
export function recordDeployedScript(f: WriteFileSpec, copy: boolean): string {
    const record = `${PATHS.deployedDir}/${deployedId(f.path)}`;
    const fields = [field("path", f.path), field("owner", f.owner), field("group", f.group), field("mode", f.mode)].join(" ");
    const traits = [f.compare ?? "bytes", f.secret ? "1" : "0", copy ? "1" : "0", f.restarts ?? "-"].map((v, i) => field(META_FIELDS[5 + i], v)).join(" ");
    const format = `${META_FIELDS.map(() => "%s").join("\\t")}\\n`;
    return `install -d -m 0700 ${shq(PATHS.stateDir)} ${shq(PATHS.deployedDir)}
${
    copy
        ? `install -m 0600 ${shq(f.path)} ${shq(`${record}.new`)}
mv -f ${shq(`${record}.new`)} ${shq(record)}
`
        : ""
}printf '${format}' ${fields} "$(sha256sum < ${shq(f.path)} | cut -d' ' -f1)" ${traits} > ${shq(`${record}.meta`)}`;
}

/** A recorded file as the check reports it (an F line). */
export interface FileRecord {
    path: string;
    owner: string;
    group: string;
    mode: string;
    sha: string;
    compare: string;
    secret: boolean;
    copy: boolean;
    restarts?: string;
    /** The file on the host; undefined when it is missing. */
    live?: { owner: string; group: string; mode: string; sha: string };
}

/** A directory as it is on the host (an R line); undefined when it is missing. */
export type DirectoryState = { owner: string; group: string; mode: string } | undefined;

/** The drift check's output, record by record. */
export interface CheckOutput {
    /** An N line: nothing of this version's deployment is recorded on the host. */
    unrecorded: boolean;
    files: FileRecord[];
    /** D lines by path. */
    diffs: Map<string, string[]>;
    /** Y lines by path, decoded. */
    yamls: Map<string, { deployed?: string; live?: string }>;
    /** R lines by path. */
    directories: Map<string, DirectoryState>;
    /** The C line. */
    cfg?: string;
    /** The c lines. */
    cfgLines: string[];
}

/** Reads what the drift check printed. */
export function parseCheckOutput(output: string): CheckOutput {
    const out: CheckOutput = { unrecorded: false, files: [], diffs: new Map(), yamls: new Map(), directories: new Map(), cfgLines: [] };
    for (const line of output.split("\n")) {
        const f = line.split("\t");
        switch (f[0]) {
            case "N":
                out.unrecorded = true;
                break;
            case "F":
                out.files.push({
                    path: f[1],
                    owner: f[2],
                    group: f[3],
                    mode: f[4],
                    sha: f[5],
                    compare: f[6],
                    secret: f[7] === "1",
                    copy: f[8] === "1",
                    restarts: f[9] === "-" ? undefined : f[9],
                    live: f[13] === "-" ? undefined : { owner: f[10], group: f[11], mode: f[12], sha: f[13] },
                });
                break;
            case "D":
                out.diffs.set(f[1], [...(out.diffs.get(f[1]) ?? []), f.slice(2).join("\t")]);
                break;
            case "Y": {
                const y = out.yamls.get(f[1]) ?? {};
                y[f[2] === "live" ? "live" : "deployed"] = Buffer.from(f[3] ?? "", "base64").toString("utf8");
                out.yamls.set(f[1], y);
                break;
            }
            case "R":
                out.directories.set(f[1], f[2] === "-" ? undefined : { owner: f[2], group: f[3], mode: f[4] });
                break;
            case "C":
                out.cfg = f[1];
                break;
            case "c":
                out.cfgLines.push(f.slice(1).join("\t"));
                break;
        }
    }
    return out;
}

/**
 * The check's lines as check.sh prints them, for tests that give the parser
 * made-up output; record.test.ts shows they are what the real check prints.
 */
export const checkLine = {
    file: (r: FileRecord): string =>
        [
            "F",
            r.path,
            r.owner,
            r.group,
            r.mode,
            r.sha,
            r.compare,
            r.secret ? "1" : "0",
            r.copy ? "1" : "0",
            r.restarts ?? "-",
            ...(r.live ? [r.live.owner, r.live.group, r.live.mode, r.live.sha] : ["-", "-", "-", "-"]),
        ].join("\t"),
    diff: (path: string, line: string): string => `D\t${path}\t${line}`,
    yaml: (path: string, which: "deployed" | "live", text: string): string => `Y\t${path}\t${which}\t${Buffer.from(text).toString("base64")}`,
    directory: (path: string, d: DirectoryState): string => ["R", path, ...(d ? [d.owner, d.group, d.mode] : ["-", "-", "-"])].join("\t"),
    cfg: (state: "same" | "differs" | "unrecorded" | "error"): string => `C\t${state}`,
    cfgLine: (line: string): string => `c\t${line}`,
    none: (): string => "N\tnone",
};
