# Thirteenth session, call d: the fp16 validate reports again on main's kernels (the permuted PW rows, the
# 128x128 chunk-64 and 32x160 PW rows), issue 13's figures recomputed offline from them (val16/refit.sh).
#   [FP_CASES="model:dtype:math ..."] [FP_CALL_S=470] sh bench/results/2026-12-07-NVIDIA_H100-s13/call_s13d.sh TAG
#   (carry [".carry", "build-calls"]; FP_CASES defaults to the four models in fp16 on tensor cores)
. bench/gpu_env.sh
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG; mkdir -p $R
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
T0=$(date +%s)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/setup.log 2>&1
FUSEPLAN_COMMIT=$(cat build-calls/MAIN_COMMIT) ninja -C build-gpu fuseplan >$R/build.log 2>&1 || { tail -20 $R/build.log; exit 1; }
echo "[$(( $(date +%s) - T0 )) s] built"
FP_DEADLINE_S=$(( ${FP_CALL_S:-470} - ($(date +%s) - T0) )) FP_TILES=4 FP_ITERS=10 sh bench/validate_h100.sh build-gpu $R \
  "${FP_CASES:-mobilenet_v2:fp16:tc mnasnet_b1:fp16:tc proxylessnas_gpu:fp16:tc mobilenet_v1:fp16:tc}"
for f in $R/val-*.json; do gzip -f $f; done
grep -h "kernels measured in" $R/val-*.txt
echo "[$(( $(date +%s) - T0 )) s] end"
pack
