/* cmd_report.c - `fuseplan report`: run and validate reports (JSON, plain or
 * gzipped) into one self-contained HTML page with inline SVG charts and CSS
 * (docs/report.md). The page has no script and references nothing outside
 * itself; its bytes depend only on the inputs (no date, no locale), so tests
 * and reviews can compare pages. The sections live in report_run.c and
 * report_val.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_common.h"
#include "tool.h"
#include "tool_read.h"

#define RUN_FORMAT "fuseplan-run-report"
#define VAL_FORMAT "fuseplan-validation"

/* Reads and parses one report, checks its format and builds its label. */
static int load_doc(const char *path, rep_doc *d) {
    memset(d, 0, sizeof *d);
    d->path = path;
    char *text;
    size_t len;
    int rc = tool_read_report("report", path, &text, &len);
    if (rc) return rc;
    d->root = cJSON_ParseWithLength(text, len);
    if (!d->root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        fprintf(stderr, "fuseplan report: %s: not JSON (error near byte %ld%s)\n", path, off,
                tool_read_hint());
        free(text);
        return 2;
    }
    free(text);
    rep_err e = {{0}, false};
    const char *fmt = rep_str(d, d->root, "", "format", true, &e);
    const char *dev = rep_str(d, d->root, "", "device", false, &e);
    const char *date = rep_str(d, d->root, "", "date", false, &e);
    const char *commit = rep_str(d, d->root, "", "commit", false, &e);
    if (!e.set && strcmp(fmt, RUN_FORMAT) == 0) {
        const char *model = rep_str(d, d->root, "", "model", true, &e);
        double batch = rep_num(d, d->root, "", "batch", true, &e);
        const char *dtype = rep_str(d, d->root, "", "dtype", true, &e);
        snprintf(d->label, sizeof d->label, "%s b%.0f %s, %s, %.10s, %s", model, batch, dtype, dev, date,
                 commit);
    } else if (!e.set && strcmp(fmt, VAL_FORMAT) == 0) {
        const char *spec = rep_str(d, d->root, "", "gpu_spec", false, &e);
        snprintf(d->label, sizeof d->label, "validation, %s, spec %s, %.10s, %s", dev, spec, date, commit);
    } else if (!e.set) {
        snprintf(e.msg, sizeof e.msg, "%s: format: \"%.40s\" is not %s or %s", path, fmt, RUN_FORMAT,
                 VAL_FORMAT);
        e.set = true;
    }
    if (e.set) {
        fprintf(stderr, "fuseplan report: %s\n", e.msg);
        cJSON_Delete(d->root);
        d->root = NULL;
        return 2;
    }
    return 0;
}

static bool is_run(const rep_doc *d) {
    return strcmp(cJSON_GetObjectItemCaseSensitive(d->root, "format")->valuestring, RUN_FORMAT) == 0;
}

/* Colours and type; print-friendly, readable without the charts' hover titles. */
static const char CSS[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1a1a1a;background:#fff}\n"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}\n"
    "h3{font-size:15px;margin:20px 0 6px}p.note{color:#555;max-width:900px}\n"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 8px}\n"
    "th{background:#f2f2f2;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".cols{display:flex;flex-wrap:wrap;gap:32px;align-items:flex-start}.col{min-width:560px}\n"
    "svg{display:block;margin:6px 0}svg text{font:11px system-ui,sans-serif;fill:#222}\n"
    "svg .chart-title{font-size:13px;font-weight:600}svg .axis-label{font-size:12px}\n"
    "svg .frame{fill:none;stroke:#888}svg .grid{stroke:#e4e4e4}svg .tick{fill:#555}\n"
    ".ours{fill:#1f77b4}.unfused{fill:#9ecae1}.cudnn{fill:#d62728}.floor{fill:#7f7f7f}\n"
    ".peer{fill:#ff7f0e}.nhwc{fill:#f4a3a3}.energy{fill:#2ca02c}\n"
    "circle.pt{fill:#1f77b4;fill-opacity:.45;stroke:none}circle.pt-fused{fill:#d62728;fill-opacity:.6}\n"
    "line.diag{stroke:#222;stroke-width:1}line.band10{stroke:#2ca02c;stroke-dasharray:4 3}\n"
    "line.band20{stroke:#ff7f0e;stroke-dasharray:2 3}line.roof-bw{stroke:#2ca02c;stroke-width:1.5}\n"
    "line.roof-spec{stroke:#2ca02c;stroke-dasharray:5 4}line.roof-peak{stroke:#9467bd;stroke-width:1.5}\n"
    "line.roof-other{stroke:#c5b0d5;stroke-dasharray:5 4}.legend{font-size:12px;color:#333}\n"
    ".swatch{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}\n";

