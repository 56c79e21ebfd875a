/* tool_svg.c - text, numbers and SVG pieces of `fuseplan report` (see tool_svg.h). */
#include "tool_svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void svg_buf_init(svg_buf *b) { memset(b, 0, sizeof *b); }

void svg_buf_free(svg_buf *b) {
    free(b->s);
    svg_buf_init(b);
}

bool svg_buf_ok(const svg_buf *b) { return !b->failed && b->s; }

/* Room for n more bytes and the terminator; doubles so appends stay linear. */
static bool reserve(svg_buf *b, size_t n) {
    if (b->failed) return false;
    if (b->len + n + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->failed = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

static void append(svg_buf *b, const char *s, size_t n) {
    if (!reserve(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void svg_raw(svg_buf *b, const char *s) { append(b, s, strlen(s)); }

static void vappend(svg_buf *b, bool escape, const char *fmt, va_list ap) {
    char small[512];
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0) return;
    char *s = small;
    if ((size_t)n >= sizeof small) { /* long text: format again into its own buffer */
        s = malloc((size_t)n + 1);
        if (!s) {
            b->failed = true;
            return;
        }
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    }
    if (escape) svg_esc(b, s);
    else append(b, s, (size_t)n);
    if (s != small) free(s);
}

void svg_rawf(svg_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vappend(b, false, fmt, ap);
    va_end(ap);
}

void svg_escf(svg_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vappend(b, true, fmt, ap);
    va_end(ap);
}

void svg_esc(svg_buf *b, const char *s) {
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': svg_raw(b, "&amp;"); break;
        case '<': svg_raw(b, "&lt;"); break;
        case '>': svg_raw(b, "&gt;"); break;
        case '"': svg_raw(b, "&quot;"); break;
        case '\'': svg_raw(b, "&#39;"); break;
        default: append(b, p, 1);
        }
    }
}

/* ---- numbers ---- */

const char *svg_num(double v, char *buf, size_t n) {
    if (!isfinite(v)) v = 0;
    double r = round(v * 100) / 100;
    if (r == 0) r = 0; /* no "-0" */
    snprintf(buf, n, "%.2f", r);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0') *end-- = '\0';
        if (end == dot) *end = '\0';
    }
    return buf;
}

const char *svg_val(double v, char *buf, size_t n) {
    if (!isfinite(v)) {
        snprintf(buf, n, "-");
        return buf;
    }
    if (v == 0) {
        snprintf(buf, n, "0");
        return buf;
    }
    double a = fabs(v);
    if (a < 1e7 && v == floor(v)) snprintf(buf, n, "%.0f", v); /* counts and round values */
    else if (a < 1e-3 || a >= 1e7) snprintf(buf, n, "%.3g", v);
    else {
        int digits = 3 - (int)floor(log10(a)); /* 4 significant digits */
        if (digits < 0) digits = 0;
        snprintf(buf, n, "%.*f", digits, v);
    }
    return buf;
}

const char *svg_exact(double v, char *buf, size_t n) {
    if (!isfinite(v)) {
        snprintf(buf, n, "-");
        return buf;
    }
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, n, "%.17g", v);
    return buf;
}

/* ---- axes ---- */

double svg_map(const svg_axis *a, double v) {
    double t;
    if (a->log) {
        double lv = log10(v > 0 ? v : a->lo), l0 = log10(a->lo), l1 = log10(a->hi);
        t = l1 > l0 ? (lv - l0) / (l1 - l0) : 0.5;
    } else {
        t = a->hi > a->lo ? (v - a->lo) / (a->hi - a->lo) : 0.5;
    }
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return a->px0 + t * (a->px1 - a->px0);
}

/* A linear tick step of 1, 2 or 5 times a power of ten, about 5 ticks. */
static double lin_step(double lo, double hi) {
    double span = hi > lo ? hi - lo : 1;
    double raw = span / 5, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

void svg_axis_nice(svg_axis *a) {
    if (a->log) {
        if (!(a->lo > 0)) a->lo = a->hi > 0 ? a->hi / 10 : 1;
        if (!(a->hi > a->lo)) a->hi = a->lo * 10;
        a->lo = pow(10, floor(log10(a->lo) + 1e-9));
        a->hi = pow(10, ceil(log10(a->hi) - 1e-9));
        if (a->hi <= a->lo) a->hi = a->lo * 10;
        return;
    }
    if (!(a->hi > a->lo)) a->hi = a->lo + 1;
    double st = lin_step(a->lo, a->hi);
    a->lo = floor(a->lo / st) * st;
    a->hi = ceil(a->hi / st) * st;
}

void svg_open(svg_buf *b, int w, int h, const char *cls, const char *aria_label) {
    svg_rawf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"%s\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", cls, w, h, w, h);
    svg_esc(b, aria_label);
    svg_raw(b, "\">\n");
}

void svg_close(svg_buf *b) { svg_raw(b, "</svg>\n"); }

