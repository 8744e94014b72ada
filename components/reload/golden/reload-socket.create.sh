# reload service: root reloads (never restarts) HAProxy when group haproxy asks on /run/haproxy-dataplane/reload.sock
set -euo pipefail
umask 022
cd /
# Also opens /run/haproxy, the admin socket's directory, to group haproxy.
# units: 2290329c3b1f34e4
state='/var/lib/haproxy-dataplane-deploy'
install -d -m 0700 "$state"
admin_dir='/run/haproxy'
if [ -d "$admin_dir" ]; then
    [ -e "$state/admin-dir.stat" ] || stat -c '%g %a' "$admin_dir" > "$state/admin-dir.stat"
    chgrp haproxy "$admin_dir"
    chmod g+rx "$admin_dir"
    echo "admin socket directory $admin_dir: $(stat -c '%U:%G %a' "$admin_dir")"
fi
systemctl enable 'haproxy-dataplane-reload.socket' 2>&1
# A changed unit takes effect only when the socket is started again; a request
# in that instant is refused, and the API keeps its last known good file.
systemctl restart 'haproxy-dataplane-reload.socket'
socket='/run/haproxy-dataplane/reload.sock'
got=$(stat -c '%U:%G %a' "$socket" 2>/dev/null || echo missing)
if [ "$got" != "root:haproxy 660" ]; then
    echo "the reload socket $socket is $got, not root:haproxy 660:" >&2
    systemctl status --no-pager 'haproxy-dataplane-reload.socket' >&2 || true
    exit 1
fi
echo "listening for reload requests on $socket ($got); HAProxy was not restarted"
