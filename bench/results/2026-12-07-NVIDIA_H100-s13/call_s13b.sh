# Thirteenth session, call b: issue 12's rows of MobileNetV2 and MnasNet-B1 (batch 1 and 64 x fp16, bf16,
# fp32 strict, TF32, with the PyTorch peers in the same call: bench/run_issue12.sh torchvision) on main with
# the permuted PW rows and the 128x128 chunk-64 PW rows.
#   sh bench/results/2026-12-07-NVIDIA_H100-s13/call_s13b.sh TAG      (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG; mkdir -p $R/logs
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
C=$(cat build-calls/MAIN_COMMIT)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
FUSEPLAN_COMMIT=$C ninja -C build-gpu fuseplan >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
el built
FUSEPLAN_COMMIT=$C FP_CALL_S=$(( 555 - ($(date +%s) - T0) )) sh bench/run_issue12.sh build-gpu $R/issue12 torchvision >$R/logs/issue12.log 2>&1
grep -E "^ok|FAILED|SKIPPED|skipped" $R/logs/issue12.log | cut -c1-150
el end
pack
