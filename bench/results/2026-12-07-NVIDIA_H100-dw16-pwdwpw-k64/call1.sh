# Session 9, call 1: base 33f72eb (build-calls/head-src) vs the working tree (branch pwdwpw-k64: 1bf37c3's
# epilogue loop for DWPW/PWDWPW, the 16-bit DW kernel that loads its window into registers, PWDWPW rows in
# chunks of 64): kernel checks of the changed families, A/B MobileNetV2 fp16 b64 (each build's own plan), the
# new build's PWDWPW units forced to chunk 32 and chunk 64 (same cover, per-unit times), sanitizers on the
# changed kernels, A/B at batch 1 and MnasNet-B1 b64, ncu of the new DW. Each stage is skipped when less than
# its time is left of CALL_S.
# Needs the base tree at build-calls/head-src (git-ignored), made on this machine before the call:
#   mkdir -p build-calls/head-src && git archive 33f72eb | tar -x -C build-calls/head-src --exclude=bench/results
#   cp -r .carry build-calls/head-src/
# and the device call carries [".carry", "build-calls"]: `CALL_S=560 sh bench/kernels/check_dw16_pwdwpw_k64.sh`.
. bench/gpu_env.sh
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
CALL_S=${CALL_S:-300}
late() { [ $(( $(date +%s) - T0 + $1 )) -gt $CALL_S ] && { echo "skipped (time): $2"; return 0; }; return 1; }
R=$OUT/s9c1; mkdir -p $R/logs $R/ncu $R/forced
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
pack() { (cd $OUT && tar czf s9c1.tgz s9c1); }
(cd build-calls/head-src && meson setup ../../build-base -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(ninja -C build-base fuseplan >$R/logs/build-base.log 2>&1; echo "base build $?" >>$R/logs/build-base.log) &
ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || tail -30 $R/logs/build.log
wait; tail -1 $R/logs/build-base.log; el built; B=build-gpu
for o in dw_f16_simt dw_bf16_simt pwdwpw_f16_tc; do FK_TEST_ONLY=$o timeout 60 $B/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1; el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"; done
pack
late 70 ab || { FP_AB_SAME_PLAN=0 FP_BATCHES="64" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 80 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab h100_sxm_calibrated mobilenet_v2 >$R/logs/ab.log 2>&1; el "ab $?"
  grep -E "^whole model in CUDA" $R/ab/*/*.txt | cut -c1-150; pack; }
for t in 8x8x32x32x128 8x8x32x64x128 8x16x32x32x256 8x16x32x64x256; do
  late 40 "forced $t" && continue
  $B/fuseplan plan mobilenet_v2 --gpu h100_sxm_calibrated --batch 64 --dtype fp16 --math tc --tile pwdwpw=$t -o $R/forced/plan_$t.json >/dev/null 2>&1
  timeout 45 $B/fuseplan run $R/forced/plan_$t.json --iters 50 --report $R/forced/run_$t.json >$R/forced/run_$t.txt 2>&1; el "forced $t $?: $(grep -E '^whole model in CUDA' $R/forced/run_$t.txt | cut -c1-120)"
  grep -E " pwdwpw " $R/forced/run_$t.txt | cut -c1-160; pack
done
late 40 memcheck || { FK_TEST_QUICK=1 FK_TEST_ONLY=dw_f16_simt_t8x8 timeout 20 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/kernels/test_kernels >$R/logs/san_memcheck_dw16.log 2>&1; el "memcheck dw16 $?: $(tail -1 $R/logs/san_memcheck_dw16.log)"
  FK_TEST_QUICK=1 FK_TEST_ONLY=pwdwpw_f16_tc_t8x8_c32_k64 timeout 20 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/kernels/test_kernels >$R/logs/san_memcheck_k64.log 2>&1; el "memcheck k64 $?: $(tail -1 $R/logs/san_memcheck_k64.log)"; pack; }
late 50 ab-b1 || { FP_AB_SAME_PLAN=0 FP_BATCHES="1" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 50 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab-b1 h100_sxm_calibrated mobilenet_v2 >$R/logs/ab-b1.log 2>&1; el "ab b1 $?"; pack; }
late 40 racecheck || { FK_TEST_QUICK=1 FK_TEST_ONLY=dw_f16_simt_t8x8 timeout 15 compute-sanitizer --tool racecheck --error-exitcode 9 $B/tests/kernels/test_kernels >$R/logs/san_racecheck_dw16.log 2>&1; el "racecheck dw16 $?: $(tail -1 $R/logs/san_racecheck_dw16.log)"
  FK_TEST_QUICK=1 FK_TEST_ONLY=pwdwpw_f16_tc_t8x8_c32_k64 timeout 20 compute-sanitizer --tool racecheck --error-exitcode 9 $B/tests/kernels/test_kernels >$R/logs/san_racecheck_k64.log 2>&1; el "racecheck k64 $?: $(tail -1 $R/logs/san_racecheck_k64.log)"; pack; }
late 60 ab-mnas || { FP_AB_SAME_PLAN=0 FP_BATCHES="64" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 60 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab-mnas h100_sxm_calibrated mnasnet_b1 >$R/logs/ab-mnas.log 2>&1; el "ab mnas $?"; pack; }
late 50 ncu || { timeout 45 ncu --set full -k "regex:^dw16_kernel" -c 2 -o $R/ncu/dw $B/fuseplan run mobilenet_v2 --gpu h100_sxm_calibrated --batch 64 --dtype fp16 --iters 3 >$R/ncu/run-dw.txt 2>&1; el "ncu dw $?"
  timeout 15 ncu -i $R/ncu/dw.ncu-rep --page details >$R/ncu/details-dw.txt 2>&1; gzip $R/ncu/details-dw.txt; rm -f $R/ncu/dw.ncu-rep; pack; }
grep -hE "^whole model in CUDA" $R/ab*/*/*.txt | cut -c1-150
el end
