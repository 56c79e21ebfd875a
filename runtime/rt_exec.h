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
 * `out` (in == out for a normal run). A conv unit (a conv2d that no kernel
 * unit covers: the stem, ...) runs as the plan's execution runs it: with dnn
 * on whatever rt_cudnn_choose_conv chose (cuDNN until a choice was made:
 * rt_cudnn_conv_plan), without dnn on our tiled convolution where it runs
 * the layer, else the naive direct kernel. */
fk_status rt_run_unit(const fp_model *m, const fp_unit *u, const rt_buffers *in,
                         rt_buffers *out, rt_cudnn *dnn, cudaStream_t s, char *err,
                         size_t err_len);
/* One layer that is not a DW/PW kernel unit (standard conv, pooling, global
 * average pool, dense, add, activation) as the reference runs it: a conv on
 * cuDNN when dnn is given (never our tiled convolution), else on the naive
 * direct kernel; the other ops on our kernels. */
fk_status rt_run_layer(const fp_model *m, int layer, const rt_buffers *in, rt_buffers *out,
                          rt_cudnn *dnn, cudaStream_t s, char *err, size_t err_len);

/* Who runs unit u in a plan's execution with dnn (may be NULL) at this batch
 * and dtype: "fuseplan" (a kernel unit, our simple ops, or a conv on our
 * tiled convolution) or "cudnn" (a conv left to cuDNN); a static string.
 * note (may be NULL when note_len is 0) says why for conv units: the times
 * rt_cudnn_choose_conv measured, or why the tiled convolution does not run
 * the layer; empty for the others. */
const char *rt_unit_by(const fp_model *m, const fp_unit *u, const rt_cudnn *dnn, int batch,
                       cm_dtype dtype, char *note, size_t note_len);
/* All units of p in order on stream s. */
fk_status rt_run_plan(const fp_model *m, const fp_plan *p, rt_buffers *b, rt_cudnn *dnn,
                         cudaStream_t s, char *err, size_t err_len);

/* The reference execution: every conv layer (DW, PW, standard) with cuDNN in
 * NHWC (whatever rt_cudnn_choose_conv chose for plans), the other ops with
 * the backend's simple kernels. */
fk_status rt_run_model_cudnn(rt_cudnn *d, const fp_model *m, rt_buffers *b, cudaStream_t s,
                             char *err, size_t err_len);
/* The baseline for whole-model timing: every conv with cuDNN in its faster
 * layout as measured by rt_cudnn_time_layer (rt_cudnn_conv_fastest), the other
 * ops as in the reference. Layout conversions between layers are not counted,
 * so this is a lower bound on what a cuDNN execution costs; the numbers it
 * computes are not meaningful, only its time. */
fk_status rt_run_model_cudnn_fastest(rt_cudnn *d, const fp_model *m, rt_buffers *b,
                                     cudaStream_t s, char *err, size_t err_len);

/* Compares count elements of a device tensor with a reference device
 * tensor: max abs error, relative L2 error ||a-r|| / ||r|| (in double, after
 * converting each element to fp32 on the host), and how many elements are
 * NaN/Inf or still carry the poison pattern, in the output and in the
 * reference. rt_compare: both in dtype; rt_compare_mixed: the output in
 * out_dtype against a reference in ref_dtype (a 16-bit model against the
 * strict-fp32 all-cuDNN execution). */
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
fk_status rt_compare(const void *d_out, const void *d_ref, cm_dtype dtype, size_t count,
                     rt_error *e, char *err, size_t err_len);
fk_status rt_compare_mixed(const void *d_out, cm_dtype out_dtype, const void *d_ref,
                           cm_dtype ref_dtype, size_t count, rt_error *e, char *err,
                           size_t err_len);
/* The host half of the comparison (CPU-testable): h_out and h_ref are host
 * copies in their element types. */
void rt_compare_host(const void *h_out, cm_dtype out_dtype, const void *h_ref, cm_dtype ref_dtype,
                     size_t count, rt_error *e);

/* Thresholds (rt_tolerance.h; docs/runtime.md, "Tolerances"). The longest
 * reduction of layer li: products summed per output element (conv kh * kw *
 * C_in / groups, dense C_in, pooling its window, global average pool H * W,
 * add 2, activation 1). */
long rt_layer_reduction(const fp_model *m, int li);
/* A unit fed the reference's input, in dtype and math: its layers and
 * absorbed add rounded once each, its longest reduction. */
double rt_unit_threshold(const fp_model *m, const fp_unit *u, cm_dtype dtype, cm_math math);
/* A whole model's outputs against the all-cuDNN execution in the same dtype
 * and math: every layer of the model, the model's longest reduction. */
double rt_plan_model_threshold(const fp_model *m, cm_dtype dtype, cm_math math);

/* The error of a whole model executed in b's element type against the model
 * in strict fp32: builds fp32 buffers of the same seed (b's values are their
 * roundings) and batch, runs the all-cuDNN execution in strict fp32
 * (CUDNN_FMA_MATH) and compares every model output of b (which must hold a
 * finished execution) with it; *worst_rel_l2 the largest relative L2 error.
 * Costs one more set of fp32 activations and cuDNN's algorithm search in
 * fp32; what it allocates is freed before it returns. input_nhwc: the
 * model input b ran on when it was not the seed's (rt_buffers_set_input), else
 * NULL. */
fk_status rt_error_vs_fp32(const fp_model *m, const rt_buffers *b, uint64_t seed,
                           const float *input_nhwc, cudaStream_t s, double *worst_rel_l2, char *err,
                           size_t err_len);

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
