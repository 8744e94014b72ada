getent group haproxy >/dev/null || { echo "group haproxy does not exist: install HAProxy on this host first" >&2; exit 1; }
state=@STATE_DIR@
install -d -m 0700 "$state"
[ -e "$state/@ETC_HAPROXY_STAT_FILE@" ] || stat -c '%g %a' /etc/haproxy > "$state/@ETC_HAPROXY_STAT_FILE@"
chgrp haproxy /etc/haproxy
chmod g+w,o-rwx /etc/haproxy
# What each directory was before the first run, so destroy can give it back:
# "created", or "existed uid gid mode" for one the host already had.
record="$state/@DIRECTORIES_BEFORE_FILE@"
touch "$record"
for dir in @DIRECTORIES@; do
    if ! awk -v d="$dir" '$1 == d { found = 1 } END { exit !found }' "$record"; then
        if [ -d "$dir" ]; then echo "$dir existed $(stat -c '%u %g %a' "$dir")" >> "$record"; else echo "$dir created" >> "$record"; fi
    fi
    install -d -o haproxy -g haproxy -m @DIRECTORY_MODE@ "$dir"
    echo "directory $dir: $(stat -c '%U:%G %a' "$dir")"
done
cat > @TMPFILES_PATH@ <<'TMPFILES'
@TMPFILES@
TMPFILES
systemd-tmpfiles --create @TMPFILES_PATH@
