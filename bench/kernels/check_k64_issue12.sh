# Session 9, calls 2-3: main (bafc89f, build-calls/head-src) vs the working tree (main + the 16-bit PWDWPW
# row 8x8 x 64 in chunks of 64): the bf16 kernel tests and sanitizers of the changed family (fp16 ran in
# call 1), an A/B in fp16 of the plans the new row changes (MobileNetV2 b64, MnasNet-B1 b1; each build's own
# plan), then issue 12's rows for MODEL (bench/run_issue12.sh, stage torchvision: 2 batches x 4 precisions,
# then the PyTorch peers, in this call).
# usage (GPU machine, repository root): CALL_S=560 sh bench/kernels/check_k64_issue12.sh MODEL TAG
# Environment: ISSUE12=0 the A/B only; TESTS=0 no kernel tests; NEW_TARGETS the new build's ninja targets
# (default all); PEER_RESERVE_S (default 200) seconds of the call kept for the peers; FP_BATCHES,
# FP_PRECISIONS and PEER_* pass through to run_issue12.sh.
# Needs the base tree at build-calls/head-src (git archive bafc89f + .carry) and carry [".carry", "build-calls"].
. bench/gpu_env.sh
M=${1:?model}; TAG=${2:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
CALL_S=${CALL_S:-300}
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
(cd build-calls/head-src && meson setup ../../build-base -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(ninja -C build-base fuseplan >$R/logs/build-base.log 2>&1; echo "base build $?" >>$R/logs/build-base.log) &
ninja -C build-gpu ${NEW_TARGETS:-} >$R/logs/build.log 2>&1 || tail -30 $R/logs/build.log
wait; tail -1 $R/logs/build-base.log; el built; B=build-gpu
if [ "${TESTS:-1}" = 1 ]; then
  for o in pwdwpw_bf16_tc; do FK_TEST_ONLY=$o timeout 60 $B/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1; el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"; done
  for tool in memcheck racecheck; do FK_TEST_QUICK=1 FK_TEST_ONLY=pwdwpw_bf16_tc_t8x8_c64_k64 timeout 25 compute-sanitizer --tool $tool --error-exitcode 9 $B/tests/kernels/test_kernels >$R/logs/san_${tool}_bf16_k64.log 2>&1; el "$tool bf16 k64 $?: $(tail -1 $R/logs/san_${tool}_bf16_k64.log)"; done
fi
pack
for mb in mobilenet_v2:64 mnasnet_b1:1; do
  FP_AB_SAME_PLAN=0 FP_BATCHES="${mb#*:}" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 80 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab-${mb%:*} h100_sxm_calibrated ${mb%:*} >$R/logs/ab-${mb%:*}.log 2>&1; el "ab $mb $?"
done
grep -E "^whole model in CUDA" $R/ab-*/*/*.txt | cut -c1-150; pack
left=$(( CALL_S - ($(date +%s) - T0) ))
[ "${ISSUE12:-1}" = 1 ] && [ $left -le ${PEER_RESERVE_S:-200} ] && echo "issue 12 rows skipped: $left s left"
[ "${ISSUE12:-1}" = 1 ] && [ $left -gt ${PEER_RESERVE_S:-200} ] && FP_MODELS=$M FP_CALL_S=$left FP_DEADLINE_S=$(( left - ${PEER_RESERVE_S:-200} )) PEER_FILE=torch_peer_$M.json sh bench/run_issue12.sh $B $R/issue12 torchvision 2>&1 | tail -25
pack
el end
