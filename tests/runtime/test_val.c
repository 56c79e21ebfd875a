/* test_val.c - the validation engine's plain-C part (rt_validate.h; suite
 * cpu, no device, no CUDA): cases of shipped models with synthetic
 * measurements whose law is known, so that every figure has a right answer.
 *
 * 1. Re-analysis (rt_val_case_rebuild): a case rebuilt from its own
 *    measured units has the same subjects, candidates, estimates, choices
 *    and figures; a variant that is no row of cm_variants.inc is skipped and
 *    counted; a unit that is no chain segment, a residual that cannot be,
 *    and a candidate of another kind are refused naming the unit.
 * 2. Held out (rt_val_heldout_run): times drawn exactly from the model's own
 *    formula with known constants are predicted within 1% in every split;
 *    when one model's kernels run 1.6x slower than the law, the never-fitted
 *    split judges that model with a fit on the others only (error 1 - 1/1.6
 *    = 37.5%), and leaving one model out is worse than in-sample.
 * 3. The trivial deciders: never + always = all decisions; the in-pool
 *    majority per (kind, batch) is at least as good as either constant; the
 *    majority table's fallbacks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fp_data.h"
#include "rt_val_internal.h"
#include "rt_validate.h"

/* The law the synthetic times come from: the cost model's formula with these
 * constants (cm_calibrate.h), on the estimate's parts at efficiency 1, per
 * (kind, math): the tensor-core groups differ from the CUDA-core ones. */
static cm_cal_fit law(void) {
    cm_cal_fit f;
    memset(&f, 0, sizeof f);
    f.launch_us = 3.5;
    const double bw[CM_KIND_COUNT][CM_MATH_COUNT] = {{0.7, 0.7},   {0.5, 0.22},  {0.6, 0.3},
                                                     {0.55, 0.35}, {0.45, 0.25}, {0.4, 0.18}};
    const double ce[CM_KIND_COUNT][CM_MATH_COUNT] = {{0.15, 0.15}, {0.8, 0.05}, {0.3, 0.04},
                                                     {0.2, 0.03},  {0.35, 0.06}, {0.3, 0.02}};
    memcpy(f.bw_efficiency, bw, sizeof bw);
    memcpy(f.compute_efficiency, ce, sizeof ce);
    for (int k = 0; k < CM_KIND_COUNT; k++)
        for (int m = 0; m < CM_MATH_COUNT; m++) f.fitted[k][m] = true;
    return f;
}

/* The law's sample of one candidate: the estimate's parts at efficiency 1
 * (the spec's efficiencies of the unit's (kind, math) undone) and its
 * serial chain. */
static cm_cal_sample law_sample(const rt_val_subject *s, const rt_val_cand *cd, const cm_gpu *g) {
    const cm_kind kind = (cm_kind)s->u.kind;
    const cm_math m = cm_eff_math(kind, s->u.cu.math);
    return (cm_cal_sample){kind,
                           cd->est.t_dram_us * g->bw_efficiency[kind][m],
                           cd->est.t_l2_us * g->bw_efficiency[kind][m],
                           cd->est.t_compute_us * g->compute_efficiency[kind][m],
                           cd->est.wave_efficiency * cd->est.warp_efficiency,
                           1.0,
                           cd->est.t_serial_us,
                           m};
}

/* Fills every candidate's "measurements": steady time from the law times
 * `slow`, counters equal to the estimates (what the L2 serves, stores and
 * cold DRAM exact). */
static void synthesize(rt_val_case *c, double slow) {
    const cm_cal_fit f = law();
    const cm_gpu *g = &c->g.gpu;
    for (int i = 0; i < c->n_subj; i++) {
        rt_val_subject *s = &c->subj[i];
        for (int k = 0; k < s->n_cand; k++) {
            rt_val_cand *cd = &s->cand[k];
            const cm_cal_sample smp = law_sample(s, cd, g);
            const double t = cm_cal_predict(&f, &smp) * slow;
            cd->steady = (rt_val_time){t, t * 0.98, t * 1.02};
            cd->warm = (rt_val_counters){(double)cd->est.l2_read_bytes, (double)cd->est.traffic.store_bytes, 0,
                                         0, 0, 0};
            cd->cold = (rt_val_counters){0, 0, (double)cd->est_cold.dram_read_bytes,
                                         (double)cd->est_cold.dram_write_bytes, 0, 0};
        }
    }
    rt_val_rank(c, RT_VAL_EST);
}

