/* fk_ops.cu - the ops outside the fusion kinds (standard conv fallback,
 * pooling, global average pool, dense, add, activation) and the utilities
 * (fills, poison, conversions, layout copies, padding, bias + activation), in
 * fp32, fp16 and bf16. Most are simple and correct, one thread per output
 * element with grid-stride loops; the ones a whole model spends time in are
 * built for their byte floor: add/activation (16-byte vectors), the global
 * average pool (a warp per image and 8 x 16 bytes of channels, 16-byte
 * loads) and dense (a tiled kernel that reads each weight once per CTA for a
 * batch; a warp per output for a few images). The stems' tiled convolution
 * is fk_conv.cu.
 *
 * Element types: every kernel is a template over the storage type T (float,
 * __half, __nv_bfloat16); values are read into float (ld), all arithmetic and
 * every reduction runs in FP32, and a result is rounded once, to nearest even,
 * when it is stored (st). Biases are fp32 for every element type. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "fk_common.cuh"

namespace {

using fk::act_apply;

constexpr int kThreads = 256;

/* Grid for a grid-stride loop over count elements. */
unsigned grid_for(size_t count) {
    size_t b = (count + kThreads - 1) / kThreads;
    if (b > 65535ull * 32) b = 65535ull * 32;
    return b ? (unsigned)b : 1u;
}

/* ---- element access: storage type <-> float -------------------------------- */

__device__ __forceinline__ float ld(const float *p) { return *p; }
__device__ __forceinline__ float ld(const __half *p) { return __half2float(*p); }
__device__ __forceinline__ float ld(const __nv_bfloat16 *p) { return __bfloat162float(*p); }
__device__ __forceinline__ void st(float *p, float v) { *p = v; }
__device__ __forceinline__ void st(__half *p, float v) { *p = __float2half_rn(v); }
__device__ __forceinline__ void st(__nv_bfloat16 *p, float v) { *p = __float2bfloat16_rn(v); }

/* Bit-level element of a storage type (layout copies and padding move bits). */
template <typename T> struct Bits;
template <> struct Bits<float> { typedef unsigned type; };
template <> struct Bits<__half> { typedef unsigned short type; };
template <> struct Bits<__nv_bfloat16> { typedef unsigned short type; };

__device__ __forceinline__ float hash_uniform(uint64_t seed, uint64_t i, float lo, float hi) {
    uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    float u = (float)(z >> 40) * (1.0f / 16777216.0f);
    float r = __fmul_rn(hi - lo, u);
    return __fadd_rn(lo, r);
}

/* The fp32 master value of (seed, i), rounded to T when stored. */
template <typename T>
__global__ void fill_kernel(T *d, size_t count, uint64_t seed, float lo, float hi) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        st(d + i, hash_uniform(seed, i, lo, hi));
}

template <typename U>
__global__ void poison_kernel(U *d, size_t count, U bits) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        d[i] = bits;
}

template <typename S, typename D>
__global__ void convert_kernel(const S *src, D *dst, size_t count) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        st(dst + i, ld(src + i));
}

template <typename T>
__global__ void conv_direct_kernel(fk_conv2d p, const T *x, const T *w, const float *b, T *y) {
    const size_t total = (size_t)p.n * p.out_h * p.out_w * p.out_c;
    const int cig = p.in_c / p.groups, cog = p.out_c / p.groups;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int f = (int)(i % p.out_c);
        size_t r = i / p.out_c;
        const int ox = (int)(r % p.out_w);
        r /= p.out_w;
        const int oy = (int)(r % p.out_h);
        const int n = (int)(r / p.out_h);
        const int g = f / cog;
        float acc = 0.f;
        for (int ky = 0; ky < p.kh; ky++) {
            const int iy = oy * p.sh - p.pad_top + ky;
            if (iy < 0 || iy >= p.in_h) continue;
            for (int kx = 0; kx < p.kw; kx++) {
                const int ix = ox * p.sw - p.pad_left + kx;
                if (ix < 0 || ix >= p.in_w) continue;
                const T *xp = x + (((size_t)n * p.in_h + iy) * p.in_w + ix) * p.in_c + g * cig;
                const T *wp = w + (((size_t)f * p.kh + ky) * p.kw + kx) * cig;
                for (int c = 0; c < cig; c++) acc = fmaf(ld(xp + c), ld(wp + c), acc);
            }
        }
        if (b) acc += b[f];
        st(y + i, act_apply(acc, p.act));
    }
}

template <typename T>
__global__ void pool_kernel(fk_pool2d p, const T *x, T *y) {
    const size_t total = (size_t)p.n * p.out_h * p.out_w * p.c;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int c = (int)(i % p.c);
        size_t r = i / p.c;
        const int ox = (int)(r % p.out_w);
        r /= p.out_w;
        const int oy = (int)(r % p.out_h);
        const int n = (int)(r / p.out_h);
        float acc = p.kind == FK_POOL_MAX ? -INFINITY : 0.f;
        int cnt = 0;
        for (int ky = 0; ky < p.kh; ky++) {
            const int iy = oy * p.sh - p.pad_top + ky;
            if (iy < 0 || iy >= p.in_h) continue;
            for (int kx = 0; kx < p.kw; kx++) {
                const int ix = ox * p.sw - p.pad_left + kx;
                if (ix < 0 || ix >= p.in_w) continue;
                const float v = ld(x + (((size_t)n * p.in_h + iy) * p.in_w + ix) * p.c + c);
                acc = p.kind == FK_POOL_MAX ? fmaxf(acc, v) : acc + v;
                cnt++;
            }
        }
        st(y + i, p.kind == FK_POOL_MAX ? acc : (cnt ? acc / (float)cnt : 0.f));
    }
}