static void page_head(svg_buf *b, const rep_doc *docs, int n) {
    svg_raw(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>fuseplan report</title>\n<style>\n");
    svg_raw(b, CSS);
    svg_raw(b, "</style>\n</head>\n<body>\n<h1>fuseplan report</h1>\n<p class=\"note\">Made by "
               "fuseplan ");
    svg_esc(b, FUSEPLAN_VERSION);
    svg_raw(b, " (commit ");
    svg_esc(b, tool_commit());
    svg_raw(b, ") from:</p>\n<ol class=\"inputs\">\n");
    for (int i = 0; i < n; i++) {
        svg_raw(b, "<li><code>");
        svg_esc(b, docs[i].path);
        svg_raw(b, "</code>: ");
        svg_esc(b, docs[i].label);
        svg_raw(b, "</li>\n");
    }
    svg_raw(b, "</ol>\n");
}

/* The reports of one kind: the comparison table (several), then each side by side. */
static bool kind_sections(svg_buf *b, const rep_doc *docs, int n, bool run, rep_err *e) {
    rep_doc sel[TOOL_MAX_POS];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (is_run(&docs[i]) == run) sel[k++] = docs[i];
    if (k == 0) return true;
    if (k > 1 && !(run ? rep_run_compare(b, sel, k, e) : rep_val_compare(b, sel, k, e))) return false;
    svg_raw(b, "<div class=\"cols\">\n");
    for (int i = 0; i < k; i++) {
        svg_rawf(b, "<div class=\"col\" data-report=\"%d\">\n", i);
        if (!(run ? rep_run_section(b, &sel[i], e) : rep_val_section(b, &sel[i], e))) return false;
        svg_raw(b, "</div>\n");
    }
    svg_raw(b, "</div>\n");
    return true;
}

static int run_report(const tool_options *o) {
    if (!o->out) return tool_usage_error("report", "-o FILE is required (the HTML page to write)");
    int rc = tool_refuse_overwrite("report", "-o", o->out, o->pos, o->n_pos);
    if (rc) return rc;
    rep_doc docs[TOOL_MAX_POS];
    int n = 0;
    for (int i = 0; i < o->n_pos && !rc; i++) {
        rc = load_doc(o->pos[i], &docs[n]);
        if (!rc) n++;
    }
    svg_buf b;
    svg_buf_init(&b);
    rep_err e = {{0}, false};
    if (!rc) {
        page_head(&b, docs, n);
        if (!kind_sections(&b, docs, n, true, &e) || !kind_sections(&b, docs, n, false, &e)) {
            fprintf(stderr, "fuseplan report: %s\n", e.msg);
            rc = 2;
        }
        svg_raw(&b, "</body>\n</html>\n");
    }
    if (!rc && !svg_buf_ok(&b)) {
        fprintf(stderr, "fuseplan report: out of memory building the page\n");
        rc = 1;
    }
    if (!rc) rc = tool_write_file("report", "the page", o->out, b.s, false);
    if (!rc) printf("fuseplan report: wrote %s (%zu bytes, %d report%s)\n", o->out, b.len, n, n == 1 ? "" : "s");
    svg_buf_free(&b);
    for (int i = 0; i < n; i++) cJSON_Delete(docs[i].root);
    return rc;
}

const tool_command tool_cmd_report = {
    "report", TOOL_REPORT, "REPORT.json [REPORT.json...]", 1, TOOL_MAX_POS, "REPORT",
    "render run and validate reports as one HTML page with charts",
    "Reads the JSON reports of `fuseplan run --report` and `fuseplan validate\n"
    "--report` (plain or gzipped) and writes one self-contained HTML page (-o):\n"
    "inline SVG charts and CSS, no script, nothing fetched. A run report gives the\n"
    "per-unit times (ours, our unfused layers, cuDNN, byte floor), a roofline, the\n"
    "whole-model summary and the energy per inference; a validate report gives\n"
    "estimated against measured scatter plots (time, L2 bytes, DRAM bytes), the\n"
    "regret histogram and the fusion decisions against trivial baselines. Several\n"
    "reports are shown side by side with a comparison table (docs/report.md).",
    run_report,
};
