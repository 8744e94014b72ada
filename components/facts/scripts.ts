import { PATHS } from "../shared/paths";
import { script, shq } from "../shared/shell";

export interface PreflightSpec {
    /** HAProxy's config file. */
    configFile: string;
    /** Ids ("<keyword> <name>") of the sections the program will own in it. */
    ownedSections: readonly string[];
    /** Take over sections with those names that the file already has, instead of refusing. */
    adoptSections: boolean;
}

/** An ERE matching the header line of section `id`, e.g. "userlist controller". */
function headerPattern(id: string): string {
    const [keyword, name] = id.split(" ");
    return `^[[:space:]]*${keyword}[[:space:]]+${name.replace(/[.]/g, "\\.")}([[:space:]]|$)`;
}

/**
 * Runs before any other step touches the host (every other step depends on
 * it): reads HAProxy's version, prints `haproxy_version=X.Y.Z`, refuses a
 * haproxy.cfg that `haproxy -c` rejects as it stands, and refuses to take over
 * sections of it that the user already has under the names the program
 * manages, unless told to.
 */
export function hostFactsScript(p: PreflightSpec): string {
    const checks = p.ownedSections.map((id) => `check_section ${shq(id)} ${shq(headerPattern(id))}`).join("\n");
    return script(
        `preflight: read HAProxy's version; refuse a ${p.configFile} that haproxy -c rejects, or sections of it that are not the program's`,
        `
command -v haproxy >/dev/null || { echo "HAProxy is not installed on this host; install it first (apt-get install haproxy)" >&2; exit 1; }
output=$(haproxy -v)
banner=\${output%%$'\\n'*}
version=$(sed -n 's/^HAProxy version \\([0-9][0-9.]*\\).*/\\1/p' <<< "$banner")
[ -n "$version" ] || { echo "could not read HAProxy's version from: $banner" >&2; exit 1; }
echo "$banner"
cfg=${shq(p.configFile)}
[ -f "$cfg" ] || { echo "$cfg does not exist: is HAProxy installed?" >&2; exit 1; }
# The edit builds on the file as it stands, and every reload would refuse it:
# stop here, before anything changes, if HAProxy does not accept it now.
if ! check=$(haproxy -c -f "$cfg" 2>&1); then
    echo "$cfg is not a configuration HAProxy accepts as it stands (haproxy -c); nothing was changed. Fix it first:" >&2
    printf '%s\n' "$check" >&2
    exit 1
fi
owned=$(cat ${shq(`${PATHS.stateDir}/owned-sections`)} 2>/dev/null || true)
adopt=${p.adoptSections ? "yes" : "no"}
check_section() { # id header-pattern
    case "|$owned|" in *"|$1|"*) return 0 ;; esac
    if grep -Eq "$2" "$cfg"; then
        if [ "$adopt" = yes ]; then
            echo "$cfg already has a section '$1': it will be replaced (haproxyAdoptSections is true)"
        else
            echo "$cfg already has a section '$1', which this program would replace; nothing was changed." >&2
            echo "Rename that section, choose other names (haproxyUserlist), or set haproxyAdoptSections to true to let the program take it over." >&2
            exit 1
        fi
    fi
}
${checks}
echo "haproxy_version=$version"
`,
    );
}
