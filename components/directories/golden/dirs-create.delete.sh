# remove the API's directories it created (if empty, but for the API's own state), give the others and /etc/haproxy their owner and mode back
set -euo pipefail
umask 022
cd /
rm -f '/etc/tmpfiles.d/haproxy-dataplaneapi.conf'
state='/var/lib/haproxy-dataplane-deploy'
record="$state/directories.before"
storage='/etc/haproxy/dataplane'
for dir in '/tmp/spoe-haproxy' '/etc/haproxy/backups' '/etc/haproxy/config_snippets' '/etc/haproxy/transactions' '/etc/haproxy/acl' '/etc/haproxy/spoe' '/etc/haproxy/general' '/etc/haproxy/ssl' '/etc/haproxy/maps' '/etc/haproxy/dataplane' '/etc/haproxy-dataplane'; do
    read -r _ was uid gid mode < <(awk -v d="$dir" '$1 == d' "$record" 2>/dev/null) || true
    if [ "${was:-}" = existed ] && [ -d "$dir" ]; then
        chown "$uid:$gid" "$dir"
        chmod "$mode" "$dir"
        echo "gave $dir back its owner $uid:$gid and mode $mode: it was there before"
        was=
        continue
    fi
    if [ "$dir" = "$storage" ] && [ -d "$dir" ]; then
        # The API's own state, which it writes in its storage directory at its first
        # start and nothing reads once the API is gone: its cluster settings and the
        # Consul and AWS service discovery settings made through it.
        rm -f "$dir/cluster.json" "$dir/service_discovery/consul.json" "$dir/service_discovery/aws.json"
        rmdir "$dir/service_discovery" 2>/dev/null || true
    fi
    if rmdir "$dir" 2>/dev/null; then echo "removed $dir"; elif [ -d "$dir" ]; then echo "kept $dir: it is not empty"; fi
    was=
done
rm -f "$record"
if [ -f "$state/etc-haproxy.stat" ]; then
    read -r gid mode < "$state/etc-haproxy.stat"
    chgrp "$gid" /etc/haproxy
    chmod "$mode" /etc/haproxy
    rm -f "$state/etc-haproxy.stat"
    echo "restored /etc/haproxy to group $gid, mode $mode"
fi
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
