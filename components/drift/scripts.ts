import { haproxyEditScript, type HaproxyEditSpec } from "../haproxy/scripts";
import { PATHS, STATE_FILES } from "../shared/paths";
import { deployedId, script, shq } from "../shared/shell";

/** What the drift check looks at beyond the recorded files: the config's view of the host. */
export interface DriftHostSpec {
    /** The API's directories (owned by haproxy, mode DIRECTORY_MODE). */
    directories: readonly string[];
    /** The haproxy.cfg edit as the deployment runs it; its managed sections come from the host's record. */
    haproxy: Omit<HaproxyEditSpec, "usersDigest">;
}

/** Marks a user line of a unified diff of haproxy.cfg: the line holds a user name and a password hash. */
const MASK_USERS = `sed 's/^\\([-+ ][[:space:]]*user\\)[[:space:]].*/\\1 <masked>/'`;

/**
 * Reads, and changes nothing: one tab-separated record per line, which
 * report.ts parses.
 *   F path owner group mode sha256 compare secret copy restarts live-owner live-group live-mode live-sha256
 *     (a recorded file; the live fields are "-" when the file is missing)
 *   D path line    a line of `diff -u` from the recorded copy to the file (not for secrets)
 *   Y path deployed|live base64    both versions of a file compared by its values
 *   R path owner group mode        a directory as it is ("-" when missing)
 *   C same|differs|unrecorded|error  haproxy.cfg against the last applied edit
 *   c line         a line of `diff -u` of haproxy.cfg, user lines masked
 *   N none         nothing is recorded: no deployment of this version
 * The haproxy.cfg check runs the edit itself, from the recorded editor and
 * users, on the live file: what the edit would change is what drifted, and the
 * API's own rewrites (its spelling, its sections) are not.
 */
export function driftCheckScript(s: DriftHostSpec): string {
    const deployed = PATHS.deployedDir;
    const editor = `${deployed}/${deployedId(PATHS.cfgEditor)}`;
    const users = `${deployed}/${deployedId(PATHS.userlistUsers)}`;
    return script(
        "drift check: compare this host with what the stack deployed (reads only)",
        `
deployed=${shq(deployed)}
tab=$'\\t'
if [ ! -d "$deployed" ]; then echo "N\${tab}none"; exit 0; fi
for meta in "$deployed"/*.meta; do
    [ -e "$meta" ] || continue
    copy_file=\${meta%.meta}
    IFS="$tab" read -r path owner group mode sha compare secret copy restarts < "$meta"
    if [ -e "$path" ]; then
        live=$(stat -c "%U\${tab}%G\${tab}%a" "$path")
        live_sha=$(sha256sum < "$path" | cut -d' ' -f1)
    else
        live="-\${tab}-\${tab}-"
        live_sha=-
    fi
    printf 'F\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$path" "$owner" "$group" "$mode" "$sha" "$compare" "$secret" "$copy" "$restarts" "$live" "$live_sha"
    if [ "$live_sha" != - ] && [ "$live_sha" != "$sha" ] && [ "$secret" = 0 ] && [ "$copy" = 1 ]; then
        if [ "$compare" = yaml-values ]; then
            printf 'Y\\t%s\\tdeployed\\t%s\\n' "$path" "$(base64 -w0 < "$copy_file")"
            printf 'Y\\t%s\\tlive\\t%s\\n' "$path" "$(base64 -w0 < "$path")"
        else
            { diff -u --label deployed --label "on the host" "$copy_file" "$path" || true; } | awk -v p="$path" '{ print "D\\t" p "\\t" $0 }'
        fi
    fi
done
for dir in /etc/haproxy ${s.directories.map(shq).join(" ")}; do
    printf 'R\\t%s\\t%s\\n' "$dir" "$(stat -c "%U\${tab}%G\${tab}%a" "$dir" 2>/dev/null || printf '%s' "-\${tab}-\${tab}-")"
done
cfg=${shq(s.haproxy.configFile)}
state=${shq(PATHS.stateDir)}
if [ ! -f ${shq(PATHS.managedSections)} ] || [ ! -f ${shq(editor)} ] || [ ! -f ${shq(users)} ] || [ ! -f "$cfg" ]; then
    echo "C\${tab}unrecorded"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v users=${shq(users)} -v placeholder=${shq(s.haproxy.placeholder)} '
    $1 == placeholder { while ((getline line < users) > 0) print line; next }
    { print }
' ${shq(PATHS.managedSections)} > "$work/managed"
owned=$(cat "$state/${STATE_FILES.ownedSections}" 2>/dev/null || true)
if ! awk -v mode=apply -v socket=${shq(s.haproxy.adminSocket)} -v remove="$owned" -f ${shq(editor)} "$work/managed" "$cfg" > "$work/candidate" 2> "$work/error"; then
    echo "C\${tab}error"
    awk '{ print "c\\t" $0 }' "$work/error"
elif cmp -s "$work/candidate" "$cfg"; then
    echo "C\${tab}same"
else
    echo "C\${tab}differs"
    { diff -u --label deployed --label "on the host" "$work/candidate" "$cfg" || true; } | ${MASK_USERS} | awk '{ print "c\\t" $0 }'
fi
`,
    );
}

