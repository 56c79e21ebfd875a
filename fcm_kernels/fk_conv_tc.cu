/* fk_conv_tc.cu - the tiled convolution on tensor cores (fk_kernels.h,
 * issue 12): dense convolutions whose reduction C_in * kh * kw is at most 64
 * (the stems: 3 -> 32/40, 3x3) in fp16 and bf16 as an implicit GEMM on
 * mma.sync.m16n8k16, FP32 accumulation, bias and activation in FP32, one
 * rounding at the store. NHWC activations, KRSC weights [F][KH][KW][C_in],
 * fp32 bias, C_out a multiple of 8 up to 128.
 *
 * The GEMM: M = output pixels, N = C_out, K = C_in * kh * kw in the weights'
 * own order k = (ky * kw + kx) * C_in + c, padded to KP = 16 * KS (KS = 1..4
 * k-steps; the stem's 27 -> 32). Within one kernel row ky the k values
 * kx * C_in + c of a pixel are kw * C_in consecutive elements of the input
 * row (NHWC), so an A element is patch[row(pixel, ky)][col(pixel) + k - ky *
 * kw * C_in]: no division per element.
 *
 * Floors of MobileNetV2's stem at batch 64 (64 x 224 x 224 x 3 -> 112 x 112
 * x 32, 3x3 stride 2, fp16, H100 SXM):
 *   bytes: x 9.63 M + y 25.7 M elements + 1.7 KB weights = 70.6 MB: 23.4 us
 *          at the 3.0 TB/s the benchmark measures for a copy (y is 73 % of it);
 *   tensor cores: 802816 pixels x 32 x KP 32 = 822 M MACs = 1.64 GFLOP, 1.7 us
 *          at the dense fp16 peak (989 TFLOP/s);
 *   issue: ~12 warp instructions per output pixel (staging ~4, im2col ~4,
 *          ldmatrix + mma ~1, epilogue ~3, counted from this code) against
 *          the 35 per pixel that 132 SMs x 4 schedulers issue in 30 us (1.3x
 *          the byte floor): the kernel should be bound by bytes, not by issue
 *          (the CUDA-core kernel needs 27 FFMA per pixel alone: 94.6 us
 *          measured). Target: within 2x of the byte floor (<= 47 us).
 *
 * Structure (one CTA = one tile of TH x TW output pixels of one image at a
 * time, all C_out channels; CTAs persistent over the tiles):
 *  - the input patch of the tile (all its rows and columns, zeros outside
 *    the image) is staged in shared memory by cp.async, double buffered: the
 *    next tile's patch is in flight while this tile computes. Rows keep the
 *    global layout (C_in consecutive elements per position), so a patch row
 *    is one contiguous run of global memory. Two granules:
 *      16 bytes (C_in % 8 == 0, x 16-byte aligned): a granule is one 8-channel
 *        group of one position, in or out of the image as a whole;
 *      4 bytes (any other C_in, the 6-byte pixels of the stems): a row is
 *        stored at smem element r * RS + sigma with RS = the row length + 2 or
 *        3, of the parity of W * C_in, and sigma the parity of the global
 *        element index of row 0's first element: every row then has the same
 *        4-byte phase in shared and in global memory (global rows are W * C_in
 *        elements apart, shared ones RS), so each 4-byte shared word holds two
 *        elements that are one aligned 4-byte word of global memory, and
 *        sigma is the same for all rows of a tile. A word whose elements are
 *        both in the image is one cp.async of 4 bytes; only its low element:
 *        cp.async of 2 bytes (the high half zero-filled, nothing read past
 *        it); only its high element (the left image edge): a plain 2-byte
 *        load; neither: a zero store. No element is read twice, none outside
 *        the tensor. With kh < sh (kw < sw) and 16-byte granules only the rows
 *        (columns) some tap reads are staged (Xception's 1x1 stride 2).
 *  - im2col: the CTA's A tile, M x KP 16-bit rows of KP + 8 elements (an odd
 *    number of 16-byte units: ldmatrix conflict-free), is written from the
 *    patch: a thread owns one 8-element chunk q of K (fixed for the CTA; its
 *    8 patch offsets, -1 for k >= K, read once per tile from a per-CTA
 *    table) and every (T / 2KS)-th pixel; per chunk 8 shared 16-bit loads
 *    and one 16-byte store. Columns k >= K are written as zeros (not copies of other input
 *    elements: a zero weight times an Inf or NaN input would be NaN).
 *    Chosen over assembling A fragments from 32-bit shared loads: a pair
 *    (k, k+1) of an A register is 4-byte aligned in the patch only for even
 *    C_in, and crosses kernel rows where kw * C_in is odd (the stems: 9), so
 *    direct loads would need 2 loads + a permute + a mask per register in
 *    every warp that uses the pixel; here each element is fetched once per
 *    CTA and the fragments come from ldmatrix.x4 (fk_mma.cuh's frag_a).
 *  - B (the weights, N x KP rows of KP + 8 elements, zeros past K and past
 *    C_out) and the bias are staged once per CTA; B fragments by ldmatrix.x4
 *    (frag_b2, two n8 tiles per load).
 *  - a warp's work item is (16-pixel m-tile, n-block of up to 4 n8 tiles):
 *    C_out = 32 one block of 4, 40 two of 3 + 2, 128 four of 4; per k-step
 *    one ldmatrix of A, one or two of B, up to 4 mma into fp32 accumulators
 *    that start at the bias.
 *  - epilogue: activation, one rounding, the fragments (row g, channels 2t,
 *    2t+1 of each n8 tile) through the warp's 1 KB staging tile (chunk XOR
 *    swizzle: conflict-free 4-byte writes and 16-byte reads) so that each
 *    lane stores 8 channels of one pixel as one 16-byte store: at C_out = 32
 *    a warp writes 512 contiguous bytes per store instruction. A misaligned
 *    y takes 2-byte stores straight from the fragments.
 * Barriers per tile: two (patch ready; A tile ready). Resources (ptxas -v,
 * sm_90, nvcc 13.0): docs/kernels.md, "The stem on tensor cores". */
