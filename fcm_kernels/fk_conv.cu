/* fk_conv.cu - the tiled direct convolution (fk_kernels.h, issue 12): dense
 * convolutions with few input channels, the models' stems above all, in fp32,
 * fp16 and bf16 with FP32 accumulation, NHWC activations, KRSC weights
 * [F][KH][KW][C_in] (the layout the runtime holds), fp32 bias.
 *
 * Why a kernel of our own: cuDNN runs MobileNetV2's stem (64 x 224 x 224 x 3
 * -> 112 x 112 x 32, 3x3 stride 2, fp16 NHWC) in 290 us on an H100 (NCHW 158
 * us), likely because its implicit GEMM has K = 27, which a tensor-core tile
 * of K = 32..64 mostly wastes, and three input channels defeat its NHWC
 * vector loads (not profiled).
 *
 * Floors of that stem at batch 64 (H100 SXM, 132 SMs, ~1.75 GHz under load):
 *   bytes: x 64*224*224*3 + y 64*112*112*32 elements = 9.63 M + 25.7 M; fp16
 *          70.6 MB -> 23 us at 3.0 TB/s (fp32 47 us);
 *   FLOPs: 64*112*112*32 outputs x 27 MACs = 694 M FMA; on CUDA cores (fp32
 *          FMA, 132 SMs x 128 lanes x 1.75 GHz = 29.6 T FMA/s) 23 us.
 * The two floors coincide, so a CUDA-core kernel can at best tie the byte
 * floor in 16 bits; the design keeps the FMA pipe busy and every byte moved
 * once: x is read once (plus a halo of ~6 % for 16 x 16 tiles), y written once
 * with 16-byte stores, weights read once per CTA.
 *
 * Structure (one CTA, `threads` = 256 / 128 / 64):
 *  - a thread owns one group of 8 output channels (cg = tid % groups8) and 4
 *    output pixels (slot = tid / groups8; pixel slot + q * slots, q < 4): 32
 *    fp32 accumulators;
 *  - the CTA's output tile is tile_h x tile_w = 4 * slots pixels of one image;
 *    its input patch ((tile_h-1)*sh + kh) x ((tile_w-1)*sw + kw) positions is
 *    staged in shared memory as fp32, `pos_floats` floats per position (the
 *    channels padded to 4, then to an odd number of 16-byte units), columns
 *    split by stride phase (column c*sw + kx is stored at phase kx % sw,
 *    index c + kx / sw) so that the pixels of neighbouring lanes read
 *    neighbouring 16-byte units at every tap and stride: no bank conflicts;
 *  - weights staged as fp32 [tap][c][half][cg][4] (channel f = cg*8 + half*4
 *    + j; c < C_in for C_in <= 3, else the step's padded channels): for one
 *    (tap, c) the 4-channel halves of all groups are contiguous, so the
 *    lanes' float4 weight loads are conflict-free broadcasts;
 *  - per tap and 4 input channels: 4 LDS.128 of inputs, 2 LDS.128 of weights
 *    per channel, 32 FFMA per channel: 96 FFMA to 10 loads at C_in = 3;
 *  - the CTAs are persistent: grid = min(tiles, SMs x resident CTAs per SM),
 *    each loops over tiles; with one input-channel step (C_in <= 3, or every
 *    channel fitting) the weights are staged once per CTA, else per step;
 *  - epilogue: bias, activation, one rounding, 8 channels of a pixel as one
 *    16-byte store (16-bit) or two (fp32) when the channel count and y allow;
 *    the lanes of a warp store neighbouring pixels, so a warp writes 512
 *    contiguous bytes per store at 32 channels.
 * C_in 1..3 are compile-time (the FMAs of the padded 4th channel skipped);
 * C_in >= 4 steps over `chunk_c` channels at a time (zeros past C_in).
 * Resources (ptxas -v, sm_90, nvcc 13.0): see docs/kernels.md.
 *
 * fp16 / bf16 convolutions with C_in * kh * kw <= 64 and C_out % 8 == 0 run
 * on tensor cores instead (fk_conv_tc.cu; measured 94.6 us here for the stem
 * at batch 64 against a 23.4 us byte floor: issue-bound on 27 FFMA per
 * output pixel); fk_conv2d_tiled_path below picks the path. */
#include <atomic>
#include <cstdint>
#include <cstring>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "fk_common.cuh"
#include "fk_conv_shape.h"
#include "fk_kernels.h"
#include "fk_occupancy.cuh"
#include "fk_util.h"