/* A case of a shipped model on h100_sxm in dtype and math: loaded and
 * planned; with tiles > 0 its candidates chosen (rt_val_case_prepare). NULL
 * on failure. */
static rt_val_case *load_dt(const char *model, int batch, int tiles, cm_dtype dtype, cm_math math) {
    char err[1024];
    rt_val_case *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    fp_plan_options o = fp_plan_default_options();
    o.batch = batch;
    o.dtype = dtype;
    o.math = math;
    if (fp_open_model(model, &c->m, err, sizeof err) != FP_OK || fp_open_gpu("h100_sxm", &c->g, err, sizeof err) != FP_OK ||
        fp_plan_build(&c->m, &c->g, &o, &c->p, err, sizeof err) != FP_OK) {
        CHECK(false, "%s b%d: %s", model, batch, err);
        free(c);
        return NULL;
    }
    c->loaded = true;
    if (tiles > 0 && rt_val_case_prepare(c, tiles, err, sizeof err) != FK_OK) {
        CHECK(false, "%s b%d: prepare: %s", model, batch, err);
        rt_val_case_free(c);
        return NULL;
    }
    return c;
}

static rt_val_case *load(const char *model, int batch, int tiles) {
    return load_dt(model, batch, tiles, CM_F32, CM_MATH_SIMT);
}

/* The measured units of case a, as a report would give them back. */
typedef struct meas {
    rt_val_meas_unit *u;
    rt_val_meas_cand *c;
    int n;
} meas;

static meas measured_units(const rt_val_case *a) {
    meas m = {calloc((size_t)a->n_subj, sizeof *m.u), NULL, a->n_subj};
    int total = 0;
    for (int i = 0; i < a->n_subj; i++) total += a->subj[i].n_cand;
    m.c = calloc((size_t)total, sizeof *m.c);
    int k = 0;
    for (int i = 0; i < a->n_subj && m.u && m.c; i++) {
        const rt_val_subject *s = &a->subj[i];
        rt_val_meas_unit *u = &m.u[i];
        u->name = a->m.layers[s->u.layers[0]].name;
        u->n_layers = s->u.n_layers;
        memcpy(u->layers, s->u.layers, sizeof u->layers);
        u->residual = s->u.residual_layer >= 0;
        u->cand = &m.c[k];
        u->n_cand = s->n_cand;
        for (int j = 0; j < s->n_cand; j++, k++) {
            const rt_val_cand *cd = &s->cand[j];
            m.c[k].id = cm_unit_variant_id(&s->u.cu, &cd->tile);
            m.c[k].name = cd->variant;
            m.c[k].steady = cd->steady;
            m.c[k].warm = cd->warm;
            m.c[k].cold = cd->cold;
        }
    }
    return m;
}

