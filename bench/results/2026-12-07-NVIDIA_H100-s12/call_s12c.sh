# Twelfth session, last call: the plans of the fit on this session's fp16 reports (val16/h100_sxm_refit_not_shipped.json,
# fusion margin 0.15) against the shipped h100_sxm_calibrated's (0.28), on the 23 (model, batch, precision) cases
# whose plans differ; one build of main, whole models in CUDA graphs.
#   sh bench/results/2026-12-07-NVIDIA_H100-s12/call_s12c.sh TAG      (carry [".carry"])
. bench/gpu_env.sh
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG; mkdir -p $R/logs
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
ninja -C build-gpu fuseplan >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
el built
NEW=bench/results/2026-12-07-NVIDIA_H100-s12/val16/h100_sxm_refit_not_shipped.json
for c in "fp16 tc 1:mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu xception" "bf16 tc 1:mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu xception" \
         "fp32 simt 1:mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu" "fp32 tc 1:mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu" \
         "fp32 simt 64:mobilenet_v2 proxylessnas_gpu" "fp32 tc 64:mobilenet_v2" "fp16 tc 64:proxylessnas_gpu" "bf16 tc 64:proxylessnas_gpu"; do
  prec=${c%%:*}; models=${c#*:}; set -- $prec
  FP_SPEC_NEW=$NEW FP_AB_SAME_PLAN=0 FP_BATCHES=$3 FP_ITERS=50 FP_RUN_ARGS="--dtype $1 --math $2" timeout 150 \
    sh bench/ab_commits.sh build-gpu/fuseplan build-gpu/fuseplan $R/spec015-b$3-$1-$2 h100_sxm_calibrated $models >$R/logs/spec015-b$3-$1-$2.log 2>&1
  el "$prec: $(grep -E '^\| [a-z]' $R/spec015-b$3-$1-$2/summary.md | cut -d'|' -f2,3,5-7 | tr '\n' ';')"
  pack
done
el end
