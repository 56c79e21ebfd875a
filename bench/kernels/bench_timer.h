/* bench_timer.h - the timing harness of the kernel benchmarks (fk_bench,
 * ops_bench): one stream, CUDA events around each run, the median of `reps`
 * runs after 3 warm-ups, either cold (L2 flushed before every run by reading
 * BT_FLUSH_BYTES, outside the events) or hot (median over replays of a CUDA
 * graph of BT_GRAPH_N back-to-back launches, per launch: kernel time plus the
 * in-graph launch gap, as a plan's graph runs it; plain launches when the run
 * cannot be captured). Also the benchmarks' DIE / CK error macros. */
#ifndef FUSEPLAN_BENCH_TIMER_H
#define FUSEPLAN_BENCH_TIMER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime_api.h>

#define BT_MAX_REPS 64
#define BT_WARM 3
#define BT_FLUSH_BYTES ((size_t)192 << 20)
#define BT_GRAPH_N 20 /* launches per graph replay in hot mode */

#define DIE(...)                                                                               \
    do {                                                                                       \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fputc('\n', stderr);                                                                   \
        exit(1);                                                                               \
    } while (0)
#define CK(call)                                                                               \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess) DIE("%s:%d: %s: %s", __FILE__, __LINE__, #call,                 \
                                   cudaGetErrorString(e_));                                    \
    } while (0)

/* One timed run: launches on the timer's stream, false on failure. */
typedef bool (*bt_run_fn)(void *ctx);

typedef struct bt_timer {
    cudaStream_t stream; /* every timed launch goes here (capturable) */
    int reps;            /* timed runs per figure, 1..BT_MAX_REPS */
    cudaEvent_t ev[2 * BT_MAX_REPS];
    void *flush_buf;     /* BT_FLUSH_BYTES read by the flush */
    float *flush_out;
} bt_timer;

/* Creates the stream, events and flush buffers; DIE on failure. */
void bt_init(bt_timer *t, int reps);
void bt_free(bt_timer *t);
/* Evicts L2 by reading BT_FLUSH_BYTES (a global average pool over the buffer
 * writes almost nothing): a memset would leave L2 full of dirty lines whose
 * write-back the timed kernel would pay for. */
void bt_flush_l2(const bt_timer *t);
/* Median microseconds per run of f (hot: per launch), -1 when f fails. */
double bt_time_us(bt_timer *t, bool hot, bt_run_fn f, void *ctx);

#endif
