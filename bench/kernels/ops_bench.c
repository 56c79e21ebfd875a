/* ops_bench.c - microbenchmark of issue 12's ops outside the fused units:
 * the stem convolutions of the shipped models on our tiled direct convolution
 * (fk_conv2d_tiled) against cuDNN, and the global average pool and dense
 * kernels, in fp32, fp16 and bf16 at batch 1 and 64, in one run (one device
 * call gives every number).
 *
 * Per conv layer (y = act(conv(x, w) + b), the whole layer in every column):
 *   ours      fk_conv2d_tiled as planned for this device: the tensor-core
 *             path where it applies (fp16 / bf16, C_in * kh * kw <= 64), else
 *             the CUDA-core kernel; what `run` measures against cuDNN
 *             ("auto tc" or "auto simt" in the tilings column says which:
 *             fk_conv2d_tiled_name, the runtime's name for it);
 *   simt      the CUDA-core kernel (FK_CONV_PATH_SIMT), planned;
 *   tc        the tensor-core kernel (FK_CONV_PATH_TC), planned ("-" where it
 *             does not apply);
 *   t64 t128 t256  the CUDA-core kernel with the CTA size forced, tc256
 *             tc128 tc64 the tensor-core kernel with its tile forced (16x16,
 *             8x16, 8x8) (-v only);
 *   naive     fk_conv2d_direct, the old fallback (one thread per output);
 *   exact     cuDNN NHWC with the model's exact padding (a zero-padded copy
 *             first when it is asymmetric): what `run` ran before issue 12
 *             and what rt_cudnn_choose_conv compares ours with;
 *   nhwc nchw cuDNN on the symmetric-padding twin (same size and work, what a
 *             framework with symmetric padding runs; NCHW input and weights
 *             transposed outside the timing): the baseline's figures;
 *   vs cuDNN  the faster of nhwc/nchw over ours.
 * cuDNN: the best algorithm by cudnnFindConvolutionForwardAlgorithmEx, strict
 * FP32 (CUDNN_FMA_MATH) for fp32, tensor-op math for fp16/bf16 (rt_dnn.h).
 * Floors: bytes (x, w, y once) / measured copy bandwidth; FMAs / (SMs x 128 x
 * the peak clock), the CUDA-core FP32 FMA peak the simt kernel runs on (the
 * tensor cores' is ~30x lower: 1.7 us for the stem at batch 64); %flB the
 * byte floor over ours.
 *
 * GAP (64 x 7 x 7 x 1280 and batch 1) and dense (1280 -> 1000): the 16-byte
 * GAP, and both dense kernels (rows: a warp per output; tiled), with their
 * byte floors.
 *
 * Timing: CUDA events, 3 warm-ups, median of 31; batch 64 cold (L2 flushed by
 * reading 192 MiB before every run, outside the events), batch 1 hot (median
 * over replays of a CUDA graph of 20 back-to-back launches, per launch), as
 * fk_bench.
 *
 * Usage: ops_bench [-dt fp32|fp16|bf16] [-b batch] [-v]   (default: every
 * type at batch 1 and 64). Exit 77 without a CUDA device. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "bench_timer.h"
#include "fk_kernels.h"
#ifdef FUSEPLAN_HAVE_CUDNN
#include "rt_dnn.h"
#include "rt_timing.h"
#endif

#define REPS 31

static bool verbose, hot;
static bt_timer tm;     /* bench_timer.h: REPS runs per figure */
static cudaStream_t bs; /* tm.stream */
static double copy_gbps, fma_per_s;
static cm_dtype dt;
#ifdef FUSEPLAN_HAVE_CUDNN
static rt_dnn *dnn;
#endif

typedef bt_run_fn run_fn;

static size_t esz(void) { return (size_t)cm_dtype_bytes(dt); }

/* Median microseconds of f per launch (bench_timer.h), -1 when f fails. */
static double time_us(run_fn f, void *ctx) { return bt_time_us(&tm, hot, f, ctx); }

