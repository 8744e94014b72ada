# write /etc/haproxy-dataplane/dataplaneapi.yaml (haproxy:haproxy 0640) from stdin
set -euo pipefail
umask 022
cd /
target='/etc/haproxy-dataplane/dataplaneapi.yaml'
[ -d '/etc/haproxy-dataplane' ] || install -d -m '0755' '/etc/haproxy-dataplane'
tmp=$(mktemp '/etc/haproxy-dataplane/.dpdeploy.XXXXXX')
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown 'haproxy:haproxy' "$tmp"
chmod '0640' "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
install -d -m 0700 '/var/lib/haproxy-dataplane-deploy' '/var/lib/haproxy-dataplane-deploy/deployed'
install -m 0600 '/etc/haproxy-dataplane/dataplaneapi.yaml' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%dataplaneapi.yaml.new'
mv -f '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%dataplaneapi.yaml.new' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%dataplaneapi.yaml'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' '/etc/haproxy-dataplane/dataplaneapi.yaml' 'haproxy' 'haproxy' '0640' "$(sha256sum < '/etc/haproxy-dataplane/dataplaneapi.yaml' | cut -d' ' -f1)" 'yaml-values' '0' '1' 'dataplaneapi.service' > '/var/lib/haproxy-dataplane-deploy/deployed/%etc%haproxy-dataplane%dataplaneapi.yaml.meta'

echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
