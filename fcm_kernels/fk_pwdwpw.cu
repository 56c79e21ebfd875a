/* fk_pwdwpw.cu - the whole inverted-residual block in one kernel (kind
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
 * Per chunk: (1) E = act0(X . W1^T + b1) for every patch pixel (halo included;
 * neighbouring CTAs recompute their shared halo) with zeros at positions
 * outside the image (the DW's zero padding, not act0(b1)); (2) D = act1(DW(E)
 * + bd) for the TH*TW outputs; (3) acc += D . W2^T in registers. When tile_c
 * < F, every channel tile recomputes the expansion and the DW of the whole
 * chunk sequence (and re-reads its patch and W1/DW weights): the model counts
 * those re-reads, the planner sees the redundant FLOPs.
 */
#include "fk_fused.cuh"

namespace fk {

template <int TH, int TW, int TC, int EC, int NT>
__global__ void __launch_bounds__(NT) pwdwpw_kernel(Params p) {
    constexpr int M = TH * TW;
    constexpr int ES = odd_stride(EC);
    constexpr int NG = EC / 4;
    /* expansion GEMM: NTX1 threads across the chunk's channels (4 each) */
    constexpr int NTX1 = EC / 4, NTY1 = NT / NTX1;
    static_assert(EC % 4 == 0 && NT % NTX1 == 0, "bad expansion shape");
    using PS = ProjShape<M, TC, NT>;

    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int K = p.k, S = p.s, KK = K * K;
    const int C = p.in_c, E = p.mid_c;
    const PwdwpwLayout L = pwdwpw_layout(TH, TW, TC, EC, K, S, C);
    float *xs = sm + L.x, *w1s = sm + L.w1, *b1s = sm + L.b1, *wds = sm + L.wd, *bds = sm + L.bd;
    float *es = sm + L.e, *ds = sm + L.d, *w2s = sm + L.w2, *b2s = sm + L.b2;
    const int CS = p.cstride, CQ = (C + 3) / 4;
    const int P = p.ph * p.pw;

    const SpTile t = sp_tile<TH, TW, TC>(p);
    load_patch<NT>(p, t, xs, CS, CQ, 0, C);
    cp_async_commit();

    float acc[PS::TM][PS::TN];
#pragma unroll
    for (int i = 0; i < PS::TM; i++)
#pragma unroll
        for (int j = 0; j < PS::TN; j++) acc[i][j] = 0.f;
    const int tx3 = threadIdx.x % PS::NTX, ty3 = threadIdx.x / PS::NTX;

    for (int ec = 0; ec < E; ec += EC) {
        const int ew = min(EC, E - ec);
        load_rows<NT>(w1s, CS, CQ, EC, ew, p.w0 + (long long)ec * C, C, C, p.vec);
        load_rows<NT>(w2s, ES, NG, TC, t.cw, p.w2 + (long long)t.c0 * E + ec, E, ew, p.vec);
        cp_async_commit();
        load_vec<NT>(b1s, p.b0 + ec, EC, ew);
        load_dw_weights<NT>(wds, EC, p.w1 + (long long)ec * KK, KK, EC, ew);
        load_vec<NT>(bds, p.b1 + ec, EC, ew);
        if (ec == 0) load_vec<NT>(b2s, p.b2 + t.c0, TC, t.cw);
        cp_async_wait_all();
        __syncthreads();

        /* (1) expansion over the patch; zeros outside the loaded part */
        {
            const int act0 = p.act0;
            auto st = [&](int m, int e, float v) {
                es[m * ES + e] = sp_loaded(t, p, m) ? act_apply(v + b1s[e], act0) : 0.f;
            };
            rows_all<4, NTX1, NTY1>(P, xs, CS, w1s, CS, EC, CQ, st);
        }
        __syncthreads();
        /* (2) depthwise */
        dw_stage<TH, TW, NG, NT>(K, es, ES, p.pw, S, wds, bds, p.act1, ds, ES);
        __syncthreads();
        /* (3) projection, accumulated over chunks */
        gemm_acc<PS::TM, PS::TN, PS::NTY, PS::NTX>(acc, ds + ty3 * ES, ES, w2s + tx3 * ES, ES, NG);
        __syncthreads();
    }
    store_spatial<TH, TW, TC, NT, PS::TM, PS::TN, PS::NTX, PS::NTY>(p, t, acc, es, b2s, p.act2);
}

template <int TH, int TW, int TC, int EC, int NT>
fk_status launch_pwdwpw(const Launch &l) {
    return launch_kernel(pwdwpw_kernel<TH, TW, TC, EC, NT>, "pwdwpw_kernel", NT, l);
}

#define FK_ROW_DW(th, tw, tc, cc, nt)
#define FK_ROW_PW(th, tw, tc, cc, nt)
#define FK_ROW_DWPW(th, tw, tc, cc, nt)
#define FK_ROW_PWDW(th, tw, tc, cc, nt)
#define FK_ROW_PWPW(th, tw, tc, cc, nt)
#define FK_ROW_PWDWPW(th, tw, tc, cc, nt) {th, tw, tc, cc, nt, &launch_pwdwpw<th, tw, tc, cc, nt>},
static const Row pwdwpw_rows[] = {
#include "cm_variants.inc"
    {0, 0, 0, 0, 0, nullptr}};

fk_status dispatch_pwdwpw(const cm_tile *t, const Launch &l) { return run_row(pwdwpw_rows, t, l); }

} // namespace fk
