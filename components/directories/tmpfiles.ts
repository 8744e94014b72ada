import { MANAGED_BY } from "../shared/paths";

/** tmpfiles.d entries: directories under /tmp come back at boot, and are never aged out. */
export function renderTmpfiles(directories: readonly string[]): string {
    // Sorted: the order of `directories` in the config means nothing, and must not show as a change.
    const tmp = directories.filter((d) => d.startsWith("/tmp/")).sort();
    return `${[`# ${MANAGED_BY}`, ...tmp.map((d) => `d ${d} 0755 haproxy haproxy -`)].join("\n")}\n`;
}
