#!/bin/sh
# The eighteenth session's model change (a DW tile's channel slices read from DRAM in 64-byte granules,
# docs/costmodel.md 3) judged offline on the committed H100 validate reports (fp32 graph replay of 2026-12-06, fp16
# of s14a), as the seventeenth session's analysis: held-out figures, calibrate*.txt, validation_summary*.json here.
# usage (repository root): bench/results/2026-12-07-NVIDIA_H100-s18/offline-granule/refit.sh BUILD/fuseplan
set -eu
exec sh bench/results/2026-12-07-NVIDIA_H100-s15/offline/refit.sh "${1:?usage: refit.sh FUSEPLAN}" \
    bench/results/2026-12-07-NVIDIA_H100-s18/offline-granule
