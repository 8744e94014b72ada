import { MANAGED_BY, TEMP_TREES } from "../shared/paths";

/**
 * Mode of every directory the API stores data in: the owner (haproxy) and its
 * group only. The API writes uploaded private keys 0644 into ssl_certs_dir, so
 * the directory is what keeps other users out.
 */
export const DIRECTORY_MODE = "0750";

/**
 * tmpfiles.d entries: directories under /tmp come back at boot, and those
 * under /tmp and /var/tmp are never aged out (Debian's tmp.conf ages both).
 */
export function renderTmpfiles(directories: readonly string[]): string {
    // Sorted: the order of `directories` in the config means nothing, and must not show as a change.
    const tmp = directories.filter((d) => TEMP_TREES.some((tree) => d.startsWith(`${tree}/`))).sort();
    return `${[`# ${MANAGED_BY}`, ...tmp.map((d) => `d ${d} ${DIRECTORY_MODE} haproxy haproxy -`)].join("\n")}\n`;
}
