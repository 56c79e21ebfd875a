# Fourteenth session, call b: (1) why the L2 serves the PW tensor-core kernels fewer sectors than they request
# (thirteenth session: 0.43-0.98 of the contract's reads): Nsight Compute's L2 request coalescer (lrc) and
# L1TEX counters beside the lts counter validate reads, on MobileNetV2 fp16 b64's PW units; (2) what `run --tune 8`
# (the fastest measured of the model's 8 best tiles per unit) gains over the planned tiles, main's build, same call.
#   sh bench/results/2026-12-07-NVIDIA_H100-s14/call_s14b.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
el built
# (1) the metric names this ncu knows for the L2 request coalescer and the cp.async (ldgsts) path
ncu --query-metrics --chip gh100 >"$R/logs/ncu_metrics.txt" 2>&1
M=lts__t_sectors_srcunit_tex_op_read.sum,lts__t_requests_srcunit_tex_op_read.sum,dram__bytes_read.sum
for m in $(grep -oE '^(lrc__[a-z0-9_]+|l1tex__m_xbar2l1tex_read_sectors[a-z0-9_]*|l1tex__t_sectors_pipe_lsu_mem_global_op_ldgsts[a-z0-9_]*|l1tex__t_requests_pipe_lsu_mem_global_op_ldgsts[a-z0-9_]*)' \
           "$R/logs/ncu_metrics.txt" | sort -u | head -24); do M="$M,$m.sum"; done
echo "$M" | tr ',' '\n' >"$R/logs/metrics_asked.txt"
timeout 200 ncu --metrics "$M" -k "regex:^pw_tc_kernel" -c 20 --csv \
  build-gpu/fuseplan run mobilenet_v2 --gpu h100_sxm_calibrated --batch 64 --dtype fp16 --iters 5 --no-energy \
  >"$R/ncu_lrc.csv" 2>"$R/logs/ncu_lrc.err"
el "ncu lrc $?: $(grep -c pw_tc_kernel "$R/ncu_lrc.csv") rows"
cl_pack
# (2) planned against tuned, twice alternating (the tuned plan saved once, then replayed without tuning)
for c in mobilenet_v2:64:fp16 mnasnet_b1:64:fp16 mobilenet_v2:1:fp16; do
  m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
  build-gpu/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o "$R/plans/${n}.json" >/dev/null
  timeout 150 build-gpu/fuseplan run "$R/plans/${n}.json" --tune 8 --save-plan "$R/plans/${n}_tuned.json" --iters 20 \
    --no-energy >"$R/runs/${n}_tuning.txt" 2>&1
  el "tune $n $?"
done
for rep in 1 2; do
  for c in mobilenet_v2:64:fp16 mnasnet_b1:64:fp16 mobilenet_v2:1:fp16; do
    m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
    cl_run build-gpu/fuseplan ${n}_planned$rep "$R/plans/${n}.json"
    [ -f "$R/plans/${n}_tuned.json" ] && cl_run build-gpu/fuseplan ${n}_tuned$rep "$R/plans/${n}_tuned.json"
  done
  cl_pack
done
el end
cl_pack
