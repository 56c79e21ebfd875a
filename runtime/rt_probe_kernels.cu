/* rt_probe_kernels.cu - the micro-benchmarks of `fuseplan probe` (rt_probe.h): L2
 * read bandwidth, FP32 FMA rate, WMMA tensor-core rates, launch overhead in a
 * CUDA graph and the SM clock. Each kernel keeps its work live by writing its
 * result only when a run-time flag (always 0) or an impossible value says so:
 * the compiler cannot prove the store dead, so it cannot fold the loop away.
 *
 * Grids: every rate kernel is launched with (SMs x the occupancy calculator's
 * resident blocks per SM) blocks, so every SM is busy at full occupancy for the
 * whole kernel, without a tail of partly filled waves. */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

#include <cstring>

#include "fk_error.h"
#include "rt_probe.h"
#include "rt_timing.h"

namespace {

constexpr int kThreads = 256;
/* Warm-up runs before the timed ones: the first launch of a kernel loads its
 * module; the second runs at the clocks the GPU settles at under load. */
constexpr int kWarmup = 2;

/* Frees a device buffer; a failure is reported unless an earlier one was. */
fk_status free_dev(void *p, fk_status st, char *err, size_t err_len) {
    cudaError_t e = cudaFree(p);
    if (st == FK_OK && e != cudaSuccess)
        return fk_cuda_fail(e, "cudaFree", __FILE__, __LINE__, err, err_len);
    return st;
}

/* Blocks that keep every SM of the current device full for `kernel`. */
template <class Kernel>
fk_status full_grid(Kernel kernel, int threads, int *grid, char *err, size_t err_len) {
    int dev = 0, sms = 0, per_sm = 0;
    FK_CUDA(cudaGetDevice(&dev));
    FK_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    FK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, 0));
    if (per_sm < 1 || sms < 1)
        return fk_fail(FK_ERR_RESOURCES, err, err_len,
                       "occupancy calculator: %d blocks of %d threads per SM on %d SMs", per_sm,
                       threads, sms);
    *grid = sms * per_sm;
    return FK_OK;
}

/* ---- L2 read bandwidth ------------------------------------------------------ */

/* Streams reps times over p[0..n16) with 16-byte __ldcg loads (cache global:
 * L2 only, so L1 hits cannot inflate the rate), four loads in flight per
 * thread before their first use. The XOR keeps every load live; it is stored
 * only if it equals `never`, which the host picks so that it does not happen
 * for its data (and a store there would be harmless). */
__global__ void __launch_bounds__(kThreads)
    l2_read_kernel(const uint4 *__restrict__ p, size_t n16, int reps, unsigned never,
                   unsigned *sink) {
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    const size_t start = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    unsigned x = 0;
    for (int r = 0; r < reps; r++) {
        size_t i = start;
        for (; i + 3 * stride < n16; i += 4 * stride) {
            const uint4 a = __ldcg(p + i), b = __ldcg(p + i + stride);
            const uint4 c = __ldcg(p + i + 2 * stride), d = __ldcg(p + i + 3 * stride);
            x ^= (a.x ^ a.y ^ a.z ^ a.w) ^ (b.x ^ b.y ^ b.z ^ b.w) ^ (c.x ^ c.y ^ c.z ^ c.w) ^
                 (d.x ^ d.y ^ d.z ^ d.w);
        }
        for (; i < n16; i += stride) {
            const uint4 a = __ldcg(p + i);
            x ^= a.x ^ a.y ^ a.z ^ a.w;
        }
        /* the same thread reads the same addresses on every pass; rotate the
         * XOR so that passes do not cancel out */
        x = (x << 1) | (x >> 31);
    }
    if (x == never) *sink = x;
}

struct l2_job {
    const uint4 *p;
    size_t n16;
    int reps, grid;
    unsigned *sink;
};

