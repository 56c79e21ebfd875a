/* fk_bench.c - kernel microbenchmark: every MobileNetV2 (1.0, 224) depthwise
 * and pointwise layer, and its first three inverted-residual blocks as one
 * PWDWPW kernel, at a batch (default 64): our best variant of
 * cm_variants.inc against cuDNN's best strict-FP32 algorithm in NHWC and in
 * NCHW (cudnnFindConvolutionForwardAlgorithmEx; the convolution alone, no bias
 * or activation: a lower bound of cuDNN's layer), with the byte floor.
 *
 * Method: CUDA events around each launch, 3 warm-ups, the median of 51 runs;
 * L2 is flushed (a kernel reading 192 MiB, outside the timed region) before
 * every run so that small layers are not timed from cache. floor = compulsory bytes
 * (input, weights, bias, output once; + residual) / measured copy bandwidth
 * (a device-to-device cudaMemcpy of 1 GiB, bytes read + written; rt_copy_bandwidth).
 * "% floor" = floor / time. Inputs and weights are random (never zeros).
 *
 * The layer shapes are a table here (a benchmark, not the product). Stride-2
 * DW layers use padding 1 on top/left (PyTorch's MobileNetV2), which cuDNN
 * expresses without a padding copy; the cost is that of TF "same".
 *
 * Batch-1 mode (-m, and the default timing at batch 1, -hot): every unit a
 * MobileNetV2 plan can use, block by block (PW expand, DW, PW project with its
 * residual, PWDW, DWPW, PWDWPW; conv_last), each timed hot (no L2 flush: at
 * batch 1 the previous unit has just written the input into L2) as the
 * median over 51 replays of a CUDA graph of 20 back-to-back launches, per
 * launch: kernel time plus the in-graph launch gap, as a plan's CUDA graph
 * runs it. cuDNN single layers likewise (conv only, best of NHWC/NCHW). The
 * block summary sums the best cover of each block (repeated blocks counted
 * as often as the model has them).
 *
 * -probe: the warp-saturation probe behind the cost model's CM_WARPS_SAT
 * (fk_bench_probe.cu), then exit.
 *
 * -dt fp16|bf16: the 16-bit variants (issue 12: DW on CUDA cores, PW and
 * PWDWPW on tensor cores) against cuDNN in the same type with tensor-op math
 * allowed; tensors and weights in that type, biases fp32, the byte floor with
 * 2-byte elements. Default fp32 (strict FFMA against cuDNN strict FP32).
 *
 * Usage: fk_bench [batch] [-v] [-f substring] [-m] [-hot|-cold] [-dt type] [-probe]
 * (-v: every variant's time; -f: only the layers/blocks whose name contains
 * substring). Exit 77 without a CUDA device. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "bench_timer.h"
#include "costmodel.h"
#include "fk_kernels.h"
#include "rt_timing.h"
#ifdef FUSEPLAN_HAVE_CUDNN
#include "rt_dnn.h"
#endif

#define REPS 51

int fk_bench_warp_probe(void); /* fk_bench_probe.cu */

static bool verbose;
static bool hot;           /* no L2 flush; CUDA-graph replays (default at batch 1) */
static bt_timer tm;        /* bench_timer.h: REPS runs per figure */
static cudaStream_t bs;    /* tm.stream: every timed launch goes here (capturable) */
static const char *filter; /* -f: only layers whose name contains this */
static double copy_gbps; /* measured, bytes read + written per second / 1e9 */
static cm_dtype dt = CM_F32; /* -dt: element type of tensors and weights */

static size_t esz(void) { return (size_t)cm_dtype_bytes(dt); }
/* The math of our variants of a kind in type dt: fp32 strict; 16-bit DW on
 * CUDA cores, every GEMM-bearing kind on tensor cores. */
static cm_math math_of(cm_kind k) {
    return dt == CM_F32 || k == CM_KIND_DW ? CM_MATH_SIMT : CM_MATH_TC;
}

typedef bt_run_fn run_fn;

/* Median time in microseconds of f (bench_timer.h: cold, or per launch of a
 * replayed graph when hot), or -1 when f fails. */
static double time_us(run_fn f, void *ctx) { return bt_time_us(&tm, hot, f, ctx); }

