#include "fp_json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool fpj_fail(fp_jctx *c, const char *path, const char *key, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *sep = (path && path[0] && key && key[0]) ? "." : "";
    const char *p = path ? path : "";
    const char *k = key ? key : "";
    const char *loc_sep = (p[0] || k[0]) ? ": " : "";
    if (c->err && c->err_len)
        snprintf(c->err, c->err_len, "%s: %s%s%s%s%s", c->file, p, sep, k, loc_sep, msg);
    if (c->status == FP_OK) c->status = FP_ERR_INVALID;
    return false;
}

fp_status fpj_read_file(const char *path, size_t max_bytes, char **out, size_t *len, char *err,
                        size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return fp_fail(err, err_len, FP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return fp_fail(err, err_len, FP_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max_bytes) {
                free(buf);
                fclose(f);
                return fp_fail(err, err_len, FP_ERR_IO, "%s: file larger than %zu bytes", path,
                               max_bytes);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return fp_fail(err, err_len, FP_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return fp_fail(err, err_len, FP_ERR_IO, "%s: read error", path);
    }
    if (n > max_bytes) {
        free(buf);
        return fp_fail(err, err_len, FP_ERR_IO, "%s: file larger than %zu bytes", path, max_bytes);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return fp_fail(err, err_len, FP_ERR_PARSE, "%s: contains a NUL byte; not a JSON text file",
                       path);
    }
    *out = buf;
    if (len) *len = n;
    return FP_OK;
}

cJSON *fpj_parse(fp_jctx *c, const char *text) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, true);
    if (!root) {
        const char *at = end ? end : cJSON_GetErrorPtr();
        int line = 1, col = 1;
        if (at) {
            for (const char *p = text; p < at && *p; p++) {
                if (*p == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
        }
        if (c->err && c->err_len)
            snprintf(c->err, c->err_len, "%s: malformed JSON at line %d, column %d", c->file, line,
                     col);
        c->status = FP_ERR_PARSE;
    }
    return root;
}

const char *fpj_repr(const cJSON *v, char *buf, size_t len) {
    if (!v) {
        snprintf(buf, len, "missing");
    } else if (cJSON_IsString(v)) {
        snprintf(buf, len, "\"%.60s\"%s", v->valuestring, strlen(v->valuestring) > 60 ? "..." : "");
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, len, "%.15g", v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, len, "null");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, len, "an array");
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, len, "an object");
    } else {
        snprintf(buf, len, "an invalid value");
    }
    return buf;
}

bool fpj_check_object(fp_jctx *c, const cJSON *obj, const char *path, const char *const *allowed) {
    char r[96];
    if (!cJSON_IsObject(obj))
        return fpj_fail(c, path, NULL, "expected an object, got %s", fpj_repr(obj, r, sizeof r));
    for (const cJSON *m = obj->child; m; m = m->next) {
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            if (m->string && strcmp(m->string, *a) == 0) known = true;
        if (!known) return fpj_fail(c, path, m->string, "unknown member");
        for (const cJSON *o = obj->child; o != m; o = o->next)
            if (strcmp(o->string, m->string) == 0)
                return fpj_fail(c, path, m->string, "member appears twice");
    }
    return true;
}

static bool number_member(fp_jctx *c, const cJSON *obj, const char *path, const char *key,
                          bool required, const cJSON **out) {
    char r[96];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v) return required ? fpj_fail(c, path, key, "required member is missing") : true;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return fpj_fail(c, path, key, "expected a number, got %s", fpj_repr(v, r, sizeof r));
    *out = v;
    return true;
}

bool fpj_value_int(fp_jctx *c, const cJSON *v, const char *path, long lo, long hi, int *out) {
    char r[96];
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return fpj_fail(c, path, NULL, "expected an integer, got %s", fpj_repr(v, r, sizeof r));
    double d = v->valuedouble;
    if (d != floor(d))
        return fpj_fail(c, path, NULL, "%s is not an integer", fpj_repr(v, r, sizeof r));
    if (d < (double)lo || d > (double)hi)
        return fpj_fail(c, path, NULL, "%s is out of range [%ld, %ld]", fpj_repr(v, r, sizeof r), lo,
                        hi);
    *out = (int)d;
    return true;
}

bool fpj_int(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required, long lo,
             long hi, int *out) {
    const cJSON *v;
    if (!number_member(c, obj, path, key, required, &v)) return false;
    if (!v) return true;
    char r[96];
    double d = v->valuedouble;
    if (d != floor(d)) return fpj_fail(c, path, key, "%s is not an integer", fpj_repr(v, r, sizeof r));
    if (d < (double)lo || d > (double)hi)
        return fpj_fail(c, path, key, "%s is out of range [%ld, %ld]", fpj_repr(v, r, sizeof r), lo,
                        hi);
    *out = (int)d;
    return true;
}

bool fpj_number(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required,
                double lo, double hi, double *out) {
    const cJSON *v;
    if (!number_member(c, obj, path, key, required, &v)) return false;
    if (!v) return true;
    char r[96];
    if (v->valuedouble < lo || v->valuedouble > hi)
        return fpj_fail(c, path, key, "%s is out of range [%g, %g]", fpj_repr(v, r, sizeof r), lo, hi);
    *out = v->valuedouble;
    return true;
}

bool fpj_string(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required,
                const char **out) {
    char r[96];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return required ? fpj_fail(c, path, key, "required member is missing") : true;
    if (!cJSON_IsString(v))
        return fpj_fail(c, path, key, "expected a string, got %s", fpj_repr(v, r, sizeof r));
    *out = v->valuestring;
    return true;
}

bool fpj_bool(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required,
              bool *out) {
    char r[96];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return required ? fpj_fail(c, path, key, "required member is missing") : true;
    if (!cJSON_IsBool(v))
        return fpj_fail(c, path, key, "expected true or false, got %s", fpj_repr(v, r, sizeof r));
    *out = cJSON_IsTrue(v);
    return true;
}

bool fpj_format(fp_jctx *c, const cJSON *root, const char *format, int max_version, int *version) {
    const char *f = NULL;
    char r[96];
    if (!cJSON_IsObject(root))
        return fpj_fail(c, NULL, NULL, "top level must be an object, got %s",
                        fpj_repr(root, r, sizeof r));
    if (!fpj_string(c, root, "", "format", true, &f)) return false;
    if (strcmp(f, format) != 0)
        return fpj_fail(c, "", "format", "\"%s\" is not \"%s\"", f, format);
    if (!fpj_int(c, root, "", "version", true, 1, 1000000, version)) return false;
    if (*version > max_version)
        return fpj_fail(c, "", "version", "%d is newer than this fuseplan reads (%d)", *version,
                        max_version);
    return true;
}

uint64_t fp_hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
