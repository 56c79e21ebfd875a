# session 7 call 2 (working tree = the PW changes: k64 rows, bias in the accumulators, packed clamp in epilogue_frags;
# base = build-calls/head-src, 33f72eb): tests + sanitizers of the new rows and the changed epilogues; A/B vs base
# (MobileNetV2 fp16 b64/b1, each its own plan); the new plan with its long-K PW tiles swapped to their k64 twins;
# then fp16 graph-replay validate of the four models for the refit, while time is left.
. bench/gpu_env.sh
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
R=$OUT/s7c2; mkdir -p $R/logs $R/val $R/swap
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
pack() { (cd $OUT && tar czf s7c2.tgz s7c2); }
(cd build-calls/head-src && meson setup ../../build-base -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(ninja -C build-base fuseplan >$R/logs/build-base.log 2>&1; echo "base build $?" >>$R/logs/build-base.log) &
ninja -C build-gpu >$R/logs/build.log 2>&1 || tail -30 $R/logs/build.log
wait; tail -1 $R/logs/build-base.log; el built; B=build-gpu
timeout 150 $B/tests/kernels/test_kernels >$R/logs/test_kernels.log 2>&1; el "test_kernels (all) $?: $(tail -1 $R/logs/test_kernels.log)"; grep -iE "fail" $R/logs/test_kernels.log | head -8
timeout 40 $B/tests/kernels/test_ops >$R/logs/test_ops.log 2>&1; el "test_ops $?: $(tail -1 $R/logs/test_ops.log)"
for f in pw_f16_tc_t1x64_c64_k64_n512 pw_bf16_tc_t1x128_c128_k32_n256 pwdwpw_f16_tc_t8x8_c32; do
  for t in memcheck racecheck; do FK_TEST_QUICK=1 FK_TEST_ONLY=$f timeout 45 compute-sanitizer --tool $t --error-exitcode 9 $B/tests/kernels/test_kernels >$R/logs/san_${t}_$f.log 2>&1; echo "rc $?" >>$R/logs/san_${t}_$f.log
  el "$t $f: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $R/logs/san_${t}_$f.log|head -1) $(tail -1 $R/logs/san_${t}_$f.log)"; done
done
pack
FP_AB_SAME_PLAN=0 FP_BATCHES="64 1" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16" timeout 150 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab h100_sxm_calibrated mobilenet_v2 >$R/logs/ab.log 2>&1; el "ab $?"
grep -E "^whole model in CUDA" $R/ab/*/*.txt | cut -c1-170
pack
# the k64 twins: the new plan with every k32 PW tile that has a k64 row swapped to it
for b in 64 1; do
  $B/fuseplan plan mobilenet_v2 --gpu h100_sxm_calibrated --batch $b --dtype fp16 --math tc -o $R/swap/plan_b$b.json >/dev/null 2>&1
  sed -E 's/pw_f16_tc_t1x(64|32|16)_c64_k32_n(512|256|128)"/pw_f16_tc_t1x\1_c64_k64_n\2"/g' $R/swap/plan_b$b.json >$R/swap/plan_k64_b$b.json
  el "b$b swapped units: $(grep -o '_k64_' $R/swap/plan_k64_b$b.json | wc -l) (planned k64: $(grep -o '_k64_' $R/swap/plan_b$b.json | wc -l))"
  timeout 70 $B/fuseplan run $R/swap/plan_k64_b$b.json --iters 50 --report $R/swap/k64_b$b.json >$R/swap/k64_b$b.txt 2>$R/swap/k64_b$b.err; el "swap run b$b $?"
  grep -E "^whole model in CUDA" $R/swap/k64_b$b.txt | cut -c1-170
done
pack
# the validate feeds the H100 spec's refit: on another GPU, MnasNet-B1 A/B instead
if ! grep -q H100 $R/device.txt; then
  FP_AB_SAME_PLAN=0 FP_BATCHES="64" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16" timeout 100 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab2 h100_sxm_calibrated mnasnet_b1 >$R/logs/ab2.log 2>&1; el "ab2 $?"
  grep -E "^whole model in CUDA" $R/ab2/*/*.txt | cut -c1-170; pack; el end; exit 0
fi
FP_DEADLINE_S=$(( 520 - ($(date +%s) - T0) )) FP_TILES=6 FP_ITERS=10 sh bench/validate_h100.sh $B $R/val "mobilenet_v2:fp16:tc mnasnet_b1:fp16:tc proxylessnas_gpu:fp16:tc mobilenet_v1:fp16:tc" 2>&1 | tail -6
gzip $R/val/*.json 2>/dev/null; pack; el end
