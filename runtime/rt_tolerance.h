/* rt_tolerance.h - how far two executions of the same layers in the same
 * element type and math may differ (prefix rt_tol / rt_*_tolerance): the
 * relative L2 thresholds of `fuseplan run`'s checks and of the tests, derived
 * from the unit round-off of the element type, the rounding of the products'
 * operands (TF32), the reduction length and the number of rounded tensors on
 * the path (docs/runtime.md, "Tolerances", states the formula and why).
 * Pure C11: no CUDA (the CPU tests check it). */
#ifndef FUSEPLAN_RT_TOLERANCE_H
#define FUSEPLAN_RT_TOLERANCE_H

#include "costmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Unit round-off of a stored element: half the distance from 1 to the next
 * value, 2^-p for p bits of precision: fp32 2^-24, fp16 2^-11, bf16 2^-8
 * (int8, not an element type of the runtime: 2^-8). */
double rt_storage_roundoff(cm_dtype dtype);

/* Unit round-off of the operands of each product inside a reduction: fp32
 * with math tc (TF32: 10 explicit mantissa bits) 2^-11; 0 otherwise (fp32
 * strict: no operand rounding; fp16 and bf16: their 11- and 8-bit
 * significands multiply exactly in an FP32 product). */
double rt_operand_roundoff(cm_dtype dtype, cm_math math);

/* The model's standard deviation sigma of the relative L2 difference between
 * two executions (ours and cuDNN) of n_rounded layers, each a reduction of at
 * most reduction_len products, both in dtype with FP32 accumulation:
 *   sigma^2 = n * [ 2 * us^2 / 3  +  4 * uc^2 / 3  +  2 * a(K)^2 ]
 * us storage round-off (each side rounds each stored tensor once: relative
 * error uniform in at most [-us, us], RMS <= us / sqrt(3); two sides),
 * uc operand round-off (x and w each rounded on each side: RMS <= uc *
 * sqrt(2/3) per product; a sum of independent zero-mean products keeps that
 * relative RMS), a(K) accumulation: CUDA-core FMAs round to nearest,
 * a random walk u32 * sqrt(K / 3), u32 = 2^-24; tensor cores (16-bit types,
 * where cuDNN uses them, or math tc) align and truncate, a drift of up to one
 * ulp per addition, a(K) = 2^-23 * K / 2. */
double rt_tol_sigma(cm_dtype dtype, cm_math math, long reduction_len, int n_rounded);

/* Safety factor over sigma: the L2 norm over thousands of elements
 * concentrates tightly around its RMS, so the factor covers the model's
 * simplifications (independence, zero-mean products), not sampling tails. */
#define RT_TOL_FACTOR 4.0

/* Threshold for one unit (n_layers layers, an absorbed add counted) fed the
 * reference's input: max(RT_TOL_FACTOR * sigma, floor), floor 1e-5 for fp32
 * strict (the threshold measured safe before issue 12: H100 unit errors
 * <= 4.6e-7), else 0. */
double rt_unit_tolerance(cm_dtype dtype, cm_math math, long reduction_len, int n_layers);

/* Threshold for a whole model's outputs (n_layers of the model: an upper
 * bound on the rounded tensors along any path): max(RT_TOL_FACTOR * sigma,
 * floor), floor 1e-4 for fp32 strict (measured <= 2.3e-7 on H100), else 0. */
double rt_model_tolerance(cm_dtype dtype, cm_math math, long reduction_len, int n_layers);

/* The math a cuDNN execution of dtype uses under the plan's math: 16-bit
 * types always on tensor cores (CUDNN_TENSOR_OP_MATH), fp32 as planned
 * (simt: CUDNN_FMA_MATH; tc: TF32). */
cm_math rt_effective_math(cm_dtype dtype, cm_math math);

#ifdef __cplusplus
}
#endif

#endif
