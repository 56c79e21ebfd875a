#include "fp_status.h"

#include "fp_text.h"

#include <stdarg.h>
#include <stdio.h>

const char *fp_status_str(fp_status s) {
    switch (s) {
    case FP_OK: return "ok";
    case FP_ERR_IO: return "i/o error";
    case FP_ERR_PARSE: return "parse error";
    case FP_ERR_INVALID: return "invalid input";
    case FP_ERR_MISMATCH: return "mismatch";
    case FP_ERR_NOMEM: return "out of memory";
    case FP_ERR_RUNTIME: return "runtime failure";
    }
    return "unknown status";
}

int fp_status_exit_code(fp_status s) {
    switch (s) {
    case FP_OK: return 0;
    case FP_ERR_IO:
    case FP_ERR_PARSE:
    case FP_ERR_INVALID:
    case FP_ERR_MISMATCH: return 2;
    default: return 1;
    }
}

fp_status fp_fail(char *err, size_t err_len, fp_status status, const char *fmt, ...) {
    if (err && err_len) {
        /* file names and values in a message are escaped (fp_text_sanitize): it
         * stays one line, and no control or bidi character reaches a terminal */
        char raw[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        fp_text_sanitize(raw, err, err_len);
    }
    return status;
}