static void *dev_rand(size_t n, cm_dtype t, uint64_t seed, float lo, float hi) {
    void *d = NULL;
    char err[256];
    CK(cudaMalloc(&d, (n ? n : 1) * (size_t)cm_dtype_bytes(t)));
    if (fk_fill_uniform_dt(d, t, n, seed, lo, hi, 0, err, sizeof err) != FK_OK) DIE("%s", err);
    return d;
}

static void fmt_us(char *buf, size_t n, double us) {
    if (us < 0) snprintf(buf, n, "-");
    else snprintf(buf, n, "%.1f", us);
}

/* ---- convolutions ---------------------------------------------------------------- */

typedef struct conv_ctx {
    fk_conv2d p;
    fk_conv_path path; /* ours: AUTO */
    int threads;       /* simt: 0 planned */
    int tile_px;       /* tc: 0 planned */
    const void *x, *w, *b_elem;
    const float *b;
    void *y;
#ifdef FUSEPLAN_HAVE_CUDNN
    rt_dnn_conv *c;
#endif
    char err[512];
} conv_ctx;

static bool run_ours(void *v) {
    conv_ctx *c = v;
    if (c->path == FK_CONV_PATH_TC && c->tile_px)
        return fk_conv2d_tc_with(&c->p, dt, c->tile_px, c->x, c->w, c->b, c->y, bs, c->err,
                                 sizeof c->err) == FK_OK;
    return fk_conv2d_tiled_path(c->path, &c->p, dt, c->threads, c->x, c->w, c->b, c->y, bs, c->err,
                                sizeof c->err) == FK_OK;
}
static bool run_naive(void *v) {
    conv_ctx *c = v;
    return fk_conv2d_direct(&c->p, dt, c->x, c->w, c->b, c->y, bs, c->err, sizeof c->err) == FK_OK;
}
#ifdef FUSEPLAN_HAVE_CUDNN
static bool run_dnn(void *v) {
    conv_ctx *c = v;
    return rt_dnn_conv_forward_ex(c->c, c->x, c->w, c->b, c->b_elem, c->y, bs, c->err,
                                  sizeof c->err) == FK_OK;
}

/* The whole layer on cuDNN in layout L for convolution q (NCHW: x and w
 * transposed here, untimed). */
static double dnn_us(const fk_conv2d *q, rt_layout L, conv_ctx *base) {
    conv_ctx c = *base;
    c.p = *q;
    char err[512];
    if (rt_dnn_conv_create_typed(dnn, q, dt, dt == CM_F32 ? CM_MATH_SIMT : CM_MATH_TC, L, 0, &c.c,
                                 err, sizeof err) != FK_OK) {
        if (verbose) printf("    cudnn %s: %s\n", rt_layout_name(L), err);
        return -1.0;
    }
    void *tx = NULL, *tw = NULL, *ty = NULL;
    if (L == RT_LAYOUT_NCHW) {
        const size_t nx = (size_t)q->n * q->in_h * q->in_w * q->in_c;
        const size_t nw = (size_t)q->out_c * q->kh * q->kw * q->in_c;
        const size_t ny = (size_t)q->n * q->out_h * q->out_w * q->out_c;
        CK(cudaMalloc(&tx, nx * esz()));
        CK(cudaMalloc(&tw, nw * esz()));
        CK(cudaMalloc(&ty, ny * esz()));
        if (fk_nhwc_to_nchw_dt(dt, base->x, tx, q->n, q->in_h, q->in_w, q->in_c, 0, err, sizeof err) ||
            fk_krsc_to_kcrs_dt(dt, base->w, tw, q->out_c, q->kh, q->kw, q->in_c, 0, err, sizeof err))
            DIE("%s", err);
        c.x = tx;
        c.w = tw;
        c.y = ty;
    }
    const double t = time_us(run_dnn, &c);
    if (t < 0 && verbose) printf("    cudnn %s: %s\n", rt_layout_name(L), c.err);
    cudaFree(tx);
    cudaFree(tw);
    cudaFree(ty);
    rt_dnn_conv_destroy(c.c);
    return t;
}
#endif

