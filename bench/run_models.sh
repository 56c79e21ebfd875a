#!/bin/sh
# The GPU benchmark (issues 5 and 6): every shipped model at batch 1 and 64,
# fused plan vs our unfused plan vs cuDNN layer by layer, all measured by
# `fuseplan run` in one process per model and batch. Writes
# bench/results/<date>-<device>/<model>_b<batch>.json and summary.md.
# usage: bench/run_models.sh BUILD_DIR [GPU_SPEC] [MODELS...]
set -eu
BUILD=${1:?usage: run_models.sh BUILD_DIR [GPU_SPEC] [MODELS...]}
GPU=${2:-h100_sxm}
shift
[ $# -gt 0 ] && shift
MODELS=${*:-mobilenet_v2 mobilenet_v1 mnasnet_b1 proxylessnas_gpu xception}
DEV=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' ' '_')
DEV=${DEV:-gpu}
OUT=bench/results/$(date -u +%Y-%m-%d)-$DEV
mkdir -p "$OUT"
status=0
for m in $MODELS; do
    for b in 1 64; do
        echo "== $m batch $b" >&2
        if ! "$BUILD/fuseplan" run "$m" --gpu "$GPU" --batch "$b" --iters "${FP_ITERS:-100}" --tune "${FP_TUNE:-0}" \
            --report "$OUT/${m}_b$b.json" >"$OUT/${m}_b$b.txt" 2>"$OUT/${m}_b$b.err"; then
            status=1
            echo "FAILED: $m batch $b (see $OUT/${m}_b$b.err)" >&2
        fi
    done
done
python3 "$(dirname "$0")/summarize.py" "$OUT" > "$OUT/summary.md"
cat "$OUT/summary.md"
exit $status
