# The next GPU session's first call (written in the seventeenth session, which got no device machine): run from
# branch `pwdwpw-trim` checked out, main's tree in build-calls/head-src (git archive main; call_lib.sh says how).
# 1. The branch's PWDWPW trim (bench/kernels/NOTES.md, sixteenth section): kernel tests of the 16-bit and TF32 rows,
#    then four models A/B, main's build against the branch's, same plans, two alternating repetitions (as
#    ../2026-12-07-NVIDIA_H200-s16/call_s16b.sh, whose figures ab_summary.py there reads).
# 2. The seventeenth session's model changes (W_sat 4 for the fp32 PWDWPW kernel, a cost per CTA, the shipped specs'
#    PWDWPW CUDA-core efficiencies refitted for them): the plans they change, plans/old/NAME.json (commit 5a5b454 with
#    its specs, which lie beside them in plans/old/gpu_specs, where `run` looks first) against plans/new/NAME.json
#    (commit fb42446), both run by main's build, alternating, two repetitions; the H100's or the H200's set by device.
# 3. Sanitizers on the chunk-64 16-bit row, then the bf16 kernel tests, as the deadline allows.
#   sh bench/results/2026-12-07-NVIDIA_H100-s17-offline/call_next.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
S17=bench/results/2026-12-07-NVIDIA_H100-s17-offline
cl_build_both fuseplan tests/kernels/test_kernels
for o in pwdwpw_f16_tc pwdwpw_f32_tc; do
  FK_TEST_ONLY=$o timeout 120 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
CASES="mobilenet_v2:64:fp16 mobilenet_v2:64:fp32 mnasnet_b1:64:fp16 proxylessnas_gpu:64:fp16"
cl_plan_cases "$CASES"
cl_pack
case "$(cat $R/device.txt)" in *H200*) G=h200 ;; *) G=h100 ;; esac
for rep in 1 2; do
  cl_ab_cases "$CASES" $rep 100
  for p in $S17/plans/old/${G}_*.json; do
    n=$(basename "$p" .json)
    if [ $rep = 1 ]; then o="old new"; else o="new old"; fi
    for v in $o; do
      [ "$(cl_left)" -gt 100 ] || { el "out of time before $n $v r$rep"; break 2; }
      cl_run build-head/fuseplan "model_${n}_$v$rep" "$S17/plans/$v/$n.json"
    done
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
