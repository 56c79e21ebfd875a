/* rt_validate.c - the validation engine of `fuseplan validate`, its plain-C
 * part: candidates, re-analysis of measured reports, figures, calibration
 * (see rt_validate.h and docs/validation.md). No CUDA: the measuring lives
 * in rt_val_measure.c, the held-out splits in rt_val_heldout.c. */
#include "rt_validate.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_util.h"
#include "rt_stats.h"
#include "rt_val_internal.h"

/* Small deterministic PRNG for the random tile candidates (splitmix64). */
static uint64_t rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The plan unit executing exactly these layers with this residual, or NULL. */
static const fp_unit *plan_unit(const fp_plan *p, const fp_unit *u) {
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *q = &p->units[i];
        if (q->kind == u->kind && q->n_layers == u->n_layers && q->residual_layer == u->residual_layer &&
            memcmp(q->layers, u->layers, sizeof(int) * (size_t)u->n_layers) == 0)
            return q;
    }
    return NULL;
}

/* The unit as the cold measurements see it: inputs read from DRAM (the L2
 * was flushed), whatever the planner's residency hints say, and nothing
 * dirty left in L2 by a unit before it (the flush is a read sweep: it leaves
 * clean lines, and the DRAM writes counted are the kernel's own). */
static cm_unit cold_unit(const cm_unit *u) {
    cm_unit cold = *u;
    cold.input_hot = cold.residual_hot = false;
    cold.input_dirty_bytes = 0;
    return cold;
}

/* Estimates of candidate c (tile already set) with and without the
 * residency hints; false when the model rejects the tile on g. */
static bool estimate_candidate(const rt_val_subject *s, const fp_gpu_spec *g, rt_val_cand *c) {
    const cm_variant *v = cm_variant_of(&s->u.cu, &c->tile);
    c->variant = v ? v->name : "?";
    const cm_unit cold = cold_unit(&s->u.cu);
    return cm_estimate_unit(&s->u.cu, &c->tile, &g->gpu, &c->est) == CM_OK &&
           cm_estimate_unit(&cold, &c->tile, &g->gpu, &c->est_cold) == CM_OK;
}

static void fill_candidate(const rt_val_subject *s, const fp_gpu_spec *g, const cm_tile *t, rt_val_cand *c) {
    memset(c, 0, sizeof *c);
    c->tile = *t;
    (void)estimate_candidate(s, g, c); /* enumerated tiles are feasible */
}

/* Tile candidates of one subject: the plan's tile (when the subject is a
 * plan unit), the model's best ceil(K/2), then random feasible others. */
static fk_status pick_candidates(rt_val_subject *s, const fp_gpu_spec *g, const fp_unit *in_plan, int k,
                                 uint64_t *rng, char *err, size_t err_len) {
    cm_tile all[128];
    size_t total = cm_enumerate_tiles(&s->u.cu, &g->gpu, all, 128);
    size_t n_all = total < 128 ? total : 128;
    s->cand = calloc((size_t)k + 1, sizeof *s->cand);
    if (!s->cand) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    bool used[128] = {false};
    int n = 0;
    if (in_plan) {
        fill_candidate(s, g, &in_plan->tile, &s->cand[n++]);
        for (size_t i = 0; i < n_all; i++)
            if (cm_tile_equal(&all[i], &in_plan->tile)) used[i] = true;
    }
    int top = (k + 1) / 2;
    for (size_t i = 0; i < n_all && n < top + (in_plan ? 1 : 0) && n < k; i++) {
        if (used[i]) continue;
        used[i] = true;
        fill_candidate(s, g, &all[i], &s->cand[n++]);
    }
    size_t left = 0;
    for (size_t i = 0; i < n_all; i++) left += !used[i];
    while (n < k && left > 0) {
        size_t pick = (size_t)(rng_next(rng) % left), seen = 0;
        for (size_t i = 0; i < n_all; i++) {
            if (used[i]) continue;
            if (seen++ == pick) {
                used[i] = true;
                fill_candidate(s, g, &all[i], &s->cand[n++]);
                break;
            }
        }
        left--;
    }
    s->n_cand = n;
    return FK_OK;
}

/* Evaluates segment [j, j+n) of chain ch as a unit (the chain's absorbable
 * add at its end when residual, as the planner does); false when it is no
 * fusable, allowed unit or has no feasible tile. */
static bool eval_segment(rt_val_case *c, const fp_plan_options *o, int ch, int j, int n, bool residual,
                         rt_val_subject *s) {
    const int *L = c->chains.layers + c->chains.start[ch];
    const int len = c->chains.len[ch];
    char why[256];
    cm_kind kind;
    if (n > 1 && (!fp_chain_fusable(&c->m, L + j, n, &kind, why, sizeof why) || !(o->allowed & (1u << kind))))
        return false;
    const int add = j + n == len ? fp_absorbable_add(&c->m, L[len - 1]) : -1;
    if (residual && add < 0) return false;
    if (!fp_unit_eval(&c->m, &c->g, o, L + j, n, residual ? add : -1, &s->u, why, sizeof why)) return false;
    s->chain = ch;
    s->start = j;
    s->len = n;
    s->in_plan = plan_unit(&c->p, &s->u) != NULL;
    return true;
}

/* The plan's options without forced tiles: every tile is a candidate. */
static fp_plan_options subject_options(const rt_val_case *c) {
    fp_plan_options o = c->p.opt;
    memset(o.tile_forced, 0, sizeof o.tile_forced);
    return o;
}

