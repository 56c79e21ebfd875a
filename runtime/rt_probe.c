/* rt_probe.c - fills a GPU spec (fp_gpu_spec) for the local device from its
 * properties and the micro-benchmarks of rt_probe_kernels.cu. */
#include "rt_probe.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fk_error.h"
#include "rt_timing.h"
#include "fp_gpu.h"

/* Default timed runs per benchmark: two back-to-back probes of an H200
 * (2026-11-22) agreed within 0.4% (L2: 1.6%) with medians of 9; a whole
 * probe takes a few seconds. */
#define PROBE_DEFAULT_ITERS 9
/* Copy buffers of 1 GiB: 20x an H100/H200's 50-60 MiB L2, so the copy is
 * DRAM-bound; the same size `fuseplan run` uses for its byte floors. */
#define PROBE_COPY_BYTES ((size_t)1 << 30)
/* Bytes the L2 benchmark reads per run: 4 GiB is ~0.5 ms at the 8.2-8.3 TB/s
 * an H200's SMs read from L2 (measured 2026-11-22; H100: ~7.2 TB/s,
 * gpu_specs/h100_sxm.json), long enough that the launch and the first-wave
 * ramp stay under 1%. */
#define PROBE_L2_BYTES_PER_RUN ((double)(4ull << 30))

/* The path recorded in the returned spec (it has no file yet). */
#define PROBE_LABEL "(fuseplan probe)"

/* Unified L1/shared-memory capacity per SM, from the CUDA C Programming Guide
 * (the "Compute Capability X.Y" sections: unified data cache size). The
 * runtime does not report it. */
static const struct {
    int cc, kib;
} L1_TABLE[] = {
    {70, 128}, {72, 128}, {75, 96}, {80, 192}, {86, 128}, {87, 192},
    {89, 128}, {90, 256}, {100, 256}, {120, 128},
};

void rt_probe_make_id(const char *name, char *out, size_t cap) {
    size_t n = 0;
    bool pending = false; /* a separator seen since the last kept character */
    for (const char *p = name ? name : ""; *p && n + 1 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (pending && n > 0) {
                if (n + 2 >= cap) break;
                out[n++] = '_';
            }
            pending = false;
            out[n++] = c;
        } else {
            pending = true;
        }
    }
    if (n == 0 && cap >= 4) {
        memcpy(out, "gpu", 4);
        return;
    }
    if (cap > 0) out[n] = '\0';
}

int rt_probe_id_valid(const char *id) {
    if (!id) return 0;
    size_t n = strlen(id);
    if (n < 1 || n > 63) return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
    return 1;
}

/* Rounds to `decimals` places; dividing by a power of ten gives the double
 * nearest the short decimal, so the JSON shows "3012.3", not 17 digits. */
static double round_dec(double x, int decimals) {
    double p = pow(10.0, decimals);
    return round(x * p) / p;
}

