/* cmd_validate.c - `fuseplan validate`: the cost model against the GPU.
 *
 * For every candidate unit of a model (each DW/PW layer alone, each fusable
 * chain of its planner chains, the residual add absorbed at a chain's end as
 * the planner does) and K tiles of each (the model's best ones plus random
 * feasible ones), it measures the kernel's time (steady state: repeated
 * launches, caches warm) and, through CUPTI, the bytes the SMs request from
 * L2, DRAM bytes, L2 hit rate and duration, both steady (after one unprofiled
 * run) and cold (L2 flushed by a read sweep). It then reports estimated
 * against measured per kernel, per unit (Kendall tau of estimated vs measured
 * time over the tile candidates; regret of the model's choice), per model
 * (fusion decisions the measurement agrees with, median and worst errors),
 * and with --calibrate fits the time model's free constants and writes them
 * into a GPU spec (docs/validation.md). */
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
#include "fk_error.h"
#include "rt_exec.h"
#include "rt_timing.h"
#include "rt_stats.h"
#include "tool_commit.h"
#include "fp_plan.h"
#ifdef FUSEPLAN_HAVE_CUPTI
#include "rt_counters.h"
#else
typedef struct rt_ctr_session rt_ctr_session;
typedef struct rt_ctr_values {
    double l2_read_bytes, l2_write_bytes, dram_read_bytes, dram_write_bytes, l2_hit_rate_pct,
        duration_us;
} rt_ctr_values;
#endif

#define MAX_INPUTS 16
#define MAX_BATCHES 8
#define MAX_TILES 32
/* Tolerances of the targets (docs/validation.md). */
#define TRAFFIC_TOL 0.10
#define DRAM_TOL 0.20

typedef struct v_args {
    const char *inputs[MAX_INPUTS];
    int n_inputs;
    const char *gpu;
    int batches[MAX_BATCHES];
    int n_batches;
    bool batch_set;
    cm_dtype dtype;
    bool dtype_set;
    int tiles, iters;
    bool counters;
    const char *report;
    bool calibrate;
    const char *calib_out;
} v_args;

/* One measured (unit, tile). */
typedef struct v_cand {
    cm_tile tile;
    const char *variant;
    cm_estimate est;       /* with the planner's L2 residency hints */
    cm_estimate est_cold;  /* hints off: inputs come from DRAM */
    rt_time_stats steady;  /* event timing, repeated launches */
    double cold_us;        /* event timing right after an L2 flush (median) */
    rt_ctr_values warm, cold;
    double refit_us;       /* --calibrate: the fitted model's time */
    cm_estimate refit_cold; /* --calibrate: est_cold at the fitted L2 budget */
} v_cand;

/* One candidate unit: a single layer or a fusable segment of a chain. */
typedef struct v_subject {
    fp_unit u;
    int chain, start, len;  /* segment [start, start+len) of chain `chain` */
    bool in_plan;
    v_cand *cand;
    int n_cand;
    int choice;             /* the candidate the model picks: least estimated time */
    int refit_choice;
    double tau, regret, refit_tau, refit_regret;
} v_subject;

typedef struct v_case {
    fp_model m;
    fp_gpu_spec g;
    fp_plan p;
    bool loaded;
    int n_chains;
    int *chain_len;         /* [n_chains] */
    int **chain_layers;     /* [n_chains][len] */
    v_subject *subj;
    int n_subj;
    double seconds;
} v_case;

/* Per-case (or overall) figures. */
typedef struct v_summary {
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
} v_summary;

static void validate_help(void) {
    printf("usage: fuseplan validate [PLAN.json | MODEL...] [--gpu SPEC] [--batch N[,N...]]\n"
           "                         [--dtype T] [--tiles K] [--iters N] [--no-counters]\n"
           "                         [--report out.json] [--calibrate -o SPEC.json]\n\n"
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
           "A progress line goes to stderr. Exit 1 without a GPU or on a failed measurement,\n"
           "2 on bad input.\n");
}

static int fail1(const char *msg, const char *err) {
    fprintf(stderr, "fuseplan validate: %s%s%s\n", msg, err ? ": " : "", err ? err : "");
    return 1;
}

/* ---- argument parsing ---- */

static int parse_batches(const char *v, v_args *a) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    a->n_batches = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (a->n_batches == MAX_BATCHES)
            return tool_usage_error("validate", "--batch: at most %d batch sizes", MAX_BATCHES);
        if (!tool_parse_int("validate", "--batch", tok, 1, FP_MAX_BATCH, &a->batches[a->n_batches]))
            return 2;
        a->n_batches++;
    }
    if (a->n_batches == 0) return tool_usage_error("validate", "--batch: no batch size in \"%s\"", v);
    return 0;
}

