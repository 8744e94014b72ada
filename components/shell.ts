import { PATHS } from "./paths";

/**
 * Every shell command the program sends to a host is made here.
 *
 * Scripts are bash, start with `set -euo pipefail`, never contain a secret
 * (secrets travel on stdin), and are checked by shellcheck in the unit tests.
 * Values are pasted into scripts only through `shq`.
 */

/** Quotes a string for bash as one word, whatever it contains. */
export function shq(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** How a script reaches root on the host: directly, or through passwordless sudo (no PTY is available). */
export function asRoot(script: string, useSudo: boolean): string {
    return `${useSudo ? "sudo -n " : ""}bash -c ${shq(script)}`;
}

const PRELUDE = "set -euo pipefail\numask 022\n";

/**
 * A bash script whose first line says what it does. Previews show the first
 * lines of a new command's script, so that line is what a reviewer reads.
 */
function script(summary: string, body: string): string {
    return `# ${summary.replace(/[\r\n]+/g, " ")}\n${PRELUDE}${body.replace(/^\n/, "")}`;
}

export interface WriteFileSpec {
    path: string;
    owner: string;
    group: string;
    /** Octal, e.g. "0644". */
    mode: string;
    /** Shell run after the file is in place (e.g. `systemctl daemon-reload`). */
    after?: string;
    /** Shell run after the file is removed. */
    afterDelete?: string;
    /** Remove the file's directory too once it is empty (a directory the program created for it). */
    removeEmptyDir?: boolean;
}

function dirname(path: string): string {
    return path.replace(/\/[^/]+$/, "") || "/";
}

/**
 * Writes stdin to a file atomically: a temporary file in the same directory,
 * owner and mode set before it is renamed over the target, so no reader sees
 * a half-written file and a secret file is never readable by others.
 */
export function writeFileScript(f: WriteFileSpec): string {
    const dir = dirname(f.path);
    return script(`write ${f.path} (${f.owner}:${f.group} ${f.mode}) from stdin`, `
target=${shq(f.path)}
[ -d ${shq(dir)} ] || install -d -m 0755 ${shq(dir)}
tmp=$(mktemp ${shq(`${dir}/.dpdeploy.XXXXXX`)})
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
chown ${shq(`${f.owner}:${f.group}`)} "$tmp"
chmod ${shq(f.mode)} "$tmp"
mv -f "$tmp" "$target"
trap - EXIT
${f.after ?? ""}
echo "wrote $target ($(stat -c '%U:%G %a' "$target"), sha256 $(sha256sum "$target" | cut -c1-12))"
`);
}

export function removeFileScript(f: WriteFileSpec): string {
    return script(`remove ${f.path}`, `
rm -f ${shq(f.path)}
${f.removeEmptyDir ? `# Sibling files are removed in parallel: the directory may already be gone.
rmdir --ignore-fail-on-non-empty ${shq(dirname(f.path))} 2>/dev/null || [ ! -e ${shq(dirname(f.path))} ]` : ""}
${f.afterDelete ?? ""}
echo ${shq(`removed ${f.path}`)}
`);
}

export interface BinaryInstallSpec {
    version: string;
    /** SHA-256 of the archive for each architecture this host may be. */
    sha256: Partial<Record<"x86_64" | "arm64", string>>;
    /** Forced architecture; otherwise `uname -m` decides. */
    arch?: "x86_64" | "arm64";
    /** Base URL of release downloads, or undefined when `uploadedArchive` is used. */
    baseUrl?: string;
    /** Path on the host of an archive uploaded from the workstation. */
    uploadedArchive?: string;
}

/** Release archives are named dataplaneapi_<version>_linux_<arch>.tar.gz, for arch x86_64 or arm64. */
export function archiveName(version: string, arch: string): string {
    return `dataplaneapi_${version}_linux_${arch}.tar.gz`;
}

/**
 * Fetches (or takes the uploaded) release archive, verifies its SHA-256 before
 * anything is unpacked, and swaps the binary in with a rename in its own
 * directory, so the service never sees a partial file.
 */
export function installBinaryScript(b: BinaryInstallSpec): string {
    const shaCases = Object.entries(b.sha256)
        .map(([arch, sha]) => `    ${arch}) sha=${shq(sha!)} ;;`).join("\n");
    const fetch = b.uploadedArchive
        ? `# The upload lands in /tmp, which a reboot empties, and is not copied again
# when only the connection changes: a verified copy is kept in the state
# directory, so this step can run again whenever the engine re-runs it.
src=${shq(b.uploadedArchive)}
kept=${shq(`${PATHS.stateDir}/archives`)}/"$name"
if [ -f "$src" ]; then
    cp -f "$src" "$work/archive.tar.gz"
elif [ -f "$kept" ]; then
    cp -f "$kept" "$work/archive.tar.gz"
    echo "using the copy of the uploaded archive kept in $kept"
else
    echo "the uploaded archive $src is missing, and no copy is kept in $kept" >&2
    exit 1
fi`
        : `url=${shq(`${b.baseUrl}/v${b.version}/`)}"$name"
echo "downloading $url"
if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --connect-timeout 15 -o "$work/archive.tar.gz" "$url"
elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$work/archive.tar.gz" "$url"
else
    echo "neither curl nor wget is installed on this host; install curl (apt-get install curl)" >&2
    exit 1
fi`;
    return script(`install dataplaneapi ${b.version} from ${b.uploadedArchive ? "the uploaded archive" : `${b.baseUrl}/v${b.version}/`}, checked against its SHA-256 first`, `
version=${shq(b.version)}
arch=${b.arch ? shq(b.arch) : `$(uname -m)`}
case "$arch" in
    x86_64|amd64) arch=x86_64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "unsupported CPU architecture: $arch (releases exist for x86_64 and arm64)" >&2; exit 1 ;;
esac
sha=
case "$arch" in
${shaCases}
esac
[ -n "$sha" ] || { echo "no SHA-256 is configured for $arch; set dataplaneapiSha256.$arch" >&2; exit 1; }
name="dataplaneapi_\${version}_linux_\${arch}.tar.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
${fetch}
actual=$(sha256sum "$work/archive.tar.gz" | cut -d' ' -f1)
if [ "$actual" != "$sha" ]; then
    echo "checksum mismatch for $name: expected $sha, got $actual; nothing was installed" >&2
    exit 1
fi
echo "verified $name (sha256 $sha)"
tar -xzf "$work/archive.tar.gz" -C "$work"
[ -f "$work/dataplaneapi" ] || { echo "$name has no dataplaneapi at its root" >&2; exit 1; }
staged=${shq(`${dirname(PATHS.binary)}/.dataplaneapi.new`)}
install -m 0755 -o root -g root "$work/dataplaneapi" "$staged"
# --version writes log lines to stderr first, then a banner of several lines
# to stdout: read whole files, never a pipe that a reader may close early.
if ! "$staged" --version > "$work/version.out" 2> "$work/version.err"; then
    rm -f "$staged"
    echo "the new binary does not run:" >&2
    cat "$work/version.err" "$work/version.out" >&2
    exit 1
fi
banner=$(grep -m 1 'Data Plane API v' "$work/version.out" || true)
reported=$(sed -n 's/.*Data Plane API v\\([0-9][0-9A-Za-z.+-]*\\).*/\\1/p' <<< "$banner")
if [ "$reported" != "$version" ]; then
    rm -f "$staged"
    echo "$name holds a binary that reports version \${reported:-unknown} (\${banner:-no banner}), not $version; nothing was installed" >&2
    exit 1
fi
mv -f "$staged" ${shq(PATHS.binary)}
${b.uploadedArchive ? `install -d -m 0700 "\${kept%/*}"
if [ -f "$src" ]; then install -m 0600 "$work/archive.tar.gz" "$kept"; rm -f "$src"; fi
` : ""}echo "installed ${PATHS.binary}: $banner"
echo "arch=$arch"
echo "version=$reported"
echo "binary_sha256=$(sha256sum ${shq(PATHS.binary)} | cut -d' ' -f1)"
`);
}

export function removeBinaryScript(): string {
    return script(`remove ${PATHS.binary}`, `
rm -f ${shq(PATHS.binary)} ${shq(`${dirname(PATHS.binary)}/.dataplaneapi.new`)}
rm -rf ${shq(`${PATHS.stateDir}/archives`)}
rmdir ${shq(PATHS.stateDir)} 2>/dev/null || true
echo ${shq(`removed ${PATHS.binary}`)}
`);
}

/** Prints `haproxy_version=X.Y.Z`, from the first line of `haproxy -v`. */
export function hostFactsScript(): string {
    return script("read HAProxy's version (haproxy -v)", `
command -v haproxy >/dev/null || { echo "HAProxy is not installed on this host; install it first (apt-get install haproxy)" >&2; exit 1; }
output=$(haproxy -v)
banner=\${output%%$'\\n'*}
version=$(sed -n 's/^HAProxy version \\([0-9][0-9.]*\\).*/\\1/p' <<< "$banner")
[ -n "$version" ] || { echo "could not read HAProxy's version from: $banner" >&2; exit 1; }
echo "$banner"
echo "haproxy_version=$version"
`);
}

export interface DirectorySpec {
    directories: readonly string[];
    tmpfiles: string;
}

/**
 * Creates the API's directories, owned by haproxy, and makes /etc/haproxy
 * group-writable (the API writes haproxy.cfg there by temp file and rename).
 * /etc/haproxy's previous group and mode are kept so destroy can give them back.
 */
export function directoriesScript(d: DirectorySpec): string {
    return script(`create the API's directories, owned by haproxy: ${d.directories.join(" ")}`, `
getent group haproxy >/dev/null || { echo "group haproxy does not exist: install HAProxy on this host first" >&2; exit 1; }
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
[ -e "$state/etc-haproxy.stat" ] || stat -c '%g %a' /etc/haproxy > "$state/etc-haproxy.stat"
chgrp haproxy /etc/haproxy
chmod g+w /etc/haproxy
for dir in ${d.directories.map(shq).join(" ")}; do
    install -d -o haproxy -g haproxy -m 0755 "$dir"
    echo "directory $dir: $(stat -c '%U:%G %a' "$dir")"
done
cat > ${shq(PATHS.tmpfiles)} <<'TMPFILES'
${d.tmpfiles.trimEnd()}
TMPFILES
systemd-tmpfiles --create ${shq(PATHS.tmpfiles)}
`);
}

export function removeDirectoriesScript(d: DirectorySpec): string {
    return script("remove the API's directories that are empty; give /etc/haproxy its group and mode back", `
rm -f ${shq(PATHS.tmpfiles)}
for dir in ${[...d.directories].reverse().map(shq).join(" ")}; do
    if rmdir "$dir" 2>/dev/null; then echo "removed $dir"; elif [ -d "$dir" ]; then echo "kept $dir: it is not empty"; fi
done
state=${shq(PATHS.stateDir)}
if [ -f "$state/etc-haproxy.stat" ]; then
    read -r gid mode < "$state/etc-haproxy.stat"
    chgrp "$gid" /etc/haproxy
    chmod "$mode" /etc/haproxy
    rm -f "$state/etc-haproxy.stat"
    echo "restored /etc/haproxy to group $gid, mode $mode"
fi
rmdir "$state" 2>/dev/null || true
`);
}

export interface HaproxyEditSpec {
    configFile: string;
    adminSocket: string;
    /** Section ids owned by the program, "|"-separated for the awk editor. */
    ownedSections: readonly string[];
    placeholder: string;
    /** The API's backups_dir, where it keeps haproxy.cfg.lkg. */
    backupsDir: string;
    /** Digest of the hashed user lines, so that a new password changes this script (and re-runs it). */
    usersDigest?: string;
}

/**
 * Validates the candidate as the Data Plane API will (as user haproxy, so a
 * file it cannot read fails here, not at the API's first commit), swaps it in
 * and reloads; on any failure puts the previous file back. `afterSwap` runs
 * once the new file is live.
 */
function swapAndReload(afterSwap = ""): string {
    return `
swap_in() {
    cp -p "$1" "$cfg.dpdeploy.new"
    mv -f "$cfg.dpdeploy.new" "$cfg"
}
if cmp -s "$work/candidate" "$cfg"; then
    echo "$cfg: already as wanted"
else
    chgrp haproxy "$work" "$work/candidate"
    chmod 0750 "$work"
    chmod 0640 "$work/candidate"
    if ! runuser -u haproxy -- haproxy -c -q -f "$work/candidate" 2>/dev/null; then
        echo "the candidate $cfg is rejected by haproxy -c run as user haproxy, as the Data Plane API validates every change" >&2
        echo "(every file it names must be readable by haproxy); the live file is unchanged:" >&2
        runuser -u haproxy -- haproxy -c -f "$work/candidate" >&2 || true
        exit 1
    fi
    cp -p "$cfg" "$work/previous"
    chown --reference="$cfg" "$work/candidate"
    chmod --reference="$cfg" "$work/candidate"
    swap_in "$work/candidate"
    diff -u "$work/previous" "$cfg" | sed -n '3,$p' | grep -E '^[-+]' | sed 's/^\\([-+][[:space:]]*user\\)[[:space:]].*/\\1 <masked>/' || true
    if systemctl is-active --quiet haproxy.service; then
        if ! systemctl reload haproxy.service; then
            echo "HAProxy refused the reload; restoring the previous $cfg" >&2
            swap_in "$work/previous"
            systemctl reload haproxy.service || true
            exit 1
        fi
        echo "validated $cfg and reloaded HAProxy"
    else
        echo "validated $cfg; HAProxy is not running, so it takes effect when it starts"
    fi
${afterSwap.trim()}
fi
`;
}

/**
 * Applies the program's edit to haproxy.cfg. stdin is the managed sections with a
 * placeholder where the hashed user lines go; those are read from the root-only
 * file the credentials step wrote, so this command carries no secret.
 */
export function haproxyEditScript(e: HaproxyEditSpec): string {
    return script(`edit ${e.configFile}: master-worker, the admin socket for group haproxy, ${e.ownedSections.join(", ")}; validate, reload`, `
${e.usersDigest ? `# API users: ${e.usersDigest} (a digest of the hashed user lines)\n` : ""}cfg=${shq(e.configFile)}
state=${shq(PATHS.stateDir)}
[ -f "$cfg" ] || { echo "$cfg does not exist: is HAProxy installed?" >&2; exit 1; }
install -d -m 0700 "$state"
[ -e "$state/haproxy.cfg.before" ] || cp -p "$cfg" "$state/haproxy.cfg.before"
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$cfg.dpdeploy.new"' EXIT
# The Data Plane API writes haproxy.cfg under an exclusive flock on the file
# itself: hold the same lock from reading it until the new file is in place.
exec 9< "$cfg"
flock -w 60 9 || { echo "waited 60 s for the lock the Data Plane API holds on $cfg; try again" >&2; exit 1; }
cat > "$work/template"
awk -v users="$state/userlist-users" -v placeholder=${shq(e.placeholder)} '
    $1 == placeholder { while ((getline line < users) > 0) print line; next }
    { print }
' "$work/template" > "$work/managed"
previous_owned=$(cat "$state/owned-sections" 2>/dev/null || true)
awk -v mode=apply -v socket=${shq(e.adminSocket)} -v remove="$previous_owned" \\
    -f ${shq(PATHS.cfgEditor)} "$work/managed" "$cfg" > "$work/candidate"
${swapAndReload(`
    # The API puts its last known good copy back when one of its reloads
    # fails; it refreshes that copy only after its own reloads, so it would
    # bring back the file from before this edit (an old userlist, say).
    lkg=${shq(`${e.backupsDir}/haproxy.cfg.lkg`)}
    if [ -d ${shq(e.backupsDir)} ]; then
        install -o haproxy -g haproxy -m 0644 "$cfg" "$lkg"
        echo "refreshed the API's last known good copy $lkg"
    fi`)}
printf '%s\\n' ${shq(e.ownedSections.join("|"))} > "$state/owned-sections"
# The API re-reads its users from the userlist on SIGUSR2.
# Only the main process: a reload helper or haproxy -c the API is running
# at that moment must not get the signal.
if systemctl is-active --quiet ${shq(PATHS.unitName)}; then systemctl kill --kill-who=main -s USR2 ${shq(PATHS.unitName)}; fi
`);
}

/** Takes the program's edit back out: its sections go, the global lines return to their pre-deploy form. */
export function haproxyRevertScript(e: HaproxyEditSpec): string {
    return script(`take the edit back out of ${e.configFile}: ${e.ownedSections.join(", ")} go, global as it was; validate, reload`, `
cfg=${shq(e.configFile)}
state=${shq(PATHS.stateDir)}
if [ ! -f "$state/haproxy.cfg.before" ] || [ ! -f "$cfg" ]; then
    echo "no pre-deploy copy of $cfg; leaving it as it is"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$cfg.dpdeploy.new"' EXIT
# The Data Plane API writes haproxy.cfg under an exclusive flock on the file
# itself: hold the same lock from reading it until the new file is in place.
exec 9< "$cfg"
flock -w 60 9 || { echo "waited 60 s for the lock the Data Plane API holds on $cfg; try again" >&2; exit 1; }
owned=$(cat "$state/owned-sections" 2>/dev/null || printf '%s' ${shq(e.ownedSections.join("|"))})
awk -v mode=revert -v socket=${shq(e.adminSocket)} -v remove="$owned" \\
    -f ${shq(PATHS.cfgEditor)} "$state/haproxy.cfg.before" "$cfg" > "$work/candidate"
${swapAndReload()}
rm -f "$state/haproxy.cfg.before" "$state/owned-sections"
`);
}

export interface SocketSpec {
    masterSocket: string;
    adminSocket: string;
    /** HAProxy's config file, validated before a restart. */
    configFile: string;
}

/** The -S argument the haproxy.service drop-in adds (see render.ts renderHaproxyDropIn). */
export function masterSocketArgument(masterSocket: string): string {
    return `-S ${masterSocket},mode,660,group,haproxy`;
}

/**
 * Makes the running HAProxy match the drop-in. HAProxy's master re-creates its
 * master socket with the options it was started with at every reload (master
 * CLI reload and SIGUSR2 alike), so a chgrp/chmod of the live socket lasts
 * only until the first reload. The options must be on the running master's
 * command line: if they are not, HAProxy is restarted once, here. Later runs
 * find them and do not restart. The admin socket's directory is opened to
 * group haproxy; its previous group and mode are kept for destroy.
 */
export function socketPermissionsScript(s: SocketSpec): string {
    const adminDir = dirname(s.adminSocket);
    return script(`restart HAProxy once if its master lacks ${masterSocketArgument(s.masterSocket)}; open ${dirname(s.adminSocket)} to group haproxy`, `
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
want=${shq(masterSocketArgument(s.masterSocket))}
admin_dir=${shq(adminDir)}
if [ -d "$admin_dir" ]; then
    [ -e "$state/admin-dir.stat" ] || stat -c '%g %a' "$admin_dir" > "$state/admin-dir.stat"
    chgrp haproxy "$admin_dir"
    chmod g+rx "$admin_dir"
    echo "admin socket directory $admin_dir: $(stat -c '%U:%G %a' "$admin_dir")"
fi
if ! systemctl is-active --quiet haproxy.service; then
    echo "HAProxy is not running; it opens its master socket to group haproxy when it starts"
    exit 0
fi
pid=$(systemctl show -p MainPID --value haproxy.service)
running=$(tr '\\0' ' ' < "/proc/$pid/cmdline")
if [[ " $running " == *" $want "* ]]; then
    echo "HAProxy's master (pid $pid) was started with $want: not restarted"
else
    haproxy -c -q -f ${shq(s.configFile)}
    systemctl restart haproxy.service
    echo "restarted HAProxy once, so that its master keeps the master socket open to group haproxy across reloads (it was started as: $running)"
fi
echo "master socket ${s.masterSocket}: $(stat -c '%U:%G %a' ${shq(s.masterSocket)} 2>/dev/null || echo missing)"
`);
}

/** Gives the admin socket's directory its group and mode back. The master socket keeps its options until HAProxy's next start. */
export function restoreSocketPermissionsScript(s: SocketSpec): string {
    return script(`give ${dirname(s.adminSocket)} its group and mode back`, `
state=${shq(PATHS.stateDir)}
admin_dir=${shq(dirname(s.adminSocket))}
if [ -f "$state/admin-dir.stat" ]; then
    read -r gid mode < "$state/admin-dir.stat"
    if [ -d "$admin_dir" ]; then chgrp "$gid" "$admin_dir"; chmod "$mode" "$admin_dir"; fi
    rm -f "$state/admin-dir.stat"
    echo "restored $admin_dir to group $gid, mode $mode"
fi
`);
}

export function enableServiceScript(): string {
    return script(`enable ${PATHS.unitName}`, `
systemctl enable ${shq(PATHS.unitName)} 2>&1
echo "enabled: $(systemctl is-enabled ${shq(PATHS.unitName)})"
`);
}

export function disableServiceScript(): string {
    return script(`stop and disable ${PATHS.unitName}`, `
systemctl disable --now ${shq(PATHS.unitName)} 2>&1 || true
echo ${shq(`stopped and disabled ${PATHS.unitName}`)}
`);
}

export interface StartSpec {
    /** Digest of everything the service runs with; the service restarts exactly when it changes. */
    restartKey: string;
    /** Human-readable parts of the key, shown in previews. */
    restartReasons: Record<string, string>;
    /** URL probed on the host, e.g. https://lb1:5555/v3/info. */
    probeUrl: string;
    /** "name:port:address" for curl --resolve, so TLS is verified against the host's own name. */
    resolve?: string;
    /** CA file on the host that the certificate must chain to; undefined: the system store. */
    caFile?: string;
    tls: boolean;
    timeoutSeconds: number;
}

/**
 * Starts or restarts the service, then waits for an authenticated GET /v3/info
 * over TLS. stdin carries a curl config with the credentials. On failure it
 * prints the service's last journal lines, so `pulumi up` shows why.
 */
export function startServiceScript(s: StartSpec): string {
    const reasons = Object.entries(s.restartReasons).map(([k, v]) => `# ${k}: ${v}`).join("\n");
    const curlTls = s.tls ? (s.caFile ? ` --cacert ${shq(s.caFile)}` : "") : "";
    const resolve = s.resolve ? ` --resolve ${shq(s.resolve)}` : "";
    return script(`start ${PATHS.unitName} (restart it when its restart key changed), then wait for GET ${s.probeUrl}`, `
# The service restarts exactly when this key changes. It is made of:
${reasons}
key=${shq(s.restartKey)}
unit=${shq(PATHS.unitName)}
state=${shq(PATHS.stateDir)}
install -d -m 0700 "$state"
creds=$(mktemp)
trap 'rm -f "$creds"' EXIT
cat > "$creds"
if [ "$(cat "$state/restart-key" 2>/dev/null || true)" != "$key" ] || ! systemctl is-active --quiet "$unit"; then
    systemctl restart "$unit"
    echo "restarted $unit"
else
    echo "$unit already runs this binary, configuration and unit: not restarted"
fi
printf '%s\\n' "$key" > "$state/restart-key"
deadline=$((SECONDS + ${s.timeoutSeconds}))
last=
while [ "$SECONDS" -lt "$deadline" ]; do
    if last=$(curl -fsS --max-time 5${curlTls}${resolve} -K "$creds" ${shq(s.probeUrl)} 2>&1); then
        echo "ready: GET ${s.probeUrl} answered $last"
        exit 0
    fi
    sleep 1
done
echo "the Data Plane API did not answer GET ${s.probeUrl} within ${s.timeoutSeconds} s: $last" >&2
echo "last lines of its journal:" >&2
journalctl -u "$unit" -n 30 --no-pager -o cat >&2 || true
exit 1
`);
}

export function stopServiceScript(): string {
    return script(`stop ${PATHS.unitName}`, `
systemctl stop ${shq(PATHS.unitName)} 2>&1 || true
rm -f ${shq(`${PATHS.stateDir}/restart-key`)}
echo ${shq(`stopped ${PATHS.unitName}`)}
`);
}

/** A curl config line carrying Basic credentials; quoted as curl's config parser reads it. */
export function curlCredentialsConfig(username: string, password: string): string {
    const q = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
    return `user = "${q(username)}:${q(password)}"\n`;
}
