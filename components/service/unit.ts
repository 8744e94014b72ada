import { MANAGED_BY, PATHS, TEMP_TREES } from "../shared/paths";

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
 * The sandbox of the API's unit, beyond its writable paths: every directive
 * here was measured with `systemd-analyze security` and tried with the API
 * running under it on both releases (tests/e2e-full/security.test.ts: 8.3
 * EXPOSED before, 1.1 OK after, on Debian 12 and 13). What the API needs, and keeps:
 * TCP (it serves 5555), AF_UNIX (the admin socket, the reload socket through
 * reload_cmd, systemd's bus for status_cmd `systemctl is-active`), inotify on
 * /etc/haproxy, exec of `haproxy -c`, of the Perl reload client and of
 * systemctl, flock and rename in its directories, signals (SIGUSR1/SIGUSR2).
 *
 * Tried and left out, each with the operation it breaks:
 * - MemoryDenyWriteExecute=true: `haproxy -W -f <transaction> -c`, run by the
 *   API as its child under the same seccomp filter, cannot map JIT memory;
 *   Debian builds HAProxy with PCRE2 JIT, so every configuration with a regex
 *   (`path_reg`, `hdr_reg`, `regsub`...) fails validation ("regex ... jit
 *   compilation failed") and the API refuses the write with 400 (shown by the
 *   host test). Go and Perl themselves would not mind.
 * - RemoveIPC=true: user haproxy is not the API's alone (HAProxy's workers run
 *   as haproxy); systemd would delete every SysV IPC object and POSIX shared
 *   memory segment the user owns whenever the API stops or restarts (shown by
 *   the host test with a segment in /dev/shm).
 * - PrivateNetwork=true, IPAddressDeny=: the API serves the network on its
 *   port, and the program does not know which networks manage the load
 *   balancer (`apiBindAddress` and a firewall are the place for that).
 *   PrivateNetwork=true makes the API unreachable (shown by the host test on
 *   Debian 12; systemd 257 in the lab's Debian 13 container cannot make a
 *   network namespace and runs the unit without one, and says so).
 * - ProcSubset=pid: hides /proc/meminfo, /proc/cpuinfo, /proc/sys. The API
 *   reads the first two for the system part of /v3/info (its
 *   handlers/information.go): left out.
 * - RestrictAddressFamilies= keeps AF_NETLINK: Go's net.Interfaces and glibc's
 *   getaddrinfo(AI_ADDRCONFIG) (in `haproxy -c` of a server by name) open
 *   route netlink sockets: left open.
 * - RootDirectory=/RootImage=: the API needs the host's haproxy, perl and
 *   systemctl and the files they read.
 * - DynamicUser=: the API must run as haproxy (the owner of what it writes,
 *   and the group of the sockets).
 */
const SANDBOX = [
    "NoNewPrivileges=true",
    "ProtectSystem=strict",
    "ProtectHome=true",
    "PrivateTmp=true",
    "PrivateDevices=true",
    "DevicePolicy=closed",
    "PrivateIPC=true",
    // Root, haproxy and its group map to themselves: the files, the sockets
    // (root:haproxy 0660) and systemd's bus (credentials are the host's) still work.
    "PrivateUsers=true",
    "PrivateMounts=true",
    "ProtectKernelTunables=true",
    "ProtectKernelModules=true",
    "ProtectKernelLogs=true",
    "ProtectControlGroups=true",
    "ProtectClock=true",
    "ProtectHostname=true",
    // Other users' processes are hidden; the API reads only its own and its children's.
    "ProtectProc=invisible",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "RestrictNamespaces=true",
    "RestrictRealtime=true",
    "RestrictSUIDSGID=true",
    "LockPersonality=true",
    "KeyringMode=private",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    // Not ~@resources: it holds setrlimit, and Go raises its open-file limit to
    // the hard limit at start; under the filter the real API would keep the
    // soft limit (1024) and could run out of descriptors under load.
    "SystemCallFilter=~@privileged",
    // A call outside the filter fails (and the caller says so) rather than killing the API.
    "SystemCallErrorNumber=EPERM",
    // The API sets 0644 on haproxy.cfg and what it stores itself; directories
    // and files it creates otherwise are closed to other users.
    "UMask=0027",
];

/**
 * The hardened unit, made to start: directories under /tmp and /var/tmp are
 * bound in from the host (with PrivateTmp=true a ReadWritePaths= entry there
 * does not exist inside the namespace and the unit fails with 226/NAMESPACE), and
 * the API is started with `-f` (3.2.1 has no --config-file flag). The sandbox
 * is SANDBOX above.
 */
export function renderUnit(m: UnitModel): string {
    const rw = new Set<string>(["/etc/haproxy", PATHS.configDir, "/var/lib/haproxy", "/run/haproxy"]);
    const bind: string[] = [];
    // Sorted: the order of `directories` in the config means nothing, and must not show as a change.
    for (const d of [...m.writableDirectories].sort()) {
        if (TEMP_TREES.some((t) => d === t || d.startsWith(`${t}/`))) bind.push(d);
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
        ...SANDBOX,
        // "-": /run/haproxy only exists once HAProxy has started once.
        ...[...rw].map((d) => `ReadWritePaths=${d === "/run/haproxy" ? "-" : ""}${d}`),
        ...bind.map((d) => `BindPaths=${d}`),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ];
    return `${lines.join("\n")}\n`;
}
