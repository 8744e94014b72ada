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

log "building the Pulumi engine, plugins and the Data Plane API archive (cached)"
build_log="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/build-tools.log"
mkdir -p "$(dirname "$build_log")"
summary=$(bash scripts/build-tools.sh 2> >(tee "$build_log" | grep --line-buffered -E 'building|built in|WARNING' >&2)) || true
grep -q '^PULUMI_VERSION=.' <<<"$summary" || { log "the Pulumi CLI could not be built; see $build_log"; exit 1; }
failed=$(sed -n 's/^BUILD_TOOLS_FAILED=//p' <<<"$summary")
if [ -n "$failed" ]; then
    # Known on these machines: the Go module proxy refuses these modules (403),
    # see README "What cannot run here". Everything else still works.
    log "not available from the Go module proxy: $failed (details: $build_log)"
fi

log "compiling the stand-in provider plugins (cached)"
sh tests/plugins/standin.sh compile command tls

mapfile -t releases < <(bash scripts/testhost.sh releases)
for release in "${releases[@]}"; do
    log "building the $release test host root filesystem (cached)"
    bash scripts/testhost.sh rootfs "$release" >/dev/null
done
log "ready"
