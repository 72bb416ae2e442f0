#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian 12 (pinned pnpm, Chromium, the Vulkan loader, a software
# Vulkan driver for WebGPU), run every package's tests, then scripts/check-packages.sh and every typecheck.
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
# then package hygiene (build, pack, publint, attw, changesets, lint, README examples)
checks=0
bash scripts/check-packages.sh || checks=$?
# and every package's typecheck, tests and private apps included (the builds above cover published sources only)
types=0
node_modules/.bin/turbo run typecheck --output-logs=errors-only || types=$?
# one closing line over every package's vitest summary (and the package checks when they failed)
summary="$(node scripts/sum-test-results.mjs "$log")"
rm -f "$log"
if [ "$checks" != 0 ]; then
  summary="$summary; package checks FAILED (scripts/check-packages.sh, above)"
  [ "$status" != 0 ] || status=$checks
fi
if [ "$types" != 0 ]; then
  summary="$summary; typecheck FAILED (turbo run typecheck, above)"
  [ "$status" != 0 ] || status=$types
fi
echo "$summary"
exit "$status"