/* n random elements of type dt (tensors, weights). */
static void *dev_rand(size_t n, uint64_t seed, float lo, float hi) {
    void *d = NULL;
    char err[256];
    CK(cudaMalloc(&d, (n ? n : 1) * esz()));
    if (fk_fill_uniform_dt(d, dt, n, seed, lo, hi, 0, err, sizeof err) != FK_OK) DIE("%s", err);
    return d;
}
/* n random fp32 values (biases, whatever the type). */
static float *dev_rand_f32(size_t n, uint64_t seed, float lo, float hi) {
    float *d = NULL;
    char err[256];
    CK(cudaMalloc((void **)&d, (n ? n : 1) * sizeof(float)));
    if (fk_fill_uniform(d, n, seed, lo, hi, 0, err, sizeof err) != FK_OK) DIE("%s", err);
    return d;
}

/* ---- our units ------------------------------------------------------------------ */

typedef struct unit_ctx {
    cm_unit u;
    cm_tile t;
    fk_unit_buffers b;
    char err[512];
} unit_ctx;

static bool run_unit(void *p) {
    unit_ctx *c = p;
    return fk_launch_unit(&c->u, &c->t, &c->b, bs, c->err, sizeof c->err) == FK_OK;
}

/* Best variant of the unit's kind: time and name. */
static double best_variant(unit_ctx *c, const char **best_name) {
    size_t nv;
    const cm_variant *vs = cm_variants(&nv);
    double best = -1.0;
    *best_name = "-";
    for (size_t i = 0; i < nv; i++) {
        if (vs[i].id.kind != c->u.kind || vs[i].id.dtype != c->u.dtype || vs[i].id.math != c->u.math)
            continue;
        c->t = vs[i].id.tile;
        double t = time_us(run_unit, c);
        if (verbose) printf("      %-30s %9.2f us%s%s\n", vs[i].name, t, t < 0 ? "  " : "",
                            t < 0 ? c->err : "");
        if (t > 0 && (best < 0 || t < best)) {
            best = t;
            *best_name = vs[i].name;
        }
    }
    return best;
}

/* ---- cuDNN ------------------------------------------------------------------------ */

#ifdef FUSEPLAN_HAVE_CUDNN
typedef struct dnn_ctx {
    rt_dnn_conv *c;
    const void *x, *w;
    void *y;
    char err[512];
} dnn_ctx;

static bool run_dnn(void *p) {
    dnn_ctx *c = p;
    return rt_dnn_conv_only(c->c, c->x, c->w, c->y, bs, c->err, sizeof c->err) == FK_OK;
}

/* Conv-only time in one layout (NCHW copies of x and w made here, untimed). */
static double dnn_time(rt_dnn *h, const fk_conv2d *p, rt_layout L, const void *x,
                       const void *w, void *y, char *algo, size_t algo_len) {
    char err[512];
    rt_dnn_conv *c = NULL;
    if (rt_dnn_conv_create_typed(h, p, dt, dt == CM_F32 ? CM_MATH_SIMT : CM_MATH_TC, L, 0, &c, err,
                                 sizeof err) != FK_OK) {
        snprintf(algo, algo_len, "n/a");
        if (verbose) printf("      cudnn %s: %s\n", rt_layout_name(L), err);
        return -1.0;
    }
    dnn_ctx d = {c, x, w, y, {0}};
    void *tx = NULL, *tw = NULL;
    if (L == RT_LAYOUT_NCHW) {
        const size_t nx = (size_t)p->n * p->in_h * p->in_w * p->in_c;
        const size_t nw = (size_t)p->out_c * p->kh * p->kw * (p->in_c / p->groups);
        CK(cudaMalloc(&tx, nx * esz()));
        CK(cudaMalloc(&tw, nw * esz()));
        if (fk_nhwc_to_nchw_dt(dt, x, tx, p->n, p->in_h, p->in_w, p->in_c, 0, err, sizeof err) ||
            fk_krsc_to_kcrs_dt(dt, w, tw, p->out_c, p->kh, p->kw, p->in_c / p->groups, 0, err,
                               sizeof err))
            DIE("%s", err);
        d.x = tx;
        d.w = tw;
    }
    double t = time_us(run_dnn, &d);
    rt_dnn_conv_info info;
    rt_dnn_conv_get_info(c, &info);
    snprintf(algo, algo_len, "%s", info.algo_name);
    if (t < 0 && verbose) printf("      cudnn %s: %s\n", rt_layout_name(L), d.err);
    cudaFree(tx);
    cudaFree(tw);
    rt_dnn_conv_destroy(c);
    return t;
}
#endif

/* ---- the layers --------------------------------------------------------------------- */

typedef struct layer {
    int h, cin, cout, stride; /* DW: cin == cout, kernel 3; PW: stride 1 */
} layer;