#include <atomic>
#include <cstdint>
#include <cstring>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "fk_common.cuh"
#include "fk_conv_shape.h"
#include "fk_kernels.h"
#include "fk_occupancy.cuh"
#include "fk_mma.cuh"
#include "fk_util.h"

namespace {

constexpr int kTcMaxThreads = 256;
constexpr int kTcStageWords = 256; /* a warp's epilogue staging: 16 rows x 16 words */

/* Launch parameters (host-computed layout, tc_layout). Element pointers are
 * the raw 16-bit bits: staging and im2col move bits, only the mma and the
 * epilogue know the element type. */
struct TcParams {
    const uint16_t *x, *w;
    const float *b;
    void *y;
    int n, in_h, in_w, in_c, out_h, out_w, out_c;
    int kh, kw, sh, sw, pt, pl, act;
    int tile_h, lg_tw, tiles_h, tiles_w;
    long long ntiles;
    int K, kwc;           /* reduction length, kw * C_in */
    int g8;               /* 16-byte granules (else 4-byte words with the row phase sigma) */
    int crow, ccol;       /* only the rows / columns a tap reads are staged (g8 only) */
    int phs, rl, rs, gpr; /* staged rows, elements per row, row stride, granules per row */
    int rowstep, colstep; /* patch elements between output rows / columns of the tile */
    int n8, nblk, ntw, nbr; /* n8 tiles, n-blocks, n8 tiles per block, B rows */
    int xpar;             /* (address of x / 2) & 1 */
    int vec_y;            /* y 16-byte aligned: 16-byte stores */
    int off_p0, off_p1, off_as, off_bs, off_bias, off_koff, off_ws; /* shared-memory carve, bytes */
};

struct TileAt {
    int img, oy0, ox0;
};

__device__ __forceinline__ TileAt tile_at(const TcParams &p, long long tile) {
    TileAt t;
    const long long rest = tile / p.tiles_w;
    t.ox0 = (int)(tile - rest * p.tiles_w) << p.lg_tw;
    t.oy0 = (int)(rest % p.tiles_h) * p.tile_h;
    t.img = (int)(rest / p.tiles_h);
    return t;
}

/* The 4-byte phase sigma of a tile's staged rows: the parity of the global
 * element index (from a 4-byte boundary) of the first element of patch row 0,
 * the same for every row (RS has W * C_in's parity); 0 for 16-byte granules. */
__device__ __forceinline__ int tile_sigma(const TcParams &p, const TileAt &t) {
    if (p.g8) return 0;
    const long long e0 =
        (((long long)t.img * p.in_h + (t.oy0 * p.sh - p.pt)) * p.in_w + (t.ox0 * p.sw - p.pl)) *
        p.in_c;
    return (int)((p.xpar + e0) & 1); /* two's complement: the parity of a negative index too */
}

/* Issues the cp.async copies (and plain stores) of the patch of tile t into
 * buf (see the header). The caller commits the group. */
__device__ __forceinline__ void stage_patch(const TcParams &p, uint16_t *buf, const TileAt &t,
                                            int sigma) {
    const int iy0 = t.oy0 * p.sh - p.pt, ix0 = t.ox0 * p.sw - p.pl, C = p.in_c;
    const int total = p.phs * p.gpr;
    /* granule f = r * gpr + q of this thread, stepped without a division */
    const int dr = blockDim.x / p.gpr, dq = blockDim.x - dr * p.gpr;
    int r = threadIdx.x / p.gpr, q = threadIdx.x - r * p.gpr;
    if (p.g8) {
        for (int f = threadIdx.x; f < total; f += blockDim.x) {
            const int e = q * 8;
            const int ar = p.crow ? (r / p.kh) * p.sh + r % p.kh : r;
            const int cs = e / C, ch = e - cs * C;
            const int ac = p.ccol ? (cs / p.kw) * p.sw + cs % p.kw : cs;
            const int iy = iy0 + ar, ix = ix0 + ac;
            const bool in = (unsigned)iy < (unsigned)p.in_h && (unsigned)ix < (unsigned)p.in_w;
            const uint16_t *src =
                in ? p.x + (((size_t)t.img * p.in_h + iy) * p.in_w + ix) * C + ch : p.x;
            fk::cp_async16(buf + (size_t)r * p.rs + e, src, in ? 16 : 0);
            q += dq;
            r += dr;
            if (q >= p.gpr) {
                q -= p.gpr;
                r++;
            }
        }
        return;
    }
    /* valid elements of every row: the columns inside the image */
    const int ja = max(0, -ix0) * C, jb = min(p.rl, (p.in_w - ix0) * C);
    uint32_t *words = reinterpret_cast<uint32_t *>(buf);
    for (int f = threadIdx.x; f < total; f += blockDim.x) {
        const int start = r * p.rs + sigma; /* the row's first element in buf */
        const int u = (start >> 1) + q;
        const int jlo = 2 * u - start; /* row element in the word's low half: -1 .. rl */
        if (jlo < p.rl) {              /* else past the row (the next row's words are its own) */
            const int iy = iy0 + r;
            const bool rin = (unsigned)iy < (unsigned)p.in_h;
            const bool lo = rin && jlo >= ja && jlo < jb;
            const bool hi = rin && jlo + 1 >= ja && jlo + 1 < jb;
            const long long g = (((long long)t.img * p.in_h + iy) * p.in_w + ix0) * C + jlo;
            if (lo)
                fk::cp_async4(words + u, p.x + g, hi ? 4 : 2);
            else if (hi)
                words[u] = (uint32_t)__ldg(p.x + g + 1) << 16;
            else
                words[u] = 0u;
        }
        q += dq;
        r += dr;
        if (q >= p.gpr) {
            q -= p.gpr;
            r++;
        }
    }
}

template <typename T, int KS>
__global__ void __launch_bounds__(kTcMaxThreads, 4) conv_tc_kernel(const TcParams p) {
    constexpr int KP = KS * 16, RSA = KP + 8, CQ = 2 * KS;
    extern __shared__ uint4 smem_tc[];
    char *sb = reinterpret_cast<char *>(smem_tc);
    /* patch buffer i: a select, not an array (a dynamically indexed array
     * of pointers would live in local memory) */
    auto patch = [&](int i) {
        return reinterpret_cast<uint16_t *>(sb + (i ? p.off_p1 : p.off_p0));
    };
    uint16_t *As = reinterpret_cast<uint16_t *>(sb + p.off_as);
    uint16_t *Bs = reinterpret_cast<uint16_t *>(sb + p.off_bs);
    float *bias_s = reinterpret_cast<float *>(sb + p.off_bias);
    int *koff = reinterpret_cast<int *>(sb + p.off_koff);
    const int tid = threadIdx.x, nt = blockDim.x, lane = tid & 31, warp = tid >> 5;
    uint32_t *ws = reinterpret_cast<uint32_t *>(sb + p.off_ws) + warp * kTcStageWords;
    const int tw = 1 << p.lg_tw, M = p.tile_h << p.lg_tw;

    /* B [nbr][RSA] and the bias, once per CTA (zeros past K and C_out) */
    for (int e = tid; e < p.nbr * KP; e += nt) {
        const int f = e / KP, k = e - f * KP;
        Bs[f * RSA + k] = f < p.out_c && k < p.K ? __ldg(p.w + (size_t)f * p.K + k) : (uint16_t)0;
    }
    for (int c = tid; c < p.nbr; c += nt) bias_s[c] = p.b && c < p.out_c ? __ldg(p.b + c) : 0.f;

    /* the patch offset of each k from a pixel's base (-1: k >= K, a zero),
     * read by the im2col per tile (in registers only there: 64 registers) */
    for (int k = tid; k < KP; k += nt) {
        const int ky = k / p.kwc;
        koff[k] = k < p.K ? ky * p.rs + (k - ky * p.kwc) : -1;
    }
    /* this thread's im2col chunk: k = tq*8 .. tq*8+7, pixels tm0, tm0 + mstep, ... */
    const int tq = tid % CQ, tm0 = tid / CQ, mstep = nt / CQ;
    const bool builder = tid < mstep * CQ; /* the rest would duplicate a chunk */

    const int items = (M >> 4) * p.nblk, nwarps = nt >> 5;
    const int g = lane >> 2, t4 = lane & 3;
    const uint32_t as_u = fk::smem_u32(As), bs_u = fk::smem_u32(Bs);

    long long tile = blockIdx.x;
    if (tile < p.ntiles) {
        const TileAt t0 = tile_at(p, tile);
        stage_patch(p, patch(0), t0, tile_sigma(p, t0));
    }
    fk::cp_async_commit();
    for (int it = 0; tile < p.ntiles; tile += gridDim.x, it++) {
        const long long next = tile + gridDim.x;
        if (next < p.ntiles) {
            /* its buffer was last read by the im2col of the previous tile,
             * which every thread finished before that tile's second barrier */
            const TileAt tn = tile_at(p, next);
            stage_patch(p, patch((it + 1) & 1), tn, tile_sigma(p, tn));
        }
        fk::cp_async_commit();
        fk::cp_async_wait_group<1>(); /* this tile's patch (own copies) */
        __syncthreads();              /* everyone's copies; the previous tile's A reads done */
        const TileAt tc = tile_at(p, tile);

        /* im2col: A[m][k] = patch element of pixel m at k, zeros for k >= K */
        if (builder) {
            const uint16_t *pb = patch(it & 1) + tile_sigma(p, tc);
            const int4 o0 = *reinterpret_cast<const int4 *>(koff + tq * 8);
            const int4 o1 = *reinterpret_cast<const int4 *>(koff + tq * 8 + 4);
            const int off[8] = {o0.x, o0.y, o0.z, o0.w, o1.x, o1.y, o1.z, o1.w};
            for (int m = tm0; m < M; m += mstep) {
                const int base = (m >> p.lg_tw) * p.rowstep + (m & (tw - 1)) * p.colstep;
                uint32_t v[8];
#pragma unroll
                for (int i = 0; i < 8; i++) v[i] = off[i] >= 0 ? pb[base + off[i]] : 0u;
                *reinterpret_cast<uint4 *>(As + m * RSA + tq * 8) =
                    make_uint4(v[0] | v[1] << 16, v[2] | v[3] << 16, v[4] | v[5] << 16,
                               v[6] | v[7] << 16);
            }
        }
        __syncthreads(); /* A complete; the patch buffer free for the stage after next */

        for (int item = warp; item < items; item += nwarps) {
            const int mt = item / p.nblk, nb = item - mt * p.nblk;
            const int n0 = nb * p.ntw * 8, ntl = min(p.ntw, p.n8 - nb * p.ntw);
            float acc[4][4];
#pragma unroll
            for (int j = 0; j < 4; j++) {
                const int c = n0 + j * 8 + t4 * 2; /* < nbr: bias_s is zero past C_out */
                const float b0 = j < ntl ? bias_s[c] : 0.f, b1 = j < ntl ? bias_s[c + 1] : 0.f;
                acc[j][0] = b0;
                acc[j][1] = b1;
                acc[j][2] = b0;
                acc[j][3] = b1;
            }
#pragma unroll
            for (int s = 0; s < KS; s++) {
                uint32_t a[4], b[4];
                fk::ldsm_x4(a, fk::frag_a(as_u, RSA * 2, mt * 16, s * 16, lane));
                fk::ldsm_x4(b, fk::frag_b2(bs_u, RSA * 2, n0, s * 16, lane));
                fk::mma_16816<T>(acc[0], a, b[0], b[1]);
                if (ntl > 1) fk::mma_16816<T>(acc[1], a, b[2], b[3]);
                if (ntl > 2) {
                    fk::ldsm_x4(b, fk::frag_b2(bs_u, RSA * 2, n0 + 16, s * 16, lane));
                    fk::mma_16816<T>(acc[2], a, b[0], b[1]);
                    if (ntl > 3) fk::mma_16816<T>(acc[3], a, b[2], b[3]);
                }
            }

            /* epilogue: rows g and g + 8 of the m-tile, channels n0 + 8j + 2t4, +1 */
            T *y = static_cast<T *>(p.y);
            uint32_t wlo[4], whi[4];
#pragma unroll
            for (int j = 0; j < 4; j++) {
                wlo[j] = fk::pack2_f32<T>(fk::act_apply(acc[j][0], p.act),
                                          fk::act_apply(acc[j][1], p.act));
                whi[j] = fk::pack2_f32<T>(fk::act_apply(acc[j][2], p.act),
                                          fk::act_apply(acc[j][3], p.act));
            }
            if (p.vec_y) {
                const int sw_g = (g >> 1) & 3; /* rows g and g + 8 share the swizzle */
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    if (j < ntl) {
                        ws[g * 16 + ((j ^ sw_g) << 2) + t4] = wlo[j];
                        ws[(g + 8) * 16 + ((j ^ sw_g) << 2) + t4] = whi[j];
                    }
                }
                __syncwarp();
#pragma unroll
                for (int h = 0; h < 2; h++) {
                    const int idx = lane + 32 * h, row = idx >> 2, j = idx & 3;
                    const int m = mt * 16 + row;
                    const int oy = tc.oy0 + (m >> p.lg_tw), ox = tc.ox0 + (m & (tw - 1));
                    if (j < ntl && oy < p.out_h && ox < p.out_w) {
                        const uint4 v = *reinterpret_cast<const uint4 *>(
                            ws + row * 16 + ((j ^ ((row >> 1) & 3)) << 2));
                        *reinterpret_cast<uint4 *>(
                            y + (((size_t)tc.img * p.out_h + oy) * p.out_w + ox) * p.out_c + n0 +
                            j * 8) = v;
                    }
                }
                __syncwarp(); /* the staging tile is rewritten by the next item */
            } else {
                uint16_t *y16 = reinterpret_cast<uint16_t *>(y);
#pragma unroll
                for (int h = 0; h < 2; h++) {
                    const int m = mt * 16 + g + 8 * h;
                    const int oy = tc.oy0 + (m >> p.lg_tw), ox = tc.ox0 + (m & (tw - 1));
                    if (oy >= p.out_h || ox >= p.out_w) continue;
                    uint16_t *d = y16 + (((size_t)tc.img * p.out_h + oy) * p.out_w + ox) * p.out_c +
                                  n0 + t4 * 2;
#pragma unroll
                    for (int j = 0; j < 4; j++) {
                        if (j < ntl) {
                            const uint32_t wv = h ? whi[j] : wlo[j];
                            d[j * 8] = (uint16_t)(wv & 0xffffu);
                            d[j * 8 + 1] = (uint16_t)(wv >> 16);
                        }
                    }
                }
            }
        }
    }
    fk::cp_async_wait_group<0>(); /* nothing is in flight past the last tile; kept for form */
}

