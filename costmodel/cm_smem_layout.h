/* cm_smem_layout.h - THE shared-memory layout of every kernel kind (prefix cm_smem_).
 *
 * Defined once, here, and used by everybody: the cost model's footprint
 * (cm_tile_check -> footprint.smem_bytes, cm_smem_bytes), the kernel
 * launchers (fk_unit_smem_bytes, the dynamic shared memory of every launch)
 * and the kernels themselves, which carve their dynamic shared memory with
 * these very functions (they are __host__ __device__ under nvcc). Pure C11,
 * no CUDA headers; C++ sees the scalar helpers as constexpr.
 *
 * Units: 4-byte words (the fp32 kernels stage fp32; the 16-bit DW, PW and
 * PWDWPW kernels have layouts of their own, at the end of this file; every
 * other (kind, dtype, math) is footprinted with the fp32 layout until it has
 * a kernel). Every region starts at a multiple of 4
 * words (16 bytes: cp.async and float4 accesses). The layout depends on the
 * tile as compiled (unclipped: a kernel's buffers are sized at compile time
 * for a full tile; edge tiles use a corner, positions outside the image hold
 * zeros) and on the run-time shape values named in each function.
 *
 * Notation: TH, TW, TC, KC = the tile (tile_h, tile_w, tile_c, chunk_c);
 * K, S = the DW kernel and stride; PH = (TH-1)*S + K and PW = (TW-1)*S + K
 * the input patch of a full tile; P = PH*PW; M = TH*TW output pixels;
 * os(n) = cm_odd_stride(n) = n rounded up to a multiple of 4 with an odd
 * number of 16-byte units (rows read as float4 by 8 consecutive threads then
 * hit 8 distinct bank groups); r4(n) = n rounded up to a multiple of 4.
 *
 *  DW     patch P*TC | weights K*K*TC (transposed [kk][c]) | bias TC
 *  PW     A NB*SK*TW*os(KC) | B NB*SK*TC*os(KC)   (NB pipeline stages of SK
 *         chunks each, see cm_pw_split; reused as the output staging
 *         SK*TW*(TC+4), one tile of partial sums per slice, when that is
 *         larger) | bias TC
 *  DWPW   patch P*os(KC) | dw weights K*K*KC | dw bias KC
 *         | max(M*os(KC), SP*M*(TC+4)) (DW result chunk, then output staging:
 *         SP = cm_proj_split partial tiles) | pw weights TC*os(KC) | pw bias TC
 *  PWDW   NB x {X chunk P*os(KC) | pw weights TC*os(KC)} (NB =
 *         cm_pwdw_stages pipeline stages: chunk i+1.. load while chunk i
 *         multiplies) | PW result P*os(TC) | dw weights K*K*TC | pw bias TC
 *         | dw bias TC
 *  PWPW   H TW*os(F1) | r4(max(TW*os(KC) + F1*os(KC), TC*os(F1), TW*(TC+4)))
 *         (chunk of X and W1, then W2, then output staging)
 *         | bias1 r4(F1) | bias2 TC
 *  PWDWPW X patch P*os(C) | 2 x {W1 chunk KC*os(C) | bias1 KC | dw weights
 *         K*K*KC (global order [e][kk]) | dw bias KC | W2 chunk TC*os(KC)}
 *         (double buffered by cp.async: chunk i+1 loads while chunk i
 *         computes) | max(P*os(KC), SP*M*(TC+4)) (expanded chunk, then output
 *         staging) | DW result M*os(KC) | bias2 TC
 * (TC and KC of the compiled variants are multiples of 4, so every region
 * above starts 16-byte aligned; cm_tile_check accepts other tiles and the
 * formulas stay exact for them.)
 */
#ifndef FUSEPLAN_CM_SMEM_LAYOUT_H
#define FUSEPLAN_CM_SMEM_LAYOUT_H

#include <stdint.h>

#ifdef __CUDACC__
#define CM_HD __host__ __device__
#else
#define CM_HD
#endif
#ifdef __cplusplus
#define CM_CONSTEXPR constexpr
#else
#define CM_CONSTEXPR
#endif

/* Offsets and sizes in 4-byte words; 64-bit so that the host can evaluate
 * any tile the cost model is asked about without overflow. */
typedef int64_t cm_sw;