/* MobileNetV2 1.0/224 (Sandler et al. 2018, table 2): unique layer shapes. */
static const layer dw_layers[] = {
    {112, 32, 32, 1}, {112, 96, 96, 2},  {56, 144, 144, 1}, {56, 144, 144, 2},
    {28, 192, 192, 1}, {28, 192, 192, 2}, {14, 384, 384, 1}, {14, 576, 576, 1},
    {14, 576, 576, 2}, {7, 960, 960, 1},
};
static const layer pw_layers[] = {
    {112, 32, 16, 1}, {112, 16, 96, 1},  {56, 96, 24, 1},   {56, 24, 144, 1},  {56, 144, 24, 1},
    {28, 144, 32, 1}, {28, 32, 192, 1},  {28, 192, 32, 1},  {14, 192, 64, 1},  {14, 64, 384, 1},
    {14, 384, 64, 1}, {14, 384, 96, 1},  {14, 96, 576, 1},  {14, 576, 96, 1},  {7, 576, 160, 1},
    {7, 160, 960, 1}, {7, 960, 160, 1},  {7, 960, 320, 1},  {7, 320, 1280, 1},
};

typedef struct block {
    const char *name;
    int h, c, e, f, stride;
    bool res;
} block;
static const block blocks[] = {
    {"b2 112 16-96-24 s2", 112, 16, 96, 24, 2, false},
    {"b3 56 24-144-24 s1+res", 56, 24, 144, 24, 1, true},
    {"b4 56 24-144-32 s2", 56, 24, 144, 32, 2, false},
};

static cm_conv conv_pw(int h, int cin, int cout, cm_act a) {
    cm_conv l = {h, h, cin, h, h, cout, 1, 1, 0, 0, a};
    return l;
}
static cm_conv conv_dw(int h, int c, int s, cm_act a) {
    int oh = (h + 2 - 3) / s + 1;
    cm_conv l = {h, h, c, oh, oh, c, 3, s, 1, 1, a};
    return l;
}

static void print_row(const char *name, double floor_us, double ours, const char *best,
                      double nhwc, const char *a1, double nchw, const char *a2, double flop) {
    double dnn = nhwc > 0 && (nchw < 0 || nhwc < nchw) ? nhwc : nchw;
    printf("%-26s %8.1f %8.1f %5.0f%% %7.2f %8.1f %8.1f %6.2fx %-6s %-28s %s/%s\n", name, floor_us,
           ours, ours > 0 ? 100.0 * floor_us / ours : 0.0,
           ours > 0 ? flop / ours * 1e-6 : 0.0, nhwc, nchw, dnn > 0 && ours > 0 ? dnn / ours : 0.0,
           nhwc > 0 && (nchw < 0 || nhwc <= nchw) ? "nhwc" : "nchw", best, a1, a2);
}

static void header(const char *what) {
    printf("\n%-26s %8s %8s %6s %7s %8s %8s %7s %-6s %-28s %s\n", what, "floor", "ours",
           "%floor", "TFLOP/s", "dnn nhwc", "dnn nchw", "speedup", "dnnbst", "our variant",
           "cudnn algos");
}

#ifdef FUSEPLAN_HAVE_CUDNN
static rt_dnn *dnn;
#endif

static void bench_layer(const char *name, int batch, const cm_unit *u, double *ours_out) {
    const cm_conv *l = &u->layers[0];
    const size_t nx = (size_t)batch * l->in_h * l->in_w * l->in_c;
    const size_t ny = (size_t)batch * l->out_h * l->out_w * l->out_c;
    const size_t nw = l->kernel > 1 ? (size_t)l->in_c * 9 : (size_t)l->in_c * l->out_c;
    void *x = dev_rand(nx, 11, -1.f, 1.f), *w = dev_rand(nw, 12, -0.2f, 0.2f), *y = NULL;
    float *b = dev_rand_f32((size_t)l->out_c, 13, -0.5f, 0.5f);
    CK(cudaMalloc(&y, ny * esz()));
    unit_ctx c;
    memset(&c, 0, sizeof c);
    c.u = *u;
    c.b.x = x;
    c.b.w[0] = w;
    c.b.b[0] = b;
    c.b.y = y;
    const char *best;
    const double ours = best_variant(&c, &best);
    double nhwc = -1, nchw = -1;
    char a1[32] = "-", a2[32] = "-";
#ifdef FUSEPLAN_HAVE_CUDNN
    fk_conv2d p = {batch,       l->in_h,     l->in_w, l->in_c,     l->out_h,
                   l->out_w,    l->out_c,    l->kernel, l->kernel, l->stride,
                   l->stride,   l->pad_top,  l->pad_left, l->kernel > 1 ? l->in_c : 1,
                   CM_ACT_NONE};
    nhwc = dnn_time(dnn, &p, RT_LAYOUT_NHWC, x, w, y, a1, sizeof a1);
    nchw = dnn_time(dnn, &p, RT_LAYOUT_NCHW, x, w, y, a2, sizeof a2);
#endif
    const double bytes = (double)esz() * (double)(nx + ny + nw) + 4.0 * (double)l->out_c;
    const double floor_us = bytes / (copy_gbps * 1e3);
    const double flop = 2.0 * (double)ny * (l->kernel > 1 ? 9.0 : (double)l->in_c);
    print_row(name, floor_us, ours, best, nhwc, a1, nchw, a2, flop);
    if (ours_out) *ours_out = ours;
    cudaFree(x);
    cudaFree(w);
    cudaFree(b);
    cudaFree(y);
}