/* ---- host side: the layout (plain C++, no CUDA calls) ------------------------------ */

size_t al16(size_t v) { return (v + 15) & ~(size_t)15; }

/* The layout of one tile shape: the shared-memory carve and every derived
 * size the kernel reads from TcParams. */
struct TcLayout {
    int threads, th, lg_tw, ks, g8, crow, ccol, phs, rl, rs, gpr, rowstep, colstep;
    int n8, nblk, ntw, nbr;
    long long tiles;
    size_t off_p0, off_p1, off_as, off_bs, off_bias, off_koff, off_ws, bytes;
};

/* Fills L for tile th x 2^lg_tw with `threads` threads and the staging
 * granule (g8: 16 bytes). false when the shared memory exceeds
 * FK_CONV_TC_SMEM_MAX. */
bool tc_layout(const fk_conv2d *p, int th, int lg_tw, int threads, bool g8, TcLayout *L) {
    const int tw = 1 << lg_tw, C = p->in_c;
    memset(L, 0, sizeof *L);
    L->threads = threads;
    L->th = th;
    L->lg_tw = lg_tw;
    L->g8 = g8;
    L->crow = g8 && p->kh < p->sh;
    L->ccol = g8 && p->kw < p->sw;
    L->phs = L->crow ? th * p->kh : (th - 1) * p->sh + p->kh;
    const int pws = L->ccol ? tw * p->kw : (tw - 1) * p->sw + p->kw;
    L->rl = pws * C;
    if (g8) { /* C % 8 == 0: rows are whole 16-byte granules */
        L->rs = L->rl;
        L->gpr = L->rl / 8;
    } else { /* >= 2 spare elements (the phase and a gap), the parity of W * C */
        L->rs = L->rl + 2;
        if ((L->rs ^ (p->in_w * C)) & 1) L->rs++;
        L->gpr = (L->rl + 2) / 2;
    }
    L->rowstep = (L->crow ? p->kh : p->sh) * L->rs;
    L->colstep = (L->ccol ? p->kw : p->sw) * C;
    const int K = C * p->kh * p->kw;
    L->ks = fk_ceil_div(K, 16);
    L->n8 = p->out_c / 8;
    const int nb0 = fk_ceil_div(L->n8, 4);
    L->ntw = fk_ceil_div(L->n8, nb0);    /* balanced blocks of <= 4 n8 tiles */
    L->nblk = fk_ceil_div(L->n8, L->ntw); /* every block has >= 1 tile */
    /* B rows the ldmatrix of the last block reads (pairs of n8 tiles) */
    L->nbr = (L->nblk - 1) * L->ntw * 8 + (L->ntw > 2 ? 32 : 16);
    const int rsa = L->ks * 16 + 8, M = th * tw;
    const size_t pbytes = al16((size_t)L->phs * L->rs * 2);
    size_t off = 0;
    L->off_p0 = off;
    off += pbytes;
    L->off_p1 = off;
    off += pbytes;
    L->off_as = off;
    off += (size_t)M * rsa * 2;
    L->off_bs = off;
    off += (size_t)L->nbr * rsa * 2;
    L->off_bias = off;
    off += al16((size_t)L->nbr * 4);
    L->off_koff = off;
    off += (size_t)L->ks * 16 * 4;
    L->off_ws = off;
    off += (size_t)(threads / 32) * kTcStageWords * 4;
    L->bytes = off;
    L->tiles = (long long)p->n * fk_ceil_div(p->out_h, th) * fk_ceil_div(p->out_w, tw);
    return L->bytes <= FK_CONV_TC_SMEM_MAX;
}

