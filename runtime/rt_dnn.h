/* rt_dnn.h - cuDNN convolution wrapper (prefix rt_dnn_): the reference
 * for checking fuseplan's kernels, the baseline they are timed against, and
 * the runtime's path for standard convolutions.
 *
 * Strict FP32 only: every convolution descriptor gets CUDNN_FMA_MATH (cuDNN's
 * CUDNN_DEFAULT_MATH permits TF32 tensor cores on Ampere and newer), and an
 * algorithm is accepted only if cudnnFindConvolutionForwardAlgorithmEx reports
 * it with a math type that is neither CUDNN_TENSOR_OP_MATH nor
 * CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION. All handles, descriptors, the
 * algorithm search and the workspace are set up in rt_dnn_conv_create, so
 * that nothing but the convolution itself runs in rt_dnn_conv_only.
 * Only available when the build found cuDNN (FUSEPLAN_HAVE_CUDNN). */
#ifndef FUSEPLAN_FK_CUDNN_H
#define FUSEPLAN_FK_CUDNN_H

#include <stdbool.h>
#include <stddef.h>

#include <cuda_runtime_api.h>

#include "fk_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rt_layout { RT_LAYOUT_NHWC = 0, RT_LAYOUT_NCHW } rt_layout;
const char *rt_layout_name(rt_layout l); /* "nhwc", "nchw" */

/* One cuDNN handle (owns it). */
typedef struct rt_dnn rt_dnn;
fk_status rt_dnn_create(rt_dnn **out, char *err, size_t err_len);
void rt_dnn_destroy(rt_dnn *h); /* NULL is fine */
/* cudnnGetVersion() of the loaded library, e.g. 91400 for 9.14.0. */
size_t rt_dnn_version(void);

/* One convolution layer: descriptors, chosen algorithm, workspace and, when
 * cuDNN's symmetric padding cannot express p's (implied bottom/right padding
 * larger than top/left), a zero-padded input buffer filled by a copy kernel
 * before each convolution. Layout applies to x and y; weights are KRSC for
 * NHWC (the model's layout) and KCRS for NCHW (see fk_krsc_to_kcrs). The
 * algorithm is the fastest strict-FP32 one that cudnnFindConvolutionForward-
 * AlgorithmEx measures on scratch buffers this call allocates and frees;
 * workspace up to max_workspace bytes (0: 1 GiB). The conv keeps a pointer to
 * h, which must outlive it. */
typedef struct rt_dnn_conv rt_dnn_conv;
fk_status rt_dnn_conv_create(rt_dnn *h, const fk_conv2d *p, rt_layout layout,
                               size_t max_workspace, rt_dnn_conv **out, char *err,
                               size_t err_len);
void rt_dnn_conv_destroy(rt_dnn_conv *c); /* NULL is fine */

/* The layer: y = act(conv(x, w) + b) (b may be NULL). Uses
 * cudnnConvolutionBiasActivationForward for ReLU, else the convolution and
 * fk_bias_act. */
fk_status rt_dnn_conv_forward(rt_dnn_conv *c, const float *x, const float *w, const float *b,
                                float *y, cudaStream_t stream, char *err, size_t err_len);

/* The convolution alone (no padding copy only when none is needed, no bias, no
 * activation): what the baseline timing measures. */
fk_status rt_dnn_conv_only(rt_dnn_conv *c, const float *x, const float *w, float *y,
                             cudaStream_t stream, char *err, size_t err_len);

typedef struct rt_dnn_conv_info {
    int algo;                /* cudnnConvolutionFwdAlgo_t */
    const char *algo_name;   /* e.g. "IMPLICIT_PRECOMP_GEMM" */
    int math_type;           /* cudnnMathType_t reported by the search */
    float find_ms;           /* the search's own time for the chosen algorithm */
    size_t workspace_bytes;
    bool padded_copy;        /* asymmetric padding through a padded input copy */
} rt_dnn_conv_info;
void rt_dnn_conv_get_info(const rt_dnn_conv *c, rt_dnn_conv_info *info);

#ifdef __cplusplus
}
#endif

#endif
