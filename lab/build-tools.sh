#!/usr/bin/env bash
# Builds the tools this project needs from Go modules served by the Go module
# proxy, into a cache outside the repository:
#
#   ${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/
#     tools/<artefact>-<version>[-<arch>]/<artefact>  built binaries (+ .stamp per artefact)
#     tools/src/<artefact>-<version>[-<arch>]/        the copy of the tool's module built in
#     bin/                                   symlinks: prepend this to PATH
#     mirror/v<version>/                     dataplaneapi release archives + checksums.txt,
#                                            laid out as the upstream release is
#     gomod/, go-build/                      Go module and build caches
#
# Each tool is a committed Go module, lab/tools/<tool>/: its go.mod
# requires the tool's module at a pinned version, repeats that module's
# third-party replace lines (a module with replace directives cannot be built
# with `go install mod@version`) and names the package to build in its `tool`
# line; its go.sum pins every download.
#
# Modules: from the machine's own Go module proxy (`go env GOPROXY`), with
# ../shared/goproxy first where it is beside the repository: it serves the
# modules the proxy refuses on these machines (the tools' own modules), and the
# checksum database is not asked about the modules it holds. A workstation
# without it takes everything from its default proxy.
#
# Usage: lab/build-tools.sh [pulumi|langhost|command|tls|dataplaneapi ...]
#   With no argument everything is built. Already built artefacts are skipped
#   (a .stamp file marks each one). Progress goes to stderr; a KEY=value
#   summary goes to stdout:
#     PULUMI_BIN_DIR, PULUMI_VERSION, PULUMI_LANGUAGE_NODEJS_VERSION,
#     COMMAND_PROVIDER_VERSION, TLS_PROVIDER_VERSION, DPAPI_VERSION,
#     DPAPI_MIRROR_DIR (the mirror root: v<version>/<archive> below it),
#     DPAPI_ARCHIVE, DPAPI_ARCHIVE_SHA256 (x86_64), DPAPI_BINARY (x86_64, as the
#     archive holds it), DPAPI_ARCHIVE_SHA256_ARM64,
#     DPAPI_PREVIOUS_VERSION, DPAPI_PREVIOUS_SHA256 (x86_64: the release
#     before, to upgrade from), BUILD_TOOLS_FAILED
#   Exit status is 1 when any requested artefact could not be built (the
#   summary is printed all the same, with empty values for what is missing).
#
# Environment: LB_CACHE_DIR (cache root), GOPROXY (default: `go env GOPROXY`),
# GOTOOLCHAIN (default local).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULES_DIR="$REPO/lab/tools"
SHARED_GOPROXY="$REPO/../shared/goproxy"
CACHE_DIR="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}"
TOOLS_DIR="$CACHE_DIR/tools"
SRC_DIR="$TOOLS_DIR/src"
BIN_DIR="$CACHE_DIR/bin"

PULUMI_VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
DPAPI_MODULE=github.com/haproxytech/dataplaneapi
# Each dataplaneapi release's tag commit and its time: the binary's GitCommit
# and BuildTime, and the archive's mtime.
declare -A DPAPI_COMMIT=([3.2.1]=32af2b44 [3.2.0]=d5e775cc)
declare -A DPAPI_COMMIT_TIME=([3.2.1]=2025-06-16T10:54:13Z [3.2.0]=2025-05-26T14:19:12Z)

# One row per tool: its module directory under lab/tools, the artefact
# (binary) it makes, its version, GOARCH (- for this machine's; a release
# archive names its own), build tags (- for none), and the linker flags, {v}
# standing for the version, {commit} and {time} for a dataplaneapi release's:
# each project's own release stamping (dataplaneapi's is its .goreleaser.yml's).
# The first dataplaneapi row is the release the program installs; the last,
# the one before it, which the tests upgrade from.
DPAPI_LDFLAGS="-s -w -X main.GitRepo=https://$DPAPI_MODULE -X main.GitTag=v{v} -X main.GitCommit={commit} -X main.GitDirty= -X main.BuildTime={time}"
TOOLS=(
  "pulumi             pulumi                  3.259.0 -     osusergo,grpcnotrace -w -s -X $PULUMI_VERSION_VAR=v{v}"
  "langhost           pulumi-language-nodejs  3.259.0 -     osusergo,grpcnotrace -w -s -X $PULUMI_VERSION_VAR=v{v}"
  "command            pulumi-resource-command 1.2.1   -     -                    -s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=v{v}"
  "tls                pulumi-resource-tls     5.5.1   -     -                    -s -w -X github.com/pulumi/pulumi-tls/provider/v5/pkg/version.Version={v}"
  "dataplaneapi       dataplaneapi            3.2.1   amd64 -                    $DPAPI_LDFLAGS"
  "dataplaneapi       dataplaneapi            3.2.1   arm64 -                    $DPAPI_LDFLAGS"
  "dataplaneapi-3.2.0 dataplaneapi            3.2.0   amd64 -                    $DPAPI_LDFLAGS"
)

