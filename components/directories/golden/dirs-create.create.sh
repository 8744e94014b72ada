# create the API's directories, owned by haproxy: /etc/haproxy-dataplane /etc/haproxy/dataplane /etc/haproxy/maps /etc/haproxy/ssl /etc/haproxy/general /etc/haproxy/spoe /etc/haproxy/acl /etc/haproxy/transactions /etc/haproxy/config_snippets /etc/haproxy/backups /tmp/spoe-haproxy
set -euo pipefail
umask 022
cd /
getent group haproxy >/dev/null || { echo "group haproxy does not exist: install HAProxy on this host first" >&2; exit 1; }
state='/var/lib/haproxy-dataplane-deploy'
install -d -m 0700 "$state"
[ -e "$state/etc-haproxy.stat" ] || stat -c '%g %a' /etc/haproxy > "$state/etc-haproxy.stat"
chgrp haproxy /etc/haproxy
chmod g+w,o-rwx /etc/haproxy
# What each directory was before the first run, so destroy can give it back:
# "created", or "existed uid gid mode" for one the host already had.
record="$state/directories.before"
touch "$record"
wanted=('/etc/haproxy-dataplane' '/etc/haproxy/dataplane' '/etc/haproxy/maps' '/etc/haproxy/ssl' '/etc/haproxy/general' '/etc/haproxy/spoe' '/etc/haproxy/acl' '/etc/haproxy/transactions' '/etc/haproxy/config_snippets' '/etc/haproxy/backups' '/tmp/spoe-haproxy')
# A directory an earlier run took and the stack no longer lists is given back,
# deepest first: one that existed gets its owner and mode back; one the program
# created is removed when empty, else returned to root (its content kept, out
# of haproxy's reach). One that still holds a listed directory stays haproxy's.
while read -r dir was uid gid mode; do
    for want in "${wanted[@]}"; do [ "$want" = "$dir" ] && continue 2; done
    for want in "${wanted[@]}"; do
        case "$want" in "$dir"/*)
            echo "kept $dir for haproxy: $want, which directories lists, is in it"
            continue 2 ;;
        esac
    done
    if [ -L "$dir" ] || [ ! -d "$dir" ]; then
        echo "forgot $dir: it is no longer a directory"
    elif [ "$was" = existed ]; then
        chown "$uid:$gid" "$dir"
        chmod "$mode" "$dir"
        echo "gave $dir back its owner $uid:$gid and mode $mode: directories no longer lists it"
    elif rmdir "$dir" 2>/dev/null; then
        echo "removed $dir: directories no longer lists it"
    else
        chown root:root "$dir"
        chmod 0750 "$dir"
        echo "gave $dir to root:root 0750, its content kept: directories no longer lists it, and it is not empty"
    fi
    awk -v d="$dir" '$1 != d' "$record" > "$record.new"
    mv "$record.new" "$record"
done < <(sort -r "$record")
for dir in "${wanted[@]}"; do
    # Checked again here, not only in the preflight: user haproxy can rename
    # entries of /etc/haproxy, so a listed path may have become a link since.
    real=$(realpath -m -- "$dir")
    if [ "$real" != "$dir" ]; then
        echo "directories: $dir leads to $real through a symbolic link; it was not handed to haproxy" >&2
        exit 1
    fi
    if ! awk -v d="$dir" '$1 == d { found = 1 } END { exit !found }' "$record"; then
        if [ -d "$dir" ]; then echo "$dir existed $(stat -c '%u %g %a' "$dir")" >> "$record"; else echo "$dir created" >> "$record"; fi
    fi
    install -d -o haproxy -g haproxy -m 0750 "$dir"
    echo "directory $dir: $(stat -c '%U:%G %a' "$dir")"
done
cat > '/etc/tmpfiles.d/haproxy-dataplaneapi.conf' <<'TMPFILES'
# Managed by haproxy-dataplane-deploy (Pulumi). Local edits are overwritten by `pulumi up`.
d /tmp/spoe-haproxy 0750 haproxy haproxy -
TMPFILES
systemd-tmpfiles --create '/etc/tmpfiles.d/haproxy-dataplaneapi.conf'