static inline CM_HD CM_CONSTEXPR cm_sw cm_smem_r4(cm_sw n) { return (n + 3) / 4 * 4; }
/* The unit (in 4-byte words) of the rows' odd stride. 4 = 16-byte units;
 * 8 = 32-byte units, which keeps every global sector a 16-byte cp.async
 * pair copies inside one 32-byte chunk of shared memory (an A/B build:
 * -DCM_SMEM_ROW_UNIT=8 in c_args and cuda_args; docs/validation.md). */
#ifndef CM_SMEM_ROW_UNIT
#define CM_SMEM_ROW_UNIT 4
#endif
static inline CM_HD CM_CONSTEXPR cm_sw cm_odd_stride(cm_sw n) {
    return ((n + CM_SMEM_ROW_UNIT - 1) / CM_SMEM_ROW_UNIT % 2 == 1)
               ? (n + CM_SMEM_ROW_UNIT - 1) / CM_SMEM_ROW_UNIT * CM_SMEM_ROW_UNIT
               : (n + CM_SMEM_ROW_UNIT - 1) / CM_SMEM_ROW_UNIT * CM_SMEM_ROW_UNIT + CM_SMEM_ROW_UNIT;
}
static inline CM_HD CM_CONSTEXPR cm_sw cm_smem_max(cm_sw a, cm_sw b) { return a > b ? a : b; }
static inline CM_HD CM_CONSTEXPR cm_sw cm_smem_min(cm_sw a, cm_sw b) { return a < b ? a : b; }
/* Input patch of a full tile, in pixels: ((th-1)*s + k) * ((tw-1)*s + k). */
static inline CM_HD CM_CONSTEXPR cm_sw cm_smem_patch(cm_sw th, cm_sw tw, cm_sw k, cm_sw s) {
    return ((th - 1) * s + k) * ((tw - 1) * s + k);
}

typedef struct cm_smem_dw {
    cm_sw x, w, b, total;
} cm_smem_dw;
static inline CM_HD cm_smem_dw cm_smem_dw_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw k, cm_sw s) {
    cm_smem_dw l;
    l.x = 0;
    l.w = l.x + cm_smem_patch(th, tw, k, s) * tc;
    l.b = l.w + k * k * tc;
    l.total = l.b + tc;
    return l;
}

/* PW in-CTA split of the reduction (the batch-1 tiles). A tile with fewer
 * than 4 outputs per thread (tile_w*tile_c < 4*threads) splits its threads
 * into SK = 4*threads/(tile_w*tile_c) slices of 4 outputs per thread: a
 * pipeline stage holds SK consecutive chunks, slice j multiplies chunk j of
 * the stage, and the SK partial tiles are summed in shared memory before the
 * epilogue. The global segments are the contract's (the same chunks, one
 * segment per pixel/channel per chunk); only which threads load and multiply
 * them changes. Split tiles pipeline NB = 4 stages deep (three in flight while
 * one is multiplied): with one or two CTAs per SM the CTA itself has to keep
 * enough bytes in flight to cover the L2 latency. Other tiles: SK = 1, NB = 2. */
static inline CM_HD CM_CONSTEXPR cm_sw cm_pw_split(cm_sw tw, cm_sw tc, cm_sw threads) {
    return tw * tc >= 4 * threads ? 1 : 4 * threads / (tw * tc);
}
static inline CM_HD CM_CONSTEXPR cm_sw cm_pw_stages(cm_sw split) { return split > 1 ? 4 : 2; }

typedef struct cm_smem_pw {
    cm_sw a, b, bias, total;
} cm_smem_pw;
static inline CM_HD cm_smem_pw cm_smem_pw_layout(cm_sw tw, cm_sw tc, cm_sw kc, cm_sw threads) {
    cm_smem_pw l;
    const cm_sw ks = cm_odd_stride(kc), sk = cm_pw_split(tw, tc, threads), nb = cm_pw_stages(sk);
    l.a = 0;
    l.b = l.a + nb * sk * tw * ks;
    l.bias = cm_smem_max(nb * sk * (tw + tc) * ks, sk * tw * (tc + 4));
    l.total = l.bias + tc;
    return l;
}

/* The last (projection) GEMM of DWPW and PWDWPW: M = TH*TW output pixels x
 * TC channels, NTX = min(TC/4, 32) threads across the channels (4 or more
 * channels each, so that a warp reads few pixel rows) and at least one
 * pixel per thread. Small spatial tiles (batch 1) have more threads than
 * M*NTX: they split the chunk's reduction over SP = threads/(M*NTX) slices of
 * threads, each summing its share of the chunk's channels into its own
 * partial tile; the partial tiles meet in the output staging. */
