# Fifteenth session, call e: call d again, each plan run by the build of its own commit (call d ran main's plans on
# the new build, whose embedded h100_sxm_calibrated differs, and `run` refused them: gpu.hash does not match).
# build-head: 2ad2049 (main before the change; build-calls/head-src), runs the "main" plans; build-gpu: the change,
# runs the "new" plans; one pass in the order main, new per case.
#   sh bench/results/2026-12-07-NVIDIA_H100-s15/call_s15e.sh TAG      (carry [".carry", "build-calls"])
DEADLINE_S=${DEADLINE_S:-200}
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build_head &
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
wait
[ -x build-head/fuseplan ] || { el "head build failed"; cl_pack; exit 1; }
el built
P=build-calls/s15plans2
for c in mobilenet_v1-b64-fp16 proxylessnas_gpu-b1-fp16 mobilenet_v2-b64-fp16 mnasnet_b1-b1-fp16 mnasnet_b1-b64-fp16; do
  [ "$(cl_left)" -gt 25 ] || { el "out of time before $c"; break; }
  cl_run build-head/fuseplan "main-$c" "$P/main-$c.json"
  cl_run build-gpu/fuseplan "new-$c" "$P/new-$c.json"
  cl_pack
done
el end
cl_pack
# As run it failed the same way: build-head, started from the repository root, read the working tree's (new)
# gpu_specs/h100_sxm_calibrated.json and refused main's plans again; it needed `cd build-calls/head-src` first
# (README).