namespace {

using fk::act_apply;

constexpr int kPix = 4;    /* output pixels per thread */
constexpr int kChan = 8;   /* output channels per thread (one group) */
constexpr int kMaxThreads = 256;
/* Planner weight of one staged input element against one FMA (index
 * arithmetic, the load, the conversion and the shared store of a position,
 * spread over its channels): an estimate from the instruction count of the
 * staging loop (~30 instructions per position of 3 channels), unmeasured. */
constexpr double kStageCost = 10.0;

/* ---- element access ------------------------------------------------------- */

__device__ __forceinline__ float ldf(const float *p) { return *p; }
__device__ __forceinline__ float ldf(const __half *p) { return __half2float(*p); }
__device__ __forceinline__ float ldf(const __nv_bfloat16 *p) { return __bfloat162float(*p); }

/* Four consecutive elements at p (aligned to 4 elements) as floats. */
__device__ __forceinline__ float4 ld4(const float *p) { return *reinterpret_cast<const float4 *>(p); }
__device__ __forceinline__ float4 ld4(const __half *p) {
    const uint2 u = *reinterpret_cast<const uint2 *>(p);
    return make_float4(__half2float(__ushort_as_half((unsigned short)(u.x & 0xffffu))),
                       __half2float(__ushort_as_half((unsigned short)(u.x >> 16))),
                       __half2float(__ushort_as_half((unsigned short)(u.y & 0xffffu))),
                       __half2float(__ushort_as_half((unsigned short)(u.y >> 16))));
}
__device__ __forceinline__ float4 ld4(const __nv_bfloat16 *p) {
    const uint2 u = *reinterpret_cast<const uint2 *>(p);
    /* a bf16 is the top half of an fp32 */
    return make_float4(__uint_as_float(u.x << 16), __uint_as_float(u.x & 0xffff0000u),
                       __uint_as_float(u.y << 16), __uint_as_float(u.y & 0xffff0000u));
}

__device__ __forceinline__ unsigned short bits16(__half v) { return __half_as_ushort(v); }
__device__ __forceinline__ unsigned short bits16(__nv_bfloat16 v) { return __bfloat16_as_ushort(v); }
template <typename T> __device__ __forceinline__ T round_to(float v);
template <> __device__ __forceinline__ __half round_to<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 round_to<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}

__device__ __forceinline__ void st1(__half *p, float v) { *p = __float2half_rn(v); }
__device__ __forceinline__ void st1(__nv_bfloat16 *p, float v) { *p = __float2bfloat16_rn(v); }

/* Two floats rounded to T and packed, the first in the low half. */
template <typename T> __device__ __forceinline__ unsigned pack2(float a, float b) {
    return (unsigned)bits16(round_to<T>(a)) | ((unsigned)bits16(round_to<T>(b)) << 16);
}

/* Stores the 8 channels v of one group at d: vector (16-byte aligned d, all
 * 8 channels inside the tensor) or element by element for the first `valid`. */
__device__ __forceinline__ void store8(float *d, const float (&v)[kChan], int valid, bool vec) {
    if (vec) { /* fp32: out_c % 4 == 0, so valid is a multiple of 4 */
        *reinterpret_cast<float4 *>(d) = make_float4(v[0], v[1], v[2], v[3]);
        if (valid >= 8) *reinterpret_cast<float4 *>(d + 4) = make_float4(v[4], v[5], v[6], v[7]);
        return;
    }
#pragma unroll
    for (int i = 0; i < kChan; i++)
        if (i < valid) d[i] = v[i];
}
template <typename T>
__device__ __forceinline__ void store8(T *d, const float (&v)[kChan], int valid, bool vec) {
    if (vec) { /* 16-bit: out_c % 8 == 0, all 8 valid */
        *reinterpret_cast<uint4 *>(d) = make_uint4(pack2<T>(v[0], v[1]), pack2<T>(v[2], v[3]),
                                                   pack2<T>(v[4], v[5]), pack2<T>(v[6], v[7]));
        return;
    }
#pragma unroll
    for (int i = 0; i < kChan; i++)
        if (i < valid) st1(d + i, v[i]);
}

template <int J> __device__ __forceinline__ float comp(const float4 &v) {
    static_assert(J >= 0 && J < 4, "component");
    return J == 0 ? v.x : (J == 1 ? v.y : (J == 2 ? v.z : v.w));
}

/* ---- the kernel ------------------------------------------------------------- */

/* Launch parameters: the convolution, the tiling (fk_conv_tiling) and the
 * shared-memory carve, all computed on the host. */
