/* fk_util.h - CUDA-free internals of fcm_kernels (not for other modules). */
#ifndef FUSEPLAN_FK_UTIL_H
#define FUSEPLAN_FK_UTIL_H

#include <stddef.h>

#include "fk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes a formatted message into err (if err_len > 0) and returns st. */
fk_status fk_fail(fk_status st, char *err, size_t err_len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ceil(a / b) for a >= 0, b > 0: tile counts. */
static inline int fk_ceil_div(int a, int b) { return (a + b - 1) / b; }

#ifdef __cplusplus
}
#endif

#endif
