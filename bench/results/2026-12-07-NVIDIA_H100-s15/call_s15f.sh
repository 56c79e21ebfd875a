# Not run yet (written at the end of the fifteenth session, no device time left): the same-call A/B calls d and e
# meant to make. The five fp16 plans that the PWDWPW tile overhead changes, main's before it (2ad2049, run by its own
# build from its own tree with cl_run_head) against the change's (s15d/plans/new-*, run by this tree's build), twice,
# alternating. Before the call (bench/kernels/call_lib.sh's header):
#   mkdir -p build-calls/head-src && git archive 2ad2049 | tar x -C build-calls/head-src && echo 2ad2049 > build-calls/head-src/COMMIT
#   rm -rf build-calls/head-src/bench/results; git rev-parse --short HEAD > build-calls/MAIN_COMMIT
# The "new" plans run only on a tree whose gpu_specs/h100_sxm_calibrated.json is the one they were made with
# (b07a44c's); plan them again with this tree's build if it has changed since (the run refuses them otherwise).
#   sh bench/results/2026-12-07-NVIDIA_H100-s15/call_s15f.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build_head &
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
wait
[ -x build-head/fuseplan ] || { el "head build failed"; cl_pack; exit 1; }
el built
P=bench/results/2026-12-07-NVIDIA_H100-s15/s15d/plans
for rep in 1 2; do
  for c in mobilenet_v1-b64-fp16 proxylessnas_gpu-b1-fp16 mobilenet_v2-b64-fp16 mnasnet_b1-b1-fp16 mnasnet_b1-b64-fp16; do
    [ "$(cl_left)" -gt 30 ] || { el "out of time before $c-r$rep"; cl_pack; exit 0; }
    if [ $rep = 1 ]; then
      cl_run_head "main-$c-r$rep" "$P/main-$c.json"; cl_run build-gpu/fuseplan "new-$c-r$rep" "$P/new-$c.json"
    else
      cl_run build-gpu/fuseplan "new-$c-r$rep" "$P/new-$c.json"; cl_run_head "main-$c-r$rep" "$P/main-$c.json"
    fi
  done
  cl_pack
done
el end
cl_pack