fk_status run_l2(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const l2_job *j = static_cast<const l2_job *>(arg);
    /* 0xffffffff: the data is all 0x5a bytes and the XOR of an even number of
     * equal words per load is 0, so x stays 0 */
    l2_read_kernel<<<j->grid, kThreads, 0, s>>>(j->p, j->n16, j->reps, 0xffffffffu, j->sink);
    FK_CHECK_LAUNCH("l2_read_kernel");
    return FK_OK;
}

/* ---- FP32 FMA ----------------------------------------------------------------- */

/* Independent FFMA chains per thread. A dependent FFMA issues every ~4 cycles
 * (Volta..Hopper), so a scheduler needs 4 chains in flight per issue slot;
 * 8 chains per thread times 16 warps per scheduler at full occupancy is 32x
 * that. Measured on an H200, 2026-11-22: 65.9 TFLOP/s, 98.5% of 132 SMs x 128
 * lanes x 2 x 1.98 GHz. (rt_probe.c's source strings quote the 8.) */
constexpr int kFmaChains = 8;
/* FMAs per chain per loop trip: the loop's own 2-3 instructions then cost
 * < 1.5% of the issue slots. */
constexpr int kFmaUnroll = 32;

__global__ void __launch_bounds__(kThreads) fp32_fma_kernel(int trips, float b, float c, int flag,
                                                            float *sink) {
    float a[kFmaChains];
    /* distinct starting values: identical chains could be merged into one */
#pragma unroll
    for (int k = 0; k < kFmaChains; k++) a[k] = (float)threadIdx.x * 1e-3f + (float)k;
    for (int t = 0; t < trips; t++) {
#pragma unroll
        for (int u = 0; u < kFmaUnroll; u++) {
#pragma unroll
            for (int k = 0; k < kFmaChains; k++) a[k] = fmaf(a[k], b, c);
        }
    }
    float sum = 0.f;
#pragma unroll
    for (int k = 0; k < kFmaChains; k++) sum += a[k];
    if (flag) sink[(size_t)blockIdx.x * blockDim.x + threadIdx.x] = sum;
}

struct fp32_job {
    int grid, trips;
    float *sink;
};

fk_status run_fp32(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const fp32_job *j = static_cast<const fp32_job *>(arg);
    /* a <- a * 0.9999 + 1e-4 converges to 1: no overflow, no denormals */
    fp32_fma_kernel<<<j->grid, kThreads, 0, s>>>(j->trips, 0.9999f, 1e-4f, 0, j->sink);
    FK_CHECK_LAUNCH("fp32_fma_kernel");
    return FK_OK;
}

/* ---- tensor cores (WMMA) ------------------------------------------------------ */

/* Independent accumulators per warp: one m16n16 WMMA step is two mma.sync
 * instructions, so 4 accumulators keep 8 in flight per warp; with the 8-10
 * warps per scheduler that 48-64 registers per thread allow, that covers the
 * ~30-cycle mma.sync latency. Measured on an H200, 2026-11-22: FP16 641
 * TFLOP/s, 65% of the 989 TFLOP/s wgmma datasheet peak, the usual ceiling of
 * mma.sync on Hopper; more accumulators were not tried. (rt_probe.c's source
 * strings quote the 4.) */
constexpr int kTcAcc = 4;
/* WMMA steps per accumulator per kernel: 1.8 ms per FP16 run on an H200
 * (2026-11-22), tens of ms on the smallest GPUs the format describes. */
constexpr int kTcTrips = 8192;

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 700
namespace wmma = nvcuda::wmma;

template <class Frag>
__device__ __forceinline__ void to_tf32(Frag &) {}
#ifdef __CUDA_AMPERE_MMA__
/* WMMA wants tf32 fragments rounded to tf32 after loading. */
__device__ __forceinline__ void
to_tf32(wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> &f) {
    for (int e = 0; e < f.num_elements; e++) f.x[e] = wmma::__float_to_tf32(f.x[e]);
}
__device__ __forceinline__ void
to_tf32(wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> &f) {
    for (int e = 0; e < f.num_elements; e++) f.x[e] = wmma::__float_to_tf32(f.x[e]);
}
#endif

