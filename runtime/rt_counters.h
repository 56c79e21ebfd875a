/* rt_counters.h - hardware counters of one piece of GPU work through CUPTI's
 * range profiler (prefix rt_ctr_): the bytes the SMs request from L2, the
 * DRAM bytes, the L2 hit rate and the duration, per profiled execution.
 *
 * How: one CUPTI user range around the work, user replay (CUPTI tells how
 * many passes the metrics need; the work runs once per pass and the caller's
 * `prepare` job restores the cache state before each pass, outside the
 * range), then the counter image is evaluated on the host. The metric names
 * are in rt_counters.cu and docs/validation.md, with the Nsight Compute
 * cross-check.
 *
 * Only one session may exist per process (CUPTI's profiler is per context);
 * creating it needs a GPU and profiling permission (a driver that restricts
 * profiling to admin users makes rt_ctr_create fail with CUPTI's message). */
#ifndef FUSEPLAN_FK_COUNTERS_H
#define FUSEPLAN_FK_COUNTERS_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#include "rt_timing.h"
#include "fk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_ctr_values {
    double l2_read_bytes;    /* global loads requested by the SMs from L2 (sectors x 32) */
    double l2_write_bytes;   /* global stores sent by the SMs to L2 (sectors x 32) */
    double dram_read_bytes;
    double dram_write_bytes;
    double l2_hit_rate_pct;  /* all L2 lookups, percent */
    double duration_us;      /* the range on the GPU */
} rt_ctr_values;

typedef struct rt_ctr_session rt_ctr_session;

/* Starts a profiling session on the current device. */
fk_status rt_ctr_create(rt_ctr_session **out, char *err, size_t err_len);
/* Profiles one execution of `work` on s (in every replay pass); `prepare`
 * (may be NULL) runs before each pass, unprofiled: flush L2 for a cold
 * measurement, or run the work once for a steady-state one. */
fk_status rt_ctr_measure(rt_ctr_session *c, rt_job_fn prepare, void *prepare_arg, rt_job_fn work,
                         void *work_arg, cudaStream_t s, rt_ctr_values *out, char *err,
                         size_t err_len);
/* A batch: the items run in order in one profiling session, each work in
 * its own range after its prepare; every replay pass runs them all again.
 * Batching saves the profiler's per-session cost (enable, configure,
 * decode), which dominates for short kernels. */
#define RT_CTR_MAX_BATCH 256
typedef struct rt_ctr_item {
    rt_job_fn prepare;   /* may be NULL */
    void *prepare_arg;
    rt_job_fn work;
    void *work_arg;
} rt_ctr_item;
fk_status rt_ctr_measure_batch(rt_ctr_session *c, const rt_ctr_item *items, int n, cudaStream_t s,
                               rt_ctr_values *out, char *err, size_t err_len);
/* Replay passes one metric alone needs (-1 with err on failure): what makes
 * a measurement slow. */
int rt_ctr_metric_passes(rt_ctr_session *c, const char *metric, char *err, size_t err_len);
/* The metric names, in rt_ctr_metric_list's order; *count receives their number. */
const char *const *rt_ctr_metric_names(int *count);
/* Replay passes one measurement takes (the metrics' hardware scheduling). */
int rt_ctr_passes(const rt_ctr_session *c);
/* The chip name CUPTI reports (e.g. "GH100"). */
const char *rt_ctr_chip(const rt_ctr_session *c);
void rt_ctr_destroy(rt_ctr_session *c);

/* The CUPTI metric names behind each rt_ctr_values field, comma-separated
 * (for reports). */
const char *rt_ctr_metric_list(void);

/* Evicts L2 by reading a buffer of twice its size (a read, so that the
 * flush leaves no dirty lines to be written back during the measured work).
 * The buffer is allocated on first use and kept by the session. */
fk_status rt_ctr_flush_l2(rt_ctr_session *c, cudaStream_t s, char *err, size_t err_len);

/* A plain copy kernel (float4 loads and stores, grid-stride): reads and
 * writes exactly `bytes` (a multiple of 16, 16-byte aligned buffers). The
 * counters' known-answer test and the Nsight Compute cross-check use it. */
fk_status rt_ctr_copy_kernel(void *dst, const void *src, size_t bytes, cudaStream_t s, char *err,
                             size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
