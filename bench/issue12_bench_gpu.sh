#!/bin/sh
# Issue 12's benchmark in one device call of < 10 minutes, after a quick check
# of the kernels (tests/kernels/test_ops under compute-sanitizer, test_kernels
# with every variant, the sanitizers on the fused tensor-core kernels): our
# runs of MobileNetV2 and MnasNet-B1 (batch 64 in fp16, bf16, TF32 and strict
# fp32; batch 1 in fp16 and TF32), then the PyTorch peers of both models in the
# same call (graphs in all four precisions, torch.compile in fp16), then the
# summary (bench/peers/issue12_summary.py). What the deadline cuts is named in
# the log.
# usage (repository root, GPU machine): . bench/gpu_env.sh; bench/issue12_bench_gpu.sh BUILD OUTDIR
set -u
B=${1:?usage: issue12_bench_gpu.sh BUILD OUTDIR}
OUTDIR=${2:?usage}
HERE=$(dirname "$0")
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
mkdir -p "$OUTDIR/logs"
[ -f "$B/build.ninja" ] || meson setup "$B" -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$OUTDIR/logs/setup.log" 2>&1
ninja -C "$B" >"$OUTDIR/logs/build.log" 2>&1 || { tail -30 "$OUTDIR/logs/build.log"; exit 1; }
el built
timeout 60 "$B/tests/kernels/test_ops" >"$OUTDIR/logs/test_ops.log" 2>&1
rc=$?
el "test_ops exit $rc: $(tail -1 "$OUTDIR/logs/test_ops.log")"
[ $rc -eq 0 ] || echo "test_ops FAILED: the runs below use the kernels as built (see logs/test_ops.log)"
for t in memcheck racecheck; do
    timeout 60 compute-sanitizer --tool $t --error-exitcode 9 "$B/tests/kernels/test_ops" >"$OUTDIR/logs/san_$t.log" 2>&1
    el "sanitizer $t ops: exit $? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUTDIR/logs/san_$t.log" | head -1)"
done
# every kernel variant against the CPU reference (test_kernels, all families),
# then the sanitizers on the fused tensor-core kernels (quick shapes)
timeout 120 "$B/tests/kernels/test_kernels" >"$OUTDIR/logs/test_kernels.log" 2>&1
rc=$?
el "test_kernels exit $rc: $(tail -1 "$OUTDIR/logs/test_kernels.log")"
[ $rc -eq 0 ] || echo "test_kernels FAILED: the runs below use the kernels as built (see logs/test_kernels.log)"
for t in memcheck racecheck; do
    for f in pwdwpw_f16_tc dwpw_bf16_tc; do
        FK_TEST_QUICK=1 FK_TEST_ONLY=$f timeout 60 compute-sanitizer --tool $t --error-exitcode 9 \
            "$B/tests/kernels/test_kernels" >"$OUTDIR/logs/san_${t}_$f.log" 2>&1
        el "sanitizer $t $f: exit $? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUTDIR/logs/san_${t}_$f.log" | head -1)"
    done
done
timeout 40 "$B/bench/kernels/ops_bench" >"$OUTDIR/logs/ops_bench.log" 2>&1
el "ops_bench exit $?"
left() { echo $(( ${FP_CALL_S:-570} - ($(date +%s) - T0) )); }
FP_MODELS="mobilenet_v2 mnasnet_b1" FP_BATCHES=64 FP_PRECISIONS="fp16:tc bf16:tc fp32:tc fp32:simt" \
    FP_DEADLINE_S=$(( $(left) - 330 )) FP_CALL_S=$(left) sh "$HERE/run_issue12.sh" "$B" "$OUTDIR" others
el "batch-64 runs done"
FP_MODELS="mobilenet_v2 mnasnet_b1" FP_BATCHES=1 FP_PRECISIONS="fp16:tc fp32:tc" \
    FP_DEADLINE_S=$(( $(left) - 250 )) FP_CALL_S=$(left) sh "$HERE/run_issue12.sh" "$B" "$OUTDIR" others
el "batch-1 runs done"
FP_MODELS="mobilenet_v2 mnasnet_b1" PEER_COMPILE=${PEER_COMPILE:-fp16} FP_CALL_S=$(( $(left) - 5 )) \
    sh "$HERE/run_issue12.sh" "$B" "$OUTDIR" peers
el "peers done"
