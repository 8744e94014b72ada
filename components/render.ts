import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { API_BACKEND, MANAGED_BY, PATHS } from "./paths";
import { masterSocketArgument } from "./shell";

/**
 * Pure renderers for every file the program puts on a host. Same input, same
 * bytes: key order is fixed by construction, so previews show no noise.
 */

export function sha256Hex(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** The directory roles the API configuration refers to, with the seed's paths. */
export const API_DIRECTORIES = {
    dataplaneStorage: "/etc/haproxy/dataplane",
    maps: "/etc/haproxy/maps",
    sslCerts: "/etc/haproxy/ssl",
    generalStorage: "/etc/haproxy/general",
    spoe: "/etc/haproxy/spoe",
    spoeTransactions: "/tmp/spoe-haproxy",
    transactions: "/etc/haproxy/transactions",
    backups: "/etc/haproxy/backups",
} as const;

/** The typed model of dataplaneapi.yaml (config_version 2), limited to what this program sets. */
export interface DataplaneApiConfigModel {
    /** Node name; the host's name. */
    name: string;
    bindAddress: string;
    port: number;
    tls: boolean;
    advertisedAddress: string;
    userlist: string;
    haproxyConfigFile: string;
    masterSocket: string;
    reloadDelay: number;
    /** HAProxy's version on the host, as `haproxy -v` reports it (see facts.ts). */
    haproxyVersion: string;
}

/**
 * Whether the API reloads HAProxy through the master socket itself: only on
 * HAProxy 2.7 or newer, with master_worker_mode and a unix master_runtime
 * (dataplaneapi configure_data_plane.go). On 2.6 the master CLI does not
 * accept `set severity-output`, so worker errors come back looking like
 * success: there the API gets no master_runtime, reaches HAProxy's runtime
 * through the admin socket, and reloads with reload_cmd.
 */
export function apiUsesMasterSocket(haproxyVersion: string): boolean {
    const m = /^(\d+)\.(\d+)/.exec(haproxyVersion);
    return !!m && (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 7));
}

/** The document as the API reads it. Exported so tests can compare the parsed YAML against it. */
export function dataplaneApiConfigDocument(m: DataplaneApiConfigModel): Record<string, unknown> {
    const dataplaneapi: Record<string, unknown> = {
        host: m.bindAddress,
        port: m.port,
        scheme: [m.tls ? "https" : "http"],
    };
    if (m.tls) {
        dataplaneapi.tls = {
            tls_host: m.bindAddress,
            tls_port: m.port,
            tls_certificate: PATHS.tlsCert,
            tls_key: PATHS.tlsKey,
        };
    }
    Object.assign(dataplaneapi, {
        userlist: { userlist: m.userlist },
        transaction: {
            transaction_dir: API_DIRECTORIES.transactions,
            backups_number: 10,
            backups_dir: API_DIRECTORIES.backups,
        },
        resources: {
            maps_dir: API_DIRECTORIES.maps,
            ssl_certs_dir: API_DIRECTORIES.sslCerts,
            general_storage_dir: API_DIRECTORIES.generalStorage,
            dataplane_storage_dir: API_DIRECTORIES.dataplaneStorage,
            spoe_dir: API_DIRECTORIES.spoe,
            spoe_transaction_dir: API_DIRECTORIES.spoeTransactions,
        },
        advertised: { api_address: m.advertisedAddress, api_port: m.port },
    });
    return {
        config_version: 2,
        name: m.name,
        dataplaneapi,
        haproxy: {
            config_file: m.haproxyConfigFile,
            haproxy_bin: "/usr/sbin/haproxy",
            ...(apiUsesMasterSocket(m.haproxyVersion) ? { master_runtime: m.masterSocket } : {}),
            master_worker_mode: true,
            reload: {
                reload_delay: m.reloadDelay,
                // Run as user haproxy when the API does not reload through the
                // master socket itself (HAProxy before 2.7): see renderReloadHelper.
                reload_cmd: PATHS.reloadHelper,
                restart_cmd: PATHS.reloadHelper,
                // Feeds GET /v3/health; without it HAProxy's state is "unknown".
                // Split on spaces and run without a shell, as user haproxy.
                status_cmd: "/usr/bin/systemctl is-active --quiet haproxy.service",
                reload_strategy: "custom",
            },
        },
        log_targets: [{ log_to: "stdout", log_level: "info", log_format: "text", log_types: ["access", "app"] }],
    };
}

export function renderDataplaneApiConfig(m: DataplaneApiConfigModel): string {
    const reload = apiUsesMasterSocket(m.haproxyVersion)
        ? `the API reloads it through the master socket ${m.masterSocket} itself`
        : "the API reloads it with reload_cmd and reaches its runtime through the admin socket (master_runtime needs 2.7 or newer)";
    return `# ${MANAGED_BY}\n# The API rewrites this file when it starts; the rendered content is kept in Pulumi state.\n`
        + `# HAProxy ${m.haproxyVersion} on this host: ${reload}.\n`
        + stringify(dataplaneApiConfigDocument(m), { lineWidth: 0 });
}

