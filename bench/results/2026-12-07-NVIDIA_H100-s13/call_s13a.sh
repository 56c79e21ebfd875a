# Thirteenth session, call a: the PW tensor-core rows unpadded and permuted (branch pw-swizzle, cm_pw_tc_swz).
# Kernel tests of every PW tensor-core row (fp16, bf16, TF32) and sanitizers on three of them; then, in one
# call, main's build (build-calls/head-src) with its own plans against this tree's build on the same plans
# (launch fields re-derived: bench/kernels/relaunch_plan.py), twice alternating, and this tree's own plans;
# then validate's counters on MobileNetV2 fp16 b64 (the PW units' L2 reads against the model).
#   sh bench/results/2026-12-07-NVIDIA_H100-s13/call_s13a.sh TAG      (carry [".carry", "build-calls"])
. bench/gpu_env.sh
TAG=${1:?tag}
: "${OUT:?}"
R=$OUT/$TAG; mkdir -p $R/logs $R/runs $R/plans
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
pack() { (cd $OUT && tar czf $TAG.tgz $TAG); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $R/device.txt
(cd build-calls/head-src && meson setup ../../build-head -Dcuda=enabled -Dcudnn=enabled --buildtype=release >/dev/null 2>&1)
meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >$R/logs/setup.log 2>&1
(FUSEPLAN_COMMIT=$(cat build-calls/head-src/COMMIT) ninja -C build-head fuseplan >$R/logs/build-head.log 2>&1; echo "head build $?") &
FUSEPLAN_COMMIT=pw-swizzle ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; el built
for o in pw_f16_tc pw_bf16_tc pw_f32_tc; do
  FK_TEST_ONLY=$o timeout 120 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
for o in pw_f16_tc_t1x128_c128_k32_n256 pw_f16_tc_t1x64_c64_k64_n512 pw_f32_tc_t1x128_c128_k32_n256; do
  for tool in racecheck memcheck; do
    FK_TEST_QUICK=1 FK_TEST_ONLY=$o timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 build-gpu/tests/kernels/test_kernels >$R/logs/san_${tool}_$o.log 2>&1
    el "$tool $o $?: $(tail -1 $R/logs/san_${tool}_$o.log)"
  done
done
pack
run1() { # EXE NAME PLAN_OR_MODEL [OPTIONS]
  timeout 90 $1 run $3 $4 --iters 50 --no-energy --report $R/runs/$2.json >$R/runs/$2.txt 2>$R/runs/$2.err
  el "$2 $?: $(grep -E 'whole model in CUDA graphs' $R/runs/$2.txt | head -1 | cut -c1-100)"
}
CASES="mobilenet_v2:64:fp16 mobilenet_v2:64:fp32 mnasnet_b1:64:fp16 mobilenet_v1:64:fp16 mobilenet_v2:1:fp16 mobilenet_v1:64:fp32"
for c in $CASES; do
  m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
  build-head/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o $R/plans/${n}_main.json >/dev/null
  python3 bench/kernels/relaunch_plan.py build-gpu/fuseplan $R/plans/${n}_main.json $R/plans/${n}_same.json || el "relaunch $n failed"
  build-gpu/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o $R/plans/${n}_new.json >/dev/null
done
for rep in 1 2; do
  for c in $CASES; do
    m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
    run1 build-head/fuseplan ${n}_main$rep $R/plans/${n}_main.json
    run1 build-gpu/fuseplan ${n}_same$rep $R/plans/${n}_same.json
    [ $rep = 1 ] && ! cmp -s $R/plans/${n}_main.json $R/plans/${n}_new.json && run1 build-gpu/fuseplan ${n}_new $R/plans/${n}_new.json
  done
  pack
done
timeout 150 build-gpu/fuseplan validate mobilenet_v2 --gpu h100_sxm_calibrated --batch 64 --dtype fp16 --math tc --tiles 3 \
  --report $R/val-mobilenet_v2-b64-fp16.json >$R/val-mobilenet_v2-b64-fp16.txt 2>$R/logs/val.err
el "validate $?"
gzip -f $R/val-mobilenet_v2-b64-fp16.json
el end
pack
