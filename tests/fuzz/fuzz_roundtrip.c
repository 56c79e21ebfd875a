/* fuzz_roundtrip.c - libFuzzer harness of plan -> JSON -> plan with forced
 * variants: the input's bytes choose a small model and a spec, a batch, a
 * dtype, a math mode, an objective, the allowed fused kinds and, per kind,
 * a compiled variant to force (as `plan --tile` does). Whatever plan the
 * planner builds, the reader must accept it and write it back byte for
 * byte: the tool never writes a plan its own reader refuses. */
#include "fuzz_common.h"

/* The next input byte (0 past the end). */
static unsigned next(const uint8_t **d, size_t *n) {
    if (!*n) return 0;
    (*n)--;
    return *(*d)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const fuzz_shipped *s = fuzz_shipped_files();
    if (s->n_models == 0 || s->n_gpus == 0) return 0;
    /* the small models: a shipped one takes ~0.1 s to plan and read back
     * under ASan, and tests/planner/test_plan_props.c covers every shipped
     * model over the options' grid */
    const fp_model *m = &s->small[next(&data, &size) % (unsigned)s->n_small];
    const fp_gpu_spec *g = &s->gpus[next(&data, &size) % (unsigned)s->n_gpus];
    fp_plan_options o = fp_plan_default_options();
    static const int BATCHES[] = {1, 2, 3, 7, 8, 16, 31, 64, 128, 256, 1000, FP_MAX_BATCH};
    o.batch = BATCHES[next(&data, &size) % (sizeof BATCHES / sizeof BATCHES[0])];
    unsigned b = next(&data, &size);
    o.dtype = (cm_dtype)(b % CM_DTYPE_COUNT);
    o.math = (b / CM_DTYPE_COUNT) % 2 ? CM_MATH_TC : CM_MATH_SIMT;
    b = next(&data, &size);
    o.objective = b & 1 ? FP_OBJECTIVE_TRAFFIC : FP_OBJECTIVE_TIME;
    o.allowed = (b >> 1) & FP_ALLOW_ALL_FUSED;
    size_t n_rows = 0;
    const cm_variant *rows = cm_variants(&n_rows);
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        unsigned pick = next(&data, &size);
        if (!(pick & 1)) continue;
        /* the (pick >> 1)-th compiled row of this kind, dtype and math */
        size_t want = pick >> 1, seen = 0;
        for (size_t r = 0; r < n_rows; r++) {
            const cm_variant_id *id = &rows[r].id;
            if ((int)id->kind != k || id->dtype != o.dtype || id->math != o.math) continue;
            if (seen++ == want % 64) {
                o.tile_forced[k] = true;
                o.forced_tile[k] = id->tile;
                break;
            }
        }
    }
    char err[1024];
    fp_plan p;
    if (fp_plan_build(m, g, &o, &p, err, sizeof err) == FP_OK) {
        fuzz_plan_round_trip(&p, m, g);
        fp_plan_free(&p);
    }
    return 0;
}
