/* report_val.c - the validate-report section of `fuseplan report`: estimated
 * against measured scatter plots, the regret histogram and the fusion
 * decisions against trivial baselines (docs/report.md, docs/validation.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_common.h"
#include "rt_stats.h"

static void para(svg_buf *b, const char *text) {
    svg_raw(b, "<p class=\"note\">");
    svg_esc(b, text);
    svg_raw(b, "</p>\n");
}

/* Estimated against measured, one figure per candidate kernel. */
typedef struct pts {
    double *est, *meas;
    int n, cap;
} pts;

static bool pts_add(pts *p, double est, double meas) {
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 1024;
        double *a = realloc(p->est, sizeof *a * (size_t)cap), *m;
        if (!a) return false;
        p->est = a;
        m = realloc(p->meas, sizeof *m * (size_t)cap);
        if (!m) return false;
        p->meas = m;
        p->cap = cap;
    }
    p->est[p->n] = est;
    p->meas[p->n++] = meas;
    return true;
}

static double sum2(const rep_doc *d, const cJSON *o, const char *path, const char *a, const char *b_,
                   rep_err *e) {
    return rep_num(d, o, path, a, true, e) + rep_num(d, o, path, b_, true, e);
}

/* The three figures of one candidate: time always; L2 and DRAM with counters. */
static bool cand_points(const rep_doc *d, const cJSON *c, const char *path, pts *t, pts *l2, pts *dram,
                        rep_err *e) {
    char p1[160], p2[160];
    const cJSON *est = rep_obj(d, c, path, "estimate", true, e);
    snprintf(p1, sizeof p1, "%s.estimate", path);
    bool ok = pts_add(t, rep_num(d, est, p1, "time_us", true, e), rep_num(d, c, path, "time_us", true, e));
    const cJSON *cs = rep_obj(d, c, path, "counters_steady", false, e);
    const cJSON *cc = rep_obj(d, c, path, "counters_cold", false, e);
    const cJSON *ec = rep_obj(d, c, path, "estimate_cold", cc != NULL, e);
    if (cs) {
        snprintf(p2, sizeof p2, "%s.counters_steady", path);
        /* what the L2 serves (l2_read_bytes, as validate compares it); reports
         * written before the estimate had it: the contract's loads */
        double rd = rep_num(d, est, p1, "l2_read_bytes", false, e);
        if (!isfinite(rd)) rd = rep_num(d, est, p1, "load_bytes", true, e);
        ok = ok && pts_add(l2, rd + rep_num(d, est, p1, "store_bytes", true, e),
                           sum2(d, cs, p2, "l2_read_bytes", "l2_write_bytes", e));
    }
    if (cc && ec) {
        snprintf(p1, sizeof p1, "%s.estimate_cold", path);
        snprintf(p2, sizeof p2, "%s.counters_cold", path);
        ok = ok && pts_add(dram, sum2(d, ec, p1, "dram_read_bytes", "dram_write_bytes", e),
                           sum2(d, cc, p2, "dram_read_bytes", "dram_write_bytes", e));
    }
    if (!ok) rep_fail(e, d, path, "out of memory");
    return !e->set;
}

/* ---- scatter ---- */

static void band(svg_buf *b, const svg_axis *x, const svg_axis *y, double k, const char *cls) {
    double x0 = fmax(x->lo, y->lo / k), x1 = fmin(x->hi, y->hi / k);
    if (x1 > x0) svg_line(b, svg_map(x, x0), svg_map(y, k * x0), svg_map(x, x1), svg_map(y, k * x1), cls);
}

/* Log-log estimated (x) against measured (y) with y = x and the +-10 % and
 * +-20 % bands; points with a zero figure cannot sit on log axes and are
 * counted in the caption instead. */