static void bench_block(const block *bk, int batch) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PWDWPW;
    u.batch = batch;
    u.dtype = dt;
    u.math = math_of(CM_KIND_PWDWPW);
    u.residual = bk->res;
    u.layers[0] = conv_pw(bk->h, bk->c, bk->e, CM_ACT_RELU6);
    u.layers[1] = conv_dw(bk->h, bk->e, bk->stride, CM_ACT_RELU6);
    const int oh = u.layers[1].out_h;
    u.layers[2] = conv_pw(oh, bk->e, bk->f, CM_ACT_NONE);
    const size_t nx = (size_t)batch * bk->h * bk->h * bk->c;
    const size_t ne = (size_t)batch * bk->h * bk->h * bk->e;
    const size_t nd = (size_t)batch * oh * oh * bk->e;
    const size_t ny = (size_t)batch * oh * oh * bk->f;
    void *x = dev_rand(nx, 21, -1.f, 1.f);
    void *w0 = dev_rand((size_t)bk->e * bk->c, 22, -0.25f, 0.25f);
    void *w1 = dev_rand((size_t)bk->e * 9, 23, -0.3f, 0.3f);
    void *w2 = dev_rand((size_t)bk->f * bk->e, 24, -0.1f, 0.1f);
    float *b0 = dev_rand_f32(bk->e, 25, -0.5f, 0.5f), *b1 = dev_rand_f32(bk->e, 26, -0.5f, 0.5f);
    float *b2 = dev_rand_f32(bk->f, 27, -0.5f, 0.5f);
    void *r = bk->res ? dev_rand(ny, 28, -1.f, 1.f) : NULL;
    void *ye = NULL, *yd = NULL, *y = NULL;
    CK(cudaMalloc(&ye, ne * esz()));
    CK(cudaMalloc(&yd, nd * esz()));
    CK(cudaMalloc(&y, ny * esz()));
    unit_ctx c;
    memset(&c, 0, sizeof c);
    c.u = u;
    c.b.x = x;
    c.b.w[0] = w0;
    c.b.w[1] = w1;
    c.b.w[2] = w2;
    c.b.b[0] = b0;
    c.b.b[1] = b1;
    c.b.b[2] = b2;
    c.b.residual = r;
    c.b.y = y;
    const char *best;
    const double fused = best_variant(&c, &best);

    /* our layer-by-layer: best PW, DW, PW(+residual) */
    double lbl = 0.0;
    unit_ctx l;
    cm_unit ul;
    memset(&ul, 0, sizeof ul);
    ul.batch = batch;
    ul.dtype = dt;
    const char *n1, *n2, *n3;
    memset(&l, 0, sizeof l);
    ul.kind = CM_KIND_PW;
    ul.math = math_of(CM_KIND_PW);
    ul.layers[0] = u.layers[0];
    l.u = ul;
    l.b.x = x, l.b.w[0] = w0, l.b.b[0] = b0, l.b.y = ye;
    lbl += best_variant(&l, &n1);
    memset(&l, 0, sizeof l);
    ul.kind = CM_KIND_DW;
    ul.math = math_of(CM_KIND_DW);
    ul.layers[0] = u.layers[1];
    l.u = ul;
    l.b.x = ye, l.b.w[0] = w1, l.b.b[0] = b1, l.b.y = yd;
    lbl += best_variant(&l, &n2);
    memset(&l, 0, sizeof l);
    ul.kind = CM_KIND_PW;
    ul.math = math_of(CM_KIND_PW);
    ul.layers[0] = u.layers[2];
    ul.residual = bk->res;
    l.u = ul;
    l.b.x = yd, l.b.w[0] = w2, l.b.b[0] = b2, l.b.residual = r, l.b.y = y;
    lbl += best_variant(&l, &n3);

    double dnn_sum = -1.0;
