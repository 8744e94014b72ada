# remove /usr/local/bin/dataplaneapi
set -euo pipefail
umask 022
cd /
rm -f '/usr/local/bin/dataplaneapi' '/usr/local/bin/.dataplaneapi.new'
rm -f '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%bin%dataplaneapi' '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%bin%dataplaneapi.meta'
rmdir '/var/lib/haproxy-dataplane-deploy/deployed' 2>/dev/null || true
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
rm -rf '/var/lib/haproxy-dataplane-deploy/archives'
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
echo 'removed /usr/local/bin/dataplaneapi'
