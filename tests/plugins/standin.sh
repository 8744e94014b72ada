#!/bin/sh
# TEST EQUIPMENT: starts or compiles a stand-in provider plugin (tests/plugins/<name>/provider.ts).
#
#   standin.sh run <name> [args...]   what bin/pulumi-resource-<name> runs
#   standin.sh compile <name>...      compiles them into the cache (scripts/setup.sh does)
#   standin.sh how <name>             prints how `run` would start it: "compiled" or "ts-node"
#
# Through ts-node, each start of a stand-in loads the TypeScript compiler and
# transpiles the provider: about 1 s of CPU and 0.6 s before the port line,
# on every engine operation. The real plugins are Go binaries and pay none of
# that, so the tests and the benchmark run the stand-ins compiled to
# JavaScript. A compiled copy is used only if it was built from exactly the
# sources beside it: a digest of them names its directory. With no such copy
# (a stand-in edited since setup), the stand-in runs through ts-node, as before.
set -eu
plugins=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
repo=$(cd "$plugins/../.." && pwd)
cache=${LB_CACHE_DIR:-/var/cache/haproxy-dpapi-lab}/plugins-js

# The directory a compiled copy of stand-in $1 lives in, named by its sources' digest.
compiled_dir() {
    digest=$(cat "$plugins/$1"/*.ts | sha256sum | cut -c1-16)
    echo "$cache/$1-$digest"
}

case "${1:-}" in
run)
    name=$2
    shift 2
    dir=$(compiled_dir "$name")
    if [ -f "$dir/provider.js" ]; then
        # Compiled into the cache, outside the repository: node_modules comes from NODE_PATH.
        NODE_PATH="$repo/node_modules" exec "$repo/node_modules/.bin/node" "$dir/provider.js" "$@"
    fi
    export TS_NODE_PROJECT="$repo/tsconfig.json"
    export TS_NODE_TRANSPILE_ONLY=true
    exec "$repo/node_modules/.bin/node" -r "$repo/node_modules/ts-node/register/transpile-only" "$plugins/$name/provider.ts" "$@"
    ;;
compile)
    shift
    for name in "$@"; do
        dir=$(compiled_dir "$name")
        [ -f "$dir/provider.js" ] && continue
        mkdir -p "$cache"
        tmp=$(mktemp -d "$cache/.$name.XXXXXX")
        # The options of tsconfig.base.json that shape the output; the type-check is npm run build's.
        "$repo/node_modules/.bin/tsc" --outDir "$tmp" --rootDir "$plugins/$name" --module commonjs \
            --moduleResolution node --target es2022 --esModuleInterop --skipLibCheck --noCheck \
            --types node "$plugins/$name/provider.ts"
        rm -rf "$dir"
        mv "$tmp" "$dir"
        # Copies built from older sources are never used again.
        for old in "$cache/$name"-*; do
            [ "$old" = "$dir" ] || rm -rf "$old"
        done
    done
    ;;
how)
    if [ -f "$(compiled_dir "$2")/provider.js" ]; then echo compiled; else echo ts-node; fi
    ;;
*)
    echo "usage: standin.sh run <name> [args...] | compile <name>... | how <name>" >&2
    exit 2
    ;;
esac
