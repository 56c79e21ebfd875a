/* report_run.c - the run-report section of `fuseplan report`: whole-model
 * summary, energy, per-unit bars and the roofline (docs/report.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_common.h"

/* The whole-model rows: totals member, label, bar class. */
static const struct {
    const char *key, *name, *cls;
} WHOLE[] = {
    {"graph_fused_us", "fused plan", "ours"},
    {"graph_unfused_us", "our unfused plan", "unfused"},
    {"graph_cudnn_us", "all-cuDNN (faster layout per conv)", "cudnn"},
    {"graph_cudnn_nhwc_us", "all-cuDNN NHWC", "nhwc"},
};
#define N_WHOLE 4

/* The energy rows: member of "energy" and label. */
static const struct {
    const char *key, *name;
} ENERGY[] = {{"fused", "fused plan"}, {"unfused", "our unfused plan"}, {"cudnn", "all-cuDNN"}};
#define N_ENERGY 3

static void para(svg_buf *b, const char *text) {
    svg_raw(b, "<p class=\"note\">");
    svg_esc(b, text);
    svg_raw(b, "</p>\n");
}

/* ---- whole model ---- */

static bool whole_model(svg_buf *b, const rep_doc *d, rep_err *e) {
    const cJSON *t = rep_obj(d, d->root, "", "totals", true, e);
    const cJSON *peers = rep_arr(d, d->root, "", "peers", false, e);
    if (e->set) return false;
    rep_bar bars[N_WHOLE + 16];
    int n = 0;
    for (int i = 0; i < N_WHOLE; i++)
        bars[n++] = (rep_bar){WHOLE[i].name, rep_time(d, t, "totals", WHOLE[i].key, true, e), WHOLE[i].cls};
    char pp[64];
    int pi = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, peers) { /* the PyTorch peers, when a driver added them */
        snprintf(pp, sizeof pp, "peers[%d]", pi++);
        if (n < N_WHOLE + 16)
            bars[n++] = (rep_bar){rep_str(d, p, pp, "name", true, e), rep_time(d, p, pp, "us", true, e), "peer"};
    }
    if (e->set) return false;
    svg_raw(b, "<h3>Whole model (CUDA graph replays, median)</h3>\n<table class=\"whole\">\n<tr>");
    rep_th(b, "execution");
    rep_th(b, "time");
    rep_th(b, "vs fused plan");
    svg_raw(b, "</tr>\n");
    for (int i = 0; i < n; i++) {
        svg_raw(b, "<tr>");
        rep_td_text(b, bars[i].name);
        rep_td_num(b, bars[i].value, "us");
        char x[32];
        snprintf(x, sizeof x, "%.2fx", bars[i].value / bars[0].value);
        rep_td_text(b, x);
        svg_raw(b, "</tr>\n");
    }
    svg_raw(b, "</table>\n");
    rep_bars(b, "Whole model", "time per inference (us)", bars, n, "whole");
    return true;
}

/* ---- energy ---- */

