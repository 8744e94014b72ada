#!/usr/bin/env bash
# Real Debian load-balancer hosts for end-to-end tests and the sandbox:
# systemd-nspawn containers, each in its network namespace lbt<index>, booted
# with systemd as PID 1 from a copy of a cached debootstrap rootfs of their
# release, bookworm (Debian 12, HAProxy 2.6) or trixie (Debian 13, HAProxy
# 3.0), and of their architecture, amd64 or arm64 (a Raspberry Pi's: booted
# under qemu-user emulation, see ensure_emulation). Each is reachable over SSH
# as user "deploy" at 198.18.<index>.2 and already runs haproxy with an
# application ("frontend web" -> web1) that a deployment must leave alone.
# The machine's packages come from setup.sh.
#
# Usage: testhost.sh <command> [args]      release: LB_RELEASE or bookworm
#                                          arch: LB_ARCH or this machine's
#   releases                 the releases a host can run, one a line
#   rootfs [release [arch]]  build the release's cached rootfs (once), print its path
#   up <name> <index> [release [arch]]
#                            boot host <name> at 198.18.<index>.2 (index 1..MAX_INDEX);
#                            prints one JSON line: name, release, arch, address, outerAddress,
#                            port, user, privateKeyFile, hostKey, knownHostsFile, root
#   info <name>              that JSON line again, for a running host
#   exec <name> -- <cmd..>   run a command as root in the host (status and stdio pass through)
#   reboot <name>            power off and boot again on the same root (/tmp, /run emptied)
#   down <name>              power off and remove the host (safe to repeat)
#   down-all                 'down' every host
#
# Environment: LB_CACHE_DIR (the rootfs cache), LB_RUN_DIR (the hosts),
# LB_MIRROR (the Debian mirror; default: the machine's own), LB_READY_TIMEOUT
# (default 60, 300 for an emulated host) and LB_STOP_TIMEOUT (seconds), LB_RUN_TMPFS=0 (no tmpfs of its own for the
# run dir, else one of LB_RUN_TMPFS_SIZE), LB_KEEP_FAILED=1 (keep a host that
# failed to come up, for inspection).
set -euo pipefail
shopt -s inherit_errexit

usage() { sed -n '/^# Usage:/,/^set /{/^set /d; s/^# \{0,1\}//; p}' "${BASH_SOURCE[0]}"; }

readonly RELEASES=(bookworm trixie)
readonly DEFAULT_RELEASE=bookworm
SUITE=$DEFAULT_RELEASE # the release being built or booted (select_release)
readonly ARCHES=(amd64 arm64)
# Each architecture's name for qemu-user and binfmt_misc (qemu-<name>).
declare -rA QEMU_ARCH=([amd64]=x86_64 [arm64]=aarch64)
NATIVE_ARCH=$(dpkg --print-architecture)
readonly NATIVE_ARCH
ARCH=$NATIVE_ARCH # the architecture being built or booted (select_arch)
readonly PACKAGES=systemd,systemd-sysv,dbus,openssh-server,haproxy,curl,ca-certificates,sudo,iproute2,procps,socat
readonly DEPLOY_USER=deploy
readonly DEPLOY_UID=1000
readonly MAX_INDEX=60
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# What build_rootfs installs: the files of lab/rootfs at the same paths,
# and the application's frontend after the stock haproxy.cfg (one file with the
# editor's fixtures, which know what a lab host's haproxy.cfg holds).
readonly ROOTFS_FILES=$REPO/lab/rootfs
readonly LAB_APPLICATION=$REPO/components/haproxy/fixtures/lab-application.cfg
# What 'up' adds to the copy of a host that runs under emulation (and only
# there), what a real machine of that architecture would not need: systemd
# drop-ins for what systemd cannot do under qemu-user (each file says what).
readonly EMULATED_DIR=$REPO/lab/emulated

