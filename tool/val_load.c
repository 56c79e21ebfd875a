/* val_load.c - measured validation reports back into validation cases (see
 * val_load.h and docs/validation.md, "Re-analysing measured reports"). */
#include "val_load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fp_data.h"
#include "report_common.h"
#include "tool_read.h"

#define VAL_FORMAT "fuseplan-validation"
#define VAL_VERSION 1

/* Prints "fuseplan validate: MSG" and returns 2. */
static int bad(const char *msg) {
    fprintf(stderr, "fuseplan validate: %s\n", msg);
    return 2;
}

/* A variant name as the report wrote it: today's format, or the one before
 * dtype and math were part of the identity ("dw_t8x16_c32_k32_n256", every
 * such report fp32 on CUDA cores), which is today's name with the case's
 * dtype tag and the kind's math under the case's plan math inserted after
 * the kind. */
static bool parse_variant(const char *name, cm_dtype dtype, cm_math plan_math, cm_variant_id *id, bool *old) {
    *old = false;
    if (cm_variant_id_parse(name, id)) return true;
    const char *us = strchr(name, '_');
    if (!us || us[1] != 't') return false;
    char kind_s[16];
    const size_t kl = (size_t)(us - name);
    if (kl == 0 || kl >= sizeof kind_s) return false;
    memcpy(kind_s, name, kl);
    kind_s[kl] = '\0';
    cm_kind kind;
    if (!cm_kind_parse(kind_s, &kind)) return false;
    char full[CM_VARIANT_NAME_MAX + 32];
    snprintf(full, sizeof full, "%s_%s_%s%s", kind_s, cm_dtype_tag(dtype),
             cm_math_name(cm_kind_math(kind, plan_math)), us);
    if (!cm_variant_id_parse(full, id)) return false;
    *old = true;
    return true;
}

/* What a measurement can be: a kernel's time in microseconds (a GPU timer
 * resolves about 1 ns; the ceiling is the reports' one, REP_TIME_MAX_US, a
 * quarter of an hour) and a byte count of the counters (whole bytes, exact
 * in a double). */
#define MEASURED_US_MIN 1e-3
#define MEASURED_BYTES_MAX 9007199254740992.0 /* 2^53 */

/* A measured time at PATH.KEY in MEASURED_US_MIN..REP_TIME_MAX_US; NAN when
 * absent and not required. */
static double measured_us(const rep_doc *d, const cJSON *o, const char *path, const char *key, bool required,
                          rep_err *e) {
    const double v = rep_num(d, o, path, key, required, e);
    if (!isnan(v) && !(v >= MEASURED_US_MIN && v <= REP_TIME_MAX_US))
        rep_fail_value(e, d, path, key, v, "a measured time in 0.001..1e9 us");
    return v;
}

/* A counted number of bytes at PATH.KEY: a whole number in 0..2^53. */
static double measured_bytes(const rep_doc *d, const cJSON *o, const char *path, const char *key, rep_err *e) {
    const double v = rep_num(d, o, path, key, true, e);
    if (!isnan(v) && !(v >= 0 && v <= MEASURED_BYTES_MAX && v == floor(v)))
        rep_fail_value(e, d, path, key, v, "a byte count (a whole number in 0..2^53)");
    return v;
}

/* A hit rate in percent at PATH.KEY: not negative (CUPTI's L2 rate passes
 * 100 now and then, counting sectors two ways) and below 1000; NAN when absent. */
static double measured_pct(const rep_doc *d, const cJSON *o, const char *path, const char *key, rep_err *e) {
    const double v = rep_num(d, o, path, key, false, e);
    if (!isnan(v) && !(v >= 0 && v < 1000)) rep_fail_value(e, d, path, key, v, "a hit rate in 0..1000 %");
    return v;
}