version_of() { # tool
  local row tool version
  for row in "${TOOLS[@]}"; do
    read -r tool _ version _ <<<"$row"
    if [[ $tool == "$1" ]]; then echo "$version"; return; fi
  done
}
PULUMI_VERSION=$(version_of pulumi)
DPAPI_VERSION=$(version_of dataplaneapi)
DPAPI_PREVIOUS_VERSION=$(version_of dataplaneapi-3.2.0)
DPAPI_MIRROR_ROOT="$CACHE_DIR/mirror"

# The release archive's name, as upstream's .goreleaser.yml names it.
dpapi_archive_name() { # version goarch
  local arch=$2
  [[ $arch != amd64 ]] || arch=x86_64
  echo "dataplaneapi_$1_linux_$arch.tar.gz"
}

# SHA-256 of one release archive, from its version's checksums.txt (empty when absent).
dpapi_sha256() { # version goarch
  local sums="$DPAPI_MIRROR_ROOT/v$1/checksums.txt"
  [[ -f $sums ]] && awk -v n="$(dpapi_archive_name "$1" "$2")" '$2 == n { print $1 }' "$sums"
}

export GOPROXY="${GOPROXY:-$(go env GOPROXY)}"
if [[ -d $SHARED_GOPROXY ]]; then
  SHARED_GOPROXY=$(cd "$SHARED_GOPROXY" && pwd)
  # The modules it holds, as prefixes the checksum database is not asked about.
  SHARED_MODULES=$(cd "$SHARED_GOPROXY" && find . -path '*/@v/list' | sed 's#^\./##; s#/@v/list$##' | sort | paste -sd, -)
  export GOPROXY="file://$SHARED_GOPROXY,$GOPROXY"
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$SHARED_MODULES"
fi
export GOMODCACHE="$CACHE_DIR/gomod"
export GOCACHE="$CACHE_DIR/go-build"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOWORK=off
export CGO_ENABLED=0

FAILED=()
declare -A BUILT=() # tool -> version

log() { printf 'build-tools: %s\n' "$*" >&2; }

fail() { # artefact message
  FAILED+=("$1")
  log "FAILED $1: $2"
}

link_bin() { # target
  mkdir -p "$BIN_DIR"
  ln -sfn "$1" "$BIN_DIR/$(basename "$1")"
}

