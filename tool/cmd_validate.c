/* cmd_validate.c - `fuseplan validate`: options, the tables and the JSON
 * report of the validation engine (runtime/rt_validate.h measures and
 * summarises; costmodel/cm_calibrate.h fits), and the calibrated GPU spec
 * (docs/validation.md). */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tool.h"
#include "tool_gpu.h"
#include "tool_progress.h"
#include "rt_stats.h"
#include "rt_validate.h"

/* Most MODEL arguments. */
#define MAX_INPUTS 16

static int fail1(const char *msg, const char *err) {
    fprintf(stderr, "fuseplan validate: %s%s%s\n", msg, err ? ": " : "", err ? err : "");
    return 1;
}

/* ---- progress (stderr, tool_progress.h) ---- */

typedef struct progress {
    tool_progress line;
    int case_index, cases;
    const char *model;
    int batch;
} progress;

static void on_progress(void *ctx, int done, int total) {
    progress *p = ctx;
    char stage[96];
    snprintf(stage, sizeof stage, "case %d/%d %s b%d: kernels", p->case_index + 1, p->cases, p->model,
             p->batch);
    tool_progress_update(&p->line, stage, done, total);
}

/* ---- printing ---- */

/* ---- printing ---- */

static void print_case(const rt_val_case *c, bool counters, const rt_val_summary *sm) {
    printf("\n%s, batch %d, %s (spec %s): %d candidate units, %d kernels measured in %.0f s\n",
           c->m.name, c->p.opt.batch, cm_dtype_name(c->p.opt.dtype), c->g.id, c->n_subj, sm->kernels,
           c->seconds);
    printf("%-34s %-7s %-26s %9s %9s %6s %9s %9s %6s %8s %8s %6s %5s %6s\n", "unit (model's tile)", "kind",
           "variant", "L2 est", "L2 meas", "err", "DRAM est", "DRAMcold", "err", "t est", "t meas",
           "err", "tau", "regret");
    for (int i = 0; i < c->n_subj; i++) {
        const rt_val_subject *s = &c->subj[i];
        const rt_val_cand *cd = &s->cand[s->choice];
        char name[160], b1[16], b2[16], b3[16], e1[16], e2[16], e3[16], e4[16];
        tool_unit_name(&c->m, &s->u, name, sizeof name);
        printf("%-34.34s %-7s %-26.26s %9s %9s %6s %9s %9s %6s %8.1f %8.1f %6s %5.2f %5.1f%%%s\n", name,
               cm_kind_name((cm_kind)s->u.kind), cd->variant, tool_bytes(rt_val_est_traffic(cd), b1, 16),
               counters ? tool_bytes(rt_val_meas_traffic(cd), b2, 16) : "-",
               tool_pct(counters ? rt_vm_rel_error(rt_val_est_traffic(cd), rt_val_meas_traffic(cd)) : NAN, e1, 16),
               tool_bytes(rt_val_est_dram_cold(cd), b3, 16),
               counters ? tool_bytes(rt_val_meas_dram_cold(cd), e4, 16) : "-",
               tool_pct(counters ? rt_vm_rel_error(rt_val_est_dram_cold(cd), rt_val_meas_dram_cold(cd)) : NAN, e2, 16),
               cd->est.time_us, cd->steady.median_us,
               tool_pct(rt_vm_rel_error(cd->est.time_us, cd->steady.median_us), e3, 16), s->tau,
               100 * s->regret, s->in_plan ? "  (plan)" : "");
    }
}