static void set(fp_gpu_spec *s, int field, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set(fp_gpu_spec *s, int field, double value, const char *fmt, ...) {
    va_list ap;
    s->values[field] = value;
    va_start(ap, fmt);
    vsnprintf(s->sources[field], sizeof s->sources[field], fmt, ap);
    va_end(ap);
}

/* Prefixes a failed measurement's message with the spec member it was for. */
static fk_status failed(fk_status st, const char *member, const char *why, char *err,
                        size_t err_len) {
    return fk_fail(st, err, err_len, "%s: %s", member, why);
}

/* The members cudaGetDeviceProperties (and cudaDeviceGetAttribute) give. */
static fk_status from_properties(int dev, const char *date, fp_gpu_spec *s, int *cc_out,
                                 char *err, size_t err_len) {
    struct cudaDeviceProp p;
    FK_CUDA(cudaGetDeviceProperties(&p, dev));
    /* device names are far shorter than the spec's 127 characters; cut if not */
    size_t len = strnlen(p.name, sizeof p.name);
    if (len >= sizeof s->name) len = sizeof s->name - 1;
    memcpy(s->name, p.name, len);
    s->name[len] = '\0';
    const int cc = p.major * 10 + p.minor;
    *cc_out = cc;
    snprintf(s->compute_capability, sizeof s->compute_capability, "%d.%d", p.major, p.minor);
    snprintf(s->cc_source, sizeof s->cc_source, "measured %s cudaGetDeviceProperties: major.minor",
             date);
    set(s, FP_GPU_SM_COUNT, p.multiProcessorCount,
        "measured %s cudaGetDeviceProperties: multiProcessorCount", date);
    set(s, FP_GPU_MAX_THREADS_PER_SM, p.maxThreadsPerMultiProcessor,
        "measured %s cudaGetDeviceProperties: maxThreadsPerMultiProcessor", date);
    set(s, FP_GPU_MAX_THREADS_PER_BLOCK, p.maxThreadsPerBlock,
        "measured %s cudaGetDeviceProperties: maxThreadsPerBlock", date);
    set(s, FP_GPU_MAX_BLOCKS_PER_SM, p.maxBlocksPerMultiProcessor,
        "measured %s cudaGetDeviceProperties: maxBlocksPerMultiProcessor", date);
    set(s, FP_GPU_MAX_REGS_PER_SM, p.regsPerMultiprocessor,
        "measured %s cudaGetDeviceProperties: regsPerMultiprocessor", date);

    /* The runtime has no per-thread register limit: 255 is the architectural
     * limit of every compute capability >= 3.5 (63 before), and a block of
     * one warp can never get more than regsPerBlock / warpSize. */
    int regs = cc >= 35 ? 255 : 63;
    int per_warp_cap = p.warpSize > 0 ? p.regsPerBlock / p.warpSize : regs;
    if (per_warp_cap < regs) regs = per_warp_cap;
    set(s, FP_GPU_MAX_REGS_PER_THREAD, regs,
        "derived: %d = min(%d, the per-thread limit for compute capability %d.%d in the CUDA C "
        "Programming Guide's technical-specifications table; regsPerBlock / warpSize = %d / %d, "
        "measured %s cudaGetDeviceProperties, which has no per-thread field)",
        regs, cc >= 35 ? 255 : 63, p.major, p.minor, p.regsPerBlock, p.warpSize, date);

    const double smem_kib = (double)p.sharedMemPerMultiprocessor / 1024.0;
    set(s, FP_GPU_SMEM_PER_SM_KIB, smem_kib,
        "measured %s cudaGetDeviceProperties: sharedMemPerMultiprocessor = %zu B", date,
        p.sharedMemPerMultiprocessor);
    set(s, FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB, (double)p.sharedMemPerBlockOptin / 1024.0,
        "measured %s cudaGetDeviceProperties: sharedMemPerBlockOptin = %zu B", date,
        p.sharedMemPerBlockOptin);

    int l1 = 0;
    for (size_t i = 0; i < sizeof L1_TABLE / sizeof L1_TABLE[0]; i++)
        if (L1_TABLE[i].cc == cc) l1 = L1_TABLE[i].kib;
    if (l1 >= smem_kib)
        set(s, FP_GPU_L1_PER_SM_KIB, l1,
            "derived: %d KiB unified L1/shared data cache per SM for compute capability %d.%d "
            "(CUDA C Programming Guide, section Compute Capability %d.x); cudaGetDeviceProperties "
            "reports no L1 size; its sharedMemPerMultiprocessor (%g KiB, measured %s) is the "
            "largest shared carve-out of it",
            l1, p.major, p.minor, p.major, smem_kib, date);
    else
        set(s, FP_GPU_L1_PER_SM_KIB, smem_kib,
            "derived: = smem_per_sm_kib, a lower bound: cudaGetDeviceProperties reports no L1 "
            "size and fuseplan has no table entry for compute capability %d.%d (measured %s)",
            p.major, p.minor, date);

    set(s, FP_GPU_L2_MIB, (double)p.l2CacheSize / 1048576.0,
        "measured %s cudaGetDeviceProperties: l2CacheSize = %d B", date, p.l2CacheSize);
    return FK_OK;
}

/* Clock: the driver's peak clock when it reports one (cudaDeviceProp.clockRate
 * was removed in CUDA 13; the attribute remains but may read 0), else the
 * clock64() measurement, which is also quoted either way. */
static fk_status probe_clock(int dev, const char *date, int iters, cudaStream_t s,
                             fp_gpu_spec *spec, char *err, size_t err_len) {
    int khz = 0;
    FK_CUDA(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev));
    double mhz = 0;
    char why[512];
    fk_status st = rt_probe_clock(iters, s, &mhz, why, sizeof why);
    if (st != FK_OK) return failed(st, "clock_mhz", why, err, err_len);
    if (khz > 0)
        set(spec, FP_GPU_CLOCK_MHZ, round_dec(khz / 1000.0, 0),
            "measured %s cudaDeviceGetAttribute(cudaDevAttrClockRate) = %d kHz (peak clock); "
            "clock64() cycles / CUDA-event time of a one-warp spin kernel read %.0f MHz, median "
            "of %d",
            date, khz, mhz, iters);
    else
        set(spec, FP_GPU_CLOCK_MHZ, round_dec(mhz, 0),
            "measured %s clock64() cycles / CUDA-event time of a one-warp spin kernel (2e7 "
            "cycles), median of %d; cudaDevAttrClockRate reported 0",
            date, iters);
    return FK_OK;
}

