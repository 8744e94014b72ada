# remove /etc/haproxy-dataplane/dataplaneapi.yaml
set -euo pipefail
umask 022
cd /
rm -f '/etc/haproxy-dataplane/dataplaneapi.yaml'
rm -f '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%dataplaneapi.yaml' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%dataplaneapi.yaml.meta'
rmdir '/var/lib/haproxy-dataplane-deploy/deployed' 2>/dev/null || true
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true


echo 'removed /etc/haproxy-dataplane/dataplaneapi.yaml'