static int parse_args(int argc, char **argv, v_args *a, bool *help) {
    memset(a, 0, sizeof *a);
    a->tiles = 6;
    a->iters = 20;
    a->counters = true;
    a->dtype = CM_F32;
    a->batches[0] = 1;
    a->n_batches = 1;
    int rc = 0;
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *help = true;
            return 0;
        } else if (tool_opt_value("validate", argc, argv, &i, "--gpu", &v, &rc)) {
            if (!v) return rc;
            a->gpu = v;
        } else if (tool_opt_value("validate", argc, argv, &i, "--batch", &v, &rc)) {
            if (!v) return rc;
            if ((rc = parse_batches(v, a))) return rc;
            a->batch_set = true;
        } else if (tool_opt_value("validate", argc, argv, &i, "--dtype", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_dtype("validate", v, &a->dtype)) return 2;
            a->dtype_set = true;
        } else if (tool_opt_value("validate", argc, argv, &i, "--tiles", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_int("validate", "--tiles", v, 1, MAX_TILES, &a->tiles)) return 2;
        } else if (tool_opt_value("validate", argc, argv, &i, "--iters", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_int("validate", "--iters", v, 5, 100000, &a->iters)) return 2;
        } else if (tool_opt_value("validate", argc, argv, &i, "--report", &v, &rc)) {
            if (!v) return rc;
            a->report = v;
        } else if (tool_opt_value("validate", argc, argv, &i, "-o", &v, &rc)) {
            if (!v) return rc;
            a->calib_out = v;
        } else if (strcmp(argv[i], "--calibrate") == 0) {
            a->calibrate = true;
        } else if (strcmp(argv[i], "--no-counters") == 0) {
            a->counters = false;
        } else if (argv[i][0] == '-') {
            return tool_usage_error("validate", "unknown option \"%s\"", argv[i]);
        } else if (a->n_inputs == MAX_INPUTS) {
            return tool_usage_error("validate", "at most %d models", MAX_INPUTS);
        } else {
            a->inputs[a->n_inputs++] = argv[i];
        }
    }
    if (a->calibrate != (a->calib_out != NULL))
        return tool_usage_error("validate", "--calibrate and -o SPEC.json go together");
    if (a->n_inputs == 0) a->inputs[a->n_inputs++] = "mobilenet_v2";
    return 0;
}

/* ---- the candidate units of a model ---- */

static bool is_kernel_layer(const fp_model *m, int li) {
    fp_conv_class c = m->layers[li].cls;
    return c == FP_CLASS_DW || c == FP_CLASS_PW;
}

/* The planner's chains: maximal runs of fp_chain_next. */
static fk_status find_chains(v_case *c, char *err, size_t err_len) {
    const fp_model *m = &c->m;
    int n = m->n_layers;
    bool *has_prev = calloc((size_t)n, sizeof *has_prev);
    c->chain_len = calloc((size_t)n, sizeof *c->chain_len);
    c->chain_layers = calloc((size_t)n, sizeof *c->chain_layers);
    if (!has_prev || !c->chain_len || !c->chain_layers) {
        free(has_prev);
        return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        int s = fp_chain_next(m, i);
        if (s >= 0) has_prev[s] = true;
    }
    fk_status st = FK_OK;
    for (int h = 0; h < n && st == FK_OK; h++) {
        if (!is_kernel_layer(m, h) || has_prev[h]) continue;
        int len = 0;
        for (int i = h; i >= 0; i = fp_chain_next(m, i)) len++;
        int *L = malloc(sizeof *L * (size_t)len);
        if (!L) {
            st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
            break;
        }
        len = 0;
        for (int i = h; i >= 0; i = fp_chain_next(m, i)) L[len++] = i;
        c->chain_layers[c->n_chains] = L;
        c->chain_len[c->n_chains++] = len;
    }
    free(has_prev);
    return st;
}

