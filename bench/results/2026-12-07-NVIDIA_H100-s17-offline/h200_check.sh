#!/bin/sh
# The same method on other measurements: the H200's fp32 validate report of 2026-11-22 (event timing, the kernels of
# that day), held out, by each given fuseplan (the model before this session's changes, after the first, after both).
# usage (repository root): bench/results/2026-12-07-NVIDIA_H100-s17-offline/h200_check.sh FUSEPLAN...
set -eu
H=bench/results/2026-11-22-NVIDIA_H200-validation/validation-h200_calibrated.json.gz
FIT=$(mktemp "${TMPDIR:-/tmp}/fp_h200.XXXXXX")
trap 'rm -f "$FIT"' EXIT
for fp in "$@"; do
    echo "== $("$fp" --version | head -1)"
    "$fp" validate --from "$H" --gpu h200 --calibrate -o "$FIT" | grep -E '^  (split|in-sample|leave one|never fitted|HELD OUT|cross batch)|in_plan'
done
