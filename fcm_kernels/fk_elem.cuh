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

#include "cm_smem_layout.h"
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

/* What the tensor-core kernels (fk_pw_tc.cuh, fk_dwpw_tc.cuh, fk_pwdw_tc.cuh,
 * fk_pwdwpw_tc.cuh) need to know of an operand's element: 16-bit elements
 * (mma m16n8k16) or fp32 read as TF32 (m16n8k8 .tf32, issue 12's math tc for
 * fp32 tensors). Both mma shapes take 32 bytes of every A and B row per
 * instruction, so a k-step is kK = 32 / sizeof(T) elements (16 or 8) and the
 * fragment loads address it the same way for both (fk_mma.cuh); kVec is
 * the elements of one 16-byte cp.async group (8 or 4); esz the element size
 * the shared-memory layouts take (cm_smem_*_tc_layout_es). int8 has no
 * tensor-core kernel: it does not compile. */
template <typename T>
struct TcElem {
    static_assert(sizeof(T) == 2 || sizeof(T) == 4, "tensor-core operands are 16-bit or fp32");
    static constexpr int esz = (int)sizeof(T);
    static constexpr int kK = 32 / esz;
    static constexpr int kVec = 16 / esz;
    /* words of a row of n elements (cm_tc_stride) and the same in elements */
    __host__ __device__ static constexpr int stride_words(int n) { return (int)cm_tc_stride(n, esz); }
    __host__ __device__ static constexpr int stride_elems(int n) {
        return (int)cm_tc_stride(n, esz) * 4 / esz;
    }
};

} // namespace fk

#endif
