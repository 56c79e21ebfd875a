/* cmd_run.c - `fuseplan run`: options, the report table and the JSON report
 * of the run session (runtime/rt_run.h executes, checks and times). */
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "tool_gpu.h"
#include "rt_run.h"

#ifdef FUSEPLAN_HAVE_CUDNN
#include <cudnn.h>
#endif

/* What the report says about the machine. */
typedef struct run_env {
    char dev[256], date[32];
    int driver, runtime, cudnn;
} run_env;

/* Sums of the unit table. */
typedef struct run_sums {
    double body_ours, body_dnn, body_floor, all_ours, all_dnn;
    int fused, fused_faster;
    char slower[1024]; /* fused units slower than their layers */
} run_sums;

static void log_line(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "fuseplan run: %s\n", line);
}

/* The unit's kernel variant name (the one identity), "-" for other units. */
static const char *variant_name(const fp_unit *u) {
    if (u->kind == FP_UNIT_OTHER) return "-";
    const cm_variant *v = cm_variant_of(&u->cu, &u->tile);
    return v ? v->name : "?";
}

static void print_units(const fp_model *m, const fp_plan *p, const rt_run_result *r, run_sums *s) {
    printf("%3s %-7s %-8s %-34s %-32s %9s %9s %9s %8s %9s %7s %10s %10s  %s\n", "#", "kind", "by",
           "layers", "variant", "ours", "p10-p90", "cuDNN", "speedup", "our LBL", "vs LBL", "floor",
           "% floor", "cuDNN layout");
    memset(s, 0, sizeof *s);
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        const rt_run_unit_result *x = &r->units[i];
        char names[256], spread[32], lblc[16] = "-", vs[16] = "-";
        tool_unit_name(m, u, names, sizeof names);
        snprintf(spread, sizeof spread, "%.1f-%.1f", x->ours.p10_us, x->ours.p90_us);
        if (x->ours_lbl_us > 0) {
            snprintf(lblc, sizeof lblc, "%.2f", x->ours_lbl_us);
            snprintf(vs, sizeof vs, "%.2fx", x->ours_lbl_us / x->ours.median_us);
            s->fused++;
            if (x->ours.median_us < x->ours_lbl_us) s->fused_faster++;
            else {
                size_t at = strlen(s->slower);
                snprintf(s->slower + at, sizeof s->slower - at, "%s%d", at ? ", " : "", i);
            }
        }
        printf("%3d %-7s %-8s %-34.34s %-32.32s %9.2f %9s %9.2f %7.2fx %9s %7s %10.2f %9.0f%%  %s\n",
               i, fp_unit_kind_name(m, u), fp_unit_backend(m, u), names, variant_name(u),
               x->ours.median_us, spread, x->cudnn_lbl_us, x->cudnn_lbl_us / x->ours.median_us, lblc,
               vs, x->floor_us, 100.0 * x->floor_us / x->ours.median_us, x->layout);
        s->all_ours += x->ours.median_us;
        s->all_dnn += x->cudnn_lbl_us;
        if (u->kind != FP_UNIT_OTHER) {
            s->body_ours += x->ours.median_us;
            s->body_dnn += x->cudnn_lbl_us;
            s->body_floor += x->floor_us;
        }
    }
}