static void print_summary(const char *what, bool counters, bool refit, const rt_val_summary *s) {
    printf("\n%s: %d kernels\n", what, s->kernels);
    if (counters) {
        printf("  global (L2) traffic: %zu/%zu kernels within %.0f%% (target 90%%); median |error| "
               "%.1f%%, worst %.0f%%\n",
               s->traffic_within, s->traffic_n, 100 * RT_VAL_TRAFFIC_TOL, 100 * s->traffic_median,
               100 * s->traffic_worst);
        printf("  DRAM bytes (L2 flushed): %zu/%zu kernels within %.0f%%; median |error| %.1f%%, "
               "worst %.0f%%\n",
               s->dram_within, s->dram_n, 100 * RT_VAL_DRAM_TOL, 100 * s->dram_median, 100 * s->dram_worst);
    }
    printf("  time: median |error| %.1f%%, worst %.0f%%; tile ranking: median Kendall tau %.2f; "
           "regret of the model's tile: median %.1f%%, worst %.1f%%\n",
           100 * s->time_median, 100 * s->time_worst, s->tau_median, 100 * s->regret_median,
           100 * s->regret_worst);
    printf("  fusion decisions agreeing with measurement: %d/%d fusable segments (the model fuses %d, "
           "%d of them measure faster); chains planned as measured best: %d/%d (plan %.1f us vs "
           "best %.1f us measured, +%.1f%%)\n",
           s->chains_agree, s->chains_total, s->fused, s->fused_faster, s->segs_agree, s->segs_total,
           s->plan_measured_us,
           s->best_measured_us,
           s->best_measured_us > 0 ? 100 * (s->plan_measured_us / s->best_measured_us - 1) : 0.0);
    if (refit)
        printf("  after the fit (in-sample): time median |error| %.1f%%, worst %.0f%%; median tau "
               "%.2f; regret median %.1f%%, worst %.1f%%; fusion decisions %d/%d (fuses %d, %d "
               "faster); cold DRAM bytes within %.0f%%: %zu/%zu\n",
               100 * s->refit_time_median, 100 * s->refit_time_worst, s->refit_tau_median,
               100 * s->refit_regret_median, 100 * s->refit_regret_worst, s->refit_chains_agree,
               s->chains_total, s->refit_fused, s->refit_fused_faster, 100 * RT_VAL_DRAM_TOL,
               s->refit_dram_within, s->dram_n);
}

/* ---- JSON report ---- */

static double r3(double v) { return isfinite(v) ? round(v * 1e3) / 1e3 : 0; }

static cJSON *ctr_json(const rt_ctr_values *v) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "l2_read_bytes", v->l2_read_bytes);
    cJSON_AddNumberToObject(o, "l2_write_bytes", v->l2_write_bytes);
    cJSON_AddNumberToObject(o, "dram_read_bytes", v->dram_read_bytes);
    cJSON_AddNumberToObject(o, "dram_write_bytes", v->dram_write_bytes);
    cJSON_AddNumberToObject(o, "l2_hit_rate_pct", r3(v->l2_hit_rate_pct));
    cJSON_AddNumberToObject(o, "duration_us", r3(v->duration_us));
    return o;
}

static cJSON *est_json(const cm_estimate *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "load_bytes", (double)e->traffic.load_bytes);
    cJSON_AddNumberToObject(o, "store_bytes", (double)e->traffic.store_bytes);
    cJSON_AddNumberToObject(o, "dram_read_bytes", (double)e->dram_read_bytes);
    cJSON_AddNumberToObject(o, "dram_write_bytes", (double)e->dram_write_bytes);
    cJSON_AddNumberToObject(o, "time_us", r3(e->time_us));
    cJSON_AddNumberToObject(o, "t_dram_us", r3(e->t_dram_us));
    cJSON_AddNumberToObject(o, "t_l2_us", r3(e->t_l2_us));
    cJSON_AddNumberToObject(o, "t_compute_us", r3(e->t_compute_us));
    cJSON_AddNumberToObject(o, "quantisation", r3(e->wave_efficiency * e->warp_efficiency));
    return o;
}