/* A (16 x K, row-major) and B (K x 16, column-major) are loaded once into
 * fragments; then every trip runs one WMMA step per accumulator. The sum is
 * stored only when flag is set (never): all warps would write the same 16x16
 * tile, which is fine for a store that exists only to keep the work live. */
template <class Frag, class In, class Acc, int K>
__device__ __forceinline__ void tc_body(const In *a, const In *b, int trips, int flag, Acc *sink) {
    wmma::fragment<wmma::matrix_a, 16, 16, K, Frag, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, K, Frag, wmma::col_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, K, Acc> acc[kTcAcc];
    wmma::load_matrix_sync(fa, a, K);
    wmma::load_matrix_sync(fb, b, K);
    to_tf32(fa);
    to_tf32(fb);
    /* distinct starting values: identical accumulators could be merged */
#pragma unroll
    for (int k = 0; k < kTcAcc; k++) wmma::fill_fragment(acc[k], (Acc)(k + 1));
    for (int t = 0; t < trips; t++) {
#pragma unroll
        for (int k = 0; k < kTcAcc; k++) wmma::mma_sync(acc[k], fa, fb, acc[k]);
    }
    if (flag) {
#pragma unroll
        for (int k = 1; k < kTcAcc; k++)
            for (int e = 0; e < acc[0].num_elements; e++) acc[0].x[e] += acc[k].x[e];
        wmma::store_matrix_sync(sink, acc[0], 16, wmma::mem_row_major);
    }
}
#endif

/* One kernel per type; each body exists only for targets that have the type
 * (mma.h declares the fragments per architecture), the host checks the
 * kernel's binary version before launching it. */
__global__ void __launch_bounds__(kThreads)
    tc_fp16_kernel(const half *a, const half *b, int trips, int flag, float *sink) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 700
    tc_body<half, half, float, 16>(a, b, trips, flag, sink);
#endif
}

__global__ void __launch_bounds__(kThreads)
    tc_bf16_kernel(const __nv_bfloat16 *a, const __nv_bfloat16 *b, int trips, int flag,
                   float *sink) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
    tc_body<__nv_bfloat16, __nv_bfloat16, float, 16>(a, b, trips, flag, sink);
#endif
}

__global__ void __launch_bounds__(kThreads)
    tc_tf32_kernel(const float *a, const float *b, int trips, int flag, float *sink) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
    tc_body<wmma::precision::tf32, float, float, 8>(a, b, trips, flag, sink);
#endif
}

__global__ void __launch_bounds__(kThreads)
    tc_int8_kernel(const signed char *a, const signed char *b, int trips, int flag, int *sink) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 720
    tc_body<signed char, signed char, int, 16>(a, b, trips, flag, sink);
#endif
}

struct tc_job {
    rt_tc_type type;
    const void *a, *b;
    void *sink;
    int grid, trips;
};

fk_status run_tc(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const tc_job *j = static_cast<const tc_job *>(arg);
    switch (j->type) {
    case RT_TC_FP16:
        tc_fp16_kernel<<<j->grid, kThreads, 0, s>>>(static_cast<const half *>(j->a),
                                                    static_cast<const half *>(j->b), j->trips, 0,
                                                    static_cast<float *>(j->sink));
        break;
    case RT_TC_BF16:
        tc_bf16_kernel<<<j->grid, kThreads, 0, s>>>(static_cast<const __nv_bfloat16 *>(j->a),
                                                    static_cast<const __nv_bfloat16 *>(j->b),
                                                    j->trips, 0, static_cast<float *>(j->sink));
        break;
    case RT_TC_TF32:
        tc_tf32_kernel<<<j->grid, kThreads, 0, s>>>(static_cast<const float *>(j->a),
                                                    static_cast<const float *>(j->b), j->trips, 0,
                                                    static_cast<float *>(j->sink));
        break;
    case RT_TC_INT8:
        tc_int8_kernel<<<j->grid, kThreads, 0, s>>>(static_cast<const signed char *>(j->a),
                                                    static_cast<const signed char *>(j->b),
                                                    j->trips, 0, static_cast<int *>(j->sink));
        break;
    default: return fk_fail(FK_ERR_INVALID, err, err_len, "tensor type %d", (int)j->type);
    }
    FK_CHECK_LAUNCH("tc_*_kernel");
    return FK_OK;
}

