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
 * the program opens its master socket to no one.
 */
export function reloadServiceScript(s: ReloadServiceSpec): string {
    const socketUnit = PATHS.reloadSocketUnitName;
    return script(
        `reload service: root reloads (never restarts) HAProxy when group haproxy asks on ${PATHS.reloadSocket}`,
        `
# Also opens ${dirname(s.adminSocket)}, the admin socket's directory, to group haproxy.
# units: ${s.unitsDigest}
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
admin_dir=${shq(dirname(s.adminSocket))}
if [ -d "$admin_dir" ]; then
    [ -e "$state/${STATE_FILES.adminDirStat}" ] || stat -c '%g %a' "$admin_dir" > "$state/${STATE_FILES.adminDirStat}"
    chgrp haproxy "$admin_dir"
    chmod g+rx "$admin_dir"
    echo "admin socket directory $admin_dir: $(stat -c '%U:%G %a' "$admin_dir")"
fi
systemctl enable ${shq(socketUnit)} 2>&1
# A changed unit takes effect only when the socket is started again; a request
# in that instant is refused, and the API keeps its last known good file.
systemctl restart ${shq(socketUnit)}
socket=${shq(PATHS.reloadSocket)}
got=$(stat -c '%U:%G %a' "$socket" 2>/dev/null || echo missing)
if [ "$got" != "root:haproxy 660" ]; then
    echo "the reload socket $socket is $got, not root:haproxy 660:" >&2
    systemctl status --no-pager ${shq(socketUnit)} >&2 || true
    exit 1
fi
echo "listening for reload requests on $socket ($got); HAProxy was not restarted"
`,
    );
}

/** Stops the reload service and gives the admin socket's directory its group and mode back. */
export function removeReloadServiceScript(s: Pick<ReloadServiceSpec, "adminSocket">): string {
    return script(
        `stop the reload service on ${PATHS.reloadSocket}; give ${dirname(s.adminSocket)} its group and mode back`,
        `
systemctl disable --now ${shq(PATHS.reloadSocketUnitName)} 2>&1 || true
rm -f ${shq(PATHS.reloadSocket)}
rmdir ${shq(dirname(PATHS.reloadSocket))} 2>/dev/null || true
echo ${shq(`stopped ${PATHS.reloadSocketUnitName}`)}
state=${shq(PATHS.stateDir)}
admin_dir=${shq(dirname(s.adminSocket))}
if [ -f "$state/${STATE_FILES.adminDirStat}" ]; then
    read -r gid mode < "$state/${STATE_FILES.adminDirStat}"
    if [ -d "$admin_dir" ]; then chgrp "$gid" "$admin_dir"; chmod "$mode" "$admin_dir"; fi
    rm -f "$state/${STATE_FILES.adminDirStat}"
    echo "restored $admin_dir to group $gid, mode $mode"
fi
${REMOVE_STATE_DIR_IF_EMPTY}
`,
    );
}
