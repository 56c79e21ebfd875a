/* fk_pw_tc.cuh - pointwise convolution (kind PW) on tensor cores (math TC) in
 * fp16 / bf16, and in fp32 as TF32: Y[p][o] = act(sum_c X[p][c] W[o][c] +
 * b[o]) (+ R[p][o]) over the N*H*W pixels, NHWC, W [C_out][C_in] in the
 * element type, b fp32, FP32 accumulation (mma.sync m16n8k16, or m16n8k8
 * .tf32 on operands rounded by cvt.rna for fp32: mma_tc / tc_round,
 * fk_mma.cuh), output rounded once to the element type in the epilogue
 * (fk_epilogue.cuh; fp32: stored as computed).
 *
 * One CTA = BM flat pixels x BN output channels. Global traffic per CTA,
 * exactly the contract (costmodel.h): for each chunk of KC input channels one
 * segment X[p][kc..kc+k') per pixel, then one segment W[o][kc..kc+k') per
 * output channel o < c', by 16-byte cp.async (zero fill past k', no byte past
 * the segment read; 4-byte cp.async for fp32 rows not 16-byte aligned, plain
 * 2-byte loads for such 16-bit rows) into an NB-stage ring (cm_pw_tc_stages:
 * NB-1 chunks in flight while one is multiplied, one barrier per chunk); the bias
 * [c0, c0+c') (by each warp for its channels, straight into its
 * accumulators, through L1); then per output pixel the residual segment and
 * the store segment, each thread 4 consecutive channels: straight from the
 * accumulator fragments (epilogue_frags_biased), or, for rows with SK > 1 k-step
 * groups (below), through an fp32 staging tile where the groups' partial
 * tiles meet (epilogue_group_biased). Rows outside the tile (pixels past
 * the image run, channels past c') are zeros in shared memory and are never
 * read from global memory.
 *
 * Shared memory (cm_smem_pw_tc_layout_es, cm_smem_layout.h): per stage A = X
 * chunk [BM][KC] and B = W chunk [BN][KC] in the element type, rows KC*esz
 * bytes (64 or 128) apart, unpadded, each row's 16-byte units permuted by
 * cm_pw_tc_swz (PwTcRows below): conflict-free ldmatrix and cp.async, and
 * every global sector copied by a row that starts at an even 16-byte unit
 * lands whole in one 32-byte chunk of shared memory, so the L2 serves it once
 * (the padded rows this replaced split every other row's sectors: 1.5x the
 * contract's L2 reads for chunks of 128 bytes);
 * the fp32 staging tiles [BM][BN+8] of rows with SK > 1 reuse the stages.
 *
 * Warps: WM x WN, each a WTM x WTN block of the CTA tile (WTN = 32 channels,
 * WTM = BM / WM pixels, at least 16): per k-step (32 bytes of the rows: 16
 * 16-bit channels or 8 fp32) MT = WTM/16 ldmatrix.x4 for A, WTN/16
 * ldmatrix.x4 for B and MT * WTN/8 mma. Rows with more warps than that
 * (cm_pw_tc_split) run SK groups of WM x WN warps, group g taking k-steps g,
 * g+SK, ... of every chunk into its own accumulators; the SK partial tiles
 * are summed in the epilogue. A chunk's k-steps past C are skipped
 * (warp-uniform).
 */
#ifndef FUSEPLAN_FK_PW_TC_CUH
#define FUSEPLAN_FK_PW_TC_CUH

#include "fk_dispatch.cuh"
#include "fk_epilogue.cuh"
#include "fk_mma.cuh"
#include "fk_tile.cuh"

