#!/usr/bin/env bash
# Builds the tools this project needs from Go modules served by the Go module
# proxy, into a cache outside the repository:
#
#   ${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/
#     tools/<artefact>-<version>/<artefact>  built binaries (+ .stamp per artefact)
#     tools/src/<artefact>-<version>/        the copy of the tool's module built in
#     bin/                                   symlinks: prepend this to PATH
#     mirror/v3.2.1/                         dataplaneapi release archive + checksums.txt
#     gomod/, go-build/                      Go module and build caches
#
# Each tool is a committed Go module, tests/lab/tools/<tool>/: its go.mod
# requires the tool's module at a pinned version, repeats that module's
# third-party replace lines (a module with replace directives cannot be built
# with `go install mod@version`) and names the package to build in its `tool`
# line; its go.sum pins every download. A module the proxy refuses here has no
# go.sum (it cannot be resolved): it is tried all the same, and reported.
#
# Usage: scripts/build-tools.sh [pulumi|langhost|command|tls|dataplaneapi ...]
#   With no argument everything is built. Already built artefacts are skipped
#   (a .stamp file marks each one). Progress goes to stderr; a KEY=value
#   summary goes to stdout:
#     PULUMI_BIN_DIR, PULUMI_VERSION, PULUMI_LANGUAGE_NODEJS_VERSION,
#     COMMAND_PROVIDER_VERSION, TLS_PROVIDER_VERSION, DPAPI_VERSION,
#     DPAPI_MIRROR_DIR (the mirror root: v<version>/<archive> below it),
#     DPAPI_ARCHIVE, DPAPI_ARCHIVE_SHA256, BUILD_TOOLS_FAILED
#   Exit status is 1 when any requested artefact could not be built (the
#   summary is printed all the same, with empty values for what is missing).
#
# Environment: LB_CACHE_DIR (cache root), GOPROXY (default
# https://proxy.golang.org), GOTOOLCHAIN (default local).
set -euo pipefail

MODULES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/lab/tools" && pwd)
CACHE_DIR="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}"
TOOLS_DIR="$CACHE_DIR/tools"
SRC_DIR="$TOOLS_DIR/src"
BIN_DIR="$CACHE_DIR/bin"

PULUMI_VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
DPAPI_MODULE=github.com/haproxytech/dataplaneapi
# The dataplaneapi v3.2.1 tag commit's time: the binary's BuildTime and the archive's mtime.
DPAPI_COMMIT_TIME=2025-06-16T10:54:13Z

# One row per tool: its module directory under tests/lab/tools, the artefact
# (binary) it makes, its version, GOARCH (- for this machine's; the release
# archive is x86_64), build tags (- for none), and the linker flags, {v}
# standing for the version: each project's own release stamping
# (dataplaneapi's is its .goreleaser.yml's).
TOOLS=(
  "pulumi       pulumi                  3.259.0 -     osusergo,grpcnotrace -w -s -X $PULUMI_VERSION_VAR=v{v}"
  "langhost     pulumi-language-nodejs  3.68.0  -     osusergo,grpcnotrace -w -s -X $PULUMI_VERSION_VAR=v{v}"
  "command      pulumi-resource-command 1.2.1   -     -                    -s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=v{v}"
  "tls          pulumi-resource-tls     5.5.1   -     -                    -s -w -X github.com/pulumi/pulumi-tls/provider/v5/pkg/version.Version={v}"
  "dataplaneapi dataplaneapi            3.2.1   amd64 -                    -s -w -X main.GitRepo=https://$DPAPI_MODULE -X main.GitTag=v{v} -X main.GitCommit=32af2b44 -X main.GitDirty= -X main.BuildTime=$DPAPI_COMMIT_TIME"
)

version_of() { # tool
  local row tool version
  for row in "${TOOLS[@]}"; do
    read -r tool _ version _ <<<"$row"
    if [[ $tool == "$1" ]]; then echo "$version"; fi
  done
}
PULUMI_VERSION=$(version_of pulumi)
DPAPI_VERSION=$(version_of dataplaneapi)
DPAPI_ARCHIVE_NAME="dataplaneapi_${DPAPI_VERSION}_linux_x86_64.tar.gz"
DPAPI_MIRROR_ROOT="$CACHE_DIR/mirror"
DPAPI_MIRROR_DIR="$DPAPI_MIRROR_ROOT/v$DPAPI_VERSION"

export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
case "$GOPROXY" in *direct*) GOPROXY=https://proxy.golang.org ;; esac
export GOMODCACHE="$CACHE_DIR/gomod"
export GOCACHE="$CACHE_DIR/go-build"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOWORK=off
export CGO_ENABLED=0