const void *tc_kernel_fn(rt_tc_type t) {
    switch (t) {
    case RT_TC_FP16: return reinterpret_cast<const void *>(tc_fp16_kernel);
    case RT_TC_BF16: return reinterpret_cast<const void *>(tc_bf16_kernel);
    case RT_TC_TF32: return reinterpret_cast<const void *>(tc_tf32_kernel);
    case RT_TC_INT8: return reinterpret_cast<const void *>(tc_int8_kernel);
    default: return nullptr;
    }
}

/* Small non-zero inputs (zeros could let the GPU run cooler, hence faster,
 * than on real data): value i of 256 is ((i * 37) % 17 - 8) / 16 for the float
 * types, (i * 37) % 7 - 3 for int8. Both are 16 x 16 (K <= 16 reads less). */
fk_status tc_inputs(rt_tc_type t, void **a, void **b, char *err, size_t err_len) {
    constexpr int n = 256;
    unsigned char host[n * sizeof(float)];
    size_t esize = 0;
    for (int i = 0; i < n; i++) {
        const float v = (float)((i * 37) % 17 - 8) / 16.0f;
        switch (t) {
        case RT_TC_FP16: {
            const half h = __float2half(v);
            memcpy(host + i * sizeof h, &h, sizeof h);
            esize = sizeof h;
            break;
        }
        case RT_TC_BF16: {
            const __nv_bfloat16 h = __float2bfloat16(v);
            memcpy(host + i * sizeof h, &h, sizeof h);
            esize = sizeof h;
            break;
        }
        case RT_TC_TF32:
            memcpy(host + i * sizeof v, &v, sizeof v);
            esize = sizeof v;
            break;
        default:
            host[i] = (unsigned char)(signed char)((i * 37) % 7 - 3);
            esize = 1;
            break;
        }
    }
    *a = *b = nullptr;
    FK_CUDA(cudaMalloc(a, n * esize));
    cudaError_t e = cudaMalloc(b, n * esize);
    if (e == cudaSuccess) e = cudaMemcpy(*a, host, n * esize, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMemcpy(*b, host, n * esize, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) return FK_OK;
    fk_status st = fk_cuda_fail(e, "cudaMalloc/cudaMemcpy of the WMMA inputs", __FILE__, __LINE__,
                                err, err_len);
    if (*b) st = free_dev(*b, st, err, err_len);
    st = free_dev(*a, st, err, err_len);
    *a = *b = nullptr;
    return st;
}

/* ---- launch overhead, clock --------------------------------------------------- */

__global__ void empty_kernel() {}

constexpr int kGraphKernels = 1000;

struct empty_job {
    int blocks;
};

fk_status run_empties(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const empty_job *j = static_cast<const empty_job *>(arg);
    for (int i = 0; i < kGraphKernels; i++) {
        empty_kernel<<<j->blocks, kThreads, 0, s>>>();
        FK_CHECK_LAUNCH("empty_kernel");
    }
    return FK_OK;
}

/* One warp spins until clock64() has advanced by `cycles`. */
__global__ void clock_spin_kernel(long long cycles, long long *sink) {
    const long long t0 = clock64();
    long long t = t0;
    while (t - t0 < cycles) t = clock64();
    if (threadIdx.x == 0 && t - t0 < 0) *sink = t - t0;
}

/* 2e7 cycles: 10 ms at 2 GHz, so the launch (~5 us) is under 0.1% */
constexpr long long kSpinCycles = 20000000;

struct clock_job {
    long long *sink;
};

fk_status run_clock(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const clock_job *j = static_cast<const clock_job *>(arg);
    clock_spin_kernel<<<1, 32, 0, s>>>(kSpinCycles, j->sink);
    FK_CHECK_LAUNCH("clock_spin_kernel");
    return FK_OK;
}

} // namespace

