# Fourteenth session, call d: issue 12's table for the two torchvision models in fp16 and TF32 with `run --tune 8`
# (the fastest measured of the model's 8 best tiles per unit, fused and unfused plans), the PyTorch peers in the
# same call (bench/run_issue12.sh, stage torchvision).
#   sh bench/results/2026-12-07-NVIDIA_H100-s14/call_s14d.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
el built
FP_TUNE=8 FP_PRECISIONS="fp16:tc fp32:tc" FP_CALL_S=$(cl_left) sh bench/run_issue12.sh build-gpu "$R/issue12" torchvision \
  2>&1 | tail -30
python3 bench/peers/issue12_summary.py "$R/issue12" "$(cat build-calls/MAIN_COMMIT)" >/dev/null
el end
cl_pack