static bool energy(svg_buf *b, const rep_doc *d, rep_err *e) {
    svg_raw(b, "<h3>Energy per inference (NVML total-energy counter)</h3>\n");
    const cJSON *en = rep_obj(d, d->root, "", "energy", false, e);
    if (e->set) return false;
    if (!en) {
        para(b, "No energy in this report: it was made by a fuseplan that did not measure energy.");
        return true;
    }
    const cJSON *sup = cJSON_GetObjectItemCaseSensitive(en, "supported");
    if (!cJSON_IsTrue(sup)) {
        char msg[400];
        snprintf(msg, sizeof msg, "Energy not measured: %s", rep_str(d, en, "energy", "reason", true, e));
        para(b, msg);
        return !e->set;
    }
    double period = rep_num(d, en, "energy", "counter_period_ms", false, e);
    rep_bar bars[N_ENERGY];
    svg_raw(b, "<table class=\"energy\">\n<tr>");
    rep_th(b, "execution");
    rep_th(b, "energy per inference");
    rep_th(b, "average power");
    rep_th(b, "window");
    rep_th(b, "inferences");
    svg_raw(b, "</tr>\n");
    for (int i = 0; i < N_ENERGY; i++) {
        char path[64];
        snprintf(path, sizeof path, "energy.%s", ENERGY[i].key);
        const cJSON *x = rep_obj(d, en, "energy", ENERGY[i].key, true, e);
        double j = rep_num(d, x, path, "joules_per_inference", true, e);
        double w = rep_num(d, x, path, "watts", true, e);
        double s = rep_num(d, x, path, "seconds", true, e);
        double r = rep_num(d, x, path, "inferences", true, e);
        if (e->set) return false;
        bars[i] = (rep_bar){ENERGY[i].name, j * 1e3, "energy"};
        svg_raw(b, "<tr>");
        rep_td_text(b, ENERGY[i].name);
        rep_td_num(b, j * 1e3, "mJ");
        rep_td_num(b, w, "W");
        rep_td_num(b, s, "s");
        rep_td_num(b, r, "");
        svg_raw(b, "</tr>\n");
    }
    svg_raw(b, "</table>\n");
    char note[200];
    char pv[32];
    snprintf(note, sizeof note, "The counter advanced every %s ms on this GPU (measured before the "
             "windows); each window replays the whole model for at least 1 s.", svg_val(period, pv, sizeof pv));
    para(b, note);
    rep_bars(b, "Energy per inference", "energy per inference (mJ)", bars, N_ENERGY, "energy");
    return true;
}

/* ---- per-unit bars ---- */

typedef struct unit_row {
    char name[160];
    double v[4]; /* ours, our unfused (NAN when not a fused unit), cuDNN, floor */
    double flops, bytes;
    bool fused;
} unit_row;

static const char *const UNIT_CLS[4] = {"ours", "unfused", "cudnn", "floor"};
static const char *const UNIT_WHAT[4] = {"ours", "our unfused layers", "cuDNN", "byte floor"};
static const char *const UNIT_KEY[4] = {"ours_us", "ours_lbl_us", "cudnn_lbl_us", "floor_us"};

/* Unit i of the report into r (copy_gbps turns floor_us back into bytes for
 * reports made before min_bytes was written). */
static bool read_unit(const rep_doc *d, const cJSON *u, int i, double copy_gbps, unit_row *r, rep_err *e) {
    char path[32];
    snprintf(path, sizeof path, "units[%d]", i);
    const cJSON *ls = rep_arr(d, u, path, "layers", true, e);
    const char *kind = rep_str(d, u, path, "kind", true, e);
    if (e->set) return false;
    int at = snprintf(r->name, sizeof r->name, "#%d %s ", i, kind);
    const cJSON *l;
    bool first = true;
    cJSON_ArrayForEach(l, ls) {
        if (at < (int)sizeof r->name && cJSON_IsString(l))
            at += snprintf(r->name + at, sizeof r->name - (size_t)at, "%s%s", first ? "" : "+", l->valuestring);
        first = false;
    }
    for (int k = 0; k < 4; k++) r->v[k] = rep_time(d, u, path, UNIT_KEY[k], k != 1, e);
    r->fused = isfinite(r->v[1]);
    r->flops = rep_num(d, u, path, "flops", false, e);
    r->bytes = rep_num(d, u, path, "min_bytes", false, e);
    if (!isfinite(r->bytes)) r->bytes = r->v[3] * copy_gbps * 1e3; /* floor_us = bytes / copy bandwidth */
    return !e->set;
}

#define UNITS_LEFT 260
#define UNITS_W 330
#define UNIT_ROW 26

