/* rt_run.c - the session behind `fuseplan run` (see rt_run.h). */
#include "rt_run.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fk_error.h"
#include "rt_energy.h"
#include "rt_tune.h"

/* Device-to-device copy of 1 GiB buffers: large enough to miss L2 (50-60 MB). */
#define COPY_BYTES ((size_t)1 << 30)

/* Everything one session holds. */
typedef struct session {
    const fp_model *m;
    const fp_gpu_spec *g;
    fp_plan *p;
    fp_plan lbl;            /* the unfused alternative */
    bool lbl_built;
    const rt_run_config *cfg;
    cudaStream_t s;
    rt_buffers B, R;        /* B: the plans' buffers; R: the reference's (shared weights) */
    rt_cudnn *dnn;
    int *lbl_owner;         /* [n_layers]: the unit of lbl that runs each layer */
    double *lbl_us;         /* [lbl.n_units]: measured time, -1 until measured */
    cudaGraphExec_t graphs[4];
    rt_run_result *out;
} session;

static void say(const session *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const session *x, const char *fmt, ...) {
    if (!x->cfg->log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    x->cfg->log(x->cfg->log_ctx, line);
}

static void progress(const session *x, const char *stage, int done, int total) {
    if (x->cfg->progress) x->cfg->progress(x->cfg->progress_ctx, stage, done, total);
}

static int kernel_units(const fp_plan *p) {
    int n = 0;
    for (int i = 0; i < p->n_units; i++) n += p->units[i].kind != FP_UNIT_OTHER;
    return n;
}

/* rt_tune_plan_progress's callback: the session's progress, stage "tuning". */
typedef struct tune_ctx {
    const session *x;
    int before, all; /* units of the plans tuned before, units of both plans */
} tune_ctx;

static void on_tune(void *ctx, int done, int total) {
    const tune_ctx *t = ctx;
    (void)total;
    progress(t->x, "tuning", t->before + done, t->all);
}

/* Prefixes a failed stage's message with the stage: "tuning: ...". */
static fk_status in_stage(fk_status st, const char *stage, char *err, size_t err_len) {
    if (st == FK_OK || !err || err_len == 0) return st;
    char inner[1024];
    snprintf(inner, sizeof inner, "%s", err);
    snprintf(err, err_len, "%s: %s", stage, inner);
    return st;
}

static fk_status sync_stream(cudaStream_t s, char *err, size_t err_len) {
    FK_CUDA(cudaStreamSynchronize(s));
    return FK_OK;
}

/* The unfused plan, buffers, cuDNN, tuning, and which unfused unit runs each layer. */
static fk_status setup(session *x, char *err, size_t err_len) {
    const fp_model *m = x->m;
    fp_plan_options no_fuse = x->p->opt;
    no_fuse.allowed = 0;
    memset(no_fuse.tile_forced, 0, sizeof no_fuse.tile_forced);
    if (fp_plan_build(m, x->g, &no_fuse, &x->lbl, err, err_len) != FP_OK)
        return in_stage(FK_ERR_INVALID, "planning the unfused alternative", err, err_len);
    x->lbl_built = true;
    FK_CUDA(cudaStreamCreateWithFlags(&x->s, cudaStreamNonBlocking));
    x->out->units = calloc((size_t)x->p->n_units, sizeof *x->out->units);
    x->lbl_owner = malloc(sizeof *x->lbl_owner * (size_t)m->n_layers);
    x->lbl_us = malloc(sizeof *x->lbl_us * (size_t)x->lbl.n_units);
    if (!x->out->units || !x->lbl_owner || !x->lbl_us)
        return fk_fail(FK_ERR_NOMEM, err, err_len, "setting up: out of memory");
    x->out->n_units = x->p->n_units;
    fk_status st = rt_buffers_create(m, x->p->opt.batch, x->p->opt.dtype, RT_RUN_SEED, &x->B, err, err_len);
    /* a given input replaces the random one before the reference's clone copies it */
    if (st == FK_OK && x->cfg->input_nhwc)
        st = rt_buffers_set_input(m, &x->B, x->cfg->input_nhwc, err, err_len);
    if (st == FK_OK) st = rt_buffers_clone_activations(m, &x->B, &x->R, err, err_len);
    if (st == FK_OK) st = rt_cudnn_create(m, &x->R, x->p->opt.math, true, &x->dnn, err, err_len);
    int first_direct = -1, n_direct = x->dnn ? rt_cudnn_direct_layers(x->dnn, &first_direct) : 0;
    if (n_direct) /* dtype: cuDNN lacks an algorithm for some convs in this type */
        say(x, "cuDNN has no %s algorithm for %d conv layers (first: %s): the reference and the "
            "baseline run them with the direct kernel", cm_dtype_name(x->p->opt.dtype), n_direct,
            m->layers[first_direct].name);
    if (st != FK_OK) return in_stage(st, "setting up", err, err_len);
    if (x->cfg->tune > 0) { /* both plans, so that fused and unfused compare tuned against tuned */
        say(x, "tuning tiles (the model's %d best per unit)...", x->cfg->tune);
        tune_ctx tc = {x, 0, kernel_units(x->p) + kernel_units(&x->lbl)};
        st = rt_tune_plan_progress(m, x->g, x->p, &x->B, x->dnn, x->cfg->tune, x->s, &x->out->tuned,
                                   on_tune, &tc, err, err_len);
        tc.before = kernel_units(x->p); /* the fused plan first, then the unfused one */
        if (st == FK_OK)
            st = rt_tune_plan_progress(m, x->g, &x->lbl, &x->B, x->dnn, x->cfg->tune, x->s,
                                       &x->out->tuned_unfused, on_tune, &tc, err, err_len);
        if (st != FK_OK) return in_stage(st, "tuning", err, err_len);
        say(x, "tuning changed the tile of %d units", x->out->tuned + x->out->tuned_unfused);
    }
    for (int j = 0; j < x->lbl.n_units; j++) {
        x->lbl_us[j] = -1;
        int mem[CM_MAX_UNIT_LAYERS + 1], nm = fp_unit_members(&x->lbl.units[j], mem);
        for (int k = 0; k < nm; k++) x->lbl_owner[mem[k]] = j;
    }
    return FK_OK;
}

/* Who runs each conv unit of the two plans (a conv2d no kernel unit covers:
 * the stem, ...): our tiled convolution and cuDNN, each timed on the
 * reference's input (cfg->iters repetitions), the faster for both plans
 * (rt_cudnn_choose_conv: a choice per layer); then every unit's "by" for the
 * report. */
static fk_status choose_convs(session *x, char *err, size_t err_len) {
    const fp_model *m = x->m;
    bool *seen = calloc((size_t)m->n_layers, sizeof *seen);
    if (!seen) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    const fp_plan *plans[2] = {x->p, &x->lbl};
    fk_status st = FK_OK;
    for (int k = 0; k < 2 && st == FK_OK; k++)
        for (int i = 0; i < plans[k]->n_units && st == FK_OK; i++) {
            const fp_unit *u = &plans[k]->units[i];
            const int li = u->layers[0];
            if (u->kind != FP_UNIT_OTHER || m->layers[li].op != FP_OP_CONV2D || seen[li]) continue;
            seen[li] = true;
            rt_conv_choice c;
            st = rt_cudnn_choose_conv(x->dnn, li, &x->R, &x->B, x->cfg->iters, x->s, &c, err,
                                      err_len);
            if (st != FK_OK) break;
            if (c.measured)
                say(x, "conv %s: %s %.2f us, cuDNN %.2f us: %s runs it in the plans",
                    m->layers[li].name, c.ours_name, c.ours_us, c.cudnn_us,
                    c.by == RT_CONV_BY_OURS ? "fuseplan" : "cuDNN");
            else
                say(x, "conv %s: cuDNN runs it in the plans (our tiled conv does not: %s)",
                    m->layers[li].name, c.why);
        }
    free(seen);
    for (int i = 0; i < x->p->n_units && st == FK_OK; i++) {
        rt_run_unit_result *r = &x->out->units[i];
        snprintf(r->by, sizeof r->by, "%s",
                 rt_unit_by(m, &x->p->units[i], x->dnn, x->p->opt.batch, x->p->opt.dtype,
                            r->by_note, sizeof r->by_note));
    }
    return st;
}

/* The reference, the conv units' backend, every unit on the reference's
 * input, then the whole plan. */
static fk_status check(session *x, char *err, size_t err_len) {
    const fp_model *m = x->m;
    rt_run_result *out = x->out;
    say(x, "%s, batch %d, %d units; checking...", m->name, x->p->opt.batch, x->p->n_units);
    fk_status st;
    if ((st = rt_poison_activations(m, &x->R, x->s, err, err_len)) ||
        (st = rt_run_model_cudnn(x->dnn, m, &x->R, x->s, err, err_len)) ||
        (st = sync_stream(x->s, err, err_len)))
        return in_stage(st, "reference execution", err, err_len);
    /* on the reference's activations, so that each conv is timed on real data */
    if ((st = choose_convs(x, err, err_len)) || (st = sync_stream(x->s, err, err_len)))
        return in_stage(st, "choosing the conv units' backend", err, err_len);
    for (int i = 0; i < x->p->n_units; i++) {
        const fp_unit *u = &x->p->units[i];
        rt_run_unit_result *r = &out->units[i];
        int t = rt_unit_output(m, u);
        progress(x, "checking units", i, x->p->n_units);
        const cm_dtype dt = x->B.dtype; /* the plan's dtype */
        if ((st = fk_poison_dt(x->B.tensor[t], dt, x->B.tensor_count[t], x->s, err, err_len)) ||
            (st = rt_run_unit(m, u, &x->R, &x->B, x->dnn, x->s, err, err_len)) ||
            (st = sync_stream(x->s, err, err_len)) ||
            (st = rt_compare(x->B.tensor[t], x->R.tensor[t], dt, x->B.tensor_count[t], &r->error, err, err_len)))
            return in_stage(st, "running a unit", err, err_len);
        r->threshold = rt_unit_threshold(m, u, dt, x->p->opt.math);
        if (r->threshold > out->unit_threshold) out->unit_threshold = r->threshold;
        r->ok = rt_error_ok(&r->error, r->threshold);
        if (r->ok) continue;
        const rt_error *e = &r->error;
        say(x, "check failed: unit %d (%s) layer %s: rel L2 error %.3g (threshold %.1g), max abs "
            "%.3g, %zu unwritten, %zu non-finite of %zu (%zu non-finite in the reference)", i,
            fp_unit_kind_name(m, u), m->layers[u->layers[0]].name, e->rel_l2, r->threshold,
            e->max_abs, e->poisoned, e->non_finite, e->count, e->ref_non_finite);
        out->failures++;
    }
    if ((st = rt_poison_activations(m, &x->B, x->s, err, err_len)) ||
        (st = rt_run_plan(m, x->p, &x->B, x->dnn, x->s, err, err_len)) ||
        (st = sync_stream(x->s, err, err_len)))
        return in_stage(st, "running the plan", err, err_len);
    /* the output the user asked for is this execution's: the one checked next */
    if (x->cfg->want_output &&
        (st = rt_buffers_read_nchw(m, &x->B, m->outputs[0], &out->output, &out->output_count, err,
                                   err_len)))
        return in_stage(st, "reading the output", err, err_len);
    for (int k = 0; k < m->n_outputs; k++) {
        int t = m->outputs[k];
        rt_error e;
        if ((st = rt_compare(x->B.tensor[t], x->R.tensor[t], x->B.dtype, x->B.tensor_count[t], &e,
                             err, err_len)))
            return in_stage(st, "comparing outputs", err, err_len);
        if (e.rel_l2 > out->whole_rel_l2) out->whole_rel_l2 = e.rel_l2;
        if (rt_error_ok(&e, out->model_threshold)) continue;
        say(x, "check failed: model output %s: rel L2 error %.3g (threshold %.1g) against the "
            "all-cuDNN execution, %zu unwritten, %zu non-finite (%zu in the reference)",
            m->tensors[t].name, e.rel_l2, out->model_threshold, e.poisoned, e.non_finite,
            e.ref_non_finite);
        out->failures++;
    }
    if (x->p->opt.dtype != CM_F32 || x->p->opt.math != CM_MATH_SIMT) {
        /* what the precision costs: the plan's outputs against strict fp32 */
        if ((st = rt_error_vs_fp32(m, &x->B, RT_RUN_SEED, x->cfg->input_nhwc, x->s,
                                   &out->whole_rel_l2_fp32, err, err_len)))
            return in_stage(st, "the strict-fp32 reference", err, err_len);
        say(x, "%s %s whole model against strict fp32: rel L2 %.3g", cm_dtype_name(x->p->opt.dtype),
            cm_math_name(x->p->opt.math), out->whole_rel_l2_fp32);
    }
    say(x, "checks %s; timing (%d iterations each)...", out->failures ? "FAILED" : "passed",
        x->cfg->iters);
    return FK_OK;
}

/* A fused unit's layers in the unfused plan: the units of lbl that cover
 * them and the absorbed add (each unfused unit timed once). */
static fk_status time_unfused_of(session *x, const int *all, int na, double *us, char *err,
                                 size_t err_len) {
    *us = 0;
    int seen[CM_MAX_UNIT_LAYERS + 1], ns = 0;
    fk_status st = FK_OK;
    for (int k = 0; k < na && st == FK_OK; k++) {
        int j = x->lbl_owner[all[k]];
        bool dup = false;
        for (int q = 0; q < ns; q++) dup |= seen[q] == j;
        if (dup) continue;
        seen[ns++] = j;
        if (x->lbl_us[j] < 0) {
            rt_unit_job jj = {x->m, &x->lbl.units[j], &x->B, x->dnn};
            rt_time_stats ts;
            st = rt_time_job(rt_job_unit, &jj, 3, x->cfg->iters, x->s, &ts, err, err_len);
            x->lbl_us[j] = ts.median_us;
        }
        *us += x->lbl_us[j];
    }
    return st;
}

/* Every unit: ours, its layers with cuDNN, our unfused layers, its floor. */
static fk_status time_units(session *x, char *err, size_t err_len) {
    fk_status st = rt_copy_bandwidth(COPY_BYTES, 20, x->s, &x->out->copy_gbps, err, err_len);
    if (st != FK_OK) return in_stage(st, "copy bandwidth", err, err_len);
    for (int i = 0; i < x->p->n_units && st == FK_OK; i++) {
        const fp_unit *u = &x->p->units[i];
        rt_run_unit_result *r = &x->out->units[i];
        rt_unit_job j = {x->m, u, &x->B, x->dnn};
        progress(x, "timing units", i, x->p->n_units);
        st = rt_time_job(rt_job_unit, &j, 3, x->cfg->iters, x->s, &r->ours, err, err_len);
        int all[CM_MAX_UNIT_LAYERS + 1], na = fp_unit_members(u, all);
        for (int k = 0; k < na && st == FK_OK; k++) {
            double us = 0;
            const char *lay = "-";
            st = rt_run_layer_baseline_us(x->m, all[k], &x->R, x->dnn, x->cfg->iters, x->s, &us, &lay,
                                          err, err_len);
            r->cudnn_lbl_us += us;
            size_t at = strlen(r->layout);
            snprintf(r->layout + at, sizeof r->layout - at, "%s%s", k ? "+" : "", lay);
        }
        r->ours_lbl_us = -1;
        if (st == FK_OK && u->n_layers > 1) st = time_unfused_of(x, all, na, &r->ours_lbl_us, err, err_len);
        r->floor_us = (double)u->est.min_bytes / (x->out->copy_gbps * 1e3);
    }
    progress(x, "timing units", x->p->n_units, x->p->n_units);
    return in_stage(st, "timing", err, err_len);
}

/* What a whole-model graph runs. */
typedef struct model_job {
    session *x;
    const fp_plan *p; /* NULL: cuDNN */
    bool fastest;     /* cuDNN: each conv in its faster layout */
} model_job;

static fk_status job_model(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const model_job *j = arg;
    session *x = j->x;
    if (j->p) return rt_run_plan(x->m, j->p, &x->B, x->dnn, s, err, err_len);
    if (j->fastest) return rt_run_model_cudnn_fastest(x->dnn, x->m, &x->R, s, err, err_len);
    return rt_run_model_cudnn(x->dnn, x->m, &x->R, s, err, err_len);
}

/* The four whole models in CUDA graphs (the faster-layout cuDNN first: it
 * relies on the layouts rt_cudnn_time_layer chose in time_units). */
static fk_status time_graphs(session *x, char *err, size_t err_len) {
    model_job jobs[4] = {{x, NULL, true}, {x, x->p, false}, {x, &x->lbl, false}, {x, NULL, false}};
    rt_time_stats *dst[4] = {&x->out->graph_cudnn, &x->out->graph_fused, &x->out->graph_unfused,
                             &x->out->graph_cudnn_nhwc};
    fk_status st = FK_OK;
    for (int i = 0; i < 4 && st == FK_OK; i++)
        st = rt_graph_capture(job_model, &jobs[i], x->s, &x->graphs[i], err, err_len);
    for (int i = 0; i < 4 && st == FK_OK; i++) {
        progress(x, "whole models", i, 4);
        st = rt_time_graph(x->graphs[i], 5, x->cfg->iters, x->s, dst[i], err, err_len);
    }
    progress(x, "whole models", 4, 4);
    return in_stage(st, "timing", err, err_len);
}

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One energy window: graph g replayed back to back for `seconds` (its median
 * time sets the count) after RT_RUN_ENERGY_WARMUP_S of the same, the counter
 * read after a sync on each side. */
static fk_status energy_window(session *x, rt_energy *en, cudaGraphExec_t g, double median_us,
                               double seconds, rt_run_energy *out, char *err, size_t err_len) {
    double per_s = 1e6 / (median_us > 0 ? median_us : 1); /* replays per second */
    long n = (long)(seconds * per_s) + 1, warm = (long)(RT_RUN_ENERGY_WARMUP_S * per_s) + 1;
    unsigned long long e0, e1;
    /* the same replays first, untimed: clocks and power leave the idle of the
     * counter-period poll before the window opens */
    for (long i = 0; i < warm; i++) FK_CUDA(cudaGraphLaunch(g, x->s));
    FK_CUDA(cudaStreamSynchronize(x->s));
    fk_status st = rt_energy_read_mj(en, &e0, err, err_len);
    if (st != FK_OK) return st;
    double t0 = wall_s();
    for (long i = 0; i < n; i++) FK_CUDA(cudaGraphLaunch(g, x->s));
    FK_CUDA(cudaStreamSynchronize(x->s));
    double t1 = wall_s();
    if ((st = rt_energy_read_mj(en, &e1, err, err_len)) != FK_OK) return st;
    out->joules = (double)(e1 - e0) * 1e-3;
    out->seconds = t1 - t0;
    out->inferences = n;
    return FK_OK;
}

/* Energy of the fused, unfused and faster-layout cuDNN graphs (time_graphs
 * first). NVML or its counter missing is recorded, not an error. */
static fk_status measure_energy(session *x, char *err, size_t err_len) {
    rt_run_result *out = x->out;
    rt_energy *en = NULL;
    char why[256];
    if (rt_energy_open(&en, why, sizeof why) != FK_OK) {
        snprintf(out->energy_reason, sizeof out->energy_reason, "%s", why);
        say(x, "energy not measured: %s", why);
        return FK_OK;
    }
    fk_status st = rt_energy_period_ms(en, 2.0, &out->energy_period_ms, err, err_len);
    double seconds = RT_RUN_ENERGY_PERIODS * out->energy_period_ms * 1e-3;
    if (seconds < RT_RUN_ENERGY_MIN_S) seconds = RT_RUN_ENERGY_MIN_S;
    if (seconds > RT_RUN_ENERGY_MAX_S) seconds = RT_RUN_ENERGY_MAX_S;
    struct {
        cudaGraphExec_t g;
        double us;
        rt_run_energy *dst;
    } w[3] = {{x->graphs[1], out->graph_fused.median_us, &out->energy_fused},
              {x->graphs[2], out->graph_unfused.median_us, &out->energy_unfused},
              {x->graphs[0], out->graph_cudnn.median_us, &out->energy_cudnn}};
    say(x, "energy: counter period %.1f ms; 3 windows of %.1f s...", out->energy_period_ms, seconds);
    for (int i = 0; i < 3 && st == FK_OK; i++) {
        progress(x, "energy", i, 3);
        st = energy_window(x, en, w[i].g, w[i].us, seconds, w[i].dst, err, err_len);
    }
    progress(x, "energy", 3, 3);
    rt_energy_close(en);
    out->energy_supported = st == FK_OK;
    if (st == FK_ERR_CUDA) return in_stage(st, "measuring energy", err, err_len);
    if (st != FK_OK) { /* an NVML read failed mid-way: no energy, the run stands */
        snprintf(out->energy_reason, sizeof out->energy_reason, "%s", err);
        say(x, "energy not measured: %s", err);
    }
    return FK_OK;
}

fk_status rt_run_session(const fp_model *m, const fp_gpu_spec *g, fp_plan *p,
                         const rt_run_config *cfg, rt_run_result *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    out->model_threshold = rt_plan_model_threshold(m, p->opt.dtype, p->opt.math);
    out->whole_rel_l2_fp32 = -1; /* strict fp32: not computed */
    session x;
    memset(&x, 0, sizeof x);
    x.m = m;
    x.g = g;
    x.p = p;
    x.cfg = cfg;
    x.out = out;
    fk_status st = setup(&x, err, err_len);
    if (st == FK_OK) st = check(&x, err, err_len);
    if (st == FK_OK) st = time_units(&x, err, err_len);
    if (st == FK_OK) st = time_graphs(&x, err, err_len);
    if (st == FK_OK && cfg->energy) st = measure_energy(&x, err, err_len);
    for (int i = 0; i < 4; i++)
        if (x.graphs[i]) cudaGraphExecDestroy(x.graphs[i]);
    rt_cudnn_destroy(x.dnn);
    rt_buffers_destroy(&x.R);
    rt_buffers_destroy(&x.B);
    if (x.s) cudaStreamDestroy(x.s);
    free(x.lbl_owner);
    free(x.lbl_us);
    if (x.lbl_built) fp_plan_free(&x.lbl);
    return st;
}

void rt_run_result_free(rt_run_result *r) {
    if (!r) return;
    free(r->units);
    r->units = NULL;
    r->n_units = 0;
    free(r->output);
    r->output = NULL;
    r->output_count = 0;
}

/* A non-conv layer as the baseline runs it: our simple kernel. */
typedef struct layer_job {
    const fp_model *m;
    int layer;
    rt_buffers *b;
    rt_cudnn *dnn;
} layer_job;

static fk_status job_layer(void *arg, cudaStream_t s, char *err, size_t err_len) {
    layer_job *j = arg;
    return rt_run_layer(j->m, j->layer, j->b, j->b, j->dnn, s, err, err_len);
}

fk_status rt_run_layer_baseline_us(const fp_model *m, int li, rt_buffers *b, rt_cudnn *dnn,
                                   int iters, cudaStream_t s, double *us, const char **layout,
                                   char *err, size_t err_len) {
    *us = 0;
    *layout = "-";
    if (m->layers[li].op == FP_OP_CONV2D) {
        rt_cudnn_timing t;
        fk_status st = rt_cudnn_time_layer(dnn, li, b, iters, s, &t, err, err_len);
        if (st != FK_OK) return st;
        bool nchw = t.nchw_us > 0 && t.nchw_us < t.nhwc_us;
        *us = nchw ? t.nchw_us : t.nhwc_us;
        *layout = nchw ? "nchw" : "nhwc";
        return FK_OK;
    }
    layer_job j = {m, li, b, dnn};
    rt_time_stats ts;
    fk_status st = rt_time_job(job_layer, &j, 3, iters, s, &ts, err, err_len);
    if (st == FK_OK) *us = ts.median_us;
    return st;
}
