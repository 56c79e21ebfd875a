/* fp_json.h - internal: strict, path-aware reading of cJSON trees.
 *
 * Every getter validates type and range and, on failure, writes
 * "FILE: PATH.KEY: message (value)" into the context's buffer and returns
 * false, so loaders read as straight-line code. Paths are like "layers[3]";
 * the empty path means the top-level object. */
#ifndef FUSEPLAN_FP_JSON_H
#define FUSEPLAN_FP_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_status.h"

typedef struct fp_jctx {
    const char *file;   /* shown first in every message */
    char *err;
    size_t err_len;
    fp_status status;   /* set by the first failure */
} fp_jctx;

/* Fails with "FILE: PATH[.KEY]: message". Always returns false. */
bool fpj_fail(fp_jctx *c, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reads a whole file into a NUL-terminated buffer (caller frees). "-" is
 * standard input; pipes, sockets and terminals are read like files;
 * directories and devices are refused by type ("is a directory"), and every
 * failure names the reason (strerror). Files over max_bytes and files with a
 * NUL byte are refused, so a wrong path to a huge file fails fast. */
fp_status fpj_read_file(const char *path, size_t max_bytes, char **out, size_t *len, char *err,
                        size_t err_len);

/* The name of a path in messages: "(stdin)" for "-", else the path. */
const char *fpj_label(const char *path);

/* Parses text; on a syntax error names the line and column. Refuses, before
 * cJSON sees them, bytes that are not UTF-8, raw control characters inside
 * strings and \u0000 (which would silently cut a C string); nesting deeper
 * than cJSON's limit is named as such. */
cJSON *fpj_parse(fp_jctx *c, const char *text);

/* obj must be an object whose members are all in allowed (NULL-terminated),
 * each at most once. */
bool fpj_check_object(fp_jctx *c, const cJSON *obj, const char *path, const char *const *allowed);

/* Member getters. With required=false a missing member leaves *out as is. */
bool fpj_int(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required, long lo,
             long hi, int *out);
bool fpj_number(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required,
                double lo, double hi, double *out);
bool fpj_string(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required,
                const char **out);
bool fpj_bool(fp_jctx *c, const cJSON *obj, const char *path, const char *key, bool required,
              bool *out);
/* Validates a JSON value (not a member) as an integer in [lo, hi]. */
bool fpj_value_int(fp_jctx *c, const cJSON *v, const char *path, long lo, long hi, int *out);

/* "FORMAT" and "version" check shared by the three file formats. */
bool fpj_format(fp_jctx *c, const cJSON *root, const char *format, int max_version, int *version);

/* Short printable rendering of a JSON value for messages (static buffer per
 * call site is not thread-safe; uses a caller buffer). */
const char *fpj_repr(const cJSON *v, char *buf, size_t len);

/* A name or other text a file gives: fails naming PATH.KEY, the character's
 * index and code point when it is not UTF-8 or has an unsafe code point. */
bool fpj_check_text(fp_jctx *c, const char *path, const char *key, const char *s);

/* 64-bit FNV-1a of bytes, as the content hash of input files. */
uint64_t fp_hash_bytes(const void *data, size_t len);

#endif
