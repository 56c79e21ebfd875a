/* cmd_run.c - `fuseplan run`: execute a plan on the GPU, check every unit
 * and the whole model against an all-cuDNN execution, time everything in one
 * process, print a report table and optionally write a JSON report. */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"
#include "tool_gpu.h"
#include "fk_error.h"
#include "rt_cudnn.h"
#include "rt_exec.h"
#include "rt_timing.h"
#include "fp_data.h"
#include "fp_json.h"
#include "tool_commit.h"
#include "fp_plan.h"

#ifdef FUSEPLAN_HAVE_CUDNN
#include <cudnn.h>
#endif


/* The whole model's output after 50+ layers: per-layer fp32 rounding
 * differences compound; 1e-4 relative L2 still catches any wrong layer
 * (those give O(1) errors). */
#define WHOLE_MODEL_THRESHOLD_F32 1e-4
/* Device-to-device copy of 1 GiB buffers: large enough to miss L2 (50-60 MB). */
#define COPY_BYTES ((size_t)1 << 30)

typedef struct unit_result {
    rt_error error;
    rt_time_stats ours;
    double cudnn_lbl_us;      /* the unit's layers with cuDNN (best layout each) */
    double ours_lbl_us;       /* fused units: the same layers with our single-layer kernels */
    char layout[64];          /* cuDNN layout per layer, e.g. "nhwc+nchw" */
    double floor_us;          /* min bytes / copy bandwidth */
} unit_result;

typedef struct run_args {
    const char *input, *gpu, *report, *save_plan;
    int batch, iters, tune;
    bool batch_set;
    cm_dtype dtype;
    bool dtype_set;
} run_args;

static void run_help(void) {
    printf("usage: fuseplan run [PLAN.json | MODEL [--gpu SPEC] [--batch N] [--dtype T]]\n"
           "                    [--iters K] [--report out.json] [--tune N] [--save-plan plan.json]\n\n"
           "Executes a plan on the local GPU (a model is planned first; default mobilenet_v2\n"
           "on h100_sxm), checks every unit's output against cuDNN run on the same input and\n"
           "the whole model against an all-cuDNN execution (outputs poisoned first), then\n"
           "times every unit (median of K >= 50 runs), the cuDNN layer-by-layer baseline\n"
           "(best algorithm, faster of NHWC and NCHW, strict FP32) and both whole models in\n"
           "CUDA graphs, and prints the report. Exit 1 on a failed check or without a GPU.\n"
           "--tune N first times each kernel unit with the cost model's N best tiles and\n"
           "keeps the fastest measured one (the model shortlists, the GPU decides);\n"
           "--save-plan writes the plan as executed (tuned tiles included).\n");
}

/* Waits for the stream; a CUDA error becomes a status with its text. */
static fk_status sync_stream(cudaStream_t s, char *err, size_t err_len) {
    FK_CUDA(cudaStreamSynchronize(s));
    return FK_OK;
}

static int fail1(const char *msg, const char *err) {
    fprintf(stderr, "fuseplan run: %s%s%s\n", msg, err ? ": " : "", err ? err : "");
    return 1;
}

typedef struct plan_job {
    const fp_model *m;
    const fp_plan *p;
    rt_buffers *b;
    rt_cudnn *dnn;
} plan_job;

static fk_status job_plan(void *arg, cudaStream_t s, char *err, size_t err_len) {
    plan_job *j = arg;
    return rt_run_plan(j->m, j->p, j->b, j->dnn, s, err, err_len);
}

static fk_status job_cudnn_model(void *arg, cudaStream_t s, char *err, size_t err_len) {
    plan_job *j = arg;
    return rt_run_model_cudnn(j->dnn, j->m, j->b, s, err, err_len);
}

static fk_status job_cudnn_fastest(void *arg, cudaStream_t s, char *err, size_t err_len) {
    plan_job *j = arg;
    return rt_run_model_cudnn_fastest(j->dnn, j->m, j->b, s, err, err_len);
}

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

