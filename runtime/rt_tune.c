/* rt_tune.c - measured tile choice (see rt_tune.h). */
#include "rt_tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_error.h"
#include "rt_exec.h"
#include "rt_timing.h"

/* Re-derives what follows from a unit's tile once tuning changed it. */
static void retile(const fp_gpu_spec *g, fp_unit *u, double best_us, double planned_us) {
    cm_estimate_unit(&u->cu, &u->tile, &g->gpu, &u->est);
    const cm_variant *v = cm_variant_of(&u->cu, &u->tile);
    u->variant = v ? v->name : NULL;
    u->grid = cm_unit_grid(&u->cu, &u->tile);
    char note[sizeof u->note];
    snprintf(note, sizeof note, "tuned: %s measured %.2f us vs %.2f us for the planned tile; %.150s",
             u->variant ? u->variant : "?", best_us, planned_us, u->note);
    memcpy(u->note, note, sizeof note);
}

/* One unit: the planned tile, then each candidate; u->tile ends at the fastest. */
static fk_status tune_unit(const fp_model *m, const fp_gpu_spec *g, fp_unit *u, rt_buffers *b,
                           rt_cudnn *dnn, cm_tile *cands, int top, cudaStream_t s, bool *changed,
                           char *err, size_t err_len) {
    size_t n = cm_enumerate_tiles(&u->cu, &g->gpu, cands, (size_t)top);
    if (n > (size_t)top) n = (size_t)top;
    const cm_tile planned = u->tile;
    cm_tile best = u->tile;
    rt_unit_job j = {m, u, b, dnn};
    rt_time_stats ts;
    fk_status st = rt_time_job(rt_job_unit, &j, 2, RT_TUNE_ITERS, s, &ts, err, err_len);
    if (st != FK_OK) return st;
    const double planned_us = ts.median_us;
    double best_us = planned_us;
    for (size_t c = 0; c < n && st == FK_OK; c++) {
        if (cm_tile_equal(&cands[c], &planned)) continue;
        u->tile = cands[c];
        st = rt_time_job(rt_job_unit, &j, 2, RT_TUNE_ITERS, s, &ts, err, err_len);
        if (st == FK_OK && ts.median_us < best_us) {
            best_us = ts.median_us;
            best = cands[c];
        }
    }
    u->tile = best;
    *changed = !cm_tile_equal(&best, &planned);
    if (*changed) retile(g, u, best_us, planned_us);
    return st;
}

fk_status rt_tune_plan(const fp_model *m, const fp_gpu_spec *g, fp_plan *p, rt_buffers *b,
                       rt_cudnn *dnn, int top, cudaStream_t s, int *changed, char *err,
                       size_t err_len) {
    return rt_tune_plan_progress(m, g, p, b, dnn, top, s, changed, NULL, NULL, err, err_len);
}

fk_status rt_tune_plan_progress(const fp_model *m, const fp_gpu_spec *g, fp_plan *p, rt_buffers *b,
                                rt_cudnn *dnn, int top, cudaStream_t s, int *changed,
                                void (*progress)(void *ctx, int done, int total), void *ctx,
                                char *err, size_t err_len) {
    if (changed) *changed = 0;
    if (top < 1) return FK_OK;
    cm_tile *cands = malloc(sizeof *cands * (size_t)top);
    if (!cands) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    fk_status st = FK_OK;
    int n_changed = 0, total = 0, done = 0;
    for (int i = 0; i < p->n_units; i++) total += p->units[i].kind != FP_UNIT_OTHER;
    for (int i = 0; i < p->n_units && st == FK_OK; i++) {
        fp_unit *u = &p->units[i];
        if (u->kind == FP_UNIT_OTHER) continue;
        bool moved = false;
        st = tune_unit(m, g, u, b, dnn, cands, top, s, &moved, err, err_len);
        n_changed += moved;
        if (progress) progress(ctx, ++done, total);
    }
    free(cands);
    if (st == FK_OK) fp_plan_totals_compute(p);
    if (changed) *changed = n_changed;
    return st;
}