# Builds one row of TOOLS into tools/<artefact>-<version>/ unless its .stamp
# is there, then installs it: install_<tool> where there is one, else a link
# in bin/. prepare_<tool> and finish_<tool>, where there are, run before and
# after `go build`.
build() { # tool artefact version goarch tags ldflags
  local tool=$1 artefact=$2 version=$3 goarch=$4 tags=$5 ldflags=${6//\{v\}/$3}
  ldflags=${ldflags//\{commit\}/${DPAPI_COMMIT[$version]:-}}
  ldflags=${ldflags//\{time\}/${DPAPI_COMMIT_TIME[$version]:-}}
  local name="$artefact-$version" hooks=${tool%%-*} # dataplaneapi-3.2.0 takes dataplaneapi's hooks
  [[ $goarch == - ]] || name+="-$goarch"
  local out="$TOOLS_DIR/$name" work="$SRC_DIR/$name" pkg err start label="$artefact v$version"
  [[ $goarch == - ]] || label+=" $goarch"
  if [[ -f "$out/.stamp" && -x "$out/$artefact" ]]; then
    log "$label: already built"
  else
    rm -rf "$work" && cp -r "$MODULES_DIR/$tool" "$work"
    # Read-only where go.sum pins every module, else go fills in the copy's go.sum.
    if [[ -f "$work/go.sum" ]]; then export GOFLAGS=-mod=readonly; else export GOFLAGS=-mod=mod; fi
    pkg=$(sed -n 's/^tool //p' "$work/go.mod")
    log "$label: fetching the modules of lab/tools/$tool"
    if ! err=$(cd "$work" && go mod graph 2>&1 >/dev/null); then
      fail "$artefact" "not available: $(tr '\n\t' '  ' <<<"$err")"
      return 0
    fi
    if declare -F "prepare_$hooks" >/dev/null && ! "prepare_$hooks" "$work" "$version"; then
      fail "$artefact" "preparing lab/tools/$tool failed (see above)"
      return 0
    fi
    mkdir -p "$out"
    log "$label: building$([[ $tool != pulumi ]] || echo " (cold builds take several minutes)")"
    [[ $goarch != - ]] || goarch=$(go env GOARCH)
    [[ $tags != - ]] || tags=""
    start=$SECONDS
    if ! (cd "$work" && GOARCH=$goarch go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$out/$artefact.tmp" "$pkg"); then
      fail "$artefact" "go build $pkg failed (see above)"
      return 0
    fi
    mv -f "$out/$artefact.tmp" "$out/$artefact"
    if declare -F "finish_$hooks" >/dev/null && ! "finish_$hooks" "$work" "$out"; then
      fail "$artefact" "finishing lab/tools/$tool failed (see above)"
      return 0
    fi
    {
      printf 'artefact=%s\npackage=%s\ngo=%s\n' "$artefact" "$pkg" "$(go env GOVERSION)"
      printf 'build_seconds=%s\nbuilt_at=%s\n' $((SECONDS - start)) "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
      printf 'sha256=%s\n' "$(sha256sum "$out/$artefact" | cut -d' ' -f1)"
    } >"$out/.stamp"
    log "$label: built in $((SECONDS - start))s"
  fi
  if declare -F "install_$hooks" >/dev/null; then
    "install_$hooks" "$out" "$version" "$goarch"
  else
    link_bin "$out/$artefact"
  fi
  BUILT[$tool]=$version
}

# The engine looks for its bundled language host next to the (symlink
# resolved) pulumi binary and warns when the one on PATH is another file: put
# the host there as a hard link and point bin/ at that.
install_langhost() { # out version
  local bundled="$TOOLS_DIR/pulumi-$PULUMI_VERSION/pulumi-language-nodejs"
  mkdir -p "${bundled%/*}"
  ln -f "$1/pulumi-language-nodejs" "$bundled" 2>/dev/null || cp -f "$1/pulumi-language-nodejs" "$bundled"
  link_bin "$bundled"
  if [[ $2 != "$PULUMI_VERSION" ]]; then
    log "WARNING: pulumi-language-nodejs is v$2, not v$PULUMI_VERSION: the TOOLS table should give both the same version"
  fi
}

# provider/v5's command package embeds schema-embed.json, which the upstream
# Makefile generates (gitignored, so absent from the module zip): the package
# is copied from the module into the build module and its own generate.go
# writes that file, exactly as `make` does.
prepare_tls() { # work version
  local moddir cmd="$1/cmd/pulumi-resource-tls"
  # `go mod graph` fetched only go.mod files: the module's source is downloaded here.
  moddir=$(cd "$1" && go mod download github.com/pulumi/pulumi-tls/provider/v5 && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-tls/provider/v5) &&
    [[ -n $moddir ]] &&
    mkdir -p "$cmd" &&
    cp "$moddir/cmd/pulumi-resource-tls/"*.go "$moddir/cmd/pulumi-resource-tls/"*.json "$cmd/" &&
    chmod -R u+w "$cmd" &&
    (cd "$cmd" && VERSION=$2 go run generate.go)
}

# The upstream archive's other files, which the module zip carries.
finish_dataplaneapi() { # work out
  local moddir
  moddir=$(cd "$1" && go list -m -f '{{.Dir}}' "$DPAPI_MODULE") &&
    install -m 0644 "$moddir/LICENSE" "$moddir/README.md" "$moddir/assets/packages/dataplaneapi.yml.dist" "$2/"
}

# The release-style archive, reproducible: fixed order, owner, modes and
# mtime; gzip without name or time. Made once per binary: a binary built
# again (another digest in its .stamp) makes it again. The version's
# checksums.txt lists every archive of that version, as upstream's does.
install_dataplaneapi() { # out version goarch
  local dir="$DPAPI_MIRROR_ROOT/v$2" archive stage binary_sha
  archive="$dir/$(dpapi_archive_name "$2" "$3")"
  binary_sha=$(sed -n 's/^sha256=//p' "$1/.stamp")
  mkdir -p "$dir"
  if [[ -f $archive && $(cat "$archive.binary-sha256" 2>/dev/null) == "$binary_sha" ]]; then
    return 0
  fi
  stage=$(mktemp -d "$TOOLS_DIR/.stage.XXXXXX")
  install -m 0755 "$1/dataplaneapi" "$stage/dataplaneapi"
  install -m 0644 "$1/LICENSE" "$1/README.md" "$1/dataplaneapi.yml.dist" "$stage/"
  tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="${DPAPI_COMMIT_TIME[$2]}" -C "$stage" -cf - \
    dataplaneapi LICENSE README.md dataplaneapi.yml.dist | gzip -9 -n >"$archive.tmp"
  rm -rf "$stage"
  mv -f "$archive.tmp" "$archive"
  printf '%s\n' "$binary_sha" >"$archive.binary-sha256"
  (cd "$dir" && sha256sum -- *.tar.gz >checksums.txt.tmp && mv -f checksums.txt.tmp checksums.txt)
  log "dataplaneapi v$2 $3: $archive sha256=$(dpapi_sha256 "$2" "$3")"
}

main() {
  local w row tool artefact version goarch tags ldflags sha
  for w in "$@"; do # a tool or its artefact
    printf '%s\n' "${TOOLS[@]}" | awk -v w="$w" '$1 == w || $2 == w { ok = 1 } END { exit !ok }' ||
      { log "unknown artefact: $w"; exit 2; }
  done
  command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
  mkdir -p "$TOOLS_DIR" "$SRC_DIR" "$BIN_DIR" "$GOMODCACHE" "$GOCACHE"
  cd "$SRC_DIR" # no go.mod here: module-less go commands
  log "cache: $CACHE_DIR ($(go env GOVERSION), GOPROXY=$GOPROXY)"
  for row in "${TOOLS[@]}"; do
    read -r tool artefact version goarch tags ldflags <<<"$row"
    if (($# == 0)) || [[ " $* " == *" $tool "* || " $* " == *" $artefact "* ]]; then
      build "$tool" "$artefact" "$version" "$goarch" "$tags" "$ldflags"
    fi
  done

  printf 'PULUMI_BIN_DIR=%s\n' "$BIN_DIR"
  printf 'PULUMI_VERSION=%s\n' "$([[ -x "$BIN_DIR/pulumi" ]] && echo "$PULUMI_VERSION")"
  printf 'PULUMI_LANGUAGE_NODEJS_VERSION=%s\n' "${BUILT[langhost]:-}"
  printf 'COMMAND_PROVIDER_VERSION=%s\n' "${BUILT[command]:-}"
  printf 'TLS_PROVIDER_VERSION=%s\n' "${BUILT[tls]:-}"
  printf 'DPAPI_VERSION=%s\n' "$DPAPI_VERSION"
  printf 'DPAPI_MIRROR_DIR=%s\n' "$DPAPI_MIRROR_ROOT"
  sha=$(dpapi_sha256 "$DPAPI_VERSION" amd64)
  printf 'DPAPI_ARCHIVE=%s\n' "${sha:+$DPAPI_MIRROR_ROOT/v$DPAPI_VERSION/$(dpapi_archive_name "$DPAPI_VERSION" amd64)}"
  printf 'DPAPI_ARCHIVE_SHA256=%s\n' "$sha"
  printf 'DPAPI_BINARY=%s\n' "$TOOLS_DIR/dataplaneapi-$DPAPI_VERSION-amd64/dataplaneapi"
  printf 'DPAPI_ARCHIVE_SHA256_ARM64=%s\n' "$(dpapi_sha256 "$DPAPI_VERSION" arm64)"
  printf 'DPAPI_PREVIOUS_VERSION=%s\n' "$DPAPI_PREVIOUS_VERSION"
  printf 'DPAPI_PREVIOUS_SHA256=%s\n' "$(dpapi_sha256 "$DPAPI_PREVIOUS_VERSION" amd64)"
  printf 'BUILD_TOOLS_FAILED=%s\n' "${FAILED[*]:-}"
  if ((${#FAILED[@]} > 0)); then
    log "not built: ${FAILED[*]}"
    exit 1
  fi
}

main "$@"