static void scatter(svg_buf *b, const char *what, const char *unit, const pts *p) {
    double lo = INFINITY, hi = 0;
    int shown = 0, w10 = 0, w20 = 0;
    for (int i = 0; i < p->n; i++) {
        if (!(p->est[i] > 0 && p->meas[i] > 0)) continue;
        lo = fmin(lo, fmin(p->est[i], p->meas[i]));
        hi = fmax(hi, fmax(p->est[i], p->meas[i]));
        double r = fabs(p->est[i] / p->meas[i] - 1);
        shown++;
        w10 += r <= 0.10;
        w20 += r <= 0.20;
    }
    char title[160], xl[96], yl[96];
    snprintf(title, sizeof title, "%s: estimated against measured", what);
    snprintf(xl, sizeof xl, "estimated %s (%s, log)", what, unit);
    snprintf(yl, sizeof yl, "measured %s (%s, log)", what, unit);
    svg_axis x = {isfinite(lo) ? lo : 1, hi > 0 ? hi : 10, true, 80, 400};
    svg_axis_nice(&x);
    svg_axis y = {x.lo, x.hi, true, 350, 30};
    svg_rawf(b, "<div class=\"scatter\" data-what=\"%s\" data-points=\"%d\" data-shown=\"%d\" "
                "data-within10=\"%d\" data-within20=\"%d\">\n", what, p->n, shown, w10, w20);
    svg_open(b, 420, 400, "chart scatter", title);
    svg_text(b, 8, 16, "start", "chart-title", title);
    svg_axes(b, &x, &y, xl, yl);
    band(b, &x, &y, 1.0, "diag");
    band(b, &x, &y, 1.1, "band10");
    band(b, &x, &y, 0.9, "band10");
    band(b, &x, &y, 1.2, "band20");
    band(b, &x, &y, 0.8, "band20");
    for (int i = 0; i < p->n; i++)
        if (p->est[i] > 0 && p->meas[i] > 0)
            svg_circle(b, svg_map(&x, p->est[i]), svg_map(&y, p->meas[i]), 1.6, "pt", NULL);
    svg_close(b);
    char cap[300];
    snprintf(cap, sizeof cap, "%d kernels; within 10%%: %d (%.1f%%), within 20%%: %d (%.1f%%); %d with a "
             "zero figure not drawn. Dashed: +-10%% (green), +-20%% (orange).", shown, w10,
             shown ? 100.0 * w10 / shown : 0.0, w20, shown ? 100.0 * w20 / shown : 0.0, p->n - shown);
    para(b, cap);
    svg_raw(b, "</div>\n");
}

/* ---- regret ---- */

#define N_BINS 8
static const double BIN_HI[N_BINS] = {0, 0.01, 0.02, 0.05, 0.10, 0.20, 0.50, INFINITY};
static const char *const BIN_NAME[N_BINS] = {"0 (best tile)", "(0, 1%]", "(1, 2%]", "(2, 5%]",
                                             "(5, 10%]", "(10, 20%]", "(20, 50%]", "> 50%"};

static void regret_hist(svg_buf *b, const double *regret, int n) {
    int count[N_BINS] = {0};
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < N_BINS - 1 && regret[i] > BIN_HI[k] + 1e-12) k++;
        count[k]++;
    }
    rep_bar bars[N_BINS];
    for (int k = 0; k < N_BINS; k++) bars[k] = (rep_bar){BIN_NAME[k], count[k], "ours"};
    svg_rawf(b, "<div class=\"regret\" data-units=\"%d\">\n", n);
    rep_bars(b, "Regret of the model's tile choice (units)", "candidate units", bars, N_BINS, "regret");
    para(b, "Regret: measured time of the tile the model picks over the best measured tile's, minus 1.");
    svg_raw(b, "</div>\n");
}

/* ---- fusion decisions ---- */

/* Groups of the majority decider: (kind, batch) pairs. */
#define CONF_GROUPS 64

typedef struct conf {
    int tp, fp, fn, tn; /* model fuses & measured faster, model fuses & not, ... */
    bool recomputed;
    /* measured outcomes per (kind, batch), for the majority decider */
    char kind[CONF_GROUPS][16];
    int batch[CONF_GROUPS], fuse[CONF_GROUPS], total[CONF_GROUPS];
    int n_groups, ungrouped; /* decisions whose kind is unknown or past CONF_GROUPS */
} conf;

static void conf_add(conf *c, bool model, bool meas, const char *kind, int batch) {
    if (model && meas) c->tp++;
    else if (model) c->fp++;
    else if (meas) c->fn++;
    else c->tn++;
    int g = 0;
    while (g < c->n_groups && (c->batch[g] != batch || strcmp(c->kind[g], kind) != 0)) g++;
    if (g == c->n_groups && g < CONF_GROUPS && *kind) {
        snprintf(c->kind[g], sizeof c->kind[g], "%s", kind);
        c->batch[g] = batch;
        c->n_groups++;
    }
    if (g < c->n_groups) {
        c->fuse[g] += meas;
        c->total[g]++;
    } else
        c->ungrouped++;
}

