/* rt_probe.h - measures the local GPU into a GPU spec (`fuseplan probe`).
 *
 * rt_probe_spec fills an fp_gpu_spec (planner/fp_gpu.h) for the current CUDA
 * device: its limits from cudaGetDeviceProperties and its rates from the
 * micro-benchmarks below, every value with a source string
 * "measured YYYY-MM-DD <method>" (UTC date) or "derived: <formula>" where the
 * runtime does not report the number. The spec renders with fp_gpu_to_json and
 * loads back with fp_gpu_parse.
 *
 * The micro-benchmarks run on the current device, on the given stream, with
 * CUDA events (rt_timing.h): warm-up, then `iters` timed runs, median. Each
 * allocates and frees its own device memory; nothing else is left behind. All
 * return a status and, on failure, a one-line message in err. */
#ifndef FUSEPLAN_FK_PROBE_H
#define FUSEPLAN_FK_PROBE_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#include "fk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fp_gpu_spec;

/* Dense tensor-core types measured through the WMMA API. */
typedef enum rt_tc_type {
    RT_TC_FP16 = 0, /* half inputs, float accumulate, m16n16k16 */
    RT_TC_BF16,     /* __nv_bfloat16 inputs, float accumulate, m16n16k16 (sm_80+) */
    RT_TC_TF32,     /* precision::tf32 inputs, float accumulate, m16n16k8 (sm_80+) */
    RT_TC_INT8,     /* signed char inputs, int accumulate, m16n16k16 (sm_72+) */
    RT_TC_COUNT
} rt_tc_type;

/* Lowest compute capability (major * 10 + minor) with WMMA for type t. */
int rt_tc_min_cc(rt_tc_type t);

/* Runs every measurement on the current device and fills *out (overwritten
 * entirely) as the loader would from the file fp_gpu_to_json(out) renders:
 * the spec is rendered and parsed back with fp_gpu_parse before returning, so
 * out->gpu (the cost model's cm_gpu) is filled, out->hash is that text's and
 * out->path is "(fuseplan probe)". id: the spec's id, or NULL to derive it
 * from the device name with rt_probe_make_id. date: "YYYY-MM-DD" used in the
 * sources, or NULL for today's UTC date. iters: timed runs per benchmark
 * (3 .. 1000; 0 = default 9). Takes a few seconds and needs about 2.1 GiB of
 * free device memory (the 1 GiB copy buffers). FK_ERR_INVALID for a bad id or
 * when a measured value is outside the format's ranges (the loader's message
 * in err); FK_ERR_CUDA etc. from the measurements, prefixed with the member. */
fk_status rt_probe_spec(const char *id, const char *date, int iters, struct fp_gpu_spec *out,
                        char *err, size_t err_len);

/* Derives a spec id from a device name: lower case, every run of characters
 * outside [a-z0-9] becomes one '_', none leading or trailing ("NVIDIA H100
 * 80GB HBM3" -> "nvidia_h100_80gb_hbm3"); "gpu" when nothing is left. Writes
 * at most cap - 1 characters and a terminating NUL (cap >= 4). */
void rt_probe_make_id(const char *name, char *out, size_t cap);

/* True when id is a valid spec id: 1..63 characters of [a-z0-9_]. */
int rt_probe_id_valid(const char *id);

/* ---- the micro-benchmarks (rt_probe_kernels.cu) ---------------------------------- */

/* L2 read bandwidth, GB/s of bytes read: a read-only kernel that streams
 * `reps` times over a buffer of `bytes` (pick one well inside L2) with 16-byte
 * __ldcg loads (cached in L2, not L1), a grid-stride loop over a grid of every
 * SM at full occupancy; one untimed pass first brings the buffer into L2. */
fk_status rt_probe_l2_read(size_t bytes, int reps, int iters, cudaStream_t s, double *gbps,
                           char *err, size_t err_len);

/* FP32 FMA rate, TFLOP/s (FMA = 2 FLOPs): independent FFMA chains in registers,
 * every SM at full occupancy. */
fk_status rt_probe_fp32(int iters, cudaStream_t s, double *tflops, char *err, size_t err_len);

/* Dense tensor-core rate of type t, TFLOP/s (TOP/s for INT8), through WMMA
 * (mma.sync): fragments loaded once, then independent accumulators updated in
 * a loop, every SM at full occupancy. FK_ERR_UNSUPPORTED (with the reason in
 * err) when the device or this build's target architecture lacks the type. */
fk_status rt_probe_tensor(rt_tc_type t, int iters, cudaStream_t s, double *tflops, char *err,
                          size_t err_len);

/* Per-kernel cost inside a CUDA graph, microseconds: a graph of 1000 dependent
 * (same-stream) empty kernels of `blocks` blocks x 256 threads, time per
 * kernel of the replays' median. */
fk_status rt_probe_launch_overhead(int blocks, int iters, cudaStream_t s, double *us, char *err,
                                   size_t err_len);

/* SM clock, MHz, under a one-warp spin: clock64() cycles counted by the kernel
 * divided by the kernel's CUDA-event time (about 10 ms per run). */
fk_status rt_probe_clock(int iters, cudaStream_t s, double *mhz, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
