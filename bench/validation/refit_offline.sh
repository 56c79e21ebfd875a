#!/bin/sh
# The offline analysis of committed `fuseplan validate` reports (no GPU; any
# build of fuseplan with the validate command, CPU-only builds included):
#   - a subset of the reports alone: held-out figures in OUTDIR/calibrate-NAME.txt
#     and OUTDIR/validation_summary_NAME.json (its fitted spec is not kept);
#   - all the reports together, per (kind, math): OUTDIR/calibrate.txt,
#     OUTDIR/validation_summary.json and the fitted spec SPEC_OUT (re-indented
#     with two spaces like the other shipped specs).
# usage: bench/validation/refit_offline.sh FUSEPLAN OUTDIR SPEC_OUT NAME "SUBSET_REPORTS" "ALL_REPORTS"
# (each results folder's refit.sh calls it with its reports)
set -eu
FP=${1:?usage: refit_offline.sh FUSEPLAN OUTDIR SPEC_OUT NAME SUBSET_REPORTS ALL_REPORTS}
D=${2:?}
SPEC=${3:?}
NAME=${4:?}
SUBSET=${5:?}
ALL=${6:?}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fp_refit.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
"$FP" validate --from $SUBSET --gpu h100_sxm --calibrate -o "$TMP/$NAME.json" \
    --summary "$D/validation_summary_$NAME.json" >"$D/calibrate-$NAME.txt"
"$FP" validate --from $ALL --gpu h100_sxm --calibrate -o "$TMP/all.json" \
    --summary "$D/validation_summary.json" >"$D/calibrate.txt"
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], 'w').write(json.dumps(d, indent=2, ensure_ascii=False) + '\n')" "$TMP/all.json" "$SPEC"
"$FP" check "$SPEC" >/dev/null
# the texts name the files kept, not the temporary ones
sed -i "s|$TMP/all.json|$SPEC|g" "$D/calibrate.txt"
sed -i "s|^wrote $TMP/$NAME.json.*|(the $NAME-only fit's spec is not kept)|" "$D/calibrate-$NAME.txt"
grep -A11 '^held out' "$D/calibrate.txt"
