# remove /var/lib/haproxy-dataplane-deploy/userlist-users
set -euo pipefail
umask 022
cd /
rm -f '/var/lib/haproxy-dataplane-deploy/userlist-users'
rm -f '/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users' '/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users.meta'
rmdir '/var/lib/haproxy-dataplane-deploy/deployed' 2>/dev/null || true
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true


echo 'removed /var/lib/haproxy-dataplane-deploy/userlist-users'