struct ConvParams {
    const void *x, *w;
    const float *b;
    void *y;
    int n, in_h, in_w, in_c, out_h, out_w, out_c;
    int kh, kw, sh, sw, pt, pl, act;
    int tile_h, tile_w, tiles_h, tiles_w;
    long long ntiles;
    int ng, slots;        /* channel groups of 8, pixel slots */
    int cc, ccp, chunks;  /* channels per step, padded to 4, steps */
    int ps;               /* floats per staged position */
    int ph, pw, qw;       /* patch rows, columns, columns per stride phase */
    int patch_floats, w_floats;
    int vec_x4;           /* 4 channels of x may be loaded as one 4-element vector */
    int vec_y;            /* 8-channel groups stored as 16-byte vectors */
};

/* Stages the weights of input channels k0 .. k0 + wc (zeros past C_in and
 * past out_c) as fp32 [tap][c][half][cg][4], wc = CIN for C_in <= 3 (no
 * padded channel: a 7x7 stem of 64 channels fits), else ccp. A thread copies
 * the wc channels of one (filter, tap) row: contiguous in global memory. */
template <typename T, int CIN>
__device__ __forceinline__ void stage_weights(const ConvParams &p, const T *__restrict__ w,
                                              float *wsm, int k0) {
    const int taps = p.kh * p.kw, fp = p.ng * kChan, rows = fp * taps;
    const int wc = CIN > 0 ? CIN : p.ccp;
    for (int e = threadIdx.x; e < rows; e += blockDim.x) {
        const int f = e / taps, tap = e - f * taps;
        const bool frow = f < p.out_c;
        const T *src = w + ((size_t)(frow ? f : 0) * taps + tap) * p.in_c + k0;
        float *dst = wsm + (size_t)tap * wc * fp + ((f >> 2) & 1) * (p.ng * 4) + (f >> 3) * 4 + (f & 3);
        /* valid channels of this step */
        const int nv = CIN > 0 ? CIN : min(p.cc, p.in_c - k0);
        for (int c = 0; c < wc; c++) dst[c * fp] = frow && c < nv ? ldf(src + c) : 0.f;
    }
}

/* Stages the input patch of the tile at (img, oy0, ox0), channels k0 ..
 * k0 + ccp, zeros outside the image and past C_in. Position e of the patch
 * (row-major over ph x pw) goes to ((row * sw + col % sw) * qw + col / sw) *
 * ps; a thread's positions advance by blockDim.x, so (row, col) is updated
 * incrementally from (r0, c0) = divmod(tid, pw) by (dr, dc) = divmod(blockDim.x, pw). */
template <typename T, int CIN>
__device__ __forceinline__ void stage_patch(const ConvParams &p, const T *__restrict__ x,
                                            float *patch, int img, int oy0, int ox0, int k0,
                                            int r0, int c0, int dr, int dc) {
    const int npos = p.ph * p.pw, iy0 = oy0 * p.sh - p.pt, ix0 = ox0 * p.sw - p.pl;
    const int nq = CIN > 0 ? 1 : p.ccp >> 2;
    int r = r0, c = c0;
    for (int e = threadIdx.x; e < npos; e += blockDim.x) {
        const int iy = iy0 + r, ix = ix0 + c;
        const bool in = (unsigned)iy < (unsigned)p.in_h && (unsigned)ix < (unsigned)p.in_w;
        const int q = p.sw == 1 ? c : (p.sw == 2 ? c >> 1 : c / p.sw);
        float *dst = patch + ((r * p.sw + (c - q * p.sw)) * p.qw + q) * p.ps;
        const T *src = x + (((size_t)img * p.in_h + (in ? iy : 0)) * p.in_w + (in ? ix : 0)) * p.in_c + k0;
        if (CIN > 0) {
            float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
            if (in) {
                v.x = ldf(src);
                if (CIN > 1) v.y = ldf(src + 1);
                if (CIN > 2) v.z = ldf(src + 2);
            }
            *reinterpret_cast<float4 *>(dst) = v;
        } else {
            for (int g = 0; g < nq; g++) {
                const int ch = k0 + g * 4, nv = in ? min(4, p.in_c - ch) : 0;
                float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
                if (nv == 4 && p.vec_x4) {
                    v = ld4(src + g * 4);
                } else if (nv > 0) {
                    v.x = ldf(src + g * 4);
                    if (nv > 1) v.y = ldf(src + g * 4 + 1);
                    if (nv > 2) v.z = ldf(src + g * 4 + 2);
                    if (nv > 3) v.w = ldf(src + g * 4 + 3);
                }
                *reinterpret_cast<float4 *>(dst + g * 4) = v;
            }
        }
        c += dc;
        r += dr;
        if (c >= p.pw) {
            c -= p.pw;
            r++;
        }
    }
}

