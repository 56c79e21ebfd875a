/* rt_dnn.h - cuDNN convolution wrapper (prefix rt_dnn_): the reference
 * for checking fuseplan's kernels, the baseline they are timed against, and
 * the runtime's path for standard convolutions.
 *
 * Element types and math (rt_dnn_conv_create_typed):
 * - fp32 strict (math simt, the default): every convolution descriptor gets
 *   CUDNN_FMA_MATH (cuDNN's CUDNN_DEFAULT_MATH permits TF32 tensor cores on
 *   Ampere and newer), and an algorithm is accepted only if
 *   cudnnFindConvolutionForwardAlgorithmEx reports it with a math type that is
 *   neither CUDNN_TENSOR_OP_MATH nor CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
 * - fp32 with math tc (TF32): CUDNN_TENSOR_OP_MATH, any algorithm but one
 *   reported with ALLOW_CONVERSION (a down-conversion to fp16);
 * - fp16 and bf16: CUDNN_DATA_HALF / CUDNN_DATA_BFLOAT16 tensors and filters,
 *   FP32 compute type, CUDNN_TENSOR_OP_MATH, any algorithm.
 * Outside strict fp32 the chosen algorithm runs with the math type the search
 * reported for it. All handles, descriptors, the
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
 * algorithm is the fastest allowed one (above) that cudnnFindConvolution-
 * ForwardAlgorithmEx measures on scratch buffers this call allocates and
 * frees; workspace up to max_workspace bytes (0: 1 GiB). The conv keeps a
 * pointer to h, which must outlive it. rt_dnn_conv_create: strict fp32. */
typedef struct rt_dnn_conv rt_dnn_conv;
fk_status rt_dnn_conv_create(rt_dnn *h, const fk_conv2d *p, rt_layout layout,
                               size_t max_workspace, rt_dnn_conv **out, char *err,
                               size_t err_len);
fk_status rt_dnn_conv_create_typed(rt_dnn *h, const fk_conv2d *p, cm_dtype dtype, cm_math math,
                                   rt_layout layout, size_t max_workspace, rt_dnn_conv **out,
                                   char *err, size_t err_len);
void rt_dnn_conv_destroy(rt_dnn_conv *c); /* NULL is fine */

/* The layer: y = act(conv(x, w) + b) (b fp32, may be NULL; x, w, y in the
 * conv's element type). Uses cudnnConvolutionBiasActivationForward for ReLU
 * when it has the bias in the element type (b_elem: b converted, which the
 * 16-bit configurations need; rt_dnn_conv_forward passes b itself for fp32
 * and NULL otherwise), else the convolution and fk_bias_act_dt with b. */
fk_status rt_dnn_conv_forward(rt_dnn_conv *c, const void *x, const void *w, const float *b,
                                void *y, cudaStream_t stream, char *err, size_t err_len);
fk_status rt_dnn_conv_forward_ex(rt_dnn_conv *c, const void *x, const void *w, const float *b,
                                 const void *b_elem, void *y, cudaStream_t stream, char *err,
                                 size_t err_len);

/* The convolution alone (no padding copy only when none is needed, no bias, no
 * activation): what the baseline timing measures. */
fk_status rt_dnn_conv_only(rt_dnn_conv *c, const void *x, const void *w, void *y,
                             cudaStream_t stream, char *err, size_t err_len);

typedef struct rt_dnn_conv_info {
    int algo;                /* cudnnConvolutionFwdAlgo_t */
    const char *algo_name;   /* e.g. "IMPLICIT_PRECOMP_GEMM" */
    int math_type;           /* cudnnMathType_t reported by the search */
    float find_ms;           /* the search's own time for the chosen algorithm */
    size_t workspace_bytes;
    bool padded_copy;        /* asymmetric padding through a padded input copy */
    cm_dtype dtype;          /* element type of x, w, y */
    cm_math math;            /* requested: simt (fp32: strict) or tc */
} rt_dnn_conv_info;
void rt_dnn_conv_get_info(const rt_dnn_conv *c, rt_dnn_conv_info *info);

#ifdef __cplusplus
}
#endif

#endif
