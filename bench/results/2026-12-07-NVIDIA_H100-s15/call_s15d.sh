# Fifteenth session, call d: the plans of the PWDWPW tensor-core tile overhead (CM_PWDWPW_TC_TILE_KSTEPS, with the
# shipped spec's compute_efficiency.pwdwpw.tc refitted 0.1812 -> 0.2686) against main's before it, fp16, the five
# cases whose calibrated plans change: MobileNetV2 b64, MnasNet-B1 b1 and b64, ProxylessNAS-GPU b1, MobileNetV1 b64.
# Plans written here (`fuseplan plan MODEL --gpu h100_sxm_calibrated --dtype fp16 --math tc`) by a CPU build of
# 2ad2049 ("main") and of the change ("new") into build-calls/s15plans2/; one build of the change runs both, each
# pair twice in alternating order while the deadline allows.
#   sh bench/results/2026-12-07-NVIDIA_H100-s15/call_s15d.sh TAG      (carry [".carry", "build-calls"])
DEADLINE_S=${DEADLINE_S:-330}
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
el built
P=build-calls/s15plans2
cp "$P"/*.json "$R/plans/"
for rep in 1 2; do
  for c in mobilenet_v1-b64-fp16 mobilenet_v2-b64-fp16 mnasnet_b1-b64-fp16 mnasnet_b1-b1-fp16 proxylessnas_gpu-b1-fp16; do
    if [ $rep = 1 ]; then order="main new"; else order="new main"; fi
    for who in $order; do
      [ "$(cl_left)" -gt 30 ] || { el "out of time before $who-$c-r$rep"; cl_pack; exit 0; }
      cl_run build-gpu/fuseplan "$who-$c-r$rep" "$P/$who-$c.json"
    done
  done
  cl_pack
done
el end
cl_pack