CACHE_DIR=${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}
RUN_DIR=${LB_RUN_DIR:-/run/haproxy-dpapi-lab}
READY_TIMEOUT=${LB_READY_TIMEOUT:-}
STOP_TIMEOUT=${LB_STOP_TIMEOUT:-30}
RUN_TMPFS=${LB_RUN_TMPFS:-1}
RUN_TMPFS_SIZE=${LB_RUN_TMPFS_SIZE:-50%}
readonly CONTAINER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'testhost.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [[ ${EUID} -eq 0 ]] || die "must run as root (debootstrap, netns and nspawn need it)"; }
json_str() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

# Sets SUITE to the release named by $1, else LB_RELEASE, else the default.
select_release() {
    SUITE=${1:-${LB_RELEASE:-$DEFAULT_RELEASE}}
    [[ " ${RELEASES[*]} " == *" $SUITE "* ]] || die "unknown release '$SUITE'; known: ${RELEASES[*]}"
}

# Sets ARCH to the architecture named by $1, else LB_ARCH, else this machine's.
select_arch() {
    ARCH=${1:-${LB_ARCH:-$NATIVE_ARCH}}
    [[ " ${ARCHES[*]} " == *" $ARCH "* ]] || die "unknown architecture '$ARCH'; known: ${ARCHES[*]}"
}

