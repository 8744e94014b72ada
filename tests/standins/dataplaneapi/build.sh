#!/usr/bin/env bash
# Builds the Data Plane API 3.2.1 STAND-IN (a test double, see README.md) and
# packages it like a release archive:
#
#   ${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/
#     standins/dataplaneapi-3.2.1/<arch>/dataplaneapi   the static binaries (+ .stamp)
#     mirror-standin/v3.2.1/dataplaneapi_3.2.1_linux_<arch>.tar.gz, arch x86_64 and arm64
#     mirror-standin/v3.2.1/checksums.txt        (sha256sum format, both archives)
#     gomod/, go-build/                          Go module and build caches
#
# The build is skipped when the stamp holds the hash of the sources; the
# archive is reproducible (sorted, owner 0, fixed mtime, gzip -n), so the same
# sources give the same SHA-256.
#
# Progress goes to stderr; stdout carries KEY=value lines:
#   DPAPI_SOURCE, DPAPI_VERSION, DPAPI_MIRROR_DIR, DPAPI_ARCHIVE, DPAPI_ARCHIVE_SHA256 (x86_64),
#   DPAPI_ARCHIVE_SHA256_ARM64
set -euo pipefail

readonly VERSION=3.2.1
# The v3.2.1 tag commit's time: the archive's mtime, as for the real archive.
readonly MTIME=2025-06-16T10:54:13Z
# Release architectures, as the archives name them, and Go's names for them.
readonly ARCHES=(x86_64 arm64)
declare -rA GOARCH_OF=([x86_64]=amd64 [arm64]=arm64)

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_DIR="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}"
OUT_DIR="$CACHE_DIR/standins/dataplaneapi-$VERSION"
MIRROR_DIR="$CACHE_DIR/mirror-standin"
RELEASE_DIR="$MIRROR_DIR/v$VERSION"

export GOMODCACHE="$CACHE_DIR/gomod"
export GOCACHE="$CACHE_DIR/go-build"
export GOTOOLCHAIN=local
export GOWORK=off
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0
export GOOS=linux
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
case "$GOPROXY" in *direct*) GOPROXY=https://proxy.golang.org ;; esac

log() { printf 'standin-build: %s\n' "$*" >&2; }

# Hash of everything the binary is built from, plus the toolchain version.
sources_hash() {
  (
    cd "$SRC_DIR"
    go env GOVERSION GOFLAGS
    find . -maxdepth 1 -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) ! -name '*_test.go' -print0 |
      sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -d' ' -f1
}

archive_name() { printf 'dataplaneapi_%s_linux_%s.tar.gz' "$VERSION" "$1"; }

build_binary() { # hash arch
  local hash=$1 arch=$2 start=$SECONDS out="$OUT_DIR/$2"
  mkdir -p "$out"
  log "building the stand-in for $arch (static, CGO_ENABLED=0) into $out"
  (cd "$SRC_DIR" && GOARCH=${GOARCH_OF[$arch]} go build -trimpath -ldflags "-s -w -buildid=" -o "$out/dataplaneapi.tmp" .)
  mv -f "$out/dataplaneapi.tmp" "$out/dataplaneapi"
  printf '%s\n' "$hash" >"$out/.stamp"
  log "built in $((SECONDS - start))s"
}

package_archive() { # arch
  local stage archive
  archive="$RELEASE_DIR/$(archive_name "$1")"
  mkdir -p "$RELEASE_DIR"
  stage=$(mktemp -d "$OUT_DIR/.stage.XXXXXX")
  install -m 0755 "$OUT_DIR/$1/dataplaneapi" "$stage/dataplaneapi"
  tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mode=0755 \
    --mtime="$MTIME" -C "$stage" -cf - dataplaneapi | gzip -9 -n >"$archive.tmp"
  rm -rf "$stage"
  mv -f "$archive.tmp" "$archive"
  log "packaged $archive"
}

main() {
  command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
  local hash arch changed=0
  hash=$(sources_hash)
  for arch in "${ARCHES[@]}"; do
    if [[ -x "$OUT_DIR/$arch/dataplaneapi" && -f "$OUT_DIR/$arch/.stamp" && "$(cat "$OUT_DIR/$arch/.stamp")" == "$hash" &&
      -f "$RELEASE_DIR/$(archive_name "$arch")" ]]; then
      log "stand-in for $arch already built for these sources"
    else
      build_binary "$hash" "$arch"
      package_archive "$arch"
      changed=1
    fi
  done
  if [[ $changed == 1 ]] || ! (cd "$RELEASE_DIR" && sha256sum --check --status checksums.txt 2>/dev/null); then
    (cd "$RELEASE_DIR" && for arch in "${ARCHES[@]}"; do sha256sum "$(archive_name "$arch")"; done >checksums.txt.tmp && mv -f checksums.txt.tmp checksums.txt)
  fi
  sum_of() { grep -F " $(archive_name "$1")" "$RELEASE_DIR/checksums.txt" | cut -d' ' -f1; }
  log "sha256 x86_64 $(sum_of x86_64), arm64 $(sum_of arm64)"
  printf 'DPAPI_SOURCE=stand-in\n'
  printf 'DPAPI_VERSION=%s\n' "$VERSION"
  printf 'DPAPI_MIRROR_DIR=%s\n' "$MIRROR_DIR"
  printf 'DPAPI_ARCHIVE=%s\n' "$RELEASE_DIR/$(archive_name x86_64)"
  printf 'DPAPI_ARCHIVE_SHA256=%s\n' "$(sum_of x86_64)"
  printf 'DPAPI_ARCHIVE_SHA256_ARM64=%s\n' "$(sum_of arm64)"
}

main "$@"
