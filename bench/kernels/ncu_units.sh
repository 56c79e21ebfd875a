#!/bin/sh
# Nsight Compute on the tensor-core units of one fuseplan run, to see why the
# 16-bit PW and fused units sit at 2-30 % of their byte floor (bench/kernels/
# NOTES.md): the first NCU_COUNT (default 40) launches of the kernels whose
# function name matches NCU_REGEX (default the PW, DWPW, PWDW and
# PWDWPW tensor-core kernels; not the stem conv, which `run` times many times
# while choosing its path) in `fuseplan run MODEL` (its per-unit checks
# launch each unit once, in plan order, before any timing), `--set full`, one
# ncu session (the run itself takes most of the time).
# Text details go to OUTDIR/ncu_units.txt; NCU_SOURCE=1 also keeps the
# per-instruction table (SASS with executed counts and stall samples) as
# OUTDIR/source.csv.gz, exported from a saved report that is then removed.
# usage (GPU machine, after . bench/gpu_env.sh):
#   bench/kernels/ncu_units.sh BUILD OUTDIR [MODEL] [BATCH] [DTYPE] [MATH]
# MATH (strict, tf32) is passed as --math when given (fp32 on tensor cores: tf32).
set -u
B=${1:?usage: ncu_units.sh BUILD OUTDIR [MODEL] [BATCH] [DTYPE] [MATH]}
OUTDIR=${2:?usage}
MODEL=${3:-mobilenet_v2}
BATCH=${4:-64}
DT=${5:-fp16}
math=
[ -n "${6:-}" ] && math="--math $6"
mkdir -p "$OUTDIR"
save=
[ "${NCU_SOURCE:-0}" = 1 ] && save="-o $OUTDIR/prof"
timeout "${NCU_TIMEOUT:-240}" ncu --set full $save \
    -k "regex:${NCU_REGEX:-^(pw_tc|pwdw_tc|dwpw_tc|pwdwpw_tc)_kernel}" -c "${NCU_COUNT:-40}" \
    "$B/fuseplan" run "$MODEL" --gpu h100_sxm_calibrated --batch "$BATCH" --dtype "$DT" $math --iters 50 --no-energy \
    >"$OUTDIR/ncu_run.txt" 2>&1
rc=$?
if [ -n "$save" ]; then
    timeout 40 ncu -i "$OUTDIR/prof.ncu-rep" --page details >"$OUTDIR/ncu_units.txt" 2>&1
    timeout 60 ncu -i "$OUTDIR/prof.ncu-rep" --page source --csv --print-source sass \
        >"$OUTDIR/source.csv" 2>"$OUTDIR/source.err"
    gzip -f "$OUTDIR/source.csv"
    rm -f "$OUTDIR/prof.ncu-rep"
else
    mv "$OUTDIR/ncu_run.txt" "$OUTDIR/ncu_units.txt"
fi
echo "ncu: exit $rc ($(grep -c 'Duration' "$OUTDIR/ncu_units.txt") kernels profiled)"
