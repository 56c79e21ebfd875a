# Thirteenth session, call c: the 32 x 160 PW rows in chunks of 64 with the channel-dominance rule
# (branch pw-c160) against main (build-calls/head-src), each build on its own plans, two repetitions
# alternating; the kernel tests of the fp16 / bf16 PW rows again.
#   sh bench/results/2026-12-07-NVIDIA_H100-s13/call_s13c.sh TAG      (carry [".carry", "build-calls"])
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
FUSEPLAN_COMMIT=pw-c160 ninja -C build-gpu fuseplan tests/kernels/test_kernels >$R/logs/build.log 2>&1 || { tail -30 $R/logs/build.log; pack; exit 1; }
wait; el built
for o in pw_f16_tc pw_bf16_tc; do
  FK_TEST_ONLY=$o timeout 120 build-gpu/tests/kernels/test_kernels >$R/logs/test_kernels_$o.log 2>&1
  el "test_kernels $o $?: $(tail -1 $R/logs/test_kernels_$o.log)"
done
run1() { # EXE NAME PLAN
  timeout 90 $1 run $3 --iters 50 --no-energy --report $R/runs/$2.json >$R/runs/$2.txt 2>$R/runs/$2.err
  el "$2 $?: $(grep -E 'whole model in CUDA graphs' $R/runs/$2.txt | head -1 | cut -c1-100)"
}
CASES="mobilenet_v2:64:fp16 mobilenet_v2:1:fp16 mobilenet_v2:64:bf16 proxylessnas_gpu:64:fp32"
for c in $CASES; do
  m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
  build-head/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o $R/plans/${n}_main.json >/dev/null
  build-gpu/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o $R/plans/${n}_new.json >/dev/null
done
for rep in 1 2; do
  for c in $CASES; do
    m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
    run1 build-head/fuseplan ${n}_main$rep $R/plans/${n}_main.json
    run1 build-gpu/fuseplan ${n}_new$rep $R/plans/${n}_new.json
  done
  pack
done
el end
