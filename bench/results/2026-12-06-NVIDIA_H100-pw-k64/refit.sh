#!/bin/sh
# The offline analysis (no GPU; ~10 s): the fp32 graph-replay reports of
# 2026-12-06-NVIDIA_H100-validation-graph (CUDA cores; kernels unchanged since)
# with this directory's fp16 reports (val/: tensor cores, measured on the
# kernels of the pw-k64 tree, commit aa5b22c's kernels), fitted together per (kind, math): held-out figures,
# validation_summary.json, calibrate.txt here and the shipped
# gpu_specs/h100_sxm_calibrated.json; the fp16 reports alone: calibrate-fp16.txt,
# validation_summary_fp16.json (bench/validation/refit_offline.sh).
# usage (repository root): bench/results/2026-12-06-NVIDIA_H100-pw-k64/refit.sh BUILD/fuseplan [SPEC_OUT]
set -eu
D=bench/results/2026-12-06-NVIDIA_H100-pw-k64
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
FP32="$G/val-mobilenet_v2-fp32-simt.json.gz $G/val-mnasnet_b1-fp32-simt.json.gz $G/val-mobilenet_v1-fp32-simt.json.gz
      $G/val-proxylessnas_gpu-fp32-simt.json.gz"
FP16="$D/val/val-mobilenet_v2-fp16-tc.json.gz $D/val/val-mnasnet_b1-fp16-tc.json.gz $D/val/val-mobilenet_v1-fp16-tc.json.gz
      $D/val/val-proxylessnas_gpu-fp16-tc.json.gz"
exec bench/validation/refit_offline.sh "${1:?usage: refit.sh FUSEPLAN [SPEC_OUT]}" "$D" \
    "${2:-gpu_specs/h100_sxm_calibrated.json}" fp16 "$FP16" "$FP32 $FP16"
