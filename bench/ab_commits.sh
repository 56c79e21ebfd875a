#!/bin/sh
# A/B of two fuseplan builds in one device call: the same models, batches and
# GPU spec through `fuseplan run`, the two builds alternating per (model,
# batch) so that clock or thermal drift hits both alike. Used to show that a
# restructure changes neither plans nor times (issue 11: within +-3%).
# usage: bench/ab_commits.sh BASE_FUSEPLAN NEW_FUSEPLAN OUTDIR [SPEC] [MODELS...]
# FP_BATCHES (default "1 64"), FP_ITERS (100), FP_RUN_ARGS: more `run` options
# for both sides (e.g. "--dtype fp16"), FP_AB_SAME_PLAN=0: a change of plan is
# reported but is no failure (an A/B of a kernel or cost-model change; by
# default a differing plan fails, as a restructure must not move plans).
# Writes OUTDIR/{base,new}/<model>_b<batch>.json and OUTDIR/summary.{md,json}
# (bench/compare_runs.py). FP_ENERGY=1: also the energy windows (default off).
# FP_SPEC_NEW: another GPU spec for the new side (an A/B of two specs with one build: pass the
# same fuseplan twice and FP_AB_SAME_PLAN=0).
set -u
BASE=${1:?usage: ab_commits.sh BASE_FUSEPLAN NEW_FUSEPLAN OUTDIR [SPEC] [MODELS...]}
NEW=${2:?}
OUTDIR=${3:?}
SPEC=${4:-h100_sxm_calibrated}
shift 3
[ $# -gt 0 ] && shift
MODELS=${*:-mobilenet_v2 mnasnet_b1}
mkdir -p "$OUTDIR/base" "$OUTDIR/new"
# Times only: no energy windows (3 x 5 s per run) when both builds know --no-energy; a
# build older than the option measures them, and then both do, so that the two sides
# heat the GPU alike. FP_ENERGY=1 measures them always.
energy=
if [ "${FP_ENERGY:-0}" != 1 ] && "$BASE" run --help 2>/dev/null | grep -q -- --no-energy &&
    "$NEW" run --help 2>/dev/null | grep -q -- --no-energy; then
    energy=--no-energy
fi
status=0
for m in $MODELS; do
    for b in ${FP_BATCHES:-1 64}; do
        for side in base new; do
            exe=$BASE spec=$SPEC
            [ $side = new ] && exe=$NEW spec=${FP_SPEC_NEW:-$SPEC}
            echo "== $side $m batch $b" >&2
            if ! "$exe" run "$m" --gpu "$spec" --batch "$b" --iters "${FP_ITERS:-100}" $energy ${FP_RUN_ARGS:-} \
                --report "$OUTDIR/$side/${m}_b$b.json" >"$OUTDIR/$side/${m}_b$b.txt" \
                2>"$OUTDIR/$side/${m}_b$b.err"; then
                status=1
                echo "FAILED: $side $m batch $b" >&2
                tail -3 "$OUTDIR/$side/${m}_b$b.err" >&2
            fi
        done
    done
done
python3 "$(dirname "$0")/compare_runs.py" "$OUTDIR/base" "$OUTDIR/new" "$OUTDIR/summary.json" \
    >"$OUTDIR/summary.md" || status=1
cat "$OUTDIR/summary.md"
exit $status
