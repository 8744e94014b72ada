import { PATHS } from "../shared/paths";
import { script, shq } from "../shared/shell";

export interface DirectorySpec {
    directories: readonly string[];
    tmpfiles: string;
}

/**
 * Creates the API's directories, owned by haproxy, and makes /etc/haproxy
 * group-writable (the API writes haproxy.cfg there by temp file and rename).
 * /etc/haproxy's previous group and mode are kept so destroy can give them back.
 */
export function directoriesScript(d: DirectorySpec): string {
    return script(`create the API's directories, owned by haproxy: ${d.directories.join(" ")}`, `
getent group haproxy >/dev/null || { echo "group haproxy does not exist: install HAProxy on this host first" >&2; exit 1; }
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
[ -e "$state/etc-haproxy.stat" ] || stat -c '%g %a' /etc/haproxy > "$state/etc-haproxy.stat"
chgrp haproxy /etc/haproxy
chmod g+w /etc/haproxy
for dir in ${d.directories.map(shq).join(" ")}; do
    install -d -o haproxy -g haproxy -m 0755 "$dir"
    echo "directory $dir: $(stat -c '%U:%G %a' "$dir")"
done
cat > ${shq(PATHS.tmpfiles)} <<'TMPFILES'
${d.tmpfiles.trimEnd()}
TMPFILES
systemd-tmpfiles --create ${shq(PATHS.tmpfiles)}
`);
}

export function removeDirectoriesScript(d: DirectorySpec): string {
    return script("remove the API's directories that are empty; give /etc/haproxy its group and mode back", `
rm -f ${shq(PATHS.tmpfiles)}
for dir in ${[...d.directories].reverse().map(shq).join(" ")}; do
    if rmdir "$dir" 2>/dev/null; then echo "removed $dir"; elif [ -d "$dir" ]; then echo "kept $dir: it is not empty"; fi
done
state=${shq(PATHS.stateDir)}
if [ -f "$state/etc-haproxy.stat" ]; then
    read -r gid mode < "$state/etc-haproxy.stat"
    chgrp "$gid" /etc/haproxy
    chmod "$mode" /etc/haproxy
    rm -f "$state/etc-haproxy.stat"
    echo "restored /etc/haproxy to group $gid, mode $mode"
fi
rmdir "$state" 2>/dev/null || true
`);
}