static inline CM_HD CM_CONSTEXPR cm_sw cm_proj_ntx(cm_sw tc) {
    return tc / 4 < 1 ? 1 : (tc / 4 < 32 ? tc / 4 : 32);
}
static inline CM_HD CM_CONSTEXPR cm_sw cm_proj_split(cm_sw m, cm_sw tc, cm_sw threads) {
    return threads > m * cm_proj_ntx(tc) ? threads / (m * cm_proj_ntx(tc)) : 1;
}

typedef struct cm_smem_dwpw {
    cm_sw patch, wd, bd, d, w2, b2, total;
} cm_smem_dwpw;
static inline CM_HD cm_smem_dwpw cm_smem_dwpw_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc, cm_sw k,
                                                     cm_sw s, cm_sw threads) {
    cm_smem_dwpw l;
    const cm_sw m = th * tw, ks = cm_odd_stride(kc), sp = cm_proj_split(m, tc, threads);
    l.patch = 0;
    l.wd = l.patch + cm_smem_patch(th, tw, k, s) * ks;
    l.bd = l.wd + k * k * kc;
    l.d = l.bd + kc;
    l.w2 = l.d + cm_smem_max(m * ks, sp * m * (tc + 4));
    l.b2 = l.w2 + tc * ks;
    l.total = l.b2 + tc;
    return l;
}

/* PWDW: the chunk buffers form an NB-stage cp.async pipeline: buffer b
 * starts at b*bufsize and holds X | W1 at the offsets x, w1 (relative to the
 * buffer). Small spatial tiles (batch 1: little work per chunk, so a chunk's
 * multiply cannot hide the next chunk's L2 latency) keep three chunks in
 * flight (NB = 4); larger tiles double buffer. */
static inline CM_HD CM_CONSTEXPR cm_sw cm_pwdw_stages(cm_sw th, cm_sw tw) { return th * tw <= 16 ? 4 : 2; }
typedef struct cm_smem_pwdw {
    cm_sw x, w1, bufsize, e, wd, b1, bd, total;
} cm_smem_pwdw;
static inline CM_HD cm_smem_pwdw cm_smem_pwdw_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc, cm_sw k,
                                                     cm_sw s) {
    cm_smem_pwdw l;
    const cm_sw p = cm_smem_patch(th, tw, k, s), ks = cm_odd_stride(kc), ts = cm_odd_stride(tc);
    l.x = 0;
    l.w1 = l.x + p * ks;
    l.bufsize = l.w1 + tc * ks;
    l.e = cm_pwdw_stages(th, tw) * l.bufsize;
    l.wd = l.e + p * ts;
    l.b1 = l.wd + k * k * tc;
    l.bd = l.b1 + tc;
    l.total = l.bd + tc;
    return l;
}

typedef struct cm_smem_pwpw {
    cm_sw h, u, w1, b1, b2, total;
} cm_smem_pwpw;
static inline CM_HD cm_smem_pwpw cm_smem_pwpw_layout(cm_sw tw, cm_sw tc, cm_sw kc, cm_sw f1) {
    cm_smem_pwpw l;
    const cm_sw ks = cm_odd_stride(kc), fs = cm_odd_stride(f1);
    l.h = 0;
    l.u = l.h + tw * fs;
    l.w1 = l.u + tw * ks;
    const cm_sw ulen = cm_smem_max(cm_smem_max(tw * ks + f1 * ks, tc * fs), tw * (tc + 4));
    l.b1 = l.u + cm_smem_r4(ulen);
    l.b2 = l.b1 + cm_smem_r4(f1);
    l.total = l.b2 + tc;
    return l;
}

/* PWDWPW: the per-chunk weights are double buffered: buffer b starts at
 * buf + b*bufsize and holds W1 | b1 | Wdw | bdw | W2 at the offsets w1..w2
 * (relative to the buffer). */
