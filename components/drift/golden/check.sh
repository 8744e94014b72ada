# drift check: compare this host with what the stack deployed (reads only)
set -euo pipefail
umask 022
cd /
deployed='/var/lib/haproxy-dataplane-deploy/deployed'
tab=$'\t'
if [ ! -d "$deployed" ]; then echo "N${tab}none"; exit 0; fi
for meta in "$deployed"/*.meta; do
    [ -e "$meta" ] || continue
    copy_file=${meta%.meta}
    IFS="$tab" read -r path owner group mode sha compare secret copy restarts < "$meta"
    if [ -e "$path" ]; then
        live=$(stat -c "%U${tab}%G${tab}%a" "$path")
        live_sha=$(sha256sum < "$path" | cut -d' ' -f1)
    else
        live="-${tab}-${tab}-"
        live_sha=-
    fi
    printf 'F\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$path" "$owner" "$group" "$mode" "$sha" "$compare" "$secret" "$copy" "$restarts" "$live" "$live_sha"
    if [ "$live_sha" != - ] && [ "$live_sha" != "$sha" ] && [ "$secret" = 0 ] && [ "$copy" = 1 ]; then
        if [ "$compare" = yaml-values ]; then
            printf 'Y\t%s\tdeployed\t%s\n' "$path" "$(base64 -w0 < "$copy_file")"
            printf 'Y\t%s\tlive\t%s\n' "$path" "$(base64 -w0 < "$path")"
        else
            { diff -u --label deployed --label "on the host" "$copy_file" "$path" || true; } | awk -v p="$path" '{ print "D\t" p "\t" $0 }'
        fi
    fi
done
for dir in /etc/haproxy '/var/lib/haproxy' '/etc/haproxy/maps'; do
    printf 'R\t%s\t%s\n' "$dir" "$(stat -c "%U${tab}%G${tab}%a" "$dir" 2>/dev/null || printf '%s' "-${tab}-${tab}-")"
done
cfg='/etc/haproxy/haproxy.cfg'
state='/var/lib/haproxy-dataplane-deploy'
if [ ! -f '/var/lib/haproxy-dataplane-deploy/managed-sections' ] || [ ! -f '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%haproxy-cfg-edit.awk' ] || [ ! -f '/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users' ] || [ ! -f "$cfg" ]; then
    echo "C${tab}unrecorded"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v users='/var/lib/haproxy-dataplane-deploy/deployed/%var%lib%haproxy-dataplane-deploy%userlist-users' -v placeholder='@API_USERS@' '
    $1 == placeholder { while ((getline line < users) > 0) print line; next }
    { print }
' '/var/lib/haproxy-dataplane-deploy/managed-sections' > "$work/managed"
owned=$(cat "$state/owned-sections" 2>/dev/null || true)
if ! awk -v mode=apply -v socket='/run/haproxy/admin.sock' -v remove="$owned" -f '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%lib%haproxy-dataplane%haproxy-cfg-edit.awk' "$work/managed" "$cfg" > "$work/candidate" 2> "$work/error"; then
    echo "C${tab}error"
    awk '{ print "c\t" $0 }' "$work/error"
elif cmp -s "$work/candidate" "$cfg"; then
    echo "C${tab}same"
else
    echo "C${tab}differs"
    { diff -u --label deployed --label "on the host" "$work/candidate" "$cfg" || true; } | sed 's/^\([-+ ][[:space:]]*user\)[[:space:]].*/\1 <masked>/' | awk '{ print "c\t" $0 }'
fi