static void test_rebuild(void) {
    rt_val_case *a = load("mobilenet_v2", 1, 4), *b = load("mobilenet_v2", 1, 0);
    if (!a || !b) return;
    synthesize(a, 1.0);
    meas m = measured_units(a);
    rt_val_rebuild_notes notes = {0, 0, 0};
    char err[1024] = "";
    CHECK(rt_val_case_rebuild(b, m.u, m.n, "test", &notes, err, sizeof err) == FK_OK, "%s", err);
    CHECK(notes.cand_not_compiled == 0 && notes.cand_infeasible == 0 && notes.unit_no_tile == 0, "notes %d %d %d",
          notes.cand_not_compiled, notes.cand_infeasible, notes.unit_no_tile);
    CHECK(a->n_subj == b->n_subj, "%d subjects rebuilt, %d measured", b->n_subj, a->n_subj);
    for (int i = 0; i < a->n_subj && i < b->n_subj; i++) {
        const rt_val_subject *x = &a->subj[i], *y = &b->subj[i];
        CHECK(x->chain == y->chain && x->start == y->start && x->len == y->len && x->n_cand == y->n_cand &&
                  x->choice == y->choice && x->u.residual_layer == y->u.residual_layer,
              "subject %d differs", i);
        for (int k = 0; k < x->n_cand && k < y->n_cand; k++)
            CHECK(strcmp(x->cand[k].variant, y->cand[k].variant) == 0 &&
                      x->cand[k].est.time_us == y->cand[k].est.time_us &&
                      x->cand[k].steady.median_us == y->cand[k].steady.median_us,
                  "subject %d candidate %d: %s %g vs %s %g", i, k, x->cand[k].variant, x->cand[k].est.time_us,
                  y->cand[k].variant, y->cand[k].est.time_us);
    }
    rt_val_summary sa, sb;
    rt_val_case *const ca[1] = {a}, *const cb[1] = {b};
    CHECK(rt_val_summarize(ca, 1, true, false, &sa, err, sizeof err) == FK_OK, "%s", err);
    CHECK(rt_val_summarize(cb, 1, true, false, &sb, err, sizeof err) == FK_OK, "%s", err);
    CHECK(sa.kernels == sb.kernels && sa.traffic_within == sb.traffic_within &&
              sa.given.time_median == sb.given.time_median && sa.given.agree == sb.given.agree &&
              sa.given.decisions == sb.given.decisions && sa.given.chains_model_us == sb.given.chains_model_us,
          "figures differ after the rebuild");
    /* exact counters: every kernel within the tolerances */
    CHECK(sa.traffic_within == (size_t)sa.kernels && sa.dram_within == (size_t)sa.kernels, "traffic %zu dram %zu of %d",
          sa.traffic_within, sa.dram_within, sa.kernels);
    rt_val_case_free(b);

    /* a variant that is no row: skipped and counted */
    b = load("mobilenet_v2", 1, 0);
    int victim = 0;
    while (victim < m.n && m.u[victim].n_cand < 2) victim++;
    rt_val_meas_cand *mc = (rt_val_meas_cand *)&m.u[victim].cand[1];
    const cm_variant_id keep = mc->id;
    mc->id.tile.threads = 992; /* parses, is no row */
    memset(&notes, 0, sizeof notes);
    CHECK(b && rt_val_case_rebuild(b, m.u, m.n, "test", &notes, err, sizeof err) == FK_OK, "%s", err);
    CHECK(notes.cand_not_compiled == 1, "not compiled: %d", notes.cand_not_compiled);
    CHECK(b && b->subj[victim].n_cand == m.u[victim].n_cand - 1, "the skipped candidate is gone");
    mc->id = keep;
    rt_val_case_free(b);

    /* a candidate of another kind: refused, naming the unit and the candidate */
    b = load("mobilenet_v2", 1, 0);
    mc->id.kind = mc->id.kind == CM_KIND_DW ? CM_KIND_PW : CM_KIND_DW;
    CHECK(b && rt_val_case_rebuild(b, m.u, m.n, "test", &notes, err, sizeof err) == FK_ERR_INVALID &&
              strstr(err, m.u[victim].name) && strstr(err, "candidate"),
          "kind mismatch: %s", err);
    mc->id = keep;
    rt_val_case_free(b);

    /* layers that are no segment of a chain (a DW layer and a layer two
     * chains away): refused naming the unit */
    b = load("mobilenet_v2", 1, 0);
    rt_val_meas_unit bad = m.u[0];
    bad.name = "bogus_unit";
    bad.n_layers = 2;
    bad.layers[1] = a->m.n_layers - 1;
    CHECK(b && rt_val_case_rebuild(b, &bad, 1, "test", &notes, err, sizeof err) == FK_ERR_INVALID &&
              strstr(err, "bogus_unit") && strstr(err, "no segment"),
          "no segment: %s", err);
    rt_val_case_free(b);

    /* residual: true on a unit that ends no chain with an absorbable add */
    b = load("mobilenet_v2", 1, 0);
    int plain = 0; /* a single layer that does not end its chain */
    while (plain < a->n_subj &&
           (a->subj[plain].len != 1 || a->subj[plain].start + 1 >= a->chains.len[a->subj[plain].chain]))
        plain++;
    CHECK(plain < a->n_subj, "no single layer inside a chain");
    if (plain < a->n_subj) {
        bad = m.u[plain];
        bad.residual = true;
        bad.name = "fake_residual";
        CHECK(b && rt_val_case_rebuild(b, &bad, 1, "test", &notes, err, sizeof err) == FK_ERR_INVALID &&
                  strstr(err, "fake_residual") && strstr(err, "residual"),
              "residual: %s", err);
    }
    rt_val_case_free(b);
    free(m.u);
    free(m.c);
    rt_val_case_free(a);
}

