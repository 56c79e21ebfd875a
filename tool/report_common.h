/* report_common.h - internal to `fuseplan report` (cmd_report.c, report_*.c):
 * a loaded report, field getters whose errors name the file and the JSON
 * path ("r.json: units[3].ours_us: missing or not a number"), and the page
 * pieces the run and validate sections share. */
#ifndef FUSEPLAN_REPORT_COMMON_H
#define FUSEPLAN_REPORT_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "tool_svg.h"

/* One input file, parsed. */
typedef struct rep_doc {
    const char *path;
    cJSON *root;
    char label[200]; /* "mobilenet_v2 b1 fp32, NVIDIA H100 80GB HBM3, 2026-12-06, da8dbb8" */
} rep_doc;

/* Error text of a getter: the first failure wins. */
typedef struct rep_err {
    char msg[512];
    bool set;
} rep_err;

void rep_fail(rep_err *e, const rep_doc *d, const char *path, const char *what);
/* Records "FILE: PATH.KEY: V is not WHAT" (a value out of its range). */
void rep_fail_value(rep_err *e, const rep_doc *d, const char *path, const char *key, double v,
                    const char *what);

/* obj[key] as a number / string / array; when required and absent or of
 * another type, records "FILE: PATH.KEY: missing or not a ..." and returns
 * NAN / "" / NULL. path is the JSON path of obj ("" for the root). */
double rep_num(const rep_doc *d, const cJSON *obj, const char *path, const char *key, bool required,
               rep_err *e);
/* A measured time in microseconds: rep_num, and when present in
 * (0, REP_TIME_MAX_US], else "FILE: PATH.KEY: -1 is not a time in (0, 1e9] us". */
#define REP_TIME_MAX_US 1e9
double rep_time(const rep_doc *d, const cJSON *obj, const char *path, const char *key, bool required,
                rep_err *e);
const char *rep_str(const rep_doc *d, const cJSON *obj, const char *path, const char *key,
                    bool required, rep_err *e);
const cJSON *rep_arr(const rep_doc *d, const cJSON *obj, const char *path, const char *key,
                     bool required, rep_err *e);
const cJSON *rep_obj(const rep_doc *d, const cJSON *obj, const char *path, const char *key,
                     bool required, rep_err *e);

/* The sections. Each returns false with *e set on a bad report. */
bool rep_run_section(svg_buf *b, const rep_doc *d, rep_err *e);
bool rep_val_section(svg_buf *b, const rep_doc *d, rep_err *e);
/* Tables comparing several reports of one kind, one column each. */
bool rep_run_compare(svg_buf *b, const rep_doc *docs, int n, rep_err *e);
bool rep_val_compare(svg_buf *b, const rep_doc *docs, int n, rep_err *e);

/* A horizontal bar chart of named values (one bar each, log or linear x). */
typedef struct rep_bar {
    const char *name;
    double value;
    const char *cls;
} rep_bar;
void rep_bars(svg_buf *b, const char *title, const char *x_label, const rep_bar *bars, int n,
              const char *data_kind);

/* <th>/<td> cells with an escaped label / a formatted number. */
void rep_th(svg_buf *b, const char *text);
void rep_td_num(svg_buf *b, double v, const char *unit);
void rep_td_text(svg_buf *b, const char *text);

#endif
