/* fk_dwpw.cuh - depthwise then pointwise in one kernel (kind DWPW).
 *
 * One CTA = TH x TW output pixels x TC output channels of the PW. Global
 * traffic per CTA, exactly the contract: for each chunk of KC input channels
 * [kc, kc+k'): the DW input patch segments X[n][iy][ix][kc..kc+k') (clipped),
 * the DW weights [kc*K*K, (kc+k')*K*K) as one segment, the DW bias
 * [kc, kc+k'), then W_pw[o][kc..kc+k') per output channel o; then the PW bias;
 * then per output pixel the residual and the store segments. The DW output
 * chunk lives only in shared memory and feeds the PW accumulation (registers)
 * at once. With tile_c < F every output-channel tile recomputes the DW of all
 * channels and re-reads its input patch and DW weights.
 */
#ifndef FUSEPLAN_FK_DWPW_CUH
#define FUSEPLAN_FK_DWPW_CUH

#include "fk_fused.cuh"

namespace fk {

template <typename T, int TH, int TW, int TC, int KC, int NT>
__global__ void __launch_bounds__(NT) dwpw_kernel(ParamsT<T> p) {
    static_assert(std::is_same<T, float>::value, FK_F32_STAGING);
    constexpr int M = TH * TW;
    constexpr int KS = (int)cm_odd_stride(KC);
    constexpr int NG = KC / 4;
    using PS = ProjShape<M, TC, NT>;
    static_assert(KC % 4 == 0 && NG % PS::SK == 0, "chunk_c must be a multiple of 4 (x slices)");

    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int K = p.k, S = p.s, KK = K * K;
    const int C = p.in_c, F = p.out_c;
    const cm_smem_dwpw L = cm_smem_dwpw_layout(TH, TW, TC, KC, K, S, NT);
    float *ps = sm + L.patch, *wds = sm + L.wd, *bds = sm + L.bd, *ds = sm + L.d;
    float *w2s = sm + L.w2, *b2s = sm + L.b2;

    const SpTile t = sp_tile<TH, TW, TC>(p);
    float acc[PS::TM][PS::TN];
#pragma unroll
    for (int i = 0; i < PS::TM; i++)
#pragma unroll
        for (int j = 0; j < PS::TN; j++) acc[i][j] = 0.f;

    for (int kc = 0; kc < C; kc += KC) {
        const int kw = min(KC, C - kc);
        load_patch<NT>(p, t, ps, KS, NG, kc, kw);
        load_rows<NT>(w2s, KS, NG, TC, t.cw, p.w1 + (long long)t.c0 * C + kc, C, kw, p.vec);
        cp_async_commit();
        load_dw_weights<NT>(wds, KC, p.w0 + (long long)kc * KK, KK, KC, kw);
        load_vec<NT>(bds, p.b0 + kc, KC, kw);
        if (kc == 0) load_vec<NT>(b2s, p.b1 + t.c0, TC, t.cw);
        cp_async_wait_all();
        __syncthreads();
        dw_stage<TH, TW, NG, NT>(K, ps, KS, p.pw, S, wds, bds, p.act0, ds, KS);
        __syncthreads();
        proj_acc<PS>(acc, ds, KS, w2s, KS, NG);
        __syncthreads();
    }
    (void)F;
    store_spatial<TH, TW, TC, NT, PS>(p, t, acc, ds, b2s, p.act1);
}

template <>
struct Family<CM_KIND_DWPW, CM_MATH_SIMT> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        return launch_kernel<T>(dwpw_kernel<T, TH, TW, TC, CC, NT>, "dwpw_kernel", NT, l);
    }
};

} // namespace fk

#endif