/* The same convolution with symmetric padding max(top, bottom), max(left,
 * right) (rt_cudnn.c's twin). */
static fk_conv2d symmetric_twin(const fk_conv2d *p) {
    fk_conv2d q = *p;
    const int pb = (p->out_h - 1) * p->sh + p->kh - p->in_h - p->pad_top;
    const int pr = (p->out_w - 1) * p->sw + p->kw - p->in_w - p->pad_left;
    if (pb > q.pad_top) q.pad_top = pb;
    if (pr > q.pad_left) q.pad_left = pr;
    return q;
}

typedef struct conv_layer {
    const char *name;
    int h, w, c, f, k, s;
    const char *pad; /* "same" (TF), "valid", or "1" */
    cm_act act;
} conv_layer;

/* The shipped models' standard convs that the tiled convolution runs
 * (models/ JSON files; Xception's b2_res, 1x1 stride 2 from 64 channels, too). */
static const conv_layer layers[] = {
    {"mobilenet_v2/v1 conv1", 224, 224, 3, 32, 3, 2, "same", CM_ACT_RELU6},
    {"mnasnet_b1 conv1", 224, 224, 3, 32, 3, 2, "1", CM_ACT_RELU},
    {"proxylessnas conv1", 224, 224, 3, 40, 3, 2, "1", CM_ACT_RELU6},
    {"xception b1_conv1", 299, 299, 3, 32, 3, 2, "valid", CM_ACT_RELU},
    {"xception b1_conv2", 149, 149, 32, 64, 3, 1, "valid", CM_ACT_RELU},
    {"xception b2_res", 147, 147, 64, 128, 1, 2, "same", CM_ACT_NONE},
};

static fk_conv2d conv_of(const conv_layer *L, int batch) {
    fk_conv2d p;
    memset(&p, 0, sizeof p);
    p.n = batch;
    p.in_h = L->h;
    p.in_w = L->w;
    p.in_c = L->c;
    p.out_c = L->f;
    p.kh = p.kw = L->k;
    p.sh = p.sw = L->s;
    p.groups = 1;
    p.act = L->act;
    if (!strcmp(L->pad, "valid")) {
        p.out_h = (L->h - L->k) / L->s + 1;
        p.out_w = (L->w - L->k) / L->s + 1;
    } else if (!strcmp(L->pad, "same")) { /* TF: total padding split, the extra at the end */
        p.out_h = (L->h + L->s - 1) / L->s;
        p.out_w = (L->w + L->s - 1) / L->s;
        int th = (p.out_h - 1) * L->s + L->k - L->h, tw = (p.out_w - 1) * L->s + L->k - L->w;
        p.pad_top = th > 0 ? th / 2 : 0;
        p.pad_left = tw > 0 ? tw / 2 : 0;
    } else {
        const int pad = atoi(L->pad);
        p.pad_top = p.pad_left = pad;
        p.out_h = (L->h + 2 * pad - L->k) / L->s + 1;
        p.out_w = (L->w + 2 * pad - L->k) / L->s + 1;
    }
    return p;
}

