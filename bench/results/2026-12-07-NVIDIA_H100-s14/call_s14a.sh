# Fourteenth session, call a: the fp16 validate reports on main's kernels (the permuted PW rows, the 128x128
# chunk-64 and 32x160 PW rows of the thirteenth session), for issue 13's figures (offline: val16/refit.sh here).
#   sh bench/results/2026-12-07-NVIDIA_H100-s14/call_s14a.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
el built
DEADLINE_S=${DEADLINE_S:-575}
FP_DEADLINE_S=$(cl_left) FP_TILES=4 FP_ITERS=10 sh bench/validate_h100.sh build-gpu "$R/val16" \
  "${FP_CASES:-mobilenet_v2:fp16:tc mnasnet_b1:fp16:tc mobilenet_v1:fp16:tc proxylessnas_gpu:fp16:tc}"
for f in "$R"/val16/val-*.json; do gzip -f "$f"; done
grep -h "kernels measured in" "$R"/val16/val-*.txt
el end
cl_pack
