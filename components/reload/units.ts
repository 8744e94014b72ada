import { MANAGED_BY, PATHS } from "../shared/paths";

/**
 * The reload service's socket: group haproxy (the Data Plane API's user) may
 * connect, and each connection starts one instance of the template service
 * below (Accept=yes). Connecting is the whole request: the service reads
 * nothing from it, so the only thing the group can ask for is a reload.
 */
export function renderReloadSocketUnit(): string {
    return `${[
        `# ${MANAGED_BY}`,
        "[Unit]",
        "Description=Reload requests for HAProxy from the Data Plane API (group haproxy)",
        "",
        "[Socket]",
        `ListenStream=${PATHS.reloadSocket}`,
        "SocketUser=root",
        "SocketGroup=haproxy",
        "SocketMode=0660",
        "DirectoryMode=0755",
        "RemoveOnStop=true",
        "Accept=yes",
        // Reloads are serialised by the helper's lock; more waiting requests than this are refused.
        "MaxConnections=16",
        "",
        "[Install]",
        "WantedBy=sockets.target",
    ].join("\n")}\n`;
}

/**
 * One reload per connection, as root: the helper talks to HAProxy's stock,
 * root-only master socket and writes its verdict line back to the connection.
 * Its diagnostics go to the journal. systemd.socket(5) recommends
 * CollectMode=inactive-or-failed for Accept=yes services, so failed
 * instances do not pile up.
 */
export function renderReloadServiceUnit(): string {
    return `${[
        `# ${MANAGED_BY}`,
        "[Unit]",
        "Description=Reload HAProxy for the Data Plane API (one request)",
        "CollectMode=inactive-or-failed",
        "",
        "[Service]",
        "Type=simple",
        `ExecStart=${PATHS.reloadHelper}`,
        "StandardInput=socket",
        "StandardOutput=socket",
        "StandardError=journal",
        // The helper only connects to the master socket and locks its own file: it writes nothing.
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "PrivateTmp=true",
        "PrivateDevices=true",
        "PrivateNetwork=true",
        "RestrictAddressFamilies=AF_UNIX",
        "CapabilityBoundingSet=",
        "ProtectKernelTunables=true",
        "ProtectKernelModules=true",
        "ProtectKernelLogs=true",
        "ProtectControlGroups=true",
        "ProtectClock=true",
        "ProtectHostname=true",
        "RestrictNamespaces=true",
        "RestrictRealtime=true",
        "RestrictSUIDSGID=true",
        "LockPersonality=true",
        "MemoryDenyWriteExecute=true",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "UMask=0077",
    ].join("\n")}\n`;
}
