/* cmd_run.c - `fuseplan run`: options, the report table and the JSON report
 * of the run session (runtime/rt_run.h executes, checks and times). */
#include <cuda_runtime_api.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "tool_gpu.h"
#include "tool_progress.h"
#include "rt_run.h"


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

/* Log lines go above the progress line: erase it first (it redraws). */
static void log_line(void *ctx, const char *line) {
    tool_progress_clear(ctx);
    fprintf(stderr, "fuseplan run: %s\n", line);
}

static void on_progress(void *ctx, const char *stage, int done, int total) {
    tool_progress_update(ctx, stage, done, total);
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
               i, fp_unit_kind_name(m, u), x->by, names, variant_name(u),
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
    /* the conv units: who ran them and why (measured, or not ours to run) */
    for (int i = 0; i < p->n_units; i++)
        if (*r->units[i].by_note)
            printf("    unit %d (%s) by %s: %s\n", i, m->layers[p->units[i].layers[0]].name,
                   r->units[i].by, r->units[i].by_note);
}

/* Joules per inference of one window (0 inferences: 0). */
static double joules_per_inf(const rt_run_energy *e) {
    return e->inferences ? e->joules / (double)e->inferences : 0;
}
static double watts(const rt_run_energy *e) { return e->seconds > 0 ? e->joules / e->seconds : 0; }

static void print_energy(const rt_run_result *r) {
    if (!r->energy_supported) {
        printf("energy: not measured: %s\n",
               *r->energy_reason ? r->energy_reason : "not asked for (--no-energy)");
        return;
    }
    const rt_run_energy *e[3] = {&r->energy_fused, &r->energy_unfused, &r->energy_cudnn};
    printf("energy per inference (NVML counter, period %.1f ms; windows of >= %.1f s): fused plan "
           "%.3f mJ (%.0f W), our unfused plan %.3f mJ (%.0f W), all-cuDNN %.3f mJ (%.0f W): %.2fx "
           "less than cuDNN\n", r->energy_period_ms, e[0]->seconds, 1e3 * joules_per_inf(e[0]),
           watts(e[0]), 1e3 * joules_per_inf(e[1]), watts(e[1]), 1e3 * joules_per_inf(e[2]), watts(e[2]),
           joules_per_inf(e[2]) / joules_per_inf(e[0]));
}

static void print_report(const fp_model *m, const fp_gpu_spec *g, const fp_plan *p,
                         const tool_options *o, const run_env *e, const rt_run_result *r,
                         run_sums *s) {
    printf("fuseplan run: %s on %s (plan for %s), batch %d, %s %s; %s; driver %d, CUDA runtime %d, "
           "cuDNN %d; commit %s\n", m->name, e->dev, g->id, p->opt.batch, cm_dtype_name(p->opt.dtype),
           cm_math_name(p->opt.math), e->date, e->driver, e->runtime, e->cudnn, tool_commit());
    char s1[1024], s2[1024];
    if (m->weights) printf("weights: file %s", tool_safe(m->weights, s1, sizeof s1));
    else printf("weights: random (seed %d)", RT_RUN_SEED);
    if (o->input) printf("; input: file %s (float32 NCHW)", tool_safe(o->input, s2, sizeof s2));
    else printf("; input: random (seed %d)", RT_RUN_SEED);
    if (o->output) printf("; output %s written from the fused plan", tool_safe(o->output, s1, sizeof s1));
    printf("\n");
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
    printf("checks: %s (unit threshold rel L2 up to %.1e; whole model %.3g vs threshold %.1e)\n",
           r->failures ? "FAILED" : "passed", r->unit_threshold, r->whole_rel_l2, r->model_threshold);
    if (r->whole_rel_l2_fp32 >= 0) /* dtype: what the precision costs */
        printf("whole model in %s %s against strict fp32 (all-cuDNN, same inputs): rel L2 %.3g\n",
               cm_dtype_name(p->opt.dtype), cm_math_name(p->opt.math), r->whole_rel_l2_fp32);
    print_energy(r);
}

