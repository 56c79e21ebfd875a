/* fp_status.h - status codes of the planner layer (prefix fp_).
 *
 * Errors are values: every fallible function returns an fp_status and writes
 * a one-line message into a caller-supplied buffer, naming the file, the JSON
 * path and the bad value ("models/x.json: layers[12].stride: 3 is not 1 or 2").
 * Only main() turns a status into an exit code (fp_status_exit_code). */
#ifndef FUSEPLAN_FP_STATUS_H
#define FUSEPLAN_FP_STATUS_H

#include <stddef.h>

typedef enum fp_status {
    FP_OK = 0,
    FP_ERR_IO,        /* a file cannot be read or written */
    FP_ERR_PARSE,     /* not JSON */
    FP_ERR_INVALID,   /* JSON, but not a valid model/spec/plan */
    FP_ERR_MISMATCH,  /* a plan does not belong to the model/GPU it is run with */
    FP_ERR_NOMEM,
    FP_ERR_RUNTIME,   /* a failure while executing (GPU, cost model) */
} fp_status;

const char *fp_status_str(fp_status s);
/* 2 for bad input (IO, parse, invalid, mismatch), 1 for runtime failures. */
int fp_status_exit_code(fp_status s);

/* Formats into err (truncating safely) and returns status; for one-liners:
 * return fp_fail(err, err_len, FP_ERR_INVALID, "%s: ...", file); */
fp_status fp_fail(char *err, size_t err_len, fp_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
