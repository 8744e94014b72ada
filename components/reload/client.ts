import { renderAsset } from "../shared/assets";
import { MANAGED_BY, PATHS } from "../shared/paths";
import { RELOAD_WAIT_SECONDS } from "../haproxy/reloadHelper";

/**
 * The API's reload_cmd (and restart_cmd: the API never gets to restart
 * HAProxy). Run as user haproxy, under the API unit's NoNewPrivileges: it
 * connects to the reload service's socket, which is all a request is, and
 * exits with the verdict the service sends back. The API judges reload_cmd by
 * its exit status and puts its last known good haproxy.cfg back when it fails.
 * The API splits reload_cmd on spaces and runs it without a shell, so this is
 * one path with no arguments. The script is assets/reload/reload-client.sh.
 */
export function renderReloadClient(socket: string = PATHS.reloadSocket, waitSeconds = RELOAD_WAIT_SECONDS + 10): string {
    return renderAsset("reload/reload-client.sh", { MANAGED_BY, SOCKET: socket, WAIT_SECONDS: waitSeconds });
}
