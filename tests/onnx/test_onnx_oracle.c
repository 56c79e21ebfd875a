/* test_onnx_oracle.c - imported ONNX models through fuseplan's CPU reference
 * (fk_reference, double precision), layer by layer, against outputs nobody
 * here computed (docs/onnx.md, "The oracle").
 *
 * usage:
 *   test_onnx_oracle model MODEL.onnx INPUT.bin OUTPUT.bin N [TOL]
 *       INPUT.bin: float32 NCHW, batch N; OUTPUT.bin: float32 [N][units]
 *       (PyTorch's CPU output, tools/export_onnx.py --ref). Passes when the
 *       relative L2 error is at most TOL (default 1e-5).
 *   test_onnx_oracle node NODE_DIR WORK_DIR
 *       ONNX's own node test cases (libonnx-testdata): each case below is
 *       imported (its weight inputs made initializers) and run, or must be
 *       refused with the listed message.
 * Exit 0 when everything passed, 1 otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_reference.h"
#include "fp_data.h"
#include "fp_onnx.h"
#include "onnx.pb-c.h"

static int failures;

/* Runs m over x (NHWC doubles, batch n, owned by the caller) with the weights
 * of m->weights; returns the first output (malloc'd) and its element count. */
static double *run_reference(const fp_model *m, int n, const double *x, size_t *out_count) {
    *out_count = 0;
    FILE *f = fopen(m->weights, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open weights %s\n", m->path, m->weights);
        return NULL;
    }
    size_t nw = (size_t)fp_model_params(m);
    float *w = malloc((nw + 1) * sizeof *w);
    size_t got = w ? fread(w, sizeof *w, nw, f) : 0;
    fclose(f);
    if (got != nw) {
        fprintf(stderr, "%s: weights file has %zu of %zu floats\n", m->path, got, nw);
        free(w);
        return NULL;
    }
    double **act = calloc((size_t)m->n_tensors, sizeof *act);
    const fp_shape *in_s = &m->tensors[m->input].shape;
    size_t in_count = (size_t)n * in_s->h * in_s->w * in_s->c;
    act[m->input] = malloc(in_count * sizeof(double));
    memcpy(act[m->input], x, in_count * sizeof(double));
    const float *wp = w;
    bool ok = true;
    for (int i = 0; i < m->n_layers && ok; i++) {
        const fp_layer *l = &m->layers[i];
        fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
        size_t oc = (size_t)n * os.h * os.w * os.c;
        double *y = malloc(oc * sizeof *y), *a = act[l->inputs[0]];
        switch (l->op) {
        case FP_OP_CONV2D: {
            fk_conv2d p = {n, is.h, is.w, is.c, os.h, os.w, os.c, l->kernel_h, l->kernel_w,
                           l->stride_h, l->stride_w, l->pad_top, l->pad_left, l->groups, l->act};
            size_t nk = (size_t)l->filters * l->kernel_h * l->kernel_w * (is.c / l->groups);
            fk_ref_conv2d(&p, a, wp, l->bias ? wp + nk : NULL, y);
            wp += nk + (l->bias ? (size_t)l->filters : 0);
            break;
        }
        case FP_OP_DENSE: {
            size_t nk = (size_t)l->units * is.c;
            fk_ref_dense(n, is.c, l->units, l->act, a, wp, l->bias ? wp + nk : NULL, y);
            wp += nk + (l->bias ? (size_t)l->units : 0);
            break;
        }
        case FP_OP_ADD: fk_ref_add(oc, l->act, a, act[l->inputs[1]], y); break;
        case FP_OP_ACTIVATION: fk_ref_activation(oc, l->act, a, y); break;
        case FP_OP_GLOBAL_AVG_POOL: fk_ref_global_avg_pool(n, is.h, is.w, is.c, a, y); break;
        case FP_OP_MAX_POOL:
        case FP_OP_AVG_POOL: {
            fk_pool2d p = {l->op == FP_OP_MAX_POOL ? FK_POOL_MAX : FK_POOL_AVG, n, is.h, is.w, is.c,
                           os.h, os.w, l->kernel_h, l->kernel_w, l->stride_h, l->stride_w,
                           l->pad_top, l->pad_left};
            fk_ref_pool2d(&p, a, y);
            break;
        }
        default:
            fprintf(stderr, "%s: layer %s: op %s not in the reference\n", m->path, l->name,
                    fp_op_name(l->op));
            ok = false;
        }
        act[l->output] = y;
    }
    if (ok && wp != w + nw) {
        fprintf(stderr, "%s: %td weights used of %zu\n", m->path, wp - w, nw);
        ok = false;
    }
    double *out = NULL;
    if (ok) {
        fp_shape os = m->tensors[m->outputs[0]].shape;
        *out_count = (size_t)n * os.h * os.w * os.c;
        out = act[m->outputs[0]];
        act[m->outputs[0]] = NULL;
    }
    for (int t = 0; t < m->n_tensors; t++) free(act[t]);
    free(act);
    free(w);
    return out;
}

