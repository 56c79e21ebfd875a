/* fk_runtime.h - executing a plan: the model's device buffers, one unit or
 * the whole plan on a stream, the all-cuDNN reference execution, and the
 * comparison of outputs (prefix fk_rt_).
 *
 * Every tensor of the model is allocated once per buffer set (batch from the
 * plan); weights are filled with fixed-seed random values scaled to keep
 * activations in range through 50+ layers, or read from the model's weights
 * file. A second buffer set can share the weights (the reference execution
 * writes its own activations). */
#ifndef FUSEPLAN_FK_RUNTIME_H
#define FUSEPLAN_FK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#include "fk_kernels.h"
#include "fp_model.h"
#include "fp_plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fk_rt_buffers {
    int batch;
    cm_dtype dtype;
    int n_tensors;
    void **tensor;        /* [n_tensors] device, batch * H * W * C elements each */
    size_t *tensor_count; /* elements per tensor, batch included */
    int n_layers;
    void **weight;        /* [n_layers] device weights (NULL for ops without) */
    float **bias;         /* [n_layers] device biases; zeros when bias: false */
    bool owns_weights;
    size_t device_bytes;
} fk_rt_buffers;

/* Allocates every tensor and the weights of m at this batch and fills the
 * input and the weights (seeded), or loads m->weights. */
fk_status fk_rt_buffers_create(const fp_model *m, int batch, cm_dtype dtype, uint64_t seed,
                               fk_rt_buffers *b, char *err, size_t err_len);
/* A second set of activations sharing src's weights; the input tensor is
 * copied from src. */
fk_status fk_rt_buffers_clone_activations(const fp_model *m, const fk_rt_buffers *src,
                                          fk_rt_buffers *b, char *err, size_t err_len);
void fk_rt_buffers_destroy(fk_rt_buffers *b);

/* Opaque cuDNN state (handle, descriptors and chosen algorithms per layer,
 * workspace). NULL-safe when fuseplan is built without cuDNN. */
typedef struct fk_rt_cudnn fk_rt_cudnn;

/* Runs unit u: reads its inputs from `in`, writes its output tensor in
 * `out` (in == out for a normal run). Standard convs go to cuDNN when dnn is
 * given, else to the direct kernel. */
fk_status fk_rt_run_unit(const fp_model *m, const fp_unit *u, const fk_rt_buffers *in,
                         fk_rt_buffers *out, fk_rt_cudnn *dnn, cudaStream_t s, char *err,
                         size_t err_len);
/* One layer that is not a DW/PW kernel unit (standard conv, pooling, global
 * average pool, dense, add, activation), like fk_rt_run_unit. */
fk_status fk_rt_run_layer(const fp_model *m, int layer, const fk_rt_buffers *in, fk_rt_buffers *out,
                          fk_rt_cudnn *dnn, cudaStream_t s, char *err, size_t err_len);
/* All units of p in order on stream s. */
fk_status fk_rt_run_plan(const fp_model *m, const fp_plan *p, fk_rt_buffers *b, fk_rt_cudnn *dnn,
                         cudaStream_t s, char *err, size_t err_len);

/* Compares count fp32 elements of a device tensor with a reference device
 * tensor: max abs error, relative L2 error ||a-r|| / ||r||, and how many
 * elements are NaN/Inf or still carry the poison pattern, in the output and
 * in the reference. */
typedef struct fk_rt_error {
    double max_abs;
    double rel_l2;
    size_t non_finite;      /* in the output */
    size_t poisoned;        /* output elements never written */
    size_t ref_non_finite;  /* in the reference: the comparison is void */
    size_t count;
} fk_rt_error;
/* True when e passes: everything written and finite, rel L2 <= threshold. */
bool fk_rt_error_ok(const fk_rt_error *e, double threshold);
fk_status fk_rt_compare(const float *d_out, const float *d_ref, size_t count, fk_rt_error *e,
                        char *err, size_t err_len);

/* Relative L2 thresholds per dtype for a unit's output against the
 * reference computed from the same input (docs/runtime.md says why). */
double fk_rt_threshold(cm_dtype dtype);

/* The tensor a unit writes: the absorbed add's output, else its last
 * layer's output. */
int fk_rt_unit_output(const fp_model *m, const fp_unit *u);

#ifdef __cplusplus
}
#endif

#endif
