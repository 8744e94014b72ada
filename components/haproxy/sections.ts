import { API_BACKEND } from "../shared/paths";

/** The system's CA bundle on Debian (package ca-certificates). */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

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
    // Not "@system-ca": Debian's stock haproxy.cfg sets ca-base /etc/ssl/certs,
    // and HAProxy 2.6 then looks for /etc/ssl/certs/@system-ca. An absolute
    // path is never prefixed.
    else if (m.tls) server += ` ssl verify required ca-file ${SYSTEM_CA_BUNDLE}`;
    return `${[`userlist ${m.userlist}`, `    ${USERS_PLACEHOLDER}`, "", `backend ${API_BACKEND}`, server].join("\n")}\n`;
}

/** The ids (keyword and name) of the managed sections, as haproxy-cfg-edit.awk takes them. */
export function managedSectionIds(userlist: string): string[] {
    return [`userlist ${userlist}`, `backend ${API_BACKEND}`];
}

/** The userlist line for one API user; the hash is SHA-512 crypt. */
export function renderUserLine(username: string, passwordHash: string): string {
    return `    user ${username} password ${passwordHash}\n`;
}