/* Every segment of every chain (1 to 3 layers, fusable, allowed by the
 * plan's options), with the chain's absorbable add at its end. */
static fk_status build_subjects(rt_val_case *c, int k, char *err, size_t err_len) {
    int cap = 0;
    for (int i = 0; i < c->chains.n_chains; i++) cap += 3 * c->chains.len[i];
    c->subj = calloc((size_t)cap + 1, sizeof *c->subj);
    if (!c->subj) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    const fp_plan_options o = subject_options(c);
    uint64_t rng = 20261122;
    for (int ch = 0; ch < c->chains.n_chains; ch++) {
        int len = c->chains.len[ch];
        int add = fp_absorbable_add(&c->m, c->chains.layers[c->chains.start[ch] + len - 1]);
        for (int j = 0; j < len; j++)
            for (int n = 1; n <= CM_MAX_UNIT_LAYERS && j + n <= len; n++) {
                rt_val_subject *s = &c->subj[c->n_subj];
                const bool res = j + n == len && add >= 0;
                /* with the add when it has a feasible tile, else without */
                if (!eval_segment(c, &o, ch, j, n, res, s) && (!res || !eval_segment(c, &o, ch, j, n, false, s)))
                    continue; /* no feasible tile: nothing to measure */
                const fp_unit *pu = plan_unit(&c->p, &s->u);
                fk_status st = pick_candidates(s, &c->g, pu, k, &rng, err, err_len);
                if (st != FK_OK) return st;
                if (s->n_cand == 0) {
                    free(s->cand);
                    s->cand = NULL;
                    continue;
                }
                c->n_subj++;
            }
    }
    return FK_OK;
}

fk_status rt_val_case_prepare(rt_val_case *c, int tiles, char *err, size_t err_len) {
    if (tiles < 1 || tiles > RT_VAL_MAX_TILES)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%d tiles per unit is not in 1..%d", tiles,
                       RT_VAL_MAX_TILES);
    if (fp_chains_find(&c->m, &c->chains, err, err_len) != FP_OK) return FK_ERR_NOMEM;
    return build_subjects(c, tiles, err, err_len);
}

void rt_val_case_free(rt_val_case *c) {
    if (!c) return;
    for (int i = 0; i < c->n_subj; i++) free(c->subj[i].cand);
    free(c->subj);
    fp_chains_free(&c->chains);
    if (c->loaded) {
        fp_plan_free(&c->p);
        fp_model_free(&c->m);
    }
    free(c);
}

/* ---- re-analysing measured reports ---- */

/* The chain and start of a measured unit's layers, or false. */
static bool find_segment(const fp_chains *ch, const int *layers, int n, int *chain, int *start) {
    for (int i = 0; i < ch->n_chains; i++) {
        const int *L = ch->layers + ch->start[i];
        for (int j = 0; j + n <= ch->len[i]; j++)
            if (memcmp(L + j, layers, sizeof(int) * (size_t)n) == 0) {
                *chain = i;
                *start = j;
                return true;
            }
    }
    return false;
}

fk_status rt_val_case_rebuild(rt_val_case *c, const rt_val_meas_unit *units, int n_units, const char *label,
                              rt_val_rebuild_notes *notes, char *err, size_t err_len) {
    if (n_units < 0 || n_units > 100000)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: %d units", label, n_units);
    if (fp_chains_find(&c->m, &c->chains, err, err_len) != FP_OK) return FK_ERR_NOMEM;
    c->subj = calloc((size_t)n_units + 1, sizeof *c->subj);
    if (!c->subj) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    const fp_plan_options o = subject_options(c);
    for (int i = 0; i < n_units; i++) {
        const rt_val_meas_unit *mu = &units[i];
        int ch, j;
        if (mu->n_layers < 1 || mu->n_layers > CM_MAX_UNIT_LAYERS ||
            !find_segment(&c->chains, mu->layers, mu->n_layers, &ch, &j))
            return fk_fail(FK_ERR_INVALID, err, err_len,
                           "%s: unit \"%s\": its layers are no segment of a fusion chain of %s now "
                           "(the model file changed since the measurement?)",
                           label, mu->name, c->m.name);
        for (int k = 0; k < c->n_subj; k++)
            if (c->subj[k].chain == ch && c->subj[k].start == j && c->subj[k].len == mu->n_layers)
                return fk_fail(FK_ERR_INVALID, err, err_len, "%s: unit \"%s\" appears twice", label,
                               mu->name);
        const int len = c->chains.len[ch];
        if (mu->residual && (j + mu->n_layers != len ||
                             fp_absorbable_add(&c->m, c->chains.layers[c->chains.start[ch] + len - 1]) < 0))
            return fk_fail(FK_ERR_INVALID, err, err_len,
                           "%s: unit \"%s\": residual: true, but no add can be absorbed after it in %s",
                           label, mu->name, c->m.name);
        rt_val_subject *s = &c->subj[c->n_subj];
        memset(s, 0, sizeof *s);
        if (!eval_segment(c, &o, ch, j, mu->n_layers, mu->residual, s)) {
            notes->unit_no_tile++;
            continue;
        }
        s->cand = calloc((size_t)mu->n_cand + 1, sizeof *s->cand);
        if (!s->cand) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
        const cm_variant_id want = cm_unit_variant_id(&s->u.cu, &s->u.tile); /* kind, dtype, math */
        for (int k = 0; k < mu->n_cand; k++) {
            const rt_val_meas_cand *mc = &mu->cand[k];
            if (mc->id.kind != want.kind || mc->id.dtype != want.dtype || mc->id.math != want.math) {
                free(s->cand);
                s->cand = NULL;
                return fk_fail(FK_ERR_INVALID, err, err_len,
                               "%s: unit \"%s\": candidate \"%s\" is not a %s %s %s variant (the unit "
                               "is, in the model of this tree)",
                               label, mu->name, mc->name, cm_kind_name(want.kind), cm_dtype_tag(want.dtype),
                               cm_math_name(want.math));
            }
            if (!cm_variant_find(&mc->id)) {
                notes->cand_not_compiled++;
                continue;
            }
            rt_val_cand *cd = &s->cand[s->n_cand];
            memset(cd, 0, sizeof *cd);
            cd->tile = mc->id.tile;
            if (!estimate_candidate(s, &c->g, cd)) {
                notes->cand_infeasible++;
                continue;
            }
            cd->steady = mc->steady;
            cd->cold_us = mc->cold_us;
            cd->warm = mc->warm;
            cd->cold = mc->cold;
            s->n_cand++;
        }
        if (s->n_cand == 0) {
            free(s->cand);
            s->cand = NULL;
            notes->unit_no_tile++;
            continue;
        }
        c->n_subj++;
    }
    rt_val_rank(c, RT_VAL_EST);
    return FK_OK;
}

