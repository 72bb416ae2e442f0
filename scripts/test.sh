#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian 12 (pinned pnpm, Chromium, the Vulkan loader, a software
# Vulkan driver for WebGPU) and run every package's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
# the set-up's stdout is eval'd: first check, with fake installers, that nothing but environment lines reach it
bash .ci/setup-webgpu.test.sh
eval "$(bash .ci/setup-webgpu.sh)"
pnpm install --frozen-lockfile --reporter=silent
log="$(mktemp)"
status=0
pnpm test 2>&1 | tee "$log" || status=$?
# one closing line over every package's vitest summary
node scripts/sum-test-results.mjs "$log"
rm -f "$log"
exit "$status"