static cJSON *unit_json(const fp_model *m, const fp_unit *u, const rt_run_unit_result *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", fp_unit_kind_name(m, u));
    cJSON_AddStringToObject(o, "by", r->by);
    if (*r->by_note) cJSON_AddStringToObject(o, "by_note", r->by_note);
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
    /* the roofline's coordinates (fuseplan report): the cost model's FLOPs
     * (halo recompute included) and compulsory bytes of the unit */
    cJSON_AddNumberToObject(o, "flops", u->est.flops_cuda + u->est.flops_tensor);
    cJSON_AddNumberToObject(o, "min_bytes", (double)u->est.min_bytes);
    cJSON_AddNumberToObject(o, "estimate_dram_bytes", (double)(u->est.dram_read_bytes + u->est.dram_write_bytes));
    cJSON_AddNumberToObject(o, "estimate_us", u->est.time_us);
    cJSON_AddNumberToObject(o, "estimate_unfused_us", u->unfused.time_us);
    cJSON_AddNumberToObject(o, "estimate_launch_us", u->est.t_launch_us);
    cJSON_AddNumberToObject(o, "rel_l2", r->error.rel_l2);
    cJSON_AddNumberToObject(o, "threshold", r->threshold);
    cJSON_AddNumberToObject(o, "max_abs", r->error.max_abs);
    return o;
}

/* The GPU's peaks as the plan's spec gives them: the roofline's lines. */
static void add_peaks(cJSON *root, const fp_gpu_spec *g) {
    cJSON *k = cJSON_AddObjectToObject(root, "gpu_peaks");
    cJSON_AddStringToObject(k, "spec", g->id);
    cJSON_AddNumberToObject(k, "dram_gbps", g->gpu.dram_gbps);
    cJSON_AddNumberToObject(k, "l2_gbps", g->gpu.l2_gbps);
    cJSON_AddNumberToObject(k, "fp32_tflops", g->gpu.fp32_tflops);
    cJSON_AddNumberToObject(k, "tc_tf32_tflops", g->gpu.tc_tf32_tflops);
    cJSON_AddNumberToObject(k, "tc_fp16_tflops", g->gpu.tc_fp16_tflops);
    cJSON_AddNumberToObject(k, "tc_bf16_tflops", g->gpu.tc_bf16_tflops);
    cJSON_AddNumberToObject(k, "tc_int8_tops", g->gpu.tc_int8_tops);
}

static void add_window(cJSON *en, const char *name, const rt_run_energy *e) {
    cJSON *o = cJSON_AddObjectToObject(en, name);
    cJSON_AddNumberToObject(o, "joules_per_inference", joules_per_inf(e));
    cJSON_AddNumberToObject(o, "watts", watts(e));
    cJSON_AddNumberToObject(o, "joules", e->joules);
    cJSON_AddNumberToObject(o, "seconds", e->seconds);
    cJSON_AddNumberToObject(o, "inferences", (double)e->inferences);
}

static void add_energy(cJSON *root, const rt_run_result *r) {
    cJSON *en = cJSON_AddObjectToObject(root, "energy");
    cJSON_AddBoolToObject(en, "supported", r->energy_supported);
    if (!r->energy_supported) {
        cJSON_AddStringToObject(en, "reason",
                                *r->energy_reason ? r->energy_reason : "not asked for (--no-energy)");
        return;
    }
    cJSON_AddStringToObject(en, "source", "nvmlDeviceGetTotalEnergyConsumption");
    cJSON_AddNumberToObject(en, "counter_period_ms", r->energy_period_ms);
    add_window(en, "fused", &r->energy_fused);
    add_window(en, "unfused", &r->energy_unfused);
    add_window(en, "cudnn", &r->energy_cudnn);
}

/* "input" / "weights": {"source": "file", "file": PATH, "layout": ...} or
 * {"source": "random", "seed": N}. */
