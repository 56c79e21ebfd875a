/* fk_fused.cuh - device building blocks of the fused kinds (DWPW, PWDW,
 * PWPW, PWDWPW): patch loads, register-blocked GEMM pieces, the depthwise
 * stage and the staged output of a spatial CTA (whose per-group epilogue and
 * tile decode are the shared ones of fk_epilogue.cuh and fk_tile.cuh). */
#ifndef FUSEPLAN_FK_FUSED_CUH
#define FUSEPLAN_FK_FUSED_CUH

#include "fk_dispatch.cuh"
#include "fk_epilogue.cuh"
#include "fk_tile.cuh"

namespace fk {

/* Stages channels [cb, cb+len) of every loaded patch pixel into
 * dst[pix*rs + 0..nq*4) (one contract segment per pixel, zero beyond len);
 * pixels outside the loaded part get zeros. The (pixel, group) index of a
 * thread advances by NT per step without divisions. */
template <int NT, typename Prm>
__device__ __forceinline__ void load_patch(const Prm &p, const SpTile &t, float *dst, int rs,
                                           int nq, int cb, int len) {
    const int C = p.in_c;
    const float *xb = p.x + (long long)t.n * p.in_h * p.in_w * C + cb;
    const int P = p.ph * p.pw;
    const int dpix = NT / nq, dq = NT - dpix * nq;
    int pix = threadIdx.x / nq, q = threadIdx.x - pix * nq;
    int py = pix / p.pw, px = pix - py * p.pw;
    const int dpy = dpix / p.pw, dpx = dpix - dpy * p.pw;
    for (; pix < P;) {
        float *d = dst + pix * rs;
        if (py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1)
            copy_group(d, xb + ((long long)(t.iy0 + py) * p.in_w + (t.ix0 + px)) * C, len, q,
                       p.vec);
        else
            *reinterpret_cast<float4 *>(d + q * 4) = make_float4(0.f, 0.f, 0.f, 0.f);
        /* advance by NT (pix, q) steps: q += dq with carry into pix */
        q += dq;
        int carry = q >= nq;
        q -= carry ? nq : 0;
        pix += dpix + carry;
        px += dpx + carry;
        py += dpy;
        if (px >= p.pw) {
            px -= p.pw;
            py++;
        }
    }
}

/* Stages `rows` rows of a K-major matrix (row r at g + r*gstride, elements
 * [0, len)) into dst[r*rs + 0..nq*4); rows >= valid are zero. */
template <int NT>
__device__ __forceinline__ void load_rows(float *dst, int rs, int nq, int rows, int valid,
                                          const float *g, long long gstride, int len, int vec) {
    const int dr = NT / nq, dq = NT - dr * nq;
    int r = threadIdx.x / nq, q = threadIdx.x - r * nq;
    for (; r < rows;) {
        float *d = dst + r * rs;
        if (r < valid)
            copy_group(d, g + r * gstride, len, q, vec);
        else
            *reinterpret_cast<float4 *>(d + q * 4) = make_float4(0.f, 0.f, 0.f, 0.f);
        q += dq;
        int carry = q >= nq;
        q -= carry ? nq : 0;
        r += dr + carry;
    }
}

/* count floats g[0..valid) into s[0..count) (zeros beyond) by 4-byte
 * cp.async: in flight with the caller's other copies, complete after its next
 * cp_async_wait_*. */
template <int NT>
__device__ __forceinline__ void load_vec(float *s, const float *g, int count, int valid) {
    for (int i = threadIdx.x; i < count; i += NT)
        cp_async4(s + i, i < valid ? g + i : g, i < valid ? 4 : 0);
}

/* DW weights of channels [e0, e0+valid): one segment of valid*K*K floats,
 * stored transposed [kk][ld], by 4-byte cp.async like load_vec. */
template <int NT>
__device__ __forceinline__ void load_dw_weights(float *s, int ld, const float *g, int kk,
                                                int count, int valid) {
    for (int i = threadIdx.x; i < count * kk; i += NT) {
        const int c = i / kk, r = i - c * kk;
        cp_async4(s + r * ld + c, c < valid ? g + i : g, c < valid ? 4 : 0);
    }
}

/* acc[i][j] += sum_k A[row ty + i*NTY][k] * B[row tx + j*NTX][k] over n4
 * groups of 4 k. A and B point at row ty / tx already; rows of A past
 * `arows` and of B past `brows` are clamped to the last row (their results
 * are discarded by the caller). */
template <int TM, int TN, int NTY, int NTX>
__device__ __forceinline__ void gemm_acc(float (&acc)[TM][TN], const float *A, int as,
                                         const float *B, int bs, int n4) {
#pragma unroll 2
    for (int k4 = 0; k4 < n4; k4++) {
        float4 a[TM], b[TN];
#pragma unroll
        for (int i = 0; i < TM; i++)
            a[i] = *reinterpret_cast<const float4 *>(A + i * NTY * as + k4 * 4);
#pragma unroll
        for (int j = 0; j < TN; j++)
            b[j] = *reinterpret_cast<const float4 *>(B + j * NTX * bs + k4 * 4);
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
            for (int j = 0; j < TN; j++) acc[i][j] = dot4(a[i], b[j], acc[i][j]);
    }
}

/* One block of TM*NTY rows starting at pb of an (R x NTX*TN) product
 * A (R x 4*n4) . B^T, rows strided per thread. For every row m < R the store
 * functor is asked once for st.row(m) (per-row work such as "is this patch
 * pixel inside the image", kept out of the per-element path), every column
 * once for st.col(c) (e.g. its bias), then st.put(m, row_info, col_info,
 * col, value) for every col < NB. */
template <int TM, int TN, int NTX, int NTY, typename Store>
__device__ __forceinline__ void rows_block(int pb, int R, const float *A, int as, const float *B,
                                           int bs, int NB, int n4, const Store &st) {
    const int tx = threadIdx.x % NTX, ty = threadIdx.x / NTX;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.f;
    const float *Ar[TM];
#pragma unroll
    for (int i = 0; i < TM; i++) Ar[i] = A + min(pb + ty + i * NTY, R - 1) * as;
    const float *Br[TN];
#pragma unroll
    for (int j = 0; j < TN; j++) Br[j] = B + min(tx + j * NTX, NB - 1) * bs;
#pragma unroll 2
    for (int k4 = 0; k4 < n4; k4++) {
        float4 a[TM], b[TN];
#pragma unroll
        for (int i = 0; i < TM; i++) a[i] = *reinterpret_cast<const float4 *>(Ar[i] + k4 * 4);
#pragma unroll
        for (int j = 0; j < TN; j++) b[j] = *reinterpret_cast<const float4 *>(Br[j] + k4 * 4);
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
            for (int j = 0; j < TN; j++) acc[i][j] = dot4(a[i], b[j], acc[i][j]);
    }
    float cinfo[TN];
#pragma unroll
    for (int j = 0; j < TN; j++) cinfo[j] = st.col(min(tx + j * NTX, NB - 1));
#pragma unroll
    for (int i = 0; i < TM; i++) {
        const int m = pb + ty + i * NTY;
        if (m >= R) continue;
        const int info = st.row(m);
#pragma unroll
        for (int j = 0; j < TN; j++) {
            const int c = tx + j * NTX;
            if (c < NB) st.put(m, info, cinfo[j], c, acc[i][j]);
        }
    }
}

/* All R rows in blocks of 4*NTY rows, the tail in a block of 4, 3, 2 or 1
 * rows per thread so that few threads idle when R is small. */
template <int TN, int NTX, int NTY, typename Store>
__device__ __forceinline__ void rows_all(int R, const float *A, int as, const float *B, int bs,
                                         int NB, int n4, const Store &st) {
    int pb = 0;
    for (; pb + 4 * NTY <= R; pb += 4 * NTY)
        rows_block<4, TN, NTX, NTY>(pb, R, A, as, B, bs, NB, n4, st);
    const int rem = R - pb;
    if (rem > 3 * NTY)
        rows_block<4, TN, NTX, NTY>(pb, R, A, as, B, bs, NB, n4, st);
    else if (rem > 2 * NTY)
        rows_block<3, TN, NTX, NTY>(pb, R, A, as, B, bs, NB, n4, st);
    else if (rem > NTY)
        rows_block<2, TN, NTX, NTY>(pb, R, A, as, B, bs, NB, n4, st);
    else if (rem > 0)
        rows_block<1, TN, NTX, NTY>(pb, R, A, as, B, bs, NB, n4, st);
}

/* Store functors for rows_all. */
/* PW over a patch, finished: dst[m][c] = act(v + bias[c]) inside the loaded
 * part of the patch, 0 elsewhere (the DW's zero padding). */
struct PatchActStore {
    float *dst;
    int ld;
    const float *bias;
    int act;
    SpTile t;
    int pw;
    __device__ __forceinline__ int row(int m) const {
        const int py = m / pw, px = m - (m / pw) * pw;
        return py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1;
    }
    __device__ __forceinline__ float col(int c) const { return bias[c]; }
    __device__ __forceinline__ void put(int m, int in, float b, int c, float v) const {
        dst[m * ld + c] = in ? act_apply(v + b, act) : 0.f;
    }
};
/* Partial sums over input-channel chunks: dst = v (first chunk) or dst + v. */
struct AccumStore {
    float *dst;
    int ld;
    int col0;
    bool first;
    __device__ __forceinline__ int row(int) const { return 0; }
    __device__ __forceinline__ float col(int) const { return 0.f; }
    __device__ __forceinline__ void put(int m, int, float, int c, float v) const {
        float *d = dst + m * ld + col0 + c;
        *d = first ? v : *d + v;
    }
};

/* Depthwise stage: out[q][4g..4g+4) = act(bd + sum_kk in[patch(q, kk)] * wd)
 * for the TH*TW outputs q and the NG channel groups; `in` is the patch with
 * row stride is (floats per pixel) and width pwd. Weights: EK false: wd is
 * [kk][4*NG] (one float4 per tap); EK true: wd is [4*NG][kk], the global
 * layout copied as is (four scalar loads per tap; 4*K*K = 4 mod 32 for K =
 * 3, 5, 7, so 8 consecutive groups read 8 distinct banks). */
template <int TH, int TW, int NG, int NT, int K, bool EK>
__device__ __forceinline__ void dw_stage_k(const float *in, int is, int pwd, int S, const float *wd,
                                           const float *bd, int act, float *out, int os) {
    /* every thread handles the same channel group g in all its items (NT is a
     * multiple of NG), so the weights of a tap are loaded once for all items,
     * and the items' independent accumulators interleave (ILP) */
    constexpr int TOTAL = TH * TW * NG;
    constexpr int ITEMS = (TOTAL + NT - 1) / NT;
    static_assert(NT % NG == 0, "threads must be a multiple of the channel groups");
    const int g = threadIdx.x % NG;
    if (threadIdx.x >= TOTAL) return;
    const float4 b = *reinterpret_cast<const float4 *>(bd + g * 4);
    float4 a[ITEMS];
    const float *ip[ITEMS];
#pragma unroll
    for (int u = 0; u < ITEMS; u++) {
        const int it = min((int)threadIdx.x + u * NT, TOTAL - 1), q = it / NG;
        const int qy = q / TW, qx = q % TW;
        a[u] = b;
        ip[u] = in + (qy * S * pwd + qx * S) * is + g * 4;
    }
#pragma unroll
    for (int ky = 0; ky < K; ky++)
#pragma unroll
        for (int kx = 0; kx < K; kx++) {
            float4 w;
            if constexpr (EK) {
                const float *wp = wd + g * 4 * K * K + ky * K + kx;
                w = make_float4(wp[0], wp[K * K], wp[2 * K * K], wp[3 * K * K]);
            } else {
                w = *reinterpret_cast<const float4 *>(wd + (ky * K + kx) * NG * 4 + g * 4);
            }
#pragma unroll
            for (int u = 0; u < ITEMS; u++)
                fma4(a[u], *reinterpret_cast<const float4 *>(ip[u] + (ky * pwd + kx) * is), w);
        }
#pragma unroll
    for (int u = 0; u < ITEMS; u++) {
        const int it = threadIdx.x + u * NT;
        if (it < TOTAL) *reinterpret_cast<float4 *>(out + (it / NG) * os + g * 4) = act4(a[u], act);
    }
}

template <int TH, int TW, int NG, int NT, bool EK = false>
__device__ __forceinline__ void dw_stage(int K, const float *in, int is, int pwd, int S,
                                         const float *wd, const float *bd, int act, float *out,
                                         int os) {
    if (K == 3)
        dw_stage_k<TH, TW, NG, NT, 3, EK>(in, is, pwd, S, wd, bd, act, out, os);
    else if (K == 5)
        dw_stage_k<TH, TW, NG, NT, 5, EK>(in, is, pwd, S, wd, bd, act, out, os);
    else
        dw_stage_k<TH, TW, NG, NT, 7, EK>(in, is, pwd, S, wd, bd, act, out, os);
}

/* Thread shape of the last (projection) GEMM of a fused kind: M output
 * pixels x TC channels; NTX = cm_proj_ntx(TC) threads across channels (at
 * most 32, so that a warp reads few distinct pixel rows), NTY across pixels.
 * When the tile has more threads than M*NTX (small batch-1 tiles), they form
 * SK = cm_proj_split slices of NTS threads; slice sl sums the channels
 * [sl*N4/SK, (sl+1)*N4/SK) (in groups of 4) of each chunk of N4 groups into
 * its own partial tile, and the partial tiles meet in store_spatial. */
template <int M, int TC, int NT>
struct ProjShape {
    static constexpr int NTX = (int)cm_proj_ntx(TC);
    static constexpr int SK = (int)cm_proj_split(M, TC, NT);
    static constexpr int NTS = NT / SK;
    static constexpr int TN = TC / NTX;
    static constexpr int NTY = NTS / NTX;
    static constexpr int TM = M / NTY;
    static_assert(NTX * TN == TC && NTX * NTY == NTS && SK * NTS == NT && TM * NTY == M &&
                      TM >= 1,
                  "tile does not split over the threads");
    /* this thread's slice, and its place in the slice */
    __device__ static int sl() { return (int)threadIdx.x / NTS; }
    __device__ static int tx() { return ((int)threadIdx.x % NTS) % NTX; }
    __device__ static int ty() { return ((int)threadIdx.x % NTS) / NTX; }
};

/* The projection of one chunk of n4 groups of 4 channels: the slice's share
 * of it (n4 must be a multiple of SK; A, B = the chunk's D and W2 tiles with
 * row strides as, bs). */
template <typename PS>
__device__ __forceinline__ void proj_acc(float (&acc)[PS::TM][PS::TN], const float *A, int as,
                                         const float *B, int bs, int n4) {
    const int per = n4 / PS::SK, k0 = PS::sl() * per * 4;
    gemm_acc<PS::TM, PS::TN, PS::NTY, PS::NTX>(acc, A + PS::ty() * as + k0, as,
                                               B + PS::tx() * bs + k0, bs, per);
}

/* Output of a spatial CTA: acc (thread (tx, ty) of slice sl holds pixels
 * ty + i*NTY, channels tx + j*NTX of partial tile sl) goes through cs
 * [SK][TH*TW][TC+4]; then every output pixel's segment Y[pixel][c0..c0+cw) is
 * written once (float4 on the vector path) after summing the partial tiles,
 * bias, activation and the residual segment. Must follow a __syncthreads()
 * after the last read of the cs region. */
template <int TH, int TW, int TC, int NT, typename PS, typename T>
__device__ __forceinline__ void store_spatial(const ParamsT<T> &p, const SpTile &t,
                                              float (&acc)[PS::TM][PS::TN], float *cs,
                                              const float *bias, int act) {
    constexpr int CST = TC + 4, NQ = TC / 4, M = TH * TW;
    stage_acc<PS::TM, PS::TN, PS::NTY, PS::NTX>(cs + PS::sl() * M * CST, CST, acc, PS::tx(),
                                                PS::ty());
    __syncthreads();
    const int F = p.out_c;
    for (int it = threadIdx.x; it < M * NQ; it += NT) {
        const int g = it % NQ, q = it / NQ, c = g * 4;
        const int qy = q / TW, qx = q % TW;
        if (qy >= t.th || qx >= t.tw || c >= t.cw) continue;
        const float4 v = staged_group<PS::SK, M * CST>(cs + q * CST + c);
        const long long off =
            (((long long)t.n * p.out_h + t.oy0 + qy) * p.out_w + t.ox0 + qx) * F + t.c0 + c;
        epilogue_group(p, off, v, *reinterpret_cast<const float4 *>(bias + c), act, c, t.cw);
    }
}

} // namespace fk

#endif
