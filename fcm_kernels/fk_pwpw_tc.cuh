/* fk_pwpw_tc.cuh - two pointwise convolutions in one kernel (kind PWPW) in
 * fp16 / bf16 with both GEMMs on tensor cores (math TC): H = act0(X . W1^T +
 * b1) (C -> F1), Y = act1(H . W2^T + b2) (F1 -> F2) (+ R), over flat pixels,
 * NHWC, weights [C_out][C_in] in the element type, biases fp32, every sum in
 * fp32 (mma.sync m16n8k16, fk_mma.cuh), H rounded once to the element type
 * when it is staged (as the unfused first layer would store it), Y rounded
 * once in the epilogue (fk_epilogue.cuh).
 *
 * Why this structure. H needs all C input channels before any of it is final,
 * and Y needs all of H. The fp32 kernel (fk_pwpw.cuh) keeps H's fp32
 * accumulators for all F1 channels in shared memory across the input chunks;
 * in 16 bits that tile (TW x F1 fp32: 40 KB at 32 pixels x 320, 160 KB at
 * 128 x 320) would have to be read and written once per chunk, which costs
 * more shared-memory bandwidth than the mma's operands. Instead the CTA keeps
 * its pixels' whole input X (TW x C, 16-bit) resident, and computes H in
 * blocks of NB channels, each block's fp32 accumulators in registers over all
 * of C; the block is then rounded into the resident H (TW x F1, 16-bit). With
 * H complete the second GEMM runs over output sub-blocks of NB channels of the
 * CTA's tile_c, its accumulators in registers over all of F1, each sub-block
 * stored through the shared epilogue as soon as it is done. So a wide tile_c
 * costs no registers (only more sub-blocks) and lets fewer channel tiles
 * recompute the first GEMM.
 *
 * Global traffic per CTA, exactly the contract's (costmodel.h): for each chunk
 * of KC input channels, X[p][kc..kc+k') per pixel (loaded once, with the first
 * H block, into the resident X) and W1[f][kc..kc+k') for every f < F1 (with
 * the block of f); bias1 [0, F1) (4-byte cp.async); W2[o][0..F1) per o of the
 * tile (streamed in KC-element pieces that start at multiples of 8 elements
 * from the row's start: the same 16-byte requests as one whole-row copy);
 * bias2 [c0, c0+c'); then per output pixel the residual and store segments.
 * Rows and columns outside the tile or past C / F1 are zeros in shared memory
 * and are never read from global memory. 16-byte cp.async where rows are
 * 16-byte aligned (channel counts % 8 == 0), 2-byte loads otherwise
 * (copy_row16).
 *
 * The weights stream through one ring of NS = CM_PWPW_TC_STAGES stages of NB
 * rows x KC columns: the "steps" are first (H block fb, chunk kc) for every
 * block and chunk (W1[fb..fb+NB)[kc..kc+KC); the steps of the first block also
 * bring X's chunk kc), then (output sub-block ob, chunk kf) (W2[c0+ob..+NB)
 * [kf..kf+KC)). Step t+NS-1 loads while step t multiplies; one barrier per
 * step (the pipeline of fk_pw_tc.cuh).
 *
 * Warps (PwpwTcShape): WM x WN over a TW x NB block, the same layout for both
 * GEMMs, each warp WTM pixels x 32 channels: per 16 k, MT = WTM/16 ldmatrix.x4
 * for A (X or H), two for B (the stage) and 4*MT mma. A warp whose 32 channels
 * lie wholly past F1 (H's last block) or past c' (Y's last sub-block) skips
 * its multiplies.
 *
 * Shared memory: cm_smem_pwpw_tc_layout (cm_smem_layout.h): X (then the fp32
 * staging of one output sub-block [TW][NB+8]) | H | the ring | bias1 | bias2.
 * Every 16-bit row is an odd number of 16-byte units long (cm_half_stride):
 * conflict-free ldmatrix, cp.async row writes and H fragment stores.
 */
#ifndef FUSEPLAN_FK_PWPW_TC_CUH
#define FUSEPLAN_FK_PWPW_TC_CUH

#include "fk_dispatch.cuh"
#include "fk_epilogue.cuh"
#include "fk_mma.cuh"
#include "fk_tile.cuh"