/* FMAs of input channel J of one 4-channel group for the thread's 4 pixels. */
template <int J>
__device__ __forceinline__ void fma_channel(float (&acc)[kPix][kChan], const float4 (&xv)[kPix],
                                            const float *wj, int half_off) {
    const float4 w0 = *reinterpret_cast<const float4 *>(wj);
    const float4 w1 = *reinterpret_cast<const float4 *>(wj + half_off);
#pragma unroll
    for (int q = 0; q < kPix; q++) {
        const float s = comp<J>(xv[q]);
        acc[q][0] = fmaf(s, w0.x, acc[q][0]);
        acc[q][1] = fmaf(s, w0.y, acc[q][1]);
        acc[q][2] = fmaf(s, w0.z, acc[q][2]);
        acc[q][3] = fmaf(s, w0.w, acc[q][3]);
        acc[q][4] = fmaf(s, w1.x, acc[q][4]);
        acc[q][5] = fmaf(s, w1.y, acc[q][5]);
        acc[q][6] = fmaf(s, w1.z, acc[q][6]);
        acc[q][7] = fmaf(s, w1.w, acc[q][7]);
    }
}

template <typename T, int CIN>
__global__ void __launch_bounds__(kMaxThreads) conv_tiled_kernel(const ConvParams p) {
    extern __shared__ float4 smem4[];
    float *patch = reinterpret_cast<float *>(smem4);
    float *wsm = patch + p.patch_floats;
    int *tapoff = reinterpret_cast<int *>(wsm + p.w_floats);
    const T *__restrict__ x = static_cast<const T *>(p.x);
    const T *__restrict__ w = static_cast<const T *>(p.w);
    T *__restrict__ y = static_cast<T *>(p.y);

    const int tid = threadIdx.x, nt = blockDim.x;
    const int taps = p.kh * p.kw, fp = p.ng * kChan;
    const int cg = tid % p.ng, slot = tid / p.ng;
    const int tile_px = p.tile_h * p.tile_w;
    const int wc = CIN > 0 ? CIN : p.ccp, nq = CIN > 0 ? 1 : p.ccp >> 2;

    /* shared-memory offset of tap (ky, kx) from a pixel's base (see stage_patch) */
    for (int t = tid; t < taps; t += nt) {
        const int ky = t / p.kw, kx = t - ky * p.kw;
        tapoff[t] = ((ky * p.sw + kx % p.sw) * p.qw + kx / p.sw) * p.ps;
    }
    /* the thread's pixels: patch base offsets (a pixel outside the tile
     * computes on position 0 and is not stored; its row and column are
     * recomputed in the epilogue rather than held in registers across the
     * loop, like the bias: 117 -> 101 registers at C_in = 3) */
    int pbase[kPix];
#pragma unroll
    for (int q = 0; q < kPix; q++) {
        const int pidx = slot + q * p.slots, row = pidx / p.tile_w;
        const bool ok = slot < p.slots && pidx < tile_px;
        pbase[q] = ok ? (row * p.sh * p.sw * p.qw + pidx - row * p.tile_w) * p.ps : 0;
    }
    const int r0 = tid / p.pw, c0 = tid - r0 * p.pw, dr = nt / p.pw, dc = nt - dr * p.pw;
    /* one step over the input channels: the weights stay for every tile */
    const bool w_once = p.chunks == 1;
    if (w_once) stage_weights<T, CIN>(p, w, wsm, 0);

    for (long long tile = blockIdx.x; tile < p.ntiles; tile += gridDim.x) {
        const int tx = (int)(tile % p.tiles_w);
        const long long rest = tile / p.tiles_w;
        const int ty = (int)(rest % p.tiles_h), img = (int)(rest / p.tiles_h);
        const int oy0 = ty * p.tile_h, ox0 = tx * p.tile_w;
        float acc[kPix][kChan];
#pragma unroll
        for (int q = 0; q < kPix; q++)
#pragma unroll
            for (int i = 0; i < kChan; i++) acc[q][i] = 0.f;

        for (int step = 0; step < p.chunks; step++) {
            const int k0 = step * p.cc;
            __syncthreads(); /* the previous tile's or step's reads of the patch are done */
            if (!w_once) stage_weights<T, CIN>(p, w, wsm, k0);
            stage_patch<T, CIN>(p, x, patch, img, oy0, ox0, k0, r0, c0, dr, dc);
            __syncthreads();
            const float *wcg = wsm + cg * 4;
            const int half_off = p.ng * 4;
            for (int t = 0; t < taps; t++) {
                const float *pt = patch + tapoff[t];
                const float *wt = wcg + (size_t)t * wc * fp;
                for (int g = 0; g < nq; g++) {
                    float4 xv[kPix];
#pragma unroll
                    for (int q = 0; q < kPix; q++)
                        xv[q] = *reinterpret_cast<const float4 *>(pt + pbase[q] + g * 4);
                    const float *wg = wt + g * 4 * fp;
                    fma_channel<0>(acc, xv, wg, half_off);
                    if (CIN == 0 || CIN > 1) fma_channel<1>(acc, xv, wg + fp, half_off);
                    if (CIN == 0 || CIN > 2) fma_channel<2>(acc, xv, wg + 2 * fp, half_off);
                    if (CIN == 0) fma_channel<3>(acc, xv, wg + 3 * fp, half_off);
                }
            }
        }

        const int valid = p.out_c - cg * kChan; /* >= 1: cg < ceil(out_c / 8) */
        float bias[kChan];
#pragma unroll
        for (int i = 0; i < kChan; i++) bias[i] = p.b && i < valid ? p.b[cg * kChan + i] : 0.f;
#pragma unroll
        for (int q = 0; q < kPix; q++) {
            const int pidx = slot + q * p.slots, row = pidx / p.tile_w;
            const int oy = oy0 + row, ox = ox0 + pidx - row * p.tile_w;
            if (slot >= p.slots || pidx >= tile_px || oy >= p.out_h || ox >= p.out_w) continue;
            float v[kChan];
#pragma unroll
            for (int i = 0; i < kChan; i++) v[i] = act_apply(acc[q][i] + bias[i], p.act);
            store8(y + (((size_t)img * p.out_h + oy) * p.out_w + ox) * p.out_c + cg * kChan, v,
                   valid, p.vec_y != 0);
        }
    }
}

