#!/usr/bin/env bash
# The test command: sets the machine up (see setup.sh), then runs the unit
# tests and the end-to-end tests on real hosts, with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
status=0
# One runner for unit and end-to-end tests, so its closing summary counts them all.
npm test -s || status=$?
bash lab/testhost.sh down-all >/dev/null 2>&1 || true
exit "$status"