/* One thread per (image, channel); neighbouring threads read neighbouring
 * channels, so every step of the loop is coalesced. */
template <typename T>
__global__ void gap_kernel(int n, int hw, int c, const T *x, T *y) {
    const size_t total = (size_t)n * c;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int ch = (int)(i % c);
        const size_t img = i / c;
        const T *xp = x + img * (size_t)hw * c + ch;
        float acc = 0.f;
        for (int j = 0; j < hw; j++) acc += ld(xp + (size_t)j * c);
        st(y + i, acc / (float)hw);
    }
}

/* ---- 16-byte vectors of any element type (GAP, dense) ------------------------
 * A uint4 holds V = 16 / sizeof(T) elements: 4 fp32 or 8 fp16 / bf16, the
 * first element in the low bits. Bits 0 are +0 in every type. */

template <typename T> __device__ __forceinline__ unsigned ebits(T v);
template <> __device__ __forceinline__ unsigned ebits<float>(float v) { return __float_as_uint(v); }
template <> __device__ __forceinline__ unsigned ebits<__half>(__half v) { return __half_as_ushort(v); }
template <> __device__ __forceinline__ unsigned ebits<__nv_bfloat16>(__nv_bfloat16 v) {
    return __bfloat16_as_ushort(v);
}

/* A 16-bit element from its bits, and a float rounded to nearest even to T's bits. */
template <typename T> __device__ __forceinline__ float from_bits16(unsigned short b);
template <> __device__ __forceinline__ float from_bits16<__half>(unsigned short b) {
    return __half2float(__ushort_as_half(b));
}
template <> __device__ __forceinline__ float from_bits16<__nv_bfloat16>(unsigned short b) {
    return __uint_as_float((unsigned)b << 16); /* a bf16 is the top half of an fp32 */
}
template <typename T> __device__ __forceinline__ unsigned round_bits16(float v);
template <> __device__ __forceinline__ unsigned round_bits16<__half>(float v) {
    return __half_as_ushort(__float2half_rn(v));
}
template <> __device__ __forceinline__ unsigned round_bits16<__nv_bfloat16>(float v) {
    return __bfloat16_as_ushort(__float2bfloat16_rn(v));
}

/* The V elements of u as floats. */
template <typename T> __device__ __forceinline__ void unpack16(const uint4 &u, float *f) {
    const unsigned w[4] = {u.x, u.y, u.z, u.w};
    if constexpr (sizeof(T) == 4) {
#pragma unroll
        for (int k = 0; k < 4; k++) f[k] = __uint_as_float(w[k]);
    } else {
#pragma unroll
        for (int k = 0; k < 8; k++) {
            f[k] = from_bits16<T>((unsigned short)(w[k >> 1] >> (16 * (k & 1))));
        }
    }
}

/* V floats rounded to T (once, to nearest even) and packed. */
template <typename T> __device__ __forceinline__ uint4 pack16(const float *f) {
    unsigned w[4] = {0u, 0u, 0u, 0u};
    if constexpr (sizeof(T) == 4) {
#pragma unroll
        for (int k = 0; k < 4; k++) w[k] = __float_as_uint(f[k]);
    } else {
#pragma unroll
        for (int k = 0; k < 8; k++) w[k >> 1] |= round_bits16<T>(f[k]) << (16 * (k & 1));
    }
    return make_uint4(w[0], w[1], w[2], w[3]);
}

/* The V elements at p as a 16-byte vector, the first `valid` of them (the
 * rest zero): one 16-byte load when VEC (p 16-byte aligned) and all are
 * valid, element loads otherwise. */
template <typename T, bool VEC> __device__ __forceinline__ uint4 load16(const T *p, int valid) {
    constexpr int V = 16 / sizeof(T);
    if (VEC && valid >= V) return *reinterpret_cast<const uint4 *>(p);
    unsigned w[4] = {0u, 0u, 0u, 0u};
#pragma unroll
    for (int k = 0; k < V; k++)
        if (k < valid) {
            if constexpr (sizeof(T) == 4) w[k] = ebits(p[k]);
            else w[k >> 1] |= ebits(p[k]) << (16 * (k & 1));
        }
    return make_uint4(w[0], w[1], w[2], w[3]);
}

/* Global average pool with 16-byte loads: one warp per (image, 8 vectors of
 * channels), lanes = 8 channel vectors x 4 row groups; a lane sums its vector
 * over the rows rg, rg + 4, ... (independent loads, unrolled), a butterfly
 * over the row groups adds the four partial sums, row group 0 stores. Needs
 * c % V == 0 and x, y 16-byte aligned. Bytes: n * h * w * c elements read
 * once, n * c written: MobileNetV2 at batch 64, 64 x 7 x 7 x 1280 fp16 =
 * 8.0 MB, 2.7 us at 3 TB/s. */
constexpr int kGapLanesC = 8, kGapRows = 4;

