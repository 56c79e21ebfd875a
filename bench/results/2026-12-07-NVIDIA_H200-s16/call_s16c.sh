# Sixteenth session, call c: call b cut to what the device budget left after four failed starts (245 s): the
# kernel tests of the 16-bit and TF32 PWDWPW rows, then MobileNetV2 b64 fp16 and TF32 on main's build
# (build-calls/head-src) and this tree's, same plans, alternating, as many repetitions as the deadline allows.
#   DEADLINE_S=110 sh bench/results/2026-12-07-NVIDIA_H200-s16/call_s16c.sh TAG   (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build_both fuseplan tests/kernels/test_kernels
for o in pwdwpw_f16_tc pwdwpw_f32_tc pwdwpw_bf16_tc; do
  FK_TEST_ONLY=$o timeout 30 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
for d in fp16 fp32; do
  build-head/fuseplan plan mobilenet_v2 --gpu h100_sxm_calibrated --batch 64 --dtype $d --math tc -o $R/plans/mobilenet_v2_b64_$d.json >/dev/null 2>&1
done
for rep in 1 2 3; do
  for d in fp16 fp32; do
    [ "$(cl_left)" -gt 12 ] || break
    n=mobilenet_v2_b64_$d
    cl_ab $n $R/plans/$n.json $rep
  done
  cl_pack
done
el end
cl_pack