namespace fk {

template <typename T, int BM, int BN, int KC, int NT>
struct PwTcShape {
    static constexpr int NW = NT / 32;
    static constexpr int WTN = BN >= 32 ? 32 : BN; /* channels per warp */
    static constexpr int WN = BN / WTN;
    static constexpr int SK = (int)cm_pw_tc_split(BM, BN, NT); /* k-step groups */
    static constexpr int WM = NW / (WN * SK);
    static constexpr int WTM = BM / WM; /* pixels per warp */
    static constexpr int MT = WTM / 16; /* m16 tiles per warp */
    static constexpr int NT8 = WTN / 8; /* n8 tiles per warp */
    static constexpr int MK = TcElem<T>::kK;             /* mma k, elements */
    static constexpr int RSB = KC * TcElem<T>::esz;      /* row stride, bytes (unpadded) */
    static constexpr int RSE = KC;                       /* row stride, elements */
    static constexpr int U = RSB / 16;                   /* 16-byte units per row */
    static constexpr int NB = (int)cm_pw_tc_stages(BM, BN);
    static constexpr int CS = BN + 8; /* staging row stride, floats */
    static_assert(NT % 32 == 0 && WN * WTN == BN && WM * WN * SK == NW && WM * WTM == BM,
                  "PW TC: the warps do not tile BM x BN (times SK k-step groups)");
    static_assert(WTM % 16 == 0 && WTN % 16 == 0, "PW TC: warp tile must be a multiple of 16x16");
    static_assert(KC % MK == 0, "PW TC: chunk_c must be a multiple of the mma k (16, tf32 8)");
    static_assert((KC / MK) % SK == 0, "PW TC: the k-step groups must share a chunk's k-steps evenly");
    static_assert(BN % 32 == 0, "PW TC: tile_c must be a multiple of 32 (staging banks)");
    static_assert(cm_pw_tc_row_ok(KC, TcElem<T>::esz), "PW TC: rows of 64 or 128 bytes (cm_pw_tc_swz)");
};

/* The permuted rows of the operand tiles (cm_pw_tc_swz, cm_smem_layout.h),
 * U 16-byte units per row: unit(r, q), the byte offset of logical unit q in
 * tile row r; a_off / b_off, the lane's byte offset for the ldmatrix.x4 of
 * k-step ks (32 bytes: logical units 2ks, 2ks+1) whose rows are r0 + (lane &
 * 15) (A, frag_a's matrices, the k half by lane >> 4) or r0 + (lane & 7) +
 * (lane >> 4) * 8 (B, frag_b2's, the k half by (lane >> 3) & 1). r0 is a
 * multiple of 16, so the permutation is the lane's alone, the same for every
 * 16-row tile (an immediate offset of i * 16 rows apart); a k-step's
 * offset is (32 ks) ^ (the lane's unit XOR), no table. */
template <int U>
struct PwTcRows {
    static __device__ __forceinline__ int unit(int r, int q) { return (int)cm_pw_tc_swz(r, q, U) * 16; }
    static __device__ __forceinline__ uint32_t a_off(int r0, int ks, int lane) {
        const int r = r0 + (lane & 15);
        return (uint32_t)(r * U * 16 + unit(r, 2 * ks + (lane >> 4)));
    }
    static __device__ __forceinline__ uint32_t b_off(int r0, int ks, int lane) {
        const int r = r0 + (lane & 7) + (lane >> 4) * 8;
        return (uint32_t)(r * U * 16 + unit(r, 2 * ks + ((lane >> 3) & 1)));
    }
};

/* The chunk [kc, kc+KC) into stage (sa, sb) for rows that are not 16-byte
 * aligned (ChunkSlots below is the vector path): per pixel one X segment,
 * then per output channel one W segment, by copy_row16's scalar path. */
template <typename T, int BM, int BN, int KC, int NT>
__device__ __forceinline__ void pw_tc_load(const ParamsT<T> &p, T *sa, T *sb, long long p0, int pw,
                                           int c0, int cw, int kc) {
    using S = PwTcShape<T, BM, BN, KC, NT>;
    using Rows = PwTcRows<S::U>;
    constexpr int KV = TcElem<T>::kVec, KQ = KC / KV; /* 16-byte groups per row */
    const int C = p.in_c, len = min(KC, C - kc);
    /* group q of a row: group 0 of the row shifted by q groups, into its
     * permuted place */
    for (int i = threadIdx.x; i < BM * KQ; i += NT) {
        const int q = i % KQ, m = i / KQ;
        T *dst = sa + m * S::RSE + Rows::unit(m, q) / TcElem<T>::esz;
        if (m < pw)
            copy_row16(dst, p.x + (p0 + m) * C + kc + q * KV, len - q * KV, 0, 0);
        else
            zero16(dst);
    }
    for (int i = threadIdx.x; i < BN * KQ; i += NT) {
        const int q = i % KQ, o = i / KQ;
        T *dst = sb + o * S::RSE + Rows::unit(o, q) / TcElem<T>::esz;
        if (o < cw)
            copy_row16(dst, p.w0 + (long long)(c0 + o) * C + kc + q * KV, len - q * KV, 0, 0);
        else
            zero16(dst);
    }
}

/* A thread's fixed share of the 16-byte groups of one operand's chunk (the
 * vector path): the same (row, group) slots every chunk, so that the chunk
 * loop issues one cp.async per slot from addresses computed once per CTA.
 * pw_tc_load redoes its index arithmetic for every chunk; with one warp or
 * two per SM sub-partition (the grids of the 7x7 and 14x14 layers) that
 * serial integer work is what a chunk costs, not its bytes or its mma
 * (bench/kernels/NOTES.md, "The PW chunk loop"). Rows >= rows_valid (pixels
 * past the run, channels past c') get src-size 0: cp.async zero-fills them
 * and reads nothing. */
template <typename T, int ROWS, int KC, int NT>
struct ChunkSlots {
    static constexpr int KV = TcElem<T>::kVec, KQ = KC / KV, esz = TcElem<T>::esz;
    static constexpr int GROUPS = ROWS * KQ;
    /* slots per thread, ceil(GROUPS / NT): where the groups do not split
     * evenly (tiles of 96 or 160 channels, 192 or 320 threads) the last slot
     * is a partial round, which threads past GROUPS skip */
    static constexpr int N = (GROUPS + NT - 1) / NT;
    static constexpr bool PARTIAL = GROUPS % NT != 0;
    const T *g[N];  /* the group's first element at chunk 0 (the tensor itself for a zero row) */
    uint32_t s[N];  /* its shared address in stage 0 */
    int left[N];    /* elements of the row from the group's start at chunk 0; 0 for a zero row */