template <typename T>
__global__ void gap_vec_kernel(int n, int hw, int c, const T *x, T *y) {
    constexpr int V = 16 / sizeof(T);
    const int lane = threadIdx.x & 31, cl = lane % kGapLanesC, rg = lane / kGapLanesC;
    const int groups = (c + kGapLanesC * V - 1) / (kGapLanesC * V);
    const long long nwarps = (long long)n * groups, per_block = blockDim.x / 32;
    for (long long wi = blockIdx.x * per_block + threadIdx.x / 32; wi < nwarps;
         wi += (long long)gridDim.x * per_block) {
        const int g = (int)(wi % groups), img = (int)(wi / groups);
        const int ch = (g * kGapLanesC + cl) * V;
        float acc[V];
#pragma unroll
        for (int k = 0; k < V; k++) acc[k] = 0.f;
        if (ch < c) {
            const T *xp = x + (size_t)img * hw * c + ch;
#pragma unroll 4
            for (int j = rg; j < hw; j += kGapRows) {
                float f[V];
                unpack16<T>(*reinterpret_cast<const uint4 *>(xp + (size_t)j * c), f);
#pragma unroll
                for (int k = 0; k < V; k++) acc[k] += f[k];
            }
        }
        /* every lane of the warp takes part (wi is the same for all 32) */
#pragma unroll
        for (int k = 0; k < V; k++) {
            acc[k] += __shfl_xor_sync(0xffffffffu, acc[k], kGapLanesC);
            acc[k] += __shfl_xor_sync(0xffffffffu, acc[k], 2 * kGapLanesC);
        }
        if (rg == 0 && ch < c) {
            float o[V];
#pragma unroll
            for (int k = 0; k < V; k++) o[k] = acc[k] / (float)hw;
            *reinterpret_cast<uint4 *>(y + (size_t)img * c + ch) = pack16<T>(o);
        }
    }
}

/* Dense, one warp per output: lanes stride over the input channels (16-byte
 * vectors when VEC: in_c % V == 0, x and w 16-byte aligned), then reduce.
 * Each weight row is read once per image: the kernel for a few images. */
template <typename T, bool VEC>
__global__ void dense_rows_kernel(int n, int in_c, int units, int act, const T *x, const T *w,
                                  const float *b, T *y) {
    constexpr int V = 16 / sizeof(T);
    const int lane = threadIdx.x & 31;
    const size_t warps = (size_t)gridDim.x * blockDim.x / 32;
    for (size_t o = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32; o < (size_t)n * units;
         o += warps) {
        const int u = (int)(o % units);
        const size_t img = o / units;
        const T *xp = x + img * in_c, *wp = w + (size_t)u * in_c;
        float acc = 0.f;
        if (VEC) {
            for (int kv = lane; kv < in_c / V; kv += 32) {
                float fx[V], fw[V];
                unpack16<T>(reinterpret_cast<const uint4 *>(xp)[kv], fx);
                unpack16<T>(reinterpret_cast<const uint4 *>(wp)[kv], fw);
#pragma unroll
                for (int k = 0; k < V; k++) acc = fmaf(fx[k], fw[k], acc);
            }
        } else {
            for (int c = lane; c < in_c; c += 32) acc = fmaf(ld(xp + c), ld(wp + c), acc);
        }
        for (int s = 16; s > 0; s >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, s);
        if (lane == 0) st(y + o, act_apply(acc + (b ? b[u] : 0.f), act));
    }
}

/* Dense for a batch: a CTA computes kDenseN images x kDenseU units. Per
 * chunk of kDenseK input channels it stages x [kDenseN][kDenseK] and w
 * [kDenseU][kDenseK] in shared memory as fp32 (row stride kDenseK + 4 floats:
 * an odd number of 16-byte units, so the 8 weight rows a warp reads at one k
 * fall in 8 distinct bank groups), the next chunk already loaded into
 * registers while this one is computed (its global latency hidden behind
 * the FMAs). The reduction is split over kDenseSplit groups of 64 threads
 * (each a quarter of every chunk); a thread owns 2 images x 4 units (images
 * tr, tr + 8; units tu + 8i), per 4 channels 6 LDS.128 and 32 FMAs; the
 * partial sums are added through shared memory at the end (fixed order).
 * Each weight is read once per CTA: MobileNetV2's 1280 -> 1000 at batch 64
 * reads 2.56 MB of fp16 weights 4 times (from L2 after the first) in 128
 * CTAs; its 82 M FMAs are 2.8 us of the H100's CUDA cores, the weights 0.9
 * us of DRAM. Tile sizes unmeasured (chosen for ~1 CTA per SM at that size). */
constexpr int kDenseN = 16, kDenseU = 32, kDenseK = 128, kDenseSplit = 4, kDenseThreads = 256;
constexpr int kDenseStride = kDenseK + 4;

