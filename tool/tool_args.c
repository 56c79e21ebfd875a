#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

int tool_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "fuseplan %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see fuseplan %s --help)\n", cmd);
    return 2;
}

bool tool_opt_value(const char *cmd, int argc, char **argv, int *i, const char *opt,
                   const char **value, int *rc) {
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n) != 0) return false;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] != '\0') return false;
    if (*i + 1 >= argc) {
        *rc = tool_usage_error(cmd, "%s needs a value", opt);
        *value = NULL;
        return true;
    }
    *value = argv[++*i];
    return true;
}

bool tool_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi) {
        tool_usage_error(cmd, "%s: \"%s\" is not an integer in [%ld, %ld]", opt, s, lo, hi);
        return false;
    }
    *out = (int)v;
    return true;
}

bool tool_parse_dtype(const char *cmd, const char *s, cm_dtype *out) {
    if (cm_dtype_parse(s, out)) return true;
    tool_usage_error(cmd, "--dtype: \"%s\" is not fp32, fp16, bf16 or int8", s);
    return false;
}

const char *tool_human(double v, char *buf, int len) {
    const char *unit = "";
    double a = v < 0 ? -v : v;
    if (a >= 1e9) {
        v /= 1e9;
        unit = " G";
    } else if (a >= 1e6) {
        v /= 1e6;
        unit = " M";
    } else if (a >= 1e3) {
        v /= 1e3;
        unit = " k";
    }
    if (*unit) snprintf(buf, (size_t)len, "%.2f%s", v, unit);
    else snprintf(buf, (size_t)len, "%.0f", v);
    return buf;
}

const char *tool_bytes(double v, char *buf, int len) {
    if (v >= 1e9) snprintf(buf, (size_t)len, "%.2f GB", v / 1e9);
    else if (v >= 1e6) snprintf(buf, (size_t)len, "%.2f MB", v / 1e6);
    else if (v >= 1e3) snprintf(buf, (size_t)len, "%.1f kB", v / 1e3);
    else snprintf(buf, (size_t)len, "%.0f B", v);
    return buf;
}
