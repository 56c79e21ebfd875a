/* fk_epilogue.cuh - THE epilogue of every kind: bias, activation, residual
 * add and the store of one group of 4 output channels, vector (one 4-element
 * store; p.vec) or scalar (the channels below the tile's clipped width), in the
 * unit's numerics (fk_kernels.h): y = act(acc + bias) + R. Typed by element
 * through ElemTraits<T> (fk_elem.cuh): accumulators are float, the residual is read
 * and y written as T.
 *
 * Also the staging pieces the GEMM-shaped kinds share: a thread's register
 * tile into a shared-memory tile, and the sum of a group over the partial
 * tiles of a split reduction. */
#ifndef FUSEPLAN_FK_EPILOGUE_CUH
#define FUSEPLAN_FK_EPILOGUE_CUH

#include "fk_common.cuh"
#include "fk_elem.cuh"
#include "fk_mma.cuh"

namespace fk {

/* y[off .. off+4) = v (+ R[off ..]): v is final (bias and activation done).
 * c is the group's first channel inside the tile and cw the tile's clipped
 * width: the scalar path stores only channels c + j < cw. */
template <typename T>
__device__ __forceinline__ void store_group(const ParamsT<T> &p, long long off, float4 v, int c,
                                            int cw) {
    /* the fields once, into registers: a store through y could alias *p as
     * far as the compiler knows, and would make it re-read them (the kernels
     * take p by value, whose fields never alias; same code as theirs) */
    const int vec = p.vec;
    const T *const res = p.res;
    T *const y = p.y;
    if (vec) {
        if (res) v = add4(v, ElemTraits<T>::load4(res + off));
        ElemTraits<T>::store4(y + off, v);
    } else {
        const float vv[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int j = 0; j < 4; j++) {
            if (c + j >= cw) break;
            float o = vv[j];
            if (res) o += ElemTraits<T>::load(res + off + j);
            ElemTraits<T>::store(y + off + j, o);
        }
    }
}

/* The epilogue of one group: y = act(acc + bias) (+ R). */
template <typename T>
__device__ __forceinline__ void epilogue_group(const ParamsT<T> &p, long long off, float4 acc,
                                               float4 bias, int act, int c, int cw) {
    store_group(p, off, act4(add4(acc, bias), act), c, cw);
}

/* The epilogue of a group whose accumulator started from the bias (PWDW's
 * depthwise: acc = bias + sum, that kernel's order of additions): y = act(acc)
 * (+ R). */
template <typename T>
__device__ __forceinline__ void epilogue_group_biased(const ParamsT<T> &p, long long off,
                                                      float4 acc, int act, int c, int cw) {
    store_group(p, off, act4(acc, act), c, cw);
}

/* The store of one group whose activation input v is final (bias added),
 * for the tensor-core epilogues: 16-bit outputs of a unit without a residual
 * on the vector path round the four values first and clamp them as two
 * packed pairs (two half2 / bfloat162 min/max per pair instead of two fp32
 * ones per value; exact: sts2_clamped, fk_mma.cuh), the rest as
 * epilogue_group_biased. ac is elem_clamp<T>(act_clamp(act)). */
template <typename T>
__device__ __forceinline__ void store_group_act(const ParamsT<T> &p, long long off, float4 v, int act,
                                                const ElemClamp<T> &ac, int c, int cw) {
    if constexpr (sizeof(T) == 2) {
        if (p.vec && !p.res) {
            uint32_t u[2] = {pack2_f32<T>(v.x, v.y), pack2_f32<T>(v.z, v.w)};
            if (act != CM_ACT_NONE) {
#pragma unroll
                for (int k = 0; k < 2; k++) u[k] = clamp2<T>(u[k], ac);
            }
            *reinterpret_cast<uint2 *>(p.y + off) = make_uint2(u[0], u[1]);
            return;
        }
    }
    store_group(p, off, act4(v, act), c, cw);
}

/* The epilogue straight from a warp's tensor-core accumulators, with no
 * staging tile and no barrier: acc[i][j] is the m16n8 fragment of rows
 * m0 + 16i and channels n0 + 8j (lane = 4g + t holds rows g and g+8, channels
 * 2t and 2t+1; fk_mma.cuh). For each pair of n8 tiles (2jp, 2jp+1) and row
 * half h, lanes t and t^1 swap one float2 (frag_group), so that an even lane
 * holds channels 2t..2t+3 of tile 2jp and an odd lane channels 2t-2..2t+1 of
 * tile 2jp+1: four consecutive channels, the group epilogue_group takes. The
 * values are the fp32 accumulators themselves, so bias, activation, residual
 * and the one rounding are the staged path's, bit for bit; a warp's store then
 * writes 8 rows x 4 lanes x 4 channels, whole 32-byte sectors for 16-bit
 * outputs (the staged path's traffic), without the staging stores, the
 * barrier and the reload of the staged path (ncu, H100: that epilogue was
 * ~15 % of DWPW b0's instructions; bench/kernels/NOTES.md, "The fused DW on
 * tensor cores"). */
template <int MT, int NT8>
__device__ __forceinline__ float4 frag_group(const float (&acc)[MT][NT8][4], int i, int jp, int h, bool odd) {
    const float *d0 = acc[i][2 * jp] + 2 * h, *d1 = acc[i][2 * jp + 1] + 2 * h;
    /* every lane shuffles (no divergence before this) */
    const float r0 = __shfl_xor_sync(0xffffffffu, odd ? d0[0] : d1[0], 1);
    const float r1 = __shfl_xor_sync(0xffffffffu, odd ? d0[1] : d1[1], 1);
    return odd ? make_float4(r0, r1, d1[0], d1[1]) : make_float4(d0[0], d0[1], r0, r1);
}

/* bias: the tile's bias in shared memory, indexed by the channel in the tile
 * (zeros past cw), one float4 per pair of n8 tiles held across the rows;
 * row_off(m): the global offset of tile row m's channel 0, or -1 for a row
 * outside the image or the pixel run (not stored). The DWPW and PWDWPW
 * kernels. */
template <typename T, int MT, int NT8, typename RowOff>
__device__ __forceinline__ void epilogue_frags(const ParamsT<T> &p, const float (&acc)[MT][NT8][4],
                                               int m0, int n0, int lane, const float *bias, int act,
                                               int cw, RowOff row_off) {
    static_assert(NT8 % 2 == 0, "epilogue_frags pairs n8 tiles");
    const int t = lane & 3, g = lane >> 2;
    const bool odd = t & 1;
    const int cl = odd ? 2 * t + 6 : 2 * t; /* the lane's first channel in a 16-channel pair */
#pragma unroll
    for (int jp = 0; jp < NT8 / 2; jp++) {
        const int c = n0 + jp * 16 + cl;
        const float4 b = *reinterpret_cast<const float4 *>(bias + c);
#pragma unroll
        for (int i = 0; i < MT; i++)
#pragma unroll
            for (int h = 0; h < 2; h++) {
                const float4 v = frag_group(acc, i, jp, h, odd);
                const long long off = row_off(m0 + i * 16 + g + 8 * h);
                if (off >= 0 && c < cw) epilogue_group(p, off + c, v, b, act, c, cw);
            }
    }
}

/* The same for accumulators that started from the bias (the PW kernel: no
 * add per value), each row's offset asked once, and the stores of
 * store_group_act (packed clamp after the rounding for 16-bit outputs without
 * a residual). Measured on the H100 (bench/results/2026-12-06-NVIDIA_H100-pw-k64,
 * MobileNetV2 fp16 batch 64): the 128x128 PW expansions 1.8-2.3 us faster
 * each. A first version served DWPW and PWDWPW too (this loop, their shared
 * bias added per group) and made their units slower in two calls (DWPW b0
 * 72.4 -> 76.4 us, PWDWPW b2 103.5 -> 113.4): they keep epilogue_frags. */
template <typename T, int MT, int NT8, typename RowOff>
__device__ __forceinline__ void epilogue_frags_biased(const ParamsT<T> &p, const float (&acc)[MT][NT8][4],
                                                      int m0, int n0, int lane, int act, int cw,
                                                      RowOff row_off) {
    static_assert(NT8 % 2 == 0, "epilogue_frags pairs n8 tiles");
    const int t = lane & 3, g = lane >> 2;
    const bool odd = t & 1;
    const int cl = odd ? 2 * t + 6 : 2 * t;
    const ElemClamp<T> ac = elem_clamp<T>(act_clamp(act));
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const long long off = row_off(m0 + i * 16 + g + 8 * h);
#pragma unroll
            for (int jp = 0; jp < NT8 / 2; jp++) {
                const int c = n0 + jp * 16 + cl;
                const float4 v = frag_group(acc, i, jp, h, odd);
                if (off >= 0 && c < cw) store_group_act(p, off + c, v, act, ac, c, cw);
            }
        }
}

/* Thread (tx, ty)'s register tile acc[i][j] (row ty + i*NTY, column
 * tx + j*NTX) into the shared tile cs of row stride ld. */
template <int TM, int TN, int NTY, int NTX>
__device__ __forceinline__ void stage_acc(float *cs, int ld, const float (&acc)[TM][TN], int tx,
                                          int ty) {
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) cs[(ty + i * NTY) * ld + tx + j * NTX] = acc[i][j];
}

/* The group at g summed over SK partial tiles PS floats apart. */
template <int SK, int PS>
__device__ __forceinline__ float4 staged_group(const float *g) {
    float4 v = *reinterpret_cast<const float4 *>(g);
#pragma unroll
    for (int j = 1; j < SK; j++) v = add4(v, *reinterpret_cast<const float4 *>(g + j * PS));
    return v;
}

} // namespace fk

#endif
