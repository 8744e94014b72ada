import { renderAsset } from "../shared/assets";
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
 * service's last journal lines, so `pulumi up` shows why. The script is
 * assets/service/start.sh.
 */
export function startServiceScript(s: StartSpec): string {
    return script(
        `start ${PATHS.unitName} (restart it when its restart key changed), then wait for GET ${s.probeUrl}`,
        renderAsset("service/start.sh", {
            RESTART_REASONS: Object.entries(s.restartReasons)
                .map(([k, v]) => `# ${k}: ${v}`)
                .join("\n"),
            RESTART_KEY: shq(s.restartKey),
            UNIT: shq(PATHS.unitName),
            STATE_DIR: shq(PATHS.stateDir),
            RESTART_KEY_FILE: STATE_FILES.restartKey,
            // The whole expression: shellcheck cannot read a placeholder inside $((...)).
            DEADLINE: `$((SECONDS + ${s.timeoutSeconds}))`,
            TIMEOUT_SECONDS: s.timeoutSeconds,
            PROBE_URL: shq(s.probeUrl),
            PROBE_URL_TEXT: s.probeUrl,
            CURL_ARGS: curlApiArgs(s),
        }),
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
