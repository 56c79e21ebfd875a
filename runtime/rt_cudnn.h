/* rt_cudnn.h - cuDNN for the runtime: the reference execution of every
 * conv layer and the layer-by-layer cuDNN baseline (prefix rt_cudnn_).
 *
 * In the buffers' element type and the plan's math (rt_dnn.h): fp32 strict
 * (CUDNN_FMA_MATH: no TF32, no tensor cores), fp32 TF32 (math tc), fp16 and
 * bf16 (FP32 compute, tensor-op math); the best algorithm per layer from
 * cudnnFindConvolutionForwardAlgorithmEx, descriptors and workspace created
 * once, outside any timing. Asymmetric ("same" with stride 2) padding, which
 * cuDNN cannot express, is applied by an explicit zero-pad copy before a
 * pad-0 convolution in the reference; the baseline's timings use a
 * symmetric-padding twin of the same size and work (what a framework with
 * symmetric padding runs) so that cuDNN is not charged for the copy. */
#ifndef FUSEPLAN_FK_RT_CUDNN_H
#define FUSEPLAN_FK_RT_CUDNN_H

#include <stdbool.h>

#include <cuda_runtime_api.h>

#include "costmodel.h"
#include "fp_model.h"
#include "rt_buffers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque cuDNN state (handle, descriptors and chosen algorithms per layer,
 * workspace). NULL-safe when fuseplan is built without cuDNN. */
typedef struct rt_cudnn rt_cudnn;

/* True when fuseplan was built with cuDNN. */
bool rt_cudnn_available(void);
/* cuDNN's version number (e.g. 91400), 0 when built without cuDNN. */
int rt_cudnn_version(void);

/* Prepares every conv2d layer of m at b's batch in b's element type and the
 * given math (simt: strict for fp32; tc: TF32 for fp32; the 16-bit types use
 * tensor-op math either way), NHWC, and NCHW too when with_nchw (the
 * baseline's layout choice), and runs the algorithm search. The biases are
 * b's: for the 16-bit types a copy converted to the element type is made here
 * for cuDNN's fused conv + bias + ReLU. FK_ERR_UNSUPPORTED without cuDNN. */
fk_status rt_cudnn_create(const fp_model *m, const rt_buffers *b, cm_math math, bool with_nchw,
                          rt_cudnn **out, char *err, size_t err_len);
void rt_cudnn_destroy(rt_cudnn *d);
/* Conv layers for which cuDNN had no algorithm in a 16-bit type (never for
 * fp32): they run with fk_conv2d_direct in the reference and the baseline,
 * which the caller should say. *first (may be NULL): the first such layer or
 * -1. */
int rt_cudnn_direct_layers(const rt_cudnn *d, int *first);

/* y = act(conv(x, w) + bias) for conv layer `layer`, NHWC, on stream s.
 * Uses cudnnConvolutionBiasActivationForward where cuDNN offers the fused
 * form (ReLU), else the convolution then one bias+activation kernel. */
fk_status rt_cudnn_conv(rt_cudnn *d, int layer, const void *x, const void *w,
                           const float *bias, void *y, cudaStream_t s, char *err, size_t err_len);

/* Per-layer baseline timing: median microseconds of the layer (conv + bias +
 * activation) in NHWC and, when prepared, NCHW (negative when not measured),
 * and the algorithm names chosen for each. */
typedef struct rt_cudnn_timing {
    double nhwc_us, nchw_us;
    const char *nhwc_algo, *nchw_algo;
} rt_cudnn_timing;
fk_status rt_cudnn_time_layer(rt_cudnn *d, int layer, const rt_buffers *b, int iters,
                                 cudaStream_t s, rt_cudnn_timing *t, char *err, size_t err_len);

/* ---- who runs a conv layer in a plan (issue 12) ---------------------------
 * A conv layer that no kernel unit of the plan covers (the stem, Xception's
 * first convs and 1x1 stride-2 shortcuts) runs in a plan's execution either
 * on cuDNN (as the reference does) or on our tiled direct convolution
 * (fk_conv2d_tiled), whichever rt_cudnn_choose_conv measured faster; until
 * then cuDNN. The reference (rt_cudnn_conv) and the all-cuDNN baselines
 * (rt_cudnn_conv_fastest) are always cuDNN. */
typedef enum rt_conv_by { RT_CONV_BY_CUDNN = 0, RT_CONV_BY_OURS } rt_conv_by;

typedef struct rt_conv_choice {
    rt_conv_by by;        /* who runs the layer in plans */
    bool supported;       /* fk_conv2d_tiled runs it (fk_conv2d_tiled_supported: either of
                             its paths) */
    bool measured;        /* rt_cudnn_choose_conv timed both */
    double ours_us;       /* its median: the tiled convolution (-1: not measured) */
    double cudnn_us;      /* ... and what the plan runs on cuDNN: the exact convolution in
                             NHWC, padded copy included, as rt_cudnn_conv runs it */
    char why[160];        /* supported false: why not (fk_conv2d_tiled_supported) */
    const char *ours_name; /* what fk_conv2d_tiled runs for it (fk_conv2d_tiled_name: "tiled
                              conv on tensor cores" or "tiled direct conv"); a static string */
} rt_conv_choice;

/* Times conv layer `layer` both ways on the input in `in` and the output
 * tensor of `out` (it writes that tensor: poison it before a check), iters
 * repetitions after 3 warm-ups each (rt_time_job), keeps the faster for
 * rt_cudnn_conv_plan and returns the choice. A layer the tiled convolution
 * does not run stays on cuDNN without timing. */
fk_status rt_cudnn_choose_conv(rt_cudnn *d, int layer, const rt_buffers *in, rt_buffers *out,
                               int iters, cudaStream_t s, rt_conv_choice *choice, char *err,
                               size_t err_len);
/* Sets who runs the layer in plans without measuring (tests):
 * FK_ERR_UNSUPPORTED with the reason for RT_CONV_BY_OURS on a layer the
 * tiled convolution does not run. */
fk_status rt_cudnn_set_conv_by(rt_cudnn *d, int layer, rt_conv_by by, char *err, size_t err_len);
/* The current choice of a prepared conv layer; FK_ERR_INVALID otherwise. */
fk_status rt_cudnn_conv_choice(const rt_cudnn *d, int layer, rt_conv_choice *choice);
/* y = act(conv(x, w) + bias) as a plan runs layer `layer`: our tiled
 * convolution when chosen, else rt_cudnn_conv. */
fk_status rt_cudnn_conv_plan(rt_cudnn *d, int layer, const void *x, const void *w,
                             const float *bias, void *y, cudaStream_t s, char *err, size_t err_len);

/* Conv layer `layer` in the layout rt_cudnn_time_layer found faster (NCHW on
 * scratch buffers: the numbers are not meaningful, only the time; see
 * rt_run_model_cudnn_fastest in rt_exec.h). */
fk_status rt_cudnn_conv_fastest(rt_cudnn *d, int layer, const rt_buffers *b, cudaStream_t s,
                                char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