static cJSON *summary_json(const rt_val_summary *s, bool refit) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "kernels", s->kernels);
    cJSON_AddNumberToObject(o, "traffic_within_10pct", (double)s->traffic_within);
    cJSON_AddNumberToObject(o, "traffic_compared", (double)s->traffic_n);
    cJSON_AddNumberToObject(o, "traffic_median_abs_error", r3(s->traffic_median));
    cJSON_AddNumberToObject(o, "traffic_worst_abs_error", r3(s->traffic_worst));
    cJSON_AddNumberToObject(o, "dram_cold_within_20pct", (double)s->dram_within);
    cJSON_AddNumberToObject(o, "dram_compared", (double)s->dram_n);
    cJSON_AddNumberToObject(o, "dram_cold_median_abs_error", r3(s->dram_median));
    cJSON_AddNumberToObject(o, "dram_cold_worst_abs_error", r3(s->dram_worst));
    cJSON_AddNumberToObject(o, "time_median_abs_error", r3(s->time_median));
    cJSON_AddNumberToObject(o, "time_worst_abs_error", r3(s->time_worst));
    cJSON_AddNumberToObject(o, "kendall_tau_median", r3(s->tau_median));
    cJSON_AddNumberToObject(o, "regret_median", r3(s->regret_median));
    cJSON_AddNumberToObject(o, "regret_worst", r3(s->regret_worst));
    cJSON_AddNumberToObject(o, "fusion_decisions_agree", s->chains_agree);
    cJSON_AddNumberToObject(o, "fusion_decisions", s->chains_total);
    cJSON_AddNumberToObject(o, "fusions_chosen", s->fused);
    cJSON_AddNumberToObject(o, "fusions_chosen_faster", s->fused_faster);
    cJSON_AddNumberToObject(o, "chains_planned_as_measured_best", s->segs_agree);
    cJSON_AddNumberToObject(o, "chains", s->segs_total);
    cJSON_AddNumberToObject(o, "chains_plan_measured_us", r3(s->plan_measured_us));
    cJSON_AddNumberToObject(o, "chains_best_measured_us", r3(s->best_measured_us));
    if (refit) {
        cJSON *r = cJSON_AddObjectToObject(o, "after_fit_in_sample");
        cJSON_AddNumberToObject(r, "time_median_abs_error", r3(s->refit_time_median));
        cJSON_AddNumberToObject(r, "time_worst_abs_error", r3(s->refit_time_worst));
        cJSON_AddNumberToObject(r, "kendall_tau_median", r3(s->refit_tau_median));
        cJSON_AddNumberToObject(r, "regret_median", r3(s->refit_regret_median));
        cJSON_AddNumberToObject(r, "regret_worst", r3(s->refit_regret_worst));
        cJSON_AddNumberToObject(r, "fusion_decisions_agree", s->refit_chains_agree);
        cJSON_AddNumberToObject(r, "fusions_chosen", s->refit_fused);
        cJSON_AddNumberToObject(r, "fusions_chosen_faster", s->refit_fused_faster);
        cJSON_AddNumberToObject(r, "dram_cold_within_20pct", (double)s->refit_dram_within);
    }
    return o;
}

/* Every fusion decision of the case (the spec's margin), for the confusion
 * table of `fuseplan report`. */
static void add_decisions(cJSON *o, const rt_val_case *c) {
    rt_val_decision *d = malloc(sizeof *d * (size_t)(c->n_subj ? c->n_subj : 1));
    int n = d ? rt_val_decisions(c, c->g.fusion_margin, d, c->n_subj) : 0;
    cJSON *arr = cJSON_AddArrayToObject(o, "fusion_decisions");
    for (int i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        const fp_unit *u = &c->subj[d[i].subject].u;
        char name[160];
        cJSON_AddStringToObject(x, "name", tool_unit_name(&c->m, u, name, sizeof name));
        cJSON_AddBoolToObject(x, "model_fuses", d[i].model_fuses);
        cJSON_AddBoolToObject(x, "measured_fuses", d[i].measured_fuses);
        cJSON_AddNumberToObject(x, "est_fused_us", r3(d[i].est_fused_us));
        cJSON_AddNumberToObject(x, "est_layers_us", r3(d[i].est_layers_us));
        cJSON_AddNumberToObject(x, "meas_fused_us", r3(d[i].meas_fused_us));
        cJSON_AddNumberToObject(x, "meas_layers_us", r3(d[i].meas_layers_us));
        cJSON_AddItemToArray(arr, x);
    }
    free(d);
}

