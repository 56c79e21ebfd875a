/* cmd_list.c - `fuseplan models` and `fuseplan gpus`: the shipped models and
 * GPU specs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_plan.h"

static int run_models(const tool_options *o) {
    (void)o;
    const char *text;
    size_t len;
    const char *path;
    printf("%-18s %-7s %10s %10s  %s\n", "name", "layers", "params", "MACs", "description");
    for (int i = 0; (path = fp_shipped("models", i, &text, &len)); i++) {
        fp_model m;
        char err[1024], p[32], mac[32];
        fp_status st = fp_model_parse(path, text, len, &m, err, sizeof err);
        if (st != FP_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("%-18s %-7d %10s %10s  %s\n", m.name, m.n_layers,
               tool_human((double)fp_model_params(&m), p, sizeof p),
               tool_human((double)fp_model_macs(&m), mac, sizeof mac), m.description ? m.description : "");
        fp_model_free(&m);
    }
    return 0;
}

static int run_gpus(const tool_options *o) {
    (void)o;
    const char *text;
    size_t len;
    const char *path;
    printf("%-20s %-5s %5s %8s %9s %10s  %s\n", "id", "cc", "SMs", "L2 MiB", "DRAM GB/s",
           "FP32 TFLOPS", "name");
    for (int i = 0; (path = fp_shipped("gpu_specs", i, &text, &len)); i++) {
        fp_gpu_spec g;
        char err[1024];
        fp_status st = fp_gpu_parse(path, text, len, &g, err, sizeof err);
        if (st != FP_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("%-20s %-5s %5d %8.1f %9.0f %10.1f  %s\n", g.id, g.compute_capability, g.gpu.sm_count,
               g.values[FP_GPU_L2_MIB], g.gpu.dram_gbps, g.gpu.fp32_tflops, g.name);
    }
    return 0;
}

const tool_command tool_cmd_models = {
    "models", TOOL_MODELS, "", 0, 0, "argument",
    "list the shipped models",
    "Lists the shipped models (compiled into fuseplan; the name works wherever a MODEL\n"
    "file is expected).",
    run_models,
};

const tool_command tool_cmd_gpus = {
    "gpus", TOOL_GPUS, "", 0, 0, "argument",
    "list the shipped GPU specs",
    "Lists the shipped GPU specs (the id works wherever a SPEC file is expected).",
    run_gpus,
};