/* Decisions the majority decider gets right: per (kind, batch) the more
 * common measured outcome (in-sample: tallied from these same decisions). */
static int conf_majority(const conf *c) {
    int agree = 0;
    for (int g = 0; g < c->n_groups; g++) agree += c->fuse[g] > c->total[g] - c->fuse[g] ? c->fuse[g] : c->total[g] - c->fuse[g];
    return agree;
}

/* The kind of the unit called name in units ("" when none). */
static const char *kind_of(const cJSON *units, const char *name) {
    const cJSON *u;
    cJSON_ArrayForEach(u, units) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(u, "name"), *k = cJSON_GetObjectItemCaseSensitive(u, "kind");
        if (cJSON_IsString(n) && cJSON_IsString(k) && strcmp(n->valuestring, name) == 0) return k->valuestring;
    }
    return "";
}

/* The single-layer subject of layer `name` (its model-chosen candidate), or NULL. */
static const cJSON *single_of(const cJSON *units, const char *name, bool residual) {
    const cJSON *u, *best = NULL;
    cJSON_ArrayForEach(u, units) {
        const cJSON *ls = cJSON_GetObjectItemCaseSensitive(u, "layers");
        if (cJSON_GetArraySize(ls) != 1 || !cJSON_IsString(ls->child) || strcmp(ls->child->valuestring, name))
            continue;
        bool r = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "residual"));
        if (!best || r == residual) best = u;
    }
    return best;
}

/* The estimate and measurement of a subject's model-chosen tile. */
static bool chosen(const cJSON *u, double *est, double *meas) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(u, "model_choice");
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(u, "candidates"),
                                        cJSON_IsNumber(k) ? k->valueint : 0);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "estimate"), "time_us");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "time_us");
    if (!cJSON_IsNumber(t) || !cJSON_IsNumber(m)) return false;
    *est = t->valuedouble;
    *meas = m->valuedouble;
    return true;
}

/* Reports made before "fusion_decisions" existed: every fused segment
 * against its layers' single subjects, as rt_validate does, at margin m. */
static void recompute_decisions(const cJSON *units, double margin, int batch, conf *c) {
    const cJSON *u;
    cJSON_ArrayForEach(u, units) {
        const cJSON *ls = cJSON_GetObjectItemCaseSensitive(u, "layers"), *l;
        int nl = cJSON_GetArraySize(ls), k = 0;
        double ef, mf, es = 0, ms = 0, e1, m1;
        if (nl < 2 || !chosen(u, &ef, &mf)) continue;
        bool ok = true, res = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "residual"));
        cJSON_ArrayForEach(l, ls) {
            const cJSON *s = cJSON_IsString(l) ? single_of(units, l->valuestring, res && k == nl - 1) : NULL;
            ok = ok && s && chosen(s, &e1, &m1);
            if (ok) es += e1, ms += m1;
            k++;
        }
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(u, "kind");
        if (ok) conf_add(c, ef * (1 + margin) < es, mf < ms, cJSON_IsString(kind) ? kind->valuestring : "", batch);
    }
}

static bool case_decisions(const rep_doc *d, const cJSON *cs, const char *path, double margin, conf *c,
                           rep_err *e) {
    const cJSON *dec = rep_arr(d, cs, path, "fusion_decisions", false, e), *x;
    const cJSON *units = rep_arr(d, cs, path, "units", true, e);
    const double batch = rep_num(d, cs, path, "batch", false, e);
    if (e->set) return false;
    const int b = isfinite(batch) ? (int)batch : 0;
    if (!dec) {
        c->recomputed = true;
        recompute_decisions(units, margin, b, c);
        return !e->set;
    }
    int i = 0;
    cJSON_ArrayForEach(x, dec) {
        char p[96];
        snprintf(p, sizeof p, "%s.fusion_decisions[%d]", path, i++);
        const cJSON *mf = cJSON_GetObjectItemCaseSensitive(x, "model_fuses");
        const cJSON *me = cJSON_GetObjectItemCaseSensitive(x, "measured_fuses");
        if (!cJSON_IsBool(mf) || !cJSON_IsBool(me)) {
            rep_fail(e, d, p, "model_fuses or measured_fuses missing or not true/false");
            return false;
        }
        /* the decision's kind, or (reports before it was listed) its unit's */
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(x, "kind"), *nm = cJSON_GetObjectItemCaseSensitive(x, "name");
        const char *kind = cJSON_IsString(k) ? k->valuestring : cJSON_IsString(nm) ? kind_of(units, nm->valuestring) : "";
        conf_add(c, cJSON_IsTrue(mf), cJSON_IsTrue(me), kind, b);
    }
    return true;
}

