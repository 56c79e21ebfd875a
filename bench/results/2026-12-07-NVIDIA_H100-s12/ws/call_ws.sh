# Device check of the branch pwdwpw-slices (2026-12-07): the 16-bit PWDWPW warp-slice kernel
# (fk_pwdwpw_ws.cuh, rows with chunk_c 16). Kernel tests of its rows (fp16, bf16), sanitizers,
# then MobileNetV2 and MnasNet-B1 fp16 b64: main's build and plan (build-calls/head-src) against
# this build running main's plan with every PWDWPW unit moved to one warp-slice row
# (build-calls/plans/<model>_<row>.json, made with `fuseplan check` re-deriving the launches),
# and Nsight Compute's per-instruction table of one warp-slice unit.
#   sh bench/kernels/call_ws.sh TAG        (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs $R/runs
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
(cd build-calls/head-src && meson setup ../../build-head -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(FUSEPLAN_COMMIT=$(cat build-calls/head-src/COMMIT) ninja -C build-head fuseplan >$R/logs/build-head.log 2>&1; echo "head build $?") &
FUSEPLAN_COMMIT=$(cat build-calls/COMMIT_WS) ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; el built
for o in pwdwpw_f16_tc_t8x8_c32_k16 pwdwpw_f16_tc_t4x8_c64_k16 pwdwpw_bf16_tc_t8x8_c32_k16; do
  FK_TEST_ONLY=$o timeout 120 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(grep -c FAIL $R/logs/test_kernels_$o.log) FAIL lines; $(tail -1 $R/logs/test_kernels_$o.log)"
done
grep -m5 FAIL $R/logs/test_kernels_*.log
for tool in racecheck memcheck; do
  FK_TEST_QUICK=1 FK_TEST_ONLY=pwdwpw_f16_tc_t8x8_c32_k16_n96 timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_$tool.log 2>&1
  el "$tool $?: $(tail -1 $R/logs/san_$tool.log)"
done
pack
run1() { # EXE NAME PLAN_OR_MODEL [MODEL OPTIONS]
  timeout 60 $1 run $3 $4 --iters 50 --no-energy \
    --report $R/runs/$2.json >$R/runs/$2.txt 2>$R/runs/$2.err
  el "$2 $?: $(grep -E 'whole model|fused plan' $R/runs/$2.txt | head -2 | tr '\n' ' ')"
}
for m in mobilenet_v2 mnasnet; do
  model=$m; [ $m = mnasnet ] && model=mnasnet_b1
  run1 build-head/fuseplan ${m}_main $model "--gpu h100_sxm_calibrated --batch 64 --dtype fp16 --math tc"
  for row in t8x8_c32_k16_n128 t8x8_c32_k16_n96 t4x8_c64_k16_n128; do
    run1 build-gpu/fuseplan ${m}_$row build-calls/plans/${m}_$row.json
  done
  run1 build-head/fuseplan ${m}_main2 $model "--gpu h100_sxm_calibrated --batch 64 --dtype fp16 --math tc"
  pack
done
NCU_SOURCE=1 NCU_REGEX='^pwdwpw_ws_kernel' NCU_COUNT=2 NCU_TIMEOUT=150 sh bench/kernels/ncu_units.sh build-gpu $R/ncu-ws mobilenet_v2 64 fp16 tc >$R/logs/ncu.log 2>&1
el "ncu $?: $(ls $R/ncu-ws)"
pack
el end
