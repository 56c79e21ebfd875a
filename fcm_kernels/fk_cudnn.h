/* fk_cudnn.h - cuDNN convolution wrapper (prefix fk_cudnn_): the reference
 * for checking fuseplan's kernels, the baseline they are timed against, and
 * the runtime's path for standard convolutions.
 *
 * Strict FP32 only: every convolution descriptor gets CUDNN_FMA_MATH (cuDNN's
 * CUDNN_DEFAULT_MATH permits TF32 tensor cores on Ampere and newer), and an
 * algorithm is accepted only if cudnnFindConvolutionForwardAlgorithmEx reports
 * it with a math type that is neither CUDNN_TENSOR_OP_MATH nor
 * CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION. All handles, descriptors, the
 * algorithm search and the workspace are set up in fk_cudnn_conv_create, so
 * that nothing but the convolution itself runs in fk_cudnn_conv_only.
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

typedef enum fk_layout { FK_LAYOUT_NHWC = 0, FK_LAYOUT_NCHW } fk_layout;
const char *fk_layout_name(fk_layout l); /* "nhwc", "nchw" */

/* One cuDNN handle (owns it). */
typedef struct fk_cudnn fk_cudnn;
fk_status fk_cudnn_create(fk_cudnn **out, char *err, size_t err_len);
void fk_cudnn_destroy(fk_cudnn *h); /* NULL is fine */
/* cudnnGetVersion() of the loaded library, e.g. 91400 for 9.14.0. */
size_t fk_cudnn_version(void);

/* One convolution layer: descriptors, chosen algorithm, workspace and, when
 * cuDNN's symmetric padding cannot express p's (implied bottom/right padding
 * larger than top/left), a zero-padded input buffer filled by a copy kernel
 * before each convolution. Layout applies to x and y; weights are KRSC for
 * NHWC (the model's layout) and KCRS for NCHW (see fk_krsc_to_kcrs). The
 * algorithm is the fastest strict-FP32 one that cudnnFindConvolutionForward-
 * AlgorithmEx measures on scratch buffers this call allocates and frees;
 * workspace up to max_workspace bytes (0: 1 GiB). The conv keeps a pointer to
 * h, which must outlive it. */
typedef struct fk_cudnn_conv fk_cudnn_conv;
fk_status fk_cudnn_conv_create(fk_cudnn *h, const fk_conv2d *p, fk_layout layout,
                               size_t max_workspace, fk_cudnn_conv **out, char *err,
                               size_t err_len);
void fk_cudnn_conv_destroy(fk_cudnn_conv *c); /* NULL is fine */

/* The layer: y = act(conv(x, w) + b) (b may be NULL). Uses
 * cudnnConvolutionBiasActivationForward for ReLU, else the convolution and
 * fk_bias_act. */
fk_status fk_cudnn_conv_forward(fk_cudnn_conv *c, const float *x, const float *w, const float *b,
                                float *y, cudaStream_t stream, char *err, size_t err_len);

/* The convolution alone (no padding copy only when none is needed, no bias, no
 * activation): what the baseline timing measures. */
fk_status fk_cudnn_conv_only(fk_cudnn_conv *c, const float *x, const float *w, float *y,
                             cudaStream_t stream, char *err, size_t err_len);

typedef struct fk_cudnn_conv_info {
    int algo;                /* cudnnConvolutionFwdAlgo_t */
    const char *algo_name;   /* e.g. "IMPLICIT_PRECOMP_GEMM" */
    int math_type;           /* cudnnMathType_t reported by the search */
    float find_ms;           /* the search's own time for the chosen algorithm */
    size_t workspace_bytes;
    bool padded_copy;        /* asymmetric padding through a padded input copy */
} fk_cudnn_conv_info;
void fk_cudnn_conv_get_info(const fk_cudnn_conv *c, fk_cudnn_conv_info *info);

#ifdef __cplusplus
}
#endif

#endif
