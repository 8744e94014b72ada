import { PATHS, STATE_FILES } from "../shared/paths";
import { REMOVE_STATE_DIR_IF_EMPTY, script, shq } from "../shared/shell";

export interface HaproxyEditSpec {
    configFile: string;
    adminSocket: string;
    /** Ids of the sections the program owns (see sections.ts managedSectionIds). */
    ownedSections: readonly string[];
    placeholder: string;
    /** The API's backups_dir, where it keeps haproxy.cfg.lkg and haproxy.cfg.<version>. */
    backupsDir: string;
    /** The API's transaction_dir, where it keeps haproxy.cfg.<id> (and failed/, outdated/). */
    transactionDir: string;
    /** Digest of the hashed user lines, so that a new password changes this script (and re-runs it). */
    usersDigest?: string;
}

/**
 * A work directory removed on exit, and the exclusive flock the Data Plane API
 * takes on haproxy.cfg itself for its writes, held from reading the file until
 * the new one is in place.
 */
const LOCKED_WORK_DIR = `work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$cfg.dpdeploy.new"' EXIT
exec 9< "$cfg"
flock -w 60 9 || { echo "waited 60 s for the lock the Data Plane API holds on $cfg; try again" >&2; exit 1; }
`;

/**
 * Validates the candidate as the Data Plane API will (as user haproxy, so a
 * file it cannot read fails here, not at the API's first commit), swaps it in
 * and reloads; on any failure puts the previous file back. `afterSwap` runs
 * once the new file is live.
 */
function swapAndReload(afterSwap = ""): string {
    return `
swap_in() {
    cp -p "$1" "$cfg.dpdeploy.new"
    mv -f "$cfg.dpdeploy.new" "$cfg"
}
if cmp -s "$work/candidate" "$cfg"; then
    echo "$cfg: already as wanted"
else
    chgrp haproxy "$work" "$work/candidate"
    chmod 0750 "$work"
    chmod 0640 "$work/candidate"
    if ! runuser -u haproxy -- haproxy -c -q -f "$work/candidate" 2>/dev/null; then
        echo "the candidate $cfg is rejected by haproxy -c run as user haproxy, as the Data Plane API validates every change" >&2
        echo "(every file it names must be readable by haproxy); the live file is unchanged:" >&2
        runuser -u haproxy -- haproxy -c -f "$work/candidate" >&2 || true
        exit 1
    fi
    cp -p "$cfg" "$work/previous"
    chown --reference="$cfg" "$work/candidate"
    chmod --reference="$cfg" "$work/candidate"
    swap_in "$work/candidate"
    diff -u "$work/previous" "$cfg" | sed -n '3,$p' | grep -E '^[-+]' | sed 's/^\\([-+][[:space:]]*user\\)[[:space:]].*/\\1 <masked>/' || true
    if systemctl is-active --quiet haproxy.service; then
        # The reload helper gives HAProxy's own verdict (systemctl reload exits 0
        # even when HAProxy refuses the file), and waits for any reload the API runs.
        if ! verdict=$(${shq(PATHS.reloadHelper)}); then
            echo "$verdict; restoring the previous $cfg" >&2
            swap_in "$work/previous"
            ${shq(PATHS.reloadHelper)} >&2 || true
            exit 1
        fi
        echo "validated $cfg and reloaded HAProxy ($verdict)"
    else
        echo "validated $cfg; HAProxy is not running, so it takes effect when it starts"
    fi
${afterSwap.trim()}
fi
`;
}

/**
 * Applies the program's edit to haproxy.cfg. stdin is the managed sections with a
 * placeholder where the hashed user lines go; those are read from the root-only
 * file the credentials step wrote, so this command carries no secret.
 */
