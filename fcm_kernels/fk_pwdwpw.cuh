/* fk_pwdwpw.cuh - the whole inverted-residual block in one kernel (kind
 * PWDWPW): expand PW (C -> E) + act, DW (K, S) + act, project PW (E -> F) +
 * act, optional residual. The expanded tensor never touches global memory.
 *
 * One CTA = TH x TW output pixels x TC output channels of one image. Global
 * traffic per CTA, exactly the contract: first the input patch with all C
 * channels, one segment X[n][iy][ix][0..C) per patch pixel (clipped), kept in
 * shared memory for the whole CTA; then for each chunk of KC expanded
 * channels [ec, ec+e'): W1[e][0..C) per e, bias1, DW weights [ec*K*K,
 * (ec+e')*K*K) as one segment, DW bias, W2[o][ec..ec+e') per o in the tile;
 * then bias2; then per output pixel the residual and the store segments.
 *
 * Pipelining: chunk i+1's weights are fetched by cp.async into the second
 * buffer while chunk i computes; three barriers per chunk.
 *
 * Per chunk: (1) E = act0(X . W1^T + b1) for every patch pixel (halo included;
 * neighbouring CTAs recompute their shared halo) with zeros at positions
 * outside the image (the DW's zero padding, not act0(b1)); (2) D = act1(DW(E)
 * + bd) for the TH*TW outputs; (3) acc += D . W2^T in registers. When tile_c
 * < F, every channel tile recomputes the expansion and the DW of the whole
 * chunk sequence (and re-reads its patch and W1/DW weights): the model counts
 * those re-reads, the planner sees the redundant FLOPs.
 */
#ifndef FUSEPLAN_FK_PWDWPW_CUH
#define FUSEPLAN_FK_PWDWPW_CUH

#include "fk_fused.cuh"

namespace fk {

/* Stages chunk [en, en+ew) of every per-chunk weight into buffer buf by
 * cp.async: W1 rows (one segment per e), bias1, the DW weights (one segment,
 * kept in the global [e][kk] order), the DW bias, W2[o][en..en+ew) per o. */
template <int TC, int EC, int NT, typename Prm>
__device__ __forceinline__ void pwdwpw_stage(const Prm &p, const cm_smem_pwdwpw &L,
                                             const SpTile &t, float *buf, int en, int ew, int CS,
                                             int CQ, int KK) {
    constexpr int ES = (int)cm_odd_stride(EC), NG = EC / 4;
    const int C = p.in_c, E = p.mid_c;
    load_rows<NT>(buf + L.w1, CS, CQ, EC, ew, p.w0 + (long long)en * C, C, C, p.vec);
    load_rows<NT>(buf + L.b1, EC, NG, 1, 1, p.b0 + en, 0, ew, p.vec);
    load_rows<NT>(buf + L.wd, EC * KK, NG * KK, 1, 1, p.w1 + (long long)en * KK, 0, ew * KK,
                  p.vec);
    load_rows<NT>(buf + L.bd, EC, NG, 1, 1, p.b1 + en, 0, ew, p.vec);
    load_rows<NT>(buf + L.w2, ES, NG, TC, t.cw, p.w2 + (long long)t.c0 * E + en, E, ew, p.vec);
}

template <typename T, int TH, int TW, int TC, int EC, int NT>
__global__ void __launch_bounds__(NT) pwdwpw_kernel(ParamsT<T> p) {
    static_assert(std::is_same<T, float>::value, FK_F32_STAGING);
    constexpr int M = TH * TW;
    constexpr int ES = (int)cm_odd_stride(EC);
    constexpr int NG = EC / 4;
    /* expansion GEMM: NTX1 threads across the chunk's channels (4 each) */
    constexpr int NTX1 = EC / 4, NTY1 = NT / NTX1;
    static_assert(EC % 4 == 0 && NT % NTX1 == 0, "bad expansion shape");
    using PS = ProjShape<M, TC, NT>;
    static_assert(NG % PS::SK == 0, "the chunk's groups must split over the slices");

    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int K = p.k, S = p.s, KK = K * K;
    const int C = p.in_c, E = p.mid_c;
    const cm_smem_pwdwpw L = cm_smem_pwdwpw_layout(TH, TW, TC, EC, K, S, C, NT);
    float *xs = sm + L.x, *es = sm + L.e, *ds = sm + L.d, *b2s = sm + L.b2;
    const int CS = p.cstride, CQ = (C + 3) / 4;
    const int P = p.ph * p.pw;

    const SpTile t = sp_tile<TH, TW, TC>(p);
    load_patch<NT>(p, t, xs, CS, CQ, 0, C);
    pwdwpw_stage<TC, EC, NT>(p, L, t, sm + L.buf, 0, min(EC, E), CS, CQ, KK);
    cp_async_commit();
    load_vec<NT>(b2s, p.b2 + t.c0, TC, t.cw);

    float acc[PS::TM][PS::TN];
#pragma unroll
    for (int i = 0; i < PS::TM; i++)
#pragma unroll
        for (int j = 0; j < PS::TN; j++) acc[i][j] = 0.f;
    const int nchunks = (E + EC - 1) / EC;

    for (int ci = 0; ci < nchunks; ci++) {
        float *cur = sm + L.buf + (ci & 1) * L.bufsize;
        float *nxt = sm + L.buf + ((ci + 1) & 1) * L.bufsize;
        /* S1: chunk ci's weights (and the patch) have landed; everything of
         * chunk ci-1 has been read, so buffer nxt and es/ds are free */
        cp_async_wait_all();
        __syncthreads();
        const bool more = ci + 1 < nchunks;
        if (more) {
            const int en = (ci + 1) * EC;
            pwdwpw_stage<TC, EC, NT>(p, L, t, nxt, en, min(EC, E - en), CS, CQ, KK);
            cp_async_commit();
        }
        /* (1) expansion over the patch; zeros outside the loaded part */
        const PatchActStore st = {es, ES, cur + L.b1, p.act0, t, p.pw};
        rows_all<4, NTX1, NTY1>(P, xs, CS, cur + L.w1, CS, EC, CQ, st);
        __syncthreads();
        /* (2) depthwise */
        dw_stage<TH, TW, NG, NT, true>(K, es, ES, p.pw, S, cur + L.wd, cur + L.bd, p.act1, ds,
                                       ES);
        __syncthreads();
        /* (3) projection, accumulated over chunks */
        proj_acc<PS>(acc, ds, ES, cur + L.w2, ES, NG);
    }
    /* es is free (last read before the final S3); ds/W2 reads may still run */
    store_spatial<TH, TW, TC, NT, PS>(p, t, acc, es, b2s, p.act2);
}

template <>
struct Family<CM_KIND_PWDWPW, CM_MATH_SIMT> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        return launch_kernel<T>(pwdwpw_kernel<T, TH, TW, TC, CC, NT>, "pwdwpw_kernel", NT, l);
    }
};

} // namespace fk

#endif
