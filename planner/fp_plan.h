/* fp_plan.h - the planner: legality of fusions, the optimal cover of a model
 * by units, and plan files (format "fuseplan-plan", docs/formats.md).
 *
 * A unit is what one kernel launch executes: a single layer, or a fusable
 * chain of DW/PW layers (DW->PW, PW->DW, PW->PW, PW->DW->PW) with optionally a
 * residual add absorbed into its epilogue. Every layer of the model belongs
 * to exactly one unit. */
#ifndef FUSEPLAN_FP_PLAN_H
#define FUSEPLAN_FP_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "costmodel.h"
#include "fp_gpu.h"
#include "fp_model.h"
#include "fp_status.h"

#define FP_PLAN_FORMAT "fuseplan-plan"
/* 2: units name their variant (cm_variant_id name: kind, dtype, math, tile)
 * and backend; the plan records its math mode. Version 1 plans are refused
 * with a request to re-plan (their tiles had no dtype or math). */
#define FP_PLAN_VERSION 2
/* The kind of a unit that is not a DW/PW kernel (standard conv, pooling,
 * dense, a lone add or activation): it runs on its own. */
#define FP_UNIT_OTHER (-1)
/* Largest batch a plan may have (plan, show, run and the plan reader share
 * it): the cost model's own bound (CM_MAX_BATCH in costmodel.c), so that a
 * batch the command line accepts is one every DW/PW unit can be estimated at
 * (above it, every such layer would silently fall back to cuDNN). */
#define FP_MAX_BATCH 4096

typedef enum fp_objective { FP_OBJECTIVE_TIME = 0, FP_OBJECTIVE_TRAFFIC } fp_objective;

typedef struct fp_plan_options {
    int batch;
    cm_dtype dtype;
    cm_math math;                     /* CUDA cores or tensor cores: picks the variants */
    fp_objective objective;
    unsigned allowed;                 /* bit (1u << kind) per fused kind allowed */
    bool tile_forced[CM_KIND_COUNT];  /* --tile KIND=...: use this tile for every unit of KIND */
    cm_tile forced_tile[CM_KIND_COUNT];
} fp_plan_options;

/* Defaults: batch 1, fp32, simt, time, every fused kind allowed, no forced
 * tile. */
fp_plan_options fp_plan_default_options(void);
#define FP_ALLOW_ALL_FUSED                                                                 \
    ((1u << CM_KIND_DWPW) | (1u << CM_KIND_PWDW) | (1u << CM_KIND_PWPW) |                  \
     (1u << CM_KIND_PWDWPW))

typedef struct fp_unit {
    int kind;                 /* cm_kind, or FP_UNIT_OTHER */
    int layers[CM_MAX_UNIT_LAYERS];
    int n_layers;
    int residual_layer;       /* index of the absorbed add layer, or -1 */
    cm_unit cu;               /* the cost model's view (kernel units only) */
    cm_tile tile;             /* kernel units only */
    const char *variant;      /* the compiled row's cm_variant_id name (kernel units only;
                                 static storage of cm_variants.inc) */
    cm_grid grid;
    cm_estimate est;
    cm_estimate unfused;      /* sum over the same layers run one by one */
    char note[320];           /* why this unit is what it is */
} fp_unit;

typedef struct fp_plan_totals {
    double time_us, unfused_time_us;
    uint64_t traffic_bytes, unfused_traffic_bytes;
    uint64_t dram_bytes, unfused_dram_bytes;
    double flops;
    int fused_units;
} fp_plan_totals;

typedef struct fp_plan {
    fp_plan_options opt;
    char model_name[160];
    char model_file[512];
    uint64_t model_hash;
    char gpu_id[64];
    char gpu_name[128];
    char gpu_file[512];
    uint64_t gpu_hash;
    fp_unit *units;           /* in execution order */
    int n_units;
    fp_plan_totals totals;
} fp_plan;

/* THE fusion legality predicate (docs/formats.md, "Plan"): layers[0..n) form
 * a fusable chain of kind *kind when each is a DW or PW conv, each feeds the
 * next directly, every intermediate tensor has exactly one consumer and is not
 * a model output, and the DW/PW pattern is one of the fused kinds. On false,
 * why says which condition failed. */
