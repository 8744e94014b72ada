systemctl disable --now @SOCKET_UNIT@ 2>&1 || true
rm -f @SOCKET@
rmdir @SOCKET_DIR@ 2>/dev/null || true
echo 'stopped @SOCKET_UNIT_TEXT@'
state=@STATE_DIR@
admin_dir=@ADMIN_DIR@
if [ -f "$state/@ADMIN_DIR_STAT_FILE@" ]; then
    read -r gid mode < "$state/@ADMIN_DIR_STAT_FILE@"
    if [ -d "$admin_dir" ]; then chgrp "$gid" "$admin_dir"; chmod "$mode" "$admin_dir"; fi
    rm -f "$state/@ADMIN_DIR_STAT_FILE@"
    echo "restored $admin_dir to group $gid, mode $mode"
fi
@REMOVE_STATE_DIR_IF_EMPTY@
