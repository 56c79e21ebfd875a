#!/bin/sh
# Issue 12's benchmark: every shipped model x batch {1, 64} x {fp16, bf16,
# fp32 strict, fp32 tf32}: `fuseplan run` (its report holds the fused plan,
# our unfused plan, the all-cuDNN baseline in the same dtype and math, and
# the DW/PW body's byte floor, all whole models in CUDA graphs, medians) and
# the PyTorch peers (bench/peers/torch_peer.py: torchvision or the model file, BN folded,
# channels-last, CUDA graph and torch.compile) in the same device call.
#
# Two device calls of < 10 minutes each (STAGE):
#   torchvision  mobilenet_v2, mnasnet_b1: fuseplan runs, then the peers
#                (the models PyTorch has), so each model's figures come from
#                one call
#   others       mobilenet_v1, proxylessnas_gpu, xception: fuseplan runs only
#                (their peers: stage peers)
#   peers        the PyTorch peers only, for FP_MODELS (default the three
#                models without a torchvision twin, built from their model
#                files by bench/peers/json_model.py), into
#                OUTDIR/torch_peer_peers.json; run it in the same device call
#                as their fuseplan runs when both fit, else say so
#   summarize    (no GPU) merges OUTDIR's reports and peer rows into
#                OUTDIR/summary.json and summary.md (bench/peers/issue12_summary.py)
#   all          the three in turn (one long call: raise FP_DEADLINE_S and
#                FP_CALL_S, e.g. 3000)
# The GPU stages build BUILD_DIR first when it has no build.ninja yet (meson
# setup -Dcuda=enabled -Dcudnn=enabled --buildtype=release), then ninja. A run
# that has not started by FP_DEADLINE_S seconds after the script began is
# skipped (named in the log), each run is bounded by FP_RUN_TIMEOUT seconds,
# and the peers get what is left of FP_CALL_S (default 560) less a margin, so
# a call ends before the device tool's 10-minute limit.
#
# usage (repository root, on the GPU machine, after `. bench/gpu_env.sh`):
#   bench/run_issue12.sh BUILD_DIR [OUTDIR] [STAGE]
# OUTDIR defaults to bench/results/<date>-<device>-issue12. Environment:
#   FP_MODELS       models of the stage (default above)
#   FP_BATCHES      "1 64"
#   FP_PRECISIONS   DTYPE:MATH list, default "fp16:tc bf16:tc fp32:simt fp32:tc"
#                   (fp32:simt is strict FP32, fp32:tc TF32)
#   FP_SPEC         GPU spec to plan for (default h100_sxm_calibrated)
#   FP_ITERS        timing repetitions per figure (default 50, the minimum)
#   FP_TUNE         N: `run --tune N`, the fastest measured of the model's N best tiles per unit, in the
#                   fused and the unfused plan (default 0: the planned tiles); the summary's rows say which
#   FP_ENERGY       1: also the energy windows (default off: `run --no-energy`)
#   FP_DEADLINE_S   default 300 for torchvision (the peers follow), 520 for others
#   FP_RUN_TIMEOUT  default 150
#   FP_CALL_S       the whole call's budget in seconds (default 560)
#   PEER_*          passed to torch_peer.py (PEER_COMPILE, PEER_BUDGET_S, ...)
# Expected (measured with the energy windows, which took 15 s of a ~22 s
# MobileNetV2 batch-64 run on an H100; runs are now that much shorter): build
# ~1-2 min on a fresh machine (none when warm); torchvision ~8 min (16 runs
# ~4 min; peers ~1 min of graphs plus ~40 s per torch.compile, fp16 and bf16
# at two batches for two models, those past the budget skipped and named);
# others ~7 min (24 runs, xception b64 the longest).
set -u
BUILD=${1:?usage: run_issue12.sh BUILD_DIR [OUTDIR] [STAGE]}
DEV=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' ' '_')
DEV=${DEV:-gpu}
OUTDIR=${2:-bench/results/$(date -u +%Y-%m-%d)-$DEV-issue12}
STAGE=${3:-torchvision}
HERE=$(dirname "$0")
EXE=$BUILD/fuseplan
mkdir -p "$OUTDIR/runs"
status=0
T0=$(date +%s)
CALL_S=${FP_CALL_S:-560}

build() {
    [ "$STAGE" = summarize ] || [ "$STAGE" = peers ] && return 0
    if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" -Dcuda=enabled -Dcudnn=enabled --buildtype=release \
            >"$OUTDIR/setup.log" 2>&1 || { tail -20 "$OUTDIR/setup.log" >&2; exit 1; }
    fi
    ninja -C "$BUILD" >"$OUTDIR/build.log" 2>&1 || { tail -30 "$OUTDIR/build.log" >&2; exit 1; }
    echo "build: $(( $(date +%s) - T0 )) s" >&2
}
build