static const char *tc_member(rt_tc_type t) {
    switch (t) {
    case RT_TC_FP16: return "tc_fp16_tflops";
    case RT_TC_BF16: return "tc_bf16_tflops";
    case RT_TC_TF32: return "tc_tf32_tflops";
    default: return "tc_int8_tops";
    }
}

static const char *tc_method(rt_tc_type t) {
    switch (t) {
    case RT_TC_FP16: return "WMMA m16n16k16 half x half + float";
    case RT_TC_BF16: return "WMMA m16n16k16 bf16 x bf16 + float";
    case RT_TC_TF32: return "WMMA m16n16k8 tf32 x tf32 + float";
    default: return "WMMA m16n16k16 s8 x s8 + s32";
    }
}

static fk_status probe_tensor(rt_tc_type t, int field, int cc, const char *date, int iters,
                              cudaStream_t s, fp_gpu_spec *spec, char *err, size_t err_len) {
    double rate = 0;
    char why[512];
    fk_status st = rt_probe_tensor(t, iters, s, &rate, why, sizeof why);
    if (st == FK_ERR_UNSUPPORTED) {
        set(spec, field, 0, "measured %s: %s", date, why);
        return FK_OK;
    }
    if (st != FK_OK) return failed(st, tc_member(t), why, err, err_len);
    /* Hopper's full tensor rate needs wgmma (sm_90a), Blackwell's tcgen05;
     * WMMA compiles to mma.sync, which reaches only part of it there. */
    const char *note = cc >= 100   ? "; wmma mma.sync, below the tcgen05 peak"
                       : cc >= 90 ? "; wmma mma.sync, below the wgmma peak"
                                  : "";
    set(spec, field, round_dec(rate, 1),
        "measured %s %s, dense, 4 independent accumulators per warp in registers, fragments "
        "loaded once, all SMs at full occupancy, median of %d%s",
        date, tc_method(t), iters, note);
    return FK_OK;
}

static fk_status measure_all(int dev, const char *date, int iters, cudaStream_t s,
                             fp_gpu_spec *spec, char *err, size_t err_len) {
    int cc = 0;
    fk_status st = from_properties(dev, date, spec, &cc, err, err_len);
    if (st != FK_OK) return st;
    const int sms = (int)spec->values[FP_GPU_SM_COUNT];
    char why[512];

    if ((st = probe_clock(dev, date, iters, s, spec, err, err_len)) != FK_OK) return st;

    /* launch overhead: one block per SM is a layer-like grid (every SM gets
     * a block to start and retire); one block alone for comparison */
    double us_full = 0, us_one = 0;
    st = rt_probe_launch_overhead(sms, iters, s, &us_full, why, sizeof why);
    if (st == FK_OK) st = rt_probe_launch_overhead(1, iters, s, &us_one, why, sizeof why);
    if (st != FK_OK) return failed(st, "launch_overhead_us", why, err, err_len);
    set(spec, FP_GPU_LAUNCH_OVERHEAD_US, round_dec(us_full, 3),
        "measured %s CUDA graph of 1000 dependent (same-stream) empty kernels of %d blocks x 256 "
        "threads (one per SM), graph time / 1000, median of %d replays (1 block: %.3f us)",
        date, sms, iters, us_one);

    double gbps = 0;
    st = rt_copy_bandwidth(PROBE_COPY_BYTES, iters, s, &gbps, why, sizeof why);
    if (st != FK_OK) return failed(st, "dram_gbps", why, err, err_len);
    set(spec, FP_GPU_DRAM_GBPS, round_dec(gbps, 1),
        "measured %s device-to-device cudaMemcpyAsync of 1 GiB buffers, (bytes read + written) / "
        "time, CUDA events, median of %d (rt_copy_bandwidth)",
        date, iters);

    /* L2: a quarter of it, so that the whole buffer stays resident whatever
     * the partitioning and the replacement policy do */
    const size_t l2_bytes = (size_t)(spec->values[FP_GPU_L2_MIB] * 1048576.0) / 4 / 16 * 16;
    int reps = (int)ceil(PROBE_L2_BYTES_PER_RUN / (double)(l2_bytes ? l2_bytes : 16));
    st = rt_probe_l2_read(l2_bytes, reps, iters, s, &gbps, why, sizeof why);
    if (st != FK_OK) return failed(st, "l2_gbps", why, err, err_len);
    set(spec, FP_GPU_L2_GBPS, round_dec(gbps, 1),
        "measured %s read-only kernel, 16-byte __ldcg loads streaming %d times over a %.2f MiB "
        "buffer (1/4 of L2), all SMs at full occupancy, bytes read / time, CUDA events, median "
        "of %d",
        date, reps, (double)l2_bytes / 1048576.0, iters);

    double tflops = 0;
    st = rt_probe_fp32(iters, s, &tflops, why, sizeof why);
    if (st != FK_OK) return failed(st, "fp32_tflops", why, err, err_len);
    set(spec, FP_GPU_FP32_TFLOPS, round_dec(tflops, 2),
        "measured %s 8 independent FFMA chains per thread in registers, all SMs at full "
        "occupancy, FMA = 2 FLOPs, CUDA events, median of %d (at the clock the GPU held under "
        "load)",
        date, iters);

    static const int fields[RT_TC_COUNT] = {FP_GPU_TC_FP16_TFLOPS, FP_GPU_TC_BF16_TFLOPS,
                                            FP_GPU_TC_TF32_TFLOPS, FP_GPU_TC_INT8_TOPS};
    for (int t = 0; t < RT_TC_COUNT; t++)
        if ((st = probe_tensor((rt_tc_type)t, fields[t], cc, date, iters, s, spec, err,
                               err_len)) != FK_OK)
            return st;
    return FK_OK;
}

