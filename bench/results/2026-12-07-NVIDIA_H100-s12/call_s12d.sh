# Twelfth session: the dominated-tile rule (cm_tile_dominates; branch dominated-tiles) changes the shipped H100
# plans only at batch 1 in fp32 (DW and PW tiles on 7x7 maps); base = main (build-calls/head-src, `git archive main`
# with .carry and COMMIT), new = the branch, same spec, plans allowed to differ, whole models in CUDA graphs.
#   sh bench/results/2026-12-07-NVIDIA_H100-s12/call_s12d.sh TAG      (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG; mkdir -p $R/logs
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
(cd build-calls/head-src && meson setup ../../build-head -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(FUSEPLAN_COMMIT=$(cat build-calls/head-src/COMMIT) ninja -C build-head fuseplan >$R/logs/build-head.log 2>&1; echo "head build $?") &
FUSEPLAN_COMMIT=dominated-tiles ninja -C build-gpu fuseplan >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; el built
for math in simt tc; do
  FP_AB_SAME_PLAN=0 FP_BATCHES=1 FP_ITERS=100 FP_RUN_ARGS="--dtype fp32 --math $math" timeout 200 \
    sh bench/ab_commits.sh build-head/fuseplan build-gpu/fuseplan $R/dominance-b1-fp32-$math h100_sxm_calibrated \
    mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu >$R/logs/dominance-$math.log 2>&1
  el "$math: $(grep -E '^\| [a-z]' $R/dominance-b1-fp32-$math/summary.md | cut -d'|' -f2,3,5-7 | tr '\n' ';')"
  pack
done
el end
