/** Where things live on the host. One place, so renderers, scripts and tests agree. */
export const PATHS = {
    binary: "/usr/local/bin/dataplaneapi",
    configDir: "/etc/haproxy-dataplane",
    configFile: "/etc/haproxy-dataplane/dataplaneapi.yaml",
    tlsDir: "/etc/haproxy-dataplane/tls",
    tlsCert: "/etc/haproxy-dataplane/tls/server.crt",
    tlsKey: "/etc/haproxy-dataplane/tls/server.key",
    tlsCa: "/etc/haproxy-dataplane/tls/ca.crt",
    unit: "/etc/systemd/system/dataplaneapi.service",
    unitName: "dataplaneapi.service",
    /** The reload service: a socket group haproxy may connect to, and a root service run once per connection. */
    reloadSocketUnit: "/etc/systemd/system/haproxy-dataplane-reload.socket",
    reloadSocketUnitName: "haproxy-dataplane-reload.socket",
    reloadServiceUnit: "/etc/systemd/system/haproxy-dataplane-reload@.service",
    reloadSocket: "/run/haproxy-dataplane/reload.sock",
    tmpfiles: "/etc/tmpfiles.d/haproxy-dataplaneapi.conf",
    toolsDir: "/usr/local/lib/haproxy-dataplane",
    /** Reloads HAProxy through its root-only master socket and prints the verdict; run as root, and locked on itself. */
    reloadHelper: "/usr/local/lib/haproxy-dataplane/reload-haproxy",
    /** The API's reload_cmd: asks the reload service, as user haproxy, and exits with its verdict. */
    reloadClient: "/usr/local/lib/haproxy-dataplane/request-reload",
    cfgEditor: "/usr/local/lib/haproxy-dataplane/haproxy-cfg-edit.awk",
    /** Root-only state kept by the deployment: the pre-deploy haproxy.cfg, the hashed users, restart keys. */
    stateDir: "/var/lib/haproxy-dataplane-deploy",
    /** Root-only: the API users' hashed userlist lines, which the haproxy.cfg edit puts in place of its placeholder. */
    userlistUsers: "/var/lib/haproxy-dataplane-deploy/userlist-users",
    /**
     * Root-only: what each file the program writes was given (owner, mode,
     * digest and, unless it is the binary, a copy), for the drift check.
     */
    deployedDir: "/var/lib/haproxy-dataplane-deploy/deployed",
    /** The haproxy.cfg edit's managed sections, as last applied (user lines as a placeholder), for the drift check. */
    managedSections: "/var/lib/haproxy-dataplane-deploy/managed-sections",
} as const;

/**
 * The host's temporary trees: the unit's PrivateTmp gives the API its own copy
 * of each (so a directory there is bound in), Debian's tmp.conf ages what is in
 * them (so one is declared in tmpfiles.d), and a directory of the API's own
 * below one may be listed in `directories` (pathRule.ts).
 */
export const TEMP_TREES = ["/tmp", "/var/tmp"] as const;

/**
 * The directories dataplaneapi.yaml names, by the setting that names each
 * (see apiConfig/yaml.ts). Every `directories` must include them, and
 * PATHS.configDir (config/checks.ts checks it); the default `directories`
 * (config/schema.ts DEFAULT_DIRECTORIES) is built from them.
 */
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

/** The section the seed adds so that the existing reverse proxy can route to the API. */
export const API_BACKEND = "haproxy-dataplane-api";

/**
 * What the deployment keeps in PATHS.stateDir, which its scripts call "$state",
 * by what each file holds. A script body in assets/ names one as
 * `"$state/@X_FILE@"`, filled with STATE_FILES.x, or by a placeholder for its
 * whole path; a script written in TypeScript as `${PATHS.stateDir}/${STATE_FILES.x}`.
 */
export const STATE_FILES = {
    /** haproxy.cfg as it was before the first edit: what each edit starts from, and what a revert puts back. */
    haproxyCfgBefore: "haproxy.cfg.before",
    /** The haproxy.cfg sections the last edit owned, so that a renamed userlist's old section is removed. */
    ownedSections: "owned-sections",
    /** /etc/haproxy's group and mode before the deployment opened it to group haproxy. */
    etcHaproxyStat: "etc-haproxy.stat",
    /** Each of the API's directories as the first run found it ("created", or "existed uid gid mode"), for destroy. */
    directoriesBefore: "directories.before",
    /** The API service's restart key: the service restarts when it changes. */
    restartKey: "restart-key",
    /** The admin socket's directory's group and mode before the reload service needed it. */
    adminDirStat: "admin-dir.stat",
} as const;

/** Written at the top of every file the program renders, so a person on the host knows not to hand-edit it. */
export const MANAGED_BY = "Managed by haproxy-dataplane-deploy (Pulumi). Local edits are overwritten by `pulumi up`.";