enum { N_CASES = 6 };
static const char *const MODELS[3] = {"mobilenet_v2", "mobilenet_v1", "mnasnet_b1"};

static int load_all(rt_val_case **cs, const char *slow_model, double slow) {
    int n = 0;
    for (int i = 0; i < 3; i++)
        for (int b = 0; b < 2; b++) {
            rt_val_case *c = load(MODELS[i], b ? 64 : 1, 3);
            if (!c) continue;
            synthesize(c, slow_model && strcmp(MODELS[i], slow_model) == 0 ? slow : 1.0);
            cs[n++] = c;
        }
    return n;
}

static void check_trivial(const char *what, const rt_val_figs *f, bool in_pool) {
    CHECK(f->never_agree + f->always_agree == f->decisions, "%s: never %d + always %d != %d", what, f->never_agree,
          f->always_agree, f->decisions);
    CHECK(f->model_fuses >= f->fused_faster && f->measured_fuses == f->always_agree, "%s: counts", what);
    if (in_pool)
        CHECK(f->majority_agree >= f->never_agree && f->majority_agree >= f->always_agree,
              "%s: in-pool majority %d below a constant decider (%d, %d)", what, f->majority_agree, f->never_agree,
              f->always_agree);
    CHECK(f->majority_from_training == !in_pool, "%s: majority from %s", what, f->majority_from_training ? "training" : "pool");
    CHECK(f->chains > 0 && f->chains_best_us <= f->chains_model_us * (1 + 1e-12) &&
              f->chains_best_us <= f->chains_never_us * (1 + 1e-12),
          "%s: chains: best %g above the model's %g or never fusing %g", what, f->chains_best_us, f->chains_model_us,
          f->chains_never_us);
}

