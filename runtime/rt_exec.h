/* rt_exec.h - executing a plan on its buffers (rt_buffers.h): one layer, one
 * unit or the whole plan on a stream, the all-cuDNN reference and baseline
 * executions, and the comparison of outputs (prefix rt_). */
#ifndef FUSEPLAN_RT_EXEC_H
#define FUSEPLAN_RT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#include "fk_kernels.h"
#include "fp_model.h"
#include "fp_plan.h"
#include "rt_buffers.h"
#include "rt_cudnn.h"
#include "rt_timing.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs unit u: reads its inputs from `in`, writes its output tensor in
 * `out` (in == out for a normal run). Standard convs go to cuDNN when dnn is
 * given, else to the direct kernel. */
fk_status rt_run_unit(const fp_model *m, const fp_unit *u, const rt_buffers *in,
                         rt_buffers *out, rt_cudnn *dnn, cudaStream_t s, char *err,
                         size_t err_len);
/* One layer that is not a DW/PW kernel unit (standard conv, pooling, global
 * average pool, dense, add, activation), like rt_run_unit. */
fk_status rt_run_layer(const fp_model *m, int layer, const rt_buffers *in, rt_buffers *out,
                          rt_cudnn *dnn, cudaStream_t s, char *err, size_t err_len);
/* All units of p in order on stream s. */
fk_status rt_run_plan(const fp_model *m, const fp_plan *p, rt_buffers *b, rt_cudnn *dnn,
                         cudaStream_t s, char *err, size_t err_len);

/* The reference execution: every conv layer (DW, PW, standard) with cuDNN in
 * NHWC, the other ops with the backend's simple kernels. */
fk_status rt_run_model_cudnn(rt_cudnn *d, const fp_model *m, rt_buffers *b, cudaStream_t s,
                             char *err, size_t err_len);
/* The baseline for whole-model timing: every conv with cuDNN in its faster
 * layout as measured by rt_cudnn_time_layer (rt_cudnn_conv_fastest), the other
 * ops as in the reference. Layout conversions between layers are not counted,
 * so this is a lower bound on what a cuDNN execution costs; the numbers it
 * computes are not meaningful, only its time. */
fk_status rt_run_model_cudnn_fastest(rt_cudnn *d, const fp_model *m, rt_buffers *b,
                                     cudaStream_t s, char *err, size_t err_len);

/* Compares count fp32 elements of a device tensor with a reference device
 * tensor: max abs error, relative L2 error ||a-r|| / ||r||, and how many
 * elements are NaN/Inf or still carry the poison pattern, in the output and
 * in the reference. */
typedef struct rt_error {
    double max_abs;
    double rel_l2;
    size_t non_finite;      /* in the output */
    size_t poisoned;        /* output elements never written */
    size_t ref_non_finite;  /* in the reference: the comparison is void */
    size_t count;
} rt_error;
/* True when e passes: everything written and finite, rel L2 <= threshold. */
bool rt_error_ok(const rt_error *e, double threshold);
fk_status rt_compare(const float *d_out, const float *d_ref, size_t count, rt_error *e,
                        char *err, size_t err_len);

/* Relative L2 thresholds per dtype for a unit's output against the
 * reference computed from the same input (docs/runtime.md says why). */
double rt_threshold(cm_dtype dtype);

/* Relative L2 threshold per dtype for a whole model's outputs against the
 * all-cuDNN execution: after 50+ layers the per-layer rounding differences
 * compound; fp32 1e-4 still catches any wrong layer (those give O(1)
 * errors); the other types 10x their unit threshold. */
double rt_model_threshold(cm_dtype dtype);

/* Poisons every tensor of m in b but the model input (FK_POISON_BITS), on the
 * stream the next work runs on: what a run leaves unwritten shows. */
fk_status rt_poison_activations(const fp_model *m, rt_buffers *b, cudaStream_t s, char *err,
                                size_t err_len);

/* The tensor a unit writes: the absorbed add's output, else its last
 * layer's output. */
int rt_unit_output(const fp_model *m, const fp_unit *u);

/* One plan unit on its buffers (in place), as an rt_job_fn for timing and
 * profiling; dnn may be NULL (DW/PW units never need cuDNN). */
typedef struct rt_unit_job {
    const fp_model *m;
    const fp_unit *u;
    rt_buffers *b;
    rt_cudnn *dnn;
} rt_unit_job;
fk_status rt_job_unit(void *arg, cudaStream_t s, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
