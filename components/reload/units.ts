import { renderAsset } from "../shared/assets";
import { MANAGED_BY, PATHS } from "../shared/paths";

/**
 * The reload service's socket: group haproxy (the Data Plane API's user) may
 * connect, and each connection starts one instance of the template service
 * below (Accept=yes). Connecting is the whole request: the service reads
 * nothing from it, so the only thing the group can ask for is a reload.
 * Reloads are serialised by the helper's lock; more waiting requests than
 * MaxConnections are refused. The unit is assets/reload/haproxy-dataplane-reload.socket.
 */
export function renderReloadSocketUnit(): string {
    return renderAsset("reload/haproxy-dataplane-reload.socket", { MANAGED_BY, SOCKET: PATHS.reloadSocket });
}

/**
 * One reload per connection, as root: the helper talks to HAProxy's stock,
 * root-only master socket and writes its verdict line back to the connection.
 * Its diagnostics go to the journal. systemd.socket(5) recommends
 * CollectMode=inactive-or-failed for Accept=yes services, so failed
 * instances do not pile up. The sandbox, from NoNewPrivileges=true on, is
 * this strict because the helper only connects to the master socket and locks
 * its own file: it writes nothing. The unit is
 * assets/reload/haproxy-dataplane-reload@.service.
 */
export function renderReloadServiceUnit(): string {
    return renderAsset("reload/haproxy-dataplane-reload@.service", { MANAGED_BY, HELPER: PATHS.reloadHelper });
}
