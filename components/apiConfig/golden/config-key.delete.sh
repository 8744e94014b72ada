# remove /etc/haproxy-dataplane/tls/server.key
set -euo pipefail
umask 022
cd /
rm -f '/etc/haproxy-dataplane/tls/server.key'
rm -f '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.key' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.key.meta'
rmdir '/var/lib/haproxy-dataplane-deploy/deployed' 2>/dev/null || true
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
# Sibling files are removed in parallel: the directory may already be gone.
rmdir --ignore-fail-on-non-empty '/etc/haproxy-dataplane/tls' 2>/dev/null || [ ! -e '/etc/haproxy-dataplane/tls' ]

echo 'removed /etc/haproxy-dataplane/tls/server.key'