typedef struct cm_smem_pwdwpw {
    cm_sw x, buf, bufsize, w1, b1, wd, bd, w2, e, d, b2, total;
} cm_smem_pwdwpw;
static inline CM_HD cm_smem_pwdwpw cm_smem_pwdwpw_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc,
                                                         cm_sw k, cm_sw s, cm_sw c, cm_sw threads) {
    cm_smem_pwdwpw l;
    const cm_sw p = cm_smem_patch(th, tw, k, s), sp = cm_proj_split(th * tw, tc, threads);
    const cm_sw m = th * tw, ks = cm_odd_stride(kc), cs = cm_odd_stride(c);
    l.x = 0;
    l.buf = l.x + p * cs;
    l.w1 = 0;
    l.b1 = l.w1 + kc * cs;
    l.wd = l.b1 + kc;
    l.bd = l.wd + k * k * kc;
    l.w2 = l.bd + kc;
    l.bufsize = l.w2 + tc * ks;
    l.e = l.buf + 2 * l.bufsize;
    l.d = l.e + cm_smem_max(p * ks, sp * m * (tc + 4));
    l.b2 = l.d + m * ks;
    l.total = l.b2 + tc;
    return l;
}

/* ---- 16-bit layouts (fp16 / bf16; issue 12) ---------------------------------
 *
 * The same units (4-byte words, every region 16-byte aligned); the tensors'
 * elements are 2 bytes, so a run of n elements takes n/2 words. hs(n) =
 * cm_half_stride(n): the row stride in words of a row of n 16-bit elements,
 * ceil(n/2) rounded up to an odd number of 16-byte units: ldmatrix reads 8 rows of 16
 * bytes at once (one 8x8 matrix) and 8 rows an odd number of 16-byte units
 * apart fall in 8 distinct 16-byte bank groups, so every ldmatrix and every
 * 16-byte cp.async row write is conflict-free without a swizzle (padding
 * instead of an XOR swizzle: the rows stay plain, the cost is 16 bytes per row).
 *
 *  DW  (F16/BF16, SIMT)  patch r4(ceil(P*TC/2)) (16-bit, [pixel][c]) | weights
 *        K*K*TC (fp32, transposed [kk][c], converted on load) | bias TC (fp32)
 *  PW  (F16/BF16, TC)    NB x {A TW*sw(KC) | B TC*sw(KC)} (NB = cm_pw_tc_stages
 *        cp.async stages, A = X chunk [pixel][k], B = W chunk [o][k], rows
 *        sw(KC) = KC*esz bytes apart, unpadded, their 16-byte units
 *        permuted by cm_pw_tc_swz (not hs: see there); with
 *        SK = cm_pw_tc_split > 1 k-step groups reused as the fp32 output
 *        staging of their SK*TW*(TC+8) partial tiles, when that is larger;
 *        SK = 1 rows store from the fragments; the bias starts the
 *        accumulators)
 *  DWPW (F16/BF16, TC)   2 x {X chunk P*hs(KC) | dw weights r4(ceil(K*K*KC/2))
 *        (16-bit) | dw bias r4(KC) | W chunk TC*hs(KC)} | M*hs(KC) (DW result
 *        chunk; the epilogue stores from the fragments) | pw bias TC
 *  PWDW (F16/BF16, TC)   2 x {X chunk P16*hs(KC) | W chunk TC*hs(KC)} | fp32
 *        PW accumulators P16*(TC+8) | PW result P16*hs(TC) (16-bit) | dw
 *        weights r4(ceil(K*K*TC/2)) (16-bit) | pw bias r4(TC) | dw bias r4(TC)
 *  PWDWPW (F16/BF16, TC)  X patch P16*hs(r16(C)) (16-bit; P16 = P rounded up
 *        to a multiple of 16, the mma's m, rows past P zero) | 2 x {W1 chunk
 *        KC*hs(r16(C)) | bias1 r4(KC) (fp32) | dw weights r4(ceil(K*K*KC/2))
 *        (16-bit, global order [e][kk]) | dw bias r4(KC) (fp32) | W2 chunk
 *        TC*hs(KC)} (double buffered by cp.async) | P16*hs(KC) (expanded
 *        chunk, 16-bit) | DW result M*hs(KC) (16-bit) | bias2 TC (the epilogue
 *        stores from the projection's fragments: no output staging)
 *   (r16(n) = n rounded up to a multiple of 16: the GEMMs' k steps read whole
 *   16-element groups, zero past the real channels.)
 * The output staging row is TC+8 floats (not +4): the mma accumulator
 * fragments are written as float2 by 4 threads per row for 8 rows, and a row
 * stride of 8 mod 32 words puts a half-warp's 16 float2 in 32 distinct banks.
 *
 * fp32 tensors on tensor cores (F32, TC: TF32 math; issue 12) carve the same
 * four tensor-core layouts with 4-byte elements (the _es functions, esz = 4):
 * every "16-bit" region above holds fp32 instead, hs(n) becomes
 * cm_tc_stride(n, 4) (n words rounded up to an odd number of 16-byte units,
 * so ldmatrix, which reads 16-byte rows, stays conflict-free: it moves each
 * fp32 as two b16 halves, fk_mma.cuh), r16(C) becomes cm_tc_rk(C, 4) (C
 * rounded up to 8, the k of m16n8k8 .tf32: a k-step is 32 bytes of a row for
 * both element sizes) and r4(ceil(n/2)) becomes r4(n). The fp32 DW of an F32
 * unit stays on CUDA cores with the fp32 layout (cm_kind_math).
 */
