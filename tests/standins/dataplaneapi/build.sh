#!/usr/bin/env bash
# Builds the Data Plane API 3.2.1 STAND-IN (a test double, see README.md) and
# packages it like a release archive:
#
#   ${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/
#     standins/dataplaneapi-3.2.1/dataplaneapi   the static binary (+ .stamp)
#     mirror-standin/v3.2.1/dataplaneapi_3.2.1_linux_x86_64.tar.gz
#     mirror-standin/v3.2.1/checksums.txt        (sha256sum format)
#     gomod/, go-build/                          Go module and build caches
#
# The build is skipped when the stamp holds the hash of the sources; the
# archive is reproducible (sorted, owner 0, fixed mtime, gzip -n), so the same
# sources give the same SHA-256.
#
# Progress goes to stderr; stdout carries KEY=value lines:
#   DPAPI_SOURCE, DPAPI_VERSION, DPAPI_MIRROR_DIR, DPAPI_ARCHIVE, DPAPI_ARCHIVE_SHA256
set -euo pipefail

readonly VERSION=3.2.1
# The v3.2.1 tag commit's time: the archive's mtime, as for the real archive.
readonly MTIME=2025-06-16T10:54:13Z
readonly ARCHIVE_NAME="dataplaneapi_${VERSION}_linux_x86_64.tar.gz"

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_DIR="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}"
OUT_DIR="$CACHE_DIR/standins/dataplaneapi-$VERSION"
MIRROR_DIR="$CACHE_DIR/mirror-standin"
RELEASE_DIR="$MIRROR_DIR/v$VERSION"
ARCHIVE="$RELEASE_DIR/$ARCHIVE_NAME"

export GOMODCACHE="$CACHE_DIR/gomod"
export GOCACHE="$CACHE_DIR/go-build"
export GOTOOLCHAIN=local
export GOWORK=off
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0
export GOOS=linux
export GOARCH=amd64
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

build_binary() {
  local hash=$1 start=$SECONDS
  mkdir -p "$OUT_DIR"
  log "building the stand-in (static, CGO_ENABLED=0) into $OUT_DIR"
  (cd "$SRC_DIR" && go build -trimpath -ldflags "-s -w -buildid=" -o "$OUT_DIR/dataplaneapi.tmp" .)
  mv -f "$OUT_DIR/dataplaneapi.tmp" "$OUT_DIR/dataplaneapi"
  printf '%s\n' "$hash" >"$OUT_DIR/.stamp"
  log "built in $((SECONDS - start))s"
}

package_archive() {
  local stage
  mkdir -p "$RELEASE_DIR"
  stage=$(mktemp -d "$OUT_DIR/.stage.XXXXXX")
  install -m 0755 "$OUT_DIR/dataplaneapi" "$stage/dataplaneapi"
  tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mode=0755 \
    --mtime="$MTIME" -C "$stage" -cf - dataplaneapi | gzip -9 -n >"$ARCHIVE.tmp"
  rm -rf "$stage"
  mv -f "$ARCHIVE.tmp" "$ARCHIVE"
  (cd "$RELEASE_DIR" && sha256sum "$ARCHIVE_NAME" >checksums.txt.tmp && mv -f checksums.txt.tmp checksums.txt)
  log "packaged $ARCHIVE"
}

main() {
  command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
  local hash sum
  hash=$(sources_hash)
  if [[ -x "$OUT_DIR/dataplaneapi" && -f "$OUT_DIR/.stamp" && "$(cat "$OUT_DIR/.stamp")" == "$hash" ]]; then
    log "stand-in already built for these sources ($OUT_DIR)"
  else
    build_binary "$hash"
    rm -f "$ARCHIVE"
  fi
  if [[ -f "$ARCHIVE" && -f "$RELEASE_DIR/checksums.txt" ]] &&
    (cd "$RELEASE_DIR" && sha256sum --check --status checksums.txt); then
    log "archive up to date: $ARCHIVE"
  else
    package_archive
  fi
  sum=$(cut -d' ' -f1 "$RELEASE_DIR/checksums.txt")
  log "sha256 $sum"
  printf 'DPAPI_SOURCE=stand-in\n'
  printf 'DPAPI_VERSION=%s\n' "$VERSION"
  printf 'DPAPI_MIRROR_DIR=%s\n' "$MIRROR_DIR"
  printf 'DPAPI_ARCHIVE=%s\n' "$ARCHIVE"
  printf 'DPAPI_ARCHIVE_SHA256=%s\n' "$sum"
}

main "$@"
