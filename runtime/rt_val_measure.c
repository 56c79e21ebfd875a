/* rt_val_measure.c - the GPU half of `fuseplan validate`: every candidate
 * checked, timed and profiled (rt_val_measure_case; see rt_validate.h and
 * docs/validation.md §1). CUDA builds only. */
#include "rt_validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "fk_error.h"
#include "fk_util.h"
#include "rt_buffers.h"
#include "rt_counters.h"
#include "rt_cudnn.h"
#include "rt_exec.h"
#include "rt_timing.h"

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

static rt_val_counters counters_of(const rt_ctr_values *v) {
    return (rt_val_counters){v->l2_read_bytes, v->l2_write_bytes, v->dram_read_bytes, v->dram_write_bytes,
                             v->l2_hit_rate_pct, v->duration_us};
}

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
        owner[k]->warm = counters_of(&vals[k]);
        owner[k]->cold = counters_of(&vals[n + k]);
    }
    return st;
#else
    (void)ctr, (void)jobs, (void)owner, (void)n, (void)s, (void)err, (void)err_len;
    (void)counters_of;
    return FK_OK;
#endif
}

/* Repetitions of the cold timing (each after an L2 flush). */
#define COLD_REPS 5
/* Graph replays before the timed ones: the first replay uploads the graph. */
#define GRAPH_WARMUP 3

/* K launches of one unit back to back: what a replayed graph holds. */
typedef struct k_launches {
    rt_unit_job *job;
    int k;
} k_launches;

