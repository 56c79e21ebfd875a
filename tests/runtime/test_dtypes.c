/* test_dtypes.c - whole models end to end in fp16, bf16 and fp32 with TF32
 * against the all-cuDNN execution in the same element type and math (suite
 * gpu; issue 12).
 *
 * For every shipped model at batch 1 and 3, for each case (default fp16 tc,
 * fp16 simt, bf16 tc, fp32 tc = TF32: the compiled 16-bit rows are split
 * between the math modes, PW on tensor cores, DW on CUDA cores, so both are
 * exercised; FP_TEST_DTYPES="fp16:simt,bf16:tc,..." replaces the list),
 * planned for the shipped h100_sxm spec fused and unfused: one set of buffers
 * in the element type (the fp32 master values of the seed rounded to it),
 * the all-cuDNN reference in that type and math (poisoned first),
 * then each plan on fresh poisoned activations, every model output compared
 * (rt_compare) with the threshold derived from the type, the math, the
 * model's longest reduction and its layer count (rt_plan_model_threshold,
 * docs/runtime.md "Tolerances"); nothing may stay unwritten or non-finite.
 * Units without a compiled kernel in the type run on cuDNN (the planner's
 * "cudnn" backend); pooling, global average pool, dense, add and activation
 * run our simple kernels in the type, so no fp32 tensor is between layers.
 * Each plan runs twice: its conv units (the stems, Xception's first convs and
 * shortcuts) on cuDNN, then on our tiled direct convolution wherever it runs
 * them (rt_cudnn_set_conv_by, what `run` picks when it measures ours faster),
 * both against the same reference and threshold.
 * At batch 1 it also prints each model's error against strict fp32
 * (rt_error_vs_fp32), for the record, with no threshold.
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
#define MAX_CASES 8

typedef struct dt_case {
    cm_dtype dtype;
    cm_math math;
} dt_case;

static fk_status sync_stream(cudaStream_t s, char *err, size_t err_len) {
    cudaError_t e = cudaStreamSynchronize(s);
    if (e == cudaSuccess) return FK_OK;
    snprintf(err, err_len, "cudaStreamSynchronize: %s", cudaGetErrorString(e));
    return FK_ERR_CUDA;
}

/* FP_TEST_DTYPES: "T:M,T:M" (T fp32|fp16|bf16, M simt|tc); default
 * fp16:tc,fp16:simt,bf16:tc,fp32:tc. */
static int parse_cases(dt_case *c) {
    const char *env = getenv("FP_TEST_DTYPES");
    if (!env || !*env) env = "fp16:tc,fp16:simt,bf16:tc,fp32:tc";
    char buf[256];
    snprintf(buf, sizeof buf, "%s", env);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < MAX_CASES;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (colon) *colon = '\0';
        dt_case k = {CM_F32, CM_MATH_TC};
        bool ok = cm_dtype_parse(tok, &k.dtype) && (!colon || cm_math_parse(colon + 1, &k.math));
        CHECK(ok, "FP_TEST_DTYPES: bad case \"%s\"", tok);
        if (ok) c[n++] = k;
    }
    return n;
}

/* The plan's units by backend as it runs with dnn's choices: kernel units,
 * cuDNN convs, our tiled convs, other simple ops. */
static void count_units(const fp_model *m, const fp_plan *p, const rt_cudnn *dnn, int *kern,
                        int *cud, int *tiled, int *other) {
    *kern = *cud = *tiled = *other = 0;
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        if (u->kind != FP_UNIT_OTHER) (*kern)++;
        else if (m->layers[u->layers[0]].op != FP_OP_CONV2D) (*other)++;
        else if (strcmp(rt_unit_by(m, u, dnn, p->opt.batch, p->opt.dtype, NULL, 0), "cudnn") == 0)
            (*cud)++;
        else (*tiled)++;
    }
}

/* Every conv layer the plans leave to a conv unit onto our tiled convolution
 * where it runs it (by_ours), else back to cuDNN; how many moved. */
static int set_convs(const fp_model *m, const fp_plan *p, rt_cudnn *dnn, bool by_ours) {
    int moved = 0;
    char err[512];
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        const int li = u->layers[0];
        if (u->kind != FP_UNIT_OTHER || m->layers[li].op != FP_OP_CONV2D) continue;
        rt_conv_choice c;
        if (rt_cudnn_conv_choice(dnn, li, &c) != FK_OK || (by_ours && !c.supported)) continue;
        const fk_status st = rt_cudnn_set_conv_by(dnn, li, by_ours ? RT_CONV_BY_OURS : RT_CONV_BY_CUDNN,
                                                  err, sizeof err);
        CHECK(st == FK_OK, "%s: %s", m->layers[li].name, err);
        moved += st == FK_OK && by_ours;
    }
    return moved;
}

