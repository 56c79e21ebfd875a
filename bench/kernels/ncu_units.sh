#!/bin/sh
# Nsight Compute on the tensor-core units of one fuseplan run, to see why the
# 16-bit PW and fused units sit at 2-30 % of their byte floor (bench/kernels/
# NOTES.md): the first NCU_COUNT (default 40) launches of the kernels whose
# function name matches NCU_REGEX (default the PW, DWPW, PWDW and
# PWDWPW tensor-core kernels; not the stem conv, which `run` times many times
# while choosing its path) in `fuseplan run MODEL` (its per-unit checks
# launch each unit once, in plan order, before any timing), `--set full`, one
# ncu session (the run itself takes most of the time).
# Text details go to OUTDIR/ncu_units.txt.
# usage (GPU machine, after . bench/gpu_env.sh):
#   bench/kernels/ncu_units.sh BUILD OUTDIR [MODEL] [BATCH] [DTYPE]
set -u
B=${1:?usage: ncu_units.sh BUILD OUTDIR [MODEL] [BATCH] [DTYPE]}
OUTDIR=${2:?usage}
MODEL=${3:-mobilenet_v2}
BATCH=${4:-64}
DT=${5:-fp16}
mkdir -p "$OUTDIR"
timeout "${NCU_TIMEOUT:-240}" ncu --set full \
    -k "regex:${NCU_REGEX:-^(pw_tc|pwdw_tc|dwpw_tc|pwdwpw_tc)_kernel}" -c "${NCU_COUNT:-40}" \
    "$B/fuseplan" run "$MODEL" --gpu h100_sxm_calibrated --batch "$BATCH" --dtype "$DT" --iters 50 --no-energy \
    >"$OUTDIR/ncu_units.txt" 2>&1
echo "ncu: exit $? ($(grep -c 'Duration' "$OUTDIR/ncu_units.txt") kernels profiled)"
