/* rt_validate.c - the validation engine of `fuseplan validate` (see
 * rt_validate.h and docs/validation.md). */
#include "rt_validate.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "fk_error.h"
#include "rt_buffers.h"
#include "rt_exec.h"
#include "rt_stats.h"

static void rank_subject(rt_val_subject *s, bool refit);


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
 * was flushed), whatever the planner's residency hints say. */
static cm_unit cold_unit(const cm_unit *u) {
    cm_unit cold = *u;
    cold.input_hot = cold.residual_hot = false;
    return cold;
}

static void fill_candidate(const rt_val_subject *s, const fp_gpu_spec *g, const cm_tile *t, rt_val_cand *c) {
    memset(c, 0, sizeof *c);
    c->tile = *t;
    const cm_variant *v = cm_variant_of(&s->u.cu, t);
    c->variant = v ? v->name : "?";
    cm_estimate_unit(&s->u.cu, t, &g->gpu, &c->est);
    const cm_unit cold = cold_unit(&s->u.cu);
    cm_estimate_unit(&cold, t, &g->gpu, &c->est_cold);
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

/* Every segment of every chain (1 to 3 layers, fusable, allowed by the
 * plan's options), with the chain's absorbable add at its end. */
static fk_status build_subjects(rt_val_case *c, int k, char *err, size_t err_len) {
    int cap = 0;
    for (int i = 0; i < c->chains.n_chains; i++) cap += 3 * c->chains.len[i];
    c->subj = calloc((size_t)cap + 1, sizeof *c->subj);
    if (!c->subj) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    fp_plan_options o = c->p.opt;
    memset(o.tile_forced, 0, sizeof o.tile_forced);
    uint64_t rng = 20261122;
    for (int ch = 0; ch < c->chains.n_chains; ch++) {
        const int *L = c->chains.layers + c->chains.start[ch];
        int len = c->chains.len[ch];
        int add = fp_absorbable_add(&c->m, L[len - 1]);
        for (int j = 0; j < len; j++)
            for (int n = 1; n <= CM_MAX_UNIT_LAYERS && j + n <= len; n++) {
                rt_val_subject *s = &c->subj[c->n_subj];
                char why[256];
                cm_kind kind;
                if (n > 1 && (!fp_chain_fusable(&c->m, L + j, n, &kind, why, sizeof why) ||
                              !(o.allowed & (1u << kind))))
                    continue;
                int res = j + n == len ? add : -1;
                if (!fp_unit_eval(&c->m, &c->g, &o, L + j, n, res, &s->u, why, sizeof why) &&
                    (res < 0 || !fp_unit_eval(&c->m, &c->g, &o, L + j, n, -1, &s->u, why, sizeof why)))
                    continue; /* no feasible tile: nothing to measure */
                s->chain = ch;
                s->start = j;
                s->len = n;
                const fp_unit *pu = plan_unit(&c->p, &s->u);
                s->in_plan = pu != NULL;
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

/* ---- measuring ---- */

#ifdef FUSEPLAN_HAVE_CUPTI
static fk_status job_flush(void *arg, cudaStream_t s, char *err, size_t err_len) {
    return rt_ctr_flush_l2((rt_ctr_session *)arg, s, err, err_len);
}
#endif

/* Kernels per CUPTI session (each measured twice: steady and cold). The
 * session's fixed cost (enable, configure, 7 replay passes of start/stop,
 * decode) dominated at 1 kernel per session: 0.14 s per kernel on the H200
 * (MobileNetV2 b1, 204 kernels in 28 s with 2 per session). */
#define COUNTER_BATCH 100

/* Counters of n kernels (at most COUNTER_BATCH) into their candidates. */
static fk_status profile_jobs(rt_ctr_session *ctr, rt_unit_job *jobs, rt_val_cand **owner, int n,
                              cudaStream_t s, char *err, size_t err_len) {
#ifdef FUSEPLAN_HAVE_CUPTI
    if (n == 0) return FK_OK;
    rt_ctr_item items[2 * COUNTER_BATCH] = {{0}};
    rt_ctr_values vals[2 * COUNTER_BATCH];
    if (n > COUNTER_BATCH) return fk_fail(FK_ERR_INVALID, err, err_len, "internal: batch of %d", n);
    for (int k = 0; k < n; k++) {
        items[k] = (rt_ctr_item){rt_job_unit, &jobs[k], rt_job_unit, &jobs[k]};
        items[n + k] = (rt_ctr_item){job_flush, ctr, rt_job_unit, &jobs[k]};
    }
    fk_status st = rt_ctr_measure_batch(ctr, items, 2 * n, s, vals, err, err_len);
    for (int k = 0; k < n && st == FK_OK; k++) {
        owner[k]->warm = vals[k];
        owner[k]->cold = vals[n + k];
    }
    return st;
#else
    (void)ctr, (void)jobs, (void)owner, (void)n, (void)s, (void)err, (void)err_len;
    return FK_OK;
#endif
}

/* Repetitions of the cold timing (each after an L2 flush). */
#define COLD_REPS 5

/* Cold time: median of COLD_REPS runs, each right after an L2 flush (outside
 * the timed events). Without CUPTI (no flush kernel) it stays 0. */
static fk_status time_cold(rt_unit_job *j, rt_ctr_session *ctr, cudaStream_t s, double *us,
                           char *err, size_t err_len) {
    *us = 0;
#ifdef FUSEPLAN_HAVE_CUPTI
    if (!ctr) return FK_OK;
    rt_time_stats t;
    fk_status st = rt_time_job_after(job_flush, ctr, rt_job_unit, j, 0, COLD_REPS, s, &t, err, err_len);
    if (st == FK_OK) *us = t.median_us;
    return st;
#else
    (void)j, (void)ctr, (void)s, (void)err, (void)err_len;
    return FK_OK;
#endif
}

fk_status rt_val_measure_case(rt_val_case *c, int iters, rt_ctr_session *ctr,
                              rt_val_progress_fn progress, void *ctx, char *err, size_t err_len) {
    rt_buffers B;
    memset(&B, 0, sizeof B);
    cudaStream_t s = NULL;
    fk_status st = rt_buffers_create(&c->m, c->p.opt.batch, c->p.opt.dtype, 20261121, &B, err,
                                        err_len);
    if (st != FK_OK) return st;
    cudaError_t ce = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    if (ce != cudaSuccess) {
        rt_buffers_destroy(&B);
        return fk_cuda_fail(ce, "cudaStreamCreateWithFlags", __FILE__, __LINE__, err, err_len);
    }
    int total = 0, done = 0;
    for (int i = 0; i < c->n_subj; i++) total += c->subj[i].n_cand;
    time_t t0 = time(NULL);
    /* every candidate's launch description lives until its counters are read */
    rt_unit_job *jobs = calloc((size_t)total + 1, sizeof *jobs);
    fp_unit *units = calloc((size_t)total + 1, sizeof *units);
    rt_val_cand **owner = calloc((size_t)total + 1, sizeof *owner);
    if (!jobs || !units || !owner) st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    int n_jobs = 0, profiled = 0;
    for (int i = 0; i < c->n_subj && st == FK_OK; i++) {
        rt_val_subject *sj = &c->subj[i];
        for (int k = 0; k < sj->n_cand && st == FK_OK; k++) {
            rt_val_cand *cd = &sj->cand[k];
            fp_unit *u = &units[n_jobs];
            *u = sj->u;
            u->tile = cd->tile;
            u->grid = cm_unit_grid(&u->cu, &u->tile);
            u->variant = cd->variant;
            u->est = cd->est;
            jobs[n_jobs] = (rt_unit_job){&c->m, u, &B, NULL};
            owner[n_jobs] = cd;
            st = rt_time_job(rt_job_unit, &jobs[n_jobs], 3, iters, s, &cd->steady, err, err_len);
            if (st == FK_OK) st = time_cold(&jobs[n_jobs], ctr, s, &cd->cold_us, err, err_len);
            if (st != FK_OK)
                snprintf(err + strlen(err), err_len - strlen(err), " (timing %s %s)",
                         c->m.layers[sj->u.layers[0]].name, cd->variant);
            n_jobs++;
            done++;
            if (progress) progress(ctx, done, total);
        }
        /* counters in sessions of up to COUNTER_BATCH kernels, each steady
         * (after one unprofiled run) and cold (after an L2 flush) */
        bool last = i == c->n_subj - 1;
        if (st == FK_OK && ctr && (n_jobs - profiled > COUNTER_BATCH - RT_VAL_MAX_TILES - 1 || last)) {
            st = profile_jobs(ctr, jobs + profiled, owner + profiled, n_jobs - profiled, s, err,
                              err_len);
            profiled = n_jobs;
        }
    }
    free(jobs);
    free(units);
    free(owner);
    c->seconds = difftime(time(NULL), t0);
    cudaStreamDestroy(s);
    rt_buffers_destroy(&B);
    for (int i = 0; i < c->n_subj && st == FK_OK; i++) rank_subject(&c->subj[i], false);
    return st;
}

/* ---- analysis ---- */

double rt_val_est_traffic(const rt_val_cand *c) {
    return (double)(c->est.traffic.load_bytes + c->est.traffic.store_bytes);
}
double rt_val_meas_traffic(const rt_val_cand *c) { return c->warm.l2_read_bytes + c->warm.l2_write_bytes; }
double rt_val_est_dram_cold(const rt_val_cand *c) {
    return (double)(c->est_cold.dram_read_bytes + c->est_cold.dram_write_bytes);
}
double rt_val_meas_dram_cold(const rt_val_cand *c) { return c->cold.dram_read_bytes + c->cold.dram_write_bytes; }

/* Model time of candidate k: the estimate, or the refit's prediction. */
static double model_us(const rt_val_subject *s, int k, bool refit) {
    return refit ? s->cand[k].refit_us : s->cand[k].est.time_us;
}

static void rank_subject(rt_val_subject *s, bool refit) {
    double est[RT_VAL_MAX_TILES + 1], meas[RT_VAL_MAX_TILES + 1];
    int choice = 0;
    for (int k = 0; k < s->n_cand; k++) {
        est[k] = model_us(s, k, refit);
        meas[k] = s->cand[k].steady.median_us;
        if (est[k] < est[choice]) choice = k;
    }
    double tau = rt_vm_kendall_tau_b(est, meas, (size_t)s->n_cand);
    double regret = rt_vm_regret(meas, (size_t)s->n_cand, (size_t)choice);
    if (refit) {
        s->refit_choice = choice;
        s->refit_tau = tau;
        s->refit_regret = regret;
    } else {
        s->choice = choice;
        s->tau = tau;
        s->regret = regret;
    }
}

/* The subject for segment [start, start+len) of chain ch, or NULL. */
static const rt_val_subject *find_subject(const rt_val_case *c, int ch, int start, int len) {
    for (int i = 0; i < c->n_subj; i++)
        if (c->subj[i].chain == ch && c->subj[i].start == start && c->subj[i].len == len)
            return &c->subj[i];
    return NULL;
}

static double subj_model(const rt_val_subject *s, bool refit) {
    return model_us(s, refit ? s->refit_choice : s->choice, refit);
}
static double subj_meas(const rt_val_subject *s, bool refit) {
    return s->cand[refit ? s->refit_choice : s->choice].steady.median_us;
}

/* The fusion decision of fused segment s: "fused beats its layers run one by
 * one" by the model (each with the model's tile; the fused estimate must win
 * by more than `margin`, as the planner requires) and by measurement. False
 * when a layer has no single-layer subject. */
static bool decide(const rt_val_case *c, const rt_val_subject *s, bool refit, double margin,
                   rt_val_decision *d) {
    memset(d, 0, sizeof *d);
    d->subject = (int)(s - c->subj);
    for (int l = 0; l < s->len; l++) {
        const rt_val_subject *one = find_subject(c, s->chain, s->start + l, 1);
        if (!one) return false;
        d->est_layers_us += subj_model(one, refit);
        d->meas_layers_us += subj_meas(one, refit);
    }
    d->est_fused_us = subj_model(s, refit);
    d->meas_fused_us = subj_meas(s, refit);
    d->model_fuses = d->est_fused_us * (1.0 + margin) < d->est_layers_us;
    d->measured_fuses = d->meas_fused_us < d->meas_layers_us;
    return true;
}

/* Fusion decisions over every fused segment (decide); *faster counts the
 * segments the model fuses that measure faster. */
static void fusion_agreement(const rt_val_case *c, bool refit, double margin, int *agree, int *total,
                             int *fused, int *faster) {
    *agree = *total = *fused = *faster = 0;
    for (int i = 0; i < c->n_subj; i++) {
        rt_val_decision d;
        if (c->subj[i].len < 2 || !decide(c, &c->subj[i], refit, margin, &d)) continue;
        (*total)++;
        *agree += d.model_fuses == d.measured_fuses;
        *fused += d.model_fuses;
        *faster += d.model_fuses && d.measured_fuses;
    }
}

int rt_val_decisions(const rt_val_case *c, double margin, rt_val_decision *out, int max) {
    int n = 0;
    for (int i = 0; i < c->n_subj && n < max; i++)
        if (c->subj[i].len >= 2 && decide(c, &c->subj[i], false, margin, &out[n])) n++;
    return n;
}

/* Whole chains: the measured-best segmentation (DP over the measured times
 * of the model's tiles) against the plan's. */
static void chain_segmentation(const rt_val_case *c, rt_val_summary *sum) {
    for (int ch = 0; ch < c->chains.n_chains; ch++) {
        int len = c->chains.len[ch];
        const int *L = c->chains.layers + c->chains.start[ch];
        double *seg = malloc(sizeof *seg * (size_t)len * CM_MAX_UNIT_LAYERS);
        if (!seg) return;
        for (int j = 0; j < len; j++)
            for (int n = 1; n <= CM_MAX_UNIT_LAYERS; n++) {
                const rt_val_subject *s = j + n <= len ? find_subject(c, ch, j, n) : NULL;
                seg[j * CM_MAX_UNIT_LAYERS + n - 1] = s ? subj_meas(s, false) : NAN;
            }
        const double best = rt_vm_chain_best(seg, len, CM_MAX_UNIT_LAYERS);
        free(seg);
        /* the plan's segmentation of this chain, measured */
        double plan_us = 0;
        bool plan_ok = true;
        for (int j = 0; j < len && plan_ok;) {
            int li = L[j], n = 0;
            for (int i = 0; i < c->p.n_units && !n; i++)
                if (c->p.units[i].kind != FP_UNIT_OTHER && c->p.units[i].layers[0] == li)
                    n = c->p.units[i].n_layers;
            const rt_val_subject *s = n ? find_subject(c, ch, j, n) : NULL;
            if (!s) {
                plan_ok = false;
                break;
            }
            plan_us += subj_meas(s, false);
            j += n;
        }
        if (plan_ok && isfinite(best)) {
            sum->segs_total++;
            sum->segs_agree += plan_us <= best * (1 + 1e-9);
            sum->plan_measured_us += plan_us;
            sum->best_measured_us += best;
        }
    }
}

typedef struct val_lists {
    double *traffic, *dram, *time, *tau, *regret, *rtime, *rtau, *rregret;
    size_t n_k, n_s;
} val_lists;

static void summarize_into(rt_val_case *const *cases, int n_cases, bool counters, bool refit,
                      double refit_margin, rt_val_summary *out, val_lists *l) {
    memset(out, 0, sizeof *out);
    l->n_k = l->n_s = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        const rt_val_case *c = cases[ci];
        for (int i = 0; i < c->n_subj; i++) {
            const rt_val_subject *s = &c->subj[i];
            l->tau[l->n_s] = s->tau;
            l->regret[l->n_s] = s->regret;
            l->rtau[l->n_s] = refit ? s->refit_tau : NAN;
            l->rregret[l->n_s] = refit ? s->refit_regret : NAN;
            l->n_s++;
            for (int k = 0; k < s->n_cand; k++) {
                const rt_val_cand *cd = &s->cand[k];
                l->traffic[l->n_k] = counters ? rt_vm_rel_error(rt_val_est_traffic(cd), rt_val_meas_traffic(cd)) : NAN;
                l->dram[l->n_k] =
                    counters ? rt_vm_rel_error(rt_val_est_dram_cold(cd), rt_val_meas_dram_cold(cd)) : NAN;
                l->time[l->n_k] = rt_vm_rel_error(cd->est.time_us, cd->steady.median_us);
                l->rtime[l->n_k] = refit ? rt_vm_rel_error(cd->refit_us, cd->steady.median_us) : NAN;
                if (refit && counters &&
                    fabs(rt_vm_rel_error((double)(cd->refit_cold.dram_read_bytes +
                                                  cd->refit_cold.dram_write_bytes),
                                         rt_val_meas_dram_cold(cd))) <= RT_VAL_DRAM_TOL)
                    out->refit_dram_within++;
                l->n_k++;
            }
        }
        int a, t, f, ff;
        fusion_agreement(c, false, c->g.fusion_margin, &a, &t, &f, &ff);
        out->chains_agree += a;
        out->chains_total += t;
        out->fused += f;
        out->fused_faster += ff;
        if (refit) {
            fusion_agreement(c, true, refit_margin, &a, &t, &f, &ff);
            out->refit_chains_agree += a;
            out->refit_fused += f;
            out->refit_fused_faster += ff;
        }
        chain_segmentation(c, out);
    }
    out->kernels = (int)l->n_k;
    out->traffic_within = rt_vm_count_within(l->traffic, l->n_k, RT_VAL_TRAFFIC_TOL, &out->traffic_n);
    out->dram_within = rt_vm_count_within(l->dram, l->n_k, RT_VAL_DRAM_TOL, &out->dram_n);
    for (size_t i = 0; i < l->n_k; i++) {
        l->traffic[i] = fabs(l->traffic[i]);
        l->dram[i] = fabs(l->dram[i]);
        l->time[i] = fabs(l->time[i]);
        l->rtime[i] = fabs(l->rtime[i]);
    }
    out->traffic_median = rt_vm_median(l->traffic, l->n_k);
    out->traffic_worst = rt_vm_max_abs(l->traffic, l->n_k);
    out->dram_median = rt_vm_median(l->dram, l->n_k);
    out->dram_worst = rt_vm_max_abs(l->dram, l->n_k);
    out->time_median = rt_vm_median(l->time, l->n_k);
    out->time_worst = rt_vm_max_abs(l->time, l->n_k);
    out->tau_median = rt_vm_median(l->tau, l->n_s);
    out->regret_median = rt_vm_median(l->regret, l->n_s);
    out->regret_worst = rt_vm_max_abs(l->regret, l->n_s);
    out->refit_time_median = rt_vm_median(l->rtime, l->n_k);
    out->refit_time_worst = rt_vm_max_abs(l->rtime, l->n_k);
    out->refit_tau_median = rt_vm_median(l->rtau, l->n_s);
    out->refit_regret_median = rt_vm_median(l->rregret, l->n_s);
    out->refit_regret_worst = rt_vm_max_abs(l->rregret, l->n_s);
}

fk_status rt_val_summarize(rt_val_case *const *cases, int n, bool counters, bool refit,
                           double refit_margin, rt_val_summary *out, char *err, size_t err_len) {
    size_t nk = 1, ns = 1;
    for (int i = 0; i < n; i++) {
        ns += (size_t)cases[i]->n_subj;
        for (int s = 0; s < cases[i]->n_subj; s++) nk += (size_t)cases[i]->subj[s].n_cand;
    }
    val_lists l;
    double *k_lists = calloc(4 * nk, sizeof(double)), *s_lists = calloc(4 * ns, sizeof(double));
    if (!k_lists || !s_lists) {
        free(k_lists);
        free(s_lists);
        return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    }
    l.traffic = k_lists;
    l.dram = k_lists + nk;
    l.time = k_lists + 2 * nk;
    l.rtime = k_lists + 3 * nk;
    l.tau = s_lists;
    l.regret = s_lists + ns;
    l.rtau = s_lists + 2 * ns;
    l.rregret = s_lists + 3 * ns;
    summarize_into(cases, n, counters, refit, refit_margin, out, &l);
    free(k_lists);
    free(s_lists);
    return FK_OK;
}

/* ---- calibration ---- */

/* L2 budget fractions tried by the calibration (cm_gpu.l2_budget_fraction):
 * 0.30 to 0.90 in steps of 0.05. */
#define BUDGET_STEPS 13
#define BUDGET_FIRST 0.30
#define BUDGET_STEP 0.05

/* Cold DRAM bytes of every candidate re-estimated on g, into refit_cold. */
static size_t estimate_cold_dram(rt_val_case *const *cases, int n_cases, const cm_gpu *g, double *abs_err,
                                 size_t *n_err) {
    size_t within = 0;
    *n_err = 0;
    for (int ci = 0; ci < n_cases; ci++)
        for (int i = 0; i < cases[ci]->n_subj; i++) {
            rt_val_subject *s = &cases[ci]->subj[i];
            const cm_unit cold = cold_unit(&s->u.cu);
            for (int c = 0; c < s->n_cand; c++) {
                rt_val_cand *cd = &s->cand[c];
                cm_estimate_unit(&cold, &cd->tile, g, &cd->refit_cold);
                const double e = rt_vm_rel_error(
                    (double)(cd->refit_cold.dram_read_bytes + cd->refit_cold.dram_write_bytes),
                    rt_val_meas_dram_cold(cd));
                abs_err[(*n_err)++] = fabs(e);
                within += fabs(e) <= RT_VAL_DRAM_TOL;
            }
        }
    return within;
}

/* The L2 budget fraction under which the most kernels' cold DRAM bytes are
 * within RT_VAL_DRAM_TOL (ties: the smaller median error); leaves refit_cold at it. */
static fk_status fit_l2_budget(rt_val_case *const *cases, int n_cases, size_t n, cm_gpu *g, char *err,
                               size_t err_len) {
    double *abs_err = calloc(n ? n : 1, sizeof *abs_err);
    if (!abs_err) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    double best_f = 0, best_med = INFINITY;
    size_t best_within = 0, m = 0;
    for (int i = 0; i < BUDGET_STEPS; i++) {
        g->l2_budget_fraction = BUDGET_FIRST + BUDGET_STEP * i;
        size_t within = estimate_cold_dram(cases, n_cases, g, abs_err, &m);
        double med = rt_vm_median(abs_err, m);
        if (within > best_within || (within == best_within && med < best_med)) {
            best_within = within;
            best_med = med;
            best_f = g->l2_budget_fraction;
        }
    }
    g->l2_budget_fraction = best_f;
    estimate_cold_dram(cases, n_cases, g, abs_err, &m);
    free(abs_err);
    return FK_OK;
}

/* Fits the L2 budget (with counters), then the time model's constants, then
 * the fusion margin; *budget receives the fitted fraction (0 without
 * counters: not fitted), *margin the margin. */
/* Fusion margins tried by the calibration: 0 to 0.30 in steps of 0.01. */
#define MARGIN_STEPS 30
#define MARGIN_STEP 0.01

/* The samples of the fit: every candidate's time parts at efficiency 1, at
 * the (fitted) L2 budget of g, with its measured steady time. */
static void fill_samples(rt_val_case *const *cases, int n_cases, const cm_gpu *g, cm_cal_sample *smp) {
    size_t k = 0;
    for (int ci = 0; ci < n_cases; ci++)
        for (int i = 0; i < cases[ci]->n_subj; i++) {
            const rt_val_subject *s = &cases[ci]->subj[i];
            for (int c = 0; c < s->n_cand; c++) {
                /* the time parts at the fitted budget (the DRAM time moves with it) */
                cm_estimate e;
                cm_estimate_unit(&s->u.cu, &s->cand[c].tile, g, &e);
                cm_kind kind = (cm_kind)s->u.kind;
                cm_cal_sample *p = &smp[k++];
                p->kind = kind;
                /* undo the efficiencies the spec used: the parts at efficiency 1 */
                p->t_dram_1_us = e.t_dram_us * g->bw_efficiency[kind];
                p->t_l2_1_us = e.t_l2_us * g->bw_efficiency[kind];
                p->t_compute_1_us = e.t_compute_us * g->compute_efficiency[kind];
                p->quant = e.wave_efficiency * e.warp_efficiency;
                p->measured_us = s->cand[c].steady.median_us;
            }
        }
}

/* The fusion margin: the smallest with the most decisions agreeing (after the refit). */
static double fit_margin(rt_val_case *const *cases, int n_cases) {
    int best_agree = -1;
    double margin = 0;
    for (int m = 0; m <= MARGIN_STEPS; m++) {
        int agree = 0;
        for (int ci = 0; ci < n_cases; ci++) {
            int a, t, f, ff;
            fusion_agreement(cases[ci], true, MARGIN_STEP * m, &a, &t, &f, &ff);
            agree += a;
        }
        if (agree > best_agree) {
            best_agree = agree;
            margin = MARGIN_STEP * m;
        }
    }
    return margin;
}

fk_status rt_val_calibrate(rt_val_case *const *cases, int n_cases, bool counters, cm_cal_fit *fit,
                           double *budget, double *margin, char *err, size_t err_len) {
    size_t n = 0;
    for (int ci = 0; ci < n_cases; ci++)
        for (int i = 0; i < cases[ci]->n_subj; i++) n += (size_t)cases[ci]->subj[i].n_cand;
    cm_cal_sample *smp = calloc(n ? n : 1, sizeof *smp);
    if (!smp) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    cm_gpu gb = cases[0]->g.gpu;
    *budget = 0;
    *margin = 0;
    if (counters) {
        fk_status st = fit_l2_budget(cases, n_cases, n, &gb, err, err_len);
        if (st != FK_OK) {
            free(smp);
            return st;
        }
        *budget = gb.l2_budget_fraction;
    }
    fill_samples(cases, n_cases, &gb, smp);
    cm_cal_status cs = cm_calibrate(smp, n, gb.launch_overhead_us, gb.bw_efficiency,
                                    gb.compute_efficiency, fit, err, err_len);
    if (cs == CM_CAL_OK) {
        size_t k = 0;
        for (int ci = 0; ci < n_cases; ci++)
            for (int i = 0; i < cases[ci]->n_subj; i++) {
                rt_val_subject *s = &cases[ci]->subj[i];
                for (int c = 0; c < s->n_cand; c++) s->cand[c].refit_us = cm_cal_predict(fit, &smp[k++]);
                rank_subject(s, true);
            }
        *margin = fit_margin(cases, n_cases);
    }
    free(smp);
    return cs == CM_CAL_OK ? FK_OK : cs == CM_CAL_ERR_NOMEM ? FK_ERR_NOMEM : FK_ERR_INVALID;
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
