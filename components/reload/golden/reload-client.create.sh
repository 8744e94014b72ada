# write /usr/local/lib/haproxy-dataplane/request-reload (root:root 0755) from stdin
set -euo pipefail
umask 022
cd /
target='/usr/local/lib/haproxy-dataplane/request-reload'
[ -d '/usr/local/lib/haproxy-dataplane' ] || install -d -m '0755' '/usr/local/lib/haproxy-dataplane'
tmp=$(mktemp '/usr/local/lib/haproxy-dataplane/.dpdeploy.XXXXXX')
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown 'root:root' "$tmp"
chmod '0755' "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
install -d -m 0700 '/var/lib/haproxy-dataplane-deploy' '/var/lib/haproxy-dataplane-deploy/deployed'
install -m 0600 '/usr/local/lib/haproxy-dataplane/request-reload' '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%request-reload.new'
mv -f '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%request-reload.new' '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%request-reload'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' '/usr/local/lib/haproxy-dataplane/request-reload' 'root' 'root' '0755' "$(sha256sum < '/usr/local/lib/haproxy-dataplane/request-reload' | cut -d' ' -f1)" 'bytes' '0' '1' '-' > '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%request-reload.meta'

echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
