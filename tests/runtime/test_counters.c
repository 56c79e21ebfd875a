/* test_counters.c - CUPTI counters (rt_counters.h) on the local GPU (suite
 * 'gpu').
 *
 * Known answers: a copy kernel of B bytes (16-byte vectors, every sector
 * fully used) must show B bytes read and B bytes written between the SMs and
 * L2 within 2%, for a small copy (1 MiB, in L2) and a large one (256 MiB, 4x
 * the largest L2); after an L2 flush the large copy must read B bytes from
 * DRAM within 2% (the flush is a read sweep: no dirty lines are left to be
 * written back, so DRAM writes stay within B), and the small one read from
 * DRAM at most 2% more than B. A steady-state measurement of the small copy
 * (run once first) must read almost nothing from DRAM (< 10% of B: it is in
 * L2). The CUPTI duration must agree with CUDA events within 2x.
 *
 * Then real units: the first DW, PW and fused units of MobileNetV2's plan at
 * batch 64 on the shipped h200 spec are measured cold, and their counters
 * printed as "COUNTERS <label> l2_read l2_write dram_read dram_write hit%
 * duration_us" beside the cost model's traffic. These lines are what
 * bench/validation/ncu_compare.py checks against Nsight Compute; the test
 * asserts only that the counters are positive and finite.
 *
 * RT_CTR_NCU=1: no CUPTI session; the same kernels run between
 * cudaProfilerStart/Stop so that `ncu --profile-from-start off` profiles
 * exactly them, in the same order (see bench/validation/run_validation_gpu.sh).
 * Exit status: 0 all passed, 1 a failure, 77 no CUDA device (skip). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_profiler_api.h>
#include <cuda_runtime_api.h>

#include "check.h"
#include "rt_counters.h"
#include "rt_exec.h"
#include "rt_timing.h"
#include "fp_data.h"
#include "fp_plan.h"

#define SMALL_BYTES ((size_t)1 << 20)
#define LARGE_BYTES ((size_t)256 << 20)

typedef struct copy_job {
    void *dst;
    const void *src;
    size_t bytes;
} copy_job;

static fk_status job_copy(void *arg, cudaStream_t s, char *err, size_t err_len) {
    copy_job *j = arg;
    return rt_ctr_copy_kernel(j->dst, j->src, j->bytes, s, err, err_len);
}

static fk_status job_flush(void *arg, cudaStream_t s, char *err, size_t err_len) {
    return rt_ctr_flush_l2((rt_ctr_session *)arg, s, err, err_len);
}

typedef struct unit_job {
    const fp_model *m;
    const fp_unit *u;
    rt_buffers *b;
} unit_job;

static fk_status job_unit(void *arg, cudaStream_t s, char *err, size_t err_len) {
    unit_job *j = arg;
    return rt_run_unit(j->m, j->u, j->b, j->b, NULL, s, err, err_len);
}

static bool near(double got, double want, double tol) { return fabs(got - want) <= tol * want; }

static void print_values(const char *label, const rt_ctr_values *v) {
    printf("COUNTERS %s %.0f %.0f %.0f %.0f %.2f %.3f\n", label, v->l2_read_bytes, v->l2_write_bytes,
           v->dram_read_bytes, v->dram_write_bytes, v->l2_hit_rate_pct, v->duration_us);
}

static void test_copies(rt_ctr_session *c, cudaStream_t s, void *dst, void *src) {
    char err[1024];
    size_t sizes[2] = {SMALL_BYTES, LARGE_BYTES};
    for (int i = 0; i < 2; i++) {
        size_t b = sizes[i];
        copy_job j = {dst, src, b};
        rt_ctr_values cold, warm;
        fk_status st = rt_ctr_measure(c, job_flush, c, job_copy, &j, s, &cold, err, sizeof err);
        CHECK(st == FK_OK, "cold copy of %zu bytes: %s", b, err);
        st = rt_ctr_measure(c, job_copy, &j, job_copy, &j, s, &warm, err, sizeof err);
        CHECK(st == FK_OK, "steady copy of %zu bytes: %s", b, err);
        char label[64];
        snprintf(label, sizeof label, "copy_%zuMiB_cold", b >> 20);
        print_values(label, &cold);
        snprintf(label, sizeof label, "copy_%zuMiB_steady", b >> 20);
        print_values(label, &warm);
        const rt_ctr_values *vs[2] = {&cold, &warm};
        for (int k = 0; k < 2; k++) {
            CHECK(near(vs[k]->l2_read_bytes, (double)b, 0.02), "copy %zu B (%s): L2 reads %.0f B",
                  b, k ? "steady" : "cold", vs[k]->l2_read_bytes);
            CHECK(near(vs[k]->l2_write_bytes, (double)b, 0.02), "copy %zu B (%s): L2 writes %.0f B",
                  b, k ? "steady" : "cold", vs[k]->l2_write_bytes);
        }
        if (b == LARGE_BYTES)
            CHECK(near(cold.dram_read_bytes, (double)b, 0.02), "cold copy %zu B: DRAM reads %.0f B", b,
                  cold.dram_read_bytes);
        else
            CHECK(cold.dram_read_bytes <= 1.02 * (double)b && cold.dram_read_bytes > 0.5 * (double)b,
                  "cold copy %zu B: DRAM reads %.0f B", b, cold.dram_read_bytes);
        CHECK(cold.dram_write_bytes <= 1.02 * (double)b, "cold copy %zu B: DRAM writes %.0f B", b,
              cold.dram_write_bytes);
        if (b == SMALL_BYTES)
            CHECK(warm.dram_read_bytes < 0.1 * (double)b,
                  "steady copy %zu B should hit L2: DRAM reads %.0f B", b, warm.dram_read_bytes);
        rt_time_stats ts;
        st = rt_time_job(job_copy, &j, 3, 20, s, &ts, err, sizeof err);
        CHECK(st == FK_OK, "timing: %s", err);
        /* the user range adds ~11 us of its own on the H200 (ncu's kernel
         * duration of the 1 MiB copy: 2.6 us; the range: 14.9 us) */
        CHECK(warm.duration_us > 0.8 * ts.median_us && warm.duration_us < ts.median_us + 30,
              "copy %zu B: CUPTI range duration %.2f us vs events %.2f us", b, warm.duration_us,
              ts.median_us);
        printf("copy %zu B: events %.2f us, CUPTI range %.2f us\n", b, ts.median_us, warm.duration_us);
    }
}