/* ---- analysis ---- */

/* What the L2 serves (the contract's loads, plus the sectors served twice,
 * minus the parameter re-reads L1 keeps: cm_estimate.l2_read_bytes) and the
 * stores: what the counters lts__t_sectors_srcunit_tex_op_{read,write}
 * count, not the contract's requests (docs/costmodel.md section 2.5). */
double rt_val_est_traffic(const rt_val_cand *c) {
    return (double)(c->est.l2_read_bytes + c->est.traffic.store_bytes);
}
double rt_val_meas_traffic(const rt_val_cand *c) { return c->warm.l2_read_bytes + c->warm.l2_write_bytes; }
double rt_val_est_dram_cold(const rt_val_cand *c) {
    return (double)(c->est_cold.dram_read_bytes + c->est_cold.dram_write_bytes);
}
double rt_val_meas_dram_cold(const rt_val_cand *c) { return c->cold.dram_read_bytes + c->cold.dram_write_bytes; }

/* Model time of candidate k under the slot. */
static double model_us(const rt_val_subject *s, int k, rt_val_slot slot) {
    return slot == RT_VAL_REFIT ? s->cand[k].refit_us : s->cand[k].est.time_us;
}

/* Candidate k's place in the planner's order under the slot (its time, the
 * time without the serial-chain floor, its SM side, its chunk loop, its row). */
static cm_tile_rank model_rank(const rt_val_subject *s, int k, rt_val_slot slot) {
    const rt_val_cand *cd = &s->cand[k];
    const double thr = slot == RT_VAL_REFIT ? cd->refit_throughput_us : cm_estimate_throughput_us(&cd->est);
    const double sms = slot == RT_VAL_REFIT ? cd->refit_sm_side_us : cm_estimate_sm_side_us(&cd->est);
    const double t = model_us(s, k, slot);
    /* a candidate without a model time (no fitted sample) ranks last */
    return cm_tile_rank_of(&s->u.cu, &cd->tile, isfinite(t) ? t : INFINITY, isfinite(thr) ? thr : INFINITY,
                           isfinite(sms) ? sms : INFINITY);
}

static void rank_subject(rt_val_subject *s, rt_val_slot slot) {
    double est[RT_VAL_MAX_TILES + 1], meas[RT_VAL_MAX_TILES + 1];
    cm_tile_rank best = {0};
    int choice = 0;
    const int n = s->n_cand < RT_VAL_MAX_TILES + 1 ? s->n_cand : RT_VAL_MAX_TILES + 1;
    /* the model's pick is the planner's (its tie-breaks too: exact ties in
     * time are common, e.g. the k32 / k64 PW twins, and picking the first
     * measured one judged a tile the planner never runs) */
    bool first = true;
    for (int k = 0; k < n; k++) {
        est[k] = model_us(s, k, slot);
        meas[k] = s->cand[k].steady.median_us;
        /* the planner never proposes a tile another candidate dominates
         * (cm_enumerate_tiles); reports measured before that rule hold some */
        bool dominated = false;
        for (int j = 0; j < n && !dominated; j++)
            dominated = j != k && cm_tile_dominates(&s->u.cu, &s->cand[j].tile, &s->cand[k].tile);
        if (dominated) continue;
        const cm_tile_rank r = model_rank(s, k, slot);
        if (first || cm_tile_ranks_before(&r, &best)) {
            first = false;
            best = r;
            choice = k;
        }
    }
    double tau = rt_vm_kendall_tau_b(est, meas, (size_t)n);
    double regret = rt_vm_regret(meas, (size_t)n, (size_t)choice);
    if (slot == RT_VAL_REFIT) {
        s->refit_choice = choice;
        s->refit_tau = tau;
        s->refit_regret = regret;
    } else {
        s->choice = choice;
        s->tau = tau;
        s->regret = regret;
    }
}

void rt_val_rank(rt_val_case *c, rt_val_slot slot) {
    for (int i = 0; i < c->n_subj; i++) rank_subject(&c->subj[i], slot);
}