static void unit_chart(svg_buf *b, const unit_row *rows, int n) {
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            if (rows[i].v[k] > 0) {
                lo = fmin(lo, rows[i].v[k]);
                hi = fmax(hi, rows[i].v[k]);
            }
    svg_axis x = {isfinite(lo) ? lo : 0.1, hi > 0 ? hi : 1, true, UNITS_LEFT, UNITS_LEFT + UNITS_W};
    svg_axis_nice(&x);
    svg_axis y = {0, 1, false, 30 + n * UNIT_ROW, 24};
    svg_open(b, UNITS_LEFT + UNITS_W + 20, 30 + n * UNIT_ROW + 44, "chart units", "Per-unit times");
    svg_text(b, 8, 16, "start", "chart-title", "Per-unit times, graph order (log scale)");
    svg_axes(b, &x, &y, "time (us, log scale)", NULL);
    for (int i = 0; i < n; i++) {
        const unit_row *r = &rows[i];
        double top = 30 + i * UNIT_ROW + 2;
        char ex[4][40];
        svg_rawf(b, "<g class=\"unit\" data-unit=\"%d\" data-ours-us=\"%s\" data-unfused-us=\"%s\" "
                    "data-cudnn-us=\"%s\" data-floor-us=\"%s\">\n", i, svg_exact(r->v[0], ex[0], 40),
                 svg_exact(r->v[1], ex[1], 40), svg_exact(r->v[2], ex[2], 40), svg_exact(r->v[3], ex[3], 40));
        svg_text(b, UNITS_LEFT - 6, top + 14, "end", "row-label", r->name);
        for (int k = 0; k < 4; k++) {
            if (!(r->v[k] > 0)) continue;
            char tip[256], num[32];
            snprintf(tip, sizeof tip, "%s: %s %s us", r->name, UNIT_WHAT[k], svg_val(r->v[k], num, sizeof num));
            svg_rect(b, UNITS_LEFT, top + k * 5.5, svg_map(&x, r->v[k]) - UNITS_LEFT, 5, UNIT_CLS[k], tip);
        }
        svg_raw(b, "</g>\n");
    }
    svg_close(b);
}

static void unit_legend(svg_buf *b) {
    svg_raw(b, "<div class=\"legend\">");
    for (int k = 0; k < 4; k++)
        svg_rawf(b, " <svg width=\"10\" height=\"10\" style=\"display:inline\"><rect class=\"%s\" "
                    "width=\"10\" height=\"10\"/></svg> %s", UNIT_CLS[k], UNIT_WHAT[k]);
    svg_raw(b, "</div>\n");
}

/* ---- roofline ---- */

typedef struct roof_line {
    const char *name;
    double gflops; /* compute peak, GFLOP/s */
} roof_line;

/* The compute peak of the run's dtype and math (what its kernels can use). */
static const char *own_peak(const char *dtype, const char *math) {
    bool tc = strcmp(math, "tc") == 0;
    if (!tc) return "fp32_tflops";
    if (strcmp(dtype, "fp16") == 0) return "tc_fp16_tflops";
    if (strcmp(dtype, "bf16") == 0) return "tc_bf16_tflops";
    if (strcmp(dtype, "int8") == 0) return "tc_int8_tops";
    return "tc_tf32_tflops";
}

/* A line y = k x (bandwidth k in GB/s: GFLOP/s = GB/s x FLOP/B) clipped to the plot. */
static void bw_line(svg_buf *b, const svg_axis *x, const svg_axis *y, double k, const char *cls) {
    double x0 = fmax(x->lo, y->lo / k), x1 = fmin(x->hi, y->hi / k);
    if (x1 > x0) svg_line(b, svg_map(x, x0), svg_map(y, k * x0), svg_map(x, x1), svg_map(y, k * x1), cls);
}

static void roof_points(svg_buf *b, const svg_axis *x, const svg_axis *y, const unit_row *rows, int n) {
    for (int i = 0; i < n; i++) {
        const unit_row *r = &rows[i];
        if (!(r->flops > 0 && r->bytes > 0 && r->v[0] > 0)) continue;
        double ai = r->flops / r->bytes, g = r->flops / r->v[0] / 1e3;
        char tip[300], a[32], c[32];
        snprintf(tip, sizeof tip, "%s: %s FLOP/B, %s GFLOP/s", r->name, svg_val(ai, a, sizeof a),
                 svg_val(g, c, sizeof c));
        svg_rawf(b, "<g class=\"roof-point\" data-unit=\"%d\">", i);
        svg_circle(b, svg_map(x, ai), svg_map(y, g), 3.5, r->fused ? "pt pt-fused" : "pt", tip);
        svg_raw(b, "</g>\n");
    }
}

