#!/usr/bin/env bash
# Builds the tools this project needs from Go modules served by the Go module
# proxy, into a cache outside the repository:
#
#   ${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/
#     tools/<name>-<version>/<binary>   built binaries (+ .stamp per artefact)
#     tools/src/<name>-<version>/       throw-away Go modules used to build them
#     bin/                              symlinks: prepend this to PATH
#     mirror/v3.2.1/                    dataplaneapi release archive + checksums.txt
#     gomod/, go-build/                 Go module and build caches
#
# Artefacts: pulumi (CLI), pulumi-language-nodejs, pulumi-resource-command,
# pulumi-resource-tls, dataplaneapi (+ release-style archive).
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
# Everything comes from the Go module proxy through the ordinary `go` client.
# Modules that carry `replace` directives cannot be built with `go install
# mod@version`, so each tool is built from a small generated module that
# requires the tool's module at a pinned version and repeats its third-party
# replace lines. Versions are pinned below; pseudo-versions name the commit
# that the upstream release tag points at.
#
# Environment: LB_CACHE_DIR (cache root), GOPROXY (default
# https://proxy.golang.org), GOTOOLCHAIN (default local).
set -euo pipefail

CACHE_DIR="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}"
TOOLS_DIR="$CACHE_DIR/tools"
SRC_DIR="$TOOLS_DIR/src"
BIN_DIR="$CACHE_DIR/bin"

# --- pinned versions -------------------------------------------------------

PULUMI_VERSION=3.259.0
PULUMI_PKG_MODULE=github.com/pulumi/pulumi/pkg/v3
PULUMI_SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
PULUMI_VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
PULUMI_BUILD_TAGS=osusergo,grpcnotrace

# Node.js language host, tried in order. Fields:
#   version module module-version package local-replaced-siblings
# The v3.259.0 host is its own module (no tags of its own, so a pseudo-version
# of the v3.259.0 tag commit 0ac56e876614). Up to sdk v3.68.0 the host was a
# package of sdk/v3 itself, which is the fallback when the former is not served.
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LANGHOST_CANDIDATES=(
  "3.259.0 $LANGHOST_MODULE v3.0.0-20260819165155-0ac56e876614 $LANGHOST_MODULE pulumi-siblings"
  "3.68.0 $PULUMI_SDK_MODULE v3.68.0 $PULUMI_SDK_MODULE/nodejs/cmd/pulumi-language-nodejs -"
)

# @pulumi/command 1.2.1: the provider module has no tags of its own
# (repository tag v1.2.1 = commit 7f3eb6f3b77c).
COMMAND_MODULE=github.com/pulumi/pulumi-command/provider
COMMAND_CANDIDATES=(
  "1.2.1 v0.0.0-20260303235922-7f3eb6f3b77c"
)

# @pulumi/tls 5.x, newest first (repository tags v5.x.y; provider/v5 has no
# tags of its own). The npm package must be pinned to the version chosen.
TLS_MODULE=github.com/pulumi/pulumi-tls/provider/v5
TLS_SHIM_MODULE=github.com/hashicorp/terraform-provider-tls/shim
TLS_CANDIDATES=(
  "5.5.1 v5.0.0-20260722185624-c3b9a61e7075"
  "5.5.0 v5.0.0-20260522122026-debeeac73b92"
  "5.4.0 v5.0.0-20260514043645-350685807be1"
  "5.3.1 v5.0.0-20260330171306-dd798f651fc4"
  "5.3.0 v5.0.0-20260131035922-fe52cb96c37f"
)

# dataplaneapi v3.2.1: the module path has no /v3 suffix, so the release tag
# cannot be used as a module version; the pseudo-version below names the
# v3.2.1 tag commit 32af2b443ecd (base v1.2.4, its newest v1 ancestor tag).
DPAPI_VERSION=3.2.1
DPAPI_MODULE=github.com/haproxytech/dataplaneapi
DPAPI_MODULE_VERSION=v1.2.5-0.20250616105413-32af2b443ecd
DPAPI_COMMIT_SHORT=32af2b44
DPAPI_COMMIT_TIME=2025-06-16T10:54:13Z
DPAPI_REPO_URL=https://github.com/haproxytech/dataplaneapi
DPAPI_ARCHIVE_NAME="dataplaneapi_${DPAPI_VERSION}_linux_x86_64.tar.gz"
DPAPI_MIRROR_ROOT="$CACHE_DIR/mirror"
DPAPI_MIRROR_DIR="$DPAPI_MIRROR_ROOT/v$DPAPI_VERSION"

