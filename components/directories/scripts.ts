import { PATHS, STATE_FILES } from "../shared/paths";
import { REMOVE_STATE_DIR_IF_EMPTY, script, shq } from "../shared/shell";
import { DIRECTORY_MODE } from "./tmpfiles";

export interface DirectorySpec {
    directories: readonly string[];
    tmpfiles: string;
}

/**
 * Creates the API's directories, owned by haproxy, and makes /etc/haproxy
 * group-writable (the API writes haproxy.cfg there by temp file and rename)
 * and closed to other users: haproxy.cfg holds the API users' password hashes,
 * and the API rewrites it 0644 whatever the umask, so the directory is what
 * keeps the hashes from anyone with a shell on the host.
 * What each directory was before (absent, or its owner and mode) and
 * /etc/haproxy's previous group and mode are kept so destroy can give them back.
 */
export function directoriesScript(d: DirectorySpec): string {
    return script(
        `create the API's directories, owned by haproxy: ${d.directories.join(" ")}`,
        `
getent group haproxy >/dev/null || { echo "group haproxy does not exist: install HAProxy on this host first" >&2; exit 1; }
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
[ -e "$state/${STATE_FILES.etcHaproxyStat}" ] || stat -c '%g %a' /etc/haproxy > "$state/${STATE_FILES.etcHaproxyStat}"
chgrp haproxy /etc/haproxy
chmod g+w,o-rwx /etc/haproxy
# What each directory was before the first run, so destroy can give it back:
# "created", or "existed uid gid mode" for one the host already had.
record="$state/${STATE_FILES.directoriesBefore}"
touch "$record"
for dir in ${d.directories.map(shq).join(" ")}; do
    if ! awk -v d="$dir" '$1 == d { found = 1 } END { exit !found }' "$record"; then
        if [ -d "$dir" ]; then echo "$dir existed $(stat -c '%u %g %a' "$dir")" >> "$record"; else echo "$dir created" >> "$record"; fi
    fi
    install -d -o haproxy -g haproxy -m ${DIRECTORY_MODE} "$dir"
    echo "directory $dir: $(stat -c '%U:%G %a' "$dir")"
done
cat > ${shq(PATHS.tmpfiles)} <<'TMPFILES'
${d.tmpfiles.trimEnd()}
TMPFILES
systemd-tmpfiles --create ${shq(PATHS.tmpfiles)}
`,
    );
}

export function removeDirectoriesScript(d: DirectorySpec): string {
    return script(
        "remove the API's directories it created (if empty), give the others and /etc/haproxy their owner and mode back",
        `
rm -f ${shq(PATHS.tmpfiles)}
state=${shq(PATHS.stateDir)}
record="$state/${STATE_FILES.directoriesBefore}"
for dir in ${[...d.directories].reverse().map(shq).join(" ")}; do
    read -r _ was uid gid mode < <(awk -v d="$dir" '$1 == d' "$record" 2>/dev/null) || true
    if [ "\${was:-}" = existed ] && [ -d "$dir" ]; then
        chown "$uid:$gid" "$dir"
        chmod "$mode" "$dir"
        echo "gave $dir back its owner $uid:$gid and mode $mode: it was there before"
    elif rmdir "$dir" 2>/dev/null; then echo "removed $dir"; elif [ -d "$dir" ]; then echo "kept $dir: it is not empty"; fi
    was=
done
rm -f "$record"
if [ -f "$state/${STATE_FILES.etcHaproxyStat}" ]; then
    read -r gid mode < "$state/${STATE_FILES.etcHaproxyStat}"
    chgrp "$gid" /etc/haproxy
    chmod "$mode" /etc/haproxy
    rm -f "$state/${STATE_FILES.etcHaproxyStat}"
    echo "restored /etc/haproxy to group $gid, mode $mode"
fi
${REMOVE_STATE_DIR_IF_EMPTY}
`,
    );
}
