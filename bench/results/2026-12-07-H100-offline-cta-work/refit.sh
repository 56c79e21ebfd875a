#!/bin/sh
# The offline re-analysis of the tenth session (no GPU; ~10 s): the committed H100 graph-replay reports of
# bench/results/2026-12-06-NVIDIA_H100-pw-k64/refit.sh (4 fp32 CUDA-core + 4 fp16 tensor-core reports, 5802
# kernels, 728 fusion decisions) with the model and validate of main with cta_work.patch (here) applied, whose change
# from the ninth session's
# (../2026-12-07-H100-offline-window) is the per-CTA work term of the serial chain (cta_work_us and
# CM_SERIAL_ITER_NET_OF_WORK, costmodel/costmodel.c; docs/costmodel.md "Serial chain"). Writes calibrate*.txt and
# validation_summary*.json here and the spec the fit gives to h100_sxm_refit_not_shipped.json (not gpu_specs/: its
# fusion margin is not measured on a GPU yet; docs/validation.md 4.3).
# usage (repository root): bench/results/2026-12-07-H100-offline-cta-work/refit.sh BUILD/fuseplan
set -eu
D=bench/results/2026-12-07-H100-offline-cta-work
K=bench/results/2026-12-06-NVIDIA_H100-pw-k64
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
FP32="$G/val-mobilenet_v2-fp32-simt.json.gz $G/val-mnasnet_b1-fp32-simt.json.gz $G/val-mobilenet_v1-fp32-simt.json.gz
      $G/val-proxylessnas_gpu-fp32-simt.json.gz"
FP16="$K/val/val-mobilenet_v2-fp16-tc.json.gz $K/val/val-mnasnet_b1-fp16-tc.json.gz $K/val/val-mobilenet_v1-fp16-tc.json.gz
      $K/val/val-proxylessnas_gpu-fp16-tc.json.gz"
exec bench/validation/refit_offline.sh "${1:?usage: refit.sh FUSEPLAN}" "$D" "$D/h100_sxm_refit_not_shipped.json" fp16 \
    "$FP16" "$FP32 $FP16"
