/* fk_pw.cuh - layer-by-layer pointwise convolution (kind PW): an FP32 GEMM
 * Y[p][o] = act(sum_c X[p][c] W[o][c] + b[o]) (+ R[p][o]) over the N*H*W
 * pixels, on CUDA cores (FFMA, no TF32).
 *
 * One CTA = TW flat pixels x TC output channels. Global traffic per CTA,
 * exactly the contract: for each chunk of KC input channels, one segment
 * X[p][kc..kc+k') per pixel then one segment W[o][kc..kc+k') per output
 * channel (both by cp.async into a double-buffered shared-memory stage, the
 * next chunk in flight while this one is multiplied); the bias [c0, c0+c');
 * then per pixel the residual segment and the store segment, written as
 * float4 rows through a shared-memory staging tile. When tile_c < C_out every
 * channel tile re-reads its pixels' X rows (the model counts it); nothing is
 * recomputed.
 *
 * Compute: thread (tx, ty) owns TM x TN outputs, rows ty + i*NTY and columns
 * tx + j*NTX (strided, so the 8 threads of a quarter warp read 8 consecutive
 * rows of a K-major tile whose row stride is an odd number of 16-byte units:
 * conflict-free float4 reads). Per 4 input channels: TM + TN float4 loads,
 * 4*TM*TN FFMA.
 *
 * Small tiles (batch 1: few pixels, so many CTAs are needed to fill the GPU)
 * split the reduction inside the CTA (cm_pw_split in cm_smem_layout.h): with
 * fewer than 4 outputs per thread the threads form SK slices of 4 outputs
 * each, a stage holds SK chunks, slice j multiplies chunk j of every stage,
 * and the partial tiles are summed in the epilogue. Those tiles run a 4-stage
 * cp.async ring (three stages in flight) with one barrier per stage, so that a
 * lone CTA on its SM keeps enough loads in flight. The chunks, hence the
 * global segments, are the contract's either way.
 */
#ifndef FUSEPLAN_FK_PW_CUH
#define FUSEPLAN_FK_PW_CUH

#include "fk_dispatch.cuh"
#include "fk_epilogue.cuh"
#include "fk_tile.cuh"

