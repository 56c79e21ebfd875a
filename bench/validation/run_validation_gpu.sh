#!/bin/sh
# One device call for cost-model validation (docs/validation.md): build with
# CUPTI, the counters' known-answer test, the Nsight Compute cross-check,
# then `fuseplan validate` on MobileNetV2, MobileNetV1 and MnasNet-B1 at
# batch 1 and 64 with the datasheet spec (+ --calibrate), and again with the
# calibrated spec it wrote. Everything lands in $OUT.
# usage (repository root, GPU machine): . bench/gpu_env.sh; bench/validation/run_validation_gpu.sh
# env: FP_VAL_STAGES="gpu-tests counters ncu validate" (subset to run), FP_VAL_MODELS,
#      FP_VAL_BATCHES (1,64), FP_VAL_TILES (6), FUSEPLAN_COMMIT
set -u
# everything goes to $OUT/files, packed into $OUT/validation.tgz at the end
# (the device tool returns a handful of files per call)
TOP=${OUT:-gpu-logs}
OUT=$TOP/files
mkdir -p "$OUT"
BUILD=build-gpu
STAGES=${FP_VAL_STAGES:-gpu-tests counters ncu validate}
MODELS=${FP_VAL_MODELS:-mobilenet_v2 mobilenet_v1 mnasnet_b1}
BATCHES=${FP_VAL_BATCHES:-1,64}
TILES=${FP_VAL_TILES:-6}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/device.txt"
case "$(cat "$OUT/device.txt")" in
*H200*) SPEC=h200 ;;
*) SPEC=h100_sxm ;;
esac
if [ -d $BUILD ]; then meson setup --reconfigure $BUILD >"$OUT/setup.log" 2>&1
else meson setup $BUILD -Dcuda=enabled -Dcudnn=enabled -Dcupti=enabled --buildtype=release >"$OUT/setup.log" 2>&1; fi
ninja -C $BUILD >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/setup.log" "$OUT/build.log"; exit 1; }
ldd $BUILD/fuseplan | grep -i cupti
METRICS=lts__t_sectors_srcunit_tex_op_read.sum,lts__t_sectors_srcunit_tex_op_write.sum,dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,gpu__time_duration.sum
for stage in $STAGES; do
    case $stage in
    gpu-tests)
        meson test -C $BUILD --no-rebuild --suite gpu --print-errorlogs >"$OUT/gpu_tests.log" 2>&1
        echo "gpu suite: $(grep -E '^(Ok|Fail|Skipped):' "$OUT/gpu_tests.log" | tr -s ' ' | tr '\n' ' ')" ;;
    counters)
        $BUILD/tests/kernels/test_counters >"$OUT/counters.log" 2>&1
        echo "test_counters exit $?"; cat "$OUT/counters.log" ;;
    ncu)
        RT_CTR_NCU=1 ncu --profile-from-start off --cache-control all --clock-control none \
            --metrics $METRICS --csv --print-units base --log-file "$OUT/ncu.csv" \
            $BUILD/tests/kernels/test_counters >"$OUT/ncu_order.log" 2>&1
        echo "ncu exit $?"
        python3 bench/validation/ncu_compare.py "$OUT/counters.log" "$OUT/ncu.csv" "$OUT/ncu_order.log" \
            | tee "$OUT/ncu_compare.txt" ;;
    smoke)
        $BUILD/fuseplan validate mobilenet_v2 --gpu $SPEC --batch 1 --tiles 2 --iters 5 \
            --report "$OUT/smoke.json" >"$OUT/smoke.txt" 2>"$OUT/smoke.err"
        echo "smoke exit $?"; tail -5 "$OUT/smoke.err"; tail -12 "$OUT/smoke.txt" ;;
    validate)
        # shellcheck disable=SC2086
        timeout 280 $BUILD/fuseplan validate $MODELS --gpu $SPEC --batch $BATCHES --tiles $TILES \
            --report "$OUT/validation-$SPEC.json" --calibrate -o "$OUT/${SPEC}_calibrated.json" \
            >"$OUT/validation-$SPEC.txt" 2>"$OUT/validation-$SPEC.err"
        echo "validate ($SPEC) exit $?"; tail -3 "$OUT/validation-$SPEC.err"
        grep -A8 "^all cases" "$OUT/validation-$SPEC.txt"; grep -A8 "^calibration" "$OUT/validation-$SPEC.txt"
        timeout 280 $BUILD/fuseplan validate $MODELS --gpu "$OUT/${SPEC}_calibrated.json" --batch $BATCHES \
            --tiles $TILES --report "$OUT/validation-${SPEC}_calibrated.json" \
            >"$OUT/validation-${SPEC}_calibrated.txt" 2>"$OUT/validation-${SPEC}_calibrated.err"
        echo "validate (calibrated) exit $?"; tail -3 "$OUT/validation-${SPEC}_calibrated.err"
        grep -A8 "^all cases" "$OUT/validation-${SPEC}_calibrated.txt" ;;
    esac
done
tar czf "$TOP/validation.tgz" -C "$OUT" . && rm -rf "$OUT"