/* The subject for segment [start, start+len) of chain ch, or NULL. */
static const rt_val_subject *find_subject(const rt_val_case *c, int ch, int start, int len) {
    for (int i = 0; i < c->n_subj; i++)
        if (c->subj[i].chain == ch && c->subj[i].start == start && c->subj[i].len == len)
            return &c->subj[i];
    return NULL;
}

static int slot_choice(const rt_val_subject *s, rt_val_slot slot) {
    return slot == RT_VAL_REFIT ? s->refit_choice : s->choice;
}
static double subj_model(const rt_val_subject *s, rt_val_slot slot) {
    return model_us(s, slot_choice(s, slot), slot);
}
static double subj_meas(const rt_val_subject *s, rt_val_slot slot) {
    return s->cand[slot_choice(s, slot)].steady.median_us;
}
/* The fusion margin the slot's model decides with: the spec's, or the fit's. */
static double slot_margin(const rt_val_case *c, rt_val_slot slot) {
    return slot == RT_VAL_REFIT ? c->refit_margin : c->g.fusion_margin;
}

/* The fusion decision of fused segment s: "fused beats its layers run one by
 * one" by the model (each with the model's tile; the fused estimate must win
 * by more than `margin`, as the planner requires) and by measurement (each
 * with the model's tile too: the question the planner answers). False when
 * a layer has no single-layer subject. */
static bool decide(const rt_val_case *c, const rt_val_subject *s, rt_val_slot slot, double margin,
                   rt_val_decision *d) {
    memset(d, 0, sizeof *d);
    d->subject = (int)(s - c->subj);
    for (int l = 0; l < s->len; l++) {
        const rt_val_subject *one = find_subject(c, s->chain, s->start + l, 1);
        if (!one) return false;
        d->est_layers_us += subj_model(one, slot);
        d->meas_layers_us += subj_meas(one, slot);
    }
    d->est_fused_us = subj_model(s, slot);
    d->meas_fused_us = subj_meas(s, slot);
    d->model_fuses = d->est_fused_us * (1.0 + margin) < d->est_layers_us;
    d->measured_fuses = d->meas_fused_us < d->meas_layers_us;
    return true;
}

/* Decisions agreeing with measurement over case c at a margin. */
static int agreeing(const rt_val_case *c, rt_val_slot slot, double margin) {
    int agree = 0;
    for (int i = 0; i < c->n_subj; i++) {
        rt_val_decision d;
        if (c->subj[i].len >= 2 && decide(c, &c->subj[i], slot, margin, &d))
            agree += d.model_fuses == d.measured_fuses;
    }
    return agree;
}

int rt_val_decisions(const rt_val_case *c, double margin, rt_val_decision *out, int max) {
    int n = 0;
    for (int i = 0; i < c->n_subj && n < max; i++)
        if (c->subj[i].len >= 2 && decide(c, &c->subj[i], RT_VAL_EST, margin, &out[n])) n++;
    return n;
}

/* ---- the majority decider ---- */

void rt_val_majority_add(rt_val_majority *t, int kind, int batch, bool measured_fuses) {
    if (kind < 0 || kind >= CM_KIND_COUNT) return;
    int b = 0;
    while (b < t->n_batch && t->batch[b] != batch) b++;
    if (b == t->n_batch && t->n_batch < RT_VAL_MAJ_BATCHES) t->batch[t->n_batch++] = batch;
    if (b < t->n_batch) {
        t->fuse[b][kind] += measured_fuses;
        t->total[b][kind]++;
    }
    t->kind_fuse[kind] += measured_fuses;
    t->kind_total[kind]++;
    t->all_fuse += measured_fuses;
    t->all_total++;
}

bool rt_val_majority_get(const rt_val_majority *t, int kind, int batch) {
    if (kind < 0 || kind >= CM_KIND_COUNT) return false;
    for (int b = 0; b < t->n_batch; b++)
        if (t->batch[b] == batch && t->total[b][kind] > 0) return 2 * t->fuse[b][kind] > t->total[b][kind];
    if (t->kind_total[kind] > 0) return 2 * t->kind_fuse[kind] > t->kind_total[kind];
    return 2 * t->all_fuse > t->all_total;
}

void rt_val_majority_of(rt_val_case *const *cases, int n, const bool *train, rt_val_slot slot,
                        rt_val_majority *t) {
    memset(t, 0, sizeof *t);
    for (int ci = 0; ci < n; ci++) {
        if (train && !train[ci]) continue;
        const rt_val_case *c = cases[ci];
        for (int i = 0; i < c->n_subj; i++) {
            rt_val_decision d;
            if (c->subj[i].len >= 2 && decide(c, &c->subj[i], slot, slot_margin(c, slot), &d))
                rt_val_majority_add(t, c->subj[i].u.kind, c->p.opt.batch, d.measured_fuses);
        }
    }
}

/* ---- pooling figures ---- */

void rt_val_acc_init(rt_val_acc *a) { memset(a, 0, sizeof *a); }

void rt_val_acc_free(rt_val_acc *a) {
    free(a->time);
    free(a->tau);
    free(a->regret);
    free(a->dec);
    memset(a, 0, sizeof *a);
}

