/* test_ops.c - the ops issue 12 made fast: the tiled direct convolution
 * (fk_conv2d_tiled, the stems), the 16-byte global average pool and the two
 * dense kernels, in fp32, fp16 and bf16.
 *
 * `test_ops --cpu` (suite 'cpu', no device): the tiled convolution's planner
 * (fk_conv2d_tiled_plan, host code): every standard conv of every shipped
 * model at batch 1 and 64 in each type is planned or refused with a reason,
 * every shipped stem is planned, the plan's invariants hold (tile = 4 pixels
 * per slot, channel steps, shared memory within its limit and equal to the
 * layout recomputed here), the CTA size follows the SM count, the limits
 * refuse with FK_ERR_UNSUPPORTED and a reason, and 3000 random convolutions.
 *
 * `test_ops` (suite 'gpu', exit 77 without a device): each kernel against the
 * double-precision CPU reference (fk_reference.c), DESIGN.md convention 9:
 * fixed-seed random inputs, weights and biases (never zeros), drawn in fp32,
 * rounded to the element type on the host (the device's rounding), the
 * reference computed from the rounded values, so that only the kernel's own
 * errors are measured: its FP32 accumulation and the one rounding of each
 * output. Outputs poisoned (fk_poison_dt) before each run, with a poisoned
 * guard of 64 elements after the output that must survive (no write past
 * the tensor). Shapes hit every edge: odd H and W, output tiles cut by the
 * image, C_out not a multiple of 8 (scalar stores) nor of 4, C_in 1..5, 32,
 * 36, 64 (one and several channel steps, padded steps), K 1, 3, 5, 7 and 5x3,
 * stride 1, 2, 4 and 1x2, TF-same (asymmetric) padding, batch 1..3, no bias,
 * every CTA size (64, 128, 256 threads: the slot/group maps of every size),
 * and a misaligned output (the element-store path); GAP with channel counts
 * on and off the 16-byte path; dense with both kernels, partial image and
 * unit tiles, in_c on and off the 16-byte path and not a multiple of the
 * 128-channel chunk.
 *
 * The tensor-core path of the tiled convolution (fk_conv2d_tc, fp16 and
 * bf16, C_in * kh * kw <= 64): --cpu its planner (every shipped stem planned,
 * invariants, limits with reasons, every convolution it plans is also planned
 * by the CUDA-core path, the name the runtime prints); on the GPU every
 * shipped stem at batch 1 and 3 and shapes around it (odd H and W, C_out 8,
 * 40, 128, kernel 3, 5, 7 and 1x3, stride 1, 2, 4, valid / same / asymmetric
 * padding, C_in 1..8, 16, 64, both staging granules) against the same
 * reference, in each tile shape, with x and y misaligned, through the AUTO
 * path, beside the CUDA-core kernel on the same data, and with Inf inputs
 * (outputs whose window holds no Inf must stay finite: the K padding is
 * zeros, not other inputs).
 *
 * Threshold: rt_unit_tolerance(dtype, simt, K, 1) (runtime/rt_tolerance.h),
 * K the reduction length (conv kh*kw*C_in, dense C_in, GAP H*W): a bound on
 * two executions that each round once; here only one side rounds, so it has
 * margin (math tc for the tensor-core path: its FP32 accumulation truncates,
 * a(K) = 2^-23 K / 2, negligible at K <= 64 against the storage round-off).
 * fp16 1.6e-3, bf16 1.3e-2, fp32 1e-5 (the strict floor). One wrong
 * tap of 27 moves a stem output by ~0.2, a missed 4-channel step of 32 by
 * ~0.35: far above every threshold.
 *
 * Exit status: 0 all passed, 1 a failure, 77 (GPU mode) no device.
 * FK_TEST_VERBOSE=1: one line per case. FK_TEST_ONLY=<text>: only the GPU
 * groups whose line contains text ("conv_tc", "Inf", "conv_tiled", "dense",
 * a shape's name). FK_TEST_QUICK=1 (compute-sanitizer): the tensor-core list
 * without its inputs over 200000 elements (the batch-3 stems, b2_res). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "check.h"
#include "fk_kernels.h"
#include "fk_reference.h"
#include "fp_data.h"
#include "fp_model.h"
#include "rt_tolerance.h"
#include "test_rng.h"

#define GUARD 64 /* poisoned elements after each output */

static bool verbose, quick;
static const char *only; /* FK_TEST_ONLY */
static int n_cases;
static double worst_ratio; /* worst rel L2 / threshold */
static uint64_t seed_counter = 7000;

static const cm_dtype dtypes[3] = {CM_F32, CM_F16, CM_BF16};

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* Whether a GPU group labelled `what` runs (FK_TEST_ONLY). */
static bool selected(const char *what) { return !only || strstr(what, only); }

/* ---- the planner (cpu) -------------------------------------------------------- */

/* The shared memory of a tiling recomputed from the layout docs/kernels.md
 * states (patch [ph][sw][qw][pos_floats], weights [taps][C_in or the step's
 * channels padded to 4][groups8 * 8], tap offsets [taps] ints). */
static size_t smem_of(const fk_conv2d *p, const fk_conv_tiling *t) {
    const int ph = (t->tile_h - 1) * p->sh + p->kh, pw = (t->tile_w - 1) * p->sw + p->kw;
    const int qw = ceil_div(pw, p->sw), ccp = (t->chunk_c + 3) / 4 * 4, taps = p->kh * p->kw;
    const int wc = p->in_c <= 3 ? p->in_c : ccp; /* weight channels: unpadded for C_in <= 3 */
    const size_t floats = (size_t)ph * p->sw * qw * t->pos_floats + (size_t)taps * wc * t->groups8 * 8;
    return floats * 4 + (size_t)taps * 4;
}

/* Checks the invariants of a tiling of p; returns false (and records) on a
 * broken one. */
static bool tiling_ok(const char *what, const fk_conv2d *p, const fk_conv_tiling *t) {
    const int before = (int)check_count_failed;
    CHECK(t->threads == 64 || t->threads == 128 || t->threads == 256, "%s: %d threads", what,
          t->threads);
    CHECK(t->groups8 == ceil_div(p->out_c, 8), "%s: %d groups for %d channels", what, t->groups8,
          p->out_c);
    CHECK(t->slots == t->threads / t->groups8 && t->slots >= 1, "%s: %d slots", what, t->slots);
    CHECK(t->tile_h >= 1 && t->tile_w >= 1 && t->tile_h * t->tile_w == 4 * t->slots,
          "%s: tile %dx%d for %d slots", what, t->tile_h, t->tile_w, t->slots);
    if (p->in_c <= 3) {
        CHECK(t->chunk_c == p->in_c && t->chunks == 1, "%s: C_in %d in %d steps of %d", what,
              p->in_c, t->chunks, t->chunk_c);
    } else {
        CHECK(t->chunk_c % 4 == 0 && t->chunk_c >= 4 && t->chunk_c <= (p->in_c + 3) / 4 * 4 &&
                  t->chunks == ceil_div(p->in_c, t->chunk_c),
              "%s: C_in %d in %d steps of %d", what, p->in_c, t->chunks, t->chunk_c);
    }
    const int ccp = (t->chunk_c + 3) / 4 * 4;
    CHECK(t->pos_floats >= ccp && t->pos_floats % 4 == 0 && (t->pos_floats / 4) % 2 == 1,
          "%s: %d floats per position for %d channels (an odd number of 16-byte units)", what,
          t->pos_floats, t->chunk_c);
    CHECK(t->smem_bytes <= FK_CONV_TILED_SMEM_MAX && t->smem_bytes == smem_of(p, t),
          "%s: %zu bytes of shared memory, layout says %zu, limit %d", what, t->smem_bytes,
          smem_of(p, t), FK_CONV_TILED_SMEM_MAX);
    CHECK(t->tiles == (long long)p->n * ceil_div(p->out_h, t->tile_h) * ceil_div(p->out_w, t->tile_w),
          "%s: %lld tiles", what, t->tiles);
    return (int)check_count_failed == before;
}

static fk_conv2d conv_of_layer(const fp_model *m, int li, int batch) {
    const fp_layer *l = &m->layers[li];
    const fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
    fk_conv2d p = {batch, is.h, is.w, is.c, os.h, os.w, os.c, l->kernel_h, l->kernel_w,
                   l->stride_h, l->stride_w, l->pad_top, l->pad_left, l->groups, l->act};
    return p;
}

/* Every standard conv of the shipped models: planned (invariants) or
 * refused with a reason; every stem planned in every type. */