bool fp_chain_fusable(const fp_model *m, const int *layers, int n, cm_kind *kind, char *why,
                      size_t why_len);
/* The layer that follows `layer` in its fusion chain: its output's sole
 * consumer when the two form a fusable pair (fp_chain_fusable), else -1. The
 * planner's chains (and `fuseplan validate`'s candidates) are the maximal
 * runs of this relation. */
int fp_chain_next(const fp_model *m, int layer);
/* The model's fusion chains: the maximal runs of fp_chain_next, each starting
 * at a DW/PW conv that no layer's fp_chain_next points to, in layer order.
 * Chain k is layers[start[k] .. start[k] + len[k]) (a lone DW/PW layer is a
 * chain of length 1). THE chain discovery of the planner and of validate. */
typedef struct fp_chains {
    int n_chains;
    int *start;   /* [n_chains] offsets into layers */
    int *len;     /* [n_chains] */
    int *layers;  /* every chain's layers, chain after chain */
} fp_chains;
/* Fills out (freed with fp_chains_free, also on failure). */
fp_status fp_chains_find(const fp_model *m, fp_chains *out, char *err, size_t err_len);
void fp_chains_free(fp_chains *c);

/* The add layer that may be absorbed into the epilogue of a unit ending with
 * layer `last`: last's output has the add as its only consumer, is not a model
 * output, and the add has no activation (its operands' shapes match: the
 * loader checks). When both operands could absorb it, only the producer of
 * the first qualifying operand does. Returns the add's index or -1. */
int fp_absorbable_add(const fp_model *m, int last);

/* Whether layer li can be (part of) a kernel unit under opt: a DW or PW conv
 * whose shape one of our variants runs (square kernel and stride that
 * cm_conv can state, cm_unit_check of the layer alone) and for whose kind,
 * dtype and math mode cm_variants.inc has rows. On false, why says what is
 * missing (e.g. "depthwise kernel 4 has no variant (3, 5, 7)", "no compiled
 * fp16 simt variant of dw"). Such a layer is planned as a unit of its own run
 * by cuDNN (FP_UNIT_OTHER): what no kernel of ours runs is the planner's
 * decision, never a load error. */
bool fp_layer_has_variant(const fp_model *m, int li, const fp_plan_options *opt, char *why,
                          size_t why_len);

/* Builds the minimum-cost plan. */
fp_status fp_plan_build(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *opt,
                        fp_plan *out, char *err, size_t err_len);
void fp_plan_free(fp_plan *p);

/* Evaluates one candidate unit (layers, residual add or -1) with its best
 * tile under opt (or opt's forced tile for its kind, which must be a compiled
 * variant); false with the reason when a layer has no variant
 * (fp_layer_has_variant), the kind has no compiled variant for opt's dtype
 * and math, or no tile is feasible. In the context-free L2 state (see
 * fp_unit_eval_ctx): for a unit with no plan around it (`fuseplan estimate`,
 * `validate`'s candidates); the planner and the plan reader use
 * fp_unit_eval_ctx with the plan's state. */
bool fp_unit_eval(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *opt,
                  const int *layers, int n, int residual_layer, fp_unit *out, char *why,
                  size_t why_len);

/* The L2 state a kernel unit starts in (docs/planner.md, "L2 residency"). */
typedef struct fp_l2_ctx {
    bool input_hot;             /* X was written by a unit whose output stayed in L2 */
    bool residual_hot;          /* R (a tensor other than X) is still in L2 */
    uint64_t input_dirty_bytes; /* X's bytes still dirty in L2, which this unit writes back */
} fp_l2_ctx;

/* fp_unit_eval in an explicit L2 state (ctx; NULL = fp_unit_eval's
 * context-free approximation: a tensor written by another layer is in L2
 * when it fits in half the L2 budget, nothing is dirty). The planner and the
 * plan reader evaluate every unit in the state fp_unit_l2_ctx gives it. */
bool fp_unit_eval_ctx(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *opt,
                      const int *layers, int n, int residual_layer, const fp_l2_ctx *ctx,
                      fp_unit *out, char *why, size_t why_len);

