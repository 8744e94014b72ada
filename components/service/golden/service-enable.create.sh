# enable dataplaneapi.service
set -euo pipefail
umask 022
cd /
systemctl enable 'dataplaneapi.service' 2>&1
echo "enabled: $(systemctl is-enabled 'dataplaneapi.service')"