/* The plot's ranges: every point, the bandwidth ridge, and the run's own peak. */
static void roof_ranges(const unit_row *rows, int n, double copy, double own, svg_axis *x, svg_axis *y) {
    double ylo = INFINITY, xlo = INFINITY, xhi = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].flops > 0 && rows[i].bytes > 0 && rows[i].v[0] > 0) {
            xlo = fmin(xlo, rows[i].flops / rows[i].bytes);
            xhi = fmax(xhi, rows[i].flops / rows[i].bytes);
            ylo = fmin(ylo, rows[i].flops / rows[i].v[0] / 1e3);
        }
    *x = (svg_axis){isfinite(xlo) ? xlo / 2 : 0.1, fmax(xhi * 2, own / copy * 2), true, 70, 530};
    *y = (svg_axis){isfinite(ylo) ? ylo / 2 : 1, own * 2, true, 380, 30};
    svg_axis_nice(x);
    svg_axis_nice(y);
}

static const char *const PEAKS[] = {"fp32_tflops", "tc_tf32_tflops", "tc_fp16_tflops", "tc_bf16_tflops",
                                    "tc_int8_tops"};
#define N_PEAKS 5

/* The lines: measured copy and spec DRAM bandwidth, the run's own compute
 * peak (solid) and the other peaks inside the plot (dashed); the legend
 * below the chart names them (labels on the lines would collide). */
static void roof_lines(svg_buf *b, const svg_axis *x, const svg_axis *y, double copy, double dram,
                       const double *peak, int own, svg_buf *legend) {
    char v[32];
    bw_line(b, x, y, copy, "roof-bw");
    svg_rawf(legend, "<li>solid green: measured copy bandwidth, %s GB/s</li>\n", svg_val(copy, v, sizeof v));
    if (dram > 0) {
        bw_line(b, x, y, dram, "roof-spec");
        svg_rawf(legend, "<li>dashed green: the spec's DRAM bandwidth, %s GB/s</li>\n", svg_val(dram, v, sizeof v));
    }
    for (int i = 0; i < N_PEAKS; i++) {
        if (!(peak[i] > 0)) continue;
        bool inside = peak[i] <= y->hi;
        if (inside) {
            double py = svg_map(y, peak[i]);
            svg_line(b, x->px0, py, x->px1, py, i == own ? "roof-peak" : "roof-other");
        }
        svg_rawf(legend, "<li>%s%s: %s GFLOP/s%s</li>\n", i == own ? "solid purple: " : inside ?
                 "dashed purple: " : "", PEAKS[i], svg_val(peak[i], v, sizeof v),
                 i == own ? " (this run's dtype and math)" : inside ? "" : " (above the plot)");
    }
}

static bool roofline(svg_buf *b, const rep_doc *d, const unit_row *rows, int n, rep_err *e) {
    svg_raw(b, "<h3>Roofline</h3>\n");
    const cJSON *pk = rep_obj(d, d->root, "", "gpu_peaks", false, e);
    bool have_flops = n > 0 && isfinite(rows[0].flops);
    if (e->set) return false;
    if (!have_flops || !pk) {
        para(b, "No roofline: this report has no per-unit FLOPs or GPU peaks (a fuseplan run before "
                "they were written); run it again with this fuseplan.");
        return true;
    }
    double copy = rep_num(d, d->root, "", "copy_gbps", true, e);
    double dram = rep_num(d, pk, "gpu_peaks", "dram_gbps", true, e);
    const char *dtype = rep_str(d, d->root, "", "dtype", true, e), *math = rep_str(d, d->root, "", "math", false, e);
    const char *own_name = own_peak(dtype, *math ? math : "simt");
    double peak[N_PEAKS];
    int own = 0;
    for (int i = 0; i < N_PEAKS; i++) {
        peak[i] = rep_num(d, pk, "gpu_peaks", PEAKS[i], false, e) * 1e3;
        if (strcmp(PEAKS[i], own_name) == 0 && peak[i] > 0) own = i;
    }
    if (e->set || !(peak[own] > 0) || !(copy > 0)) {
        rep_fail(e, d, "gpu_peaks", "no positive compute peak or copy bandwidth for the roofline");
        return false;
    }
    svg_axis x, y;
    roof_ranges(rows, n, copy, peak[own], &x, &y);
    svg_buf legend;
    svg_buf_init(&legend);
    svg_open(b, 560, 430, "chart roofline", "Roofline");
    svg_text(b, 8, 16, "start", "chart-title", "Roofline: every unit (red: fused units)");
    svg_axes(b, &x, &y, "arithmetic intensity (FLOP per compulsory byte)", "achieved GFLOP/s");
    roof_lines(b, &x, &y, copy, dram, peak, own, &legend);
    roof_points(b, &x, &y, rows, n);
    svg_close(b);
    svg_raw(b, "<ul class=\"legend\">\n");
    if (legend.s) svg_raw(b, legend.s);
    svg_raw(b, "</ul>\n");
    bool ok = !legend.failed;
    svg_buf_free(&legend);
    if (!ok) rep_fail(e, d, "units", "out of memory");
    return ok;
}

