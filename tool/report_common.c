/* report_common.c - field getters and shared page pieces of `fuseplan report`
 * (see report_common.h). */
#include "report_common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rep_fail(rep_err *e, const rep_doc *d, const char *path, const char *what) {
    if (e->set) return;
    snprintf(e->msg, sizeof e->msg, "%s: %s: %s", d->path, *path ? path : "(root)", what);
    e->set = true;
}

/* "PATH.KEY" (KEY alone at the root) into p. */
static void key_path(char *p, size_t n, const char *path, const char *key) {
    snprintf(p, n, "%s%s%s", path, *path ? "." : "", key);
}

void rep_fail_value(rep_err *e, const rep_doc *d, const char *path, const char *key, double v,
                    const char *what) {
    char p[256], w[160];
    key_path(p, sizeof p, path, key);
    snprintf(w, sizeof w, "%g is not %s", v, what);
    rep_fail(e, d, p, w);
}

/* obj[key], or NULL after recording the error when required. */
static const cJSON *member(const rep_doc *d, const cJSON *obj, const char *path, const char *key,
                           bool required, rep_err *e, cJSON_bool (*is)(const cJSON *),
                           const char *what) {
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (v && is(v)) return v;
    if (required || v) { /* present with the wrong type is always an error */
        char p[256], w[64];
        key_path(p, sizeof p, path, key);
        snprintf(w, sizeof w, "missing or not %s", what);
        rep_fail(e, d, p, w);
    }
    return NULL;
}

double rep_num(const rep_doc *d, const cJSON *obj, const char *path, const char *key, bool required,
               rep_err *e) {
    const cJSON *v = member(d, obj, path, key, required, e, cJSON_IsNumber, "a number");
    return v ? v->valuedouble : NAN;
}

double rep_time(const rep_doc *d, const cJSON *obj, const char *path, const char *key, bool required,
                rep_err *e) {
    const double v = rep_num(d, obj, path, key, required, e);
    if (!isnan(v) && !(v > 0 && v <= REP_TIME_MAX_US))
        rep_fail_value(e, d, path, key, v, "a time in (0, 1e9] us");
    return v;
}

const char *rep_str(const rep_doc *d, const cJSON *obj, const char *path, const char *key,
                    bool required, rep_err *e) {
    const cJSON *v = member(d, obj, path, key, required, e, cJSON_IsString, "a string");
    return v ? v->valuestring : "";
}

const cJSON *rep_arr(const rep_doc *d, const cJSON *obj, const char *path, const char *key,
                     bool required, rep_err *e) {
    return member(d, obj, path, key, required, e, cJSON_IsArray, "an array");
}

const cJSON *rep_obj(const rep_doc *d, const cJSON *obj, const char *path, const char *key,
                     bool required, rep_err *e) {
    return member(d, obj, path, key, required, e, cJSON_IsObject, "an object");
}

void rep_th(svg_buf *b, const char *text) {
    svg_raw(b, "<th>");
    svg_esc(b, text);
    svg_raw(b, "</th>");
}

void rep_td_num(svg_buf *b, double v, const char *unit) {
    char s[32];
    svg_rawf(b, "<td class=\"num\">%s%s%s</td>", svg_val(v, s, sizeof s), isfinite(v) && *unit ? " " : "",
             isfinite(v) ? unit : "");
}

void rep_td_text(svg_buf *b, const char *text) {
    svg_raw(b, "<td>");
    svg_esc(b, text);
    svg_raw(b, "</td>");
}

/* Layout of rep_bars: label column, bar area, row pitch. */
#define BARS_LEFT 240
#define BARS_W 360
#define BARS_ROW 22

void rep_bars(svg_buf *b, const char *title, const char *x_label, const rep_bar *bars, int n,
              const char *data_kind) {
    double hi = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(bars[i].value) && bars[i].value > hi) hi = bars[i].value;
    svg_axis x = {0, hi > 0 ? hi : 1, false, BARS_LEFT, BARS_LEFT + BARS_W};
    svg_axis_nice(&x);
    int h = 30 + n * BARS_ROW + 44;
    svg_axis y = {0, 1, false, 30 + n * BARS_ROW, 24};
    svg_open(b, BARS_LEFT + BARS_W + 90, h, "chart bars", title);
    svg_text(b, 8, 16, "start", "chart-title", title);
    svg_axes(b, &x, &y, x_label, NULL);
    for (int i = 0; i < n; i++) {
        double top = 30 + i * BARS_ROW + 3, v = bars[i].value;
        char tip[256], num[32], ex[40];
        svg_val(v, num, sizeof num);
        snprintf(tip, sizeof tip, "%s: %s", bars[i].name, num);
        svg_rawf(b, "<g class=\"bar\" data-kind=\"%s\" data-value=\"%s\" data-name=\"", data_kind,
                 svg_exact(v, ex, sizeof ex));
        svg_esc(b, bars[i].name);
        svg_raw(b, "\">\n");
        svg_text(b, BARS_LEFT - 6, top + 12, "end", "row-label", bars[i].name);
        if (isfinite(v)) {
            svg_rect(b, BARS_LEFT, top, svg_map(&x, v) - BARS_LEFT, BARS_ROW - 6, bars[i].cls, tip);
            svg_text(b, svg_map(&x, v) + 4, top + 12, "start", "value", num);
        }
        svg_raw(b, "</g>\n");
    }
    svg_close(b);
}
