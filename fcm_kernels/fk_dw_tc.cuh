/* fk_dw_tc.cuh - the depthwise stage of the fused tensor-core kernels (DWPW
 * and PWDWPW, math TC): one chunk of KC channels of a staged patch (element
 * rows KSE = stride_elems(KC) apart, the patch's PW = (TW-1)*S + K pixels a
 * row, zeros outside the image) into the M x KC result tile D (same row
 * stride), act(bd + sum over the K x K window), one rounding to the element.
 *
 * 16-bit elements: on tensor cores, as m16n8k16 multiplies by diagonal
 * matrices. For 8 channels [c0, c0+8) and two taps a, b of the window,
 *   D[q][c] += XE[patch(q, a)][c] * w[c][a] + XE[patch(q, b)][c] * w[c][b]
 * is one mma with A = the 16 patch rows of tap a (k 0-7) and of tap b (k
 * 8-15), gathered by one ldmatrix.x4 (each lane gives the address of its own
 * row, so the window's rows need no copy), and B = diag(w[.][a]) over
 * diag(w[.][b]) (16 x 8, zero off the diagonals). The tensor core does 8x the
 * useful multiplies, but a K = 3 window of 16 outputs x 8 channels is 5 mma
 * and 5 ldmatrix per warp where the CUDA-core stage below takes per thread
 * 9 taps x (one 8-byte load, 4 conversions to fp32, 4 FFMA) per 4 outputs
 * plus the weights' loads and conversions: ncu showed the PWDWPW kernels
 * issue-bound (IPC 2.5, H100, bench/kernels/NOTES.md), so instructions are
 * what counts. Products are exact and accumulate in fp32 (as the FFMA path);
 * the bias is the C operand of the first tap pair's mma. One difference in kind: a non-finite
 * patch value (inf, NaN) multiplies the zeros of its 8-channel block, so it
 * turns the block's other 7 outputs of that pixel into NaN, where the CUDA-
 * core stage keeps it to its own channel. The patch values are outputs of a
 * finite input and finite weights (act0 ReLU6 clamps them; the DWPW input is
 * the model's own tensor), so this needs an fp16 overflow upstream.
 *
 * Warps: the (M/16) x (KC/8) (m16 tile, channel block) pairs split with one
 * channel block per warp (NW >= KC/8: warp w takes block w % (KC/8) and every
 * (NW/(KC/8))-th m16 tile) or all m16 tiles and KC/8/NW blocks per warp; the
 * lane's diagonal B entries are rebuilt per tap pair from the 16-bit weights
 * ([c][kk], the global order staged by the kernels), two 2-byte loads and a
 * shift per pair, shared by the warp's m16 tiles.
 *
 * fp32 (TF32 kernels): on CUDA cores in fp32 exactly as the fp32 SIMT DW (a
 * thread per 4 channels and ITEMS outputs, 16-byte loads, FFMA): TF32 would
 * round the DW's operands, which the fp32 kernels' contract does not allow.
 * That accumulation (dw_simt_acc) is also PWDW's DW in every element type
 * (fk_pwdw_tc.cuh, its result straight into the epilogue).
 */
#ifndef FUSEPLAN_FK_DW_TC_CUH
#define FUSEPLAN_FK_DW_TC_CUH

#include "fk_elem.cuh"
#include "fk_mma.cuh"

