/* tool_opts.c - the option table and its parser (see tool_opts.h). */
#include "tool_opts.h"

#include "tool_out.h"

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
    OPT_FILE,    /* a file to write (or run --input's to read): not empty */
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
    /* arguments are echoed escaped (tool_safe): one line, nothing raw */
    char raw[1024], safe[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    fprintf(stderr, "fuseplan %s: %s (see fuseplan %s --help)\n", cmd, tool_safe(raw, safe, sizeof safe),
            cmd);
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

/* --math simt|tc, with the fp32 names of the same modes: strict (FFMA on CUDA
 * cores, cuDNN's FMA math) and tf32 (tensor cores); checked against --dtype
 * once all options are read. */
static bool set_math(const char *cmd, const char *v, tool_options *o) {
    if (strcmp(v, "strict") == 0) o->plan.math = CM_MATH_SIMT;
    else if (strcmp(v, "tf32") == 0) o->plan.math = CM_MATH_TC;
    else if (!cm_math_parse(v, &o->plan.math)) {
        tool_usage_error(cmd, "--math: \"%s\" is not simt, tc, strict or tf32", v);
        return false;
    }
    o->math_set = true;
    o->math_tf32 = strcmp(v, "tf32") == 0;
    return true;
}

/* --no-fuse and --allow both say which fusions may happen; together they
 * contradict each other, so the pair is refused in either order (checked
 * once all options are read, in tool_parse). */
static bool set_no_fuse(const char *cmd, const char *v, tool_options *o) {
    (void)cmd, (void)v;
    o->plan.allowed = 0;
    o->no_fuse_set = true;
    return true;
}

static bool set_allow(const char *cmd, const char *v, tool_options *o) {
    unsigned allowed = 0;
    for (const char *p = v;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char tok[32];
        cm_kind k;
        snprintf(tok, sizeof tok, "%.*s", (int)(n < sizeof tok ? n : sizeof tok - 1), p);
        if (n == 0 || n >= sizeof tok || !cm_kind_parse(tok, &k) || cm_kind_layers(k) < 2) {
            tool_usage_error(cmd, "--allow: \"%s\" in \"%s\" is not one of dwpw, pwdw, pwpw, "
                             "pwdwpw", tok, v);
            return false;
        }
        allowed |= 1u << k;
        if (!e) break;
        p = e + 1;
    }
    o->plan.allowed = allowed;
    o->allow_set = true;
    return true;
}

/* --tile is kept as written and resolved once --dtype and --math are known
 * (resolve_tiles): a tile is a compiled variant or nothing. */
static bool set_tile(const char *cmd, const char *v, tool_options *o) {
    if (o->n_tiles == CM_KIND_COUNT) {
        tool_usage_error(cmd, "--tile: at most %d (one per kind)", CM_KIND_COUNT);
        return false;
    }
    o->tile_args[o->n_tiles++] = v;
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
    {"--math", "simt|tc", OPT_CUSTOM, 0, 0, 0, 0, PLANNING | TOOL_RUN | TOOL_VALIDATE, set_math,
     "CUDA cores (simt, default) or tensor cores (tc)"},
    {"--objective", "time|traffic", OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_objective,
     "minimise estimated time (default) or global traffic"},
    {"--no-fuse", NULL, OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_no_fuse,
     "no fusion: every layer a unit of its own (A/B baseline)"},
    {"--allow", "KINDS", OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_allow,
     "fused kinds allowed: dwpw,pwdw,pwpw,pwdwpw (default all)"},
    {"--tile", "KIND=HxWxCxCHUNKxTHREADS", OPT_CUSTOM, 0, 0, 0, 0, PLANNING, set_tile,
     "this compiled variant for every unit of KIND (pw, pwpw: H=1, W=pixels); or a variant name"},
    {"--layers", "A,B", OPT_STRING, AT(layers), 0, 0, 0, TOOL_ESTIMATE, NULL,
     "keep only the rows that contain one of these layers"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_PLAN, NULL, "write the plan JSON to FILE"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_PROBE, NULL,
     "write the spec to FILE (nothing is written without it)"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_VALIDATE, NULL,
     "with --calibrate: write the calibrated GPU spec to FILE"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_REPORT, NULL, "write the HTML page to FILE (required)"},
    {"-o", "FILE", OPT_FILE, AT(out), 0, 0, 0, TOOL_IMPORT, NULL,
     "the model JSON to write (default: MODEL's stem + .json); weights beside it"},
    {"--id", "ID", OPT_STRING, AT(id), 0, 0, 0, TOOL_PROBE, NULL,
     "the spec's id, [a-z0-9_]{1,63} (default: from the device name)"},
    {"--iters", "K", OPT_INT, AT(iters), 50, 100000, 100, TOOL_RUN, NULL,
     "timing repetitions, medians (default 100)"},
    {"--iters", "N", OPT_INT, AT(iters), 5, 100000, 20, TOOL_VALIDATE, NULL,
     "launches timed per kernel, median (default 20)"},
    {"--tune", "N", OPT_INT, AT(tune), 0, 64, 0, TOOL_RUN, NULL,
     "time the model's N best tiles per unit, keep the fastest (0: off)"},
    {"--no-energy", NULL, OPT_FLAG, AT(no_energy), 0, 0, 0, TOOL_RUN, NULL,
     "skip the energy windows (3 replays of 1-10 s, 5 s on an H100; the report says why)"},
    {"--save-plan", "FILE", OPT_FILE, AT(save_plan), 0, 0, 0, TOOL_RUN, NULL,
     "write the plan as executed (tuned tiles included)"},
    {"--input", "FILE", OPT_FILE, AT(input), 0, 0, 0, TOOL_RUN, NULL,
     "the model's input: raw little-endian float32, NCHW, batch*C*H*W values (default: random)"},
    {"--output", "FILE", OPT_FILE, AT(output), 0, 0, 0, TOOL_RUN, NULL,
     "write the fused plan's first model output as raw float32 (NCHW; [N][C] as is)"},
    {"--report", "FILE", OPT_FILE, AT(report), 0, 0, 0, TOOL_RUN | TOOL_VALIDATE, NULL,
     "write the JSON report to FILE"},
    {"--tiles", "K", OPT_INT, AT(tiles), 1, 32, 6, TOOL_VALIDATE, NULL,
     "tile candidates per unit (default 6)"},
    {"--no-counters", NULL, OPT_FLAG, AT(no_counters), 0, 0, 0, TOOL_VALIDATE, NULL,
     "timings only (no CUPTI hardware counters)"},
    {"--calibrate", NULL, OPT_FLAG, AT(calibrate), 0, 0, 0, TOOL_VALIDATE, NULL,
     "fit the time model's constants to the measurements (with -o)"},
    {"--from", "REPORT", OPT_STRING, AT(from), 0, 0, 0, TOOL_VALIDATE, NULL,
     "re-analyse measured reports (.json or .json.gz; more as arguments) with this tree's model: no GPU"},
    {"--summary", "FILE", OPT_FILE, AT(summary), 0, 0, 0, TOOL_VALIDATE, NULL,
     "write the headline figures, held out (validation_summary.json) to FILE"},
    {"--holdout-models", "A,B", OPT_STRING, AT(holdout_models), 0, 0, 0, TOOL_VALIDATE, NULL,
     "models in no fit of the held-out splits (default proxylessnas_gpu,xception)"},
    {"--quiet", NULL, OPT_FLAG, AT(quiet), 0, 0, 0, TOOL_RUN | TOOL_VALIDATE, NULL,
     "no progress line on stderr (shown only when stderr is a terminal)"},
};
#define N_ROWS (int)(sizeof ROWS / sizeof ROWS[0])

/* ---- values ---- */

/* A decimal integer written plainly: an optional '-' and digits only (no
 * '+', no spaces, no empty text), in [lo, hi] without overflow. */
static bool parse_long(const char *s, long lo, long hi, long *out) {
    const char *d = s[0] == '-' ? s + 1 : s;
    if (*d < '0' || *d > '9') return false;
    for (const char *p = d; *p; p++)
        if (*p < '0' || *p > '9') return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* One --tile: "KIND=HxWxCxCHUNKxTHREADS" or a variant name; it must be a
 * compiled row (cm_variant_find) of the plan's dtype and math, exactly as a
 * plan file's "forced_variants" (planner/fp_plan_json.c). */
static bool resolve_tile(const char *cmd, const char *v, tool_options *o) {
    cm_variant_id id = {CM_KIND_DW, o->dtype, CM_MATH_SIMT, {0, 0, 0, 0, 0}};
    const char *eq = strchr(v, '=');
    char kind[16];
    if (eq) {
        size_t kl = (size_t)(eq - v);
        snprintf(kind, sizeof kind, "%.*s", (int)(kl < sizeof kind ? kl : sizeof kind - 1), v);
        int *f[5] = {&id.tile.tile_h, &id.tile.tile_w, &id.tile.tile_c, &id.tile.chunk_c,
                     &id.tile.threads};
        const char *p = eq + 1;
        bool ok = kl < sizeof kind && cm_kind_parse(kind, &id.kind);
        for (int i = 0; i < 5 && ok; i++) {
            const char *e = strchr(p, i < 4 ? 'x' : '\0');
            char num[16];
            size_t n = e ? (size_t)(e - p) : 0;
            long x;
            snprintf(num, sizeof num, "%.*s", (int)(n < sizeof num ? n : sizeof num - 1), p);
            ok = e && n < sizeof num && parse_long(num, 1, 65536, &x);
            if (ok) *f[i] = (int)x;
            p = e ? e + 1 : p;
        }
        if (!ok) {
            tool_usage_error(cmd, "--tile: \"%s\" is not KIND=HxWxCxCHUNKxTHREADS with KIND one of "
                             "dw, pw, dwpw, pwdw, pwpw, pwdwpw and each number in 1..65536 (e.g. "
                             "pwdwpw=4x8x32x32x128; flat kinds use H=1 and W=pixels), nor a "
                             "variant name", v);
            return false;
        }
    } else if (!cm_variant_id_parse(v, &id)) {
        tool_usage_error(cmd, "--tile: \"%s\" is not KIND=HxWxCxCHUNKxTHREADS nor a variant name "
                         "(KIND_DTYPE_MATH_tHxW_cC_kCHUNK_nTHREADS)", v);
        return false;
    } else if (id.dtype != o->dtype || id.math != cm_kind_math(id.kind, o->plan.math)) {
        tool_usage_error(cmd, "--tile: \"%s\" is a %s %s variant but a %s unit of this plan is %s %s",
                         v, cm_dtype_name(id.dtype), cm_math_name(id.math), cm_kind_name(id.kind),
                         cm_dtype_name(o->dtype), cm_math_name(cm_kind_math(id.kind, o->plan.math)));
        return false;
    }
    /* the KIND=... form names no math: its kind's math in this plan */
    if (eq) id.math = cm_kind_math(id.kind, o->plan.math);
    char name[CM_VARIANT_NAME_MAX];
    cm_variant_id_format(&id, name, sizeof name);
    if (!cm_variant_find(&id)) {
        /* name the compiled rows of this kind, so the fix is in the message */
        size_t n = 0, shown = 0;
        const cm_variant *rows = cm_variants(&n);
        char some[256] = "";
        for (size_t i = 0; i < n && shown < 3; i++)
            if (rows[i].id.kind == id.kind && rows[i].id.dtype == id.dtype &&
                rows[i].id.math == id.math) {
                size_t at = strlen(some);
                snprintf(some + at, sizeof some - at, "%s%s", shown++ ? ", " : "", rows[i].name);
            }
        tool_usage_error(cmd, "--tile: \"%s\" (%s) is not a compiled variant "
                         "(costmodel/cm_variants.inc)%s%s", v, name,
                         shown ? "; e.g. " : "; this dtype and math have none of this kind", some);
        return false;
    }
    if (o->plan.tile_forced[id.kind]) {
        tool_usage_error(cmd, "--tile: \"%s\" is a second tile for %s", v, cm_kind_name(id.kind));
        return false;
    }
    o->plan.tile_forced[id.kind] = true;
    o->plan.forced_tile[id.kind] = id.tile;
    return true;
}

/* A forced tile of a fused kind that --allow or --no-fuse rules out would
 * never be used: the pair contradicts itself, like --no-fuse with --allow. */
static bool tiles_allowed(const char *cmd, const tool_options *o) {
    for (int k = 0; k < CM_KIND_COUNT; k++)
        if (o->plan.tile_forced[k] && cm_kind_layers((cm_kind)k) >= 2 && !(o->plan.allowed & (1u << k))) {
            const char *name = cm_kind_name((cm_kind)k);
            tool_usage_error(cmd, "--tile forces a %s tile, but %s: no %s unit is made", name,
                             o->no_fuse_set ? "--no-fuse fuses nothing" : "--allow leaves that kind out", name);
            return false;
        }
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
    o->n_batches = 0;
    /* every entry between commas is a batch size: "1,,2", "1," and "" are
     * refused rather than read as fewer sizes */
    for (const char *p = v;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char tok[32];
        if (o->n_batches == TOOL_MAX_BATCHES) {
            tool_usage_error(cmd, "%s: at most %d batch sizes in \"%s\"", r->name,
                             TOOL_MAX_BATCHES, v);
            return false;
        }
        snprintf(tok, sizeof tok, "%.*s", (int)(n < sizeof tok ? n : sizeof tok - 1), p);
        if (n == 0) {
            tool_usage_error(cmd, "%s: \"%s\" has an empty entry; give N[,N...], each in "
                             "%ld..%ld", r->name, v, r->lo, r->hi);
            return false;
        }
        if (n >= sizeof tok || !set_int(cmd, r, tok, &o->batches[o->n_batches])) {
            if (n >= sizeof tok)
                tool_usage_error(cmd, "%s: \"%s\" is not an integer in %ld..%ld", r->name, v,
                                 r->lo, r->hi);
            return false;
        }
        o->n_batches++;
        if (!e) break;
        p = e + 1;
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
        if (r->offset == AT(tiles) || r->offset == AT(iters)) o->measuring_set = true;
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
    case OPT_STRING:
        /* --gpu "" would be looked up as a file named "" */
        if (!*v && r->offset == AT(gpu)) {
            tool_usage_error(cmd, "%s: empty; give a spec file or a shipped id", r->name);
            return false;
        }
        *(const char **)at = v;
        return true;
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
        if (strcmp(a, "--version") == 0) {
            tool_version(stdout);
            return 0;
        }
        if (a[0] == '-' && a[1] != '\0') {
            int rc = parse_option(c, argc, argv, &i, o);
            if (rc >= 0) return rc;
        } else if (o->n_pos >= c->max_pos || o->n_pos >= TOOL_MAX_POS) {
            if (c->max_pos > 1) return tool_usage_error(c->name, "at most %d %ss", c->max_pos, c->pos_name);
            return tool_usage_error(c->name, "unexpected argument \"%s\"", a);
        } else if (!a[0]) {
            return tool_usage_error(c->name, "an empty %s argument (a file name or a shipped name)",
                                    c->pos_name);
        } else {
            o->pos[o->n_pos++] = a;
        }
    }
    if (o->n_pos < c->min_pos) return tool_usage_error(c->name, "missing %s", c->pos_name);
    if (o->no_fuse_set && o->allow_set)
        return tool_usage_error(c->name, "--no-fuse and --allow contradict each other; give one "
                                "(--no-fuse is --allow with no kind)");
    /* fp16/bf16 GEMMs run on tensor cores unless --math says otherwise; fp32
     * stays strict (cuDNN's FMA math) unless asked for TF32 */
    if (!o->math_set) o->plan.math = (o->dtype == CM_F16 || o->dtype == CM_BF16) ? CM_MATH_TC : CM_MATH_SIMT;
    if (o->math_tf32 && o->dtype != CM_F32)
        return tool_usage_error(c->name, "--math tf32 is for fp32 tensors; --dtype %s uses tc",
                                cm_dtype_name(o->dtype));
    for (int i = 0; i < o->n_tiles; i++)
        if (!resolve_tile(c->name, o->tile_args[i], o)) return 2;
    if (!tiles_allowed(c->name, o)) return 2;
    o->plan.batch = o->batch;
    o->plan.dtype = o->dtype;
    return -1;
}

void tool_help(const tool_command *c, FILE *f) {
    fprintf(f, "usage: fuseplan %s%s%s [OPTIONS]\n\n%s\n", c->name, *c->synopsis ? " " : "",
            c->synopsis, c->help);
    fprintf(f, "\noptions:\n  %-30s %s\n", "-h, --help", "print this help");
    fprintf(f, "  %-30s %s\n", "--version", "print the version and commit");
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