export interface UnitModel {
    /** Directories the service writes, besides its config directory. */
    writableDirectories: readonly string[];
}

/**
 * The seed's hardened unit, made to start: directories under /tmp are bound in
 * from the host (with PrivateTmp=true a ReadWritePaths= entry there does not
 * exist inside the namespace and the unit fails with 226/NAMESPACE), and
 * the API is started with `-f` (3.2.1 has no --config-file flag).
 */
export function renderUnit(m: UnitModel): string {
    const rw = new Set<string>(["/etc/haproxy", PATHS.configDir, "/var/lib/haproxy", "/run/haproxy"]);
    const bind: string[] = [];
    for (const d of m.writableDirectories) {
        if (d === "/tmp" || d.startsWith("/tmp/")) bind.push(d);
        else if (![...rw].some((r) => d === r || d.startsWith(`${r}/`))) rw.add(d);
    }
    const lines = [
        `# ${MANAGED_BY}`,
        "[Unit]",
        "Description=HAProxy Data Plane API",
        "Documentation=https://github.com/haproxytech/dataplaneapi",
        "After=network-online.target haproxy.service",
        "Wants=network-online.target",
        "Requires=haproxy.service",
        "",
        "[Service]",
        "Type=exec",
        "User=haproxy",
        "Group=haproxy",
        `ExecStart=${PATHS.binary} -f ${PATHS.configFile}`,
        "Restart=always",
        "RestartSec=5",
        "",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "PrivateTmp=true",
        // "-": /run/haproxy only exists once HAProxy has started once.
        ...[...rw].map((d) => `ReadWritePaths=${d === "/run/haproxy" ? "-" : ""}${d}`),
        ...bind.map((d) => `BindPaths=${d}`),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ];
    return lines.join("\n") + "\n";
}

/** tmpfiles.d entries: directories under /tmp come back at boot, and are never aged out. */
export function renderTmpfiles(directories: readonly string[]): string {
    const tmp = directories.filter((d) => d.startsWith("/tmp/"));
    return [`# ${MANAGED_BY}`, ...tmp.map((d) => `d ${d} 0755 haproxy haproxy -`)].join("\n") + "\n";
}

/**
 * Drop-in for the stock haproxy.service: opens the master CLI to the haproxy
 * group. HAProxy applies it when it starts, and its master re-applies it at
 * every reload (see shell.ts socketPermissionsScript).
 */
export function renderHaproxyDropIn(masterSocket: string): string {
    return [
        `# ${MANAGED_BY}`,
        "# Lets the Data Plane API (user haproxy) reload HAProxy through the master CLI;",
        "# `systemctl reload haproxy` is refused to that user.",
        "[Service]",
        `Environment="EXTRAOPTS=${masterSocketArgument(masterSocket)}"`,
    ].join("\n") + "\n";
}

/** The API's reload_cmd: a master-CLI `reload`, sent with the Perl that every Debian host has (perl-base). */
export function renderReloadHelper(masterSocket: string): string {
    return `#!/bin/sh
# ${MANAGED_BY}
# The Data Plane API runs this as user haproxy to reload HAProxy: on HAProxy 2.6
# the API cannot use the master socket itself, and \`systemctl reload haproxy\`
# is refused to that user. Perl is used because perl-base is on every Debian
# host, while socat may not be.
set -eu
exec /usr/bin/perl -MIO::Socket::UNIX -e '
    my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "cannot connect to $ARGV[0]: $!\\n";
    print $s "reload\\n";
    shutdown($s, 1);
    print while <$s>;
' "${masterSocket}"
`;
}

/** Placeholder the host replaces with the hashed user lines it keeps in its state directory. */
export const USERS_PLACEHOLDER = "@API_USERS@";

export interface ManagedSectionsModel {
    userlist: string;
    apiPort: number;
    /** When the API serves TLS: how HAProxy verifies it. */
    tls?: { caFile: string; serverName: string } | { systemCa: true };
}

/**
 * The sections of haproxy.cfg that the program owns. The user line is a
 * placeholder, so this text holds no secret and previews show it in clear.
 */
export function renderManagedSections(m: ManagedSectionsModel): string {
    let server = `    server dataplane 127.0.0.1:${m.apiPort} check`;
    if (m.tls && "caFile" in m.tls) server += ` ssl verify required ca-file ${m.tls.caFile} verifyhost ${m.tls.serverName}`;
    else if (m.tls) server += " ssl verify required ca-file @system-ca";
    return [
        `userlist ${m.userlist}`,
        `    ${USERS_PLACEHOLDER}`,
        "",
        `backend ${API_BACKEND}`,
        server,
    ].join("\n") + "\n";
}

/** The ids (keyword and name) of the managed sections, as haproxy-cfg-edit.awk takes them. */
export function managedSectionIds(userlist: string): string[] {
    return [`userlist ${userlist}`, `backend ${API_BACKEND}`];
}

/** The userlist line for one API user; the hash is SHA-512 crypt. */
export function renderUserLine(username: string, passwordHash: string): string {
    return `    user ${username} password ${passwordHash}\n`;
}
