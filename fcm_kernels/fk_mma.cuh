/* fk_mma.cuh - the tensor-core building blocks of the 16-bit kernels (issue 12),
 * typed by element (__half, __nv_bfloat16), FP32 accumulation:
 *
 *   mma_16816<T>        one mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}: D = A B + D,
 *                       A 16x16 row-major, B 16x8 "col" (stored as [n][k]), D 16x8 fp32
 *   ldsm_x4 / _trans    ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16: four 8x8 matrices,
 *                       lane l gives the address of row l%8 of matrix l/8
 *   frag_a / frag_b2    the lane addresses that load an A fragment (16x16) or the B fragments
 *                       of two n8 tiles (16 n x 16 k) from a K-contiguous shared tile with one
 *                       ldmatrix.x4 each
 *   copy_row16          a 16-byte group of a global row into shared memory by cp.async (zero
 *                       fill past the row), or by plain loads where rows are not 16-byte
 *                       aligned; the cp.async ring helpers are fk_common.cuh's
 *   acc_store_frag      an m16n8 accumulator fragment into an fp32 staging tile
 *   mma_tc / tc_round   one k-step for any tensor-core element: the above for 16 bits,
 *                       m16n8k8 .tf32 with cvt.rna operands for fp32 (TF32, end of file)
 *   mma_16816_c /       d = a b + c with c in other registers than d (a bias as the
 *   mma_tc_c            first k-step's C: no copy of it into every tile's accumulators)
 *   ElemClamp /         an activation clamp applied in the element type: 16-bit pairs
 *   sts2_clamped        rounded, then clamped packed (fp32: in fp32), then stored
 *   stsm_x4             stmatrix.sync.aligned.m8n8.x4.shared.b16 (sm_90): ldmatrix's inverse,
 *                       four 8x8 matrices from fragments into shared memory
 *   stsm_frags          an m16 x 8*N8 block of accumulator fragments packed pair by pair
 *                       and stored, one stmatrix.x4 per 16 columns;
 *   stsm_frags_clamped  its pairs rounded and clamped per row
 *   pack2_relu_f32 /    a pair rounded with ReLU in the conversion (cvt.rn.relu), then
 *   min2 /              one min with the upper bound: stsm_frags_clamped for a lower
 *   stsm_frags_relu     bound of 0 in two instructions a pair instead of three
 *
 * Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16"): with g = lane/4 and
 * t = lane%4, A regs a0..a3 hold rows {g, g+8} x k {2t, 2t+1} of k-halves {0-7, 8-15}
 * in the order (g, lo), (g+8, lo), (g, hi), (g+8, hi); B regs b0, b1 hold k {2t, 2t+1}
 * (+8 for b1) of column n = g; D regs d0, d1 = row g, cols 2t, 2t+1; d2, d3 = row g+8.
 * ldmatrix (non-transposed) of an 8x8 b16 matrix gives lane l the elements
 * (row l/4, cols 2(l%4), 2(l%4)+1): exactly an A quarter or a B half when the tile
 * rows are M (pixels) or N (output channels) and the 16 k values are contiguous in
 * each row, which is how every kernel stores X, W1, W2 and the DW result. .trans
 * (for a tile stored k-major) is provided for kernels whose B is [k][n].
 *
 * Shared-memory rows are an odd number of 16-byte units apart (cm_half_stride,
 * cm_smem_layout.h): the 8 row addresses of one 8x8 matrix then hit 8 distinct
 * 16-byte bank groups, so every ldmatrix phase is conflict-free. */
#ifndef FUSEPLAN_FK_MMA_CUH
#define FUSEPLAN_FK_MMA_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "fk_common.cuh"

namespace fk {

template <typename T>
struct MmaElem; /* undefined: mma only for the 16-bit types */
template <>
struct MmaElem<__half> {
    static constexpr bool bf16 = false;
};
template <>
struct MmaElem<__nv_bfloat16> {
    static constexpr bool bf16 = true;
};

/* d += a * b: one m16n8k16 tensor-core multiply, FP32 accumulators. */
template <typename T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                          uint32_t b1) {
    if constexpr (MmaElem<T>::bf16) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
}

/* d = a * b + c, c and d distinct: the first k-step of a sum that starts
 * from c (a bias held in registers), so no per-tile copy of c into d is
 * needed (ncu: with d initialised from c and the "+f" form, the expansion of
 * the PWDWPW kernels spent ~35 register moves per m16 tile). */
