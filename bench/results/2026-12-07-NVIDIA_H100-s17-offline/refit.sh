#!/bin/sh
# The offline analysis (no GPU) of the fourteenth session's fp16 validate reports (s14a/val16) with the fp32
# graph-replay reports of 2026-12-06, re-analysed with the seventeenth session's model (the fp32 PWDWPW kernel
# reaches its SM rate at 4 warps, costmodel.c CM_WARPS_SAT_PWDWPW_SIMT): held-out figures, calibrate*.txt and
# validation_summary*.json here; the fitted spec goes to h100_sxm_refit_not_shipped.json here, not to gpu_specs/;
# lrc_share_fit.txt: bench/validation/lrc_share_fit.py on the same reports (as the fifteenth session's offline/).
# usage (repository root): bench/results/2026-12-07-NVIDIA_H100-s17-offline/refit.sh BUILD/fuseplan
set -eu
# the fifteenth session's analysis of the same reports, written here
exec sh bench/results/2026-12-07-NVIDIA_H100-s15/offline/refit.sh "${1:?usage: refit.sh FUSEPLAN}" \
    bench/results/2026-12-07-NVIDIA_H100-s17-offline