/* NCHW floats -> NHWC doubles. */
static double *to_nhwc(const float *x, int n, int c, int h, int w) {
    double *y = malloc((size_t)n * c * h * w * sizeof *y);
    for (int b = 0; b < n; b++)
        for (int k = 0; k < c; k++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    y[(((size_t)b * h + i) * w + j) * c + k] = x[(((size_t)b * c + k) * h + i) * w + j];
    return y;
}
/* NHWC doubles -> NCHW doubles (to compare with an NCHW expected output). */
static void to_nchw(double *y, int n, int c, int h, int w) {
    size_t cnt = (size_t)n * c * h * w;
    double *t = malloc(cnt * sizeof *t);
    for (int b = 0; b < n; b++)
        for (int k = 0; k < c; k++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    t[(((size_t)b * c + k) * h + i) * w + j] = y[(((size_t)b * h + i) * w + j) * c + k];
    memcpy(y, t, cnt * sizeof *t);
    free(t);
}

static float *read_floats(const char *path, size_t *count) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *d = malloc((size_t)sz + 4);
    *count = fread(d, 1, (size_t)sz, f) / sizeof(float);
    fclose(f);
    return d;
}

static void report(const char *what, const float *expect, const double *got, size_t count, double tol) {
    fk_err_stats s = fk_ref_compare(expect, got, count);
    /* fk_ref_compare divides by ||got||: the symmetric figure is what matters here */
    bool ok = s.non_finite == 0 && s.rel_l2 <= tol;
    printf("%s %s: %zu values, max abs %.3g, rel L2 %.3g (tol %.1g)\n", ok ? "ok  " : "FAIL", what, count,
           s.max_abs, s.rel_l2, tol);
    if (!ok) failures++;
}

static int cmd_model(int argc, char **argv) {
    if (argc < 6) return 2;
    const char *onnx = argv[2];
    int n = atoi(argv[5]);
    double tol = argc > 6 ? atof(argv[6]) : 1e-5;
    fp_model m;
    char err[1024];
    if (fp_open_model(onnx, &m, err, sizeof err) != FP_OK) {
        fprintf(stderr, "FAIL %s\n", err);
        return 1;
    }
    size_t nx, ny, nout;
    float *x = read_floats(argv[3], &nx), *y = read_floats(argv[4], &ny);
    const fp_shape *s = &m.tensors[m.input].shape;
    if (!x || !y || nx != (size_t)n * s->c * s->h * s->w) {
        fprintf(stderr, "FAIL %s/%s: cannot read, or %zu input values for batch %d\n", argv[3], argv[4], nx,
                n);
        return 1;
    }
    double *xd = to_nhwc(x, n, s->c, s->h, s->w);
    double *out = run_reference(&m, n, xd, &nout);
    if (!out || nout != ny) {
        fprintf(stderr, "FAIL %s: %zu outputs, PyTorch has %zu\n", onnx, nout, ny);
        return 1;
    }
    char what[512];
    snprintf(what, sizeof what, "%s (%d layers, batch %d) vs PyTorch CPU fp32", onnx, m.n_layers, n);
    report(what, y, out, ny, tol);
    free(out);
    free(xd);
    free(x);
    free(y);
    fp_model_free(&m);
    return failures ? 1 : 0;
}

/* ---- ONNX node test cases ---- */

/* Runnable cases, and cases that must be refused with a message fragment. */
static const char *const RUN_CASES[] = {
    "test_basic_conv_with_padding", "test_basic_conv_without_padding", "test_conv_with_autopad_same",
    "test_conv_with_strides_and_asymmetric_padding", "test_conv_with_strides_no_padding",
    "test_conv_with_strides_padding", "test_averagepool_2d_default", "test_averagepool_2d_pads",
    "test_averagepool_2d_precomputed_pads", "test_averagepool_2d_precomputed_same_upper",
    "test_averagepool_2d_precomputed_strides", "test_averagepool_2d_same_lower",
    "test_averagepool_2d_same_upper", "test_averagepool_2d_strides", "test_maxpool_2d_default",
    "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads", "test_maxpool_2d_precomputed_same_upper",
    "test_maxpool_2d_precomputed_strides", "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper",
    "test_maxpool_2d_strides", "test_globalaveragepool", "test_globalaveragepool_precomputed",
    "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_no_bias", "test_gemm_default_scalar_bias",
    "test_gemm_default_single_elem_vector_bias", "test_gemm_default_vector_bias",
    "test_gemm_default_zero_bias", "test_gemm_transposeB", NULL};
static const struct {
    const char *name, *fragment;
} REFUSE_CASES[] = {
    {"test_maxpool_2d_dilations", "dilations"},
    {"test_maxpool_2d_ceil", "ceil_mode"},
    {"test_averagepool_2d_ceil", "ceil_mode"},
    {"test_averagepool_2d_pads_count_include_pad", "count_include_pad"},
    {"test_gemm_transposeA", "transA"},
    {"test_gemm_all_attributes", "transA"},
    {"test_gemm_default_matrix_bias", "bias"},
    {"test_maxpool_1d_default", "dimensions"},
    {"test_maxpool_2d_uint8", "dtype"},
    {NULL, NULL},
};

static void *load_pb(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *d = malloc((size_t)sz + 1);
    *len = fread(d, 1, (size_t)sz, f);
    fclose(f);
    return d;
}

/* model.onnx with graph inputs 1.. turned into initializers from the case's
 * input_K.pb, written to out. Returns false (and says why) on failure. */
static bool freeze_inputs(const char *dir, const char *out) {
    char p[4400];
    size_t len;
    snprintf(p, sizeof p, "%s/model.onnx", dir);
    void *bytes = load_pb(p, &len);
    if (!bytes) return false;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, bytes);
    free(bytes);
    if (!mp || !mp->graph) return false;
    Onnx__GraphProto *g = mp->graph;
    size_t n_init = g->n_initializer, extra = g->n_input > 1 ? g->n_input - 1 : 0;
    Onnx__TensorProto **saved = g->initializer;
    Onnx__TensorProto **inits = calloc(n_init + extra + 1, sizeof *inits);
    Onnx__TensorProto *ts[16] = {0};
    char *own_name[16] = {0};
    bool ok = inits && extra <= 16;
    for (size_t i = 0; ok && i < n_init; i++) inits[i] = saved[i];
    for (size_t k = 0; ok && k < extra; k++) {
        snprintf(p, sizeof p, "%s/test_data_set_0/input_%zu.pb", dir, k + 1);
        void *tb = load_pb(p, &len);
        ts[k] = tb ? onnx__tensor_proto__unpack(NULL, len, tb) : NULL;
        free(tb);
        if (!ts[k]) {
            ok = false;
            break;
        }
        own_name[k] = ts[k]->name;
        ts[k]->name = g->input[k + 1]->name; /* borrowed; restored below */
        inits[n_init + k] = ts[k];
    }
    if (ok) {
        g->initializer = inits;
        g->n_initializer = n_init + extra;
        size_t sz = onnx__model_proto__get_packed_size(mp);
        uint8_t *buf = malloc(sz + 1);
        onnx__model_proto__pack(mp, buf);
        FILE *f = fopen(out, "wb");
        ok = f && fwrite(buf, 1, sz, f) == sz;
        if (f) fclose(f);
        free(buf);
        g->initializer = saved;
        g->n_initializer = n_init;
    }
    for (size_t k = 0; k < extra && k < 16; k++)
        if (ts[k]) {
            ts[k]->name = own_name[k];
            onnx__tensor_proto__free_unpacked(ts[k], NULL);
        }
    free(inits);
    onnx__model_proto__free_unpacked(mp, NULL);
    return ok;
}

