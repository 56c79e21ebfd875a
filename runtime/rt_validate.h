/* rt_validate.h - the validation engine behind `fuseplan validate`: the cost
 * model against the GPU (prefix rt_val_; docs/validation.md).
 *
 * For every candidate unit of a planned model (each DW/PW layer alone, each
 * fusable segment of its fusion chains (fp_chains_find), the residual add
 * absorbed at a chain's end as the planner does) and K tiles of each (the
 * plan's, the model's best ones, then random feasible ones), the engine
 * measures the kernel's time (steady state: a CUDA graph of back-to-back
 * launches replayed, as `run` executes a plan) and, through CUPTI, the bytes
 * the SMs request from L2, DRAM bytes, L2 hit rate and duration, both steady
 * (after one unprofiled run) and cold (L2 flushed by a read sweep). It
 * summarises estimated against measured per kernel, per unit (Kendall tau
 * over the tile candidates, regret of the model's choice), per model (fusion
 * decisions the measurement agrees with, beside trivial deciders and with
 * Cohen's kappa; chains) and fits the time model's free constants
 * (rt_val_calibrate, with costmodel/cm_calibrate.h), judged in-sample and
 * held out (rt_val_heldout).
 *
 * Everything here but rt_val_measure_case is plain C (no CUDA: rt_validate.c,
 * rt_val_heldout.c), so that measured reports can be re-analysed on any
 * machine with the cost model of the tree (`fuseplan validate --from`,
 * rt_val_case_rebuild). rt_val_measure_case (rt_val_measure.c) exists in
 * CUDA builds only. The tool prints and writes the results. */
#ifndef FUSEPLAN_RT_VALIDATE_H
#define FUSEPLAN_RT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_calibrate.h"
#include "fk_types.h"
#include "fp_gpu.h"
#include "fp_model.h"
#include "fp_plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most tile candidates per unit. */
#define RT_VAL_MAX_TILES 32
/* Tolerances of the targets (docs/validation.md): L2 traffic within 10%,
 * cold DRAM bytes within 20%. */
#define RT_VAL_TRAFFIC_TOL 0.10
#define RT_VAL_DRAM_TOL 0.20
/* Launches per replayed CUDA graph of the steady timing: a launch then costs
 * what it costs inside a plan's graph (2-3 us less per kernel than one
 * launch between two events on the H100), as bench/kernels' fk_bench -m
 * timed kernels. */
#define RT_VAL_GRAPH_LAUNCHES 20

/* The counters of one measurement (rt_counters.h's rt_ctr_values, copied so
 * that this header needs no CUDA). */
typedef struct rt_val_counters {
    double l2_read_bytes, l2_write_bytes, dram_read_bytes, dram_write_bytes;
    double l2_hit_rate_pct, duration_us;
} rt_val_counters;

/* A steady time: median and spread of the repetitions, per launch. */
typedef struct rt_val_time {
    double median_us, p10_us, p90_us;
} rt_val_time;

/* One measured (unit, tile). */
typedef struct rt_val_cand {
    cm_tile tile;
    const char *variant;    /* cm_variant_of(unit, tile)->name, "?" when none */
    cm_estimate est;        /* with the planner's L2 residency hints */
    cm_estimate est_cold;   /* hints off: inputs come from DRAM */
    rt_val_time steady;     /* per launch, steady state */
    double cold_us;         /* one launch right after an L2 flush (median; 0 without CUPTI) */
    rt_val_counters warm, cold;
    bool checked;           /* output compared with the all-cuDNN reference (needs cuDNN) */
    bool check_ok;          /* rel L2 error <= threshold, everything written and finite */
    double check_rel_l2, check_threshold; /* rt_unit_threshold: the dtype's and math's */
    double refit_us;        /* after rt_val_apply: the fitted model's time */
    double refit_throughput_us; /* ... and that without the serial-chain floor (ties) */
    double refit_sm_side_us;    /* ... and its SM side (the next tie-break) */
    cm_estimate refit_cold; /* after rt_val_apply: est_cold at the fitted L2 budget */
} rt_val_cand;

