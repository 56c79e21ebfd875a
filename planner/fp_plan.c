/* fp_plan.c - fusion legality and the optimal cover of a model by units.
 *
 * Why a per-chain dynamic program is exact: a fusable edge a->b needs a's
 * output to have exactly one consumer (b) and b to be a conv with one input,
 * so every layer has at most one fusable successor and one fusable
 * predecessor: the fusable edges form disjoint simple paths ("chains").
 * Units never span two chains, and a unit's estimate depends only on its own
 * layers, so the total cost is a sum over chains of independent segmentations.
 * For each chain the DP below minimises over all segmentations into legal
 * segments of 1..3 layers (and, at the chain's end, whether the following
 * residual add is absorbed), which is optimal; any greedy pairing is one of
 * the segmentations it considers. tests/planner checks this by brute force. */
#include "fp_plan.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fp_plan_options fp_plan_default_options(void) {
    fp_plan_options o;
    memset(&o, 0, sizeof o);
    o.batch = 1;
    o.dtype = CM_F32;
    o.math = CM_MATH_SIMT;
    o.objective = FP_OBJECTIVE_TIME;
    o.allowed = FP_ALLOW_ALL_FUSED;
    return o;
}

int fp_unit_members(const fp_unit *u, int out[CM_MAX_UNIT_LAYERS + 1]) {
    int n = 0;
    for (int i = 0; i < u->n_layers; i++) out[n++] = u->layers[i];
    if (u->residual_layer >= 0) out[n++] = u->residual_layer;
    return n;
}

static int residual_operand(const fp_model *m, int last_layer, int add_layer) {
    const fp_layer *add = &m->layers[add_layer];
    int mine = m->layers[last_layer].output;
    return add->inputs[0] == mine ? add->inputs[1] : add->inputs[0];
}

int fp_unit_residual_tensor(const fp_model *m, const fp_unit *u) {
    if (u->residual_layer < 0) return -1;
    return residual_operand(m, u->layers[u->n_layers - 1], u->residual_layer);
}

const char *fp_unit_kind_name(const fp_model *m, const fp_unit *u) {
    if (u->kind == FP_UNIT_OTHER) {
        const fp_layer *l = &m->layers[u->layers[0]];
        return l->op == FP_OP_CONV2D ? "conv" : fp_op_name(l->op);
    }
    return cm_kind_name((cm_kind)u->kind);
}

const char *fp_unit_backend(const fp_model *m, const fp_unit *u) {
    if (u->kind != FP_UNIT_OTHER) return "fuseplan";
    return m->layers[u->layers[0]].op == FP_OP_CONV2D ? "cudnn" : "fuseplan";
}

static bool is_dwpw(const fp_layer *l) { return l->cls == FP_CLASS_DW || l->cls == FP_CLASS_PW; }

bool fp_layer_has_variant(const fp_model *m, int li, const fp_plan_options *o, char *why,
                          size_t why_len) {
    const fp_layer *l = &m->layers[li];
    if (!is_dwpw(l)) {
        snprintf(why, why_len, "%s is not a DW or PW conv", l->name);
        return false;
    }
    const bool dw = l->cls == FP_CLASS_DW;
    const cm_kind kind = dw ? CM_KIND_DW : CM_KIND_PW;
    /* cm_conv states one kernel size and one stride: anything else has no
     * variant, and fp_layer_conv must not be asked for it */
    if (dw && l->kernel_h != l->kernel_w) {
        snprintf(why, why_len, "depthwise kernel %dx%d is not square: no variant (3x3, 5x5, 7x7)",
                 l->kernel_h, l->kernel_w);
        return false;
    }
    if (dw && l->stride_h != l->stride_w) {
        snprintf(why, why_len, "depthwise stride %dx%d is not square: no variant (1, 2)",
                 l->stride_h, l->stride_w);
        return false;
    }
    if (dw && l->kernel_h != 3 && l->kernel_h != 5 && l->kernel_h != 7) {
        snprintf(why, why_len, "depthwise kernel %d has no variant (3, 5, 7)", l->kernel_h);
        return false;
    }
    if (dw && l->stride_h > 2) {
        snprintf(why, why_len, "depthwise stride %d has no variant (1, 2)", l->stride_h);
        return false;
    }
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = kind;
    u.batch = o->batch;
    u.dtype = o->dtype;
    u.math = cm_kind_math(kind, o->math);
    u.layers[0] = fp_layer_conv(m, l);
    char reason[256];
    if (cm_unit_check(&u, reason, sizeof reason) != CM_OK) {
        snprintf(why, why_len, "no variant runs this shape: %s", reason);
        return false;
    }
    if (!cm_variants_exist(kind, o->dtype, u.math)) {
        snprintf(why, why_len, "no compiled %s %s variant of %s", cm_dtype_name(o->dtype),
                 cm_math_name(u.math), cm_kind_name(kind));
        return false;
    }
    return true;
}

/* The only consumer of tensor t, or -1 when it has none or several. */
static int sole_consumer(const fp_model *m, int t) {
    if (m->tensors[t].n_consumers != 1) return -1;
    for (int i = 0; i < m->n_layers; i++)
        for (int k = 0; k < m->layers[i].n_inputs; k++)
            if (m->layers[i].inputs[k] == t) return i;
    return -1;
}

