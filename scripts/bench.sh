#!/usr/bin/env bash
# The benchmark: sets the machine up (setup.sh), then times the engine's
# floor (an empty program's up) and, on one, two and ten hosts in one stack,
# a fresh up, a no-op up, a rolling change and destroy; it prints each as
# seconds and as a ratio to the floor, with the engine's peak memory and
# where the time goes (scripts/bench.ts). The releases alternate;
# LB_RELEASE=bookworm|trixie gives every host one release. PULUMI_PARALLEL
# is the engine's own setting (default: 4 per CPU); BENCH_HOSTS=1,10 runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
TS_NODE_TRANSPILE_ONLY=true exec node --require ts-node/register scripts/bench.ts
