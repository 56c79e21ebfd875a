/* tool_opts.c - the option table and its parser (see tool_opts.h). */
#include "tool_opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* What follows an option on the command line. */
typedef enum opt_kind {
    OPT_FLAG,    /* nothing */
    OPT_INT,     /* a decimal integer in [lo, hi] */
    OPT_BATCHES, /* N[,N...], each in [lo, hi], at most TOOL_MAX_BATCHES */
    OPT_DTYPE,   /* fp32 | fp16 | bf16 | int8 */
    OPT_STRING,  /* any text (a file to read, a shipped name, a list) */
    OPT_FILE,    /* a file to write: not empty */
    OPT_CUSTOM,  /* text checked and stored by the row's own function */
} opt_kind;

/* Where a value goes: the member of tool_options at `offset`. Custom rows
 * store through `set`, flags set a bool. */
typedef struct opt_row {
    const char *name;   /* "--batch", "-o" */
    const char *meta;   /* the value's name in the help ("N"); NULL for flags */
    opt_kind kind;
    size_t offset;      /* offsetof(tool_options, member) */
    long lo, hi, def;   /* OPT_INT and OPT_BATCHES: range, default */
    unsigned cmds;      /* TOOL_PLAN | ...: the commands that take it */
    bool (*set)(const char *cmd, const char *v, tool_options *o); /* OPT_CUSTOM */
    const char *help;
} opt_row;

int tool_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "fuseplan %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see fuseplan %s --help)\n", cmd);
    return 2;
}

/* ---- the values that need more than a kind ---- */

static bool set_objective(const char *cmd, const char *v, tool_options *o) {
    if (strcmp(v, "time") == 0) o->plan.objective = FP_OBJECTIVE_TIME;
    else if (strcmp(v, "traffic") == 0) o->plan.objective = FP_OBJECTIVE_TRAFFIC;
    else {
        tool_usage_error(cmd, "--objective: \"%s\" is not time or traffic", v);
        return false;
    }
    return true;
}

static bool set_math(const char *cmd, const char *v, tool_options *o) {
    if (!cm_math_parse(v, &o->plan.math)) {
        tool_usage_error(cmd, "--math: \"%s\" is not simt or tc", v);
        return false;
    }
    return true;
}

static bool set_no_fuse(const char *cmd, const char *v, tool_options *o) {
    (void)cmd, (void)v;
    o->plan.allowed = 0;
    return true;
}

static bool set_allow(const char *cmd, const char *v, tool_options *o) {
    unsigned allowed = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        cm_kind k;
        if (!cm_kind_parse(tok, &k) || cm_kind_layers(k) < 2) {
            tool_usage_error(cmd, "--allow: \"%s\" is not one of dwpw, pwdw, pwpw, pwdwpw", tok);
            return false;
        }
        allowed |= 1u << k;
    }
    o->plan.allowed = allowed;
    return true;
}

static bool set_tile(const char *cmd, const char *v, tool_options *o) {
    char kind[16];
    cm_tile t;
    cm_kind k;
    int used = 0;
    if (sscanf(v, "%15[a-z]=%dx%dx%dx%dx%d%n", kind, &t.tile_h, &t.tile_w, &t.tile_c, &t.chunk_c,
               &t.threads, &used) != 6 || v[used] != '\0' || !cm_kind_parse(kind, &k)) {
        tool_usage_error(cmd, "--tile: \"%s\" is not KIND=HxWxCxCHUNKxTHREADS (e.g. "
                         "pwdwpw=4x8x32x32x128; flat kinds use H=1 and W=pixels)", v);
        return false;
    }
    o->plan.tile_forced[k] = true;
    o->plan.forced_tile[k] = t;
    return true;
}

/* ---- the table ---- */

