# take the edit back out of /etc/haproxy/haproxy.cfg: userlist controller, backend haproxy-dataplane-api go, global as it was; validate, reload
set -euo pipefail
umask 022
cd /
cfg='/etc/haproxy/haproxy.cfg'
state='/var/lib/haproxy-dataplane-deploy'
if [ ! -f "$state/haproxy.cfg.before" ] || [ ! -f "$cfg" ]; then
    echo "no pre-deploy copy of $cfg; leaving it as it is"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$cfg.dpdeploy.new"' EXIT
exec 9< "$cfg"
flock -w 60 9 || { echo "waited 60 s for the lock the Data Plane API holds on $cfg; try again" >&2; exit 1; }
owned=$(cat "$state/owned-sections" 2>/dev/null || printf '%s' 'userlist controller|backend haproxy-dataplane-api')
if ! awk -v mode=revert -v socket='/run/haproxy/admin.sock' -v remove="$owned" \
    -f '/usr/local/lib/haproxy-dataplane/haproxy-cfg-edit.awk' "$state/haproxy.cfg.before" "$cfg" > "$work/candidate"; then
    echo "taking the edit back out of $cfg stopped (the reason is above); the live file is unchanged" >&2
    exit 1
fi

swap_in() {
    cp -p "$1" "$cfg.dpdeploy.new"
    mv -f "$cfg.dpdeploy.new" "$cfg"
}
if cmp -s "$work/candidate" "$cfg"; then
    echo "$cfg: already as wanted"
else
    chgrp haproxy "$work" "$work/candidate"
    chmod 0750 "$work"
    chmod 0640 "$work/candidate"
    if ! runuser -u haproxy -- haproxy -c -q -f "$work/candidate" 2>/dev/null; then
        echo "the candidate $cfg is rejected by haproxy -c run as user haproxy, as the Data Plane API validates every change" >&2
        echo "(every file it names must be readable by haproxy); the live file is unchanged:" >&2
        runuser -u haproxy -- haproxy -c -f "$work/candidate" >&2 || true
        exit 1
    fi
    cp -p "$cfg" "$work/previous"
    chown --reference="$cfg" "$work/candidate"
    chmod --reference="$cfg" "$work/candidate"
    swap_in "$work/candidate"
    diff -u "$work/previous" "$cfg" | sed -n '3,$p' | grep -E '^[-+]' | sed 's/^\([-+][[:space:]]*user\)[[:space:]].*/\1 <masked>/' || true
    if systemctl is-active --quiet haproxy.service; then
        # The reload helper gives HAProxy's own verdict (systemctl reload exits 0
        # even when HAProxy refuses the file), and waits for any reload the API runs.
        if ! verdict=$('/usr/local/lib/haproxy-dataplane/reload-haproxy'); then
            echo "$verdict; restoring the previous $cfg" >&2
            swap_in "$work/previous"
            '/usr/local/lib/haproxy-dataplane/reload-haproxy' >&2 || true
            exit 1
        fi
        echo "validated $cfg and reloaded HAProxy ($verdict)"
    else
        echo "validated $cfg; HAProxy is not running, so it takes effect when it starts"
    fi

fi

# The API renames its own copy into place, so haproxy.cfg is now user haproxy's;
# with the API gone it gets the owner and mode it had before the first deploy.
chown --reference="$state/haproxy.cfg.before" "$cfg"
chmod --reference="$state/haproxy.cfg.before" "$cfg"
echo "$cfg: $(stat -c '%U:%G %a' "$cfg"), as before the first deploy"
rm -f "$state/haproxy.cfg.before" "$state/owned-sections" '/var/lib/haproxy-dataplane-deploy/managed-sections'
# The copies of haproxy.cfg the API kept (its backups, its last known good copy
# the program refreshed, its open, failed and outdated transactions) each hold
# the API users' password hashes, and nothing reads them once the API is gone.
# Only the API's own names go: <file>.lkg, <file>.<version>, <file>.<transaction id>.
base=$(basename "$cfg")
backups='/etc/haproxy/backups'
transactions='/etc/haproxy/transactions'
copies=0
for f in "$backups/$base".* "$transactions/$base".* "$transactions/failed/$base".* "$transactions/outdated/$base".*; do
    suffix=${f##*/"$base".}
    if [ -f "$f" ] && [[ $suffix =~ ^(lkg|[0-9]+|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$ ]]; then
        rm -f "$f"
        copies=$((copies + 1))
    fi
done
rmdir "$transactions/failed" "$transactions/outdated" 2>/dev/null || true
rmdir '/var/lib/haproxy-dataplane-deploy' 2>/dev/null || true
echo "removed $copies copies of $cfg the API kept in $backups and $transactions"
