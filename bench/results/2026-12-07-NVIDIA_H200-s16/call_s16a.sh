# Sixteenth session, call a: the PWDWPW tensor-core expansion's tile loop trimmed (the bias as the accumulators'
# start and one uniform k-loop, the rows' mask in 32 bits without the fallback, ReLU in the 16-bit conversion;
# bench/kernels/NOTES.md, sixteenth section). Kernel tests of every PWDWPW tensor-core row (fp16, bf16, TF32) and
# sanitizers on three; then main's build (build-calls/head-src, same kernels as main before the change) against
# this tree's build on the same plans (the change moves no plan: same cost model and spec), twice alternating.
#   sh bench/results/2026-12-07-NVIDIA_H200-s16/call_s16a.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build_head &
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan tests/kernels/test_kernels || exit 1
wait
[ -x build-head/fuseplan ] || { el "head build failed"; cl_pack; exit 1; }
el built
FK_TEST_ONLY=pwdwpw_f16_tc timeout 150 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_pwdwpw_f16_tc.log 2>&1
el "test_kernels pwdwpw_f16_tc $?: $(tail -1 $R/logs/test_kernels_pwdwpw_f16_tc.log)"
CASES="mobilenet_v2:64:fp16 mnasnet_b1:64:fp16 mobilenet_v2:1:fp16 proxylessnas_gpu:64:fp16 mobilenet_v2:64:bf16 mobilenet_v2:64:fp32 mnasnet_b1:1:fp16"
for c in $CASES; do
  m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
  build-head/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o $R/plans/$n.json >/dev/null 2>$R/plans/$n.err || el "plan $n failed"
done
cl_pack
for rep in 1 2; do
  for c in $CASES; do
    [ "$(cl_left)" -gt 40 ] || { el "out of time before $c r$rep"; break; }
    m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
    if [ $rep = 1 ]; then
      cl_run build-head/fuseplan ${n}_main$rep $R/plans/$n.json; cl_run build-gpu/fuseplan ${n}_new$rep $R/plans/$n.json
    else
      cl_run build-gpu/fuseplan ${n}_new$rep $R/plans/$n.json; cl_run build-head/fuseplan ${n}_main$rep $R/plans/$n.json
    fi
  done
  cl_pack
  if [ $rep = 1 ]; then
    for v in pwdwpw_f16_tc_t8x8_c32_k32_n128 pwdwpw_f16_tc_t16x16_c32_k32_n512 pwdwpw_f32_tc_t8x8_c32_k32_n128; do
      for tool in racecheck memcheck; do
        [ "$(cl_left)" -gt 120 ] || break
        FK_TEST_QUICK=1 FK_TEST_ONLY=$v timeout 40 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_${tool}_$v.log 2>&1
        el "$tool $v $?: $(tail -1 $R/logs/san_${tool}_$v.log)"
      done
    done
    cl_pack
  fi
done
for o in pwdwpw_bf16_tc pwdwpw_f32_tc; do
  [ "$(cl_left)" -gt 30 ] || { el "out of time before test_kernels $o"; break; }
  FK_TEST_ONLY=$o timeout $(( $(cl_left) - 10 )) build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
el end
cl_pack
