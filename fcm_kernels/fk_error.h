/* fk_error.h - status helpers of fcm_kernels' host code (.c and .cu), public to
 * the runtime, which reports CUDA failures the same way. */
#ifndef FUSEPLAN_FK_ERROR_H
#define FUSEPLAN_FK_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include <cuda_runtime_api.h>

#include "fk_kernels.h"
#include "fk_util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Turns a CUDA error into FK_ERR_CUDA with "file:line: call: name: text". */
fk_status fk_cuda_fail(cudaError_t e, const char *call, const char *file, int line, char *err,
                       size_t err_len);

#ifdef __cplusplus
}
#endif

/* Evaluates a CUDA runtime call; on error returns from the enclosing function
 * with FK_ERR_CUDA (needs `err` and `err_len` in scope). */
#define FK_CUDA(call)                                                                  \
    do {                                                                               \
        cudaError_t fk_e_ = (call);                                                    \
        if (fk_e_ != cudaSuccess)                                                      \
            return fk_cuda_fail(fk_e_, #call, __FILE__, __LINE__, err, err_len);       \
    } while (0)

/* After a <<<>>> launch: the launch error (configuration, resources). `what`
 * (a C string) names the kernel. */
#define FK_CHECK_LAUNCH(what)                                                          \
    do {                                                                               \
        cudaError_t fk_e_ = cudaGetLastError();                                        \
        if (fk_e_ != cudaSuccess)                                                      \
            return fk_cuda_fail(fk_e_, (what), __FILE__, __LINE__, err, err_len);      \
    } while (0)

/* Returns FK_ERR_UNSUPPORTED for every dtype but fp32. */
#define FK_REQUIRE_F32(dtype)                                                          \
    do {                                                                               \
        if ((dtype) != CM_F32)                                                         \
            return fk_fail(FK_ERR_UNSUPPORTED, err, err_len,                           \
                           "%s:%d: not implemented for %s yet (fp32 only)", __FILE__,  \
                           __LINE__, cm_dtype_name(dtype));                            \
    } while (0)

#endif
