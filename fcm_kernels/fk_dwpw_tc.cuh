/* fk_dwpw_tc.cuh - DW -> PW (kind DWPW) in fp16 / bf16, and in fp32 as TF32:
 * the DW on tensor cores for 16 bits, on CUDA cores for fp32 (fk_dw_tc.cuh),
 * the PW on tensor cores (mma m16n8k16, or m16n8k8 .tf32 on cvt.rna-rounded
 * operands for fp32; fp32 accumulators across the chunks), the DW result chunk kept in shared memory
 * in the element type (one rounding, as the unfused DW layer's output; fp32:
 * none).
 *
 * One CTA = TH x TW output pixels x TC output channels of one image. Global
 * traffic per CTA is the contract's (costmodel.h): for each chunk of KC input
 * channels [kc, kc+k'): one segment X[n][iy][ix][kc..kc+k') per loaded patch
 * pixel, the DW weights [kc*K*K, (kc+k')*K*K) as one segment, the DW bias
 * [kc, kc+k'), then W[o][kc..kc+k') per output channel o < c'; then the PW
 * bias; then per output pixel the residual and store segments
 * (epilogue_group). With tile_c < F every channel tile recomputes the DW (the
 * model counts it). Chunk i+1 loads into the second buffer while chunk i
 * computes; two barriers per chunk.
 *
 * Shared memory: cm_smem_dwpw_tc_layout_es (cm_smem_layout.h). The DW stage is
 * PWDWPW's (fused_dw, fk_dw_tc.cuh: 16-bit on tensor cores as mma by diagonal
 * weight matrices, fp32 on CUDA cores; weights in the global [c][kk] order);
 * the projection and its epilogue from the fragments are PWDWPW's too.
 */
#ifndef FUSEPLAN_FK_DWPW_TC_CUH
#define FUSEPLAN_FK_DWPW_TC_CUH

#include "fk_pwdwpw_tc.cuh"