/* One candidate unit: a single layer or a fusable segment of a chain. */
typedef struct rt_val_subject {
    fp_unit u;
    int chain, start, len;  /* segment [start, start+len) of chain `chain` */
    bool in_plan;
    rt_val_cand *cand;
    int n_cand;
    int choice;             /* the candidate the planner would pick (cm_tile_ranks_before) */
    int refit_choice;
    double tau, regret, refit_tau, refit_regret;
} rt_val_subject;

/* One model at one batch: the caller loads m, g and p (and sets loaded),
 * rt_val_case_prepare (measuring) or rt_val_case_rebuild (re-analysing)
 * chooses the subjects. */
typedef struct rt_val_case {
    fp_model m;
    fp_gpu_spec g;
    fp_plan p;
    bool loaded;            /* m and p are freed by rt_val_case_free */
    fp_chains chains;
    rt_val_subject *subj;
    int n_subj;
    double seconds;         /* measuring time */
    double refit_margin;    /* the fusion margin of the fit last applied (rt_val_apply) */
} rt_val_case;

/* Which model times a figure judges: the estimates with the case's spec, or
 * the predictions of the fit last applied (rt_val_apply). */
typedef enum rt_val_slot { RT_VAL_EST = 0, RT_VAL_REFIT } rt_val_slot;

/* The figures of a set of cases under one slot (docs/validation.md §1):
 * per kernel, per unit, per fusion decision (with the trivial deciders and
 * Cohen's kappa) and per chain. Fractions, not percentages. */
typedef struct rt_val_figs {
    size_t kernels;
    double time_median, time_worst;          /* |estimated / measured - 1| */
    size_t units;
    double tau_median, regret_median, regret_worst;
    size_t regret_over_20;                   /* units with regret > 20% */
    double regret_worst_plan;                /* the worst regret over the units of the validated
                                              * plans (in_plan: the plan the report executed) */
    size_t units_plan;
    size_t dram_within, dram_n;              /* cold DRAM bytes within 20% (the slot's budget) */
    size_t dram_b64_within, dram_b64_n;      /* the same, batch-64 cases alone */
    int decisions, agree;                    /* fusion decisions, per fusable segment */
    int model_fuses, measured_fuses;
    int fused_faster;                        /* the model fuses and it measures faster */
    int never_agree, always_agree, majority_agree; /* the trivial deciders */
    bool majority_from_training;             /* the majority came from other cases (held out) */
    double kappa;                            /* Cohen's kappa, model vs measured; NAN if undefined */
    int chains, chains_agree;                /* the model's segmentation = the measured best */
    double chains_model_us, chains_best_us, chains_never_us; /* measured totals */
} rt_val_figs;

/* The fraction of decisions the best trivial decider gets right. */
double rt_val_best_trivial(const rt_val_figs *f);

/* Per-case (or overall) figures: what the counters say (independent of any
 * fit), the figures with the spec as given, and after a fit (in-sample). */
typedef struct rt_val_summary {
    int kernels;
    size_t traffic_within, traffic_n;
    size_t dram_within, dram_n;
    size_t dram_b64_within, dram_b64_n;     /* the batch-64 cases alone */
    double traffic_median, traffic_worst, dram_median, dram_worst;
    /* L2 traffic per (kind, math the kind runs in: cm_kind_math): kernels
     * within the tolerance, with counters, and the median signed error
     * (estimate over measured - 1; NAN for an empty group), to show where
     * the misses are and which way */
    size_t traffic_kind_within[CM_KIND_COUNT][CM_MATH_COUNT], traffic_kind_n[CM_KIND_COUNT][CM_MATH_COUNT];
    double traffic_kind_median[CM_KIND_COUNT][CM_MATH_COUNT];
    rt_val_figs given, refit;
} rt_val_summary;

