import { renderAsset } from "../shared/assets";
import { MANAGED_BY } from "../shared/paths";

/** How long the helper waits for the reload lock and HAProxy's master to finish a reload, in seconds. */
export const RELOAD_WAIT_SECONDS = 60;

/**
 * The one way HAProxy is reloaded on a deployed host, run as root: by the
 * program's own haproxy.cfg edit directly, and for the Data Plane API by the
 * reload service (see reload/), which runs it once per request on its socket.
 *
 * It takes an exclusive lock on its own file (root only: mode 0700, so no
 * other user can hold it), so reloads from the API and from the program never
 * overlap and each one's verdict is its own. It sends `reload` to
 * HAProxy's stock master CLI (root only: it is never opened to anyone else),
 * then asks the re-executed master for HAProxy's verdict: HAProxy 2.6's master
 * answers `reload` with nothing, whether the new configuration loads or not,
 * and `show proc` counts reloads and the failed ones since the last success
 * (`<reloads> [failed: N]`) on 2.6 and 3.0 alike. The verdict is the exit
 * status and the last line of stdout, `ok: ...` or `failed: ...`, which is all
 * the reload service passes back. Perl is used because perl-base is on every
 * Debian host, while socat may not be; the Perl has no single quote in it:
 * it is passed to perl in one. The script is assets/haproxy/reload-haproxy.sh.
 */
export function renderReloadHelper(masterSocket: string, waitSeconds = RELOAD_WAIT_SECONDS): string {
    return renderAsset("haproxy/reload-haproxy.sh", { MANAGED_BY, SOCKET: masterSocket, WAIT_SECONDS: waitSeconds });
}
