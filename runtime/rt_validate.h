/* rt_validate.h - the validation engine behind `fuseplan validate`: the cost
 * model against the GPU (prefix rt_val_; docs/validation.md).
 *
 * For every candidate unit of a planned model (each DW/PW layer alone, each
 * fusable segment of its fusion chains (fp_chains_find), the residual add
 * absorbed at a chain's end as the planner does) and K tiles of each (the
 * plan's, the model's best ones, then random feasible ones), the engine
 * measures the kernel's time (steady state: repeated launches, caches warm)
 * and, through CUPTI, the bytes the SMs request from L2, DRAM bytes, L2 hit
 * rate and duration, both steady (after one unprofiled run) and cold (L2
 * flushed by a read sweep). It summarises estimated against measured per
 * kernel, per unit (Kendall tau over the tile candidates, regret of the
 * model's choice), per model (fusion decisions the measurement agrees with,
 * chains planned as measured best) and fits the time model's free constants
 * (rt_val_calibrate, with costmodel/cm_calibrate.h). The tool prints and
 * writes the results. */
#ifndef FUSEPLAN_RT_VALIDATE_H
#define FUSEPLAN_RT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_calibrate.h"
#include "fp_gpu.h"
#include "fp_model.h"
#include "fp_plan.h"
#include "fk_types.h"
#include "rt_counters.h"
#include "rt_timing.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most tile candidates per unit. */
#define RT_VAL_MAX_TILES 32
/* Tolerances of the targets (docs/validation.md): L2 traffic within 10%,
 * cold DRAM bytes within 20%. */
#define RT_VAL_TRAFFIC_TOL 0.10
#define RT_VAL_DRAM_TOL 0.20

/* One measured (unit, tile). */
typedef struct rt_val_cand {
    cm_tile tile;
    const char *variant;    /* cm_variant_of(unit, tile)->name, "?" when none */
    cm_estimate est;        /* with the planner's L2 residency hints */
    cm_estimate est_cold;   /* hints off: inputs come from DRAM */
    rt_time_stats steady;   /* event timing, repeated launches */
    double cold_us;         /* event timing right after an L2 flush (median; 0 without CUPTI) */
    rt_ctr_values warm, cold;
    double refit_us;        /* after rt_val_calibrate: the fitted model's time */
    cm_estimate refit_cold; /* after rt_val_calibrate: est_cold at the fitted L2 budget */
} rt_val_cand;

/* One candidate unit: a single layer or a fusable segment of a chain. */
typedef struct rt_val_subject {
    fp_unit u;
    int chain, start, len;  /* segment [start, start+len) of chain `chain` */
    bool in_plan;
    rt_val_cand *cand;
    int n_cand;
    int choice;             /* the candidate the model picks: least estimated time */
    int refit_choice;
    double tau, regret, refit_tau, refit_regret;
} rt_val_subject;

/* One model at one batch: the caller loads m, g and p (and sets loaded),
 * rt_val_case_prepare chooses the subjects. */
typedef struct rt_val_case {
    fp_model m;
    fp_gpu_spec g;
    fp_plan p;
    bool loaded;            /* m and p are freed by rt_val_case_free */
    fp_chains chains;
    rt_val_subject *subj;
    int n_subj;
    double seconds;         /* measuring time */
} rt_val_case;

/* Per-case (or overall) figures. */
typedef struct rt_val_summary {
    int kernels;
    size_t traffic_within, traffic_n;
    size_t dram_within, dram_n;
    double traffic_median, traffic_worst, dram_median, dram_worst, time_median, time_worst;
    double tau_median, regret_median, regret_worst;
    int chains_agree, chains_total;        /* fusion decisions, per fusable segment */
    int fused, fused_faster;               /* segments the model fuses; of them, measured faster */
    int segs_agree, segs_total;            /* whole chains: plan's segmentation = measured best */
    double plan_measured_us, best_measured_us;
    double refit_time_median, refit_time_worst, refit_tau_median, refit_regret_median,
        refit_regret_worst;
    int refit_chains_agree, refit_fused, refit_fused_faster;
    size_t refit_dram_within;
} rt_val_summary;

/* Chooses the case's subjects and up to `tiles` (1..RT_VAL_MAX_TILES)
 * candidates each (fixed seed: the same candidates every run). */
fk_status rt_val_case_prepare(rt_val_case *c, int tiles, char *err, size_t err_len);
/* Frees what the case holds (NULL-safe), and c itself (calloc'd by the caller). */
void rt_val_case_free(rt_val_case *c);

/* Progress of a measurement: done of total kernels of the current case. */
typedef void (*rt_val_progress_fn)(void *ctx, int done, int total);

/* Times every candidate (median of iters launches after 3 warm-ups; cold: a
 * median over runs right after an L2 flush) and, when ctr is not NULL,
 * profiles each with CUPTI steady and cold; then ranks the model's choices.
 * progress may be NULL. */
fk_status rt_val_measure_case(rt_val_case *c, int iters, rt_ctr_session *ctr,
                              rt_val_progress_fn progress, void *ctx, char *err, size_t err_len);

/* The summary over n cases: counters says whether counter values exist,
 * refit whether rt_val_calibrate ran (refit_margin: the fitted fusion
 * margin). */
fk_status rt_val_summarize(rt_val_case *const *cases, int n, bool counters, bool refit,
                           double refit_margin, rt_val_summary *out, char *err, size_t err_len);

/* Fits the L2 budget fraction to the cold DRAM counters (with counters;
 * *budget 0 otherwise: not fitted), the launch overhead and per-kind
 * efficiencies to all steady times (cm_calibrate), then the fusion margin:
 * the smallest with the most fusion decisions agreeing. Every candidate's
 * refit_us and refit_cold are filled and every subject re-ranked. All cases
 * must share one GPU spec (the caller checks). */
fk_status rt_val_calibrate(rt_val_case *const *cases, int n, bool counters, cm_cal_fit *fit,
                           double *budget, double *margin, char *err, size_t err_len);

/* One fusion decision: a fused segment (c->subj[subject], len >= 2) against
 * its layers run one by one, each with the model's tile, by the model and by
 * measurement (the report lists them; `fuseplan report` builds the confusion
 * table and the trivial baselines from them). */
typedef struct rt_val_decision {
    int subject;
    bool model_fuses;      /* est_fused * (1 + margin) < est_layers */
    bool measured_fuses;   /* meas_fused < meas_layers */
    double est_fused_us, est_layers_us, meas_fused_us, meas_layers_us;
} rt_val_decision;

/* The decisions of case c (estimates before any refit) at fusion margin
 * `margin` (the spec's, as the summary uses): up to max into out; returns
 * how many. */
int rt_val_decisions(const rt_val_case *c, double margin, rt_val_decision *out, int max);

/* The figures compared per candidate: estimated and measured L2 traffic
 * (steady) and DRAM bytes (cold, against the cold estimate). */
double rt_val_est_traffic(const rt_val_cand *c);
double rt_val_meas_traffic(const rt_val_cand *c);
double rt_val_est_dram_cold(const rt_val_cand *c);
double rt_val_meas_dram_cold(const rt_val_cand *c);

#ifdef __cplusplus
}
#endif

#endif
