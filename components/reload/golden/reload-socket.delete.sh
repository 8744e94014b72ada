# stop the reload service on /run/haproxy-dataplane/reload.sock; give /run/haproxy its group and mode back
set -euo pipefail
umask 022
cd /
systemctl disable --now 'haproxy-dataplane-reload.socket' 2>&1 || true
rm -f '/run/haproxy-dataplane/reload.sock'
rmdir '/run/haproxy-dataplane' 2>/dev/null || true
echo 'stopped haproxy-dataplane-reload.socket'
state='/var/lib/haproxy-dataplane-deploy'
admin_dir='/run/haproxy'
if [ -f "$state/admin-dir.stat" ]; then
    read -r gid mode < "$state/admin-dir.stat"
    if [ -d "$admin_dir" ]; then chgrp "$gid" "$admin_dir"; chmod "$mode" "$admin_dir"; fi
    rm -f "$state/admin-dir.stat"
    echo "restored $admin_dir to group $gid, mode $mode"
fi
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