template <typename T>
__device__ __forceinline__ void mma_16816_c(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                            uint32_t b1, const float (&c)[4]) {
    if constexpr (MmaElem<T>::bf16) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};\n"
                     : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "f"(c[0]),
                       "f"(c[1]), "f"(c[2]), "f"(c[3]));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};\n"
                     : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "f"(c[0]),
                       "f"(c[1]), "f"(c[2]), "f"(c[3]));
    }
}

__device__ __forceinline__ uint32_t smem_u32(const void *p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/* Four 8x8 b16 matrices; lane l addresses row l%8 of matrix l/8. */
__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], uint32_t addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4_trans(uint32_t (&r)[4], uint32_t addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

/* Lane address of an A fragment: rows [m0, m0+16), k [k0, k0+16) of a tile of
 * 16-bit rows `rs_bytes` apart (matrices: rows lo/k lo, rows hi/k lo, rows lo/
 * k hi, rows hi/k hi = a0..a3). */
__device__ __forceinline__ uint32_t frag_a(uint32_t base, int rs_bytes, int m0, int k0, int lane) {
    return base + (uint32_t)((m0 + (lane & 15)) * rs_bytes + (k0 + (lane >> 4) * 8) * 2);
}
/* Lane address of the B fragments of two n8 tiles: rows (n) [n0, n0+16), k
 * [k0, k0+16): r0, r1 = (b0, b1) of n tile n0, r2, r3 = of n tile n0+8. */
__device__ __forceinline__ uint32_t frag_b2(uint32_t base, int rs_bytes, int n0, int k0, int lane) {
    return base + (uint32_t)((n0 + (lane & 7) + (lane >> 4) * 8) * rs_bytes +
                             (k0 + ((lane >> 3) & 1) * 8) * 2);
}

/* One 16-byte group q (elements [8q, 8q+8)) of a global row g[0..len) of
 * 16-bit elements into shared s[8q..8q+8) (16-byte aligned), zeros past len.
 * vec: g is 16-byte aligned and rows never end inside a group except at len
 * (cp.async with the source size cut: bytes past len are not read); else
 * plain 2-byte loads (rows of odd channel counts are only 2-byte aligned,
 * below cp.async's 4-byte minimum). Either way exactly g[8q .. min(8q+8, len))
 * is read. */
template <typename T>
__device__ __forceinline__ void copy_row16(T *s, const T *g, int len, int q, int vec) {
    static_assert(sizeof(T) == 2, "16-bit elements");
    const int c = q * 8;
    const int nb = len - c;
    if (vec) {
        const int bytes = nb >= 8 ? 16 : (nb > 0 ? nb * 2 : 0);
        cp_async16(s + c, bytes ? g + c : g, bytes);
    } else {
        uint16_t v[8];
        const uint16_t *gs = reinterpret_cast<const uint16_t *>(g + c);
#pragma unroll
        for (int j = 0; j < 8; j++) v[j] = j < nb ? __ldg(gs + j) : (uint16_t)0;
        uint4 u;
        u.x = v[0] | ((uint32_t)v[1] << 16);
        u.y = v[2] | ((uint32_t)v[3] << 16);
        u.z = v[4] | ((uint32_t)v[5] << 16);
        u.w = v[6] | ((uint32_t)v[7] << 16);
        *reinterpret_cast<uint4 *>(s + c) = u;
    }
}

/* Element <-> fp32 in shared memory (CUDA-core stages of the 16-bit kernels):
 * one element, 2 packed (4 bytes) and 4 packed (8 bytes, 8-byte aligned). */
template <typename T>
__device__ __forceinline__ float elem_to_f32(T v) {
    if constexpr (MmaElem<T>::bf16)
        return __bfloat162float(v);
    else
        return __half2float(v);
}
template <typename T>
__device__ __forceinline__ uint32_t pack2_f32(float a, float b) {
    if constexpr (MmaElem<T>::bf16) {
        const __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
        return *reinterpret_cast<const uint32_t *>(&h);
    } else {
        const __half2 h = __floats2half2_rn(a, b);
        return *reinterpret_cast<const uint32_t *>(&h);
    }
}
template <typename T>
__device__ __forceinline__ float2 unpack2_f32(uint32_t u) {
    if constexpr (MmaElem<T>::bf16)
        return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162 *>(&u));
    else
        return __half22float2(*reinterpret_cast<const __half2 *>(&u));
}
template <typename T>
__device__ __forceinline__ float4 lds4_f32(const T *s) {
    const uint2 u = *reinterpret_cast<const uint2 *>(s);
    const float2 a = unpack2_f32<T>(u.x), b = unpack2_f32<T>(u.y);
    return make_float4(a.x, a.y, b.x, b.y);
}
template <typename T>
__device__ __forceinline__ void sts2_from_f32(T *s, float a, float b) {
    *reinterpret_cast<uint32_t *>(s) = pack2_f32<T>(a, b);
}
template <typename T>
__device__ __forceinline__ void sts4_from_f32(T *s, float4 v) {
    *reinterpret_cast<uint2 *>(s) = make_uint2(pack2_f32<T>(v.x, v.y), pack2_f32<T>(v.z, v.w));
}

