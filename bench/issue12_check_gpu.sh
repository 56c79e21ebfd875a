#!/bin/sh
# One device call that checks the element-type work (issue 12) before any
# timing: build, every kernel variant against the CPU reference (fp32, fp16,
# bf16), the 16-bit variants under compute-sanitizer memcheck and racecheck
# (quick mode), whole plans against the all-cuDNN run (test_plans: fp32;
# test_dtypes: fp16/bf16/TF32, time-boxed), and a smoke `run` per type.
# Logs to $OUT. usage: . bench/gpu_env.sh; bench/issue12_check_gpu.sh [BUILD]
set -u
B=${1:-build-gpu}
OUT=${OUT:-gpu-logs}
mkdir -p "$OUT"
t0=$(date +%s)
el() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$OUT/device.txt"
[ -f "$B/build.ninja" ] || meson setup "$B" -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$OUT/setup.log" 2>&1
ninja -C "$B" >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
el "built"
timeout 150 "$B/tests/kernels/test_kernels" >"$OUT/test_kernels.log" 2>&1
el "test_kernels exit $?: $(tail -1 "$OUT/test_kernels.log")"
grep -iE "fail|mismatch" "$OUT/test_kernels.log" | head -20
for t in memcheck racecheck; do
    FK_TEST_QUICK=1 FK_TEST_ONLY=16_ timeout 100 compute-sanitizer --tool $t --error-exitcode 9 \
        "$B/tests/kernels/test_kernels" >"$OUT/sanitize16_$t.log" 2>&1
    el "sanitizer $t (16-bit variants): exit $? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitize16_$t.log" | head -1)"
done
timeout 90 "$B/tests/runtime/test_plans" >"$OUT/test_plans.log" 2>&1
el "test_plans exit $?: $(tail -1 "$OUT/test_plans.log")"
timeout "${DT_TIMEOUT:-150}" "$B/tests/runtime/test_dtypes" >"$OUT/test_dtypes.log" 2>&1
el "test_dtypes exit $?: $(tail -1 "$OUT/test_dtypes.log")"
grep -iE "fail|direct kernel" "$OUT/test_dtypes.log" | head -20
for dm in fp16:tc bf16:tc; do
    d=${dm%%:*}; mth=${dm#*:}
    for b in 1 64; do
        timeout 60 "$B/fuseplan" run mobilenet_v2 --gpu h100_sxm_calibrated --dtype $d --math $mth --batch $b \
            --iters 50 --quiet --report "$OUT/smoke_${d}_b$b.json" >"$OUT/smoke_${d}_b$b.txt" 2>&1
        el "run mobilenet_v2 $d b$b exit $?"
        grep -E "whole model|checks|graph|fused|energy" "$OUT/smoke_${d}_b$b.txt" | head -8
    done
done
