#!/usr/bin/env bash
# Prepares this machine for the sandbox and the tests, from nothing:
# Debian packages, npm packages, the Pulumi engine and plugins and the Data
# Plane API release archive (built from Go modules), and the cached Debian
# root filesystem for test hosts. Everything heavy is cached outside the
# repository (LB_CACHE_DIR, default /var/cache/haproxy-dpapi-lab); a second
# run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

packages=(shellcheck debootstrap debian-archive-keyring systemd systemd-container iproute2 openssh-client openssl curl ca-certificates)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi

log "building the Pulumi engine, its language host, the provider plugins and the Data Plane API archives from their Go modules (cached)"
build_log="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/build-tools.log"
mkdir -p "$(dirname "$build_log")"
if ! bash scripts/build-tools.sh >/dev/null 2> >(tee "$build_log" | grep --line-buffered -E 'building|built in|WARNING|FAILED|sha256=' >&2); then
    log "not everything could be built; see $build_log"
    exit 1
fi

mapfile -t releases < <(bash scripts/testhost.sh releases)
for release in "${releases[@]}"; do
    log "building the $release test host root filesystem (cached)"
    bash scripts/testhost.sh rootfs "$release" >/dev/null
done
log "ready"