/* An ActClamp for stores in the element type: 16-bit pairs are rounded
 * first and clamped packed (two half2 / bfloat162 min/max per pair instead of
 * four fp32 ones). Round-then-clamp equals clamp-then-round: rounding is
 * monotonic and the bounds (0, 6, NaN) are exact in both types; __hmax2 /
 * __hmin2 return the other operand for a NaN one, as fmaxf / fminf do. The
 * fp32 specialisation (TF32 kernels) clamps in fp32. */
template <typename T>
struct ElemClamp {
    uint32_t lo, hi; /* packed pairs */
};
template <typename T>
__device__ __forceinline__ ElemClamp<T> elem_clamp(ActClamp c) {
    return ElemClamp<T>{pack2_f32<T>(c.lo, c.lo), pack2_f32<T>(c.hi, c.hi)};
}
/* Two fp32 values rounded to a packed pair of the element type with ReLU in
 * the conversion (cvt.rn.relu.{f16x2,bf16x2}.f32, sm_80+: a negative value
 * becomes +0, a NaN stays NaN): one instruction where pack2_f32 and a max
 * with 0 were two. Clamp-then-round equals round-then-clamp (rounding is
 * monotonic and 0 is exact). */
template <typename T>
__device__ __forceinline__ uint32_t pack2_relu_f32(float a, float b) {
    uint32_t d;
    /* cvt's first source goes to the upper half: b, as __floats2half2_rn(a, b) */
    if constexpr (MmaElem<T>::bf16)
        asm("cvt.rn.relu.bf16x2.f32 %0, %1, %2;\n" : "=r"(d) : "f"(b), "f"(a));
    else
        asm("cvt.rn.relu.f16x2.f32 %0, %1, %2;\n" : "=r"(d) : "f"(b), "f"(a));
    return d;
}
/* min(u, hi) on packed pairs of the element type, NaN-propagating (min.NaN,
 * HMNMX2.NAN: one instruction as the plain min): a NaN u stays NaN, so "no
 * upper bound" is hi = +inf, not NaN as in ElemClamp. */
template <typename T>
__device__ __forceinline__ uint32_t min2(uint32_t u, uint32_t hi) {
    if constexpr (MmaElem<T>::bf16) {
        const __nv_bfloat162 v = __hmin2_nan(*reinterpret_cast<const __nv_bfloat162 *>(&u),
                                             *reinterpret_cast<const __nv_bfloat162 *>(&hi));
        return *reinterpret_cast<const uint32_t *>(&v);
    } else {
        const __half2 v = __hmin2_nan(*reinterpret_cast<const __half2 *>(&u),
                                      *reinterpret_cast<const __half2 *>(&hi));
        return *reinterpret_cast<const uint32_t *>(&v);
    }
}
/* A packed pair u of the element type clamped to c's bounds. */
template <typename T>
__device__ __forceinline__ uint32_t clamp2(uint32_t u, const ElemClamp<T> &c) {
    if constexpr (MmaElem<T>::bf16) {
        const __nv_bfloat162 v = __hmin2(__hmax2(*reinterpret_cast<const __nv_bfloat162 *>(&u),
                                                 *reinterpret_cast<const __nv_bfloat162 *>(&c.lo)),
                                         *reinterpret_cast<const __nv_bfloat162 *>(&c.hi));
        return *reinterpret_cast<const uint32_t *>(&v);
    } else {
        const __half2 v = __hmin2(__hmax2(*reinterpret_cast<const __half2 *>(&u),
                                          *reinterpret_cast<const __half2 *>(&c.lo)),
                                  *reinterpret_cast<const __half2 *>(&c.hi));
        return *reinterpret_cast<const uint32_t *>(&v);
    }
}
template <typename T>
__device__ __forceinline__ void sts2_clamped(T *s, float a, float b, const ElemClamp<T> &c) {
    *reinterpret_cast<uint32_t *>(s) = clamp2<T>(pack2_f32<T>(a, b), c);
}