static cJSON *case_json(const rt_val_case *c, bool counters, bool refit, const rt_val_summary *sm) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", c->m.name);
    cJSON_AddStringToObject(o, "model_file", c->p.model_file);
    cJSON_AddNumberToObject(o, "batch", c->p.opt.batch);
    cJSON_AddStringToObject(o, "dtype", cm_dtype_name(c->p.opt.dtype));
    cJSON_AddNumberToObject(o, "seconds", c->seconds);
    cJSON_AddItemToObject(o, "summary", summary_json(sm, refit));
    add_decisions(o, c);
    cJSON *units = cJSON_AddArrayToObject(o, "units");
    for (int i = 0; i < c->n_subj; i++) {
        const rt_val_subject *s = &c->subj[i];
        cJSON *u = cJSON_CreateObject();
        char name[160];
        tool_unit_name(&c->m, &s->u, name, sizeof name);
        cJSON_AddStringToObject(u, "name", name);
        cJSON_AddStringToObject(u, "kind", cm_kind_name((cm_kind)s->u.kind));
        cJSON *ls = cJSON_AddArrayToObject(u, "layers");
        for (int l = 0; l < s->u.n_layers; l++)
            cJSON_AddItemToArray(ls, cJSON_CreateString(c->m.layers[s->u.layers[l]].name));
        cJSON_AddBoolToObject(u, "residual", s->u.residual_layer >= 0);
        cJSON_AddBoolToObject(u, "in_plan", s->in_plan);
        cJSON_AddBoolToObject(u, "input_hot", s->u.cu.input_hot);
        cJSON_AddNumberToObject(u, "model_choice", s->choice);
        cJSON_AddNumberToObject(u, "kendall_tau", r3(s->tau));
        cJSON_AddNumberToObject(u, "regret", r3(s->regret));
        if (refit) {
            cJSON_AddNumberToObject(u, "refit_choice", s->refit_choice);
            cJSON_AddNumberToObject(u, "refit_kendall_tau", r3(s->refit_tau));
            cJSON_AddNumberToObject(u, "refit_regret", r3(s->refit_regret));
        }
        cJSON *cs = cJSON_AddArrayToObject(u, "candidates");
        for (int k = 0; k < s->n_cand; k++) {
            const rt_val_cand *cd = &s->cand[k];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "variant", cd->variant);
            cJSON_AddItemToObject(x, "estimate", est_json(&cd->est));
            cJSON_AddItemToObject(x, "estimate_cold", est_json(&cd->est_cold));
            cJSON_AddNumberToObject(x, "time_us", r3(cd->steady.median_us));
            cJSON_AddNumberToObject(x, "time_p10_us", r3(cd->steady.p10_us));
            cJSON_AddNumberToObject(x, "time_p90_us", r3(cd->steady.p90_us));
            if (counters) cJSON_AddNumberToObject(x, "time_cold_us", r3(cd->cold_us));
            if (refit) cJSON_AddNumberToObject(x, "refit_time_us", r3(cd->refit_us));
            if (counters) {
                cJSON_AddItemToObject(x, "counters_steady", ctr_json(&cd->warm));
                cJSON_AddItemToObject(x, "counters_cold", ctr_json(&cd->cold));
            }
            cJSON_AddItemToArray(cs, x);
        }
        cJSON_AddItemToArray(units, u);
    }
    return o;
}

/* ---- the calibrated spec ---- */

/* Writes the calibrated spec: the validated spec with the fitted launch
 * overhead and efficiencies, re-read to prove it loads. */
