/* cmd_check.c - `fuseplan check`: validates model and GPU-spec files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_json.h"
#include "fp_plan.h"

/* Peeks at the "format" member to decide which loader validates a file. */
static int check_one(const char *path) {
    char *text = NULL, err[1024];
    size_t len = 0;
    fp_status st = fpj_read_file(path, 64u << 20, &text, &len, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *f = root ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
    const char *format = cJSON_IsString(f) ? f->valuestring : "";
    char p[32];
    if (strcmp(format, FP_GPU_FORMAT) == 0) {
        fp_gpu_spec g;
        st = fp_gpu_parse(path, text, len, &g, err, sizeof err);
        if (st == FP_OK)
            printf("%s: ok: GPU spec %s (%s), %d SMs, %.0f GB/s%s\n", path, g.id, g.name,
                   g.gpu.sm_count, g.gpu.dram_gbps, g.calibrated ? ", calibrated" : "");
    } else {
        /* a model, or anything else: the model loader names what is wrong */
        fp_model m;
        st = fp_model_parse(path, text, len, &m, err, sizeof err);
        if (st == FP_OK) {
            printf("%s: ok: model %s, %d layers, %s parameters\n", path, m.name, m.n_layers,
                   tool_human((double)fp_model_params(&m), p, sizeof p));
            fp_model_free(&m);
        }
    }
    cJSON_Delete(root);
    free(text);
    if (st != FP_OK) fprintf(stderr, "%s\n", err);
    return fp_status_exit_code(st);
}

static int run_check(const tool_options *o) {
    int worst = 0;
    for (int i = 0; i < o->n_pos; i++) {
        int rc = check_one(o->pos[i]);
        if (rc > worst) worst = rc;
    }
    return worst;
}

const tool_command tool_cmd_check = {
    "check", TOOL_CHECK, "FILE...", 1, TOOL_MAX_POS, "FILE",
    "validate model and GPU-spec files",
    "Validates model and GPU-spec files (the \"format\" member says which);\n"
    "prints one line per file and exits 2 if any is invalid.",
    run_check,
};