/* stmatrix (sm_90; PTX ISA, "stmatrix"): ldsm_x4's inverse. Lane l gives the
 * address of row l%8 of matrix l/8; register i of every lane holds matrix i's
 * (row lane/4, cols 2(lane%4), +1), the fragment layout of an m16n8
 * accumulator pair packed to 16 bits. One instruction stores what four 4-byte
 * stores of the lanes' pairs would. */
__device__ __forceinline__ void stsm_x4(uint32_t addr, uint32_t r0, uint32_t r1, uint32_t r2,
                                        uint32_t r3) {
    asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};\n"
                 :
                 : "r"(addr), "r"(r0), "r"(r1), "r"(r2), "r"(r3)
                 : "memory");
}
/* The m16 x 8*N8 accumulator fragments acc[j] (n8 tile j, mma layout: the
 * lane's rows g = lane/4 and g+8) into the 16-bit tile at byte address
 * `block` (the block's row 0, column 0; rows rs_bytes apart, 16-byte
 * aligned): every pair (a, b) of row g + 8h packed by pair(a, b, h), one
 * stmatrix.x4 per 16 columns (matrices: rows 0-7 / 8-15
 * of n8 tile 2jj, then of 2jj+1). ncu (H100, 2026-12-06, bench/kernels/
 * NOTES.md): the PWDWPW expansion's per-pair stores and their addresses were
 * the largest share of its epilogue; by stmatrix every PWDWPW unit of
 * MobileNetV2 fp16 b64 ran 1-6 % faster (H100, 2026-12-07).
 * stsm_frags_clamped: every pair rounded to T and clamped with its row's
 * bounds (c[0] for row g, c[1] for row g+8: a row outside the data stores
 * zeros with bounds {0, 0}). */
template <typename T, int N8, typename PairFn>
__device__ __forceinline__ void stsm_frags(uint32_t block, int rs_bytes, const float (&acc)[N8][4],
                                           int lane, PairFn pair) {
    static_assert(sizeof(T) == 2 && N8 % 2 == 0, "stmatrix: 16-bit elements, pairs of n8 tiles");
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
    const uint32_t addr =
        block + (uint32_t)(((lane & 7) + (lane & 8)) * rs_bytes + (lane >> 4) * 16);
#pragma unroll
    for (int jj = 0; jj < N8 / 2; jj++) {
        const float(&lo)[4] = acc[2 * jj];
        const float(&up)[4] = acc[2 * jj + 1];
        stsm_x4(addr + jj * 32, pair(lo[0], lo[1], 0), pair(lo[2], lo[3], 1), pair(up[0], up[1], 0),
                pair(up[2], up[3], 1));
    }
#else /* no stmatrix before sm_90: the lane's own pairs, 4 bytes each */
    const uint32_t addr = block + (uint32_t)((lane >> 2) * rs_bytes + (lane & 3) * 4);
#pragma unroll
    for (int j = 0; j < N8; j++)
#pragma unroll
        for (int h = 0; h < 2; h++)
            asm volatile("st.shared.b32 [%0], %1;\n"
                         :
                         : "r"(addr + h * 8 * rs_bytes + j * 16),
                           "r"(pair(acc[j][2 * h], acc[j][2 * h + 1], h))
                         : "memory");
#endif
}
template <typename T, int N8>
__device__ __forceinline__ void stsm_frags_clamped(uint32_t block, int rs_bytes,
                                                   const float (&acc)[N8][4],
                                                   const ElemClamp<T> (&c)[2], int lane) {
    stsm_frags<T, N8>(block, rs_bytes, acc, lane, [&](float a, float b, int h) {
        return clamp2<T>(pack2_f32<T>(a, b), c[h]);
    });
}
/* stsm_frags_clamped for an activation whose lower bound is 0 (ReLU, ReLU6):
 * each pair rounded with ReLU in the conversion (pack2_relu_f32), then one
 * min with its row's upper bound hi[0] (row g) / hi[1] (row g+8; +inf for
 * ReLU), packed; a row outside the data passes hi = 0 and stores zeros. One
 * conversion and one min per pair where stsm_frags_clamped issues a
 * conversion, a max and a min (the PWDWPW expansion's epilogue: 8 of its ~49
 * instructions per m16 tile, bench/kernels/NOTES.md). A NaN stays NaN
 * (PyTorch's relu and relu6 propagate it too), where stsm_frags_clamped's
 * max with 0 turns it into 0. */
