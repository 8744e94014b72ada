/**
 * What every script the program sends to a host has in common: quoting, the
 * prelude, and writing or removing a file. Each step's own scripts live in
 * its folder's scripts.ts and are built from these.
 *
 * Scripts are bash, start with `set -euo pipefail`, never contain a secret
 * (secrets travel on stdin), and are checked by shellcheck in the unit tests.
 * Values reach a command through `shq`; only the program's own constants
 * (paths, modes) and validated numbers are pasted as they are.
 */

/** Quotes a string for bash as one word, whatever it contains. */
export function shq(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
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
 */
const PRELUDE = "set -euo pipefail\numask 022\ncd /\n";

/**
 * A bash script whose first line says what it does. Previews show the first
 * lines of a new command's script, so that line is what a reviewer reads.
 */
export function script(summary: string, body: string): string {
    return `# ${summary.replace(/[\r\n]+/g, " ")}\n${PRELUDE}${body.replace(/^\n/, "")}`;
}

export interface WriteFileSpec {
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
        `
target=${shq(f.path)}
[ -d ${shq(dir)} ] || install -d -m 0755 ${shq(dir)}
tmp=$(mktemp ${shq(`${dir}/.dpdeploy.XXXXXX`)})
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown ${shq(`${f.owner}:${f.group}`)} "$tmp"
chmod ${shq(f.mode)} "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
${f.after ?? ""}
echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
`,
    );
}

export function removeFileScript(f: WriteFileSpec): string {
    return script(
        `remove ${f.path}`,
        `
rm -f ${shq(f.path)}
${
    f.removeEmptyDir
        ? `# Sibling files are removed in parallel: the directory may already be gone.
rmdir --ignore-fail-on-non-empty ${shq(dirname(f.path))} 2>/dev/null || [ ! -e ${shq(dirname(f.path))} ]`
        : ""
}
${f.afterDelete ?? ""}
echo ${shq(`removed ${f.path}`)}
`,
    );
}