namespace fk {

template <int BM, int TC, int KC, int NT>
struct PwpwTcShape {
    static constexpr int NW = NT / 32;
    static constexpr int NB = (int)cm_pwpw_tc_nb(BM, NT); /* block / sub-block width */
    static constexpr int WTN = 32;                       /* channels per warp */
    static constexpr int WN = NB / WTN;
    static constexpr int WM = NW / WN;
    static constexpr int WTM = BM / WM; /* pixels per warp */
    static constexpr int MT = WTM / 16; /* m16 tiles per warp */
    static constexpr int NT8 = WTN / 8; /* n8 tiles per warp */
    static constexpr int KS = (int)cm_half_stride(KC); /* stage row stride, words */
    static constexpr int CS = NB + 8; /* staging row stride, floats (8 mod 32: float2 stores) */
    static_assert(NT % 32 == 0 && NB % WTN == 0 && WM * WN == NW && WM * WTM == BM,
                  "PWPW TC: the warps do not tile tile_w x cm_pwpw_tc_nb");
    static_assert(WTM % 16 == 0, "PWPW TC: pixels per warp must be a multiple of 16");
    static_assert(KC % 16 == 0, "PWPW TC: chunk_c must be a multiple of the mma k (16)");
    static_assert(TC % NB == 0, "PWPW TC: tile_c must be a multiple of cm_pwpw_tc_nb");
};

/* The run-time geometry of one CTA, shared by the loads and the multiplies. */
struct PwpwTcRun {
    long long p0;    /* first pixel */
    int pw, c0, cw;  /* pixels, output channel tile */
    int nkc, nkf;    /* chunks over C, over F1 */
    int t1;          /* steps of the first GEMM: ceil(F1/NB) * nkc */
    int xse, vc, vf; /* X row stride (elements), 16-byte paths for C and F1 rows */
};

/* Step t's loads into stage `st` (16-bit, rows KS words apart): a first-GEMM
 * step brings W1[fb..fb+NB)[kc..kc+KC) and, in the first H block, X's chunk
 * kc into the resident X; a second-GEMM step W2[c0+ob..c0+ob+NB)[kf..kf+KC). */
template <typename T, int BM, int TC, int KC, int NT>
__device__ __forceinline__ void pwpw_tc_load(const ParamsT<T> &p, const PwpwTcRun &r, T *xs, T *st,
                                             int t) {
    using S = PwpwTcShape<BM, TC, KC, NT>;
    constexpr int KQ = KC / 8, KSE = S::KS * 2, NB = S::NB;
    const int C = p.in_c, F1 = p.mid_c;
    if (t < r.t1) {
        const int fbi = t / r.nkc, kc = (t - fbi * r.nkc) * KC, fb = fbi * NB;
        if (fbi == 0) {
            /* X chunk kc: groups [kc/8, min(kc+KC, r16(C))/8) of each row; the
             * groups past the chunk's k' read nothing (copy_row16 zero-fills) */
            const int q0 = kc / 8, nq = min(KQ, ((C + 15) / 16 * 16 - kc) / 8);
            for (int i = threadIdx.x; i < BM * nq; i += NT) {
                const int m = i / nq, q = q0 + (i - m * nq);
                T *dst = xs + m * r.xse;
                if (m < r.pw)
                    copy_row16(dst, p.x + (r.p0 + m) * C, C, q, r.vc);
                else
                    zero16(dst + q * 8);
            }
        }
        for (int i = threadIdx.x; i < NB * KQ; i += NT) {
            const int row = i / KQ, q = i - row * KQ, f = fb + row;
            T *dst = st + row * KSE;
            if (f < F1)
                copy_row16(dst, p.w0 + (long long)f * C + kc, C - kc, q, r.vc);
            else
                zero16(dst + q * 8);
        }
    } else {
        const int t2 = t - r.t1, obi = t2 / r.nkf, kf = (t2 - obi * r.nkf) * KC, ob = obi * NB;
        for (int i = threadIdx.x; i < NB * KQ; i += NT) {
            const int row = i / KQ, q = i - row * KQ, o = ob + row;
            T *dst = st + row * KSE;
            if (o < r.cw)
                copy_row16(dst, p.w1 + (long long)(r.c0 + o) * F1 + kf, F1 - kf, q, r.vf);
            else
                zero16(dst + q * 8);
        }
    }
}

/* acc += A[m0.., k0..k0+KC) . B[n0.., 0..KC)^T for the k steps below klen
 * (A: a resident 16-bit matrix of rows asb bytes apart, its k offset k0; B:
 * the stage). The k steps at or past klen hold zeros: skipped (warp-uniform). */
template <typename T, int MT, int NT8, int KC, int KSB>
__device__ __forceinline__ void pwpw_tc_mma(float (&acc)[MT][NT8][4], uint32_t abase, int asb,
                                            int k0, int klen, uint32_t bbase, int m0, int n0,
                                            int lane) {
#pragma unroll
    for (int ks = 0; ks < KC / 16; ks++) {
        if (k0 + ks * 16 >= klen) break;
        uint32_t af[MT][4], bf[NT8 / 2][4];
#pragma unroll
        for (int i = 0; i < MT; i++)
            ldsm_x4(af[i], frag_a(abase, asb, m0 + i * 16, k0 + ks * 16, lane));
#pragma unroll
        for (int j = 0; j < NT8 / 2; j++)
            ldsm_x4(bf[j], frag_b2(bbase, KSB, n0 + j * 16, ks * 16, lane));
#pragma unroll
        for (int i = 0; i < MT; i++)
#pragma unroll
            for (int j = 0; j < NT8; j++)
                mma_16816<T>(acc[i][j], af[i], bf[j / 2][(j & 1) * 2], bf[j / 2][(j & 1) * 2 + 1]);
    }
}

template <typename T, int BM, int TC, int KC, int NT>
__global__ void __launch_bounds__(NT) pwpw_tc_kernel(ParamsT<T> p) {
    using S = PwpwTcShape<BM, TC, KC, NT>;
    constexpr int MT = S::MT, NT8 = S::NT8, NB = S::NB, CS = S::CS, NS = CM_PWPW_TC_STAGES;
    constexpr int KSB = S::KS * 4;
    static_assert(NS >= 2, "PWPW TC: the ring needs two stages");
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int C = p.in_c, F1 = p.mid_c, F2 = p.out_c;
    const cm_smem_pwpw_tc L = cm_smem_pwpw_tc_layout(BM, TC, KC, NT, C, F1);
    T *xs = reinterpret_cast<T *>(sm + L.x);
    T *hs = reinterpret_cast<T *>(sm + L.h);
    float *ring = sm + L.ring, *b1s = sm + L.b1, *b2s = sm + L.b2;
    float *stg = sm + L.x; /* the output staging, over X once H is complete */

    const FlatTile ft = flat_tile<BM, TC>(p);
    PwpwTcRun r;
    r.p0 = ft.p0;
    r.pw = ft.pw;
    r.c0 = ft.c0;
    r.cw = ft.cw;
    r.nkc = (C + KC - 1) / KC;
    r.nkf = (F1 + KC - 1) / KC;
    r.t1 = (F1 + NB - 1) / NB * r.nkc;
    r.xse = (int)cm_half_stride(cm_smem_r16(C)) * 2;
    r.vc = p.vec && C % 8 == 0;
    r.vf = p.vec && F1 % 8 == 0;
    const int hse = (int)cm_half_stride(cm_smem_r16(F1)) * 2, f16 = (F1 + 15) / 16 * 16;
    const int nsteps = r.t1 + (r.cw + NB - 1) / NB * r.nkf;

    /* prologue: steps 0..NS-2 (the first also brings bias1), bias2 */
#pragma unroll
    for (int s = 0; s < NS - 1; s++) {
        if (s < nsteps)
            pwpw_tc_load<T, BM, TC, KC, NT>(p, r, xs, reinterpret_cast<T *>(ring + s * L.stage), s);
        if (s == 0)
            for (int i = threadIdx.x; i < F1; i += NT) cp_async4(b1s + i, p.b0 + i, 4);
        cp_async_commit();
    }
    for (int i = threadIdx.x; i < TC; i += NT) b2s[i] = i < r.cw ? __ldg(p.b1 + r.c0 + i) : 0.f;

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int m0 = (warp / S::WN) * S::WTM, n0 = (warp % S::WN) * S::WTN;
    const uint32_t xbase = smem_u32(xs), hbase = smem_u32(hs);
    const int xsb = r.xse * 2, hsb = hse * 2;
    float acc[MT][NT8][4];
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
        for (int j = 0; j < NT8; j++)
#pragma unroll
            for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;

    for (int t = 0; t < nsteps; t++) {
        /* step t has landed (at most NS-2 younger groups pending); the barrier
         * also proves every warp is done with step t-1, whose stage the load
         * below refills, and with everything before it (X before the staging
         * overwrites it, the previous sub-block's epilogue reads) */
        cp_async_wait_group<NS - 2>();
        __syncthreads();
        const int ls = t + NS - 1;
        if (ls < nsteps)
            pwpw_tc_load<T, BM, TC, KC, NT>(p, r, xs,
                                            reinterpret_cast<T *>(ring + (ls % NS) * L.stage), ls);
        cp_async_commit();
        const uint32_t bbase = smem_u32(ring + (t % NS) * L.stage);
        if (t < r.t1) {
            /* first GEMM: H block fb, chunk kc */
            const int fbi = t / r.nkc, kci = t - fbi * r.nkc, fb = fbi * NB;
            if (fb + n0 < F1)
                pwpw_tc_mma<T, MT, NT8, KC, KSB>(acc, xbase, xsb, kci * KC, C, bbase, m0, n0, lane);
            if (kci == r.nkc - 1) {
                /* block done: H[m][fb + n] = act0(acc + b1), rounded once;
                 * zeros for F1 <= f < r16(F1) (the second GEMM's last k step
                 * reads them: 0 * W2's zero fill must not meet garbage) */
#pragma unroll
                for (int i = 0; i < MT; i++)
#pragma unroll
                    for (int j = 0; j < NT8; j++) {
                        const int f = fb + n0 + j * 8 + (lane & 3) * 2; /* even */
                        const int row = m0 + i * 16 + (lane >> 2);
                        float v[4] = {0.f, 0.f, 0.f, 0.f};
                        if (f < F1) { /* an odd F1 ends inside the pair: f+1 apart */
                            v[0] = act_apply(acc[i][j][0] + b1s[f], p.act0);
                            v[2] = act_apply(acc[i][j][2] + b1s[f], p.act0);
                            if (f + 1 < F1) {
                                v[1] = act_apply(acc[i][j][1] + b1s[f + 1], p.act0);
                                v[3] = act_apply(acc[i][j][3] + b1s[f + 1], p.act0);
                            }
                        }
#pragma unroll
                        for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;
                        if (f >= f16) continue; /* past H's row (block wider than F1) */
                        sts2_from_f32(hs + row * hse + f, v[0], v[1]);
                        sts2_from_f32(hs + (row + 8) * hse + f, v[2], v[3]);
                    }
            }
        } else {
            /* second GEMM: output sub-block ob, chunk kf */
            const int t2 = t - r.t1, obi = t2 / r.nkf, kfi = t2 - obi * r.nkf, ob = obi * NB;
            if (ob + n0 < r.cw)
                pwpw_tc_mma<T, MT, NT8, KC, KSB>(acc, hbase, hsb, kfi * KC, F1, bbase, m0, n0, lane);
            if (kfi == r.nkf - 1) {
                /* sub-block done: the fp32 tile [BM][NB+8] over X, then per
                 * pixel and group of 4 channels bias, act, residual, one
                 * rounding (kfi is the same in every thread: the barrier is
                 * reached by all) */
#pragma unroll
                for (int i = 0; i < MT; i++)
#pragma unroll
                    for (int j = 0; j < NT8; j++) {
                        acc_store_frag(stg, CS, acc[i][j], m0 + i * 16, n0 + j * 8, lane);
#pragma unroll
                        for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;
                    }
                __syncthreads();
                constexpr int NQ = NB / 4;
                for (int i = threadIdx.x; i < BM * NQ; i += NT) {
                    const int m = i / NQ, c = ob + (i - m * NQ) * 4;
                    if (m >= r.pw || c >= r.cw) continue;
                    epilogue_group(p, (r.p0 + m) * F2 + r.c0 + c,
                                   *reinterpret_cast<const float4 *>(stg + m * CS + c - ob),
                                   *reinterpret_cast<const float4 *>(b2s + c), p.act1, c, r.cw);
                }
            }
        }
    }
}

/* Flat rows: tile_h 1, tile_w pixels per CTA; 16-bit elements only. */
template <>
struct Family<CM_KIND_PWPW, CM_MATH_TC> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        static_assert(TH == 1, "PWPW rows are flat (tile_h 1)");
        static_assert(sizeof(T) == 2, "PWPW TC rows are fp16 or bf16");
        return launch_kernel<T>(pwpw_tc_kernel<T, TW, TC, CC, NT>, "pwpw_tc_kernel", NT, l);
    }
};

} // namespace fk

#endif
