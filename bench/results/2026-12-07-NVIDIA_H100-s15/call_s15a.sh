# Fifteenth session, call a: the plans of two model changes as whole models, one build of main, same call.
#   split: the split-warp rule (6e7191d; fourteenth session, measured per unit by `run --tune` only): plans of
#          6e7191d^ ("presplit") against main's ("new"), fp16 b64, MobileNetV2, MnasNet-B1, ProxylessNAS-GPU;
#   tie:   the SM-side tie-break (ea726e1, this session, chosen on the validate reports): plans of 0c49a11
#          ("head") against main's, strict fp32 b64, MobileNetV2 and MobileNetV1.
# Plans written on this machine by CPU builds of each commit (`fuseplan plan MODEL --gpu h100_sxm_calibrated
# --batch 64 ...`) into build-calls/s15plans/WHO-MODEL-bB-DTYPEMATH.json; each pair runs twice, the order
# alternating (A B, then B A), with main's kernels for both.
#   sh bench/results/2026-12-07-NVIDIA_H100-s15/call_s15a.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
el built
P=build-calls/s15plans
cp "$P"/*.json "$R/plans/"
for rep in 1 2; do
  for pair in presplit:mobilenet_v2-b64-fp16tc presplit:mnasnet_b1-b64-fp16tc presplit:proxylessnas_gpu-b64-fp16tc \
              head:mobilenet_v2-b64-fp32simt head:mobilenet_v1-b64-fp32simt; do
    a=${pair%%:*}; c=${pair#*:}
    if [ $rep = 1 ]; then order="$a new"; else order="new $a"; fi
    for who in $order; do
      [ "$(cl_left)" -gt 40 ] || { el "out of time before $who-$c-r$rep"; cl_pack; exit 0; }
      cl_run build-gpu/fuseplan "$who-$c-r$rep" "$P/$who-$c.json"
    done
  done
  cl_pack
done
el end
cl_pack