/* A batch of ranges: each item's counters are its own (a 1 MiB and a
 * 4 MiB copy alternating, cold and steady, in one session). */
static void test_batch(rt_ctr_session *c, cudaStream_t s, void *dst, void *src) {
    char err[1024];
    enum { N = 8 };
    copy_job jobs[N];
    rt_ctr_item items[N];
    rt_ctr_values v[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (copy_job){dst, src, (i % 2 ? 4 : 1) * SMALL_BYTES};
        items[i] = (rt_ctr_item){i < N / 2 ? job_flush : job_copy, i < N / 2 ? (void *)c : &jobs[i],
                                 job_copy, &jobs[i]};
    }
    fk_status st = rt_ctr_measure_batch(c, items, N, s, v, err, sizeof err);
    CHECK(st == FK_OK, "batch: %s", err);
    for (int i = 0; st == FK_OK && i < N; i++) {
        double b = (double)jobs[i].bytes;
        CHECK(near(v[i].l2_read_bytes, b, 0.02) && near(v[i].l2_write_bytes, b, 0.02),
              "batch item %d (%.0f B): L2 %.0f read, %.0f written", i, b, v[i].l2_read_bytes,
              v[i].l2_write_bytes);
        if (i < N / 2)
            CHECK(near(v[i].dram_read_bytes, b, 0.05), "batch item %d (%.0f B, cold): DRAM read %.0f", i,
                  b, v[i].dram_read_bytes);
        else
            CHECK(v[i].dram_read_bytes < 0.1 * b, "batch item %d (%.0f B, steady): DRAM read %.0f", i,
                  b, v[i].dram_read_bytes);
    }
    CHECK(rt_ctr_measure_batch(c, items, 0, s, v, err, sizeof err) == FK_ERR_INVALID,
          "an empty batch is accepted");
}

/* The first unit of each kernel kind in MobileNetV2's plan at batch 64. */
static int pick_units(const fp_plan *p, const fp_unit **out) {
    int n = 0;
    bool seen[CM_KIND_COUNT] = {false};
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        if (u->kind == FP_UNIT_OTHER || seen[u->kind]) continue;
        seen[u->kind] = true;
        out[n++] = u;
    }
    return n;
}