template <typename T, bool VEC>
__global__ void __launch_bounds__(kDenseThreads)
    dense_tiled_kernel(int n, int in_c, int units, int act, const T *__restrict__ x,
                       const T *__restrict__ w, const float *__restrict__ b, T *__restrict__ y) {
    constexpr int V = 16 / sizeof(T), KV = kDenseK / V;
    constexpr int NXV = kDenseN * KV / kDenseThreads, NWV = kDenseU * KV / kDenseThreads;
    static_assert(NXV * kDenseThreads == kDenseN * KV && NWV * kDenseThreads == kDenseU * KV,
                  "the staging loads divide over the threads");
    static_assert(kDenseSplit * kDenseN * kDenseU <= kDenseN * kDenseStride,
                  "the split-K partial sums fit in the x tile");
    __shared__ __align__(16) float xs[kDenseN * kDenseStride];
    __shared__ __align__(16) float ws[kDenseU * kDenseStride];
    const int tid = threadIdx.x, u0 = blockIdx.x * kDenseU, n0 = blockIdx.y * kDenseN;
    uint4 rx[NXV], rw[NWV];

    /* global -> registers: vector v of the chunk is row v / KV, channels
     * (v % KV) * V .. + V */
    auto load = [&](int k0) {
#pragma unroll
        for (int i = 0; i < NXV; i++) {
            const int v = tid + i * kDenseThreads, r = v / KV, k = k0 + (v % KV) * V;
            rx[i] = n0 + r < n && k < in_c
                        ? load16<T, VEC>(x + (size_t)(n0 + r) * in_c + k, in_c - k)
                        : make_uint4(0u, 0u, 0u, 0u);
        }
#pragma unroll
        for (int i = 0; i < NWV; i++) {
            const int v = tid + i * kDenseThreads, r = v / KV, k = k0 + (v % KV) * V;
            rw[i] = u0 + r < units && k < in_c
                        ? load16<T, VEC>(w + (size_t)(u0 + r) * in_c + k, in_c - k)
                        : make_uint4(0u, 0u, 0u, 0u);
        }
    };
    /* registers -> shared memory, as fp32 */
    auto store = [&]() {
#pragma unroll
        for (int i = 0; i < NXV + NWV; i++) {
            const bool isx = i < NXV;
            const int v = tid + (isx ? i : i - NXV) * kDenseThreads;
            float f[V];
            unpack16<T>(isx ? rx[i] : rw[i - NXV], f);
            float *d = (isx ? xs : ws) + (v / KV) * kDenseStride + (v % KV) * V;
#pragma unroll
            for (int j = 0; j < V; j += 4)
                *reinterpret_cast<float4 *>(d + j) = make_float4(f[j], f[j + 1], f[j + 2], f[j + 3]);
        }
    };

    const int kg = tid / 64, l = tid % 64, tr = l / 8, tu = l % 8;
    float acc[2][4];
#pragma unroll
    for (int j = 0; j < 2; j++)
#pragma unroll
        for (int i = 0; i < 4; i++) acc[j][i] = 0.f;
    const int chunks = (in_c + kDenseK - 1) / kDenseK;
    load(0);
    for (int ch = 0; ch < chunks; ch++) {
        __syncthreads(); /* the previous chunk's reads are done */
        store();
        __syncthreads();
        if (ch + 1 < chunks) load((ch + 1) * kDenseK); /* in flight during the FMAs */
        const int kb = kg * (kDenseK / kDenseSplit);
#pragma unroll 4
        for (int kk = kb; kk < kb + kDenseK / kDenseSplit; kk += 4) {
            const float4 xa = *reinterpret_cast<const float4 *>(xs + tr * kDenseStride + kk);
            const float4 xb = *reinterpret_cast<const float4 *>(xs + (tr + 8) * kDenseStride + kk);
#pragma unroll
            for (int i = 0; i < 4; i++) {
                const float4 wv = *reinterpret_cast<const float4 *>(ws + (tu + 8 * i) * kDenseStride + kk);
                acc[0][i] = fk::dot4(xa, wv, acc[0][i]);
                acc[1][i] = fk::dot4(xb, wv, acc[1][i]);
            }
        }
    }
    /* the kDenseSplit partial sums of each output, through xs */
    __syncthreads();
    float *red = xs;
#pragma unroll
    for (int j = 0; j < 2; j++)
#pragma unroll
        for (int i = 0; i < 4; i++)
            red[kg * (kDenseN * kDenseU) + (tr + 8 * j) * kDenseU + tu + 8 * i] = acc[j][i];
    __syncthreads();
    for (int o = tid; o < kDenseN * kDenseU; o += kDenseThreads) {
        const int r = o / kDenseU, u = o % kDenseU;
        if (n0 + r >= n || u0 + u >= units) continue;
        float sum = 0.f;
#pragma unroll
        for (int g = 0; g < kDenseSplit; g++) sum += red[g * (kDenseN * kDenseU) + o];
        st(y + (size_t)(n0 + r) * units + u0 + u, act_apply(sum + (b ? b[u0 + u] : 0.f), act));
    }
}

template <typename T>
__global__ void add_kernel(size_t count, int act, const T *a, const T *b, T *y) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        st(y + i, act_apply(ld(a + i) + ld(b + i), act));
}

/* 16 bytes per thread and step (4 floats or 8 halves): a, b, y 16-byte
 * aligned, count a multiple of the vector. The elements of a vector are
 * addressed through a local array (registers after unrolling). */
template <typename T>
__global__ void add_vec_kernel(size_t nvec, int act, const uint4 *a, const uint4 *b, uint4 *y) {
    constexpr int kN = 16 / sizeof(T);
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < nvec;
         i += (size_t)gridDim.x * blockDim.x) {
        uint4 va = a[i], vb = b[i], vy;
        const T *ea = reinterpret_cast<const T *>(&va), *eb = reinterpret_cast<const T *>(&vb);
        T *ey = reinterpret_cast<T *>(&vy);
#pragma unroll
        for (int k = 0; k < kN; k++) st(ey + k, act_apply(ld(ea + k) + ld(eb + k), act));
        y[i] = vy;
    }
}

template <typename T>
__global__ void act_kernel(size_t count, int act, const T *x, T *y) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        st(y + i, act_apply(ld(x + i), act));
}

template <typename T>
__global__ void act_vec_kernel(size_t nvec, int act, const uint4 *x, uint4 *y) {
    constexpr int kN = 16 / sizeof(T);
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < nvec;
         i += (size_t)gridDim.x * blockDim.x) {
        uint4 vx = x[i], vy;
        const T *ex = reinterpret_cast<const T *>(&vx);
        T *ey = reinterpret_cast<T *>(&vy);
#pragma unroll
        for (int k = 0; k < kN; k++) st(ey + k, act_apply(ld(ex + k), act));
        y[i] = vy;
    }
}