/* The tensor-core path's limits; FK_OK or FK_ERR_UNSUPPORTED with why. */
fk_status tc_supported(const fk_conv2d *p, cm_dtype dtype, char *why, size_t why_len) {
    fk_status st = fk_conv2d_check(p, why, why_len);
    if (st != FK_OK) return st;
    if (dtype != CM_F16 && dtype != CM_BF16)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "tensor-core conv: element type %s "
                       "(fp16, bf16)", cm_dtype_name(dtype));
    if (p->groups != 1)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "tensor-core conv: groups %d: dense "
                       "convolutions only", p->groups);
    const long k = (long)p->in_c * p->kh * p->kw;
    if (k > FK_CONV_TC_MAX_K)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "tensor-core conv: C_in*kh*kw %ld > %d",
                       k, FK_CONV_TC_MAX_K);
    if (p->out_c % 8 || p->out_c > FK_CONV_TILED_MAX_COUT)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "tensor-core conv: C_out %d (a multiple "
                       "of 8 up to %d)", p->out_c, FK_CONV_TILED_MAX_COUT);
    /* the CUDA-core path's kernel and stride limits, so that whatever runs
     * here also runs there (fk_conv2d_tiled_plan stays the support predicate) */
    if (p->kh > FK_CONV_TILED_MAX_K || p->kw > FK_CONV_TILED_MAX_K)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "tensor-core conv: kernel %dx%d > %d",
                       p->kh, p->kw, FK_CONV_TILED_MAX_K);
    if (p->sh > FK_CONV_TILED_MAX_STRIDE || p->sw > FK_CONV_TILED_MAX_STRIDE)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "tensor-core conv: stride %dx%d > %d",
                       p->sh, p->sw, FK_CONV_TILED_MAX_STRIDE);
    return FK_OK;
}