static int write_calibrated_spec(const char *path, const fp_gpu_spec *g0, const cm_cal_fit *fit,
                                 double budget, double margin, const char *device,
                                 const char *models, size_t n_kernels) {
    fp_gpu_spec g = *g0;
    char date[32];
    tool_utc_now(date, sizeof date, true);
    char src[FP_SOURCE_MAX];
    snprintf(src, sizeof src,
             "measured %s fuseplan validate --calibrate on %s, commit %s: least squares of log time "
             "over %zu kernels (%s); rms log error %.3f%s",
             date, device, tool_commit(), n_kernels, models, fit->rms_log_error_all,
             budget > 0 ? "; L2 budget: the fraction with the most cold DRAM bytes within 20%; fusion "
                          "margin: the smallest with the most fusion decisions agreeing" : "");
    if (budget > 0) g.gpu.l2_budget_fraction = budget;
    g.fusion_margin = margin;
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        if (!fit->fitted[k]) continue;
        /* the fit's box is the spec format's range [0.001, 1]; 4 digits kept */
        g.gpu.bw_efficiency[k] = fmin(1.0, fmax(0.001, round(fit->bw_efficiency[k] * 1e4) / 1e4));
        g.gpu.compute_efficiency[k] =
            fmin(1.0, fmax(0.001, round(fit->compute_efficiency[k] * 1e4) / 1e4));
    }
    g.calibrated = true;
    snprintf(g.calibration_source, sizeof g.calibration_source, "%s", src);
    g.values[FP_GPU_LAUNCH_OVERHEAD_US] = round(fit->launch_us * 1e3) / 1e3;
    snprintf(g.sources[FP_GPU_LAUNCH_OVERHEAD_US], FP_SOURCE_MAX, "%.340s (one overhead for all kernels)",
             src);
    size_t idl = strlen(g.id);
    if (idl < 11 || strcmp(g.id + idl - 11, "_calibrated") != 0) {
        char id[sizeof g.id];
        snprintf(id, sizeof id, "%.51s_calibrated", g0->id);
        memcpy(g.id, id, sizeof id);
        char name[sizeof g.name];
        snprintf(name, sizeof name, "%.110s (calibrated)", g0->name);
        memcpy(g.name, name, sizeof name);
    }
    char *json = fp_gpu_to_json(&g);
    int rc = tool_write_file("validate", "the calibrated spec", path, json, true);
    free(json);
    if (rc) return rc;
    fp_gpu_spec back;
    char err[1024];
    if (fp_gpu_load(path, &back, err, sizeof err) != FP_OK)
        return fail1("the calibrated spec does not load back", err);
    printf("wrote %s (id %s): validate again with --gpu %s to measure the calibrated planner\n",
           path, g.id, path);
    return 0;
}

/* ---- the command ---- */

/* Loads and plans every (model, batch) case and chooses its candidates: bad
 * input fails (exit 2) before minutes of measuring, and without a GPU. */
static int load_cases(const tool_options *o, rt_val_case **cases, int *n_cases) {
    char err[2048];
    *n_cases = 0;
    for (int i = 0; i < (o->n_pos ? o->n_pos : 1); i++)
        for (int b = 0; b < o->n_batches; b++) {
            const char *input = o->n_pos ? o->pos[i] : "mobilenet_v2";
            rt_val_case *c = calloc(1, sizeof *c);
            if (!c) return fail1("out of memory", NULL);
            cases[(*n_cases)++] = c;
            tool_input in = {input, o->gpu, o->batches[b], o->batch_set, o->dtype, o->dtype_set,
                             o->plan.math, o->math_set};
            int rc = tool_prepare("validate", &in, &c->m, &c->g, &c->p);
            if (rc) return rc;
            c->loaded = true;
            if (c->p.opt.dtype != CM_F32) {
                fprintf(stderr, "fuseplan validate: %s: %s plans cannot run yet: the backend has fp32 "
                        "kernels only\n", input, cm_dtype_name(c->p.opt.dtype));
                return 1;
            }
            if (o->calibrate && cases[0]->g.hash != c->g.hash) {
                fprintf(stderr, "fuseplan validate: --calibrate needs one GPU spec for every case; "
                        "%s uses %s, %s uses %s\n", o->n_pos ? o->pos[0] : input, cases[0]->g.path,
                        input, c->g.path);
                return 2;
            }
            if (rt_val_case_prepare(c, o->tiles, err, sizeof err) != FK_OK)
                return fail1("choosing candidates", err);
        }
    return 0;
}

