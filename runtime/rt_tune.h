/* rt_tune.h - measured tile choice (`fuseplan run --tune N`): the cost model
 * shortlists, the GPU decides (prefix rt_tune_). */
#ifndef FUSEPLAN_RT_TUNE_H
#define FUSEPLAN_RT_TUNE_H

#include <cuda_runtime_api.h>

#include "fp_gpu.h"
#include "fp_model.h"
#include "fp_plan.h"
#include "fk_types.h"
#include "rt_buffers.h"
#include "rt_cudnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Repetitions per candidate tile when tuning: enough for a stable median of
 * kernels of 3 us to 3 ms; reports time with their own repetitions. */
#define RT_TUNE_ITERS 15

/* For every kernel unit of p, times the planned tile and the cost model's
 * `top` best tiles (cm_enumerate_tiles) on b and keeps the fastest measured
 * one: the unit's tile, variant, grid, estimate and note ("tuned: ...") are
 * re-derived, then p's totals. *changed (may be NULL) receives how many units
 * got another tile. dnn may be NULL (kernel units never need cuDNN). */
fk_status rt_tune_plan(const fp_model *m, const fp_gpu_spec *g, fp_plan *p, rt_buffers *b,
                       rt_cudnn *dnn, int top, cudaStream_t s, int *changed, char *err,
                       size_t err_len);

/* rt_tune_plan reporting progress(ctx, units done, kernel units) after each
 * kernel unit (progress may be NULL). */
fk_status rt_tune_plan_progress(const fp_model *m, const fp_gpu_spec *g, fp_plan *p, rt_buffers *b,
                                rt_cudnn *dnn, int top, cudaStream_t s, int *changed,
                                void (*progress)(void *ctx, int done, int total), void *ctx,
                                char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