/* ---- the section ---- */

static bool header(svg_buf *b, const rep_doc *d, rep_err *e) {
    const char *plan_gpu = rep_str(d, d->root, "", "plan_gpu", false, e);
    double iters = rep_num(d, d->root, "", "iters", false, e), tune = rep_num(d, d->root, "", "tune", false, e);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(d->root, "checks_passed");
    if (e->set) return false;
    svg_raw(b, "<h2>Run: ");
    svg_esc(b, d->label);
    svg_raw(b, "</h2>\n");
    char note[400], it[32], tu[32];
    snprintf(note, sizeof note, "Plan for GPU spec %s; medians of %s repetitions; tile tuning %s; "
             "checks against cuDNN: %s.", plan_gpu, svg_val(iters, it, sizeof it), svg_val(tune, tu, sizeof tu),
             cJSON_IsTrue(ok) ? "passed" : cJSON_IsFalse(ok) ? "FAILED" : "not recorded");
    para(b, note);
    return true;
}

bool rep_run_section(svg_buf *b, const rep_doc *d, rep_err *e) {
    const cJSON *units = rep_arr(d, d->root, "", "units", true, e);
    double copy = rep_num(d, d->root, "", "copy_gbps", true, e);
    if (e->set || !header(b, d, e) || !whole_model(b, d, e) || !energy(b, d, e)) return false;
    int n = cJSON_GetArraySize(units);
    unit_row *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!rows) {
        rep_fail(e, d, "units", "out of memory");
        return false;
    }
    int i = 0;
    const cJSON *u;
    bool ok = true;
    cJSON_ArrayForEach(u, units) ok = ok && read_unit(d, u, i, copy, &rows[i], e), i++;
    if (ok) {
        svg_raw(b, "<h3>Units</h3>\n");
        unit_legend(b);
        unit_chart(b, rows, n);
        ok = roofline(b, d, rows, n, e);
    }
    free(rows);
    return ok;
}

/* ---- several run reports ---- */

bool rep_run_compare(svg_buf *b, const rep_doc *docs, int n, rep_err *e) {
    svg_raw(b, "<h2>Run reports compared</h2>\n<table class=\"compare\">\n<tr>");
    rep_th(b, "");
    for (int i = 0; i < n; i++) rep_th(b, docs[i].label);
    svg_raw(b, "</tr>\n");
    for (int r = 0; r < N_WHOLE; r++) {
        svg_raw(b, "<tr>");
        rep_th(b, WHOLE[r].name);
        for (int i = 0; i < n; i++) {
            const cJSON *t = rep_obj(&docs[i], docs[i].root, "", "totals", true, e);
            rep_td_num(b, rep_time(&docs[i], t, "totals", WHOLE[r].key, true, e), "us");
        }
        svg_raw(b, "</tr>\n");
    }
    for (int r = 0; r < N_ENERGY; r++) {
        char name[96];
        snprintf(name, sizeof name, "%s, mJ per inference", ENERGY[r].name);
        svg_raw(b, "<tr>");
        rep_th(b, name);
        for (int i = 0; i < n; i++) {
            const cJSON *en = cJSON_GetObjectItemCaseSensitive(docs[i].root, "energy");
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(en, ENERGY[r].key);
            const cJSON *j = cJSON_GetObjectItemCaseSensitive(x, "joules_per_inference");
            rep_td_num(b, cJSON_IsNumber(j) ? j->valuedouble * 1e3 : NAN, "mJ");
        }
        svg_raw(b, "</tr>\n");
    }
    svg_raw(b, "</table>\n");
    return !e->set;
}
