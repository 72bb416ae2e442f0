#!/usr/bin/env bash
# Set up (pinned pnpm, dependencies) and run the main job: the bundled X-LoRA demo model on a mixed prompt.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent demo "$@"