bool fp_chain_fusable(const fp_model *m, const int *layers, int n, cm_kind *kind, char *why,
                      size_t why_len) {
    char pattern[16] = "";
    if (n < 2 || n > 3) {
        snprintf(why, why_len, "a fused chain has 2 or 3 layers, not %d", n);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const fp_layer *l = &m->layers[layers[i]];
        if (!is_dwpw(l)) {
            snprintf(why, why_len, "%s is a %s, not a DW or PW conv", l->name,
                     l->op == FP_OP_CONV2D ? "standard conv" : fp_op_name(l->op));
            return false;
        }
        strcat(pattern, l->cls == FP_CLASS_DW ? "dw" : "pw");
        if (i + 1 < n) {
            const fp_layer *next = &m->layers[layers[i + 1]];
            const fp_tensor *t = &m->tensors[l->output];
            if (next->inputs[0] != l->output) {
                snprintf(why, why_len, "%s does not read %s's output", next->name, l->name);
                return false;
            }
            if (t->n_consumers != 1) {
                snprintf(why, why_len, "%s's output \"%s\" has %d consumers (a fused intermediate "
                         "must have exactly one)", l->name, t->name, t->n_consumers);
                return false;
            }
            if (t->is_output) {
                snprintf(why, why_len, "%s's output \"%s\" is a model output", l->name, t->name);
                return false;
            }
        }
    }
    cm_kind k;
    if (!cm_kind_parse(pattern, &k) || cm_kind_layers(k) != n) {
        snprintf(why, why_len, "%s is not a fused kind (dwpw, pwdw, pwpw, pwdwpw)", pattern);
        return false;
    }
    *kind = k;
    return true;
}

int fp_chain_next(const fp_model *m, int layer) {
    if (!is_dwpw(&m->layers[layer])) return -1;
    int out = m->layers[layer].output;
    int s = m->tensors[out].is_output ? -1 : sole_consumer(m, out);
    cm_kind k;
    char why[256];
    int pair[2] = {layer, s};
    return s >= 0 && fp_chain_fusable(m, pair, 2, &k, why, sizeof why) ? s : -1;
}