static void cpu_shipped(void) {
    const char *text, *path;
    size_t len;
    char err[512];
    int models = 0, planned = 0, refused = 0;
    for (int i = 0; (path = fp_shipped("models", i, &text, &len)); i++) {
        fp_model m;
        if (fp_model_parse(path, text, len, &m, err, sizeof err) != FP_OK) {
            CHECK(0, "%s: %s", path, err);
            continue;
        }
        models++;
        for (int li = 0; li < m.n_layers; li++) {
            const fp_layer *l = &m.layers[li];
            if (l->op != FP_OP_CONV2D || l->cls != FP_CLASS_STANDARD) continue;
            const bool stem = l->inputs[0] == m.input;
            for (int d = 0; d < 3; d++)
                for (int b = 1; b <= 64; b += 63) {
                    const fk_conv2d p = conv_of_layer(&m, li, b);
                    fk_conv_tiling t;
                    char why[256] = "", what[256];
                    snprintf(what, sizeof what, "%s %s b%d %s", m.name, l->name, b,
                             cm_dtype_name(dtypes[d]));
                    const fk_status st = fk_conv2d_tiled_plan(&p, dtypes[d], 132, 0, &t, why, sizeof why);
                    CHECK(st == FK_OK || (st == FK_ERR_UNSUPPORTED && why[0]), "%s: status %s (%s)",
                          what, fk_status_str(st), why);
                    CHECK(!stem || st == FK_OK, "%s: the stem is not planned: %s", what, why);
                    if (st == FK_OK) {
                        planned++;
                        tiling_ok(what, &p, &t);
                    } else {
                        refused++;
                    }
                    if (verbose && d == 1)
                        printf("  %s: %s\n", what, st == FK_OK ? "planned" : why);
                }
        }
        fp_model_free(&m);
    }
    CHECK(models >= 5, "%d shipped models, want >= 5", models);
    CHECK(planned >= 5 * 3 * 2, "%d convs planned, want every stem", planned);
    printf("ops (cpu): shipped standard convs: %d plans, %d refused (type x batch)\n", planned,
           refused);
}

/* The CTA size follows the SM count; the limits refuse with a reason. */
/* A convolution a planner must refuse: with status `want` and a message
 * naming `word` (both planners' limit tables below). */
typedef struct conv_refusal {
    fk_conv2d p;
    cm_dtype dt;
    fk_status want;
    const char *word;
} conv_refusal;

static void check_refusal(const char *label, size_t i, const conv_refusal *r, fk_status st, const char *why) {
    CHECK(st == r->want && strstr(why, r->word), "%s %zu: %s (%s), want %s with \"%s\"", label, i,
          fk_status_str(st), why, fk_status_str(r->want), r->word);
}

