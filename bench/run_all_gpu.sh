#!/bin/sh
# One device call for everything GPU-side: build, the gpu test suite, the
# kernels under compute-sanitizer (memcheck, racecheck), then the model
# benchmark (bench/run_models.sh) with plans made for the GPU found.
# Logs and a tarball of bench/results/<date>-<device>/ go to $OUT.
# usage (repository root, on the GPU machine): . bench/gpu_env.sh; bench/run_all_gpu.sh
set -u
OUT=${OUT:-gpu-logs}
mkdir -p "$OUT"
BUILD=build-gpu
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/device.txt"
if [ -d $BUILD ]; then meson setup --reconfigure $BUILD >"$OUT/setup.log" 2>&1
else meson setup $BUILD -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$OUT/setup.log" 2>&1; fi
ninja -C $BUILD >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
meson test -C $BUILD --no-rebuild --suite gpu --print-errorlogs >"$OUT/gpu_tests.log" 2>&1
echo "gpu suite: $(grep -E '^(Ok|Fail|Skipped):' "$OUT/gpu_tests.log" | tr -s ' ' | tr '\n' ' ')"
for tool in memcheck racecheck; do
    FK_TEST_QUICK=1 compute-sanitizer --tool $tool --error-exitcode 9 \
        $BUILD/tests/kernels/test_kernels >"$OUT/sanitize_$tool.log" 2>&1
    echo "compute-sanitizer $tool: exit $? ($(grep -cE 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitize_$tool.log") summaries: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitize_$tool.log" | head -2 | tr '\n' ' '))"
done
case "$(cat "$OUT/device.txt")" in
*H200*) SPEC=${FP_SPEC:-h200} ;;
*) SPEC=${FP_SPEC:-h100_sxm} ;;
esac
timeout "${FP_BENCH_TIMEOUT:-420}" bench/run_models.sh $BUILD $SPEC ${FP_MODELS:-} >"$OUT/bench.log" 2>&1
echo "bench exit $?"
tail -20 "$OUT/bench.log"
tar czf "$OUT/results.tgz" bench/results
