/* test_plans.c - whole plans executed on the GPU against the all-cuDNN
 * execution (suite gpu): `fuseplan run` is not the only thing that exercises
 * the runtime.
 *
 * For every shipped model (fp_shipped("models")) at batch 1 and 3 (odd: the
 * batch is not a multiple of anything), planned for the shipped h100_sxm spec
 * in fp32 fused and unfused (fp_plan_options.allowed = 0, `--no-fuse`):
 * fresh buffers, every activation poisoned, rt_run_plan, then every model
 * output compared (rt_compare) with rt_run_model_cudnn's on the same inputs
 * and weights. The threshold is rt_plan_model_threshold (strict fp32: 1e-4;
 * a unit fed the reference's input holds 1e-5, but over 50+ layers the
 * rounding differences compound; 1e-4 still catches any wrong layer, O(1)
 * errors), and nothing may stay unwritten or non-finite. The other element
 * types and TF32: test_dtypes.c.
 *
 * Exit status: 0 all passed, 1 a failure, 77 no CUDA device or no cuDNN (skip). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "check.h"
#include "fp_data.h"
#include "fp_plan.h"
#include "rt_buffers.h"
#include "rt_cudnn.h"
#include "rt_exec.h"

#define SEED 20261206

static fk_status sync_stream(cudaStream_t s, char *err, size_t err_len) {
    cudaError_t e = cudaStreamSynchronize(s);
    if (e == cudaSuccess) return FK_OK;
    snprintf(err, err_len, "cudaStreamSynchronize: %s", cudaGetErrorString(e));
    return FK_ERR_CUDA;
}

/* The reference and the plan on fresh poisoned buffers; every output compared. */
static void check_plan(const fp_model *m, const fp_plan *p, cudaStream_t s, const char *what) {
    char err[2048] = "";
    rt_buffers B, R;
    memset(&B, 0, sizeof B);
    memset(&R, 0, sizeof R);
    rt_cudnn *dnn = NULL;
    fk_status st = rt_buffers_create(m, p->opt.batch, p->opt.dtype, SEED, &B, err, sizeof err);
    if (st == FK_OK) st = rt_buffers_clone_activations(m, &B, &R, err, sizeof err);
    if (st == FK_OK) st = rt_cudnn_create(m, &R, p->opt.math, false, &dnn, err, sizeof err);
    if (st == FK_OK) st = rt_poison_activations(m, &R, s, err, sizeof err);
    if (st == FK_OK) st = rt_run_model_cudnn(dnn, m, &R, s, err, sizeof err);
    if (st == FK_OK) st = rt_poison_activations(m, &B, s, err, sizeof err);
    if (st == FK_OK) st = rt_run_plan(m, p, &B, dnn, s, err, sizeof err);
    if (st == FK_OK) st = sync_stream(s, err, sizeof err);
    CHECK(st == FK_OK, "%s: %s", what, err);
    const double thr = rt_plan_model_threshold(m, p->opt.dtype, p->opt.math);
    for (int k = 0; k < m->n_outputs && st == FK_OK; k++) {
        int t = m->outputs[k];
        rt_error e;
        st = rt_compare(B.tensor[t], R.tensor[t], B.dtype, B.tensor_count[t], &e, err, sizeof err);
        CHECK(st == FK_OK, "%s: comparing %s: %s", what, m->tensors[t].name, err);
        if (st != FK_OK) break;
        CHECK(rt_error_ok(&e, thr), "%s: output %s: rel L2 %.3g (threshold %.1g), max abs %.3g, %zu "
              "unwritten, %zu non-finite (%zu in the reference) of %zu", what, m->tensors[t].name,
              e.rel_l2, thr, e.max_abs, e.poisoned, e.non_finite, e.ref_non_finite, e.count);
        printf("%s: output %s rel L2 %.3g\n", what, m->tensors[t].name, e.rel_l2);
    }
    rt_cudnn_destroy(dnn);
    rt_buffers_destroy(&R);
    rt_buffers_destroy(&B);
}

static void check_model(const fp_model *m, const fp_gpu_spec *g, cudaStream_t s) {
    static const int batches[2] = {1, 3};
    for (int b = 0; b < 2; b++)
        for (int fused = 1; fused >= 0; fused--) {
            fp_plan_options o = fp_plan_default_options();
            o.batch = batches[b];
            o.dtype = CM_F32;
            if (!fused) o.allowed = 0;
            char what[256], err[1024] = "";
            snprintf(what, sizeof what, "%s b%d %s", m->name, o.batch, fused ? "fused" : "unfused");
            fp_plan p;
            fp_status st = fp_plan_build(m, g, &o, &p, err, sizeof err);
            CHECK(st == FP_OK, "%s: planning: %s", what, err);
            if (st != FP_OK) continue;
            check_plan(m, &p, s, what);
            fp_plan_free(&p);
        }
}

int main(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n < 1) {
        printf("test_plans: no CUDA device, skipped\n");
        return 77;
    }
    if (!rt_cudnn_available()) {
        printf("test_plans: built without cuDNN (the reference), skipped\n");
        return 77;
    }
    fp_gpu_spec g;
    char err[1024];
    if (fp_open_gpu("h100_sxm", &g, err, sizeof err) != FP_OK) {
        fprintf(stderr, "test_plans: %s\n", err);
        return 1;
    }
    cudaStream_t s = NULL;
    CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess, "stream");
    const char *text, *path;
    size_t len;
    int models = 0;
    for (int i = 0; s && (path = fp_shipped("models", i, &text, &len)); i++) {
        fp_model m;
        fp_status st = fp_model_parse(path, text, len, &m, err, sizeof err);
        CHECK(st == FP_OK, "%s: %s", path, err);
        if (st != FP_OK) continue;
        check_model(&m, &g, s);
        fp_model_free(&m);
        models++;
    }
    CHECK(models >= 5, "%d shipped models, want >= 5", models);
    if (s) cudaStreamDestroy(s);
    return check_summary("plans");
}
