/* fk_cuda_err.c - CUDA errors as fk_status values. */
#include "fk_error.h"

fk_status fk_cuda_fail(cudaError_t e, const char *call, const char *file, int line, char *err,
                       size_t err_len) {
    return fk_fail(FK_ERR_CUDA, err, err_len, "%s:%d: %s: %s: %s", file, line, call,
                   cudaGetErrorName(e), cudaGetErrorString(e));
}
