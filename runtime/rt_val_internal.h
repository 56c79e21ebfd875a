/* rt_val_internal.h - internal to the validation engine (rt_validate.c,
 * rt_val_heldout.c, rt_val_measure.c): the accumulator that pools the
 * figures of several cases (or of the test cases of several folds) and the
 * trivial "majority" decider. Not part of the runtime's interface. */
#ifndef FUSEPLAN_RT_VAL_INTERNAL_H
#define FUSEPLAN_RT_VAL_INTERNAL_H

#include "rt_validate.h"

/* Distinct batch sizes a majority table tells apart. */
#define RT_VAL_MAJ_BATCHES 16

/* Measured fusion outcomes tallied per (kind, batch): the "majority"
 * decider fuses a segment when most segments of its kind at its batch
 * measured faster fused. Where the table has no segment of that (kind,
 * batch) (a held-out batch) it falls back to the kind over every batch,
 * then to all segments; ties and an empty table do not fuse. */
typedef struct rt_val_majority {
    int batch[RT_VAL_MAJ_BATCHES];
    int n_batch;
    int fuse[RT_VAL_MAJ_BATCHES][CM_KIND_COUNT], total[RT_VAL_MAJ_BATCHES][CM_KIND_COUNT];
    int kind_fuse[CM_KIND_COUNT], kind_total[CM_KIND_COUNT];
    int all_fuse, all_total;
} rt_val_majority;

void rt_val_majority_add(rt_val_majority *t, int kind, int batch, bool measured_fuses);
bool rt_val_majority_get(const rt_val_majority *t, int kind, int batch);
/* The table of the cases with train[i] (all when NULL), their decisions
 * under the slot. */
void rt_val_majority_of(rt_val_case *const *cases, int n, const bool *train, rt_val_slot slot,
                        rt_val_majority *t);

/* One fusion decision, as pooled. */
typedef struct rt_val_dec_rec {
    int kind, batch;
    bool model, measured;
    signed char majority; /* the training majority's decision; -1: from the pool itself */
} rt_val_dec_rec;

/* The figures of several cases under one slot, pooled: per-kernel and
 * per-unit lists, decisions, chain totals. Growing arrays; oom is sticky. */
typedef struct rt_val_acc {
    double *time, *tau, *regret;
    size_t n_time, cap_time, n_unit, cap_unit;
    rt_val_dec_rec *dec;
    size_t n_dec, cap_dec;
    size_t dram_within, dram_n;
    size_t dram_b64_within, dram_b64_n;
    int chains, chains_agree;
    double chains_model_us, chains_best_us, chains_never_us;
    double regret_worst_plan; /* over the units of the validated plans (in_plan) */
    size_t n_plan;
    bool oom;
} rt_val_acc;

void rt_val_acc_init(rt_val_acc *a);
void rt_val_acc_free(rt_val_acc *a);
/* Adds case c's figures under the slot (its margin: the spec's for
 * RT_VAL_EST, c->refit_margin for RT_VAL_REFIT); majority NULL: the
 * majority decider is tallied from the pool at the end (in-sample),
 * else it answers from this table (held out). */
void rt_val_acc_add(rt_val_acc *a, const rt_val_case *c, rt_val_slot slot, bool counters,
                    const rt_val_majority *majority);
/* The pooled figures; FK_ERR_NOMEM when an addition ran out of memory. */
fk_status rt_val_acc_finish(const rt_val_acc *a, rt_val_figs *out, char *err, size_t err_len);

#endif