# The table holds times only: no energy windows (3 x 5 s per run, the larger share of a run's
# time; FP_ENERGY=1 measures them).
energy=--no-energy
[ "${FP_ENERGY:-0}" = 1 ] && energy=
tune=
[ "${FP_TUNE:-0}" -gt 0 ] && tune="--tune $FP_TUNE"

fuseplan_runs() { # $1: default models, $2: default deadline (seconds after T0)
    t0=$(date +%s)
    deadline=${FP_DEADLINE_S:-$2}
    [ -x "$EXE" ] || { echo "run_issue12.sh: no fuseplan in $BUILD" >&2; return 1; }
    nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader \
        >>"$OUTDIR/device.txt" 2>/dev/null
    for m in ${FP_MODELS:-$1}; do
        for b in ${FP_BATCHES:-1 64}; do
            for pm in ${FP_PRECISIONS:-fp16:tc bf16:tc fp32:simt fp32:tc}; do
                dt=${pm%%:*}
                math=${pm#*:}
                tag=${m}_b${b}_${dt}_${math}
                if [ $(( $(date +%s) - T0 )) -ge "$deadline" ]; then
                    echo "SKIPPED (past FP_DEADLINE_S=$deadline s): $tag" >&2
                    status=1
                    continue
                fi
                s0=$(date +%s)
                if timeout "${FP_RUN_TIMEOUT:-150}" "$EXE" run "$m" --gpu "${FP_SPEC:-h100_sxm_calibrated}" \
                    --batch "$b" --dtype "$dt" --math "$math" --iters "${FP_ITERS:-50}" $energy $tune \
                    --report "$OUTDIR/runs/$tag.json" >"$OUTDIR/runs/$tag.txt" 2>"$OUTDIR/runs/$tag.err"; then
                    echo "ok $tag ($(( $(date +%s) - s0 )) s): $(grep -E '^whole model in CUDA graphs' "$OUTDIR/runs/$tag.txt" | cut -c1-150)" >&2
                else
                    status=1
                    echo "FAILED $tag ($(( $(date +%s) - s0 )) s):" >&2
                    tail -3 "$OUTDIR/runs/$tag.err" >&2
                fi
            done
        done
    done
    echo "fuseplan runs: $(( $(date +%s) - t0 )) s" >&2
}

case $STAGE in
torchvision | all)
    fuseplan_runs "mobilenet_v2 mnasnet_b1" 300
    t1=$(date +%s)
    left=$(( CALL_S - (t1 - T0) ))
    [ $left -lt 60 ] && left=60
    # compiles start only while 70 s remain (a compile ~40 s, then its timing)
    PEER_MODELS=${PEER_MODELS:-$(echo "${FP_MODELS:-mobilenet_v2 mnasnet_b1}" | tr ' ' ',')} \
    PEER_BATCHES=${PEER_BATCHES:-$(echo "${FP_BATCHES:-1 64}" | tr ' ' ',')} \
    PEER_BUDGET_S=${PEER_BUDGET_S:-$(( left - 70 ))} \
        OUT="$OUTDIR" timeout "${PEER_TIMEOUT:-$left}" python3 "$HERE/peers/torch_peer.py" \
        >"$OUTDIR/torch_peer.log" 2>&1 || { status=1; echo "torch_peer.py FAILED or timed out" >&2; }
    tail -3 "$OUTDIR/torch_peer.log" >&2
    echo "peers: $(( $(date +%s) - t1 )) s" >&2
    ;;
esac
case $STAGE in
peers)
    left=$(( CALL_S - ($(date +%s) - T0) ))
    PEER_MODELS=${PEER_MODELS:-$(echo "${FP_MODELS:-mobilenet_v1 proxylessnas_gpu xception}" | tr ' ' ',')} \
    PEER_BATCHES=${PEER_BATCHES:-$(echo "${FP_BATCHES:-1 64}" | tr ' ' ',')} \
    PEER_BUDGET_S=${PEER_BUDGET_S:-$(( left - 70 ))} PEER_FILE=torch_peer_peers.json \
        OUT="$OUTDIR" timeout "${PEER_TIMEOUT:-$left}" python3 "$HERE/peers/torch_peer.py" \
        >"$OUTDIR/torch_peer_peers.log" 2>&1 || { status=1; echo "torch_peer.py FAILED or timed out" >&2; }
    tail -3 "$OUTDIR/torch_peer_peers.log" >&2
    ;;
esac
case $STAGE in
others | all) FP_MODELS=${FP_MODELS_OTHERS:-${FP_MODELS:-mobilenet_v1 proxylessnas_gpu xception}} \
    fuseplan_runs "mobilenet_v1 proxylessnas_gpu xception" 520 ;;
esac
case $STAGE in
summarize | all | torchvision | others | peers)
    python3 "$HERE/peers/issue12_summary.py" "$OUTDIR" || status=1 ;;
*) echo "run_issue12.sh: unknown stage $STAGE (torchvision, others, peers, summarize, all)" >&2; exit 2 ;;
esac
exit $status
