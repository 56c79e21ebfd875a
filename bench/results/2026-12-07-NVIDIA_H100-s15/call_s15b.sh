# Fifteenth session, calls b and c: issue 12's full table (every shipped model x batch {1, 64} x {fp16, bf16,
# fp32 strict, TF32}) on main's kernels and plans (planned tiles, no --tune), the PyTorch peers in the same calls:
#   call b  stage torchvision (MobileNetV2, MnasNet-B1: fuseplan runs, then their peers)
#   call c  stage others (MobileNetV1, ProxylessNAS-GPU, Xception), then stage peers for them if 150 s are left
# both into $OUT/TAG/issue12 (call c's tarball holds only its own rows; the summary is made here from both).
#   sh bench/results/2026-12-07-NVIDIA_H100-s15/call_s15b.sh TAG STAGE      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
STAGE=${2:?stage: torchvision or others}
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
el built
if [ "$STAGE" = others ]; then
  FP_DEADLINE_S=$(( $(cl_left) - 120 )) FP_CALL_S=$(cl_left) sh bench/run_issue12.sh build-gpu "$R/issue12" others \
    2>&1 | tail -30
  el "others done"
  cl_pack
  if [ "$(cl_left)" -gt 150 ]; then
    FP_CALL_S=$(cl_left) sh bench/run_issue12.sh build-gpu "$R/issue12" peers 2>&1 | tail -10
  else
    el "no time left for the peers of the other models"
  fi
else
  FP_CALL_S=$(cl_left) sh bench/run_issue12.sh build-gpu "$R/issue12" torchvision 2>&1 | tail -30
fi
el end
cl_pack
