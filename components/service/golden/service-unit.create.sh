# write /etc/systemd/system/dataplaneapi.service (root:root 0644) from stdin
set -euo pipefail
umask 022
cd /
target='/etc/systemd/system/dataplaneapi.service'
[ -d '/etc/systemd/system' ] || install -d -m '0755' '/etc/systemd/system'
tmp=$(mktemp '/etc/systemd/system/.dpdeploy.XXXXXX')
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown 'root:root' "$tmp"
chmod '0644' "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
install -d -m 0700 '/var/lib/haproxy-dataplane-deploy' '/var/lib/haproxy-dataplane-deploy/deployed'
install -m 0600 '/etc/systemd/system/dataplaneapi.service' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%systemd%system%dataplaneapi.service.new'
mv -f '/var/lib/haproxy-dataplane-deploy/deployed/%etc%systemd%system%dataplaneapi.service.new' '/var/lib/haproxy-dataplane-deploy/deployed/%etc%systemd%system%dataplaneapi.service'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' '/etc/systemd/system/dataplaneapi.service' 'root' 'root' '0644' "$(sha256sum < '/etc/systemd/system/dataplaneapi.service' | cut -d' ' -f1)" 'bytes' '0' '1' 'dataplaneapi.service' > '/var/lib/haproxy-dataplane-deploy/deployed/%etc%systemd%system%dataplaneapi.service.meta'
systemctl daemon-reload
echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