/* Tile shapes, largest first: 16 x 16 (256 threads), 8 x 16 and 8 x 8 (128). */
constexpr int kTcShapes = 3;
constexpr int kTcTh[kTcShapes] = {16, 8, 8}, kTcLgTw[kTcShapes] = {4, 4, 3},
              kTcThreads[kTcShapes] = {256, 128, 128};

/* The tile: the largest whose tiles still cover sm_count SMs (bigger tiles:
 * less halo, the weights staged by fewer CTAs), failing that the one with
 * the most tiles; sm_count <= 0 takes the largest that fits. tile_px 256,
 * 128 or 64 forces that shape (tests, benchmarks), 0 lets it choose. */
fk_status tc_plan(const fk_conv2d *p, cm_dtype dtype, int sm_count, int tile_px, bool g8,
                  TcLayout *out, char *why, size_t why_len) {
    fk_status st = tc_supported(p, dtype, why, why_len);
    if (st != FK_OK) return st;
    if (tile_px != 0 && tile_px != 64 && tile_px != 128 && tile_px != 256)
        return fk_fail(FK_ERR_INVALID, why, why_len, "tensor-core conv: tile of %d pixels (64, "
                       "128 or 256)", tile_px);
    TcLayout cand[kTcShapes];
    bool ok[kTcShapes];
    for (int i = 0; i < kTcShapes; i++)
        ok[i] = (!tile_px || tile_px == kTcTh[i] << kTcLgTw[i]) &&
                tc_layout(p, kTcTh[i], kTcLgTw[i], kTcThreads[i], g8, &cand[i]);
    int pick = -1;
    for (int i = 0; i < kTcShapes && pick < 0; i++)
        if (ok[i] && (sm_count <= 0 || cand[i].tiles >= sm_count)) pick = i;
    if (pick < 0)
        for (int i = 0; i < kTcShapes; i++)
            if (ok[i] && (pick < 0 || cand[i].tiles > cand[pick].tiles)) pick = i;
    if (pick < 0)
        return fk_fail(FK_ERR_UNSUPPORTED, why, why_len, "tensor-core conv: no tile fits %d bytes "
                       "of shared memory (kernel %dx%d, stride %dx%d, C_in %d, C_out %d)",
                       FK_CONV_TC_SMEM_MAX, p->kh, p->kw, p->sh, p->sw, p->in_c, p->out_c);
    *out = cand[pick];
    return FK_OK;
}

