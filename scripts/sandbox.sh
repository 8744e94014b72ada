#!/usr/bin/env bash
# The main job, against a local sandbox: sets this machine up (setup.sh),
# boots a real Debian 13 load balancer (LB_RELEASE=bookworm: Debian 12;
# LB_ARCH=arm64: an arm64 Debian 12 one, a Raspberry Pi's, under qemu-user
# emulation) in a container at 198.18.9.2, and runs
# `pulumi up` into it with the real engine. Then prints how to call the API.
#   scripts/sandbox.sh           deploy (again) into the sandbox
#   scripts/sandbox.sh preview   show what an up would change
#   scripts/sandbox.sh destroy   run `pulumi destroy`, then stop the sandbox host
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
TS_NODE_TRANSPILE_ONLY=true exec node --require ts-node/register scripts/sandbox.ts "${1:-up}"
