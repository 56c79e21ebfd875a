/* fk_pwdwpw_tc.cuh - the whole inverted-residual block (kind PWDWPW) in fp16 /
 * bf16, and in fp32 as TF32 (issue 12: T = float, m16n8k8 .tf32 on operands
 * rounded by cvt.rna, every intermediate kept in fp32, the DW in fp32 exactly
 * as the fp32 SIMT kernels compute it), with both PWs on tensor cores (math
 * TC), the DW on tensor cores for 16 bits and on CUDA cores for fp32
 * (fk_dw_tc.cuh): expand PW (C -> E) + act0, DW (K, S) + act1, project PW
 * (E -> F) + act2, optional residual. Neither the expanded tensor nor the DW
 * output touches global memory.
 *
 * Global traffic per CTA is the contract's (costmodel.h), as the fp32 kernel's
 * (fk_pwdwpw.cuh): the input patch with all C channels, one segment
 * X[n][iy][ix][0..C) per loaded patch pixel, kept in shared memory for the
 * whole CTA; then per chunk of KC expanded channels [ec, ec+e'): W1[e][0..C)
 * per e, bias1 [ec, ec+e'), the DW weights [ec*K*K, (ec+e')*K*K) as one
 * segment, the DW bias, W2[o][ec..ec+e') per o of the tile (16-byte cp.async
 * for the element rows where aligned, else plain 2-byte loads (16-bit) or
 * 4-byte cp.async (fp32); 4-byte cp.async for the fp32 biases);
 * then bias2; then per output pixel the residual and the store segments
 * (epilogue_group). Chunk i+1's weights load into the second buffer while
 * chunk i computes; three barriers per chunk.
 *
 * Per chunk:
 *  (1) XE = act0(X . W1^T + b1) over the patch on tensor cores (m16n8k16,
 *      tf32 m16n8k8): the patch's P pixels padded to P16 rows (zeros) x KC
 *      channels, k = C rounded up to a k-step (16 16-bit, 8 fp32; zeros past
 *      C); each warp takes m16 row tiles in
 *      turn and all KC columns, 32 at a time; positions outside the loaded part of the patch
 *      are 0 (the DW's zero padding, not act0(b1)); XE is stored in the
 *      element type (one rounding, as the unfused layer's output; none for
 *      fp32).
 *  (2) D = act1(DW(XE) + bd) (fk_dw_tc.cuh): 16-bit on tensor cores (mma
 *      by diagonal weight matrices, fp32 accumulators), fp32 on CUDA cores;
 *      D stored in the element type (the projection's A).
 *  (3) acc += D . W2^T on tensor cores, fp32 accumulators in registers across
 *      all chunks (warps WM2 x WN2 over the TH*TW x TC tile).
 * Epilogue: straight from the accumulator fragments (epilogue_frags: lanes
 * pair up into 4-channel groups by one shuffle), bias2, act2, residual, one
 * rounding to the element type.
 *
 * Shared memory: cm_smem_pwdwpw_tc_layout_es (cm_smem_layout.h); every
 * matrix row is an odd number of 16-byte units long (conflict-free ldmatrix).
 */
#ifndef FUSEPLAN_FK_PWDWPW_TC_CUH
#define FUSEPLAN_FK_PWDWPW_TC_CUH

#include "fk_dispatch.cuh"
#include "fk_dw_tc.cuh"
#include "fk_epilogue.cuh"
#include "fk_mma.cuh"
#include "fk_tile.cuh"

