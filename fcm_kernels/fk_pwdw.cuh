/* fk_pwdw.cuh - pointwise then depthwise in one kernel (kind PWDW).
 *
 * tile_c tiles the E channels (the PW's outputs = the DW's channels). One CTA
 * = TH x TW output pixels x TC channels of one image. Global traffic per CTA,
 * exactly the contract: for each chunk of KC input channels [kc, kc+k'): the
 * patch segments X[n][iy][ix][kc..kc+k') for every pixel of the DW input patch
 * (clipped), then W_pw[e][kc..kc+k') per e in [c0, c0+c'); then the PW bias
 * [c0, c0+c'), the DW weights [c0*K*K, (c0+c')*K*K) as one segment, the DW bias
 * [c0, c0+c'); then per output pixel the residual and the store segments.
 *
 * The chunks are pipelined by cp.async (cm_pwdw_stages: 2 stages, or 4 for
 * the small batch-1 tiles: chunk i+1.. load while chunk i is multiplied).
 * The PW result for the whole patch (halo included: neighbouring CTAs
 * recompute it) is accumulated chunk by chunk in shared memory; after the
 * last chunk it becomes act0(sum + b_pw) inside the image and exactly 0 at padding
 * positions (the DW pads its input with zeros, not with act0(b_pw)). Channel
 * tiles are disjoint, so nothing is recomputed across them except the
 * re-read of the patch's X rows per channel tile.
 */
#ifndef FUSEPLAN_FK_PWDW_CUH
#define FUSEPLAN_FK_PWDW_CUH

#include "fk_fused.cuh"

namespace fk {

template <typename T, int TH, int TW, int TC, int KC, int NT>
__global__ void __launch_bounds__(NT) pwdw_kernel(ParamsT<T> p) {
    static_assert(std::is_same<T, float>::value, FK_F32_STAGING);
    constexpr int KS = (int)cm_odd_stride(KC), TS = (int)cm_odd_stride(TC);
    constexpr int KQ = KC / 4, NG = TC / 4;
    constexpr int NTX1 = TC / 4 < 32 ? TC / 4 : 32, TN1 = TC / NTX1, NTY1 = NT / NTX1;
    static_assert(KC % 4 == 0 && TC % 4 == 0 && NTX1 * TN1 == TC && NTX1 * NTY1 == NT,
                  "bad PWDW tile");

    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int K = p.k, S = p.s, KK = K * K;
    const int C = p.in_c, E = p.out_c;
    const cm_smem_pwdw L = cm_smem_pwdw_layout(TH, TW, TC, KC, K, S);
    float *es = sm + L.e, *wds = sm + L.wd, *b1s = sm + L.b1, *bds = sm + L.bd;
    const int P = p.ph * p.pw;

    const SpTile t = sp_tile<TH, TW, TC>(p);
    /* chunk kt lives in buffer kt % NB of an NB-stage cp.async pipeline
     * (cm_pwdw_stages); with the last chunk the parameters of the CTA's
     * channels are issued too (PW bias, DW weights transposed to [kk][c], DW
     * bias), so that they land while the last chunks are multiplied */
    constexpr int NB = (int)cm_pwdw_stages(TH, TW);
    const int nk = (C + KC - 1) / KC;
    auto issue = [&](int ci) {
        float *buf = sm + (ci % NB) * L.bufsize;
        const int kc = ci * KC, kw = min(KC, C - kc);
        load_patch<NT>(p, t, buf + L.x, KS, KQ, kc, kw);
        load_rows<NT>(buf + L.w1, KS, KQ, TC, t.cw, p.w0 + (long long)t.c0 * C + kc, C, kw, p.vec);
        if (ci == nk - 1) {
            load_vec<NT>(b1s, p.b0 + t.c0, TC, t.cw);
            load_dw_weights<NT>(wds, TC, p.w1 + (long long)t.c0 * KK, KK, TC, t.cw);
            load_vec<NT>(bds, p.b1 + t.c0, TC, t.cw);
        }
    };
    auto multiply = [&](int ci) {
        const float *buf = sm + (ci % NB) * L.bufsize;
        const AccumStore st = {es, TS, 0, ci == 0};
        rows_all<TN1, NTX1, NTY1>(P, buf + L.x, KS, buf + L.w1, KS, TC, KQ, st);
    };
    if constexpr (NB == 2) {
        /* double buffer: chunk kt+1 is issued before waiting for chunk kt */
        issue(0);
        cp_async_commit();
        for (int kt = 0; kt < nk; kt++) {
            if (kt + 1 < nk) issue(kt + 1);
            cp_async_commit();
            cp_async_wait_group<1>();
            __syncthreads();
            multiply(kt);
            __syncthreads();
        }
    } else {
        /* NB-stage ring, one barrier per chunk: the barrier at the top of
         * chunk kt also proves that chunk kt-1's buffer, which chunk kt+NB-1
         * reuses, has been read by every thread */
#pragma unroll
        for (int st = 0; st < NB - 1; st++) {
            if (st < nk) issue(st);
            cp_async_commit();
        }
        for (int kt = 0; kt < nk; kt++) {
            cp_async_wait_group<NB - 2>();
            __syncthreads();
            if (kt + NB - 1 < nk) issue(kt + NB - 1);
            cp_async_commit();
            multiply(kt);
        }
    }
    cp_async_wait_all();
    __syncthreads();
    /* one warp-strided row at a time: the inside test once per row */
    for (int m = threadIdx.x / 32; m < P; m += NT / 32) {
        const bool in = sp_loaded(t, p, m);
        for (int e = threadIdx.x % 32; e < TC; e += 32) {
            float *d = es + m * TS + e;
            *d = in ? act_apply(*d + b1s[e], p.act0) : 0.f;
        }
    }
    __syncthreads();

    /* depthwise straight to global: each output pixel's segment once */
    for (int it = threadIdx.x; it < TH * TW * NG; it += NT) {
        const int g = it % NG, q = it / NG, c = g * 4;
        const int qy = q / TW, qx = q % TW;
        if (qy >= t.th || qx >= t.tw || c >= t.cw) continue;
        float4 a = *reinterpret_cast<const float4 *>(bds + c);
        const float *ip = es + (qy * S * p.pw + qx * S) * TS + c;
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++)
                fma4(a, *reinterpret_cast<const float4 *>(ip + (ky * p.pw + kx) * TS),
                     *reinterpret_cast<const float4 *>(wds + (ky * K + kx) * TC + c));
        const long long off =
            (((long long)t.n * p.out_h + t.oy0 + qy) * p.out_w + t.ox0 + qx) * E + t.c0 + c;
        epilogue_group_biased(p, off, a, p.act1, c, t.cw);
    }
}

template <>
struct Family<CM_KIND_PWDW, CM_MATH_SIMT> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        return launch_kernel<T>(pwdw_kernel<T, TH, TW, TC, CC, NT>, "pwdw_kernel", NT, l);
    }
};

} // namespace fk

#endif
