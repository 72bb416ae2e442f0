#!/usr/bin/env bash
# Test of .ci/setup-webgpu.sh on a simulated fresh machine: fake `id` (root), `dpkg` (chromium and libvulkan1
# missing) and `apt-get` (prints progress on stdout, as the real one does) come first on PATH. Whatever the
# installers print, the script's stdout must hold only the environment lines its callers eval.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fake="$(mktemp -d)"
trap 'rm -rf "$fake"' EXIT
mkdir -p "$fake/bin"
cat > "$fake/bin/id" <<'SH'
#!/bin/sh
[ "$1" = "-u" ] && { echo 0; exit 0; }
exec /usr/bin/id "$@"
SH
cat > "$fake/bin/dpkg" <<SH
#!/bin/sh
# -s: every package is missing until the fake apt-get "installed" them; -L chromium: lists the fake ICD
if [ "\$1" = "-s" ]; then [ -f "$fake/installed" ] && exit 0; echo "dpkg-query: package '\$2' is not installed" >&2; exit 1; fi
[ "\$1" = "-L" ] && [ -f "$fake/installed" ] && echo "$fake/vk_swiftshader_icd.json"
exit 0
SH
cat > "$fake/bin/apt-get" <<SH
#!/bin/sh
echo "\$*" >> "$fake/apt-calls"
echo "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]"
echo "Reading package lists... Done"
echo "Setting up chromium (156.0.8078.73-1~deb12u1) ..."
echo "W: a warning on stderr" >&2
[ "\$1" = install ] && touch "$fake/installed" "$fake/vk_swiftshader_icd.json"
exit 0
SH
chmod +x "$fake/bin/"*

# the ICD is looked up in the (fake) chromium package, wherever the real one may be on this machine
export XLORA_SWIFTSHADER_ICD="$fake/absent/vk_swiftshader_icd.json"
out="$(PATH="$fake/bin:$PATH" XDG_RUNTIME_DIR="$fake/xdg" bash "$here/setup-webgpu.sh" 2>"$fake/stderr")"
fail() { echo "setup-webgpu.test: FAIL: $*" >&2; echo "--- stdout:" >&2; printf '%s\n' "$out" >&2; echo "--- stderr:" >&2; cat "$fake/stderr" >&2; exit 1; }

[ -f "$fake/installed" ] || fail "the fake apt-get was never asked to install the missing packages"
grep -q 'Get:1' "$fake/stderr" || fail "apt-get's progress should be on stderr"
while IFS= read -r line; do
  case "$line" in
    'export '[A-Z_]*=*|'#'*) ;;
    *) fail "stdout has a line that is not an environment line: $line" ;;
  esac
done <<< "$out"
printf '%s\n' "$out" | grep -qx "export VK_ICD_FILENAMES=$fake/vk_swiftshader_icd.json" || fail "stdout lacks VK_ICD_FILENAMES of the installed package"
printf '%s\n' "$out" | grep -q '^export CHROMIUM_PATH=' || fail "stdout lacks CHROMIUM_PATH"
# what the callers do with it
( eval "$out"; [ "$XDG_RUNTIME_DIR" = "$fake/xdg" ] ) || fail "eval of stdout did not set the environment"

# --print-env prints the same environment and nothing else, and installs nothing
calls_before="$(wc -l < "$fake/apt-calls")"
env_only="$(PATH="$fake/bin:$PATH" XDG_RUNTIME_DIR="$fake/xdg" bash "$here/setup-webgpu.sh" --print-env 2>/dev/null)"
[ "$(wc -l < "$fake/apt-calls")" = "$calls_before" ] || fail "--print-env ran apt-get"
[ "$env_only" = "$(printf '%s\n' "$out" | grep -v '^#')" ] || fail "--print-env differs from the set-up's environment lines: $env_only"
echo "setup-webgpu.test: ok (installer noise stayed on stderr; stdout is $(printf '%s\n' "$out" | wc -l) environment lines)" >&2
