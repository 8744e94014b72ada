# drift repair: restore /etc/systemd/system/dataplaneapi.service, /usr/local/lib/haproxy-dataplane/reload-haproxy, /usr/local/bin/dataplaneapi, /etc/haproxy, /var/lib/haproxy, /etc/haproxy/haproxy.cfg (managed sections)
set -euo pipefail
umask 022
cd /
deployed='/var/lib/haproxy-dataplane-deploy/deployed'
tab=$'\t'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
daemon_reload=0
restart=
restore() {
    local meta="$deployed/$1.meta" path owner group mode restarts tmp
    IFS="$tab" read -r path owner group mode _ _ _ _ restarts < "$meta"
    if [ "$2" = owner-mode ]; then
        chown "$owner:$group" "$path"
        chmod "$mode" "$path"
        echo "gave $path back its owner and mode ($owner:$group $mode)"
        return
    fi
    [ -d "${path%/*}" ] || install -d -m 0755 "${path%/*}"
    tmp=$(mktemp "${path%/*}/.dpdeploy.XXXXXX")
    cp "$deployed/$1" "$tmp"
    chown "$owner:$group" "$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$path"
    echo "restored $path ($owner:$group $mode)"
    case "$path" in /etc/systemd/system/*) daemon_reload=1 ;; esac
    if [ "$restarts" != - ]; then restart="$restarts"; fi
}
restore '%etc%systemd%system%dataplaneapi.service' content
restore '%usr%local%lib%haproxy-dataplane%reload-haproxy' owner-mode
cat > "$work/install-binary" <<'DPDEPLOY_REPAIR_END'
# install
echo installed x
DPDEPLOY_REPAIR_END
bash "$work/install-binary" | sed -n '1,/^installed /p'
restart='dataplaneapi.service'
chgrp haproxy /etc/haproxy
chmod g+w,o-rwx /etc/haproxy
echo "repaired /etc/haproxy: $(stat -c '%U:%G %a' /etc/haproxy)"
install -d -o haproxy -g haproxy -m 0750 '/var/lib/haproxy'
echo "repaired /var/lib/haproxy: $(stat -c '%U:%G %a' '/var/lib/haproxy')"
cat > "$work/edit-haproxy-cfg" <<'DPDEPLOY_REPAIR_END'
# edit /etc/haproxy/haproxy.cfg: master-worker, the admin socket for group haproxy, userlist controller, backend haproxy-dataplane-api; validate, reload
set -euo pipefail
umask 022
cd /
cfg='/etc/haproxy/haproxy.cfg'
state='/var/lib/haproxy-dataplane-deploy'
[ -f "$cfg" ] || { echo "$cfg does not exist: is HAProxy installed?" >&2; exit 1; }
install -d -m 0700 "$state"
[ -e "$state/haproxy.cfg.before" ] || cp -p "$cfg" "$state/haproxy.cfg.before"
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$cfg.dpdeploy.new"' EXIT
exec 9< "$cfg"
flock -w 60 9 || { echo "waited 60 s for the lock the Data Plane API holds on $cfg; try again" >&2; exit 1; }
cat > "$work/template"
awk -v users='/var/lib/haproxy-dataplane-deploy/userlist-users' -v placeholder='@API_USERS@' '
    $1 == placeholder { while ((getline line < users) > 0) print line; next }
    { print }
' "$work/template" > "$work/managed"
previous_owned=$(cat "$state/owned-sections" 2>/dev/null || true)
owned='userlist controller|backend haproxy-dataplane-api'
if ! awk -v mode=apply -v socket='/run/haproxy/admin.sock' -v remove="$previous_owned" \
    -f '/usr/local/lib/haproxy-dataplane/haproxy-cfg-edit.awk' "$work/managed" "$cfg" > "$work/candidate"; then
    echo "the edit of $cfg stopped (the reason is above); the live file is unchanged" >&2
    exit 1
fi
# The API reads its userlist's name only when it starts, and exits when that
# userlist disappears from haproxy.cfg: when the name changes, it is stopped
# before the old userlist goes, and the start step starts it with the new one.
if [ -n "$previous_owned" ] && [ "$previous_owned" != "$owned" ] && systemctl is-active --quiet 'dataplaneapi.service'; then
    systemctl stop 'dataplaneapi.service'
    echo "stopped dataplaneapi.service: its userlist is renamed, and it starts again with the new one"
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
# The API puts its last known good copy back when one of its reloads
    # fails; it refreshes that copy only after its own reloads, so it would
    # bring back the file from before this edit (an old userlist, say).
    lkg='/etc/haproxy/backups/haproxy.cfg.lkg'
    if [ -d '/etc/haproxy/backups' ]; then
        install -o haproxy -g haproxy -m 0644 "$cfg" "$lkg"
        echo "refreshed the API's last known good copy $lkg"
    fi
fi

printf '%s\n' "$owned" > "$state/owned-sections"
# What this edit applied, for the drift check (the user lines stay a placeholder).
install -m 0600 "$work/template" '/var/lib/haproxy-dataplane-deploy/managed-sections'
# The API re-reads its users from the userlist on SIGUSR2.
# Only the main process: a reload helper or haproxy -c the API is running
# at that moment must not get the signal.
if systemctl is-active --quiet 'dataplaneapi.service'; then systemctl kill --kill-who=main -s USR2 'dataplaneapi.service'; fi

DPDEPLOY_REPAIR_END
bash "$work/edit-haproxy-cfg" < '/var/lib/haproxy-dataplane-deploy/managed-sections'
if [ "$daemon_reload" = 1 ]; then systemctl daemon-reload; echo "systemd reloaded its units"; fi
if [ -n "$restart" ]; then
    systemctl restart "$restart"
    systemctl is-active --quiet "$restart" || { echo "$restart did not come back after its files were restored:" >&2; systemctl status --no-pager "$restart" >&2 || true; exit 1; }
    echo "restarted $restart: its own files were restored"
fi
