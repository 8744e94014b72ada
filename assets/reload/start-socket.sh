# Also opens @ADMIN_DIR_TEXT@, the admin socket's directory, to group haproxy.
# units: @UNITS_DIGEST@
state=@STATE_DIR@
install -d -m 0700 "$state"
admin_dir=@ADMIN_DIR@
if [ -d "$admin_dir" ]; then
    [ -e "$state/@ADMIN_DIR_STAT_FILE@" ] || stat -c '%g %a' "$admin_dir" > "$state/@ADMIN_DIR_STAT_FILE@"
    chgrp haproxy "$admin_dir"
    chmod g+rx "$admin_dir"
    echo "admin socket directory $admin_dir: $(stat -c '%U:%G %a' "$admin_dir")"
fi
systemctl enable @SOCKET_UNIT@ 2>&1
# A changed unit takes effect only when the socket is started again; a request
# in that instant is refused, and the API keeps its last known good file.
systemctl restart @SOCKET_UNIT@
socket=@SOCKET@
got=$(stat -c '%U:%G %a' "$socket" 2>/dev/null || echo missing)
if [ "$got" != "root:haproxy 660" ]; then
    echo "the reload socket $socket is $got, not root:haproxy 660:" >&2
    systemctl status --no-pager @SOCKET_UNIT@ >&2 || true
    exit 1
fi
echo "listening for reload requests on $socket ($got); HAProxy was not restarted"
