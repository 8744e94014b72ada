# stop and disable dataplaneapi.service
set -euo pipefail
umask 022
cd /
systemctl disable --now 'dataplaneapi.service' 2>&1 || true
echo 'stopped and disabled dataplaneapi.service'
