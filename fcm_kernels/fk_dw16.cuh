/* fk_dw16.cuh - depthwise convolution (kind DW) in fp16 / bf16 on CUDA cores
 * (math SIMT): the fp32 kernel's structure (fk_dw.cuh: one CTA = TH x TW output
 * pixels x TC channels of one image, each thread a group of 4 channels and an
 * RB x CB block of outputs, sliding window over the rows it needs, weights in
 * registers for K = 3) with 16-bit staging:
 *
 *  - the input patch is staged in its element type ([pixel][TC] 16-bit, half
 *    the bytes of fp32) by 16-byte cp.async (8 channels) where every pixel row
 *    is 16-byte aligned (C % 8 == 0), else by plain 2-byte loads;
 *  - a thread reads its 4 channels of a patch pixel as one 8-byte load (two
 *    packed half2 / bfloat162) and converts them to fp32;
 *  - the multiply-adds and the accumulators are fp32 (FFMA): the reduction is
 *    only K*K long, but half2 accumulation would round every partial sum to 11
 *    (bf16: 8) bits, as large an error as the output rounding itself; fp32
 *    keeps the result within one output rounding of the exact sum;
 *  - the weights are converted to fp32 once, on load, into the transposed
 *    [kk][c] fp32 table the fp32 kernel uses; the bias is fp32 already.
 *
 * Global traffic per CTA is the contract's, as the fp32 kernel's: one segment
 * X[n][iy][ix][c0..c0+c') per loaded patch pixel, the weights [c0*K*K,
 * (c0+c')*K*K) as one segment, the bias, then per output pixel the residual
 * and store segments (epilogue_group). Shared memory: cm_smem_dw16_layout. */
#ifndef FUSEPLAN_FK_DW16_CUH
#define FUSEPLAN_FK_DW16_CUH

#include "fk_dw.cuh"
#include "fk_mma.cuh"

namespace fk {

/* The 16-bit patch, widened to fp32 as dw_compute_store reads it. */
template <> __device__ __forceinline__ float4 lds_patch4<__half>(const __half *s) { return lds4_f32(s); }
template <> __device__ __forceinline__ float4 lds_patch4<__nv_bfloat16>(const __nv_bfloat16 *s) {
    return lds4_f32(s);
}

template <typename T, int TH, int TW, int TC, int NT, int K, int S>
__global__ void __maxnreg__(K == 3 ? 96 : 64) dw16_kernel(ParamsT<T> p) {
    static_assert(sizeof(T) == 2, "16-bit elements");
    using D = DwShape<TH, TW, TC, NT, K, S>;
    constexpr int PH = D::PH, PWD = D::PWD;
    static_assert(TC % 8 == 0, "tile_c must be a multiple of 8 (16-byte rows)");
    constexpr int G8 = TC / 8; /* 16-byte groups per patch pixel */

    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const cm_smem_dw16 L = cm_smem_dw16_layout(TH, TW, TC, K, S);
    T *sx = reinterpret_cast<T *>(sm + L.x);
    float *sw = sm + L.w, *sb = sm + L.b;

    const int C = p.in_c;
    const SpTile t = sp_tile<TH, TW, TC>(p, C, K, S);
    const int n = t.n, c0 = t.c0, cw = t.cw;
    const int iy0 = t.iy0, ix0 = t.ix0, ly0 = t.ly0, ly1 = t.ly1, lx0 = t.lx0, lx1 = t.lx1;
    const T *xb = p.x + (long long)n * p.in_h * p.in_w * C + c0;
    const int vec = p.vec && C % 8 == 0;

    for (int i = threadIdx.x; i < PH * PWD * G8; i += NT) {
        const int q = i % G8, pix = i / G8;
        const int py = pix / PWD, px = pix % PWD;
        T *dst = sx + pix * TC;
        if (py >= ly0 && py < ly1 && px >= lx0 && px < lx1)
            copy_row16(dst, xb + ((long long)(iy0 + py) * p.in_w + (ix0 + px)) * C, cw, q, vec);
        else
            zero16(dst + q * 8);
    }
    /* weights: the one segment [c0*K*K, (c0+c')*K*K), converted to fp32 and
     * transposed to [kk][c] while the patch is in flight; then the bias */
    {
        const T *wg = p.w0 + (long long)c0 * K * K;
        for (int i = threadIdx.x; i < TC * K * K; i += NT) {
            const int c = i / (K * K), kk = i % (K * K);
            sw[kk * TC + c] = c < cw ? ElemTraits<T>::load(wg + i) : 0.f;
        }
        for (int i = threadIdx.x; i < TC; i += NT) sb[i] = i < cw ? __ldg(p.b0 + c0 + i) : 0.f;
    }
    cp_async_wait_all();
    __syncthreads();

    dw_compute_store<T, TH, TW, TC, NT, K, S>(p, t, sx, sw, sb);
}

/* The 16-bit DW rows of Family<CM_KIND_DW, CM_MATH_SIMT> (fk_dw.cuh forwards
 * here): one kernel per kernel size and stride, as the fp32 rows. */
template <typename T, int TH, int TW, int TC, int NT>
fk_status dw16_launch(const Launch &l) {
    static const char *names[] = {"dw16_kernel<K3,S1>", "dw16_kernel<K3,S2>",
                                  "dw16_kernel<K5,S1>", "dw16_kernel<K5,S2>",
                                  "dw16_kernel<K7,S1>", "dw16_kernel<K7,S2>"};
    const RawParams &p = *l.p;
    switch (p.k * 10 + p.s) {
    case 31: return launch_kernel<T>(dw16_kernel<T, TH, TW, TC, NT, 3, 1>, names[0], NT, l);
    case 32: return launch_kernel<T>(dw16_kernel<T, TH, TW, TC, NT, 3, 2>, names[1], NT, l);
    case 51: return launch_kernel<T>(dw16_kernel<T, TH, TW, TC, NT, 5, 1>, names[2], NT, l);
    case 52: return launch_kernel<T>(dw16_kernel<T, TH, TW, TC, NT, 5, 2>, names[3], NT, l);
    case 71: return launch_kernel<T>(dw16_kernel<T, TH, TW, TC, NT, 7, 1>, names[4], NT, l);
    case 72: return launch_kernel<T>(dw16_kernel<T, TH, TW, TC, NT, 7, 2>, names[5], NT, l);
    default:
        return fk_fail(FK_ERR_UNSUPPORTED, l.err, l.err_len,
                       "dw: kernel %d stride %d not compiled (K 3/5/7, stride 1/2)", p.k, p.s);
    }
}

} // namespace fk

#endif