/* Small deterministic PRNG for the random tile candidates (splitmix64). */
static uint64_t rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool same_tile(const cm_tile *a, const cm_tile *b) {
    return a->tile_h == b->tile_h && a->tile_w == b->tile_w && a->tile_c == b->tile_c &&
           a->chunk_c == b->chunk_c && a->threads == b->threads;
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

static void fill_candidate(const v_subject *s, const fp_gpu_spec *g, const cm_tile *t, v_cand *c) {
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
static fk_status pick_candidates(v_subject *s, const fp_gpu_spec *g, const fp_unit *in_plan, int k,
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
            if (same_tile(&all[i], &in_plan->tile)) used[i] = true;
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
static fk_status build_subjects(v_case *c, int k, char *err, size_t err_len) {
    int cap = 0;
    for (int i = 0; i < c->n_chains; i++) cap += 3 * c->chain_len[i];
    c->subj = calloc((size_t)cap + 1, sizeof *c->subj);
    if (!c->subj) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    fp_plan_options o = c->p.opt;
    memset(o.tile_forced, 0, sizeof o.tile_forced);
    uint64_t rng = 20261122;
    for (int ch = 0; ch < c->n_chains; ch++) {
        const int *L = c->chain_layers[ch];
        int len = c->chain_len[ch];
        int add = fp_absorbable_add(&c->m, L[len - 1]);
        for (int j = 0; j < len; j++)
            for (int n = 1; n <= CM_MAX_UNIT_LAYERS && j + n <= len; n++) {
                v_subject *s = &c->subj[c->n_subj];
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
static fk_status profile_jobs(rt_ctr_session *ctr, rt_unit_job *jobs, v_cand **owner, int n,
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

/* Cold time: median of COLD_REPS runs, each right after an L2 flush, timed
 * with events around the run alone. Without CUPTI (no flush kernel) it
 * stays 0. */
static fk_status time_cold(rt_unit_job *j, rt_ctr_session *ctr, cudaStream_t s, double *us,
                           char *err, size_t err_len) {
    *us = 0;
#ifdef FUSEPLAN_HAVE_CUPTI
    if (!ctr) return FK_OK;
    double t[COLD_REPS];
    cudaEvent_t e0, e1;
    FK_CUDA(cudaEventCreate(&e0));
    cudaError_t ce = cudaEventCreate(&e1);
    if (ce != cudaSuccess) {
        cudaEventDestroy(e0);
        return fk_cuda_fail(ce, "cudaEventCreate", __FILE__, __LINE__, err, err_len);
    }
    fk_status st = FK_OK;
    for (int r = 0; r < COLD_REPS && st == FK_OK; r++) {
        st = rt_ctr_flush_l2(ctr, s, err, err_len);
        if (st == FK_OK && (ce = cudaEventRecord(e0, s)) != cudaSuccess)
            st = fk_cuda_fail(ce, "cudaEventRecord", __FILE__, __LINE__, err, err_len);
        if (st == FK_OK) st = rt_job_unit(j, s, err, err_len);
        if (st == FK_OK && (ce = cudaEventRecord(e1, s)) != cudaSuccess)
            st = fk_cuda_fail(ce, "cudaEventRecord", __FILE__, __LINE__, err, err_len);
        float ms = 0;
        if (st == FK_OK && (ce = cudaEventSynchronize(e1)) == cudaSuccess)
            ce = cudaEventElapsedTime(&ms, e0, e1);
        if (st == FK_OK && ce != cudaSuccess)
            st = fk_cuda_fail(ce, "cudaEventElapsedTime", __FILE__, __LINE__, err, err_len);
        t[r] = ms * 1e3;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    if (st == FK_OK) *us = rt_vm_median(t, COLD_REPS);
    return st;
#else
    (void)j, (void)ctr, (void)s, (void)err, (void)err_len;
    return FK_OK;
#endif
}

typedef struct progress {
    int done, total, case_index, cases;
    const char *model;
    int batch;
    time_t start, last;
    bool tty;
} progress;

static void progress_show(progress *p, bool force) {
    time_t now = time(NULL);
    if (!force && now == p->last) return;
    p->last = now;
    int pct = p->total ? 100 * p->done / p->total : 100;
    if (p->tty)
        fprintf(stderr, "\rfuseplan validate: [%d/%d] %s b%d: %d/%d kernels (%d%%), %ld s   ",
                p->case_index + 1, p->cases, p->model, p->batch, p->done, p->total, pct,
                (long)(now - p->start));
    else if (force || (p->done * 10 / (p->total ? p->total : 1)) != ((p->done - 1) * 10 / (p->total ? p->total : 1)))
        fprintf(stderr, "fuseplan validate: [%d/%d] %s b%d: %d/%d kernels (%d%%), %ld s\n",
                p->case_index + 1, p->cases, p->model, p->batch, p->done, p->total, pct,
                (long)(now - p->start));
    if (p->tty && force) fputc('\n', stderr);
}

static fk_status measure_case(v_case *c, const v_args *a, rt_ctr_session *ctr, progress *pg,
                              char *err, size_t err_len) {
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
    pg->total = 0;
    pg->done = 0;
    for (int i = 0; i < c->n_subj; i++) pg->total += c->subj[i].n_cand;
    time_t t0 = time(NULL);
    /* every candidate's launch description lives until its counters are read */
    rt_unit_job *jobs = calloc((size_t)pg->total + 1, sizeof *jobs);
    fp_unit *units = calloc((size_t)pg->total + 1, sizeof *units);
    v_cand **owner = calloc((size_t)pg->total + 1, sizeof *owner);
    if (!jobs || !units || !owner) st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    int n_jobs = 0, profiled = 0;
    for (int i = 0; i < c->n_subj && st == FK_OK; i++) {
        v_subject *sj = &c->subj[i];
        for (int k = 0; k < sj->n_cand && st == FK_OK; k++) {
            v_cand *cd = &sj->cand[k];
            fp_unit *u = &units[n_jobs];
            *u = sj->u;
            u->tile = cd->tile;
            u->grid = cm_unit_grid(&u->cu, &u->tile);
            u->variant = cd->variant;
            u->est = cd->est;
            jobs[n_jobs] = (rt_unit_job){&c->m, u, &B, NULL};
            owner[n_jobs] = cd;
            st = rt_time_job(rt_job_unit, &jobs[n_jobs], 3, a->iters, s, &cd->steady, err, err_len);
            if (st == FK_OK) st = time_cold(&jobs[n_jobs], ctr, s, &cd->cold_us, err, err_len);
            if (st != FK_OK)
                snprintf(err + strlen(err), err_len - strlen(err), " (timing %s %s)",
                         c->m.layers[sj->u.layers[0]].name, cd->variant);
            n_jobs++;
            pg->done++;
            progress_show(pg, false);
        }
        /* counters in sessions of up to COUNTER_BATCH kernels, each steady
         * (after one unprofiled run) and cold (after an L2 flush) */
        bool last = i == c->n_subj - 1;
        if (st == FK_OK && ctr && (n_jobs - profiled > COUNTER_BATCH - MAX_TILES - 1 || last)) {
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
    return st;
}

/* ---- analysis ---- */

static double est_traffic(const v_cand *c) {
    return (double)(c->est.traffic.load_bytes + c->est.traffic.store_bytes);
}
static double meas_traffic(const v_cand *c) { return c->warm.l2_read_bytes + c->warm.l2_write_bytes; }
static double est_dram_cold(const v_cand *c) {
    return (double)(c->est_cold.dram_read_bytes + c->est_cold.dram_write_bytes);
}
static double meas_dram_cold(const v_cand *c) { return c->cold.dram_read_bytes + c->cold.dram_write_bytes; }

/* Model time of candidate k: the estimate, or the refit's prediction. */
static double model_us(const v_subject *s, int k, bool refit) {
    return refit ? s->cand[k].refit_us : s->cand[k].est.time_us;
}

static void rank_subject(v_subject *s, bool refit) {
    double est[MAX_TILES + 1], meas[MAX_TILES + 1];
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
static const v_subject *find_subject(const v_case *c, int ch, int start, int len) {
    for (int i = 0; i < c->n_subj; i++)
        if (c->subj[i].chain == ch && c->subj[i].start == start && c->subj[i].len == len)
            return &c->subj[i];
    return NULL;
}

static double subj_model(const v_subject *s, bool refit) {
    return model_us(s, refit ? s->refit_choice : s->choice, refit);
}
static double subj_meas(const v_subject *s, bool refit) {
    return s->cand[refit ? s->refit_choice : s->choice].steady.median_us;
}

/* Fusion decisions: for every fused segment, "fused beats its layers run one
 * by one" by the model (each with the model's tile; the fused estimate must
 * win by more than `margin`, as the planner requires) and by measurement.
 * *faster counts the segments the model fuses that measure faster. */
static void fusion_agreement(const v_case *c, bool refit, double margin, int *agree, int *total,
                             int *fused, int *faster) {
    *agree = *total = *fused = *faster = 0;
    for (int i = 0; i < c->n_subj; i++) {
        const v_subject *s = &c->subj[i];
        if (s->len < 2) continue;
        double est_single = 0, meas_single = 0;
        bool ok = true;
        for (int l = 0; l < s->len && ok; l++) {
            const v_subject *one = find_subject(c, s->chain, s->start + l, 1);
            if (!one) {
                ok = false;
                break;
            }
            est_single += subj_model(one, refit);
            meas_single += subj_meas(one, refit);
        }
        if (!ok) continue;
        bool model_fuse = subj_model(s, refit) * (1.0 + margin) < est_single;
        bool meas_fuse = subj_meas(s, refit) < meas_single;
        (*total)++;
        *agree += model_fuse == meas_fuse;
        *fused += model_fuse;
        *faster += model_fuse && meas_fuse;
    }
}

/* Whole chains: the measured-best segmentation (DP over the measured times
 * of the model's tiles) against the plan's. */
static void chain_segmentation(const v_case *c, v_summary *sum) {
    for (int ch = 0; ch < c->n_chains; ch++) {
        int len = c->chain_len[ch];
        double *seg = malloc(sizeof *seg * (size_t)len * CM_MAX_UNIT_LAYERS);
        if (!seg) return;
        for (int j = 0; j < len; j++)
            for (int n = 1; n <= CM_MAX_UNIT_LAYERS; n++) {
                const v_subject *s = j + n <= len ? find_subject(c, ch, j, n) : NULL;
                seg[j * CM_MAX_UNIT_LAYERS + n - 1] = s ? subj_meas(s, false) : NAN;
            }
        const double best = rt_vm_chain_best(seg, len, CM_MAX_UNIT_LAYERS);
        free(seg);
        /* the plan's segmentation of this chain, measured */
        double plan_us = 0;
        bool plan_ok = true;
        for (int j = 0; j < len && plan_ok;) {
            int li = c->chain_layers[ch][j], n = 0;
            for (int i = 0; i < c->p.n_units && !n; i++)
                if (c->p.units[i].kind != FP_UNIT_OTHER && c->p.units[i].layers[0] == li)
                    n = c->p.units[i].n_layers;
            const v_subject *s = n ? find_subject(c, ch, j, n) : NULL;
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

typedef struct v_lists {
    double *traffic, *dram, *time, *tau, *regret, *rtime, *rtau, *rregret;
    size_t n_k, n_s;
} v_lists;

static void summarize(v_case *const *cases, int n_cases, bool counters, bool refit,
                      double refit_margin, v_summary *out, v_lists *l) {
    memset(out, 0, sizeof *out);
    l->n_k = l->n_s = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        const v_case *c = cases[ci];
        for (int i = 0; i < c->n_subj; i++) {
            const v_subject *s = &c->subj[i];
            l->tau[l->n_s] = s->tau;
            l->regret[l->n_s] = s->regret;
            l->rtau[l->n_s] = refit ? s->refit_tau : NAN;
            l->rregret[l->n_s] = refit ? s->refit_regret : NAN;
            l->n_s++;
            for (int k = 0; k < s->n_cand; k++) {
                const v_cand *cd = &s->cand[k];
                l->traffic[l->n_k] = counters ? rt_vm_rel_error(est_traffic(cd), meas_traffic(cd)) : NAN;
                l->dram[l->n_k] =
                    counters ? rt_vm_rel_error(est_dram_cold(cd), meas_dram_cold(cd)) : NAN;
                l->time[l->n_k] = rt_vm_rel_error(cd->est.time_us, cd->steady.median_us);
                l->rtime[l->n_k] = refit ? rt_vm_rel_error(cd->refit_us, cd->steady.median_us) : NAN;
                if (refit && counters &&
                    fabs(rt_vm_rel_error((double)(cd->refit_cold.dram_read_bytes +
                                                  cd->refit_cold.dram_write_bytes),
                                         meas_dram_cold(cd))) <= DRAM_TOL)
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
    out->traffic_within = rt_vm_count_within(l->traffic, l->n_k, TRAFFIC_TOL, &out->traffic_n);
    out->dram_within = rt_vm_count_within(l->dram, l->n_k, DRAM_TOL, &out->dram_n);
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

/* ---- calibration ---- */

/* L2 budget fractions tried by the calibration (cm_gpu.l2_budget_fraction):
 * 0.30 to 0.90 in steps of 0.05. */
#define BUDGET_STEPS 13
#define BUDGET_FIRST 0.30
#define BUDGET_STEP 0.05

/* Cold DRAM bytes of every candidate re-estimated on g, into refit_cold. */
static size_t estimate_cold_dram(v_case **cases, int n_cases, const cm_gpu *g, double *abs_err,
                                 size_t *n_err) {
    size_t within = 0;
    *n_err = 0;
    for (int ci = 0; ci < n_cases; ci++)
        for (int i = 0; i < cases[ci]->n_subj; i++) {
            v_subject *s = &cases[ci]->subj[i];
            const cm_unit cold = cold_unit(&s->u.cu);
            for (int c = 0; c < s->n_cand; c++) {
                v_cand *cd = &s->cand[c];
                cm_estimate_unit(&cold, &cd->tile, g, &cd->refit_cold);
                const double e = rt_vm_rel_error(
                    (double)(cd->refit_cold.dram_read_bytes + cd->refit_cold.dram_write_bytes),
                    meas_dram_cold(cd));
                abs_err[(*n_err)++] = fabs(e);
                within += fabs(e) <= DRAM_TOL;
            }
        }
    return within;
}

/* The L2 budget fraction under which the most kernels' cold DRAM bytes are
 * within DRAM_TOL (ties: the smaller median error); leaves refit_cold at it. */
static fk_status fit_l2_budget(v_case **cases, int n_cases, size_t n, cm_gpu *g, char *err,
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

static fk_status calibrate(v_case **cases, int n_cases, bool counters, rt_vm_fit *fit,
                           double *budget, double *margin, char *err, size_t err_len) {
    size_t n = 0;
    for (int ci = 0; ci < n_cases; ci++)
        for (int i = 0; i < cases[ci]->n_subj; i++) n += (size_t)cases[ci]->subj[i].n_cand;
    rt_vm_sample *smp = calloc(n ? n : 1, sizeof *smp);
    if (!smp) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    cm_gpu gb = cases[0]->g.gpu;
    const cm_gpu *g = &gb;
    *budget = 0;
    if (counters) {
        fk_status st = fit_l2_budget(cases, n_cases, n, &gb, err, err_len);
        if (st != FK_OK) {
            free(smp);
            return st;
        }
        *budget = gb.l2_budget_fraction;
    }
    size_t k = 0;
    for (int ci = 0; ci < n_cases; ci++)
        for (int i = 0; i < cases[ci]->n_subj; i++) {
            const v_subject *s = &cases[ci]->subj[i];
            for (int c = 0; c < s->n_cand; c++) {
                /* the time parts at the fitted budget (the DRAM time moves with it) */
                cm_estimate e_fit;
                cm_estimate_unit(&s->u.cu, &s->cand[c].tile, g, &e_fit);
                const cm_estimate *e = &e_fit;
                cm_kind kind = (cm_kind)s->u.kind;
                rt_vm_sample *p = &smp[k++];
                p->kind = kind;
                /* undo the efficiencies the spec used: the parts at efficiency 1 */
                p->t_dram_1_us = e->t_dram_us * g->bw_efficiency[kind];
                p->t_l2_1_us = e->t_l2_us * g->bw_efficiency[kind];
                p->t_compute_1_us = e->t_compute_us * g->compute_efficiency[kind];
                p->quant = e->wave_efficiency * e->warp_efficiency;
                p->measured_us = s->cand[c].steady.median_us;
            }
        }
    fk_status st = rt_vm_calibrate(smp, n, g->launch_overhead_us, g->bw_efficiency,
                                   g->compute_efficiency, fit, err, err_len);
    if (st == FK_OK) {
        k = 0;
        for (int ci = 0; ci < n_cases; ci++)
            for (int i = 0; i < cases[ci]->n_subj; i++) {
                v_subject *s = &cases[ci]->subj[i];
                for (int c = 0; c < s->n_cand; c++) s->cand[c].refit_us = rt_vm_predict(fit, &smp[k++]);
                rank_subject(s, true);
            }
        /* the fusion margin: the smallest with the most decisions agreeing */
        int best_agree = -1;
        for (int m = 0; m <= MARGIN_STEPS; m++) {
            int agree = 0;
            for (int ci = 0; ci < n_cases; ci++) {
                int a, t, f, ff;
                fusion_agreement(cases[ci], true, MARGIN_STEP * m, &a, &t, &f, &ff);
                agree += a;
            }
            if (agree > best_agree) {
                best_agree = agree;
                *margin = MARGIN_STEP * m;
            }
        }
    }
    free(smp);
    return st;
}

/* Writes the calibrated spec: the validated spec with the fitted launch
 * overhead and efficiencies, re-read to prove it loads. */
static int write_calibrated_spec(const v_args *a, const fp_gpu_spec *g0, const rt_vm_fit *fit,
                                 double budget, double margin, const char *device,
                                 const char *models, size_t n_kernels) {
    fp_gpu_spec g = *g0;
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    char src[FP_SOURCE_MAX];
    snprintf(src, sizeof src,
             "measured %s fuseplan validate --calibrate on %s, commit %s: least squares of log time "
             "over %zu kernels (%s); rms log error %.3f%s",
             date, device, FUSEPLAN_COMMIT, n_kernels, models, fit->rms_log_error_all,
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
    FILE *f = json ? fopen(a->calib_out, "w") : NULL;
    bool ok = f && fputs(json, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = false;
    free(json);
    if (!ok) return fail1("cannot write the calibrated spec", a->calib_out);
    fp_gpu_spec back;
    char err[1024];
    if (fp_gpu_load(a->calib_out, &back, err, sizeof err) != FP_OK)
        return fail1("the calibrated spec does not load back", err);
    printf("wrote %s (id %s): validate again with --gpu %s to measure the calibrated planner\n",
           a->calib_out, g.id, a->calib_out);
    return 0;
}

/* ---- printing ---- */

static const char *pct(double v, char *buf, size_t n) {
    if (isnan(v)) snprintf(buf, n, "-");
    else snprintf(buf, n, "%+.0f%%", 100 * v);
    return buf;
}

static void unit_name(const v_case *c, const v_subject *s, char *buf, size_t n) {
    size_t off = 0;
    buf[0] = '\0';
    for (int l = 0; l < s->u.n_layers && off < n; l++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", l ? "+" : "", c->m.layers[s->u.layers[l]].name);
    if (s->u.residual_layer >= 0 && off < n) snprintf(buf + off, n - off, "+add");
}

static void print_case(const v_case *c, bool counters, const v_summary *sm) {
    printf("\n%s, batch %d, %s (spec %s): %d candidate units, %d kernels measured in %.0f s\n",
           c->m.name, c->p.opt.batch, cm_dtype_name(c->p.opt.dtype), c->g.id, c->n_subj, sm->kernels,
           c->seconds);
    printf("%-34s %-7s %-26s %9s %9s %6s %9s %9s %6s %8s %8s %6s %5s %6s\n", "unit (model's tile)", "kind",
           "variant", "L2 est", "L2 meas", "err", "DRAM est", "DRAMcold", "err", "t est", "t meas",
           "err", "tau", "regret");
    for (int i = 0; i < c->n_subj; i++) {
        const v_subject *s = &c->subj[i];
        const v_cand *cd = &s->cand[s->choice];
        char name[160], b1[16], b2[16], b3[16], e1[16], e2[16], e3[16], e4[16];
        unit_name(c, s, name, sizeof name);
        printf("%-34.34s %-7s %-26.26s %9s %9s %6s %9s %9s %6s %8.1f %8.1f %6s %5.2f %5.1f%%%s\n", name,
               cm_kind_name((cm_kind)s->u.kind), cd->variant, tool_bytes(est_traffic(cd), b1, 16),
               counters ? tool_bytes(meas_traffic(cd), b2, 16) : "-",
               pct(counters ? rt_vm_rel_error(est_traffic(cd), meas_traffic(cd)) : NAN, e1, 16),
               tool_bytes(est_dram_cold(cd), b3, 16),
               counters ? tool_bytes(meas_dram_cold(cd), e4, 16) : "-",
               pct(counters ? rt_vm_rel_error(est_dram_cold(cd), meas_dram_cold(cd)) : NAN, e2, 16),
               cd->est.time_us, cd->steady.median_us,
               pct(rt_vm_rel_error(cd->est.time_us, cd->steady.median_us), e3, 16), s->tau,
               100 * s->regret, s->in_plan ? "  (plan)" : "");
    }
}

static void print_summary(const char *what, bool counters, bool refit, const v_summary *s) {
    printf("\n%s: %d kernels\n", what, s->kernels);
    if (counters) {
        printf("  global (L2) traffic: %zu/%zu kernels within %.0f%% (target 90%%); median |error| "
               "%.1f%%, worst %.0f%%\n",
               s->traffic_within, s->traffic_n, 100 * TRAFFIC_TOL, 100 * s->traffic_median,
               100 * s->traffic_worst);
        printf("  DRAM bytes (L2 flushed): %zu/%zu kernels within %.0f%%; median |error| %.1f%%, "
               "worst %.0f%%\n",
               s->dram_within, s->dram_n, 100 * DRAM_TOL, 100 * s->dram_median, 100 * s->dram_worst);
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
               s->chains_total, s->refit_fused, s->refit_fused_faster, 100 * DRAM_TOL,
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

static cJSON *summary_json(const v_summary *s, bool refit) {
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

static cJSON *case_json(const v_case *c, bool counters, bool refit, const v_summary *sm) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", c->m.name);
    cJSON_AddStringToObject(o, "model_file", c->p.model_file);
    cJSON_AddNumberToObject(o, "batch", c->p.opt.batch);
    cJSON_AddStringToObject(o, "dtype", cm_dtype_name(c->p.opt.dtype));
    cJSON_AddNumberToObject(o, "seconds", c->seconds);
    cJSON_AddItemToObject(o, "summary", summary_json(sm, refit));
    cJSON *units = cJSON_AddArrayToObject(o, "units");
    for (int i = 0; i < c->n_subj; i++) {
        const v_subject *s = &c->subj[i];
        cJSON *u = cJSON_CreateObject();
        char name[160];
        unit_name(c, s, name, sizeof name);
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
            const v_cand *cd = &s->cand[k];
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

/* ---- the command ---- */

static void case_free(v_case *c) {
    if (!c) return;
    for (int i = 0; i < c->n_subj; i++) free(c->subj[i].cand);
    free(c->subj);
    for (int i = 0; i < c->n_chains; i++) free(c->chain_layers[i]);
    free(c->chain_layers);
    free(c->chain_len);
    if (c->loaded) {
        fp_plan_free(&c->p);
        fp_model_free(&c->m);
    }
    free(c);
}

int cmd_validate(int argc, char **argv) {
    v_args a;
    bool help = false;
    int rc = parse_args(argc, argv, &a, &help);
    if (help) {
        validate_help();
        return 0;
    }
    if (rc) return rc;
#ifndef FUSEPLAN_HAVE_CUPTI
    if (a.counters)
        return fail1("this fuseplan was built without CUPTI (hardware counters); rebuild with the "
                     "CUDA toolkit's CUPTI, or pass --no-counters for timings only",
                     NULL);
#endif
    int max_cases = a.n_inputs * a.n_batches;
    v_case **cases = calloc((size_t)max_cases, sizeof *cases);
    if (!cases) return fail1("out of memory", NULL);
    int n_cases = 0;
    char err[2048];
    rc = 0;
    /* load and plan every case first: bad input fails before minutes of measuring */
    for (int i = 0; i < a.n_inputs && !rc; i++)
        for (int b = 0; b < a.n_batches && !rc; b++) {
            v_case *c = calloc(1, sizeof *c);
            if (!c) {
                rc = fail1("out of memory", NULL);
                break;
            }
            cases[n_cases++] = c;
            tool_input in = {a.inputs[i], a.gpu, a.batches[b], a.batch_set, a.dtype, a.dtype_set};
            if ((rc = tool_prepare("validate", &in, &c->m, &c->g, &c->p))) break;
            c->loaded = true;
            if (c->p.opt.dtype != CM_F32) {
                fprintf(stderr, "fuseplan validate: %s: %s plans cannot run yet: the backend has fp32 "
                        "kernels only\n", a.inputs[i], cm_dtype_name(c->p.opt.dtype));
                rc = 1;
                break;
            }
            if (a.calibrate && cases[0]->g.hash != c->g.hash) {
                fprintf(stderr, "fuseplan validate: --calibrate needs one GPU spec for every case; "
                        "%s uses %s, %s uses %s\n", a.inputs[0], cases[0]->g.path, a.inputs[i],
                        c->g.path);
                rc = 2;
                break;
            }
            fk_status st = find_chains(c, err, sizeof err);
            if (st == FK_OK) st = build_subjects(c, a.tiles, err, sizeof err);
            if (st != FK_OK) rc = fail1("choosing candidates", err);
        }
    /* the device last: bad input is reported (exit 2) even without a GPU */
    int ndev = 0;
    cudaError_t ce = rc ? cudaSuccess : cudaGetDeviceCount(&ndev);
    if (!rc && (ce != cudaSuccess || ndev == 0))
        rc = fail1("no CUDA device", ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices");
    rt_ctr_session *ctr = NULL;
#ifdef FUSEPLAN_HAVE_CUPTI
    if (!rc && a.counters) {
        fk_status st = rt_ctr_create(&ctr, err, sizeof err);
        if (st != FK_OK) rc = fail1("starting CUPTI (try --no-counters)", err);
    }
#endif
    progress pg;
    memset(&pg, 0, sizeof pg);
    pg.cases = n_cases;
    pg.start = time(NULL);
    pg.tty = isatty(fileno(stderr));
    for (int i = 0; i < n_cases && !rc; i++) {
        pg.case_index = i;
        pg.model = cases[i]->m.name;
        pg.batch = cases[i]->p.opt.batch;
        fk_status st = measure_case(cases[i], &a, ctr, &pg, err, sizeof err);
        progress_show(&pg, true);
        if (st != FK_OK) rc = fail1("measuring", err);
        for (int s = 0; s < cases[i]->n_subj && !rc; s++) rank_subject(&cases[i]->subj[s], false);
    }
    char dev[256] = "";
    int drv = 0, rtv = 0;
    rt_device_info(dev, sizeof dev, &drv, &rtv);
    rt_vm_fit fit;
    memset(&fit, 0, sizeof fit);
    double budget = 0, margin = 0;
    bool refit = false;
    if (!rc && a.calibrate) {
        fk_status st = calibrate(cases, n_cases, a.counters, &fit, &budget, &margin, err, sizeof err);
        if (st != FK_OK) rc = fail1("calibrating", err);
        refit = st == FK_OK;
    }
    size_t total_k = 0, total_s = 0;
    for (int i = 0; i < n_cases; i++) {
        total_s += (size_t)cases[i]->n_subj;
        for (int s = 0; s < cases[i]->n_subj; s++) total_k += (size_t)cases[i]->subj[s].n_cand;
    }
    v_lists l;
    size_t nk = total_k ? total_k : 1, ns = total_s ? total_s : 1;
    l.traffic = calloc(nk, sizeof(double));
    l.dram = calloc(nk, sizeof(double));
    l.time = calloc(nk, sizeof(double));
    l.rtime = calloc(nk, sizeof(double));
    l.tau = calloc(ns, sizeof(double));
    l.regret = calloc(ns, sizeof(double));
    l.rtau = calloc(ns, sizeof(double));
    l.rregret = calloc(ns, sizeof(double));
    if (!rc && (!l.traffic || !l.dram || !l.time || !l.rtime || !l.tau || !l.regret || !l.rtau || !l.rregret))
        rc = fail1("out of memory", NULL);
    if (!rc) {
        char date[32];
        time_t now = time(NULL);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        printf("fuseplan validate on %s (driver %d, runtime %d), commit %s, %s\n", dev, drv, rtv,
               FUSEPLAN_COMMIT, date);
#ifdef FUSEPLAN_HAVE_CUPTI
        if (ctr)
            printf("counters: CUPTI range profiler on %s, %d replay pass(es) per measurement: %s\n",
                   rt_ctr_chip(ctr), rt_ctr_passes(ctr), rt_ctr_metric_list());
#endif
        printf("L2 traffic = SM requests (steady state); DRAM = one run after an L2 flush, against "
               "the estimate with inputs cold; time = median of %d launches, caches warm\n",
               a.iters);
        cJSON *root = cJSON_CreateObject();
        tool_report_header(root, "fuseplan-validation", dev, drv, rtv, date);
        cJSON_AddStringToObject(root, "gpu_spec", cases[0]->g.id);
        cJSON_AddStringToObject(root, "gpu_spec_file", cases[0]->g.path);
        cJSON_AddBoolToObject(root, "gpu_spec_calibrated", cases[0]->g.calibrated);
        cJSON_AddNumberToObject(root, "tiles_per_unit", a.tiles);
        cJSON_AddNumberToObject(root, "iters", a.iters);
#ifdef FUSEPLAN_HAVE_CUPTI
        if (ctr) {
            cJSON_AddStringToObject(root, "cupti_chip", rt_ctr_chip(ctr));
            cJSON_AddStringToObject(root, "metrics", rt_ctr_metric_list());
            cJSON_AddNumberToObject(root, "replay_passes", rt_ctr_passes(ctr));
        }
#endif
        cJSON *jc = cJSON_AddArrayToObject(root, "cases");
        char models[512] = "";
        size_t mo = 0;
        for (int i = 0; i < n_cases; i++) {
            v_summary sm;
            summarize(&cases[i], 1, a.counters, refit, margin, &sm, &l);
            print_case(cases[i], a.counters, &sm);
            char what[256];
            snprintf(what, sizeof what, "%s batch %d", cases[i]->m.name, cases[i]->p.opt.batch);
            print_summary(what, a.counters, refit, &sm);
            cJSON_AddItemToArray(jc, case_json(cases[i], a.counters, refit, &sm));
            if (mo < sizeof models)
                mo += (size_t)snprintf(models + mo, sizeof models - mo, "%s%s b%d", i ? ", " : "",
                                       cases[i]->m.name, cases[i]->p.opt.batch);
        }
        v_summary all;
        summarize(cases, n_cases, a.counters, refit, margin, &all, &l);
        if (n_cases > 1) print_summary("all cases", a.counters, refit, &all);
        cJSON_AddItemToObject(root, "summary", summary_json(&all, refit));
        if (refit) {
            printf("\ncalibration: launch overhead %.2f us; rms log error %.3f over %zu kernels; L2 "
                   "budget %.2f of the L2 (spec default %.2f); fusion margin %.2f\n",
                   fit.launch_us, fit.rms_log_error_all, total_k, budget,
                   (double)cm_l2_budget_bytes(&cases[0]->g.gpu) / (double)cases[0]->g.gpu.l2_bytes,
                   margin);
            cJSON *jf = cJSON_AddObjectToObject(root, "calibration");
            if (budget > 0) cJSON_AddNumberToObject(jf, "l2_budget_fraction", budget);
            cJSON_AddNumberToObject(jf, "fusion_margin", margin);
            cJSON_AddNumberToObject(jf, "launch_overhead_us", r3(fit.launch_us));
            cJSON_AddNumberToObject(jf, "rms_log_error", r3(fit.rms_log_error_all));
            cJSON *kinds = cJSON_AddObjectToObject(jf, "kinds");
            for (int k = 0; k < CM_KIND_COUNT; k++) {
                if (!fit.fitted[k]) continue;
                printf("  %-7s %5d kernels  bw efficiency %.4f  compute efficiency %.4f  rms log "
                       "error %.3f\n", cm_kind_name((cm_kind)k), fit.samples[k], fit.bw_efficiency[k],
                       fit.compute_efficiency[k], fit.rms_log_error[k]);
                cJSON *x = cJSON_AddObjectToObject(kinds, cm_kind_name((cm_kind)k));
                cJSON_AddNumberToObject(x, "kernels", fit.samples[k]);
                cJSON_AddNumberToObject(x, "bw_efficiency", round(fit.bw_efficiency[k] * 1e4) / 1e4);
                cJSON_AddNumberToObject(x, "compute_efficiency",
                                        round(fit.compute_efficiency[k] * 1e4) / 1e4);
                cJSON_AddNumberToObject(x, "rms_log_error", r3(fit.rms_log_error[k]));
            }
            rc = write_calibrated_spec(&a, &cases[0]->g, &fit, budget, margin, dev, models, total_k);
        }
        if (a.report && !rc) {
            /* compact: a report holds ~25 numbers per kernel, thousands of kernels */
            char *json = cJSON_PrintUnformatted(root);
            FILE *f = json ? fopen(a.report, "w") : NULL;
            bool ok = f && fputs(json, f) >= 0 && fputc('\n', f) != EOF;
            if (f && fclose(f) != 0) ok = false;
            free(json);
            if (!ok) rc = fail1("cannot write the report", a.report);
            else printf("report: %s\n", a.report);
        }
        cJSON_Delete(root);
    }
#ifdef FUSEPLAN_HAVE_CUPTI
    rt_ctr_destroy(ctr);
#endif
    free(l.traffic);
    free(l.dram);
    free(l.time);
    free(l.rtime);
    free(l.tau);
    free(l.regret);
    free(l.rtau);
    free(l.rregret);
    for (int i = 0; i < n_cases; i++) case_free(cases[i]);
    free(cases);
    return rc;
}
