#!/usr/bin/env bash
# The benchmark: sets the machine up (setup.sh), then times preview, up,
# a no-op up, refresh and destroy on one and two hosts of each Debian release
# and prints the figures, with the engine's peak memory (scripts/bench.ts).
# LB_RELEASE=bookworm|trixie limits it to one release.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
TS_NODE_TRANSPILE_ONLY=true exec node --require ts-node/register scripts/bench.ts