void tiling_of(const TcLayout &L, fk_conv_tc_tiling *t) {
    t->threads = L.threads;
    t->tile_h = L.th;
    t->tile_w = 1 << L.lg_tw;
    t->ksteps = L.ks;
    t->n_blocks = L.nblk;
    t->block_n8 = L.ntw;
    t->granule_bytes = L.g8 ? 16 : 4;
    t->tiles = L.tiles;
    t->smem_bytes = L.bytes;
}

TcParams tc_params_of(const fk_conv2d *p, const TcLayout &L, const void *x, const void *w,
                      const float *b, void *y) {
    TcParams k;
    memset(&k, 0, sizeof k);
    k.x = static_cast<const uint16_t *>(x);
    k.w = static_cast<const uint16_t *>(w);
    k.b = b;
    k.y = y;
    conv_shape_into(k, p);
    k.tile_h = L.th;
    k.lg_tw = L.lg_tw;
    k.tiles_h = fk_ceil_div(p->out_h, L.th);
    k.tiles_w = fk_ceil_div(p->out_w, 1 << L.lg_tw);
    k.ntiles = L.tiles;
    k.K = p->in_c * p->kh * p->kw;
    k.kwc = p->kw * p->in_c;
    k.g8 = L.g8;
    k.crow = L.crow;
    k.ccol = L.ccol;
    k.phs = L.phs;
    k.rl = L.rl;
    k.rs = L.rs;
    k.gpr = L.gpr;
    k.rowstep = L.rowstep;
    k.colstep = L.colstep;
    k.n8 = L.n8;
    k.nblk = L.nblk;
    k.ntw = L.ntw;
    k.nbr = L.nbr;
    k.xpar = (int)(((uintptr_t)x >> 1) & 1);
    k.vec_y = ((uintptr_t)y % 16) == 0;
    k.off_p0 = (int)L.off_p0;
    k.off_p1 = (int)L.off_p1;
    k.off_as = (int)L.off_as;
    k.off_bs = (int)L.off_bs;
    k.off_bias = (int)L.off_bias;
    k.off_koff = (int)L.off_koff;
    k.off_ws = (int)L.off_ws;
    return k;
}