static void print_report(const fp_model *m, const fp_gpu_spec *g, const fp_plan *p,
                         const tool_options *o, const run_env *e, const rt_run_result *r,
                         run_sums *s) {
    printf("fuseplan run: %s on %s (plan for %s), batch %d, %s; %s; driver %d, CUDA runtime %d, "
           "cuDNN %d; commit %s\n", m->name, e->dev, g->id, p->opt.batch, cm_dtype_name(p->opt.dtype),
           e->date, e->driver, e->runtime, e->cudnn, tool_commit());
    printf("copy bandwidth %.0f GB/s (read+write); times are medians of %d runs, in us\n",
           r->copy_gbps, o->iters);
    print_units(m, p, r, s);
    printf("DW/PW body, sum of units: ours %.1f us, cuDNN %.1f us (%.2fx), floor %.1f us (ours at "
           "%.0f%% of floor)\n", s->body_ours, s->body_dnn, s->body_dnn / s->body_ours, s->body_floor,
           100 * s->body_floor / s->body_ours);
    printf("whole model, sum of units: ours %.1f us, cuDNN %.1f us (%.2fx)\n", s->all_ours, s->all_dnn,
           s->all_dnn / s->all_ours);
    printf("whole model in CUDA graphs: fused plan %.1f us, our unfused plan %.1f us, all-cuDNN "
           "%.1f us (each conv in its faster layout, conversions not counted; %.1f us all NHWC): "
           "%.2fx over cuDNN, %.2fx over unfused\n", r->graph_fused.median_us,
           r->graph_unfused.median_us, r->graph_cudnn.median_us, r->graph_cudnn_nhwc.median_us,
           r->graph_cudnn.median_us / r->graph_fused.median_us,
           r->graph_unfused.median_us / r->graph_fused.median_us);
    printf("fusions: the planner chose %d; %d measured faster than their layers run with our "
           "single-layer kernels%s%s%s\n", s->fused, s->fused_faster, *s->slower ? " (not: units " : "",
           s->slower, *s->slower ? ")" : "");
    printf("checks: %s (unit threshold rel L2 %.0e; whole model %.3g vs threshold %.0e)\n",
           r->failures ? "FAILED" : "passed", r->unit_threshold, r->whole_rel_l2, r->model_threshold);
}

static cJSON *unit_json(const fp_model *m, const fp_unit *u, const rt_run_unit_result *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", fp_unit_kind_name(m, u));
    cJSON_AddStringToObject(o, "by", fp_unit_backend(m, u));
    cJSON *ls = cJSON_AddArrayToObject(o, "layers");
    for (int k = 0; k < u->n_layers; k++)
        cJSON_AddItemToArray(ls, cJSON_CreateString(m->layers[u->layers[k]].name));
    if (u->residual_layer >= 0) cJSON_AddStringToObject(o, "residual", m->layers[u->residual_layer].name);
    if (u->kind != FP_UNIT_OTHER) cJSON_AddStringToObject(o, "variant", variant_name(u));
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
    return o;
}

static int write_report(const fp_model *m, const fp_gpu_spec *g, const fp_plan *p,
                        const tool_options *o, const run_env *e, const rt_run_result *r,
                        const run_sums *s) {
    cJSON *root = cJSON_CreateObject();
    tool_report_header(root, "fuseplan-run-report", e->dev, e->driver, e->runtime, e->date);
    cJSON_AddNumberToObject(root, "cudnn", e->cudnn);
    cJSON_AddStringToObject(root, "model", m->name);
    cJSON_AddStringToObject(root, "plan_gpu", g->id);
    cJSON_AddNumberToObject(root, "batch", p->opt.batch);
    cJSON_AddStringToObject(root, "dtype", cm_dtype_name(p->opt.dtype));
    cJSON_AddNumberToObject(root, "iters", o->iters);
    cJSON_AddNumberToObject(root, "tune", o->tune);
    cJSON_AddNumberToObject(root, "copy_gbps", r->copy_gbps);
    /* the efficiencies the estimates used: with the t_* parts of the plan, the
     * time model can be re-evaluated at efficiency 1 (as validate --calibrate does) */
    cJSON *cal = cJSON_AddObjectToObject(root, "calibration_used");
    cJSON *bw = cJSON_AddObjectToObject(cal, "bw_efficiency");
    cJSON *ce = cJSON_AddObjectToObject(cal, "compute_efficiency");
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        cJSON_AddNumberToObject(bw, cm_kind_name((cm_kind)k), g->gpu.bw_efficiency[k]);
        cJSON_AddNumberToObject(ce, cm_kind_name((cm_kind)k), g->gpu.compute_efficiency[k]);
    }
    cJSON_AddBoolToObject(root, "checks_passed", r->failures == 0);
    cJSON_AddNumberToObject(root, "whole_model_rel_l2", r->whole_rel_l2);
    cJSON *units = cJSON_AddArrayToObject(root, "units");
    for (int i = 0; i < p->n_units; i++) cJSON_AddItemToArray(units, unit_json(m, &p->units[i], &r->units[i]));
    cJSON *t = cJSON_AddObjectToObject(root, "totals");
    cJSON_AddNumberToObject(t, "body_ours_us", s->body_ours);
    cJSON_AddNumberToObject(t, "body_cudnn_us", s->body_dnn);
    cJSON_AddNumberToObject(t, "body_floor_us", s->body_floor);
    cJSON_AddNumberToObject(t, "sum_ours_us", s->all_ours);
    cJSON_AddNumberToObject(t, "sum_cudnn_us", s->all_dnn);
    cJSON_AddNumberToObject(t, "graph_fused_us", r->graph_fused.median_us);
    cJSON_AddNumberToObject(t, "graph_unfused_us", r->graph_unfused.median_us);
    cJSON_AddNumberToObject(t, "graph_cudnn_us", r->graph_cudnn.median_us);
    cJSON_AddNumberToObject(t, "graph_cudnn_nhwc_us", r->graph_cudnn_nhwc.median_us);
    cJSON_AddNumberToObject(t, "fusions", s->fused);
    cJSON_AddNumberToObject(t, "fusions_faster", s->fused_faster);
    int rc = tool_write_json("run", "the report", o->report, root, true, false);
    cJSON_Delete(root);
    return rc;
}