#define AT(m) offsetof(tool_options, m)
#define PLANNING (TOOL_PLAN | TOOL_ESTIMATE)
static const opt_row ROWS[] = {
    {"--gpu", "SPEC", OPT_STRING, AT(gpu), 0, 0, 0, PLANNING | TOOL_RUN | TOOL_VALIDATE, NULL,
     "GPU spec, a file or shipped id (default h100_sxm, or the plan's)"},
    {"--batch", "N", OPT_INT, AT(batch), 1, FP_MAX_BATCH, 1, PLANNING | TOOL_SHOW | TOOL_RUN, NULL,
     "batch size (default 1)"},
    {"--batch", "N[,N...]", OPT_BATCHES, AT(batches), 1, FP_MAX_BATCH, 1, TOOL_VALIDATE, NULL,
     "batch sizes, each a case of its own (default 1)"},
    {"--dtype", "T", OPT_DTYPE, AT(dtype), 0, 0, 0, PLANNING | TOOL_SHOW | TOOL_RUN | TOOL_VALIDATE,
     NULL, "element type: fp32 (default), fp16, bf16 or int8"},
    {"--math", "simt|tc", OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_math,
     "CUDA cores (simt, default) or tensor cores (tc)"},
    {"--objective", "time|traffic", OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_objective,
     "minimise estimated time (default) or global traffic"},
    {"--no-fuse", NULL, OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_no_fuse,
     "no fusion: every layer a unit of its own (A/B baseline)"},
    {"--allow", "KINDS", OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_allow,
     "fused kinds allowed: dwpw,pwdw,pwpw,pwdwpw (default all)"},
    {"--tile", "KIND=HxWxCxCHUNKxTHREADS", OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_tile,
     "this tile for every unit of KIND (pw, pwpw: H=1, W=pixels)"},
    {"--layers", "A,B", OPT_STRING, AT(layers), 0, 0, 0, TOOL_ESTIMATE, NULL,
     "keep only the rows that contain one of these layers"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_PLAN, NULL, "write the plan JSON to FILE"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_PROBE, NULL,
     "write the spec to FILE (nothing is written without it)"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_VALIDATE, NULL,
     "with --calibrate: write the calibrated GPU spec to FILE"},
    {"--id", "ID", OPT_STRING, AT(id), 0, 0, 0, TOOL_PROBE, NULL,
     "the spec's id, [a-z0-9_]{1,63} (default: from the device name)"},
    {"--iters", "K", OPT_INT, AT(iters), 50, 100000, 100, TOOL_RUN, NULL,
     "timing repetitions, medians (default 100)"},
    {"--iters", "N", OPT_INT, AT(iters), 5, 100000, 20, TOOL_VALIDATE, NULL,
     "launches timed per kernel, median (default 20)"},
    {"--tune", "N", OPT_INT, AT(tune), 0, 64, 0, TOOL_RUN, NULL,
     "time the model's N best tiles per unit, keep the fastest (0: off)"},
    {"--save-plan", "FILE", OPT_FILE, AT(save_plan), 0, 0, 0, TOOL_RUN, NULL,
     "write the plan as executed (tuned tiles included)"},
    {"--report", "FILE", OPT_FILE, AT(report), 0, 0, 0, TOOL_RUN | TOOL_VALIDATE, NULL,
     "write the JSON report to FILE"},
    {"--tiles", "K", OPT_INT, AT(tiles), 1, 32, 6, TOOL_VALIDATE, NULL,
     "tile candidates per unit (default 6)"},
    {"--no-counters", NULL, OPT_FLAG, AT(no_counters), 0, 0, 0, TOOL_VALIDATE, NULL,
     "timings only (no CUPTI hardware counters)"},
    {"--calibrate", NULL, OPT_FLAG, AT(calibrate), 0, 0, 0, TOOL_VALIDATE, NULL,
     "fit the time model's constants to the measurements (with -o)"},
};
#define N_ROWS (int)(sizeof ROWS / sizeof ROWS[0])

/* ---- values ---- */

static bool parse_long(const char *s, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool set_int(const char *cmd, const opt_row *r, const char *v, int *dst) {
    long x;
    if (!parse_long(v, r->lo, r->hi, &x)) {
        tool_usage_error(cmd, "%s: \"%s\" is not an integer in %ld..%ld", r->name, v, r->lo, r->hi);
        return false;
    }
    *dst = (int)x;
    return true;
}

static bool set_batches(const char *cmd, const opt_row *r, const char *v, tool_options *o) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    o->n_batches = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (o->n_batches == TOOL_MAX_BATCHES) {
            tool_usage_error(cmd, "%s: at most %d batch sizes", r->name, TOOL_MAX_BATCHES);
            return false;
        }
        if (!set_int(cmd, r, tok, &o->batches[o->n_batches])) return false;
        o->n_batches++;
    }
    if (o->n_batches == 0) {
        tool_usage_error(cmd, "%s: no batch size in \"%s\"", r->name, v);
        return false;
    }
    o->batch_set = true;
    return true;
}

