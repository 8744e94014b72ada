rm -f @TMPFILES_PATH@
state=@STATE_DIR@
record="$state/@DIRECTORIES_BEFORE_FILE@"
storage=@DATAPLANE_STORAGE_DIR@
for dir in @DIRECTORIES_REVERSED@; do
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
if [ -f "$state/@ETC_HAPROXY_STAT_FILE@" ]; then
    read -r gid mode < "$state/@ETC_HAPROXY_STAT_FILE@"
    chgrp "$gid" /etc/haproxy
    chmod "$mode" /etc/haproxy
    rm -f "$state/@ETC_HAPROXY_STAT_FILE@"
    echo "restored /etc/haproxy to group $gid, mode $mode"
fi
@REMOVE_STATE_DIR_IF_EMPTY@
