# remove /usr/local/lib/haproxy-dataplane/request-reload
set -euo pipefail
umask 022
cd /
rm -f '/usr/local/lib/haproxy-dataplane/request-reload'
rm -f '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%request-reload' '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%request-reload.meta'
rmdir '/var/lib/haproxy-dataplane-deploy/deployed' 2>/dev/null || true
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
# Sibling files are removed in parallel: the directory may already be gone.
rmdir --ignore-fail-on-non-empty '/usr/local/lib/haproxy-dataplane' 2>/dev/null || [ ! -e '/usr/local/lib/haproxy-dataplane' ]

echo 'removed /usr/local/lib/haproxy-dataplane/request-reload'
