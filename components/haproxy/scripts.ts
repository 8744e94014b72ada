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
 * once the new file is live. The edit and the revert both paste it in, as
 * their @SWAP_AND_RELOAD@; it is assets/haproxy/parts/swap-and-reload.sh.
 */
function swapAndReload(afterSwap = ""): string {
    return `\n${renderAsset("haproxy/parts/swap-and-reload.sh", { RELOAD_HELPER: shq(PATHS.reloadHelper), AFTER_SWAP: afterSwap })}`;
}

/**
 * Applies the program's edit to haproxy.cfg. stdin is the managed sections with a
 * placeholder where the hashed user lines go; those are read from the root-only
 * file the credentials step wrote, so this command carries no secret. Like the
 * revert, it holds the exclusive flock the Data Plane API takes on haproxy.cfg
 * for its own writes, from reading the file until the new one is in place. The
 * script is assets/haproxy/edit.sh, with parts/swap-and-reload.sh and
 * parts/refresh-lkg.sh pasted in; golden/haproxy-cfg.create.sh is the whole
 * of it as it runs.
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
                // Its first line stands at the start of the line, as it always has: the
                // script's text may not change (a deployed host would update).
                SWAP_AND_RELOAD: swapAndReload(
                    renderAsset("haproxy/parts/refresh-lkg.sh", { LKG: shq(`${e.backupsDir}/haproxy.cfg.lkg`), BACKUPS_DIR: shq(e.backupsDir) }).trim(),
                ),
                MANAGED_SECTIONS: shq(PATHS.managedSections),
            }),
    );
}

/**
 * Takes the program's edit back out: its sections go, the global lines return
 * to their pre-deploy form. The script is assets/haproxy/revert.sh, with
 * parts/swap-and-reload.sh pasted in; golden/haproxy-cfg.delete.sh is the
 * whole of it as it runs.
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