static void conf_row(svg_buf *b, const char *name, int agree, int total, const char *cls) {
    char pct[32];
    svg_rawf(b, "<tr class=\"%s\" data-agree=\"%d\" data-total=\"%d\">", cls, agree, total);
    rep_td_text(b, name);
    svg_rawf(b, "<td class=\"num\">%d / %d</td>", agree, total);
    snprintf(pct, sizeof pct, "%.1f%%", total ? 100.0 * agree / total : 0.0);
    rep_td_text(b, pct);
    svg_raw(b, "</tr>\n");
}

static void conf_table(svg_buf *b, const conf *c, double margin) {
    int n = c->tp + c->fp + c->fn + c->tn, meas_fuse = c->tp + c->fn;
    const double kappa = rt_vm_kappa(c->tp, c->fp, c->fn, c->tn);
    char ks[32];
    if (isfinite(kappa)) snprintf(ks, sizeof ks, "%.4f", kappa);
    else snprintf(ks, sizeof ks, "undefined");
    svg_rawf(b, "<div class=\"decisions\" data-tp=\"%d\" data-fp=\"%d\" data-fn=\"%d\" data-tn=\"%d\" "
                "data-kappa=\"%s\">\n<table class=\"confusion\">\n<tr><th></th><th>measured: fused faster</th>"
                "<th>measured: layers faster</th></tr>\n", c->tp, c->fp, c->fn, c->tn, ks);
    svg_rawf(b, "<tr><th>model fuses</th><td class=\"num\">%d</td><td class=\"num\">%d</td></tr>\n", c->tp, c->fp);
    svg_rawf(b, "<tr><th>model keeps layers</th><td class=\"num\">%d</td><td class=\"num\">%d</td></tr>\n",
             c->fn, c->tn);
    svg_raw(b, "</table>\n<table class=\"baselines\">\n<tr><th>decider</th><th>agrees with measurement</th>"
               "<th>accuracy</th></tr>\n");
    conf_row(b, "the cost model", c->tp + c->tn, n, "model");
    conf_row(b, "never fuse", n - meas_fuse, n, "never");
    conf_row(b, "always fuse", meas_fuse, n, "always");
    conf_row(b, "majority per (kind, batch): the more common measured outcome of the same decisions (in-sample)",
             conf_majority(c), n - c->ungrouped, "majority");
    svg_raw(b, "</table>\n</div>\n");
    char kn[200];
    snprintf(kn, sizeof kn, "Cohen's kappa of the model's decisions against the measured ones: %s (0: no better "
             "than chance at the same fusion rate, whatever the accuracy; 1: every decision right).", ks);
    para(b, kn);
    if (c->recomputed) {
        char note[300];
        snprintf(note, sizeof note, "This report predates the per-decision list: the decisions are "
                 "recomputed from its units at fusion margin %.2f, so they may differ slightly from "
                 "the summary's count (which used the spec's margin).", margin);
        para(b, note);
    }
}

/* ---- the section ---- */

static void summary_table(svg_buf *b, const rep_doc *d, const cJSON *s) {
    static const char *const KEYS[] = {"kernels", "traffic_within_10pct", "traffic_compared",
        "dram_cold_within_20pct", "dram_compared", "time_median_abs_error", "kendall_tau_median",
        "regret_median", "regret_worst", "fusion_decisions_agree", "fusion_decisions", "fusions_chosen",
        "fusions_chosen_faster", "chains_planned_as_measured_best", "chains"};
    (void)d;
    svg_raw(b, "<table class=\"summary\">\n");
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, KEYS[i]);
        if (!cJSON_IsNumber(v)) continue;
        char ex[40];
        svg_rawf(b, "<tr data-key=\"%s\" data-value=\"%s\">", KEYS[i], svg_exact(v->valuedouble, ex, sizeof ex));
        rep_th(b, KEYS[i]);
        rep_td_num(b, v->valuedouble, "");
        svg_raw(b, "</tr>\n");
    }
    svg_raw(b, "</table>\n");
}

