# Device check of the branch tf32-smem-round (UNMEASURED when written, 2026-12-07): the TF32
# PWDWPW kernels round the patch X and the W1/W2 groups each thread staged once per CTA in shared
# memory (pwdwpw_tc_round_patch / _staged, canonical TF32) instead of every fragment at its load.
# Results must be bitwise those of main (the mma reads the same 19 bits). Base = main (build-calls/head-src: `git archive main`
# with .carry and its short hash in COMMIT; drop bench/results to stay under the 64 MiB).
#   CALL_S=240 sh bench/kernels/call_tf32_round.sh TAG        (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
(cd build-calls/head-src && meson setup ../../build-head -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(FUSEPLAN_COMMIT=$(cat build-calls/head-src/COMMIT) ninja -C build-head fuseplan >$R/logs/build-head.log 2>&1; echo "head build $?") &
FUSEPLAN_COMMIT=tf32-smem-round ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; el built
for o in pwdwpw_f32_tc pwdwpw_f16_tc; do
  FK_TEST_ONLY=$o timeout 90 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
for tool in racecheck memcheck; do
  FK_TEST_QUICK=1 FK_TEST_ONLY=pwdwpw_f32_tc_t8x8_c32_k32 timeout 30 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_$tool.log 2>&1
  el "$tool $?: $(tail -1 $R/logs/san_$tool.log)"
done
pack
for b in 64 1; do
  FP_AB_SAME_PLAN=1 FP_BATCHES=$b FP_ITERS=50 FP_RUN_ARGS="--dtype fp32 --math tf32" timeout 80 \
    sh bench/ab_commits.sh build-head/fuseplan build-gpu/fuseplan $R/ab-tf32-b$b h100_sxm_calibrated mobilenet_v2 mnasnet_b1 >$R/logs/ab-b$b.log 2>&1
  el "ab b$b: $(grep -E '^\| [a-z]' $R/ab-tf32-b$b/summary.md | cut -d'|' -f2,3,5-7 | tr '\n' ';')"
  pack
done
el end