/* ---- extern "C" entry points ------------------------------------------------- */

extern "C" int rt_tc_min_cc(rt_tc_type t) {
    switch (t) {
    case RT_TC_FP16: return 70;
    case RT_TC_BF16: return 80;
    case RT_TC_TF32: return 80;
    case RT_TC_INT8: return 72;
    default: return 1000;
    }
}

extern "C" fk_status rt_probe_l2_read(size_t bytes, int reps, int iters, cudaStream_t s,
                                      double *gbps, char *err, size_t err_len) {
    if (bytes < 16 || reps < 1 || iters < 1 || !gbps)
        return fk_fail(FK_ERR_INVALID, err, err_len, "l2 read: bytes %zu, reps %d, iters %d",
                       bytes, reps, iters);
    l2_job j = {nullptr, bytes / 16, reps, 0, nullptr};
    fk_status st = full_grid(l2_read_kernel, kThreads, &j.grid, err, err_len);
    if (st != FK_OK) return st;
    void *buf = nullptr;
    FK_CUDA(cudaMalloc(&buf, j.n16 * 16 + 16));
    j.p = static_cast<const uint4 *>(buf);
    j.sink = reinterpret_cast<unsigned *>(static_cast<char *>(buf) + j.n16 * 16);
    cudaError_t e = cudaMemsetAsync(buf, 0x5a, j.n16 * 16 + 16, s);
    if (e != cudaSuccess) st = fk_cuda_fail(e, "cudaMemsetAsync", __FILE__, __LINE__, err, err_len);
    /* one pass of one rep brings the buffer into L2 before the warm-ups */
    l2_job warm = j;
    warm.reps = 1;
    if (st == FK_OK) st = run_l2(&warm, s, err, err_len);
    rt_time_stats t = {};
    if (st == FK_OK) st = rt_time_job(run_l2, &j, kWarmup, iters, s, &t, err, err_len);
    if (st == FK_OK) *gbps = (double)j.n16 * 16.0 * reps / (t.median_us * 1e-6) / 1e9;
    return free_dev(buf, st, err, err_len);
}

extern "C" fk_status rt_probe_fp32(int iters, cudaStream_t s, double *tflops, char *err,
                                   size_t err_len) {
    if (iters < 1 || !tflops) return fk_fail(FK_ERR_INVALID, err, err_len, "fp32: iters %d", iters);
    /* 512 trips x 32 x 8 FMAs per thread: about 1.2 ms on an H100 (270k
     * threads at 60+ TFLOP/s), 15 ms on a 5 TFLOP/s GPU */
    fp32_job j = {0, 512, nullptr};
    fk_status st = full_grid(fp32_fma_kernel, kThreads, &j.grid, err, err_len);
    if (st != FK_OK) return st;
    FK_CUDA(cudaMalloc(&j.sink, (size_t)j.grid * kThreads * sizeof(float)));
    rt_time_stats t = {};
    st = rt_time_job(run_fp32, &j, kWarmup, iters, s, &t, err, err_len);
    if (st == FK_OK) {
        const double flops =
            2.0 * kFmaChains * kFmaUnroll * (double)j.trips * (double)j.grid * kThreads;
        *tflops = flops / (t.median_us * 1e-6) / 1e12;
    }
    return free_dev(j.sink, st, err, err_len);
}

