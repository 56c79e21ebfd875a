# Sixteenth session, call b: call a's change (bench/kernels/NOTES.md, sixteenth section) with the rolled k-loop kept
# only on the 16-bit chunk-32 rows (PwdwpwTcShape::ROLLED_K; call a measured the chunk-64 row and TF32 slower with it)
# and the expansion's ReLU / ReLU6 NaN-propagating. Leaner than call a (the device budget after two failed starts):
# kernel tests fp16 and TF32, the A/B of four models (main's build from build-calls/head-src against this tree's, same
# plans, twice alternating), then sanitizers on the chunk-64 row and the bf16 tests as time allows.
#   sh bench/results/2026-12-07-NVIDIA_H200-s16/call_s16b.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build_both fuseplan tests/kernels/test_kernels
for o in pwdwpw_f16_tc pwdwpw_f32_tc; do
  FK_TEST_ONLY=$o timeout 120 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
CASES="mobilenet_v2:64:fp16 mobilenet_v2:64:fp32 mnasnet_b1:64:fp16 proxylessnas_gpu:64:fp16"
for c in $CASES; do
  m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
  build-head/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o $R/plans/$n.json >/dev/null 2>$R/plans/$n.err || el "plan $n failed"
done
cl_pack
for rep in 1 2; do
  for c in $CASES; do
    [ "$(cl_left)" -gt 30 ] || { el "out of time before $c r$rep"; break; }
    m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
    cl_ab $n $R/plans/$n.json $rep
  done
  cl_pack
done
for tool in racecheck memcheck; do
  v=pwdwpw_f16_tc_t8x8_c64_k64_n128
  [ "$(cl_left)" -gt 40 ] || break
  FK_TEST_QUICK=1 FK_TEST_ONLY=$v timeout 35 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_${tool}_$v.log 2>&1
  el "$tool $v $?: $(tail -1 $R/logs/san_${tool}_$v.log)"
done
cl_pack
if [ "$(cl_left)" -gt 40 ]; then
  FK_TEST_ONLY=pwdwpw_bf16_tc timeout $(( $(cl_left) - 10 )) build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_pwdwpw_bf16_tc.log 2>&1
  el "test_kernels pwdwpw_bf16_tc $?: $(tail -1 $R/logs/test_kernels_pwdwpw_bf16_tc.log)"
fi
el end
cl_pack