/* Words taken by n elements of esz bytes, esz 2 (fp16/bf16) or 4 (fp32 read
 * as TF32): ceil(n*esz/4). Spelled per size so that, esz a compile-time
 * constant in the kernels, their 16-bit arithmetic is what it was before fp32
 * rows existed; the layouts below spell it out again inline for the DW
 * weights (k*k*kc): through this call, or as (n*esz + 3) / 4, nvcc 13.0 lost
 * what it knew of k*k*kc and the 16-bit PWDWPW and DWPW kernels took 6..24
 * more registers (ptxas -v, sm_90). */
static inline CM_HD CM_CONSTEXPR cm_sw cm_tc_words(cm_sw n, cm_sw esz) {
    return esz == 2 ? (n + 1) / 2 : n;
}
/* The row stride in words of a tensor-core operand row of n elements of esz
 * bytes: cm_tc_words(n, esz) rounded up to an odd number of 16-byte units.
 * Always in 16-byte units (not CM_SMEM_ROW_UNIT: ldmatrix needs 16-byte ones). */
static inline CM_HD CM_CONSTEXPR cm_sw cm_tc_stride(cm_sw n, cm_sw esz) {
    return ((cm_tc_words(n, esz) + 3) / 4 % 2 == 1) ? (cm_tc_words(n, esz) + 3) / 4 * 4
                                                    : (cm_tc_words(n, esz) + 3) / 4 * 4 + 4;
}
/* n rounded up to whole k-steps of the mma: 32 bytes of a row, 16 16-bit
 * elements (m16n8k16) or 8 fp32 (m16n8k8 .tf32). */
static inline CM_HD CM_CONSTEXPR cm_sw cm_tc_rk(cm_sw n, cm_sw esz) {
    return esz == 2 ? (n + 15) / 16 * 16 : (n + 7) / 8 * 8;
}
static inline CM_HD CM_CONSTEXPR cm_sw cm_half_stride(cm_sw n) { return cm_tc_stride(n, 2); }

typedef struct cm_smem_dw16 {
    cm_sw x, w, b, total;
} cm_smem_dw16;
static inline CM_HD cm_smem_dw16 cm_smem_dw16_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw k, cm_sw s) {
    cm_smem_dw16 l;
    l.x = 0;
    l.w = l.x + cm_smem_r4((cm_smem_patch(th, tw, k, s) * tc + 1) / 2);
    l.b = l.w + k * k * tc;
    l.total = l.b + tc;
    return l;
}

/* PW on tensor cores: pipeline depth. Small (batch-1) tiles keep three chunks
 * in flight (4 stages): a lone CTA on its SM must cover the L2 latency itself;
 * larger tiles 3 stages (two in flight). */
static inline CM_HD CM_CONSTEXPR cm_sw cm_pw_tc_stages(cm_sw tw, cm_sw tc) { return tw * tc <= 64 * 64 ? 4 : 3; }