fp_status fp_chains_find(const fp_model *m, fp_chains *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    const int n = m->n_layers;
    bool *has_prev = calloc((size_t)n + 1, sizeof *has_prev);
    out->start = malloc(sizeof(int) * ((size_t)n + 1));
    out->len = malloc(sizeof(int) * ((size_t)n + 1));
    out->layers = malloc(sizeof(int) * ((size_t)n + 1));
    if (!has_prev || !out->start || !out->len || !out->layers) {
        free(has_prev);
        fp_chains_free(out);
        return fp_fail(err, err_len, FP_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        int s = fp_chain_next(m, i);
        if (s >= 0) has_prev[s] = true;
    }
    int used = 0;
    for (int h = 0; h < n; h++) {
        if (!is_dwpw(&m->layers[h]) || has_prev[h]) continue;
        out->start[out->n_chains] = used;
        int len = 0;
        for (int i = h; i >= 0; i = fp_chain_next(m, i)) out->layers[used + len++] = i;
        out->len[out->n_chains++] = len;
        used += len;
    }
    free(has_prev);
    return FP_OK;
}

void fp_chains_free(fp_chains *c) {
    free(c->start);
    free(c->len);
    free(c->layers);
    memset(c, 0, sizeof *c);
}

int fp_absorbable_add(const fp_model *m, int last) {
    const fp_layer *l = &m->layers[last];
    if (!is_dwpw(l) || m->tensors[l->output].is_output) return -1;
    int a = sole_consumer(m, l->output);
    if (a < 0) return -1;
    const fp_layer *add = &m->layers[a];
    if (add->op != FP_OP_ADD || add->act != CM_ACT_NONE) return -1;
    /* When both operands come from DW/PW layers that could absorb the add,
     * only the producer of the first qualifying operand may: one candidate per
     * add keeps the chains independent (and the DP exact). */
    for (int q = 0; q < add->n_inputs; q++) {
        const fp_tensor *t = &m->tensors[add->inputs[q]];
        if (t->producer < 0 || !is_dwpw(&m->layers[t->producer]) || t->is_output ||
            t->n_consumers != 1)
            continue;
        return t->producer == last ? a : -1;
    }
    return -1;
}

static uint64_t tensor_bytes(const fp_model *m, int t, const fp_plan_options *o) {
    fp_shape s = m->tensors[t].shape;
    return (uint64_t)s.h * s.w * s.c * (uint64_t)o->batch * (uint64_t)cm_dtype_bytes(o->dtype);
}

static double objective_cost(const fp_plan_options *o, const cm_estimate *e) {
    return o->objective == FP_OBJECTIVE_TIME
               ? e->time_us
               : (double)(e->traffic.load_bytes + e->traffic.store_bytes);
}

static void estimate_add(cm_estimate *sum, const cm_estimate *e) {
    sum->traffic.load_bytes += e->traffic.load_bytes;
    sum->traffic.store_bytes += e->traffic.store_bytes;
    sum->dram_read_bytes += e->dram_read_bytes;
    sum->dram_write_bytes += e->dram_write_bytes;
    sum->min_bytes += e->min_bytes;
    sum->flops_cuda += e->flops_cuda;
    sum->flops_tensor += e->flops_tensor;
    sum->ctas += e->ctas;
    sum->t_dram_us += e->t_dram_us;
    sum->t_l2_us += e->t_l2_us;
    sum->t_compute_us += e->t_compute_us;
    sum->t_launch_us += e->t_launch_us;
    sum->time_us += e->time_us;
}

/* A layer that is not a DW/PW kernel: roofline over its minimum bytes. */
void fp_unit_eval_other(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o, int li,
                        fp_unit *u) {
    const fp_layer *l = &m->layers[li];
    memset(u, 0, sizeof *u);
    u->kind = FP_UNIT_OTHER;
    u->layers[0] = li;
    u->n_layers = 1;
    u->residual_layer = -1;
    int eb = cm_dtype_bytes(o->dtype);
    uint64_t total = fp_layer_min_bytes(m, l, o->batch, eb);
    fp_shape os = m->tensors[l->output].shape;
    uint64_t store = (uint64_t)os.h * os.w * os.c * (uint64_t)o->batch * (uint64_t)eb;
    double flops = 2.0 * (double)l->macs * o->batch;
    if (l->op == FP_OP_MAX_POOL || l->op == FP_OP_AVG_POOL)
        flops = (double)l->kernel_h * l->kernel_w * os.h * os.w * os.c * o->batch;
    else if (l->op == FP_OP_GLOBAL_AVG_POOL || l->op == FP_OP_ADD || l->op == FP_OP_ACTIVATION)
        flops = (double)(total - store) / eb;
    /* cuDNN's depthwise kernels run on CUDA cores whatever the type; other
     * convs and dense layers use tensor cores for fp16/bf16/int8 or when the
     * plan's math mode asks for them (TF32) */
    bool tc = ((l->op == FP_OP_CONV2D && l->cls != FP_CLASS_DW) || l->op == FP_OP_DENSE) &&
              (o->dtype != CM_F32 || o->math == CM_MATH_TC);
    cm_estimate_other(total - store, store, flops, tc, o->dtype, &g->gpu, &u->est);
    u->unfused = u->est;
}

bool fp_unit_eval(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                  const int *layers, int n, int residual_layer, fp_unit *u, char *why,
                  size_t why_len) {
    return fp_unit_eval_ctx(m, g, o, layers, n, residual_layer, NULL, u, why, why_len);
}

bool fp_unit_eval_ctx(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                      const int *layers, int n, int residual_layer, const fp_l2_ctx *ctx, fp_unit *u,
                      char *why, size_t why_len) {
    memset(u, 0, sizeof *u);
    cm_kind kind;
    if (n == 1) {
        const fp_layer *l = &m->layers[layers[0]];
        if (!is_dwpw(l)) {
            snprintf(why, why_len, "%s is not a DW or PW conv", l->name);
            return false;
        }
        kind = l->cls == FP_CLASS_DW ? CM_KIND_DW : CM_KIND_PW;
    } else if (!fp_chain_fusable(m, layers, n, &kind, why, why_len)) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        char reason[256];
        if (!fp_layer_has_variant(m, layers[i], o, reason, sizeof reason)) {
            snprintf(why, why_len, "%s: %s", m->layers[layers[i]].name, reason);
            return false;
        }
    }
    const cm_math math = cm_kind_math(kind, o->math);
    if (!cm_variants_exist(kind, o->dtype, math)) {
        snprintf(why, why_len, "no compiled %s %s variant of %s", cm_dtype_name(o->dtype),
                 cm_math_name(math), cm_kind_name(kind));
        return false;
    }
    u->kind = (int)kind;
    u->n_layers = n;
    memcpy(u->layers, layers, (size_t)n * sizeof *layers);
    u->residual_layer = residual_layer;
    u->cu.kind = kind;
    u->cu.batch = o->batch;
    u->cu.dtype = o->dtype;
    u->cu.math = math;
    u->cu.residual = residual_layer >= 0;
    for (int i = 0; i < n; i++) u->cu.layers[i] = fp_layer_conv(m, &m->layers[layers[i]]);
    /* L2 residency: the plan's state (ctx, docs/planner.md "L2 residency"),
     * or without a plan around the unit the context-free approximation: a
     * tensor written by another layer is still in L2 if it fits in half the
     * L2 budget (the other half holds what was written since), and nothing
     * is dirty. */
    int x = m->layers[layers[0]].inputs[0];
    int r = residual_layer >= 0 ? residual_operand(m, layers[n - 1], residual_layer) : -1;
    u->cu.residual_is_input = r >= 0 && r == x;
    if (ctx) {
        u->cu.input_hot = ctx->input_hot;
        u->cu.input_dirty_bytes = ctx->input_dirty_bytes;
        u->cu.residual_hot = r >= 0 && !u->cu.residual_is_input && ctx->residual_hot;
    } else {
        uint64_t hot_limit = cm_l2_budget_bytes(&g->gpu) / 2;
        u->cu.input_hot = m->tensors[x].producer >= 0 && tensor_bytes(m, x, o) <= hot_limit;
        u->cu.residual_hot = r >= 0 && !u->cu.residual_is_input && m->tensors[r].producer >= 0 &&
                             tensor_bytes(m, r, o) <= hot_limit;
    }
    char reason[256] = "";
    if (cm_unit_check(&u->cu, reason, sizeof reason) != CM_OK) {
        snprintf(why, why_len, "%s", reason);
        return false;
    }
    if (o->tile_forced[kind]) {
        u->tile = o->forced_tile[kind];
        cm_footprint fp;
        cm_status st = cm_tile_check(&u->cu, &u->tile, &g->gpu, &fp, reason, sizeof reason);
        if (st != CM_OK) {
            snprintf(why, why_len, "forced %s tile: %s", cm_kind_name(kind), reason);
            return false;
        }
        if (!cm_variant_of(&u->cu, &u->tile)) {
            cm_variant_id id = cm_unit_variant_id(&u->cu, &u->tile);
            char name[CM_VARIANT_NAME_MAX];
            snprintf(why, why_len, "forced %s tile: %s is not a compiled variant "
                     "(costmodel/cm_variants.inc)", cm_kind_name(kind),
                     cm_variant_id_format(&id, name, sizeof name));
            return false;
        }
        cm_estimate_unit(&u->cu, &u->tile, &g->gpu, &u->est);
    } else {
        cm_tile tiles[128];
        size_t total = cm_enumerate_tiles(&u->cu, &g->gpu, tiles, 128);
        size_t n_tiles = total < 128 ? total : 128;
        if (n_tiles == 0) {
            /* say why the first variant of this kind is infeasible */
            size_t nv = 0;
            const cm_variant *v = cm_variants(&nv);
            snprintf(why, why_len, "no feasible %s tile on %s", cm_kind_name(kind), g->id);
            for (size_t i = 0; i < nv; i++) {
                cm_footprint fp;
                if (v[i].id.kind != kind || v[i].id.dtype != u->cu.dtype || v[i].id.math != u->cu.math)
                    continue;
                if (cm_tile_check(&u->cu, &v[i].id.tile, &g->gpu, &fp, reason, sizeof reason) != CM_OK) {
                    snprintf(why, why_len, "no feasible %s tile on %s (e.g. %s: %s)",
                             cm_kind_name(kind), g->id, v[i].name, reason);
                    break;
                }
            }
            return false;
        }
        double best = DBL_MAX;
        for (size_t i = 0; i < n_tiles; i++) {
            cm_estimate e;
            if (cm_estimate_unit(&u->cu, &tiles[i], &g->gpu, &e) != CM_OK) continue;
            double c = objective_cost(o, &e);
            if (c < best) { /* strict: ties keep the enumerator's (time) order */
                best = c;
                u->tile = tiles[i];
                u->est = e;
            }
            if (o->objective == FP_OBJECTIVE_TIME) break; /* sorted by time already */
        }
    }
    const cm_variant *v = cm_variant_of(&u->cu, &u->tile);
    u->variant = v ? v->name : NULL;
    u->grid = cm_unit_grid(&u->cu, &u->tile);
    return true;
}

