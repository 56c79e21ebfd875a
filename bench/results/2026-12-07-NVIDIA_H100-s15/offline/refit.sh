#!/bin/sh
# The offline analysis (no GPU) of the fourteenth session's fp16 validate reports (s14a/val16) with the fp32
# graph-replay reports of 2026-12-06, re-analysed with this session's model (the coalescer's share of the PW
# tensor-core weight reads scaled by the grid, docs/costmodel.md 2.5): held-out figures, calibrate*.txt and
# validation_summary*.json here; the fitted spec goes to h100_sxm_refit_not_shipped.json here, not to gpu_specs/;
# lrc_share_fit.txt: bench/validation/lrc_share_fit.py on the same reports.
# usage (repository root): bench/results/2026-12-07-NVIDIA_H100-s15/offline/refit.sh BUILD/fuseplan [OUTDIR]
# (OUTDIR, default this folder: where a later model's analysis of the same reports goes)
set -eu
FP=${1:?usage: refit.sh FUSEPLAN [OUTDIR]}
D=${2:-bench/results/2026-12-07-NVIDIA_H100-s15/offline}
V=bench/results/2026-12-07-NVIDIA_H100-s14/s14a/val16
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
FP32="$G/val-mobilenet_v2-fp32-simt.json.gz $G/val-mnasnet_b1-fp32-simt.json.gz $G/val-mobilenet_v1-fp32-simt.json.gz
      $G/val-proxylessnas_gpu-fp32-simt.json.gz"
FP16="$V/val-mobilenet_v2-fp16-tc.json.gz $V/val-mnasnet_b1-fp16-tc.json.gz $V/val-mobilenet_v1-fp16-tc.json.gz
      $V/val-proxylessnas_gpu-fp16-tc.json.gz"
bench/validation/refit_offline.sh "$FP" "$D" "$D/h100_sxm_refit_not_shipped.json" fp16 "$FP16" "$FP32 $FP16"
TMP=$(mktemp "${TMPDIR:-/tmp}/fp_lrc.XXXXXX")
trap 'rm -f "$TMP"' EXIT
"$FP" validate --from $FP32 $FP16 --gpu "$D/h100_sxm_refit_not_shipped.json" --report "$TMP" >/dev/null
python3 bench/validation/lrc_share_fit.py "$TMP" >"$D/lrc_share_fit.txt"
cat "$D/lrc_share_fit.txt"
