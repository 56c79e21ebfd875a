#!/bin/sh
# A/B of the shared-memory row unit (costmodel/cm_smem_layout.h, CM_SMEM_ROW_UNIT):
# 16-byte (build-gpu) against 32-byte (build-ab) odd row strides, MobileNetV2 b1/b64
# validated on both; docs/validation.md. usage (GPU machine): bench/validation/ab_smem_rows.sh
. bench/gpu_env.sh
set -u
([ -d build-gpu ] || meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled -Dcupti=enabled --buildtype=release >/dev/null 2>&1)
([ -d build-ab ] || meson setup build-ab -Dcuda=enabled -Dcudnn=enabled -Dcupti=enabled --buildtype=release -Dc_args=-DCM_SMEM_ROW_UNIT=8 -Dcuda_args=-DCM_SMEM_ROW_UNIT=8 >/dev/null 2>&1)
(ninja -C build-gpu >/tmp/b1.log 2>&1 || tail -20 /tmp/b1.log) &
(ninja -C build-ab >/tmp/b2.log 2>&1 || tail -20 /tmp/b2.log) &
wait
FK_TEST_QUICK=1 timeout 200 build-ab/tests/kernels/test_kernels > $OUT/ab_kernels.log 2>&1; echo "test_kernels (U=8) exit $?"; tail -2 $OUT/ab_kernels.log
for B in build-gpu build-ab; do
  timeout 120 $B/fuseplan validate mobilenet_v2 --gpu h200 --batch 1,64 --tiles 6 --report $OUT/$B.json > $OUT/$B.txt 2>$OUT/$B.err; echo "$B validate exit $?"
  grep -A5 "^all cases" $OUT/$B.txt
done
