#!/bin/bash
# run_gpu.sh - build, test (plus compute-sanitizer) and benchmark fcm_kernels
# on a GPU machine in one go. Logs go to $OUT (or ./gpu-logs).
#   bench/kernels/run_gpu.sh [all|test|sanitize|bench|ops] [fk_bench / ops_bench args...]
# Needs meson, ninja, nvcc (PATH or /usr/local/cuda/bin) and libcjson
# (PKG_CONFIG_PATH). Run from the repository root.
set -o pipefail
what=${1:-all}
shift || true
out=${OUT:-gpu-logs}
mkdir -p "$out"
export PATH=/usr/local/cuda/bin:$PATH
bld=build-gpu

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv 2>&1 | tee "$out/device.txt"
nvcc --version | tail -2 | tee -a "$out/device.txt"

# bench/meson.build gets subdir('kernels') from the lead; add it here if not yet
if ! grep -q "kernels" bench/meson.build; then
  echo "if fs.exists('kernels/meson.build')
  subdir('kernels')
endif" >> bench/meson.build
fi
if [ ! -d $bld ]; then
  meson setup $bld -Dcuda=enabled -Dcudnn=enabled 2>&1 | tee "$out/setup.log" || exit 1
fi
start=$(date +%s)
ninja -C $bld tests/kernels/test_kernels tests/kernels/test_ops bench/kernels/fk_bench bench/kernels/ops_bench 2>&1 | tee "$out/build.log" | grep -E "warning|error|FAILED" 
[ ${PIPESTATUS[0]} -eq 0 ] || { echo "build failed"; tail -40 "$out/build.log"; exit 1; }
echo "build of fcm targets: $(( $(date +%s) - start )) s" | tee -a "$out/build.log"
(ninja -C $bld > "$out/build-all.log" 2>&1 && echo "full build ok" || echo "full build FAILED (see build-all.log)") | tee -a "$out/build.log"

rc=0
if [ "$what" = all ] || [ "$what" = test ]; then
  $bld/tests/kernels/test_kernels 2>&1 | tee "$out/test.log" | grep -vE "^\s+ok " | tail -60
  r=${PIPESTATUS[0]}; echo "test_kernels exit $r"; [ $r -eq 0 ] || rc=1
fi
if [ "$what" = all ] || [ "$what" = sanitize ]; then
  for tool in memcheck racecheck; do
    FK_TEST_QUICK=1 compute-sanitizer --tool $tool --error-exitcode 9 \
      $bld/tests/kernels/test_kernels > "$out/sanitize-$tool.log" 2>&1
    r=$?; echo "compute-sanitizer $tool: exit $r; $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out/sanitize-$tool.log" | tail -1)"
    [ $r -eq 0 ] || { rc=1; grep -m5 -E "Invalid|Race|hazard|Error" "$out/sanitize-$tool.log"; }
  done
fi
if [ "$what" = profile ]; then
  # ncu on one launch each of the DW 112x112x32 (8x16 variant: 3 variants x 54
  # launches skipped) and the PWDWPW b3 kernel (first variant)
  secs="--section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats --section MemoryWorkloadAnalysis --section SchedulerStats"
  ncu $secs -k regex:dw_kernel --launch-skip 165 --launch-count 1 $bld/bench/kernels/fk_bench 64 -f "dw 112 32" > "$out/ncu-dw.txt" 2>&1
  ncu $secs -k regex:pwdwpw_kernel --launch-skip 3 --launch-count 1 $bld/bench/kernels/fk_bench 64 -f b3 > "$out/ncu-pwdwpw.txt" 2>&1
  for f in "$out"/ncu-*.txt; do echo "== $f"; grep -E "Duration|DRAM Throughput|Memory Throughput|Achieved Occupancy|Theoretical Occupancy|Registers Per|Stall|Warp Cycles Per Issued|Issue Slots Busy|Block Limit|Compute \(SM\)|L2 Hit|Dynamic Shared" "$f" | head -40; done
fi
if [ "$what" = all ] || [ "$what" = ops ]; then
  # issue 12's tiled conv, GAP and dense: test, sanitizers, benchmark
  $bld/tests/kernels/test_ops 2>&1 | tee "$out/test-ops.log" | grep -vE "ok$" | tail -40
  r=${PIPESTATUS[0]}; echo "test_ops exit $r"; [ $r -eq 0 ] || rc=1
  for tool in memcheck racecheck; do
    compute-sanitizer --tool $tool --error-exitcode 9 $bld/tests/kernels/test_ops > "$out/sanitize-ops-$tool.log" 2>&1
    r=$?; echo "compute-sanitizer $tool (test_ops): exit $r; $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out/sanitize-ops-$tool.log" | tail -1)"
    [ $r -eq 0 ] || { rc=1; grep -m5 -E "Invalid|Race|hazard|Error" "$out/sanitize-ops-$tool.log"; }
  done
  ops_args=(); [ "$what" = ops ] && ops_args=("$@") # "all" passes its arguments to fk_bench only
  $bld/bench/kernels/ops_bench "${ops_args[@]}" 2>&1 | tee "$out/ops-bench.log"
  [ ${PIPESTATUS[0]} -eq 0 ] || rc=1
fi
if [ "$what" = all ] || [ "$what" = bench ]; then
  $bld/bench/kernels/fk_bench "$@" 2>&1 | tee "$out/bench.log"
  [ ${PIPESTATUS[0]} -eq 0 ] || rc=1
fi
exit $rc
