import { script } from "../shared/shell";

/** Prints `haproxy_version=X.Y.Z`, from the first line of `haproxy -v`. */
export function hostFactsScript(): string {
    return script("read HAProxy's version (haproxy -v)", `
command -v haproxy >/dev/null || { echo "HAProxy is not installed on this host; install it first (apt-get install haproxy)" >&2; exit 1; }
output=$(haproxy -v)
banner=\${output%%$'\\n'*}
version=$(sed -n 's/^HAProxy version \\([0-9][0-9.]*\\).*/\\1/p' <<< "$banner")
[ -n "$version" ] || { echo "could not read HAProxy's version from: $banner" >&2; exit 1; }
echo "$banner"
echo "haproxy_version=$version"
`);
}
