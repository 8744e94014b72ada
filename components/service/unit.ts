import { MANAGED_BY, PATHS } from "../shared/paths";

export interface UnitModel {
    /** Directories the service writes, besides its config directory. */
    writableDirectories: readonly string[];
    /** The API's transaction_dir, swept before each start (see renderTransactionSweep). */
    transactionDir: string;
}

/**
 * A POSIX sh script, run as the service's user before each start: it moves a
 * top-level transaction file that user cannot read (or that is not a regular
 * file) into `failed/`, where the API itself puts transactions that failed.
 * The API parses every top-level `haproxy.cfg.*` there when it starts, and one
 * it cannot load stops it from starting at all; open transactions it can read
 * are left alone. No `'`, `$`-expansion of systemd specifiers or backslash:
 * renderUnit puts it in single quotes and doubles each `$`.
 */
export function renderTransactionSweep(transactionDir: string): string {
    if (!/^\/[\w./-]+$/.test(transactionDir))
        throw new Error(`transaction directory ${JSON.stringify(transactionDir)}: only letters, digits, _ . / - are supported`);
    return (
        `d=${transactionDir}; for f in "$d"/haproxy.cfg.*; do ` +
        '[ -e "$f" ] || [ -L "$f" ] || continue; ' +
        '[ -f "$f" ] && [ -r "$f" ] && continue; ' +
        'mkdir -p "$d/failed"; mv -f "$f" "$d/failed/"; ' +
        'echo "moved $f to $d/failed/: the API cannot read it, and would not start with it there"; done'
    );
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
    // Sorted: the order of `directories` in the config means nothing, and must not show as a change.
    for (const d of [...m.writableDirectories].sort()) {
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
        `ExecStartPre=/bin/sh -c '${renderTransactionSweep(m.transactionDir).replaceAll("$", "$$")}'`,
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
    return `${lines.join("\n")}\n`;
}
