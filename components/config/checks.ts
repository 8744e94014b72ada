import { atOrBelow, configFileProblem, directoryProblem, socketProblem, userRootProblem } from "../pathRule";
import { API_DIRECTORIES, PATHS } from "../shared/paths";
import { dirname } from "../shared/shell";
import { checksums, ownKeyOf, sshKeyOf } from "./deployment";
import { quote, truncate } from "./quote";
import type { Settings } from "./schema";
import { ARCHES, type Arch } from "./values";

/** The directories every `directories` must include: the config file's, and those dataplaneapi.yaml names. */
export const REQUIRED_DIRECTORIES: readonly string[] = [PATHS.configDir, ...Object.values(API_DIRECTORIES)];

/**
 * What the checks read. When some keys are invalid they run on the others,
 * with the invalid ones at their defaults, and hosts reduced to what they read
 * (see parse.ts), so that one run reports every problem at once.
 */
export type CheckedSettings = Omit<Settings, "hosts"> & { hosts: { name: string; arch?: Arch }[] };

/** The checks that read more than one key; each problem found is added to `problems`. */
export function crossChecks(c: CheckedSettings, problems: string[]): void {
    for (const [i, h] of c.hosts.entries()) {
        const key = sshKeyOf(c, h.name);
        if (key === "") {
            problems.push(`hosts[${i}] ("${h.name}"): has no SSH private key; set \`sshPrivateKey\` (all hosts) or \`sshPrivateKeys.${h.name}\` with --secret`);
        } else if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.trim())) {
            problems.push(
                `${ownKeyOf(c, h.name) !== undefined ? `sshPrivateKeys.${h.name}` : "sshPrivateKey"}: [secret] is not a PEM/OpenSSH private key (it must start with "-----BEGIN ... PRIVATE KEY-----")`,
            );
        }
    }
    const sha256 = checksums(c);
    const arches: Arch[] =
        c.dataplaneapiArch !== "" ? [c.dataplaneapiArch] : [...new Set(c.hosts.map((h) => h.arch).filter((a): a is Arch => a !== undefined))];
    const needsAll = c.dataplaneapiArch === "" && c.hosts.some((h) => h.arch === undefined);
    for (const arch of needsAll ? [...ARCHES] : arches) {
        if (!sha256[arch] && c.dataplaneapiLocalArchive === "") {
            problems.push(
                `dataplaneapiSha256.${arch}: is required for dataplaneapiVersion "${c.dataplaneapiVersion}" ` +
                    `(no published checksum is built in); copy it from the release's checksums.txt` +
                    (needsAll ? ` (or set dataplaneapiArch / hosts[].arch to the architectures you deploy)` : ""),
            );
        }
    }
    if (c.dataplaneapiLocalArchive === "" && c.dataplaneapiBaseUrl.startsWith("http:") && !c.dataplaneapiAllowHttp) {
        problems.push(
            `dataplaneapiBaseUrl: ${quote("dataplaneapiBaseUrl", c.dataplaneapiBaseUrl)} must be an https URL; ` +
                "set dataplaneapiAllowHttp to true to download over plain http (the archive's SHA-256 is still checked)",
        );
    }
    if (c.dataplaneapiLocalArchive !== "") {
        if (!c.dataplaneapiLocalArchive.endsWith(".tar.gz")) {
            problems.push(`dataplaneapiLocalArchive: "${c.dataplaneapiLocalArchive}" must be a release archive (*.tar.gz)`);
        }
        const forced = c.dataplaneapiArch || (new Set(c.hosts.map((h) => h.arch)).size === 1 ? c.hosts[0].arch : undefined);
        if (!forced) {
            problems.push(`dataplaneapiArch: "" must name the architecture of dataplaneapiLocalArchive (x86_64 or arm64) when a local archive is used`);
        } else if (!sha256[forced]) {
            problems.push(`dataplaneapiSha256.${forced}: is required with dataplaneapiLocalArchive, so the upload is verified on the host`);
        }
    }
    if (c.apiTlsCertificate !== "" || c.apiTlsKey !== "") {
        if (!c.apiTls) problems.push(`apiTlsCertificate: is set but apiTls is false; remove it or set apiTls to true`);
        if (!/^-----BEGIN CERTIFICATE-----/.test(c.apiTlsCertificate.trim())) {
            problems.push(`apiTlsCertificate: "${truncate(c.apiTlsCertificate)}" must be a PEM certificate, given together with apiTlsKey`);
        }
        if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(c.apiTlsKey.trim())) {
            problems.push(`apiTlsKey: [secret] must be a PEM private key, given together with apiTlsCertificate`);
        }
    }
    const ownedDirs = new Set(c.directories);
    if (ownedDirs.size !== c.directories.length) {
        problems.push(`directories: ${JSON.stringify(c.directories)} lists a directory twice`);
    }
    // A refused root opens nothing: the paths below it are judged without it.
    const roots: string[] = [];
    for (const [i, root] of c.allowPathsUnder.entries()) {
        const problem = userRootProblem(root);
        if (problem) problems.push(`allowPathsUnder[${i}]: "${root}" ${problem}`);
        else roots.push(root);
    }
    const configFileRefused = configFileProblem(c.haproxyConfigFile, roots);
    if (configFileRefused) problems.push(`haproxyConfigFile: "${c.haproxyConfigFile}" ${configFileRefused}`);
    for (const [key, role] of [
        ["haproxyAdminSocket", "admin"],
        ["haproxyMasterSocket", "master"],
    ] as const) {
        const refused = socketProblem(c[key], roots, role);
        if (refused) problems.push(`${key}: "${c[key]}" ${refused}`);
    }
    const socketDirs = [dirname(c.haproxyAdminSocket), dirname(c.haproxyMasterSocket)];
    for (const [i, d] of c.directories.entries()) {
        const refused = directoryProblem(d, roots);
        if (refused) {
            problems.push(`directories[${i}]: "${d}" ${refused}`);
        } else if (socketDirs.some((sd) => atOrBelow(sd, d))) {
            problems.push(
                `directories[${i}]: "${d}" holds a socket whose directory the program changes (${socketDirs.join(", ")}); list directories the API owns`,
            );
        } else if ([c.haproxyConfigFile, c.haproxyAdminSocket, c.haproxyMasterSocket].includes(d)) {
            problems.push(`directories[${i}]: "${d}" is the path of a file or socket set elsewhere in the configuration`);
        }
    }
    for (const [i, d] of c.adoptDirectories.entries()) {
        if (!ownedDirs.has(d)) problems.push(`adoptDirectories[${i}]: "${d}" is not in directories; only a directory the API uses can be adopted`);
    }
    for (const required of REQUIRED_DIRECTORIES) {
        if (!ownedDirs.has(required)) {
            problems.push(`directories: ${truncate(JSON.stringify(c.directories))} must include "${required}", which the API configuration uses`);
        }
    }
    // Compared as canonical paths, so two spellings of one socket are caught.
    if (c.haproxyAdminSocket === c.haproxyMasterSocket) {
        problems.push(`haproxyMasterSocket: "${c.haproxyMasterSocket}" must differ from haproxyAdminSocket (they name the same socket)`);
    }
}
