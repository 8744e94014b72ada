import { MANAGED_BY } from "../shared/paths";

/** The -S argument the drop-in adds; socketPermissionsScript looks for it on the running master's command line. */
export function masterSocketArgument(masterSocket: string): string {
    return `-S ${masterSocket},mode,660,group,haproxy`;
}

/**
 * Drop-in for the stock haproxy.service: opens the master CLI to the haproxy
 * group. HAProxy applies it when it starts, and its master re-applies it at
 * every reload (see scripts.ts socketPermissionsScript).
 */
export function renderHaproxyDropIn(masterSocket: string): string {
    return `${[
        `# ${MANAGED_BY}`,
        "# Lets the Data Plane API (user haproxy) reload HAProxy through the master CLI;",
        "# `systemctl reload haproxy` is refused to that user.",
        "[Service]",
        `Environment="EXTRAOPTS=${masterSocketArgument(masterSocket)}"`,
    ].join("\n")}\n`;
}