/* Room for `more` entries of `size` bytes in *p (capacity *cap, used n). */
static bool grow(void **p, size_t *cap, size_t n, size_t more, size_t size) {
    if (n + more <= *cap) return true;
    size_t c = *cap ? *cap : 256;
    while (c < n + more) c *= 2;
    void *q = realloc(*p, c * size);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

/* Chain totals of case c under the slot: the model's segmentation (the
 * planner's DP with the margin, over the model's times of the chosen tiles),
 * the measured best segmentation and every layer alone, all measured. */
static void add_chains(rt_val_acc *a, const rt_val_case *c, rt_val_slot slot) {
    const double margin = slot_margin(c, slot);
    for (int ch = 0; ch < c->chains.n_chains; ch++) {
        const int len = c->chains.len[ch];
        double *model = malloc(sizeof *model * (size_t)len * CM_MAX_UNIT_LAYERS);
        double *meas = malloc(sizeof *meas * (size_t)len * CM_MAX_UNIT_LAYERS);
        int *seg = malloc(sizeof *seg * (size_t)len);
        if (!model || !meas || !seg) {
            free(model);
            free(meas);
            free(seg);
            a->oom = true;
            return;
        }
        double never = 0;
        for (int j = 0; j < len; j++)
            for (int n = 1; n <= CM_MAX_UNIT_LAYERS; n++) {
                const rt_val_subject *s = j + n <= len ? find_subject(c, ch, j, n) : NULL;
                const size_t at = (size_t)j * CM_MAX_UNIT_LAYERS + (size_t)(n - 1);
                model[at] = s ? subj_model(s, slot) * (n > 1 ? 1.0 + margin : 1.0) : NAN;
                meas[at] = s ? subj_meas(s, slot) : NAN;
                if (n == 1) never += s ? meas[at] : NAN;
            }
        const double best = rt_vm_chain_best(meas, len, CM_MAX_UNIT_LAYERS);
        const double planned = rt_vm_chain_plan(model, len, CM_MAX_UNIT_LAYERS, seg);
        double model_meas = 0;
        for (int j = 0; j < len && isfinite(planned); j++)
            if (seg[j]) model_meas += meas[(size_t)j * CM_MAX_UNIT_LAYERS + (size_t)(seg[j] - 1)];
        if (isfinite(planned) && isfinite(best) && isfinite(never)) {
            a->chains++;
            a->chains_agree += model_meas <= best * (1 + 1e-9);
            a->chains_model_us += model_meas;
            a->chains_best_us += best;
            a->chains_never_us += never;
        }
        free(model);
        free(meas);
        free(seg);
    }
}

void rt_val_acc_add(rt_val_acc *a, const rt_val_case *c, rt_val_slot slot, bool counters,
                    const rt_val_majority *majority) {
    size_t nk = 0;
    for (int i = 0; i < c->n_subj; i++) nk += (size_t)c->subj[i].n_cand;
    if (!grow((void **)&a->time, &a->cap_time, a->n_time, nk, sizeof(double))) {
        a->oom = true;
        return;
    }
    /* tau and regret grow together: one capacity, the smaller of the two */
    size_t cap_t = a->cap_unit, cap_r = a->cap_unit;
    const bool ok = grow((void **)&a->tau, &cap_t, a->n_unit, (size_t)c->n_subj, sizeof(double)) &&
                    grow((void **)&a->regret, &cap_r, a->n_unit, (size_t)c->n_subj, sizeof(double));
    a->cap_unit = cap_t < cap_r ? cap_t : cap_r;
    if (!ok || !grow((void **)&a->dec, &a->cap_dec, a->n_dec, (size_t)c->n_subj, sizeof(rt_val_dec_rec))) {
        a->oom = true;
        return;
    }
    const double margin = slot_margin(c, slot);
    for (int i = 0; i < c->n_subj; i++) {
        const rt_val_subject *s = &c->subj[i];
        a->tau[a->n_unit] = slot == RT_VAL_REFIT ? s->refit_tau : s->tau;
        a->regret[a->n_unit++] = slot == RT_VAL_REFIT ? s->refit_regret : s->regret;
        const double r = fabs(a->regret[a->n_unit - 1]);
        if (s->in_plan && isfinite(r)) {
            if (a->n_plan++ == 0 || r > a->regret_worst_plan) a->regret_worst_plan = r;
        }
        for (int k = 0; k < s->n_cand; k++) {
            const rt_val_cand *cd = &s->cand[k];
            a->time[a->n_time++] = fabs(rt_vm_rel_error(model_us(s, k, slot), cd->steady.median_us));
            if (counters) {
                const cm_estimate *e = slot == RT_VAL_REFIT ? &cd->refit_cold : &cd->est_cold;
                const double err = rt_vm_rel_error((double)(e->dram_read_bytes + e->dram_write_bytes),
                                                   rt_val_meas_dram_cold(cd));
                if (isfinite(err)) {
                    a->dram_n++;
                    a->dram_within += fabs(err) <= RT_VAL_DRAM_TOL;
                    if (c->p.opt.batch == 64) {
                        a->dram_b64_n++;
                        a->dram_b64_within += fabs(err) <= RT_VAL_DRAM_TOL;
                    }
                }
            }
        }
        rt_val_decision d;
        if (s->len >= 2 && decide(c, s, slot, margin, &d))
            a->dec[a->n_dec++] = (rt_val_dec_rec){
                s->u.kind, c->p.opt.batch, d.model_fuses, d.measured_fuses,
                majority ? (signed char)rt_val_majority_get(majority, s->u.kind, c->p.opt.batch) : -1};
    }
    add_chains(a, c, slot);
}

fk_status rt_val_acc_finish(const rt_val_acc *a, rt_val_figs *f, char *err, size_t err_len) {
    memset(f, 0, sizeof *f);
    if (a->oom) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory pooling the figures");
    f->kernels = a->n_time;
    f->time_median = rt_vm_median(a->time, a->n_time);
    f->time_worst = rt_vm_max_abs(a->time, a->n_time);
    f->units = a->n_unit;
    f->tau_median = rt_vm_median(a->tau, a->n_unit);
    f->regret_median = rt_vm_median(a->regret, a->n_unit);
    f->regret_worst = rt_vm_max_abs(a->regret, a->n_unit);
    for (size_t i = 0; i < a->n_unit; i++) f->regret_over_20 += a->regret[i] > 0.20;
    f->regret_worst_plan = a->n_plan ? a->regret_worst_plan : NAN;
    f->units_plan = a->n_plan;
    f->dram_within = a->dram_within;
    f->dram_n = a->dram_n;
    f->dram_b64_within = a->dram_b64_within;
    f->dram_b64_n = a->dram_b64_n;
    /* the in-pool majority: tallied from the pool's own measured outcomes */
    rt_val_majority pool;
    memset(&pool, 0, sizeof pool);
    for (size_t i = 0; i < a->n_dec; i++)
        if (a->dec[i].majority < 0) rt_val_majority_add(&pool, a->dec[i].kind, a->dec[i].batch, a->dec[i].measured);
    long yy = 0, yn = 0, ny = 0, nn = 0;
    for (size_t i = 0; i < a->n_dec; i++) {
        const rt_val_dec_rec *d = &a->dec[i];
        f->decisions++;
        f->agree += d->model == d->measured;
        f->model_fuses += d->model;
        f->measured_fuses += d->measured;
        f->fused_faster += d->model && d->measured;
        f->never_agree += !d->measured;
        f->always_agree += d->measured;
        const bool maj = d->majority >= 0 ? d->majority == 1 : rt_val_majority_get(&pool, d->kind, d->batch);
        f->majority_agree += maj == d->measured;
        if (d->majority >= 0) f->majority_from_training = true;
        yy += d->model && d->measured;
        yn += d->model && !d->measured;
        ny += !d->model && d->measured;
        nn += !d->model && !d->measured;
    }
    f->kappa = rt_vm_kappa(yy, yn, ny, nn);
    f->chains = a->chains;
    f->chains_agree = a->chains_agree;
    f->chains_model_us = a->chains_model_us;
    f->chains_best_us = a->chains_best_us;
    f->chains_never_us = a->chains_never_us;
    return FK_OK;
}

double rt_val_best_trivial(const rt_val_figs *f) {
    if (f->decisions <= 0) return NAN;
    int best = f->never_agree;
    if (f->always_agree > best) best = f->always_agree;
    if (f->majority_agree > best) best = f->majority_agree;
    return (double)best / f->decisions;
}

/* ---- the summary ---- */

/* The figures of the cases under one slot, majority from the pool. */
static fk_status figs_of(rt_val_case *const *cases, int n, rt_val_slot slot, bool counters, rt_val_figs *f,
                         char *err, size_t err_len) {
    rt_val_acc a;
    rt_val_acc_init(&a);
    for (int i = 0; i < n; i++) rt_val_acc_add(&a, cases[i], slot, counters, NULL);
    fk_status st = rt_val_acc_finish(&a, f, err, err_len);
    rt_val_acc_free(&a);
    return st;
}

fk_status rt_val_summarize(rt_val_case *const *cases, int n, bool counters, bool refit,
                           rt_val_summary *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    size_t nk = 1;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < cases[i]->n_subj; s++) nk += (size_t)cases[i]->subj[s].n_cand;
    double *traffic = calloc(nk, sizeof *traffic), *dram = calloc(nk, sizeof *dram);
    double *group = calloc(nk, sizeof *group);
    unsigned char *gkey = calloc(nk, 1); /* kernel k's (kind, math) group */
    if (!traffic || !dram || !group || !gkey) {
        free(traffic);
        free(dram);
        free(group);
        free(gkey);
        return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    }
    size_t k = 0;
    for (int ci = 0; ci < n; ci++)
        for (int i = 0; i < cases[ci]->n_subj; i++) {
            const rt_val_subject *s = &cases[ci]->subj[i];
            for (int j = 0; j < s->n_cand; j++, k++) {
                const rt_val_cand *cd = &s->cand[j];
                traffic[k] = counters ? rt_vm_rel_error(rt_val_est_traffic(cd), rt_val_meas_traffic(cd)) : NAN;
                gkey[k] = s->u.kind >= 0 && s->u.kind < CM_KIND_COUNT
                              ? (unsigned char)(s->u.kind * CM_MATH_COUNT +
                                                cm_kind_math((cm_kind)s->u.kind, cases[ci]->p.opt.math))
                              : UCHAR_MAX; /* no kernel kind: in no group */
                dram[k] = counters ? rt_vm_rel_error(rt_val_est_dram_cold(cd), rt_val_meas_dram_cold(cd)) : NAN;
                if (counters && cases[ci]->p.opt.batch == 64 && isfinite(dram[k])) {
                    out->dram_b64_n++;
                    out->dram_b64_within += fabs(dram[k]) <= RT_VAL_DRAM_TOL;
                }
            }
        }
    out->kernels = (int)k;
    out->traffic_within = rt_vm_count_within(traffic, k, RT_VAL_TRAFFIC_TOL, &out->traffic_n);
    out->dram_within = rt_vm_count_within(dram, k, RT_VAL_DRAM_TOL, &out->dram_n);
    for (int kind = 0; kind < CM_KIND_COUNT; kind++)
        for (int m = 0; m < CM_MATH_COUNT; m++) {
            size_t gn = 0;
            for (size_t i = 0; i < k; i++)
                if (gkey[i] == kind * CM_MATH_COUNT + m) group[gn++] = traffic[i];
            out->traffic_kind_within[kind][m] =
                rt_vm_count_within(group, gn, RT_VAL_TRAFFIC_TOL, &out->traffic_kind_n[kind][m]);
            out->traffic_kind_median[kind][m] = rt_vm_median(group, gn);
        }
    free(group);
    free(gkey);
    out->traffic_median = NAN;
    for (size_t i = 0; i < k; i++) {
        traffic[i] = fabs(traffic[i]);
        dram[i] = fabs(dram[i]);
    }
    out->traffic_median = rt_vm_median(traffic, k);
    out->traffic_worst = rt_vm_max_abs(traffic, k);
    out->dram_median = rt_vm_median(dram, k);
    out->dram_worst = rt_vm_max_abs(dram, k);
    free(traffic);
    free(dram);
    fk_status st = figs_of(cases, n, RT_VAL_EST, counters, &out->given, err, err_len);
    if (st == FK_OK && refit) st = figs_of(cases, n, RT_VAL_REFIT, counters, &out->refit, err, err_len);
    return st;
}

