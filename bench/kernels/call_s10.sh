# Session 10's device call: base = main before the stmatrix expansion epilogue (build-calls/head-src) vs the
# working tree (the 16-bit PWDWPW expansion stores its fragments by stmatrix, fk_mma.cuh
# stsm_frags_clamped). Kernel checks of the changed family (fp16, bf16), sanitizers, A/B of MobileNetV2
# fp16 b64 and
# b1 and MnasNet-B1 fp16 b64 on the same plans, Nsight Compute's per-instruction table of the new
# PWDWPW kernels (b1-b3 of MobileNetV2 b64), then issue 12's 16-bit rows of MobileNetV2 with the
# PyTorch peers. Each stage is skipped when less than its time is left of CALL_S.
# Needs build-calls/head-src (git archive of the base + .carry) and carry [".carry", "build-calls"]:
#   CALL_S=560 sh bench/kernels/call_s10.sh TAG
. bench/gpu_env.sh
TAG=${1:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
CALL_S=${CALL_S:-300}
late() { [ $(( $(date +%s) - T0 + $1 )) -gt $CALL_S ] && { echo "skipped (time): $2"; return 0; }; return 1; }
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs $R/ncu
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
(cd build-calls/head-src && meson setup ../../build-base -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(ninja -C build-base fuseplan >$R/logs/build-base.log 2>&1; echo "base build $?" >>$R/logs/build-base.log) &
ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; tail -1 $R/logs/build-base.log; el built; B=build-gpu
for o in pwdwpw_f16_tc pwdwpw_bf16_tc; do
  FK_TEST_ONLY=$o timeout 90 $B/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
pack
ab() { # $1 name, $2 model, $3 batch
  late 60 "ab $1" && return
  FP_AB_SAME_PLAN=1 FP_BATCHES=$3 FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 90 \
    sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/$1 h100_sxm_calibrated $2 >$R/logs/$1.log 2>&1
  el "$1 $?"; grep -E "^whole model in CUDA" $R/$1/*/*.txt | cut -c1-160; pack
}
ab ab-b64 mobilenet_v2 64
for v in pwdwpw_f16_tc_t8x8_c32_k32 pwdwpw_bf16_tc_t16x16_c32_k32; do
  for tool in racecheck memcheck; do
    late 30 "$tool $v" && continue
    FK_TEST_QUICK=1 FK_TEST_ONLY=$v timeout 30 compute-sanitizer --tool $tool --error-exitcode 9 $B/tests/kernels/test_kernels >$R/logs/san_${tool}_$v.log 2>&1
    el "$tool $v $?: $(tail -1 $R/logs/san_${tool}_$v.log)"
  done
done
pack
late 120 ncu || {
  NCU_SOURCE=1 NCU_TIMEOUT=110 NCU_REGEX="^pwdwpw_tc_kernel" NCU_COUNT=3 \
    sh bench/kernels/ncu_units.sh $B $R/ncu mobilenet_v2 64 fp16
  gzip -f $R/ncu/ncu_units.txt; el "ncu done"; pack; }
ab ab-b1 mobilenet_v2 1
ab ab-mnas-b64 mnasnet_b1 64
left=$(( CALL_S - ($(date +%s) - T0) ))
if [ $left -gt 200 ]; then
  FP_MODELS=mobilenet_v2 FP_PRECISIONS="fp16:tc bf16:tc" FP_CALL_S=$left FP_DEADLINE_S=$(( left - 130 )) PEER_COMPILE=fp16 \
    PEER_PRECISIONS=fp16,bf16 sh bench/run_issue12.sh $B $R/issue12 torchvision 2>&1 | tail -20
else
  echo "issue 12 rows skipped: $left s left"
fi
pack
el end