/* PW on tensor cores: the staged rows. A chunk row (KC elements of esz
 * bytes: 64 or 128 bytes, cm_pw_tc_row_ok) is stored unpadded, its 16-byte
 * units permuted: logical unit q of tile row r sits at unit cm_pw_tc_swz(r, q,
 * U) of the row, U = units per row (8: q XOR r & 7; 4, two rows per 128
 * bytes: q XOR (r >> 1) & 3). Two properties, both tested (test_smem.c,
 * test_costmodel.c):
 *  - the 8 rows of one ldmatrix phase (8 consecutive rows from a multiple of
 *    8, one logical unit) fall in 8 distinct 16-byte bank groups, and a
 *    warp's 16-byte cp.async writes, a permutation inside whole rows, cover
 *    whole 128-byte lines: conflict-free as the padded rows this replaces (an
 *    odd number of 16-byte units apart);
 *  - an XOR keeps the aligned pairs of units (2v, 2v+1) together, so a global
 *    32-byte sector copied by a row whose global start is an even unit lands
 *    in one 32-byte chunk of shared memory and the L2 serves it once. The
 *    padded rows split every sector of every other row (1.5x the contract's
 *    L2 reads for 128-byte segments: measured 1.42-1.48x; docs/costmodel.md
 *    2.5, issue 13). Rows whose global start is an odd unit (C*esz an odd
 *    number of 16-byte units: every other row) still split theirs; cm_traffic.c
 *    counts them. A rotation of those rows by one unit keeps them whole too,
 *    but its per-lane k-step offsets cost the kernels 2-19 registers (ptxas,
 *    sm_90, nvcc 13.0: fp16 16x64 k64 71 -> 90, TF32 128x128 128 -> 136, one
 *    CTA per SM fewer), for layers that are rare in the shipped models.
 */
static inline CM_HD CM_CONSTEXPR int cm_pw_tc_row_ok(cm_sw kc, cm_sw esz) { return kc * esz == 64 || kc * esz == 128; }
static inline CM_HD CM_CONSTEXPR cm_sw cm_pw_tc_swz(cm_sw r, cm_sw q, cm_sw units) {
    return units == 8 ? q ^ (r & 7) : q ^ ((r >> 1) & 3);
}

/* PW on tensor cores: warps beyond those that tile the output (warp tiles of
 * at least 16 pixels x 32 channels, tc < 32: one warp across) split each
 * chunk's k-steps into SK groups, each accumulating its own partial tile; the
 * partial tiles meet in the output staging. A 7x7 layer's few CTAs then run
 * SK times the warps on the same chunk loop, whose serial instruction chain
 * per warp, not bytes or mma, set the time (ncu, H100, 2026-12-06:
 * b14_project 64x64 n128 at 4.5 warps per SM, 4.9 cycles per instruction;
 * bench/kernels/NOTES.md, "The PW chunk loop"). */
static inline CM_HD CM_CONSTEXPR cm_sw cm_pw_tc_split(cm_sw tw, cm_sw tc, cm_sw threads) {
    const cm_sw warps = threads / 32;
    const cm_sw wn = tc >= 32 ? tc / 32 : 1;               /* warps across the channels */
    const cm_sw wm = cm_smem_min(warps / wn, tw / 16);     /* ... and down the pixels */
    return wm * wn > 0 ? warps / (wm * wn) : 1;
}

typedef struct cm_smem_pw_tc {
    cm_sw a, b, stage, staging, total;
} cm_smem_pw_tc;
/* esz: the element size, 2 (fp16/bf16) or 4 (fp32 as TF32); the tensor
 * kernels carve with the _es functions, the unsuffixed ones are the 16-bit
 * layouts. The output staging holds SK = cm_pw_tc_split partial tiles of
 * tw x (tc+8) floats, `staging` words apart, over the stages. */
static inline CM_HD cm_smem_pw_tc cm_smem_pw_tc_layout_es(cm_sw tw, cm_sw tc, cm_sw kc, cm_sw threads,
                                                          cm_sw esz) {
    cm_smem_pw_tc l;
    const cm_sw rs = kc * esz / 4, nb = cm_pw_tc_stages(tw, tc); /* unpadded rows (cm_pw_tc_swz) */
    const cm_sw sk = cm_pw_tc_split(tw, tc, threads);
    l.a = 0;
    l.b = l.a + tw * rs;      /* stage i: A at i*stage, B at i*stage + b */
    l.stage = (tw + tc) * rs; /* words per pipeline stage */
    l.staging = tw * (tc + 8);
    /* SK = 1: the epilogue stores from the fragments, no staging tile; the
     * bias lives in the accumulators (fk_pw_tc.cuh), not here */
    l.total = cm_smem_r4(cm_smem_max(nb * l.stage, sk > 1 ? sk * l.staging : 0));
    return l;
}
static inline CM_HD cm_smem_pw_tc cm_smem_pw_tc_layout(cm_sw tw, cm_sw tc, cm_sw kc, cm_sw threads) {
    return cm_smem_pw_tc_layout_es(tw, tc, kc, threads, 2);
}