/* dst[n][c][h][w] = src[n][h][w][c] (to_nchw) or the reverse; U moves the
 * element's bits. */
template <typename U>
__global__ void transpose_kernel(const U *src, U *dst, int n, int h, int w, int c, bool to_nchw) {
    const size_t total = (size_t)n * h * w * c;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        /* i indexes dst */
        if (to_nchw) {
            const int x = (int)(i % w);
            size_t r = i / w;
            const int y = (int)(r % h);
            r /= h;
            const int ch = (int)(r % c);
            const size_t img = r / c;
            dst[i] = src[((img * h + y) * w + x) * c + ch];
        } else {
            const int ch = (int)(i % c);
            size_t r = i / c;
            const int x = (int)(r % w);
            r /= w;
            const int y = (int)(r % h);
            const size_t img = r / h;
            dst[i] = src[((img * c + ch) * h + y) * w + x];
        }
    }
}

/* Zero padding: the bit pattern 0 is +0 in every element type. */
template <typename U>
__global__ void pad_kernel(const U *src, U *dst, int n, int h, int w, int c, int pt, int pl, int ph,
                           int pw) {
    const size_t total = (size_t)n * ph * pw * c;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int ch = (int)(i % c);
        size_t r = i / c;
        const int x = (int)(r % pw) - pl;
        r /= pw;
        const int y = (int)(r % ph) - pt;
        const size_t img = r / ph;
        dst[i] = (y >= 0 && y < h && x >= 0 && x < w) ? src[((img * h + y) * w + x) * c + ch] : U(0);
    }
}

template <typename T>
__global__ void bias_act_kernel(T *y, const float *b, int act, size_t total, int hw, int c,
                                bool nchw) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int ch = nchw ? (int)((i / hw) % c) : (int)(i % c);
        st(y + i, act_apply(ld(y + i) + (b ? b[ch] : 0.f), act));
    }
}

/* ---- host launch helpers, one template per op, instantiated per type ------- */

template <typename T>
void launch_fill(void *d, size_t count, uint64_t seed, float lo, float hi, cudaStream_t s) {
    fill_kernel<T><<<grid_for(count), kThreads, 0, s>>>(static_cast<T *>(d), count, seed, lo, hi);
}

template <typename S, typename D>
void launch_convert(const void *src, void *dst, size_t count, cudaStream_t s) {
    convert_kernel<S, D><<<grid_for(count), kThreads, 0, s>>>(static_cast<const S *>(src),
                                                              static_cast<D *>(dst), count);
}

template <typename S>
bool launch_convert_from(const void *src, cm_dtype dt, void *dst, size_t count, cudaStream_t s) {
    switch (dt) {
    case CM_F32: launch_convert<S, float>(src, dst, count, s); return true;
    case CM_F16: launch_convert<S, __half>(src, dst, count, s); return true;
    case CM_BF16: launch_convert<S, __nv_bfloat16>(src, dst, count, s); return true;
    default: return false;
    }
}

template <typename T>
void launch_conv(const fk_conv2d &p, const void *x, const void *w, const float *b, void *y,
                 cudaStream_t s) {
    const size_t total = (size_t)p.n * p.out_h * p.out_w * p.out_c;
    conv_direct_kernel<T><<<grid_for(total), kThreads, 0, s>>>(
        p, static_cast<const T *>(x), static_cast<const T *>(w), b, static_cast<T *>(y));
}

template <typename T>
void launch_pool(const fk_pool2d &p, const void *x, void *y, cudaStream_t s) {
    const size_t total = (size_t)p.n * p.out_h * p.out_w * p.c;
    pool_kernel<T><<<grid_for(total), kThreads, 0, s>>>(p, static_cast<const T *>(x),
                                                        static_cast<T *>(y));
}

bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

template <typename T>
void launch_gap(int n, int hw, int c, const void *x, void *y, cudaStream_t s) {
    constexpr int V = 16 / sizeof(T);
    if (c % V == 0 && aligned16(x) && aligned16(y)) {
        const size_t warps = (size_t)n * ((c + kGapLanesC * V - 1) / (kGapLanesC * V));
        gap_vec_kernel<T><<<grid_for(warps * 32), kThreads, 0, s>>>(
            n, hw, c, static_cast<const T *>(x), static_cast<T *>(y));
    } else {
        gap_kernel<T><<<grid_for((size_t)n * c), kThreads, 0, s>>>(
            n, hw, c, static_cast<const T *>(x), static_cast<T *>(y));
    }
}

template <typename T>
void launch_dense(fk_dense_path path, int n, int in_c, int units, int act, const void *x,
                  const void *w, const float *b, void *y, cudaStream_t s) {
    constexpr int V = 16 / sizeof(T);
    const bool vec = in_c % V == 0 && aligned16(x) && aligned16(w);
    const T *xt = static_cast<const T *>(x), *wt = static_cast<const T *>(w);
    T *yt = static_cast<T *>(y);
    if (path == FK_DENSE_AUTO) /* (the tiled grid's y: at most 65535 tiles of images) */
        path = n >= FK_DENSE_TILED_MIN_N && n <= 65535 * kDenseN ? FK_DENSE_TILED : FK_DENSE_ROWS;
    if (path == FK_DENSE_TILED) {
        const dim3 grid((unsigned)((units + kDenseU - 1) / kDenseU), (unsigned)((n + kDenseN - 1) / kDenseN));
        if (vec)
            dense_tiled_kernel<T, true><<<grid, kDenseThreads, 0, s>>>(n, in_c, units, act, xt, wt, b, yt);
        else
            dense_tiled_kernel<T, false><<<grid, kDenseThreads, 0, s>>>(n, in_c, units, act, xt, wt, b, yt);
    } else if (vec) {
        dense_rows_kernel<T, true><<<grid_for((size_t)n * units * 32), kThreads, 0, s>>>(
            n, in_c, units, act, xt, wt, b, yt);
    } else {
        dense_rows_kernel<T, false><<<grid_for((size_t)n * units * 32), kThreads, 0, s>>>(
            n, in_c, units, act, xt, wt, b, yt);
    }
}