static void bench_conv(const conv_layer *L, int batch) {
    const fk_conv2d p = conv_of(L, batch);
    const size_t nx = (size_t)p.n * p.in_h * p.in_w * p.in_c;
    const size_t nw = (size_t)p.out_c * p.kh * p.kw * p.in_c;
    const size_t ny = (size_t)p.n * p.out_h * p.out_w * p.out_c;
    conv_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.x = dev_rand(nx, dt, 11, -1.f, 1.f);
    c.w = dev_rand(nw, dt, 12, -0.3f, 0.3f);
    c.b = dev_rand((size_t)p.out_c, CM_F32, 13, -0.1f, 0.1f);
    c.b_elem = dt == CM_F32 ? (const void *)c.b : dev_rand((size_t)p.out_c, dt, 13, -0.1f, 0.1f);
    CK(cudaMalloc(&c.y, ny * esz()));
    fk_conv_tiling t;
    char why[256] = "";
    int sms = 0, dev = 0;
    CK(cudaGetDevice(&dev));
    CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    const bool ok = fk_conv2d_tiled_plan(&p, dt, sms, 0, &t, why, sizeof why) == FK_OK;
    fk_conv_tc_tiling tt;
    char why_tc[256] = "";
    const bool ok_tc = fk_conv2d_tc_plan(&p, dt, sms, 0, &tt, why_tc, sizeof why_tc) == FK_OK;
    double ours = -1, simt = -1, tc = -1, forced[3] = {-1, -1, -1}, forced_tc[3] = {-1, -1, -1};
    /* ours: AUTO wherever either path runs it (fk_conv2d_tiled_supported) */
    if (fk_conv2d_tiled_supported(&p, dt, NULL, 0) == FK_OK) {
        c.path = FK_CONV_PATH_AUTO;
        ours = time_us(run_ours, &c);
        if (ours < 0) printf("    ours: %s\n", c.err);
    }
    if (ok) {
        c.path = FK_CONV_PATH_SIMT;
        simt = time_us(run_ours, &c);
        if (simt < 0) printf("    simt: %s\n", c.err);
        for (int i = 0; verbose && i < 3; i++) {
            c.threads = 64 << i;
            forced[i] = time_us(run_ours, &c);
        }
        c.threads = 0;
    }
    if (ok_tc) {
        c.path = FK_CONV_PATH_TC;
        tc = time_us(run_ours, &c);
        if (tc < 0) printf("    tc: %s\n", c.err);
        for (int i = 0; verbose && i < 3; i++) {
            c.tile_px = 256 >> i; /* -1 where the tile does not fit */
            forced_tc[i] = time_us(run_ours, &c);
        }
        c.tile_px = 0;
    }
    c.path = FK_CONV_PATH_AUTO;
    /* the naive kernel: the stems only (on Xception's 32- and 64-channel convs
     * at batch 64 it takes tens of milliseconds a run) */
    const double naive = p.in_c <= 3 || batch == 1 ? time_us(run_naive, &c) : -1.0;
    double exact = -1, nhwc = -1, nchw = -1;
#ifdef FUSEPLAN_HAVE_CUDNN
    const fk_conv2d q = symmetric_twin(&p);
    exact = dnn_us(&p, RT_LAYOUT_NHWC, &c);
    nhwc = memcmp(&q, &p, sizeof q) ? dnn_us(&q, RT_LAYOUT_NHWC, &c) : exact;
    nchw = dnn_us(&q, RT_LAYOUT_NCHW, &c);
#endif
    const double bytes = (double)(nx + nw + ny) * (double)esz() + p.out_c * 4.0;
    const double floor_b = bytes / (copy_gbps * 1e3);
    const double floor_f = (double)ny * p.kh * p.kw * p.in_c / fma_per_s * 1e6;
    double best = nhwc;
    if (nchw > 0 && (best < 0 || nchw < best)) best = nchw;
    char s[13][16];
    fmt_us(s[0], 16, ours);
    fmt_us(s[1], 16, naive);
    fmt_us(s[2], 16, exact);
    fmt_us(s[3], 16, nhwc);
    fmt_us(s[4], 16, nchw);
    for (int i = 0; i < 3; i++) fmt_us(s[5 + i], 16, forced[i]);
    fmt_us(s[8], 16, simt);
    fmt_us(s[9], 16, tc);
    for (int i = 0; i < 3; i++) fmt_us(s[10 + i], 16, forced_tc[i]);
    printf("%-22s %3dx%-3d %2d->%-3d k%d s%d %7.1f %7.1f %8s %8s %8s %8s %9s %8s %8s ", L->name, L->h,
           L->w, L->c, L->f, L->k, L->s, floor_b, floor_f, s[0], s[8], s[9], s[1], s[2], s[3], s[4]);
    if (ours > 0 && best > 0) printf("%7.2fx %5.0f%%", best / ours, 100.0 * floor_b / ours);
    else printf("%8s %6s", "-", "-");
    /* what ours (AUTO) runs: the runtime prints the same name */
    printf("  auto %s;", strcmp(fk_conv2d_tiled_name(&p, dt), "tiled conv on tensor cores") ? "simt" : "tc");
    if (ok)
        printf(" simt t%d %dx%d c%dx%d", t.threads, t.tile_h, t.tile_w, t.chunks, t.chunk_c);
    else
        printf(" simt: %s", why);
    if (ok_tc)
        printf("; tc t%d %dx%d k%d n%dx%d g%d", tt.threads, tt.tile_h, tt.tile_w, tt.ksteps,
               tt.n_blocks, tt.block_n8, tt.granule_bytes);
    if (verbose && ok) printf("  [t64 %s t128 %s t256 %s]", s[5], s[6], s[7]);
    if (verbose && ok_tc) printf("  [tc256 %s tc128 %s tc64 %s]", s[10], s[11], s[12]);
    printf("\n");
    cudaFree((void *)c.x);
    cudaFree((void *)c.w);
    cudaFree((void *)c.b);
    if (c.b_elem != (const void *)c.b) cudaFree((void *)c.b_elem);
    cudaFree(c.y);
}

