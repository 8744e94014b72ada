import { renderAsset } from "../shared/assets";
import { PATHS, STATE_FILES } from "../shared/paths";
import { dirname, REMOVE_STATE_DIR_IF_EMPTY, script, shq } from "../shared/shell";

export interface ReloadServiceSpec {
    /** HAProxy's admin socket; its directory is opened to group haproxy. */
    adminSocket: string;
    /** Digest of the socket and service units, so that a change to them re-runs the step (and restarts the socket). */
    unitsDigest: string;
}

/**
 * Starts the reload service's socket, and opens the admin socket's directory
 * to group haproxy, keeping its previous group and mode for destroy. Nothing
 * here touches haproxy.service: HAProxy keeps running as it was started, and
 * the program opens its master socket to no one. The script is
 * assets/reload/start-socket.sh.
 */
export function reloadServiceScript(s: ReloadServiceSpec): string {
    return script(
        `reload service: root reloads (never restarts) HAProxy when group haproxy asks on ${PATHS.reloadSocket}`,
        renderAsset("reload/start-socket.sh", {
            ADMIN_DIR_TEXT: dirname(s.adminSocket),
            UNITS_DIGEST: s.unitsDigest,
            STATE_DIR: shq(PATHS.stateDir),
            ADMIN_DIR: shq(dirname(s.adminSocket)),
            ADMIN_DIR_STAT_FILE: STATE_FILES.adminDirStat,
            SOCKET_UNIT: shq(PATHS.reloadSocketUnitName),
            SOCKET: shq(PATHS.reloadSocket),
        }),
    );
}

/**
 * Stops the reload service and gives the admin socket's directory its group
 * and mode back. The script is assets/reload/stop-socket.sh.
 */
export function removeReloadServiceScript(s: Pick<ReloadServiceSpec, "adminSocket">): string {
    return script(
        `stop the reload service on ${PATHS.reloadSocket}; give ${dirname(s.adminSocket)} its group and mode back`,
        renderAsset("reload/stop-socket.sh", {
            SOCKET_UNIT: shq(PATHS.reloadSocketUnitName),
            SOCKET_UNIT_TEXT: PATHS.reloadSocketUnitName,
            SOCKET: shq(PATHS.reloadSocket),
            SOCKET_DIR: shq(dirname(PATHS.reloadSocket)),
            STATE_DIR: shq(PATHS.stateDir),
            ADMIN_DIR: shq(dirname(s.adminSocket)),
            ADMIN_DIR_STAT_FILE: STATE_FILES.adminDirStat,
            REMOVE_STATE_DIR_IF_EMPTY,
        }),
    );
}