/* The device, CUPTI, then every case measured. */
static int measure_all(const tool_options *o, rt_val_case **cases, int n_cases, rt_ctr_session **ctr) {
    char err[2048];
    int ndev = 0;
    cudaError_t ce = cudaGetDeviceCount(&ndev);
    if (ce != cudaSuccess || ndev == 0)
        return fail1("no CUDA device", ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices");
#ifdef FUSEPLAN_HAVE_CUPTI
    if (!o->no_counters && rt_ctr_create(ctr, err, sizeof err) != FK_OK)
        return fail1("starting CUPTI (try --no-counters)", err);
#else
    *ctr = NULL;
#endif
    progress pg;
    memset(&pg, 0, sizeof pg);
    tool_progress_init(&pg.line, "validate", o->quiet);
    pg.cases = n_cases;
    for (int i = 0; i < n_cases; i++) {
        pg.case_index = i;
        pg.model = cases[i]->m.name;
        pg.batch = cases[i]->p.opt.batch;
        fk_status st = rt_val_measure_case(cases[i], o->iters, *ctr, on_progress, &pg, err, sizeof err);
        tool_progress_clear(&pg.line);
        if (st != FK_OK) return fail1("measuring", err);
    }
    return 0;
}

/* The report's header and what was measured how. */
static cJSON *report_root(const tool_options *o, const rt_val_case *c0, rt_ctr_session *ctr,
                          const char *dev, int drv, int rtv) {
    char date[32];
    tool_utc_now(date, sizeof date, false);
    printf("fuseplan validate on %s (driver %d, runtime %d), commit %s, %s\n", dev, drv, rtv,
           tool_commit(), date);
#ifdef FUSEPLAN_HAVE_CUPTI
    if (ctr)
        printf("counters: CUPTI range profiler on %s, %d replay pass(es) per measurement: %s\n",
               rt_ctr_chip(ctr), rt_ctr_passes(ctr), rt_ctr_metric_list());
#endif
    printf("L2 traffic = SM requests (steady state); DRAM = one run after an L2 flush, against "
           "the estimate with inputs cold; time = median of %d launches, caches warm\n", o->iters);
    cJSON *root = cJSON_CreateObject();
    tool_report_header(root, "fuseplan-validation", dev, drv, rtv, date);
    cJSON_AddStringToObject(root, "gpu_spec", c0->g.id);
    cJSON_AddStringToObject(root, "gpu_spec_file", c0->g.path);
    cJSON_AddBoolToObject(root, "gpu_spec_calibrated", c0->g.calibrated);
    cJSON_AddNumberToObject(root, "fusion_margin", c0->g.fusion_margin);
    cJSON_AddNumberToObject(root, "tiles_per_unit", o->tiles);
    cJSON_AddNumberToObject(root, "iters", o->iters);
#ifdef FUSEPLAN_HAVE_CUPTI
    if (ctr) {
        cJSON_AddStringToObject(root, "cupti_chip", rt_ctr_chip(ctr));
        cJSON_AddStringToObject(root, "metrics", rt_ctr_metric_list());
        cJSON_AddNumberToObject(root, "replay_passes", rt_ctr_passes(ctr));
    }
#else
    (void)ctr;
#endif
    return root;
}

/* The fit's table and JSON. */
static void print_fit(cJSON *root, const cm_cal_fit *fit, double budget, double margin,
                      const rt_val_case *c0, size_t n_kernels) {
    printf("\ncalibration: launch overhead %.2f us; rms log error %.3f over %zu kernels; L2 "
           "budget %.2f of the L2 (spec default %.2f); fusion margin %.2f\n",
           fit->launch_us, fit->rms_log_error_all, n_kernels, budget,
           (double)cm_l2_budget_bytes(&c0->g.gpu) / (double)c0->g.gpu.l2_bytes, margin);
    cJSON *jf = cJSON_AddObjectToObject(root, "calibration");
    if (budget > 0) cJSON_AddNumberToObject(jf, "l2_budget_fraction", budget);
    cJSON_AddNumberToObject(jf, "fusion_margin", margin);
    cJSON_AddNumberToObject(jf, "launch_overhead_us", r3(fit->launch_us));
    cJSON_AddNumberToObject(jf, "rms_log_error", r3(fit->rms_log_error_all));
    cJSON *kinds = cJSON_AddObjectToObject(jf, "kinds");
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        if (!fit->fitted[k]) continue;
        printf("  %-7s %5d kernels  bw efficiency %.4f  compute efficiency %.4f  rms log "
               "error %.3f\n", cm_kind_name((cm_kind)k), fit->samples[k], fit->bw_efficiency[k],
               fit->compute_efficiency[k], fit->rms_log_error[k]);
        cJSON *x = cJSON_AddObjectToObject(kinds, cm_kind_name((cm_kind)k));
        cJSON_AddNumberToObject(x, "kernels", fit->samples[k]);
        cJSON_AddNumberToObject(x, "bw_efficiency", round(fit->bw_efficiency[k] * 1e4) / 1e4);
        cJSON_AddNumberToObject(x, "compute_efficiency", round(fit->compute_efficiency[k] * 1e4) / 1e4);
        cJSON_AddNumberToObject(x, "rms_log_error", r3(fit->rms_log_error[k]));
    }
}