/* ---- calibration ---- */

/* L2 budget fractions tried by the calibration (cm_gpu.l2_budget_fraction):
 * 0.30 to 0.90 in steps of 0.05. */
#define BUDGET_STEPS 13
#define BUDGET_FIRST 0.30
#define BUDGET_STEP 0.05
/* Fusion margins tried by the calibration: 0 to 0.30 in steps of 0.01. */
#define MARGIN_STEPS 30
#define MARGIN_STEP 0.01

static bool in_train(const bool *train, int i) { return !train || train[i]; }

/* Cold DRAM bytes of every training candidate re-estimated on g, into
 * refit_cold; their absolute errors into abs_err. */
static size_t estimate_cold_dram(rt_val_case *const *cases, int n_cases, const bool *train, const cm_gpu *g,
                                 double *abs_err, size_t *n_err) {
    size_t within = 0;
    *n_err = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        if (!in_train(train, ci)) continue;
        for (int i = 0; i < cases[ci]->n_subj; i++) {
            rt_val_subject *s = &cases[ci]->subj[i];
            const cm_unit cold = cold_unit(&s->u.cu);
            for (int c = 0; c < s->n_cand; c++) {
                rt_val_cand *cd = &s->cand[c];
                cm_estimate_unit(&cold, &cd->tile, g, &cd->refit_cold);
                const double e = rt_vm_rel_error(
                    (double)(cd->refit_cold.dram_read_bytes + cd->refit_cold.dram_write_bytes),
                    rt_val_meas_dram_cold(cd));
                if (!isfinite(e)) continue;
                abs_err[(*n_err)++] = fabs(e);
                within += fabs(e) <= RT_VAL_DRAM_TOL;
            }
        }
    }
    return within;
}

