import { renderAsset } from "../shared/assets";
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
 * Validates the candidate as the Data Plane API will (as user haproxy, so a
 * file it cannot read fails here, not at the API's first commit), swaps it in
 * and reloads; on any failure puts the previous file back. `afterSwap` runs
 * once the new file is live. The edit and the revert both run it, as their
 * @SWAP_AND_RELOAD@: it stays here, defined once, because on its own as an
 * asset shellcheck would report the $cfg and $work it takes from them as
 * unassigned.
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
 * file the credentials step wrote, so this command carries no secret. Like the
 * revert, it holds the exclusive flock the Data Plane API takes on haproxy.cfg
 * for its own writes, from reading the file until the new one is in place. The
 * script is assets/haproxy/edit.sh.
 */
export function haproxyEditScript(e: HaproxyEditSpec): string {
    const usersDigest = e.usersDigest ? `# API users: ${e.usersDigest} (a digest of the hashed user lines)\n` : "";
    return script(
        `edit ${e.configFile}: master-worker, the admin socket for group haproxy, ${e.ownedSections.join(", ")}; validate, reload`,
        usersDigest +
            renderAsset("haproxy/edit.sh", {
                CONFIG_FILE: shq(e.configFile),
                STATE_DIR: shq(PATHS.stateDir),
                HAPROXY_CFG_BEFORE_FILE: STATE_FILES.haproxyCfgBefore,
                USERS: shq(PATHS.userlistUsers),
                PLACEHOLDER: shq(e.placeholder),
                OWNED_SECTIONS_FILE: STATE_FILES.ownedSections,
                OWNED_SECTIONS: shq(e.ownedSections.join("|")),
                ADMIN_SOCKET: shq(e.adminSocket),
                EDITOR: shq(PATHS.cfgEditor),
                UNIT: shq(PATHS.unitName),
                UNIT_TEXT: PATHS.unitName,
                SWAP_AND_RELOAD: swapAndReload(`
    # The API puts its last known good copy back when one of its reloads
    # fails; it refreshes that copy only after its own reloads, so it would
    # bring back the file from before this edit (an old userlist, say).
    lkg=${shq(`${e.backupsDir}/haproxy.cfg.lkg`)}
    if [ -d ${shq(e.backupsDir)} ]; then
        install -o haproxy -g haproxy -m 0644 "$cfg" "$lkg"
        echo "refreshed the API's last known good copy $lkg"
    fi`),
                MANAGED_SECTIONS: shq(PATHS.managedSections),
            }),
    );
}

/**
 * Takes the program's edit back out: its sections go, the global lines return
 * to their pre-deploy form. The script is assets/haproxy/revert.sh.
 */
export function haproxyRevertScript(e: HaproxyEditSpec): string {
    return script(
        `take the edit back out of ${e.configFile}: ${e.ownedSections.join(", ")} go, global as it was; validate, reload`,
        renderAsset("haproxy/revert.sh", {
            CONFIG_FILE: shq(e.configFile),
            STATE_DIR: shq(PATHS.stateDir),
            HAPROXY_CFG_BEFORE_FILE: STATE_FILES.haproxyCfgBefore,
            OWNED_SECTIONS_FILE: STATE_FILES.ownedSections,
            OWNED_SECTIONS: shq(e.ownedSections.join("|")),
            ADMIN_SOCKET: shq(e.adminSocket),
            EDITOR: shq(PATHS.cfgEditor),
            SWAP_AND_RELOAD: swapAndReload(),
            MANAGED_SECTIONS: shq(PATHS.managedSections),
            BACKUPS_DIR: shq(e.backupsDir),
            TRANSACTION_DIR: shq(e.transactionDir),
            REMOVE_STATE_DIR_IF_EMPTY,
        }),
    );
}