export function haproxyEditScript(e: HaproxyEditSpec): string {
    return script(
        `edit ${e.configFile}: master-worker, the admin socket for group haproxy, ${e.ownedSections.join(", ")}; validate, reload`,
        `
${e.usersDigest ? `# API users: ${e.usersDigest} (a digest of the hashed user lines)\n` : ""}cfg=${shq(e.configFile)}
state=${shq(PATHS.stateDir)}
[ -f "$cfg" ] || { echo "$cfg does not exist: is HAProxy installed?" >&2; exit 1; }
install -d -m 0700 "$state"
[ -e "$state/${STATE_FILES.haproxyCfgBefore}" ] || cp -p "$cfg" "$state/${STATE_FILES.haproxyCfgBefore}"
${LOCKED_WORK_DIR}cat > "$work/template"
awk -v users=${shq(PATHS.userlistUsers)} -v placeholder=${shq(e.placeholder)} '
    $1 == placeholder { while ((getline line < users) > 0) print line; next }
    { print }
' "$work/template" > "$work/managed"
previous_owned=$(cat "$state/${STATE_FILES.ownedSections}" 2>/dev/null || true)
owned=${shq(e.ownedSections.join("|"))}
if ! awk -v mode=apply -v socket=${shq(e.adminSocket)} -v remove="$previous_owned" \\
    -f ${shq(PATHS.cfgEditor)} "$work/managed" "$cfg" > "$work/candidate"; then
    echo "the edit of $cfg stopped (the reason is above); the live file is unchanged" >&2
    exit 1
fi
# The API reads its userlist's name only when it starts, and exits when that
# userlist disappears from haproxy.cfg: when the name changes, it is stopped
# before the old userlist goes, and the start step starts it with the new one.
if [ -n "$previous_owned" ] && [ "$previous_owned" != "$owned" ] && systemctl is-active --quiet ${shq(PATHS.unitName)}; then
    systemctl stop ${shq(PATHS.unitName)}
    echo "stopped ${PATHS.unitName}: its userlist is renamed, and it starts again with the new one"
fi
${swapAndReload(`
    # The API puts its last known good copy back when one of its reloads
    # fails; it refreshes that copy only after its own reloads, so it would
    # bring back the file from before this edit (an old userlist, say).
    lkg=${shq(`${e.backupsDir}/haproxy.cfg.lkg`)}
    if [ -d ${shq(e.backupsDir)} ]; then
        install -o haproxy -g haproxy -m 0644 "$cfg" "$lkg"
        echo "refreshed the API's last known good copy $lkg"
    fi`)}
printf '%s\\n' "$owned" > "$state/${STATE_FILES.ownedSections}"
# What this edit applied, for the drift check (the user lines stay a placeholder).
install -m 0600 "$work/template" ${shq(PATHS.managedSections)}
# The API re-reads its users from the userlist on SIGUSR2.
# Only the main process: a reload helper or haproxy -c the API is running
# at that moment must not get the signal.
if systemctl is-active --quiet ${shq(PATHS.unitName)}; then systemctl kill --kill-who=main -s USR2 ${shq(PATHS.unitName)}; fi
`,
    );
}

/** Takes the program's edit back out: its sections go, the global lines return to their pre-deploy form. */
export function haproxyRevertScript(e: HaproxyEditSpec): string {
    return script(
        `take the edit back out of ${e.configFile}: ${e.ownedSections.join(", ")} go, global as it was; validate, reload`,
        `
cfg=${shq(e.configFile)}
state=${shq(PATHS.stateDir)}
if [ ! -f "$state/${STATE_FILES.haproxyCfgBefore}" ] || [ ! -f "$cfg" ]; then
    echo "no pre-deploy copy of $cfg; leaving it as it is"
    exit 0
fi
${LOCKED_WORK_DIR}owned=$(cat "$state/${STATE_FILES.ownedSections}" 2>/dev/null || printf '%s' ${shq(e.ownedSections.join("|"))})
if ! awk -v mode=revert -v socket=${shq(e.adminSocket)} -v remove="$owned" \\
    -f ${shq(PATHS.cfgEditor)} "$state/${STATE_FILES.haproxyCfgBefore}" "$cfg" > "$work/candidate"; then
    echo "taking the edit back out of $cfg stopped (the reason is above); the live file is unchanged" >&2
    exit 1
fi
${swapAndReload()}
# The API renames its own copy into place, so haproxy.cfg is now user haproxy's;
# with the API gone it gets the owner and mode it had before the first deploy.
chown --reference="$state/${STATE_FILES.haproxyCfgBefore}" "$cfg"
chmod --reference="$state/${STATE_FILES.haproxyCfgBefore}" "$cfg"
echo "$cfg: $(stat -c '%U:%G %a' "$cfg"), as before the first deploy"
rm -f "$state/${STATE_FILES.haproxyCfgBefore}" "$state/${STATE_FILES.ownedSections}" ${shq(PATHS.managedSections)}
# The copies of haproxy.cfg the API kept (its backups, its last known good copy
# the program refreshed, its open, failed and outdated transactions) each hold
# the API users' password hashes, and nothing reads them once the API is gone.
# Only the API's own names go: <file>.lkg, <file>.<version>, <file>.<transaction id>.
base=$(basename "$cfg")
backups=${shq(e.backupsDir)}
transactions=${shq(e.transactionDir)}
copies=0
for f in "$backups/$base".* "$transactions/$base".* "$transactions/failed/$base".* "$transactions/outdated/$base".*; do
    suffix=\${f##*/"$base".}
    if [ -f "$f" ] && [[ $suffix =~ ^(lkg|[0-9]+|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$ ]]; then
        rm -f "$f"
        copies=$((copies + 1))
    fi
done
rmdir "$transactions/failed" "$transactions/outdated" 2>/dev/null || true
${REMOVE_STATE_DIR_IF_EMPTY}
echo "removed $copies copies of $cfg the API kept in $backups and $transactions"
`,
    );
}
