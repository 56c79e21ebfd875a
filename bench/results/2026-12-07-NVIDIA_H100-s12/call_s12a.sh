# Twelfth session, first call: the tf32-smem-round branch (call_tf32_round.sh's checks and A/B), then
# the refit spec's batch-1 plans not measured in the eleventh session (base = the old spec 0c23ada,
# build-calls/old_spec.json; new = the shipped refit), both on main's build.
#   sh bench/kernels/call_s12a.sh TAG     (carry [".carry", "build-calls"])
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG
sh bench/kernels/call_tf32_round.sh $TAG
T0=$(date +%s); el() { echo "[refit $(( $(date +%s) - T0 )) s] $*"; }
. bench/gpu_env.sh
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
for c in "fp16 tc:mobilenet_v1 proxylessnas_gpu xception" "bf16 tc:mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu xception" \
         "fp32 simt:mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu" "fp32 tc:mobilenet_v1 mobilenet_v2 mnasnet_b1 proxylessnas_gpu"; do
  prec=${c%%:*}; models=${c#*:}; set -- $prec
  FP_SPEC_NEW=h100_sxm_calibrated FP_AB_SAME_PLAN=0 FP_BATCHES=1 FP_ITERS=50 FP_RUN_ARGS="--dtype $1 --math $2" timeout 150 \
    sh bench/ab_commits.sh build-head/fuseplan build-head/fuseplan $R/refit-b1-$1-$2 build-calls/old_spec.json $models >$R/logs/refit-$1-$2.log 2>&1
  el "$prec: $(grep -E '^\| [a-z]' $R/refit-b1-$1-$2/summary.md | cut -d'|' -f2,3,5-7 | tr '\n' ';')"
  pack
done
el end
