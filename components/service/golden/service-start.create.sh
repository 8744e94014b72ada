# start dataplaneapi.service (restart it when its restart key changed), then wait for GET https://lb1:5555/v3/info
set -euo pipefail
umask 022
cd /
# The service restarts exactly when this key changes. It is made of:
# binary: dataplaneapi 9.9.9 (aaaaaaaaaaaaaaaa)
# config: 10157084751d84fb
# certificate: a96e855771eedcf9
# unit: f88fc6a77120fd71
key='a979c33d2dd48b3aa689c890aed658820aa5a2308988b581fc0e9680c3921c39'
unit='dataplaneapi.service'
state='/var/lib/haproxy-dataplane-deploy'
install -d -m 0700 "$state"
creds=$(mktemp)
trap 'rm -f "$creds"' EXIT
cat > "$creds"
if [ "$(cat "$state/restart-key" 2>/dev/null || true)" != "$key" ] || ! systemctl is-active --quiet "$unit"; then
    systemctl restart "$unit"
    echo "restarted $unit"
else
    echo "$unit already runs this binary, configuration and unit: not restarted"
fi
printf '%s\n' "$key" > "$state/restart-key"
# Exits are counted from here: systemd keeps NRestarts across a restart made while
# an automatic restart is pending, so a crash loop before this run would count.
exits_before=$(systemctl show -p NRestarts --value "$unit")
deadline=$((SECONDS + 90))
last=
why="did not answer GET https://lb1:5555/v3/info within 90 s"
while [ "$SECONDS" -lt "$deadline" ]; do
    if last=$(curl -fsS --max-time 5 --cacert '/etc/haproxy-dataplane/tls/ca.crt' --resolve 'lb1:5555:127.0.0.1' -K "$creds" 'https://lb1:5555/v3/info' 2>&1); then
        echo "ready: GET https://lb1:5555/v3/info answered $last"
        exit 0
    fi
    # Restart=always starts it again and again: after its third exit, waiting longer shows nothing new.
    exits=$(($(systemctl show -p NRestarts --value "$unit") - exits_before))
    if [ "$exits" -ge 3 ]; then
        why="exited $exits times since it was started, and does not answer GET https://lb1:5555/v3/info"
        break
    fi
    sleep 1
done
echo "the Data Plane API $why: $last" >&2
echo "last lines of its journal:" >&2
journalctl -u "$unit" -n 30 --no-pager -o cat >&2 || true
exit 1
