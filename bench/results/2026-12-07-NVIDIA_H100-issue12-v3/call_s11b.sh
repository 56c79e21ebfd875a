# Session 11's second call (machine warm, build-gpu of call_s11.sh kept): issue 12's rows of the
# models without a torchvision twin (run_issue12.sh others, then peers), then Nsight Compute's
# per-instruction tables of the TF32 PWDWPW units and the 16-bit DW units of MobileNetV2 b64.
#   CALL_S=400 sh bench/kernels/call_s11b.sh TAG       (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
CALL_S=${CALL_S:-400}
: "${OUT:?OUT: the device tool's output folder}"
R=$OUT/$TAG; mkdir -p $R/logs
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
NEW_C=$(cat build-calls/NEW_COMMIT)
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
FUSEPLAN_COMMIT=$NEW_C FP_CALL_S=200 FP_DEADLINE_S=170 sh bench/run_issue12.sh build-gpu $R/issue12 others >$R/logs/others.log 2>&1
grep -E "^ok|FAILED|SKIPPED" $R/logs/others.log | cut -c1-140; el others; pack
left=$(( CALL_S - ($(date +%s) - T0) - 90 ))
FP_CALL_S=$left PEER_COMPILE=fp16 sh bench/run_issue12.sh build-gpu $R/issue12 peers >$R/logs/peers.log 2>&1
tail -5 $R/logs/peers.log; el peers; pack
if [ $(( $(date +%s) - T0 )) -lt $(( CALL_S - 80 )) ]; then
  NCU_SOURCE=1 NCU_TIMEOUT=70 NCU_REGEX="^pwdwpw_tc_kernel" NCU_COUNT=2 \
    sh bench/kernels/ncu_units.sh build-gpu $R/ncu-tf32 mobilenet_v2 64 fp32 tf32
  gzip -f $R/ncu-tf32/ncu_units.txt; el "ncu tf32"; pack
fi
if [ $(( $(date +%s) - T0 )) -lt $(( CALL_S - 75 )) ]; then
  NCU_SOURCE=1 NCU_TIMEOUT=70 NCU_REGEX="^dw16_kernel" NCU_COUNT=2 \
    sh bench/kernels/ncu_units.sh build-gpu $R/ncu-dw16 mobilenet_v2 64 fp16
  gzip -f $R/ncu-dw16/ncu_units.txt; el "ncu dw16"; pack
fi
el end