/* ---- host side ---------------------------------------------------------------- */

/* Shared-memory floats of the patch and the weights for one tile shape and
 * channel step (the layout conv_tiled_kernel carves). */
struct Carve {
    int ph, pw, qw, ps, ccp;
    long long patch_floats, w_floats;
    size_t bytes;
};

Carve carve(const fk_conv2d *p, int th, int tw, int groups8, int cc) {
    Carve c;
    c.ph = (th - 1) * p->sh + p->kh;
    c.pw = (tw - 1) * p->sw + p->kw;
    c.qw = fk_ceil_div(c.pw, p->sw);
    c.ccp = (cc + 3) / 4 * 4;
    /* an odd number of 16-byte units per position: the 8 pixels a quarter of
     * a warp reads sit in 8 distinct groups of 4 banks (see the header) */
    c.ps = (c.ccp / 4) % 2 == 0 ? c.ccp + 4 : c.ccp;
    const int taps = p->kh * p->kw;
    c.patch_floats = (long long)c.ph * p->sw * c.qw * c.ps;
    /* C_in <= 3: the weights keep their cc channels (stage_weights) */
    c.w_floats = (long long)taps * (p->in_c <= 3 ? cc : c.ccp) * groups8 * kChan;
    c.bytes = (size_t)(c.patch_floats + c.w_floats) * sizeof(float) + (size_t)taps * sizeof(int);
    return c;
}

/* The channel step for a tile shape: C_in <= 3 in one step; else the multiple
 * of 4 that fits the shared memory with the fewest padded channels over all
 * steps, the largest among those. 0 when none fits. */
int choose_chunk(const fk_conv2d *p, int th, int tw, int groups8) {
    if (p->in_c <= 3) return carve(p, th, tw, groups8, p->in_c).bytes <= FK_CONV_TILED_SMEM_MAX ? p->in_c : 0;
    int best = 0, best_waste = 1 << 30;
    for (int cc = (p->in_c + 3) / 4 * 4; cc >= 4; cc -= 4) {
        if (carve(p, th, tw, groups8, cc).bytes > FK_CONV_TILED_SMEM_MAX) continue;
        const int waste = fk_ceil_div(p->in_c, cc) * cc - p->in_c;
        if (waste < best_waste) {
            best = cc;
            best_waste = waste;
        }
    }
    return best;
}

/* The best tile for one CTA size: the shape that minimizes the work of all
 * tiles (FMAs computed, padding included, plus kStageCost per staged element).
 * false when no shape fits the shared memory. */
