/* fk_ops.cu - the ops outside the fusion kinds (standard conv fallback,
 * pooling, dense, add, activation) and the utilities (fills, poison, layout
 * copies, padding, bias + activation). Simple, correct, one thread per output
 * element with grid-stride loops; none of these is on the planner's hot path
 * except add/activation, which are plain streaming kernels. */
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

__device__ __forceinline__ float hash_uniform(uint64_t seed, uint64_t i, float lo, float hi) {
    uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    float u = (float)(z >> 40) * (1.0f / 16777216.0f);
    float r = __fmul_rn(hi - lo, u);
    return __fadd_rn(lo, r);
}

__global__ void fill_kernel(float *d, size_t count, uint64_t seed, float lo, float hi) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        d[i] = hash_uniform(seed, i, lo, hi);
}

__global__ void poison_kernel(unsigned *d, size_t count) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        d[i] = FK_POISON_BITS;
}

__global__ void conv_direct_kernel(fk_conv2d p, const float *x, const float *w, const float *b,
                                   float *y) {
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
                const float *xp = x + (((size_t)n * p.in_h + iy) * p.in_w + ix) * p.in_c + g * cig;
                const float *wp = w + (((size_t)f * p.kh + ky) * p.kw + kx) * cig;
                for (int c = 0; c < cig; c++) acc = fmaf(xp[c], wp[c], acc);
            }
        }
        if (b) acc += b[f];
        y[i] = act_apply(acc, p.act);
    }
}

__global__ void pool_kernel(fk_pool2d p, const float *x, float *y) {
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
                const float v = x[(((size_t)n * p.in_h + iy) * p.in_w + ix) * p.c + c];
                acc = p.kind == FK_POOL_MAX ? fmaxf(acc, v) : acc + v;
                cnt++;
            }
        }
        y[i] = p.kind == FK_POOL_MAX ? acc : (cnt ? acc / (float)cnt : 0.f);
    }
}

/* One thread per (image, channel); neighbouring threads read neighbouring
 * channels, so every step of the loop is coalesced. */
__global__ void gap_kernel(int n, int hw, int c, const float *x, float *y) {
    const size_t total = (size_t)n * c;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int ch = (int)(i % c);
        const size_t img = i / c;
        const float *xp = x + img * (size_t)hw * c + ch;
        float acc = 0.f;
        for (int j = 0; j < hw; j++) acc += xp[(size_t)j * c];
        y[i] = acc / (float)hw;
    }
}

/* One warp per output: lanes stride over the input channels, then reduce. */
__global__ void dense_kernel(int n, int in_c, int units, int act, const float *x, const float *w,
                             const float *b, float *y) {
    const int lane = threadIdx.x & 31;
    const size_t warps = (size_t)gridDim.x * blockDim.x / 32;
    for (size_t o = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32; o < (size_t)n * units;
         o += warps) {
        const int u = (int)(o % units);
        const size_t img = o / units;
        const float *xp = x + img * in_c, *wp = w + (size_t)u * in_c;
        float acc = 0.f;
        for (int c = lane; c < in_c; c += 32) acc = fmaf(xp[c], wp[c], acc);
        for (int s = 16; s > 0; s >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, s);
        if (lane == 0) y[o] = act_apply(acc + (b ? b[u] : 0.f), act);
    }
}

__global__ void add_kernel(size_t count, int act, const float *a, const float *b, float *y) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        y[i] = act_apply(a[i] + b[i], act);
}

__global__ void add4_kernel(size_t count4, int act, const float4 *a, const float4 *b, float4 *y) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count4;
         i += (size_t)gridDim.x * blockDim.x)
        y[i] = fk::act4(fk::add4(a[i], b[i]), act);
}

__global__ void act_kernel(size_t count, int act, const float *x, float *y) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        y[i] = act_apply(x[i], act);
}

/* dst[n][c][h][w] = src[n][h][w][c] (to_nchw) or the reverse. */
__global__ void transpose_kernel(const float *src, float *dst, int n, int h, int w, int c,
                                 bool to_nchw) {
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

__global__ void pad_kernel(const float *src, float *dst, int n, int h, int w, int c, int pt, int pl,
                           int ph, int pw) {
    const size_t total = (size_t)n * ph * pw * c;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int ch = (int)(i % c);
        size_t r = i / c;
        const int x = (int)(r % pw) - pl;
        r /= pw;
        const int y = (int)(r % ph) - pt;
        const size_t img = r / ph;
        dst[i] = (y >= 0 && y < h && x >= 0 && x < w) ? src[((img * h + y) * w + x) * c + ch] : 0.f;
    }
}