template <typename T>
void launch_add(size_t count, int act, const void *a, const void *b, void *y, cudaStream_t s) {
    constexpr size_t kN = 16 / sizeof(T);
    if (count % kN == 0 && aligned16(a) && aligned16(b) && aligned16(y))
        add_vec_kernel<T><<<grid_for(count / kN), kThreads, 0, s>>>(
            count / kN, act, static_cast<const uint4 *>(a), static_cast<const uint4 *>(b),
            static_cast<uint4 *>(y));
    else
        add_kernel<T><<<grid_for(count), kThreads, 0, s>>>(count, act, static_cast<const T *>(a),
                                                           static_cast<const T *>(b),
                                                           static_cast<T *>(y));
}

template <typename T>
void launch_act(size_t count, int act, const void *x, void *y, cudaStream_t s) {
    constexpr size_t kN = 16 / sizeof(T);
    if (count % kN == 0 && aligned16(x) && aligned16(y))
        act_vec_kernel<T><<<grid_for(count / kN), kThreads, 0, s>>>(
            count / kN, act, static_cast<const uint4 *>(x), static_cast<uint4 *>(y));
    else
        act_kernel<T><<<grid_for(count), kThreads, 0, s>>>(count, act, static_cast<const T *>(x),
                                                           static_cast<T *>(y));
}

template <typename T>
void launch_transpose(const void *src, void *dst, int n, int h, int w, int c, bool to_nchw,
                      cudaStream_t s) {
    typedef typename Bits<T>::type U;
    transpose_kernel<U><<<grid_for((size_t)n * h * w * c), kThreads, 0, s>>>(
        static_cast<const U *>(src), static_cast<U *>(dst), n, h, w, c, to_nchw);
}

template <typename T>
void launch_pad(const void *src, void *dst, int n, int h, int w, int c, int pt, int pl, int ph,
                int pw, cudaStream_t s) {
    typedef typename Bits<T>::type U;
    pad_kernel<U><<<grid_for((size_t)n * ph * pw * c), kThreads, 0, s>>>(
        static_cast<const U *>(src), static_cast<U *>(dst), n, h, w, c, pt, pl, ph, pw);
}

template <typename T>
void launch_bias_act(void *y, const float *b, int act, size_t total, int hw, int c, bool nchw,
                     cudaStream_t s) {
    bias_act_kernel<T><<<grid_for(total), kThreads, 0, s>>>(static_cast<T *>(y), b, act, total, hw,
                                                            c, nchw);
}

} // namespace

#define FK_ARG(cond, ...)                                                                     \
    do {                                                                                      \
        if (!(cond)) return fk_fail(FK_ERR_INVALID, err, err_len, __VA_ARGS__);               \
    } while (0)

/* Calls LAUNCH<T>(args...) with T the storage type of dtype, then checks the
 * launch error naming WHAT; int8 (or an unknown type) is FK_ERR_UNSUPPORTED. */
#define FK_BY_DTYPE(dtype, what, LAUNCH, ...)                                                 \
    do {                                                                                      \
        switch (dtype) {                                                                      \
        case CM_F32: LAUNCH<float>(__VA_ARGS__); break;                                       \
        case CM_F16: LAUNCH<__half>(__VA_ARGS__); break;                                      \
        case CM_BF16: LAUNCH<__nv_bfloat16>(__VA_ARGS__); break;                              \
        default:                                                                              \
            return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "%s: element type %s is not "    \
                           "supported (fp32, fp16, bf16)", (what), cm_dtype_name(dtype));     \
        }                                                                                     \
        FK_CHECK_LAUNCH(what);                                                                \
    } while (0)

extern "C" fk_status fk_fill_uniform_dt(void *d, cm_dtype dtype, size_t count, uint64_t seed,
                                        float lo, float hi, cudaStream_t stream, char *err,
                                        size_t err_len) {
    FK_ARG(d || count == 0, "fk_fill_uniform: null buffer");
    if (!count) return FK_OK;
    FK_BY_DTYPE(dtype, "fill_kernel", launch_fill, d, count, seed, lo, hi, stream);
    return FK_OK;
}

extern "C" fk_status fk_fill_uniform(float *d, size_t count, uint64_t seed, float lo, float hi,
                                     cudaStream_t stream, char *err, size_t err_len) {
    return fk_fill_uniform_dt(d, CM_F32, count, seed, lo, hi, stream, err, err_len);
}