namespace fk {

template <typename T, int TH, int TW, int TC, int KC, int NT>
struct PwdwpwTcShape {
    static constexpr int M = TH * TW;
    static constexpr int NW = NT / 32;
    /* projection warps: WTN2 channels x WTM2 pixels each */
    static constexpr int WTN2 = TC >= 32 ? 32 : TC;
    static constexpr int WN2 = TC / WTN2;
    static constexpr int WM2 = NW / WN2;
    static constexpr int WTM2 = M / WM2;
    static constexpr int MT2 = WTM2 / 16, NT82 = WTN2 / 8;
    static constexpr int N81 = KC / 8; /* expansion n8 tiles (all KC per warp) */
    static constexpr int N8G = N81 > 4 ? 4 : N81; /* of them per column group */
    static constexpr int MK = TcElem<T>::kK;              /* mma k, elements */
    static constexpr int KS = TcElem<T>::stride_words(KC); /* XE, D, W2 row stride, words */
    static constexpr int NG = KC / 4;                  /* DW channel groups */
    static_assert(NT % 32 == 0 && WN2 * WTN2 == TC && WM2 * WN2 == NW && WM2 * WTM2 == M,
                  "PWDWPW TC: the warps do not tile the projection");
    static_assert(WTM2 % 16 == 0 && WTN2 % 16 == 0, "PWDWPW TC: projection warp tile");
    static_assert(KC % 16 == 0 && KC % MK == 0 && TC % 32 == 0,
                  "PWDWPW TC: chunk_c % 16, tile_c % 32");
    static_assert(NT % NG == 0, "PWDWPW TC: threads must be a multiple of the chunk's groups");
    static_assert(N81 % N8G == 0 && N8G % 2 == 0, "PWDWPW TC: chunk_c % 32 when over 32");
    /* the most m16 expansion tiles a warp takes: the largest patch the DW
     * variants allow (K <= 7, S <= 2; fp_plan.c, checked again at launch) */
    static constexpr int P_MAX = ((TH - 1) * 2 + 7) * ((TW - 1) * 2 + 7);
    static constexpr int MT_PER_WARP = ((P_MAX + 15) / 16 + NW - 1) / NW;
    static_assert(MT_PER_WARP <= 16, "PWDWPW TC: a warp's expansion rows must fit a 32-bit mask");
    /* The expansion's k-loop (ck / MK k-steps, known at run time): rolled, with
     * the bias as the accumulators' start, for the 16-bit chunk-32 rows; else
     * unrolled with the bias as the first k-step's C (mma_tc_c). Rolled, the
     * 16-bit chunk-32 rows hold 64 registers instead of 96 (ptxas sm_90, nvcc
     * 13.0): the 16x16 x 32 row then runs 2 CTAs per SM, MobileNetV2 fp16 b64
     * b4/b5 0.81x, b2 0.97x, MnasNet-B1 b2-b4 0.97-0.98x; b1 and b3, held by
     * shared memory, 1.02x and 1.05x. The chunk-64 row (MobileNetV2 b7-b9,
     * 4 k-steps, 1.025x) and TF32 (2-4 k-steps of 8, 1.02-1.08x) lost to the
     * exposed ldmatrix latency of a rolled loop (H200, one call,
     * bench/results/2026-12-07-NVIDIA_H200-s16). */
    static constexpr bool ROLLED_K = sizeof(T) == 2 && KC == 32;
};

/* Chunk [en, en+ew)'s weights into buffer `buf` (word pointer): W1 rows, b1,
 * the DW weights (one 16-bit segment, global order), bd, W2 rows. */
template <typename T, int TC, int KC, int NT>
__device__ __forceinline__ void pwdwpw_tc_stage(const ParamsT<T> &p, const cm_smem_pwdwpw_tc &L,
                                                const SpTile &t, float *buf, int en, int ew,
                                                int cse, int cq) {
    constexpr int KSE = TcElem<T>::stride_elems(KC), KV = TcElem<T>::kVec;
    const int C = p.in_c, E = p.mid_c, KK = p.k * p.k;
    const int vc = p.vec && C % KV == 0, ve = p.vec && E % KV == 0;
    T *w1 = reinterpret_cast<T *>(buf + L.w1);
    for (int i = threadIdx.x; i < KC * cq; i += NT) {
        const int e = i / cq, q = i - e * cq;
        if (e < ew)
            copy_row16(w1 + e * cse, p.w0 + (long long)(en + e) * C, C, q, vc);
        else
            zero16(w1 + e * cse + q * KV);
    }
    float *b1 = buf + L.b1, *bd = buf + L.bd;
    for (int i = threadIdx.x; i < KC; i += NT) {
        cp_async4(b1 + i, i < ew ? p.b0 + en + i : p.b0, i < ew ? 4 : 0);
        cp_async4(bd + i, i < ew ? p.b1 + en + i : p.b1, i < ew ? 4 : 0);
    }
    T *wd = reinterpret_cast<T *>(buf + L.wd);
    const int wq = (KC * KK + KV - 1) / KV;
    for (int q = threadIdx.x; q < wq; q += NT)
        copy_row16(wd, p.w1 + (long long)en * KK, ew * KK, q, p.vec);
    T *w2 = reinterpret_cast<T *>(buf + L.w2);
    constexpr int KQ = KC / KV;
    for (int i = threadIdx.x; i < TC * KQ; i += NT) {
        const int o = i / KQ, q = i - o * KQ;
        if (o < t.cw)
            copy_row16(w2 + o * KSE, p.w2 + (long long)(t.c0 + o) * E + en, ew, q, ve);
        else
            zero16(w2 + o * KSE + q * KV);
    }
}

/* No __launch_bounds__: with __launch_bounds__(NT) ptxas 13.0 (sm_90) held
 * these kernels to 64..72 registers and spilled (4..96 bytes, -Xptxas -v);
 * without it they take 64..128 registers and spill nothing; with (NT, 1)
 * 122..148, which only lowers the CTAs per SM; with (NT, the CTAs per SM
 * of today's counts) or __maxnreg__ ptxas fills the cap and spills 16..68
 * bytes (sixteenth session). The launch uses NT threads. */
template <typename T, int TH, int TW, int TC, int KC, int NT>
__global__ void pwdwpw_tc_kernel(ParamsT<T> p) {
    using Sh = PwdwpwTcShape<T, TH, TW, TC, KC, NT>;
    constexpr int N81 = Sh::N81, MT2 = Sh::MT2, NT82 = Sh::NT82, MK = Sh::MK;
    constexpr int KSB = Sh::KS * 4, KSE = TcElem<T>::stride_elems(KC);
    constexpr int ES = TcElem<T>::esz, KV = TcElem<T>::kVec;
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int K = p.k, S = p.s;
    const int C = p.in_c, E = p.mid_c, F = p.out_c;
    const cm_smem_pwdwpw_tc L = cm_smem_pwdwpw_tc_layout_es(TH, TW, TC, KC, K, S, C, ES);
    /* the X / W1 rows: C rounded up to whole k-steps (zeros past C) */
    const int ck = (C + MK - 1) / MK * MK; /* cm_tc_rk(C, ES), in int as the rest */
    const int csw = (int)cm_tc_stride(ck, ES), cse = csw * 4 / ES, csb = csw * 4;
    const int cq = ck / KV; /* 16-byte groups per X / W1 row */
    const int P = p.ph * p.pw, P16 = (P + 15) / 16 * 16;
    T *xs = reinterpret_cast<T *>(sm + L.x);
    T *xe = reinterpret_cast<T *>(sm + L.e);
    T *ds = reinterpret_cast<T *>(sm + L.d);
    float *b2s = sm + L.b2;

    const SpTile t = sp_tile<TH, TW, TC>(p);
    /* the CTA's runtime divisors (ncu: integer work was the busiest pipe) */
    const FastDiv div_cq(cq), div_pw(p.pw);
    /* the patch, all channels: one segment per loaded pixel; zero rows for the
     * rest of the patch and the padding rows up to P16 */
    {
        const int vc = p.vec && C % KV == 0;
        const T *xb = p.x + (long long)t.n * p.in_h * p.in_w * C;
        for (int i = threadIdx.x; i < P16 * cq; i += NT) {
            const int pix = div_cq.div(i), q = i - pix * cq;
            T *dst = xs + pix * cse;
            const int py = div_pw.div(pix), px = pix - py * p.pw;
            if (pix < P && py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1)
                copy_row16(dst, xb + ((long long)(t.iy0 + py) * p.in_w + (t.ix0 + px)) * C, C, q,
                           vc);
            else
                zero16(dst + q * KV);
        }
    }
    pwdwpw_tc_stage<T, TC, KC, NT>(p, L, t, sm + L.buf, 0, min(KC, E), cse, cq);
    cp_async_commit();
    for (int i = threadIdx.x; i < TC; i += NT) b2s[i] = i < t.cw ? __ldg(p.b2 + t.c0 + i) : 0.f;

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wn2 = warp % Sh::WN2, wm2 = warp / Sh::WN2;
    const int m02 = wm2 * Sh::WTM2, n02 = wn2 * Sh::WTN2;
    float acc[MT2][NT82][4];
#pragma unroll
    for (int i = 0; i < MT2; i++)
#pragma unroll
        for (int j = 0; j < NT82; j++)
#pragma unroll
            for (int r = 0; r < 4; r++) acc[i][j][r] = 0.f;

    const uint32_t xbase = smem_u32(xs), dbase = smem_u32(ds), xebase = smem_u32(xe);
    const int nchunks = (E + KC - 1) / KC;
    /* Which of this lane's rows in the expansion's epilogue lie inside the
     * loaded patch (16-bit: which store their values rather than zeros; fp32:
     * which are stored at all): bit 2*i+h for its rows mt*16 + lane/4 + 8h of the
     * warp's i-th m16 tile (at most 16 tiles: Sh::MT_PER_WARP), decided once
     * here instead of per chunk (two divisions per row and chunk were a large
     * share of the kernel's integer instructions: ncu, H100, 2026-12-06,
     * bench/kernels/NOTES.md). */
    uint32_t rows_in = 0;
    for (int mt = warp, i = 0; mt < P16 / 16; mt += Sh::NW, i++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int r = mt * 16 + (lane >> 2) + h * 8;
            const int py = div_pw.div(r), px = r - py * p.pw;
            if (r < P && py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1)
                rows_in |= 1u << (2 * i + h);
        }
    /* fp32 (TF32): XE's rows outside the loaded patch (the DW's zero padding,
     * and the rows up to P16) are zeroed once here and the expansion writes
     * only the rows inside. 16-bit: the expansion stores every row of its
     * m16 tiles each chunk, zeros outside (stmatrix stores whole rows). */
    if constexpr (ES == 4)
        for (int i = threadIdx.x; i < P16 * Sh::KS / 4; i += NT) zero16(sm + L.e + i * 4);
    const ElemClamp<T> act0 = elem_clamp<T>(act_clamp(p.act0));
    /* ReLU / ReLU6 (a lower bound of 0): ReLU in the conversion and one
     * NaN-propagating min with relu0_hi (stsm_frags_relu) */
    const bool relu0 = p.act0 != CM_ACT_NONE;
    uint32_t relu0_hi = 0u;
    if constexpr (ES == 2) {
        const float b = p.act0 == CM_ACT_RELU6 ? 6.f : __int_as_float(0x7f800000); /* +inf */
        relu0_hi = pack2_f32<T>(b, b);
    }
    for (int ci = 0; ci < nchunks; ci++) {
        float *cur = sm + L.buf + (ci & 1) * L.bufsize;
        float *nxt = sm + L.buf + ((ci + 1) & 1) * L.bufsize;
        /* S1: chunk ci's weights (and the patch) have landed; every read of
         * chunk ci-1 (XE, D, buffer nxt) is done */
        cp_async_wait_all();
        __syncthreads();
        if (ci + 1 < nchunks) {
            const int en = (ci + 1) * KC;
            pwdwpw_tc_stage<T, TC, KC, NT>(p, L, t, nxt, en, min(KC, E - en), cse, cq);
            cp_async_commit();
        }
        /* (1) expansion over the patch, m16 row tiles round-robin over warps,
         * the chunk's columns in groups of N8G n8 tiles (32 columns: a chunk of
         * 64 in one group held 142 (8x8 c32) and 172 (8x8 c64) registers at
         * n128, ptxas sm_90, nvcc 13.0; in two groups 126-128). The lane's b1 pairs
         * (columns j*8 + (lane&3)*2 + {0,1}) enter the accumulators before the
         * first k-step, so the epilogue is a rounding, a clamp and a store per
         * pair. The k-loop has two forms (Sh::ROLLED_K): rolled, the bias
         * copied into the accumulators; or unrolled, the bias as the first
         * k-step's C (nvcc peels that step and issues both mma forms in it
         * under predicates: 8 HMMA for 4 and 8 register copies a tile). */
        {
            const uint32_t w1base = smem_u32(cur + L.w1);
            constexpr int N8G = Sh::N8G;
#pragma unroll 1
            for (int ng = 0; ng < N81 / N8G; ng++) {
                const int n0 = ng * N8G * 8; /* the group's first column */
                float b1c[N8G][4];
#pragma unroll
                for (int j = 0; j < N8G; j++) {
                    const float2 b = *reinterpret_cast<const float2 *>(cur + L.b1 + n0 + j * 8 +
                                                                       (lane & 3) * 2);
                    b1c[j][0] = b1c[j][2] = b.x;
                    b1c[j][1] = b1c[j][3] = b.y;
                }
                /* the tile's two row bits, shifted out tile by tile */
                uint32_t rows = rows_in;
                for (int mt = warp; mt < P16 / 16; mt += Sh::NW, rows >>= 2) {
                    /* k-step ks's A (patch rows) and B (W1 rows) fragments;
                     * k offsets in 16-bit units: 32 bytes per k-step (fk_mma.cuh) */
                    auto expand_frags = [&](uint32_t(&af)[4], uint32_t(&bf)[N8G / 2][4], int ks) {
                        const int kh = ks * 16;
                        ldsm_x4(af, frag_a(xbase, csb, mt * 16, kh, lane));
                        tc_round<T>(af);
#pragma unroll
                        for (int j = 0; j < N8G / 2; j++) {
                            ldsm_x4(bf[j], frag_b2(w1base, csb, n0 + j * 16, kh, lane));
                            tc_round<T>(bf[j]);
                        }
                    };
                    float a1[N8G][4];
                    if constexpr (Sh::ROLLED_K) {
                        /* the bias starts the accumulators; one rolled k-loop */
#pragma unroll
                        for (int j = 0; j < N8G; j++)
#pragma unroll
                            for (int r = 0; r < 4; r++) a1[j][r] = b1c[j][r];
#pragma unroll 1
                        for (int ks = 0; ks < ck / MK; ks++) {
                            uint32_t af[4], bf[N8G / 2][4];
                            expand_frags(af, bf, ks);
#pragma unroll
                            for (int j = 0; j < N8G; j++)
                                mma_tc<T>(a1[j], af, bf[j / 2][(j & 1) * 2],
                                          bf[j / 2][(j & 1) * 2 + 1]);
                        }
                    } else {
                        /* the bias as the first k-step's C */
                        for (int ks = 0; ks < ck / MK; ks++) {
                            uint32_t af[4], bf[N8G / 2][4];
                            expand_frags(af, bf, ks);
                            if (ks == 0) {
#pragma unroll
                                for (int j = 0; j < N8G; j++)
                                    mma_tc_c<T>(a1[j], af, bf[j / 2][(j & 1) * 2],
                                                bf[j / 2][(j & 1) * 2 + 1], b1c[j]);
                            } else {
#pragma unroll
                                for (int j = 0; j < N8G; j++)
                                    mma_tc<T>(a1[j], af, bf[j / 2][(j & 1) * 2],
                                              bf[j / 2][(j & 1) * 2 + 1]);
                            }
                        }
                    }
                    /* act0 and one rounding to T; the lane's rows g, g+8
                     * of the tile: inside the loaded patch or not */
                    const bool in[2] = {(rows & 1u) != 0, (rows & 2u) != 0};
                    if constexpr (ES == 2) {
                        /* every row stored, a row outside with bounds {0, 0}
                         * (ReLU / ReLU6: ReLU in the conversion, upper bound 0):
                         * zeros, the DW's padding (stmatrix, fk_mma.cuh) */
                        const uint32_t xeblock = xebase + (uint32_t)(mt * 16 * KSB + n0 * 2);
                        if (relu0) {
                            const uint32_t hs[2] = {in[0] ? relu0_hi : 0u, in[1] ? relu0_hi : 0u};
                            stsm_frags_relu<T, N8G>(xeblock, KSB, a1, hs, lane);
                        } else {
                            const ElemClamp<T> ch[2] = {in[0] ? act0 : ElemClamp<T>{0u, 0u},
                                                        in[1] ? act0 : ElemClamp<T>{0u, 0u}};
                            stsm_frags_clamped<T, N8G>(xeblock, KSB, a1, ch, lane);
                        }
                    } else {
                        /* fp32 (TF32): the rows inside only; the rest stay
                         * the zeros written before the chunk loop */
#pragma unroll
                        for (int h = 0; h < 2; h++) {
                            if (!in[h]) continue;
                            const int r = mt * 16 + (lane >> 2) + h * 8;
                            T *row = xe + r * KSE + n0 + (lane & 3) * 2;
#pragma unroll
                            for (int j = 0; j < N8G; j++)
                                sts2_clamped(row + j * 8, a1[j][2 * h], a1[j][2 * h + 1], act0);
                        }
                    }
                }
            }
        }
        __syncthreads();
        /* (2) depthwise (fk_dw_tc.cuh) */
        fused_dw<T, TH, TW, KC, NT>(xe, K, S, reinterpret_cast<const T *>(cur + L.wd), cur + L.bd,
                                    p.act1, ds);
        __syncthreads();
        /* (3) projection, accumulated over the chunks */
        {
            const uint32_t w2base = smem_u32(cur + L.w2);
#pragma unroll
            for (int ks = 0; ks < KC / MK; ks++) {
                const int kh = ks * 16; /* 16-bit units (fk_mma.cuh) */
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
                        mma_tc<T>(acc[i][j], af[i], bf[j / 2][(j & 1) * 2],
                                  bf[j / 2][(j & 1) * 2 + 1]);
            }
        }
    }
    /* epilogue: straight from the projection's fragments (epilogue_frags; no
     * staging tile, no barrier: b2s was ordered by the chunk loop's first) */
    epilogue_frags<T>(p, acc, m02, n02, lane, b2s, p.act2, t.cw, [&](int m) {
        const int ly = m / TW, lx = m - ly * TW;
        return ly < t.th && lx < t.tw
                   ? (((long long)t.n * p.out_h + t.oy0 + ly) * p.out_w + t.ox0 + lx) * F + t.c0
                   : -1LL;
    });
}

template <>
struct Family<CM_KIND_PWDWPW, CM_MATH_TC> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        /* the kernel's fused DW and its 32-bit row mask (PwdwpwTcShape::P_MAX)
         * hold for K 3 / 5 / 7 and stride 1 / 2 only (fp_plan.c refuses the rest) */
        const RawParams &p = *l.p;
        if ((p.k != 3 && p.k != 5 && p.k != 7) || (p.s != 1 && p.s != 2))
            return fk_fail(FK_ERR_UNSUPPORTED, l.err, l.err_len,
                           "pwdwpw_tc_kernel: DW kernel %d stride %d not compiled (K 3/5/7, "
                           "stride 1/2)",
                           p.k, p.s);
        return launch_kernel<T>(pwdwpw_tc_kernel<T, TH, TW, TC, CC, NT>, "pwdwpw_tc_kernel", NT,
                                l);
    }
};

} // namespace fk

#endif
