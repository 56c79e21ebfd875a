#!/bin/sh
# On an H100 (device kind nvidia-h100-x1): build, the gpu suite, `fuseplan
# probe -o` (the measured spec) and a MobileNetV2 validation with calibration.
# Outputs packed into $OUT/h100.tgz. usage: . bench/gpu_env.sh; bench/validation/h100_probe_validate.sh
set -u
TOP=${OUT:-gpu-logs}
O=$TOP/files
mkdir -p "$O"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$O/device.txt"
[ -d build-gpu ] || meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled -Dcupti=enabled --buildtype=release >"$O/setup.log" 2>&1
ninja -C build-gpu >"$O/build.log" 2>&1 || { tail -20 "$O/build.log"; exit 1; }
meson test -C build-gpu --no-rebuild --suite gpu --print-errorlogs >"$O/gpu_tests.log" 2>&1
echo "gpu suite: $(grep -E '^(Ok|Fail|Skipped):' "$O/gpu_tests.log" | tr -s ' ' | tr '\n' ' ')"
build-gpu/fuseplan probe -o "$O/probe.json" >"$O/probe.txt" 2>&1; echo "probe exit $?"
timeout 200 build-gpu/fuseplan validate mobilenet_v2 --gpu h100_sxm --batch 1,64 --tiles 6 \
    --report "$O/validation-h100_sxm.json" --calibrate -o "$O/h100_sxm_calibrated.json" \
    >"$O/validation-h100_sxm.txt" 2>"$O/validation-h100_sxm.err"
echo "validate exit $?"; grep -A8 "^all cases" "$O/validation-h100_sxm.txt"
tar czf "$TOP/h100.tgz" -C "$O" . && rm -rf "$O"
