import { deployedId, recordDeployedScript } from "../drift/record";
import { renderAsset } from "./assets";
import { PATHS } from "./paths";
import { shq } from "./quote";

export { shq };

/**
 * What every script the program sends to a host has in common: quoting, the
 * prelude, and writing or removing a file (their shell is in assets/shared/;
 * the drift record a write leaves is ../drift/record.ts). Each step's own
 * scripts are built from these by its folder's scripts.ts, the longer ones
 * from a body in assets/<step>/ (see assets.ts). What each step's scripts
 * look like on a host is in components/<step>/golden/.
 *
 * Scripts are bash, start with `set -euo pipefail`, never contain a secret
 * (secrets travel on stdin), and are checked by shellcheck in the lint tier.
 * Values reach a command through `shq`; only the program's own constants
 * (paths, modes) and validated numbers are pasted as they are.
 */

/**
 * curl's arguments for a local call to the API, each with its leading space:
 * the CA to verify it with (over HTTPS with a CA file; none over HTTP, or with
 * the system's CAs) and the address its name resolves to.
 */
export function curlApiArgs(a: { tls: boolean; caFile?: string; resolve?: string }): string {
    const cacert = a.tls && a.caFile ? ` --cacert ${shq(a.caFile)}` : "";
    const resolve = a.resolve ? ` --resolve ${shq(a.resolve)}` : "";
    return cacert + resolve;
}

/** Ends the script's here-document in asRoot; a script line equal to it would end the script early, so asRoot refuses one. */
export const SCRIPT_END = "DPDEPLOY_SCRIPT_END";

/**
 * How a script reaches root on the host: directly, or through passwordless sudo
 * (no PTY is available). The script travels as a quoted here-document, which
 * the login shell passes on untouched: a preview then shows it exactly as it
 * runs, where a single-quoted argument would show every ' in it as '\''.
 * The command's stdin still reaches the script: only `cat` reads the here-document.
 */
export function asRoot(script: string, useSudo: boolean): string {
    if (script.split("\n").includes(SCRIPT_END)) throw new Error(`a script line may not be ${SCRIPT_END}: it ends the here-document`);
    return `${useSudo ? "sudo -n " : ""}bash -c "$(cat <<'${SCRIPT_END}'\n${script}\n${SCRIPT_END}\n)"`;
}

/**
 * Every script starts in `/`: sudo keeps the login user's home as the working
 * directory, other users cannot enter a home of mode 0700 (Debian 13's
 * default), and `haproxy -c` run as user haproxy then fails: it cannot get
 * back to the directory it started in ("Impossible to get back to initial
 * directory"). The API runs its own checks from its unit's working directory, `/`.
 * The prelude is assets/shared/prelude.sh.
 */
const PRELUDE = renderAsset("shared/prelude.sh");

/**
 * A bash script whose first line says what it does. Previews show the first
 * lines of a new command's script, so that line is what a reviewer reads.
 */
export function script(summary: string, body: string): string {
    return `# ${summary.replace(/[\r\n]+/g, " ")}\n${PRELUDE}${body.replace(/^\n/, "")}`;
}

/** What the drift check needs to know about a file the program writes, beyond its path, owner and mode. */
export interface DriftTraits {
    /** Its content is a secret: the drift check compares digests only and never shows it. Default: false. */
    secret?: boolean;
    /**
     * How the drift check compares it: byte for byte (default), or, for the
     * API's YAML, which the API rewrites in its own format (and mode 0644) at
     * every start, by the values the program wrote.
     */
    compare?: "bytes" | "yaml-values";
    /** The unit that reads this file when it starts: a drift repair of its content restarts it (of owner or mode alone, not). Default: none. */
    restarts?: string;
}

export interface WriteFileSpec extends DriftTraits {
    path: string;
    owner: string;
    group: string;
    /** Octal, e.g. "0644". */
    mode: string;
    /** Shell run after the file is in place (e.g. `systemctl daemon-reload`). */
    after?: string;
    /** Shell run after the file is removed. */
    afterDelete?: string;
    /** Remove the file's directory too once it is empty (a directory the program created for it). */
    removeEmptyDir?: boolean;
    /** Mode of the file's directory when the write has to create it; default "0755". */
    dirMode?: string;
}

/** The directory part of an absolute path, as dirname(1) gives it. */
export function dirname(path: string): string {
    return path.replace(/\/[^/]+$/, "") || "/";
}

/**
 * Writes stdin to a file atomically: a temporary file in the same directory,
 * owner and mode set before it is renamed over the target, so no reader sees
 * a half-written file and a secret file is never readable by others.
 */
export function writeFileScript(f: WriteFileSpec): string {
    const dir = dirname(f.path);
    return script(
        `write ${f.path} (${f.owner}:${f.group} ${f.mode}) from stdin`,
        renderAsset("shared/write-file.sh", {
            TARGET: shq(f.path),
            DIR: shq(dir),
            DIR_MODE: shq(f.dirMode ?? "0755"),
            TMP_TEMPLATE: shq(`${dir}/.dpdeploy.XXXXXX`),
            OWNER_GROUP: shq(`${f.owner}:${f.group}`),
            MODE: shq(f.mode),
            RECORD: recordDeployedScript(f, true),
            AFTER: f.after ?? "",
        }),
    );
}

/** Removes a file the program wrote and its drift record; the script is assets/shared/remove-file.sh. */
export function removeFileScript(f: WriteFileSpec): string {
    return script(
        `remove ${f.path}`,
        renderAsset("shared/remove-file.sh", {
            TARGET: shq(f.path),
            FORGET_RECORD: forgetDeployedScript(f.path),
            REMOVE_EMPTY_DIR: f.removeEmptyDir
                ? `# Sibling files are removed in parallel: the directory may already be gone.
rmdir --ignore-fail-on-non-empty ${shq(dirname(f.path))} 2>/dev/null || [ ! -e ${shq(dirname(f.path))} ]`
                : "",
            AFTER_DELETE: f.afterDelete ?? "",
            REMOVED: shq(`removed ${f.path}`),
        }),
    );
}

/**
 * Removes the state directory once it is empty. Every step that takes
 * something out of it ends with this: a destroy removes independent steps in
 * parallel, so whichever of them finishes last leaves nothing behind. It is
 * assets/shared/remove-state-dir-if-empty.sh, as one line (no newline of its own).
 */
export const REMOVE_STATE_DIR_IF_EMPTY = renderAsset("shared/remove-state-dir-if-empty.sh", { STATE_DIR: shq(PATHS.stateDir) }).replace(/\n$/, "");

/** Drops a removed file's record (and the records' directory and the state directory once they are empty): assets/shared/forget-record.sh, without its last newline. */
export function forgetDeployedScript(path: string): string {
    const record = `${PATHS.deployedDir}/${deployedId(path)}`;
    return renderAsset("shared/forget-record.sh", {
        RECORD: shq(record),
        RECORD_META: shq(`${record}.meta`),
        DEPLOYED_DIR: shq(PATHS.deployedDir),
        REMOVE_STATE_DIR_IF_EMPTY,
    }).replace(/\n$/, "");
}