#ifdef FUSEPLAN_HAVE_CUDNN
    char a[32];
    dnn_sum = 0.0;
    for (int i = 0; i < 3; i++) {
        const cm_conv *cl = &u.layers[i];
        fk_conv2d p = {batch,    cl->in_h,  cl->in_w,     cl->in_c,  cl->out_h,
                       cl->out_w, cl->out_c, cl->kernel,   cl->kernel, cl->stride,
                       cl->stride, cl->pad_top, cl->pad_left, cl->kernel > 1 ? cl->in_c : 1,
                       CM_ACT_NONE};
        const void *xi = i == 0 ? x : (i == 1 ? ye : yd);
        const void *wi = i == 0 ? w0 : (i == 1 ? w1 : w2);
        void *yi = i == 0 ? ye : (i == 1 ? yd : y);
        double t1 = dnn_time(dnn, &p, RT_LAYOUT_NHWC, xi, wi, yi, a, sizeof a);
        double t2 = dnn_time(dnn, &p, RT_LAYOUT_NCHW, xi, wi, yi, a, sizeof a);
        double t = t1 > 0 && (t2 < 0 || t1 < t2) ? t1 : t2;
        dnn_sum = (dnn_sum < 0 || t < 0) ? -1.0 : dnn_sum + t;
    }
#endif
    const size_t nw = (size_t)bk->e * bk->c + (size_t)bk->e * 9 + (size_t)bk->f * bk->e;
    const double bytes = (double)esz() * (double)(nx + ny + (r ? ny : 0) + nw) +
                         4.0 * (double)(2 * bk->e + bk->f);
    const double floor_us = bytes / (copy_gbps * 1e3);
    const double flop = 2.0 * batch *
                        ((double)bk->h * bk->h * bk->c * bk->e + (double)oh * oh * bk->e * 9.0 +
                         (double)oh * oh * bk->e * bk->f);
    printf("%-26s %8.1f %8.1f %5.0f%% %7.2f %8.1f %8.1f %7.2fx %7.2fx  %-28s (lbl: %s + %s + %s)\n",
           bk->name, floor_us, fused, fused > 0 ? 100.0 * floor_us / fused : 0.0,
           fused > 0 ? flop / fused * 1e-6 : 0.0, lbl, dnn_sum,
           fused > 0 ? lbl / fused : 0.0, fused > 0 && dnn_sum > 0 ? dnn_sum / fused : 0.0, best,
           n1, n2, n3);
    cudaFree(x);
    cudaFree(w0);
    cudaFree(w1);
    cudaFree(w2);
    cudaFree(b0);
    cudaFree(b1);
    cudaFree(b2);
    cudaFree(r);
    cudaFree(ye);
    cudaFree(yd);
    cudaFree(y);
}

/* ---- batch-1 mode: every unit of a MobileNetV2 plan, block by block ---------- */

typedef struct mblock {
    const char *name;
    int mult;           /* how many blocks of the model have this shape */
    int h, c, e, f, s;  /* e == 0: no expansion (block 0: DW + PW) */
    bool res;
} mblock;
/* MobileNetV2 1.0/224 (Sandler et al. 2018, table 2) after the stem. */
static const mblock mblocks[] = {
    {"b0", 1, 112, 32, 0, 16, 1, false},      {"b1", 1, 112, 16, 96, 24, 2, false},
    {"b2", 1, 56, 24, 144, 24, 1, true},      {"b3", 1, 56, 24, 144, 32, 2, false},
    {"b4-5", 2, 28, 32, 192, 32, 1, true},    {"b6", 1, 28, 32, 192, 64, 2, false},
    {"b7-9", 3, 14, 64, 384, 64, 1, true},    {"b10", 1, 14, 64, 384, 96, 1, false},
    {"b11-12", 2, 14, 96, 576, 96, 1, true},  {"b13", 1, 14, 96, 576, 160, 2, false},
    {"b14-15", 2, 7, 160, 960, 160, 1, true}, {"b16", 1, 7, 160, 960, 320, 1, false},
};

static size_t layer_weights(const cm_conv *l) {
    return l->kernel > 1 ? (size_t)l->in_c * l->kernel * l->kernel : (size_t)l->in_c * l->out_c;
}

/* Best variant of u (random data; residual from its own buffer, or the unit's
 * input when residual_is_input, as a plan runs a fused block); -1 if none. */