bool plan_threads(const fk_conv2d *p, int threads, fk_conv_tiling *out) {
    const int groups8 = fk_ceil_div(p->out_c, kChan), slots = threads / groups8;
    if (slots < 1) return false;
    const int px = kPix * slots, taps = p->kh * p->kw;
    double best_cost = 0;
    bool found = false;
    for (int tw = 64; tw >= 1; tw /= 2) {
        if (px % tw) continue;
        const int th = px / tw, cc = choose_chunk(p, th, tw, groups8);
        if (!cc) continue;
        const Carve c = carve(p, th, tw, groups8, cc);
        const int chunks = fk_ceil_div(p->in_c, cc);
        const long long tiles = (long long)p->n * fk_ceil_div(p->out_h, th) * fk_ceil_div(p->out_w, tw);
        const double macs = (double)px * groups8 * kChan * taps * chunks * cc;
        const double staged = (double)c.ph * c.pw * chunks * c.ccp;
        const double cost = (double)tiles * (macs + kStageCost * staged);
        if (found && cost >= best_cost) continue; /* ties keep the wider tile */
        found = true;
        best_cost = cost;
        out->threads = threads;
        out->groups8 = groups8;
        out->slots = slots;
        out->tile_h = th;
        out->tile_w = tw;
        out->chunk_c = cc;
        out->chunks = chunks;
        out->pos_floats = c.ps;
        out->tiles = tiles;
        out->smem_bytes = c.bytes;
    }
    return found;
}

ConvParams params_of(const fk_conv2d *p, const fk_conv_tiling *t, const void *x, const void *w,
                     const float *b, void *y, size_t esize) {
    ConvParams k;
    memset(&k, 0, sizeof k);
    k.x = x;
    k.w = w;
    k.b = b;
    k.y = y;
    conv_shape_into(k, p);
    k.tile_h = t->tile_h;
    k.tile_w = t->tile_w;
    k.tiles_h = fk_ceil_div(p->out_h, t->tile_h);
    k.tiles_w = fk_ceil_div(p->out_w, t->tile_w);
    k.ntiles = t->tiles;
    k.ng = t->groups8;
    k.slots = t->slots;
    k.cc = t->chunk_c;
    k.chunks = t->chunks;
    const Carve c = carve(p, t->tile_h, t->tile_w, t->groups8, t->chunk_c);
    k.ccp = c.ccp;
    k.ps = c.ps;
    k.ph = c.ph;
    k.pw = c.pw;
    k.qw = c.qw;
    k.patch_floats = (int)c.patch_floats;
    k.w_floats = (int)c.w_floats;
    const bool xal = ((uintptr_t)x % (4 * esize)) == 0, yal = ((uintptr_t)y % 16) == 0;
    k.vec_x4 = p->in_c % 4 == 0 && xal;
    k.vec_y = yal && (esize == 4 ? p->out_c % 4 == 0 : p->out_c % 8 == 0);
    return k;
}

/* Resident CTAs per SM of one instantiation (fk_occupancy.cuh: cached per
 * device, since the query must not run inside a stream capture). */
template <typename T, int CIN>
fk_status resident_ctas(int dev, int threads, size_t smem, int *count, char *err,
                         size_t err_len) {
    static fk_occupancy_cache cache;
    return fk_resident_ctas(cache, conv_tiled_kernel<T, CIN>, "conv_tiled", dev, threads, smem, count,
                            err, err_len);
}

template <typename T, int CIN>
fk_status launch_tiled(const ConvParams &k, const fk_conv_tiling *t, int dev, int sms,
                       cudaStream_t s, char *err, size_t err_len) {
    int per_sm = 1;
    fk_status st = resident_ctas<T, CIN>(dev, t->threads, t->smem_bytes, &per_sm, err, err_len);
    if (st != FK_OK) return st;
    long long grid = (long long)sms * per_sm;
    if (grid > t->tiles) grid = t->tiles;
    if (grid < 1) grid = 1;
    conv_tiled_kernel<T, CIN><<<(unsigned)grid, t->threads, t->smem_bytes, s>>>(k);
    FK_CHECK_LAUNCH("conv_tiled_kernel");
    return FK_OK;
}

template <typename T>
fk_status launch_by_cin(const ConvParams &k, const fk_conv_tiling *t, int dev, int sms,
                        cudaStream_t s, char *err, size_t err_len) {
    switch (k.in_c) {
    case 1: return launch_tiled<T, 1>(k, t, dev, sms, s, err, err_len);
    case 2: return launch_tiled<T, 2>(k, t, dev, sms, s, err, err_len);
    case 3: return launch_tiled<T, 3>(k, t, dev, sms, s, err, err_len);
    default: return launch_tiled<T, 0>(k, t, dev, sms, s, err, err_len);
    }
}

} // namespace

