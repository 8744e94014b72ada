import { renderAsset } from "../shared/assets";
import { PATHS, STATE_FILES } from "../shared/paths";
import { script, shq } from "../shared/shell";

export interface PreflightSpec {
    /** HAProxy's config file. */
    configFile: string;
    /** Ids ("<keyword> <name>") of the sections the program will own in it. */
    ownedSections: readonly string[];
    /** Take over sections with those names that the file already has, instead of refusing. */
    adoptSections: boolean;
    /** The directories the program gives to haproxy. */
    directories: readonly string[];
    /** Those of them that may exist and belong to someone else (adoptDirectories). */
    adoptDirectories: readonly string[];
    /** HAProxy's sockets, by the setting that names each. */
    sockets: Readonly<Record<"haproxyAdminSocket" | "haproxyMasterSocket", string>>;
}

/** An ERE matching the header line of section `id`, e.g. "userlist controller". */
function headerPattern(id: string): string {
    const [keyword, name] = id.split(" ");
    return `^[[:space:]]*${keyword}[[:space:]]+${name.replace(/[.]/g, "\\.")}([[:space:]]|$)`;
}

/**
 * Runs before any other step touches the host (every other step depends on
 * it): reads HAProxy's version, prints `haproxy_version=X.Y.Z`, refuses a path
 * setting that leads elsewhere through a symbolic link, refuses a haproxy.cfg
 * that user haproxy cannot read or that has no global or defaults section (a
 * file that is not HAProxy's, whose content is never shown) or that
 * `haproxy -c`, run as user haproxy, rejects as it stands, refuses to take over
 * sections of it that the user already has under the names the program
 * manages, and refuses a directory that exists and is not haproxy's, unless
 * told to (haproxyAdoptSections, adoptDirectories). The script is
 * assets/preflight/check.sh.
 */
export function preflightScript(p: PreflightSpec): string {
    return script(
        `preflight: read HAProxy's version; refuse a ${p.configFile} that is not HAProxy's, sections of it, or directories that are not the program's`,
        renderAsset("preflight/check.sh", {
            CONFIG_FILE: shq(p.configFile),
            OWNED_SECTIONS_PATH: shq(`${PATHS.stateDir}/${STATE_FILES.ownedSections}`),
            ADOPT_SECTIONS: p.adoptSections ? "yes" : "no",
            CHECK_SECTIONS: p.ownedSections.map((id) => `check_section ${shq(id)} ${shq(headerPattern(id))}`).join("\n"),
            CHECK_LINKS: [
                ...p.directories.map((d) => `refuse_link directories ${shq(d)}`),
                ...Object.entries(p.sockets).map(([key, socket]) => `refuse_link ${key} ${shq(socket)}`),
            ].join("\n"),
            CHECK_DIRECTORIES: p.directories.map((d) => `check_directory ${shq(d)} ${p.adoptDirectories.includes(d) ? "yes" : "no"}`).join("\n"),
        }),
    );
}
