# write /etc/haproxy-dataplane/tls/server.crt (root:haproxy 0644) from stdin
set -euo pipefail
umask 022
cd /
target='/etc/haproxy-dataplane/tls/server.crt'
[ -d '/etc/haproxy-dataplane/tls' ] || install -d -m '0755' '/etc/haproxy-dataplane/tls'
tmp=$(mktemp '/etc/haproxy-dataplane/tls/.dpdeploy.XXXXXX')
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown 'root:haproxy' "$tmp"
chmod '0644' "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
install -d -m 0700 '/var/lib/haproxy-dataplane-deploy' '/var/lib/haproxy-dataplane-deploy/deployed'
install -m 0600 '/etc/haproxy-dataplane/tls/server.crt' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.crt.new'
mv -f '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.crt.new' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.crt'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' '/etc/haproxy-dataplane/tls/server.crt' 'root' 'haproxy' '0644' "$(sha256sum < '/etc/haproxy-dataplane/tls/server.crt' | cut -d' ' -f1)" 'bytes' '0' '1' 'dataplaneapi.service' > '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%tls%server.crt.meta'

echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
