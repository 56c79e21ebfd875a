/* fk_rt_cudnn.h - cuDNN for the runtime: the reference execution of every
 * conv layer and the layer-by-layer cuDNN baseline (prefix fk_rt_cudnn_).
 *
 * Strict FP32 everywhere (CUDNN_FMA_MATH: no TF32, no tensor cores), the best
 * algorithm per layer from cudnnFindConvolutionForwardAlgorithmEx, descriptors
 * and workspace created once, outside any timing. Asymmetric ("same" with
 * stride 2) padding, which cuDNN cannot express, is applied by an explicit
 * zero-pad copy before a pad-0 convolution in the reference; the baseline's
 * timings use a symmetric-padding twin of the same size and work (what a
 * framework with symmetric padding runs) so that cuDNN is not charged for the
 * copy. */
#ifndef FUSEPLAN_FK_RT_CUDNN_H
#define FUSEPLAN_FK_RT_CUDNN_H

#include <stdbool.h>

#include "fk_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when fuseplan was built with cuDNN. */
bool fk_rt_cudnn_available(void);

/* Prepares every conv2d layer of m at b's batch (NHWC; NCHW too when
 * with_nchw, for the baseline's layout choice) and runs the algorithm search
 * on b's buffers. FK_ERR_UNSUPPORTED without cuDNN. */
fk_status fk_rt_cudnn_create(const fp_model *m, const fk_rt_buffers *b, bool with_nchw,
                             fk_rt_cudnn **out, char *err, size_t err_len);
void fk_rt_cudnn_destroy(fk_rt_cudnn *d);

/* y = act(conv(x, w) + bias) for conv layer `layer`, NHWC, on stream s.
 * Uses cudnnConvolutionBiasActivationForward where cuDNN offers the fused
 * form (ReLU), else the convolution then one bias+activation kernel. */
fk_status fk_rt_cudnn_conv(fk_rt_cudnn *d, int layer, const void *x, const void *w,
                           const float *bias, void *y, cudaStream_t s, char *err, size_t err_len);

/* Per-layer baseline timing: median microseconds of the layer (conv + bias +
 * activation) in NHWC and, when prepared, NCHW (negative when not measured),
 * and the algorithm names chosen for each. */
typedef struct fk_rt_cudnn_timing {
    double nhwc_us, nchw_us;
    const char *nhwc_algo, *nchw_algo;
} fk_rt_cudnn_timing;
fk_status fk_rt_cudnn_time_layer(fk_rt_cudnn *d, int layer, const fk_rt_buffers *b, int iters,
                                 cudaStream_t s, fk_rt_cudnn_timing *t, char *err, size_t err_len);

/* The whole model with cuDNN for every conv (DW, PW, standard) and the
 * backend's simple kernels for the other ops: the reference execution. */
fk_status fk_rt_cudnn_run_model(fk_rt_cudnn *d, const fp_model *m, fk_rt_buffers *b,
                                cudaStream_t s, char *err, size_t err_len);

/* The baseline for whole-model timing: every conv with cuDNN in its faster
 * layout as measured by fk_rt_cudnn_time_layer (NCHW layers on scratch
 * buffers), the other ops as in the reference. Layout conversions between
 * layers are not counted, so this is a lower bound on what a cuDNN execution
 * costs; the numbers it computes are not meaningful, only its time. */
fk_status fk_rt_cudnn_run_model_fastest(fk_rt_cudnn *d, const fp_model *m, fk_rt_buffers *b,
                                        cudaStream_t s, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