static double bench_unit(const char *label, const cm_unit *u, const char **best) {
    const int nl = cm_kind_layers(u->kind);
    const cm_conv *a = &u->layers[0], *z = &u->layers[nl - 1];
    const size_t nx = (size_t)u->batch * a->in_h * a->in_w * a->in_c;
    const size_t ny = (size_t)u->batch * z->out_h * z->out_w * z->out_c;
    unit_ctx c;
    memset(&c, 0, sizeof c);
    c.u = *u;
    void *x = dev_rand(nx, 31, -1.f, 1.f), *y = NULL, *r = NULL;
    CK(cudaMalloc(&y, ny * esz()));
    c.b.x = x;
    c.b.y = y;
    for (int i = 0; i < nl; i++) {
        const cm_conv *l = &u->layers[i];
        const float sc = 1.7f / (l->kernel > 1 ? 3.0f : (float)l->in_c);
        c.b.w[i] = dev_rand(layer_weights(l), 32 + i, -sc, sc);
        c.b.b[i] = dev_rand_f32((size_t)l->out_c, 35 + i, -0.5f, 0.5f);
    }
    if (u->residual) {
        r = u->residual_is_input ? NULL : dev_rand(ny, 38, -1.f, 1.f);
        c.b.residual = r ? r : x;
    }
    c.u.residual_is_input = false; /* a hint of the model, not of the kernel */
    if (verbose) printf("    %s\n", label);
    const double t = best_variant(&c, best);
    cudaFree(x);
    cudaFree(y);
    cudaFree(r);
    for (int i = 0; i < nl; i++) {
        cudaFree((void *)c.b.w[i]);
        cudaFree((void *)c.b.b[i]);
    }
    return t;
}

/* cuDNN conv-only time of one layer, best of NHWC and NCHW (-1 without cuDNN). */
static double dnn_layer(const cm_conv *l) {
#ifdef FUSEPLAN_HAVE_CUDNN
    fk_conv2d p = {1,         l->in_h,   l->in_w,     l->in_c,   l->out_h,
                   l->out_w,  l->out_c,  l->kernel,   l->kernel, l->stride,
                   l->stride, l->pad_top, l->pad_left, l->kernel > 1 ? l->in_c : 1,
                   CM_ACT_NONE};
    const size_t nx = (size_t)l->in_h * l->in_w * l->in_c, ny = (size_t)l->out_h * l->out_w * l->out_c;
    void *x = dev_rand(nx, 41, -1.f, 1.f), *w = dev_rand(layer_weights(l), 42, -0.2f, 0.2f), *y = NULL;
    CK(cudaMalloc(&y, ny * esz()));
    char a1[32], a2[32];
    const double t1 = dnn_time(dnn, &p, RT_LAYOUT_NHWC, x, w, y, a1, sizeof a1);
    const double t2 = dnn_time(dnn, &p, RT_LAYOUT_NCHW, x, w, y, a2, sizeof a2);
    cudaFree(x);
    cudaFree(w);
    cudaFree(y);
    return t1 > 0 && (t2 < 0 || t1 < t2) ? t1 : t2;
#else
    (void)l;
    return -1.0;
#endif
}

static cm_unit unit_of(cm_kind kind, int batch, const cm_conv *l0, const cm_conv *l1, const cm_conv *l2,
                       bool res) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = kind;
    u.batch = batch;
    u.dtype = dt;
    u.math = math_of(kind);
    u.layers[0] = *l0;
    if (l1) u.layers[1] = *l1;
    if (l2) u.layers[2] = *l2;
    u.residual = res;
    return u;
}

static double unit_line(const char *blk, const char *what, const cm_unit *u, double dnn) {
    char label[96];
    const char *best;
    snprintf(label, sizeof label, "%s %s", blk, what);
    const double t = bench_unit(label, u, &best);
    printf("  %-34s %8.2f  %-30s", label, t, best);
    if (dnn > 0) printf(" cudnn %8.2f (%.2fx)", dnn, t > 0 ? dnn / t : 0.0);
    printf("\n");
    return t;
}

static double pos_sum(double a, double b) { return a > 0 && b > 0 ? a + b : -1.0; }
static double pos_min(double a, double b) { return a > 0 && (b <= 0 || a < b) ? a : b; }