extern "C" fk_status fk_poison_dt(void *d, cm_dtype dtype, size_t count, cudaStream_t stream,
                                  char *err, size_t err_len) {
    FK_ARG(d || count == 0, "fk_poison: null buffer");
    if (!count) return FK_OK;
    if (dtype == CM_F32) {
        poison_kernel<unsigned><<<grid_for(count), kThreads, 0, stream>>>(
            static_cast<unsigned *>(d), count, FK_POISON_BITS);
    } else if (dtype == CM_F16 || dtype == CM_BF16) {
        poison_kernel<unsigned short><<<grid_for(count), kThreads, 0, stream>>>(
            static_cast<unsigned short *>(d), count, (unsigned short)FK_POISON_BITS16);
    } else {
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "fk_poison: element type %s is not "
                       "supported (fp32, fp16, bf16)", cm_dtype_name(dtype));
    }
    FK_CHECK_LAUNCH("poison_kernel");
    return FK_OK;
}

extern "C" fk_status fk_poison(float *d, size_t count, cudaStream_t stream, char *err,
                               size_t err_len) {
    return fk_poison_dt(d, CM_F32, count, stream, err, err_len);
}

extern "C" fk_status fk_convert(const void *src, cm_dtype src_dtype, void *dst, cm_dtype dst_dtype,
                                size_t count, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG((src && dst) || count == 0, "fk_convert: null buffer");
    FK_ARG(src != dst || src_dtype == dst_dtype || count == 0,
           "fk_convert: %s -> %s in place is not supported", cm_dtype_name(src_dtype),
           cm_dtype_name(dst_dtype));
    if (!count || src == dst) return FK_OK;
    bool ok;
    switch (src_dtype) {
    case CM_F32: ok = launch_convert_from<float>(src, dst_dtype, dst, count, stream); break;
    case CM_F16: ok = launch_convert_from<__half>(src, dst_dtype, dst, count, stream); break;
    case CM_BF16: ok = launch_convert_from<__nv_bfloat16>(src, dst_dtype, dst, count, stream); break;
    default: ok = false;
    }
    if (!ok)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "fk_convert: %s -> %s is not supported "
                       "(fp32, fp16, bf16)", cm_dtype_name(src_dtype), cm_dtype_name(dst_dtype));
    FK_CHECK_LAUNCH("convert_kernel");
    return FK_OK;
}

extern "C" fk_status fk_conv2d_direct(const fk_conv2d *p, cm_dtype dtype, const void *x,
                                      const void *w, const float *b, void *y, cudaStream_t stream,
                                      char *err, size_t err_len) {
    fk_status st = fk_conv2d_check(p, err, err_len);
    if (st != FK_OK) return st;
    FK_ARG(x && w && y, "fk_conv2d_direct: null x, w or y");
    FK_BY_DTYPE(dtype, "conv_direct_kernel", launch_conv, *p, x, w, b, y, stream);
    return FK_OK;
}

extern "C" fk_status fk_pool2d_run(const fk_pool2d *p, cm_dtype dtype, const void *x, void *y,
                                   cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(p && x && y, "fk_pool2d_run: null argument");
    FK_ARG(p->kind == FK_POOL_MAX || p->kind == FK_POOL_AVG, "pool2d: unknown kind %d",
           (int)p->kind);
    FK_ARG(p->n >= 1 && p->in_h >= 1 && p->in_w >= 1 && p->c >= 1 && p->out_h >= 1 &&
               p->out_w >= 1 && p->kh >= 1 && p->kw >= 1 && p->sh >= 1 && p->sw >= 1 &&
               p->pad_top >= 0 && p->pad_left >= 0 && p->pad_top < p->kh && p->pad_left < p->kw,
           "pool2d: bad shape (n %d, in %dx%dx%d, out %dx%d, k %dx%d, s %dx%d, pad %d,%d)", p->n,
           p->in_h, p->in_w, p->c, p->out_h, p->out_w, p->kh, p->kw, p->sh, p->sw, p->pad_top,
           p->pad_left);
    FK_ARG((long)(p->out_h - 1) * p->sh - p->pad_top < p->in_h &&
               (long)(p->out_w - 1) * p->sw - p->pad_left < p->in_w,
           "pool2d: output %dx%d too large for input %dx%d", p->out_h, p->out_w, p->in_h,
           p->in_w);
    FK_BY_DTYPE(dtype, "pool_kernel", launch_pool, *p, x, y, stream);
    return FK_OK;
}

extern "C" fk_status fk_global_avg_pool(int n, int h, int w, int c, cm_dtype dtype, const void *x,
                                        void *y, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(x && y && n >= 1 && h >= 1 && w >= 1 && c >= 1,
           "global_avg_pool: bad arguments (n %d, %dx%dx%d)", n, h, w, c);
    FK_BY_DTYPE(dtype, "gap_kernel", launch_gap, n, h * w, c, x, y, stream);
    return FK_OK;
}

extern "C" fk_status fk_dense_with(fk_dense_path path, int n, int in_c, int units, cm_act act,
                                   cm_dtype dtype, const void *x, const void *w, const float *b,
                                   void *y, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(x && w && y && n >= 1 && in_c >= 1 && units >= 1,
           "dense: bad arguments (n %d, in %d, units %d)", n, in_c, units);
    FK_ARG(path == FK_DENSE_AUTO || path == FK_DENSE_ROWS || path == FK_DENSE_TILED,
           "dense: unknown path %d", (int)path);
    FK_ARG(path != FK_DENSE_TILED || n <= 65535 * kDenseN,
           "dense: %d images for the tiled kernel (at most %d)", n, 65535 * kDenseN);
    FK_BY_DTYPE(dtype, "dense_kernel", launch_dense, path, n, in_c, units, (int)act, x, w, b, y,
                stream);
    return FK_OK;
}