void fp_unit_unfused(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                     fp_unit *u) {
    char why[256];
    memset(&u->unfused, 0, sizeof u->unfused);
    if (u->kind == FP_UNIT_OTHER) {
        u->unfused = u->est;
        return;
    }
    /* the layers one after the other from the unit's own L2 state: each
     * reads what the one before wrote (hot when it stayed in L2, with its
     * dirty share), and the residual is still in L2 while every layer before
     * the last one fit */
    fp_l2_ctx ctx = {u->cu.input_hot, u->cu.residual_is_input ? u->cu.input_hot : u->cu.residual_hot,
                     u->cu.input_dirty_bytes};
    for (int i = 0; i < u->n_layers; i++) {
        fp_unit one;
        int r1 = (i == u->n_layers - 1) ? u->residual_layer : -1;
        fp_plan_options plain = *o;
        memset(plain.tile_forced, 0, sizeof plain.tile_forced);
        if (fp_unit_eval_ctx(m, g, &plain, u->layers + i, 1, r1, &ctx, &one, why, sizeof why)) {
            estimate_add(&u->unfused, &one.est);
            ctx.input_hot = one.est.output_l2_resident;
            ctx.input_dirty_bytes = one.est.output_dirty_bytes;
            ctx.residual_hot = ctx.residual_hot && one.est.output_l2_resident;
        } else {
            u->unfused.time_us = DBL_MAX; /* a layer alone cannot run: fusion is the only way */
            ctx.input_hot = ctx.residual_hot = false;
            ctx.input_dirty_bytes = 0;
        }
    }
}

/* ---- L2 state between units (docs/planner.md, "L2 residency") ---- */

/* The tensor a unit writes: its absorbed add's output, else its last layer's. */
static int unit_output(const fp_model *m, const fp_unit *u) {
    return u->residual_layer >= 0 ? m->layers[u->residual_layer].output
                                  : m->layers[u->layers[u->n_layers - 1]].output;
}

/* The first layer of the fusion chain that layer li belongs to. */
static int chain_head(const fp_model *m, int li) {
    for (;;) {
        int x = m->layers[li].inputs[0], prod = m->tensors[x].producer;
        if (prod < 0 || fp_chain_next(m, prod) != li) return li;
        li = prod;
    }
}

/* Whether layer li is the first reader of tensor t in layer order (the one
 * that writes back t's dirty lines: each byte is written back once). */
static bool first_reader(const fp_model *m, int t, int li) {
    for (int k = 0; k < li; k++)
        for (int q = 0; q < m->layers[k].n_inputs; q++)
            if (m->layers[k].inputs[q] == t) return false;
    return true;
}

fp_l2_ctx fp_unit_l2_ctx(const fp_model *m, const fp_unit *placed, int n_placed, const int *layers,
                         int n, int residual_layer) {
    fp_l2_ctx c = {false, false, 0};
    const int x = m->layers[layers[0]].inputs[0];
    const fp_unit *px = NULL;
    for (int i = 0; i < n_placed && !px; i++)
        if (placed[i].kind != FP_UNIT_OTHER && unit_output(m, &placed[i]) == x) px = &placed[i];
    if (px) {
        c.input_hot = px->est.output_l2_resident;
        if (first_reader(m, x, layers[0])) c.input_dirty_bytes = px->est.output_dirty_bytes;
    }
    if (residual_layer < 0) return c;
    /* R still in L2: R is the input of this unit's chain, the unit that wrote
     * it kept it in L2, and so did every unit of the chain before this one
     * (nothing since overflowed the budget) */
    const int r = residual_operand(m, layers[n - 1], residual_layer);
    const int head = chain_head(m, layers[0]);
    const int xin = m->layers[head].inputs[0];
    if (r == x || r != xin) return c;
    bool hot = false;
    for (int i = 0; i < n_placed; i++)
        if (placed[i].kind != FP_UNIT_OTHER && unit_output(m, &placed[i]) == xin)
            hot = placed[i].est.output_l2_resident;
    for (int l = head; hot && l >= 0 && l != layers[0]; l = fp_chain_next(m, l))
        for (int i = 0; i < n_placed; i++)
            if (placed[i].layers[0] == l && !placed[i].est.output_l2_resident) /* cuDNN units: never */
                hot = false;
    c.residual_hot = hot;
    return c;
}