namespace fk {

template <int BM, int BN, int KC, int NT>
struct PwShape {
    static constexpr int SK = (int)cm_pw_split(BM, BN, NT); /* reduction slices */
    static constexpr int NB = (int)cm_pw_stages(SK);        /* pipeline stages */
    static constexpr int NTS = NT / SK;                     /* threads per slice */
    static constexpr int PT = BM * BN / NTS;
    static constexpr int TN = PT >= 64 ? 8 : 4;
    static constexpr int TM = PT / TN;
    static constexpr int NTX = BN / TN;
    static constexpr int NTY = BM / TM;
    static constexpr int KS = (int)cm_odd_stride(KC);
    static_assert(SK * NTS == NT && PT * NTS == BM * BN && TM * TN == PT && NTX * NTY == NTS,
                  "bad PW tile");
    static_assert(KC % 4 == 0 && BN % 4 == 0, "chunk_c and tile_c must be multiples of 4");
};

/* Stages the SK chunks [k0 + j*KC, k0 + (j+1)*KC), j < SK, into sa[j][BM][KS]
 * and sb[j][BN][KS]: per chunk one segment per pixel, then one per output
 * channel (the contract's); chunks past C are skipped (their slice idles). */
template <int BM, int BN, int KC, int NT, int SK, typename Prm>
__device__ __forceinline__ void pw_load_stage(const Prm &p, float *sa, float *sb,
                                              long long p0, int pw, int c0, int cw, int k0) {
    constexpr int KQ = KC / 4, KS = (int)cm_odd_stride(KC);
    const int C = p.in_c;
    for (int i = threadIdx.x; i < SK * BM * KQ; i += NT) {
        const int q = i % KQ, r = i / KQ, j = r / BM, m = r % BM;
        const int kc = k0 + j * KC;
        if (SK > 1 && kc >= C) continue;
        float *dst = sa + r * KS;
        if (m < pw)
            copy_group(dst, p.x + (p0 + m) * C + kc, min(KC, C - kc), q, p.vec);
        else
            *reinterpret_cast<float4 *>(dst + q * 4) = make_float4(0.f, 0.f, 0.f, 0.f);
    }
    for (int i = threadIdx.x; i < SK * BN * KQ; i += NT) {
        const int q = i % KQ, r = i / KQ, j = r / BN, o = r % BN;
        const int kc = k0 + j * KC;
        if (SK > 1 && kc >= C) continue;
        float *dst = sb + r * KS;
        if (o < cw)
            copy_group(dst, p.w0 + (long long)(c0 + o) * C + kc, min(KC, C - kc), q, p.vec);
        else
            *reinterpret_cast<float4 *>(dst + q * 4) = make_float4(0.f, 0.f, 0.f, 0.f);
    }
}

/* acc += A[rows ty + i*NTY] . B[rows tx + j*NTX]^T over one chunk. */
template <int TM, int TN, int NTX, int NTY, int KC, int KS>
__device__ __forceinline__ void pw_chunk(float (&acc)[TM][TN], const float *A, const float *B) {
#pragma unroll
    for (int k4 = 0; k4 < KC / 4; k4++) {
        float4 a[TM], b[TN];
#pragma unroll
        for (int i = 0; i < TM; i++)
            a[i] = *reinterpret_cast<const float4 *>(A + i * NTY * KS + k4 * 4);
#pragma unroll
        for (int j = 0; j < TN; j++)
            b[j] = *reinterpret_cast<const float4 *>(B + j * NTX * KS + k4 * 4);
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
            for (int j = 0; j < TN; j++) acc[i][j] = dot4(a[i], b[j], acc[i][j]);
    }
}

template <typename T, int BM, int BN, int KC, int NT>
__global__ void __launch_bounds__(NT) pw_kernel(ParamsT<T> p) {
    static_assert(std::is_same<T, float>::value, FK_F32_STAGING);
    using S = PwShape<BM, BN, KC, NT>;
    constexpr int TM = S::TM, TN = S::TN, NTX = S::NTX, NTY = S::NTY, KS = S::KS;
    constexpr int SK = S::SK, NB = S::NB;
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const cm_smem_pw L = cm_smem_pw_layout(BM, BN, KC, NT);
    float *sa = sm + L.a, *sb = sm + L.b, *sbias = sm + L.bias;
    constexpr int ASZ = SK * BM * KS, BSZ = SK * BN * KS; /* one stage */

    const FlatTile ft = flat_tile<BM, BN>(p);
    const int F = p.out_c, C = p.in_c;
    const int c0 = ft.c0, cw = ft.cw;
    const long long p0 = ft.p0;
    const int pw = ft.pw;

    const int nk = (C + KC - 1) / KC;    /* chunks */
    const int nst = (nk + SK - 1) / SK;  /* stages of SK chunks */
    const int sl = threadIdx.x / S::NTS; /* this thread's slice */
    const int tl = threadIdx.x % S::NTS;
    const int tx = tl % NTX, ty = tl / NTX;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.f;

    if constexpr (NB == 2) {
        /* double buffer: stage kt+1 is issued before waiting for stage kt */
        pw_load_stage<BM, BN, KC, NT, SK>(p, sa, sb, p0, pw, c0, cw, 0);
        cp_async_commit();
        for (int i = threadIdx.x; i < BN; i += NT) sbias[i] = i < cw ? __ldg(p.b0 + c0 + i) : 0.f;
        for (int kt = 0; kt < nst; kt++) {
            const int buf = kt & 1;
            if (kt + 1 < nst)
                pw_load_stage<BM, BN, KC, NT, SK>(p, sa + (buf ^ 1) * ASZ, sb + (buf ^ 1) * BSZ,
                                                  p0, pw, c0, cw, (kt + 1) * SK * KC);
            cp_async_commit();
            cp_async_wait_group<1>();
            __syncthreads();
            if (SK == 1 || (kt * SK + sl) * KC < C)
                pw_chunk<TM, TN, NTX, NTY, KC, KS>(acc, sa + buf * ASZ + (sl * BM + ty) * KS,
                                                   sb + buf * BSZ + (sl * BN + tx) * KS);
            __syncthreads();
        }
    } else {
        /* NB-stage ring, one barrier per stage: the barrier at the top of stage
         * kt also proves that every slice is done with stage kt-1, whose buffer
         * stage kt+NB-1 then reuses */
#pragma unroll
        for (int st = 0; st < NB - 1; st++) {
            if (st < nst)
                pw_load_stage<BM, BN, KC, NT, SK>(p, sa + st * ASZ, sb + st * BSZ, p0, pw, c0, cw,
                                                  st * SK * KC);
            cp_async_commit();
        }
        for (int i = threadIdx.x; i < BN; i += NT) sbias[i] = i < cw ? __ldg(p.b0 + c0 + i) : 0.f;
        for (int kt = 0; kt < nst; kt++) {
            cp_async_wait_group<NB - 2>();
            __syncthreads();
            const int ls = kt + NB - 1;
            if (ls < nst)
                pw_load_stage<BM, BN, KC, NT, SK>(p, sa + (ls % NB) * ASZ, sb + (ls % NB) * BSZ,
                                                  p0, pw, c0, cw, ls * SK * KC);
            cp_async_commit();
            const int buf = kt % NB;
            if ((kt * SK + sl) * KC < C)
                pw_chunk<TM, TN, NTX, NTY, KC, KS>(acc, sa + buf * ASZ + (sl * BM + ty) * KS,
                                                   sb + buf * BSZ + (sl * BN + tx) * KS);
        }
        cp_async_wait_all();
        __syncthreads();
    }

    /* epilogue through staging tiles [SK][BM][BN+4] over the (now free)
     * stages: one tile of partial sums per slice, added here */
    constexpr int CS = BN + 4;
    stage_acc<TM, TN, NTY, NTX>(sm + sl * BM * CS, CS, acc, tx, ty);
    __syncthreads();
    constexpr int NQ = BN / 4;
    for (int i = threadIdx.x; i < BM * NQ; i += NT) {
        const int m = i / NQ, q = i % NQ, c = q * 4;
        if (m >= pw || c >= cw) continue;
        const float4 v = staged_group<SK, BM * CS>(sm + m * CS + c);
        epilogue_group(p, (p0 + m) * F + c0 + c, v, *reinterpret_cast<const float4 *>(sbias + c),
                       p.act0, c, cw);
    }
}

/* Flat rows: tile_h 1, tile_w pixels per CTA. */
template <>
struct Family<CM_KIND_PW, CM_MATH_SIMT> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        static_assert(TH == 1, "PW rows are flat (tile_h 1)");
        return launch_kernel<T>(pw_kernel<T, TW, TC, CC, NT>, "pw_kernel", NT, l);
    }
};

} // namespace fk

#endif