static void bench_mobilenet_units(int batch) {
    double tot_best = 0, tot_lbl = 0, tot_dnn = 0;
    printf("\nMobileNetV2 units at batch %d: best variant per unit (us per launch)\n", batch);
    for (size_t i = 0; i < sizeof mblocks / sizeof mblocks[0]; i++) {
        const mblock *B = &mblocks[i];
        if (filter && !strstr(B->name, filter)) continue;
        const int ch = B->e ? B->e : B->c;
        const cm_conv pw1 = conv_pw(B->h, B->c, ch, CM_ACT_RELU6);
        const cm_conv dw = conv_dw(B->h, ch, B->s, CM_ACT_RELU6);
        const cm_conv pw2 = conv_pw(dw.out_h, ch, B->f, CM_ACT_NONE);
        cm_unit u;
        double t_pw1 = -1, d_pw1 = -1;
        if (B->e) {
            d_pw1 = dnn_layer(&pw1);
            u = unit_of(CM_KIND_PW, batch, &pw1, NULL, NULL, false);
            t_pw1 = unit_line(B->name, "pw expand", &u, d_pw1);
        }
        const double d_dw = dnn_layer(&dw), d_pw2 = dnn_layer(&pw2);
        u = unit_of(CM_KIND_DW, batch, &dw, NULL, NULL, false);
        const double t_dw = unit_line(B->name, "dw", &u, d_dw);
        u = unit_of(CM_KIND_PW, batch, &pw2, NULL, NULL, B->res);
        const double t_pw2 = unit_line(B->name, B->res ? "pw project +res" : "pw project", &u, d_pw2);
        u = unit_of(CM_KIND_DWPW, batch, &dw, &pw2, NULL, B->res);
        const double t_dwpw = unit_line(B->name, "dwpw", &u, -1);
        double t_pwdw = -1, t_pwdwpw = -1;
        if (B->e) {
            u = unit_of(CM_KIND_PWDW, batch, &pw1, &dw, NULL, false);
            t_pwdw = unit_line(B->name, "pwdw", &u, -1);
            u = unit_of(CM_KIND_PWDWPW, batch, &pw1, &dw, &pw2, B->res);
            u.residual_is_input = B->res;
            t_pwdwpw = unit_line(B->name, "pwdwpw", &u, -1);
        }
        const double lbl = B->e ? pos_sum(pos_sum(t_pw1, t_dw), t_pw2) : pos_sum(t_dw, t_pw2);
        double best = lbl;
        best = pos_min(best, B->e ? pos_sum(t_pw1, t_dwpw) : t_dwpw);
        best = pos_min(best, pos_sum(t_pwdw, t_pw2));
        best = pos_min(best, t_pwdwpw);
        const double dnn = B->e ? pos_sum(pos_sum(d_pw1, d_dw), d_pw2) : pos_sum(d_dw, d_pw2);
        printf("  %s x%d: ours lbl %.2f, pw+dwpw %.2f, pwdw+pw %.2f, pwdwpw %.2f -> best %.2f; "
               "cudnn lbl %.2f (%.2fx)\n",
               B->name, B->mult, lbl, B->e ? pos_sum(t_pw1, t_dwpw) : t_dwpw, pos_sum(t_pwdw, t_pw2),
               t_pwdwpw, best, dnn, best > 0 && dnn > 0 ? dnn / best : 0.0);
        tot_best += B->mult * best;
        tot_lbl += B->mult * lbl;
        tot_dnn += B->mult * dnn;
    }
    if (!filter || strstr("conv_last", filter)) {
        const cm_conv last = conv_pw(7, 320, 1280, CM_ACT_RELU6);
        const double d = dnn_layer(&last);
        cm_unit u = unit_of(CM_KIND_PW, batch, &last, NULL, NULL, false);
        const double t = unit_line("conv_last", "pw", &u, d);
        tot_best += t;
        tot_lbl += t;
        tot_dnn += d;
    }
    printf("MobileNetV2 DW/PW part, batch %d (blocks x multiplicity + conv_last): best cover %.1f us, "
           "ours layer by layer %.1f us, cuDNN layer by layer %.1f us (%.2fx)\n",
           batch, tot_best, tot_lbl, tot_dnn, tot_best > 0 ? tot_dnn / tot_best : 0.0);
}

/* The copy bandwidth of the floors: the runtime's one measurement (a 1 GiB
 * device-to-device memcpy, bytes read + written, median of 10). */
static void measure_copy(void) {
    char err[256];
    if (rt_copy_bandwidth((size_t)1 << 30, 10, 0, &copy_gbps, err, sizeof err) != FK_OK) DIE("%s", err);
}