__global__ void bias_act_kernel(float *y, const float *b, int act, size_t total, int hw, int c,
                                bool nchw) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        const int ch = nchw ? (int)((i / hw) % c) : (int)(i % c);
        y[i] = act_apply(y[i] + (b ? b[ch] : 0.f), act);
    }
}

} // namespace

#define FK_ARG(cond, ...)                                                                     \
    do {                                                                                      \
        if (!(cond)) return fk_fail(FK_ERR_INVALID, err, err_len, __VA_ARGS__);               \
    } while (0)

extern "C" fk_status fk_fill_uniform(float *d, size_t count, uint64_t seed, float lo, float hi,
                                     cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(d || count == 0, "fk_fill_uniform: null buffer");
    if (!count) return FK_OK;
    fill_kernel<<<grid_for(count), kThreads, 0, stream>>>(d, count, seed, lo, hi);
    FK_CHECK_LAUNCH("fill_kernel");
    return FK_OK;
}

extern "C" fk_status fk_poison(float *d, size_t count, cudaStream_t stream, char *err,
                               size_t err_len) {
    FK_ARG(d || count == 0, "fk_poison: null buffer");
    if (!count) return FK_OK;
    poison_kernel<<<grid_for(count), kThreads, 0, stream>>>(reinterpret_cast<unsigned *>(d), count);
    FK_CHECK_LAUNCH("poison_kernel");
    return FK_OK;
}

extern "C" fk_status fk_conv2d_direct(const fk_conv2d *p, cm_dtype dtype, const void *x,
                                      const void *w, const float *b, void *y, cudaStream_t stream,
                                      char *err, size_t err_len) {
    fk_status st = fk_conv2d_check(p, err, err_len);
    if (st != FK_OK) return st;
    FK_REQUIRE_F32(dtype);
    FK_ARG(x && w && y, "fk_conv2d_direct: null x, w or y");
    const size_t total = (size_t)p->n * p->out_h * p->out_w * p->out_c;
    conv_direct_kernel<<<grid_for(total), kThreads, 0, stream>>>(
        *p, static_cast<const float *>(x), static_cast<const float *>(w), b,
        static_cast<float *>(y));
    FK_CHECK_LAUNCH("conv_direct_kernel");
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
    FK_REQUIRE_F32(dtype);
    const size_t total = (size_t)p->n * p->out_h * p->out_w * p->c;
    pool_kernel<<<grid_for(total), kThreads, 0, stream>>>(*p, static_cast<const float *>(x),
                                                          static_cast<float *>(y));
    FK_CHECK_LAUNCH("pool_kernel");
    return FK_OK;
}

extern "C" fk_status fk_global_avg_pool(int n, int h, int w, int c, cm_dtype dtype, const void *x,
                                        void *y, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(x && y && n >= 1 && h >= 1 && w >= 1 && c >= 1,
           "global_avg_pool: bad arguments (n %d, %dx%dx%d)", n, h, w, c);
    FK_REQUIRE_F32(dtype);
    gap_kernel<<<grid_for((size_t)n * c), kThreads, 0, stream>>>(
        n, h * w, c, static_cast<const float *>(x), static_cast<float *>(y));
    FK_CHECK_LAUNCH("gap_kernel");
    return FK_OK;
}

extern "C" fk_status fk_dense(int n, int in_c, int units, cm_act act, cm_dtype dtype, const void *x,
                              const void *w, const float *b, void *y, cudaStream_t stream,
                              char *err, size_t err_len) {
    FK_ARG(x && w && y && n >= 1 && in_c >= 1 && units >= 1,
           "dense: bad arguments (n %d, in %d, units %d)", n, in_c, units);
    FK_REQUIRE_F32(dtype);
    dense_kernel<<<grid_for((size_t)n * units * 32), kThreads, 0, stream>>>(
        n, in_c, units, (int)act, static_cast<const float *>(x), static_cast<const float *>(w), b,
        static_cast<float *>(y));
    FK_CHECK_LAUNCH("dense_kernel");
    return FK_OK;
}

