# Fourteenth session, call c (call b again with its two mistakes mended: ncu and `run` need --iters >= 50; the metric list is named, not grepped): (1) why the L2 serves the PW tensor-core kernels fewer sectors than they request
# (thirteenth session: 0.43-0.98 of the contract's reads): Nsight Compute's L2 request coalescer (lrc) and
# L1TEX counters beside the lts counter validate reads, on MobileNetV2 fp16 b64's PW units; (2) what `run --tune 8`
# (the fastest measured of the model's 8 best tiles per unit) gains over the planned tiles, main's build, same call.
#   sh bench/results/2026-12-07-NVIDIA_H100-s14/call_s14c.sh TAG      (carry [".carry", "build-calls"])
. bench/kernels/call_lib.sh "${1:?tag}"
cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" fuseplan || exit 1
el built
# (1) what the SMs asked the L2 for (lts, the counter validate reads), what the L2 request coalescer (lrc) took
# from the L2 and handed the SMs, and what the L1TEX units requested by cp.async (LDGSTS, L1-bypassing)
M=lts__t_sectors_srcunit_tex_op_read.sum,lts__t_requests_srcunit_tex_op_read.sum,dram__bytes_read.sum
M=$M,lrc__lts2lrc_sectors_op_read.sum,lrc__xbar2gpc_sectors_op_read.sum,lrc__lrc2xbar_sectors_op_read.sum
M=$M,lrc__request_sectors_op_read_coalescable.sum,lrc__request_sectors_op_read_coalescing_achieved_type_hardware.sum
M=$M,lrc__lrc2xbar_sectors_op_read_coalescing_achieved.sum,lrc__xbar2gpc_sectors_op_read_coalescing_achieved.sum
M=$M,l1tex__m_xbar2l1tex_read_sectors_pipe_lsu.sum,l1tex__m_xbar2l1tex_read_sectors.sum
echo "$M" | tr ',' '\n' >"$R/logs/metrics_asked.txt"
timeout 200 ncu --metrics "$M" -k "regex:^pw_tc_kernel" -c 20 --csv \
  build-gpu/fuseplan run mobilenet_v2 --gpu h100_sxm_calibrated --batch 64 --dtype fp16 --iters 50 --no-energy \
  >"$R/ncu_lrc.csv" 2>"$R/logs/ncu_lrc.err"
el "ncu lrc $?: $(grep -c pw_tc_kernel "$R/ncu_lrc.csv") rows"
cl_pack
# (2) planned against tuned, twice alternating (the tuned plan saved once, then replayed without tuning)
for c in mobilenet_v2:64:fp16 mnasnet_b1:64:fp16 mobilenet_v2:1:fp16; do
  m=${c%%:*}; r=${c#*:}; b=${r%%:*}; d=${r#*:}; n=${m}_b${b}_$d
  build-gpu/fuseplan plan $m --gpu h100_sxm_calibrated --batch $b --dtype $d --math tc -o "$R/plans/${n}.json" >/dev/null
  timeout 150 build-gpu/fuseplan run "$R/plans/${n}.json" --tune 8 --save-plan "$R/plans/${n}_tuned.json" --iters 50 \
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