FAILED=()
declare -A BUILT=() # tool -> version
DPAPI_SHA256=""

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
  local out="$TOOLS_DIR/$artefact-$version" work="$SRC_DIR/$artefact-$version" pkg err start
  if [[ -f "$out/.stamp" && -x "$out/$artefact" ]]; then
    log "$artefact v$version: already built"
  else
    rm -rf "$work" && cp -r "$MODULES_DIR/$tool" "$work"
    # Read-only where go.sum pins every module, else go fills in the copy's go.sum.
    if [[ -f "$work/go.sum" ]]; then export GOFLAGS=-mod=readonly; else export GOFLAGS=-mod=mod; fi
    pkg=$(sed -n 's/^tool //p' "$work/go.mod")
    log "$artefact v$version: fetching the modules of tests/lab/tools/$tool"
    if ! err=$(cd "$work" && go mod graph 2>&1 >/dev/null); then
      fail "$artefact" "not available: $(tr '\n\t' '  ' <<<"$err")"
      return 0
    fi
    if declare -F "prepare_$tool" >/dev/null && ! "prepare_$tool" "$work" "$version"; then
      fail "$artefact" "preparing tests/lab/tools/$tool failed (see above)"
      return 0
    fi
    mkdir -p "$out"
    log "$artefact v$version: building$([[ $tool != pulumi ]] || echo " (cold builds take several minutes)")"
    [[ $goarch != - ]] || goarch=$(go env GOARCH)
    [[ $tags != - ]] || tags=""
    start=$SECONDS
    if ! (cd "$work" && GOARCH=$goarch go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$out/$artefact.tmp" "$pkg"); then
      fail "$artefact" "go build $pkg failed (see above)"
      return 0
    fi
    mv -f "$out/$artefact.tmp" "$out/$artefact"
    if declare -F "finish_$tool" >/dev/null && ! "finish_$tool" "$work" "$out"; then
      fail "$artefact" "finishing tests/lab/tools/$tool failed (see above)"
      return 0
    fi
    {
      printf 'artefact=%s\npackage=%s\ngo=%s\n' "$artefact" "$pkg" "$(go env GOVERSION)"
      printf 'build_seconds=%s\nbuilt_at=%s\n' $((SECONDS - start)) "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
      printf 'sha256=%s\n' "$(sha256sum "$out/$artefact" | cut -d' ' -f1)"
    } >"$out/.stamp"
    log "$artefact v$version: built in $((SECONDS - start))s"
  fi
  if declare -F "install_$tool" >/dev/null; then
    "install_$tool" "$out" "$version"
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
    log "WARNING: pulumi-language-nodejs is v$2, not v$PULUMI_VERSION (the matching one is not served)"
  fi
}

# provider/v5's command package embeds schema-embed.json, which the upstream
# Makefile generates (gitignored, so absent from the module zip): the package
# is copied from the module into the build module and its own generate.go
# writes that file, exactly as `make` does.
prepare_tls() { # work version
  local moddir cmd="$1/cmd/pulumi-resource-tls"
  moddir=$(cd "$1" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-tls/provider/v5) &&
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
# mtime; gzip without name or time. Its SHA-256 goes to checksums.txt.
install_dataplaneapi() { # out version
  local archive="$DPAPI_MIRROR_DIR/$DPAPI_ARCHIVE_NAME" stage
  mkdir -p "$DPAPI_MIRROR_DIR"
  stage=$(mktemp -d "$TOOLS_DIR/.stage.XXXXXX")
  install -m 0755 "$1/dataplaneapi" "$stage/dataplaneapi"
  install -m 0644 "$1/LICENSE" "$1/README.md" "$1/dataplaneapi.yml.dist" "$stage/"
  tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="$DPAPI_COMMIT_TIME" -C "$stage" -cf - \
    dataplaneapi LICENSE README.md dataplaneapi.yml.dist | gzip -9 -n >"$archive.tmp"
  rm -rf "$stage"
  mv -f "$archive.tmp" "$archive"
  (cd "$DPAPI_MIRROR_DIR" && sha256sum "$DPAPI_ARCHIVE_NAME" >checksums.txt.tmp && mv -f checksums.txt.tmp checksums.txt)
  DPAPI_SHA256=$(cut -d' ' -f1 "$DPAPI_MIRROR_DIR/checksums.txt")
  log "dataplaneapi v$2: $archive sha256=$DPAPI_SHA256"
}

main() {
  local w row tool artefact version goarch tags ldflags
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
  printf 'DPAPI_ARCHIVE=%s\n' "$([[ -n "$DPAPI_SHA256" ]] && echo "$DPAPI_MIRROR_DIR/$DPAPI_ARCHIVE_NAME")"
  printf 'DPAPI_ARCHIVE_SHA256=%s\n' "$DPAPI_SHA256"
  printf 'BUILD_TOOLS_FAILED=%s\n' "${FAILED[*]:-}"
  if ((${#FAILED[@]} > 0)); then
    log "not built: ${FAILED[*]}"
    exit 1
  fi
}

main "$@"