/* THE L2 state of the unit (layers[0..n), residual_layer or -1) after the
 * kernel units placed[0..n_placed) (a plan's units before it, in order):
 * input_hot when the unit that wrote X has output_l2_resident; X's dirty
 * bytes (that unit's output_dirty_bytes) when this unit is X's first reader
 * in layer order; residual_hot when R is the input of this unit's fusion
 * chain, the unit that wrote it kept it in L2 and every unit of the chain
 * before this one did too. The planner's DP optimises exactly this. */
fp_l2_ctx fp_unit_l2_ctx(const fp_model *m, const fp_unit *placed, int n_placed, const int *layers,
                         int n, int residual_layer);

/* Evaluates layer li as a unit of its own that is not a DW/PW kernel
 * (standard conv, a DW/PW conv without a variant, pooling, dense, add,
 * activation): a roofline estimate. The note is left empty. */
void fp_unit_eval_other(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *opt, int li,
                        fp_unit *u);
/* Fills u->unfused: the unit's layers run one by one with their best tiles
 * (the residual, if any, in the last layer's epilogue), from the unit's own
 * L2 state (u->cu's hints), each layer reading what the one before left. */
void fp_unit_unfused(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *opt,
                     fp_unit *u);
/* Sets the plan's options and its model/GPU identity (names, files, hashes). */
void fp_plan_fill_header(fp_plan *p, const fp_model *m, const fp_gpu_spec *g,
                         const fp_plan_options *opt);
/* Recomputes p->totals from the units. */
void fp_plan_totals_compute(fp_plan *p);

/* Plan JSON. fp_plan_to_json returns a malloc'd string (byte-identical for
 * identical inputs). fp_plan_parse checks format, version and that the model
 * and GPU hashes match m and g (FP_ERR_MISMATCH naming both otherwise), then
 * re-derives every unit's estimate. */
char *fp_plan_to_json(const fp_plan *p, const fp_model *m);
fp_status fp_plan_parse(const char *label, const char *text, size_t len, const fp_model *m,
                        const fp_gpu_spec *g, fp_plan *out, char *err, size_t err_len);
fp_status fp_plan_load(const char *path, const fp_model *m, const fp_gpu_spec *g, fp_plan *out,
                       char *err, size_t err_len);

/* Whether text is JSON whose "format" is FP_PLAN_FORMAT (what `check`, `run`
 * and `validate` use to tell a plan from a model). */
bool fp_text_is_plan(const char *text, size_t len);
/* Opens a plan with the model and GPU spec it names (model.file, gpu.file;
 * each looked for beside the plan first, then as written: a path from the
 * working directory or a shipped name) or gpu_override (--gpu) instead of
 * gpu.file, then fp_plan_parse. A failure to open a named file is reported
 * as the plan's ("PLAN: model.file: ..."). On success the caller frees *m and
 * *p; on failure nothing is left to free. */
fp_status fp_plan_open(const char *path, const char *gpu_override, fp_model *m, fp_gpu_spec *g,
                       fp_plan *p, char *err, size_t err_len);
/* The same from text already read (label names it in messages). */
fp_status fp_plan_open_text(const char *label, const char *text, size_t len,
                            const char *gpu_override, fp_model *m, fp_gpu_spec *g, fp_plan *p,
                            char *err, size_t err_len);

/* The model layers a unit executes: its layers, then the absorbed add if
 * any. Writes up to CM_MAX_UNIT_LAYERS + 1 indices; returns how many. */
int fp_unit_members(const fp_unit *u, int out[CM_MAX_UNIT_LAYERS + 1]);
/* The residual operand of a unit that absorbed an add: the add's input that
 * is not the unit's own last output (a tensor index), or -1. */
int fp_unit_residual_tensor(const fp_model *m, const fp_unit *u);

/* Name of a unit kind: cm_kind_name, or the op name for FP_UNIT_OTHER. */
const char *fp_unit_kind_name(const fp_model *m, const fp_unit *u);
/* Who executes a unit: "fuseplan" (one of our compiled kernel variants, or our
 * simple kernels for pooling, dense, add and activations) or "cudnn" (a
 * convolution that no variant of ours runs: the stem conv, or a DW/PW layer
 * whose shape, dtype or math mode has no compiled variant). */
const char *fp_unit_backend(const fp_model *m, const fp_unit *u);

#endif
