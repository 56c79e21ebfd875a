# Session 11's device call, for the case that only one call gets a machine: base = main
# (build-calls/head-src, a git archive of main with .carry; its commit in
# build-calls/head-src/COMMIT) against this tree (the stmatrix expansion epilogue; its commit in
# build-calls/NEW_COMMIT). In order, each stage skipped when less than its time is left of CALL_S:
#   1. builds (both trees, in parallel); kernel tests of the changed families (fp16, bf16 PWDWPW)
#   2. A/B MobileNetV2 fp16 b64 on the same plans; the tree kept (W) is the new one if its tests
#      pass and its whole model is not slower (new/base <= 1.0), else main
#   3. if W is new: racecheck and memcheck on two changed variants
#   4. issue 12's table rows of the torchvision models (MobileNetV2, MnasNet-B1 x b1, b64 x fp16,
#      bf16, fp32 strict, TF32) with the PyTorch peers, on W (bench/run_issue12.sh torchvision)
#   5. Nsight Compute's per-instruction table of W's first three PWDWPW units (MobileNetV2 b64)
#   CALL_S=540 sh bench/kernels/call_s11.sh TAG        (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
CALL_S=${CALL_S:-300}
late() { [ $(( $(date +%s) - T0 + $1 )) -gt $CALL_S ] && { echo "skipped (time): $2"; return 0; }; return 1; }
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs $R/ncu
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
BASE_C=$(cat build-calls/head-src/COMMIT); NEW_C=$(cat build-calls/NEW_COMMIT)
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
echo "base $BASE_C new $NEW_C" | tee -a $R/device.txt
(cd build-calls/head-src && meson setup ../../build-base -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(FUSEPLAN_COMMIT=$BASE_C ninja -C build-base >$R/logs/build-base.log 2>&1; echo "base build $?" >>$R/logs/build-base.log) &
FUSEPLAN_COMMIT=$NEW_C ninja -C build-gpu >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; tail -1 $R/logs/build-base.log; el built
tests_ok=1
for o in pwdwpw_f16_tc pwdwpw_bf16_tc; do
  FK_TEST_ONLY=$o timeout 90 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1 || tests_ok=0
  el "test_kernels $o: $(tail -1 $R/logs/test_kernels_$o.log)"
done
pack
FP_AB_SAME_PLAN=1 FP_BATCHES=64 FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 90 \
  sh bench/ab_commits.sh build-base/fuseplan build-gpu/fuseplan $R/ab-b64 h100_sxm_calibrated mobilenet_v2 >$R/logs/ab-b64.log 2>&1
ratio=$(python3 -c "import json;print(json.load(open('$R/ab-b64/summary.json'))[0]['fused_ratio'])" 2>/dev/null || echo 9)
W=build-base; WC=$BASE_C
[ $tests_ok = 1 ] && python3 -c "import sys; sys.exit(0 if $ratio <= 1.0 else 1)" && { W=build-gpu; WC=$NEW_C; }
el "A/B new/base $ratio, tests $tests_ok: kept $W" | tee -a $R/device.txt
pack
if [ $W = build-gpu ]; then
  for v in pwdwpw_f16_tc_t8x8_c32_k32 pwdwpw_bf16_tc_t8x8_c64_k64; do
    for tool in racecheck memcheck; do
      late 30 "$tool $v" && continue
      FK_TEST_QUICK=1 FK_TEST_ONLY=$v timeout 30 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_${tool}_$v.log 2>&1
      el "$tool $v $?: $(tail -1 $R/logs/san_${tool}_$v.log)"
    done
  done
  pack
fi
left=$(( CALL_S - ($(date +%s) - T0) - 110 ))
if [ $left -gt 150 ]; then
  FUSEPLAN_COMMIT=$WC FP_CALL_S=$left FP_DEADLINE_S=$(( left / 2 )) PEER_COMPILE=fp16 \
    sh bench/run_issue12.sh $W $R/issue12 torchvision >$R/logs/issue12.log 2>&1
  grep -E "^ok|FAILED|SKIPPED|peers:" $R/logs/issue12.log | cut -c1-150
  cp $R/device.txt $R/issue12/kept.txt
else
  echo "issue 12 rows skipped: $left s left"
fi
el "issue12 done"; pack
late 100 ncu || {
  NCU_SOURCE=1 NCU_TIMEOUT=95 NCU_REGEX="^pwdwpw_tc_kernel" NCU_COUNT=3 \
    sh bench/kernels/ncu_units.sh $W $R/ncu mobilenet_v2 64 fp16
  gzip -f $R/ncu/ncu_units.txt; el "ncu done"; pack; }
el end
