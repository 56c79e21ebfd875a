#!/bin/sh
# Re-analyses the 2026-11-22 H100 validation reports with the cost model of
# this tree (no GPU; any build of fuseplan with the validate command).
# usage (repository root): bench/results/2026-12-06-H100-heldout-offline/run.sh BUILD/fuseplan [OUT]
set -eu
FP=${1:?usage: run.sh FUSEPLAN [OUT]}
OUT=${2:-bench/results/2026-12-06-H100-heldout-offline}
R=bench/results/2026-11-22-NVIDIA_H100-validation
REPORTS="$R/validation-h100_sxm.json.gz $R/validation-h100_sxm_calibrated.json.gz"
# the spec as given (datasheet h100_sxm): estimates against the measurements
"$FP" validate --from $REPORTS --gpu h100_sxm >"$OUT/validate-h100_sxm.txt"
# the calibration: in-sample, held out (leave one model out, cross batch),
# the two-parameter baseline, the headline summary
"$FP" validate --from $REPORTS --gpu h100_sxm --calibrate -o "$OUT/h100_sxm_refit.json" \
    --summary "$OUT/validation_summary.json" >"$OUT/calibrate-h100_sxm.txt"
grep -A11 '^held out' "$OUT/calibrate-h100_sxm.txt"
