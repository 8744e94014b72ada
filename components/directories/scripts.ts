import { renderAsset } from "../shared/assets";
import { API_DIRECTORIES, PATHS, STATE_FILES } from "../shared/paths";
import { REMOVE_STATE_DIR_IF_EMPTY, script, shq } from "../shared/shell";
import { DIRECTORY_MODE } from "./tmpfiles";

export interface DirectorySpec {
    directories: readonly string[];
    tmpfiles: string;
}

/**
 * Creates the API's directories, owned by haproxy, and makes /etc/haproxy
 * group-writable (the API writes haproxy.cfg there by temp file and rename)
 * and closed to other users: haproxy.cfg holds the API users' password hashes,
 * and the API rewrites it 0644 whatever the umask, so the directory is what
 * keeps the hashes from anyone with a shell on the host.
 * What each directory was before (absent, or its owner and mode) and
 * /etc/haproxy's previous group and mode are kept so destroy can give them back.
 * The script is assets/directories/create.sh.
 */
export function directoriesScript(d: DirectorySpec): string {
    return script(
        `create the API's directories, owned by haproxy: ${d.directories.join(" ")}`,
        renderAsset("directories/create.sh", {
            STATE_DIR: shq(PATHS.stateDir),
            ETC_HAPROXY_STAT_FILE: STATE_FILES.etcHaproxyStat,
            DIRECTORIES_BEFORE_FILE: STATE_FILES.directoriesBefore,
            DIRECTORIES: d.directories.map(shq).join(" "),
            DIRECTORY_MODE,
            TMPFILES_PATH: shq(PATHS.tmpfiles),
            TMPFILES: d.tmpfiles.trimEnd(),
        }),
    );
}

/** Undoes directoriesScript, last directory first. The script is assets/directories/remove.sh. */
export function removeDirectoriesScript(d: DirectorySpec): string {
    return script(
        "remove the API's directories it created (if empty, but for the API's own state), give the others and /etc/haproxy their owner and mode back",
        renderAsset("directories/remove.sh", {
            TMPFILES_PATH: shq(PATHS.tmpfiles),
            STATE_DIR: shq(PATHS.stateDir),
            DIRECTORIES_BEFORE_FILE: STATE_FILES.directoriesBefore,
            DIRECTORIES_REVERSED: [...d.directories].reverse().map(shq).join(" "),
            DATAPLANE_STORAGE_DIR: shq(API_DIRECTORIES.dataplaneStorage),
            ETC_HAPROXY_STAT_FILE: STATE_FILES.etcHaproxyStat,
            REMOVE_STATE_DIR_IF_EMPTY,
        }),
    );
}