/* ---- the dynamic program over one chain ----
 *
 * A segment's estimate depends on the L2 state it starts in (fp_l2_ctx):
 * whether the segment before kept its output in L2, the dirty share of that
 * output it writes back, and whether the chain's input is still in L2 for an
 * absorbed residual. That state is a function of the segment before (its
 * footprint, independent of its tile) and of one bit, "the chain's input is
 * still in L2" (every segment so far kept its output). So the DP runs over
 * states (i, length of the last segment, bit): f(i, p, r) is the best cover
 * of L[0..i) whose last segment has length p and leaves bit r; a segment
 * (j, n) is evaluated in the state its predecessor gives it, which is what
 * fp_unit_l2_ctx computes for the plan's units, and the DP is exact for
 * the documented rule (tests/planner checks it by brute force). */

/* A segment's evaluation in one L2 state. */
typedef struct seg_eval {
    fp_l2_ctx ctx;
    bool ok;
    bool absorb; /* at the chain's end: the add is absorbed */
    double cost;
} seg_eval;

/* States a segment can start in: a head state, or 3 predecessors x 2 bits. */
#define SEG_MAX_EVALS 8

/* Segment L[j..j+n) of a chain: legality and its evaluations so far. */
typedef struct seg_info {
    bool legal;     /* allowed, fusable (n > 1) or a lone layer */
    bool cudnn;     /* a lone layer without a variant: a cuDNN unit (FP_UNIT_OTHER) */
    bool known;     /* resident and dirty are set (by a first evaluation) */
    bool resident;  /* its output stays in L2: the footprint fits (whatever the state and tile) */
    uint64_t dirty; /* its output_dirty_bytes */
    char why[256];  /* when not legal or never feasible; why the layer has no variant when cudnn */
    int n_ev;
    seg_eval ev[SEG_MAX_EVALS];
} seg_info;

typedef struct chain_ctx {
    const fp_model *m;
    const fp_gpu_spec *g;
    const fp_plan_options *o;
    const fp_plan *placed; /* the units planned before this chain */
    const int *L;          /* the chain's layers */
    int len;
    int add;               /* absorbable add after the chain's last layer, or -1 */
    double add_cost;       /* the add as a standalone unit */
    bool residual_is_chain_input; /* the add's other operand is the chain's input */
    seg_info (*seg)[3];    /* [start][len-1] */
} chain_ctx;

static bool segment_allowed(const chain_ctx *c, int j, int n, char *why, size_t why_len) {
    if (n == 1) return true;
    cm_kind kind;
    if (!fp_chain_fusable(c->m, c->L + j, n, &kind, why, why_len)) return false;
    if (!(c->o->allowed & (1u << kind))) {
        snprintf(why, why_len, "%s is not allowed (--allow / --no-fuse)", cm_kind_name(kind));
        return false;
    }
    return true;
}

/* The L2 state of segment (j, n) after a segment of length pn (0: j is the
 * chain's head) with chain-input bit r: fp_unit_l2_ctx's rule. */
static fp_l2_ctx seg_state(const chain_ctx *c, int j, int n, int pn, bool r) {
    const bool at_end = j + n == c->len;
    if (j == 0)
        return fp_unit_l2_ctx(c->m, c->placed->units, c->placed->n_units, c->L, n, at_end ? c->add : -1);
    const seg_info *prev = &c->seg[j - pn][pn - 1];
    fp_l2_ctx x = {prev->resident, false, prev->dirty};
    x.residual_hot = at_end && c->add >= 0 && c->residual_is_chain_input && r;
    return x;
}

static bool ctx_equal(const fp_l2_ctx *a, const fp_l2_ctx *b) {
    return a->input_hot == b->input_hot && a->residual_hot == b->residual_hot &&
           a->input_dirty_bytes == b->input_dirty_bytes;
}

/* The segment's cost in state x (with the following add absorbed or not at
 * the chain's end), evaluated once per distinct state; NULL when illegal. */
static const seg_eval *eval_segment(chain_ctx *c, int j, int n, const fp_l2_ctx *x) {
    seg_info *s = &c->seg[j][n - 1];
    if (!s->legal) return NULL;
    for (int k = 0; k < s->n_ev; k++)
        if (ctx_equal(&s->ev[k].ctx, x)) return &s->ev[k];
    if (s->n_ev == SEG_MAX_EVALS) return NULL; /* cannot happen: at most 1 + 3 x 2 states */
    seg_eval *e = &s->ev[s->n_ev++];
    memset(e, 0, sizeof *e);
    e->ctx = *x;
    const bool at_end = j + n == c->len;
    fp_unit u;
    char why[256] = "";
    if (s->cudnn) {
        /* no kernel of ours runs it: cuDNN does, as a unit of its own, and an
         * add after it stays a unit of its own too */
        fp_unit_eval_other(c->m, c->g, c->o, c->L[j], &u);
        e->ok = true;
        e->cost = objective_cost(c->o, &u.est) + (at_end && c->add >= 0 ? c->add_cost : 0);
        s->known = true;
        return e;
    }
    double best = DBL_MAX;
    if (at_end && c->add >= 0 &&
        fp_unit_eval_ctx(c->m, c->g, c->o, c->L + j, n, c->add, x, &u, why, sizeof why)) {
        best = objective_cost(c->o, &u.est);
        e->absorb = true;
        e->ok = true;
    }
    if (fp_unit_eval_ctx(c->m, c->g, c->o, c->L + j, n, -1, x, &u, why, sizeof why)) {
        const double alt = objective_cost(c->o, &u.est) + (at_end && c->add >= 0 ? c->add_cost : 0);
        if (alt < best) {
            best = alt;
            e->absorb = false;
        }
        e->ok = true;
        /* the state it leaves: its footprint, the same in every state and tile */
        s->known = true;
        s->resident = u.est.output_l2_resident;
        s->dirty = u.est.output_dirty_bytes;
    }
    if (!e->ok) {
        snprintf(s->why, sizeof s->why, "%s", why);
        return e;
    }
    e->cost = best;
    /* A fusion must beat its layers by more than the model's measured error
     * on this GPU (the spec's calibrated fusion margin, docs/validation.md):
     * a predicted saving smaller than that is a coin toss that costs when
     * it lands wrong. */
    if (n > 1 && c->o->objective == FP_OBJECTIVE_TIME) e->cost *= 1.0 + c->g->fusion_margin;
    return e;
}

