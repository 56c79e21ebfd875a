#!/bin/sh
# The offline analysis (no GPU) of call a's fp16 validate reports (tensor cores, main at 4fb29cc: the kernels of the
# thirteenth session, permuted PW rows, 128x128 chunk-64 and 32x160 PW rows) with the fp32 graph-replay reports of
# 2026-12-06-NVIDIA_H100-validation-graph (CUDA-core kernels, unchanged since), fitted together per (kind, math):
# held-out figures, calibrate*.txt and validation_summary*.json here; the fitted spec goes to
# h100_sxm_refit_not_shipped.json here, not to gpu_specs/ (../../README.md).
# usage (repository root): bench/results/2026-12-07-NVIDIA_H100-s14/s14a/val16/refit.sh BUILD/fuseplan
set -eu
D=bench/results/2026-12-07-NVIDIA_H100-s14/s14a/val16
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
FP32="$G/val-mobilenet_v2-fp32-simt.json.gz $G/val-mnasnet_b1-fp32-simt.json.gz $G/val-mobilenet_v1-fp32-simt.json.gz
      $G/val-proxylessnas_gpu-fp32-simt.json.gz"
FP16="$D/val-mobilenet_v2-fp16-tc.json.gz $D/val-mnasnet_b1-fp16-tc.json.gz $D/val-mobilenet_v1-fp16-tc.json.gz
      $D/val-proxylessnas_gpu-fp16-tc.json.gz"
exec bench/validation/refit_offline.sh "${1:?usage: refit.sh FUSEPLAN}" "$D" "$D/h100_sxm_refit_not_shipped.json" fp16 \
    "$FP16" "$FP32 $FP16"
