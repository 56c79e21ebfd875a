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