/* Poisons every tensor but the input, on the stream the next work runs on. */
static fk_status poison_all(const fp_model *m, rt_buffers *b, cudaStream_t s, char *err,
                            size_t err_len) {
    for (int t = 0; t < m->n_tensors; t++) {
        if (t == m->input) continue;
        fk_status st = fk_poison(b->tensor[t], b->tensor_count[t], s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

/* Repetitions per candidate tile when tuning: enough for a stable median of
 * kernels of 3 us to 3 ms; the report's timings use --iters. */
#define TUNE_ITERS 15

/* For every kernel unit, times the cost model's best `top` tiles and keeps the
 * fastest measured one, re-deriving the unit's estimate, variant and grid. */
static fk_status tune_tiles(const fp_model *m, const fp_gpu_spec *g, fp_plan *p, rt_buffers *b,
                            rt_cudnn *dnn, int top, cudaStream_t s, char *err, size_t err_len) {
    cm_tile *cands = malloc(sizeof *cands * (size_t)top);
    if (!cands) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    fk_status st = FK_OK;
    int changed = 0;
    for (int i = 0; i < p->n_units && st == FK_OK; i++) {
        fp_unit *u = &p->units[i];
        if (u->kind == FP_UNIT_OTHER) continue;
        size_t n = cm_enumerate_tiles(&u->cu, &g->gpu, cands, (size_t)top);
        if (n > (size_t)top) n = (size_t)top;
        cm_tile planned = u->tile, best = u->tile;
        double best_us = 0, planned_us = 0;
        rt_unit_job j = {m, u, b, dnn};
        rt_time_stats ts;
        if ((st = rt_time_job(rt_job_unit, &j, 2, TUNE_ITERS, s, &ts, err, err_len)) != FK_OK) break;
        best_us = planned_us = ts.median_us;
        for (size_t c = 0; c < n && st == FK_OK; c++) {
            if (memcmp(&cands[c], &planned, sizeof planned) == 0) continue;
            u->tile = cands[c];
            st = rt_time_job(rt_job_unit, &j, 2, TUNE_ITERS, s, &ts, err, err_len);
            if (st == FK_OK && ts.median_us < best_us) {
                best_us = ts.median_us;
                best = cands[c];
            }
        }
        u->tile = best;
        if (memcmp(&best, &planned, sizeof best) != 0) {
            changed++;
            cm_estimate_unit(&u->cu, &u->tile, &g->gpu, &u->est);
            const cm_variant *v = cm_variant_of(&u->cu, &u->tile);
            u->variant = v ? v->name : NULL;
            u->grid = cm_unit_grid(&u->cu, &u->tile);
            char note[sizeof u->note];
            snprintf(note, sizeof note, "tuned: %s measured %.2f us vs %.2f us for the planned tile; %.150s",
                     u->variant ? u->variant : "?", best_us, planned_us, u->note);
            memcpy(u->note, note, sizeof note);
        }
    }
    free(cands);
    if (st == FK_OK) {
        fp_plan_totals_compute(p);
        fprintf(stderr, "fuseplan run: tuning changed the tile of %d units\n", changed);
    }
    return st;
}

/* Median time of a layer with cuDNN: the faster layout. Non-conv layers run
 * our simple kernels in both executions. */
static fk_status cudnn_layer_us(const fp_model *m, int li, rt_buffers *b, rt_cudnn *dnn,
                                int iters, cudaStream_t s, double *us, const char **layout,
                                char *err, size_t err_len) {
    const fp_layer *l = &m->layers[li];
    if (l->op == FP_OP_CONV2D) {
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
    *us = ts.median_us;
    *layout = "-";
    return st;
}

int cmd_run(int argc, char **argv) {
    run_args a;
    memset(&a, 0, sizeof a);
    a.batch = 1;
    a.iters = 100;
    a.dtype = CM_F32;
    int rc = 0;
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            run_help();
            return 0;
        } else if (tool_opt_value("run", argc, argv, &i, "--gpu", &v, &rc)) {
            if (!v) return rc;
            a.gpu = v;
        } else if (tool_opt_value("run", argc, argv, &i, "--batch", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_int("run", "--batch", v, 1, FP_MAX_BATCH, &a.batch)) return 2;
            a.batch_set = true;
        } else if (tool_opt_value("run", argc, argv, &i, "--dtype", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_dtype("run", v, &a.dtype)) return 2;
            a.dtype_set = true;
        } else if (tool_opt_value("run", argc, argv, &i, "--iters", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_int("run", "--iters", v, 50, 100000, &a.iters)) return 2;
        } else if (tool_opt_value("run", argc, argv, &i, "--tune", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_int("run", "--tune", v, 0, 64, &a.tune)) return 2;
        } else if (tool_opt_value("run", argc, argv, &i, "--save-plan", &v, &rc)) {
            if (!v) return rc;
            a.save_plan = v;
        } else if (tool_opt_value("run", argc, argv, &i, "--report", &v, &rc)) {
            if (!v) return rc;
            a.report = v;
        } else if (argv[i][0] == '-') {
            return tool_usage_error("run", "unknown option \"%s\"", argv[i]);
        } else if (!a.input) {
            a.input = argv[i];
        } else {
            return tool_usage_error("run", "unexpected argument \"%s\"", argv[i]);
        }
    }
    int ndev = 0;
    cudaError_t ce = cudaGetDeviceCount(&ndev);
    if (ce != cudaSuccess || ndev == 0)
        return fail1("no CUDA device", ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices");

    fp_model m;
    fp_gpu_spec g;
    fp_plan p, lbl;
    tool_input in = {a.input, a.gpu, a.batch, a.batch_set, a.dtype, a.dtype_set};
    if ((rc = tool_prepare("run", &in, &m, &g, &p))) return rc;
    char err[2048];
    if (p.opt.dtype != CM_F32) {
        fprintf(stderr, "fuseplan run: %s plans cannot run yet: the backend has fp32 kernels only\n",
                cm_dtype_name(p.opt.dtype));
        fp_plan_free(&p);
        fp_model_free(&m);
        return 1;
    }
    fp_plan_options no_fuse = p.opt;
    no_fuse.allowed = 0;
    memset(no_fuse.tile_forced, 0, sizeof no_fuse.tile_forced);
    if (fp_plan_build(&m, &g, &no_fuse, &lbl, err, sizeof err) != FP_OK) {
        fp_plan_free(&p);
        fp_model_free(&m);
        return fail1("planning the unfused alternative", err);
    }

    cudaStream_t s = NULL;
    ce = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    rt_buffers B, R;
    rt_cudnn *dnn = NULL;
    unit_result *res = calloc((size_t)p.n_units, sizeof *res);
    cudaGraphExec_t g_ours = NULL, g_lbl = NULL, g_dnn = NULL, g_fast = NULL;
    rt_time_stats t_ours, t_lbl, t_dnn, t_fast;
    double copy_gbps = 0;
    int failures = 0;
    int *lbl_owner = NULL;
    double *lbl_us = NULL;
    memset(&B, 0, sizeof B);
    memset(&R, 0, sizeof R);
    if (ce != cudaSuccess || !res) {
        rc = fail1("setting up", ce != cudaSuccess ? cudaGetErrorString(ce) : "out of memory");
        goto out;
    }
    fk_status st = rt_buffers_create(&m, p.opt.batch, p.opt.dtype, 20261121, &B, err, sizeof err);
    if (st == FK_OK) st = rt_buffers_clone_activations(&m, &B, &R, err, sizeof err);
    if (st == FK_OK) st = rt_cudnn_create(&m, &R, true, &dnn, err, sizeof err);
    if (st != FK_OK) {
        rc = fail1("setting up", err);
        goto out;
    }
    if (a.tune > 0) { /* both plans, so that fused and unfused compare tuned against tuned */
        fprintf(stderr, "fuseplan run: tuning tiles (the model's %d best per unit)...\n", a.tune);
        if ((st = tune_tiles(&m, &g, &p, &B, dnn, a.tune, s, err, sizeof err)) != FK_OK ||
            (st = tune_tiles(&m, &g, &lbl, &B, dnn, a.tune, s, err, sizeof err)) != FK_OK) {
            rc = fail1("tuning", err);
            goto out;
        }
    }
    /* which unit of the unfused plan runs each layer */
    lbl_owner = malloc(sizeof *lbl_owner * (size_t)m.n_layers);
    lbl_us = malloc(sizeof *lbl_us * (size_t)lbl.n_units);
    if (!lbl_owner || !lbl_us) {
        rc = fail1("out of memory", NULL);
        goto out;
    }
    for (int j = 0; j < lbl.n_units; j++) {
        lbl_us[j] = -1;
        int mem[CM_MAX_UNIT_LAYERS + 1], nm = fp_unit_members(&lbl.units[j], mem);
        for (int k = 0; k < nm; k++) lbl_owner[mem[k]] = j;
    }
    if (a.save_plan) {
        char *json = fp_plan_to_json(&p, &m);
        FILE *f = json ? fopen(a.save_plan, "w") : NULL;
        if (!f || fputs(json, f) < 0 || fclose(f) != 0) {
            free(json);
            rc = fail1("cannot write the plan", a.save_plan);
            goto out;
        }
        free(json);
    }
    fprintf(stderr, "fuseplan run: %s, batch %d, %d units; checking...\n", m.name, p.opt.batch,
            p.n_units);
    /* 1. the reference: every layer with cuDNN */
    if ((st = poison_all(&m, &R, s, err, sizeof err)) ||
        (st = rt_run_model_cudnn(dnn, &m, &R, s, err, sizeof err)) ||
        (st = sync_stream(s, err, sizeof err))) {
        rc = fail1("reference execution", err);
        goto out;
    }
    /* 2. every unit on the reference's input */
    double thr = rt_threshold(p.opt.dtype);
    for (int i = 0; i < p.n_units; i++) {
        const fp_unit *u = &p.units[i];
        int out_t = rt_unit_output(&m, u);
        if ((st = fk_poison(B.tensor[out_t], B.tensor_count[out_t], s, err, sizeof err)) ||
            (st = rt_run_unit(&m, u, &R, &B, dnn, s, err, sizeof err)) ||
            (st = sync_stream(s, err, sizeof err)) ||
            (st = rt_compare(B.tensor[out_t], R.tensor[out_t], B.tensor_count[out_t],
                                &res[i].error, err, sizeof err))) {
            rc = fail1("running a unit", err);
            goto out;
        }
        const rt_error *e = &res[i].error;
        if (!rt_error_ok(e, thr)) {
            fprintf(stderr, "fuseplan run: check failed: unit %d (%s) layer %s: rel L2 error %.3g "
                    "(threshold %.1g), max abs %.3g, %zu unwritten, %zu non-finite of %zu (%zu "
                    "non-finite in the reference)\n", i, fp_unit_kind_name(&m, u),
                    m.layers[u->layers[0]].name, e->rel_l2, thr, e->max_abs, e->poisoned,
                    e->non_finite, e->count, e->ref_non_finite);
            failures++;
        }
    }
    /* 3. the whole plan end to end */
    if ((st = poison_all(&m, &B, s, err, sizeof err)) ||
        (st = rt_run_plan(&m, &p, &B, dnn, s, err, sizeof err)) ||
        (st = sync_stream(s, err, sizeof err))) {
        rc = fail1("running the plan", err);
        goto out;
    }
    double whole_err = 0;
    for (int k = 0; k < m.n_outputs; k++) {
        int t = m.outputs[k];
        rt_error e;
        if ((st = rt_compare(B.tensor[t], R.tensor[t], B.tensor_count[t], &e, err, sizeof err))) {
            rc = fail1("comparing outputs", err);
            goto out;
        }
        if (e.rel_l2 > whole_err) whole_err = e.rel_l2;
        if (!rt_error_ok(&e, WHOLE_MODEL_THRESHOLD_F32)) {
            fprintf(stderr, "fuseplan run: check failed: model output %s: rel L2 error %.3g "
                    "(threshold %.1g) against the all-cuDNN execution, %zu unwritten, %zu "
                    "non-finite (%zu in the reference)\n", m.tensors[t].name, e.rel_l2,
                    WHOLE_MODEL_THRESHOLD_F32, e.poisoned, e.non_finite, e.ref_non_finite);
            failures++;
        }
    }
    fprintf(stderr, "fuseplan run: checks %s; timing (%d iterations each)...\n",
            failures ? "FAILED" : "passed", a.iters);

    /* 4. timing, all in this process on the same buffers */
    if ((st = rt_copy_bandwidth(COPY_BYTES, 20, s, &copy_gbps, err, sizeof err))) {
        rc = fail1("copy bandwidth", err);
        goto out;
    }
    for (int i = 0; i < p.n_units && st == FK_OK; i++) {
        const fp_unit *u = &p.units[i];
        rt_unit_job j = {&m, u, &B, dnn};
        st = rt_time_job(rt_job_unit, &j, 3, a.iters, s, &res[i].ours, err, sizeof err);
        res[i].cudnn_lbl_us = 0;
        res[i].layout[0] = 0;
        int all[CM_MAX_UNIT_LAYERS + 1], na = fp_unit_members(u, all);
        for (int k = 0; k < na && st == FK_OK; k++) {
            double us = 0;
            const char *lay = "-";
            st = cudnn_layer_us(&m, all[k], &R, dnn, a.iters, s, &us, &lay, err, sizeof err);
            res[i].cudnn_lbl_us += us;
            size_t at = strlen(res[i].layout);
            snprintf(res[i].layout + at, sizeof res[i].layout - at, "%s%s", k ? "+" : "", lay);
        }
        res[i].ours_lbl_us = -1;
        if (st == FK_OK && u->n_layers > 1) {
            /* the same layers in our unfused plan (the units of `lbl` that
             * cover them and the absorbed add, tuned like the fused plan) */
            res[i].ours_lbl_us = 0;
            int seen[CM_MAX_UNIT_LAYERS + 1], ns = 0;
            for (int k = 0; k < na && st == FK_OK; k++) {
                int j = lbl_owner[all[k]];
                bool dup = false;
                for (int q = 0; q < ns; q++) dup |= seen[q] == j;
                if (dup) continue;
                seen[ns++] = j;
                if (lbl_us[j] < 0) {
                    rt_unit_job jj = {&m, &lbl.units[j], &B, dnn};
                    rt_time_stats ts;
                    st = rt_time_job(rt_job_unit, &jj, 3, a.iters, s, &ts, err, sizeof err);
                    lbl_us[j] = ts.median_us;
                }
                res[i].ours_lbl_us += lbl_us[j];
            }
        }
        res[i].floor_us = (double)u->est.min_bytes / (copy_gbps * 1e3);
    }
    plan_job pj = {&m, &p, &B, dnn}, lj = {&m, &lbl, &B, dnn}, dj = {&m, NULL, &R, dnn};
    if (st == FK_OK) st = rt_graph_capture(job_plan, &pj, s, &g_ours, err, sizeof err);
    if (st == FK_OK) st = rt_graph_capture(job_plan, &lj, s, &g_lbl, err, sizeof err);
    if (st == FK_OK) st = rt_graph_capture(job_cudnn_model, &dj, s, &g_dnn, err, sizeof err);
    if (st == FK_OK) st = rt_graph_capture(job_cudnn_fastest, &dj, s, &g_fast, err, sizeof err);
    if (st == FK_OK) st = rt_time_graph(g_fast, 5, a.iters, s, &t_fast, err, sizeof err);
    if (st == FK_OK) st = rt_time_graph(g_ours, 5, a.iters, s, &t_ours, err, sizeof err);
    if (st == FK_OK) st = rt_time_graph(g_lbl, 5, a.iters, s, &t_lbl, err, sizeof err);
    if (st == FK_OK) st = rt_time_graph(g_dnn, 5, a.iters, s, &t_dnn, err, sizeof err);
    if (st != FK_OK) {
        rc = fail1("timing", err);
        goto out;
    }

    /* 5. the report */
    char dev[256];
    int drv = 0, rtv = 0;
    rt_device_info(dev, sizeof dev, &drv, &rtv);
    int cudnn_v = 0;
#ifdef FUSEPLAN_HAVE_CUDNN
    cudnn_v = (int)cudnnGetVersion();
#endif
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    printf("fuseplan run: %s on %s (plan for %s), batch %d, %s; %s; driver %d, CUDA runtime %d, "
           "cuDNN %d; commit %s\n", m.name, dev, g.id, p.opt.batch, cm_dtype_name(p.opt.dtype), date,
           drv, rtv, cudnn_v, FUSEPLAN_COMMIT);
    printf("copy bandwidth %.0f GB/s (read+write); times are medians of %d runs, in us\n", copy_gbps,
           a.iters);
    printf("%3s %-7s %-34s %9s %9s %9s %8s %9s %7s %10s %10s  %s\n", "#", "kind", "layers", "ours",
           "p10-p90", "cuDNN", "speedup", "our LBL", "vs LBL", "floor", "% floor", "cuDNN layout");
    double body_ours = 0, body_dnn = 0, body_floor = 0, all_ours = 0, all_dnn = 0;
    int fused = 0, fused_faster = 0;
    char slower[1024] = "";
    for (int i = 0; i < p.n_units; i++) {
        const fp_unit *u = &p.units[i];
        const unit_result *r = &res[i];
        char names[256] = "", spread[32], lblc[16] = "-", vs[16] = "-";
        for (int k = 0; k < u->n_layers; k++) {
            size_t at = strlen(names);
            snprintf(names + at, sizeof names - at, "%s%s", k ? "+" : "", m.layers[u->layers[k]].name);
        }
        if (u->residual_layer >= 0) strncat(names, "+add", sizeof names - strlen(names) - 1);
        snprintf(spread, sizeof spread, "%.1f-%.1f", r->ours.p10_us, r->ours.p90_us);
        if (r->ours_lbl_us > 0) {
            snprintf(lblc, sizeof lblc, "%.2f", r->ours_lbl_us);
            snprintf(vs, sizeof vs, "%.2fx", r->ours_lbl_us / r->ours.median_us);
            fused++;
            if (r->ours.median_us < r->ours_lbl_us) fused_faster++;
            else {
                size_t at = strlen(slower);
                snprintf(slower + at, sizeof slower - at, "%s%d", at ? ", " : "", i);
            }
        }
        printf("%3d %-7s %-34.34s %9.2f %9s %9.2f %7.2fx %9s %7s %10.2f %9.0f%%  %s\n", i,
               fp_unit_kind_name(&m, u), names, r->ours.median_us, spread, r->cudnn_lbl_us,
               r->cudnn_lbl_us / r->ours.median_us, lblc, vs, r->floor_us,
               100.0 * r->floor_us / r->ours.median_us, r->layout);
        all_ours += r->ours.median_us;
        all_dnn += r->cudnn_lbl_us;
        if (u->kind != FP_UNIT_OTHER) {
            body_ours += r->ours.median_us;
            body_dnn += r->cudnn_lbl_us;
            body_floor += r->floor_us;
        }
    }
    printf("DW/PW body, sum of units: ours %.1f us, cuDNN %.1f us (%.2fx), floor %.1f us (ours at "
           "%.0f%% of floor)\n", body_ours, body_dnn, body_dnn / body_ours, body_floor,
           100 * body_floor / body_ours);
    printf("whole model, sum of units: ours %.1f us, cuDNN %.1f us (%.2fx)\n", all_ours, all_dnn,
           all_dnn / all_ours);
    printf("whole model in CUDA graphs: fused plan %.1f us, our unfused plan %.1f us, all-cuDNN "
           "%.1f us (each conv in its faster layout, conversions not counted; %.1f us all NHWC): "
           "%.2fx over cuDNN, %.2fx over unfused\n", t_ours.median_us, t_lbl.median_us,
           t_fast.median_us, t_dnn.median_us, t_fast.median_us / t_ours.median_us,
           t_lbl.median_us / t_ours.median_us);
    printf("fusions: the planner chose %d; %d measured faster than their layers run with our "
           "single-layer kernels%s%s%s\n", fused, fused_faster, *slower ? " (not: units " : "",
           slower, *slower ? ")" : "");
    printf("checks: %s (unit threshold rel L2 %.0e; whole model %.3g vs threshold %.0e)\n",
           failures ? "FAILED" : "passed", thr, whole_err, WHOLE_MODEL_THRESHOLD_F32);

    if (a.report) {
        cJSON *root = cJSON_CreateObject();
        tool_report_header(root, "fuseplan-run-report", dev, drv, rtv, date);
        cJSON_AddNumberToObject(root, "cudnn", cudnn_v);
        cJSON_AddStringToObject(root, "model", m.name);
        cJSON_AddStringToObject(root, "plan_gpu", g.id);
        cJSON_AddNumberToObject(root, "batch", p.opt.batch);
        cJSON_AddStringToObject(root, "dtype", cm_dtype_name(p.opt.dtype));
        cJSON_AddNumberToObject(root, "iters", a.iters);
        cJSON_AddNumberToObject(root, "tune", a.tune);
        cJSON_AddNumberToObject(root, "copy_gbps", copy_gbps);
        /* the efficiencies the estimates used: with the t_* parts of the plan, the
         * time model can be re-evaluated at efficiency 1 (as validate --calibrate does) */
        cJSON *cal = cJSON_AddObjectToObject(root, "calibration_used");
        cJSON *bw = cJSON_AddObjectToObject(cal, "bw_efficiency");
        cJSON *ce = cJSON_AddObjectToObject(cal, "compute_efficiency");
        for (int k = 0; k < CM_KIND_COUNT; k++) {
            cJSON_AddNumberToObject(bw, cm_kind_name((cm_kind)k), g.gpu.bw_efficiency[k]);
            cJSON_AddNumberToObject(ce, cm_kind_name((cm_kind)k), g.gpu.compute_efficiency[k]);
        }
        cJSON_AddBoolToObject(root, "checks_passed", failures == 0);
        cJSON_AddNumberToObject(root, "whole_model_rel_l2", whole_err);
        cJSON *units = cJSON_AddArrayToObject(root, "units");
        for (int i = 0; i < p.n_units; i++) {
            const fp_unit *u = &p.units[i];
            const unit_result *r = &res[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(units, o);
            cJSON_AddStringToObject(o, "kind", fp_unit_kind_name(&m, u));
            cJSON *ls = cJSON_AddArrayToObject(o, "layers");
            for (int k = 0; k < u->n_layers; k++)
                cJSON_AddItemToArray(ls, cJSON_CreateString(m.layers[u->layers[k]].name));
            if (u->residual_layer >= 0)
                cJSON_AddStringToObject(o, "residual", m.layers[u->residual_layer].name);
            if (u->variant) cJSON_AddStringToObject(o, "variant", u->variant);
            cJSON_AddBoolToObject(o, "tuned", strncmp(u->note, "tuned:", 6) == 0);
            cJSON_AddNumberToObject(o, "ours_us", r->ours.median_us);
            cJSON_AddNumberToObject(o, "ours_p10_us", r->ours.p10_us);
            cJSON_AddNumberToObject(o, "ours_p90_us", r->ours.p90_us);
            cJSON_AddNumberToObject(o, "cudnn_lbl_us", r->cudnn_lbl_us);
            cJSON_AddStringToObject(o, "cudnn_layout", r->layout);
            if (r->ours_lbl_us > 0) cJSON_AddNumberToObject(o, "ours_lbl_us", r->ours_lbl_us);
            cJSON_AddNumberToObject(o, "floor_us", r->floor_us);
            cJSON_AddNumberToObject(o, "estimate_us", u->est.time_us);
            cJSON_AddNumberToObject(o, "estimate_unfused_us", u->unfused.time_us);
            cJSON_AddNumberToObject(o, "estimate_launch_us", u->est.t_launch_us);
            cJSON_AddNumberToObject(o, "rel_l2", r->error.rel_l2);
            cJSON_AddNumberToObject(o, "max_abs", r->error.max_abs);
        }
        cJSON *t = cJSON_AddObjectToObject(root, "totals");
        cJSON_AddNumberToObject(t, "body_ours_us", body_ours);
        cJSON_AddNumberToObject(t, "body_cudnn_us", body_dnn);
        cJSON_AddNumberToObject(t, "body_floor_us", body_floor);
        cJSON_AddNumberToObject(t, "sum_ours_us", all_ours);
        cJSON_AddNumberToObject(t, "sum_cudnn_us", all_dnn);
        cJSON_AddNumberToObject(t, "graph_fused_us", t_ours.median_us);
        cJSON_AddNumberToObject(t, "graph_unfused_us", t_lbl.median_us);
        cJSON_AddNumberToObject(t, "graph_cudnn_us", t_fast.median_us);
        cJSON_AddNumberToObject(t, "graph_cudnn_nhwc_us", t_dnn.median_us);
        cJSON_AddNumberToObject(t, "fusions", fused);
        cJSON_AddNumberToObject(t, "fusions_faster", fused_faster);
        char *text = cJSON_Print(root);
        cJSON_Delete(root);
        FILE *f = text ? fopen(a.report, "w") : NULL;
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) rc = fail1("cannot write the report", a.report);
        free(text);
    }
    if (failures) rc = 1;
out:
    if (g_ours) cudaGraphExecDestroy(g_ours);
    if (g_lbl) cudaGraphExecDestroy(g_lbl);
    if (g_dnn) cudaGraphExecDestroy(g_dnn);
    if (g_fast) cudaGraphExecDestroy(g_fast);
    rt_cudnn_destroy(dnn);
    rt_buffers_destroy(&R);
    rt_buffers_destroy(&B);
    cudaStreamDestroy(s);
    free(res);
    free(lbl_owner);
    free(lbl_us);
    fp_plan_free(&lbl);
    fp_plan_free(&p);
    fp_model_free(&m);
    return rc;
}