typedef struct val_data {
    pts t, l2, dram;
    double *regret;
    int n_regret, cap_regret;
    conf c;
} val_data;

static bool unit_data(const rep_doc *d, const cJSON *u, const char *path, val_data *v, rep_err *e) {
    const cJSON *cands = rep_arr(d, u, path, "candidates", true, e), *c;
    double r = rep_num(d, u, path, "regret", true, e);
    if (e->set) return false;
    if (v->n_regret == v->cap_regret) {
        int cap = v->cap_regret ? v->cap_regret * 2 : 256;
        double *x = realloc(v->regret, sizeof *x * (size_t)cap);
        if (!x) {
            rep_fail(e, d, path, "out of memory");
            return false;
        }
        v->regret = x;
        v->cap_regret = cap;
    }
    v->regret[v->n_regret++] = r;
    int k = 0;
    cJSON_ArrayForEach(c, cands) {
        char p[128];
        snprintf(p, sizeof p, "%s.candidates[%d]", path, k++);
        if (!cand_points(d, c, p, &v->t, &v->l2, &v->dram, e)) return false;
    }
    return true;
}

static bool gather(const rep_doc *d, double margin, val_data *v, rep_err *e) {
    const cJSON *cases = rep_arr(d, d->root, "", "cases", true, e), *cs;
    int ci = 0;
    cJSON_ArrayForEach(cs, cases) {
        char path[32];
        snprintf(path, sizeof path, "cases[%d]", ci++);
        const cJSON *units = rep_arr(d, cs, path, "units", true, e), *u;
        int ui = 0;
        cJSON_ArrayForEach(u, units) {
            char p[64];
            snprintf(p, sizeof p, "%s.units[%d]", path, ui++);
            if (!unit_data(d, u, p, v, e)) return false;
        }
        if (!case_decisions(d, cs, path, margin, &v->c, e)) return false;
    }
    return !e->set;
}

bool rep_val_section(svg_buf *b, const rep_doc *d, rep_err *e) {
    const cJSON *s = rep_obj(d, d->root, "", "summary", true, e);
    double margin = rep_num(d, d->root, "", "fusion_margin", false, e);
    if (e->set) return false;
    if (!isfinite(margin)) margin = 0;
    val_data v;
    memset(&v, 0, sizeof v);
    bool ok = gather(d, margin, &v, e);
    if (ok) {
        svg_raw(b, "<h2>Validation: ");
        svg_esc(b, d->label);
        svg_raw(b, "</h2>\n<h3>Summary (all cases)</h3>\n");
        summary_table(b, d, s);
        svg_raw(b, "<h3>Estimated against measured</h3>\n");
        scatter(b, "time", "us", &v.t);
        if (v.l2.n) scatter(b, "L2 bytes", "bytes", &v.l2);
        else para(b, "No L2 counters in this report (validate --no-counters).");
        if (v.dram.n) scatter(b, "DRAM bytes (cold)", "bytes", &v.dram);
        svg_raw(b, "<h3>Tile choice</h3>\n");
        regret_hist(b, v.regret, v.n_regret);
        svg_raw(b, "<h3>Fusion decisions</h3>\n");
        conf_table(b, &v.c, margin);
    }
    free(v.t.est), free(v.t.meas), free(v.l2.est), free(v.l2.meas), free(v.dram.est), free(v.dram.meas);
    free(v.regret);
    return ok;
}

bool rep_val_compare(svg_buf *b, const rep_doc *docs, int n, rep_err *e) {
    static const char *const KEYS[] = {"kernels", "time_median_abs_error", "traffic_median_abs_error",
        "dram_cold_median_abs_error", "kendall_tau_median", "regret_median", "fusion_decisions_agree",
        "fusion_decisions"};
    svg_raw(b, "<h2>Validate reports compared</h2>\n<table class=\"compare\">\n<tr>");
    rep_th(b, "");
    for (int i = 0; i < n; i++) rep_th(b, docs[i].label);
    svg_raw(b, "</tr>\n");
    for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
        svg_raw(b, "<tr>");
        rep_th(b, KEYS[k]);
        for (int i = 0; i < n; i++) {
            const cJSON *s = rep_obj(&docs[i], docs[i].root, "", "summary", true, e);
            rep_td_num(b, rep_num(&docs[i], s, "summary", KEYS[k], false, e), "");
        }
        svg_raw(b, "</tr>\n");
    }
    svg_raw(b, "</table>\n");
    return !e->set;
}
