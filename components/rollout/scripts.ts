import { curlApiArgs, script, shq } from "../shared/shell";

export interface GateSpec {
    /** The host's name, for messages. */
    hostName: string;
    /** The API's health URL as probed on the host, e.g. https://lb1:5555/v3/health. */
    healthUrl: string;
    /** "name:port:address" for curl --resolve, so TLS is verified against the host's own name. */
    resolve?: string;
    /** CA file on the host that the API's certificate must chain to; undefined: the system store. */
    caFile?: string;
    tls: boolean;
    /** A URL that must answer 2xx from the host as well (the site's own frontend, say); empty: none. */
    checkUrl: string;
    /** How long, in seconds, every check must keep passing without a failure. */
    healthySeconds: number;
    /** How much longer than healthySeconds the gate waits for that before it fails. */
    graceSeconds: number;
    /** The hosts of the next batch, which wait for this gate; empty for the last batch. */
    nextHosts: readonly string[];
}

/**
 * The health gate: run on the host after its changes, it passes once the API's
 * GET /v3/health has said `"haproxy":"up"` (and checkUrl has answered 2xx)
 * on every check for healthySeconds in a row. stdin carries a curl config
 * with the API's credentials. On failure it says which check failed last,
 * so `pulumi up` shows why the rollout stopped.
 */
export function healthGateScript(g: GateSpec): string {
    const curlArgs = curlApiArgs(g);
    const what = g.checkUrl ? `GET ${g.healthUrl} says haproxy up and ${g.checkUrl} answers 2xx` : `GET ${g.healthUrl} says haproxy up`;
    return script(
        // Previews cut a long first line short: the order comes first.
        `health gate: ${g.hostName} ${g.nextHosts.length ? `before ${g.nextHosts.join(" + ")}` : "(last)"}: passes when ${what} for ${g.healthySeconds} s in a row`,
        `
host=${shq(g.hostName)}
health_url=${shq(g.healthUrl)}
check_url=${shq(g.checkUrl)}
need=${g.healthySeconds}
creds=$(mktemp)
trap 'rm -f "$creds"' EXIT
cat > "$creds"
deadline=$((SECONDS + need + ${g.graceSeconds}))
since=
why="no check finished"
while [ "$SECONDS" -lt "$deadline" ]; do
    failed=
    if ! health=$(curl -fsS --max-time 5${curlArgs} -K "$creds" "$health_url" 2>&1); then
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
        since=\${since:-$SECONDS}
        if [ $((SECONDS - since)) -ge "$need" ]; then
            echo "$host is healthy: every check passed for $need s"
            exit 0
        fi
    fi
    sleep 1
done
echo "health gate of $host failed: $why (it must pass every check for $need s within $((need + ${g.graceSeconds})) s); the hosts after it are not changed" >&2
exit 1
`,
    );
}