int main(int argc, char **argv) {
    int batch = 64, hot_flag = -1;
    bool units_mode = false, probe = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = true;
        else if (!strcmp(argv[i], "-f") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "-m"))
            units_mode = true;
        else if (!strcmp(argv[i], "-hot"))
            hot_flag = 1;
        else if (!strcmp(argv[i], "-cold"))
            hot_flag = 0;
        else if (!strcmp(argv[i], "-probe"))
            probe = true;
        else if (!strcmp(argv[i], "-dt") && i + 1 < argc) {
            if (!cm_dtype_parse(argv[++i], &dt) || dt == CM_I8) DIE("-dt: fp32, fp16 or bf16");
        }
        else
            batch = atoi(argv[i]);
    }
    if (batch < 1)
        DIE("usage: fk_bench [batch] [-v] [-f substring] [-m] [-hot|-cold] [-dt type] [-probe]");
    hot = hot_flag >= 0 ? hot_flag == 1 : batch == 1;
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
        printf("fk_bench: no CUDA device, skipped\n");
        return 77;
    }
    if (probe) return fk_bench_warp_probe();
    struct cudaDeviceProp pr;
    CK(cudaGetDeviceProperties(&pr, 0));
    bt_init(&tm, REPS);
    bs = tm.stream;
    measure_copy();
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    printf("fk_bench: %s (%d SMs, L2 %d MiB), %s, batch %d, %s\n", pr.name,
           pr.multiProcessorCount, pr.l2CacheSize >> 20, date, batch,
           dt == CM_F32 ? "fp32 (FFMA, no TF32)"
                        : (dt == CM_F16 ? "fp16 (DW FFMA, PW/PWDWPW mma f16, fp32 accumulation)"
                                        : "bf16 (DW FFMA, PW/PWDWPW mma bf16, fp32 accumulation)"));
    if (hot)
        printf("copy bandwidth (D2D memcpy 1 GiB, read+write): %.0f GB/s; times in us per launch, "
               "L2 hot, median of %d replays of a CUDA graph of %d launches\n",
               copy_gbps, REPS, BT_GRAPH_N);
    else
        printf("copy bandwidth (D2D memcpy 1 GiB, read+write): %.0f GB/s; times in us, median of %d,"
               " L2 flushed before each run\n",
               copy_gbps, REPS);
#ifdef FUSEPLAN_HAVE_CUDNN
    char err[512];
    if (rt_dnn_create(&dnn, err, sizeof err) != FK_OK) DIE("%s", err);
    printf("cuDNN %zu, %s, conv only\n", rt_dnn_version(),
           dt == CM_F32 ? "strict FP32 (CUDNN_FMA_MATH)" : "same type, tensor-op math allowed");
#else
    printf("built without cuDNN: no baseline\n");
#endif
    char name[64];
    if (units_mode) {
        bench_mobilenet_units(batch);
        goto done;
    }
    header("DW 3x3 (H C s)");
    for (size_t i = 0; i < sizeof dw_layers / sizeof dw_layers[0]; i++) {
        const layer *L = &dw_layers[i];
        cm_unit u;
        memset(&u, 0, sizeof u);
        u.kind = CM_KIND_DW;
        u.batch = batch;
        u.dtype = dt;
        u.math = math_of(CM_KIND_DW);
        u.layers[0] = conv_dw(L->h, L->cin, L->stride, CM_ACT_RELU6);
        snprintf(name, sizeof name, "dw %d %d s%d", L->h, L->cin, L->stride);
        if (filter && !strstr(name, filter)) continue;
        bench_layer(name, batch, &u, NULL);
    }
    header("PW (H Cin Cout)");
    for (size_t i = 0; i < sizeof pw_layers / sizeof pw_layers[0]; i++) {
        const layer *L = &pw_layers[i];
        cm_unit u;
        memset(&u, 0, sizeof u);
        u.kind = CM_KIND_PW;
        u.batch = batch;
        u.dtype = dt;
        u.math = math_of(CM_KIND_PW);
        u.layers[0] = conv_pw(L->h, L->cin, L->cout, CM_ACT_RELU6);
        snprintf(name, sizeof name, "pw %d %d-%d", L->h, L->cin, L->cout);
        if (filter && !strstr(name, filter)) continue;
        bench_layer(name, batch, &u, NULL);
    }
    printf("\n%-26s %8s %8s %6s %7s %8s %8s %8s %8s  %s\n", "PWDWPW block", "floor", "fused",
           "%floor", "TFLOP/s", "our lbl", "dnn lbl", "vs lbl", "vs dnn", "fused variant");
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (!filter || strstr(blocks[i].name, filter)) bench_block(&blocks[i], batch);
done:
#ifdef FUSEPLAN_HAVE_CUDNN
    rt_dnn_destroy(dnn);
#endif
    bt_free(&tm);
    return 0;
}
