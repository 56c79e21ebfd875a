/* rt_timing.h - timing on the GPU with CUDA events: warm-up, then one event
 * pair per repetition, reporting the median and the spread (prefix rt_time_).
 * Whole plans are timed as CUDA graph replays. The one place of the runtime
 * that times with events and takes their medians. */
#ifndef FUSEPLAN_RT_TIMING_H
#define FUSEPLAN_RT_TIMING_H

#include <cuda_runtime_api.h>

#include "fk_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Something to time: enqueues work on s. */
typedef fk_status (*rt_job_fn)(void *arg, cudaStream_t s, char *err, size_t err_len);

typedef struct rt_time_stats {
    double median_us, min_us, max_us, p10_us, p90_us;
    int iters;
} rt_time_stats;

/* Runs job warmup times, then iters times, each between two events. */
fk_status rt_time_job(rt_job_fn job, void *arg, int warmup, int iters, cudaStream_t s,
                      rt_time_stats *out, char *err, size_t err_len);

/* Like rt_time_job, with prep(prep_arg) enqueued before each timed run and
 * outside its events (e.g. an L2 flush before a cold run). */
fk_status rt_time_job_after(rt_job_fn prep, void *prep_arg, rt_job_fn job, void *arg, int warmup,
                            int iters, cudaStream_t s, rt_time_stats *out, char *err,
                            size_t err_len);

/* Captures one run of job into an instantiated CUDA graph. */
fk_status rt_graph_capture(rt_job_fn job, void *arg, cudaStream_t s, cudaGraphExec_t *out,
                           char *err, size_t err_len);
/* Times replays of an instantiated graph like rt_time_job. */
fk_status rt_time_graph(cudaGraphExec_t g, int warmup, int iters, cudaStream_t s,
                        rt_time_stats *out, char *err, size_t err_len);

/* Device-to-device copy bandwidth (bytes read + written per second) with
 * buffers of the given size: the denominator of every byte floor. */
fk_status rt_copy_bandwidth(size_t bytes, int iters, cudaStream_t s, double *gbps, char *err,
                            size_t err_len);

/* The current device's name, driver and runtime versions (for reports). */
void rt_device_info(char *name, size_t n, int *driver, int *runtime);

#ifdef __cplusplus
}
#endif

#endif