# --- Go environment --------------------------------------------------------

export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
case "$GOPROXY" in *direct*) GOPROXY=https://proxy.golang.org ;; esac
export GOMODCACHE="$CACHE_DIR/gomod"
export GOCACHE="$CACHE_DIR/go-build"
export GOFLAGS="-mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOWORK=off
export CGO_ENABLED=0

FAILED=()
RESULT_LANGHOST=""
RESULT_COMMAND=""
RESULT_TLS=""
RESULT_DPAPI_SHA256=""

log() { printf 'build-tools: %s\n' "$*" >&2; }

fail() { # name, message
  FAILED+=("$1")
  log "FAILED $1: $2"
}

stamp_ok() { # dir binary
  [[ -f "$1/.stamp" && -x "$1/$2" ]]
}

write_stamp() { # dir binary module@version seconds
  {
    printf 'artefact=%s\n' "$2"
    printf 'module=%s\n' "$3"
    printf 'go=%s\n' "$(go env GOVERSION)"
    printf 'build_seconds=%s\n' "$4"
    printf 'built_at=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'sha256=%s\n' "$(sha256sum "$1/$2" | cut -d' ' -f1)"
  } >"$1/.stamp"
}

link_bin() { # target
  mkdir -p "$BIN_DIR"
  ln -sfn "$1" "$BIN_DIR/$(basename "$1")"
}

# Downloads module@version; on success prints "Dir<TAB>GoMod", on failure
# prints the go error (one line) on stdout and returns 1.
mod_download() { # module version
  local json err
  if json=$(go mod download -json "$1@$2" 2>&1); then
    printf '%s\t%s\n' \
      "$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' <<<"$json")" \
      "$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p' <<<"$json")"
    return 0
  fi
  err=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' <<<"$json")
  printf '%s\n' "${err:-$json}" | sed 's/\\n\\t/ /g; s/\\t/ /g' | tr '\n' ' '
  return 1
}

# mod_download with progress: logs what it fetches and, on failure, why it
# could not (the reason is also printed on stdout, as mod_download does).
fetch_module() { # label module version
  local info
  log "$1: fetching $2@$3"
  if info=$(mod_download "$2" "$3"); then
    printf '%s\n' "$info"
    return 0
  fi
  log "$1: not available: $info"
  printf '%s\n' "$info"
  return 1
}