namespace fk {

/* The projection warps of an M x TC tile: WTN channels x WTM pixels each. */
template <int M, int TC, int NT>
struct ProjTcShape {
    static constexpr int NW = NT / 32;
    static constexpr int WTN = TC >= 32 ? 32 : TC;
    static constexpr int WN = TC / WTN;
    static constexpr int WM = NW / WN;
    static constexpr int WTM = M / WM;
    static constexpr int MT = WTM / 16, NT8 = WTN / 8;
    static_assert(NT % 32 == 0 && WN * WTN == TC && WM * WN == NW && WM * WTM == M,
                  "projection: the warps do not tile M x TC");
    static_assert(WTM % 16 == 0 && WTN % 16 == 0, "projection: warp tile must be 16x16 tiles");
};

/* Chunk [kc, kc+kw) into buffer `buf`: the patch rows, the DW weights (one
 * 16-bit segment), the DW bias, the PW weight rows. */
template <typename T, int TC, int KC, int NT>
__device__ __forceinline__ void dwpw_tc_stage(const ParamsT<T> &p, const cm_smem_dwpw_tc &L,
                                              const SpTile &t, const FastDiv &div_pw, float *buf,
                                              int kc, int kw) {
    constexpr int KSE = TcElem<T>::stride_elems(KC), KV = TcElem<T>::kVec, KQ = KC / KV;
    const int C = p.in_c, F = p.out_c, KK = p.k * p.k, P = p.ph * p.pw;
    const int vc = p.vec && C % KV == 0;
    T *xs = reinterpret_cast<T *>(buf + L.x);
    const T *xb = p.x + (long long)t.n * p.in_h * p.in_w * C + kc;
    for (int i = threadIdx.x; i < P * KQ; i += NT) {
        const int pix = i / KQ, q = i - pix * KQ;
        const int py = div_pw.div(pix), px = pix - py * p.pw;
        T *dst = xs + pix * KSE;
        if (py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1)
            copy_row16(dst, xb + ((long long)(t.iy0 + py) * p.in_w + (t.ix0 + px)) * C, kw, q, vc);
        else
            zero16(dst + q * KV);
    }
    T *wd = reinterpret_cast<T *>(buf + L.wd);
    const int wq = (KC * KK + KV - 1) / KV;
    for (int q = threadIdx.x; q < wq; q += NT)
        copy_row16(wd, p.w0 + (long long)kc * KK, kw * KK, q, p.vec);
    float *bd = buf + L.bd;
    for (int i = threadIdx.x; i < KC; i += NT)
        cp_async4(bd + i, i < kw ? p.b0 + kc + i : p.b0, i < kw ? 4 : 0);
    (void)F;
    T *w2 = reinterpret_cast<T *>(buf + L.w2);
    for (int i = threadIdx.x; i < TC * KQ; i += NT) {
        const int o = i / KQ, q = i - o * KQ;
        if (o < t.cw)
            copy_row16(w2 + o * KSE, p.w1 + (long long)(t.c0 + o) * C + kc, kw, q, vc);
        else
            zero16(w2 + o * KSE + q * KV);
    }
}

/* No __launch_bounds__, as the PWDWPW kernel (fk_pwdwpw_tc.cuh). */
template <typename T, int TH, int TW, int TC, int KC, int NT>
__global__ void dwpw_tc_kernel(ParamsT<T> p) {
    constexpr int M = TH * TW;
    using PS = ProjTcShape<M, TC, NT>;
    constexpr int MT2 = PS::MT, NT82 = PS::NT8;
    constexpr int KSB = TcElem<T>::stride_words(KC) * 4, MK = TcElem<T>::kK;
    static_assert(KC % MK == 0, "DWPW TC: chunk_c must be a multiple of the mma k (16, tf32 8)");
    static_assert(NT % (KC / 4) == 0, "DWPW TC: threads must be a multiple of the chunk's groups");
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int K = p.k, S = p.s, C = p.in_c, F = p.out_c;
    const cm_smem_dwpw_tc L = cm_smem_dwpw_tc_layout_es(TH, TW, TC, KC, K, S, TcElem<T>::esz);
    T *ds = reinterpret_cast<T *>(sm + L.d);
    float *b2s = sm + L.b2;

    const SpTile t = sp_tile<TH, TW, TC>(p);
    const FastDiv div_pw(p.pw); /* the patch width, divided by in every chunk's stage */
    dwpw_tc_stage<T, TC, KC, NT>(p, L, t, div_pw, sm + L.buf, 0, min(KC, C));
    cp_async_commit();
    for (int i = threadIdx.x; i < TC; i += NT) b2s[i] = i < t.cw ? __ldg(p.b1 + t.c0 + i) : 0.f;

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int m02 = (warp / PS::WN) * PS::WTM, n02 = (warp % PS::WN) * PS::WTN;
    float acc[MT2][NT82][4];
#pragma unroll
    for (int i = 0; i < MT2; i++)
#pragma unroll
        for (int j = 0; j < NT82; j++)
#pragma unroll
            for (int r = 0; r < 4; r++) acc[i][j][r] = 0.f;

    const uint32_t dbase = smem_u32(ds);
    const int nchunks = (C + KC - 1) / KC;
    for (int ci = 0; ci < nchunks; ci++) {
        float *cur = sm + L.buf + (ci & 1) * L.bufsize;
        float *nxt = sm + L.buf + ((ci + 1) & 1) * L.bufsize;
        /* S1: chunk ci has landed; chunk ci-1's projection (the last reader of
         * D and of buffer nxt) is done */
        cp_async_wait_all();
        __syncthreads();
        if (ci + 1 < nchunks) {
            const int kc = (ci + 1) * KC;
            dwpw_tc_stage<T, TC, KC, NT>(p, L, t, div_pw, nxt, kc, min(KC, C - kc));
            cp_async_commit();
        }
        {
            const T *xs = reinterpret_cast<const T *>(cur + L.x);
            const T *wd = reinterpret_cast<const T *>(cur + L.wd);
            const float *bd = cur + L.bd;
            fused_dw<T, TH, TW, KC, NT>(xs, K, S, wd, bd, p.act0, ds);
        }
        __syncthreads();
        const uint32_t w2base = smem_u32(cur + L.w2);
#pragma unroll
        for (int ks = 0; ks < KC / MK; ks++) {
            const int kh = ks * 16; /* 16-bit units: 32 bytes per k-step (fk_mma.cuh) */
            uint32_t af[MT2][4], bf[NT82 / 2][4];
#pragma unroll
            for (int i = 0; i < MT2; i++) {
                ldsm_x4(af[i], frag_a(dbase, KSB, m02 + i * 16, kh, lane));
                tc_round<T>(af[i]);
            }
#pragma unroll
            for (int j = 0; j < NT82 / 2; j++) {
                ldsm_x4(bf[j], frag_b2(w2base, KSB, n02 + j * 16, kh, lane));
                tc_round<T>(bf[j]);
            }
#pragma unroll
            for (int i = 0; i < MT2; i++)
#pragma unroll
                for (int j = 0; j < NT82; j++)
                    mma_tc<T>(acc[i][j], af[i], bf[j / 2][(j & 1) * 2], bf[j / 2][(j & 1) * 2 + 1]);
        }
    }
    /* epilogue: straight from the projection's fragments (epilogue_frags; no
     * staging tile, no barrier: b2s was ordered by the chunk loop's first) */
    epilogue_frags<T>(p, acc, m02, n02, lane, b2s, p.act1, t.cw, [&](int m) {
        const int ly = m / TW, lx = m - ly * TW;
        return ly < t.th && lx < t.tw
                   ? (((long long)t.n * p.out_h + t.oy0 + ly) * p.out_w + t.ox0 + lx) * F + t.c0
                   : -1LL;
    });
}

template <>
struct Family<CM_KIND_DWPW, CM_MATH_TC> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        return launch_kernel<T>(dwpw_tc_kernel<T, TH, TW, TC, CC, NT>, "dwpw_tc_kernel", NT, l);
    }
};

} // namespace fk

#endif
