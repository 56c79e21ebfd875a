/* cmd_probe.c - `fuseplan probe`: measure the local GPU and print (and,
 * with -o, write) a GPU spec whose every value says how it was measured. */
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "rt_probe.h"
#include "fp_gpu.h"

/* Display unit of each numeric member. */
static const char *unit_of(int field) {
    switch (field) {
    case FP_GPU_SMEM_PER_SM_KIB:
    case FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB:
    case FP_GPU_L1_PER_SM_KIB: return "KiB";
    case FP_GPU_L2_MIB: return "MiB";
    case FP_GPU_DRAM_GBPS:
    case FP_GPU_L2_GBPS: return "GB/s";
    case FP_GPU_FP32_TFLOPS:
    case FP_GPU_TC_FP16_TFLOPS:
    case FP_GPU_TC_BF16_TFLOPS:
    case FP_GPU_TC_TF32_TFLOPS: return "TFLOP/s";
    case FP_GPU_TC_INT8_TOPS: return "TOP/s";
    case FP_GPU_CLOCK_MHZ: return "MHz";
    case FP_GPU_LAUNCH_OVERHEAD_US: return "us";
    default: return "";
    }
}

static void print_table(const fp_gpu_spec *g) {
    printf("%s (id %s)\n\n", g->name, g->id);
    printf("%-25s %10s %-8s %s\n", "member", "value", "unit", "source");
    printf("%-25s %10s %-8s %s\n", "compute_capability", g->compute_capability, "",
           g->cc_source);
    for (int f = 0; f < FP_GPU_FIELD_COUNT; f++) {
        char v[32];
        snprintf(v, sizeof v, "%.10g", g->values[f]);
        printf("%-25s %10s %-8s %s\n", fp_gpu_field_name(f), v, unit_of(f), g->sources[f]);
    }
}

static int run_probe(const tool_options *o) {
    const char *out = o->out, *id = o->id;
    if (id && !rt_probe_id_valid(id))
        return tool_usage_error("probe", "--id: \"%s\" is not 1..63 characters of a-z, 0-9 and _", id);

    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n < 1) {
        fprintf(stderr, "fuseplan probe: no CUDA device to measure (%s)\n",
                e != cudaSuccess ? cudaGetErrorString(e) : "cudaGetDeviceCount found none");
        return 1;
    }

    fp_gpu_spec g;
    char err[1024];
    fk_status st = rt_probe_spec(id, NULL, 0, &g, err, sizeof err);
    if (st != FK_OK) {
        fprintf(stderr, "fuseplan probe: %s\n", err);
        return 1;
    }
    print_table(&g);
    if (!out) return 0;

    char *json = fp_gpu_to_json(&g);
    int rc = tool_write_file("probe", "the spec", out, json, true);
    free(json);
    if (!rc) printf("\nwrote %s\n", out);
    return rc;
}

const tool_command tool_cmd_probe = {
    "probe", TOOL_PROBE, "", 0, 0, "argument",
    "measure the local GPU into a GPU spec (table; -o writes the JSON)",
    "Measures the local GPU (the first visible one: pick another with\n"
    "CUDA_VISIBLE_DEVICES) and prints a GPU spec (format fuseplan-gpu v1) as a\n"
    "table; with -o also writes it as JSON, ready for --gpu and `fuseplan check`.\n"
    "Limits come from cudaGetDeviceProperties; the rates from micro-benchmarks\n"
    "(CUDA events, median of 9 runs): device-to-device copy of 1 GiB (dram_gbps),\n"
    "a 16-byte-load read kernel over 1/4 of L2 (l2_gbps), independent FFMA chains\n"
    "(fp32_tflops), WMMA loops per type (tc_*; 0 where the device has none; on\n"
    "Hopper and later below the wgmma/tcgen05 peak) and a CUDA graph of 1000 empty\n"
    "kernels (launch_overhead_us). Every source reads \"measured YYYY-MM-DD <method>\"\n"
    "(UTC) or \"derived: ...\". Takes a few seconds and ~2.1 GiB of device memory.\n"
    "Exit status: 0 ok, 1 no GPU or a failed measurement, 2 usage error.",
    run_probe,
};
