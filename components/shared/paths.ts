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
    haproxyDropIn: "/etc/systemd/system/haproxy.service.d/50-dataplaneapi-master-socket.conf",
    tmpfiles: "/etc/tmpfiles.d/haproxy-dataplaneapi.conf",
    toolsDir: "/usr/local/lib/haproxy-dataplane",
    reloadHelper: "/usr/local/lib/haproxy-dataplane/reload-haproxy",
    cfgEditor: "/usr/local/lib/haproxy-dataplane/haproxy-cfg-edit.awk",
    /** Root-only state kept by the deployment: the pre-deploy haproxy.cfg, the hashed users, restart keys. */
    stateDir: "/var/lib/haproxy-dataplane-deploy",
} as const;

/** The section the seed adds so that the existing reverse proxy can route to the API. */
export const API_BACKEND = "haproxy-dataplane-api";

/** Written at the top of every file the program renders, so a person on the host knows not to hand-edit it. */
export const MANAGED_BY = "Managed by haproxy-dataplane-deploy (Pulumi). Local edits are overwritten by `pulumi up`.";
