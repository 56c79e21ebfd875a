# session 7 call 3 (working tree = f5d5adc+: k64 PW rows, the epilogue, the chunk tie-break, the refitted spec;
# base = build-calls/head-src, 33f72eb): A/B MobileNetV2 and MnasNet-B1 fp16 b64/b1 (each its own plan and spec),
# issue 12's bf16 and TF32 b64 rows of both, then the PyTorch peers of both models in the same call, the summary.
. bench/gpu_env.sh
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
R=$OUT/s7c3; mkdir -p $R/logs $R/runs
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
pack() { (cd $OUT && tar czf s7c3.tgz s7c3); }
(cd build-calls/head-src && meson setup ../../build-base -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(ninja -C build-base fuseplan >$R/logs/build-base.log 2>&1; echo "base build $?" >>$R/logs/build-base.log) &
ninja -C build-gpu fuseplan >$R/logs/build.log 2>&1 || tail -30 $R/logs/build.log
wait; tail -1 $R/logs/build-base.log; el built; B=build-gpu
FP_AB_SAME_PLAN=0 FP_BATCHES="64 1" FP_ITERS=50 FP_RUN_ARGS="--dtype fp16 --math tc" timeout 200 sh bench/ab_commits.sh build-base/fuseplan $B/fuseplan $R/ab h100_sxm_calibrated mobilenet_v2 mnasnet_b1 >$R/logs/ab.log 2>&1; el "ab $?"
grep -E "^whole model in CUDA" $R/ab/*/*.txt | cut -c1-150
for f in $R/ab/new/*.json; do b=$(basename $f .json); cp $f $R/runs/${b}_fp16_tc.json; cp ${f%.json}.txt $R/runs/${b}_fp16_tc.txt; done
pack
L=$(( 430 - ($(date +%s) - T0) ))
FP_MODELS="mobilenet_v2 mnasnet_b1" FP_BATCHES=64 FP_PRECISIONS="bf16:tc fp32:tc" FP_DEADLINE_S=$(( L - 30 )) FP_CALL_S=$L \
  sh bench/run_issue12.sh $B $R others >$R/logs/runs.log 2>&1; el "bf16/tf32 runs"
grep -h "^whole model in CUDA" $R/runs/*bf16*.txt $R/runs/*fp32*.txt | cut -c1-150; pack
L=$(( 540 - ($(date +%s) - T0) ))
[ $L -gt 60 ] && FP_MODELS="mobilenet_v2 mnasnet_b1" FP_BATCHES="64 1" PEER_PRECISIONS=fp16,bf16,fp32_tf32 PEER_COMPILE=fp16 \
  PEER_BUDGET_S=$(( L - 75 )) FP_CALL_S=$(( L - 10 )) sh bench/run_issue12.sh $B $R peers >$R/logs/peers.log 2>&1
el "peers"; tail -3 $R/logs/peers.log; tail -12 $R/summary.md 2>/dev/null | cut -c1-200
pack; el end
