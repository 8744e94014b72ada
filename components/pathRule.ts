import { PATHS, TEMP_TREES } from "./shared/paths";
import { dirname } from "./shared/shell";

/**
 * Where each path setting may point on a Debian host, as a rule rather than a
 * list of refused places: a list of system directories always misses one
 * (/etc/systemd/system/ssh.service.d, /etc/sudoers.d, /etc/cron.d, ...), and
 * every one it misses hands root to user haproxy, or prints a root-only file.
 *
 * The rule: HAProxy's and the API's files live where Debian's HAProxy package
 * and this program put them, in a temporary directory of their own, or under
 * a root the user names in `allowPathsUnder`, which may only be in a tree the
 * Filesystem Hierarchy Standard leaves to the site (SITE_TREES). Paths reach
 * these functions canonical (config/values.ts canonicalPath, '..' refused), so a
 * prefix compared by whole segments is the path's real place, but for
 * symbolic links, which only the host can see: the preflight refuses a path
 * that resolves anywhere else (assets/preflight/check.sh).
 */

/** HAProxy's configuration directory, as Debian's package makes it. */
const HAPROXY_CONFIG_DIR = "/etc/haproxy";
/** HAProxy's state directory and chroot, as Debian's package makes it. */
const HAPROXY_STATE_DIR = "/var/lib/haproxy";
/** HAProxy's run-time directory (its admin socket's), as Debian's package makes it. */
const HAPROXY_RUN_DIR = "/run/haproxy";
/** The trees the Filesystem Hierarchy Standard leaves to the site's own data and software: where `allowPathsUnder` may name a root. */
export const SITE_TREES = ["/srv", "/opt", "/var/opt", "/var/local", "/mnt", "/media"] as const;

/** Whether `path` is strictly below `root`, compared by whole segments (/etc/haproxy-evil is not below /etc/haproxy). */
export function isBelow(path: string, root: string): boolean {
    return path.startsWith(`${root}/`);
}

/** Whether `path` is `root` or below it, compared by whole segments. */
export function atOrBelow(path: string, root: string): boolean {
    return path === root || isBelow(path, root);
}

function list(items: readonly string[]): string {
    return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** The user's roots, as a reader sees them in a message. */
function rootsText(userRoots: readonly string[]): string {
    return userRoots.length === 0 ? "a root named in allowPathsUnder (none is)" : `a root named in allowPathsUnder (${userRoots.join(", ")})`;
}

/** Why `root` may not be an `allowPathsUnder` entry, or undefined when it may. */
export function userRootProblem(root: string): string | undefined {
    if (SITE_TREES.some((tree) => isBelow(root, tree))) return undefined;
    return `is not below ${list(SITE_TREES)}: a root of HAProxy's files may only be in a tree the Filesystem Hierarchy Standard leaves to the site, never a system directory`;
}

/** Why `dir` may not be one of `directories`, or undefined when it may. */
export function directoryProblem(dir: string, userRoots: readonly string[]): string | undefined {
    if (
        dir === PATHS.configDir ||
        isBelow(dir, HAPROXY_CONFIG_DIR) ||
        isBelow(dir, HAPROXY_STATE_DIR) ||
        TEMP_TREES.some((tree) => isBelow(dir, tree)) ||
        userRoots.some((root) => atOrBelow(dir, root))
    ) {
        return undefined;
    }
    return (
        `is not a place for the API's files: user haproxy would own it. A directory must be below ${HAPROXY_CONFIG_DIR} or ${HAPROXY_STATE_DIR}, ` +
        `a directory of its own below ${list(TEMP_TREES)}, ${PATHS.configDir}, or at or below ${rootsText(userRoots)}`
    );
}

/** Why `file` may not be `haproxyConfigFile`, or undefined when it may. */
export function configFileProblem(file: string, userRoots: readonly string[]): string | undefined {
    if (isBelow(file, HAPROXY_CONFIG_DIR) || userRoots.some((root) => isBelow(file, root))) return undefined;
    return `is not a place for HAProxy's configuration: it must be a file below ${HAPROXY_CONFIG_DIR} or below ${rootsText(userRoots)}`;
}

/**
 * Why `socket` may not be one of HAProxy's sockets, or undefined when it may.
 * HAProxy, running as root, replaces whatever file is at a socket's path, and
 * the program opens the admin socket's directory to group haproxy: so a socket
 * lives in a directory of HAProxy's. The master socket may also sit in /run
 * itself under a name of HAProxy's (Debian's /run/haproxy-master.sock); the
 * admin socket may not, or /run would be opened to group haproxy.
 */
export function socketProblem(socket: string, userRoots: readonly string[], role: "admin" | "master"): string | undefined {
    const dir = dirname(socket);
    if (atOrBelow(dir, HAPROXY_RUN_DIR) || atOrBelow(dir, HAPROXY_STATE_DIR) || userRoots.some((root) => atOrBelow(dir, root))) return undefined;
    const inRun = role === "master" && /^\/run\/haproxy[A-Za-z0-9._-]*\.sock$/.test(socket);
    if (inRun) return undefined;
    return (
        `is not a place for HAProxy's ${role} socket: it must be in ${HAPROXY_RUN_DIR} or ${HAPROXY_STATE_DIR} (or below), or at or below ${rootsText(userRoots)}` +
        (role === "master" ? `, or be /run/haproxy<name>.sock` : "")
    );
}
