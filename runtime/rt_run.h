/* rt_run.h - the session behind `fuseplan run` (prefix rt_run_): a plan
 * executed on the GPU, checked against an all-cuDNN execution and timed
 * against cuDNN and against its own unfused alternative, all in one process
 * on the same buffers. The tool prints and writes what it returns. */
#ifndef FUSEPLAN_RT_RUN_H
#define FUSEPLAN_RT_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include <cuda_runtime_api.h>

#include "fp_gpu.h"
#include "fp_model.h"
#include "fp_plan.h"
#include "fk_types.h"
#include "rt_buffers.h"
#include "rt_cudnn.h"
#include "rt_exec.h"
#include "rt_timing.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line of progress or of a failed check, for the caller to show. */
typedef void (*rt_log_fn)(void *ctx, const char *line);

typedef struct rt_run_config {
    int iters;       /* timing repetitions (medians), >= 1 */
    int tune;        /* > 0: rt_tune_plan over the model's `tune` best tiles, both plans */
    rt_log_fn log;   /* may be NULL */
    void *log_ctx;
} rt_run_config;

/* What the session measured for one unit of the plan. */
typedef struct rt_run_unit_result {
    rt_error error;       /* the unit on the reference's input against the reference */
    bool ok;              /* rt_error_ok at the unit threshold */
    rt_time_stats ours;   /* the unit alone */
    double cudnn_lbl_us;  /* its layers with cuDNN (convs in the faster layout each) */
    double ours_lbl_us;   /* fused units: the same layers in our unfused plan; else -1 */
    char layout[64];      /* cuDNN layout per layer, e.g. "nhwc+nchw" ("-" for non-convs) */
    double floor_us;      /* the unit's minimum bytes / copy bandwidth */
} rt_run_unit_result;

typedef struct rt_run_result {
    rt_run_unit_result *units;   /* [n_units], the plan's order; rt_run_result_free */
    int n_units;
    int tuned, tuned_unfused;      /* units whose tile tuning changed */
    int failures;                  /* failed unit and model-output checks */
    double unit_threshold;         /* rt_threshold of the plan's dtype */
    double model_threshold;        /* rt_model_threshold of the plan's dtype */
    double whole_rel_l2;           /* worst model output against the all-cuDNN execution */
    double copy_gbps;              /* device-to-device copy, read + write */
    /* whole models in CUDA graphs */
    rt_time_stats graph_fused, graph_unfused, graph_cudnn, graph_cudnn_nhwc;
} rt_run_result;

/* Runs the session for plan p of model m (planned for g): builds the unfused
 * plan (p's options, no fusion, no forced tile), tunes both when cfg->tune >
 * 0 (p is changed in place: the caller may save it), checks every unit and
 * the whole plan against the all-cuDNN reference (outputs poisoned first),
 * then times units, cuDNN per layer, and the four whole-model graphs.
 * A failed check is not an error: it is counted in out->failures and logged.
 * Errors (CUDA, cuDNN, memory) return their status with err naming the stage,
 * e.g. "reference execution: ...". out is freed with rt_run_result_free,
 * also after an error. */
fk_status rt_run_session(const fp_model *m, const fp_gpu_spec *g, fp_plan *p,
                         const rt_run_config *cfg, rt_run_result *out, char *err, size_t err_len);
void rt_run_result_free(rt_run_result *r);

/* Median time of layer li the way the cuDNN baseline runs it: a conv with
 * cuDNN in its faster layout (*layout "nhwc" or "nchw"), any other op with
 * our simple kernels (*layout "-"). */
fk_status rt_run_layer_baseline_us(const fp_model *m, int li, rt_buffers *b, rt_cudnn *dnn,
                                   int iters, cudaStream_t s, double *us, const char **layout,
                                   char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