/* Appends a unit to the plan. */
static fp_status push_unit(fp_plan *p, int *cap, const fp_unit *u) {
    if (p->n_units == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        fp_unit *nu = realloc(p->units, (size_t)nc * sizeof *nu);
        if (!nu) return FP_ERR_NOMEM;
        p->units = nu;
        *cap = nc;
    }
    p->units[p->n_units++] = *u;
    return FP_OK;
}

static void layer_list(const fp_model *m, const int *L, int n, char *buf, size_t len) {
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s%s", i ? "+" : "", m->layers[L[i]].name);
    }
}

/* Index of state (i, last segment length pn, bit r). */
#define ST(i, pn, r) (((size_t)(i) * 4 + (size_t)(pn)) * 2 + (size_t)(r))

/* The chain's segments that may precede position i (0: the head). */
static int pn_first(int i) { return i == 0 ? 0 : 1; }
static int pn_last(int i) { return i == 0 ? 0 : (i < 3 ? i : 3); }

static fp_status plan_chain(chain_ctx *c, fp_plan *p, int *cap, bool *absorbed_add, char *err,
                            size_t err_len) {
    const int len = c->len;
    const size_t ns = ST(len + 1, 0, 0);
    double *f = malloc(sizeof(double) * ns);  /* best cover of L[0..i) ending in state */
    double *b = malloc(sizeof(double) * ns);  /* best cover of L[i..len) from state */
    int *from = malloc(sizeof(int) * ns);     /* f's predecessor state: pn * 2 + r */
    if (!f || !b || !from) {
        free(f);
        free(b);
        free(from);
        return fp_fail(err, err_len, FP_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < ns; k++) {
        f[k] = b[k] = DBL_MAX;
        from[k] = -1;
    }
    for (int j = 0; j < len; j++)
        for (int n = 1; n <= 3 && j + n <= len; n++) {
            seg_info *s = &c->seg[j][n - 1];
            memset(s, 0, sizeof *s);
            s->legal = segment_allowed(c, j, n, s->why, sizeof s->why);
            s->cudnn = s->legal && n == 1 && !fp_layer_has_variant(c->m, c->L[j], c->o, s->why, sizeof s->why);
        }
    /* the chain's input is in L2 at its head as the head's state says */
    const bool r0 = fp_unit_l2_ctx(c->m, c->placed->units, c->placed->n_units, c->L, 1, -1).input_hot;
    f[ST(0, 0, r0)] = 0;
    for (int i = 1; i <= len; i++)
        for (int n = 1; n <= 3 && n <= i; n++) { /* shortest first: ties stay unfused */
            const int j = i - n;
            for (int pn = pn_first(j); pn <= pn_last(j); pn++)
                for (int r = 0; r < 2; r++) {
                    if (f[ST(j, pn, r)] == DBL_MAX) continue;
                    const fp_l2_ctx x = seg_state(c, j, n, pn, r);
                    const seg_eval *e = eval_segment(c, j, n, &x);
                    if (!e || !e->ok) continue;
                    const int r2 = r && c->seg[j][n - 1].resident;
                    const double v = f[ST(j, pn, r)] + e->cost;
                    if (v < f[ST(i, n, r2)]) {
                        f[ST(i, n, r2)] = v;
                        from[ST(i, n, r2)] = pn * 2 + r;
                    }
                }
        }
    /* backward: the best cover of the rest from every reachable state */
    for (int pn = 0; pn <= 3; pn++) b[ST(len, pn, 0)] = b[ST(len, pn, 1)] = 0;
    for (int i = len - 1; i >= 0; i--)
        for (int pn = pn_first(i); pn <= pn_last(i); pn++)
            for (int r = 0; r < 2; r++) {
                if (f[ST(i, pn, r)] == DBL_MAX) continue;
                for (int n = 1; n <= 3 && i + n <= len; n++) {
                    const fp_l2_ctx x = seg_state(c, i, n, pn, r);
                    const seg_eval *e = eval_segment(c, i, n, &x);
                    const int r2 = r && c->seg[i][n - 1].resident;
                    if (e && e->ok && b[ST(i + n, n, r2)] < DBL_MAX && e->cost + b[ST(i + n, n, r2)] < b[ST(i, pn, r)])
                        b[ST(i, pn, r)] = e->cost + b[ST(i + n, n, r2)];
                }
            }
    double best = DBL_MAX;
    int best_n = 0, best_r = 0;
    for (int n = 1; n <= 3 && n <= len; n++)
        for (int r = 0; r < 2; r++)
            if (f[ST(len, n, r)] < best) {
                best = f[ST(len, n, r)];
                best_n = n;
                best_r = r;
            }
    if (best == DBL_MAX) {
        /* name the first layer no segment can cover */
        int i = 1;
        for (;; i++) {
            bool reach = false;
            for (int n = 1; n <= 3 && n <= i; n++)
                reach = reach || f[ST(i, n, 0)] < DBL_MAX || f[ST(i, n, 1)] < DBL_MAX;
            if (!reach || i == len) break;
        }
        /* both files: the layer is the model's, the limit usually the spec's */
        fp_status st = fp_fail(err, err_len, FP_ERR_INVALID, "%s: layer %s cannot run on %s "
                               "(GPU spec %s): %s", c->m->path, c->m->layers[c->L[i - 1]].name,
                               c->g->id, c->g->path, c->seg[i - 1][0].why);
        free(f);
        free(b);
        free(from);
        return st;
    }
    /* walk back to collect the segments and the states they start in */
    int starts[FP_MODEL_MAX_LAYERS], lens[FP_MODEL_MAX_LAYERS], pns[FP_MODEL_MAX_LAYERS],
        rs[FP_MODEL_MAX_LAYERS], k = 0;
    for (int i = len, n = best_n, r = best_r; i > 0;) {
        const int pr = from[ST(i, n, r)];
        starts[k] = i - n;
        lens[k] = n;
        pns[k] = pr / 2;
        rs[k++] = pr % 2;
        i -= n;
        n = pr / 2;
        r = pr % 2;
    }
    fp_status st = FP_OK;
    for (int s = k - 1; s >= 0 && st == FP_OK; s--) {
        const int j = starts[s], n = lens[s];
        const seg_info *si = &c->seg[j][n - 1];
        const fp_l2_ctx x = seg_state(c, j, n, pns[s], rs[s]);
        const seg_eval *e = eval_segment(c, j, n, &x);
        const int res = (j + n == len && e && e->absorb) ? c->add : -1;
        fp_unit u;
        char why[256];
        if (si->cudnn) {
            fp_unit_eval_other(c->m, c->g, c->o, c->L[j], &u);
            snprintf(u.note, sizeof u.note, "cuDNN: %.300s", si->why);
            st = push_unit(p, cap, &u);
            continue;
        }
        if (!fp_unit_eval_ctx(c->m, c->g, c->o, c->L + j, n, res, &x, &u, why, sizeof why)) {
            st = fp_fail(err, err_len, FP_ERR_RUNTIME, "internal: chosen unit re-evaluation "
                         "failed: %s", why);
            break;
        }
        if (res >= 0) *absorbed_add = true;
        fp_unit_unfused(c->m, c->g, c->o, &u);
        /* the note: the chosen fusion's saving, or the best rejected fusion */
        if (n > 1) {
            double save = u.unfused.time_us > 0 ? 100.0 * (1 - u.est.time_us / u.unfused.time_us) : 0;
            snprintf(u.note, sizeof u.note, "fused: est %.2f us vs %.2f us layer by layer (%+.0f%%)",
                     u.est.time_us, u.unfused.time_us, -save);
        } else {
            /* best plan of this chain that fuses this layer with a neighbour */
            double alt = DBL_MAX;
            int bj = -1, bn = 0;
            const char *reject = NULL;
            for (int jj = j - 2; jj <= j; jj++)
                for (int nn = 2; nn <= 3; nn++) {
                    if (jj < 0 || jj + nn > len || jj + nn <= j) continue;
                    const seg_info *o = &c->seg[jj][nn - 1];
                    bool any = false;
                    for (int pn = pn_first(jj); pn <= pn_last(jj); pn++)
                        for (int r = 0; r < 2; r++) {
                            if (f[ST(jj, pn, r)] == DBL_MAX) continue;
                            const fp_l2_ctx y = seg_state(c, jj, nn, pn, r);
                            const seg_eval *oe = eval_segment(c, jj, nn, &y);
                            if (!oe || !oe->ok) continue;
                            any = true;
                            const int r2 = r && o->resident;
                            if (b[ST(jj + nn, nn, r2)] == DBL_MAX) continue;
                            const double t = f[ST(jj, pn, r)] + oe->cost + b[ST(jj + nn, nn, r2)];
                            if (t < alt) {
                                alt = t;
                                bj = jj;
                                bn = nn;
                            }
                        }
                    if (!any && !reject && o->why[0]) reject = o->why;
                }
            const char *unit = c->o->objective == FP_OBJECTIVE_TIME ? "us" : "bytes";
            if (bj >= 0) {
                char other[512];
                layer_list(c->m, c->L + bj, bn, other, sizeof other);
                snprintf(u.note, sizeof u.note, "fusing %.200s rejected: chain est %.4g %s vs %.4g %s "
                         "as planned", other, alt, unit, best, unit);
            } else if (reject) {
                snprintf(u.note, sizeof u.note, "not fused: %.250s", reject);
            } else {
                snprintf(u.note, sizeof u.note, "no DW/PW neighbour to fuse with");
            }
        }
        st = push_unit(p, cap, &u);
    }
    free(f);
    free(b);
    free(from);
    return st;
}

/* Orders units topologically (Kahn), ties by their first layer's index. */
static fp_status order_units(const fp_model *m, fp_plan *p) {
    int n = p->n_units;
    int *unit_of = malloc(sizeof(int) * (size_t)m->n_layers);
    bool *done = calloc((size_t)n, sizeof(bool));
    fp_unit *out = malloc(sizeof(fp_unit) * (size_t)(n ? n : 1));
    if (!unit_of || !done || !out) {
        free(unit_of);
        free(done);
        free(out);
        return FP_ERR_NOMEM;
    }
    for (int u = 0; u < n; u++) {
        for (int i = 0; i < p->units[u].n_layers; i++) unit_of[p->units[u].layers[i]] = u;
        if (p->units[u].residual_layer >= 0) unit_of[p->units[u].residual_layer] = u;
    }
    for (int k = 0; k < n; k++) {
        int pick = -1, pick_first = 0;
        for (int u = 0; u < n; u++) {
            if (done[u]) continue;
            bool ready = true;
            const fp_unit *U = &p->units[u];
            int all[CM_MAX_UNIT_LAYERS + 1], na = fp_unit_members(U, all);
            for (int i = 0; i < na && ready; i++) {
                const fp_layer *l = &m->layers[all[i]];
                for (int q = 0; q < l->n_inputs; q++) {
                    int prod = m->tensors[l->inputs[q]].producer;
                    if (prod >= 0 && unit_of[prod] != u && !done[unit_of[prod]]) ready = false;
                }
            }
            if (ready && (pick < 0 || U->layers[0] < pick_first)) {
                pick = u;
                pick_first = U->layers[0];
            }
        }
        if (pick < 0) { /* cannot happen for a DAG (see the file comment) */
            free(unit_of);
            free(done);
            free(out);
            return FP_ERR_RUNTIME;
        }
        done[pick] = true;
        out[k] = p->units[pick];
    }
    memcpy(p->units, out, sizeof(fp_unit) * (size_t)n);
    free(unit_of);
    free(done);
    free(out);
    return FP_OK;
}

void fp_plan_totals_compute(fp_plan *p) {
    fp_plan_totals *t = &p->totals;
    memset(t, 0, sizeof *t);
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        t->time_us += u->est.time_us;
        t->unfused_time_us += u->unfused.time_us;
        t->traffic_bytes += u->est.traffic.load_bytes + u->est.traffic.store_bytes;
        t->unfused_traffic_bytes += u->unfused.traffic.load_bytes + u->unfused.traffic.store_bytes;
        t->dram_bytes += u->est.dram_read_bytes + u->est.dram_write_bytes;
        t->unfused_dram_bytes += u->unfused.dram_read_bytes + u->unfused.dram_write_bytes;
        t->flops += u->est.flops_cuda + u->est.flops_tensor;
        t->fused_units += u->n_layers > 1;
    }
}

