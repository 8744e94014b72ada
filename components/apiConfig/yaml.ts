import { stringify } from "yaml";
import { API_DIRECTORIES, MANAGED_BY, PATHS } from "../shared/paths";

/**
 * dataplaneapi.yaml, rendered from a typed model. Same input, same bytes: key
 * order is fixed by construction, so previews show no noise.
 */

/** The typed model of dataplaneapi.yaml (config_version 2), limited to what this program sets. */
export interface DataplaneApiConfigModel {
    /** Node name; the host's name. */
    name: string;
    /** Address the API listens on (apiBindAddress). */
    bindAddress: string;
    /** Port the API listens on and advertises (apiPort). */
    port: number;
    /** The API serves HTTPS with PATHS.tlsCert and PATHS.tlsKey (apiTls). */
    tls: boolean;
    /** Address the API advertises to clients: apiAdvertisedAddress, or the host's address when that is empty. */
    advertisedAddress: string;
    /** The HAProxy userlist the API takes its users from (haproxyUserlist). */
    userlist: string;
    /** HAProxy's config file (haproxyConfigFile). */
    haproxyConfigFile: string;
    /** Seconds the API batches changes before it reloads HAProxy (haproxyReloadDelay). */
    reloadDelay: number;
    /** HAProxy's version on the host, as `haproxy -v` reports it (see preflight/). */
    haproxyVersion: string;
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
            // No master_runtime, on any HAProxy: the stock master socket stays
            // root-only, so the API reaches HAProxy's runtime through the admin
            // socket and reloads with reload_cmd, which asks the reload service
            // (reload/). restart_cmd is the same: the API never restarts HAProxy.
            master_worker_mode: true,
            reload: {
                reload_delay: m.reloadDelay,
                reload_cmd: PATHS.reloadClient,
                restart_cmd: PATHS.reloadClient,
                // Feeds GET /v3/health; without it HAProxy's state is "unknown".
                // Split on spaces and run without a shell, as user haproxy.
                status_cmd: "/usr/bin/systemctl is-active --quiet haproxy.service",
                reload_strategy: "custom",
            },
        },
        log_targets: [{ log_to: "stdout", log_level: "info", log_format: "text", log_types: ["access", "app"] }],
    };
}

/**
 * One line saying how the API reloads the host's HAProxy, for the YAML's
 * header and the stack's outputs. It is the same on every release; the
 * version says what the preflight found.
 */
export function describeReloadPath(haproxyVersion: string): string {
    return `HAProxy ${haproxyVersion} on this host: the API reloads it through the reload service, never restarts it`;
}

export function renderDataplaneApiConfig(m: DataplaneApiConfigModel): string {
    return (
        `# ${MANAGED_BY}\n# The API rewrites this file when it starts; the rendered content is kept in Pulumi state.\n` +
        `# ${describeReloadPath(m.haproxyVersion)}.\n` +
        stringify(dataplaneApiConfigDocument(m), { lineWidth: 0 })
    );
}
