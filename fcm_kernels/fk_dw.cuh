/* fk_dw.cuh - layer-by-layer depthwise convolution (kind DW), SIMT.
 *
 * One CTA = TH x TW output pixels x TC channels of one image. Global traffic
 * per CTA, exactly the contract of costmodel.h: the input patch it needs
 * (clipped to the image and to the tile's real extent at the edges), one
 * segment X[n][iy][ix][c0..c0+c') per patch pixel, staged in shared memory by
 * cp.async; the DW weights [c0*K*K, (c0+c')*K*K) as one segment; the bias
 * [c0, c0+c'); then per output pixel the residual segment (if any) and the
 * store segment. Channels of different CTAs never overlap (chunk_c == tile_c),
 * so nothing is recomputed across channel tiles; neighbouring spatial tiles
 * re-read their halo rows/columns (counted by the model).
 *
 * Compute: each thread owns one group of 4 channels and RB x CB output pixels
 * (a vertical strip when RB > 1); it walks the (RB-1)*S + K input rows its
 * outputs need once, holding one row's (CB-1)*S + K values in registers and
 * adding them into every output whose window contains that row (sliding
 * window), with the K*K weights in registers for K <= 5. K and S are template
 * parameters so every index is a compile-time constant. Channel counts that
 * are not multiples of 4 take the scalar copy path (4-byte cp.async, scalar
 * stores); shared memory always holds float4 groups padded with zeros.
 */
#ifndef FUSEPLAN_FK_DW_CUH
#define FUSEPLAN_FK_DW_CUH

#include "fk_dispatch.cuh"
#include "fk_epilogue.cuh"
#include "fk_tile.cuh"