static fk_status job_k_units(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const k_launches *kl = arg;
    for (int i = 0; i < kl->k; i++) {
        fk_status st = rt_job_unit(kl->job, s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

static fk_status job_graph(void *arg, cudaStream_t s, char *err, size_t err_len) {
    FK_CUDA(cudaGraphLaunch(*(cudaGraphExec_t *)arg, s));
    return FK_OK;
}

/* Steady time per launch: a graph of RT_VAL_GRAPH_LAUNCHES launches of the
 * unit, replayed iters times after GRAPH_WARMUP, each replay's time divided
 * by the launches. Inside a graph the launches cost what they cost in a
 * plan's graph (`run` executes plans as graphs); timed one by one between
 * events, each kernel paid 2-3 us more on the H100 and the model's launch
 * overhead was fitted to that. */
static fk_status time_steady(rt_unit_job *j, int iters, cudaStream_t s, rt_val_time *out, char *err,
                             size_t err_len) {
    k_launches kl = {j, RT_VAL_GRAPH_LAUNCHES};
    cudaGraphExec_t g;
    /* one launch outside the capture first: a kernel loaded lazily (CUDA's
     * default module loading) is loaded here, not while a graph is captured */
    fk_status st = rt_job_unit(j, s, err, err_len);
    if (st == FK_OK) {
        cudaError_t ce = cudaStreamSynchronize(s);
        if (ce != cudaSuccess) return fk_cuda_fail(ce, "cudaStreamSynchronize", __FILE__, __LINE__, err, err_len);
    }
    if (st == FK_OK) st = rt_graph_capture(job_k_units, &kl, s, &g, err, err_len);
    if (st != FK_OK) return st;
    rt_time_stats t;
    st = rt_time_graph(g, GRAPH_WARMUP, iters, s, &t, err, err_len);
    cudaGraphExecDestroy(g);
    if (st == FK_OK)
        *out = (rt_val_time){t.median_us / RT_VAL_GRAPH_LAUNCHES, t.p10_us / RT_VAL_GRAPH_LAUNCHES,
                             t.p90_us / RT_VAL_GRAPH_LAUNCHES};
    return st;
}

/* Cold time: a graph of ONE launch replayed COLD_REPS times, each replay
 * right after an L2 flush (outside the timed events), the median. One
 * launch, because a second launch in the same replay would find the first
 * one's data in L2. Without CUPTI (no flush kernel) it stays 0. */
static fk_status time_cold(rt_unit_job *j, rt_ctr_session *ctr, cudaStream_t s, double *us, char *err,
                           size_t err_len) {
    *us = 0;
#ifdef FUSEPLAN_HAVE_CUPTI
    if (!ctr) return FK_OK;
    k_launches kl = {j, 1};
    cudaGraphExec_t g;
    fk_status st = rt_graph_capture(job_k_units, &kl, s, &g, err, err_len);
    if (st != FK_OK) return st;
    rt_time_stats t;
    st = rt_time_job_after(job_flush, ctr, job_graph, &g, 0, COLD_REPS, s, &t, err, err_len);
    cudaGraphExecDestroy(g);
    if (st == FK_OK) *us = t.median_us;
    return st;
#else
    (void)j, (void)ctr, (void)s, (void)err, (void)err_len, (void)job_graph;
    return FK_OK;
#endif
}

/* The candidate run on the reference's inputs (R) into B, its output
 * compared with the reference's, as `run` checks a unit. */
static fk_status check_unit(const rt_val_case *c, const fp_unit *u, rt_buffers *B, rt_buffers *R,
                            rt_cudnn *dnn, cudaStream_t s, rt_val_cand *cd, char *err, size_t err_len) {
    const int t = rt_unit_output(&c->m, u);
    const cm_dtype dt = B->dtype;
    rt_error e;
    fk_status st = fk_poison_dt(B->tensor[t], dt, B->tensor_count[t], s, err, err_len);
    if (st == FK_OK) st = rt_run_unit(&c->m, u, R, B, dnn, s, err, err_len);
    if (st == FK_OK) {
        cudaError_t ce = cudaStreamSynchronize(s);
        if (ce != cudaSuccess) st = fk_cuda_fail(ce, "cudaStreamSynchronize", __FILE__, __LINE__, err, err_len);
    }
    if (st == FK_OK) st = rt_compare(B->tensor[t], R->tensor[t], dt, B->tensor_count[t], &e, err, err_len);
    if (st != FK_OK) return st;
    cd->checked = true;
    cd->check_threshold = rt_unit_threshold(&c->m, u, dt, c->p.opt.math);
    cd->check_rel_l2 = e.rel_l2;
    cd->check_ok = rt_error_ok(&e, cd->check_threshold);
    return FK_OK;
}

/* The reference execution of the case (all cuDNN, in its dtype and math)
 * into R, a clone of B's activations; *dnn NULL when cuDNN is not built. */
static fk_status reference(const rt_val_case *c, rt_buffers *B, rt_buffers *R, rt_cudnn **dnn, cudaStream_t s,
                           char *err, size_t err_len) {
    *dnn = NULL;
    fk_status st = rt_buffers_clone_activations(&c->m, B, R, err, err_len);
    if (st != FK_OK) return st;
    st = rt_cudnn_create(&c->m, R, c->p.opt.math, false, dnn, err, err_len);
    if (st == FK_ERR_UNSUPPORTED) { /* a build without cuDNN: nothing to check against */
        *dnn = NULL;
        err[0] = '\0';
        return FK_OK;
    }
    if (st == FK_OK) st = rt_poison_activations(&c->m, R, s, err, err_len);
    if (st == FK_OK) st = rt_run_model_cudnn(*dnn, &c->m, R, s, err, err_len);
    if (st == FK_OK) {
        cudaError_t ce = cudaStreamSynchronize(s);
        if (ce != cudaSuccess) st = fk_cuda_fail(ce, "cudaStreamSynchronize", __FILE__, __LINE__, err, err_len);
    }
    return st;
}

fk_status rt_val_measure_case(rt_val_case *c, int iters, rt_ctr_session *ctr,
                              rt_val_progress_fn progress, void *ctx, char *err, size_t err_len) {
    rt_buffers B, R;
    memset(&B, 0, sizeof B);
    memset(&R, 0, sizeof R);
    rt_cudnn *dnn = NULL;
    cudaStream_t s = NULL;
    fk_status st = rt_buffers_create(&c->m, c->p.opt.batch, c->p.opt.dtype, 20261121, &B, err, err_len);
    if (st != FK_OK) return st;
    cudaError_t ce = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    if (ce != cudaSuccess) {
        rt_buffers_destroy(&B);
        return fk_cuda_fail(ce, "cudaStreamCreateWithFlags", __FILE__, __LINE__, err, err_len);
    }
    st = reference(c, &B, &R, &dnn, s, err, err_len);
    if (st != FK_OK) snprintf(err + strlen(err), err_len - strlen(err), " (the all-cuDNN reference)");
    int total = 0, done = 0;
    for (int i = 0; i < c->n_subj; i++) total += c->subj[i].n_cand;
    time_t t0 = time(NULL);
    /* every candidate's launch description lives until its counters are read */
    rt_unit_job *jobs = calloc((size_t)total + 1, sizeof *jobs);
    fp_unit *units = calloc((size_t)total + 1, sizeof *units);
    rt_val_cand **owner = calloc((size_t)total + 1, sizeof *owner);
    if (st == FK_OK && (!jobs || !units || !owner)) st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
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
            if (dnn) st = check_unit(c, u, &B, &R, dnn, s, cd, err, err_len);
            if (st == FK_OK) st = time_steady(&jobs[n_jobs], iters, s, &cd->steady, err, err_len);
            if (st == FK_OK) st = time_cold(&jobs[n_jobs], ctr, s, &cd->cold_us, err, err_len);
            if (st != FK_OK)
                snprintf(err + strlen(err), err_len - strlen(err), " (%s %s)", c->m.layers[sj->u.layers[0]].name,
                         cd->variant);
            n_jobs++;
            done++;
            if (progress) progress(ctx, done, total);
        }
        /* counters in sessions of up to COUNTER_BATCH kernels, each steady
         * (after one unprofiled run) and cold (after an L2 flush) */
        bool last = i == c->n_subj - 1;
        if (st == FK_OK && ctr && (n_jobs - profiled > COUNTER_BATCH - RT_VAL_MAX_TILES - 1 || last)) {
            st = profile_jobs(ctr, jobs + profiled, owner + profiled, n_jobs - profiled, s, err, err_len);
            profiled = n_jobs;
        }
    }
    free(jobs);
    free(units);
    free(owner);
    c->seconds = difftime(time(NULL), t0);
    if (dnn) rt_cudnn_destroy(dnn);
    cudaStreamDestroy(s);
    rt_buffers_destroy(&R);
    rt_buffers_destroy(&B);
    if (st == FK_OK) rt_val_rank(c, RT_VAL_EST);
    return st;
}