/* The session, then the table, the plan as executed and the report. */
static int run_and_report(fp_model *m, fp_gpu_spec *g, fp_plan *p, const tool_options *o) {
    rt_run_config cfg = {o->iters, o->tune, log_line, NULL};
    rt_run_result r;
    char err[2048];
    fk_status st = rt_run_session(m, g, p, &cfg, &r, err, sizeof err);
    int rc = 0;
    if (st != FK_OK) {
        fprintf(stderr, "fuseplan run: %s\n", err);
        rc = 1;
    }
    if (!rc && o->save_plan) {
        char *json = fp_plan_to_json(p, m);
        rc = tool_write_file("run", "the plan", o->save_plan, json, false);
        free(json);
    }
    if (!rc) {
        run_env e;
        memset(&e, 0, sizeof e);
        rt_device_info(e.dev, sizeof e.dev, &e.driver, &e.runtime);
#ifdef FUSEPLAN_HAVE_CUDNN
        e.cudnn = (int)cudnnGetVersion();
#endif
        tool_utc_now(e.date, sizeof e.date, false);
        run_sums s;
        print_report(m, g, p, o, &e, &r, &s);
        if (o->report) rc = write_report(m, g, p, o, &e, &r, &s);
        if (r.failures) rc = 1;
    }
    rt_run_result_free(&r);
    return rc;
}

static int run_run(const tool_options *o) {
    int ndev = 0;
    cudaError_t ce = cudaGetDeviceCount(&ndev);
    if (ce != cudaSuccess || ndev == 0) {
        fprintf(stderr, "fuseplan run: no CUDA device: %s\n",
                ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices");
        return 1;
    }
    fp_model m;
    fp_gpu_spec g;
    fp_plan p;
    tool_input in = {o->n_pos ? o->pos[0] : NULL, o->gpu, o->batch, o->batch_set, o->dtype, o->dtype_set};
    int rc = tool_prepare("run", &in, &m, &g, &p);
    if (rc) return rc;
    if (p.opt.dtype != CM_F32) {
        fprintf(stderr, "fuseplan run: %s plans cannot run yet: the backend has fp32 kernels only\n",
                cm_dtype_name(p.opt.dtype));
        rc = 1;
    } else {
        rc = run_and_report(&m, &g, &p, o);
    }
    fp_plan_free(&p);
    fp_model_free(&m);
    return rc;
}

const tool_command tool_cmd_run = {
    "run", TOOL_RUN, "[PLAN.json | MODEL]", 0, 1, "PLAN or MODEL",
    "execute a plan on the GPU, check it against cuDNN, report speedups",
    "Executes a plan on the local GPU (a model is planned first; default mobilenet_v2\n"
    "on h100_sxm), checks every unit's output against cuDNN run on the same input and\n"
    "the whole model against an all-cuDNN execution (outputs poisoned first), then\n"
    "times every unit (median of K >= 50 runs), the cuDNN layer-by-layer baseline\n"
    "(best algorithm, faster of NHWC and NCHW, strict FP32) and both whole models in\n"
    "CUDA graphs, and prints the report (column \"by\": fuseplan or cudnn runs the\n"
    "unit). Exit 1 on a failed check or without a GPU. --tune N first times each\n"
    "kernel unit with the cost model's N best tiles and keeps the fastest measured\n"
    "one (the model shortlists, the GPU decides); --save-plan writes the plan as\n"
    "executed (tuned tiles included). --batch and --dtype apply to a MODEL only.",
    run_run,
};