    /* rows row0 .. row0+rows_valid of the [.][C] tensor base, into the tile
     * at shared address sbase with rows rs_bytes apart, each group at its
     * permuted place in its row (PwTcRows) */
    template <int U>
    __device__ __forceinline__ void init(const T *base, long long row0, int rows_valid, int C,
                                         uint32_t sbase, int rs_bytes) {
#pragma unroll
        for (int n = 0; n < N; n++) {
            /* (threads past GROUPS compute a slot they never issue) */
            const int i = ((int)threadIdx.x + n * NT) % GROUPS, q = i % KQ, r = i / KQ;
            s[n] = sbase + (uint32_t)(r * rs_bytes + PwTcRows<U>::unit(r, q));
            const bool ok = r < rows_valid;
            g[n] = ok ? base + (row0 + r) * C + q * KV : base;
            left[n] = ok ? C - q * KV : 0;
        }
    }
    /* chunk [kc, kc+KC) into the stage at byte offset stage_off */
    __device__ __forceinline__ void issue(uint32_t stage_off, int kc) const {
#pragma unroll
        for (int n = 0; n < N; n++) {
            if (PARTIAL && n == N - 1 && (int)threadIdx.x + n * NT >= GROUPS) break;
            const int rem = left[n] - kc;
            const int bytes = rem >= KV ? 16 : (rem > 0 ? rem * esz : 0);
            cp_async16_s(s[n] + stage_off, g[n] + (bytes ? kc : 0), bytes);
        }
    }
};

template <typename T, int BM, int BN, int KC, int NT>
__global__ void __launch_bounds__(NT) pw_tc_kernel(ParamsT<T> p) {
    using S = PwTcShape<T, BM, BN, KC, NT>;
    constexpr int MT = S::MT, NT8 = S::NT8, NB = S::NB, CS = S::CS, MK = S::MK;
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const cm_smem_pw_tc L = cm_smem_pw_tc_layout_es(BM, BN, KC, NT, TcElem<T>::esz);

    const FlatTile ft = flat_tile<BM, BN>(p);
    const int F = p.out_c, C = p.in_c;
    const int c0 = ft.c0, cw = ft.cw, pw = ft.pw;
    const long long p0 = ft.p0;
    /* 16-byte cp.async needs every row 16-byte aligned: C % 8 == 0 (16-bit),
     * C % 4 == 0 (fp32) */
    const int vec = p.vec && C % TcElem<T>::kVec == 0;
    const int nk = (C + KC - 1) / KC;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wn = warp % S::WN, wm = (warp / S::WN) % S::WM, kg = warp / (S::WN * S::WM);
    const int m0 = wm * S::WTM, n0 = wn * S::WTN;

    /* the vector path's loaders (ChunkSlots); pw_tc_load otherwise; both
     * place each 16-byte group at its permuted place (PwTcRows) */
    constexpr int RSB = S::RSB;
    using Rows = PwTcRows<S::U>;
    const uint32_t stage_bytes = (uint32_t)L.stage * 4;
    ChunkSlots<T, BM, KC, NT> xs;
    ChunkSlots<T, BN, KC, NT> ws;
    if (vec) {
        xs.template init<S::U>(p.x, p0, pw, C, smem_u32(sm + L.a), RSB);
        ws.template init<S::U>(p.w0, c0, cw, C, smem_u32(sm + L.b), RSB);
    }
    auto load = [&](int st, int kc) {
        if (vec) {
            xs.issue(st * stage_bytes, kc);
            ws.issue(st * stage_bytes, kc);
        } else {
            pw_tc_load<T, BM, BN, KC, NT>(p, reinterpret_cast<T *>(sm + st * L.stage + L.a),
                                          reinterpret_cast<T *>(sm + st * L.stage + L.b), p0, pw,
                                          c0, cw, kc);
        }
    };

    /* the accumulators start from the bias (k-step group 0; the others
     * from zero): the epilogue adds nothing per value (ncu, H100: a 128x128
     * warp spent 893 of its 1441 instructions after its last mma;
     * bench/kernels/NOTES.md, "Persistent PW tiles"). Lane 4g + t holds
     * channels 2t, 2t+1 of each n8 tile. */
    float acc[MT][NT8][4];
#pragma unroll
    for (int j = 0; j < NT8; j++) {
        const int c = n0 + j * 8 + 2 * (lane & 3);
        const float b0 = kg == 0 && c < cw ? __ldg(p.b0 + c0 + c) : 0.f;
        const float b1 = kg == 0 && c + 1 < cw ? __ldg(p.b0 + c0 + c + 1) : 0.f;
#pragma unroll
        for (int i = 0; i < MT; i++) {
            acc[i][j][0] = acc[i][j][2] = b0;
            acc[i][j][1] = acc[i][j][3] = b1;
        }
    }

#pragma unroll
    for (int st = 0; st < NB - 1; st++) {
        if (st < nk) load(st, st * KC);
        cp_async_commit();
    }

    for (int kt = 0; kt < nk; kt++) {
        /* chunk kt has landed (at most NB-2 younger groups pending); the
         * barrier also proves every warp is done with chunk kt-1, whose
         * buffer the load below refills */
        cp_async_wait_group<NB - 2>();
        __syncthreads();
        const int ls = kt + NB - 1;
        if (ls < nk) load(ls % NB, ls * KC);
        cp_async_commit();
        const float *stg = sm + (kt % NB) * L.stage;
        const uint32_t abase = smem_u32(stg + L.a), bbase = smem_u32(stg + L.b);
        /* k-step group kg takes the chunk's k-steps kg, kg+SK, ... */
#pragma unroll
        for (int kk = 0; kk < KC / MK / S::SK; kk++) {
            const int ks = kk * S::SK + kg;
            if (kt * KC + ks * MK >= C) break; /* all zeros: warp-uniform skip */
            /* k-step ks is 32 bytes of a row (logical units 2ks, 2ks+1) for
             * every element type (fk_mma.cuh, TF32); its permuted place is
             * the lane's (PwTcRows), the same for every 16-row tile */
            const uint32_t ao = Rows::a_off(m0, ks, lane), bo = Rows::b_off(n0, ks, lane);
            uint32_t af[MT][4], bf[NT8 / 2][4];
#pragma unroll
            for (int i = 0; i < MT; i++) {
                ldsm_x4(af[i], abase + ao + (uint32_t)(i * 16 * RSB));
                tc_round<T>(af[i]);
            }
#pragma unroll
            for (int j = 0; j < NT8 / 2; j++) {
                ldsm_x4(bf[j], bbase + bo + (uint32_t)(j * 16 * RSB));
                tc_round<T>(bf[j]);
            }
#pragma unroll
            for (int i = 0; i < MT; i++)
#pragma unroll
                for (int j = 0; j < NT8; j++)
                    mma_tc<T>(acc[i][j], af[i], bf[j / 2][(j & 1) * 2], bf[j / 2][(j & 1) * 2 + 1]);
        }
    }
    if constexpr (S::SK == 1) {
        /* one k-step group: straight from the fragments (no staging; the
         * ring's last groups are empty commits, nothing is left in flight) */
        epilogue_frags_biased<T>(p, acc, m0, n0, lane, p.act0, cw, [&](int m) {
            return m < pw ? (p0 + m) * F + c0 : -1LL;
        });
        return;
    }
    cp_async_wait_all();
    __syncthreads();

    /* SK > 1: the SK partial fp32 tiles [BM][BN+8] over the (now free)
     * stages, then per pixel and group of 4 channels their sum (group 0's
     * holds the bias), activation, residual, one rounding */
    float *part = sm + kg * L.staging;
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
        for (int j = 0; j < NT8; j++) acc_store_frag(part, CS, acc[i][j], m0 + i * 16, n0 + j * 8, lane);
    __syncthreads();
    constexpr int NQ = BN / 4;
    for (int i = threadIdx.x; i < BM * NQ; i += NT) {
        const int m = i / NQ, c = (i % NQ) * 4;
        if (m >= pw || c >= cw) continue;
        float4 v = *reinterpret_cast<const float4 *>(sm + m * CS + c);
#pragma unroll
        for (int k = 1; k < S::SK; k++)
            v = add4(v, *reinterpret_cast<const float4 *>(sm + k * L.staging + m * CS + c));
        epilogue_group_biased(p, (p0 + m) * F + c0 + c, v, p.act0, c, cw);
    }
}

/* Flat rows: tile_h 1, tile_w pixels per CTA; fp16, bf16, and fp32 as TF32. */
template <>
struct Family<CM_KIND_PW, CM_MATH_TC> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        static_assert(TH == 1, "PW rows are flat (tile_h 1)");
        return launch_kernel<T>(pw_tc_kernel<T, TW, TC, CC, NT>, "pw_tc_kernel", NT, l);
    }
};

} // namespace fk

#endif