/* An optional whole number at KEY of the root in lo..hi; 0 when absent. */
static int header_int(const rep_doc *d, const char *key, int lo, int hi, rep_err *e) {
    const double v = rep_num(d, d->root, "", key, false, e);
    if (isnan(v)) return 0;
    if (!(v >= lo && v <= hi && v == floor(v))) {
        char what[64];
        snprintf(what, sizeof what, "a whole number in %d..%d", lo, hi);
        rep_fail_value(e, d, "", key, v, what);
        return 0;
    }
    return (int)v;
}

/* Counters object o (at JSON path p) into *v; false when absent. */
static bool read_counters(const rep_doc *d, const cJSON *cand, const char *path, const char *key,
                          rt_val_counters *v, rep_err *e) {
    const cJSON *o = rep_obj(d, cand, path, key, false, e);
    if (!o) return false;
    char p[200];
    snprintf(p, sizeof p, "%s.%s", path, key);
    v->l2_read_bytes = measured_bytes(d, o, p, "l2_read_bytes", e);
    v->l2_write_bytes = measured_bytes(d, o, p, "l2_write_bytes", e);
    v->dram_read_bytes = measured_bytes(d, o, p, "dram_read_bytes", e);
    v->dram_write_bytes = measured_bytes(d, o, p, "dram_write_bytes", e);
    v->l2_hit_rate_pct = measured_pct(d, o, p, "l2_hit_rate_pct", e);
    v->duration_us = measured_us(d, o, p, "duration_us", false, e);
    return true;
}

/* The model, spec and plan of one case, as validate loads them for a MODEL
 * argument: the model file the report names when it exists (relative to the
 * working directory: reports are written from the repository root), else
 * the shipped model of that name. */
static int load_case_inputs(const rep_doc *d, const char *cpath, const char *model, const char *model_file,
                            const char *gpu, int batch, cm_dtype dtype, cm_math math, rt_val_case *c) {
    char err[2048], msg[2300];
    fp_status st = fp_open_model(model_file, &c->m, err, sizeof err);
    if (st != FP_OK) st = fp_open_model(model, &c->m, err, sizeof err);
    if (st != FP_OK) {
        snprintf(msg, sizeof msg, "%s: %s: model \"%s\" (%s): %s", d->path, cpath, model, model_file, err);
        return bad(msg);
    }
    if (strcmp(c->m.name, model) != 0) {
        snprintf(msg, sizeof msg, "%s: %s.model: \"%s\", but %s is \"%s\"", d->path, cpath, model, c->m.path,
                 c->m.name);
        fp_model_free(&c->m);
        return bad(msg);
    }
    st = fp_open_gpu(gpu, &c->g, err, sizeof err);
    if (st == FP_OK) {
        fp_plan_options o = fp_plan_default_options();
        o.batch = batch;
        o.dtype = dtype;
        o.math = math;
        st = fp_plan_build(&c->m, &c->g, &o, &c->p, err, sizeof err);
    }
    if (st != FP_OK) {
        snprintf(msg, sizeof msg, "%s: %s: %s", d->path, cpath, err);
        fp_model_free(&c->m);
        return fp_status_exit_code(st) == 1 ? 1 : bad(msg);
    }
    c->loaded = true;
    return 0;
}