template <typename T, int N8>
__device__ __forceinline__ void stsm_frags_relu(uint32_t block, int rs_bytes,
                                                const float (&acc)[N8][4],
                                                const uint32_t (&hi)[2], int lane) {
    stsm_frags<T, N8>(block, rs_bytes, acc, lane, [&](float a, float b, int h) {
        return min2<T>(pack2_relu_f32<T>(a, b), hi[h]);
    });
}

/* Zeros one 16-byte group of shared memory. */
__device__ __forceinline__ void zero16(void *s) {
    *reinterpret_cast<uint4 *>(s) = make_uint4(0u, 0u, 0u, 0u);
}

/* The m16n8 accumulator fragment d of rows [m0, m0+16), cols [n0, n0+8) into
 * the fp32 tile cs (row stride ld floats; ld % 32 == 8 makes the float2 stores
 * of a half-warp hit 32 distinct banks). */
__device__ __forceinline__ void acc_store_frag(float *cs, int ld, const float (&d)[4], int m0,
                                               int n0, int lane) {
    const int r = m0 + (lane >> 2), c = n0 + (lane & 3) * 2;
    *reinterpret_cast<float2 *>(cs + r * ld + c) = make_float2(d[0], d[1]);
    *reinterpret_cast<float2 *>(cs + (r + 8) * ld + c) = make_float2(d[2], d[3]);
}

/* ---- TF32: fp32 tensors on tensor cores (math tc for fp32; issue 12) -------
 *
 * mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 (PTX ISA, "Matrix
 * Fragments for mma.m16n8k8", .tf32): with g = lane/4 and t = lane%4, A regs
 * a0..a3 hold (row g, k t), (g+8, t), (g, t+4), (g+8, t+4); B regs b0, b1
 * hold (k t, n g), (k t+4, n g); the fp32 accumulators are m16n8k16's.
 *
 * Fragment loads: ldmatrix (non-transposed) gives lane l the 32-bit word l%4
 * of row l/4 of an 8x8 b16 matrix (8 rows of 16 bytes): for rows of fp32 that
 * word is the element (row g, k t), exactly what a0 needs from an 8-row x
 * 4-k block, and ldmatrix moves bits, so the fp32 arrive intact. A 16x8 fp32
 * A block is four such 16-byte-wide matrices (rows lo/k lo, rows hi/k lo,
 * rows lo/k hi, rows hi/k hi = a0..a3) and two n8 x k8 B blocks are four (n
 * lo/k lo, n lo/k hi, n hi/k lo, n hi/k hi = b0, b1 of n tile n0, then of
 * n0+8): byte for byte the matrices frag_a and frag_b2 address for a 16x16
 * block of 16-bit elements, because a k-step is 32 bytes of a row for both
 * mma shapes (16 16-bit elements, 8 fp32). The kernels therefore keep frag_a
 * and frag_b2 and pass a k-step's offset in 16-bit units (ks * 16 for k-step
 * ks) whatever the element. Plain 32-bit shared loads would take 4 loads per
 * A fragment where one ldmatrix.x4 does; and the rows stay an odd number of
 * 16-byte units apart (cm_tc_stride), so every ldmatrix phase is
 * conflict-free as for 16 bits.
 *
 * Rounding: tc_round converts each operand register with cvt.rna.tf32.f32
 * (round to nearest, ties away from zero: the instruction of CUDA's own
 * nvcuda::wmma::__float_to_tf32, and the rounding of CUTLASS's tfloat32_t)
 * before the mma: a relative error of at most 2^-11 per operand, unbiased
 * but for ties. The PTX ISA expects .tf32 operands already in that format;
 * raw fp32 bits would leave the rounding to the hardware (PyTorch's TF32 note:
 * "only the first 10 bits of the input mantissa are read", a truncation of up
 * to 2^-10, biased toward zero). Accumulation is fp32, as for 16 bits. */

