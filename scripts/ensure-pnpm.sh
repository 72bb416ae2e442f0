#!/usr/bin/env bash
# Puts the pinned pnpm (package.json "packageManager") on PATH. Source it: `. scripts/ensure-pnpm.sh`.
PNPM_VERSION=12.4.2
if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if ! npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1; then
    # not root: install into the user's home instead
    npm install --silent --prefix "$HOME/.xlora-tools" "pnpm@$PNPM_VERSION" >/dev/null
    export PATH="$HOME/.xlora-tools/node_modules/.bin:$PATH"
  fi
fi
export TURBO_TELEMETRY_DISABLED=1
pnpm --version >/dev/null
