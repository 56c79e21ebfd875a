/* fk_pwpw.cuh - two pointwise convolutions in one kernel (kind PWPW), over
 * flat pixels: H = act0(X . W1^T + b1) (C -> F1), Y = act1(H . W2^T + b2)
 * (F1 -> F2) (+ R).
 *
 * One CTA = TW flat pixels x TC channels of F2. Global traffic per CTA,
 * exactly the contract: for each chunk of KC input channels: X[p][kc..kc+k')
 * per pixel, W1[f][kc..kc+k') for every f < F1; then bias1 [0, F1),
 * W2[o][0..F1) per o in [c0, c0+c'), bias2 [c0, c0+c'); then per pixel the
 * residual and the store segments. H (TW x F1) lives in shared memory. With
 * tile_c < F2 every channel tile recomputes the first PW for its pixels (and
 * re-reads X and all of W1).
 */
#ifndef FUSEPLAN_FK_PWPW_CUH
#define FUSEPLAN_FK_PWPW_CUH

#include "fk_fused.cuh"

namespace fk {

template <typename T, int BM, int TC, int KC, int NT>
__global__ void __launch_bounds__(NT) pwpw_kernel(ParamsT<T> p) {
    static_assert(std::is_same<T, float>::value, FK_F32_STAGING);
    constexpr int KS = (int)cm_odd_stride(KC), KQ = KC / 4;
    /* first GEMM: 8 threads x 4 columns = 32 columns of F1 per pass */
    constexpr int NTX1 = 8, NTY1 = NT / NTX1;
    using PS = ProjShape<BM, TC, NT>;
    static_assert(PS::SK == 1, "PWPW tiles do not split the second GEMM (cm_smem_pwpw_layout)");
    static_assert(KC % 4 == 0 && NT % NTX1 == 0, "bad PWPW tile");

    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int C = p.in_c, F1 = p.mid_c, F2 = p.out_c;
    const int FS = p.fstride, FQ = (F1 + 3) / 4;
    const cm_smem_pwpw L = cm_smem_pwpw_layout(BM, TC, KC, F1);
    float *hs = sm + L.h, *us = sm + L.u, *w1s = sm + L.w1, *b1s = sm + L.b1, *b2s = sm + L.b2;

    const FlatTile ft = flat_tile<BM, TC>(p);
    const long long p0 = ft.p0;
    const int c0 = ft.c0, cw = ft.cw;
    const int pw = ft.pw;

    for (int kc = 0; kc < C; kc += KC) {
        const int kw = min(KC, C - kc);
        load_rows<NT>(us, KS, KQ, BM, pw, p.x + p0 * C + kc, C, kw, p.vec);
        load_rows<NT>(w1s, KS, KQ, F1, F1, p.w0 + kc, C, kw, p.vec);
        cp_async_commit();
        cp_async_wait_all();
        __syncthreads();
        for (int fb = 0; fb < F1; fb += 4 * NTX1) {
            const AccumStore st = {hs, FS, fb, kc == 0};
            rows_all<4, NTX1, NTY1>(BM, us, KS, w1s + fb * KS, KS, min(4 * NTX1, F1 - fb), KQ, st);
        }
        __syncthreads();
    }
    load_vec<NT>(b1s, p.b0, F1, F1);
    cp_async_wait_all();
    __syncthreads();
    /* H = act0(H + b1); columns F1..4*FQ are zero for the float4 reads below */
    for (int i = threadIdx.x; i < BM * FQ * 4; i += NT) {
        const int m = i / (FQ * 4), f = i % (FQ * 4);
        float *d = hs + m * FS + f;
        *d = f < F1 ? act_apply(*d + b1s[f], p.act0) : 0.f;
    }
    float *w2s = us;
    load_rows<NT>(w2s, FS, FQ, TC, cw, p.w1 + (long long)c0 * F1, F1, F1, p.vec);
    cp_async_commit();
    load_vec<NT>(b2s, p.b1 + c0, TC, cw);
    cp_async_wait_all();
    __syncthreads();

    float acc[PS::TM][PS::TN];
#pragma unroll
    for (int i = 0; i < PS::TM; i++)
#pragma unroll
        for (int j = 0; j < PS::TN; j++) acc[i][j] = 0.f;
    const int tx = threadIdx.x % PS::NTX, ty = threadIdx.x / PS::NTX;
    gemm_acc<PS::TM, PS::TN, PS::NTY, PS::NTX>(acc, hs + ty * FS, FS, w2s + tx * FS, FS, FQ);
    __syncthreads();

    /* epilogue through a staging tile [BM][TC+4] over us */
    constexpr int CST = TC + 4, NQ = TC / 4;
    float *cs = us;
    stage_acc<PS::TM, PS::TN, PS::NTY, PS::NTX>(cs, CST, acc, tx, ty);
    __syncthreads();
    for (int i = threadIdx.x; i < BM * NQ; i += NT) {
        const int m = i / NQ, c = (i % NQ) * 4;
        if (m >= pw || c >= cw) continue;
        const float4 v = staged_group<1, 0>(cs + m * CST + c);
        epilogue_group(p, (p0 + m) * F2 + c0 + c, v, *reinterpret_cast<const float4 *>(b2s + c),
                       p.act1, c, cw);
    }
}

/* Flat rows: tile_h 1, tile_w pixels per CTA. */
template <>
struct Family<CM_KIND_PWPW, CM_MATH_SIMT> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        static_assert(TH == 1, "PWPW rows are flat (tile_h 1)");
        return launch_kernel<T>(pwpw_kernel<T, TW, TC, CC, NT>, "pwpw_kernel", NT, l);
    }
};

} // namespace fk

#endif
