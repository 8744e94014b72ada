import { PATHS } from "../shared/paths";
import { dirname, script, shq } from "../shared/shell";
import { masterSocketArgument } from "./dropin";

export interface SocketSpec {
    masterSocket: string;
    adminSocket: string;
    /** HAProxy's config file, validated before a restart. */
    configFile: string;
}

/**
 * Makes the running HAProxy match the drop-in. HAProxy's master re-creates its
 * master socket with the options it was started with at every reload (master
 * CLI reload and SIGUSR2 alike), so a chgrp/chmod of the live socket lasts
 * only until the first reload. The options must be on the running master's
 * command line: if they are not, HAProxy is restarted once, here. Later runs
 * find them and do not restart. The admin socket's directory is opened to
 * group haproxy; its previous group and mode are kept for destroy.
 */
export function socketPermissionsScript(s: SocketSpec): string {
    const adminDir = dirname(s.adminSocket);
    return script(
        `restart HAProxy once if its master lacks ${masterSocketArgument(s.masterSocket)}; open ${dirname(s.adminSocket)} to group haproxy`,
        `
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
want=${shq(masterSocketArgument(s.masterSocket))}
admin_dir=${shq(adminDir)}
if [ -d "$admin_dir" ]; then
    [ -e "$state/admin-dir.stat" ] || stat -c '%g %a' "$admin_dir" > "$state/admin-dir.stat"
    chgrp haproxy "$admin_dir"
    chmod g+rx "$admin_dir"
    echo "admin socket directory $admin_dir: $(stat -c '%U:%G %a' "$admin_dir")"
fi
if ! systemctl is-active --quiet haproxy.service; then
    echo "HAProxy is not running; it opens its master socket to group haproxy when it starts"
    exit 0
fi
pid=$(systemctl show -p MainPID --value haproxy.service)
running=$(tr '\\0' ' ' < "/proc/$pid/cmdline")
if [[ " $running " == *" $want "* ]]; then
    echo "HAProxy's master (pid $pid) was started with $want: not restarted"
else
    haproxy -c -q -f ${shq(s.configFile)}
    systemctl restart haproxy.service
    echo "restarted HAProxy once, so that its master keeps the master socket open to group haproxy across reloads (it was started as: $running)"
fi
echo "master socket ${s.masterSocket}: $(stat -c '%U:%G %a' ${shq(s.masterSocket)} 2>/dev/null || echo missing)"
`,
    );
}

/** Gives the admin socket's directory its group and mode back. The master socket keeps its options until HAProxy's next start. */
export function restoreSocketPermissionsScript(s: SocketSpec): string {
    return script(
        `give ${dirname(s.adminSocket)} its group and mode back`,
        `
state=${shq(PATHS.stateDir)}
admin_dir=${shq(dirname(s.adminSocket))}
if [ -f "$state/admin-dir.stat" ]; then
    read -r gid mode < "$state/admin-dir.stat"
    if [ -d "$admin_dir" ]; then chgrp "$gid" "$admin_dir"; chmod "$mode" "$admin_dir"; fi
    rm -f "$state/admin-dir.stat"
    echo "restored $admin_dir to group $gid, mode $mode"
fi
`,
    );
}
