/* cm_h100.h - the H100 SXM the cost-model tests, the worked example
 * (docs/costmodel.md) and bench_estimate use, built directly as a cm_gpu so
 * that they do not depend on the JSON loader. Values as gpu_specs/h100_sxm.json
 * (datasheet; L2 bandwidth measured 2026-11-21), except a 2 us launch figure. */
#ifndef FUSEPLAN_TESTS_CM_H100_H
#define FUSEPLAN_TESTS_CM_H100_H

#include <string.h>

#include "costmodel.h"

static inline cm_gpu cm_fixture_h100_sxm(void) {
    cm_gpu g;
    memset(&g, 0, sizeof g);
    g.sm_count = 132;
    g.max_threads_per_sm = 2048;
    g.max_threads_per_block = 1024;
    g.max_regs_per_sm = 65536;
    g.max_regs_per_thread = 255;
    g.max_blocks_per_sm = 32;
    g.smem_per_sm_bytes = 228 * 1024;
    g.smem_per_block_optin_bytes = 227 * 1024;
    g.l1_per_sm_bytes = 256 * 1024;
    g.l2_bytes = 50LL * 1024 * 1024;
    g.dram_gbps = 3350.0;
    g.l2_gbps = 7200.0;
    g.fp32_tflops = 66.9;
    g.tc_fp16_tflops = 989.4;
    g.tc_bf16_tflops = 989.4;
    g.tc_tf32_tflops = 494.7;
    g.tc_int8_tops = 1978.9;
    g.clock_mhz = 1980.0;
    g.launch_overhead_us = 2.0;
    cm_gpu_default_calibration(&g);
    return g;
}

#endif
