/* tool_gpu.c - what `fuseplan run` and `fuseplan validate` share (see
 * tool_gpu.h). */
#include "tool_gpu.h"

#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_data.h"
#include "fp_json.h"

int tool_prepare(const char *cmd, const tool_input *a, fp_model *m, fp_gpu_spec *g,
                   fp_plan *p) {
    char err[1024];
    const char *in = a->input ? a->input : "mobilenet_v2";
    char *text = NULL;
    size_t len = 0;
    bool is_plan = false;
    if (fpj_read_file(in, 64u << 20, &text, &len, err, sizeof err) == FP_OK) {
        cJSON *root = cJSON_ParseWithLength(text, len);
        const cJSON *f = root ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
        is_plan = cJSON_IsString(f) && strcmp(f->valuestring, FP_PLAN_FORMAT) == 0;
        if (is_plan) {
            const cJSON *mo = cJSON_GetObjectItemCaseSensitive(root, "model");
            const cJSON *go = cJSON_GetObjectItemCaseSensitive(root, "gpu");
            const cJSON *mf = mo ? cJSON_GetObjectItemCaseSensitive(mo, "file") : NULL;
            const cJSON *gf = go ? cJSON_GetObjectItemCaseSensitive(go, "file") : NULL;
            fp_status st = FP_ERR_INVALID;
            snprintf(err, sizeof err, "%s: model.file or gpu.file is missing", in);
            if (cJSON_IsString(mf) && cJSON_IsString(gf)) {
                st = fp_open_model(mf->valuestring, m, err, sizeof err);
                if (st == FP_OK) {
                    st = fp_open_gpu(a->gpu ? a->gpu : gf->valuestring, g, err, sizeof err);
                    if (st == FP_OK) st = fp_plan_parse(in, text, len, m, g, p, err, sizeof err);
                    if (st != FP_OK) fp_model_free(m);
                }
            }
            cJSON_Delete(root);
            free(text);
            if (st != FP_OK) {
                fprintf(stderr, "%s\n", err);
                return fp_status_exit_code(st);
            }
            if (a->batch_set || a->dtype_set) {
                fprintf(stderr, "fuseplan %s: --batch/--dtype come from the plan %s; plan again to "
                        "change them\n", cmd, in);
                fp_plan_free(p);
                fp_model_free(m);
                return 2;
            }
            return 0;
        }
        cJSON_Delete(root);
        free(text);
    }
    fp_status st = fp_open_model(in, m, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    st = fp_open_gpu(a->gpu ? a->gpu : "h100_sxm", g, err, sizeof err);
    if (st == FP_OK) {
        fp_plan_options o = fp_plan_default_options();
        o.batch = a->batch;
        o.dtype = a->dtype;
        st = fp_plan_build(m, g, &o, p, err, sizeof err);
    }
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        fp_model_free(m);
        return fp_status_exit_code(st);
    }
    return 0;
}