static void node_case(const char *root, const char *work, const char *name, const char *refuse) {
    char dir[2048], tmp[4096], p[4200], err[1024];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(tmp, sizeof tmp, "%s/%s.onnx", work, name);
    if (!freeze_inputs(dir, tmp)) {
        printf("FAIL %s: cannot read the case or write %s\n", name, tmp);
        failures++;
        return;
    }
    fp_model m;
    fp_status st = fp_open_model(tmp, &m, err, sizeof err);
    if (refuse) {
        bool ok = st != FP_OK && strstr(err, refuse) && !strchr(err, '\n');
        printf("%s %s: refused: %s\n", ok ? "ok  " : "FAIL", name, st == FP_OK ? "(imported!)" : err);
        if (st == FP_OK) fp_model_free(&m);
        failures += !ok;
        return;
    }
    if (st != FP_OK) {
        printf("FAIL %s: %s\n", name, err);
        failures++;
        return;
    }
    float *x, *y;
    size_t nx, ny, nout;
    int64_t dx[8], dy[8];
    int ndx, ndy;
    snprintf(p, sizeof p, "%s/test_data_set_0/input_0.pb", dir);
    if (fp_onnx_read_tensor(p, &x, &nx, dx, &ndx, err, sizeof err) != FP_OK) {
        printf("FAIL %s: %s\n", name, err);
        failures++;
        fp_model_free(&m);
        return;
    }
    snprintf(p, sizeof p, "%s/test_data_set_0/output_0.pb", dir);
    if (fp_onnx_read_tensor(p, &y, &ny, dy, &ndy, err, sizeof err) != FP_OK) {
        printf("FAIL %s: %s\n", name, err);
        failures++;
        free(x);
        fp_model_free(&m);
        return;
    }
    int n = (int)dx[0];
    const fp_shape *s = &m.tensors[m.input].shape;
    double *xd = to_nhwc(x, n, s->c, s->h, s->w);
    double *out = run_reference(&m, n, xd, &nout);
    if (!out || nout != ny) {
        printf("FAIL %s: %zu outputs, expected %zu\n", name, nout, ny);
        failures++;
    } else {
        fp_shape os = m.tensors[m.outputs[0]].shape;
        if (ndy == 4) to_nchw(out, n, os.c, os.h, os.w);
        report(name, y, out, ny, 1e-5);
    }
    free(out);
    free(xd);
    free(x);
    free(y);
    fp_model_free(&m);
}

