#!/usr/bin/env bash
# Sets up WebGPU-in-Node (Dawn via the `webgpu` npm package) and the headless-Chromium browser test on Debian 12.
# Idempotent; run as root. Usage:
#   .ci/setup-webgpu.sh              # chromium (ships SwiftShader's Vulkan ICD) + the Vulkan loader
#   .ci/setup-webgpu.sh --lavapipe   # also Mesa 25 lavapipe from bookworm-backports into /opt/xlora-lavapipe
#                                    # (shader-f16, ~10x faster than SwiftShader); XLORA_LAVAPIPE=1 does the same
# Prints the environment exports to use (eval "$(.ci/setup-webgpu.sh --print-env)" prints only them).
set -euo pipefail

# stdout carries only the environment lines (callers eval it): fd 3 is the real stdout, and everything else,
# installers included (apt-get prints progress on stdout), goes to stderr.
exec 3>&1 1>&2
emit() { printf '%s\n' "$*" >&3; }

want_lavapipe="${XLORA_LAVAPIPE:-0}"
print_only=0
for arg in "$@"; do
  case "$arg" in
    --lavapipe) want_lavapipe=1 ;;
    --print-env) print_only=1 ;;
    -h|--help) sed -n '2,8p' "$0" >&3; exit 0 ;;
    *) echo "setup-webgpu: unknown argument $arg" >&2; exit 2 ;;
  esac
done

SWIFTSHADER_ICD="${XLORA_SWIFTSHADER_ICD:-/usr/lib/chromium/vk_swiftshader_icd.json}"
LVP_DIR=/opt/xlora-lavapipe
LVP_ICD="$LVP_DIR/lvp_icd.json"
RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xlora-xdg-runtime}"
export DEBIAN_FRONTEND=noninteractive

log() { [ "$print_only" = 1 ] || echo "setup-webgpu: $*"; }

if [ "$print_only" = 0 ]; then
  updated=0
  if ! dpkg -s chromium libvulkan1 >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
    echo "setup-webgpu: chromium and libvulkan1 are missing; install them as root: apt-get install chromium libvulkan1" >&2
    exit 1
  fi
  if dpkg -s chromium libvulkan1 >/dev/null 2>&1; then
    log "chromium and libvulkan1 already installed"
  else
    log "installing chromium libvulkan1"
    apt-get update -q
    updated=1
    apt-get install -y -q --no-install-recommends chromium libvulkan1
  fi
  if [ ! -f "$SWIFTSHADER_ICD" ]; then
    found="$(dpkg -L chromium 2>/dev/null | grep -m1 'vk_swiftshader_icd.json' || true)"
    if [ -n "$found" ]; then SWIFTSHADER_ICD="$found"; else echo "setup-webgpu: SwiftShader ICD not found in the chromium package" >&2; exit 1; fi
  fi
  log "SwiftShader Vulkan ICD: $SWIFTSHADER_ICD"

  if [ "$want_lavapipe" = 1 ]; then
    if [ -f "$LVP_ICD" ] && ls "$LVP_DIR"/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so >/dev/null 2>&1 && dpkg -s libllvm15 >/dev/null 2>&1; then
      log "lavapipe already in $LVP_DIR"
    else
      log "installing Mesa lavapipe from bookworm-backports into $LVP_DIR"
      src=/etc/apt/sources.list.d/xlora-bookworm-backports.sources
      if [ ! -f "$src" ]; then
        # the first stanza of debian.sources (the main archive), with Suites changed to bookworm-backports
        uri="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
        printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
          "${uri:-http://deb.debian.org/debian}" > "$src"
        updated=0
      fi
      [ "$updated" = 1 ] || apt-get update -q
      apt-get install -y -q --no-install-recommends libllvm15
      tmp="$(mktemp -d)"; chmod 0755 "$tmp"
      (cd "$tmp" && apt-get download -q -t bookworm-backports mesa-vulkan-drivers libdrm2 libdrm-amdgpu1)
      mkdir -p "$LVP_DIR"
      for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$LVP_DIR"; done
      rm -rf "$tmp"
      lib="$LVP_DIR/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
      [ -f "$lib" ] || { echo "setup-webgpu: $lib missing after unpacking mesa-vulkan-drivers" >&2; exit 1; }
      cat > "$LVP_ICD" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lib", "api_version": "1.3.0" } }
JSON
      log "lavapipe ICD: $LVP_ICD"
    fi
  fi
fi

mkdir -p "$RUNTIME_DIR" && chmod 0700 "$RUNTIME_DIR"
[ -f "$SWIFTSHADER_ICD" ] || SWIFTSHADER_ICD="$(dpkg -L chromium 2>/dev/null | grep -m1 'vk_swiftshader_icd.json' || echo /usr/lib/chromium/vk_swiftshader_icd.json)"

[ "$print_only" = 1 ] || echo "# environment for WebGPU in Node and the browser test (eval these):"
emit "export XDG_RUNTIME_DIR=$RUNTIME_DIR"
emit "export CHROMIUM_PATH=/usr/bin/chromium"
if [ "$want_lavapipe" = 1 ] && [ -f "$LVP_ICD" ]; then
  emit "# lavapipe (Mesa 25): shader-f16; SwiftShader instead: export VK_ICD_FILENAMES=$SWIFTSHADER_ICD"
  emit "export VK_ICD_FILENAMES=$LVP_ICD"
  emit "export LD_LIBRARY_PATH=$LVP_DIR/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
else
  emit "export VK_ICD_FILENAMES=$SWIFTSHADER_ICD"
fi
