#!/bin/sh
# The offline analysis (no GPU; any build of fuseplan with the validate
# command, CPU-only builds included; ~10 s): the fp32 graph-replay reports of
# 2026-12-06-NVIDIA_H100-validation-graph (CUDA cores; kernels unchanged since)
# with this directory's fp16 reports (tensor cores, measured on the kernels of
# commit ed17653: the DW of the fused 16-bit kinds on tensor cores), fitted
# together with per-(kind, math) efficiencies:
#   - held-out figures, validation_summary.json, calibrate.txt here;
#   - the shipped calibrated spec gpu_specs/h100_sxm_calibrated.json
#     (re-indented with two spaces like the other shipped specs).
# usage (repository root): bench/results/2026-12-06-NVIDIA_H100-validation-fp16/refit.sh BUILD/fuseplan [SPEC_OUT]
set -eu
FP=${1:?usage: refit.sh FUSEPLAN [SPEC_OUT]}
SPEC=${2:-gpu_specs/h100_sxm_calibrated.json}
D=bench/results/2026-12-06-NVIDIA_H100-validation-fp16
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
FP32="$G/val-mobilenet_v2-fp32-simt.json.gz $G/val-mnasnet_b1-fp32-simt.json.gz $G/val-mobilenet_v1-fp32-simt.json.gz
      $G/val-proxylessnas_gpu-fp32-simt.json.gz"
FP16="$D/val-mobilenet_v2-fp16-tc.json.gz $D/val-mnasnet_b1-fp16-tc.json.gz $D/val-mobilenet_v1-fp16-tc.json.gz
      $D/val-proxylessnas_gpu-fp16-tc.json.gz"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fp_refit.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# fp16 alone: the tensor-core kernels' own figures (its spec is not kept)
"$FP" validate --from $FP16 --gpu h100_sxm --calibrate -o "$TMP/fp16.json" \
    --summary "$D/validation_summary_fp16.json" >"$D/calibrate-fp16.txt"
# fp32 and fp16 together: the shipped spec and the headline summary
"$FP" validate --from $FP32 $FP16 --gpu h100_sxm --calibrate -o "$TMP/all.json" \
    --summary "$D/validation_summary.json" >"$D/calibrate.txt"
/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], 'w').write(json.dumps(d, indent=2, ensure_ascii=False) + '\n')" "$TMP/all.json" "$SPEC"
"$FP" check "$SPEC" >/dev/null
# the texts name the files kept, not the temporary ones
sed -i "s|$TMP/all.json|$SPEC|g" "$D/calibrate.txt"
sed -i "s|^wrote $TMP/fp16.json.*|(the fp16-only fit's spec is not kept)|" "$D/calibrate-fp16.txt"
grep -A11 '^held out' "$D/calibrate.txt"