/* DWPW with the PW on tensor cores (16-bit): per chunk of KC input channels,
 * double buffered (buffer b at buf + b*bufsize, regions x..w2 relative to it):
 * the patch chunk P*hs(KC) (16-bit) | dw weights r4(ceil(K*K*KC/2)) (16-bit,
 * global order [c][kk]) | dw bias r4(KC) (fp32) | W chunk TC*hs(KC); then
 * the DW result chunk M*hs(KC) (16-bit) | pw bias TC. The epilogue works
 * from the accumulator fragments (epilogue_frags): no output staging. */
typedef struct cm_smem_dwpw_tc {
    cm_sw buf, bufsize, x, wd, bd, w2, d, b2, total;
} cm_smem_dwpw_tc;
static inline CM_HD cm_smem_dwpw_tc cm_smem_dwpw_tc_layout_es(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc,
                                                              cm_sw k, cm_sw s, cm_sw esz) {
    cm_smem_dwpw_tc l;
    const cm_sw p = cm_smem_patch(th, tw, k, s), m = th * tw, ks = cm_tc_stride(kc, esz);
    l.buf = 0;
    l.x = 0;
    l.wd = l.x + p * ks;
    l.bd = l.wd + cm_smem_r4(esz == 2 ? (k * k * kc + 1) / 2 : k * k * kc); /* cm_tc_words */
    l.w2 = l.bd + cm_smem_r4(kc);
    l.bufsize = l.w2 + tc * ks;
    l.d = l.buf + 2 * l.bufsize;
    l.b2 = l.d + m * ks;
    l.total = l.b2 + tc;
    return l;
}
static inline CM_HD cm_smem_dwpw_tc cm_smem_dwpw_tc_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc, cm_sw k,
                                                           cm_sw s) {
    return cm_smem_dwpw_tc_layout_es(th, tw, tc, kc, k, s, 2);
}

/* PWDW with the PW on tensor cores (16-bit): 2 x {X chunk P16*hs(KC) | W
 * chunk TC*hs(KC)} (double buffered; buffer b at buf + b*bufsize) | the fp32
 * PW accumulators P16*(TC+8) | the PW result P16*hs(TC) (16-bit) | dw weights
 * r4(ceil(K*K*TC/2)) (16-bit, global order [c][kk]) | pw bias r4(TC) | dw bias
 * r4(TC) (fp32). */
typedef struct cm_smem_pwdw_tc {
    cm_sw buf, bufsize, x, w, a, e, wd, b1, bd, total;
} cm_smem_pwdw_tc;
static inline CM_HD cm_smem_pwdw_tc cm_smem_pwdw_tc_layout_es(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc,
                                                              cm_sw k, cm_sw s, cm_sw esz) {
    cm_smem_pwdw_tc l;
    const cm_sw p16 = (cm_smem_patch(th, tw, k, s) + 15) / 16 * 16;
    const cm_sw ks = cm_tc_stride(kc, esz), ts = cm_tc_stride(tc, esz);
    l.buf = 0;
    l.x = 0;
    l.w = l.x + p16 * ks;
    l.bufsize = l.w + tc * ks;
    l.a = l.buf + 2 * l.bufsize;
    l.e = l.a + p16 * (tc + 8);
    l.wd = l.e + p16 * ts;
    l.b1 = l.wd + cm_smem_r4(esz == 2 ? (k * k * tc + 1) / 2 : k * k * tc); /* cm_tc_words */
    l.bd = l.b1 + cm_smem_r4(tc);
    l.total = l.bd + cm_smem_r4(tc);
    return l;
}
static inline CM_HD cm_smem_pwdw_tc cm_smem_pwdw_tc_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc, cm_sw k,
                                                           cm_sw s) {
    return cm_smem_pwdw_tc_layout_es(th, tw, tc, kc, k, s, 2);
}

/* PWDWPW with both PWs on tensor cores (16-bit): the per-chunk weights are
 * double buffered (buffer b at buf + b*bufsize, regions w1..w2 relative to
 * it). c = the unit's input channels; k, s its DW kernel and stride. */