static void test_heldout_exact(void) {
    rt_val_case *cs[N_CASES];
    const int n = load_all(cs, NULL, 1.0);
    if (n != N_CASES) return;
    const char *hold[1] = {"mnasnet_b1"};
    rt_val_heldout h;
    char err[1024] = "";
    CHECK(rt_val_heldout_run(cs, n, true, hold, 1, &h, err, sizeof err) == FK_OK, "%s", err);
    CHECK(h.lomo_folds == 2 && h.never_cases == 2 && h.cases_fitted == 4, "folds %d, never %d, fitted %d",
          h.lomo_folds, h.never_cases, h.cases_fitted);
    CHECK(h.cross_batch[0] == 1 && h.cross_batch[1] == 64, "cross batch %d %d", h.cross_batch[0], h.cross_batch[1]);
    size_t all = 0, never = 0;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < cs[i]->n_subj; s++) {
            all += (size_t)cs[i]->subj[s].n_cand;
            if (strcmp(cs[i]->m.name, "mnasnet_b1") == 0) never += (size_t)cs[i]->subj[s].n_cand;
        }
    CHECK(h.in_sample.kernels == all && h.never.kernels == never && h.lomo.kernels == all - never &&
              h.pooled.kernels == all,
          "kernels: in %zu never %zu lomo %zu pooled %zu (all %zu, held %zu)", h.in_sample.kernels, h.never.kernels,
          h.lomo.kernels, h.pooled.kernels, all, never);
    const rt_val_figs *rows[6] = {&h.in_sample, &h.lomo, &h.never, &h.pooled, &h.cross[0], &h.cross[1]};
    const char *names[6] = {"in-sample", "lomo", "never", "pooled", "cross lo->hi", "cross hi->lo"};
    for (int r = 0; r < 6; r++) {
        /* medians only held out: a kind absent from a fold's training
         * cases (PWPW is in no MobileNetV1 unit) keeps the spec's
         * efficiencies, and batch 1 alone hardly pins a bandwidth. In
         * sample every kernel: the L2 budget fit must find the spec's
         * budget the counters came from (0.75 on its grid) */
        CHECK(rows[r]->time_median < 0.01 && (r != 0 || rows[r]->time_worst < 0.01),
              "%s: the model's own law: median %g worst %g", names[r], rows[r]->time_median, rows[r]->time_worst);
        CHECK(rows[r]->agree >= rows[r]->decisions - 1, "%s: decisions %d/%d on the model's own law", names[r],
              rows[r]->agree, rows[r]->decisions);
        check_trivial(names[r], rows[r], r == 0);
        /* the in-plan units are a subset of the units: their worst regret is
         * at most the worst of all */
        CHECK(rows[r]->units_plan > 0 && rows[r]->units_plan <= rows[r]->units &&
                  rows[r]->regret_worst_plan <= rows[r]->regret_worst,
              "%s: in-plan units %zu of %zu, worst regret %g of %g", names[r], rows[r]->units_plan, rows[r]->units,
              rows[r]->regret_worst_plan, rows[r]->regret_worst);
    }
    /* the baseline cannot follow per-kind efficiencies */
    CHECK(h.uniform_pooled.time_median > 3 * h.pooled.time_median + 0.01, "baseline %g vs full %g",
          h.uniform_pooled.time_median, h.pooled.time_median);
    /* every model held out: refused */
    const char *every[3] = {"mobilenet_v2", "mobilenet_v1", "mnasnet_b1"};
    CHECK(rt_val_heldout_run(cs, n, true, every, 3, &h, err, sizeof err) == FK_ERR_INVALID && strstr(err, "nothing left"),
          "all held out: %s", err);
    for (int i = 0; i < n; i++) rt_val_case_free(cs[i]);
}

static void test_heldout_slow_model(void) {
    rt_val_case *cs[N_CASES];
    const int n = load_all(cs, "mobilenet_v1", 1.6);
    if (n != N_CASES) return;
    const char *hold[1] = {"mobilenet_v1"};
    rt_val_heldout h;
    char err[1024] = "";
    CHECK(rt_val_heldout_run(cs, n, true, hold, 1, &h, err, sizeof err) == FK_OK, "%s", err);
    /* never fitted: the fit sees only the exact models; V1 is 1.6x slower */
    CHECK(fabs(h.never.time_median - (1 - 1 / 1.6)) < 0.01, "never fitted: %g, want %g", h.never.time_median,
          1 - 1 / 1.6);
    CHECK(h.lomo.time_median < 0.01, "lomo over the two exact models: %g", h.lomo.time_median);
    /* without the holdout, leaving one model out is worse than in-sample:
     * V1's fold cannot know it is slow */
    CHECK(rt_val_heldout_run(cs, n, true, NULL, 0, &h, err, sizeof err) == FK_OK, "%s", err);
    CHECK(h.lomo_folds == 3 && h.never.kernels == 0, "folds %d", h.lomo_folds);
    CHECK(h.lomo.time_median > h.in_sample.time_median + 0.02, "lomo %g not above in-sample %g", h.lomo.time_median,
          h.in_sample.time_median);
    CHECK(h.pooled.time_median == h.lomo.time_median, "pooled = lomo without holdout models");
    for (int i = 0; i < n; i++) rt_val_case_free(cs[i]);
}

/* The cold estimate is the unit after an L2 flush: inputs from DRAM and
 * nothing dirty left by the unit before (the flush is a read sweep), so its
 * DRAM writes are the unit's own. The planner charges the write-back of the
 * previous unit's dirty output to the unit that reads it
 * (cm_unit.input_dirty_bytes); a subject carrying such bytes (validate
 * evaluates subjects without the plan's context today, so they are set by
 * hand here) must not see them in its cold estimates, the ones the DRAM
 * counters and the L2 budget fit are compared with. */