# Makes this machine run programs of $ARCH, if it is not its own: the
# kernel's binfmt_misc hands them to qemu-user-static's interpreter, with
# qemu-user-static's own registration and two flags more if it lacks them:
# F (the kernel opens the interpreter once, at registration, so it also works
# inside a host's root, which has no qemu) and C (a setuid program runs with
# its owner's rights, as sudo must: without C, sudo fails with "effective uid
# is not 0").
ensure_emulation() {
    [[ $ARCH != "$NATIVE_ARCH" ]] || return 0
    local qemu=${QEMU_ARCH[$ARCH]} conf entry line flags
    conf=/usr/lib/binfmt.d/qemu-$qemu.conf
    [[ -r $conf ]] || die "$ARCH hosts need qemu-user-static ($conf is missing; scripts/setup.sh installs it)"
    entry=/proc/sys/fs/binfmt_misc/qemu-$qemu
    if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
        need_root
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    fi
    if [[ -e $entry ]] && ! has_c_and_f "$entry"; then
        need_root
        log "re-registering $entry with the flags C and F"
        echo -1 >"$entry" 2>/dev/null || true
    fi
    if [[ ! -e $entry ]]; then
        need_root
        line=$(grep -v '^#' "$conf")
        flags=${line##*:}
        [[ $flags == *C* ]] || flags+=C
        [[ $flags == *F* ]] || flags+=F
        # Another 'up' may register it at the same time: only its absence after is an error.
        printf '%s\n' "${line%:*}:$flags" >/proc/sys/fs/binfmt_misc/register 2>/dev/null || [[ -e $entry ]] ||
            die "could not register $conf with binfmt_misc"
    fi
    grep -qx enabled "$entry" || die "$entry is registered but disabled"
    has_c_and_f "$entry" || die "$entry lacks the flag C or F: $(grep '^flags' "$entry")"
}
has_c_and_f() {
    local flags
    flags=$(sed -n 's/^flags: //p' "$1" 2>/dev/null) || return 1
    [[ $flags == *C* && $flags == *F* ]]
}

# A rootfs's name before its hash: the release, and its architecture unless
# it is amd64.
rootfs_label() {
    if [[ $ARCH == amd64 ]]; then printf '%s' "$SUITE"; else printf '%s-%s' "$SUITE" "$ARCH"; fi
}

# Everything a cached rootfs is made of. Its cache key (rootfs_path) hashes
# this function's text, the constants it uses and the files it installs.
build_rootfs() { # root mirror
    local root=$1 f
    debootstrap --arch="$ARCH" --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$2"
    # Identity: every copy gets its own machine-id, hostname and host keys in 'up'.
    : >"$root/etc/machine-id"
    ln -sf /etc/machine-id "$root/var/lib/dbus/machine-id"
    rm -f "$root"/etc/ssh/ssh_host_*
    while read -r f; do
        install -D -m 0644 "$ROOTFS_FILES/$f" "$root/$f"
    done < <(cd "$ROOTFS_FILES" && find . -type f)
    # The deploy user: key-only login ('*': no password, yet not a locked
    # account), passwordless sudo.
    chroot "$root" useradd --create-home --uid "$DEPLOY_UID" --user-group \
        --shell /bin/bash --comment "deployment user" "$DEPLOY_USER"
    chroot "$root" usermod --password '*' "$DEPLOY_USER"
    install -d -m 0700 -o "$DEPLOY_UID" -g "$DEPLOY_UID" "$root/home/$DEPLOY_USER/.ssh"
    install -m 0600 -o "$DEPLOY_UID" -g "$DEPLOY_UID" /dev/null "$root/home/$DEPLOY_USER/.ssh/authorized_keys"
    printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$DEPLOY_USER" >"$root/etc/sudoers.d/$DEPLOY_USER"
    chmod 0440 "$root/etc/sudoers.d/$DEPLOY_USER"
    chroot "$root" visudo -c -q -f "/etc/sudoers.d/$DEPLOY_USER"
    # The application already there (web1.service), published by the stock HAProxy.
    chroot "$root" useradd --system --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin web1
    chroot "$root" haproxy -c -q -f /usr/local/lib/web1/app.cfg
    cat "$LAB_APPLICATION" >>"$root/etc/haproxy/haproxy.cfg"
    chroot "$root" haproxy -c -q -f /etc/haproxy/haproxy.cfg
    install -m 0644 "$root/etc/haproxy/haproxy.cfg" "$root/root/haproxy.cfg.orig"
    systemctl --root="$root" --quiet enable ssh.service haproxy.service web1.service
    chroot "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root/var/cache/debconf/"*-old
}

rootfs_path() {
    local key
    key=$(
        printf '%s\n' "$SUITE" "$ARCH" "$PACKAGES" "$DEPLOY_USER" "$DEPLOY_UID"
        declare -f build_rootfs
        cd "$ROOTFS_FILES" && find . -type f | LC_ALL=C sort | xargs sha256sum
        sha256sum <"$LAB_APPLICATION"
    )
    printf '%s/rootfs/%s-%s' "$CACHE_DIR" "$(rootfs_label)" "$(sha256sum <<<"$key" | cut -c1-16)"
}

# LB_MIRROR, else the Debian mirror the machine's apt uses for $SUITE, else
# the one for its own release (a Debian mirror carries every release); empty
# when apt names none.
detect_mirror() {
    local own
    own=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d "\"'")
    # shellcheck disable=SC2016 # $(...) is apt's format, not the shell's
    apt-get indextargets --no-release-info --format '$(TARGET_OF) $(RELEASE) $(REPO_URI)' 2>/dev/null |
        awk -v suite="$SUITE" -v own="$own" -v set="${LB_MIRROR:-}" '
            $1 == "deb" && $2 == suite && !s { s = $3 }
            $1 == "deb" && $2 == own && !o { o = $3 }
            END { print set != "" ? set : s != "" ? s : o }'
}

# Unmounts anything below $1 (a killed debootstrap can leave proc/sys/dev
# mounts behind) and deletes it without crossing into other file systems.
remove_tree() {
    local dir=$1 mnt
    [[ -e $dir ]] || return 0
    while read -r mnt; do
        if [[ -n $mnt ]]; then umount -l "$mnt" 2>/dev/null || true; fi
    done < <(findmnt -rn -o TARGET | awk -v d="$dir" 'index($0, d "/") == 1 || $0 == d' | sort -r)
    rm -rf --one-file-system "$dir"
}

