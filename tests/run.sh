#!/usr/bin/env bash
# The test runner, defined once: node's own (node --test), one test file at a
# time (the host tests share the machine's lab; the unit tier alone runs four),
# TypeScript transpiled by ts-node. package.json's test scripts and scripts/test.sh all come here.
#
#   tests/run.sh TIER...    lint | unit | contract | e2e | e2e-full | all
#
#   unit      components/ and tests/unit: no root, no host, no network; Node,
#             the npm packages, and the machine's bash and awk (the haproxy.cfg
#             editor and the health gate run as they would on a host)
#   lint      biome, and shellcheck on the repository's and the generated scripts
#   contract  the real command and tls plugins against the contracts the
#             program relies on (the engine, a test host)
#   e2e       real test hosts: the host checks, the editor under HAProxy, load
#   e2e-full  the scenario and the fleet: rolling, drift, upgrade, ten hosts
#   all       every tier, in one run, so its closing summary counts them all
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A TIERS=(
    [lint]="tests/lint/*.test.ts"
    [unit]="components/**/*.test.ts tests/unit/*.test.ts"
    [contract]="tests/plugins/*/*.test.ts"
    [e2e]="tests/e2e/*.test.ts"
    [e2e-full]="tests/e2e-full/*.test.ts"
)
ORDER=(lint unit contract e2e e2e-full)
# Files at once: the unit tier's share nothing; the others share the lab's hosts.
concurrency=1
[ "$*" = unit ] && concurrency=4

[ "$#" -gt 0 ] || set -- all
tiers=()
for tier in "$@"; do
    if [ "$tier" = all ]; then tiers+=("${ORDER[@]}"); else tiers+=("$tier"); fi
done
patterns=()
for tier in "${tiers[@]}"; do
    [ -n "${TIERS[$tier]:-}" ] || { echo "tests/run.sh: no tier \"$tier\" (lint, unit, contract, e2e, e2e-full or all)" >&2; exit 2; }
    read -ra p <<<"${TIERS[$tier]}"
    patterns+=("${p[@]}")
done
# The patterns go to node unexpanded: its test runner expands them (** included).
export TS_NODE_TRANSPILE_ONLY=true
exec node --require ts-node/register --test --test-concurrency="$concurrency" "${patterns[@]}"
