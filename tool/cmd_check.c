/* cmd_check.c - `fuseplan check`: validates model, GPU-spec and plan files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_json.h"
#include "fp_onnx.h"
#include "fp_plan.h"

/* Peeks at the "format" member to decide which loader validates a file: a
 * plan is checked with the model and GPU spec it names (fp_plan_open_text:
 * hashes, every unit re-derived); a GPU spec by its loader; anything else
 * by the model loader, which names what is wrong. */
/* An ONNX file: imported as `plan` and `run` would take it (fp_open_model). */
static int check_onnx(const char *path) {
    char err[1024], s1[256], p[32];
    fp_model m;
    fp_status st = fp_open_model(path, &m, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    printf("%s: ok: ONNX model %s, %d layers, %s parameters\n", fpj_label(path),
           tool_safe(m.name, s1, sizeof s1), m.n_layers,
           tool_human((double)fp_model_params(&m), p, sizeof p));
    fp_model_free(&m);
    return 0;
}

static int check_one(const char *path) {
    if (fp_onnx_is_onnx_path(path)) return check_onnx(path);
    char *text = NULL, err[1024], s1[256], s2[256];
    size_t len = 0;
    const char *label = fpj_label(path);
    fp_status st = fpj_read_file(path, 64u << 20, &text, &len, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *f = root ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
    const char *format = cJSON_IsString(f) ? f->valuestring : "";
    char p[32];
    if (strcmp(format, FP_PLAN_FORMAT) == 0) {
        fp_model m;
        fp_gpu_spec g;
        fp_plan pl;
        st = fp_plan_open_text(label, text, len, NULL, &m, &g, &pl, err, sizeof err);
        if (st == FP_OK) {
            printf("%s: ok: plan for %s on %s, batch %d, %s %s, %d units (%d fused)\n", label,
                   tool_safe(m.name, s1, sizeof s1), g.id, pl.opt.batch,
                   cm_dtype_name(pl.opt.dtype), cm_math_name(pl.opt.math), pl.n_units,
                   pl.totals.fused_units);
            fp_plan_free(&pl);
            fp_model_free(&m);
        }
    } else if (strcmp(format, FP_GPU_FORMAT) == 0) {
        fp_gpu_spec g;
        st = fp_gpu_parse(label, text, len, &g, err, sizeof err);
        if (st == FP_OK)
            printf("%s: ok: GPU spec %s (%s), %d SMs, %.0f GB/s%s\n", label, g.id,
                   tool_safe(g.name, s2, sizeof s2), g.gpu.sm_count, g.gpu.dram_gbps,
                   g.calibrated ? ", calibrated" : "");
    } else {
        fp_model m;
        st = fp_model_parse(label, text, len, &m, err, sizeof err);
        if (st == FP_OK) {
            printf("%s: ok: model %s, %d layers, %s parameters\n", label,
                   tool_safe(m.name, s1, sizeof s1), m.n_layers,
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
    "validate model, GPU-spec and plan files",
    "Validates model, GPU-spec and plan files (the \"format\" member says which; a\n"
    "plan is checked against the model and spec it names, every unit re-derived)\n"
    "and ONNX files (*.onnx, imported as plan and run take them); prints one line\n"
    "per file and exits 2 if any is invalid. - reads stdin.",
    run_check,
};