void fp_plan_fill_header(fp_plan *p, const fp_model *m, const fp_gpu_spec *g,
                        const fp_plan_options *o) {
    p->opt = *o;
    snprintf(p->model_name, sizeof p->model_name, "%s", m->name);
    snprintf(p->model_file, sizeof p->model_file, "%s", m->path);
    snprintf(p->gpu_file, sizeof p->gpu_file, "%s", g->path);
    p->model_hash = m->hash;
    snprintf(p->gpu_id, sizeof p->gpu_id, "%s", g->id);
    snprintf(p->gpu_name, sizeof p->gpu_name, "%s", g->name);
    p->gpu_hash = g->hash;
}

fp_status fp_plan_build(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                        fp_plan *p, char *err, size_t err_len) {
    memset(p, 0, sizeof *p);
    fp_plan_fill_header(p, m, g, o);
    int n = m->n_layers, cap = 0;
    bool *covered = calloc((size_t)n, sizeof(bool));
    chain_ctx *c = malloc(sizeof *c);
    fp_chains ch;
    fp_status st = fp_chains_find(m, &ch, err, err_len);
    if (st == FP_OK && (!covered || !c)) st = fp_fail(err, err_len, FP_ERR_NOMEM, "out of memory");
    for (int k = 0; k < ch.n_chains && st == FP_OK; k++) {
        const int *L = ch.layers + ch.start[k];
        int len = ch.len[k];
        memset(c, 0, sizeof *c);
        c->seg = calloc((size_t)len, sizeof *c->seg);
        if (!c->seg) {
            st = fp_fail(err, err_len, FP_ERR_NOMEM, "out of memory");
            break;
        }
        c->m = m;
        c->g = g;
        c->o = o;
        c->placed = p;
        c->L = L;
        c->len = len;
        c->add = fp_absorbable_add(m, L[len - 1]);
        c->residual_is_chain_input =
            c->add >= 0 && residual_operand(m, L[len - 1], c->add) == m->layers[L[0]].inputs[0];
        if (c->add >= 0) {
            fp_unit au;
            fp_unit_eval_other(m, g, o, c->add, &au);
            c->add_cost = objective_cost(o, &au.est);
        }
        bool absorbed = false;
        st = plan_chain(c, p, &cap, &absorbed, err, err_len);
        free(c->seg);
        for (int i = 0; i < len; i++) covered[L[i]] = true;
        if (absorbed) covered[c->add] = true;
    }
    for (int i = 0; i < n && st == FP_OK; i++) {
        if (covered[i]) continue;
        fp_unit u;
        fp_unit_eval_other(m, g, o, i, &u);
        if (m->layers[i].op == FP_OP_ADD)
            snprintf(u.note, sizeof u.note, "add not absorbed (no single-consumer DW/PW producer "
                     "with a variant, or a standalone add was estimated cheaper)");
        else
            snprintf(u.note, sizeof u.note, "not a DW/PW conv: cuDNN, or our tiled direct conv where "
                     "`run` measures it faster");
        st = push_unit(p, &cap, &u);
    }
    if (st == FP_OK && order_units(m, p) != FP_OK)
        st = fp_fail(err, err_len, FP_ERR_RUNTIME, "internal: units could not be ordered");
    if (st == FP_OK) fp_plan_totals_compute(p);
    fp_chains_free(&ch);
    free(covered);
    free(c);
    if (st != FP_OK) fp_plan_free(p);
    return st;
}

void fp_plan_free(fp_plan *p) {
    if (!p) return;
    free(p->units);
    p->units = NULL;
    p->n_units = 0;
}
