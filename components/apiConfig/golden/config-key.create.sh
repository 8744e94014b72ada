# write /etc/haproxy-dataplane/tls/server.key (haproxy:haproxy 0600) from stdin
set -euo pipefail
umask 022
cd /
target='/etc/haproxy-dataplane/tls/server.key'
[ -d '/etc/haproxy-dataplane/tls' ] || install -d -m '0755' '/etc/haproxy-dataplane/tls'
tmp=$(mktemp '/etc/haproxy-dataplane/tls/.dpdeploy.XXXXXX')
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown 'haproxy:haproxy' "$tmp"
chmod '0600' "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
install -d -m 0700 '/var/lib/haproxy-dataplane-deploy' '/var/lib/haproxy-dataplane-deploy/deployed'
install -m 0600 '/etc/haproxy-dataplane/tls/server.key' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.key.new'
mv -f '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.key.new' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.key'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' '/etc/haproxy-dataplane/tls/server.key' 'haproxy' 'haproxy' '0600' "$(sha256sum < '/etc/haproxy-dataplane/tls/server.key' | cut -d' ' -f1)" 'bytes' '1' '1' 'dataplaneapi.service' > '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.key.meta'

echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
