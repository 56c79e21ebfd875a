# One device call (tenth session): build this tree, the bf16 PWDWPW kernel tests and sanitizers (the
# 8x8 x 64 chunk-64 row landed in the ninth session untested in bf16), Nsight Compute's per-instruction
# table of the PWDWPW kernels of MobileNetV2 fp16 b64 (what their instructions do, before
# the next rewrite), then issue 12's rows for FP_MODELS (bench/run_issue12.sh, stage torchvision, with
# the PyTorch peers in the same call).
# usage (GPU machine, repository root): CALL_S=570 sh bench/kernels/call_profile_issue12.sh TAG
# Environment: PROFILE=0 skips Nsight Compute, TESTS=0 the kernel tests; NCU_KERNELS (default pwdwpw_tc, a regex) and NCU_COUNT (default 3: MobileNetV2 b1-b3) launches
# profiled; FP_MODELS (default mobilenet_v2), PEER_RESERVE_S (default 220) seconds kept for the peers.
. bench/gpu_env.sh
TAG=${1:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
CALL_S=${CALL_S:-560}
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs $R/ncu
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
B=build-gpu
[ -f $B/build.ninja ] || meson setup $B -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
ninja -C $B >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
el built
if [ "${TESTS:-1}" = 1 ]; then
  FK_TEST_ONLY=pwdwpw_bf16_tc timeout 90 $B/tests/kernels/test_kernels >$R/logs/test_kernels_pwdwpw_bf16_tc.log 2>&1
  el "test_kernels pwdwpw_bf16_tc $?: $(tail -1 $R/logs/test_kernels_pwdwpw_bf16_tc.log)"
  for tool in memcheck racecheck; do
    FK_TEST_QUICK=1 FK_TEST_ONLY=pwdwpw_bf16_tc_t8x8_c64_k64 timeout 40 compute-sanitizer --tool $tool --error-exitcode 9 \
      $B/tests/kernels/test_kernels >$R/logs/san_${tool}_bf16_c64_k64.log 2>&1
    el "$tool pwdwpw_bf16_tc_t8x8_c64_k64 $?: $(tail -1 $R/logs/san_${tool}_bf16_c64_k64.log)"
  done
fi
pack
if [ "${PROFILE:-1}" = 1 ]; then
  # the per-unit checks of `run` launch each unit once, in plan order, before any timing: the first
  # launches matched are b1.. of the plan
  NCU_SOURCE=1 NCU_TIMEOUT=150 NCU_REGEX="^${NCU_KERNELS:-pwdwpw_tc}_kernel" NCU_COUNT=${NCU_COUNT:-3} \
    sh bench/kernels/ncu_units.sh $B $R/ncu mobilenet_v2 64 fp16
  gzip -f $R/ncu/ncu_units.txt
  el "ncu done"
fi
pack
left=$(( CALL_S - ($(date +%s) - T0) ))
if [ $left -gt $(( ${PEER_RESERVE_S:-220} + 60 )) ]; then
  FP_MODELS=${FP_MODELS:-mobilenet_v2} FP_CALL_S=$left FP_DEADLINE_S=$(( left - ${PEER_RESERVE_S:-220} )) PEER_COMPILE=${PEER_COMPILE:-fp16} \
    sh bench/run_issue12.sh $B $R/issue12 torchvision 2>&1 | tail -25
else
  echo "issue 12 rows skipped: $left s left"
fi
pack
el end
