/* fk_bench_probe.cu - the warp-saturation probe behind the cost model's
 * CM_WARPS_SAT (costmodel.c): how much of an SM's L2 -> SM read rate a given
 * number of resident warps achieves.
 *
 * One CTA per SM (grid = SM count) of w warps reads an L2-resident buffer
 * (24 MiB, swept again and again, hot; ld.global.cg: L2 only, like the
 * kernels' cp.async.cg) with 4 independent 16-byte loads in flight per
 * thread, 256 loads per thread, as the unit kernels'
 * stage loaders issue several 16-byte copies per thread before they wait.
 * Reported: GB/s over all SMs and the fraction of the best rate of the sweep.
 * w = 1..32 with one CTA per SM; 48 and 64 warps as 2 CTAs per SM. */
#include <cstdio>

#include <cuda_runtime.h>

namespace {

/* Every thread issues 4 * iters 16-byte loads, 4 independent ones per
 * iteration, at indices tid + j*nth (mod n4): the whole grid sweeps the
 * buffer, coalesced, whatever its size. */
__global__ void l2_read(const float4 *__restrict__ buf, long long n4, int iters, float *out) {
    const long long nth = (long long)gridDim.x * blockDim.x;
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
    for (int it = 0; it < iters; it++) {
        long long i1 = i + nth, i2, i3;
        i1 -= i1 >= n4 ? n4 : 0;
        i2 = i1 + nth;
        i2 -= i2 >= n4 ? n4 : 0;
        i3 = i2 + nth;
        i3 -= i3 >= n4 ? n4 : 0;
        const float4 a = __ldcg(buf + i), b = __ldcg(buf + i1);
        const float4 c = __ldcg(buf + i2), d = __ldcg(buf + i3);
        acc.x += a.x + b.x + c.x + d.x;
        acc.y += a.y + b.y + c.y + d.y;
        acc.z += a.z + b.z + c.z + d.z;
        acc.w += a.w + b.w + c.w + d.w;
        i = i3 + nth;
        i -= i >= n4 ? n4 : 0;
    }
    if (acc.x + acc.y + acc.z + acc.w == 1234.5f) out[0] = acc.x; /* keeps the loads */
}

/* 8 independent FMA chains per thread (ILP 8), operands in registers. */
__global__ void fma_chains(int iters, float *out) {
    float a[8];
#pragma unroll
    for (int j = 0; j < 8; j++) a[j] = threadIdx.x * 1e-3f + j;
    for (int it = 0; it < iters; it++)
#pragma unroll
        for (int j = 0; j < 8; j++) a[j] = fmaf(a[j], 0.999f, 0.5f);
    float s = 0.f;
#pragma unroll
    for (int j = 0; j < 8; j++) s += a[j];
    if (s == 1234.5f) out[0] = s;
}

} // namespace

#define PK(call)                                                                               \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess) {                                                               \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,                      \
                    cudaGetErrorString(e_));                                                   \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

/* Prints the sweep; returns 0, or 1 on a CUDA error. */
extern "C" int fk_bench_warp_probe(void) {
    cudaDeviceProp pr;
    PK(cudaGetDeviceProperties(&pr, 0));
    const int sms = pr.multiProcessorCount;
    const long long bytes = 24LL << 20;
    const long long n4 = bytes / 16;
    float4 *buf = nullptr;
    float *out = nullptr;
    PK(cudaMalloc(&buf, bytes));
    PK(cudaMalloc(&out, 16));
    PK(cudaMemset(buf, 0, bytes));
    cudaEvent_t e0, e1;
    PK(cudaEventCreate(&e0));
    PK(cudaEventCreate(&e1));
    const int warps[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
    const int nw = sizeof warps / sizeof warps[0];
    double gbs[sizeof warps / sizeof warps[0]], best = 0.0;
    const int reps = 20;
    for (int i = 0; i < nw; i++) {
        const int ctas_per_sm = warps[i] > 32 ? 2 : 1;
        const int threads = 32 * warps[i] / ctas_per_sm;
        const int grid = sms * ctas_per_sm;
        const int iters = 64; /* 256 loads per thread: >= 17 MB per launch */
        for (int r = 0; r < 3; r++) l2_read<<<grid, threads>>>(buf, n4, iters, out);
        PK(cudaGetLastError());
        float ms[reps];
        for (int r = 0; r < reps; r++) {
            PK(cudaEventRecord(e0));
            l2_read<<<grid, threads>>>(buf, n4, iters, out);
            PK(cudaEventRecord(e1));
            PK(cudaEventSynchronize(e1));
            PK(cudaEventElapsedTime(&ms[r], e0, e1));
        }
        /* median */
        for (int a = 1; a < reps; a++)
            for (int b = a; b > 0 && ms[b] < ms[b - 1]; b--) {
                float t = ms[b];
                ms[b] = ms[b - 1];
                ms[b - 1] = t;
            }
        gbs[i] = 16.0 * 4 * iters * (double)grid * threads / (ms[reps / 2] * 1e-3) / 1e9;
        if (gbs[i] > best) best = gbs[i];
    }
    /* the same sweep for FFMA issue (8 independent chains per thread) */
    double fl[sizeof warps / sizeof warps[0]], fbest = 0.0;
    const int iters = 4096;
    for (int i = 0; i < nw; i++) {
        const int ctas_per_sm = warps[i] > 32 ? 2 : 1;
        const int threads = 32 * warps[i] / ctas_per_sm;
        const int grid = sms * ctas_per_sm;
        fma_chains<<<grid, threads>>>(iters, out);
        PK(cudaGetLastError());
        float best_ms = 1e30f;
        for (int r = 0; r < 5; r++) {
            float ms;
            PK(cudaEventRecord(e0));
            fma_chains<<<grid, threads>>>(iters, out);
            PK(cudaEventRecord(e1));
            PK(cudaEventSynchronize(e1));
            PK(cudaEventElapsedTime(&ms, e0, e1));
            if (ms < best_ms) best_ms = ms;
        }
        fl[i] = 2.0 * 8 * iters * (double)grid * threads / (best_ms * 1e-3) / 1e12;
        if (fl[i] > fbest) fbest = fl[i];
    }
    printf("\nwarp-saturation probe: %s, %d SMs, L2-resident 24 MiB read (ld.global.cg, 4 x 16 B "
           "in flight per thread), median of %d\n",
           pr.name, sms, reps);
    printf("%6s %10s %12s %9s %14s | %9s %9s\n", "warps", "GB/s", "GB/s per SM", "of best",
           "w*rate(1)/best", "FFMA TF/s", "of best");
    for (int i = 0; i < nw; i++)
        printf("%6d %10.0f %12.1f %8.2f%% %14.2f | %9.2f %8.2f%%\n", warps[i], gbs[i], gbs[i] / sms,
               100.0 * gbs[i] / best, warps[i] * gbs[0] / best, fl[i], 100.0 * fl[i] / fbest);
    cudaFree(buf);
    cudaFree(out);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return 0;
}
