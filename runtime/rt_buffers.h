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


#ifdef __cplusplus
}
#endif

#endif
