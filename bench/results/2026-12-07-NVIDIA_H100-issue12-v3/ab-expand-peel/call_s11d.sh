# Session 11's check of the peeled expansion (branch expand-peel): base = main
# (build-calls/head-src), new = this tree (the first k-step peeled, W1's first two k-steps held
# across m16 tiles for chunks of 32), alt = the same with the hold off (build-calls/alt-src,
# HOIST_W1 = false). Kernel tests of the PWDWPW tensor-core families on new (and fp16 on alt),
# racecheck/memcheck of two new variants, A/B on the same plans: MobileNetV2 fp16 b64 base/new and
# base/alt, TF32 b64 base/new, fp16 b1 base/new.
#   CALL_S=300 sh bench/kernels/call_s11d.sh TAG        (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
CALL_S=${CALL_S:-300}
late() { [ $(( $(date +%s) - T0 + $1 )) -gt $CALL_S ] && { echo "skipped (time): $2"; return 0; }; return 1; }
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
for s in head alt; do
  (cd build-calls/$s-src && meson setup ../../build-$s -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
done
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(FUSEPLAN_COMMIT=$(cat build-calls/head-src/COMMIT) ninja -C build-head fuseplan >$R/logs/build-head.log 2>&1; echo "head build $?") &
(FUSEPLAN_COMMIT=$(cat build-calls/alt-src/COMMIT) ninja -C build-alt fuseplan tests/kernels/test_kernels >$R/logs/build-alt.log 2>&1; echo "alt build $?") &
FUSEPLAN_COMMIT=$(cat build-calls/NEW_COMMIT) ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; el built
for o in pwdwpw_f16_tc pwdwpw_bf16_tc pwdwpw_f32_tc; do
  FK_TEST_ONLY=$o timeout 90 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "new test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
FK_TEST_ONLY=pwdwpw_f16_tc timeout 90 build-alt/tests/kernels/test_kernels >$R/logs/test_kernels_alt.log 2>&1
el "alt test_kernels pwdwpw_f16_tc $?: $(tail -1 $R/logs/test_kernels_alt.log)"
pack
ab() { # $1 name, $2 other build, $3 batch, $4 run args
  late 30 "ab $1" && return
  FP_AB_SAME_PLAN=1 FP_BATCHES=$3 FP_ITERS=50 FP_RUN_ARGS="$4" timeout 60 \
    sh bench/ab_commits.sh build-head/fuseplan $2/fuseplan $R/$1 h100_sxm_calibrated mobilenet_v2 >$R/logs/$1.log 2>&1
  el "$1 $?: $(python3 -c "import json;r=json.load(open('$R/$1/summary.json'))[0];print(r['base_fused_us'],r['new_fused_us'],r['fused_ratio'])" 2>&1)"
  pack
}
ab ab-new-b64 build-gpu 64 "--dtype fp16 --math tc"
ab ab-alt-b64 build-alt 64 "--dtype fp16 --math tc"
ab ab-new-tf32-b64 build-gpu 64 "--dtype fp32 --math tf32"
ab ab-new-b1 build-gpu 1 "--dtype fp16 --math tc"
for v in pwdwpw_f16_tc_t8x8_c32_k32 pwdwpw_f32_tc_t8x8_c32_k32; do
  for tool in racecheck memcheck; do
    late 25 "$tool $v" && continue
    FK_TEST_QUICK=1 FK_TEST_ONLY=$v timeout 30 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_${tool}_$v.log 2>&1
    el "$tool $v $?: $(tail -1 $R/logs/san_${tool}_$v.log)"
  done
done
pack
el end
