/**
 * The seed's three operations (add a server, change a weight, add a health
 * check) as `curl` calls a person pastes into a shell: what the sandbox prints
 * after `up`, and what the scenario runs, as printed, to show that they work.
 * Pure: the caller says where the API, its CA and the password file are.
 */

export interface GuideTarget {
    /** The API's base URL, e.g. https://198.18.9.2:5555/v3. */
    apiUrl: string;
    /** The CA certificate the API's certificate chains to (the stack's output), as a file. */
    caFile: string;
    /** API user, as shell text inside double quotes: a name, or `$(cat file)` where the name is a secret too. */
    user: string;
    /** A file holding the user's password: the text never holds the password itself. */
    passwordFile: string;
}

/** The server the guide adds, as the seed names it, on the lab application's fourth port. */
export const GUIDE_SERVER = { name: "new-server", address: "127.0.0.1", port: 8084 } as const;

/**
 * The shell text, indented by two spaces. Each call that changes something
 * prints its status line and headers (`-i`), so the reader sees 201, 200 or
 * 202 and the Reload-ID; the comments say what is surprising about each.
 */
export function seedOperations(t: GuideTarget): string {
    const s = GUIDE_SERVER;
    return `  api() { curl -sS --cacert ${t.caFile} -u "${t.user}:$(cat ${t.passwordFile})" -H 'Content-Type: application/json' "$@"; echo; }
  B=${t.apiUrl}/services/haproxy
  v() { curl -sS --cacert ${t.caFile} -u "${t.user}:$(cat ${t.passwordFile})" "$B/configuration/version"; }

  # 1. Add a server to backend web. HAProxy takes it at once through its runtime API
  #    (201, no reload), but starts every server added that way in maintenance: it carries
  #    no traffic until HAProxy's next reload (step 3 brings it in).
  api -i -X POST "$B/configuration/backends/web/servers?version=$(v)" \\
    -d '{"name": "${s.name}", "address": "${s.address}", "port": ${s.port}, "check": "enabled", "inter": 5000}'

  # 2. Change web1's weight. PUT replaces the whole server: send it as GET shows it with
  #    only the weight changed, and HAProxy takes it at once (200, no reload). A field left
  #    out is deleted from haproxy.cfg, and the API reloads HAProxy instead (202).
  api "$B/configuration/backends/web/servers/web1"
  api -i -X PUT "$B/configuration/backends/web/servers/web1?version=$(v)" \\
    -d '{"name": "web1", "address": "127.0.0.1", "port": 8081, "weight": 150}'

  # 3. An HTTP health check on backend web. PUT replaces the whole backend too: every field
  #    the body leaves out (balance, say) is deleted, so send it as GET shows it. The check
  #    interval is a server setting ("inter" in step 1), not a backend one. A backend change
  #    always reloads HAProxy (202); GET the Reload-ID it answers to follow the reload.
  api "$B/configuration/backends/web"
  api -i -X PUT "$B/configuration/backends/web?version=$(v)" \\
    -d '{"name": "web", "from": "unnamed_defaults_1", "balance": {"algorithm": "roundrobin"}, "adv_check": "httpchk", "httpchk_params": {"method": "GET", "uri": "/health"}}'
  api "$B/reloads"

  # What HAProxy runs now: ${s.name} is up once its first check has passed.
  api "$B/runtime/backends/web/servers"
`;
}
