#!/bin/sh
# The offline analysis of these measurements (no GPU; any build of fuseplan
# with the validate command, CPU-only builds included; ~5 s):
#   - fp32 alone (the four fp32 reports): held-out figures, fit printed;
#   - every report, fp32 (CUDA cores) and fp16 (tensor cores) together, with
#     per-(kind, math) efficiencies: held-out figures, validation_summary.json
#     and the shipped calibrated spec gpu_specs/h100_sxm_calibrated.json
#     (re-indented with two spaces like the other shipped specs).
# usage (repository root): bench/results/2026-12-06-NVIDIA_H100-validation-graph/refit.sh BUILD/fuseplan [SPEC_OUT]
set -eu
FP=${1:?usage: refit.sh FUSEPLAN [SPEC_OUT]}
SPEC=${2:-gpu_specs/h100_sxm_calibrated.json}
D=bench/results/2026-12-06-NVIDIA_H100-validation-graph
FP32="$D/val-mobilenet_v2-fp32-simt.json.gz $D/val-mnasnet_b1-fp32-simt.json.gz $D/val-mobilenet_v1-fp32-simt.json.gz
      $D/val-proxylessnas_gpu-fp32-simt.json.gz"
FP16="$D/val-mobilenet_v2-fp16-tc.json.gz $D/val-mnasnet_b1-fp16-tc.json.gz"
exec bench/validation/refit_offline.sh "$FP" "$D" "$SPEC" fp32 "$FP32" "$FP32 $FP16"