extern "C" fk_status fk_add(size_t count, cm_act act, cm_dtype dtype, const void *a, const void *b,
                            void *y, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(a && b && y, "fk_add: null argument");
    FK_REQUIRE_F32(dtype);
    if (!count) return FK_OK;
    const bool v4 = count % 4 == 0 && ((uintptr_t)a & 15) == 0 && ((uintptr_t)b & 15) == 0 &&
                    ((uintptr_t)y & 15) == 0;
    if (v4) {
        add4_kernel<<<grid_for(count / 4), kThreads, 0, stream>>>(
            count / 4, (int)act, static_cast<const float4 *>(a), static_cast<const float4 *>(b),
            static_cast<float4 *>(y));
        FK_CHECK_LAUNCH("add4_kernel");
    } else {
        add_kernel<<<grid_for(count), kThreads, 0, stream>>>(count, (int)act,
                                                             static_cast<const float *>(a),
                                                             static_cast<const float *>(b),
                                                             static_cast<float *>(y));
        FK_CHECK_LAUNCH("add_kernel");
    }
    return FK_OK;
}

extern "C" fk_status fk_activation(size_t count, cm_act act, cm_dtype dtype, const void *x,
                                   void *y, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(x && y, "fk_activation: null argument");
    FK_REQUIRE_F32(dtype);
    if (!count) return FK_OK;
    act_kernel<<<grid_for(count), kThreads, 0, stream>>>(count, (int)act,
                                                         static_cast<const float *>(x),
                                                         static_cast<float *>(y));
    FK_CHECK_LAUNCH("act_kernel");
    return FK_OK;
}

extern "C" fk_status fk_nhwc_to_nchw(const float *src, float *dst, int n, int h, int w, int c,
                                     cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(src && dst && src != dst && n >= 1 && h >= 1 && w >= 1 && c >= 1,
           "fk_nhwc_to_nchw: bad arguments");
    const size_t total = (size_t)n * h * w * c;
    transpose_kernel<<<grid_for(total), kThreads, 0, stream>>>(src, dst, n, h, w, c, true);
    FK_CHECK_LAUNCH("transpose_kernel");
    return FK_OK;
}

extern "C" fk_status fk_nchw_to_nhwc(const float *src, float *dst, int n, int h, int w, int c,
                                     cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(src && dst && src != dst && n >= 1 && h >= 1 && w >= 1 && c >= 1,
           "fk_nchw_to_nhwc: bad arguments");
    const size_t total = (size_t)n * h * w * c;
    transpose_kernel<<<grid_for(total), kThreads, 0, stream>>>(src, dst, n, h, w, c, false);
    FK_CHECK_LAUNCH("transpose_kernel");
    return FK_OK;
}

extern "C" fk_status fk_krsc_to_kcrs(const float *src, float *dst, int k, int r, int s, int c,
                                     cudaStream_t stream, char *err, size_t err_len) {
    /* the same index map as NHWC -> NCHW with (n, h, w, c) = (k, r, s, c) */
    return fk_nhwc_to_nchw(src, dst, k, r, s, c, stream, err, err_len);
}

extern "C" fk_status fk_pad_nhwc(const float *src, float *dst, int n, int h, int w, int c, int pt,
                                 int pb, int pl, int pr, cudaStream_t stream, char *err,
                                 size_t err_len) {
    FK_ARG(src && dst && src != dst && n >= 1 && h >= 1 && w >= 1 && c >= 1 && pt >= 0 &&
               pb >= 0 && pl >= 0 && pr >= 0,
           "fk_pad_nhwc: bad arguments");
    const int ph = h + pt + pb, pw = w + pl + pr;
    const size_t total = (size_t)n * ph * pw * c;
    pad_kernel<<<grid_for(total), kThreads, 0, stream>>>(src, dst, n, h, w, c, pt, pl, ph, pw);
    FK_CHECK_LAUNCH("pad_kernel");
    return FK_OK;
}

extern "C" fk_status fk_bias_act(float *y, const float *b, cm_act act, int n, int h, int w, int c,
                                 bool nchw, cudaStream_t stream, char *err, size_t err_len) {
    FK_ARG(y && n >= 1 && h >= 1 && w >= 1 && c >= 1, "fk_bias_act: bad arguments");
    const size_t total = (size_t)n * h * w * c;
    bias_act_kernel<<<grid_for(total), kThreads, 0, stream>>>(y, b, (int)act, total, h * w, c,
                                                              nchw);
    FK_CHECK_LAUNCH("bias_act_kernel");
    return FK_OK;
}
