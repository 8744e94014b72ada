#!/usr/bin/env bash
# Prepares this machine for the sandbox and the tests, from nothing:
# Debian packages, npm packages, the Pulumi engine, its language host, the
# command and tls plugins and the Data Plane API release archives (built from
# their upstream Go modules by build-tools.sh), and the cached Debian root
# filesystems for test hosts, the arm64 one (run under qemu-user emulation)
# included. Everything heavy is cached outside the
# repository (LB_CACHE_DIR, default /var/cache/haproxy-dpapi-lab); a second
# run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

packages=(shellcheck debootstrap debian-archive-keyring systemd systemd-container iproute2 openssh-client openssl curl ca-certificates qemu-user-static)
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

# The test hosts' root file systems come from Debian's archive while the Go
# tools compile: one waits on the network and the disk, the other on the CPUs.
# The arm64 one (Debian 12, a Raspberry Pi's) builds beside them: testhost.sh
# registers qemu-user-static's interpreter for it with binfmt_misc.
mapfile -t releases < <(bash lab/testhost.sh releases)
(
    for release in "${releases[@]}"; do
        log "building the $release test host root filesystem (cached)"
        bash lab/testhost.sh rootfs "$release" amd64 >/dev/null
    done
) &
rootfs_pid=$!
(
    log "building the bookworm arm64 test host root filesystem (cached)"
    bash lab/testhost.sh rootfs bookworm arm64 >/dev/null
) &
rootfs_arm64_pid=$!

log "building the Pulumi engine, its language host, the provider plugins and the Data Plane API archives from their Go modules (cached)"
build_log="${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/build-tools.log"
mkdir -p "$(dirname "$build_log")"
tools_ok=1
bash lab/build-tools.sh >/dev/null 2> >(tee "$build_log" | grep --line-buffered -E 'building|built in|WARNING|FAILED|sha256=' >&2) || tools_ok=0
rootfs_ok=1
wait "$rootfs_pid" || rootfs_ok=0
wait "$rootfs_arm64_pid" || rootfs_ok=0
[ "$tools_ok" = 1 ] || { log "not everything could be built; see $build_log"; exit 1; }
[ "$rootfs_ok" = 1 ] || { log "a test host root filesystem could not be built (the reason is above)"; exit 1; }
log "ready"