static void add_source(cJSON *root, const char *name, const char *file, const char *layout) {
    cJSON *o = cJSON_AddObjectToObject(root, name);
    cJSON_AddStringToObject(o, "source", file ? "file" : "random");
    if (file) {
        cJSON_AddStringToObject(o, "file", file);
        cJSON_AddStringToObject(o, "layout", layout);
    } else {
        cJSON_AddNumberToObject(o, "seed", RT_RUN_SEED);
    }
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
    add_source(root, "weights", m->weights, "fuseplan weights file (docs/formats.md)");
    add_source(root, "input", o->input, "NCHW float32");
    if (o->output) {
        cJSON *out = cJSON_AddObjectToObject(root, "output");
        cJSON_AddStringToObject(out, "file", o->output);
        cJSON_AddStringToObject(out, "tensor", m->tensors[m->outputs[0]].name);
        cJSON_AddStringToObject(out, "layout", "NCHW float32");
        cJSON_AddNumberToObject(out, "elements", (double)r->output_count);
        cJSON_AddStringToObject(out, "from", "fused plan");
    }
    cJSON_AddNumberToObject(root, "iters", o->iters);
    cJSON_AddNumberToObject(root, "tune", o->tune);
    cJSON_AddNumberToObject(root, "copy_gbps", r->copy_gbps);
    /* the efficiencies the estimates used: with the t_* parts of the plan, the
     * time model can be re-evaluated at efficiency 1 (as validate --calibrate
     * does). Per kind, the (kind, math) group this plan's units read: the
     * plan's math, SIMT for a DW (cm_eff_math). */
    cJSON *cal = cJSON_AddObjectToObject(root, "calibration_used");
    cJSON_AddStringToObject(cal, "math", cm_math_name(p->opt.math));
    cJSON *bw = cJSON_AddObjectToObject(cal, "bw_efficiency");
    cJSON *ce = cJSON_AddObjectToObject(cal, "compute_efficiency");
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        const cm_math em = cm_eff_math((cm_kind)k, p->opt.math);
        cJSON_AddNumberToObject(bw, cm_kind_name((cm_kind)k), g->gpu.bw_efficiency[k][em]);
        cJSON_AddNumberToObject(ce, cm_kind_name((cm_kind)k), g->gpu.compute_efficiency[k][em]);
    }
    cJSON_AddStringToObject(root, "math", cm_math_name(p->opt.math));
    add_peaks(root, g);
    cJSON_AddBoolToObject(root, "checks_passed", r->failures == 0);
    cJSON_AddNumberToObject(root, "whole_model_rel_l2", r->whole_rel_l2);
    cJSON_AddNumberToObject(root, "whole_model_threshold", r->model_threshold);
    if (r->whole_rel_l2_fp32 >= 0)
        cJSON_AddNumberToObject(root, "whole_model_rel_l2_vs_fp32", r->whole_rel_l2_fp32);
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
    add_energy(root, r);
    int rc = tool_write_json("run", "the report", o->report, root, true, false);
    cJSON_Delete(root);
    return rc;
}

/* n floats to path, every write and the close checked. */
static int write_floats(const char *path, const float *v, size_t n) {
    errno = 0;
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(v, sizeof(float), n, f) == n && fflush(f) == 0;
    int e = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok) return 0;
    char safe[1024];
    fprintf(stderr, "fuseplan run: cannot write the output %s: %s\n", tool_safe(path, safe, sizeof safe),
            e ? strerror(e) : "write error");
    return 1;
}

/* The session, then the table, the plan as executed, the report and the
 * output tensor (input: the --input tensor as NHWC float32, or NULL). */
static int run_and_report(fp_model *m, fp_gpu_spec *g, fp_plan *p, const tool_options *o,
                          const float *input) {
    tool_progress pg;
    tool_progress_init(&pg, "run", o->quiet);
    rt_run_config cfg = {.iters = o->iters, .tune = o->tune, .log = log_line, .log_ctx = &pg,
                         .progress = on_progress, .progress_ctx = &pg, .energy = !o->no_energy,
                         .input_nhwc = input, .want_output = o->output != NULL};
    rt_run_result r;
    char err[2048];
    fk_status st = rt_run_session(m, g, p, &cfg, &r, err, sizeof err);
    tool_progress_clear(&pg);
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
        e.cudnn = rt_cudnn_version();
        tool_utc_now(e.date, sizeof e.date, false);
        run_sums s;
        print_report(m, g, p, o, &e, &r, &s);
        if (o->report) rc = write_report(m, g, p, o, &e, &r, &s);
        /* written after the checks, also when one failed (exit 1 says so) */
        if (!rc && o->output) rc = write_floats(o->output, r.output, r.output_count);
        if (r.failures) rc = 1;
    }
    rt_run_result_free(&r);
    return rc;
}

