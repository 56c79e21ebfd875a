#!/bin/sh
# Issue 13's measurements: `fuseplan validate` (graph-replay timing, CUPTI
# counters) over the given cases, one report per (model, dtype), each case
# bounded so the call ends before the device tool's 10 minutes. The figures
# (in-sample, held out, baselines) are computed afterwards with no GPU:
#   fuseplan validate --from OUTDIR/val-*.json --gpu h100_sxm --calibrate ...
# usage (repository root, GPU machine, after `. bench/gpu_env.sh`):
#   bench/validate_h100.sh BUILD OUTDIR "model:dtype:math ..."   (math simt or tc)
# Environment: FP_TILES (default 4), FP_ITERS (10), FP_BATCHES (1,64),
# FP_DEADLINE_S (starts no case after this many seconds, default 540),
# FP_SPEC (h100_sxm: the datasheet spec; the fit is done offline).
set -u
B=${1:?usage: validate_h100.sh BUILD OUTDIR CASES}
OUTDIR=${2:?usage}
CASES=${3:?usage}
mkdir -p "$OUTDIR"
T0=$(date +%s)
[ -f "$B/build.ninja" ] || meson setup "$B" -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$OUTDIR/setup.log" 2>&1
ninja -C "$B" fuseplan >"$OUTDIR/build.log" 2>&1 || { tail -30 "$OUTDIR/build.log"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader >"$OUTDIR/device.txt"
status=0
for c in $CASES; do
    m=${c%%:*}; r=${c#*:}; dt=${r%%:*}; mth=${r#*:}
    left=$(( ${FP_DEADLINE_S:-540} - ($(date +%s) - T0) ))
    if [ "$left" -lt 20 ]; then echo "SKIPPED (deadline): $c"; status=1; continue; fi
    s0=$(date +%s)
    timeout "$left" "$B/fuseplan" validate "$m" --gpu "${FP_SPEC:-h100_sxm}" --dtype "$dt" --math "$mth" \
        --batch "${FP_BATCHES:-1,64}" --tiles "${FP_TILES:-4}" --iters "${FP_ITERS:-10}" --quiet \
        --report "$OUTDIR/val-$m-$dt-$mth.json" >"$OUTDIR/val-$m-$dt-$mth.txt" 2>"$OUTDIR/val-$m-$dt-$mth.err"
    rc=$?
    [ $rc -eq 0 ] || status=1
    echo "$c: exit $rc in $(( $(date +%s) - s0 )) s; $(grep -E 'outputs checked' "$OUTDIR/val-$m-$dt-$mth.txt" | head -1)"
done
exit $status