static void cpu_limits(void) {
    char why[256];
    fk_conv_tiling t;
    /* MobileNetV2's stem: batch 64 fills 132 SMs with 256-thread CTAs; batch
     * 1 (49 tiles of 256 pixels) takes smaller CTAs for more tiles */
    fk_conv2d stem = {64, 224, 224, 3, 112, 112, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU6};
    CHECK(fk_conv2d_tiled_plan(&stem, CM_F16, 132, 0, &t, why, sizeof why) == FK_OK &&
              t.threads == 256 && t.tiles >= 132,
          "stem b64: %d threads, %lld tiles (%s)", t.threads, t.tiles, why);
    if (verbose)
        printf("  stem b64 fp16: %d threads, tile %dx%d, %lld tiles, %zu B smem\n", t.threads,
               t.tile_h, t.tile_w, t.tiles, t.smem_bytes);
    stem.n = 1;
    fk_conv_tiling t256;
    CHECK(fk_conv2d_tiled_plan(&stem, CM_F16, 132, 256, &t256, why, sizeof why) == FK_OK, "%s", why);
    CHECK(fk_conv2d_tiled_plan(&stem, CM_F16, 132, 0, &t, why, sizeof why) == FK_OK &&
              t.threads < 256 && t.tiles > t256.tiles,
          "stem b1: %d threads, %lld tiles (256 threads: %lld)", t.threads, t.tiles, t256.tiles);
    CHECK(fk_conv2d_tiled_plan(&stem, CM_F16, 0, 0, &t, why, sizeof why) == FK_OK && t.threads == 256,
          "no SM count: %d threads", t.threads);
    for (int th = 64; th <= 256; th *= 2)
        CHECK(fk_conv2d_tiled_plan(&stem, CM_BF16, 132, th, &t, why, sizeof why) == FK_OK &&
                  t.threads == th && tiling_ok("forced", &stem, &t),
              "forced %d threads: %d (%s)", th, t.threads, why);

    const conv_refusal bad[] = {
        {{1, 16, 16, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 2, CM_ACT_NONE}, CM_F32, FK_ERR_UNSUPPORTED, "groups"},
        {{1, 16, 16, 65, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, CM_ACT_NONE}, CM_F16, FK_ERR_UNSUPPORTED, "C_in"},
        {{1, 16, 16, 3, 16, 16, 129, 3, 3, 1, 1, 1, 1, 1, CM_ACT_NONE}, CM_F16, FK_ERR_UNSUPPORTED, "C_out"},
        {{1, 16, 16, 3, 9, 9, 8, 8, 8, 1, 1, 0, 0, 1, CM_ACT_NONE}, CM_F32, FK_ERR_UNSUPPORTED, "kernel"},
        {{1, 40, 40, 3, 8, 8, 8, 5, 5, 5, 5, 0, 0, 1, CM_ACT_NONE}, CM_F32, FK_ERR_UNSUPPORTED, "stride"},
        {{1, 16, 16, 3, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, CM_ACT_NONE}, CM_I8, FK_ERR_UNSUPPORTED, "int8"},
        /* K 7, stride 4, 128 channels: the weights alone exceed 48 KB */
        {{1, 64, 64, 64, 15, 15, 128, 7, 7, 4, 4, 0, 0, 1, CM_ACT_NONE}, CM_F32, FK_ERR_UNSUPPORTED, "shared memory"},
        {{1, 16, 16, 3, 16, 16, 8, 3, 3, 1, 1, 3, 1, 1, CM_ACT_NONE}, CM_F32, FK_ERR_INVALID, "padding"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        check_refusal("limit", i, &bad[i],
                      fk_conv2d_tiled_plan(&bad[i].p, bad[i].dt, 132, 0, &t, why, sizeof why), why);
    }
    CHECK(fk_conv2d_tiled_plan(&stem, CM_F32, 132, 100, &t, why, sizeof why) == FK_ERR_INVALID,
          "100 threads accepted");
}

/* Random convolutions within the limits: planned with its invariants, or
 * refused for shared memory only; always planned at K <= 3, stride <= 2,
 * C_out <= 64. */
static void cpu_random(void) {
    rng_state = 20261207;
    int planned = 0;
    for (int i = 0; i < 3000; i++) {
        fk_conv2d p;
        p.n = rnd(1, 70);
        p.kh = rnd(1, 7);
        p.kw = rnd(0, 3) ? p.kh : rnd(1, 7);
        p.sh = rnd(1, 4);
        p.sw = rnd(0, 3) ? p.sh : rnd(1, 4);
        p.in_h = rnd(p.kh, 300);
        p.in_w = rnd(p.kw, 300);
        p.in_c = rnd(0, 2) ? rnd(1, 4) : rnd(1, 64);
        p.out_c = rnd(1, 128);
        p.pad_top = rnd(0, p.kh - 1);
        p.pad_left = rnd(0, p.kw - 1);
        p.out_h = (p.in_h + p.pad_top - p.kh) / p.sh + 1 + rnd(0, 1) * (p.pad_top > 0);
        p.out_w = (p.in_w + p.pad_left - p.kw) / p.sw + 1;
        p.groups = 1;
        p.act = CM_ACT_RELU;
        if (fk_conv2d_check(&p, NULL, 0) != FK_OK) continue;
        const cm_dtype dt = dtypes[i % 3];
        fk_conv_tiling t;
        char why[256] = "", what[128];
        snprintf(what, sizeof what, "random %d (k %dx%d s %dx%d c %d->%d)", i, p.kh, p.kw, p.sh, p.sw,
                 p.in_c, p.out_c);
        const fk_status st = fk_conv2d_tiled_plan(&p, dt, rnd(0, 1) ? 132 : 0, 0, &t, why, sizeof why);
        /* whether it plans does not depend on the SM count (the launch plans
         * with the device's; the runtime and tests ask with 0 or 132) */
        for (int sm = 0; sm <= 264; sm += 66) {
            fk_conv_tiling t2;
            CHECK(fk_conv2d_tiled_plan(&p, dt, sm, 0, &t2, NULL, 0) == st,
                  "%s: planned %s, at %d SMs otherwise", what, fk_status_str(st), sm);
        }
        const bool easy = p.kh <= 3 && p.kw <= 3 && p.sh <= 2 && p.sw <= 2 && p.out_c <= 64;
        CHECK(st == FK_OK || (st == FK_ERR_UNSUPPORTED && strstr(why, "shared memory") && !easy),
              "%s: %s (%s)", what, fk_status_str(st), why);
        if (st == FK_OK && tiling_ok(what, &p, &t)) planned++;
    }
    printf("ops (cpu): random convolutions: %d planned\n", planned);
}

/* ---- the tensor-core path's planner (cpu) ---------------------------------------- */

/* The shared memory of a tensor-core tiling recomputed from the layout
 * fk_conv_tc.cu states: two patch buffers of phs rows x rs elements (16-byte
 * granules: only the rows / columns a tap reads where kh < sh / kw < sw, rs =
 * the row; 4-byte: all, rs = row + 2 or 3 of W * C_in's parity), A M x (KP +
 * 8), B nbr x (KP + 8), the bias nbr floats, the k offsets KP ints, 1 KB per
 * warp; each region 16-byte aligned. */
static size_t al16(size_t v) { return (v + 15) / 16 * 16; }
static size_t tc_smem_of(const fk_conv2d *p, const fk_conv_tc_tiling *t) {
    const bool g8 = t->granule_bytes == 16, crow = g8 && p->kh < p->sh, ccol = g8 && p->kw < p->sw;
    const int phs = crow ? t->tile_h * p->kh : (t->tile_h - 1) * p->sh + p->kh;
    const int pws = ccol ? t->tile_w * p->kw : (t->tile_w - 1) * p->sw + p->kw;
    const int rl = pws * p->in_c;
    int rs = rl;
    if (!g8) {
        rs = rl + 2;
        if ((rs ^ (p->in_w * p->in_c)) & 1) rs++;
    }
    const int rsa = t->ksteps * 16 + 8;
    const int nbr = (t->n_blocks - 1) * t->block_n8 * 8 + (t->block_n8 > 2 ? 32 : 16);
    return 2 * al16((size_t)phs * rs * 2) + (size_t)t->tile_h * t->tile_w * rsa * 2 +
           (size_t)nbr * rsa * 2 + al16((size_t)nbr * 4) + (size_t)t->ksteps * 16 * 4 +
           (size_t)t->threads / 32 * 1024;
}

static bool tc_tiling_ok(const char *what, const fk_conv2d *p, const fk_conv_tc_tiling *t) {
    const int before = (int)check_count_failed;
    const int k = p->in_c * p->kh * p->kw, n8 = p->out_c / 8;
    CHECK((t->tile_h == 16 && t->tile_w == 16 && t->threads == 256) ||
              (t->tile_h == 8 && (t->tile_w == 16 || t->tile_w == 8) && t->threads == 128),
          "%s: tile %dx%d with %d threads", what, t->tile_h, t->tile_w, t->threads);
    CHECK(t->ksteps == ceil_div(k, 16) && t->ksteps >= 1 && t->ksteps <= 4, "%s: %d k-steps for K %d",
          what, t->ksteps, k);
    CHECK(t->block_n8 >= 1 && t->block_n8 <= 4 && t->n_blocks == ceil_div(n8, 4) &&
              t->n_blocks == ceil_div(n8, t->block_n8),
          "%s: %d blocks of %d n8 tiles for C_out %d", what, t->n_blocks, t->block_n8, p->out_c);
    CHECK(t->granule_bytes == (p->in_c % 8 == 0 ? 16 : 4), "%s: %d-byte staging for C_in %d", what,
          t->granule_bytes, p->in_c);
    CHECK(t->smem_bytes <= FK_CONV_TC_SMEM_MAX && t->smem_bytes == tc_smem_of(p, t),
          "%s: %zu bytes of shared memory, layout says %zu, limit %d", what, t->smem_bytes,
          tc_smem_of(p, t), FK_CONV_TC_SMEM_MAX);
    CHECK(t->tiles == (long long)p->n * ceil_div(p->out_h, t->tile_h) * ceil_div(p->out_w, t->tile_w),
          "%s: %lld tiles", what, t->tiles);
    return (int)check_count_failed == before;
}

/* fk_conv2d_tiled_supported is "either path plans it", and the name the
 * runtime prints says which one AUTO takes. Returns whether the CUDA-core
 * path plans it too (*simt_ok). */
static bool tc_consistent(const char *what, const fk_conv2d *p, cm_dtype dt, bool tc_ok,
                          bool *simt_ok) {
    const int before = (int)check_count_failed;
    fk_conv_tiling s;
    char why[256] = "";
    const bool simt = fk_conv2d_tiled_plan(p, dt, 132, 0, &s, why, sizeof why) == FK_OK;
    if (simt_ok) *simt_ok = simt;
    const fk_status sup = fk_conv2d_tiled_supported(p, dt, why, sizeof why);
    CHECK((sup == FK_OK) == (simt || tc_ok), "%s: supported %s, CUDA-core plan %d, tensor-core "
          "plan %d (%s)", what, fk_status_str(sup), simt, tc_ok, why);
    const char *name = fk_conv2d_tiled_name(p, dt);
    CHECK(!strcmp(name, tc_ok ? "tiled conv on tensor cores" : "tiled direct conv"),
          "%s: named \"%s\"", what, name);
    return (int)check_count_failed == before;
}

static void cpu_tc(void) {
    const char *text, *path;
    size_t len;
    char err[512];
    int stems = 0, planned = 0;
    for (int i = 0; (path = fp_shipped("models", i, &text, &len)); i++) {
        fp_model m;
        if (fp_model_parse(path, text, len, &m, err, sizeof err) != FP_OK) {
            CHECK(0, "%s: %s", path, err);
            continue;
        }
        for (int li = 0; li < m.n_layers; li++) {
            const fp_layer *l = &m.layers[li];
            if (l->op != FP_OP_CONV2D || l->cls != FP_CLASS_STANDARD) continue;
            const bool stem = l->inputs[0] == m.input;
            stems += stem;
            for (int d = 0; d < 3; d++)
                for (int b = 1; b <= 64; b += 63) {
                    const fk_conv2d p = conv_of_layer(&m, li, b);
                    fk_conv_tc_tiling t;
                    char why[256] = "", what[256];
                    snprintf(what, sizeof what, "tc %s %s b%d %s", m.name, l->name, b,
                             cm_dtype_name(dtypes[d]));
                    const fk_status st = fk_conv2d_tc_plan(&p, dtypes[d], 132, 0, &t, why, sizeof why);
                    CHECK(st == FK_OK || (st == FK_ERR_UNSUPPORTED && why[0]), "%s: status %s (%s)",
                          what, fk_status_str(st), why);
                    CHECK(!stem || dtypes[d] == CM_F32 || st == FK_OK,
                          "%s: the stem is not planned on tensor cores: %s", what, why);
                    /* AUTO's decision (fk_conv2d_tiled_name says what
                     * fk_conv2d_tiled runs) for a stem in 16 bits: tensor
                     * cores, at the H100's SM count too */
                    fk_conv_tc_tiling t132;
                    CHECK(!stem || dtypes[d] == CM_F32 ||
                              (!strcmp(fk_conv2d_tiled_name(&p, dtypes[d]), "tiled conv on tensor cores") &&
                               fk_conv2d_tc_plan(&p, dtypes[d], 132, 0, &t132, NULL, 0) == FK_OK &&
                               fk_conv2d_tiled_supported(&p, dtypes[d], NULL, 0) == FK_OK),
                          "%s: AUTO does not run the stem on tensor cores (\"%s\")", what,
                          fk_conv2d_tiled_name(&p, dtypes[d]));
                    CHECK(dtypes[d] != CM_F32 || st == FK_ERR_UNSUPPORTED, "%s: fp32 planned", what);
                    if (st == FK_OK) {
                        planned++;
                        tc_tiling_ok(what, &p, &t);
                    }
                    bool simt_ok = false;
                    tc_consistent(what, &p, dtypes[d], st == FK_OK, &simt_ok);
                    CHECK(st != FK_OK || simt_ok, "%s: a shipped conv only the tensor-core path "
                          "plans (fk_conv2d_tiled_plan is the runtime's predicate)", what);
                    if (verbose && d == 1)
                        printf("  %s: %s\n", what, st == FK_OK ? "planned" : why);
                }
        }
        fp_model_free(&m);
    }
    CHECK(stems >= 5 && planned >= stems * 2 * 2, "%d stems, %d tensor-core plans", stems, planned);
    printf("ops (cpu): tensor-core path: %d plans of shipped convs (type x batch), %d stems\n", planned,
           stems);

    /* MobileNetV2's stem: 16 x 16 tiles at batch 64, smaller ones at batch 1
     * (49 tiles of 256 pixels cannot cover 132 SMs) */
    fk_conv2d stem = {64, 224, 224, 3, 112, 112, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU6};
    fk_conv_tc_tiling t;
    char why[256] = "";
    CHECK(fk_conv2d_tc_plan(&stem, CM_F16, 132, 0, &t, why, sizeof why) == FK_OK && t.tile_h == 16 &&
              t.tile_w == 16 && t.ksteps == 2 && t.n_blocks == 1 && t.block_n8 == 4 &&
              t.granule_bytes == 4,
          "stem b64: tile %dx%d, %d k-steps, %d x %d n8 (%s)", t.tile_h, t.tile_w, t.ksteps,
          t.n_blocks, t.block_n8, why);
    if (verbose)
        printf("  tc stem b64 fp16: %d threads, tile %dx%d, %lld tiles, %zu B smem\n", t.threads,
               t.tile_h, t.tile_w, t.tiles, t.smem_bytes);
    stem.n = 1;
    CHECK(fk_conv2d_tc_plan(&stem, CM_BF16, 132, 0, &t, why, sizeof why) == FK_OK && t.tiles >= 132 &&
              t.tile_h * t.tile_w < 256,
          "stem b1: tile %dx%d, %lld tiles (%s)", t.tile_h, t.tile_w, t.tiles, why);
    for (int px = 64; px <= 256; px *= 2)
        CHECK(fk_conv2d_tc_plan(&stem, CM_F16, 132, px, &t, why, sizeof why) == FK_OK &&
                  t.tile_h * t.tile_w == px && tc_tiling_ok("forced tile", &stem, &t),
              "forced tile of %d pixels: %dx%d (%s)", px, t.tile_h, t.tile_w, why);
    CHECK(fk_conv2d_tc_plan(&stem, CM_F16, 132, 100, &t, why, sizeof why) == FK_ERR_INVALID,
          "a tile of 100 pixels accepted");
    /* stride > kernel with C_out 8: only the tensor-core tiles fit the
     * shared memory, at any SM count; supported, and AUTO takes them (the
     * GPU test expects the CUDA-core launch to refuse them) */
    const fk_conv2d tc_only[2] = {{1, 30, 29, 2, 8, 8, 8, 3, 3, 4, 4, 1, 1, 1, CM_ACT_RELU},
                                  {1, 19, 23, 8, 5, 6, 8, 2, 2, 4, 4, 0, 0, 1, CM_ACT_RELU}};
    for (int i = 0; i < 2; i++)
        for (int sm = 0; sm <= 132; sm += 132) {
            fk_conv_tiling ts;
            CHECK(fk_conv2d_tiled_plan(&tc_only[i], CM_F16, sm, 0, &ts, why, sizeof why) ==
                          FK_ERR_UNSUPPORTED && strstr(why, "shared memory") &&
                      fk_conv2d_tc_plan(&tc_only[i], CM_BF16, sm, 0, &t, NULL, 0) == FK_OK &&
                      fk_conv2d_tiled_supported(&tc_only[i], CM_F16, NULL, 0) == FK_OK &&
                      !strcmp(fk_conv2d_tiled_name(&tc_only[i], CM_BF16), "tiled conv on tensor cores"),
                  "tensor-core-only shape %d at %d SMs (%s)", i, sm, why);
        }
    /* ProxylessNAS's 40 channels: two blocks of 3 + 2 n8 tiles */
    fk_conv2d px40 = {64, 224, 224, 3, 112, 112, 40, 3, 3, 2, 2, 1, 1, 1, CM_ACT_RELU6};
    CHECK(fk_conv2d_tc_plan(&px40, CM_F16, 132, 0, &t, why, sizeof why) == FK_OK && t.n_blocks == 2 &&
              t.block_n8 == 3,
          "C_out 40: %d blocks of %d (%s)", t.n_blocks, t.block_n8, why);
    /* Xception's 1x1 stride 2 from 64 channels: 16-byte staging, K 64 */
    fk_conv2d res = {64, 147, 147, 64, 74, 74, 128, 1, 1, 2, 2, 0, 0, 1, CM_ACT_NONE};
    CHECK(fk_conv2d_tc_plan(&res, CM_BF16, 132, 0, &t, why, sizeof why) == FK_OK && t.ksteps == 4 &&
              t.granule_bytes == 16 && tc_tiling_ok("b2_res", &res, &t),
          "xception b2_res: %s", why);

    const conv_refusal bad[] = {
        {{1, 16, 16, 3, 8, 8, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_NONE}, CM_F32, FK_ERR_UNSUPPORTED, "element type"},
        {{1, 16, 16, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 2, CM_ACT_NONE}, CM_F16, FK_ERR_UNSUPPORTED, "groups"},
        /* 65 = 13 * 5 * 1 > 64 */
        {{1, 16, 16, 13, 12, 16, 16, 5, 1, 1, 1, 0, 0, 1, CM_ACT_NONE}, CM_F16, FK_ERR_UNSUPPORTED, "C_in*kh*kw"},
        {{1, 16, 16, 32, 14, 14, 64, 3, 3, 1, 1, 0, 0, 1, CM_ACT_NONE}, CM_BF16, FK_ERR_UNSUPPORTED, "C_in*kh*kw"},
        {{1, 16, 16, 3, 8, 8, 36, 3, 3, 2, 2, 0, 0, 1, CM_ACT_NONE}, CM_F16, FK_ERR_UNSUPPORTED, "C_out"},
        {{1, 16, 16, 3, 8, 8, 136, 3, 3, 2, 2, 0, 0, 1, CM_ACT_NONE}, CM_F16, FK_ERR_UNSUPPORTED, "C_out"},
        {{1, 40, 40, 1, 8, 8, 8, 5, 5, 5, 5, 0, 0, 1, CM_ACT_NONE}, CM_F16, FK_ERR_UNSUPPORTED, "stride"},
        {{1, 16, 16, 3, 16, 16, 8, 3, 3, 1, 1, 3, 1, 1, CM_ACT_NONE}, CM_F16, FK_ERR_INVALID, "padding"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        const fk_status st = fk_conv2d_tc_plan(&bad[i].p, bad[i].dt, 132, 0, &t, why, sizeof why);
        check_refusal("tc limit", i, &bad[i], st, why);
        if (st != FK_ERR_INVALID) tc_consistent("tc limit", &bad[i].p, bad[i].dt, false, NULL);
    }

    /* random convolutions: planned with its invariants (always where every
     * tile's patch is small), refused for shared memory only, or refused
     * for K / C_out; planned implies planned by the CUDA-core path */
    rng_state = 20261208;
    int rplanned = 0;
    for (int i = 0; i < 3000; i++) {
        fk_conv2d p;
        p.n = rnd(1, 70);
        p.kh = rnd(1, 7);
        p.kw = rnd(0, 3) ? p.kh : rnd(1, 7);
        p.sh = rnd(1, 4);
        p.sw = rnd(0, 3) ? p.sh : rnd(1, 4);
        p.in_h = rnd(p.kh, 300);
        p.in_w = rnd(p.kw, 300);
        p.in_c = rnd(0, 2) ? rnd(1, 8) : rnd(1, 64);
        p.out_c = rnd(0, 3) ? 8 * rnd(1, 16) : rnd(1, 130);
        p.pad_top = rnd(0, p.kh - 1);
        p.pad_left = rnd(0, p.kw - 1);
        p.out_h = (p.in_h + p.pad_top - p.kh) / p.sh + 1 + rnd(0, 1) * (p.pad_top > 0);
        p.out_w = (p.in_w + p.pad_left - p.kw) / p.sw + 1;
        p.groups = 1;
        p.act = CM_ACT_RELU;
        if (fk_conv2d_check(&p, NULL, 0) != FK_OK) continue;
        const cm_dtype dt = rnd(0, 1) ? CM_F16 : CM_BF16;
        char what[128];
        snprintf(what, sizeof what, "tc random %d (k %dx%d s %dx%d c %d->%d)", i, p.kh, p.kw, p.sh,
                 p.sw, p.in_c, p.out_c);
        why[0] = '\0';
        const fk_status st = fk_conv2d_tc_plan(&p, dt, rnd(0, 1) ? 132 : 0, 0, &t, why, sizeof why);
        for (int sm = 0; sm <= 264; sm += 66) {
            fk_conv_tc_tiling t2;
            CHECK(fk_conv2d_tc_plan(&p, dt, sm, 0, &t2, NULL, 0) == st,
                  "%s: planned %s, at %d SMs otherwise", what, fk_status_str(st), sm);
        }
        const bool fits = p.in_c * p.kh * p.kw <= 64 && p.out_c % 8 == 0 && p.out_c <= 128;
        /* always planned: small kernels and strides, C_in <= 8 or a multiple
         * of 8 (the 4-byte staging keeps every column of a wide C_in) */
        const bool easy = fits && p.kh <= 3 && p.kw <= 3 && p.sh <= 2 && p.sw <= 2 &&
                          (p.in_c <= 8 || p.in_c % 8 == 0);
        CHECK(st == FK_OK || (st == FK_ERR_UNSUPPORTED && (!fits || (strstr(why, "shared memory") && !easy))),
              "%s: %s (%s)", what, fk_status_str(st), why);
        if (st == FK_OK && tc_tiling_ok(what, &p, &t)) rplanned++;
        tc_consistent(what, &p, dt, st == FK_OK, NULL);
    }
    printf("ops (cpu): tensor-core path, random convolutions: %d planned\n", rplanned);
}

/* ---- GPU helpers -------------------------------------------------------------- */

/* n values uniform in [lo, hi) rounded to dtype (as the device sees them). */
static float *host_vals(cm_dtype dt, size_t n, float lo, float hi) {
    float *h = malloc((n ? n : 1) * sizeof(float));
    if (!h) return NULL;
    fk_fill_host_uniform(h, n, seed_counter++, lo, hi);
    for (size_t i = 0; i < n; i++) {
        unsigned char b[4];
        fk_host_from_f32(dt, h[i], b);
        h[i] = fk_host_to_f32(dt, b);
    }
    return h;
}

static double *to_double(const float *h, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof(double));
    if (d)
        for (size_t i = 0; i < n; i++) d[i] = h[i];
    return d;
}

/* h (already in dtype) on the device as dtype, at element offset `off` of a
 * buffer of off + n + extra elements (*base: the allocation to free). */
static void *dev_put(cm_dtype dt, const float *h, size_t n, size_t off, size_t extra, void **base) {
    const size_t es = (size_t)cm_dtype_bytes(dt);
    unsigned char *b = malloc((n ? n : 1) * es);
    *base = NULL;
    if (!b) return NULL;
    for (size_t i = 0; i < n; i++) fk_host_from_f32(dt, h[i], b + i * es);
    void *d = NULL;
    if (cudaMalloc(&d, (off + n + extra + 1) * es) != cudaSuccess) {
        free(b);
        return NULL;
    }
    unsigned char *at = (unsigned char *)d + off * es;
    if (cudaMemcpy(at, b, n * es, cudaMemcpyHostToDevice) != cudaSuccess) {
        cudaFree(d);
        free(b);
        return NULL;
    }
    free(b);
    *base = d;
    return at;
}

/* An output of n elements of dtype at element offset `off`, followed by
 * GUARD elements; all poisoned. */
static void *dev_out(cm_dtype dt, size_t n, size_t off, void **base) {
    const size_t es = (size_t)cm_dtype_bytes(dt);
    char err[256];
    *base = NULL;
    if (cudaMalloc(base, (off + n + GUARD) * es) != cudaSuccess) return NULL;
    void *at = (unsigned char *)*base + off * es;
    if (fk_poison_dt(at, dt, n + GUARD, 0, err, sizeof err) != FK_OK) {
        cudaFree(*base);
        *base = NULL;
        return NULL;
    }
    return at;
}

/* Copies back the output (n) and its guard, compares with ref at thr:
 * nothing poisoned or non-finite in the output, the guard untouched. */
static void judge(const char *what, cm_dtype dt, const void *d_out, const double *ref, size_t n,
                  double thr) {
    const size_t es = (size_t)cm_dtype_bytes(dt);
    unsigned char *h = malloc((n + GUARD) * es);
    float *f = malloc((n ? n : 1) * sizeof(float));
    n_cases++;
    if (!h || !f || cudaDeviceSynchronize() != cudaSuccess ||
        cudaMemcpy(h, d_out, (n + GUARD) * es, cudaMemcpyDeviceToHost) != cudaSuccess) {
        CHECK(0, "%s: copy back: %s", what, cudaGetErrorString(cudaGetLastError()));
        free(h);
        free(f);
        return;
    }
    size_t poisoned = 0, guard_hit = 0;
    for (size_t i = 0; i < n; i++) {
        poisoned += fk_host_is_poison(dt, h + i * es);
        f[i] = fk_host_to_f32(dt, h + i * es);
    }
    for (size_t i = n; i < n + GUARD; i++) guard_hit += !fk_host_is_poison(dt, h + i * es);
    const fk_err_stats s = fk_ref_compare(f, ref, n);
    const bool ok = !poisoned && !s.non_finite && !guard_hit && s.rel_l2 <= thr;
    if (thr > 0 && s.rel_l2 / thr > worst_ratio) worst_ratio = s.rel_l2 / thr;
    if (verbose || !ok)
        printf("%s %s: %zu elems, rel L2 %.3g (threshold %.2g), max abs %.3g\n", ok ? "  ok  " : "  FAIL",
               what, n, s.rel_l2, thr, s.max_abs);
    CHECK(ok, "%s: rel L2 %.3g (threshold %.2g), %zu unwritten, %zu non-finite, %zu guard "
          "elements written, of %zu", what, s.rel_l2, thr, poisoned, s.non_finite, guard_hit, n);
    free(h);
    free(f);
}

/* ---- the tiled convolution (gpu) ------------------------------------------------ */

typedef struct conv_case {
    const char *name;
    fk_conv2d p;
    bool no_bias;
} conv_case;

/* One convolution in one type: every CTA size (0 = planned), and the
 * misaligned output once. */
static void gpu_conv(const conv_case *cc, cm_dtype dt) {
    const fk_conv2d *p = &cc->p;
    const size_t nx = (size_t)p->n * p->in_h * p->in_w * p->in_c;
    const size_t nw = (size_t)p->out_c * p->kh * p->kw * p->in_c;
    const size_t ny = (size_t)p->n * p->out_h * p->out_w * p->out_c;
    float *hx = host_vals(dt, nx, -1.f, 1.f), *hw = host_vals(dt, nw, -0.5f, 0.5f);
    float *hb = host_vals(CM_F32, (size_t)p->out_c, -0.5f, 0.5f);
    double *xd = to_double(hx, nx), *ref = malloc(ny * sizeof(double));
    void *bx = NULL, *bw = NULL, *bb = NULL;
    void *dx = hx ? dev_put(dt, hx, nx, 0, 0, &bx) : NULL;
    void *dw = hw ? dev_put(dt, hw, nw, 0, 0, &bw) : NULL;
    float *db = hb ? dev_put(CM_F32, hb, (size_t)p->out_c, 0, 0, &bb) : NULL;
    if (!dx || !dw || !db || !xd || !ref) {
        CHECK(0, "%s: allocation", cc->name);
        goto done;
    }
    fk_ref_conv2d(p, xd, hw, cc->no_bias ? NULL : hb, ref);
    /* threads 0 is the AUTO path: on tensor cores where they apply */
    const long K = (long)p->kh * p->kw * p->in_c;
    const bool auto_tc = !strcmp(fk_conv2d_tiled_name(p, dt), "tiled conv on tensor cores");
    const double thr_simt = rt_unit_tolerance(dt, CM_MATH_SIMT, K, 1);
    const double thr_auto = auto_tc ? rt_unit_tolerance(dt, CM_MATH_TC, K, 1) : thr_simt;
    static const int sizes[4] = {0, 64, 128, 256};
    for (int k = 0; k < 5; k++) {
        const int threads = k < 4 ? sizes[k] : 0;
        const size_t off = k < 4 ? 0 : 1; /* k 4: y one element off 16-byte alignment */
        char what[256], err[512] = "";
        snprintf(what, sizeof what, "conv_tiled %s %s %s", cc->name, cm_dtype_name(dt),
                 k < 4 ? (threads ? (threads == 64 ? "t64" : threads == 128 ? "t128" : "t256")
                                  : (auto_tc ? "planned (tensor cores)" : "planned"))
                       : "misaligned y");
        fk_conv_tiling t;
        char why[256] = "";
        if (threads && fk_conv2d_tiled_plan(p, dt, 0, threads, &t, why, sizeof why) == FK_ERR_UNSUPPORTED) {
            /* a CTA size can be too big for a shape (4 pixels a slot: 1024
             * pixels of stride 4 at 256 threads); the planner then takes a
             * smaller one, which the other iterations run */
            if (verbose) printf("  skip %s: %s\n", what, why);
            continue;
        }
        void *by = NULL, *dy = dev_out(dt, ny, off, &by);
        if (!dy) {
            CHECK(0, "%s: allocation", what);
            continue;
        }
        const fk_status st = fk_conv2d_tiled_with(p, dt, threads, dx, dw, cc->no_bias ? NULL : db, dy,
                                                  0, err, sizeof err);
        CHECK(st == FK_OK, "%s: %s", what, err);
        /* the misaligned y: AUTO as well */
        if (st == FK_OK) judge(what, dt, dy, ref, ny, threads ? thr_simt : thr_auto);
        cudaFree(by);
    }
done:
    cudaFree(bx);
    cudaFree(bw);
    cudaFree(bb);
    free(hx);
    free(hw);
    free(hb);
    free(xd);
    free(ref);
}

static void gpu_convs(void) {
    /* TF "same" of an even input at stride 2: pad top/left 0, bottom/right 1
     * (MobileNetV2's stem); out sizes cut the 16x16 and 8x16 tiles */
    const conv_case cases[] = {
        {"stem 3x3 s2 same 30x28x3->32", {2, 30, 28, 3, 15, 14, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU6}, false},
        {"stem 3x3 s2 pad1 33x33x3->40", {1, 33, 33, 3, 17, 17, 40, 3, 3, 2, 2, 1, 1, 1, CM_ACT_RELU6}, false},
        {"stem 3x3 s2 valid 37x35x3->32", {3, 37, 35, 3, 18, 17, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU}, false},
        {"5x5 s1 c1->13 (scalar stores)", {2, 19, 21, 1, 19, 21, 13, 5, 5, 1, 1, 2, 2, 1, CM_ACT_RELU}, false},
        {"3x3 s2 c2->8 no act", {3, 17, 15, 2, 9, 8, 8, 3, 3, 2, 2, 1, 1, 1, CM_ACT_NONE}, false},
        {"3x3 s1 c4->24", {1, 23, 19, 4, 23, 19, 24, 3, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6}, false},
        {"3x3 s2 c5->20 valid", {2, 21, 23, 5, 10, 11, 20, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU}, false},
        {"3x3 s1 c32->64 valid (xception b1_conv2)", {1, 19, 17, 32, 17, 15, 64, 3, 3, 1, 1, 0, 0, 1, CM_ACT_RELU}, false},
        {"1x1 s2 c64->128", {2, 15, 15, 64, 8, 8, 128, 1, 1, 2, 2, 0, 0, 1, CM_ACT_NONE}, false},
        {"3x3 s1 c36->40 pad1", {1, 13, 14, 36, 13, 14, 40, 3, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6}, false},
        {"7x7 s2 pad3 c3->64", {1, 37, 37, 3, 19, 19, 64, 7, 7, 2, 2, 3, 3, 1, CM_ACT_RELU}, false},
        {"5x3 s1x2 c3->16", {2, 12, 17, 3, 12, 9, 16, 5, 3, 1, 2, 2, 1, 1, CM_ACT_RELU}, false},
        {"4x4 s4 c3->32 (patchify)", {1, 32, 32, 3, 8, 8, 32, 4, 4, 4, 4, 0, 0, 1, CM_ACT_NONE}, false},
        {"3x3 s2 c3->32 no bias", {1, 16, 16, 3, 8, 8, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU6}, true},
        /* many tiles per CTA (the persistent loop), the stem's real width */
        {"stem 224x224 b2 (mobilenet_v2 conv1)", {2, 224, 224, 3, 112, 112, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU6}, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int d = 0; d < 3; d++) {
            char label[160];
            snprintf(label, sizeof label, "conv_tiled %s %s", cases[i].name, cm_dtype_name(dtypes[d]));
            if (!selected(label)) continue;
            const int before = (int)check_count_failed;
            gpu_conv(&cases[i], dtypes[d]);
            printf("conv_tiled %-44s %-5s %s\n", cases[i].name, cm_dtype_name(dtypes[d]),
                   check_count_failed == before ? "ok" : "FAILED");
        }
}

/* ---- the tiled convolution on tensor cores (gpu) ------------------------------------ */

/* A convolution by its padding: pad >= 0 symmetric, TC_VALID, TC_SAME (TF:
 * the extra row / column at the end), TC_ASYM (top 0, left kw - 1: the
 * bottom and right padding implied by the output size). */
enum { TC_VALID = -1, TC_SAME = -2, TC_ASYM = -3 };
static fk_conv2d tc_shape(int n, int h, int w, int c, int f, int kh, int kw, int sh, int sw, int pad,
                          cm_act act) {
    fk_conv2d p = {n, h, w, c, 0, 0, f, kh, kw, sh, sw, 0, 0, 1, act};
    if (pad == TC_VALID) {
        p.out_h = (h - kh) / sh + 1;
        p.out_w = (w - kw) / sw + 1;
    } else if (pad == TC_SAME) {
        p.out_h = ceil_div(h, sh);
        p.out_w = ceil_div(w, sw);
        const int th = (p.out_h - 1) * sh + kh - h, tw = (p.out_w - 1) * sw + kw - w;
        p.pad_top = th > 0 ? th / 2 : 0;
        p.pad_left = tw > 0 ? tw / 2 : 0;
    } else if (pad == TC_ASYM) {
        p.pad_left = kw - 1;
        p.out_h = (h - 1) / sh + 1;
        p.out_w = (w - 1) / sw + 1;
    } else {
        p.pad_top = p.pad_left = pad;
        p.out_h = (h + 2 * pad - kh) / sh + 1;
        p.out_w = (w + 2 * pad - kw) / sw + 1;
    }
    return p;
}

/* One convolution on the tensor-core path in one type: planned, each tile
 * shape, x and y misaligned (x by one element: the 4-byte staging's other
 * phase; at C_in % 8 == 0 the 16-byte staging is off), AUTO (must take it),
 * and the CUDA-core kernel on the same data. */
static void gpu_tc_conv(const conv_case *cc, cm_dtype dt) {
    const fk_conv2d *p = &cc->p;
    const size_t nx = (size_t)p->n * p->in_h * p->in_w * p->in_c;
    const size_t nw = (size_t)p->out_c * p->kh * p->kw * p->in_c;
    const size_t ny = (size_t)p->n * p->out_h * p->out_w * p->out_c;
    float *hx = host_vals(dt, nx, -1.f, 1.f), *hw = host_vals(dt, nw, -0.5f, 0.5f);
    float *hb = host_vals(CM_F32, (size_t)p->out_c, -0.5f, 0.5f);
    double *xd = to_double(hx, nx), *ref = malloc(ny * sizeof(double));
    void *bx = NULL, *bx1 = NULL, *bw = NULL, *bb = NULL;
    void *dx = hx ? dev_put(dt, hx, nx, 0, 0, &bx) : NULL;
    void *dx1 = hx ? dev_put(dt, hx, nx, 1, 0, &bx1) : NULL; /* one element past 16-byte alignment */
    void *dw = hw ? dev_put(dt, hw, nw, 0, 0, &bw) : NULL;
    float *db = hb ? dev_put(CM_F32, hb, (size_t)p->out_c, 0, 0, &bb) : NULL;
    const float *bias = cc->no_bias ? NULL : db;
    if (!dx || !dx1 || !dw || !db || !xd || !ref) {
        CHECK(0, "%s: allocation", cc->name);
        goto done;
    }
    fk_ref_conv2d(p, xd, hw, cc->no_bias ? NULL : hb, ref);
    const long K = (long)p->kh * p->kw * p->in_c;
    const double thr_tc = rt_unit_tolerance(dt, CM_MATH_TC, K, 1);
    const double thr_simt = rt_unit_tolerance(dt, CM_MATH_SIMT, K, 1);
    CHECK(!strcmp(fk_conv2d_tiled_name(p, dt), "tiled conv on tensor cores"),
          "%s %s: AUTO would not take the tensor cores", cc->name, cm_dtype_name(dt));
    /* whether the CUDA-core kernel runs it, planned as its launch plans it
     * (this device's SM count): a few large-stride shapes only the
     * tensor-core path's smaller tiles fit (fk_kernels.h), where the
     * CUDA-core launch must refuse them for shared memory, as planned */
    int dev = 0, sms = 0;
    fk_conv_tiling st_simt;
    char why_simt[256] = "";
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
        sms = 0;
    const fk_status simt_plan = fk_conv2d_tiled_plan(p, dt, sms, 0, &st_simt, why_simt, sizeof why_simt);
    CHECK(simt_plan == FK_OK || (simt_plan == FK_ERR_UNSUPPORTED && strstr(why_simt, "shared memory")),
          "%s %s: CUDA-core plan %s (%s)", cc->name, cm_dtype_name(dt), fk_status_str(simt_plan),
          why_simt);
    static const char *vname[7] = {"planned", "tile 16x16", "tile 8x16", "tile 8x8",
                                   "misaligned x, y", "auto", "cuda cores"};
    for (int v = 0; v < 7; v++) {
        char what[256], err[512] = "";
        snprintf(what, sizeof what, "conv_tc %s %s %s", cc->name, cm_dtype_name(dt), vname[v]);
        const size_t yoff = v == 4 ? 1 : 0;
        void *by = NULL, *dy = dev_out(dt, ny, yoff, &by);
        if (!dy) {
            CHECK(0, "%s: allocation", what);
            continue;
        }
        fk_status st;
        if (v == 0) {
            st = fk_conv2d_tiled_path(FK_CONV_PATH_TC, p, dt, 0, dx, dw, bias, dy, 0, err, sizeof err);
        } else if (v <= 3) {
            st = fk_conv2d_tc_with(p, dt, 256 >> (v - 1), dx, dw, bias, dy, 0, err, sizeof err);
        } else if (v == 4) {
            st = fk_conv2d_tc(p, dt, dx1, dw, bias, dy, 0, err, sizeof err);
        } else if (v == 5) {
            st = fk_conv2d_tiled(p, dt, dx, dw, bias, dy, 0, err, sizeof err);
        } else {
            st = fk_conv2d_tiled_path(FK_CONV_PATH_SIMT, p, dt, 0, dx, dw, bias, dy, 0, err, sizeof err);
        }
        if (st == FK_ERR_UNSUPPORTED && v >= 1 && v <= 4 && strstr(err, "shared memory")) {
            /* a forced tile (or the 4-byte staging of a misaligned x) too
             * big for this shape: the planner never takes it */
            if (verbose) printf("  skip %s: %s\n", what, err);
            cudaFree(by);
            continue;
        }
        if (v == 6 && simt_plan != FK_OK) {
            CHECK(st == FK_ERR_UNSUPPORTED && !strcmp(err, why_simt),
                  "%s: %s (%s), the plan refused it (%s)", what, fk_status_str(st), err, why_simt);
            if (verbose) printf("  skip %s: %s\n", what, err);
            cudaFree(by);
            continue;
        }
        CHECK(st == FK_OK, "%s: %s", what, err);
        if (st == FK_OK) judge(what, dt, dy, ref, ny, v == 6 ? thr_simt : thr_tc);
        cudaFree(by);
    }
done:
    cudaFree(bx);
    cudaFree(bx1);
    cudaFree(bw);
    cudaFree(bb);
    free(hx);
    free(hw);
    free(hb);
    free(xd);
    free(ref);
}

/* Inf inputs (about one in 97, no activation, so that a NaN shows): every
 * output whose window holds no Inf is finite in the reference and must be
 * finite and within the threshold here. A kernel that filled the K padding
 * (the stem's k = 27..31) with other inputs instead of zeros would give NaN
 * (0 x Inf) outside the Inf windows. Both paths. */
static void gpu_tc_inf(const conv_case *cc, cm_dtype dt) {
    fk_conv2d q = cc->p;
    q.act = CM_ACT_NONE;
    const fk_conv2d *p = &q;
    const size_t nx = (size_t)p->n * p->in_h * p->in_w * p->in_c;
    const size_t nw = (size_t)p->out_c * p->kh * p->kw * p->in_c;
    const size_t ny = (size_t)p->n * p->out_h * p->out_w * p->out_c;
    const size_t es = (size_t)cm_dtype_bytes(dt);
    float *hx = host_vals(dt, nx, -1.f, 1.f), *hw = host_vals(dt, nw, -0.5f, 0.5f);
    float *hb = host_vals(CM_F32, (size_t)p->out_c, -0.5f, 0.5f);
    double *xd = NULL, *ref = malloc(ny * sizeof(double)), *rf = malloc(ny * sizeof(double));
    float *f = malloc(ny * sizeof(float));
    unsigned char *h = malloc(ny * es);
    void *bx = NULL, *bw = NULL, *bb = NULL;
    if (hx)
        for (size_t i = 5; i < nx; i += 97) hx[i] = (i / 97) % 2 ? INFINITY : -INFINITY;
    xd = hx ? to_double(hx, nx) : NULL;
    void *dx = hx ? dev_put(dt, hx, nx, 0, 0, &bx) : NULL;
    void *dw = hw ? dev_put(dt, hw, nw, 0, 0, &bw) : NULL;
    float *db = hb ? dev_put(CM_F32, hb, (size_t)p->out_c, 0, 0, &bb) : NULL;
    if (!dx || !dw || !db || !xd || !ref || !rf || !f || !h) {
        CHECK(0, "%s: allocation", cc->name);
        goto done;
    }
    fk_ref_conv2d(p, xd, hw, hb, ref);
    for (int path = 0; path < 2; path++) {
        char what[256], err[512] = "";
        snprintf(what, sizeof what, "conv %s %s Inf inputs, %s", cc->name, cm_dtype_name(dt),
                 path ? "cuda cores" : "tensor cores");
        void *by = NULL, *dy = dev_out(dt, ny, 0, &by);
        if (!dy) {
            CHECK(0, "%s: allocation", what);
            continue;
        }
        const fk_status st = fk_conv2d_tiled_path(path ? FK_CONV_PATH_SIMT : FK_CONV_PATH_TC, p, dt, 0,
                                                  dx, dw, db, dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "%s: %s", what, err);
        if (st == FK_OK && cudaDeviceSynchronize() == cudaSuccess &&
            cudaMemcpy(h, dy, ny * es, cudaMemcpyDeviceToHost) == cudaSuccess) {
            size_t m = 0, bad = 0, poisoned = 0;
            for (size_t i = 0; i < ny; i++) {
                poisoned += fk_host_is_poison(dt, h + i * es);
                if (!isfinite(ref[i])) continue;
                const float v = fk_host_to_f32(dt, h + i * es);
                bad += !isfinite(v);
                f[m] = v;
                rf[m++] = ref[i];
            }
            const fk_err_stats e = fk_ref_compare(f, rf, m);
            const double thr = rt_unit_tolerance(dt, path ? CM_MATH_SIMT : CM_MATH_TC,
                                                 (long)p->kh * p->kw * p->in_c, 1);
            n_cases++;
            if (e.rel_l2 / thr > worst_ratio) worst_ratio = e.rel_l2 / thr;
            const bool ok = !poisoned && !bad && m > ny / 4 && m < ny && e.rel_l2 <= thr;
            if (verbose || !ok)
                printf("%s %s: %zu of %zu outputs finite in the reference, %zu not here, rel L2 %.3g "
                       "(threshold %.2g)\n", ok ? "  ok  " : "  FAIL", what, m, ny, bad, e.rel_l2, thr);
            CHECK(ok, "%s: %zu non-finite where the reference is finite, %zu unwritten, rel L2 %.3g "
                  "(threshold %.2g) over %zu of %zu outputs", what, bad, poisoned, e.rel_l2, thr, m, ny);
        } else if (st == FK_OK) {
            CHECK(0, "%s: copy back: %s", what, cudaGetErrorString(cudaGetLastError()));
        }
        cudaFree(by);
    }
done:
    cudaFree(bx);
    cudaFree(bw);
    cudaFree(bb);
    free(hx);
    free(hw);
    free(hb);
    free(xd);
    free(ref);
    free(rf);
    free(f);
    free(h);
}

static void gpu_tc_convs(void) {
    const cm_act R = CM_ACT_RELU, R6 = CM_ACT_RELU6, N = CM_ACT_NONE;
    conv_case cases[] = {
        /* every shipped stem at batch 1 and 3 */
        {"mobilenet_v2/v1 conv1 b1", tc_shape(1, 224, 224, 3, 32, 3, 3, 2, 2, TC_SAME, R6), false},
        {"mobilenet_v2/v1 conv1 b3", tc_shape(3, 224, 224, 3, 32, 3, 3, 2, 2, TC_SAME, R6), false},
        {"mnasnet_b1 conv1 b1", tc_shape(1, 224, 224, 3, 32, 3, 3, 2, 2, 1, R), false},
        {"mnasnet_b1 conv1 b3", tc_shape(3, 224, 224, 3, 32, 3, 3, 2, 2, 1, R), false},
        {"proxylessnas conv1 b1 (3->40)", tc_shape(1, 224, 224, 3, 40, 3, 3, 2, 2, 1, R6), false},
        {"proxylessnas conv1 b3 (3->40)", tc_shape(3, 224, 224, 3, 40, 3, 3, 2, 2, 1, R6), false},
        {"xception b1_conv1 b1 (299 valid)", tc_shape(1, 299, 299, 3, 32, 3, 3, 2, 2, TC_VALID, R), false},
        {"xception b1_conv1 b3 (299 valid)", tc_shape(3, 299, 299, 3, 32, 3, 3, 2, 2, TC_VALID, R), false},
        {"xception b2_res (1x1 s2 64->128)", tc_shape(2, 147, 147, 64, 128, 1, 1, 2, 2, TC_SAME, N), false},
        /* around them: odd H/W, C_out 8 / 40 / 128, kernels 3 / 5 / 7, strides, paddings */
        {"3x3 s2 same 30x28 c3->32", tc_shape(2, 30, 28, 3, 32, 3, 3, 2, 2, TC_SAME, R6), false},
        {"3x3 s2 pad1 33x33 c3->40", tc_shape(1, 33, 33, 3, 40, 3, 3, 2, 2, 1, R6), false},
        {"3x3 s2 valid 37x35 c3->32", tc_shape(3, 37, 35, 3, 32, 3, 3, 2, 2, TC_VALID, R), false},
        {"3x3 s1 same 19x21 c3->8", tc_shape(1, 19, 21, 3, 8, 3, 3, 1, 1, TC_SAME, N), false},
        {"3x3 s1 asym 13x17 c3->128", tc_shape(1, 13, 17, 3, 128, 3, 3, 1, 1, TC_ASYM, R), false},
        {"5x5 s2 same 23x19 c2->40", tc_shape(2, 23, 19, 2, 40, 5, 5, 2, 2, TC_SAME, R6), false},
        {"5x5 s1 pad2 17x15 c1->16 no bias", tc_shape(1, 17, 15, 1, 16, 5, 5, 1, 1, 2, N), true},
        {"7x7 s2 pad3 29x31 c1->64", tc_shape(1, 29, 31, 1, 64, 7, 7, 2, 2, 3, R), false},
        {"7x7 s1 valid 15x16 c1->24", tc_shape(2, 15, 16, 1, 24, 7, 7, 1, 1, TC_VALID, R), false},
        {"7x7 s2 asym 25x23 c1->128", tc_shape(1, 25, 23, 1, 128, 7, 7, 2, 2, TC_ASYM, R6), false},
        {"3x3 s2 same 21x22 c7->48 (K 63)", tc_shape(1, 21, 22, 7, 48, 3, 3, 2, 2, TC_SAME, R), false},
        {"3x3 s1 pad1 11x13 c5->24", tc_shape(1, 11, 13, 5, 24, 3, 3, 1, 1, 1, R6), false},
        {"3x3 s2 same 15x14 c4->16", tc_shape(2, 15, 14, 4, 16, 3, 3, 2, 2, TC_SAME, R6), false},
        {"3x3 s1 pad1 12x12 c6->72", tc_shape(1, 12, 12, 6, 72, 3, 3, 1, 1, 1, R), false},
        {"2x2 s2 valid 18x17 c16->96", tc_shape(1, 18, 17, 16, 96, 2, 2, 2, 2, TC_VALID, N), false},
        {"1x1 s1 valid 9x11 c64->32", tc_shape(1, 9, 11, 64, 32, 1, 1, 1, 1, TC_VALID, R), false},
        {"3x3 s4 pad1 30x29 c2->8 (stride > kernel)", tc_shape(1, 30, 29, 2, 8, 3, 3, 4, 4, 1, R), false},
        {"1x1 s2 valid 13x11 c3->8", tc_shape(1, 13, 11, 3, 8, 1, 1, 2, 2, TC_VALID, N), false},
        {"4x4 s4 valid 32x32 c3->32 (patchify)", tc_shape(1, 32, 32, 3, 32, 4, 4, 4, 4, TC_VALID, N), false},
        {"1x3 s2x1 asym 12x17 c3->16", tc_shape(2, 12, 17, 3, 16, 1, 3, 2, 1, TC_ASYM, R), false},
        {"3x1 s1x2 valid 12x17 c8->16", tc_shape(1, 12, 17, 8, 16, 3, 1, 1, 2, TC_VALID, R), false},
        {"2x2 s4 valid 19x23 c8->8", tc_shape(1, 19, 23, 8, 8, 2, 2, 4, 4, TC_VALID, R), false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[256] = "";
        const fk_conv2d *p = &cases[i].p;
        CHECK(fk_conv2d_check(p, why, sizeof why) == FK_OK, "%s: %s", cases[i].name, why);
        if (quick && (size_t)p->n * p->in_h * p->in_w * p->in_c > 200000) continue;
        for (int d = 1; d < 3; d++) {
            char label[160];
            snprintf(label, sizeof label, "conv_tc %s %s", cases[i].name, cm_dtype_name(dtypes[d]));
            if (!selected(label)) continue;
            const int before = (int)check_count_failed;
            gpu_tc_conv(&cases[i], dtypes[d]);
            printf("conv_tc %-44s %-5s %s\n", cases[i].name, cm_dtype_name(dtypes[d]),
                   check_count_failed == before ? "ok" : "FAILED");
        }
    }
    /* Inf inputs: the stem (K 27 -> 32), K 63 -> 64, 49 -> 64, the 16-byte staging */
    static const size_t inf_cases[] = {9, 19, 16, 23, 8};
    for (size_t i = 0; i < sizeof inf_cases / sizeof inf_cases[0]; i++)
        for (int d = 1; d < 3; d++) {
            const conv_case *cc = &cases[inf_cases[i]];
            char label[160];
            snprintf(label, sizeof label, "conv Inf inputs %s %s", cc->name, cm_dtype_name(dtypes[d]));
            if (!selected(label)) continue;
            if (quick && (size_t)cc->p.n * cc->p.in_h * cc->p.in_w * cc->p.in_c > 200000) continue;
            const int before = (int)check_count_failed;
            gpu_tc_inf(cc, dtypes[d]);
            printf("conv Inf inputs %-36s %-5s %s\n", cases[inf_cases[i]].name, cm_dtype_name(dtypes[d]),
                   check_count_failed == before ? "ok" : "FAILED");
        }
}

/* ---- global average pool and dense (gpu) ------------------------------------------ */

static void gpu_gap(cm_dtype dt, int n, int h, int w, int c, size_t xoff) {
    const size_t nx = (size_t)n * h * w * c, ny = (size_t)n * c;
    float *hx = host_vals(dt, nx, -2.f, 6.f);
    double *xd = to_double(hx, nx), *ref = malloc(ny * sizeof(double));
    void *bx = NULL, *by = NULL;
    void *dx = hx ? dev_put(dt, hx, nx, xoff, 0, &bx) : NULL, *dy = dev_out(dt, ny, 0, &by);
    char what[160], err[512] = "";
    snprintf(what, sizeof what, "global_avg_pool %dx%dx%dx%d %s%s", n, h, w, c, cm_dtype_name(dt),
             xoff ? " misaligned x" : "");
    if (dx && dy && xd && ref) {
        fk_ref_global_avg_pool(n, h, w, c, xd, ref);
        const fk_status st = fk_global_avg_pool(n, h, w, c, dt, dx, dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "%s: %s", what, err);
        if (st == FK_OK) judge(what, dt, dy, ref, ny, rt_unit_tolerance(dt, CM_MATH_SIMT, (long)h * w, 1));
    } else {
        CHECK(0, "%s: allocation", what);
    }
    cudaFree(bx);
    cudaFree(by);
    free(hx);
    free(xd);
    free(ref);
}

static void gpu_dense(cm_dtype dt, fk_dense_path path, int n, int in_c, int units, cm_act act,
                      bool bias, size_t xoff) {
    const size_t nx = (size_t)n * in_c, nw = (size_t)units * in_c, ny = (size_t)n * units;
    float *hx = host_vals(dt, nx, -1.f, 3.f), *hw = host_vals(dt, nw, -0.1f, 0.1f);
    float *hb = host_vals(CM_F32, (size_t)units, -1.f, 1.f);
    double *xd = to_double(hx, nx), *ref = malloc(ny * sizeof(double));
    void *bx = NULL, *bw = NULL, *bb = NULL, *by = NULL;
    void *dx = hx ? dev_put(dt, hx, nx, xoff, 0, &bx) : NULL;
    void *dw = hw ? dev_put(dt, hw, nw, 0, 0, &bw) : NULL;
    float *db = hb ? dev_put(CM_F32, hb, (size_t)units, 0, 0, &bb) : NULL;
    void *dy = dev_out(dt, ny, 0, &by);
    static const char *pn[3] = {"auto", "rows", "tiled"};
    char what[160], err[512] = "";
    snprintf(what, sizeof what, "dense %s n%d %d->%d %s%s%s", pn[path], n, in_c, units,
             cm_dtype_name(dt), bias ? "" : " no bias", xoff ? " misaligned x" : "");
    if (dx && dw && db && dy && xd && ref) {
        fk_ref_dense(n, in_c, units, act, xd, hw, bias ? hb : NULL, ref);
        const fk_status st = fk_dense_with(path, n, in_c, units, act, dt, dx, dw, bias ? db : NULL,
                                           dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "%s: %s", what, err);
        if (st == FK_OK) judge(what, dt, dy, ref, ny, rt_unit_tolerance(dt, CM_MATH_SIMT, in_c, 1));
    } else {
        CHECK(0, "%s: allocation", what);
    }
    cudaFree(bx);
    cudaFree(bw);
    cudaFree(bb);
    cudaFree(by);
    free(hx);
    free(hw);
    free(hb);
    free(xd);
    free(ref);
}

static void gpu_gap_dense(void) {
    for (int d = 0; d < 3; d++) {
        const cm_dtype dt = dtypes[d];
        char label[160];
        snprintf(label, sizeof label, "global_avg_pool, dense %s", cm_dtype_name(dt));
        if (!selected(label)) continue;
        const int before = (int)check_count_failed;
        gpu_gap(dt, 3, 7, 7, 1280, 0); /* MobileNetV2's, 16-byte path */
        gpu_gap(dt, 2, 5, 3, 24, 0);   /* fp32 and 16-bit vector paths, a partial channel group */
        gpu_gap(dt, 2, 7, 7, 1283, 0); /* odd: element path */
        gpu_gap(dt, 1, 1, 1, 72, 0);   /* one pixel */
        gpu_gap(dt, 2, 3, 3, 64, 1);   /* misaligned x: element path */
        for (int path = 0; path < 3; path++) {
            const fk_dense_path p = (fk_dense_path)path;
            gpu_dense(dt, p, 64, 1280, 1000, CM_ACT_NONE, true, 0); /* MobileNetV2's classifier */
            gpu_dense(dt, p, 67, 1001, 37, CM_ACT_RELU, true, 0);   /* element path, partial tiles */
            gpu_dense(dt, p, 3, 8, 5, CM_ACT_RELU6, true, 0);
            gpu_dense(dt, p, 17, 128, 33, CM_ACT_NONE, false, 0);  /* exactly one chunk, no bias */
            gpu_dense(dt, p, 1, 1280, 1000, CM_ACT_NONE, true, 0);
            gpu_dense(dt, p, 9, 264, 40, CM_ACT_RELU, true, 1);     /* misaligned x */
        }
        printf("global_avg_pool, dense %-5s %s\n", cm_dtype_name(dt),
               check_count_failed == before ? "ok" : "FAILED");
    }
}

int main(int argc, char **argv) {
    verbose = getenv("FK_TEST_VERBOSE") && atoi(getenv("FK_TEST_VERBOSE"));
    quick = getenv("FK_TEST_QUICK") && atoi(getenv("FK_TEST_QUICK"));
    only = getenv("FK_TEST_ONLY");
    if (only && !only[0]) only = NULL;
    if (argc > 1 && strcmp(argv[1], "--cpu") == 0) {
        cpu_shipped();
        cpu_limits();
        cpu_random();
        cpu_tc();
        return check_summary("ops (cpu)");
    }
    int ndev = 0;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    if (e != cudaSuccess || ndev == 0) {
        printf("ops: no CUDA device (%s), skipped\n",
               e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    struct cudaDeviceProp pr;
    if (cudaGetDeviceProperties(&pr, 0) == cudaSuccess)
        printf("ops: device %s (sm_%d%d, %d SMs)\n", pr.name, pr.major, pr.minor, pr.multiProcessorCount);
    gpu_convs();
    gpu_tc_convs();
    gpu_gap_dense();
    printf("ops: %d cases compared, worst rel L2 / threshold %.3g\n", n_cases, worst_ratio);
    return check_summary("ops");
}
