#!/usr/bin/env bash
# Builds the Data Plane API STAND-IN (a test double, see README.md) for
# releases 3.2.1 and 3.2.2 and packages each like a release archive:
#
#   ${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/
#     standins/dataplaneapi-<version>/<arch>/dataplaneapi   the static binaries (+ .stamp)
#     mirror-standin/v<version>/dataplaneapi_<version>_linux_<arch>.tar.gz, arch x86_64 and arm64
#     mirror-standin/v<version>/checksums.txt    (sha256sum format, both archives)
#     gomod/, go-build/                          Go module and build caches
#
# 3.2.2 exists for upgrade tests: it is the same program, differing from 3.2.1
# only in the version it reports (main.dpapiVersion, set at link time).
#
# A build is skipped when its stamp holds the hash of the sources, the version
# and the link flags; the archive is reproducible (sorted, owner 0, fixed
# mtime, gzip -n), so the same sources give the same SHA-256.
#
# Progress goes to stderr; stdout carries KEY=value lines, for 3.2.1:
#   DPAPI_SOURCE, DPAPI_VERSION, DPAPI_MIRROR_DIR, DPAPI_ARCHIVE, DPAPI_ARCHIVE_SHA256 (x86_64),
#   DPAPI_ARCHIVE_SHA256_ARM64
# and for 3.2.2:
#   DPAPI_UPGRADE_VERSION, DPAPI_UPGRADE_SHA256 (x86_64), DPAPI_UPGRADE_SHA256_ARM64
set -euo pipefail

# The releases built: the first is the one DPAPI_VERSION and the archive
# lines describe, the second the upgrade target (DPAPI_UPGRADE_*).
readonly VERSIONS=(3.2.1 3.2.2)
# The v3.2.1 tag commit's time: the archives' mtime, as for the real archive;
# 3.2.2 keeps it (and the build date it reports), as it differs only in its version.
readonly MTIME=2025-06-16T10:54:13Z
# Release architectures, as the archives name them, and Go's names for them.
readonly ARCHES=(x86_64 arm64)
declare -rA GOARCH_OF=([x86_64]=amd64 [arm64]=arm64)

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_DIR="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}"
MIRROR_DIR="$CACHE_DIR/mirror-standin"

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

archive_name() { printf 'dataplaneapi_%s_linux_%s.tar.gz' "$1" "$2"; } # version arch
out_dir() { printf '%s/standins/dataplaneapi-%s' "$CACHE_DIR" "$1"; }   # version
release_dir() { printf '%s/v%s' "$MIRROR_DIR" "$1"; }                     # version
# The link flags: reproducible (no build id), the version set in main.dpapiVersion.
ldflags() { printf '%s' "-s -w -buildid= -X main.dpapiVersion=$1"; }     # version

build_binary() { # stamp version arch
  local stamp=$1 version=$2 arch=$3 start=$SECONDS out
  out="$(out_dir "$version")/$arch"
  mkdir -p "$out"
  log "building the stand-in $version for $arch (static, CGO_ENABLED=0) into $out"
  (cd "$SRC_DIR" && GOARCH=${GOARCH_OF[$arch]} go build -trimpath -ldflags "$(ldflags "$version")" -o "$out/dataplaneapi.tmp" .)
  mv -f "$out/dataplaneapi.tmp" "$out/dataplaneapi"
  printf '%s\n' "$stamp" >"$out/.stamp"
  log "built in $((SECONDS - start))s"
}

package_archive() { # version arch
  local version=$1 arch=$2 stage archive release
  release=$(release_dir "$version")
  archive="$release/$(archive_name "$version" "$arch")"
  mkdir -p "$release"
  stage=$(mktemp -d "$(out_dir "$version")/.stage.XXXXXX")
  install -m 0755 "$(out_dir "$version")/$arch/dataplaneapi" "$stage/dataplaneapi"
  tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mode=0755 \
    --mtime="$MTIME" -C "$stage" -cf - dataplaneapi | gzip -9 -n >"$archive.tmp"
  rm -rf "$stage"
  mv -f "$archive.tmp" "$archive"
  log "packaged $archive"
}

# Builds and packages one release for every architecture (each skipped when
# its stamp matches) and keeps that release's checksums.txt up to date.
build_release() { # sources-hash version
  local version=$2 stamp arch out release changed=0
  stamp="$1 v$version $(ldflags "$version")"
  release=$(release_dir "$version")
  for arch in "${ARCHES[@]}"; do
    out="$(out_dir "$version")/$arch"
    if [[ -x "$out/dataplaneapi" && -f "$out/.stamp" && "$(cat "$out/.stamp")" == "$stamp" &&
      -f "$release/$(archive_name "$version" "$arch")" ]]; then
      log "stand-in $version for $arch already built for these sources"
    else
      build_binary "$stamp" "$version" "$arch"
      package_archive "$version" "$arch"
      changed=1
    fi
  done
  if [[ $changed == 1 ]] || ! (cd "$release" && sha256sum --check --status checksums.txt 2>/dev/null); then
    (cd "$release" && for arch in "${ARCHES[@]}"; do sha256sum "$(archive_name "$version" "$arch")"; done >checksums.txt.tmp &&
      mv -f checksums.txt.tmp checksums.txt)
  fi
  log "$version sha256 x86_64 $(sum_of "$version" x86_64), arm64 $(sum_of "$version" arm64)"
}

sum_of() { # version arch
  grep -F " $(archive_name "$1" "$2")" "$(release_dir "$1")/checksums.txt" | cut -d' ' -f1
}

main() {
  command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
  local hash version base=${VERSIONS[0]} upgrade=${VERSIONS[1]}
  hash=$(sources_hash)
  for version in "${VERSIONS[@]}"; do
    build_release "$hash" "$version"
  done
  printf 'DPAPI_SOURCE=stand-in\n'
  printf 'DPAPI_VERSION=%s\n' "$base"
  printf 'DPAPI_MIRROR_DIR=%s\n' "$MIRROR_DIR"
  printf 'DPAPI_ARCHIVE=%s\n' "$(release_dir "$base")/$(archive_name "$base" x86_64)"
  printf 'DPAPI_ARCHIVE_SHA256=%s\n' "$(sum_of "$base" x86_64)"
  printf 'DPAPI_ARCHIVE_SHA256_ARM64=%s\n' "$(sum_of "$base" arm64)"
  printf 'DPAPI_UPGRADE_VERSION=%s\n' "$upgrade"
  printf 'DPAPI_UPGRADE_SHA256=%s\n' "$(sum_of "$upgrade" x86_64)"
  printf 'DPAPI_UPGRADE_SHA256_ARM64=%s\n' "$(sum_of "$upgrade" arm64)"
}

main "$@"
