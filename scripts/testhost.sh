#!/usr/bin/env bash
# Real Debian load-balancer hosts (systemd-nspawn containers, each in its
# own network namespace) for end-to-end tests and for a sandbox. Each host runs
# one Debian release: bookworm (Debian 12, HAProxy 2.6) or trixie (Debian 13,
# HAProxy 3.0), from a root filesystem cached per release.
#
# A host is a copy of a cached, prepared debootstrap rootfs booted with
# systemd as PID 1, reachable over SSH as user "deploy" at 198.18.<index>.2.
# It already runs haproxy with an application ("frontend web" -> web1) that a
# deployment must leave alone.
set -euo pipefail

# Releases a host can run, and the one used when none is named.
readonly RELEASES=(bookworm trixie)
readonly DEFAULT_RELEASE=bookworm
# The release being built or booted (set by select_release).
SUITE=$DEFAULT_RELEASE
readonly PACKAGES=systemd,systemd-sysv,dbus,openssh-server,haproxy,curl,ca-certificates,sudo,iproute2,procps,socat
# Bump when prepare_rootfs changes, so that a cached rootfs is rebuilt.
readonly PREP_REVISION=3
readonly DEPLOY_USER=deploy
readonly DEPLOY_UID=1000
readonly HOSTNAME_PLACEHOLDER=lb-placeholder
readonly MAX_INDEX=60

CACHE_DIR=${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}
RUN_DIR=${LB_RUN_DIR:-/run/haproxy-dpapi-lab}
READY_TIMEOUT=${LB_READY_TIMEOUT:-60}
STOP_TIMEOUT=${LB_STOP_TIMEOUT:-30}
RUN_TMPFS=${LB_RUN_TMPFS:-1}
RUN_TMPFS_SIZE=${LB_RUN_TMPFS_SIZE:-50%}
# Key types generated for each host; a real Debian host has all three.
HOST_KEY_TYPES=${LB_HOST_KEY_TYPES:-ed25519 ecdsa rsa}

readonly CONTAINER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

usage() {
    cat <<EOF
Usage: ${0##*/} <command> [args]

Real Debian load-balancer hosts in systemd-nspawn containers. A release is
one of: ${RELEASES[*]} (default ${DEFAULT_RELEASE}, or LB_RELEASE).

Commands:
  ensure-deps            apt-get install what this script needs (only if missing)
  releases               print the releases a host can run, one a line
  rootfs [release]       build the release's cached rootfs (once) and print its path
  up <name> <index> [release]
                         boot host <name> at 198.18.<index>.2 (index 1..${MAX_INDEX});
                         prints one JSON line: name, release, address, outerAddress,
                         port, user, privateKeyFile, hostKey, knownHostsFile, root
  info <name>            print the JSON line of a running host again
  exec <name> -- <cmd..> run a command as root inside the host (exit code and
                         stdout/stderr/stdin pass through)
  reboot <name>          power the host off and boot it again on the same rootfs
                         (/tmp and /run come back empty); prints the JSON line
  down <name>            power off and remove the host, its netns, veth, run dir
                         (safe to repeat, and after a failed 'up')
  down-all               'down' every host under the run directory

Environment:
  LB_RELEASE        release when none is given [${LB_RELEASE:-$DEFAULT_RELEASE}]
  LB_CACHE_DIR      cache (rootfs)          [${CACHE_DIR}]
  LB_RUN_DIR        per-host state          [${RUN_DIR}]
  LB_MIRROR         Debian mirror for debootstrap [from the apt sources; one
                    mirror serves every release]
  LB_READY_TIMEOUT  seconds to wait for boot [${READY_TIMEOUT}]
  LB_STOP_TIMEOUT   seconds to wait for poweroff [${STOP_TIMEOUT}]
  LB_HOST_KEY_TYPES SSH host key types      [${HOST_KEY_TYPES}]
  LB_RUN_TMPFS=0    keep host roots on the run dir's own file system instead
                    of a tmpfs mounted there (size cap LB_RUN_TMPFS_SIZE=${RUN_TMPFS_SIZE})
  LB_KEEP_FAILED=1  leave a host that failed to come up running, for inspection
EOF
}

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
    [[ ${EUID} -eq 0 ]] || die "must run as root (debootstrap, netns and nspawn need it)"
}