namespace fk {

/* The CUDA-core DW's accumulation, shared by fused_dw_simt below and PWDW's
 * tensor-core kernel (fk_pwdw_tc.cuh), whose DW feeds the epilogue instead:
 * thread t < M*NG takes channel group g = t % NG (4 channels) and the ITEMS
 * outputs t, t + NT, ...; a[u] = b[g] + sum over the K x K window of the
 * staged patch src (pixel rows rse elements apart, pw pixels a patch row,
 * stride s) times wd[c][kk], fp32 arithmetic. */
template <int TH, int TW, int NG, int NT>
struct DwSimtItems {
    static constexpr int TOTAL = TH * TW * NG, N = (TOTAL + NT - 1) / NT;
};
template <typename T, int TH, int TW, int NG, int NT, int K>
__device__ __forceinline__ void dw_simt_acc(const T *src, int rse, int pw, int s, const T *wd,
                                            const float *bd,
                                            float4 (&a)[DwSimtItems<TH, TW, NG, NT>::N]) {
    using I = DwSimtItems<TH, TW, NG, NT>;
    constexpr int ITEMS = I::N;
    const int g = threadIdx.x % NG;
    int ip[ITEMS]; /* element offsets into src (ints: half the registers of pointers) */
    const float4 b = *reinterpret_cast<const float4 *>(bd + g * 4);
#pragma unroll
    for (int u = 0; u < ITEMS; u++) {
        const int it = min((int)threadIdx.x + u * NT, I::TOTAL - 1), q = it / NG;
        const int qy = q / TW, qx = q - qy * TW;
        a[u] = b;
        ip[u] = (qy * s * pw + qx * s) * rse + g * 4;
    }
    const T *wg = wd + g * 4 * K * K;
#pragma unroll
    for (int ky = 0; ky < K; ky++)
#pragma unroll
        for (int kx = 0; kx < K; kx++) {
            const int kk = ky * K + kx;
            const float4 w = make_float4(elem_to_f32(wg[kk]), elem_to_f32(wg[K * K + kk]),
                                         elem_to_f32(wg[2 * K * K + kk]),
                                         elem_to_f32(wg[3 * K * K + kk]));
#pragma unroll
            for (int u = 0; u < ITEMS; u++) fma4(a[u], lds4_f32(src + ip[u] + (ky * pw + kx) * rse), w);
        }
}

/* CUDA cores: D[q][c] = act(bd[c] + sum XE[patch(q,kk)][c] * wd[c][kk]) for
 * the M outputs q and KC channels, fp32 arithmetic. */
template <typename T, int TH, int TW, int KC, int NT, int K, int S>
__device__ __forceinline__ void fused_dw_simt(const T *xe, const T *wd, const float *bd, int act,
                                              T *d) {
    constexpr int NG = KC / 4, KSE = TcElem<T>::stride_elems(KC);
    using I = DwSimtItems<TH, TW, NG, NT>;
    static_assert(NT % NG == 0, "fused DW: threads must be a multiple of the chunk's groups");
    if (threadIdx.x >= I::TOTAL) return;
    float4 a[I::N];
    dw_simt_acc<T, TH, TW, NG, NT, K>(xe, KSE, (TW - 1) * S + K, S, wd, bd, a);
    const int g = threadIdx.x % NG;
#pragma unroll
    for (int u = 0; u < I::N; u++) {
        const int it = threadIdx.x + u * NT;
        if (it < I::TOTAL) sts4_from_f32(d + (it / NG) * KSE + g * 4, act4(a[u], act));
    }
}

/* Tensor cores (16-bit T): the diagonal-B mma form described above. */
template <typename T, int TH, int TW, int KC, int NT, int K, int S>
__device__ __forceinline__ void fused_dw_mma(const T *xe, const T *wd, const float *bd, int act,
                                             T *d) {
    static_assert(sizeof(T) == 2, "the diagonal-mma DW is for 16-bit elements");
    constexpr int M = TH * TW, MT = M / 16, NCB = KC / 8, NW = NT / 32;
    constexpr int PW = (TW - 1) * S + K, KK = K * K, NP = (KK + 1) / 2;
    constexpr int KSE = TcElem<T>::stride_elems(KC), RSB = KSE * 2;
    constexpr bool ONE_CB = NW >= NCB;            /* one channel block per warp */
    constexpr int WPC = ONE_CB ? NW / NCB : 1;    /* warps per channel block */
    constexpr int CW = ONE_CB ? 1 : NCB / NW;     /* channel blocks per warp */
    constexpr int MW = MT / WPC;                  /* m16 tiles per warp */
    static_assert(M % 16 == 0 && KC % 8 == 0, "fused DW (mma): tile pixels % 16, chunk % 8");
    static_assert(ONE_CB ? NW % NCB == 0 && MT % WPC == 0 : NCB % NW == 0,
                  "fused DW (mma): the warps do not split the (m16 tile, channel block) pairs");
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, t4 = lane & 3;
    const int cb0 = ONE_CB ? warp % NCB : warp, mt0 = ONE_CB ? warp / NCB : 0;
    /* the ldmatrix row of this lane: output q = m16 tile row lane & 15, its
     * window's top-left patch pixel; lanes 16-31 address the pair's second tap */
    uint32_t abase[MW];
#pragma unroll
    for (int i = 0; i < MW; i++) {
        const int q = (mt0 + i * WPC) * 16 + (lane & 15), qy = q / TW, qx = q - qy * TW;
        abase[i] = smem_u32(xe) + (uint32_t)((qy * S * PW + qx * S) * RSB);
    }
    const bool second = lane >= 16;
    /* diagonal B: the lane holds rows k = 2*t4, 2*t4 + 1 (+8: the second tap)
     * of column g; entry (k, g) is w[c0 + g] where k == g, else 0 */
    const int dk = g - 2 * t4;
    const uint32_t bmask = dk == 0 ? 0xffffu : (dk == 1 ? 0xffff0000u : 0u);
    const int bshift = dk == 1 ? 16 : 0;
    const uint16_t *w16 = reinterpret_cast<const uint16_t *>(wd);
    float acc[CW][MW][4], bias[CW][4]; /* bias: the C of the first tap pair's mma */
#pragma unroll
    for (int j = 0; j < CW; j++) {
        const float2 b = *reinterpret_cast<const float2 *>(bd + (cb0 + j * NW) * 8 + 2 * t4);
        bias[j][0] = bias[j][2] = b.x;
        bias[j][1] = bias[j][3] = b.y;
    }
#pragma unroll
    for (int tp = 0; tp < NP; tp++) {
        const int ta = 2 * tp, tb = 2 * tp + 1 < KK ? 2 * tp + 1 : ta; /* odd KK: a zero tap */
        const int offa = (ta / K) * PW + ta % K, offb = (tb / K) * PW + tb % K;
        const uint32_t off = (uint32_t)((second ? offb : offa) * RSB);
#pragma unroll
        for (int j = 0; j < CW; j++) {
            const int cb = cb0 + j * NW;
            const uint16_t *wc = w16 + (cb * 8 + g) * KK;
            const uint32_t wa = wc[ta], wb = 2 * tp + 1 < KK ? (uint32_t)wc[tb] : 0u;
            const uint32_t b0 = (wa << bshift) & bmask, b1 = (wb << bshift) & bmask;
#pragma unroll
            for (int i = 0; i < MW; i++) {
                uint32_t a[4];
                ldsm_x4(a, abase[i] + off + cb * 16);
                if (tp == 0)
                    mma_16816_c<T>(acc[j][i], a, b0, b1, bias[j]);
                else
                    mma_16816<T>(acc[j][i], a, b0, b1);
            }
        }
    }
    const ElemClamp<T> ac = elem_clamp<T>(act_clamp(act));
#pragma unroll
    for (int j = 0; j < CW; j++)
#pragma unroll
        for (int i = 0; i < MW; i++) {
            const int r = (mt0 + i * WPC) * 16 + g, c = (cb0 + j * NW) * 8 + 2 * t4;
            sts2_clamped(d + r * KSE + c, acc[j][i][0], acc[j][i][1], ac);
            sts2_clamped(d + (r + 8) * KSE + c, acc[j][i][2], acc[j][i][3], ac);
        }
}

/* The chunk's DW for the runtime kernel size and stride (3, 5, 7 x 1, 2):
 * tensor cores for 16-bit elements, CUDA cores for fp32. */
template <typename T, int TH, int TW, int KC, int NT>
__device__ __forceinline__ void fused_dw(const T *xe, int K, int S, const T *wd, const float *bd,
                                         int act, T *d) {
#define FK_FUSED_DW(KK_, SS_)                                                                    \
    if (K == KK_ && S == SS_) {                                                                  \
        if constexpr (sizeof(T) == 2)                                                            \
            fused_dw_mma<T, TH, TW, KC, NT, KK_, SS_>(xe, wd, bd, act, d);                       \
        else                                                                                     \
            fused_dw_simt<T, TH, TW, KC, NT, KK_, SS_>(xe, wd, bd, act, d);                      \
        return;                                                                                  \
    }
    FK_FUSED_DW(3, 1)
    FK_FUSED_DW(3, 2)
    FK_FUSED_DW(5, 1)
    FK_FUSED_DW(5, 2)
    FK_FUSED_DW(7, 1)
    FK_FUSED_DW(7, 2)
#undef FK_FUSED_DW
}

} // namespace fk

#endif