/* The tick values of axis a (at most max), in data units. */
static int ticks(const svg_axis *a, double *t, int max) {
    int n = 0;
    if (a->log) {
        int d0 = (int)floor(log10(a->lo) + 1e-9), d1 = (int)ceil(log10(a->hi) - 1e-9);
        int every = (d1 - d0) > 8 ? 2 : 1; /* at most ~8 labelled decades */
        for (int d = d0; d <= d1 && n < max; d += every) t[n++] = pow(10, d);
        return n;
    }
    double st = lin_step(a->lo, a->hi);
    for (double v = ceil(a->lo / st - 1e-9) * st; v <= a->hi + st * 1e-9 && n < max; v += st)
        t[n++] = fabs(v) < st * 1e-9 ? 0 : v;
    return n;
}

/* Ticks are round numbers: shortest form ("0.01", "200", "1e6"). */
static void tick_label(double v, bool log, char *buf, size_t n) {
    if (log && (v >= 1e5 || v < 1e-2)) snprintf(buf, n, "1e%d", (int)lround(log10(v)));
    else snprintf(buf, n, "%g", fabs(v) < 1e-12 ? 0.0 : v);
}

void svg_axes(svg_buf *b, const svg_axis *x, const svg_axis *y, const char *x_label,
              const char *y_label) {
    double t[32];
    char lab[32], n0[32], n1[32], n2[32], n3[32];
    double top = y->px1, bottom = y->px0, left = x->px0, right = x->px1;
    svg_rawf(b, "<rect class=\"frame\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/>\n",
             svg_num(left, n0, sizeof n0), svg_num(top, n1, sizeof n1),
             svg_num(right - left, n2, sizeof n2), svg_num(bottom - top, n3, sizeof n3));
    int nx = ticks(x, t, 32);
    for (int i = 0; i < nx; i++) {
        double px = svg_map(x, t[i]);
        svg_line(b, px, top, px, bottom, "grid");
        tick_label(t[i], x->log, lab, sizeof lab);
        svg_text(b, px, bottom + 14, "middle", "tick", lab);
    }
    int ny = y_label ? ticks(y, t, 32) : 0; /* no y label: a category axis (bar rows) */
    for (int i = 0; i < ny; i++) {
        double py = svg_map(y, t[i]);
        svg_line(b, left, py, right, py, "grid");
        tick_label(t[i], y->log, lab, sizeof lab);
        svg_text(b, left - 4, py + 4, "end", "tick", lab);
    }
    svg_rawf(b, "<text class=\"axis-label x-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">",
             svg_num((left + right) / 2, n0, sizeof n0), svg_num(bottom + 32, n1, sizeof n1));
    svg_esc(b, x_label);
    svg_raw(b, "</text>\n");
    if (!y_label) return;
    svg_rawf(b, "<text class=\"axis-label y-label\" transform=\"translate(%s %s) rotate(-90)\" "
                "text-anchor=\"middle\">", svg_num(left - 48, n0, sizeof n0),
             svg_num((top + bottom) / 2, n1, sizeof n1));
    svg_esc(b, y_label);
    svg_raw(b, "</text>\n");
}

/* ---- shapes ---- */

static void tip_close(svg_buf *b, const char *tag, const char *tip) {
    if (!tip) {
        svg_raw(b, "/>\n");
        return;
    }
    svg_raw(b, "><title>");
    svg_esc(b, tip);
    svg_rawf(b, "</title></%s>\n", tag);
}

void svg_rect(svg_buf *b, double x, double y, double w, double h, const char *cls, const char *tip) {
    char a[32], c[32], d[32], e[32];
    svg_rawf(b, "<rect class=\"%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"", cls,
             svg_num(x, a, sizeof a), svg_num(y, c, sizeof c), svg_num(w > 0 ? w : 0, d, sizeof d),
             svg_num(h > 0 ? h : 0, e, sizeof e));
    tip_close(b, "rect", tip);
}

void svg_line(svg_buf *b, double x0, double y0, double x1, double y1, const char *cls) {
    char a[32], c[32], d[32], e[32];
    svg_rawf(b, "<line class=\"%s\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", cls,
             svg_num(x0, a, sizeof a), svg_num(y0, c, sizeof c), svg_num(x1, d, sizeof d),
             svg_num(y1, e, sizeof e));
}

void svg_circle(svg_buf *b, double x, double y, double r, const char *cls, const char *tip) {
    char a[32], c[32], d[32];
    svg_rawf(b, "<circle class=\"%s\" cx=\"%s\" cy=\"%s\" r=\"%s\"", cls, svg_num(x, a, sizeof a),
             svg_num(y, c, sizeof c), svg_num(r, d, sizeof d));
    tip_close(b, "circle", tip);
}

void svg_text(svg_buf *b, double x, double y, const char *anchor, const char *cls, const char *text) {
    char a[32], c[32];
    svg_rawf(b, "<text class=\"%s\" x=\"%s\" y=\"%s\" text-anchor=\"%s\">", cls, svg_num(x, a, sizeof a),
             svg_num(y, c, sizeof c), anchor);
    svg_esc(b, text);
    svg_raw(b, "</text>\n");
}