/* ---- launch (CUDA runtime) ---------------------------------------------------------- */

/* Resident CTAs per SM of one instantiation (fk_occupancy.cuh: cached per
 * device, since the query must not run inside a stream capture). */
template <typename T, int KS>
fk_status tc_resident(int dev, int threads, size_t smem, int *count, char *err,
                         size_t err_len) {
    static fk_occupancy_cache cache;
    return fk_resident_ctas(cache, conv_tc_kernel<T, KS>, "conv_tc", dev, threads, smem, count,
                            err, err_len);
}

template <typename T, int KS>
fk_status tc_launch(const TcParams &k, const TcLayout &L, int dev, int sms, cudaStream_t s,
                    char *err, size_t err_len) {
    int per_sm = 1;
    fk_status st = tc_resident<T, KS>(dev, L.threads, L.bytes, &per_sm, err, err_len);
    if (st != FK_OK) return st;
    long long grid = (long long)sms * per_sm;
    if (grid > L.tiles) grid = L.tiles;
    if (grid < 1) grid = 1;
    conv_tc_kernel<T, KS><<<(unsigned)grid, L.threads, L.bytes, s>>>(k);
    FK_CHECK_LAUNCH("conv_tc_kernel");
    return FK_OK;
}

template <typename T>
fk_status tc_launch_ks(const TcParams &k, const TcLayout &L, int dev, int sms, cudaStream_t s,
                       char *err, size_t err_len) {
    switch (L.ks) {
    case 1: return tc_launch<T, 1>(k, L, dev, sms, s, err, err_len);
    case 2: return tc_launch<T, 2>(k, L, dev, sms, s, err, err_len);
    case 3: return tc_launch<T, 3>(k, L, dev, sms, s, err, err_len);
    default: return tc_launch<T, 4>(k, L, dev, sms, s, err, err_len);
    }
}

} // namespace

