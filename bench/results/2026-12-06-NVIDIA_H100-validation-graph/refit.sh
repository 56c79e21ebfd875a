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
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fp_refit.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# fp32 alone: the figures comparable with the fp32-only analyses before
# per-(kind, math) efficiencies (its spec is not kept)
"$FP" validate --from $FP32 --gpu h100_sxm --calibrate -o "$TMP/fp32.json" \
    --summary "$D/validation_summary_fp32.json" >"$D/calibrate-fp32.txt"
# fp32 and fp16 together: the shipped spec and the headline summary
"$FP" validate --from $FP32 $FP16 --gpu h100_sxm --calibrate -o "$TMP/all.json" \
    --summary "$D/validation_summary.json" >"$D/calibrate.txt"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], 'w').write(json.dumps(d, indent=2, ensure_ascii=False) + '\n')" "$TMP/all.json" "$SPEC"
"$FP" check "$SPEC" >/dev/null
# the texts name the files kept, not the temporary ones
sed -i "s|$TMP/all.json|$SPEC|g" "$D/calibrate.txt"
sed -i "s|^wrote $TMP/fp32.json.*|(the fp32-only fit's spec is not kept)|" "$D/calibrate-fp32.txt"
grep -A11 '^held out' "$D/calibrate.txt"