# Sets ROOTFS to the release's cached rootfs, building it first if need be.
# Each architecture builds under a lock of its own: an emulated build waits
# on the CPUs, a native one mostly on the network, so they run side by side.
ensure_rootfs() {
    ensure_emulation
    ROOTFS=$(rootfs_path)
    [[ ! -d $ROOTFS ]] || return 0
    need_root
    mkdir -p "$CACHE_DIR/rootfs"
    local lock_fd stale mirror start label release
    label=$(rootfs_label)
    ROOTFS_LOG=$CACHE_DIR/rootfs/build-$label.log
    exec {lock_fd}>"$CACHE_DIR/rootfs/.lock${label#"$SUITE"}"
    flock -w 1800 "$lock_fd" || die "timed out waiting for another $ARCH rootfs build"
    if [[ -d $ROOTFS ]]; then # built by whoever held the lock
        exec {lock_fd}>&-
        return 0
    fi
    # This architecture's builds, of every release (its lock covers them all).
    for release in "${RELEASES[@]}"; do
        for stale in "$CACHE_DIR/rootfs/.build-$release${label#"$SUITE"}-"????????????????.*; do remove_tree "$stale"; done
    done
    mirror=$(detect_mirror)
    [[ -n $mirror ]] || die "apt's sources name no Debian mirror to build the $label rootfs from: set LB_MIRROR to one"
    ROOTFS_TMP=$(mktemp -d "$CACHE_DIR/rootfs/.build-${ROOTFS##*/}.XXXXXX")
    start=$SECONDS
    log "building $label rootfs from $mirror (log: $ROOTFS_LOG)"
    # errexit ends the build at the first failing step; this trap says so.
    trap 'rc=$?; remove_tree "$ROOTFS_TMP"; ((rc == 0)) || { tail -n 30 "$ROOTFS_LOG" >&2; die "building the $label rootfs failed (log: $ROOTFS_LOG)"; }' EXIT
    build_rootfs "$ROOTFS_TMP" "$mirror" >"$ROOTFS_LOG" 2>&1
    chmod 0755 "$ROOTFS_TMP"
    mv -T "$ROOTFS_TMP" "$ROOTFS"
    trap - EXIT
    # Older builds (other contents) are unused: hosts run on copies.
    for stale in "$CACHE_DIR/rootfs/$label-"????????????????; do
        [[ $stale == "$ROOTFS" || ! -d $stale ]] || remove_tree "$stale"
    done
    exec {lock_fd}>&-
    log "rootfs ready in $((SECONDS - start)) s: $ROOTFS"
}