/* The layer called name in m, or -1. */
static int find_layer(const fp_model *m, const char *name) {
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

/* One case: inputs loaded, units parsed, the case rebuilt. */
static int load_case(const rep_doc *d, const cJSON *jc, const char *cpath, const char *gpu, rt_val_case *c,
                     val_sources *src) {
    rep_err e = {{0}, false};
    char msg[1200];
    const char *model = rep_str(d, jc, cpath, "model", true, &e);
    const char *model_file = rep_str(d, jc, cpath, "model_file", true, &e);
    const double batch = rep_num(d, jc, cpath, "batch", true, &e);
    const char *dtype_s = rep_str(d, jc, cpath, "dtype", true, &e);
    const char *math_s = rep_str(d, jc, cpath, "math", false, &e);
    const cJSON *units = rep_arr(d, jc, cpath, "units", true, &e);
    if (e.set) return bad(e.msg);
    cm_dtype dtype;
    cm_math math;
    if (!cm_dtype_parse(dtype_s, &dtype) || dtype == CM_I8) {
        snprintf(msg, sizeof msg, "%s: %s.dtype: \"%.40s\" is not fp32, fp16 or bf16", d->path, cpath, dtype_s);
        return bad(msg);
    }
    if (!(batch >= 1 && batch <= FP_MAX_BATCH && batch == floor(batch))) {
        snprintf(msg, sizeof msg, "%s: %s.batch: %g is not an integer in 1..%d", d->path, cpath, batch,
                 FP_MAX_BATCH);
        return bad(msg);
    }
    /* reports before "math" existed: the tool's default (fp32 on CUDA cores,
     * 16-bit types on tensor cores) */
    if (math_s && *math_s) {
        if (!cm_math_parse(math_s, &math)) {
            snprintf(msg, sizeof msg, "%s: %s.math: \"%.40s\" is not simt or tc", d->path, cpath, math_s);
            return bad(msg);
        }
    } else
        math = dtype == CM_F32 ? CM_MATH_SIMT : CM_MATH_TC;
    int rc = load_case_inputs(d, cpath, model, model_file, gpu, (int)batch, dtype, math, c);
    if (rc) return rc;

    const int n_units = cJSON_GetArraySize(units);
    rt_val_meas_unit *mu = calloc((size_t)n_units + 1, sizeof *mu);
    int n_cand_all = 0;
    const cJSON *ju;
    cJSON_ArrayForEach(ju, units) {
        const cJSON *cs = cJSON_IsObject(ju) ? cJSON_GetObjectItemCaseSensitive(ju, "candidates") : NULL;
        n_cand_all += cJSON_IsArray(cs) ? cJSON_GetArraySize(cs) : 0;
    }
    rt_val_meas_cand *mc = calloc((size_t)n_cand_all + 1, sizeof *mc);
    if (!mu || !mc) {
        free(mu);
        free(mc);
        fprintf(stderr, "fuseplan validate: out of memory\n");
        return 1;
    }
    int ui = 0, ci = 0;
    cJSON_ArrayForEach(ju, units) {
        char up[96];
        snprintf(up, sizeof up, "%s.units[%d]", cpath, ui);
        rt_val_meas_unit *u = &mu[ui++];
        if (!cJSON_IsObject(ju)) {
            snprintf(e.msg, sizeof e.msg, "%s: %s: not an object", d->path, up);
            e.set = true;
            break;
        }
        u->name = rep_str(d, ju, up, "name", true, &e);
        const cJSON *ls = rep_arr(d, ju, up, "layers", true, &e);
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(ju, "residual");
        const cJSON *cands = rep_arr(d, ju, up, "candidates", true, &e);
        if (e.set) break;
        if (!cJSON_IsBool(res)) {
            snprintf(e.msg, sizeof e.msg, "%s: %s.residual: missing or not true/false", d->path, up);
            e.set = true;
            break;
        }
        u->residual = cJSON_IsTrue(res);
        if (cJSON_GetArraySize(cands) == 0) { /* validate writes only units it measured */
            snprintf(e.msg, sizeof e.msg, "%s: %s.candidates: empty; a measured unit has at least one", d->path, up);
            e.set = true;
            break;
        }
        const int nl = cJSON_GetArraySize(ls);
        if (nl < 1 || nl > CM_MAX_UNIT_LAYERS) {
            snprintf(e.msg, sizeof e.msg, "%s: %s.layers: %d layers, not 1..%d", d->path, up, nl,
                     CM_MAX_UNIT_LAYERS);
            e.set = true;
            break;
        }
        for (int l = 0; l < nl && !e.set; l++) {
            const cJSON *x = cJSON_GetArrayItem(ls, l);
            const int li = cJSON_IsString(x) ? find_layer(&c->m, x->valuestring) : -1;
            if (li < 0) {
                snprintf(e.msg, sizeof e.msg, "%s: %s.layers[%d]: %s%.80s%s is no layer of %s (%s)", d->path, up, l,
                         cJSON_IsString(x) ? "\"" : "", cJSON_IsString(x) ? x->valuestring : "not a string",
                         cJSON_IsString(x) ? "\"" : "", c->m.name, c->m.path);
                e.set = true;
            }
            u->layers[l] = li;
        }
        u->n_layers = nl;
        u->cand = &mc[ci];
        int k = 0;
        const cJSON *jx;
        cJSON_ArrayForEach(jx, cands) {
            char xp[128];
            snprintf(xp, sizeof xp, "%s.candidates[%d]", up, k++);
            if (e.set) break;
            rt_val_meas_cand *x = &mc[ci];
            const char *name = rep_str(d, jx, xp, "variant", true, &e);
            x->steady.median_us = measured_us(d, jx, xp, "time_us", true, &e);
            if (e.set) break;
            bool old = false;
            if (!parse_variant(name, dtype, math, &x->id, &old)) {
                snprintf(e.msg, sizeof e.msg, "%s: %s.variant: \"%.80s\" is no variant name", d->path, xp, name);
                e.set = true;
                break;
            }
            src->old_names += old;
            x->name = name;
            x->steady.p10_us = measured_us(d, jx, xp, "time_p10_us", false, &e);
            x->steady.p90_us = measured_us(d, jx, xp, "time_p90_us", false, &e);
            const double cold = measured_us(d, jx, xp, "time_cold_us", false, &e);
            x->cold_us = isfinite(cold) ? cold : 0;
            const bool w = read_counters(d, jx, xp, "counters_steady", &x->warm, &e);
            const bool cc = read_counters(d, jx, xp, "counters_cold", &x->cold, &e);
            if (!w || !cc) src->counters = false;
            ci++;
        }
        u->n_cand = (int)(&mc[ci] - u->cand);
        if (e.set) break;
    }
    if (e.set) {
        free(mu);
        free(mc);
        return bad(e.msg);
    }
    char label[600], err[2048];
    snprintf(label, sizeof label, "%s: %s (%s b%d)", d->path, cpath, model, (int)batch);
    fk_status st = rt_val_case_rebuild(c, mu, ui, label, &src->notes, err, sizeof err);
    free(mu);
    free(mc);
    if (st != FK_OK) {
        fprintf(stderr, "fuseplan validate: %s\n", err);
        return st == FK_ERR_NOMEM ? 1 : 2;
    }
    return 0;
}

/* One report: read, checked, its cases appended. */
static int load_one(const char *path, const char *gpu_arg, rt_val_case **cases, int max_cases, int *n_cases,
                    val_sources *src, bool first) {
    rep_doc d;
    memset(&d, 0, sizeof d);
    d.path = path;
    char *text;
    size_t len;
    int rc = tool_read_report("validate", path, &text, &len);
    if (rc) return rc;
    d.root = cJSON_ParseWithLength(text, len);
    if (!d.root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        fprintf(stderr, "fuseplan validate: %s: not JSON (error near byte %ld%s)\n", path, off, tool_read_hint());
        free(text);
        return 2;
    }
    free(text);
    rep_err e = {{0}, false};
    char msg[700];
    /* the format first: a run report is named as one, not by a member it lacks */
    const char *fmt = rep_str(&d, d.root, "", "format", true, &e);
    if (!e.set && strcmp(fmt, VAL_FORMAT) != 0) {
        snprintf(e.msg, sizeof e.msg, "%s: format: \"%.40s\" is not %s (a `fuseplan validate --report` file)", path,
                 fmt, VAL_FORMAT);
        e.set = true;
    }
    const double version = rep_num(&d, d.root, "", "version", true, &e);
    const char *device = rep_str(&d, d.root, "", "device", true, &e);
    const char *commit = rep_str(&d, d.root, "", "commit", false, &e);
    const char *timing = rep_str(&d, d.root, "", "timing", false, &e);
    const char *date = rep_str(&d, d.root, "", "date", false, &e);
    const char *spec = rep_str(&d, d.root, "", "gpu_spec", false, &e);
    if (!e.set && version != VAL_VERSION) {
        snprintf(e.msg, sizeof e.msg, "%s: version: %g is not %d (this fuseplan reads version %d)", path, version,
                 VAL_VERSION, VAL_VERSION);
        e.set = true;
    }
    const cJSON *jcases = rep_arr(&d, d.root, "", "cases", true, &e);
    const int tiles = header_int(&d, "tiles_per_unit", 1, 32, &e);
    const int iters = header_int(&d, "iters", 1, 100000, &e);
    const char *gpu = gpu_arg ? gpu_arg : spec;
    if (!e.set && (!gpu || !*gpu)) {
        snprintf(e.msg, sizeof e.msg, "%s: gpu_spec: missing; name the spec with --gpu", path);
        e.set = true;
    }
    if (e.set) {
        cJSON_Delete(d.root);
        return bad(e.msg);
    }
    if (first) {
        src->tiles = tiles;
        src->iters = iters;
        snprintf(src->device, sizeof src->device, "%s", device);
        snprintf(src->timing, sizeof src->timing, "%s", timing && *timing ? timing : "events");
        /* the day (YYYY-MM-DD of the ISO time) */
        snprintf(src->date, sizeof src->date, "%.10s", date && *date ? date : "?");
    } else if (strcmp(src->device, device) != 0)
        src->mixed_devices = true;
    /* each commit once: reports of one measurement run share it */
    const char *cm = commit && *commit ? commit : "?";
    bool seen = false;
    for (const char *p = src->commits; *p && !seen;) {
        const size_t n = strcspn(p, ",");
        seen = n == strlen(cm) && strncmp(p, cm, n) == 0;
        p += n;
        while (*p == ',' || *p == ' ') p++;
    }
    size_t cl = strlen(src->commits);
    if (!seen) snprintf(src->commits + cl, sizeof src->commits - cl, "%s%s", cl ? ", " : "", cm);
    int i = 0;
    const cJSON *jc;
    cJSON_ArrayForEach(jc, jcases) {
        char cpath[32];
        snprintf(cpath, sizeof cpath, "cases[%d]", i++);
        if (*n_cases == max_cases) {
            snprintf(msg, sizeof msg, "%s: %s: more than %d cases in all", path, cpath, max_cases);
            rc = bad(msg);
            break;
        }
        if (!cJSON_IsObject(jc)) {
            snprintf(msg, sizeof msg, "%s: %s: not an object", path, cpath);
            rc = bad(msg);
            break;
        }
        rt_val_case *c = calloc(1, sizeof *c);
        if (!c) {
            rc = 1;
            fprintf(stderr, "fuseplan validate: out of memory\n");
            break;
        }
        cases[(*n_cases)++] = c;
        rc = load_case(&d, jc, cpath, gpu, c, src);
        if (rc) break;
    }
    if (!rc && i == 0) {
        snprintf(msg, sizeof msg, "%s: cases: empty", path);
        rc = bad(msg);
    }
    cJSON_Delete(d.root);
    return rc;
}

int val_load_reports(const char *const *paths, int n_paths, const char *gpu, rt_val_case **cases, int max_cases,
                     int *n_cases, val_sources *src) {
    memset(src, 0, sizeof *src);
    src->counters = true;
    for (int i = 0; i < n_paths; i++) {
        int rc = load_one(paths[i], gpu, cases, max_cases, n_cases, src, i == 0);
        if (rc) return rc;
    }
    return 0;
}
