#!/bin/sh
# One device call that checks the kernels and runtime pieces added together
# (TF32 tensor-core rows, 16-bit PWPW and larger fused tiles, the stem conv
# and fast simple ops, graph-replay validate) before any benchmark: build,
# every kernel variant against the double-precision reference, the new
# variants and the ops under compute-sanitizer memcheck and racecheck (quick
# mode), the ops microbenchmark, whole models against cuDNN in every dtype
# (time-boxed), smoke runs of MobileNetV2 in fp16 and TF32, and a smoke
# validate (graph timing, fp16).
# Two parts, each under the device tool's 10 minutes (run them back to back
# so the second finds the build): a = build, kernel tests, sanitizers;
# b = ops bench, whole models, smoke runs and validates.
# Logs to $OUT/logs (tar them there).
# usage: . bench/gpu_env.sh; bench/session_check_gpu.sh a|b [BUILD]
set -u
PART=${1:?usage: session_check_gpu.sh a|b [BUILD]}
B=${2:-build-gpu}
OUT=${OUT:-gpu-logs}
L=$OUT/logs
mkdir -p "$L"
t0=$(date +%s)
el() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$L/device.txt"
[ -f "$B/build.ninja" ] || meson setup "$B" -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$L/setup.log" 2>&1
ninja -C "$B" >"$L/build.log" 2>&1 || { tail -40 "$L/build.log"; exit 1; }
el "built"
if [ "$PART" = a ]; then
timeout 170 "$B/tests/kernels/test_kernels" >"$L/test_kernels.log" 2>&1
el "test_kernels exit $?: $(tail -1 "$L/test_kernels.log")"
grep -iE "fail|mismatch" "$L/test_kernels.log" | head -20
timeout 60 "$B/tests/kernels/test_ops" >"$L/test_ops.log" 2>&1
el "test_ops exit $?: $(tail -1 "$L/test_ops.log")"
grep -iE "fail|mismatch" "$L/test_ops.log" | head -10
for t in memcheck racecheck; do
    for f in _f32_tc_ pwpw_f16 _t16x16_; do
        FK_TEST_QUICK=1 FK_TEST_ONLY=$f timeout 60 compute-sanitizer --tool $t --error-exitcode 9 \
            "$B/tests/kernels/test_kernels" >"$L/san_${t}_$f.log" 2>&1
        el "sanitizer $t $f: exit $? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$L/san_${t}_$f.log" | head -1)"
    done
    timeout 60 compute-sanitizer --tool $t --error-exitcode 9 "$B/tests/kernels/test_ops" >"$L/san_${t}_ops.log" 2>&1
    el "sanitizer $t ops: exit $? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$L/san_${t}_ops.log" | head -1)"
done
fi
[ "$PART" = b ] || exit 0
timeout 60 "$B/bench/kernels/ops_bench" -v >"$L/ops_bench.log" 2>&1
el "ops_bench exit $?"
grep -iE "conv1|stem|gap|dense" "$L/ops_bench.log" | head -30
FP_TEST_DTYPES=fp16:tc,bf16:tc,fp32:tc timeout "${DT_TIMEOUT:-120}" "$B/tests/runtime/test_dtypes" >"$L/test_dtypes.log" 2>&1
el "test_dtypes exit $?: $(tail -1 "$L/test_dtypes.log")"
grep -iE "fail" "$L/test_dtypes.log" | head -20
for dm in fp16:tc:64 fp16:tc:1 fp32:tc:64; do
    d=${dm%%:*}; r=${dm#*:}; mth=${r%%:*}; b=${r#*:}
    timeout 60 "$B/fuseplan" run mobilenet_v2 --gpu h100_sxm_calibrated --dtype $d --math $mth --batch $b \
        --iters 50 --quiet --report "$L/run_${d}_${mth}_b$b.json" >"$L/run_${d}_${mth}_b$b.txt" 2>&1
    el "run mobilenet_v2 $d $mth b$b exit $?"
    grep -E "whole model|conv1" "$L/run_${d}_${mth}_b$b.txt" | head -6
done
timeout 90 "$B/fuseplan" validate mobilenet_v2 --batch 1 --tiles 2 --iters 5 --quiet \
    --report "$L/val_smoke.json" >"$L/val_smoke.txt" 2>&1
el "validate smoke fp32 exit $?: $(grep -E 'outputs checked' "$L/val_smoke.txt" | head -1)"
timeout 90 "$B/fuseplan" validate mobilenet_v2 --dtype fp16 --batch 64 --tiles 2 --iters 5 --quiet \
    --report "$L/val_smoke16.json" >"$L/val_smoke16.txt" 2>&1
el "validate smoke fp16 exit $?: $(grep -E 'outputs checked' "$L/val_smoke16.txt" | head -1)"
tail -5 "$L/val_smoke16.txt"