/** What a repair puts back; each piece is one the check found drifted. */
export interface RepairPlan {
    /** Recorded files to restore: from their copies, or (content false) only their owner and mode. */
    files: { path: string; content: boolean }[];
    /** Install the release again: the binary drifted, and no copy of it is kept. */
    binary?: string;
    /** Directories to give back owner haproxy:haproxy and their mode (/etc/haproxy: group haproxy, g+w, o-rwx). */
    directories: string[];
    /** Run the haproxy.cfg edit again with the recorded managed sections. */
    haproxyCfg: boolean;
}

/**
 * Puts back exactly the pieces in the plan, in dependency order: files first
 * (the edit reads the restored editor and users), then directories, then
 * haproxy.cfg (validated and reloaded, never restarted, by the same edit the
 * deployment runs); then a daemon-reload if a unit file was restored, and a
 * restart of each unit whose own files were (the API; never HAProxy).
 */
export function driftRepairScript(s: DriftHostSpec, plan: RepairPlan, directoryMode: string): string {
    const restore = plan.files.map((f) => `restore ${shq(deployedId(f.path))} ${f.content ? "content" : "owner-mode"}`).join("\n");
    const dirs = plan.directories
        .map((d) =>
            d === "/etc/haproxy"
                ? "chgrp haproxy /etc/haproxy\nchmod g+w,o-rwx /etc/haproxy\necho \"repaired /etc/haproxy: $(stat -c '%U:%G %a' /etc/haproxy)\""
                : `install -d -o haproxy -g haproxy -m ${directoryMode} ${shq(d)}\necho "repaired ${d}: $(stat -c '%U:%G %a' ${shq(d)})"`,
        )
        .join("\n");
    const sub = (name: string, body: string) => `cat > "$work/${name}" <<'DPDEPLOY_REPAIR_END'\n${body}\nDPDEPLOY_REPAIR_END\n`;
    return script(
        `drift repair: restore ${[...plan.files.map((f) => f.path), ...(plan.binary ? [PATHS.binary] : []), ...plan.directories, ...(plan.haproxyCfg ? [`${s.haproxy.configFile} (managed sections)`] : [])].join(", ")}`,
        `
deployed=${shq(PATHS.deployedDir)}
tab=$'\\t'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
daemon_reload=0
restart=
restore() {
    local meta="$deployed/$1.meta" path owner group mode restarts tmp
    IFS="$tab" read -r path owner group mode _ _ _ _ restarts < "$meta"
    if [ "$2" = owner-mode ]; then
        chown "$owner:$group" "$path"
        chmod "$mode" "$path"
        echo "gave $path back its owner and mode ($owner:$group $mode)"
        return
    fi
    [ -d "\${path%/*}" ] || install -d -m 0755 "\${path%/*}"
    tmp=$(mktemp "\${path%/*}/.dpdeploy.XXXXXX")
    cp "$deployed/$1" "$tmp"
    chown "$owner:$group" "$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$path"
    echo "restored $path ($owner:$group $mode)"
    case "$path" in /etc/systemd/system/*) daemon_reload=1 ;; esac
    if [ "$restarts" != - ]; then restart="$restarts"; fi
}
${restore}
${
    plan.binary
        ? `${sub("install-binary", plan.binary)}bash "$work/install-binary" | sed -n '1,/^installed /p'
restart=${shq(PATHS.unitName)}
`
        : ""
}${dirs}
${plan.haproxyCfg ? `${sub("edit-haproxy-cfg", haproxyEditScript(s.haproxy))}bash "$work/edit-haproxy-cfg" < ${shq(PATHS.managedSections)}\n` : ""}if [ "$daemon_reload" = 1 ]; then systemctl daemon-reload; echo "systemd reloaded its units"; fi
if [ -n "$restart" ]; then
    systemctl restart "$restart"
    systemctl is-active --quiet "$restart" || { echo "$restart did not come back after its files were restored:" >&2; systemctl status --no-pager "$restart" >&2 || true; exit 1; }
    echo "restarted $restart: its own files were restored"
fi
`,
    );
}