static inline CM_HD CM_CONSTEXPR cm_sw cm_smem_r16(cm_sw n) { return (n + 15) / 16 * 16; }
typedef struct cm_smem_pwdwpw_tc {
    cm_sw x, buf, bufsize, w1, b1, wd, bd, w2, e, d, b2, total;
} cm_smem_pwdwpw_tc;
static inline CM_HD cm_smem_pwdwpw_tc cm_smem_pwdwpw_tc_layout_es(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc,
                                                                  cm_sw k, cm_sw s, cm_sw c, cm_sw esz) {
    cm_smem_pwdwpw_tc l;
    const cm_sw p16 = cm_smem_r16(cm_smem_patch(th, tw, k, s)), m = th * tw;
    const cm_sw cs = cm_tc_stride(cm_tc_rk(c, esz), esz), ks = cm_tc_stride(kc, esz);
    l.x = 0;
    l.buf = l.x + p16 * cs;
    l.w1 = 0;
    l.b1 = l.w1 + kc * cs;
    l.wd = l.b1 + cm_smem_r4(kc);
    l.bd = l.wd + cm_smem_r4(esz == 2 ? (k * k * kc + 1) / 2 : k * k * kc); /* cm_tc_words */
    l.w2 = l.bd + cm_smem_r4(kc);
    l.bufsize = l.w2 + tc * ks;
    l.e = l.buf + 2 * l.bufsize;
    l.d = l.e + p16 * ks;
    l.b2 = l.d + m * ks;
    l.total = l.b2 + tc;
    return l;
}
static inline CM_HD cm_smem_pwdwpw_tc cm_smem_pwdwpw_tc_layout(cm_sw th, cm_sw tw, cm_sw tc, cm_sw kc,
                                                               cm_sw k, cm_sw s, cm_sw c) {
    return cm_smem_pwdwpw_tc_layout_es(th, tw, tc, kc, k, s, c, 2);
}


/* PWPW with both PWs on tensor cores (16-bit; fk_pwpw_tc.cuh). The CTA keeps
 * its TW pixels' whole input X (all C channels, 16-bit) and the whole first
 * result H (all F1 channels, 16-bit, rounded once) in shared memory, and
 * streams the weights through an NS-stage cp.async ring of NB-row x KC-column
 * stages: first W1[f][kc..kc+KC) for F1 blocks of NB rows (the block's fp32
 * accumulators stay in registers over all of C, which is why X must stay
 * resident: a block needs every chunk of X again), then W2[o][kf..kf+KC) for
 * output sub-blocks of NB channels (tile_c is a multiple of NB: a wide
 * channel tile costs no registers, only more sub-blocks, and recomputes the
 * first PW for fewer channel tiles). NB follows from the warps: they cover the
 * pixels in slabs of 32 (at most TW/32 slabs, at least one) and the rest of
 * them 32 channels each across the block.
 *
 *  PWPW (F16/BF16, TC)  max(X TW*hs(r16(C)), TW*(NB+8)) (X, then the fp32
 *        staging of one output sub-block: X is dead once H is complete) | H
 *        TW*hs(r16(F1)) | NS x {NB*hs(KC)} | bias1 r4(F1) (fp32) | bias2 TC
 * (r16: the GEMMs' k steps read whole 16-element groups, zeros past C / F1.)
 */
static inline CM_HD CM_CONSTEXPR cm_sw cm_pwpw_tc_nb(cm_sw tw, cm_sw threads) {
    return 32 * (threads / 32) /
           (tw >= 32 ? (threads / 32 < tw / 32 ? threads / 32 : tw / 32) : 1);
}
/* Three stages (two in flight while one multiplies): a stage is NB x KC
 * elements, 8..16 KB for the compiled rows, so two in flight already cover
 * the L2 latency of a CTA; a third would cost the second CTA per SM. */
#define CM_PWPW_TC_STAGES 3
typedef struct cm_smem_pwpw_tc {
    cm_sw x, h, ring, stage, b1, b2, total;
} cm_smem_pwpw_tc;
static inline CM_HD cm_smem_pwpw_tc cm_smem_pwpw_tc_layout(cm_sw tw, cm_sw tc, cm_sw kc, cm_sw threads,
                                                           cm_sw c, cm_sw f1) {
    cm_smem_pwpw_tc l;
    const cm_sw nb = cm_pwpw_tc_nb(tw, threads);
    l.x = 0;
    l.h = l.x + cm_smem_max(tw * cm_half_stride(cm_smem_r16(c)), tw * (nb + 8));
    l.ring = l.h + tw * cm_half_stride(cm_smem_r16(f1));
    l.stage = nb * cm_half_stride(kc); /* stage i at ring + i*stage */
    l.b1 = l.ring + CM_PWPW_TC_STAGES * l.stage;
    l.b2 = l.b1 + cm_smem_r4(f1);
    l.total = l.b2 + tc;
    return l;
}

#endif