/* Relu and Add (3-D tensors, two graph inputs: no model of ours) straight
 * through the reference ops. */
static void direct_case(const char *root, const char *name, bool add) {
    char p[4200], err[1024];
    float *in[2] = {NULL, NULL}, *y = NULL;
    size_t n[2] = {0, 0}, ny = 0;
    int64_t d[8];
    int nd;
    bool ok = true;
    for (int k = 0; k < (add ? 2 : 1) && ok; k++) {
        snprintf(p, sizeof p, "%s/%s/test_data_set_0/input_%d.pb", root, name, k);
        ok = fp_onnx_read_tensor(p, &in[k], &n[k], d, &nd, err, sizeof err) == FP_OK;
    }
    snprintf(p, sizeof p, "%s/%s/test_data_set_0/output_0.pb", root, name);
    if (ok) ok = fp_onnx_read_tensor(p, &y, &ny, d, &nd, err, sizeof err) == FP_OK;
    if (!ok || n[0] != ny || (add && n[1] != ny)) {
        printf("FAIL %s: %s\n", name, ok ? "sizes differ" : err);
        failures++;
    } else {
        double *a = malloc(ny * sizeof *a), *b = malloc(ny * sizeof *b);
        for (size_t i = 0; i < ny; i++) {
            a[i] = in[0][i];
            b[i] = add ? in[1][i] : 0;
        }
        if (add) fk_ref_add(ny, CM_ACT_NONE, a, b, a);
        else fk_ref_activation(ny, CM_ACT_RELU, a, a);
        report(name, y, a, ny, 1e-6);
        free(a);
        free(b);
    }
    free(in[0]);
    free(in[1]);
    free(y);
}

static int cmd_node(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *root = argv[2], *work = argv[3];
    int cases = 0;
    for (int i = 0; RUN_CASES[i]; i++, cases++) node_case(root, work, RUN_CASES[i], NULL);
    for (int i = 0; REFUSE_CASES[i].name; i++, cases++)
        node_case(root, work, REFUSE_CASES[i].name, REFUSE_CASES[i].fragment);
    direct_case(root, "test_relu", false);
    direct_case(root, "test_add", true);
    cases += 2;
    printf("%d ONNX node cases, %d failed\n", cases, failures);
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    int rc = 2;
    if (argc > 1 && strcmp(argv[1], "model") == 0) rc = cmd_model(argc, argv);
    else if (argc > 1 && strcmp(argv[1], "node") == 0) rc = cmd_node(argc, argv);
    if (rc == 2)
        fprintf(stderr, "usage: test_onnx_oracle model MODEL.onnx INPUT.bin OUTPUT.bin N [TOL]\n"
                        "       test_onnx_oracle node NODE_DIR WORK_DIR\n");
    return rc;
}
