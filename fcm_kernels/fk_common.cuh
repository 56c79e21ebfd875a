/* fk_common.cuh - device helpers shared by the kernels (CUDA C++ only). */
#ifndef FUSEPLAN_FK_COMMON_CUH
#define FUSEPLAN_FK_COMMON_CUH

#include <cstdint>
#include <type_traits>

#include <cuda_runtime.h>

#include "costmodel.h"
#include "fk_error.h"
#include "cm_smem_layout.h"

namespace fk {

/* The kernels stage their operands in shared memory as fp32 (cp.async of
 * 4-byte elements); 16-bit staging comes with the tensor-core kernels of
 * issue 12. The epilogue and the tile decode are already typed. */
#define FK_F32_STAGING "this kernel stages fp32 operands only: add its 16-bit staging first"

/* Run-time parameters of a unit launch, filled by the host from cm_unit.
 * Elem is the element type of the tensors (x, weights, residual, y): a kernel
 * is instantiated with ParamsT<float> (ParamsT<__half>, ... with issue 12's
 * rows); the host fills ParamsT<void> once (fk_launch.cu) and launch_kernel
 * retypes it for the variant's element type (params_as). Biases are fp32 for
 * every element type (fk_kernels.h). The field order is the kernels' constant
 * bank layout: keep it. */
template <typename Elem>
struct ParamsT {
    const Elem *x;
    const Elem *w0, *w1, *w2;
    const float *b0, *b1, *b2;
    const Elem *res; /* nullptr when no residual */
    Elem *y;
    int n;
    int in_h, in_w, in_c;    /* unit input */
    int out_h, out_w, out_c; /* unit output */
    int mid_c;               /* PWDW/PWDWPW: E; PWPW: F1 */
    int k, s, pt, pl;        /* DW layer of spatial kinds */
    int act0, act1, act2;    /* per layer */
    int vec;                 /* 1: every channel count % 4 == 0 and 16-byte aligned buffers */
    /* geometry */
    int tiles_h, tiles_w, nct; /* spatial tiles per image, channel tiles */
    long long npix;            /* flat kinds: N*H*W */
    int ph, pw;                /* smem patch dims (unclipped (T-1)*s + k) */
    int cstride;               /* PWDWPW: padded C row stride (floats) in smem */
    int fstride;               /* PWPW: padded F1 row stride */
};

/* The untyped parameters the host fills; retyped per variant by params_as. */
typedef ParamsT<void> RawParams;

/* r with its tensor pointers typed as Elem (the integers copied as they are). */
template <typename Elem>
__host__ __forceinline__ ParamsT<Elem> params_as(const RawParams &r) {
    ParamsT<Elem> p;
    p.x = static_cast<const Elem *>(r.x);
    p.w0 = static_cast<const Elem *>(r.w0);
    p.w1 = static_cast<const Elem *>(r.w1);
    p.w2 = static_cast<const Elem *>(r.w2);
    p.b0 = r.b0;
    p.b1 = r.b1;
    p.b2 = r.b2;
    p.res = static_cast<const Elem *>(r.res);
    p.y = static_cast<Elem *>(r.y);
    p.n = r.n;
    p.in_h = r.in_h;
    p.in_w = r.in_w;
    p.in_c = r.in_c;
    p.out_h = r.out_h;
    p.out_w = r.out_w;
    p.out_c = r.out_c;
    p.mid_c = r.mid_c;
    p.k = r.k;
    p.s = r.s;
    p.pt = r.pt;
    p.pl = r.pl;
    p.act0 = r.act0;
    p.act1 = r.act1;
    p.act2 = r.act2;
    p.vec = r.vec;
    p.tiles_h = r.tiles_h;
    p.tiles_w = r.tiles_w;
    p.nct = r.nct;
    p.npix = r.npix;
    p.ph = r.ph;
    p.pw = r.pw;
    p.cstride = r.cstride;
    p.fstride = r.fstride;
    return p;
}

__device__ __forceinline__ float act_apply(float v, int act) {
    if (act != CM_ACT_NONE) v = fminf(fmaxf(v, 0.f), act == CM_ACT_RELU6 ? 6.f : INFINITY);
    return v;
}

/* An activation as the clamp [lo, hi], for inner loops where act_apply's
 * per-value test would repeat: two min/max per value. The bounds of act none
 * are NaN, which fmaxf/fminf ignore (they return the other operand), so NaN
 * and infinities pass through unchanged as act_apply leaves them; ReLU's
 * fmaxf(v, 0) maps NaN to 0 as act_apply's does. */
struct ActClamp {
    float lo, hi;
};
__device__ __forceinline__ ActClamp act_clamp(int act) {
    const float nan = __int_as_float(0x7fffffff);
    return ActClamp{act == CM_ACT_NONE ? nan : 0.f, act == CM_ACT_RELU6 ? 6.f : nan};
}
__device__ __forceinline__ float clamp_apply(float v, ActClamp a) {
    return fminf(fmaxf(v, a.lo), a.hi);
}

__device__ __forceinline__ float4 act4(float4 v, int act) {
    v.x = act_apply(v.x, act);
    v.y = act_apply(v.y, act);
    v.z = act_apply(v.z, act);
    v.w = act_apply(v.w, act);
    return v;
}

/* Division of non-negative ints below 2^31 by a divisor d >= 1 fixed for the
 * CTA (a runtime channel or patch width), as a multiply-high, an add and a
 * shift instead of the ~20 instructions of a runtime `/` (the round-up
 * method: l = ceil(log2 d), m = floor(2^32 (2^l - d) / d) + 1, n / d =
 * (umulhi(n, m) + n) >> l, exact for n, d < 2^31). Set up once, outside the
 * loops that divide. */
struct FastDiv {
    unsigned m;
    int l, d;
    __host__ __device__ __forceinline__ explicit FastDiv(int divisor) : d(divisor) {
        l = 0;
        while ((1u << l) < (unsigned)divisor) l++;
        m = (unsigned)((((1ull << l) - (unsigned long long)divisor) << 32) / (unsigned)divisor) + 1u;
    }
    /* host too, for tests/kernels/test_fastdiv.cu */
    __host__ __device__ __forceinline__ int div(int n) const {
#ifdef __CUDA_ARCH__
        const unsigned hi = __umulhi((unsigned)n, m);
#else
        const unsigned hi = (unsigned)(((unsigned long long)(unsigned)n * m) >> 32);
#endif
        return (int)((hi + (unsigned)n) >> l);
    }
};

__device__ __forceinline__ void fma4(float4 &acc, float4 a, float4 b) {
    acc.x = fmaf(a.x, b.x, acc.x);
    acc.y = fmaf(a.y, b.y, acc.y);
    acc.z = fmaf(a.z, b.z, acc.z);
    acc.w = fmaf(a.w, b.w, acc.w);
}

__device__ __forceinline__ float4 add4(float4 a, float4 b) {
    return make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
}

__device__ __forceinline__ float dot4(float4 a, float4 b, float acc) {
    acc = fmaf(a.x, b.x, acc);
    acc = fmaf(a.y, b.y, acc);
    acc = fmaf(a.z, b.z, acc);
    acc = fmaf(a.w, b.w, acc);
    return acc;
}

/* cp.async (sm_80+): copies src_bytes (0..16 / 0..4) from global and zero-fills
 * the rest of the 16 / 4 destination bytes. With src_bytes 0 nothing is read. */
__device__ __forceinline__ void cp_async16(void *smem, const void *gmem, int src_bytes) {
    unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem),
                 "r"(src_bytes)
                 : "memory");
}
/* cp_async16 to a shared address already converted (the loaders that keep
 * their destinations in registers across chunks) */