static void test_units(rt_ctr_session *c, bool ncu_mode, cudaStream_t s) {
    char err[1024];
    fp_model m;
    fp_gpu_spec g;
    fp_plan p;
    bool ok = fp_open_model("mobilenet_v2", &m, err, sizeof err) == FP_OK;
    CHECK(ok, "%s", err);
    if (!ok) return;
    ok = fp_open_gpu("h200", &g, err, sizeof err) == FP_OK;
    CHECK(ok, "%s", err);
    fp_plan_options o = fp_plan_default_options();
    o.batch = 64;
    if (ok) {
        ok = fp_plan_build(&m, &g, &o, &p, err, sizeof err) == FP_OK;
        CHECK(ok, "%s", err);
    }
    if (!ok) {
        fp_model_free(&m);
        return;
    }
    rt_buffers B;
    memset(&B, 0, sizeof B);
    fk_status st = rt_buffers_create(&m, 64, CM_F32, 7, &B, err, sizeof err);
    CHECK(st == FK_OK, "buffers: %s", err);
    const fp_unit *units[CM_KIND_COUNT];
    int n = st == FK_OK ? pick_units(&p, units) : 0;
    if (ncu_mode) {
        cudaDeviceSynchronize();
        cudaProfilerStart();
    }
    for (int i = 0; i < n; i++) {
        const fp_unit *u = units[i];
        unit_job j = {&m, u, &B};
        char label[128];
        snprintf(label, sizeof label, "%s_%s", cm_kind_name((cm_kind)u->kind),
                 m.layers[u->layers[0]].name);
        if (ncu_mode) {
            st = job_unit(&j, s, err, sizeof err);
            CHECK(st == FK_OK && cudaStreamSynchronize(s) == cudaSuccess, "%s: %s", label, err);
            printf("NCU-ORDER %s\n", label);
            continue;
        }
        rt_ctr_values v;
        st = rt_ctr_measure(c, job_flush, c, job_unit, &j, s, &v, err, sizeof err);
        CHECK(st == FK_OK, "%s: %s", label, err);
        print_values(label, &v);
        printf("ESTIMATE %s traffic %llu dram %llu time %.2f\n", label,
               (unsigned long long)(u->est.traffic.load_bytes + u->est.traffic.store_bytes),
               (unsigned long long)(u->est.dram_read_bytes + u->est.dram_write_bytes), u->est.time_us);
        CHECK(isfinite(v.l2_read_bytes) && v.l2_read_bytes > 0 && v.l2_write_bytes > 0 &&
              v.duration_us > 0, "%s: counters not positive", label);
    }
    if (ncu_mode) cudaProfilerStop();
    rt_buffers_destroy(&B);
    fp_plan_free(&p);
    fp_model_free(&m);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0); /* lines survive a crash */
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
        printf("test_counters: no CUDA device, skipped\n");
        return 77;
    }
    const char *ncu = getenv("RT_CTR_NCU");
    bool ncu_mode = ncu && strcmp(ncu, "1") == 0;
    char err[1024];
    cudaStream_t s;
    CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess, "stream");
    if (ncu_mode) { /* copies first, as in the CUPTI run, then the units */
        void *src = NULL, *dst = NULL;
        CHECK(cudaMalloc(&src, LARGE_BYTES) == cudaSuccess && cudaMalloc(&dst, LARGE_BYTES) == cudaSuccess,
              "cudaMalloc");
        cudaMemset(src, 1, LARGE_BYTES);
        cudaDeviceSynchronize();
        cudaProfilerStart();
        size_t sizes[2] = {SMALL_BYTES, LARGE_BYTES};
        for (int i = 0; i < 2; i++) {
            CHECK(rt_ctr_copy_kernel(dst, src, sizes[i], s, err, sizeof err) == FK_OK, "%s", err);
            cudaStreamSynchronize(s);
            printf("NCU-ORDER copy_%zuMiB_cold\n", sizes[i] >> 20);
        }
        cudaProfilerStop();
        cudaFree(src);
        cudaFree(dst);
        test_units(NULL, true, s);
        cudaStreamDestroy(s);
        return check_summary("test_counters (ncu mode)");
    }
    rt_ctr_session *c = NULL;
    fk_status st = rt_ctr_create(&c, err, sizeof err);
    CHECK(st == FK_OK, "rt_ctr_create: %s", err);
    if (st != FK_OK) return check_summary("test_counters");
    printf("CUPTI chip %s, %d pass(es): %s\n", rt_ctr_chip(c), rt_ctr_passes(c), rt_ctr_metric_list());
    int nm = 0;
    const char *const *names = rt_ctr_metric_names(&nm);
    for (int i = 0; i < nm; i++) {
        int passes = rt_ctr_metric_passes(c, names[i], err, sizeof err);
        CHECK(passes >= 1, "%s: %s", names[i], err);
        printf("metric %s alone: %d pass(es)\n", names[i], passes);
    }
    void *src = NULL, *dst = NULL;
    CHECK(cudaMalloc(&src, LARGE_BYTES) == cudaSuccess && cudaMalloc(&dst, LARGE_BYTES) == cudaSuccess,
          "cudaMalloc");
    if (src && dst) {
        cudaMemset(src, 1, LARGE_BYTES);
        cudaDeviceSynchronize();
        test_copies(c, s, dst, src);
        test_batch(c, s, dst, src);
    }
    cudaFree(src);
    cudaFree(dst);
    test_units(c, false, s);
    rt_ctr_destroy(c);
    cudaStreamDestroy(s);
    return check_summary("test_counters");
}