# Prints the replace directives of a go.mod whose target is a module (not a
# local directory), one per line as "old[@v]=new@v" for `go mod edit -replace`.
module_replaces() { # go.mod
  awk '
    function emit(line,   a, n, old, new) {
      sub(/\/\/.*/, "", line)
      n = split(line, a, /[[:space:]]+/)
      # a: [""] old [oldver] => new [newver]
      line = ""
      for (i = 1; i <= n; i++) if (a[i] != "") line = line (line == "" ? "" : " ") a[i]
      split(line, p, " => ")
      split(p[1], o, " "); split(p[2], w, " ")
      if (w[1] ~ /^(\.\.?\/|\/)/ || w[2] == "") return
      old = o[1] (o[2] != "" ? "@" o[2] : "")
      new = w[1] "@" w[2]
      print old "=" new
    }
    /^replace[[:space:]]*\(/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock && /=>/ { emit($0); next }
    /^replace[[:space:]]/ && /=>/ { l = $0; sub(/^replace[[:space:]]+/, "", l); emit(l) }
  ' "$1"
}

go_directive() { # go.mod
  sed -n 's/^go \([0-9.]*\).*/\1/p' "$1" | head -n1
}

# Creates the throw-away module $SRC_DIR/<name> and sets BUILD_DIR to it: it
# requires module@version, repeats that module's third-party replaces, plus
# any extra "mod@ver" requirements.
BUILD_DIR=""
make_build_module() { # name module version gomod [extra mod@ver ...]
  local name=$1 module=$2 version=$3 gomod=$4 dir r replaces
  shift 4
  dir="$SRC_DIR/$name"
  replaces=$(module_replaces "$gomod") || return 1
  rm -rf "$dir" && mkdir -p "$dir" || return 1
  printf 'module local.invalid/build/%s\n\ngo %s\n' "$name" "$(go_directive "$gomod")" >"$dir/go.mod" || return 1
  (cd "$dir" && go mod edit -require="$module@$version") || return 1
  for r in "$@"; do
    (cd "$dir" && go mod edit -require="$r") || return 1
  done
  while IFS= read -r r; do
    if [[ -n "$r" ]]; then
      (cd "$dir" && go mod edit -replace="$r") || return 1
    fi
  done <<<"$replaces"
  BUILD_DIR=$dir
}

go_build() { # workdir out pkg ldflags [tags]
  local workdir=$1 out=$2 pkg=$3 ldflags=$4 tags=${5:-}
  (cd "$workdir" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$out.tmp" "$pkg") &&
    mv -f "$out.tmp" "$out"
}

# --- 1. Pulumi CLI ----------------------------------------------------------

build_pulumi() {
  local out="$TOOLS_DIR/pulumi-$PULUMI_VERSION" info gomod work start
  if stamp_ok "$out" pulumi; then
    log "pulumi v$PULUMI_VERSION: already built"
  else
    if ! info=$(fetch_module "pulumi v$PULUMI_VERSION" "$PULUMI_PKG_MODULE" "v$PULUMI_VERSION"); then
      fail pulumi "$info"
      return 0
    fi
    gomod=${info#*$'\t'}
    if ! make_build_module "pulumi-$PULUMI_VERSION" "$PULUMI_PKG_MODULE" "v$PULUMI_VERSION" "$gomod" \
      "$PULUMI_SDK_MODULE@v$PULUMI_VERSION"; then
      fail pulumi "could not set up the build module"
      return 0
    fi
    work=$BUILD_DIR
    mkdir -p "$out"
    log "pulumi v$PULUMI_VERSION: building (cold builds take several minutes)"
    start=$SECONDS
    if ! go_build "$work" "$out/pulumi" "$PULUMI_PKG_MODULE/cmd/pulumi" \
      "-w -s -X $PULUMI_VERSION_VAR=v$PULUMI_VERSION" "$PULUMI_BUILD_TAGS"; then
      fail pulumi "go build $PULUMI_PKG_MODULE/cmd/pulumi failed (see above)"
      return 0
    fi
    write_stamp "$out" pulumi "$PULUMI_PKG_MODULE@v$PULUMI_VERSION" $((SECONDS - start))
    log "pulumi v$PULUMI_VERSION: built in $((SECONDS - start))s"
  fi
  link_bin "$out/pulumi"
}

# --- 2. Node.js language host ----------------------------------------------

build_langhost() {
  local cand version module modver pkg siblings out info gomod work start bundled
  local -a extra
  local errors=""
  for cand in "${LANGHOST_CANDIDATES[@]}"; do
    read -r version module modver pkg siblings <<<"$cand"
    out="$TOOLS_DIR/pulumi-language-nodejs-$version"
    if stamp_ok "$out" pulumi-language-nodejs; then
      log "pulumi-language-nodejs v$version: already built"
    else
      if ! info=$(fetch_module "pulumi-language-nodejs v$version" "$module" "$modver"); then
        errors+="$info; "
        continue
      fi
      gomod=${info#*$'\t'}
      extra=()
      # The host's go.mod replaces pkg/v3 and sdk/v3 with sibling directories
      # of the same commit: require the released modules of that version.
      if [[ "$siblings" == pulumi-siblings ]]; then
        extra=("$PULUMI_PKG_MODULE@v$version" "$PULUMI_SDK_MODULE@v$version")
      fi
      if ! make_build_module "pulumi-language-nodejs-$version" "$module" "$modver" "$gomod" "${extra[@]}"; then
        errors+="setting up the build module for $module@$modver failed; "
        continue
      fi
      work=$BUILD_DIR
      mkdir -p "$out"
      log "pulumi-language-nodejs v$version: building"
      start=$SECONDS
      if ! go_build "$work" "$out/pulumi-language-nodejs" "$pkg" \
        "-w -s -X $PULUMI_VERSION_VAR=v$version" "$PULUMI_BUILD_TAGS"; then
        errors+="go build $pkg@$modver failed; "
        log "pulumi-language-nodejs v$version: build failed"
        continue
      fi
      write_stamp "$out" pulumi-language-nodejs "$module@$modver" $((SECONDS - start))
      log "pulumi-language-nodejs v$version: built in $((SECONDS - start))s"
    fi
    if [[ "$version" != "$PULUMI_VERSION" ]]; then
      log "WARNING: pulumi-language-nodejs is v$version, not v$PULUMI_VERSION (the matching one is not served)"
    fi
    # The engine looks for its bundled language host next to the (symlink
    # resolved) pulumi binary and warns when the one on PATH is another file:
    # put the host there as a hard link and point bin/ at that.
    bundled="$TOOLS_DIR/pulumi-$PULUMI_VERSION/pulumi-language-nodejs"
    mkdir -p "${bundled%/*}"
    ln -f "$out/pulumi-language-nodejs" "$bundled" 2>/dev/null || cp -f "$out/pulumi-language-nodejs" "$bundled"
    link_bin "$bundled"
    RESULT_LANGHOST=$version
    return 0
  done
  fail pulumi-language-nodejs "${errors%; }"
}

# --- 3. pulumi-resource-command -------------------------------------------

build_command() {
  local cand version modver out info gomod work start errors=""
  for cand in "${COMMAND_CANDIDATES[@]}"; do
    read -r version modver <<<"$cand"
    out="$TOOLS_DIR/pulumi-resource-command-$version"
    if stamp_ok "$out" pulumi-resource-command; then
      log "pulumi-resource-command v$version: already built"
    else
      if ! info=$(fetch_module "pulumi-resource-command v$version" "$COMMAND_MODULE" "$modver"); then
        errors+="$info; "
        continue
      fi
      gomod=${info#*$'\t'}
      if ! make_build_module "pulumi-resource-command-$version" "$COMMAND_MODULE" "$modver" "$gomod"; then
        errors+="setting up the build module for $COMMAND_MODULE@$modver failed; "
        continue
      fi
      work=$BUILD_DIR
      mkdir -p "$out"
      log "pulumi-resource-command v$version: building"
      start=$SECONDS
      if ! go_build "$work" "$out/pulumi-resource-command" "$COMMAND_MODULE/cmd/pulumi-resource-command" \
        "-s -w -X $COMMAND_MODULE/pkg/version.Version=v$version"; then
        errors+="go build $COMMAND_MODULE@$modver failed; "
        continue
      fi
      write_stamp "$out" pulumi-resource-command "$COMMAND_MODULE@$modver" $((SECONDS - start))
      log "pulumi-resource-command v$version: built in $((SECONDS - start))s"
    fi
    link_bin "$out/pulumi-resource-command"
    RESULT_COMMAND=$version
    return 0
  done
  fail pulumi-resource-command "${errors%; }"
}

# --- 4. pulumi-resource-tls -------------------------------------------------

# provider/v5 replaces its Terraform shim module with ./shim, a nested module
# that no module zip contains. Its whole content is an adapter returning the
# upstream Terraform provider (internal/provider.New), which only a module
# under github.com/hashicorp/terraform-provider-tls may import; it is
# generated here. The command package embeds schema-embed.json, a file the
# upstream Makefile generates (gitignored, so absent from the module zip): the
# package is copied from the module into the build module and its own
# generate.go writes that file, exactly as `make` does.
tls_prepare() { # work moddir version
  local work=$1 moddir=$2 version=$3 cmd="$1/cmd/pulumi-resource-tls"
  mkdir -p "$work/shim" "$cmd" || return 1
  printf 'module %s\n\ngo %s\n' "$TLS_SHIM_MODULE" "$(go_directive "$work/go.mod")" >"$work/shim/go.mod" || return 1
  cat >"$work/shim/shim.go" <<'EOF' || return 1
// Package shim exposes the Terraform TLS provider to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the upstream Terraform provider.
func NewProvider() provider.Provider { return upstream.New() }
EOF
  (cd "$work" && go mod edit -replace="$TLS_SHIM_MODULE=./shim") || return 1
  cp "$moddir/cmd/pulumi-resource-tls/"*.go "$moddir/cmd/pulumi-resource-tls/"*.json "$cmd/" || return 1
  chmod -R u+w "$cmd" || return 1
  (cd "$cmd" && VERSION=$version go run generate.go)
}

build_tls() {
  local cand version modver out info moddir gomod work start errors=""
  for cand in "${TLS_CANDIDATES[@]}"; do
    read -r version modver <<<"$cand"
    out="$TOOLS_DIR/pulumi-resource-tls-$version"
    if stamp_ok "$out" pulumi-resource-tls; then
      log "pulumi-resource-tls v$version: already built"
    else
      if ! info=$(fetch_module "pulumi-resource-tls v$version" "$TLS_MODULE" "$modver"); then
        errors+="$info; "
        continue
      fi
      moddir=${info%%$'\t'*}
      gomod=${info#*$'\t'}
      if ! make_build_module "pulumi-resource-tls-$version" "$TLS_MODULE" "$modver" "$gomod" ||
        ! tls_prepare "$BUILD_DIR" "$moddir" "$version"; then
        errors+="preparing $TLS_MODULE@$modver failed; "
        continue
      fi
      mkdir -p "$out"
      log "pulumi-resource-tls v$version: building"
      start=$SECONDS
      if ! go_build "$BUILD_DIR" "$out/pulumi-resource-tls" ./cmd/pulumi-resource-tls \
        "-s -w -X $TLS_MODULE/pkg/version.Version=$version"; then
        errors+="go build $TLS_MODULE@$modver failed; "
        continue
      fi
      write_stamp "$out" pulumi-resource-tls "$TLS_MODULE@$modver" $((SECONDS - start))
      log "pulumi-resource-tls v$version: built in $((SECONDS - start))s"
    fi
    link_bin "$out/pulumi-resource-tls"
    RESULT_TLS=$version
    return 0
  done
  fail pulumi-resource-tls "${errors%; }"
}

# --- 5. dataplaneapi + release-style archive --------------------------------

build_dataplaneapi() {
  local out="$TOOLS_DIR/dataplaneapi-$DPAPI_VERSION" info moddir gomod work start stage archive sum
  if stamp_ok "$out" dataplaneapi && [[ -f "$out/LICENSE" ]]; then
    log "dataplaneapi v$DPAPI_VERSION: already built"
  else
    if ! info=$(fetch_module "dataplaneapi v$DPAPI_VERSION" "$DPAPI_MODULE" "$DPAPI_MODULE_VERSION"); then
      fail dataplaneapi "$info"
      return 0
    fi
    moddir=${info%%$'\t'*}
    gomod=${info#*$'\t'}
    if ! make_build_module "dataplaneapi-$DPAPI_VERSION" "$DPAPI_MODULE" "$DPAPI_MODULE_VERSION" "$gomod"; then
      fail dataplaneapi "could not set up the build module"
      return 0
    fi
    work=$BUILD_DIR
    mkdir -p "$out"
    log "dataplaneapi v$DPAPI_VERSION: building (static, CGO_ENABLED=0)"
    start=$SECONDS
    # Same -X flags as the upstream .goreleaser.yml; BuildTime is the release
    # commit's time so that rebuilds give the same binary.
    if ! GOOS=linux GOARCH=amd64 go_build "$work" "$out/dataplaneapi" "$DPAPI_MODULE/cmd/dataplaneapi" \
      "-s -w -X main.GitRepo=$DPAPI_REPO_URL -X main.GitTag=v$DPAPI_VERSION -X main.GitCommit=$DPAPI_COMMIT_SHORT -X main.GitDirty= -X main.BuildTime=$DPAPI_COMMIT_TIME"; then
      fail dataplaneapi "go build $DPAPI_MODULE@$DPAPI_MODULE_VERSION failed (see above)"
      return 0
    fi
    # Extra files of the upstream archive that the module zip carries.
    cp "$moddir/LICENSE" "$moddir/README.md" "$out/"
    cp "$moddir/assets/packages/dataplaneapi.yml.dist" "$out/"
    chmod 0644 "$out/LICENSE" "$out/README.md" "$out/dataplaneapi.yml.dist"
    write_stamp "$out" dataplaneapi "$DPAPI_MODULE@$DPAPI_MODULE_VERSION" $((SECONDS - start))
    log "dataplaneapi v$DPAPI_VERSION: built in $((SECONDS - start))s"
  fi

  # Reproducible archive: fixed order, owner, modes and mtime; gzip without name/time.
  mkdir -p "$DPAPI_MIRROR_DIR"
  archive="$DPAPI_MIRROR_DIR/$DPAPI_ARCHIVE_NAME"
  stage=$(mktemp -d "$TOOLS_DIR/.stage.XXXXXX")
  install -m 0755 "$out/dataplaneapi" "$stage/dataplaneapi"
  install -m 0644 "$out/LICENSE" "$out/README.md" "$out/dataplaneapi.yml.dist" "$stage/"
  tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="$DPAPI_COMMIT_TIME" -C "$stage" -cf - \
    dataplaneapi LICENSE README.md dataplaneapi.yml.dist | gzip -9 -n >"$archive.tmp"
  rm -rf "$stage"
  mv -f "$archive.tmp" "$archive"
  (cd "$DPAPI_MIRROR_DIR" && sha256sum "$DPAPI_ARCHIVE_NAME" >checksums.txt.tmp && mv -f checksums.txt.tmp checksums.txt)
  sum=$(cut -d' ' -f1 "$DPAPI_MIRROR_DIR/checksums.txt")
  log "dataplaneapi v$DPAPI_VERSION: $archive sha256=$sum"
  RESULT_DPAPI_SHA256=$sum
}

# --- main -------------------------------------------------------------------

main() {
  local -a what=("$@")
  local w
  if ((${#what[@]} == 0)); then
    what=(pulumi langhost command tls dataplaneapi)
  fi
  command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
  mkdir -p "$TOOLS_DIR" "$SRC_DIR" "$BIN_DIR" "$GOMODCACHE" "$GOCACHE"
  cd "$SRC_DIR" # no go.mod here: module-less go commands
  log "cache: $CACHE_DIR ($(go env GOVERSION), GOPROXY=$GOPROXY)"
  for w in "${what[@]}"; do
    case "$w" in
      pulumi) build_pulumi ;;
      langhost | pulumi-language-nodejs) build_langhost ;;
      command | pulumi-resource-command) build_command ;;
      tls | pulumi-resource-tls) build_tls ;;
      dataplaneapi | dpapi) build_dataplaneapi ;;
      *) log "unknown artefact: $w"; exit 2 ;;
    esac
  done

  printf 'PULUMI_BIN_DIR=%s\n' "$BIN_DIR"
  printf 'PULUMI_VERSION=%s\n' "$([[ -x "$BIN_DIR/pulumi" ]] && echo "$PULUMI_VERSION")"
  printf 'PULUMI_LANGUAGE_NODEJS_VERSION=%s\n' "$RESULT_LANGHOST"
  printf 'COMMAND_PROVIDER_VERSION=%s\n' "$RESULT_COMMAND"
  printf 'TLS_PROVIDER_VERSION=%s\n' "$RESULT_TLS"
  printf 'DPAPI_VERSION=%s\n' "$DPAPI_VERSION"
  printf 'DPAPI_MIRROR_DIR=%s\n' "$DPAPI_MIRROR_ROOT"
  printf 'DPAPI_ARCHIVE=%s\n' "$([[ -n "$RESULT_DPAPI_SHA256" ]] && echo "$DPAPI_MIRROR_DIR/$DPAPI_ARCHIVE_NAME")"
  printf 'DPAPI_ARCHIVE_SHA256=%s\n' "$RESULT_DPAPI_SHA256"
  printf 'BUILD_TOOLS_FAILED=%s\n' "${FAILED[*]:-}"
  if ((${#FAILED[@]} > 0)); then
    log "not built: ${FAILED[*]}"
    exit 1
  fi
}

main "$@"
