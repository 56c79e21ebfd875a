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
# ONNX import (docs/onnx.md): protoc-c generates the parser from libonnx-dev's
# onnx.proto at build time; libonnx-testdata holds ONNX's node test cases and
# python3-torch/-torchvision (/usr/bin/python3) export the models the oracle
# test compares with (about 160 MB downloaded, 670 MB installed, the bulk of it
# torch). FUSEPLAN_NO_TORCH=1 leaves torch out (the oracle test then skips).
onnx_pkgs="protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata"
[ -n "${FUSEPLAN_NO_TORCH:-}" ] || onnx_pkgs="$onnx_pkgs python3-torch python3-torchvision"
onnx_new=""
if command -v dpkg-query >/dev/null 2>&1; then
    for p in $onnx_pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || onnx_new="$onnx_new $p"
    done
fi
if [ -n "$need$onnx_new" ]; then
    echo "setup: installing$need$onnx_new"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need $onnx_new >/dev/null
fi

# Debian's chromium for the report's browser test (tests/report/test_browser.sh
# renders a page to a PNG): about 137 MB to download, 130 packages, under a
# minute to install. FUSEPLAN_NO_CHROMIUM=1 skips it; without it that one test
# exits 77 (skipped), so a failed install does not fail the setup.
if [ -z "${FUSEPLAN_NO_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 &&
    command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium (report browser test; FUSEPLAN_NO_CHROMIUM=1 skips it)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; } ||
        echo "setup: chromium not installed: the report browser test will be skipped"
fi

# The CUDA toolkit is optional: when present, its nvcc builds the kernels.
if [ -x /usr/local/cuda/bin/nvcc ]; then
    PATH="/usr/local/cuda/bin:$PATH"
    export PATH
fi

if [ -f build/build.ninja ]; then
    # a build configured before the ONNX packages came finds them now
    [ -z "$onnx_new" ] || meson setup --reconfigure build
else
    meson setup build ${FUSEPLAN_WERROR:+-Dwerror=true}
fi
ninja -C build
./build/fuseplan plan
