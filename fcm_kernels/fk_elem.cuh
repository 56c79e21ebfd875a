/* fk_elem.cuh - element traits: how a kernel reads and writes its tensors'
 * element type. Arithmetic is always float (fp32 accumulators); a tensor's
 * element is converted on load and on store. Shared pieces that touch global
 * tensors (the epilogue of fk_epilogue.cuh) go through ElemTraits<T> only, so adding
 * an element type is one specialization here and no change there.
 *
 * The unit of the epilogue is a group of 4 consecutive channels (the float4
 * accumulators of every kernel): load4/store4 move one group (16 bytes for
 * float, 8 for the 16-bit types), load/store one element. kVec is the
 * elements per 16-byte vector (the cp.async width of the staging loaders). */
#ifndef FUSEPLAN_FK_ELEM_CUH
#define FUSEPLAN_FK_ELEM_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "costmodel.h"

namespace fk {

template <typename T>
struct ElemTraits; /* undefined: an element type without traits does not compile */

template <>
struct ElemTraits<float> {
    static constexpr cm_dtype dtype = CM_F32;
    static constexpr int kVec = 4;
    /* read-only path (__ldg): inputs and residuals are never written by the kernel */
    __device__ static __forceinline__ float load(const float *g) { return __ldg(g); }
    __device__ static __forceinline__ float4 load4(const float *g) {
        return __ldg(reinterpret_cast<const float4 *>(g));
    }
    __device__ static __forceinline__ void store(float *g, float v) { *g = v; }
    __device__ static __forceinline__ void store4(float *g, float4 v) {
        *reinterpret_cast<float4 *>(g) = v;
    }
};

template <>
struct ElemTraits<__half> {
    static constexpr cm_dtype dtype = CM_F16;
    static constexpr int kVec = 8;
    __device__ static __forceinline__ float load(const __half *g) { return __half2float(__ldg(g)); }
    __device__ static __forceinline__ float4 load4(const __half *g) {
        const uint2 u = __ldg(reinterpret_cast<const uint2 *>(g));
        const float2 a = __half22float2(*reinterpret_cast<const __half2 *>(&u.x));
        const float2 b = __half22float2(*reinterpret_cast<const __half2 *>(&u.y));
        return make_float4(a.x, a.y, b.x, b.y);
    }
    __device__ static __forceinline__ void store(__half *g, float v) { *g = __float2half_rn(v); }
    __device__ static __forceinline__ void store4(__half *g, float4 v) {
        const __half2 a = __floats2half2_rn(v.x, v.y), b = __floats2half2_rn(v.z, v.w);
        uint2 u;
        u.x = *reinterpret_cast<const unsigned *>(&a);
        u.y = *reinterpret_cast<const unsigned *>(&b);
        *reinterpret_cast<uint2 *>(g) = u;
    }
};

template <>
struct ElemTraits<__nv_bfloat16> {
    static constexpr cm_dtype dtype = CM_BF16;
    static constexpr int kVec = 8;
    __device__ static __forceinline__ float load(const __nv_bfloat16 *g) {
        return __bfloat162float(__ldg(g));
    }
    __device__ static __forceinline__ float4 load4(const __nv_bfloat16 *g) {
        const uint2 u = __ldg(reinterpret_cast<const uint2 *>(g));
        const float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162 *>(&u.x));
        const float2 b = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162 *>(&u.y));
        return make_float4(a.x, a.y, b.x, b.y);
    }
    __device__ static __forceinline__ void store(__nv_bfloat16 *g, float v) {
        *g = __float2bfloat16_rn(v);
    }
    __device__ static __forceinline__ void store4(__nv_bfloat16 *g, float4 v) {
        const __nv_bfloat162 a = __floats2bfloat162_rn(v.x, v.y);
        const __nv_bfloat162 b = __floats2bfloat162_rn(v.z, v.w);
        uint2 u;
        u.x = *reinterpret_cast<const unsigned *>(&a);
        u.y = *reinterpret_cast<const unsigned *>(&b);
        *reinterpret_cast<uint2 *>(g) = u;
    }
};

} // namespace fk

#endif
