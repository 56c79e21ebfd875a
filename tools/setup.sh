#!/bin/sh
# First README command: install what is missing (Debian 12), build, and run
# the main job (plan MobileNetV2 for the H100 spec). Safe to re-run.
set -eu
cd "$(dirname "$0")/.."

need=""
command -v meson >/dev/null 2>&1 || need="$need meson"
command -v ninja >/dev/null 2>&1 || need="$need ninja-build"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v cc >/dev/null 2>&1 || need="$need gcc"
pkg-config --exists libcjson 2>/dev/null || need="$need libcjson-dev"
if [ -n "$need" ]; then
    echo "setup: installing$need"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi

# The CUDA toolkit is optional: when present, its nvcc builds the kernels.
if [ -x /usr/local/cuda/bin/nvcc ]; then
    PATH="/usr/local/cuda/bin:$PATH"
    export PATH
fi

[ -f build/build.ninja ] || meson setup build ${FUSEPLAN_WERROR:+-Dwerror=true}
ninja -C build
./build/fuseplan plan
