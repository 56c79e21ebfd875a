/* rt_timing.c - CUDA-event timing, graphs, copy bandwidth. */
#include "rt_timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_error.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarize(double *t, int n, rt_time_stats *out) {
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    out->iters = n;
    out->min_us = t[0];
    out->max_us = t[n - 1];
    out->median_us = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    out->p10_us = t[n / 10];
    out->p90_us = t[(n * 9) / 10];
}

/* Every timing of the runtime: warm-up runs, then iters runs of f each between
 * two events (prep, when given, runs before each, outside the events). */
static fk_status time_loop(rt_job_fn prep, void *prep_arg, rt_job_fn f, void *arg, int warmup,
                           int iters, cudaStream_t s, rt_time_stats *out, char *err,
                           size_t err_len) {
    if (iters < 1) return fk_fail(FK_ERR_INVALID, err, err_len, "iters must be >= 1");
    fk_status st;
    for (int i = 0; i < warmup; i++)
        if ((st = f(arg, s, err, err_len)) != FK_OK) return st;
    cudaEvent_t *ev = calloc((size_t)iters * 2, sizeof *ev);
    double *t = calloc((size_t)iters, sizeof *t);
    if (!ev || !t) {
        free(ev);
        free(t);
        return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    }
    st = FK_OK;
    int made = 0;
    for (; made < iters * 2; made++) {
        cudaError_t e = cudaEventCreate(&ev[made]);
        if (e != cudaSuccess) {
            st = fk_cuda_fail(e, "cudaEventCreate", __FILE__, __LINE__, err, err_len);
            break;
        }
    }
    for (int i = 0; i < iters && st == FK_OK; i++) {
        if (prep && (st = prep(prep_arg, s, err, err_len)) != FK_OK) break;
        cudaError_t e = cudaEventRecord(ev[2 * i], s);
        if (e != cudaSuccess) st = fk_cuda_fail(e, "cudaEventRecord(start)", __FILE__, __LINE__, err, err_len);
        if (st == FK_OK) st = f(arg, s, err, err_len);
        if (st == FK_OK && (e = cudaEventRecord(ev[2 * i + 1], s)) != cudaSuccess)
            st = fk_cuda_fail(e, "cudaEventRecord(stop)", __FILE__, __LINE__, err, err_len);
    }
    if (st == FK_OK) {
        cudaError_t e = cudaStreamSynchronize(s);
        if (e != cudaSuccess) st = fk_cuda_fail(e, "cudaStreamSynchronize", __FILE__, __LINE__, err, err_len);
    }
    for (int i = 0; i < iters && st == FK_OK; i++) {
        float ms = 0;
        cudaError_t e = cudaEventElapsedTime(&ms, ev[2 * i], ev[2 * i + 1]);
        if (e != cudaSuccess) st = fk_cuda_fail(e, "cudaEventElapsedTime", __FILE__, __LINE__, err, err_len);
        t[i] = ms * 1e3;
    }
    if (st == FK_OK) summarize(t, iters, out);
    for (int i = 0; i < made; i++) cudaEventDestroy(ev[i]);
    free(ev);
    free(t);
    return st;
}

fk_status rt_time_job(rt_job_fn job, void *arg, int warmup, int iters, cudaStream_t s,
                      rt_time_stats *out, char *err, size_t err_len) {
    return time_loop(NULL, NULL, job, arg, warmup, iters, s, out, err, err_len);
}

fk_status rt_time_job_after(rt_job_fn prep, void *prep_arg, rt_job_fn job, void *arg, int warmup,
                            int iters, cudaStream_t s, rt_time_stats *out, char *err,
                            size_t err_len) {
    return time_loop(prep, prep_arg, job, arg, warmup, iters, s, out, err, err_len);
}

fk_status rt_graph_capture(rt_job_fn job, void *arg, cudaStream_t s, cudaGraphExec_t *out,
                           char *err, size_t err_len) {
    cudaGraph_t g;
    FK_CUDA(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    fk_status st = job(arg, s, err, err_len);
    cudaError_t e = cudaStreamEndCapture(s, &g);
    if (st != FK_OK) {
        if (e == cudaSuccess) cudaGraphDestroy(g);
        return st;
    }
    if (e != cudaSuccess) return fk_cuda_fail(e, "cudaStreamEndCapture", __FILE__, __LINE__, err, err_len);
    e = cudaGraphInstantiate(out, g, 0);
    cudaGraphDestroy(g);
    if (e != cudaSuccess) return fk_cuda_fail(e, "cudaGraphInstantiate", __FILE__, __LINE__, err, err_len);
    return FK_OK;
}

static fk_status launch_graph(void *arg, cudaStream_t s, char *err, size_t err_len) {
    FK_CUDA(cudaGraphLaunch(*(cudaGraphExec_t *)arg, s));
    return FK_OK;
}

fk_status rt_time_graph(cudaGraphExec_t g, int warmup, int iters, cudaStream_t s,
                        rt_time_stats *out, char *err, size_t err_len) {
    return time_loop(NULL, NULL, launch_graph, &g, warmup, iters, s, out, err, err_len);
}

typedef struct copy_job {
    void *dst;
    const void *src;
    size_t bytes;
} copy_job;

static fk_status do_copy(void *arg, cudaStream_t s, char *err, size_t err_len) {
    copy_job *j = arg;
    FK_CUDA(cudaMemcpyAsync(j->dst, j->src, j->bytes, cudaMemcpyDeviceToDevice, s));
    return FK_OK;
}

fk_status rt_copy_bandwidth(size_t bytes, int iters, cudaStream_t s, double *gbps, char *err,
                            size_t err_len) {
    copy_job j = {NULL, NULL, bytes};
    void *a = NULL, *b = NULL;
    FK_CUDA(cudaMalloc(&a, bytes));
    cudaError_t e = cudaMalloc(&b, bytes);
    if (e == cudaSuccess) e = cudaMemset(a, 1, bytes);
    if (e != cudaSuccess) {
        cudaFree(a);
        cudaFree(b);
        return fk_cuda_fail(e, "cudaMalloc/cudaMemset(copy buffers)", __FILE__, __LINE__, err, err_len);
    }
    j.dst = b;
    j.src = a;
    rt_time_stats t;
    fk_status st = time_loop(NULL, NULL, do_copy, &j, 3, iters, s, &t, err, err_len);
    if (st == FK_OK) *gbps = 2.0 * (double)bytes / (t.median_us * 1e-6) / 1e9;
    cudaFree(a);
    cudaFree(b);
    return st;
}

void rt_device_info(char *name, size_t n, int *driver, int *runtime) {
    /* for a report's header: what could not be read says so (0, "unknown")
     * rather than leaving garbage; the run itself checks the device */
    struct cudaDeviceProp prop;
    int dev = 0;
    *driver = *runtime = 0;
    if (cudaGetDevice(&dev) == cudaSuccess && cudaGetDeviceProperties(&prop, dev) == cudaSuccess)
        snprintf(name, n, "%s", prop.name);
    else
        snprintf(name, n, "unknown");
    if (cudaDriverGetVersion(driver) != cudaSuccess) *driver = 0;
    if (cudaRuntimeGetVersion(runtime) != cudaSuccess) *runtime = 0;
}
