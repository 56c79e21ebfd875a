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
/* Progress of a stage: done of total items ("tuning" units, "checking"
 * units, "timing" units, "whole models" graphs, "energy" windows). Called
 * with done = 0 when a stage starts and done = total when it ends. */
typedef void (*rt_progress_fn)(void *ctx, const char *stage, int done, int total);

typedef struct rt_run_config {
    int iters;       /* timing repetitions (medians), >= 1 */
    int tune;        /* > 0: rt_tune_plan over the model's `tune` best tiles, both plans */
    rt_log_fn log;   /* may be NULL */
    void *log_ctx;
    rt_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    bool energy;     /* measure energy per inference of the three whole models (rt_energy.h) */
    /* The model's input, float32 NHWC of batch * H * W * C elements
     * (rt_input_read_nchw), owned by the caller; NULL: random with
     * RT_RUN_SEED. Every execution of the session (fused, unfused, cuDNN,
     * the strict-fp32 reference) runs on it. */
    const float *input_nhwc;
    bool want_output; /* return the fused plan's first model output (rt_run_result.output) */
} rt_run_config;

/* Seed of the random inputs and weights: every run of a model sees the same numbers. */
#define RT_RUN_SEED 20261121

/* Energy windows: each whole model replayed back to back for at least
 * RT_RUN_ENERGY_MIN_S seconds and RT_RUN_ENERGY_PERIODS counter periods
 * (whichever is longer), so that the counter's update step is a small part
 * of the window (docs/runtime.md, "Energy"). */
#define RT_RUN_ENERGY_MIN_S 1.0
#define RT_RUN_ENERGY_PERIODS 50
/* ...but at most this long: a counter slower than 200 ms gives more than 2 %
 * quantisation rather than minutes of replays. */
#define RT_RUN_ENERGY_MAX_S 10.0
/* Untimed replays before each window, so that it starts at working clocks. */
#define RT_RUN_ENERGY_WARMUP_S 0.2

/* One energy window: NVML counter difference over back-to-back replays. */
typedef struct rt_run_energy {
    double joules;       /* counter difference */
    double seconds;      /* wall time between the two reads (after a sync each) */
    long inferences;     /* graph replays in the window */
} rt_run_energy;

/* What the session measured for one unit of the plan. */
typedef struct rt_run_unit_result {
    rt_error error;       /* the unit on the reference's input against the reference */
    bool ok;              /* rt_error_ok at the unit threshold */
    double threshold;     /* rt_unit_threshold: dtype, math, reduction length, layers */
    rt_time_stats ours;   /* the unit alone */
    double cudnn_lbl_us;  /* its layers with cuDNN (convs in the faster layout each) */
    double ours_lbl_us;   /* fused units: the same layers in our unfused plan; else -1 */
    char layout[64];      /* cuDNN layout per layer, e.g. "nhwc+nchw" ("-" for non-convs) */
    double floor_us;      /* the unit's minimum bytes / copy bandwidth */
    /* who ran it in the plans (rt_unit_by): "fuseplan" or "cudnn"; for a
     * conv unit the note says why (the times of our tiled convolution and
     * cuDNN measured at the start of the checks, or why ours does not run
     * the layer), empty otherwise */
    char by[16];
    char by_note[224];
} rt_run_unit_result;

typedef struct rt_run_result {
    rt_run_unit_result *units;   /* [n_units], the plan's order; rt_run_result_free */
    int n_units;
    int tuned, tuned_unfused;      /* units whose tile tuning changed */
    int failures;                  /* failed unit and model-output checks */
    double unit_threshold;         /* the largest unit threshold (rt_unit_threshold) */
    double model_threshold;        /* rt_plan_model_threshold of the plan's dtype and math */
    double whole_rel_l2;           /* worst model output against the all-cuDNN execution */
    double whole_rel_l2_fp32;      /* ... against the strict-fp32 all-cuDNN execution of the same
                                      seed (fp16, bf16, tf32 plans; -1 for strict fp32) */
    double copy_gbps;              /* device-to-device copy, read + write */
    /* whole models in CUDA graphs */
    rt_time_stats graph_fused, graph_unfused, graph_cudnn, graph_cudnn_nhwc;
    /* energy (cfg->energy): supported false with the reason when NVML or its
     * counter is missing; then the rest is zero */
    bool energy_supported;
    char energy_reason[256];
    double energy_period_ms;       /* measured counter update period (0: not seen to change) */
    rt_run_energy energy_fused, energy_unfused, energy_cudnn; /* cuDNN: faster layout per conv */
    /* cfg->want_output: the model's first output as the fused plan computed
     * it in the checked execution, float32 NCHW ([N][C] for a dense output),
     * output_count elements; rt_run_result_free frees it */
    float *output;
    size_t output_count;
} rt_run_result;

/* Runs the session for plan p of model m (planned for g): builds the unfused
 * plan (p's options, no fusion, no forced tile), tunes both when cfg->tune >
 * 0 (p is changed in place: the caller may save it), runs the all-cuDNN
 * reference, times each conv unit of either plan on our tiled convolution
 * and on cuDNN and keeps the faster for both plans (rt_cudnn_choose_conv;
 * the all-cuDNN executions stay cuDNN), checks every unit and
 * the whole plan against the reference (outputs poisoned first),
 * then times units, cuDNN per layer, and the four whole-model graphs, and
 * (cfg->energy) measures the energy of the fused, unfused and cuDNN graphs.
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
