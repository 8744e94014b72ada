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

/** The section the seed adds so that the existing reverse proxy can route to the API. */
export const API_BACKEND = "haproxy-dataplane-api";

/** Written at the top of every file the program renders, so a person on the host knows not to hand-edit it. */
export const MANAGED_BY = "Managed by haproxy-dataplane-deploy (Pulumi). Local edits are overwritten by `pulumi up`.";