validate_name() {
    [[ $1 =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] ||
        die "host name must be 1-32 chars of a-z, 0-9 and inner '-'; got '$1'"
}

host_dir() { printf '%s/%s' "$RUN_DIR" "$1"; }
netns_name() { printf 'lbt%s' "$1"; }
veth_outer() { printf 'lbt%s-o' "$1"; }
inner_addr() { printf '198.18.%s.2' "$1"; }
outer_addr() { printf '198.18.%s.1' "$1"; }

# PID of the host's systemd-nspawn, if it is still that process.
nspawn_pid() {
    local dir=$1 pid
    [[ -r $dir/nspawn.pid ]] || return 1
    pid=$(<"$dir/nspawn.pid")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--directory=$dir/root" || return 1
    printf '%s\n' "$pid"
}

# PID (in our namespace) of the container's init: the child of nspawn that is
# PID 1 in its own PID namespace.
leader_pid() {
    local npid=$1 child line
    local -a children=()
    read -r -a children < <(cat "/proc/$npid/task/"*/children 2>/dev/null) || true
    for child in "${children[@]}"; do
        while read -r line; do
            if [[ $line =~ ^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$ ]]; then
                printf '%s\n' "$child"
                return 0
            fi
        done 2>/dev/null <"/proc/$child/status" || true
    done
    return 1
}

container_exec() { # dir cmd...
    local dir=$1 npid lpid
    shift
    npid=$(nspawn_pid "$dir") || die "host $(basename "$dir") is not running"
    lpid=$(leader_pid "$npid") || die "host $(basename "$dir"): container init not found"
    nsenter --target "$lpid" --mount --uts --ipc --net --pid --root --wd \
        env -i PATH="$CONTAINER_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

setup_network() {
    local index=$1 ns outer
    ns=$(netns_name "$index")
    outer=$(veth_outer "$index")
    ip netns add "$ns"
    ip link add "$outer" type veth peer name eth0 netns "$ns"
    ip addr add "$(outer_addr "$index")/30" dev "$outer"
    ip link set "$outer" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$(inner_addr "$index")/30" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$(outer_addr "$index")"
}

# The copy's own hostname (in place of the rootfs's), machine-id, host keys
# (the three types a real Debian host has) and the deploy user's login key;
# under emulation, EMULATED_DIR's drop-ins too.
personalize_root() {
    local name=$1 dir=$2 root=$2/root type old unit
    old=$(<"$root/etc/hostname")
    printf '%s\n' "$name" >"$root/etc/hostname"
    sed -i "s/\\b$old\\b/$name/" "$root/etc/hosts"
    tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"
    for type in ed25519 ecdsa rsa; do
        ssh-keygen -q -t "$type" -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_${type}_key"
    done
    rm -f "$dir/id_ed25519" "$dir/id_ed25519.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$DEPLOY_USER@$name" -f "$dir/id_ed25519"
    install -m 0600 -o "$DEPLOY_UID" -g "$DEPLOY_UID" "$dir/id_ed25519.pub" \
        "$root/home/$DEPLOY_USER/.ssh/authorized_keys"
    if [[ $ARCH != "$NATIVE_ARCH" ]]; then
        while read -r unit; do
            install -D -m 0644 "$EMULATED_DIR/no-credentials.conf" "$root/etc/systemd/system/${unit##*/}.d/lab-emulation.conf"
        done < <(grep -l '^LoadCredential=' "$root"/lib/systemd/system/*.service)
        install -D -m 0644 "$EMULATED_DIR/no-private-namespaces.conf" "$root/etc/systemd/system/service.d/lab-emulation.conf"
    fi
}

start_container() {
    local name=$1 index=$2 dir
    dir=$(host_dir "$name")
    # --register=no: there is no machined/system bus to register with.
    # --keep-unit: do not ask systemd for a scope (works without host systemd).
    # --private-users=no: real root inside, so services' own sandboxing
    #   (ProtectSystem=, PrivateTmp=, ...) and haproxy's chroot/setuid work.
    # --link-journal=no: keep the host's /var/log/journal out of it.
    setsid systemd-nspawn --quiet --directory="$dir/root" --boot --machine="$name" \
        --register=no --keep-unit --private-users=no \
        --network-namespace-path="/run/netns/$(netns_name "$index")" \
        --link-journal=no --console=read-only \
        </dev/null >>"$dir/console.log" 2>&1 &
    local pid=$! tries=0
    printf '%s\n' "$pid" >"$dir/nspawn.pid"
    # Until the forked shell has exec'd nspawn, nspawn_pid cannot recognize it.
    while ! nspawn_pid "$dir" >/dev/null; do
        kill -0 "$pid" 2>/dev/null || { log "$name: systemd-nspawn did not start"; return 1; }
        ((++tries < 100)) || { log "$name: systemd-nspawn did not start within 10 s"; return 1; }
        sleep 0.1
    done
}

stop_container() {
    local dir=$1 npid lpid deadline ticks=0
    npid=$(nspawn_pid "$dir") || return 0
    # An emulated systemd does not act on the signals below (seen: no poweroff
    # within 30 s, every time): ask it over its own socket first.
    if [[ $(host_arch "$dir") != "$NATIVE_ARCH" ]]; then
        (container_exec "$dir" systemctl poweroff --no-block) >/dev/null 2>&1 || true
    fi
    # SIGTERM makes nspawn ask the container's systemd for an orderly halt.
    # A systemd still early in boot has no handler yet and drops that signal,
    # so ask again for a poweroff (SIGRTMIN+4 to its PID 1) now and then.
    kill -TERM "$npid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$npid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
        if ((++ticks % 10 == 0)) && lpid=$(leader_pid "$npid"); then
            kill -s RTMIN+4 "$lpid" 2>/dev/null || true
        fi
    done
    if kill -0 "$npid" 2>/dev/null; then
        log "$(basename "$dir"): no poweroff within ${STOP_TIMEOUT}s, killing it"
        if lpid=$(leader_pid "$npid"); then kill -KILL "$lpid" 2>/dev/null || true; fi
        sleep 1
        kill -KILL "$npid" 2>/dev/null || true
        while kill -0 "$npid" 2>/dev/null; do sleep 0.1; done
    fi
}

sshd_banner_ok() {
    local banner
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    banner=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/22" && head -c 4 <&3' _ "$1" 2>/dev/null) || return 1
    [[ $banner == SSH- ]]
}

# Up when sshd answers, systemd reports the boot finished and the deploy
# user can log in and use sudo.
wait_ready() {
    local name=$1 index=$2 dir addr deadline npid state left timeout=$READY_TIMEOUT
    dir=$(host_dir "$name")
    addr=$(inner_addr "$index")
    # Emulation makes every program several times slower, booting included.
    if [[ -z $timeout ]]; then
        timeout=60
        [[ $ARCH == "$NATIVE_ARCH" ]] || timeout=300
    fi
    deadline=$((SECONDS + timeout))
    while :; do
        npid=$(nspawn_pid "$dir") || { log "$name: systemd-nspawn exited"; return 1; }
        if leader_pid "$npid" >/dev/null && sshd_banner_ok "$addr"; then break; fi
        ((SECONDS < deadline)) || { log "$name: sshd at $addr:22 not up within ${timeout}s"; return 1; }
        sleep 0.3
    done
    left=$((deadline - SECONDS))
    ((left > 0)) || left=1
    state=$(container_exec "$dir" timeout "$left" systemctl is-system-running --wait 2>/dev/null) || true
    case $state in
    running) ;;
    degraded)
        log "$name: system is degraded; failed units:"
        container_exec "$dir" systemctl --failed --no-legend --plain >&2 || true
        ;;
    *) log "$name: system state '${state:-unknown}' after ${timeout}s"; return 1 ;;
    esac
    ssh -F /dev/null -i "$dir/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$dir/known_hosts" \
        -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR \
        "$DEPLOY_USER@$addr" 'sudo -n true' ||
        { log "$name: ssh as $DEPLOY_USER with sudo -n failed"; return 1; }
}

# A host's architecture (hosts booted before there was a choice are amd64).
host_arch() {
    if [[ -r $1/arch ]]; then cat "$1/arch"; else printf 'amd64\n'; fi
}

print_info() {
    local name=$1 dir index release arch host_key
    dir=$(host_dir "$name")
    index=$(<"$dir/index")
    release=$(<"$dir/release")
    arch=$(host_arch "$dir")
    host_key=$(cut -d' ' -f1,2 "$dir/root/etc/ssh/ssh_host_ed25519_key.pub")
    printf '{"name":%s,"release":%s,"arch":%s,"address":%s,"outerAddress":%s,"port":22,"user":%s,"privateKeyFile":%s,"hostKey":%s,"knownHostsFile":%s,"root":%s}\n' \
        "$(json_str "$name")" "$(json_str "$release")" "$(json_str "$arch")" "$(json_str "$(inner_addr "$index")")" \
        "$(json_str "$(outer_addr "$index")")" "$(json_str "$DEPLOY_USER")" \
        "$(json_str "$dir/id_ed25519")" "$(json_str "$host_key")" \
        "$(json_str "$dir/known_hosts")" "$(json_str "$dir/root")"
}

# EXIT trap of 'up' and 'reboot': if booting failed, show why and clean up.
BOOTING_HOST=''
on_boot_exit() {
    local rc=$? name=$BOOTING_HOST dir
    [[ $rc -ne 0 && -n $name ]] || exit "$rc"
    BOOTING_HOST=''
    dir=$(host_dir "$name")
    if [[ -f $dir/console.log ]]; then
        log "$name: last console lines ($dir/console.log):"
        tail -n 40 "$dir/console.log" >&2
    fi
    if [[ ${LB_KEEP_FAILED:-0} == 1 ]]; then
        log "$name: left as is (LB_KEEP_FAILED=1); clean up with: $0 down $name"
    else
        down_host "$name" || true
    fi
    log "error: host $name did not come up"
    exit "$rc"
}

# Boots host $1 (index $2) on its root and prints its JSON line; on_boot_exit
# must be armed (BOOTING_HOST).
boot() { # name index
    start_container "$1" "$2"
    wait_ready "$1" "$2"
    BOOTING_HOST=''
    print_info "$1"
}

# Serializes index allocation and mounting/unmounting of the run dir.
lock_run_dir() {
    mkdir -p "$CACHE_DIR"
    exec {RUN_LOCK_FD}>"$CACHE_DIR/run.lock"
    flock -w 120 "$RUN_LOCK_FD" || die "timed out waiting for $CACHE_DIR/run.lock"
}
unlock_run_dir() { exec {RUN_LOCK_FD}>&-; }

# Each host root is a full copy of the rootfs (about 16,000 files). Creating
# files on this VM's ext4 costs ~0.7 ms each (a copy took 10 s) against ~1 s
# on tmpfs, and a stock /run is a tmpfs capped at a fraction of RAM, so the
# run dir gets a tmpfs of its own.
prepare_run_dir() {
    mkdir -p "$RUN_DIR"
    if [[ $RUN_TMPFS == 1 ]] && ! mountpoint -q "$RUN_DIR"; then
        if [[ -n $(ls -A "$RUN_DIR") ]]; then
            log "warning: $RUN_DIR holds hosts already, not mounting a tmpfs over them"
            return 0
        fi
        mount -t tmpfs -o "mode=0755,size=$RUN_TMPFS_SIZE" haproxy-dpapi-lab "$RUN_DIR"
    fi
}

cmd_up() { # name index [release [arch]]
    local name=$1 index=$2 dir other
    if ! [[ $index =~ ^[0-9]{1,3}$ ]] || ((10#$index < 1 || 10#$index > MAX_INDEX)); then
        die "index must be between 1 and $MAX_INDEX; got '$index'"
    fi
    select_release "${3:-}"
    select_arch "${4:-}"
    index=$((10#$index))
    dir=$(host_dir "$name")
    ensure_rootfs
    lock_run_dir
    prepare_run_dir
    if [[ -d $dir ]]; then
        nspawn_pid "$dir" >/dev/null && die "host $name is already up; run: $0 down $name"
        log "$name: removing leftovers of an earlier run"
        down_host "$name"
    fi
    for other in "$RUN_DIR"/*/index; do
        if [[ -f $other && $(<"$other") == "$index" ]]; then
            die "index $index is used by host $(basename "$(dirname "$other")")"
        fi
    done
    [[ ! -e /run/netns/$(netns_name "$index") ]] ||
        die "network namespace $(netns_name "$index") already exists (another run dir?); pick another index"
    mkdir -m 0700 "$dir"
    # Written first, so that 'down' can clean up whatever follows.
    printf '%s\n' "$index" >"$dir/index"
    printf '%s\n' "$SUITE" >"$dir/release"
    printf '%s\n' "$ARCH" >"$dir/arch"
    unlock_run_dir
    BOOTING_HOST=$name
    trap on_boot_exit EXIT
    setup_network "$index"
    cp -a "$ROOTFS" "$dir/root"
    personalize_root "$name" "$dir"
    printf '%s %s\n' "$(inner_addr "$index")" \
        "$(cut -d' ' -f1,2 "$dir/root/etc/ssh/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"
    boot "$name" "$index"
}

# Processes still working on this host's files (a killed 'up' leaves its
# cp/ssh-keygen/ssh behind); the container itself is gone by now.
kill_strays() {
    local dir=$1 cmdline pid found try
    for ((try = 0; try < 10; try++)); do
        found=0
        # (grep lists itself too; it has exited by the time of the kill.)
        while read -r cmdline; do
            pid=${cmdline#/proc/}
            pid=${pid%/cmdline}
            [[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
            if kill -TERM "$pid" 2>/dev/null; then found=1; fi
        done < <(grep -laF -- "$dir/" /proc/[0-9]*/cmdline 2>/dev/null || true)
        ((found)) || return 0
        sleep 0.3
    done
    log "$(basename "$dir"): processes using $dir did not stop"
}

down_host() {
    local name=$1 dir index
    dir=$(host_dir "$name")
    [[ -d $dir ]] || { log "$name: nothing to remove"; return 0; }
    stop_container "$dir"
    kill_strays "$dir"
    if [[ -r $dir/index ]]; then
        index=$(<"$dir/index")
        if ip link show "$(veth_outer "$index")" >/dev/null 2>&1; then ip link del "$(veth_outer "$index")"; fi
        if [[ -e /run/netns/$(netns_name "$index") ]]; then ip netns del "$(netns_name "$index")"; fi
    fi
    remove_tree "$dir"
    log "$name: removed"
}

down_all() {
    local dir
    for dir in "$RUN_DIR"/*/; do
        if [[ -d $dir ]]; then down_host "$(basename "$dir")"; fi
    done
    lock_run_dir
    if mountpoint -q "$RUN_DIR" && [[ -z $(ls -A "$RUN_DIR") ]] &&
        [[ $(findmnt -n -o SOURCE --mountpoint "$RUN_DIR") == haproxy-dpapi-lab ]]; then
        umount "$RUN_DIR"
    fi
    unlock_run_dir
}

main() {
    local cmd=${1:-} dir
    shift || true
    case $cmd in up | info | exec | reboot | down) validate_name "${1:-}" ;; esac
    case $cmd in up | exec | reboot | down | down-all) need_root ;; esac
    dir=$(host_dir "${1:-}")
    case $cmd:$# in
    releases:0) printf '%s\n' "${RELEASES[@]}" ;;
    rootfs:[012])
        select_release "${1:-}"
        select_arch "${2:-}"
        ensure_rootfs
        printf '%s\n' "$ROOTFS"
        ;;
    up:[234]) cmd_up "$@" ;;
    info:1)
        nspawn_pid "$dir" >/dev/null || die "host $1 is not running"
        print_info "$1"
        ;;
    exec:*)
        [[ $# -ge 3 && $2 == -- ]] || { usage >&2; exit 2; }
        container_exec "$dir" "${@:3}"
        ;;
    reboot:1)
        nspawn_pid "$dir" >/dev/null || die "host $1 is not running"
        stop_container "$dir"
        select_arch "$(host_arch "$dir")"
        ensure_emulation
        BOOTING_HOST=$1
        trap on_boot_exit EXIT
        boot "$1" "$(<"$dir/index")"
        ;;
    down:1) down_host "$1" ;;
    down-all:0) down_all ;;
    -h:* | --help:* | help:*) usage ;;
    *)
        log "unknown command or wrong arguments: $cmd $*"
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