/* The L2 budget fraction under which the most training kernels' cold DRAM
 * bytes are within RT_VAL_DRAM_TOL (ties: the smaller median error, then
 * the smaller mean). */
static fk_status fit_l2_budget(rt_val_case *const *cases, int n_cases, const bool *train, size_t n, cm_gpu *g,
                               char *err, size_t err_len) {
    double *abs_err = calloc(n ? n : 1, sizeof *abs_err);
    if (!abs_err) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    double best_f = 0, best_med = INFINITY, best_mean = INFINITY;
    size_t best_within = 0, m = 0;
    for (int i = 0; i < BUDGET_STEPS; i++) {
        /* in hundredths, so that the grid's 0.75 is the default 0.75 exactly */
        g->l2_budget_fraction = round(100 * (BUDGET_FIRST + BUDGET_STEP * i)) / 100;
        size_t within = estimate_cold_dram(cases, n_cases, train, g, abs_err, &m);
        double med = rt_vm_median(abs_err, m), mean = 0;
        for (size_t k = 0; k < m; k++) mean += abs_err[k] / (double)m;
        /* ties: the smaller median error, then the smaller mean (where most
         * kernels' DRAM bytes do not move with the budget, the medians of
         * neighbouring budgets tie) */
        if (within > best_within || (within == best_within && (med < best_med || (med == best_med && mean < best_mean)))) {
            best_within = within;
            best_med = med;
            best_mean = mean;
            best_f = g->l2_budget_fraction;
        }
    }
    g->l2_budget_fraction = best_f;
    free(abs_err);
    return FK_OK;
}

/* The sample of one candidate: its time parts at efficiency 1 on g (the
 * spec with the fitted L2 budget: the DRAM time moves with it), and its
 * measured steady time. false when the model rejects the tile. */
