/* fk_types.h - the CUDA-free part of fcm_kernels' public interface: status
 * codes, op descriptors and host helpers shared by the GPU launchers
 * (fk_kernels.h), the CPU reference (fk_reference.h) and the cuDNN wrapper. */
#ifndef FUSEPLAN_FK_TYPES_H
#define FUSEPLAN_FK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
/* The 16-bit poison fk_poison_dt writes for fp16 and bf16: a NaN in both
 * (exponent bits all ones in either format, mantissa non-zero in either), and
 * not the canonical NaN (0x7fff) a kernel produces. */
#define FK_POISON_BITS16 0x7fadu

/* ---- host conversions between fp32 and the 16-bit element types ----------
 * Round to nearest even, the rounding of __float2half_rn / __float2bfloat16_rn
 * on the device, so that a value converted here equals the one the GPU
 * produces. Header-only so that the CPU tests and the runtime's host code
 * (weights files, comparisons) use them without CUDA. NaN maps to a quiet NaN,
 * overflow to infinity, fp16 underflow to subnormals / zero. */

static inline uint32_t fk_f32_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return x;
}

static inline float fk_bits_f32(uint32_t x) {
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static inline uint16_t fk_f32_to_f16_bits(float f) {
    const uint32_t x = fk_f32_bits(f);
    const uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu)); /* NaN */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to inf */
    if (ax >= 0x38800000u) {                                  /* normal: >= 2^-14 */
        uint32_t h = ((((ax >> 23) - 112u) << 10) | ((ax >> 13) & 0x3ffu));
        const uint32_t rem = ax & 0x1fffu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* carries into the exponent */
        return (uint16_t)(sign | h);
    }
    if (ax <= 0x33000000u) return (uint16_t)sign; /* <= 2^-25: ties to even zero */
    /* subnormal: the value in units of 2^-24 is m * 2^(e+1), e = exponent - 127 */
    const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
    const int s = 126 - (int)(ax >> 23); /* 14 .. 24 */
    uint32_t q = m >> s;
    const uint32_t rem = m & ((1u << s) - 1u), half = 1u << (s - 1);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);
}

static inline float fk_f16_bits_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1fu) return fk_bits_f32(sign | 0x7f800000u | (m << 13));
    if (e) return fk_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
    /* zero or subnormal: m * 2^-24, exact in fp32 */
    const float v = (float)m * 5.9604644775390625e-8f;
    return fk_bits_f32(sign | fk_f32_bits(v));
}

static inline uint16_t fk_f32_to_bf16_bits(float f) {
    const uint32_t x = fk_f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);                  /* RNE; inf stays */
}

static inline float fk_bf16_bits_to_f32(uint16_t h) { return fk_bits_f32((uint32_t)h << 16); }

/* fp32 -> the element type dtype and back, through the bit patterns above:
 * out receives cm_dtype_bytes(dtype) bytes. fp32 is a copy; false for int8
 * (not an element type of the runtime). */
static inline bool fk_host_from_f32(cm_dtype dtype, float v, void *out) {
    uint16_t h;
    switch (dtype) {
    case CM_F32: memcpy(out, &v, sizeof v); return true;
    case CM_F16: h = fk_f32_to_f16_bits(v); break;
    case CM_BF16: h = fk_f32_to_bf16_bits(v); break;
    default: return false;
    }
    memcpy(out, &h, sizeof h);
    return true;
}

static inline float fk_host_to_f32(cm_dtype dtype, const void *in) {
    float f;
    uint16_t h;
    switch (dtype) {
    case CM_F32: memcpy(&f, in, sizeof f); return f;
    case CM_F16: memcpy(&h, in, sizeof h); return fk_f16_bits_to_f32(h);
    case CM_BF16: memcpy(&h, in, sizeof h); return fk_bf16_bits_to_f32(h);
    default: return fk_bits_f32(0x7fc00000u);
    }
}

/* True when the element at in (dtype) carries fk_poison_dt's pattern. */
static inline bool fk_host_is_poison(cm_dtype dtype, const void *in) {
    if (dtype == CM_F32) {
        uint32_t x;
        memcpy(&x, in, sizeof x);
        return x == FK_POISON_BITS;
    }
    uint16_t h;
    memcpy(&h, in, sizeof h);
    return h == FK_POISON_BITS16;
}

#ifdef __cplusplus
}
#endif

#endif