/* Stores v (NULL for a flag) as row r says. */
static bool set_value(const char *cmd, const opt_row *r, const char *v, tool_options *o) {
    char *at = (char *)o + r->offset;
    switch (r->kind) {
    case OPT_FLAG: *(bool *)at = true; return true;
    case OPT_INT:
        if (r->offset == AT(batch)) o->batch_set = true;
        return set_int(cmd, r, v, (int *)at);
    case OPT_BATCHES: return set_batches(cmd, r, v, o);
    case OPT_DTYPE:
        if (!cm_dtype_parse(v, &o->dtype)) {
            tool_usage_error(cmd, "%s: \"%s\" is not fp32, fp16, bf16 or int8", r->name, v);
            return false;
        }
        o->dtype_set = true;
        return true;
    case OPT_FILE:
        if (!*v) {
            tool_usage_error(cmd, "%s: empty file name", r->name);
            return false;
        }
        *(const char **)at = v;
        return true;
    case OPT_STRING: *(const char **)at = v; return true;
    case OPT_CUSTOM: return r->set(cmd, v, o);
    }
    return false;
}

/* The row of command bit `bit` named like arg ("--batch" or "--batch=4"), or NULL. */
static const opt_row *find_row(unsigned bit, const char *arg, const char **inline_value) {
    for (int i = 0; i < N_ROWS; i++) {
        const opt_row *r = &ROWS[i];
        size_t n = strlen(r->name);
        if (!(r->cmds & bit) || strncmp(arg, r->name, n) != 0) continue;
        if (arg[n] == '\0') {
            *inline_value = NULL;
            return r;
        }
        if (arg[n] == '=') {
            *inline_value = arg + n + 1;
            return r;
        }
    }
    return NULL;
}

static void set_defaults(const tool_command *c, tool_options *o) {
    memset(o, 0, sizeof *o);
    o->cmd = c->name;
    o->plan = fp_plan_default_options();
    o->dtype = CM_F32;
    o->batch = 1;
    o->batches[0] = 1;
    o->n_batches = 1;
    for (int i = 0; i < N_ROWS; i++)
        if ((ROWS[i].cmds & c->bit) && ROWS[i].kind == OPT_INT)
            *(int *)((char *)o + ROWS[i].offset) = (int)ROWS[i].def;
}

/* One option at argv[*i]; advances *i past a separate value. -1 or exit code. */
static int parse_option(const tool_command *c, int argc, char **argv, int *i, tool_options *o) {
    const char *v = NULL;
    const opt_row *r = find_row(c->bit, argv[*i], &v);
    if (!r) return tool_usage_error(c->name, "unknown option \"%s\"", argv[*i]);
    if (!r->meta) {
        if (v) return tool_usage_error(c->name, "%s takes no value", r->name);
    } else if (!v) {
        if (*i + 1 >= argc) return tool_usage_error(c->name, "%s needs a value", r->name);
        v = argv[++*i];
    }
    return set_value(c->name, r, v, o) ? -1 : 2;
}

int tool_parse(const tool_command *c, int argc, char **argv, tool_options *o) {
    set_defaults(c, o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            tool_help(c, stdout);
            return 0;
        }
        if (a[0] == '-' && a[1] != '\0') {
            int rc = parse_option(c, argc, argv, &i, o);
            if (rc >= 0) return rc;
        } else if (o->n_pos >= c->max_pos || o->n_pos >= TOOL_MAX_POS) {
            if (c->max_pos > 1) return tool_usage_error(c->name, "at most %d %ss", c->max_pos, c->pos_name);
            return tool_usage_error(c->name, "unexpected argument \"%s\"", a);
        } else {
            o->pos[o->n_pos++] = a;
        }
    }
    if (o->n_pos < c->min_pos) return tool_usage_error(c->name, "missing %s", c->pos_name);
    o->plan.batch = o->batch;
    o->plan.dtype = o->dtype;
    return -1;
}

void tool_help(const tool_command *c, FILE *f) {
    fprintf(f, "usage: fuseplan %s%s%s [OPTIONS]\n\n%s\n", c->name, *c->synopsis ? " " : "",
            c->synopsis, c->help);
    fprintf(f, "\noptions:\n  %-30s %s\n", "-h, --help", "print this help");
    for (int i = 0; i < N_ROWS; i++) {
        const opt_row *r = &ROWS[i];
        if (!(r->cmds & c->bit)) continue;
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", r->name, r->meta ? " " : "", r->meta ? r->meta : "");
        if (strlen(left) > 30) fprintf(f, "  %s\n  %-30s %s", left, "", r->help);
        else fprintf(f, "  %-30s %s", left, r->help);
        if (r->kind == OPT_INT || r->kind == OPT_BATCHES) fprintf(f, " [%ld..%ld]", r->lo, r->hi);
        fputc('\n', f);
    }
}