static bool sample_of(const rt_val_subject *s, const rt_val_cand *cd, const cm_gpu *g, cm_cal_sample *p) {
    cm_estimate e;
    if (cm_estimate_unit(&s->u.cu, &cd->tile, g, &e) != CM_OK) return false;
    const cm_kind kind = (cm_kind)s->u.kind;
    /* the efficiency group the cost model reads for this unit (cm_gpu) */
    const cm_math math = cm_eff_math(kind, s->u.cu.math);
    p->kind = kind;
    p->math = math;
    /* undo the efficiencies the spec used: the parts at efficiency 1 */
    p->t_dram_1_us = e.t_dram_us * g->bw_efficiency[kind][math];
    p->t_l2_1_us = e.t_l2_us * g->bw_efficiency[kind][math];
    p->t_compute_1_us = e.t_compute_us * g->compute_efficiency[kind][math];
    p->quant = e.wave_efficiency * e.warp_efficiency;
    /* the serial chain scales with no efficiency: the fit predicts with it
     * as the planner does (cm_time_serial_us) */
    p->t_serial_us = e.t_serial_us;
    p->measured_us = cd->steady.median_us;
    return true;
}

/* The fusion margin: the smallest with the most training decisions agreeing
 * (the fit applied). */
static double fit_margin(rt_val_case *const *cases, int n_cases, const bool *train) {
    int best_agree = -1;
    double margin = 0;
    for (int m = 0; m <= MARGIN_STEPS; m++) {
        int agree = 0;
        for (int ci = 0; ci < n_cases; ci++)
            if (in_train(train, ci)) agree += agreeing(cases[ci], RT_VAL_REFIT, MARGIN_STEP * m);
        if (agree > best_agree) {
            best_agree = agree;
            margin = MARGIN_STEP * m;
        }
    }
    return margin;
}

/* The spec of the cases with the fitted budget (0: the spec's). */
static cm_gpu fitted_gpu(const rt_val_case *c, double budget) {
    cm_gpu g = c->g.gpu;
    if (budget > 0) g.l2_budget_fraction = budget;
    return g;
}

void rt_val_apply(rt_val_case *c, const rt_val_params *p) {
    const cm_gpu g = fitted_gpu(c, p->budget);
    for (int i = 0; i < c->n_subj; i++) {
        rt_val_subject *s = &c->subj[i];
        const cm_unit cold = cold_unit(&s->u.cu);
        for (int k = 0; k < s->n_cand; k++) {
            rt_val_cand *cd = &s->cand[k];
            cm_cal_sample smp;
            const bool ok = sample_of(s, cd, &g, &smp);
            cd->refit_us = ok ? cm_cal_predict(&p->fit, &smp) : NAN;
            cd->refit_throughput_us = ok ? cm_cal_predict_throughput(&p->fit, &smp) : NAN;
            cd->refit_sm_side_us = ok ? cm_cal_predict_sm_side(&p->fit, &smp) : NAN;
            if (cm_estimate_unit(&cold, &cd->tile, &g, &cd->refit_cold) != CM_OK)
                memset(&cd->refit_cold, 0, sizeof cd->refit_cold);
        }
        rank_subject(s, RT_VAL_REFIT);
    }
    c->refit_margin = p->margin;
}

fk_status rt_val_fit(rt_val_case *const *cases, int n_cases, const bool *train, bool counters, bool uniform,
                     rt_val_params *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    out->uniform = uniform;
    size_t n = 0;
    int first = -1;
    for (int ci = 0; ci < n_cases; ci++) {
        if (!in_train(train, ci)) continue;
        if (first < 0) first = ci;
        for (int i = 0; i < cases[ci]->n_subj; i++) n += (size_t)cases[ci]->subj[i].n_cand;
    }
    if (first < 0 || n == 0) return fk_fail(FK_ERR_INVALID, err, err_len, "calibrating: no measured kernel to fit");
    cm_cal_sample *smp = calloc(n, sizeof *smp);
    if (!smp) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    cm_gpu gb = cases[first]->g.gpu;
    /* the baseline keeps the spec's budget: two constants, nothing else */
    if (counters && !uniform) {
        fk_status st = fit_l2_budget(cases, n_cases, train, n, &gb, err, err_len);
        if (st != FK_OK) {
            free(smp);
            return st;
        }
        out->budget = gb.l2_budget_fraction;
    }
    size_t k = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        if (!in_train(train, ci)) continue;
        for (int i = 0; i < cases[ci]->n_subj; i++) {
            const rt_val_subject *s = &cases[ci]->subj[i];
            /* a failed measurement (no time) or a tile the model rejects is no sample */
            for (int c = 0; c < s->n_cand; c++)
                if (s->cand[c].steady.median_us > 0 && sample_of(s, &s->cand[c], &gb, &smp[k])) k++;
        }
    }
    cm_cal_status cs = uniform ? cm_calibrate_uniform(smp, k, &out->fit, err, err_len)
                               : cm_calibrate(smp, k, &gb, &out->fit, err, err_len);
    free(smp);
    if (cs != CM_CAL_OK) return cs == CM_CAL_ERR_NOMEM ? FK_ERR_NOMEM : FK_ERR_INVALID;
    for (int ci = 0; ci < n_cases; ci++)
        if (in_train(train, ci)) rt_val_apply(cases[ci], out);
    out->margin = fit_margin(cases, n_cases, train);
    for (int ci = 0; ci < n_cases; ci++)
        if (in_train(train, ci)) cases[ci]->refit_margin = out->margin;
    return FK_OK;
}

fk_status rt_val_calibrate(rt_val_case *const *cases, int n_cases, bool counters, cm_cal_fit *fit,
                           double *budget, double *margin, char *err, size_t err_len) {
    rt_val_params p;
    fk_status st = rt_val_fit(cases, n_cases, NULL, counters, false, &p, err, err_len);
    if (st != FK_OK) return st;
    *fit = p.fit;
    *budget = p.budget;
    *margin = p.margin;
    return FK_OK;
}