/* The current device and its SM count (cached per device). Also the
 * tensor-core path's (fk_conv_tc.cu declares it): C++ linkage, not public. */
fk_status fk_conv_device_sms(int *dev, int *sms, char *err, size_t err_len) {
    static std::atomic<int> cache[fk_occupancy_cache::kDevices];
    FK_CUDA(cudaGetDevice(dev));
    const bool cached = *dev >= 0 && *dev < fk_occupancy_cache::kDevices;
    if (cached && (*sms = cache[*dev].load(std::memory_order_relaxed)) > 0) return FK_OK;
    FK_CUDA(cudaDeviceGetAttribute(sms, cudaDevAttrMultiProcessorCount, *dev));
    if (cached) cache[*dev].store(*sms, std::memory_order_relaxed);
    return FK_OK;
}

extern "C" fk_status fk_conv2d_tiled_plan(const fk_conv2d *p, cm_dtype dtype, int sm_count,
                                          int threads, fk_conv_tiling *t, char *why,
                                          size_t why_len) {
    fk_status st = fk_conv2d_check(p, why, why_len);
    if (st != FK_OK) return st;
    if (!t) return fk_fail(FK_ERR_INVALID, why, why_len, "conv_tiled: null tiling");
    if (threads != 0 && threads != 64 && threads != 128 && threads != 256)
        return fk_fail(FK_ERR_INVALID, why, why_len, "conv_tiled: %d threads (64, 128 or 256)",
                       threads);
    if (dtype != CM_F32 && dtype != CM_F16 && dtype != CM_BF16)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "element type %s (fp32, fp16, bf16)",
                       cm_dtype_name(dtype));
    if (p->groups != 1)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "groups %d: dense convolutions only",
                       p->groups);
    if (p->in_c > FK_CONV_TILED_MAX_CIN)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "C_in %d > %d", p->in_c,
                       FK_CONV_TILED_MAX_CIN);
    if (p->out_c > FK_CONV_TILED_MAX_COUT)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "C_out %d > %d", p->out_c,
                       FK_CONV_TILED_MAX_COUT);
    if (p->kh > FK_CONV_TILED_MAX_K || p->kw > FK_CONV_TILED_MAX_K)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "kernel %dx%d > %d", p->kh, p->kw,
                       FK_CONV_TILED_MAX_K);
    if (p->sh > FK_CONV_TILED_MAX_STRIDE || p->sw > FK_CONV_TILED_MAX_STRIDE)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "stride %dx%d > %d", p->sh, p->sw,
                       FK_CONV_TILED_MAX_STRIDE);
    static const int sizes[3] = {256, 128, 64};
    fk_conv_tiling cand[3];
    bool ok[3] = {false, false, false};
    for (int i = 0; i < 3; i++)
        if (!threads || threads == sizes[i]) ok[i] = plan_threads(p, sizes[i], &cand[i]);
    /* the largest CTA whose tiles still cover sm_count SMs (bigger tiles:
     * less halo, weights staged by fewer CTAs); failing that the one with
     * the most tiles (a batch-1 stem: 49 tiles of 256 threads, 196 of 64) */
    int pick = -1;
    for (int i = 0; i < 3 && pick < 0; i++)
        if (ok[i] && (sm_count <= 0 || cand[i].tiles >= sm_count)) pick = i;
    if (pick < 0)
        for (int i = 0; i < 3; i++)
            if (ok[i] && (pick < 0 || cand[i].tiles > cand[pick].tiles)) pick = i;
    if (pick < 0)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "no tile fits %d bytes of shared memory "
                       "(kernel %dx%d, stride %dx%d, C_in %d, C_out %d)", FK_CONV_TILED_SMEM_MAX,
                       p->kh, p->kw, p->sh, p->sw, p->in_c, p->out_c);
    *t = cand[pick];
    return FK_OK;
}

/* The CUDA-core kernel (threads: 0 planned, else forced). */
static fk_status conv2d_simt(const fk_conv2d *p, cm_dtype dtype, int threads, const void *x,
                             const void *w, const float *b, void *y, cudaStream_t stream,
                             char *err, size_t err_len) {
    if (!p || !x || !w || !y)
        return fk_fail(FK_ERR_INVALID, err, err_len, "conv_tiled: null descriptor, x, w or y");
    int dev = 0, sms = 0;
    fk_status st = fk_conv_device_sms(&dev, &sms, err, err_len);
    if (st != FK_OK) return st;
    fk_conv_tiling t;
    if ((st = fk_conv2d_tiled_plan(p, dtype, sms, threads, &t, err, err_len)) != FK_OK) return st;
    const ConvParams k = params_of(p, &t, x, w, b, y, (size_t)cm_dtype_bytes(dtype));
    switch (dtype) {
    case CM_F32: return launch_by_cin<float>(k, &t, dev, sms, stream, err, err_len);
    case CM_F16: return launch_by_cin<__half>(k, &t, dev, sms, stream, err, err_len);
    default: return launch_by_cin<__nv_bfloat16>(k, &t, dev, sms, stream, err, err_len);
    }
}