__device__ __forceinline__ void cp_async16_s(uint32_t s, const void *gmem, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem),
                 "r"(src_bytes)
                 : "memory");
}
__device__ __forceinline__ void cp_async4(void *smem, const void *gmem, int src_bytes) {
    unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(gmem),
                 "r"(src_bytes)
                 : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void cp_async_wait_group() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

/* Copies one contiguous run of `len` floats g[0..len) into s[0..padlen) (zero
 * beyond len), padlen a multiple of 4. Vector path: g and s 16-byte aligned,
 * len % 4 == 0 not required (tail zero-filled by cp.async's src size). The
 * caller distributes calls over threads; this helper copies one 4-float group
 * `q` of the run. */
__device__ __forceinline__ void copy_group(float *s, const float *g, int len, int q, int vec) {
    int c = q * 4;
    if (vec) {
        int nb = len - c;
        nb = nb >= 4 ? 16 : (nb > 0 ? nb * 4 : 0);
        cp_async16(s + c, nb ? g + c : g, nb);
    } else {
#pragma unroll
        for (int j = 0; j < 4; j++) {
            bool ok = c + j < len;
            cp_async4(s + c + j, ok ? g + c + j : g, ok ? 4 : 0);
        }
    }
}

__host__ __device__ constexpr int cmax(int a, int b) { return a > b ? a : b; }
__host__ __device__ constexpr int cmin(int a, int b) { return a < b ? a : b; }

} // namespace fk

#endif
