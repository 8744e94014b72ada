import { renderAsset } from "../shared/assets";
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
 * so `pulumi up` shows why the rollout stopped. The script is
 * assets/rollout/health-gate.sh.
 */
export function healthGateScript(g: GateSpec): string {
    const what = g.checkUrl ? `GET ${g.healthUrl} says haproxy up and ${g.checkUrl} answers 2xx` : `GET ${g.healthUrl} says haproxy up`;
    return script(
        // Previews cut a long first line short: the order comes first.
        `health gate: ${g.hostName} ${g.nextHosts.length ? `before ${g.nextHosts.join(" + ")}` : "(last)"}: passes when ${what} for ${g.healthySeconds} s in a row`,
        renderAsset("rollout/health-gate.sh", {
            HOST: shq(g.hostName),
            HEALTH_URL: shq(g.healthUrl),
            CHECK_URL: shq(g.checkUrl),
            HEALTHY_SECONDS: g.healthySeconds,
            // Whole expressions: shellcheck cannot read a placeholder inside $((...)).
            DEADLINE: `$((SECONDS + need + ${g.graceSeconds}))`,
            WINDOW: `$((need + ${g.graceSeconds}))`,
            CURL_ARGS: curlApiArgs(g),
        }),
    );
}