/* ---- global average pool and dense ------------------------------------------------- */

typedef struct op_ctx {
    int n, h, wd, c, units;
    fk_dense_path path;
    const void *x, *w;
    const float *b;
    void *y;
    char err[512];
} op_ctx;

static bool run_gap(void *v) {
    op_ctx *o = v;
    return fk_global_avg_pool(o->n, o->h, o->wd, o->c, dt, o->x, o->y, bs, o->err, sizeof o->err) == FK_OK;
}
static bool run_dense(void *v) {
    op_ctx *o = v;
    return fk_dense_with(o->path, o->n, o->c, o->units, CM_ACT_NONE, dt, o->x, o->w, o->b, o->y, bs,
                         o->err, sizeof o->err) == FK_OK;
}

static void bench_gap_dense(int batch) {
    op_ctx o;
    memset(&o, 0, sizeof o);
    o.n = batch;
    o.h = o.wd = 7;
    o.c = 1280;
    o.units = 1000;
    const size_t nx = (size_t)batch * 7 * 7 * 1280;
    o.x = dev_rand(nx, dt, 21, -1.f, 6.f);
    CK(cudaMalloc(&o.y, (size_t)batch * 1280 * esz()));
    double t = time_us(run_gap, &o);
    double fl = (double)(nx + (size_t)batch * 1280) * esz() / (copy_gbps * 1e3);
    printf("%-44s floor %6.2f us  ours %7.2f us (%3.0f%% of floor)\n", "global_avg_pool 7x7x1280", fl, t,
           t > 0 ? 100 * fl / t : 0);
    cudaFree((void *)o.x);
    cudaFree(o.y);
    o.x = dev_rand((size_t)batch * 1280, dt, 22, -1.f, 1.f);
    o.w = dev_rand((size_t)1000 * 1280, dt, 23, -0.05f, 0.05f);
    o.b = dev_rand(1000, CM_F32, 24, -0.1f, 0.1f);
    CK(cudaMalloc(&o.y, (size_t)batch * 1000 * esz()));
    fl = ((double)batch * 1280 + 1000.0 * 1280 + batch * 1000.0) * esz() / (copy_gbps * 1e3);
    const double ff = (double)batch * 1280 * 1000 / fma_per_s * 1e6;
    double tp[3];
    for (int p = 0; p < 3; p++) {
        o.path = (fk_dense_path)p;
        tp[p] = time_us(run_dense, &o);
    }
    printf("%-44s floor %6.2f us (FMA %5.2f)  auto %7.2f  rows %7.2f  tiled %7.2f us\n",
           "dense 1280->1000", fl, ff, tp[0], tp[1], tp[2]);
    cudaFree((void *)o.x);
    cudaFree((void *)o.w);
    cudaFree((void *)o.b);
    cudaFree(o.y);
}

