/* bench_timer.c - see bench_timer.h. */
#include "bench_timer.h"

#include "fk_kernels.h"

void bt_init(bt_timer *t, int reps) {
    if (reps < 1 || reps > BT_MAX_REPS) DIE("bt_init: %d repetitions (1..%d)", reps, BT_MAX_REPS);
    t->reps = reps;
    CK(cudaStreamCreate(&t->stream));
    for (int i = 0; i < 2 * reps; i++) CK(cudaEventCreate(&t->ev[i]));
    CK(cudaMalloc(&t->flush_buf, BT_FLUSH_BYTES));
    CK(cudaMemset(t->flush_buf, 0, BT_FLUSH_BYTES));
    CK(cudaMalloc((void **)&t->flush_out, 64 * 2048 * sizeof(float)));
}

void bt_free(bt_timer *t) {
    for (int i = 0; i < 2 * t->reps; i++) cudaEventDestroy(t->ev[i]);
    cudaFree(t->flush_buf);
    cudaFree(t->flush_out);
    cudaStreamDestroy(t->stream);
}

void bt_flush_l2(const bt_timer *t) {
    char err[256];
    const int n = 64, c = 2048, hw = (int)(BT_FLUSH_BYTES / 4 / ((size_t)n * c));
    if (fk_global_avg_pool(n, hw, 1, c, CM_F32, t->flush_buf, t->flush_out, t->stream, err, sizeof err) !=
        FK_OK)
        DIE("flush: %s", err);
}

static int cmp_float(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The median of the recorded event pairs, in us. */
static double median_us(const bt_timer *t) {
    CK(cudaStreamSynchronize(t->stream));
    float ms[BT_MAX_REPS];
    for (int r = 0; r < t->reps; r++) CK(cudaEventElapsedTime(&ms[r], t->ev[2 * r], t->ev[2 * r + 1]));
    qsort(ms, (size_t)t->reps, sizeof ms[0], cmp_float);
    return ms[t->reps / 2] * 1000.0;
}

/* Hot: a graph of BT_GRAPH_N launches of f, replayed; plain launches when f
 * cannot be captured. */
static double time_hot_us(bt_timer *t, bt_run_fn f, void *ctx) {
    CK(cudaStreamSynchronize(t->stream));
    cudaGraph_t g = NULL;
    cudaGraphExec_t ge = NULL;
    bool ok = cudaStreamBeginCapture(t->stream, cudaStreamCaptureModeRelaxed) == cudaSuccess, fok = true;
    if (ok) {
        for (int i = 0; i < BT_GRAPH_N && fok; i++) fok = f(ctx);
        ok = cudaStreamEndCapture(t->stream, &g) == cudaSuccess && fok;
    }
    if (ok) ok = cudaGraphInstantiate(&ge, g, 0) == cudaSuccess;
    if (!ok) {
        (void)cudaGetLastError();
        if (ge) cudaGraphExecDestroy(ge);
        ge = NULL;
    }
    if (g) cudaGraphDestroy(g);
    if (ge) CK(cudaGraphLaunch(ge, t->stream));
    for (int r = 0; r < t->reps; r++) {
        CK(cudaEventRecord(t->ev[2 * r], t->stream));
        if (ge) {
            CK(cudaGraphLaunch(ge, t->stream));
        } else {
            for (int i = 0; i < BT_GRAPH_N; i++)
                if (!f(ctx)) return -1.0;
        }
        CK(cudaEventRecord(t->ev[2 * r + 1], t->stream));
    }
    const double us = median_us(t) / BT_GRAPH_N;
    if (ge) cudaGraphExecDestroy(ge);
    return us;
}

double bt_time_us(bt_timer *t, bool hot, bt_run_fn f, void *ctx) {
    for (int i = 0; i < BT_WARM; i++)
        if (!f(ctx)) return -1.0;
    if (hot) return time_hot_us(t, f, ctx);
    for (int r = 0; r < t->reps; r++) {
        bt_flush_l2(t);
        CK(cudaEventRecord(t->ev[2 * r], t->stream));
        if (!f(ctx)) return -1.0;
        CK(cudaEventRecord(t->ev[2 * r + 1], t->stream));
    }
    return median_us(t);
}
