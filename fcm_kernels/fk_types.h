/* fk_types.h - the CUDA-free part of fcm_kernels' public interface: status
 * codes, op descriptors and host helpers shared by the GPU launchers
 * (fk_kernels.h), the CPU reference (fk_reference.h) and the cuDNN wrapper. */
#ifndef FUSEPLAN_FK_TYPES_H
#define FUSEPLAN_FK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "costmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fk_status {
    FK_OK = 0,
    FK_ERR_INVALID,     /* bad arguments: shapes, null or misaligned pointers */
    FK_ERR_NO_VARIANT,  /* no compiled kernel for this (kind, tile) */
    FK_ERR_UNSUPPORTED, /* dtype or feature not implemented (e.g. fp16, no cuDNN) */
    FK_ERR_RESOURCES,   /* tile needs more shared memory/threads than the device has */
    FK_ERR_CUDA,        /* a CUDA runtime call or a kernel launch failed */
    FK_ERR_CUDNN,       /* a cuDNN call failed */
    FK_ERR_NOMEM        /* host or device allocation failed */
} fk_status;

/* Short constant name of a status ("ok", "invalid", ...). */
const char *fk_status_str(fk_status s);

/* A general 2-D convolution (NHWC in/out, KRSC weights, any groups). Bottom and
 * right padding are implied by out_h/out_w. Shared by the reference, the cuDNN
 * wrapper and the direct GPU fallback. */
typedef struct fk_conv2d {
    int n;
    int in_h, in_w, in_c;
    int out_h, out_w, out_c;
    int kh, kw;
    int sh, sw;
    int pad_top, pad_left;
    int groups;
    cm_act act;
} fk_conv2d;

/* Checks p: positive sizes, groups divide both channel counts, padding in
 * [0, kernel), and the last output window starts inside the image. */
fk_status fk_conv2d_check(const fk_conv2d *p, char *err, size_t err_len);

typedef enum fk_pool_kind { FK_POOL_MAX = 0, FK_POOL_AVG } fk_pool_kind;

/* Max or average pooling, NHWC. Average pooling divides by the number of
 * window positions inside the image (padding excluded, TensorFlow's rule). */
typedef struct fk_pool2d {
    fk_pool_kind kind;
    int n, in_h, in_w, c;
    int out_h, out_w;
    int kh, kw, sh, sw;
    int pad_top, pad_left;
} fk_pool2d;

/* Host twin of fk_fill_uniform: the same values for the same (seed, index). */
void fk_fill_host_uniform(float *h, size_t count, uint64_t seed, float lo, float hi);

/* The NaN bit pattern fk_poison writes (unwritten outputs show as NaN). */
#define FK_POISON_BITS 0x7fc0deadu

#ifdef __cplusplus
}
#endif

#endif