namespace fk {

/* How a DW tile splits over its threads, for the fp32 and the 16-bit kernels
 * alike: each thread owns one group of 4 channels and RB x CB output pixels;
 * the staged patch is PH x PWD pixels; a thread walks NR input rows of NC
 * values. */
template <int TH, int TW, int TC, int NT, int K, int S>
struct DwShape {
    static constexpr int NG = TC / 4;       /* channel groups of 4 */
    static constexpr int NS = NT / NG;      /* spatial threads */
    static constexpr int PX = TH * TW / NS; /* outputs per thread */
    static constexpr int RB = TH < PX ? TH : PX;
    static constexpr int CB = PX / RB;
    static constexpr int PH = (TH - 1) * S + K, PWD = (TW - 1) * S + K;
    static constexpr int NR = (RB - 1) * S + K, NC = (CB - 1) * S + K;
    static_assert(TC % 4 == 0 && NT % NG == 0, "tile_c must be a multiple of 4 dividing threads*4");
    static_assert(NS * PX == TH * TW && RB * CB == PX && TH % RB == 0 && TW % CB == 0,
                  "tile does not split into per-thread RB x CB blocks");
};

/* Four channels of the staged patch as fp32: the fp32 patch as it is; the
 * 16-bit patch's specializations (widening) are in fk_dw16.cuh. */
template <typename T> __device__ __forceinline__ float4 lds_patch4(const T *s);
template <> __device__ __forceinline__ float4 lds_patch4<float>(const float *s) {
    return *reinterpret_cast<const float4 *>(s);
}

/* Everything a DW kernel does once its patch (element T), its fp32 weights
 * [kk][c] and its bias are staged and the CTA has synchronised: the sliding-
 * window FMAs in fp32 and the epilogue. One body for every element type. */
template <typename T, int TH, int TW, int TC, int NT, int K, int S>
__device__ __forceinline__ void dw_compute_store(const ParamsT<T> &p, const SpTile &t, const T *sx,
                                                 const float *sw, const float *sb) {
    using D = DwShape<TH, TW, TC, NT, K, S>;
    constexpr int NG = D::NG, RB = D::RB, CB = D::CB, PWD = D::PWD, NR = D::NR, NC = D::NC;
    const int C = p.in_c;
    const int n = t.n, c0 = t.c0, cw = t.cw, oy0 = t.oy0, ox0 = t.ox0, th = t.th, tw = t.tw;
    const int g = threadIdx.x % NG, sp = threadIdx.x / NG;
    const int bx = sp % (TW / CB), by = sp / (TW / CB);
    float4 acc[RB][CB];
#pragma unroll
    for (int r = 0; r < RB; r++)
#pragma unroll
        for (int c = 0; c < CB; c++) acc[r][c] = make_float4(0.f, 0.f, 0.f, 0.f);

    /* K = 3 (MobileNet's case): the 9 weights in registers and the row loop
     * fully unrolled, so every index is a constant and no weight is re-read
     * (ncu on H200: the kernel is issue-bound, so instructions are what
     * counts); 96 registers, no spill (ptxas -v, sm_90, nvcc 13.0). K = 5, 7:
     * weights read from shared memory (a warp reads 8 distinct float4, one
     * wavefront) and the row loop rolled, which fits 64 registers; unrolled,
     * their rows' loads are all hoisted and spill. */
    constexpr bool WREG = K == 3;
    float4 wr[WREG ? K * K : 1];
    if constexpr (WREG) {
#pragma unroll
        for (int kk = 0; kk < K * K; kk++)
            wr[kk] = *reinterpret_cast<const float4 *>(sw + kk * TC + g * 4);
    }
    const T *base = sx + ((by * RB * S) * PWD + bx * CB * S) * TC + g * 4;
#pragma unroll(WREG ? NR : 1)
    for (int r = 0; r < NR; r++) {
        float4 v[NC];
#pragma unroll
        for (int c = 0; c < NC; c++) v[c] = lds_patch4(base + (r * PWD + c) * TC);
#pragma unroll
        for (int rb = 0; rb < RB; rb++) {
            const int ky = r - rb * S;
            if (ky < 0 || ky >= K) continue;
#pragma unroll
            for (int kx = 0; kx < K; kx++) {
                float4 w;
                if constexpr (WREG)
                    w = wr[ky * K + kx];
                else
                    w = *reinterpret_cast<const float4 *>(sw + (ky * K + kx) * TC + g * 4);
#pragma unroll
                for (int cb = 0; cb < CB; cb++) fma4(acc[rb][cb], v[cb * S + kx], w);
            }
        }
    }

    /* epilogue: bias, activation, residual, store */
    const float4 bias = *reinterpret_cast<const float4 *>(sb + g * 4);
    const int cg = g * 4;
    if (cg >= cw) return;
#pragma unroll
    for (int rb = 0; rb < RB; rb++) {
#pragma unroll
        for (int cb = 0; cb < CB; cb++) {
            const int ly = by * RB + rb, lx = bx * CB + cb;
            if (ly >= th || lx >= tw) continue;
            const long long off =
                (((long long)n * p.out_h + oy0 + ly) * p.out_w + ox0 + lx) * C + c0 + cg;
            epilogue_group(p, off, acc[rb][cb], bias, p.act0, cg, cw);
        }
    }
}

/* Register cap: 96 for K = 3 (see below), 64 otherwise, so that several CTAs
 * per SM overlap one's loads with another's arithmetic. */
template <typename T, int TH, int TW, int TC, int NT, int K, int S>
__global__ void __maxnreg__(K == 3 ? 96 : 64) dw_kernel(ParamsT<T> p) {
    static_assert(std::is_same<T, float>::value, FK_F32_STAGING);
    using D = DwShape<TH, TW, TC, NT, K, S>;
    constexpr int NG = D::NG, PH = D::PH, PWD = D::PWD;

    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const cm_smem_dw L = cm_smem_dw_layout(TH, TW, TC, K, S);
    float *sx = sm + L.x, *sw = sm + L.w, *sb = sm + L.b;

    const int C = p.in_c;
    const SpTile t = sp_tile<TH, TW, TC>(p, C, K, S);
    const int n = t.n, c0 = t.c0, cw = t.cw;
    const int iy0 = t.iy0, ix0 = t.ix0, ly0 = t.ly0, ly1 = t.ly1, lx0 = t.lx0, lx1 = t.lx1;
    const float *xb = p.x + (long long)n * p.in_h * p.in_w * C + c0;

    for (int i = threadIdx.x; i < PH * PWD * NG; i += NT) {
        const int q = i % NG, pix = i / NG;
        const int py = pix / PWD, px = pix % PWD;
        float *dst = sx + pix * TC;
        if (py >= ly0 && py < ly1 && px >= lx0 && px < lx1)
            copy_group(dst, xb + ((long long)(iy0 + py) * p.in_w + (ix0 + px)) * C, cw, q, p.vec);
        else
            *reinterpret_cast<float4 *>(dst + q * 4) = make_float4(0.f, 0.f, 0.f, 0.f);
    }
    /* weights: one contiguous segment, stored transposed [kk][c]; then the
     * bias. By 4-byte cp.async, so that they are in flight together with the
     * patch (plain loads would stall each thread once per element) */
    {
        const float *wg = p.w0 + (long long)c0 * K * K;
        for (int i = threadIdx.x; i < TC * K * K; i += NT) {
            const int c = i / (K * K), kk = i % (K * K);
            cp_async4(sw + kk * TC + c, c < cw ? wg + i : wg, c < cw ? 4 : 0);
        }
        for (int i = threadIdx.x; i < TC; i += NT)
            cp_async4(sb + i, p.b0 + c0 + (i < cw ? i : 0), i < cw ? 4 : 0);
    }
    cp_async_wait_all();
    __syncthreads();

    dw_compute_store<T, TH, TW, TC, NT, K, S>(p, t, sx, sw, sb);
}

/* The 16-bit rows' launcher (fk_dw16.cuh, included by their translation
 * units only). */
template <typename T, int TH, int TW, int TC, int NT>
fk_status dw16_launch(const Launch &l);

/* One kernel per (K, S) that a DW row supports: 3, 5, 7 x 1, 2. */
template <>
struct Family<CM_KIND_DW, CM_MATH_SIMT> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        static_assert(CC == TC, "DW rows have chunk_c == tile_c");
        if constexpr (sizeof(T) == 2) return dw16_launch<T, TH, TW, TC, NT>(l);
        else {
        static const char *names[] = {"dw_kernel<K3,S1>", "dw_kernel<K3,S2>",
                                      "dw_kernel<K5,S1>", "dw_kernel<K5,S2>",
                                      "dw_kernel<K7,S1>", "dw_kernel<K7,S2>"};
        const RawParams &p = *l.p;
        switch (p.k * 10 + p.s) {
        case 31: return launch_kernel<T>(dw_kernel<T, TH, TW, TC, NT, 3, 1>, names[0], NT, l);
        case 32: return launch_kernel<T>(dw_kernel<T, TH, TW, TC, NT, 3, 2>, names[1], NT, l);
        case 51: return launch_kernel<T>(dw_kernel<T, TH, TW, TC, NT, 5, 1>, names[2], NT, l);
        case 52: return launch_kernel<T>(dw_kernel<T, TH, TW, TC, NT, 5, 2>, names[3], NT, l);
        case 71: return launch_kernel<T>(dw_kernel<T, TH, TW, TC, NT, 7, 1>, names[4], NT, l);
        case 72: return launch_kernel<T>(dw_kernel<T, TH, TW, TC, NT, 7, 2>, names[5], NT, l);
        default:
            return fk_fail(FK_ERR_UNSUPPORTED, l.err, l.err_len,
                           "dw: kernel %d stride %d not compiled (K 3/5/7, stride 1/2)", p.k,
                           p.s);
        }
        }
    }
};

} // namespace fk

#endif
