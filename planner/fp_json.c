#include "fp_json.h"
#include "fp_text.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
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
    /* what a file said (member names in the path too) is echoed escaped: no
     * control or bidi character and no broken UTF-8 reaches a terminal
     * through an error message, which stays one line */
    char raw[1200];
    snprintf(raw, sizeof raw, "%s: %s%s%s%s%s", c->file, p, sep, k, loc_sep, msg);
    if (c->err && c->err_len) fp_text_sanitize(raw, c->err, c->err_len);
    if (c->status == FP_OK) c->status = FP_ERR_INVALID;
    return false;
}

const char *fpj_label(const char *path) {
    return strcmp(path, "-") == 0 ? "(stdin)" : path;
}

/* Why a file of this type cannot be read as a JSON text, or NULL when it can:
 * regular files, pipes and sockets (cat m.json | fuseplan plan -), and a
 * terminal. A directory or a device would give an error that names neither
 * (EISDIR on read) or never end (/dev/zero), so they are refused by type. */
static const char *unreadable_type(int fd, const struct stat *st) {
    if (S_ISDIR(st->st_mode)) return "is a directory, not a JSON file";
    if (S_ISBLK(st->st_mode)) return "is a block device, not a JSON file";
    if (S_ISCHR(st->st_mode) && !isatty(fd))
        return "is a character device, not a JSON file (give a file, a pipe or - for stdin)";
    return NULL;
}