/* The floors' denominator: the runtime's one copy-bandwidth measurement
 * (rt_timing.h, as `fuseplan run` takes it), 1 GiB buffers, 10 copies. */
static void measure_copy(void) {
    char err[512];
    if (rt_copy_bandwidth((size_t)1 << 30, 10, 0, &copy_gbps, err, sizeof err) != FK_OK)
        DIE("copy bandwidth: %s", err);
}

int main(int argc, char **argv) {
    int only_batch = 0;
    int n_dt = 3;
    cm_dtype dts[3] = {CM_F16, CM_BF16, CM_F32};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) {
            verbose = true;
        } else if (!strcmp(argv[i], "-b") && i + 1 < argc) {
            only_batch = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "-dt") && i + 1 < argc) {
            if (!cm_dtype_parse(argv[++i], &dts[0]) || dts[0] == CM_I8) DIE("-dt: fp32, fp16 or bf16");
            n_dt = 1;
        } else {
            DIE("usage: ops_bench [-dt fp32|fp16|bf16] [-b batch] [-v]");
        }
    }
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
        printf("ops_bench: no CUDA device, skipped\n");
        return 77;
    }
    struct cudaDeviceProp pr;
    int dev = 0, khz = 0;
    CK(cudaGetDevice(&dev));
    CK(cudaGetDeviceProperties(&pr, dev));
    CK(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev));
    fma_per_s = (double)pr.multiProcessorCount * 128.0 * khz * 1e3;
    bt_init(&tm, REPS);
    bs = tm.stream;
    measure_copy();
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    printf("ops_bench: %s (%d SMs, peak clock %d MHz), %s; copy bandwidth %.0f GB/s (read+write); "
           "FP32 FMA peak %.1f T/s\n", pr.name, pr.multiProcessorCount, khz / 1000, date, copy_gbps,
           fma_per_s / 1e12);
#ifdef FUSEPLAN_HAVE_CUDNN
    char err[512];
    if (rt_dnn_create(&dnn, err, sizeof err) != FK_OK) DIE("%s", err);
    printf("cuDNN %zu; times in us per layer (conv + bias + activation), medians of %d\n",
           rt_dnn_version(), REPS);
#else
    printf("built without cuDNN: no baseline\n");
#endif
    for (int d = 0; d < n_dt; d++) {
        dt = dts[d];
        for (int b = 1; b <= 64; b += 63) {
            if (only_batch && b != only_batch) continue;
            hot = b == 1;
            printf("\n== %s, batch %d (%s)\n", cm_dtype_name(dt), b,
                   hot ? "L2 hot: graph of 20 launches" : "L2 flushed before each run");
            printf("%-22s %-19s %7s %7s %8s %8s %8s %8s %9s %8s %8s %8s %6s  %s\n", "conv", "shape",
                   "floorB", "floorF", "ours", "simt", "tc", "naive", "dnn exact", "dnn nhwc",
                   "dnn nchw", "vs dnn", "%flB", "tilings");
            for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) bench_conv(&layers[i], b);
            bench_gap_dense(b);
        }
    }
#ifdef FUSEPLAN_HAVE_CUDNN
    rt_dnn_destroy(dnn);
#endif
    bt_free(&tm);
    return 0;
}
