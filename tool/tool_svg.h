/* tool_svg.h - internal: the text of `fuseplan report` (prefix svg_): a
 * growable buffer, escaping for HTML/SVG text and attributes, numbers
 * formatted the same way on every machine (printf in the "C" locale, which
 * the tool never changes; -0 and non-finite values written as "0" and "-"),
 * and the few SVG pieces the report draws: axes (linear or log) with ticks and
 * labels, rectangles, lines, circles and text. Everything is written inline:
 * no script, no external reference, so the page reads without JavaScript and
 * without a network. */
#ifndef FUSEPLAN_TOOL_SVG_H
#define FUSEPLAN_TOOL_SVG_H

#include <stdbool.h>
#include <stddef.h>

/* A growable text buffer. A failed allocation sets `failed` and drops later
 * writes; svg_buf_ok tells the caller before it writes the file. */
typedef struct svg_buf {
    char *s;
    size_t len, cap;
    bool failed;
} svg_buf;

void svg_buf_init(svg_buf *b);
void svg_buf_free(svg_buf *b);
bool svg_buf_ok(const svg_buf *b);
/* Appends raw text (markup the caller wrote: never user data). */
void svg_raw(svg_buf *b, const char *s);
void svg_rawf(svg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with & < > " ' escaped: safe in text and in quoted attributes. */
void svg_esc(svg_buf *b, const char *s);
/* Formats then escapes (for text built from report strings). */
void svg_escf(svg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Numbers. svg_num: a coordinate, two decimals, trailing zeros dropped
 * ("12.5", "3"). svg_val: a value for a reader, 4 significant digits without
 * an exponent between 1e-3 and 1e7 ("0.0123", "2859", "1.23e+09").
 * svg_exact: the value as it is in the JSON (%.17g, shortest form that
 * round-trips where shorter) for data-* attributes that tests compare.
 * Each writes into buf and returns it. */
const char *svg_num(double v, char *buf, size_t n);
const char *svg_val(double v, char *buf, size_t n);
const char *svg_exact(double v, char *buf, size_t n);

/* One axis of a plot: the data range [lo, hi] (log: both > 0) mapped onto
 * the pixel range [px0, px1] (px1 < px0 for a y axis: up is larger). */
typedef struct svg_axis {
    double lo, hi;
    bool log;
    double px0, px1;
} svg_axis;

/* The pixel of value v (clamped to the range; log axes clamp v > 0). */
double svg_map(const svg_axis *a, double v);
/* Widens [lo, hi] to whole decades (log) or to round ticks (linear). */
void svg_axis_nice(svg_axis *a);

/* A plot: an <svg> of w x h with a title, then x and y axes with ticks, grid
 * and labels. The plot area is the rectangle of x->px0..px1, y->px1..px0. */
void svg_open(svg_buf *b, int w, int h, const char *cls, const char *aria_label);
void svg_close(svg_buf *b);
void svg_axes(svg_buf *b, const svg_axis *x, const svg_axis *y, const char *x_label,
              const char *y_label);

/* Shapes: cls is a CSS class (report CSS colours it); tip (may be NULL) is a
 * <title> the browser shows on hover, escaped. */
void svg_rect(svg_buf *b, double x, double y, double w, double h, const char *cls, const char *tip);
void svg_line(svg_buf *b, double x0, double y0, double x1, double y1, const char *cls);
void svg_circle(svg_buf *b, double x, double y, double r, const char *cls, const char *tip);
/* Text at (x, y); anchor "start", "middle" or "end"; text escaped. */
void svg_text(svg_buf *b, double x, double y, const char *anchor, const char *cls, const char *text);

#endif
