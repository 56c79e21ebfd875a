/* fuzz_plan.c - libFuzzer harness of the plan reader (fp_plan_parse): the
 * model and spec are the shipped files the plan's model.file and gpu.file
 * name (else mobilenet_v2 and the first spec), so seeds written by `fuseplan
 * plan` reach the unit checks. No crash or undefined behaviour; a refusal is
 * one line naming the file; an accepted plan round-trips byte for byte. */
#include "fuzz_common.h"

#include <cjson/cJSON.h>

/* The shipped file a plan's KEY.file names, or 0. */
static int named(const cJSON *root, const char *key, const char *const *paths, int n) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    const cJSON *f = o ? cJSON_GetObjectItemCaseSensitive(o, "file") : NULL;
    if (!cJSON_IsString(f)) return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(paths[i], f->valuestring) == 0) return i;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const fuzz_shipped *s = fuzz_shipped_files();
    char *text = fuzz_text(data, size);
    if (!text || s->n_models == 0 || s->n_gpus == 0) {
        free(text);
        return 0;
    }
    const char *mp[FUZZ_MAX_SHIPPED], *gp[FUZZ_MAX_SHIPPED];
    for (int i = 0; i < s->n_models; i++) mp[i] = s->models[i].path;
    for (int i = 0; i < s->n_gpus; i++) gp[i] = s->gpus[i].path;
    int mi = 0, gi = 0;
    cJSON *root = cJSON_ParseWithLength(text, size);
    if (root) {
        mi = named(root, "model", mp, s->n_models);
        gi = named(root, "gpu", gp, s->n_gpus);
        cJSON_Delete(root);
    }
    char err[1024] = "";
    fp_plan p;
    fp_status st = fp_plan_parse("fuzz_plan.json", text, size, &s->models[mi], &s->gpus[gi], &p, err,
                                 sizeof err);
    if (st != FP_OK) {
        fuzz_check_message("fuzz_plan.json", err);
    } else {
        fuzz_plan_round_trip(&p, &s->models[mi], &s->gpus[gi]);
        fp_plan_free(&p);
    }
    free(text);
    return 0;
}
