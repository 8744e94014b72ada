# stop dataplaneapi.service
set -euo pipefail
umask 022
cd /
systemctl stop 'dataplaneapi.service' 2>&1 || true
rm -f '/var/lib/haproxy-dataplane-deploy/restart-key'
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
echo 'stopped dataplaneapi.service'