/* AUTO's one decision, shared by fk_conv2d_tiled_path and
 * fk_conv2d_tiled_name (so that what the runtime prints is what runs): the
 * tensor-core path where it applies (16 bits and fk_conv2d_tc_plan accepts
 * p), else the CUDA-core kernel. Host only; no SM count: whether a plan
 * exists does not depend on it (either planner picks among the tiles that
 * fit the shared memory, the SM count only orders them). */
static fk_conv_path auto_path(const fk_conv2d *p, cm_dtype dtype) {
    fk_conv_tc_tiling t;
    return p && (dtype == CM_F16 || dtype == CM_BF16) &&
                   fk_conv2d_tc_plan(p, dtype, 0, 0, &t, NULL, 0) == FK_OK
               ? FK_CONV_PATH_TC
               : FK_CONV_PATH_SIMT;
}

extern "C" fk_status fk_conv2d_tiled_path(fk_conv_path path, const fk_conv2d *p, cm_dtype dtype,
                                          int threads, const void *x, const void *w,
                                          const float *b, void *y, cudaStream_t stream, char *err,
                                          size_t err_len) {
    switch (path) {
    case FK_CONV_PATH_SIMT: return conv2d_simt(p, dtype, threads, x, w, b, y, stream, err, err_len);
    case FK_CONV_PATH_TC:
        if (threads)
            return fk_fail(FK_ERR_INVALID, err, err_len, "conv_tiled: %d threads on the "
                           "tensor-core path (0; fk_conv2d_tc_with picks its tile)", threads);
        return fk_conv2d_tc(p, dtype, x, w, b, y, stream, err, err_len);
    case FK_CONV_PATH_AUTO: break;
    default:
        return fk_fail(FK_ERR_INVALID, err, err_len, "conv_tiled: path %d (auto, simt, tc)",
                       (int)path);
    }
    if (auto_path(p, dtype) == FK_CONV_PATH_TC) {
        /* a buffer misaligned for the planned staging may need a tile the
         * shared memory cannot hold: then the CUDA-core kernel runs it */
        const fk_status st = fk_conv2d_tc(p, dtype, x, w, b, y, stream, err, err_len);
        if (st != FK_ERR_UNSUPPORTED) return st;
    }
    return conv2d_simt(p, dtype, threads, x, w, b, y, stream, err, err_len);
}

extern "C" fk_status fk_conv2d_tiled_with(const fk_conv2d *p, cm_dtype dtype, int threads,
                                          const void *x, const void *w, const float *b, void *y,
                                          cudaStream_t stream, char *err, size_t err_len) {
    return fk_conv2d_tiled_path(threads ? FK_CONV_PATH_SIMT : FK_CONV_PATH_AUTO, p, dtype, threads,
                                x, w, b, y, stream, err, err_len);
}

extern "C" fk_status fk_conv2d_tiled(const fk_conv2d *p, cm_dtype dtype, const void *x,
                                     const void *w, const float *b, void *y, cudaStream_t stream,
                                     char *err, size_t err_len) {
    return fk_conv2d_tiled_path(FK_CONV_PATH_AUTO, p, dtype, 0, x, w, b, y, stream, err, err_len);
}

extern "C" fk_status fk_conv2d_tiled_supported(const fk_conv2d *p, cm_dtype dtype, char *why,
                                               size_t why_len) {
    fk_conv_tiling t;
    const fk_status st = fk_conv2d_tiled_plan(p, dtype, 0, 0, &t, why, why_len);
    if (st == FK_ERR_UNSUPPORTED && auto_path(p, dtype) == FK_CONV_PATH_TC) {
        if (why_len) why[0] = '\0';
        return FK_OK;
    }
    return st;
}

extern "C" const char *fk_conv2d_tiled_name(const fk_conv2d *p, cm_dtype dtype) {
    return auto_path(p, dtype) == FK_CONV_PATH_TC ? "tiled conv on tensor cores"
                                                  : "tiled direct conv";
}
