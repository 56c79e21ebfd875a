# session 7 call 4 (short): epilogue_frags restored for DWPW/PWDWPW (the PW kernel keeps epilogue_frags_biased):
# tensor-core kernel checks (quick), then MobileNetV2 fp16 b64 against 33f72eb (b0 DWPW and b2 PWDWPW back to base?)
. bench/gpu_env.sh
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
R=$OUT/s7c4; mkdir -p $R/logs
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
pack() { (cd $OUT && tar czf s7c4.tgz s7c4); }
(cd build-calls/head-src && meson setup ../../build-base -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(ninja -C build-base fuseplan >$R/logs/build-base.log 2>&1; echo "base build $?" >>$R/logs/build-base.log) &
ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || tail -30 $R/logs/build.log
wait; tail -1 $R/logs/build-base.log; el built; B=build-gpu
FK_TEST_QUICK=1 FK_TEST_ONLY=_tc_ timeout 40 $B/tests/kernels/test_kernels >$R/logs/test_kernels_tc_quick.log 2>&1; el "test_kernels tc quick $?: $(tail -1 $R/logs/test_kernels_tc_quick.log)"
FP_AB_SAME_PLAN=0 FP_BATCHES="64" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 80 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab h100_sxm_calibrated mobilenet_v2 >$R/logs/ab.log 2>&1; el "ab $?"
grep -E "^whole model in CUDA" $R/ab/*/*.txt | cut -c1-150
grep -hE "b0_dw\+|b2_expand|b1_expand" $R/ab/*/*.txt | cut -c1-120
pack; el end
