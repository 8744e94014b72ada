# write /var/lib/haproxy-dataplane-deploy/userlist-users (root:root 0600) from stdin
set -euo pipefail
umask 022
cd /
target='/var/lib/haproxy-dataplane-deploy/userlist-users'
[ -d '/var/lib/haproxy-dataplane-deploy' ] || install -d -m '0700' '/var/lib/haproxy-dataplane-deploy'
tmp=$(mktemp '/var/lib/haproxy-dataplane-deploy/.dpdeploy.XXXXXX')
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown 'root:root' "$tmp"
chmod '0600' "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
install -d -m 0700 '/var/lib/haproxy-dataplane-deploy' '/var/lib/haproxy-dataplane-deploy/deployed'
install -m 0600 '/var/lib/haproxy-dataplane-deploy/userlist-users' '/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users.new'
mv -f '/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users.new' '/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' '/var/lib/haproxy-dataplane-deploy/userlist-users' 'root' 'root' '0600' "$(sha256sum < '/var/lib/haproxy-dataplane-deploy/userlist-users' | cut -d' ' -f1)" 'bytes' '1' '1' '-' > '/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users.meta'

echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
