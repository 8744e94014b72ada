deployed=@DEPLOYED_DIR@
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
@RESTORE@
@REPAIRS@
if [ "$daemon_reload" = 1 ]; then systemctl daemon-reload; echo "systemd reloaded its units"; fi
if [ -n "$restart" ]; then
    systemctl restart "$restart"
    systemctl is-active --quiet "$restart" || { echo "$restart did not come back after its files were restored:" >&2; systemctl status --no-pager "$restart" >&2 || true; exit 1; }
    echo "restarted $restart: its own files were restored"
fi