extern "C" fk_status rt_probe_tensor(rt_tc_type type, int iters, cudaStream_t s, double *tflops,
                                     char *err, size_t err_len) {
    const void *fn = tc_kernel_fn(type);
    if (!fn || iters < 1 || !tflops)
        return fk_fail(FK_ERR_INVALID, err, err_len, "tensor: type %d, iters %d", (int)type, iters);
    int dev = 0, major = 0, minor = 0;
    FK_CUDA(cudaGetDevice(&dev));
    FK_CUDA(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    FK_CUDA(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    const int need = rt_tc_min_cc(type);
    if (major * 10 + minor < need)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "not supported on sm_%d%d", major, minor);
    /* The build compiles for one architecture (gpu_arch); a kernel built for
     * an older one has an empty body for types that arrived later. */
    cudaFuncAttributes fa;
    FK_CUDA(cudaFuncGetAttributes(&fa, fn));
    if (fa.binaryVersion < need)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len,
                       "not measured: this build's kernels target sm_%d (gpu_arch), sm_%d+ needed",
                       fa.binaryVersion, need);
    tc_job j = {type, nullptr, nullptr, nullptr, 0, kTcTrips};
    fk_status st = full_grid(fn, kThreads, &j.grid, err, err_len);
    if (st != FK_OK) return st;
    void *a = nullptr, *b = nullptr;
    st = tc_inputs(type, &a, &b, err, err_len);
    if (st != FK_OK) return st;
    cudaError_t e = cudaMalloc(&j.sink, 256 * sizeof(float));
    if (e != cudaSuccess) st = fk_cuda_fail(e, "cudaMalloc", __FILE__, __LINE__, err, err_len);
    j.a = a;
    j.b = b;
    rt_time_stats t = {};
    if (st == FK_OK) st = rt_time_job(run_tc, &j, kWarmup, iters, s, &t, err, err_len);
    if (st == FK_OK) {
        const int k = type == RT_TC_TF32 ? 8 : 16;
        const double warps = (double)j.grid * (kThreads / 32);
        const double flops = 2.0 * 16 * 16 * k * (double)kTcAcc * kTcTrips * warps;
        *tflops = flops / (t.median_us * 1e-6) / 1e12;
    }
    if (e == cudaSuccess) st = free_dev(j.sink, st, err, err_len);
    st = free_dev(b, st, err, err_len);
    return free_dev(a, st, err, err_len);
}

extern "C" fk_status rt_probe_launch_overhead(int blocks, int iters, cudaStream_t s, double *us,
                                              char *err, size_t err_len) {
    if (blocks < 1 || iters < 1 || !us)
        return fk_fail(FK_ERR_INVALID, err, err_len, "launch overhead: blocks %d, iters %d",
                       blocks, iters);
    empty_job j = {blocks};
    cudaGraphExec_t g = nullptr;
    fk_status st = rt_graph_capture(run_empties, &j, s, &g, err, err_len);
    if (st != FK_OK) return st;
    rt_time_stats t = {};
    st = rt_time_graph(g, kWarmup, iters, s, &t, err, err_len);
    if (st == FK_OK) *us = t.median_us / kGraphKernels;
    cudaError_t e = cudaGraphExecDestroy(g);
    if (st == FK_OK && e != cudaSuccess)
        st = fk_cuda_fail(e, "cudaGraphExecDestroy", __FILE__, __LINE__, err, err_len);
    return st;
}

extern "C" fk_status rt_probe_clock(int iters, cudaStream_t s, double *mhz, char *err,
                                    size_t err_len) {
    if (iters < 1 || !mhz) return fk_fail(FK_ERR_INVALID, err, err_len, "clock: iters %d", iters);
    clock_job j = {nullptr};
    FK_CUDA(cudaMalloc(&j.sink, sizeof(long long)));
    rt_time_stats t = {};
    fk_status st = rt_time_job(run_clock, &j, 1, iters, s, &t, err, err_len);
    if (st == FK_OK) *mhz = (double)kSpinCycles / t.median_us;
    return free_dev(j.sink, st, err, err_len);
}