/* d += a * b: one m16n8k8 TF32 tensor-core multiply (operands already
 * rounded by tc_round), FP32 accumulators. */
__device__ __forceinline__ void mma_1688_tf32(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                              uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* The fp32 in register bits u rounded to TF32 (cvt.rna: nearest, ties away),
 * as the 32-bit pattern the mma reads. */
__device__ __forceinline__ uint32_t f32_to_tf32(uint32_t u) {
    uint32_t r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(__uint_as_float(u)));
    return r;
}

/* One k-step (32 bytes of each A and B row) of the element type T: m16n8k16
 * for fp16 / bf16, m16n8k8 .tf32 for fp32. a and b as loaded by frag_a /
 * frag_b2 and passed through tc_round. */
template <typename T>
__device__ __forceinline__ void mma_tc(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                       uint32_t b1) {
    if constexpr (std::is_same<T, float>::value)
        mma_1688_tf32(d, a, b0, b1);
    else
        mma_16816<T>(d, a, b0, b1);
}

/* The operand registers of one ldmatrix.x4 as the mma wants them: fp32
 * rounded to TF32; 16-bit elements are used as they are. */
template <typename T>
__device__ __forceinline__ void tc_round(uint32_t (&r)[4]) {
    if constexpr (std::is_same<T, float>::value) {
#pragma unroll
        for (int i = 0; i < 4; i++) r[i] = f32_to_tf32(r[i]);
    }
}

/* The fp32 twins of the 16-bit element helpers above, so that the kernel
 * templates read and write their shared operands the same way for every
 * element type (non-template overloads: chosen over the templates for
 * float). An fp32 operand is stored as fp32 (the TF32 rounding happens in
 * tc_round, at the mma, as it does in cuDNN's TF32 convolutions, which read
 * fp32 tensors); the CUDA-core stages (DW) compute in fp32 exactly as the
 * fp32 SIMT kernels do. */
__device__ __forceinline__ float elem_to_f32(float v) { return v; }
__device__ __forceinline__ float4 lds4_f32(const float *s) {
    return *reinterpret_cast<const float4 *>(s);
}
__device__ __forceinline__ void sts2_from_f32(float *s, float a, float b) {
    *reinterpret_cast<float2 *>(s) = make_float2(a, b);
}
__device__ __forceinline__ void sts4_from_f32(float *s, float4 v) {
    *reinterpret_cast<float4 *>(s) = v;
}
template <>
struct ElemClamp<float> {
    ActClamp c;
};
template <>
__device__ __forceinline__ ElemClamp<float> elem_clamp<float>(ActClamp c) {
    return ElemClamp<float>{c};
}
__device__ __forceinline__ void sts2_clamped(float *s, float a, float b, const ElemClamp<float> &c) {
    *reinterpret_cast<float2 *>(s) = make_float2(clamp_apply(a, c.c), clamp_apply(b, c.c));
}
/* d = a * b + c for TF32 (mma_16816_c's twin). */
__device__ __forceinline__ void mma_1688_tf32_c(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                                uint32_t b1, const float (&c)[4]) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};\n"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "f"(c[0]),
                   "f"(c[1]), "f"(c[2]), "f"(c[3]));
}
/* One k-step d = a * b + c of the element type T (mma_tc with a start c). */
template <typename T>
__device__ __forceinline__ void mma_tc_c(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1, const float (&c)[4]) {
    if constexpr (std::is_same<T, float>::value)
        mma_1688_tf32_c(d, a, b0, b1, c);
    else
        mma_16816_c<T>(d, a, b0, b1, c);
}
/* One 16-byte group q (elements [4q, 4q+4)) of an fp32 row g[0..len) into
 * s[4q..4q+4), zeros past len: copy_group (fk_common.cuh), by 16-byte
 * cp.async where vec (rows 16-byte aligned), else by 4-byte cp.async (rows of
 * channel counts not a multiple of 4 are only 4-byte aligned). Either way
 * exactly g[4q .. min(4q+4, len)) is read, asynchronously: the caller's
 * cp_async_commit / wait covers it. */
__device__ __forceinline__ void copy_row16(float *s, const float *g, int len, int q, int vec) {
    copy_group(s, g, len, q, vec);
}

} // namespace fk

#endif