static void test_cold_clean(void) {
    rt_val_case *c = load("mobilenet_v2", 1, 2);
    if (!c) return;
    const uint64_t dirty = 1u << 20;
    for (int i = 0; i < c->n_subj; i++) c->subj[i].u.cu.input_dirty_bytes = dirty;
    const cm_cal_fit f = law();
    const rt_val_params p = {f, 0.55, 0.0, false};
    rt_val_apply(c, &p);
    cm_gpu g = c->g.gpu;
    g.l2_budget_fraction = 0.55;
    int checked = 0;
    for (int i = 0; i < c->n_subj; i++) {
        const rt_val_subject *s = &c->subj[i];
        cm_unit cold = s->u.cu, stale = s->u.cu;
        cold.input_hot = cold.residual_hot = stale.input_hot = stale.residual_hot = false;
        cold.input_dirty_bytes = 0;
        for (int k = 0; k < s->n_cand; k++) {
            cm_estimate e, d;
            CHECK(cm_estimate_unit(&cold, &s->cand[k].tile, &g, &e) == CM_OK &&
                      cm_estimate_unit(&stale, &s->cand[k].tile, &g, &d) == CM_OK,
                  "estimate");
            CHECK(e.dram_write_bytes == s->cand[k].refit_cold.dram_write_bytes &&
                      e.dram_read_bytes == s->cand[k].refit_cold.dram_read_bytes,
                  "subject %d: cold estimate writes %llu, a clean L2 %llu", i,
                  (unsigned long long)s->cand[k].refit_cold.dram_write_bytes, (unsigned long long)e.dram_write_bytes);
            /* the test bites: with the dirty bytes the writes would be higher */
            CHECK(d.dram_write_bytes == e.dram_write_bytes + dirty, "subject %d: dirty bytes not charged", i);
            checked++;
        }
    }
    CHECK(checked > 100, "%d candidates checked", checked);
    rt_val_case_free(c);
}

/* fp32 on CUDA cores and fp16 on tensor cores fitted together: the law's
 * per-(kind, math) constants differ (tensor-core groups 2-16x slower), and
 * the fit recovers them group by group, so that both element types are
 * predicted to 1% in-sample and held out; the batch-64 DRAM figure counts
 * exactly the batch-64 kernels, at the fitted budget. */