/* Chooses the case's subjects and up to `tiles` (1..RT_VAL_MAX_TILES)
 * candidates each (fixed seed: the same candidates every run). */
fk_status rt_val_case_prepare(rt_val_case *c, int tiles, char *err, size_t err_len);
/* Frees what the case holds (NULL-safe), and c itself (calloc'd by the caller). */
void rt_val_case_free(rt_val_case *c);

/* ---- re-analysing measured reports (`fuseplan validate --from`) ---- */

/* One measured candidate as a report holds it. */
typedef struct rt_val_meas_cand {
    cm_variant_id id;       /* parsed by the caller (old names mapped) */
    const char *name;       /* as the report wrote it, for messages */
    rt_val_time steady;
    double cold_us;
    rt_val_counters warm, cold;
} rt_val_meas_cand;

/* One measured unit: its layers (indices into the case's model, in chain
 * order) and whether the chain's residual add was absorbed. */
typedef struct rt_val_meas_unit {
    const char *name;       /* for messages */
    int layers[CM_MAX_UNIT_LAYERS];
    int n_layers;
    bool residual;
    const rt_val_meas_cand *cand;
    int n_cand;
} rt_val_meas_unit;

/* What a rebuild left out, counted (not errors: the model of the tree no
 * longer has it). */
typedef struct rt_val_rebuild_notes {
    int cand_not_compiled;  /* variant no longer a row of cm_variants.inc */
    int cand_infeasible;    /* tile rejected by the current model on this spec */
    int unit_no_tile;       /* unit without a feasible tile now, or without candidates left */
} rt_val_rebuild_notes;

/* Builds c's subjects from measured units (c's m, g and p loaded, as for
 * rt_val_case_prepare): each unit is found among the chains' segments of
 * the current model, re-evaluated with the current cost model and spec
 * (fp_unit_eval: the planner's residency hints), and each measured
 * candidate re-estimated (est, est_cold) with its measurements kept; the
 * model's choices are ranked. label names the case in messages ("REPORT:
 * cases[2]"). Fails (FK_ERR_INVALID, message naming the unit) for a unit
 * that is no fusable segment of the model, a residual where the chain has
 * no absorbable add, or a candidate of another kind, dtype or math; counts
 * what it skips in *notes (added to). */
fk_status rt_val_case_rebuild(rt_val_case *c, const rt_val_meas_unit *units, int n_units, const char *label,
                              rt_val_rebuild_notes *notes, char *err, size_t err_len);

/* Recomputes each subject's choice, tau and regret for the slot. */
void rt_val_rank(rt_val_case *c, rt_val_slot slot);

/* ---- measuring (CUDA builds: rt_val_measure.c) ---- */

typedef struct rt_ctr_session rt_ctr_session; /* rt_counters.h */

/* Progress of a measurement: done of total kernels of the current case. */
typedef void (*rt_val_progress_fn)(void *ctx, int done, int total);

/* Checks every candidate's output against the all-cuDNN reference of the
 * case's dtype and math (fed the reference's inputs; threshold
 * rt_unit_threshold, as `run` checks units; skipped without cuDNN), times
 * it in steady state (a CUDA graph of
 * RT_VAL_GRAPH_LAUNCHES launches, 3 replays to warm up, then iters replays;
 * per launch: replay time / launches) and cold (a one-launch graph replayed
 * right after an L2 flush, median of 5), and, when ctr is not NULL,
 * profiles each with CUPTI steady and cold; then ranks the model's choices.
 * A failed check is recorded in the candidate (checked, check_ok), not an
 * error: the caller reports it. progress may be NULL. */
fk_status rt_val_measure_case(rt_val_case *c, int iters, rt_ctr_session *ctr,
                              rt_val_progress_fn progress, void *ctx, char *err, size_t err_len);

/* How rt_val_measure_case times (the report's "timing"). */
#define RT_VAL_TIMING "graph_replay_K20"

/* ---- figures ---- */

