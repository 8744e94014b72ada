# remove /etc/systemd/system/haproxy-dataplane-reload@.service
set -euo pipefail
umask 022
cd /
rm -f '/etc/systemd/system/haproxy-dataplane-reload@.service'
rm -f '/var/lib/haproxy-dataplane-deploy/deployed/%etc%systemd%system%haproxy-dataplane-reload@.service' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%systemd%system%haproxy-dataplane-reload@.service.meta'
rmdir '/var/lib/haproxy-dataplane-deploy/deployed' 2>/dev/null || true
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true

systemctl daemon-reload
echo 'removed /etc/systemd/system/haproxy-dataplane-reload@.service'
