/* rt_buffers.h - the device buffers of a model (prefix rt_buffers_).
 *
 * Every tensor of the model is allocated once per buffer set (batch from the
 * plan) in the plan's element type (fp32, fp16 or bf16; biases always fp32,
 * the tile contract); weights are filled with fixed-seed random values scaled
 * to keep activations in range through 50+ layers, or read from the model's
 * weights file (fp32 there). A 16-bit set holds the fp32 set's values of the
 * same seed rounded to the element type (round to nearest even), so that sets
 * of two types compare. A second buffer set can share the weights (the
 * reference execution writes its own activations). */
#ifndef FUSEPLAN_RT_BUFFERS_H
#define FUSEPLAN_RT_BUFFERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fk_types.h"
#include "fp_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_buffers {
    int batch;
    cm_dtype dtype;
    int n_tensors;
    void **tensor;        /* [n_tensors] device, batch * H * W * C elements of dtype each */
    size_t *tensor_count; /* elements per tensor, batch included */
    int n_layers;
    void **weight;        /* [n_layers] device weights in dtype (NULL for ops without) */
    float **bias;         /* [n_layers] device biases, fp32; zeros when bias: false */
    bool owns_weights;
    size_t device_bytes;
} rt_buffers;

/* Allocates every tensor and the weights of m at this batch in dtype and
 * fills the input and the weights (seeded), or loads m->weights.
 * FK_ERR_UNSUPPORTED for int8. */
fk_status rt_buffers_create(const fp_model *m, int batch, cm_dtype dtype, uint64_t seed,
                               rt_buffers *b, char *err, size_t err_len);
/* A second set of activations sharing src's weights; the input tensor is
 * copied from src. */
fk_status rt_buffers_clone_activations(const fp_model *m, const rt_buffers *src,
                                          rt_buffers *b, char *err, size_t err_len);
void rt_buffers_destroy(rt_buffers *b);

/* ---- a given input, the output read back (run --input / --output) ---- */

/* Reads a model input from a raw little-endian float32 file in NCHW order
 * (PyTorch's layout) of exactly batch * C * H * W elements (m's input shape)
 * and returns it in *nhwc (malloc'd, the caller frees) in the runtime's NHWC
 * order, still float32. Host only, touches no GPU: the tool calls it before
 * the device. FK_ERR_INVALID with err naming the file: its byte count against
 * the expected one, or why it could not be read (strerror). */
fk_status rt_input_read_nchw(const fp_model *m, int batch, const char *path, float **nhwc,
                             char *err, size_t err_len);
/* Replaces b's input tensor with nhwc (float32, b->batch * H * W * C,
 * NHWC), rounded to b's element type on the host (round to nearest even, as
 * the weights are). Call before rt_buffers_clone_activations so a clone
 * shares the same input. */
fk_status rt_buffers_set_input(const fp_model *m, rt_buffers *b, const float *nhwc, char *err,
                               size_t err_len);
/* Tensor t of b copied to the host as float32 in NCHW order (for a tensor
 * with H = W = 1, i.e. a dense or pooled output, that is [N][C] as is):
 * *out malloc'd with *count = batch * H * W * C elements, the caller frees. */
fk_status rt_buffers_read_nchw(const fp_model *m, const rt_buffers *b, int t, float **out,
                               size_t *count, char *err, size_t err_len);


#ifdef __cplusplus
}
#endif

#endif
