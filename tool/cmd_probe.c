/* cmd_probe.c - `fuseplan probe`: measure the local GPU and print (and,
 * with -o, write) a GPU spec whose every value says how it was measured. */
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "rt_probe.h"
#include "fp_gpu.h"

static void probe_help(void) {
    printf("usage: fuseplan probe [-o spec.json] [--id ID]\n\n"
           "Measures the local GPU (the first visible one: pick another with\n"
           "CUDA_VISIBLE_DEVICES) and prints a GPU spec (format fuseplan-gpu v1) as a\n"
           "table; with -o also writes it as JSON, ready for --gpu and `fuseplan check`.\n"
           "Limits come from cudaGetDeviceProperties; the rates from micro-benchmarks\n"
           "(CUDA events, median of 9 runs): device-to-device copy of 1 GiB (dram_gbps),\n"
           "a 16-byte-load read kernel over 1/4 of L2 (l2_gbps), independent FFMA chains\n"
           "(fp32_tflops), WMMA loops per type (tc_*; 0 where the device has none; on\n"
           "Hopper and later below the wgmma/tcgen05 peak) and a CUDA graph of 1000 empty\n"
           "kernels (launch_overhead_us). Every source reads \"measured YYYY-MM-DD <method>\"\n"
           "(UTC) or \"derived: ...\". Takes a few seconds and ~2.1 GiB of device memory.\n\n"
           "  -o FILE   write the spec to FILE (nothing is written without it)\n"
           "  --id ID   the spec's id, [a-z0-9_]{1,63} (default: from the device name,\n"
           "            e.g. nvidia_h100_80gb_hbm3)\n\n"
           "Exit status: 0 ok, 1 no GPU or a failed measurement, 2 usage error.\n");
}

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

int cmd_probe(int argc, char **argv) {
    const char *cmd = "probe";
    const char *out = NULL, *id = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int rc = 2;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            probe_help();
            return 0;
        } else if (tool_opt_value(cmd, argc, argv, &i, "-o", &v, &rc)) {
            if (!v) return rc;
            if (!*v) return tool_usage_error(cmd, "-o: empty file name");
            out = v;
        } else if (tool_opt_value(cmd, argc, argv, &i, "--id", &v, &rc)) {
            if (!v) return rc;
            if (!rt_probe_id_valid(v))
                return tool_usage_error(cmd, "--id: \"%s\" is not 1..63 characters of a-z, 0-9 and _",
                                       v);
            id = v;
        } else if (argv[i][0] == '-') {
            return tool_usage_error(cmd, "unknown option \"%s\"", argv[i]);
        } else {
            return tool_usage_error(cmd, "unexpected argument \"%s\"", argv[i]);
        }
    }

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
    if (!json) {
        fprintf(stderr, "fuseplan probe: out of memory\n");
        return 1;
    }
    int rc = 0;
    FILE *f = fopen(out, "w");
    if (!f) {
        rc = 1;
    } else {
        if (fputs(json, f) < 0 || fputc('\n', f) == EOF) rc = 1;
        if (fclose(f) != 0) rc = 1;
    }
    free(json);
    if (rc) fprintf(stderr, "fuseplan probe: cannot write %s\n", out);
    else printf("\nwrote %s\n", out);
    return rc;
}