/* Per case and overall: tables and JSON; with --calibrate the fit and the
 * spec; then the report file. */
static int report(const tool_options *o, rt_val_case **cases, int n_cases, rt_ctr_session *ctr,
                  bool refit, const cm_cal_fit *fit, double budget, double margin) {
    char dev[256] = "", err[1024], models[512] = "";
    int drv = 0, rtv = 0, rc = 0;
    bool counters = !o->no_counters;
    rt_device_info(dev, sizeof dev, &drv, &rtv);
    cJSON *root = report_root(o, cases[0], ctr, dev, drv, rtv);
    cJSON *jc = cJSON_AddArrayToObject(root, "cases");
    size_t mo = 0, n_kernels = 0;
    for (int i = 0; i < n_cases && !rc; i++) {
        rt_val_summary sm;
        if (rt_val_summarize(&cases[i], 1, counters, refit, margin, &sm, err, sizeof err) != FK_OK) {
            rc = fail1("summarising", err);
            break;
        }
        n_kernels += (size_t)sm.kernels;
        print_case(cases[i], counters, &sm);
        char what[256];
        snprintf(what, sizeof what, "%s batch %d", cases[i]->m.name, cases[i]->p.opt.batch);
        print_summary(what, counters, refit, &sm);
        cJSON_AddItemToArray(jc, case_json(cases[i], counters, refit, &sm));
        if (mo < sizeof models)
            mo += (size_t)snprintf(models + mo, sizeof models - mo, "%s%s b%d", i ? ", " : "",
                                   cases[i]->m.name, cases[i]->p.opt.batch);
    }
    rt_val_summary all;
    if (!rc && rt_val_summarize(cases, n_cases, counters, refit, margin, &all, err, sizeof err) != FK_OK)
        rc = fail1("summarising", err);
    if (!rc) {
        if (n_cases > 1) print_summary("all cases", counters, refit, &all);
        cJSON_AddItemToObject(root, "summary", summary_json(&all, refit));
    }
    if (!rc && refit) {
        print_fit(root, fit, budget, margin, cases[0], n_kernels);
        rc = write_calibrated_spec(o->out, &cases[0]->g, fit, budget, margin, dev, models, n_kernels);
    }
    if (!rc && o->report) {
        /* compact: a report holds ~25 numbers per kernel, thousands of kernels */
        rc = tool_write_json("validate", "the report", o->report, root, false, true);
        if (!rc) printf("report: %s\n", o->report);
    }
    cJSON_Delete(root);
    return rc;
}

