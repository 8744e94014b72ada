# preflight: read HAProxy's version; refuse a /etc/haproxy/haproxy.cfg that is not HAProxy's, sections of it, or directories that are not the program's
set -euo pipefail
umask 022
cd /
command -v haproxy >/dev/null || { echo "HAProxy is not installed on this host; install it first (apt-get install haproxy)" >&2; exit 1; }
output=$(haproxy -v)
banner=${output%%$'\n'*}
version=$(sed -n 's/^HAProxy version \([0-9][0-9.]*\).*/\1/p' <<< "$banner")
[ -n "$version" ] || { echo "could not read HAProxy's version from: $banner" >&2; exit 1; }
echo "$banner"
cfg='/etc/haproxy/haproxy.cfg'
# Each path the configuration names was judged by the rule of where HAProxy's
# files may live (components/pathRule.ts) as it is spelled; only here can a
# symbolic link on the way show that it leads somewhere else.
refuse_link() { # key path
    local real
    real=$(realpath -m -- "$2")
    if [ "$real" != "$2" ]; then
        echo "$1: $2 leads to $real through a symbolic link; nothing was changed. Name the real path, if the rule of where HAProxy's files may live allows it." >&2
        exit 1
    fi
}
refuse_link haproxyConfigFile "$cfg"
refuse_link directories '/etc/haproxy-dataplane'
refuse_link directories '/etc/haproxy/dataplane'
refuse_link directories '/etc/haproxy/maps'
refuse_link directories '/etc/haproxy/ssl'
refuse_link directories '/etc/haproxy/general'
refuse_link directories '/etc/haproxy/spoe'
refuse_link directories '/etc/haproxy/acl'
refuse_link directories '/etc/haproxy/transactions'
refuse_link directories '/etc/haproxy/config_snippets'
refuse_link directories '/etc/haproxy/backups'
refuse_link directories '/tmp/spoe-haproxy'
refuse_link haproxyAdminSocket '/run/haproxy/admin.sock'
refuse_link haproxyMasterSocket '/run/haproxy-master.sock'
[ -f "$cfg" ] || { echo "haproxyConfigFile: $cfg does not exist: is HAProxy installed?" >&2; exit 1; }
# The file is read as user haproxy, as the Data Plane API reads and checks it:
# whatever that user cannot read is not HAProxy's, and is never shown.
as_haproxy() { runuser -u haproxy -- "$@"; }
if ! as_haproxy test -r "$cfg"; then
    echo "haproxyConfigFile: $cfg is not readable by user haproxy, so it is not a configuration HAProxy and the API can use; nothing was changed, and its content is not shown" >&2
    exit 1
fi
for section in global defaults; do
    as_haproxy grep -Eq "^[[:space:]]*$section([[:space:]]|$)" "$cfg" ||
        { echo "haproxyConfigFile: $cfg has no '$section' section: it is not HAProxy's main configuration; nothing was changed, and its content is not shown" >&2; exit 1; }
done
# The edit builds on the file as it stands, and every reload would refuse it:
# stop here, before anything changes, if HAProxy does not accept it now.
if ! check=$(as_haproxy haproxy -c -f "$cfg" 2>&1); then
    echo "$cfg is not a configuration HAProxy accepts as it stands (haproxy -c); nothing was changed. Fix it first (it was checked as user haproxy, as the API checks it):" >&2
    printf '%s\n' "$check" >&2
    exit 1
fi
owned=$(cat '/var/lib/haproxy-dataplane-deploy/owned-sections' 2>/dev/null || true)
adopt=no
check_section() { # id header-pattern
    case "|$owned|" in *"|$1|"*) return 0 ;; esac
    if grep -Eq "$2" "$cfg"; then
        if [ "$adopt" = yes ]; then
            echo "$cfg already has a section '$1': it will be replaced (haproxyAdoptSections is true)"
        else
            echo "$cfg already has a section '$1', which this program would replace; nothing was changed." >&2
            echo "Rename that section, choose other names (haproxyUserlist), or set haproxyAdoptSections to true to let the program take it over." >&2
            exit 1
        fi
    fi
}
check_section 'userlist controller' '^[[:space:]]*userlist[[:space:]]+controller([[:space:]]|$)'
check_section 'backend haproxy-dataplane-api' '^[[:space:]]*backend[[:space:]]+haproxy-dataplane-api([[:space:]]|$)'
# A directory the host already has and that is not haproxy's belongs to someone
# else: handing it to haproxy would give it to whoever can commit configuration
# through the API. Ownership is the rule, so no list of system paths can miss one.
check_directory() { # path adopt(yes|no)
    [ -e "$1" ] || [ -L "$1" ] || return 0
    if [ -L "$1" ] || [ ! -d "$1" ]; then
        echo "$1 exists and is not a directory; nothing was changed. Remove it or list another directory in directories." >&2
        exit 1
    fi
    local was
    was=$(stat -c '%U:%G %a' "$1")
    case "$was" in haproxy:*) return 0 ;; esac
    if [ "$2" = yes ]; then
        echo "$1 ($was) will be handed to haproxy:haproxy (adoptDirectories names it); destroy gives it back"
    else
        echo "$1 already exists and belongs to $was, not to haproxy; nothing was changed." >&2
        echo "The API's user would control it. List a directory of the API's own in directories, or add $1 to adoptDirectories to hand it over (destroy gives it back)." >&2
        exit 1
    fi
}
check_directory '/etc/haproxy-dataplane' no
check_directory '/etc/haproxy/dataplane' no
check_directory '/etc/haproxy/maps' no
check_directory '/etc/haproxy/ssl' no
check_directory '/etc/haproxy/general' no
check_directory '/etc/haproxy/spoe' no
check_directory '/etc/haproxy/acl' no
check_directory '/etc/haproxy/transactions' no
check_directory '/etc/haproxy/config_snippets' no
check_directory '/etc/haproxy/backups' no
check_directory '/tmp/spoe-haproxy' no
echo "haproxy_version=$version"