fp_status fpj_read_file(const char *path, size_t max_bytes, char **out, size_t *len, char *err,
                        size_t err_len) {
    const char *label = fpj_label(path);
    bool is_stdin = strcmp(path, "-") == 0;
    *out = NULL;
    if (len) *len = 0;
    if (!path[0]) return fp_fail(err, err_len, FP_ERR_IO, "\"\": cannot open: empty file name");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return fp_fail(err, err_len, FP_ERR_IO, "%s: cannot open: %s", label, strerror(errno));
    struct stat st;
    const char *why = NULL;
    if (fstat(fileno(f), &st) != 0) why = strerror(errno);
    else why = unreadable_type(fileno(f), &st);
    if (why) {
        if (!is_stdin) fclose(f);
        return fp_fail(err, err_len, FP_ERR_IO, "%s: cannot read: %s", label, why);
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    fp_status status = FP_OK;
    if (!buf) status = fp_fail(err, err_len, FP_ERR_NOMEM, "%s: out of memory", label);
    while (status == FP_OK) {
        if (n + 1 >= cap) {
            if (cap > max_bytes) {
                status = fp_fail(err, err_len, FP_ERR_IO, "%s: larger than %zu bytes; not a "
                                 "fuseplan JSON file", label, max_bytes);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                status = fp_fail(err, err_len, FP_ERR_NOMEM, "%s: out of memory", label);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                status = fp_fail(err, err_len, FP_ERR_IO, "%s: read error: %s", label,
                                 errno ? strerror(errno) : "unknown");
            break;
        }
    }
    if (is_stdin) clearerr(f);
    else fclose(f);
    if (status == FP_OK && n > max_bytes)
        status = fp_fail(err, err_len, FP_ERR_IO, "%s: larger than %zu bytes; not a fuseplan JSON "
                         "file", label, max_bytes);
    if (status == FP_OK && memchr(buf, '\0', n))
        status = fp_fail(err, err_len, FP_ERR_PARSE, "%s: byte %zu is a NUL byte; not a JSON text "
                         "file", label, (size_t)((char *)memchr(buf, '\0', n) - buf));
    if (status != FP_OK) {
        free(buf);
        return status;
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return FP_OK;
}

bool fpj_check_text(fp_jctx *c, const char *path, const char *key, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; p[i];) {
        size_t n = fp_text_utf8_len(p + i);
        if (n == 0) return fpj_fail(c, path, key, "byte %zu (0x%02X) is not UTF-8", i, p[i]);
        unsigned cp = fp_text_cp(p + i, n);
        if (fp_text_unsafe_cp(cp))
            return fpj_fail(c, path, key, "byte %zu is U+%04X, a control or bidirectional "
                            "formatting character", i, cp);
        i += n;
    }
    return true;
}

/* line and column (1-based, in bytes) of at in text */
static void line_col(const char *text, const char *at, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* What cJSON accepts but a JSON text must not contain, or what would be
 * silently changed: bytes that are not UTF-8, raw control characters inside
 * strings (RFC 8259 section 7), and \u0000, which cJSON's C strings would
 * silently end the string at. Returns the offending position or NULL. */
static const char *prescan(const char *text, const char **what) {
    const unsigned char *p = (const unsigned char *)text;
    bool in_string = false;
    while (*p) {
        size_t n = fp_text_utf8_len(p);
        if (n == 0) {
            *what = "a byte that is not UTF-8";
            return (const char *)p;
        }
        if (in_string) {
            if (*p < 0x20) {
                *what = "a raw control character inside a string (write it as \\u00XX)";
                return (const char *)p;
            }
            if (*p == '"') in_string = false;
            else if (*p == '\\' && p[1]) {
                if (p[1] == 'u' && strncmp((const char *)p + 2, "0000", 4) == 0) {
                    *what = "\\u0000 (a NUL character) inside a string";
                    return (const char *)p;
                }
                p++; /* the escaped character; \uXXXX digits are plain ASCII */
            }
        } else if (*p == '"') {
            in_string = true;
        }
        p += n;
    }
    return NULL;
}

/* The deepest array/object nesting before at (outside strings). */
static int depth_before(const char *text, const char *at) {
    int d = 0, max = 0;
    bool in_string = false;
    for (const char *p = text; p < at && *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '[' || *p == '{') {
            if (++d > max) max = d;
        } else if (*p == ']' || *p == '}') {
            d--;
        }
    }
    return max;
}

cJSON *fpj_parse(fp_jctx *c, const char *text) {
    const char *what = NULL;
    const char *bad = prescan(text, &what);
    int line, col;
    if (bad) {
        line_col(text, bad, &line, &col);
        fp_fail(c->err, c->err_len, FP_ERR_PARSE, "%s: malformed JSON at line %d, column %d: %s",
                c->file, line, col, what);
        c->status = FP_ERR_PARSE;
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, true);
    if (!root) {
        const char *at = end ? end : cJSON_GetErrorPtr();
        line_col(text, at, &line, &col);
        if (at && depth_before(text, at + 1) > CJSON_NESTING_LIMIT)
            fp_fail(c->err, c->err_len, FP_ERR_PARSE, "%s: JSON nested deeper than %d levels at "
                    "line %d, column %d", c->file, CJSON_NESTING_LIMIT, line, col);
        else
            fp_fail(c->err, c->err_len, FP_ERR_PARSE, "%s: malformed JSON at line %d, column %d",
                    c->file, line, col);
        c->status = FP_ERR_PARSE;
    }
    return root;
}

const char *fpj_repr(const cJSON *v, char *buf, size_t len) {
    if (!v) {
        snprintf(buf, len, "missing");
    } else if (cJSON_IsString(v)) {
        /* escaped (control and bidi characters, bytes that are not UTF-8),
         * cut at a character boundary */
        char safe[64];
        fp_text_sanitize(v->valuestring, safe, sizeof safe);
        snprintf(buf, len, "\"%s\"%s", safe, strlen(safe) < strlen(v->valuestring) ? "..." : "");
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
    if (strcmp(f, format) != 0) {
        /* a file of another fuseplan format in the wrong place says so */
        static const char *const KNOWN[][2] = {
            {"fuseplan-model", "a model (an argument of its own, not --gpu)"},
            {"fuseplan-gpu", "a GPU spec (pass it with --gpu)"},
            {"fuseplan-plan", "a plan (`fuseplan run PLAN` executes it)"},
        };
        for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
            if (strcmp(f, KNOWN[i][0]) == 0)
                return fpj_fail(c, "", "format", "\"%s\" is not \"%s\": this file is %s", f,
                                format, KNOWN[i][1]);
        char r[96];
        return fpj_fail(c, "", "format", "%s is not \"%s\"",
                        fpj_repr(cJSON_GetObjectItemCaseSensitive(root, "format"), r, sizeof r),
                        format);
    }
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
