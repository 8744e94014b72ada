import { PATHS, STATE_FILES } from "../shared/paths";
import { curlApiArgs, REMOVE_STATE_DIR_IF_EMPTY, script, shq } from "../shared/shell";

export function enableServiceScript(): string {
    return script(
        `enable ${PATHS.unitName}`,
        `
systemctl enable ${shq(PATHS.unitName)} 2>&1
echo "enabled: $(systemctl is-enabled ${shq(PATHS.unitName)})"
`,
    );
}

export function disableServiceScript(): string {
    return script(
        `stop and disable ${PATHS.unitName}`,
        `
systemctl disable --now ${shq(PATHS.unitName)} 2>&1 || true
echo ${shq(`stopped and disabled ${PATHS.unitName}`)}
`,
    );
}

export interface StartSpec {
    /** Digest of everything the service runs with; the service restarts exactly when it changes. */
    restartKey: string;
    /** Human-readable parts of the key, shown in previews. */
    restartReasons: Record<string, string>;
    /** URL probed on the host, e.g. https://lb1:5555/v3/info. */
    probeUrl: string;
    /** "name:port:address" for curl --resolve, so TLS is verified against the host's own name. */
    resolve?: string;
    /** CA file on the host that the certificate must chain to; undefined: the system store. */
    caFile?: string;
    tls: boolean;
    timeoutSeconds: number;
}

/**
 * Starts or restarts the service, then waits for an authenticated GET /v3/info
 * (over TLS, verified against caFile, unless the stack turned TLS off). stdin
 * carries a curl config with the credentials. On failure it prints the
 * service's last journal lines, so `pulumi up` shows why.
 */
export function startServiceScript(s: StartSpec): string {
    const reasons = Object.entries(s.restartReasons)
        .map(([k, v]) => `# ${k}: ${v}`)
        .join("\n");
    const curlArgs = curlApiArgs(s);
    return script(
        `start ${PATHS.unitName} (restart it when its restart key changed), then wait for GET ${s.probeUrl}`,
        `
# The service restarts exactly when this key changes. It is made of:
${reasons}
key=${shq(s.restartKey)}
unit=${shq(PATHS.unitName)}
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
creds=$(mktemp)
trap 'rm -f "$creds"' EXIT
cat > "$creds"
if [ "$(cat "$state/${STATE_FILES.restartKey}" 2>/dev/null || true)" != "$key" ] || ! systemctl is-active --quiet "$unit"; then
    systemctl restart "$unit"
    echo "restarted $unit"
else
    echo "$unit already runs this binary, configuration and unit: not restarted"
fi
printf '%s\\n' "$key" > "$state/${STATE_FILES.restartKey}"
deadline=$((SECONDS + ${s.timeoutSeconds}))
last=
why="did not answer GET ${s.probeUrl} within ${s.timeoutSeconds} s"
while [ "$SECONDS" -lt "$deadline" ]; do
    if last=$(curl -fsS --max-time 5${curlArgs} -K "$creds" ${shq(s.probeUrl)} 2>&1); then
        echo "ready: GET ${s.probeUrl} answered $last"
        exit 0
    fi
    # Restart=always starts it again and again: after its third exit, waiting longer shows nothing new.
    if [ "$(systemctl show -p NRestarts --value "$unit")" -ge 3 ]; then
        why="exited $(systemctl show -p NRestarts --value "$unit") times since it was started, and does not answer GET ${s.probeUrl}"
        break
    fi
    sleep 1
done
echo "the Data Plane API $why: $last" >&2
echo "last lines of its journal:" >&2
journalctl -u "$unit" -n 30 --no-pager -o cat >&2 || true
exit 1
`,
    );
}

export function stopServiceScript(): string {
    return script(
        `stop ${PATHS.unitName}`,
        `
systemctl stop ${shq(PATHS.unitName)} 2>&1 || true
rm -f ${shq(`${PATHS.stateDir}/${STATE_FILES.restartKey}`)}
${REMOVE_STATE_DIR_IF_EMPTY}
echo ${shq(`stopped ${PATHS.unitName}`)}
`,
    );
}
