/* fk_ops.cu - the ops outside the fusion kinds (standard conv fallback,
 * pooling, global average pool, dense, add, activation) and the utilities
 * (fills, poison, conversions, layout copies, padding, bias + activation), in
 * fp32, fp16 and bf16. Simple, correct, one thread per output element with
 * grid-stride loops; none of these is on the planner's hot path except
 * add/activation, which are plain streaming kernels (16-byte vectors).
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

/* One warp per output: lanes stride over the input channels, then reduce. */
template <typename T>
__global__ void dense_kernel(int n, int in_c, int units, int act, const T *x, const T *w,
                             const float *b, T *y) {
    const int lane = threadIdx.x & 31;
    const size_t warps = (size_t)gridDim.x * blockDim.x / 32;
    for (size_t o = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32; o < (size_t)n * units;
         o += warps) {
        const int u = (int)(o % units);
        const size_t img = o / units;
        const T *xp = x + img * in_c, *wp = w + (size_t)u * in_c;
        float acc = 0.f;
        for (int c = lane; c < in_c; c += 32) acc = fmaf(ld(xp + c), ld(wp + c), acc);
        for (int s = 16; s > 0; s >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, s);
        if (lane == 0) st(y + o, act_apply(acc + (b ? b[u] : 0.f), act));
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

template <typename T>
void launch_gap(int n, int hw, int c, const void *x, void *y, cudaStream_t s) {
    gap_kernel<T><<<grid_for((size_t)n * c), kThreads, 0, s>>>(n, hw, c, static_cast<const T *>(x),
                                                                static_cast<T *>(y));
}

template <typename T>
void launch_dense(int n, int in_c, int units, int act, const void *x, const void *w,
                  const float *b, void *y, cudaStream_t s) {
    dense_kernel<T><<<grid_for((size_t)n * units * 32), kThreads, 0, s>>>(
        n, in_c, units, act, static_cast<const T *>(x), static_cast<const T *>(w), b,
        static_cast<T *>(y));
}

bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

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

extern "C" fk_status fk_dense(int n, int in_c, int units, cm_act act, cm_dtype dtype, const void *x,
                              const void *w, const float *b, void *y, cudaStream_t stream,
                              char *err, size_t err_len) {
    FK_ARG(x && w && y && n >= 1 && in_c >= 1 && units >= 1,
           "dense: bad arguments (n %d, in %d, units %d)", n, in_c, units);
    FK_BY_DTYPE(dtype, "dense_kernel", launch_dense, n, in_c, units, (int)act, x, w, b, y, stream);
    return FK_OK;
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
