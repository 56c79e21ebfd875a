# Thirteenth session, call e (what the device time left allows of call d): fp16 validate reports of MobileNetV2
# and MnasNet-B1 (batch 1 and 64, 3 tiles a unit) on main's kernels, for the PW tensor-core L2 counters.
#   sh bench/results/2026-12-07-NVIDIA_H100-s13/call_s13e.sh TAG      (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG; mkdir -p $R
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
T0=$(date +%s)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/setup.log 2>&1
FUSEPLAN_COMMIT=$(cat build-calls/MAIN_COMMIT) ninja -C build-gpu fuseplan >$R/build.log 2>&1 || { tail -20 $R/build.log; exit 1; }
echo "[$(( $(date +%s) - T0 )) s] built"
FP_DEADLINE_S=$(( 190 - ($(date +%s) - T0) )) FP_TILES=3 FP_ITERS=10 sh bench/validate_h100.sh build-gpu $R \
  "mobilenet_v2:fp16:tc mnasnet_b1:fp16:tc"
for f in $R/val-*.json; do gzip -f $f; done
grep -h "kernels measured in" $R/val-*.txt
echo "[$(( $(date +%s) - T0 )) s] end"
pack