static int run_run(const tool_options *o) {
    fp_model m;
    fp_gpu_spec g;
    fp_plan p;
    /* every input read and checked before the device is touched: bad input
     * is exit 2 with its message on any machine */
    if (o->input && strcmp(o->input, "-") == 0)
        return tool_usage_error("run", "--input: standard input is not read; give a file");
    if (o->output && strcmp(o->output, "-") == 0)
        return tool_usage_error("run", "--output: standard output carries the report table; give a file");
    const char *inputs[3] = {o->n_pos ? o->pos[0] : NULL, o->gpu, o->input};
    int rc = tool_refuse_overwrite("run", "--report", o->report, inputs, 3);
    if (!rc) rc = tool_refuse_overwrite("run", "--save-plan", o->save_plan, inputs, 3);
    if (!rc) rc = tool_refuse_overwrite("run", "--output", o->output, inputs, 3);
    const char *outs[3] = {o->report, o->save_plan, o->output}, *names[3] = {"--report", "--save-plan",
                                                                           "--output"};
    for (int i = 0; i < 3 && !rc; i++)
        for (int j = i + 1; j < 3 && !rc; j++)
            if (outs[i] && outs[j] && tool_same_file(outs[i], outs[j]))
                rc = tool_usage_error("run", "%s and %s name the same file %s", names[i], names[j], outs[i]);
    for (int i = 0; i < 3 && !rc; i++) rc = tool_check_writable("run", names[i], outs[i]);
    if (rc) return rc;
    tool_input in = {o->n_pos ? o->pos[0] : NULL, o->gpu, o->batch, o->batch_set, o->dtype, o->dtype_set,
                     o->plan.math, o->math_set};
    rc = tool_prepare("run", &in, &m, &g, &p);
    if (rc) return rc;
    /* the files the model named (its weights; a plan's model) are inputs too */
    const char *more[2] = {m.weights, m.path};
    for (int i = 0; i < 3 && !rc; i++) rc = tool_refuse_overwrite("run", names[i], outs[i], more, 2);
    float *input = NULL;
    if (rc) {
        /* refused above */
    } else if (p.opt.dtype != CM_F32 && p.opt.dtype != CM_F16 && p.opt.dtype != CM_BF16) {
        fprintf(stderr, "fuseplan run: %s plans cannot run: the runtime's element types are fp32, "
                "fp16 and bf16\n", cm_dtype_name(p.opt.dtype));
        rc = 1;
    } else {
        char err[1024], safe[2048];
        /* the input tensor is read and checked (size, values) before the device too */
        if (o->input && rt_input_read_nchw(&m, p.opt.batch, o->input, &input, err, sizeof err) != FK_OK) {
            fprintf(stderr, "fuseplan run: --input %s\n", tool_safe(err, safe, sizeof safe));
            rc = 2;
        }
        if (!rc) rc = tool_need_device("run");
        if (!rc) rc = run_and_report(&m, &g, &p, o, input);
    }
    free(input);
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
    "(best algorithm, faster of NHWC and NCHW, in the plan's dtype and math: strict\n"
    "FP32, TF32, fp16/bf16 tensor ops) and both whole models in\n"
    "CUDA graphs, and prints the report (column \"by\": fuseplan or cudnn runs the\n"
    "unit). Exit 1 on a failed check or without a GPU. --tune N first times each\n"
    "kernel unit with the cost model's N best tiles and keeps the fastest measured\n"
    "one (the model shortlists, the GPU decides); --save-plan writes the plan as\n"
    "executed (tuned tiles included). --batch, --dtype and --math apply to a MODEL\n"
    "only; fp16, bf16 and tf32 runs also report the whole model's error against\n"
    "strict fp32. Weights come from the model's weights file (an imported .onnx\n"
    "has one) or are random with a fixed seed; the input is random with a fixed\n"
    "seed unless --input FILE gives it: raw little-endian float32 in NCHW order\n"
    "(PyTorch's layout), exactly batch*C*H*W values, converted to NHWC and to the\n"
    "plan's dtype. --output FILE writes the model's first output as the fused plan\n"
    "computed it, raw float32, NCHW ([N][C] for a dense output), after the checks\n"
    "(docs/runtime.md, \"Given input, written output\").",
    run_run,
};