extern "C" fk_status fk_dense(int n, int in_c, int units, cm_act act, cm_dtype dtype, const void *x,
                              const void *w, const float *b, void *y, cudaStream_t stream,
                              char *err, size_t err_len) {
    return fk_dense_with(FK_DENSE_AUTO, n, in_c, units, act, dtype, x, w, b, y, stream, err,
                         err_len);
}

extern "C" fk_status fk_add(size_t count, cm_act act, cm_dtype dtype, const void *a, const void *b,
                            void *y, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(a && b && y, "fk_add: null argument");
    if (!count) return FK_OK;
    FK_BY_DTYPE(dtype, "add_kernel", launch_add, count, (int)act, a, b, y, stream);
    return FK_OK;
}

extern "C" fk_status fk_activation(size_t count, cm_act act, cm_dtype dtype, const void *x,
                                   void *y, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(x && y, "fk_activation: null argument");
    if (!count) return FK_OK;
    FK_BY_DTYPE(dtype, "act_kernel", launch_act, count, (int)act, x, y, stream);
    return FK_OK;
}

extern "C" fk_status fk_nhwc_to_nchw_dt(cm_dtype dtype, const void *src, void *dst, int n, int h,
                                        int w, int c, cudaStream_t stream, char *err,
                                        size_t err_len) {
    FK_ARG(src && dst && src != dst && n >= 1 && h >= 1 && w >= 1 && c >= 1,
           "fk_nhwc_to_nchw: bad arguments");
    FK_BY_DTYPE(dtype, "transpose_kernel", launch_transpose, src, dst, n, h, w, c, true, stream);
    return FK_OK;
}

extern "C" fk_status fk_nchw_to_nhwc_dt(cm_dtype dtype, const void *src, void *dst, int n, int h,
                                        int w, int c, cudaStream_t stream, char *err,
                                        size_t err_len) {
    FK_ARG(src && dst && src != dst && n >= 1 && h >= 1 && w >= 1 && c >= 1,
           "fk_nchw_to_nhwc: bad arguments");
    FK_BY_DTYPE(dtype, "transpose_kernel", launch_transpose, src, dst, n, h, w, c, false, stream);
    return FK_OK;
}

extern "C" fk_status fk_krsc_to_kcrs_dt(cm_dtype dtype, const void *src, void *dst, int k, int r,
                                        int s, int c, cudaStream_t stream, char *err,
                                        size_t err_len) {
    /* the same index map as NHWC -> NCHW with (n, h, w, c) = (k, r, s, c) */
    return fk_nhwc_to_nchw_dt(dtype, src, dst, k, r, s, c, stream, err, err_len);
}

extern "C" fk_status fk_nhwc_to_nchw(const float *src, float *dst, int n, int h, int w, int c,
                                     cudaStream_t stream, char *err, size_t err_len) {
    return fk_nhwc_to_nchw_dt(CM_F32, src, dst, n, h, w, c, stream, err, err_len);
}

extern "C" fk_status fk_nchw_to_nhwc(const float *src, float *dst, int n, int h, int w, int c,
                                     cudaStream_t stream, char *err, size_t err_len) {
    return fk_nchw_to_nhwc_dt(CM_F32, src, dst, n, h, w, c, stream, err, err_len);
}

extern "C" fk_status fk_krsc_to_kcrs(const float *src, float *dst, int k, int r, int s, int c,
                                     cudaStream_t stream, char *err, size_t err_len) {
    return fk_krsc_to_kcrs_dt(CM_F32, src, dst, k, r, s, c, stream, err, err_len);
}

extern "C" fk_status fk_pad_nhwc_dt(cm_dtype dtype, const void *src, void *dst, int n, int h, int w,
                                    int c, int pt, int pb, int pl, int pr, cudaStream_t stream,
                                    char *err, size_t err_len) {
    FK_ARG(src && dst && src != dst && n >= 1 && h >= 1 && w >= 1 && c >= 1 && pt >= 0 &&
               pb >= 0 && pl >= 0 && pr >= 0,
           "fk_pad_nhwc: bad arguments");
    const int ph = h + pt + pb, pw = w + pl + pr;
    FK_BY_DTYPE(dtype, "pad_kernel", launch_pad, src, dst, n, h, w, c, pt, pl, ph, pw, stream);
    return FK_OK;
}

extern "C" fk_status fk_pad_nhwc(const float *src, float *dst, int n, int h, int w, int c, int pt,
                                 int pb, int pl, int pr, cudaStream_t stream, char *err,
                                 size_t err_len) {
    return fk_pad_nhwc_dt(CM_F32, src, dst, n, h, w, c, pt, pb, pl, pr, stream, err, err_len);
}

extern "C" fk_status fk_bias_act_dt(cm_dtype dtype, void *y, const float *b, cm_act act, int n,
                                    int h, int w, int c, bool nchw, cudaStream_t stream, char *err,
                                    size_t err_len) {
    FK_ARG(y && n >= 1 && h >= 1 && w >= 1 && c >= 1, "fk_bias_act: bad arguments");
    const size_t total = (size_t)n * h * w * c;
    FK_BY_DTYPE(dtype, "bias_act_kernel", launch_bias_act, y, b, (int)act, total, h * w, c, nchw,
                stream);
    return FK_OK;
}

extern "C" fk_status fk_bias_act(float *y, const float *b, cm_act act, int n, int h, int w, int c,
                                 bool nchw, cudaStream_t stream, char *err, size_t err_len) {
    return fk_bias_act_dt(CM_F32, y, b, act, n, h, w, c, nchw, stream, err, err_len);
}
