# The service restarts exactly when this key changes. It is made of:
@RESTART_REASONS@
key=@RESTART_KEY@
unit=@UNIT@
state=@STATE_DIR@
install -d -m 0700 "$state"
creds=$(mktemp)
trap 'rm -f "$creds"' EXIT
cat > "$creds"
if [ "$(cat "$state/@RESTART_KEY_FILE@" 2>/dev/null || true)" != "$key" ] || ! systemctl is-active --quiet "$unit"; then
    systemctl restart "$unit"
    echo "restarted $unit"
else
    echo "$unit already runs this binary, configuration and unit: not restarted"
fi
printf '%s\n' "$key" > "$state/@RESTART_KEY_FILE@"
# Exits are counted from here: systemd keeps NRestarts across a restart made while
# an automatic restart is pending, so a crash loop before this run would count.
exits_before=$(systemctl show -p NRestarts --value "$unit")
deadline=@DEADLINE@
last=
why="did not answer GET @PROBE_URL_TEXT@ within @TIMEOUT_SECONDS@ s"
while [ "$SECONDS" -lt "$deadline" ]; do
    if last=$(curl -fsS --max-time 5@CURL_ARGS@ -K "$creds" @PROBE_URL@ 2>&1); then
        echo "ready: GET @PROBE_URL_TEXT@ answered $last"
        exit 0
    fi
    # Restart=always starts it again and again: after its third exit, waiting longer shows nothing new.
    exits=$(($(systemctl show -p NRestarts --value "$unit") - exits_before))
    if [ "$exits" -ge 3 ]; then
        why="exited $exits times since it was started, and does not answer GET @PROBE_URL_TEXT@"
        break
    fi
    sleep 1
done
echo "the Data Plane API $why: $last" >&2
echo "last lines of its journal:" >&2
journalctl -u "$unit" -n 30 --no-pager -o cat >&2 || true
exit 1
