#!/bin/sh
# The offline re-analysis of the ninth session (no GPU; ~10 s): the committed H100 graph-replay reports of
# bench/results/2026-12-06-NVIDIA_H100-pw-k64/refit.sh (4 fp32 CUDA-core + 4 fp16 tensor-core reports, 5802
# kernels, 728 fusion decisions) with the model and validate of this tree, whose change from the eighth session's
# (../2026-12-07-H100-offline-split) is the channel-pass re-read window counting the bytes written between two
# passes twice (CM_WINDOW_WRITE_WEIGHT, costmodel/costmodel.c; docs/costmodel.md section 3). Writes
# calibrate*.txt and validation_summary*.json here and the spec the fit gives to h100_sxm_refit_not_shipped.json
# (not gpu_specs/: its fusion margin, 0.28, is not measured on a GPU yet; docs/validation.md 4.3).
# usage (repository root): bench/results/2026-12-07-H100-offline-window/refit.sh BUILD/fuseplan
set -eu
D=bench/results/2026-12-07-H100-offline-window
K=bench/results/2026-12-06-NVIDIA_H100-pw-k64
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
FP32="$G/val-mobilenet_v2-fp32-simt.json.gz $G/val-mnasnet_b1-fp32-simt.json.gz $G/val-mobilenet_v1-fp32-simt.json.gz
      $G/val-proxylessnas_gpu-fp32-simt.json.gz"
FP16="$K/val/val-mobilenet_v2-fp16-tc.json.gz $K/val/val-mnasnet_b1-fp16-tc.json.gz $K/val/val-mobilenet_v1-fp16-tc.json.gz
      $K/val/val-proxylessnas_gpu-fp16-tc.json.gz"
exec bench/validation/refit_offline.sh "${1:?usage: refit.sh FUSEPLAN}" "$D" "$D/h100_sxm_refit_not_shipped.json" fp16 \
    "$FP16" "$FP32 $FP16"