static int run_validate(const tool_options *o) {
    if (o->calibrate != (o->out != NULL))
        return tool_usage_error("validate", "--calibrate and -o SPEC.json go together");
    const char *inputs[MAX_INPUTS + 1];
    int n_in = 0;
    for (int i = 0; i < o->n_pos && n_in < MAX_INPUTS; i++) inputs[n_in++] = o->pos[i];
    inputs[n_in++] = o->gpu;
    int rc = tool_refuse_overwrite("validate", "-o", o->out, inputs, n_in);
    if (!rc) rc = tool_refuse_overwrite("validate", "--report", o->report, inputs, n_in);
    if (!rc && o->out && o->report && tool_same_file(o->out, o->report))
        rc = tool_usage_error("validate", "-o and --report name the same file %s", o->out);
    if (!rc) rc = tool_check_writable("validate", "-o", o->out);
    if (!rc) rc = tool_check_writable("validate", "--report", o->report);
    if (rc) return rc;
    rt_val_case *cases[MAX_INPUTS * TOOL_MAX_BATCHES] = {NULL};
    int n_cases = 0;
    rt_ctr_session *ctr = NULL;
    /* every input read and checked before the build's or the device's
     * limits are: bad input is exit 2 on any machine */
    rc = load_cases(o, cases, &n_cases);
#ifndef FUSEPLAN_HAVE_CUPTI
    if (!rc && !o->no_counters)
        rc = fail1("this fuseplan was built without CUPTI (hardware counters); rebuild with the "
                   "CUDA toolkit's CUPTI, or pass --no-counters for timings only",
                   NULL);
#endif
    if (!rc) rc = tool_need_device("validate");
    if (!rc) rc = measure_all(o, cases, n_cases, &ctr);
    cm_cal_fit fit;
    memset(&fit, 0, sizeof fit);
    double budget = 0, margin = 0;
    bool refit = false;
    if (!rc && o->calibrate) {
        char err[2048];
        fk_status st = rt_val_calibrate(cases, n_cases, !o->no_counters, &fit, &budget, &margin, err,
                                        sizeof err);
        if (st != FK_OK) rc = fail1("calibrating", err);
        refit = st == FK_OK;
    }
    if (!rc) rc = report(o, cases, n_cases, ctr, refit, &fit, budget, margin);
#ifdef FUSEPLAN_HAVE_CUPTI
    rt_ctr_destroy(ctr);
#endif
    for (int i = 0; i < n_cases; i++) rt_val_case_free(cases[i]);
    return rc;
}

const tool_command tool_cmd_validate = {
    "validate", TOOL_VALIDATE, "[PLAN.json | MODEL...]", 0, MAX_INPUTS, "model",
    "cost model vs hardware counters and timings; --calibrate fits it",
    "Checks the cost model against the local GPU. For every DW/PW layer and every\n"
    "fusable chain of each model (default mobilenet_v2) at each batch (default 1),\n"
    "K tiles (default 6: the model's best half, then random feasible ones) are run\n"
    "and measured: time (median of N >= 5 launches, default 20, caches warm) and,\n"
    "through CUPTI, the bytes the SMs request from L2, DRAM bytes, L2 hit rate and\n"
    "duration, once steady (after a warm-up run) and once cold (L2 flushed).\n"
    "Prints per kernel estimated vs measured traffic, DRAM bytes and time; per unit\n"
    "Kendall's tau of estimated vs measured time over its tiles and the regret of\n"
    "the model's choice; per model the fusion decisions the measurement agrees with.\n"
    "--calibrate fits the L2 budget to the cold DRAM counters, then the launch\n"
    "overhead and per-kind bandwidth/compute efficiencies to all times, and writes the\n"
    "spec with them to -o (validate again with it to see the effect). --no-counters:\n"
    "timings only (no CUPTI). Run it alone on the GPU (the counters are device-wide).\n"
    "A progress line goes to stderr when it is a terminal (not with --quiet).\n"
    "Exit 1 without a GPU or on a failed measurement, 2 on bad input.",
    run_validate,
};
