# Twelfth session: PWDWPW 8x8 x 32 in chunks of 16 (branch pwdwpw-k16). Kernel tests of the new rows and a
# sanitizer pass, then fp16 b64: main's build and plan (build-calls/head-src) against the branch's build with its
# own plan (the model picks k16 for MobileNetV2 b2 and MnasNet-B1 b1-b3) and, for MobileNetV2, main's plan with
# b1 and b2 on k16 (build-calls/plans/mobilenet_v2_k16.json).
#   sh bench/results/2026-12-07-NVIDIA_H100-s12/call_s12e.sh TAG      (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG; mkdir -p $R/logs $R/runs
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
(cd build-calls/head-src && meson setup ../../build-head -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(FUSEPLAN_COMMIT=$(cat build-calls/head-src/COMMIT) ninja -C build-head fuseplan >$R/logs/build-head.log 2>&1; echo "head build $?") &
FUSEPLAN_COMMIT=pwdwpw-k16 ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; el built
for o in pwdwpw_f16_tc_t8x8_c32_k16 pwdwpw_bf16_tc_t8x8_c32_k16; do
  FK_TEST_ONLY=$o timeout 60 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
for tool in racecheck memcheck; do
  FK_TEST_QUICK=1 FK_TEST_ONLY=pwdwpw_f16_tc_t8x8_c32_k16 timeout 40 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_$tool.log 2>&1
  el "$tool $?: $(tail -1 $R/logs/san_$tool.log)"
done
pack
run1() { # EXE NAME TARGET [MODEL OPTIONS]
  timeout 60 $1 run $3 $4 --iters 50 --no-energy --report $R/runs/$2.json >$R/runs/$2.txt 2>$R/runs/$2.err
  el "$2 $?: $(grep -E 'whole model in CUDA graphs' $R/runs/$2.txt | head -1 | cut -c1-90)"
}
O="--gpu h100_sxm_calibrated --batch 64 --dtype fp16 --math tc"
for m in mobilenet_v2 mnasnet_b1; do
  run1 build-head/fuseplan ${m}_main $m "$O"
  run1 build-gpu/fuseplan ${m}_k16 $m "$O"
  [ $m = mobilenet_v2 ] && run1 build-gpu/fuseplan ${m}_k16b1b2 build-calls/plans/mobilenet_v2_k16.json
  run1 build-head/fuseplan ${m}_main2 $m "$O"
  run1 build-gpu/fuseplan ${m}_k16_2 $m "$O"
  pack
done
el end