# Sets SUITE to the release named by $1, else LB_RELEASE, else the default.
select_release() {
    local release=${1:-${LB_RELEASE:-$DEFAULT_RELEASE}} known
    for known in "${RELEASES[@]}"; do
        if [[ $release == "$known" ]]; then
            SUITE=$release
            return 0
        fi
    done
    die "unknown release '$release'; known: ${RELEASES[*]}"
}

json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

# ---------------------------------------------------------------- deps

ensure_deps() {
    need_root
    local -A cmd_pkg=(
        [debootstrap]=debootstrap
        [systemd-nspawn]=systemd-container
        [systemctl]=systemd
        [ip]=iproute2
        [ssh]=openssh-client
        [ssh-keygen]=openssh-client
        [nsenter]=util-linux
        [flock]=util-linux
        [setsid]=util-linux
        [findmnt]=util-linux
        [mountpoint]=util-linux
    )
    local missing=() cmd
    for cmd in "${!cmd_pkg[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("${cmd_pkg[$cmd]}")
    done
    [[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "all dependencies present"
        return 0
    fi
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    log "installing: ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

require_cmds() {
    local cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found; run: $0 ensure-deps"
    done
}

# ---------------------------------------------------------------- rootfs

rootfs_hash() {
    printf '%s\n' "$SUITE" "$PACKAGES" "prep-$PREP_REVISION" | sha256sum | cut -c1-16
}

rootfs_path() {
    printf '%s/rootfs/%s-%s' "$CACHE_DIR" "$SUITE" "$(rootfs_hash)"
}

# The Debian mirror the machine itself uses: the first deb source serving
# $SUITE, else the one serving the machine's own release (a Debian mirror
# carries every release, so a bookworm machine can build a trixie rootfs).
detect_mirror() {
    if [[ -n ${LB_MIRROR:-} ]]; then
        printf '%s\n' "$LB_MIRROR"
        return
    fi
    local suite own
    own=$(sed -n "s/^VERSION_CODENAME=//p" /etc/os-release 2>/dev/null | tr -d "\"'")
    for suite in "$SUITE" ${own:+"$own"}; do
        if mirror_serving "$suite"; then return 0; fi
    done
    printf '%s\n' http://deb.debian.org/debian
}

# Prints the URI of the first apt source whose suites include $1.
mirror_serving() {
    local suite=$1 uri=''
    shopt -s nullglob
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        uri=$(awk -v suite="$suite" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                types = ""; suites = ""; uris = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^Types:/  { sub(/^Types:[ \t]*/, "");  types = $0 }
            /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
            /^URIs:/   { sub(/^URIs:[ \t]*/, "");   uris = $0 }
            END { if (!found) flush() }
        ' "$f")
        [[ -n $uri ]] && break
    done
    if [[ -z $uri ]]; then
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [[ -f $f ]] || continue
            uri=$(awk -v suite="$suite" '
                $1 == "deb" {
                    i = 2
                    if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == suite) { print $i; exit }
                }' "$f")
            [[ -n $uri ]] && break
        done
    fi
    shopt -u nullglob
    [[ -n $uri ]] || return 1
    printf '%s\n' "$uri"
}

# Unmount anything below $1 (a killed debootstrap can leave proc/sys/dev
# mounts behind) and delete it without crossing into other file systems.
remove_tree() {
    local dir=$1 mnt
    [[ -e $dir ]] || return 0
    while read -r mnt; do
        if [[ -n $mnt ]]; then umount -l "$mnt" 2>/dev/null || true; fi
    done < <(findmnt -rn -o TARGET | awk -v d="$dir" 'index($0, d "/") == 1 || $0 == d' | sort -r)
    rm -rf --one-file-system "$dir"
}

write_file() { # path mode content...
    local path=$1 mode=$2
    shift 2
    mkdir -p "$(dirname "$path")"
    printf '%s\n' "$@" >"$path"
    chmod "$mode" "$path"
}

prepare_rootfs() {
    local root=$1

    # Identity: every copy gets its own machine-id and hostname in 'up'.
    : >"$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id"
    ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"
    write_file "$root/etc/hostname" 0644 "$HOSTNAME_PLACEHOLDER"
    write_file "$root/etc/hosts" 0644 \
        "127.0.0.1	localhost" \
        "127.0.1.1	$HOSTNAME_PLACEHOLDER" \
        "" \
        "::1	localhost ip6-localhost ip6-loopback" \
        "ff02::1	ip6-allnodes" \
        "ff02::2	ip6-allrouters"

    # The deploy user: key-only login, passwordless sudo ('*' = no password,
    # but not a locked account).
    chroot "$root" useradd --create-home --uid "$DEPLOY_UID" --user-group \
        --shell /bin/bash --comment "deployment user" "$DEPLOY_USER"
    chroot "$root" usermod --password '*' "$DEPLOY_USER"
    install -d -m 0700 -o "$DEPLOY_UID" -g "$DEPLOY_UID" "$root/home/$DEPLOY_USER/.ssh"
    install -m 0600 -o "$DEPLOY_UID" -g "$DEPLOY_UID" /dev/null \
        "$root/home/$DEPLOY_USER/.ssh/authorized_keys"
    write_file "$root/etc/sudoers.d/$DEPLOY_USER" 0440 \
        "$DEPLOY_USER ALL=(ALL:ALL) NOPASSWD: ALL"
    chroot "$root" visudo -c -q -f "/etc/sudoers.d/$DEPLOY_USER"

    # sshd: keys only, no root. Host keys are made per copy in 'up'.
    write_file "$root/etc/ssh/sshd_config.d/10-lab.conf" 0644 \
        "# haproxy-dpapi-lab: key-only logins, no root" \
        "PasswordAuthentication no" \
        "KbdInteractiveAuthentication no" \
        "PermitRootLogin no" \
        "PubkeyAuthentication yes"
    rm -f "$root"/etc/ssh/ssh_host_*

    # The pre-existing application: web1 answers on 127.0.0.1:8081, haproxy
    # publishes it on :80; 8082-8084 answer as web2-web4, for servers the tests
    # add through the API. A second HAProxy of its own serves it: the tests load
    # the frontend with hundreds of requests per second, which a process per
    # request could not keep up with on two cores. The stock global/defaults of
    # the load balancer stay as Debian ships them.
    mkdir -p "$root/usr/local/lib/web1"
    cat >"$root/usr/local/lib/web1/app.cfg" <<'EOF'
global
    maxconn 4096

defaults
    mode http
    timeout client 10s
    timeout server 10s
    timeout connect 5s

frontend app
    bind 127.0.0.1:8081-8084
    http-request return status 200 content-type text/plain lf-string "hello from web%[dst_port,sub(8080)]\n"
EOF
    chroot "$root" useradd --system --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin web1
    cat >"$root/etc/systemd/system/web1.service" <<'EOF'
[Unit]
Description=web1-web4, the application already behind haproxy (127.0.0.1:8081-8084)
After=network.target

[Service]
ExecStart=/usr/sbin/haproxy -db -f /usr/local/lib/web1/app.cfg
User=web1
Group=web1
Restart=always
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
EOF
    chroot "$root" haproxy -c -q -f /usr/local/lib/web1/app.cfg
    cat >>"$root/etc/haproxy/haproxy.cfg" <<'EOF'

frontend web
    bind :80
    default_backend web

backend web
    balance roundrobin
    server web1 127.0.0.1:8081 weight 100
EOF
    chroot "$root" haproxy -c -q -f /etc/haproxy/haproxy.cfg
    install -m 0644 "$root/etc/haproxy/haproxy.cfg" "$root/root/haproxy.cfg.orig"

    systemctl --root="$root" --quiet enable ssh.service haproxy.service web1.service

    chroot "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root/var/cache/debconf/"*-old
}

ensure_rootfs() {
    local final
    final=$(rootfs_path)
    if [[ -d $final ]]; then
        printf '%s\n' "$final"
        return 0
    fi
    need_root
    require_cmds debootstrap chroot flock findmnt systemctl
    mkdir -p "$CACHE_DIR/rootfs"
    local lock_fd
    exec {lock_fd}>"$CACHE_DIR/rootfs/.lock"
    flock -w 1800 "$lock_fd" || die "timed out waiting for another rootfs build"
    if [[ -d $final ]]; then # built by whoever held the lock
        exec {lock_fd}>&-
        printf '%s\n' "$final"
        return 0
    fi
    local stale
    for stale in "$CACHE_DIR"/rootfs/.build-*; do
        [[ -e $stale ]] && remove_tree "$stale"
    done

    local mirror tmp build_log start
    mirror=$(detect_mirror)
    tmp=$(mktemp -d "$CACHE_DIR/rootfs/.build-$SUITE-$(rootfs_hash).XXXXXX")
    build_log="$CACHE_DIR/rootfs/build-$SUITE.log"
    start=$SECONDS
    log "building $SUITE rootfs from $mirror (log: $build_log)"
    # shellcheck disable=SC2064 # expand $tmp now
    trap "remove_tree '$tmp'" EXIT
    if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$mirror" >"$build_log" 2>&1; then
        tail -n 30 "$build_log" >&2
        die "debootstrap failed (full log: $build_log)"
    fi
    prepare_rootfs "$tmp" >>"$build_log" 2>&1 || {
        tail -n 30 "$build_log" >&2
        die "preparing the rootfs failed (full log: $build_log)"
    }
    chmod 0755 "$tmp"
    mv -T "$tmp" "$final"
    trap - EXIT
    # Older builds (other package lists or preparation revisions) are unused:
    # hosts run on copies.
    for stale in "$CACHE_DIR/rootfs/$SUITE"-*; do
        [[ $stale == "$final" || ! -d $stale ]] || remove_tree "$stale"
    done
    exec {lock_fd}>&-
    log "rootfs ready in $((SECONDS - start)) s: $final"
    printf '%s\n' "$final"
}

# ---------------------------------------------------------------- hosts

validate_name() {
    [[ $1 =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] ||
        die "host name must be 1-32 chars of a-z, 0-9 and inner '-'; got '$1'"
}

validate_index() {
    if [[ $1 =~ ^[0-9]{1,3}$ ]] && ((10#$1 >= 1 && 10#$1 <= MAX_INDEX)); then
        return 0
    fi
    die "index must be between 1 and $MAX_INDEX; got '$1'"
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

personalize_root() {
    local name=$1 dir=$2 root=$2/root type
    printf '%s\n' "$name" >"$root/etc/hostname"
    sed -i "s/\\b$HOSTNAME_PLACEHOLDER\\b/$name/" "$root/etc/hosts"
    tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"

    rm -f "$root"/etc/ssh/ssh_host_*
    for type in $HOST_KEY_TYPES; do
        ssh-keygen -q -t "$type" -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_${type}_key"
    done
    [[ -f $root/etc/ssh/ssh_host_ed25519_key.pub ]] ||
        ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_ed25519_key"

    rm -f "$dir/id_ed25519" "$dir/id_ed25519.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$DEPLOY_USER@$name" -f "$dir/id_ed25519"
    chmod 0600 "$dir/id_ed25519"
    install -m 0600 -o "$DEPLOY_UID" -g "$DEPLOY_UID" "$dir/id_ed25519.pub" \
        "$root/home/$DEPLOY_USER/.ssh/authorized_keys"
}

start_container() {
    local name=$1 index=$2 dir
    dir=$(host_dir "$name")
    # --register=no: there is no machined/system bus to register with.
    # --keep-unit: do not ask systemd for a scope (works without host systemd).
    # --private-users=no: real root inside, so services' own sandboxing
    #   (ProtectSystem=, PrivateTmp=, ...) and haproxy's chroot/setuid work.
    # --link-journal=no: keep the host's /var/log/journal out of it.
    setsid systemd-nspawn \
        --quiet \
        --directory="$dir/root" \
        --boot \
        --machine="$name" \
        --register=no \
        --keep-unit \
        --private-users=no \
        --network-namespace-path="/run/netns/$(netns_name "$index")" \
        --link-journal=no \
        --console=read-only \
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
    local dir=$1 npid lpid deadline
    npid=$(nspawn_pid "$dir") || return 0
    # SIGTERM makes nspawn ask the container's systemd for an orderly halt.
    # A systemd still early in boot has no handler yet and drops that signal,
    # so ask again for a poweroff (SIGRTMIN+4 to its PID 1) now and then.
    kill -TERM "$npid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    local ticks=0
    while kill -0 "$npid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
        if ((++ticks % 10 == 0)) && lpid=$(leader_pid "$npid"); then
            kill -s RTMIN+4 "$lpid" 2>/dev/null || true
        fi
    done
    if kill -0 "$npid" 2>/dev/null; then
        log "$(basename "$dir"): no poweroff within ${STOP_TIMEOUT}s, killing it"
        if lpid=$(leader_pid "$npid"); then
            kill -KILL "$lpid" 2>/dev/null || true
        fi
        sleep 1
        kill -KILL "$npid" 2>/dev/null || true
        while kill -0 "$npid" 2>/dev/null; do sleep 0.1; done
    fi
}

sshd_banner_ok() {
    local addr=$1 banner
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    banner=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/22" && head -c 4 <&3' _ "$addr" 2>/dev/null) || return 1
    [[ $banner == SSH- ]]
}

ssh_opts() { # dir
    printf '%s\n' -F /dev/null -i "$1/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$1/known_hosts" \
        -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR
}

wait_ready() {
    local name=$1 index=$2 dir addr deadline npid state='' left
    dir=$(host_dir "$name")
    addr=$(inner_addr "$index")
    deadline=$((SECONDS + READY_TIMEOUT))
    while :; do
        npid=$(nspawn_pid "$dir") || { log "$name: systemd-nspawn exited"; return 1; }
        if leader_pid "$npid" >/dev/null && sshd_banner_ok "$addr"; then
            break
        fi
        ((SECONDS < deadline)) || { log "$name: sshd at $addr:22 not up within ${READY_TIMEOUT}s"; return 1; }
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
    *)
        log "$name: system state '${state:-unknown}' after ${READY_TIMEOUT}s"
        return 1
        ;;
    esac
    local opts
    mapfile -t opts < <(ssh_opts "$dir")
    ssh "${opts[@]}" "$DEPLOY_USER@$addr" 'sudo -n true' ||
        { log "$name: ssh as $DEPLOY_USER with sudo -n failed"; return 1; }
}

print_info() {
    local name=$1 dir index host_key release=bookworm
    dir=$(host_dir "$name")
    index=$(<"$dir/index")
    # A host booted before the lab had releases has no record, and ran bookworm.
    if [[ -r $dir/release ]]; then release=$(<"$dir/release"); fi
    host_key=$(cut -d' ' -f1,2 "$dir/root/etc/ssh/ssh_host_ed25519_key.pub")
    printf '{"name":%s,"release":%s,"address":%s,"outerAddress":%s,"port":22,"user":%s,"privateKeyFile":%s,"hostKey":%s,"knownHostsFile":%s,"root":%s}\n' \
        "$(json_str "$name")" "$(json_str "$release")" \
        "$(json_str "$(inner_addr "$index")")" \
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

# Serializes index allocation and mounting/unmounting of the run dir.
lock_run_dir() {
    mkdir -p "$CACHE_DIR"
    exec {RUN_LOCK_FD}>"$CACHE_DIR/run.lock"
    flock -w 120 "$RUN_LOCK_FD" || die "timed out waiting for $CACHE_DIR/run.lock"
}

unlock_run_dir() {
    exec {RUN_LOCK_FD}>&-
}

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

cmd_up() {
    [[ $# -eq 2 || $# -eq 3 ]] || { usage >&2; exit 2; }
    local name=$1 index=$2 dir other root
    validate_name "$name"
    validate_index "$index"
    select_release "${3:-}"
    index=$((10#$index))
    need_root
    require_cmds systemd-nspawn ip ssh ssh-keygen nsenter setsid findmnt mountpoint flock
    dir=$(host_dir "$name")
    root=$(ensure_rootfs)

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
    if [[ -e /run/netns/$(netns_name "$index") ]]; then
        die "network namespace $(netns_name "$index") already exists (another run dir?); pick another index"
    fi
    mkdir -p "$dir"
    chmod 0700 "$dir"
    # Written first, so that 'down' can clean up whatever follows.
    printf '%s\n' "$index" >"$dir/index"
    printf '%s\n' "$SUITE" >"$dir/release"
    unlock_run_dir
    BOOTING_HOST=$name
    trap on_boot_exit EXIT
    setup_network "$index"
    cp -a "$root" "$dir/root"
    personalize_root "$name" "$dir"
    printf '%s %s\n' "$(inner_addr "$index")" \
        "$(cut -d' ' -f1,2 "$dir/root/etc/ssh/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"
    start_container "$name" "$index"
    wait_ready "$name" "$index"
    BOOTING_HOST=''
    print_info "$name"
}

cmd_reboot() {
    [[ $# -eq 1 ]] || { usage >&2; exit 2; }
    local name=$1 dir index
    validate_name "$name"
    need_root
    dir=$(host_dir "$name")
    nspawn_pid "$dir" >/dev/null || die "host $name is not running"
    index=$(<"$dir/index")
    stop_container "$dir"
    BOOTING_HOST=$name
    trap on_boot_exit EXIT
    start_container "$name" "$index"
    wait_ready "$name" "$index"
    BOOTING_HOST=''
    print_info "$name"
}

cmd_info() {
    [[ $# -eq 1 ]] || { usage >&2; exit 2; }
    validate_name "$1"
    nspawn_pid "$(host_dir "$1")" >/dev/null || die "host $1 is not running"
    print_info "$1"
}

cmd_exec() {
    [[ $# -ge 3 && $2 == -- ]] || { usage >&2; exit 2; }
    local name=$1
    validate_name "$name"
    shift 2
    need_root
    container_exec "$(host_dir "$name")" "$@"
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
    local name=$1 dir index ns outer
    dir=$(host_dir "$name")
    if [[ ! -d $dir ]]; then
        log "$name: nothing to remove"
        return 0
    fi
    stop_container "$dir"
    kill_strays "$dir"
    if [[ -r $dir/index ]]; then
        index=$(<"$dir/index")
        ns=$(netns_name "$index")
        outer=$(veth_outer "$index")
        if ip link show "$outer" >/dev/null 2>&1; then ip link del "$outer"; fi
        if [[ -e /run/netns/$ns ]]; then ip netns del "$ns"; fi
    fi
    remove_tree "$dir"
    log "$name: removed"
}

cmd_down() {
    [[ $# -eq 1 ]] || { usage >&2; exit 2; }
    validate_name "$1"
    need_root
    down_host "$1"
}

cmd_down_all() {
    [[ $# -eq 0 ]] || { usage >&2; exit 2; }
    need_root
    local host_dir
    for host_dir in "$RUN_DIR"/*/; do
        [[ -d $host_dir ]] || continue
        down_host "$(basename "$host_dir")"
    done
    lock_run_dir
    if mountpoint -q "$RUN_DIR" && [[ -z $(ls -A "$RUN_DIR") ]] &&
        [[ $(findmnt -n -o SOURCE --mountpoint "$RUN_DIR") == haproxy-dpapi-lab ]]; then
        umount "$RUN_DIR"
    fi
    unlock_run_dir
}

main() {
    [[ $# -ge 1 ]] || { usage >&2; exit 2; }
    local cmd=$1
    shift
    case $cmd in
    ensure-deps) ensure_deps "$@" ;;
    releases) printf '%s\n' "${RELEASES[@]}" ;;
    rootfs)
        [[ $# -le 1 ]] || { usage >&2; exit 2; }
        select_release "${1:-}"
        ensure_rootfs
        ;;
    up) cmd_up "$@" ;;
    info) cmd_info "$@" ;;
    exec) cmd_exec "$@" ;;
    reboot) cmd_reboot "$@" ;;
    down) cmd_down "$@" ;;
    down-all) cmd_down_all "$@" ;;
    -h | --help | help) usage ;;
    *)
        log "unknown command '$cmd'"
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