static void test_mixed_math(void) {
    enum { N_MIX = 8 };
    rt_val_case *cs[N_MIX];
    int n = 0;
    static const char *const two[2] = {"mobilenet_v2", "mnasnet_b1"};
    for (int i = 0; i < 2; i++)
        for (int d = 0; d < 2; d++)
            for (int b = 0; b < 2; b++) {
                rt_val_case *c = load_dt(two[i], b ? 64 : 1, 3, d ? CM_F16 : CM_F32, d ? CM_MATH_TC : CM_MATH_SIMT);
                if (!c) continue;
                synthesize(c, 1.0);
                cs[n++] = c;
            }
    if (n != N_MIX) {
        for (int i = 0; i < n; i++) rt_val_case_free(cs[i]);
        return;
    }
    char err[1024] = "";
    rt_val_heldout h;
    CHECK(rt_val_heldout_run(cs, n, true, NULL, 0, &h, err, sizeof err) == FK_OK, "%s", err);
    CHECK(h.in_sample.time_worst < 0.01 && h.pooled.time_median < 0.01, "mixed: in-sample worst %g, held out %g",
          h.in_sample.time_worst, h.pooled.time_median);
    size_t b64 = 0;
    for (int i = 0; i < n; i++)
        if (cs[i]->p.opt.batch == 64)
            for (int s = 0; s < cs[i]->n_subj; s++) b64 += (size_t)cs[i]->subj[s].n_cand;
    CHECK(h.in_sample.dram_b64_n == b64 && h.in_sample.dram_b64_within == b64 && h.pooled.dram_b64_n == b64,
          "batch-64 DRAM: %zu/%zu in-sample, %zu held out, of %zu", h.in_sample.dram_b64_within,
          h.in_sample.dram_b64_n, h.pooled.dram_b64_n, b64);
    cm_cal_fit fit;
    double budget = 0, margin = 0;
    CHECK(rt_val_calibrate(cs, n, true, &fit, &budget, &margin, err, sizeof err) == FK_OK, "%s", err);
    const cm_cal_fit t = law();
    CHECK(fabs(fit.launch_us - t.launch_us) < 0.01 * t.launch_us, "launch %g, law %g", fit.launch_us, t.launch_us);
    /* every group the cases have is fitted; the DW TC group does not exist */
    int fitted = 0, close = 0;
    for (int k = 0; k < CM_KIND_COUNT; k++)
        for (int m = 0; m < CM_MATH_COUNT; m++) {
            fitted += fit.fitted[k][m];
            if (!fit.fitted[k][m]) continue;
            /* a constant the samples pin (the prediction moves with it) comes
             * back; one they do not keeps the spec's prior (0.5..0.85) */
            const bool bw_ok = fabs(fit.bw_efficiency[k][m] / t.bw_efficiency[k][m] - 1) < 0.02;
            const bool c_ok = fabs(fit.compute_efficiency[k][m] / t.compute_efficiency[k][m] - 1) < 0.02;
            close += bw_ok + c_ok;
            CHECK(fit.rms_log_error[k][m] < 0.005, "%s %s: rms %g", cm_kind_name((cm_kind)k),
                  cm_math_name((cm_math)m), fit.rms_log_error[k][m]);
        }
    CHECK(fitted == 11 && !fit.fitted[CM_KIND_DW][CM_MATH_TC], "%d groups fitted", fitted);
    /* the tensor-core PW and PWDWPW, the most measured TC groups, are
     * recovered, and apart from their CUDA-core twins */
    for (int k = CM_KIND_PW; k <= CM_KIND_PWDWPW; k += CM_KIND_PWDWPW - CM_KIND_PW) {
        const double tc = fit.compute_efficiency[k][CM_MATH_TC], sm = fit.compute_efficiency[k][CM_MATH_SIMT];
        CHECK(fabs(tc / t.compute_efficiency[k][CM_MATH_TC] - 1) < 0.02 &&
                  fabs(sm / t.compute_efficiency[k][CM_MATH_SIMT] - 1) < 0.02,
              "%s: compute tc %g (law %g), simt %g (law %g)", cm_kind_name((cm_kind)k), tc,
              t.compute_efficiency[k][CM_MATH_TC], sm, t.compute_efficiency[k][CM_MATH_SIMT]);
    }
    printf("mixed fp32 simt + fp16 tc: %d groups fitted, %d of %d constants within 2%% of the law\n", fitted, close,
           2 * fitted);
    CHECK(close >= fitted, "only %d of %d constants recovered", close, 2 * fitted);
    for (int i = 0; i < n; i++) rt_val_case_free(cs[i]);
}

static void test_majority(void) {
    rt_val_majority t;
    memset(&t, 0, sizeof t);
    CHECK(!rt_val_majority_get(&t, CM_KIND_DWPW, 1), "empty table fuses");
    rt_val_majority_add(&t, CM_KIND_DWPW, 1, true);
    rt_val_majority_add(&t, CM_KIND_DWPW, 1, true);
    rt_val_majority_add(&t, CM_KIND_DWPW, 1, false);
    rt_val_majority_add(&t, CM_KIND_DWPW, 64, false);
    rt_val_majority_add(&t, CM_KIND_PWDW, 64, true);
    rt_val_majority_add(&t, CM_KIND_PWDW, 64, false);
    CHECK(rt_val_majority_get(&t, CM_KIND_DWPW, 1), "dwpw b1: 2 of 3 fuse");
    CHECK(!rt_val_majority_get(&t, CM_KIND_DWPW, 64), "dwpw b64: 0 of 1");
    CHECK(!rt_val_majority_get(&t, CM_KIND_PWDW, 64), "pwdw b64: a tie does not fuse");
    /* an unseen batch: the kind over every batch (dwpw 2 of 4: tie, no) */
    CHECK(!rt_val_majority_get(&t, CM_KIND_DWPW, 8), "dwpw b8 falls back to the kind");
    rt_val_majority_add(&t, CM_KIND_DWPW, 64, true);
    CHECK(rt_val_majority_get(&t, CM_KIND_DWPW, 8), "dwpw b8: 3 of 5");
    /* an unseen kind: every segment (4 of 7 fuse) */
    CHECK(rt_val_majority_get(&t, CM_KIND_PWDWPW, 1), "pwdwpw falls back to all");
}

