# install dataplaneapi 3.2.1 from https://github.com/haproxytech/dataplaneapi/releases/download/v3.2.1/, checked against its SHA-256 first
set -euo pipefail
umask 022
cd /
version='3.2.1'
arch=$(uname -m)
case "$arch" in
    x86_64|amd64) arch=x86_64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "unsupported CPU architecture: $arch (releases exist for x86_64 and arm64)" >&2; exit 1 ;;
esac
sha=
case "$arch" in
    x86_64) sha='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' ;;
    arm64) sha='bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' ;;
esac
[ -n "$sha" ] || { echo "no SHA-256 is configured for $arch; set dataplaneapiSha256.$arch" >&2; exit 1; }
name="dataplaneapi_${version}_linux_${arch}.tar.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
url='https://github.com/haproxytech/dataplaneapi/releases/download/v3.2.1/'"$name"
echo "downloading $url"
if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fsSL --retry 3 --retry-connrefused --connect-timeout 15 -o "$work/archive.tar.gz" "$url"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q -O "$work/archive.tar.gz" "$url"; }
else
    echo "neither curl nor wget is installed on this host; install curl (apt-get install curl)" >&2
    exit 1
fi
fetch || { echo "could not download $url (the error is above); nothing was installed" >&2; exit 1; }
actual=$(sha256sum "$work/archive.tar.gz" | cut -d' ' -f1)
if [ "$actual" != "$sha" ]; then
    echo "checksum mismatch for $name: expected $sha, got $actual; nothing was installed" >&2
    exit 1
fi
echo "verified $name (sha256 $sha)"
tar -xzf "$work/archive.tar.gz" -C "$work"
[ -f "$work/dataplaneapi" ] || { echo "$name has no dataplaneapi at its root" >&2; exit 1; }
staged='/usr/local/bin/.dataplaneapi.new'
install -m 0755 -o root -g root "$work/dataplaneapi" "$staged"
# --version writes log lines to stderr first, then a banner of several lines
# to stdout: read whole files, never a pipe that a reader may close early.
if ! "$staged" --version > "$work/version.out" 2> "$work/version.err"; then
    rm -f "$staged"
    echo "the new binary does not run:" >&2
    cat "$work/version.err" "$work/version.out" >&2
    exit 1
fi
banner=$(grep -m 1 'Data Plane API v' "$work/version.out" || true)
reported=$(sed -n 's/.*Data Plane API v\([0-9][0-9A-Za-z.+-]*\).*/\1/p' <<< "$banner")
if [ "$reported" != "$version" ]; then
    rm -f "$staged"
    echo "$name holds a binary that reports version ${reported:-unknown} (${banner:-no banner}), not $version; nothing was installed" >&2
    exit 1
fi
mv -f "$staged" '/usr/local/bin/dataplaneapi'
install -d -m 0700 '/var/lib/haproxy-dataplane-deploy' '/var/lib/haproxy-dataplane-deploy/deployed'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' '/usr/local/bin/dataplaneapi' 'root' 'root' '0755' "$(sha256sum < '/usr/local/bin/dataplaneapi' | cut -d' ' -f1)" 'bytes' '0' '0' 'dataplaneapi.service' > '/var/lib/haproxy-dataplane-deploy/deployed/%usr%local%bin%dataplaneapi.meta'
echo "installed /usr/local/bin/dataplaneapi: $banner"
echo "arch=$arch"
echo "version=$reported"
echo "binary_sha256=$(sha256sum '/usr/local/bin/dataplaneapi' | cut -d' ' -f1)"
