import type { Arch, ArchiveSource } from "../config";
import { renderAsset } from "../shared/assets";
import { PATHS } from "../shared/paths";
import { recordDeployedScript } from "../drift/record";
import { dirname, forgetDeployedScript, REMOVE_STATE_DIR_IF_EMPTY, script, shq, type WriteFileSpec } from "../shared/shell";

/** The binary as the drift check knows it: its digest is recorded, no copy (a repair installs the release again). */
export const BINARY_FILE: WriteFileSpec = { path: PATHS.binary, owner: "root", group: "root", mode: "0755", restarts: PATHS.unitName };

/** Where an archive uploaded from the workstation lands (named by its checksum, so a new archive is a new upload). */
export function uploadedArchivePath(sha256: string | undefined): string {
    return `/tmp/dataplaneapi-upload-${(sha256 ?? "unverified").slice(0, 16)}.tar.gz`;
}

/**
 * The install step's spec for one host: with a declared architecture, only
 * that architecture's checksum (so a checksum added for another one does not
 * change this host's step); with a local archive, where its upload lands. The
 * deployment and the drift repair both install from this.
 */
export function installSpecFor(version: string, sha256: Partial<Record<Arch, string>>, arch: Arch | undefined, source: ArchiveSource): BinaryInstallSpec {
    const own = arch ? sha256[arch] : undefined;
    return {
        version,
        sha256: arch ? (own === undefined ? {} : { [arch]: own }) : sha256,
        arch,
        baseUrl: source.kind === "download" ? source.baseUrl : undefined,
        uploadedArchive: source.kind === "local" ? uploadedArchivePath(own) : undefined,
    };
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

/**
 * Fetches (or takes the uploaded) release archive, verifies its SHA-256 before
 * anything is unpacked, and swaps the binary in with a rename in its own
 * directory, so the service never sees a partial file. The script is
 * assets/binary/install.sh; the checksums' case and the fetch, which differs
 * for a download and an upload, are built here.
 */
export function installBinaryScript(b: BinaryInstallSpec): string {
    const shaCases = Object.entries(b.sha256)
        .map(([arch, sha]) => `    ${arch}) sha=${shq(sha!)} ;;`)
        .join("\n");
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
    fetch() { curl -fsSL --retry 3 --retry-connrefused --connect-timeout 15 -o "$work/archive.tar.gz" "$url"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q -O "$work/archive.tar.gz" "$url"; }
else
    echo "neither curl nor wget is installed on this host; install curl (apt-get install curl)" >&2
    exit 1
fi
fetch || { echo "could not download $url (the error is above); nothing was installed" >&2; exit 1; }`;
    // After the drift record, an upload keeps its verified archive (see its fetch above), on lines of their own.
    const keep = b.uploadedArchive
        ? `\ninstall -d -m 0700 "\${kept%/*}"\nif [ -f "$src" ]; then install -m 0600 "$work/archive.tar.gz" "$kept"; rm -f "$src"; fi`
        : "";
    return script(
        `install dataplaneapi ${b.version} from ${b.uploadedArchive ? "the uploaded archive" : `${b.baseUrl}/v${b.version}/`}, checked against its SHA-256 first`,
        renderAsset("binary/install.sh", {
            VERSION: shq(b.version),
            ARCH: b.arch ? shq(b.arch) : "$(uname -m)",
            SHA_BY_ARCH: `case "$arch" in\n${shaCases}\nesac`,
            FETCH: fetch,
            STAGED: shq(`${dirname(PATHS.binary)}/.dataplaneapi.new`),
            BINARY: shq(PATHS.binary),
            BINARY_TEXT: PATHS.binary,
            AFTER_SWAP: recordDeployedScript(BINARY_FILE, false) + keep,
        }),
    );
}

export function removeBinaryScript(): string {
    return script(
        `remove ${PATHS.binary}`,
        `
rm -f ${shq(PATHS.binary)} ${shq(`${dirname(PATHS.binary)}/.dataplaneapi.new`)}
${forgetDeployedScript(PATHS.binary)}
rm -rf ${shq(`${PATHS.stateDir}/archives`)}
${REMOVE_STATE_DIR_IF_EMPTY}
echo ${shq(`removed ${PATHS.binary}`)}
`,
    );
}