/* The summary over n cases: counters says whether counter values exist,
 * refit whether a fit was applied (rt_val_apply / rt_val_calibrate). */
fk_status rt_val_summarize(rt_val_case *const *cases, int n, bool counters, bool refit,
                           rt_val_summary *out, char *err, size_t err_len);

/* ---- calibration ---- */

/* The free constants of one fit: the L2 budget fraction (0: the spec's,
 * not fitted), launch overhead and per-(kind, math) efficiencies, fusion
 * margin. */
typedef struct rt_val_params {
    cm_cal_fit fit;
    double budget;
    double margin;
    bool uniform;           /* the two-parameter baseline (cm_calibrate_uniform) */
} rt_val_params;

/* Fits on the cases with train[i] (every case when train is NULL): with
 * counters the L2 budget fraction to the cold DRAM counters, then the
 * launch overhead and efficiencies to all steady times (cm_calibrate; with
 * uniform: the two-parameter baseline, launch + one efficiency for every
 * (kind, math) on the spec's budget), then the fusion margin: the smallest with the
 * most fusion decisions agreeing. The training cases are left with the fit
 * applied (rt_val_apply). All cases must share one GPU spec (the caller
 * checks); their element types and maths may differ (each sample is of its
 * unit's (kind, math) group: cm_eff_math). FK_ERR_INVALID when no case
 * trains. */
fk_status rt_val_fit(rt_val_case *const *cases, int n, const bool *train, bool counters, bool uniform,
                     rt_val_params *out, char *err, size_t err_len);

/* Applies a fit to case c: every candidate's refit_us and refit_cold, the
 * subjects re-ranked (RT_VAL_REFIT), c->refit_margin. */
void rt_val_apply(rt_val_case *c, const rt_val_params *p);

/* rt_val_fit on every case (in-sample), for the spec --calibrate writes;
 * *budget 0 without counters (not fitted). */
fk_status rt_val_calibrate(rt_val_case *const *cases, int n, bool counters, cm_cal_fit *fit,
                           double *budget, double *margin, char *err, size_t err_len);

/* ---- held out (rt_val_heldout.c; docs/validation.md §1, "Held out") ---- */

/* Most models (distinct names) the held-out splits handle. */
#define RT_VAL_MAX_MODELS 32

typedef struct rt_val_heldout {
    rt_val_figs in_sample;        /* fit on every case, judged on every case */
    rt_val_figs lomo;             /* leave one model out, pooled over the folds */
    rt_val_figs never;            /* --holdout-models: fit on all the others */
    rt_val_figs pooled;           /* lomo and never together: THE held-out figure */
    rt_val_figs cross[2];         /* fit on batch lo -> judge batch hi, and back */
    rt_val_figs uniform_in_sample, uniform_pooled; /* the two-parameter baseline */
    int lomo_folds;               /* 0: fewer than 2 fitted models */
    int never_cases;              /* 0: no --holdout-models case */
    int cross_batch[2];           /* lo, hi; 0 when fewer than 2 batches */
    int cases_fitted;             /* cases of the non-holdout models */
} rt_val_heldout;

/* Runs every split over the cases (one GPU spec) and leaves the refit
 * slots in an undefined state (call rt_val_calibrate afterwards for the
 * in-sample fit). holdout: model names never fitted (they must not be all
 * the models). */
fk_status rt_val_heldout_run(rt_val_case *const *cases, int n, bool counters, const char *const *holdout,
                             int n_holdout, rt_val_heldout *out, char *err, size_t err_len);

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
 * (steady; the estimate is what the L2 serves, cm_estimate.l2_read_bytes,
 * plus the stores) and DRAM bytes (cold, against the cold estimate). */
double rt_val_est_traffic(const rt_val_cand *c);
double rt_val_meas_traffic(const rt_val_cand *c);
double rt_val_est_dram_cold(const rt_val_cand *c);
double rt_val_meas_dram_cold(const rt_val_cand *c);

#ifdef __cplusplus
}
#endif

#endif