fk_status rt_probe_spec(const char *id, const char *date, int iters, struct fp_gpu_spec *out,
                        char *err, size_t err_len) {
    if (!out) return fk_fail(FK_ERR_INVALID, err, err_len, "probe: no output spec");
    if (iters == 0) iters = PROBE_DEFAULT_ITERS;
    if (iters < 3 || iters > 1000)
        return fk_fail(FK_ERR_INVALID, err, err_len, "probe: iters %d is not in 3 .. 1000", iters);
    if (id && !rt_probe_id_valid(id))
        return fk_fail(FK_ERR_INVALID, err, err_len,
                       "probe: id \"%s\" must be 1..63 characters of a-z, 0-9 and _", id);
    char today[32];
    if (!date) {
        time_t now = time(NULL);
        struct tm tm;
        if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
            strftime(today, sizeof today, "%Y-%m-%d", &tm) == 0)
            return fk_fail(FK_ERR_INVALID, err, err_len, "probe: cannot read today's date");
        date = today;
    }
    memset(out, 0, sizeof *out);

    int dev = 0;
    FK_CUDA(cudaGetDevice(&dev));
    /* a stream of our own: nothing else queued on it skews the events */
    cudaStream_t s;
    FK_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    fk_status st = measure_all(dev, date, iters, s, out, err, err_len);
    cudaError_t e = cudaStreamDestroy(s);
    if (st == FK_OK && e != cudaSuccess)
        st = fk_cuda_fail(e, "cudaStreamDestroy", __FILE__, __LINE__, err, err_len);
    if (st != FK_OK) return st;

    if (id) snprintf(out->id, sizeof out->id, "%s", id);
    else rt_probe_make_id(out->name, out->id, sizeof out->id);

    /* Load the spec back through the loader: it checks every range (a
     * benchmark gone wrong fails here, not in a later `fuseplan plan`) and
     * fills the cost model's cm_gpu and the hash of exactly the JSON text
     * fp_gpu_to_json writes for it. */
    char *json = fp_gpu_to_json(out);
    if (!json) return fk_fail(FK_ERR_NOMEM, err, err_len, "probe: out of memory");
    fp_gpu_spec loaded;
    char why[1024];
    fp_status ps = fp_gpu_parse(PROBE_LABEL, json, strlen(json), &loaded, why, sizeof why);
    free(json);
    if (ps != FP_OK)
        return fk_fail(FK_ERR_INVALID, err, err_len,
                       "probe: the measured spec does not pass the loader: %s", why);
    *out = loaded;
    return FK_OK;
}