static void check_case(const fp_model *m, const fp_gpu_spec *g, int batch, dt_case k,
                       cudaStream_t s) {
    char what[256], err[2048] = "";
    snprintf(what, sizeof what, "%s b%d %s %s", m->name, batch, cm_dtype_name(k.dtype),
             cm_math_name(k.math));
    fp_plan plans[2];
    bool built[2] = {false, false};
    for (int f = 0; f < 2; f++) {
        fp_plan_options o = fp_plan_default_options();
        o.batch = batch;
        o.dtype = k.dtype;
        o.math = k.math;
        if (f == 1) o.allowed = 0;
        fp_status ps = fp_plan_build(m, g, &o, &plans[f], err, sizeof err);
        CHECK(ps == FP_OK, "%s: planning %s: %s", what, f ? "unfused" : "fused", err);
        built[f] = ps == FP_OK;
    }
    rt_buffers B, R;
    memset(&B, 0, sizeof B);
    memset(&R, 0, sizeof R);
    rt_cudnn *dnn = NULL;
    fk_status st = rt_buffers_create(m, batch, k.dtype, SEED, &B, err, sizeof err);
    if (st == FK_OK) st = rt_buffers_clone_activations(m, &B, &R, err, sizeof err);
    if (st == FK_OK) st = rt_cudnn_create(m, &R, k.math, false, &dnn, err, sizeof err);
    if (st == FK_OK) st = rt_poison_activations(m, &R, s, err, sizeof err);
    if (st == FK_OK) st = rt_run_model_cudnn(dnn, m, &R, s, err, sizeof err);
    if (st == FK_OK) st = sync_stream(s, err, sizeof err);
    CHECK(st == FK_OK, "%s: reference: %s", what, err);
    int first = -1, n_direct = dnn ? rt_cudnn_direct_layers(dnn, &first) : 0;
    if (n_direct)
        printf("%s: cuDNN has no algorithm for %d convs (first %s): direct kernel\n", what,
               n_direct, m->layers[first].name);
    const double thr = rt_plan_model_threshold(m, k.dtype, k.math);
    /* run f: 0 fused, 1 unfused (conv units on cuDNN); 2 fused, 3 unfused
     * with the conv units on our tiled convolution */
    for (int run = 0; run < 4 && st == FK_OK; run++) {
        const int f = run & 1;
        if (!built[f]) continue;
        const fp_plan *p = &plans[f];
        const bool ours = run >= 2;
        const int moved = set_convs(m, p, dnn, ours);
        if (ours && !moved) continue; /* the same execution as run f */
        int kern, cud, tiled, oth;
        count_units(m, p, dnn, &kern, &cud, &tiled, &oth);
        char label[64];
        snprintf(label, sizeof label, "%s%s", f ? "unfused" : "fused", ours ? ", tiled convs" : "");
        st = rt_poison_activations(m, &B, s, err, sizeof err);
        if (st == FK_OK) st = rt_run_plan(m, p, &B, dnn, s, err, sizeof err);
        if (st == FK_OK) st = sync_stream(s, err, sizeof err);
        CHECK(st == FK_OK, "%s %s: %s", what, label, err);
        for (int o = 0; o < m->n_outputs && st == FK_OK; o++) {
            const int t = m->outputs[o];
            rt_error e;
            st = rt_compare(B.tensor[t], R.tensor[t], B.dtype, B.tensor_count[t], &e, err,
                            sizeof err);
            CHECK(st == FK_OK, "%s: comparing %s: %s", what, m->tensors[t].name, err);
            if (st != FK_OK) break;
            CHECK(rt_error_ok(&e, thr), "%s %s: output %s: rel L2 %.3g (threshold %.2g), max abs "
                  "%.3g, %zu unwritten, %zu non-finite (%zu in the reference) of %zu", what,
                  label, m->tensors[t].name, e.rel_l2, thr, e.max_abs, e.poisoned,
                  e.non_finite, e.ref_non_finite, e.count);
            printf("%s %s (%d kernel units, %d cuDNN convs, %d tiled convs, %d simple ops): output "
                   "%s rel L2 %.3g (threshold %.2g)\n", what, label, kern, cud, tiled, oth,
                   m->tensors[t].name, e.rel_l2, thr);
        }
        /* the fused plan's outputs are in B: what the precision costs */
        if (run == 0 && batch == 1 && st == FK_OK) {
            double vs = -1;
            st = rt_error_vs_fp32(m, &B, SEED, NULL, s, &vs, err, sizeof err);
            CHECK(st == FK_OK, "%s: strict-fp32 reference: %s", what, err);
            if (st == FK_OK) printf("%s: whole model against strict fp32: rel L2 %.3g\n", what, vs);
        }
    }
    rt_cudnn_destroy(dnn);
    rt_buffers_destroy(&R);
    rt_buffers_destroy(&B);
    for (int f = 0; f < 2; f++)
        if (built[f]) fp_plan_free(&plans[f]);
}

int main(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n < 1) {
        printf("test_dtypes: no CUDA device, skipped\n");
        return 77;
    }
    if (!rt_cudnn_available()) {
        printf("test_dtypes: built without cuDNN (the reference), skipped\n");
        return 77;
    }
    dt_case cases[MAX_CASES];
    const int n_cases = parse_cases(cases);
    fp_gpu_spec g;
    char err[1024];
    if (fp_open_gpu("h100_sxm", &g, err, sizeof err) != FP_OK) {
        fprintf(stderr, "test_dtypes: %s\n", err);
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
        for (int c = 0; c < n_cases; c++)
            for (int b = 1; b <= 3; b += 2) check_case(&m, &g, b, cases[c], s);
        fp_model_free(&m);
        models++;
    }
    CHECK(models >= 5, "%d shipped models, want >= 5", models);
    if (s) cudaStreamDestroy(s);
    return check_summary("dtypes");
}
