/* test_plan_props.c - property: every plan `fuseplan plan` can write is
 * accepted by the plan reader. For every shipped model x shipped GPU spec x
 * batch {1, 64} x dtype x math, with the default options, no fusion, the
 * traffic objective, each fused kind allowed alone (batch 1), and forced
 * variants (the first compiled row of every kind, and the last at batch 1,
 * as `plan --tile` forces them),
 * the plan is built, written (fp_plan_to_json), read back (fp_plan_parse)
 * and written again byte for byte; and, for the default options, opened the
 * way `run`, `validate` and `check` open a plan file (fp_plan_open_text:
 * the model and spec it names, its launch geometry re-derived). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fp_data.h"
#include "fp_plan.h"

#define MAX_FILES 32

static long n_plans, n_opened;

static void round_trip(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                       const char *what, bool open_as_file) {
    char err[1024];
    fp_plan p, q;
    if (fp_plan_build(m, g, o, &p, err, sizeof err) != FP_OK) {
        /* the tool would not write a plan: nothing to read back */
        CHECK(strstr(err, m->path) != NULL || strstr(err, g->path) != NULL,
              "%s: a planning failure names its file: %s", what, err);
        return;
    }
    char *j1 = fp_plan_to_json(&p, m);
    CHECK(j1 != NULL, "%s: written", what);
    if (!j1) {
        fp_plan_free(&p);
        return;
    }
    n_plans++;
    fp_status st = fp_plan_parse("prop.json", j1, strlen(j1), m, g, &q, err, sizeof err);
    CHECK(st == FP_OK, "%s: the reader refuses the written plan: %s", what, err);
    if (st == FP_OK) {
        char *j2 = fp_plan_to_json(&q, m);
        CHECK(j2 && strcmp(j1, j2) == 0, "%s: plan -> JSON -> plan -> JSON differs", what);
        free(j2);
        fp_plan_free(&q);
    }
    if (open_as_file) {
        fp_model m2;
        fp_gpu_spec g2;
        st = fp_plan_open_text("prop/plan.json", j1, strlen(j1), NULL, &m2, &g2, &q, err, sizeof err);
        CHECK(st == FP_OK, "%s: run's input checks refuse the written plan: %s", what, err);
        if (st == FP_OK) {
            n_opened++;
            CHECK(q.n_units == p.n_units, "%s: same units", what);
            fp_plan_free(&q);
            fp_model_free(&m2);
        }
    }
    free(j1);
    fp_plan_free(&p);
}

int main(int argc, char **argv) {
    (void)argc, (void)argv;
    static fp_model models[MAX_FILES];
    static fp_gpu_spec gpus[MAX_FILES];
    int nm = 0, ng = 0;
    char err[1024];
    const char *text;
    size_t len;
    for (int i = 0; nm < MAX_FILES; i++) {
        const char *path = fp_shipped("models", i, &text, &len);
        if (!path) break;
        CHECK(fp_model_parse(path, text, len, &models[nm], err, sizeof err) == FP_OK, "%s", err);
        nm++;
    }
    for (int i = 0; ng < MAX_FILES; i++) {
        const char *path = fp_shipped("gpu_specs", i, &text, &len);
        if (!path) break;
        CHECK(fp_gpu_parse(path, text, len, &gpus[ng], err, sizeof err) == FP_OK, "%s", err);
        ng++;
    }
    CHECK(nm >= 5 && ng >= 11, "%d shipped models, %d specs", nm, ng);
    size_t n_rows = 0;
    const cm_variant *rows = cm_variants(&n_rows);
    static const int BATCHES[] = {1, 64};
    for (int mi = 0; mi < nm; mi++)
        for (int gi = 0; gi < ng; gi++)
            for (int b = 0; b < 2; b++)
                for (int d = 0; d < CM_DTYPE_COUNT; d++)
                    for (int ma = 0; ma < CM_MATH_COUNT; ma++) {
                        const fp_model *m = &models[mi];
                        const fp_gpu_spec *g = &gpus[gi];
                        fp_plan_options o = fp_plan_default_options();
                        o.batch = BATCHES[b];
                        o.dtype = (cm_dtype)d;
                        o.math = (cm_math)ma;
                        char what[256];
                        snprintf(what, sizeof what, "%.80s on %.60s, batch %d, %s %s", m->name, g->id,
                                 o.batch, cm_dtype_name(o.dtype), cm_math_name(o.math));
                        round_trip(m, g, &o, what, true);
                        fp_plan_options v = o;
                        v.allowed = 0; /* --no-fuse */
                        round_trip(m, g, &v, what, false);
                        /* the rest on fp32 simt and the tc variants only:
                         * other dtypes without rows plan every DW/PW on cuDNN */
                        bool any = false;
                        for (int k = 0; k < CM_KIND_COUNT; k++)
                            any = any || cm_variants_exist((cm_kind)k, o.dtype, o.math);
                        if (!any) continue;
                        v = o;
                        v.objective = FP_OBJECTIVE_TRAFFIC;
                        round_trip(m, g, &v, what, false);
                        for (int k = 0; k < CM_KIND_COUNT && b == 0; k++) {
                            if (cm_kind_layers((cm_kind)k) < 2) continue;
                            v = o;
                            v.allowed = 1u << k; /* --allow KIND */
                            round_trip(m, g, &v, what, false);
                        }
                        /* --tile: the first and the last compiled row of each
                         * kind (the last at batch 1 only, to keep CI fast) */
                        for (int k = 0; k < CM_KIND_COUNT; k++) {
                            const cm_variant *first = NULL, *last = NULL;
                            for (size_t r = 0; r < n_rows; r++)
                                if ((int)rows[r].id.kind == k && rows[r].id.dtype == o.dtype &&
                                    rows[r].id.math == o.math) {
                                    if (!first) first = &rows[r];
                                    last = &rows[r];
                                }
                            const cm_variant *pick[2] = {first, last};
                            for (int q = 0; q < 2 && first; q++) {
                                if (q == 1 && (last == first || b != 0)) break;
                                v = o;
                                v.tile_forced[k] = true;
                                v.forced_tile[k] = pick[q]->id.tile;
                                char w2[400];
                                snprintf(w2, sizeof w2, "%.250s, --tile %.80s", what, pick[q]->name);
                                round_trip(m, g, &v, w2, false);
                            }
                        }
                    }
    CHECK(n_plans >= 1000, "%ld plans written and read back", n_plans);
    printf("plan properties: %ld plans written and read back, %ld opened as files\n", n_plans,
           n_opened);
    for (int i = 0; i < nm; i++) fp_model_free(&models[i]);
    return check_summary("plan_props");
}