/* The model's pick among a subject's candidates is the planner's
 * (cm_enumerate_tiles' order restricted to them): the first candidate in
 * estimated time alone picked the k32 member of the fp16 PW twins, which tie
 * exactly, while the planner runs the k64 one. Both slots: the model's
 * estimates and a fit applied. */
static void test_choice_is_planners(void) {
    rt_val_case *c = load_dt("mobilenet_v2", 1, 6, CM_F16, CM_MATH_TC);
    if (!c) return;
    synthesize(c, 1.0);
    /* a report re-analysed with a newer model lists its candidates in the
     * order of the model that measured them: reversed here, so that the
     * first candidate of least time is not the planner's pick by accident */
    for (int i = 0; i < c->n_subj; i++) {
        rt_val_subject *s = &c->subj[i];
        for (int a = 0, b = s->n_cand - 1; a < b; a++, b--) {
            const rt_val_cand t = s->cand[a];
            s->cand[a] = s->cand[b];
            s->cand[b] = t;
        }
    }
    rt_val_rank(c, RT_VAL_EST);
    rt_val_params prm;
    memset(&prm, 0, sizeof prm);
    prm.fit = law();
    rt_val_apply(c, &prm);
    int twins = 0;
    for (int i = 0; i < c->n_subj; i++) {
        const rt_val_subject *s = &c->subj[i];
        cm_tile order[CM_MAX_VARIANTS];
        const size_t n = cm_enumerate_tiles(&s->u.cu, &c->g.gpu, order, CM_MAX_VARIANTS);
        int first = -1; /* the candidate the planner ranks first */
        for (size_t j = 0; j < n && first < 0; j++)
            for (int k = 0; k < s->n_cand && first < 0; k++)
                if (memcmp(&order[j], &s->cand[k].tile, sizeof order[j]) == 0) first = k;
        CHECK(first >= 0 && s->choice == first, "subject %d: validate picks %s, the planner %s", i,
              s->cand[s->choice].variant, first >= 0 ? s->cand[first].variant : "?");
        for (int k = 0; k < s->n_cand; k++)
            for (int j = 0; j < s->n_cand; j++)
                if (s->cand[k].tile.chunk_c == 32 && s->cand[j].tile.chunk_c == 64 &&
                    s->cand[k].tile.tile_w == s->cand[j].tile.tile_w &&
                    s->cand[k].tile.tile_c == s->cand[j].tile.tile_c &&
                    s->cand[k].tile.threads == s->cand[j].tile.threads && s->u.kind == CM_KIND_PW &&
                    s->u.cu.layers[0].in_c > 32) {
                    /* where the twins tie exactly (time, throughput and SM
                     * side: no split-sector charge and no padding of C on
                     * either), the k32 one is never the pick */
                    const rt_val_cand *a = &s->cand[k], *b = &s->cand[j];
                    if (a->est.time_us == b->est.time_us &&
                        cm_estimate_throughput_us(&a->est) == cm_estimate_throughput_us(&b->est) &&
                        cm_estimate_sm_side_us(&a->est) == cm_estimate_sm_side_us(&b->est)) {
                        twins++;
                        CHECK(s->choice != k, "subject %d: the k32 twin %s picked", i, a->variant);
                    }
                    if (a->refit_us == b->refit_us && a->refit_throughput_us == b->refit_throughput_us &&
                        a->refit_sm_side_us == b->refit_sm_side_us)
                        CHECK(s->refit_choice != k, "subject %d: the k32 twin %s picked (fit applied)", i,
                              a->variant);
                }
    }
    CHECK(twins > 0, "no tied PW k32/k64 twins among the candidates (the test needs them)");
    rt_val_case_free(c);
}

int main(void) {
    test_majority();
    test_choice_is_planners();
    test_rebuild();
    test_heldout_exact();
    test_heldout_slow_model();
    test_cold_clean();
    test_mixed_math();
    return check_summary("val");
}