/* fk_conv.cu: the current device and its SM count (cached per device). */
fk_status fk_conv_device_sms(int *dev, int *sms, char *err, size_t err_len);

extern "C" fk_status fk_conv2d_tc_plan(const fk_conv2d *p, cm_dtype dtype, int sm_count,
                                       int tile_px, fk_conv_tc_tiling *t, char *why,
                                       size_t why_len) {
    if (!t) return fk_fail(FK_ERR_INVALID, why, why_len, "conv_tc: null tiling");
    TcLayout L;
    /* buffers aligned as the runtime allocates them (256 bytes) */
    const fk_status st =
        tc_plan(p, dtype, sm_count, tile_px, p && p->in_c % 8 == 0, &L, why, why_len);
    if (st == FK_OK) tiling_of(L, t);
    return st;
}

extern "C" fk_status fk_conv2d_tc_with(const fk_conv2d *p, cm_dtype dtype, int tile_px,
                                       const void *x, const void *w, const float *b, void *y,
                                       cudaStream_t stream, char *err, size_t err_len) {
    if (!p || !x || !w || !y)
        return fk_fail(FK_ERR_INVALID, err, err_len, "conv_tc: null descriptor, x, w or y");
    if (((uintptr_t)x | (uintptr_t)w | (uintptr_t)y) & 1)
        return fk_fail(FK_ERR_INVALID, err, err_len, "conv_tc: x, w or y not 2-byte aligned");
    int dev = 0, sms = 0;
    fk_status st = fk_conv_device_sms(&dev, &sms, err, err_len);
    if (st != FK_OK) return st;
    TcLayout L;
    const bool g8 = p->in_c % 8 == 0 && (uintptr_t)x % 16 == 0;
    if ((st = tc_plan(p, dtype, sms, tile_px, g8, &L, err, err_len)) != FK_OK) return st;
    const TcParams k = tc_params_of(p, L, x, w, b, y);
    if (dtype == CM_F16) return tc_launch_ks<__half>(k, L, dev, sms, stream, err, err_len);
    return tc_launch_ks<__nv_bfloat16>(k, L, dev, sms, stream, err, err_len);
}

extern "C" fk_status fk_conv2d_tc(const fk_conv2d *p, cm_dtype dtype, const void *x,
                                  const void *w, const float *b, void *y, cudaStream_t stream,
                                  char *err, size_t err_len) {
    return fk_conv2d_tc_with(p, dtype, 0, x, w, b, y, stream, err, err_len);
}
