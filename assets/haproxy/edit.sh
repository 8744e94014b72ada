cfg=@CONFIG_FILE@
state=@STATE_DIR@
[ -f "$cfg" ] || { echo "$cfg does not exist: is HAProxy installed?" >&2; exit 1; }
install -d -m 0700 "$state"
[ -e "$state/@HAPROXY_CFG_BEFORE_FILE@" ] || cp -p "$cfg" "$state/@HAPROXY_CFG_BEFORE_FILE@"
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$cfg.dpdeploy.new"' EXIT
exec 9< "$cfg"
flock -w 60 9 || { echo "waited 60 s for the lock the Data Plane API holds on $cfg; try again" >&2; exit 1; }
cat > "$work/template"
awk -v users=@USERS@ -v placeholder=@PLACEHOLDER@ '
    $1 == placeholder { while ((getline line < users) > 0) print line; next }
    { print }
' "$work/template" > "$work/managed"
previous_owned=$(cat "$state/@OWNED_SECTIONS_FILE@" 2>/dev/null || true)
owned=@OWNED_SECTIONS@
if ! awk -v mode=apply -v socket=@ADMIN_SOCKET@ -v remove="$previous_owned" \
    -f @EDITOR@ "$work/managed" "$cfg" > "$work/candidate"; then
    echo "the edit of $cfg stopped (the reason is above); the live file is unchanged" >&2
    exit 1
fi
# The API reads its userlist's name only when it starts, and exits when that
# userlist disappears from haproxy.cfg: when the name changes, it is stopped
# before the old userlist goes, and the start step starts it with the new one.
if [ -n "$previous_owned" ] && [ "$previous_owned" != "$owned" ] && systemctl is-active --quiet @UNIT@; then
    systemctl stop @UNIT@
    echo "stopped @UNIT_TEXT@: its userlist is renamed, and it starts again with the new one"
fi
@SWAP_AND_RELOAD@
printf '%s\n' "$owned" > "$state/@OWNED_SECTIONS_FILE@"
# What this edit applied, for the drift check (the user lines stay a placeholder).
install -m 0600 "$work/template" @MANAGED_SECTIONS@
# The API re-reads its users from the userlist on SIGUSR2.
# Only the main process: a reload helper or haproxy -c the API is running
# at that moment must not get the signal.
if systemctl is-active --quiet @UNIT@; then systemctl kill --kill-who=main -s USR2 @UNIT@; fi
