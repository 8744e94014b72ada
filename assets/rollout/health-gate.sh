host=@HOST@
health_url=@HEALTH_URL@
check_url=@CHECK_URL@
need=@HEALTHY_SECONDS@
creds=$(mktemp)
trap 'rm -f "$creds"' EXIT
cat > "$creds"
deadline=@DEADLINE@
since=
why="no check finished"
while [ "$SECONDS" -lt "$deadline" ]; do
    failed=
    if ! health=$(curl -fsS --max-time 5@CURL_ARGS@ -K "$creds" "$health_url" 2>&1); then
        failed="GET $health_url failed: $health"
    elif ! printf '%s' "$health" | grep -Eq '"haproxy" *: *"up"'; then
        failed="GET $health_url answered $health, not haproxy up"
    elif [ -n "$check_url" ]; then
        code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$check_url" 2>/dev/null || true)
        case "$code" in
        2??) ;;
        000 | '') failed="$check_url did not answer" ;;
        *) failed="$check_url answered HTTP $code" ;;
        esac
    fi
    if [ -n "$failed" ]; then
        why=$failed
        since=
    else
        since=${since:-$SECONDS}
        if [ $((SECONDS - since)) -ge "$need" ]; then
            echo "$host is healthy: every check passed for $need s"
            exit 0
        fi
    fi
    sleep 1
done
echo "health gate of $host failed: $why (it must pass every check for $need s within @WINDOW@ s); the hosts after it are not changed" >&2
exit 1
