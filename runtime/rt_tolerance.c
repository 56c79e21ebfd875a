/* rt_tolerance.c - thresholds of the checks from the element type, the math
 * mode and the reduction length (see rt_tolerance.h, docs/runtime.md). */
#include "rt_tolerance.h"

#include <math.h>

double rt_storage_roundoff(cm_dtype dtype) {
    switch (dtype) {
    case CM_F32: return ldexp(1.0, -24);
    case CM_F16: return ldexp(1.0, -11);
    default: return ldexp(1.0, -8); /* bf16; int8 */
    }
}

/* TF32 (fp32, math tc): fuseplan's kernels round each GEMM operand by
 * cvt.rna (nearest, ties away; docs/kernels.md "The TF32 kernels"); cuDNN's
 * rounding is not documented and may be truncation. The term below assumes
 * round to nearest on both sides; a truncating reference (relative error up
 * to 2 uc, biased) still stays below the threshold: host simulation
 * (2026-12-07, fp32 accumulation, ReLU6 inputs) of one K-term layer, K 16..
 * 1280: rna against truncation 9e-4, against nearest-even 6e-6, threshold
 * 2.3e-3; 65 chained layers of K 256 (He-scaled weights, bias, ReLU6): 1e-2
 * against 1.8e-2. The relative error does not grow with K (zero-mean
 * products: a random walk), only with the rounded tensors on the path. */
double rt_operand_roundoff(cm_dtype dtype, cm_math math) {
    return dtype == CM_F32 && math == CM_MATH_TC ? ldexp(1.0, -11) : 0.0;
}

cm_math rt_effective_math(cm_dtype dtype, cm_math math) {
    return dtype == CM_F32 ? math : CM_MATH_TC;
}

double rt_tol_sigma(cm_dtype dtype, cm_math math, long reduction_len, int n_rounded) {
    const double k = reduction_len > 1 ? (double)reduction_len : 1.0;
    const double n = n_rounded > 1 ? (double)n_rounded : 1.0;
    const double us = rt_storage_roundoff(dtype), uc = rt_operand_roundoff(dtype, math);
    const double acc = rt_effective_math(dtype, math) == CM_MATH_TC ? ldexp(1.0, -23) * k / 2
                                                                    : ldexp(1.0, -24) * sqrt(k / 3);
    return sqrt(n * (2 * us * us / 3 + 4 * uc * uc / 3 + 2 * acc * acc));
}

static bool strict_f32(cm_dtype dtype, cm_math math) {
    return dtype == CM_F32 && math == CM_MATH_SIMT;
}

double rt_unit_tolerance(cm_dtype dtype, cm_math math, long reduction_len, int n_layers) {
    const double t = RT_TOL_FACTOR * rt_tol_sigma(dtype, math, reduction_len, n_layers);
    const double floor = strict_f32(dtype, math) ? 1e-5 : 0;
    return t > floor ? t : floor;
}

double rt_model_tolerance(cm_dtype dtype, cm_math math, long reduction_len, int n_layers) {
    const double t = RT_TOL_FACTOR * rt_tol_sigma(dtype, math, reduction_len, n_layers);
    const double floor = strict_f32(dtype, math) ? 1e-4 : 0;
    return t > floor ? t : floor;
}
