/* test_costmodel.c - tests of the cost model (suite cpu).
 *
 * 1. Closed-form traffic (cm_unit_traffic, cm_estimate_unit) against the
 *    literal simulator (cm_simulate_traffic) on random units and tiles of every
 *    kind: fixed-seed PRNG, odd sizes, stride 2, kernels 3/5/7, asymmetric
 *    padding, channels that are not multiples of the tile or chunk, tiles
 *    larger than the image, batch 1..4, every dtype, residual on and off.
 * 2. The worked example of docs/costmodel.md (MobileNetV2 block 3 on H100 SXM)
 *    with its numbers asserted: bytes exact, times to 1e-6 relative.
 * 3. Footprints, feasibility reasons, unit errors, names, variants, the
 *    enumerator's order, cm_estimate_other, calibration defaults.
 *
 * Run with --print to print the worked example's numbers (to refresh the
 * docs after a deliberate model change). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cm_h100.h"
#include "cm_smem_layout.h" /* CM_SMEM_ROW_UNIT */
#include "costmodel.h"
#include "test_rng.h"

/* ---- PRNG (splitmix64, fixed seed) ---------------------------------------------- */

/* rng_state starts at 0x5eed0fc0575eedULL (main) */

/* Channel counts: mostly small and odd-ish, sometimes aligned, sometimes 1. */
static int rnd_ch(int max) {
    switch (rnd(0, 5)) {
    case 0: return rnd(1, 4);
    case 1: return 8 * rnd(1, max / 8 > 0 ? max / 8 : 1);
    default: return rnd(1, max);
    }
}

/* ---- the H100 SXM of the worked example ---------------------------------------- */

static cm_gpu h100_sxm(void) { return cm_fixture_h100_sxm(); }

/* ---- unit builders ----------------------------------------------------------------- */

static cm_conv pw_layer(int h, int w, int c, int f, cm_act act) {
    cm_conv L = {h, w, c, h, w, f, 1, 1, 0, 0, act};
    return L;
}

/* DW layer from explicit top/bottom/left/right padding. */
static cm_conv dw_layer(int h, int w, int c, int k, int s, int pt, int pb, int pl, int pr, cm_act act) {
    cm_conv L = {h, w, c, (h + pt + pb - k) / s + 1, (w + pl + pr - k) / s + 1, c, k, s, pt, pl, act};
    return L;
}

/* An fp16 PW on tensor cores: hw x hw x c -> f at this batch. */
static cm_unit pw16_unit(int hw, int c, int f, int batch) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PW;
    u.math = CM_MATH_TC;
    u.dtype = CM_F16;
    u.batch = batch;
    u.layers[0] = pw_layer(hw, hw, c, f, CM_ACT_NONE);
    return u;
}

/* An fp16 DWPW on tensor cores: DW 3x3 stride 1 "same" on hw x hw x c, then
 * PW c -> f, at this batch. */
static cm_unit dwpw16_unit(int hw, int c, int f, int batch) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_DWPW;
    u.math = CM_MATH_TC;
    u.dtype = CM_F16;
    u.batch = batch;
    u.layers[0] = dw_layer(hw, hw, c, 3, 1, 1, 1, 1, 1, CM_ACT_RELU);
    u.layers[1] = pw_layer(hw, hw, c, f, CM_ACT_RELU);
    return u;
}

/* An fp32 PWDWPW on CUDA cores, an inverted-residual block on hw x hw: expand
 * c -> e (ReLU6), DW k x k stride 1 "same" (ReLU6), project e -> f, at this
 * batch, no residual. */
static cm_unit pwdwpw32_unit(int hw, int c, int e, int k, int f, int batch) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PWDWPW;
    u.dtype = CM_F32;
    u.batch = batch;
    u.layers[0] = pw_layer(hw, hw, c, e, CM_ACT_RELU6);
    u.layers[1] = dw_layer(hw, hw, e, k, 1, k / 2, k / 2, k / 2, k / 2, CM_ACT_RELU6);
    u.layers[2] = pw_layer(hw, hw, e, f, CM_ACT_NONE);
    return u;
}

/* Random DW layer on an h x w x c input: kernel 3/5/7, stride 1/2, random
 * (possibly asymmetric) padding with at least one output. */
static cm_conv rnd_dw(int h, int w, int c) {
    for (;;) {
        int k = 3 + 2 * rnd(0, 2), s = rnd(1, 2);
        int pt = rnd(0, k - 1), pb = rnd(0, k - 1), pl = rnd(0, k - 1), pr = rnd(0, k - 1);
        if (rnd(0, 3) == 0) pt = pb = pl = pr = k / 2; /* "same"-like */
        if (h + pt + pb < k || w + pl + pr < k) continue;
        return dw_layer(h, w, c, k, s, pt, pb, pl, pr, (cm_act)rnd(0, 2));
    }
}

static cm_unit rnd_unit(cm_kind kind) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = kind;
    u.batch = rnd(1, 4);
    u.dtype = (cm_dtype)rnd(0, CM_DTYPE_COUNT - 1);
    u.residual = rnd(0, 1);
    int h = rnd(1, 40), w = rnd(1, 40);
    if (rnd(0, 7) == 0) h = rnd(1, 3);
    if (rnd(0, 7) == 0) w = rnd(1, 3);
    int c = rnd_ch(150);
    switch (kind) {
    case CM_KIND_DW: u.layers[0] = rnd_dw(h, w, c); break;
    case CM_KIND_PW: u.layers[0] = pw_layer(h, w, c, rnd_ch(150), CM_ACT_NONE); break;
    case CM_KIND_DWPW:
        u.layers[0] = rnd_dw(h, w, c);
        u.layers[1] = pw_layer(u.layers[0].out_h, u.layers[0].out_w, c, rnd_ch(150), CM_ACT_NONE);
        break;
    case CM_KIND_PWDW: {
        int e = rnd_ch(200);
        u.layers[0] = pw_layer(h, w, c, e, CM_ACT_RELU6);
        u.layers[1] = rnd_dw(h, w, e);
        break;
    }
    case CM_KIND_PWPW: {
        int f1 = rnd_ch(150);
        u.layers[0] = pw_layer(h, w, c, f1, CM_ACT_RELU);
        u.layers[1] = pw_layer(h, w, f1, rnd_ch(150), CM_ACT_NONE);
        break;
    }
    case CM_KIND_PWDWPW: {
        int e = rnd_ch(200);
        u.layers[0] = pw_layer(h, w, c, e, CM_ACT_RELU6);
        u.layers[1] = rnd_dw(h, w, e);
        u.layers[2] = pw_layer(u.layers[1].out_h, u.layers[1].out_w, e, rnd_ch(150), CM_ACT_NONE);
        break;
    }
    default: break;
    }
    return u;
}

/* A table row of the kind (half the time) or a random tile. */
static cm_tile rnd_tile(cm_kind kind) {
    size_t nv = 0;
    const cm_variant *v = cm_variants(&nv);
    if (rnd(0, 1)) {
        size_t idx[64], n = 0;
        for (size_t i = 0; i < nv && n < 64; i++)
            if (v[i].id.kind == kind) idx[n++] = i;
        if (n) return v[idx[rnd(0, (int)n - 1)]].id.tile;
    }
    cm_tile t;
    t.tile_h = cm_kind_is_flat(kind) ? 1 : rnd(1, 12);
    t.tile_w = cm_kind_is_flat(kind) ? rnd(1, 160) : rnd(1, 12);
    t.tile_c = rnd(1, 80);
    t.chunk_c = kind == CM_KIND_DW ? t.tile_c : rnd(1, 80);
    t.threads = 32 * rnd(1, 8);
    return t;
}

/* Rough number of segments the simulator replays (to keep the test fast:
 * cases above a budget are redrawn, which biases nothing but size). */
static double sim_cost(const cm_unit *u, const cm_tile *t) {
    const cm_conv *a = &u->layers[0], *z = &u->layers[cm_kind_layers(u->kind) - 1];
    double n = u->batch, C = a->in_c, F = z->out_c, M = cm_kind_layers(u->kind) > 1 ? a->out_c : 0;
    double red = u->kind == CM_KIND_PWDWPW ? M : C;
    double chunks = ceil(red / t->chunk_c), nct = ceil(F / t->tile_c);
    double tiles = cm_kind_is_flat(u->kind) ? ceil(n * a->in_h * a->in_w / t->tile_w)
                                            : n * ceil((double)z->out_h / t->tile_h) * ceil((double)z->out_w / t->tile_w);
    double px = cm_kind_is_flat(u->kind) ? t->tile_w : (t->tile_h * 2.0 + 7) * (t->tile_w * 2.0 + 7);
    return tiles * nct * (px * (chunks + 1) + (M + t->tile_c) * (chunks + 1) + t->tile_h * t->tile_w * 2.0);
}

static void describe(char *buf, size_t len, const cm_unit *u, const cm_tile *t) {
    const cm_conv *a = &u->layers[0];
    const cm_conv *z = &u->layers[cm_kind_layers(u->kind) - 1];
    int dwi = (u->kind == CM_KIND_DW || u->kind == CM_KIND_DWPW) ? 0
              : (u->kind == CM_KIND_PWDW || u->kind == CM_KIND_PWDWPW) ? 1 : -1;
    const cm_conv *d = dwi >= 0 ? &u->layers[dwi] : a;
    snprintf(buf, len, "%s n%d %s res%d %dx%dx%d -> %dx%dx%d k%d s%d p%d,%d mid %d | tile %dx%dx%d k%d n%d",
             cm_kind_name(u->kind), u->batch, cm_dtype_name(u->dtype), u->residual, a->in_h, a->in_w, a->in_c,
             z->out_h, z->out_w, z->out_c, d->kernel, d->stride, d->pad_top, d->pad_left,
             cm_kind_layers(u->kind) > 1 ? a->out_c : 0, t->tile_h, t->tile_w, t->tile_c, t->chunk_c, t->threads);
}

/* ---- 1. closed form vs simulator ----------------------------------------------------- */

static int cases_per_kind[CM_KIND_COUNT];

static void test_traffic_random(int per_kind) {
    const cm_gpu g = h100_sxm();
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        int done = 0, mism = 0;
        for (int i = 0; i < per_kind; i++) {
            cm_unit u = rnd_unit((cm_kind)k);
            cm_tile t = rnd_tile((cm_kind)k);
            while (sim_cost(&u, &t) > 3e6) {
                u = rnd_unit((cm_kind)k);
                t = rnd_tile((cm_kind)k);
            }
            char err[256], d[256];
            describe(d, sizeof d, &u, &t);
            cm_status su = cm_unit_check(&u, err, sizeof err);
            CHECK(su == CM_OK, "random unit rejected: %s (%s)", err, d);
            if (su != CM_OK) continue;
            cm_traffic a, b;
            cm_status s1 = cm_unit_traffic(&u, &t, &a);
            cm_status s2 = cm_simulate_traffic(&u, &t, &b);
            CHECK(s1 == CM_OK && s2 == CM_OK, "status %d/%d (%s)", s1, s2, d);
            if (s1 != CM_OK || s2 != CM_OK) continue;
            done++;
            if (a.load_bytes != b.load_bytes || a.store_bytes != b.store_bytes) mism++;
            CHECK(a.load_bytes == b.load_bytes && a.store_bytes == b.store_bytes,
                  "closed %llu/%llu != sim %llu/%llu (%s)", (unsigned long long)a.load_bytes,
                  (unsigned long long)a.store_bytes, (unsigned long long)b.load_bytes,
                  (unsigned long long)b.store_bytes, d);
            /* the estimate reports the same traffic when the tile is feasible */
            cm_estimate e;
            if (cm_estimate_unit(&u, &t, &g, &e) == CM_OK) {
                CHECK(e.traffic.load_bytes == a.load_bytes && e.traffic.store_bytes == a.store_bytes,
                      "estimate traffic differs (%s)", d);
                CHECK(e.dram_read_bytes <= e.traffic.load_bytes, "dram read > L2 loads (%s)", d);
                CHECK(e.dram_write_bytes <= e.traffic.store_bytes, "dram write > stores (%s)", d);
                CHECK(e.time_us >= e.t_launch_us && isfinite(e.time_us), "time (%s)", d);
                CHECK(e.waves >= 1 && e.ctas >= 1, "waves/ctas (%s)", d);
            }
        }
        cases_per_kind[k] = done;
        CHECK(done >= per_kind * 9 / 10, "%s: only %d of %d cases ran", cm_kind_name((cm_kind)k), done, per_kind);
        (void)mism;
    }
}

/* ---- 1b. sectors the L2 serves twice: closed form vs literal replay ---------------- */

/* Random fp32 units whose channel counts are multiples of 4 (the kernels'
 * vector path) and tiles with tile_c, chunk_c multiples of 4: the parity
 * arithmetic of cm_unit_l2_split_bytes against cm_simulate_l2_split, which
 * replays every 16-byte copy to its shared-memory row. */
static void test_split_random(int per_kind) {
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        int done = 0, nonzero = 0;
        for (int i = 0; i < per_kind; i++) {
            cm_unit u;
            memset(&u, 0, sizeof u);
            u.kind = (cm_kind)k;
            u.batch = rnd(1, 3);
            u.dtype = CM_F32;
            const int nl = cm_kind_layers(u.kind);
            const int dwi = (k == CM_KIND_DW || k == CM_KIND_DWPW)       ? 0
                            : (k == CM_KIND_PWDW || k == CM_KIND_PWDWPW) ? 1
                                                                         : -1;
            int h = rnd(1, 20), w = rnd(1, 20), c = 4 * rnd(1, 20);
            for (int l = 0; l < nl; l++) {
                if (l == dwi) {
                    u.layers[l] = rnd_dw(h, w, c);
                    h = u.layers[l].out_h, w = u.layers[l].out_w;
                } else {
                    int o = 4 * rnd(1, 20);
                    u.layers[l] = pw_layer(h, w, c, o, CM_ACT_NONE);
                    c = o;
                }
            }
            cm_tile t;
            t.tile_h = cm_kind_is_flat(u.kind) ? 1 : rnd(1, 8);
            t.tile_w = cm_kind_is_flat(u.kind) ? 4 * rnd(1, 16) : rnd(1, 8);
            t.tile_c = 4 * rnd(1, 12);
            t.chunk_c = k == CM_KIND_DW ? t.tile_c : 4 * rnd(1, 10);
            t.threads = 32 * rnd(1, 8);
            char d[256];
            describe(d, sizeof d, &u, &t);
            uint64_t a = 0, b = 0;
            if (cm_unit_check(&u, NULL, 0) != CM_OK) continue;
            CHECK(cm_unit_l2_split_bytes(&u, &t, &a) == CM_OK && cm_simulate_l2_split(&u, &t, &b) == CM_OK,
                  "split status (%s)", d);
            CHECK(a == b, "split closed %llu != replay %llu (%s)", (unsigned long long)a, (unsigned long long)b, d);
            done++;
            nonzero += a > 0;
        }
        CHECK(done >= per_kind * 9 / 10 && nonzero >= done / 4, "%s: %d split cases, %d nonzero",
              cm_kind_name((cm_kind)k), done, nonzero);
    }
}

/* One tensor-core unit and tile, if the kernels take the tile (feasible or
 * not on the H100): the closed form against the replay; counts the cases
 * and those with split sectors. */
static void tc_split_case(const cm_unit *u, const cm_tile *t, int *done, int *nonzero) {
    cm_footprint fp;
    const cm_gpu g = h100_sxm();
    if (cm_unit_check(u, NULL, 0) != CM_OK) return;
    const cm_status ts = cm_tile_check(u, t, &g, &fp, NULL, 0);
    if (ts != CM_OK && ts != CM_INFEASIBLE) return; /* not a tile the kernels compile */
    char d[256];
    describe(d, sizeof d, u, t);
    uint64_t a = 0, b = 0;
    CHECK(cm_unit_l2_split_bytes(u, t, &a) == CM_OK && cm_simulate_l2_split(u, t, &b) == CM_OK,
          "tc split status (%s)", d);
    CHECK(a == b, "tc split closed %llu != replay %llu (%s)", (unsigned long long)a, (unsigned long long)b, d);
    (*done)++;
    *nonzero += a > 0;
}

/* Random PW units on tensor cores (fp16, bf16, TF32) with the compiled
 * tiles' shapes: the closed form against the replay. */
static void test_split_random_pw_tc(int n) {
    static const int tws[] = {16, 32, 64, 128}, tcs[] = {32, 64, 128}, nts[] = {64, 128, 256, 512};
    static const cm_dtype dts[] = {CM_F16, CM_BF16, CM_F32};
    int done = 0, nonzero = 0;
    for (int i = 0; i < n; i++) {
        cm_unit u;
        memset(&u, 0, sizeof u);
        u.kind = CM_KIND_PW;
        u.math = CM_MATH_TC;
        u.dtype = dts[rnd(0, 2)];
        u.batch = rnd(1, 3);
        /* channels: one chunk of whole 16-byte rows, several chunks (split
         * in segments of 128 bytes or more), or not 16-byte rows (none);
         * rows of an odd number of 16-byte units split (C = 8 mod 16 in 16
         * bits, 4 mod 8 in fp32), the others do not (fk_pw_tc.cuh) */
        const int r = rnd(0, 3);
        const int c = r == 0 ? rnd(1, 300) : r == 1 ? 16 * rnd(3, 40) + 8 * rnd(0, 1) + 4 * rnd(0, 1) : 8 * rnd(1, 4);
        u.layers[0] = pw_layer(rnd(1, 20), rnd(1, 20), c, 4 * rnd(1, 60), CM_ACT_NONE);
        /* chunks of 32, and of 64 for 16 bits (128-byte segments: rows of
         * several chunks split too) */
        const int kc = u.dtype != CM_F32 && rnd(0, 1) ? 64 : 32;
        const cm_tile t = {1, tws[rnd(0, 3)], tcs[rnd(0, 2)], kc, nts[rnd(0, 3)]};
        tc_split_case(&u, &t, &done, &nonzero);
    }
    CHECK(done >= n / 2 && nonzero >= done / 6, "pw tc: %d split cases, %d nonzero", done, nonzero);
}

/* Random PWDWPW, DWPW and PWDW units on tensor cores with the compiled tiles (the
 * rows of cm_variants.inc): the closed form against the replay. */
static void test_split_random_fused_tc(cm_kind kind, int n) {
    size_t nv;
    const cm_variant *vs = cm_variants(&nv);
    const cm_variant *rows[64];
    int nr = 0;
    for (size_t i = 0; i < nv && nr < 64; i++)
        if (vs[i].id.kind == kind && vs[i].id.math == CM_MATH_TC) rows[nr++] = &vs[i];
    CHECK(nr > 0, "no %s tensor-core rows", cm_kind_name(kind));
    if (!nr) return;
    int done = 0, nonzero = 0;
    for (int i = 0; i < n; i++) {
        const cm_variant *v = rows[rnd(0, nr - 1)];
        cm_unit u;
        memset(&u, 0, sizeof u);
        u.kind = kind;
        u.math = CM_MATH_TC;
        u.dtype = v->id.dtype;
        u.batch = rnd(1, 2);
        /* C: mostly whole 16-byte rows, for DWPW and PWDW one chunk or
         * several (their short segments: a quarter of the rule) */
        const int h = rnd(3, 20), w = rnd(3, 20), f = 8 * rnd(1, 12);
        const int c = rnd(0, 3) ? 8 * rnd(1, kind == CM_KIND_PWDWPW ? 6 : 12) : rnd(1, 48);
        if (kind == CM_KIND_DWPW) {
            u.layers[0] = rnd_dw(h, w, c);
            u.layers[1] = pw_layer(u.layers[0].out_h, u.layers[0].out_w, c, f, CM_ACT_NONE);
        } else if (kind == CM_KIND_PWDW) {
            u.layers[0] = pw_layer(h, w, c, f, CM_ACT_RELU6);
            u.layers[1] = rnd_dw(h, w, f);
        } else {
            const int e = 8 * rnd(1, 24);
            u.layers[0] = pw_layer(h, w, c, e, CM_ACT_RELU6);
            u.layers[1] = rnd_dw(h, w, e);
            u.layers[2] = pw_layer(u.layers[1].out_h, u.layers[1].out_w, e, f, CM_ACT_NONE);
        }
        tc_split_case(&u, &v->id.tile, &done, &nonzero);
    }
    CHECK(done >= n / 2 && nonzero >= done / 5, "%s tc: %d split cases, %d nonzero", cm_kind_name(kind), done,
          nonzero);
}

/* PW by hand: 56x56x64 -> 128, tile 1x64 c64 k32 (rows of 36 words, 9
 * units): every global row segment is 128 bytes at a 32-byte aligned
 * offset, and the odd rows of each staged matrix start 16 bytes into a
 * 32-byte chunk: half the X and W segments, 4 sectors each, go twice.
 * In fp16 on tensor cores (permuted unpadded rows: only rows that start at
 * an odd 16-byte unit split), nothing on the scalar paths (C = 62 fp32: 4-byte copies through
 * L1; C = 20 fp16: plain loads) and nothing with 32-byte row units (the A/B
 * build). */
static void test_split_hand(void) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PW;
    u.batch = 1;
    u.dtype = CM_F32;
    u.layers[0] = pw_layer(56, 56, 64, 128, CM_ACT_NONE);
    cm_tile t = {1, 64, 64, 32, 256};
    uint64_t b = 0;
    CHECK(cm_unit_l2_split_bytes(&u, &t, &b) == CM_OK, "split pw status");
    /* X: 3136 pixels x 2 chunks x 2 channel tiles; W: 128 rows x 2 chunks x 49 pixel tiles */
    const uint64_t x_segs = 3136 * 2 * 2, w_segs = 128 * 2 * 49;
#if CM_SMEM_ROW_UNIT == 4
    CHECK(b == (x_segs + w_segs) / 2 * 4 * 32, "pw split %llu, want %llu", (unsigned long long)b,
          (unsigned long long)((x_segs + w_segs) / 2 * 4 * 32));
#else
    CHECK(b == 0, "32-byte row units split nothing: %llu", (unsigned long long)b);
#endif
    cm_gpu g = h100_sxm();
    cm_estimate e;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "pw est");
    /* the bias is read through L1 (__ldg): once per SM per channel tile, not
     * once per pixel tile (49 pixel tiles on 132 SMs: all of them) */
    CHECK(e.l2_read_bytes == e.traffic.load_bytes + b, "l2 reads %llu = %llu + %llu",
          (unsigned long long)e.l2_read_bytes, (unsigned long long)e.traffic.load_bytes, (unsigned long long)b);
    u.batch = 8; /* 392 pixel tiles: 260 of them find the bias in their SM's L1 */
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK && cm_unit_l2_split_bytes(&u, &t, &b) == CM_OK, "pw b8");
    CHECK(e.l2_read_bytes == e.traffic.load_bytes + b - (392 - 132) * 2 * 8 * 32,
          "l2 reads b8 %llu", (unsigned long long)e.l2_read_bytes);
    /* fp16 on tensor cores (fk_pw_tc.cuh): unpadded rows whose 16-byte units
     * are permuted by an XOR (cm_pw_tc_swz), which keeps a global sector
     * whole where the row starts at an even unit. C = 32 (64-byte rows, all
     * starts even): nothing splits */
    u.dtype = CM_F16;
    u.math = CM_MATH_TC;
    u.layers[0] = pw_layer(56, 56, 32, 128, CM_ACT_NONE);
    CHECK(cm_unit_l2_split_bytes(&u, &t, &b) == CM_OK && b == 0, "fp16 C 32: %llu", (unsigned long long)b);
    /* ... and the L2 request coalescer merges a share of the weight reads
     * that grows with the grid (lrc_weight_share): 0.5 x (1 - 2 / CTAs). W is
     * 128 rows x 64 bytes per pixel tile (two channel tiles of 64 rows), 392
     * pixel tiles (batch 8): 784 CTAs; the bias is not merged. Batch 1: 98
     * CTAs, a smaller share; one pixel tile of 1 x 32 pixels (a 4x8 map): 2
     * CTAs of 64 channels, nothing merged */
    {
        const uint64_t w_bytes = 392ull * 128 * 64;
        CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "fp16 pw est");
        CHECK(e.l2_read_bytes == e.traffic.load_bytes - (uint64_t)(0.5 * (1.0 - 2.0 / 784) * (double)w_bytes),
              "fp16 pw l2 reads %llu: loads %llu less 0.5 x (1 - 2/784) x %llu weight bytes",
              (unsigned long long)e.l2_read_bytes, (unsigned long long)e.traffic.load_bytes,
              (unsigned long long)w_bytes);
        cm_unit u1 = u;
        u1.batch = 1;
        CHECK(cm_estimate_unit(&u1, &t, &g, &e) == CM_OK &&
                  e.l2_read_bytes == e.traffic.load_bytes - (uint64_t)(0.5 * (1.0 - 2.0 / 98) * (49.0 * 128 * 64)),
              "fp16 pw b1 l2 reads %llu, loads %llu", (unsigned long long)e.l2_read_bytes,
              (unsigned long long)e.traffic.load_bytes);
        u1.layers[0] = pw_layer(4, 8, 32, 128, CM_ACT_NONE);
        const cm_tile t2 = {1, 32, 64, 32, 128};
        CHECK(cm_estimate_unit(&u1, &t2, &g, &e) == CM_OK && e.l2_read_bytes == e.traffic.load_bytes,
              "fp16 pw 2 CTAs: l2 reads %llu, loads %llu", (unsigned long long)e.l2_read_bytes,
              (unsigned long long)e.traffic.load_bytes);
    }
    /* C = 24: 48-byte rows, 3 units: the odd rows start at an odd unit and
     * split the one sector whose halves they both copy. X: 8 x 3136 / 2 odd
     * pixel rows x 2 channel tiles, W: 64 odd rows x 8 x 49 pixel tiles */
    u.layers[0] = pw_layer(56, 56, 24, 128, CM_ACT_NONE);
    const uint64_t odd24 = 8 * 3136 / 2 * 2 + 64 * 8 * 49;
    CHECK(cm_unit_l2_split_bytes(&u, &t, &b) == CM_OK && b == odd24 * 32, "fp16 C 24: %llu, want %llu",
          (unsigned long long)b, (unsigned long long)(odd24 * 32));
    /* two chunks (C = 64, even starts): nothing */
    u.layers[0] = pw_layer(56, 56, 64, 128, CM_ACT_NONE);
    CHECK(cm_unit_l2_split_bytes(&u, &t, &b) == CM_OK && b == 0, "fp16 C 64: %llu", (unsigned long long)b);
    /* chunks of 128 bytes (k64): C = 128, nothing; C = 136 (17 units, odd
     * rows start odd): segments of 128, 128 and 16 bytes, the first two
     * split 3 sectors each on every odd row (rows of several chunks, 128
     * bytes: the rule's full count), the last none. X: 8 x 3136 / 2 odd
     * rows x 1 channel tile, W: 32 odd rows x 392 pixel tiles */
    {
        cm_unit u2 = u;
        u2.layers[0] = pw_layer(56, 56, 128, 64, CM_ACT_NONE);
        const cm_tile t64 = {1, 64, 64, 64, 128};
        CHECK(cm_unit_l2_split_bytes(&u2, &t64, &b) == CM_OK && b == 0, "fp16 k64 C 128: %llu",
              (unsigned long long)b);
        u2.layers[0] = pw_layer(56, 56, 136, 64, CM_ACT_NONE);
        const uint64_t odd136 = (8 * 3136 / 2 + 32 * 392) * 6;
        CHECK(cm_unit_l2_split_bytes(&u2, &t64, &b) == CM_OK && b == odd136 * 32, "fp16 k64 C 136: %llu, want %llu",
              (unsigned long long)b, (unsigned long long)(odd136 * 32));
    }
    u.layers[0] = pw_layer(56, 56, 20, 128, CM_ACT_NONE); /* 40-byte rows: scalar path */
    CHECK(cm_unit_l2_split_bytes(&u, &t, &b) == CM_OK && b == 0, "fp16 scalar path: %llu", (unsigned long long)b);
    u.dtype = CM_F32;
    u.math = CM_MATH_SIMT;
    u.layers[0] = pw_layer(56, 56, 62, 128, CM_ACT_NONE);
    CHECK(cm_unit_l2_split_bytes(&u, &t, &b) == CM_OK && b == 0, "scalar path: %llu", (unsigned long long)b);
}

/* Executed work: a spatial tile larger than the image computes its whole
 * tile (8x8 outputs over a 10x10 patch on a 7x7 map), and a channel tile
 * wider than the projection's channels pads the projection only, not the
 * expansion or the DW (issue 12: the fill used to divide the whole unit's
 * compute). */
static void test_executed_flops(void) {
    cm_gpu g = h100_sxm();
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PWDWPW;
    u.batch = 1;
    u.dtype = CM_F32;
    u.layers[0] = pw_layer(7, 7, 160, 960, CM_ACT_RELU6);
    u.layers[1] = dw_layer(7, 7, 960, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    u.layers[2] = pw_layer(7, 7, 960, 160, CM_ACT_NONE);
    cm_tile t = {8, 8, 32, 32, 256};
    cm_estimate e;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "pwdwpw 7x7 est");
    /* 1 spatial tile x 5 channel tiles; full patch 100, 64 outputs, E 960 in 30 chunks */
    const double exe = 5 * (2.0 * 100 * 160 * 960 + 2.0 * 64 * 960 * 9 + 2.0 * 64 * 32 * 960);
    const double use = 5 * (2.0 * 49 * 160 * 960 + 2.0 * 49 * 960 * 9) + 2.0 * 49 * 960 * 160;
    CHECK(e.flops_cuda == exe && fabs(e.tile_fill - use / exe) < 1e-12, "7x7 8x8: %.0f (fill %.3f)", e.flops_cuda,
          e.tile_fill);
    /* MobileNetV2 block 1 (16 -> 96 -> 24) with a c32 projection tile: only
     * the projection computes 8 zero channels */
    u.layers[0] = pw_layer(56, 56, 16, 96, CM_ACT_RELU6);
    u.layers[1] = dw_layer(56, 56, 96, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    u.layers[2] = pw_layer(56, 56, 96, 24, CM_ACT_NONE);
    t = (cm_tile){8, 8, 32, 32, 256};
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "b1 est");
    const double ctas = 49, proj_exe = ctas * 2.0 * 64 * 32 * 96, proj_use = 2.0 * 3136 * 96 * 24;
    const double rest = ctas * (2.0 * 100 * 16 * 96 + 2.0 * 64 * 96 * 9);
    CHECK(e.flops_cuda == rest + proj_exe, "b1 executed %.0f", e.flops_cuda);
    CHECK(proj_exe / proj_use == 32.0 / 24.0, "only the projection pads its channels");
    /* the same block in fp16 on tensor cores (CM_PWDWPW_TC_TILE_KSTEPS): the
     * expansion over the patch in whole m16 tiles (100 -> 112 rows), C = 16
     * in one k-step of 16 plus 4 k-steps of per-tile work; the DW by mma
     * (8 x 10/9 per useful FLOP for 3x3); all of it on the tensor peak */
    u.dtype = CM_F16;
    u.math = CM_MATH_TC;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "b1 fp16 tc est");
    const double exp_tc = ctas * 2.0 * 112 * (16 + 4 * 16) * 96, dw_tc = ctas * 2.0 * 64 * 96 * 9 * (8.0 * 10 / 9);
    CHECK(e.flops_cuda == 0.0 && fabs(e.flops_tensor - (exp_tc + proj_exe + dw_tc)) < 1e-6 * e.flops_tensor,
          "b1 fp16 tc executed %.0f, want %.0f", e.flops_tensor, exp_tc + proj_exe + dw_tc);
    /* C = 24: two k-steps (32 elements) plus the same 4 */
    u.layers[0] = pw_layer(56, 56, 24, 96, CM_ACT_RELU6);
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "C 24 fp16 tc est");
    const double exp24 = ctas * 2.0 * 112 * (32 + 4 * 16) * 96;
    CHECK(fabs(e.flops_tensor - (exp24 + proj_exe + dw_tc)) < 1e-6 * e.flops_tensor, "C 24 fp16 tc executed %.0f",
          e.flops_tensor);
}

/* The serial chain (docs/costmodel.md, "Serial chain"): MnasNet's last
 * block at batch 1 (7x7, 192 -> 1152 -> 320) on the 2x4 c320 tile runs 8
 * CTAs, one per SM, each through 72 chunks of 16 expanded channels: the
 * chain, 72 x (1980 cycles + its bytes per chunk at 2.02 B/cycle) at
 * 1980 MHz, is its time; the 2x4 c32 tile (80 CTAs, 36 chunks) has a chain
 * half as long and, with it, is the faster one (measured on the H100: 447
 * against 187 us, docs/validation.md). A DW or PW has none. */
static void test_serial_chain(void) {
    cm_gpu g = h100_sxm();
    cm_unit u = pwdwpw32_unit(7, 192, 1152, 3, 320, 1);
    cm_tile wide = {2, 4, 320, 16, 256}, narrow = {2, 4, 32, 32, 128};
    cm_estimate a, b;
    CHECK(cm_estimate_unit(&u, &wide, &g, &a) == CM_OK && cm_estimate_unit(&u, &narrow, &g, &b) == CM_OK, "est");
    const double chain = 72.0 * (1980.0 + (double)a.traffic.load_bytes / 8 / 72 / 2.02) / g.clock_mhz;
    CHECK(a.ctas == 8 && fabs(a.t_serial_us - chain) < 1e-9 * chain && a.time_us == a.t_launch_us + a.t_serial_us,
          "c320 chain %.3f us, want %.3f; time %.3f", a.t_serial_us, chain, a.time_us);
    CHECK(b.ctas == 80 && b.t_serial_us < a.t_serial_us / 1.5 && b.time_us < a.time_us,
          "c32: chain %.3f us, time %.3f vs c320 %.3f", b.t_serial_us, b.time_us, a.time_us);
    u.kind = CM_KIND_PW;
    u.layers[0] = pw_layer(7, 7, 192, 1152, CM_ACT_RELU6);
    cm_tile t = {1, 8, 8, 32, 128};
    /* PW: no chunk-loop chain, only each round's fixed CTA latency (4500
     * cycles, serial_cta_cycles) */
    CHECK(cm_estimate_unit(&u, &t, &g, &a) == CM_OK, "pw estimate");
    const double occ = a.footprint.ctas_per_sm > 0 ? a.footprint.ctas_per_sm : 1;
    const double rounds = ceil(ceil((double)a.ctas / g.sm_count) / occ);
    CHECK(a.ctas == 7 * 144 && fabs(a.t_serial_us - rounds * 4500.0 / g.clock_mhz) < 1e-9,
          "pw chain %.3f us, want %.0f rounds x 4500 cycles", a.t_serial_us, rounds);
    /* 16-bit PWPW on tensor cores (MobileNetV2 b16_project + conv_last at
     * batch 1): the chain counts the kernel's weight stages, W1 in NB-row
     * blocks over C then W2's NB-channel sub-blocks over F1 (NB =
     * cm_pwpw_tc_nb: 256 for 1x16 x 256 threads, 128 for 1x32 x 128), so the
     * 256-thread tile streams half the stages: 2 x 30 + 1 x 10 = 70 against
     * 3 x 30 + 1 x 10 = 100 (C = 960, F1 = 320, chunks of 32) */
    u.kind = CM_KIND_PWPW;
    u.dtype = CM_F16;
    u.math = CM_MATH_TC;
    u.layers[0] = pw_layer(7, 7, 960, 320, CM_ACT_NONE);
    u.layers[1] = pw_layer(7, 7, 320, 1280, CM_ACT_RELU6);
    const cm_tile t256 = {1, 16, 256, 32, 256}, t128 = {1, 32, 128, 32, 128};
    CHECK(cm_estimate_unit(&u, &t256, &g, &a) == CM_OK && cm_estimate_unit(&u, &t128, &g, &b) == CM_OK,
          "pwpw tc est");
    const double st256 = 70.0 * (6435.0 + (double)a.traffic.load_bytes / (double)a.ctas / 70.0 / 3.03) / g.clock_mhz;
    const double st128 = 100.0 * (6435.0 + (double)b.traffic.load_bytes / (double)b.ctas / 100.0 / 3.03) / g.clock_mhz;
    CHECK(a.ctas == 4 * 5 && fabs(a.t_serial_us - st256) < 1e-9 * st256, "pwpw 1x16 x 256 chain %.3f us, want %.3f",
          a.t_serial_us, st256);
    CHECK(b.ctas == 2 * 10 && fabs(b.t_serial_us - st128) < 1e-9 * st128, "pwpw 1x32 x 128 chain %.3f us, want %.3f",
          b.t_serial_us, st128);
}

/* Warps per SM (docs/costmodel.md, "Warps per SM"): the fp32 PWDWPW kernel
 * reaches its SM rate with 4 warps (CM_WARPS_SAT_PWDWPW_SIMT), the others
 * with the probe's 10. ProxylessNAS-GPU's b11 at batch 1 (7x7, 256 -> 1536
 * -> 256, K 7, residual): the 2x4 c32 tile runs 64 CTAs of 4 warps, the 4x8
 * c128 tile 4 CTAs of 8, each alone on its SM, at the same rate a CTA
 * (measured on the H100: 551 and 1003 us; 4x4 c32, 32 CTAs of 4 warps, 653
 * us); with W_sat = 10 the model charged the 4-warp CTAs 2.5x and the 8-warp
 * ones 1.25x and ranked 4x4 c32 behind 4x8 c128 (on this fixture, 939
 * against 781 us). The 16-bit kernel on tensor cores keeps W_sat = 10. */
static void test_warps_to_saturate(void) {
    cm_gpu g = h100_sxm();
    cm_unit u = pwdwpw32_unit(7, 256, 1536, 7, 256, 1);
    u.residual = true;
    const cm_tile narrow = {2, 4, 32, 32, 128}, wide = {4, 8, 128, 16, 256};
    cm_estimate a, b;
    CHECK(cm_estimate_unit(&u, &narrow, &g, &a) == CM_OK && cm_estimate_unit(&u, &wide, &g, &b) == CM_OK, "est");
    CHECK(a.ctas == 64 && b.ctas == 4 && a.warp_efficiency == 1.0 && b.warp_efficiency == 1.0,
          "fp32 pwdwpw: %llu / %llu CTAs, warp efficiency %.3f / %.3f, want 1 / 1", (unsigned long long)a.ctas,
          (unsigned long long)b.ctas, a.warp_efficiency, b.warp_efficiency);
    CHECK(a.time_us < b.time_us, "fp32 pwdwpw: 2x4 c32 %.1f us not faster than 4x8 c128 %.1f us", a.time_us,
          b.time_us);
    const cm_tile square = {4, 4, 32, 32, 128};
    cm_estimate q;
    CHECK(cm_estimate_unit(&u, &square, &g, &q) == CM_OK && q.ctas == 32 && q.time_us < b.time_us,
          "fp32 pwdwpw: 4x4 c32 (%llu CTAs) %.1f us not faster than 4x8 c128 %.1f us", (unsigned long long)q.ctas,
          q.time_us, b.time_us);
    u.dtype = CM_F16;
    u.math = CM_MATH_TC;
    const cm_tile tc = {8, 8, 64, 32, 128};
    CHECK(cm_estimate_unit(&u, &tc, &g, &a) == CM_OK, "fp16 est");
    CHECK(a.ctas == 4 && fabs(a.warp_efficiency - 0.4) < 1e-12, "fp16 pwdwpw: %llu CTAs, warp efficiency %.3f, want 0.4",
          (unsigned long long)a.ctas, a.warp_efficiency);
}

/* A cost per CTA (docs/costmodel.md, "A cost per CTA"): the busiest SM takes
 * at least its k CTAs x 1500 cycles. MobileNetV2's b0_dw+b0_project in fp16
 * (112x112x32, DW 3x3 then PW 32 -> 16): the 4x4 c64 x 64-thread DWPW row
 * runs 784 CTAs at batch 1 (6 on the busiest SM) and 50176 at batch 64
 * (381), measured on the H100 at 6.6 and 300 us; the 8x8 c16 row (196 CTAs
 * at batch 1, 2 an SM) measured 4.4 us. Without the cost the first estimated
 * 3.3 and 109 us and ranked ahead of the second. */
static void test_cta_cost(void) {
    cm_gpu g = h100_sxm();
    cm_unit u = dwpw16_unit(112, 32, 16, 1);
    const cm_tile small = {4, 4, 64, 32, 64}, mid = {8, 8, 16, 32, 128};
    cm_estimate a, b;
    CHECK(cm_estimate_unit(&u, &small, &g, &a) == CM_OK && cm_estimate_unit(&u, &mid, &g, &b) == CM_OK, "est");
    const double six = 6.0 * 1500.0 / g.clock_mhz;
    CHECK(a.ctas == 784 && fabs(a.t_serial_us - six) < 1e-9 * six && a.time_us == a.t_launch_us + six,
          "b1 4x4: %llu CTAs, chain %.4f us (want %.4f), time %.4f", (unsigned long long)a.ctas, a.t_serial_us, six,
          a.time_us);
    CHECK(b.ctas == 196 && b.time_us < a.time_us, "b1: 8x8 c16 %.3f us not below 4x4 c64 %.3f us", b.time_us,
          a.time_us);
    u.batch = 64;
    CHECK(cm_estimate_unit(&u, &small, &g, &a) == CM_OK, "b64 est");
    const double k = 381.0 * 1500.0 / g.clock_mhz;
    CHECK(a.ctas == 784 * 64 && fabs(a.t_serial_us - k) < 1e-9 * k && a.time_us >= a.t_launch_us + k,
          "b64 4x4: chain %.3f us, want %.3f", a.t_serial_us, k);
}

/* The share of re-reads with window w that miss when the L2 keeps a bytes
 * for them (docs/costmodel.md section 3): 0 up to a, 1 from 2a, linear. */
static double miss_ramp(double w, double a) {
    if (w <= a) return 0.0;
    if (a <= 0.0 || w >= 2.0 * a) return 1.0;
    return (w - a) / a;
}

/* Re-reads across channel tiles and halo re-reads have windows of their own:
 * a DWPW with 2 channel tiles on a 112x112x32 map at batch 64 (103 MB of X,
 * beyond the budget) re-reads X once a pass apart, which misses, and its
 * halos a wave apart, which hit. */
static void test_dram_windows(void) {
    cm_gpu g = h100_sxm();
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_DWPW;
    u.batch = 64;
    u.dtype = CM_F32;
    u.layers[0] = dw_layer(112, 112, 32, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    u.layers[1] = pw_layer(112, 112, 32, 64, CM_ACT_NONE);
    cm_tile t = {8, 8, 32, 32, 256};
    cm_estimate e;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "dwpw est");
    const uint64_t x = 64ull * 112 * 112 * 32 * 4, w = 32 * 9 * 4 + 32 * 4 + 64 * 32 * 4 + 64 * 4;
    const double avail = (double)cm_l2_budget_bytes(&g) - (double)w;
    /* window X + 2 Y/2 (the written share counted twice), Y = 2X: all miss */
    const double m = miss_ramp((double)(x + 2 * (2 * x / 2)), avail);
    CHECK(m == 1.0 && e.dram_read_bytes == x + (uint64_t)llround((double)x * m) + w && !e.rereads_hit_l2,
          "dwpw reads %llu, want %llu", (unsigned long long)e.dram_read_bytes,
          (unsigned long long)(x + (uint64_t)llround((double)x * m) + w));
}

/* A DW tile's channel slices are read from DRAM in 64-byte granules
 * (costmodel.c, slice_fetch_factor): fp32 C = 72 in slices of 32 channels
 * (128, 128 and 32 bytes of a 288-byte pixel row, every other row starting
 * half a granule in) fetches 384 bytes a row, 4/3 of X, when the L2 drops
 * the neighbours' bytes before their pass (batch 64 at the fitted budget:
 * MnasNet-B1's b2_dw measured 1.33 X on the H100);
 * C = 64 (aligned slices) fetches X; at batch 1 the neighbours' bytes are
 * still in L2 at their own pass and nothing extra is read. */
static void test_dram_slice_granules(void) {
    cm_gpu g = h100_sxm();
    double r[2][2];
    const int cs[2] = {72, 64}, batches[2] = {64, 1};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 2; b++) {
            cm_unit u;
            memset(&u, 0, sizeof u);
            u.kind = CM_KIND_DW;
            u.batch = batches[b];
            u.dtype = CM_F32;
            u.layers[0] = dw_layer(56, 56, cs[i], 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
            cm_tile t = {8, 16, 32, 32, 256};
            cm_estimate e;
            CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "dw C %d b%d estimate", cs[i], batches[b]);
            const double x = (double)batches[b] * 56 * 56 * cs[i] * 4;
            r[i][b] = (double)e.dram_read_bytes / x; /* weights: < 0.01 % of X */
        }
    /* the over-fetch misses as the pass window does: (4/3 X + 2 Y) / 3 channel
     * tiles against the budget (0.75 of the L2 here: about half of it misses) */
    const double x64 = 64.0 * 56 * 56 * 72 * 4, w = 72 * 9 * 4 + 72 * 4;
    const double want = 1.0 + miss_ramp((4.0 / 3.0 * x64 + 2.0 * x64) / 3.0,
                                        (double)cm_l2_budget_bytes(&g) - w) / 3.0;
    CHECK(want > 1.1 && want < 4.0 / 3.0 && fabs(r[0][0] / r[1][0] - want) < 0.005,
          "b64: C 72 reads %.4f X, C 64 %.4f X (want %.4f apart)", r[0][0], r[1][0], want);
    CHECK(fabs(r[0][1] / r[1][1] - 1.0) < 0.01, "b1: C 72 reads %.4f X, C 64 %.4f X (want equal)", r[0][1],
          r[1][1]);
}

/* A few larger, realistic shapes where sector alignment repeats with long
 * periods (fp16/int8, C = 24, 144, 728). */
static void test_traffic_large(void) {
    const cm_dtype types[4] = {CM_F32, CM_F16, CM_BF16, CM_I8};
    for (int ti = 0; ti < 4; ti++) {
        cm_unit u;
        memset(&u, 0, sizeof u);
        u.batch = 2;
        u.dtype = types[ti];
        u.residual = true;
        u.kind = CM_KIND_PWDWPW;
        u.layers[0] = pw_layer(56, 56, 24, 144, CM_ACT_RELU6);
        u.layers[1] = dw_layer(56, 56, 144, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
        u.layers[2] = pw_layer(56, 56, 144, 24, CM_ACT_NONE);
        cm_tile t = {4, 8, 32, 32, 128};
        cm_traffic a, b;
        CHECK(cm_unit_traffic(&u, &t, &a) == CM_OK && cm_simulate_traffic(&u, &t, &b) == CM_OK, "large status");
        CHECK(a.load_bytes == b.load_bytes && a.store_bytes == b.store_bytes, "large pwdwpw %s: %llu vs %llu",
              cm_dtype_name(u.dtype), (unsigned long long)a.load_bytes, (unsigned long long)b.load_bytes);

        u.kind = CM_KIND_DWPW;
        u.residual = false;
        u.layers[0] = dw_layer(37, 37, 728, 3, 2, 0, 1, 1, 0, CM_ACT_NONE);
        u.layers[1] = pw_layer(u.layers[0].out_h, u.layers[0].out_w, 728, 728, CM_ACT_NONE);
        cm_tile t2 = {8, 8, 64, 32, 256};
        CHECK(cm_unit_traffic(&u, &t2, &a) == CM_OK && cm_simulate_traffic(&u, &t2, &b) == CM_OK, "large status");
        CHECK(a.load_bytes == b.load_bytes && a.store_bytes == b.store_bytes, "large dwpw %s: %llu vs %llu",
              cm_dtype_name(u.dtype), (unsigned long long)a.load_bytes, (unsigned long long)b.load_bytes);
    }
}

/* Hand-computed traffic of tiny cases (the contract read by a human). */
static void test_traffic_hand(void) {
    /* PW fp32, 1 image 2x2 (P = 4), C = 8, F = 16, tile 2 px x 16 ch, chunk 8.
     * X: 4 px x 32 B = 4 sectors (one channel tile). W: 2 pixel tiles x 16
     * rows x 32 B = 32 sectors. bias: 2 x 64 B = 4 sectors. Y: 4 px x 64 B =
     * 8 sectors. Loads 40 sectors = 1280 B, stores 256 B. */
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PW;
    u.batch = 1;
    u.dtype = CM_F32;
    u.layers[0] = pw_layer(2, 2, 8, 16, CM_ACT_NONE);
    cm_tile t = {1, 2, 16, 8, 32};
    cm_traffic a;
    CHECK(cm_unit_traffic(&u, &t, &a) == CM_OK, "hand pw status");
    CHECK(a.load_bytes == 1280 && a.store_bytes == 256, "hand pw: %llu/%llu", (unsigned long long)a.load_bytes,
          (unsigned long long)a.store_bytes);

    /* Same with fp16 and C = 3, F = 5, tile 4 px x 2 ch, chunk 2: pixels are
     * 6 B apart. X, per channel tile (3 of them), chunk [0,2): offsets 0,6,12,18
     * len 4 -> 1 sector each; chunk [2,3): offsets 4,10,16,22 len 2 -> 1 each:
     * 8 sectors x 3 = 24. W (1 pixel tile): rows o*6, chunks (0,4),(4,2): 10
     * segments each in one sector = 10. bias: (0,8),(8,8),(16,4) = 3.
     * Y: pixel p at 10p, spans (0,4),(4,4),(8,2): p=0..3 -> offsets
     * 0,4,8 | 10,14,18 | 20,24,28 | 30,34,38: (30,4) crosses 32 -> 13
     * sectors. Loads 24+10+3 = 37 sectors, stores 13. */
    u.dtype = CM_F16;
    u.layers[0] = pw_layer(2, 2, 3, 5, CM_ACT_NONE);
    cm_tile t2 = {1, 4, 2, 2, 32};
    CHECK(cm_unit_traffic(&u, &t2, &a) == CM_OK, "hand pw16 status");
    CHECK(a.load_bytes == 37 * 32 && a.store_bytes == 13 * 32, "hand pw16: %llu/%llu",
          (unsigned long long)a.load_bytes / 32, (unsigned long long)a.store_bytes / 32);

    /* DW fp32 3x3 s1 pad 1 on 4x4x8, one 4x4x8 tile: the patch is the whole
     * image (clipped), 16 px x 1 sector; weights 288 B = 9 sectors; bias 1;
     * Y 16 sectors. */
    u.kind = CM_KIND_DW;
    u.dtype = CM_F32;
    u.layers[0] = dw_layer(4, 4, 8, 3, 1, 1, 1, 1, 1, CM_ACT_NONE);
    cm_tile t3 = {4, 4, 8, 8, 32};
    CHECK(cm_unit_traffic(&u, &t3, &a) == CM_OK, "hand dw status");
    CHECK(a.load_bytes == 26 * 32 && a.store_bytes == 16 * 32, "hand dw: %llu/%llu",
          (unsigned long long)a.load_bytes / 32, (unsigned long long)a.store_bytes / 32);
    /* 2x2 tiles: each patch is 3x3 (clipped at one side), 4 tiles x 9 px = 36 */
    cm_tile t4 = {2, 2, 8, 8, 32};
    CHECK(cm_unit_traffic(&u, &t4, &a) == CM_OK, "hand dw2 status");
    CHECK(a.load_bytes == (36 + 4 * 9 + 4) * 32, "hand dw2: %llu", (unsigned long long)a.load_bytes / 32);
    /* stride 2, no padding, 5x5 -> 2x2, 1x1 tiles: patches 3x3 each */
    u.layers[0] = dw_layer(5, 5, 8, 3, 2, 0, 0, 0, 0, CM_ACT_NONE);
    cm_tile t5 = {1, 1, 8, 8, 32};
    CHECK(cm_unit_traffic(&u, &t5, &a) == CM_OK, "hand dw3 status");
    CHECK(a.load_bytes == (36 + 4 * 9 + 4) * 32 && a.store_bytes == 4 * 32, "hand dw3: %llu",
          (unsigned long long)a.load_bytes / 32);
}

/* ---- 2. worked example ----------------------------------------------------------------- */

typedef struct ex_row {
    const char *name;
    cm_tile tile;
    uint64_t load, store, dram_rd, dram_wr;
    double flops_cuda, flops_tensor, time_us;
} ex_row;

static int g_print;

static void mbv2_units(int batch, cm_dtype dt, cm_unit *pw1, cm_unit *dw, cm_unit *pw2, cm_unit *fused) {
    memset(pw1, 0, sizeof *pw1);
    pw1->kind = CM_KIND_PW;
    pw1->batch = batch;
    pw1->dtype = dt;
    *dw = *pw2 = *fused = *pw1;
    pw1->layers[0] = pw_layer(56, 56, 24, 144, CM_ACT_RELU6);
    dw->kind = CM_KIND_DW;
    dw->layers[0] = dw_layer(56, 56, 144, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    pw2->layers[0] = pw_layer(56, 56, 144, 24, CM_ACT_NONE);
    pw2->residual = true;
    fused->kind = CM_KIND_PWDWPW;
    fused->layers[0] = pw1->layers[0];
    fused->layers[1] = dw->layers[0];
    fused->layers[2] = pw2->layers[0];
    fused->residual = true;
    fused->residual_is_input = true; /* the block's input is its residual */
}

static void best(const cm_unit *u, const cm_gpu *g, cm_tile *t, cm_estimate *e) {
    cm_tile tiles[64];
    size_t n = cm_enumerate_tiles(u, g, tiles, 64);
    CHECK(n >= 1, "no feasible tile for %s", cm_kind_name(u->kind));
    if (!n) return;
    *t = tiles[0];
    CHECK(cm_estimate_unit(u, t, g, e) == CM_OK, "estimate");
}

/* The tile of example row `row`, stated explicitly (example_rows.inc): the
 * fp16 examples predate the fp16 rows and keep the fp32 rows' tiles, which the
 * cost model estimates for any dtype (it is not limited to the table). */
static void explicit_tile(const cm_unit *u, const cm_gpu *g, const cm_tile *row_tile, cm_tile *t,
                          cm_estimate *e) {
    *t = *row_tile;
    CHECK(cm_estimate_unit(u, t, g, e) == CM_OK, "%s %s: estimate of an explicit tile", cm_kind_name(u->kind),
          cm_dtype_name(u->dtype));
}

static void check_row(const char *label, const cm_tile *t, const cm_estimate *e, const ex_row *x) {
    if (g_print) {
        printf("    {\"%s\", {%d, %d, %d, %d, %d}, %lluULL, %lluULL, %lluULL, %lluULL, %.17g, %.17g, %.17g},\n", label,
               t->tile_h, t->tile_w, t->tile_c, t->chunk_c, t->threads, (unsigned long long)e->traffic.load_bytes,
               (unsigned long long)e->traffic.store_bytes, (unsigned long long)e->dram_read_bytes,
               (unsigned long long)e->dram_write_bytes, e->flops_cuda, e->flops_tensor, e->time_us);
        return;
    }
    CHECK(strcmp(label, x->name) == 0, "row %s vs %s", label, x->name);
    CHECK(memcmp(t, &x->tile, sizeof *t) == 0, "%s: tile %dx%dx%d k%d n%d", label, t->tile_h, t->tile_w, t->tile_c,
          t->chunk_c, t->threads);
    CHECK(e->traffic.load_bytes == x->load && e->traffic.store_bytes == x->store, "%s: traffic %llu/%llu", label,
          (unsigned long long)e->traffic.load_bytes, (unsigned long long)e->traffic.store_bytes);
    CHECK(e->dram_read_bytes == x->dram_rd && e->dram_write_bytes == x->dram_wr, "%s: dram %llu/%llu", label,
          (unsigned long long)e->dram_read_bytes, (unsigned long long)e->dram_write_bytes);
    CHECK(e->flops_cuda == x->flops_cuda && e->flops_tensor == x->flops_tensor, "%s: flops %.17g/%.17g", label,
          e->flops_cuda, e->flops_tensor);
    CHECK(fabs(e->time_us - x->time_us) <= 1e-6 * x->time_us, "%s: time %.17g vs %.17g", label, e->time_us,
          x->time_us);
}

/* The asserted numbers (docs/costmodel.md, "Worked example"). Regenerate
 * with `test_costmodel --print` after a deliberate model change. */
static const ex_row example_rows[] = {
#include "example_rows.inc"
};

static void test_worked_example(void) {
    const cm_gpu g = h100_sxm();
    const int batches[2] = {1, 64};
    const cm_dtype types[2] = {CM_F32, CM_F16};
    size_t row = 0;
    for (int bi = 0; bi < 2; bi++) {
        for (int ti = 0; ti < 2; ti++) {
            cm_unit pw1, dw, pw2, fu;
            mbv2_units(batches[bi], types[ti], &pw1, &dw, &pw2, &fu);
            cm_tile t1, t2, t3, tf;
            cm_estimate e1, e2, e3, ef;
            memset(&e1, 0, sizeof e1);
            e2 = e3 = ef = e1;
            /* fp32 picks the enumerator's best compiled tile; a dtype without
             * compiled rows (fp16 today) is estimated with the row's tile */
            const bool compiled = cm_variants_exist(CM_KIND_PW, types[ti], CM_MATH_SIMT);
            const size_t nrows = sizeof example_rows / sizeof example_rows[0];
            const cm_tile none = {0, 0, 0, 0, 0};
            const cm_tile *rt[4];
            for (int r = 0; r < 4; r++) rt[r] = row + (size_t)r < nrows ? &example_rows[row + (size_t)r].tile : &none;
            if (compiled) best(&pw1, &g, &t1, &e1);
            else explicit_tile(&pw1, &g, rt[0], &t1, &e1);
            /* each unit in the state the one before leaves (docs/planner.md, "L2
             * residency"): hot when its output stayed in L2, whose dirty share it
             * writes back */
            dw.input_hot = e1.output_l2_resident;
            dw.input_dirty_bytes = e1.output_dirty_bytes;
            if (compiled) best(&dw, &g, &t2, &e2);
            else explicit_tile(&dw, &g, rt[1], &t2, &e2);
            pw2.input_hot = e2.output_l2_resident;
            pw2.input_dirty_bytes = e2.output_dirty_bytes;
            pw2.residual_hot = e1.output_l2_resident && e2.output_l2_resident;
            if (compiled) best(&pw2, &g, &t3, &e3);
            else explicit_tile(&pw2, &g, rt[2], &t3, &e3);
            if (compiled) best(&fu, &g, &tf, &ef);
            else explicit_tile(&fu, &g, rt[3], &tf, &ef);
            char lab[64];
            const cm_tile *tt[4] = {&t1, &t2, &t3, &tf};
            const cm_estimate *ee[4] = {&e1, &e2, &e3, &ef};
            const cm_unit *uu[4] = {&pw1, &dw, &pw2, &fu};
            for (int r = 0; r < 4 && !g_print; r++) {
                cm_traffic sim;
                CHECK(cm_simulate_traffic(uu[r], tt[r], &sim) == CM_OK && sim.load_bytes == ee[r]->traffic.load_bytes &&
                          sim.store_bytes == ee[r]->traffic.store_bytes,
                      "example unit %d: simulator disagrees", r);
            }
            const char *nm[4] = {"pw1", "dw", "pw2+res", "pwdwpw"};
            for (int r = 0; r < 4; r++) {
                snprintf(lab, sizeof lab, "b%d %s %s", batches[bi], cm_dtype_name(types[ti]), nm[r]);
                if (g_print) {
                    check_row(lab, tt[r], ee[r], NULL);
                } else if (row < sizeof example_rows / sizeof example_rows[0]) {
                    check_row(lab, tt[r], ee[r], &example_rows[row]);
                } else {
                    CHECK(0, "missing example row %s", lab);
                }
                row++;
            }
            /* at batch 64 the fused block beats the three unfused kernels; at
             * batch 1 its 392 CTAs (3 per SM, one round) each run 5 chunk
             * iterations one after the other, and that serial chain, not the
             * SMs' throughput, is its time (docs/costmodel.md, "Serial
             * chain"); it moves fewer DRAM bytes either way */
            double unfused = e1.time_us + e2.time_us + e3.time_us;
            if (batches[bi] == 64)
                CHECK(ef.time_us < unfused, "b%d %s: fused %.3f us not below unfused %.3f us", batches[bi],
                      cm_dtype_name(types[ti]), ef.time_us, unfused);
            else
                CHECK(ef.t_serial_us > 0 && ef.time_us == ef.t_launch_us + ef.t_serial_us,
                      "b1 %s: fused time %.3f is not its serial chain %.3f", cm_dtype_name(types[ti]), ef.time_us,
                      ef.t_launch_us + ef.t_serial_us);
            CHECK(ef.dram_read_bytes + ef.dram_write_bytes <=
                      e1.dram_read_bytes + e1.dram_write_bytes + e2.dram_read_bytes + e2.dram_write_bytes +
                          e3.dram_read_bytes + e3.dram_write_bytes,
                  "fused DRAM bytes above unfused");
            if (g_print) {
                printf("    /* b%d %s: unfused %.4f us, fused %.4f us, speedup %.3f; DRAM unfused %.3f MB fused "
                       "%.3f MB; L2 traffic unfused %.3f MB fused %.3f MB */\n",
                       batches[bi], cm_dtype_name(types[ti]), unfused, ef.time_us, unfused / ef.time_us,
                       (e1.dram_read_bytes + e1.dram_write_bytes + e2.dram_read_bytes + e2.dram_write_bytes +
                        e3.dram_read_bytes + e3.dram_write_bytes) / 1e6,
                       (ef.dram_read_bytes + ef.dram_write_bytes) / 1e6,
                       (e1.traffic.load_bytes + e1.traffic.store_bytes + e2.traffic.load_bytes +
                        e2.traffic.store_bytes + e3.traffic.load_bytes + e3.traffic.store_bytes) / 1e6,
                       (ef.traffic.load_bytes + ef.traffic.store_bytes) / 1e6);
                const cm_estimate *all[4] = {&e1, &e2, &e3, &ef};
                for (int r = 0; r < 4; r++)
                    printf("    /*   %s: t_dram %.4f t_l2 %.4f t_comp %.4f wave_eff %.4f warp_eff %.4f fill %.4f "
                           "t_serial %.4f l2_read %llu dirty %llu ctas %llu occ %d smem %d regs %d min %llu l2res %d "
                           "rr %d */\n",
                           nm[r], all[r]->t_dram_us, all[r]->t_l2_us, all[r]->t_compute_us, all[r]->wave_efficiency,
                           all[r]->warp_efficiency, all[r]->tile_fill, all[r]->t_serial_us,
                           (unsigned long long)all[r]->l2_read_bytes,
                           (unsigned long long)all[r]->output_dirty_bytes,
                           (unsigned long long)all[r]->ctas, all[r]->footprint.ctas_per_sm,
                           all[r]->footprint.smem_bytes, all[r]->footprint.regs_per_thread,
                           (unsigned long long)all[r]->min_bytes, all[r]->output_l2_resident, all[r]->rereads_hit_l2);
            }
        }
    }
}

/* ---- 3. the rest -------------------------------------------------------------------------- */

static void test_names(void) {
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        cm_kind p;
        CHECK(cm_kind_parse(cm_kind_name((cm_kind)k), &p) && p == (cm_kind)k, "kind %d round trip", k);
    }
    cm_kind pk;
    CHECK(!cm_kind_parse("DW", &pk) && !cm_kind_parse("", &pk) && !cm_kind_parse(NULL, &pk), "kind parse strict");
    CHECK(strcmp(cm_kind_name(CM_KIND_PWDWPW), "pwdwpw") == 0, "kind name");
    CHECK(strcmp(cm_kind_name((cm_kind)99), "?") == 0, "bad kind name");
    CHECK(cm_kind_layers(CM_KIND_DW) == 1 && cm_kind_layers(CM_KIND_PWPW) == 2 && cm_kind_layers(CM_KIND_PWDWPW) == 3,
          "kind layers");
    CHECK(cm_kind_is_flat(CM_KIND_PW) && cm_kind_is_flat(CM_KIND_PWPW) && !cm_kind_is_flat(CM_KIND_DWPW), "flat");
    const int bytes[4] = {4, 2, 2, 1};
    for (int d = 0; d < CM_DTYPE_COUNT; d++) {
        cm_dtype p;
        CHECK(cm_dtype_bytes((cm_dtype)d) == bytes[d], "dtype bytes %d", d);
        CHECK(cm_dtype_parse(cm_dtype_name((cm_dtype)d), &p) && p == (cm_dtype)d, "dtype round trip %d", d);
    }
    cm_dtype pd;
    CHECK(!cm_dtype_parse("float32", &pd) && cm_dtype_bytes((cm_dtype)7) == 0, "dtype bad");
    CHECK(strcmp(cm_dtype_name(CM_BF16), "bf16") == 0 && strcmp(cm_dtype_name(CM_I8), "int8") == 0, "dtype names");
    CHECK(strcmp(cm_act_name(CM_ACT_RELU6), "relu6") == 0 && strcmp(cm_act_name(CM_ACT_NONE), "none") == 0 &&
              strcmp(cm_act_name(CM_ACT_RELU), "relu") == 0,
          "act names");
    CHECK(strcmp(cm_status_str(CM_OK), "ok") == 0 && strcmp(cm_status_str(CM_INFEASIBLE), "infeasible tile") == 0 &&
              strcmp(cm_status_str(CM_BAD_UNIT), "bad unit") == 0 && strcmp(cm_status_str(CM_BAD_TILE), "bad tile") == 0,
          "status names");
}

/* The table read through the same X-macro the library uses. */
static const struct {
    cm_kind kind;
    cm_dtype dtype;
    cm_math math;
    cm_tile tile;
} inc_rows[] = {
#define CM_VARIANT(kind, dt, math, th, tw, tc, cc, thr) \
    {CM_KIND_##kind, CM_##dt, CM_MATH_##math, {th, tw, tc, cc, thr}},
#include "cm_variants.inc"
#undef CM_VARIANT
};

static void test_variants(void) {
    size_t n = 0;
    const cm_variant *v = cm_variants(&n);
    CHECK(n == sizeof inc_rows / sizeof inc_rows[0], "variant count %zu", n);
    for (size_t i = 0; i < n && i < sizeof inc_rows / sizeof inc_rows[0]; i++) {
        const cm_variant_id *id = &v[i].id;
        CHECK(id->kind == inc_rows[i].kind && id->dtype == inc_rows[i].dtype &&
                  id->math == inc_rows[i].math && cm_tile_equal(&id->tile, &inc_rows[i].tile),
              "variant %zu differs from the table", i);
        /* the row's static name is the one format, and parses back to the row */
        char want[CM_VARIANT_NAME_MAX];
        snprintf(want, sizeof want, "%s_%s_%s_t%dx%d_c%d_k%d_n%d", cm_kind_name(id->kind),
                 cm_dtype_tag(id->dtype), cm_math_name(id->math), id->tile.tile_h, id->tile.tile_w,
                 id->tile.tile_c, id->tile.chunk_c, id->tile.threads);
        char fmt[CM_VARIANT_NAME_MAX];
        CHECK(strcmp(v[i].name, want) == 0, "variant name %s vs %s", v[i].name, want);
        CHECK(strcmp(cm_variant_id_format(id, fmt, sizeof fmt), want) == 0, "format %s", fmt);
        cm_variant_id back;
        CHECK(cm_variant_id_parse(v[i].name, &back) && cm_variant_id_equal(&back, id), "parse %s",
              v[i].name);
        CHECK(cm_variant_find(id) == &v[i], "find %s", v[i].name);
        for (size_t j = 0; j < i; j++)
            CHECK(!cm_variant_id_equal(&v[j].id, id), "rows %zu and %zu are the same variant", j, i);
        if (id->kind == CM_KIND_DW) CHECK(id->tile.chunk_c == id->tile.tile_c, "dw row chunk");
        if (cm_kind_is_flat(id->kind)) CHECK(id->tile.tile_h == 1, "flat row tile_h");
        /* every field of the identity matters */
        cm_variant_id other = *id;
        other.dtype = id->dtype == CM_F16 ? CM_BF16 : CM_F16;
        CHECK(!cm_variant_id_equal(&other, id), "dtype is part of the identity");
        other = *id;
        other.math = id->math == CM_MATH_TC ? CM_MATH_SIMT : CM_MATH_TC;
        CHECK(!cm_variant_id_equal(&other, id), "math is part of the identity");
        other = *id;
        other.tile.threads += 32;
        CHECK(!cm_variant_id_equal(&other, id), "threads are part of the identity");
    }
    cm_variant_id odd = {CM_KIND_DW, CM_F32, CM_MATH_SIMT, {3, 3, 3, 3, 96}};
    CHECK(cm_variant_find(&odd) == NULL && cm_variant_find(NULL) == NULL, "find none");
    CHECK(cm_variants_exist(CM_KIND_PW, CM_F32, CM_MATH_SIMT), "fp32 simt pw rows exist");

    /* names: round trips, and everything else refused */
    cm_variant_id id = {CM_KIND_PWDWPW, CM_F16, CM_MATH_TC, {8, 8, 32, 32, 128}}, got;
    char buf[CM_VARIANT_NAME_MAX];
    CHECK(strcmp(cm_variant_id_format(&id, buf, sizeof buf), "pwdwpw_f16_tc_t8x8_c32_k32_n128") == 0,
          "format %s", buf);
    CHECK(cm_variant_id_parse(buf, &got) && cm_variant_id_equal(&got, &id), "parse round trip");
    id.dtype = CM_BF16;
    id.math = CM_MATH_SIMT;
    CHECK(cm_variant_id_parse(cm_variant_id_format(&id, buf, sizeof buf), &got) &&
              cm_variant_id_equal(&got, &id), "bf16 round trip %s", buf);
    static const char *const bad[] = {
        "", "pw", "pw_f32_simt", "pw_f32_simt_t1x64_c16_k32", "pw_f32_simt_t1x64_c16_k32_n64_",
        "pw_f32_simt_t1x64_c16_k32_n64x", "pw_f64_simt_t1x64_c16_k32_n64", "pw_f32_wmma_t1x64_c16_k32_n64",
        "conv_f32_simt_t1x64_c16_k32_n64", "pw_f32_simt_t0x64_c16_k32_n64", "pw_f32_simt_t1x064_c16_k32_n64",
        "pw_f32_simt_t1x-64_c16_k32_n64", "pw_f32_simt_t1x+64_c16_k32_n64", "pw_t1x64_c16_k32_n64",
        "PW_f32_simt_t1x64_c16_k32_n64", "pw_f32_simt_t1x9999999_c16_k32_n64", "pw__simt_t1x64_c16_k32_n64",
        "pw_f32_simt_t1x64_c16_k32_n64 ", "../pw_f32_simt_t1x64_c16_k32_n64"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!cm_variant_id_parse(bad[i], &got), "parse refuses \"%s\"", bad[i]);
    CHECK(!cm_variant_id_parse(NULL, &got), "parse NULL");
    cm_variant_id junk = id;
    junk.math = (cm_math)7;
    CHECK(strcmp(cm_variant_id_format(&junk, buf, sizeof buf), "") == 0, "format refuses bad math");
    char tiny[8];
    CHECK(strcmp(cm_variant_id_format(&id, tiny, sizeof tiny), "") == 0, "format refuses short buffer");
}

static void test_unit_errors(void) {
    char err[256];
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PWDWPW;
    u.batch = 1;
    u.dtype = CM_F16;
    u.layers[0] = pw_layer(56, 56, 24, 144, CM_ACT_RELU6);
    u.layers[1] = dw_layer(56, 56, 144, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    u.layers[2] = pw_layer(56, 56, 144, 24, CM_ACT_NONE);
    CHECK(cm_unit_check(&u, err, sizeof err) == CM_OK && err[0] == '\0', "good unit: %s", err);

    cm_unit b = u;
    b.layers[1].kernel = 4;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "kernel 4 is not 3, 5 or 7"), "%s", err);
    b = u;
    b.layers[1].stride = 3;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "stride 3 is not 1 or 2"), "%s", err);
    b = u;
    b.layers[1].out_h = 30;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "out_h 30 does not follow"), "%s", err);
    b = u;
    b.layers[1].pad_left = 3;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "padding"), "%s", err);
    b = u;
    b.layers[2].in_c = 96;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "layers[2] input 56x56x96 does not match"),
          "%s", err);
    b = u;
    b.layers[0].kernel = 3;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "layers[0] (pw)"), "%s", err);
    b = u;
    b.layers[1].out_c = 143;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "out_c 143 != in_c 144"), "%s", err);
    b = u;
    b.batch = 0;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "batch 0"), "%s", err);
    b = u;
    b.dtype = (cm_dtype)9;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "dtype 9"), "%s", err);
    b = u;
    b.kind = (cm_kind)17;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "kind 17"), "%s", err);
    b = u;
    b.layers[0].in_w = 0;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT && strstr(err, "size"), "%s", err);
    b = u;
    b.layers[2].out_h = 55;
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_BAD_UNIT, "pw changes size");
    CHECK(cm_unit_check(NULL, err, sizeof err) == CM_BAD_UNIT, "null unit");
    CHECK(cm_unit_check(&b, NULL, 0) == CM_BAD_UNIT, "no buffer");
    /* valid padding, stride 2, even input: the last input row is unused */
    b = u;
    b.kind = CM_KIND_DW;
    b.layers[0] = dw_layer(112, 112, 32, 3, 2, 0, 0, 0, 0, CM_ACT_NONE);
    CHECK(cm_unit_check(&b, err, sizeof err) == CM_OK && b.layers[0].out_h == 55, "valid s2: %s", err);
    /* every consumer of a bad unit says so */
    cm_tile t = {4, 8, 32, 32, 128};
    cm_gpu g = h100_sxm();
    cm_traffic tr;
    cm_estimate e;
    b.layers[0].kernel = 9;
    CHECK(cm_unit_traffic(&b, &t, &tr) == CM_BAD_UNIT && cm_simulate_traffic(&b, &t, &tr) == CM_BAD_UNIT &&
              cm_estimate_unit(&b, &t, &g, &e) == CM_BAD_UNIT && cm_enumerate_tiles(&b, &g, NULL, 0) == 0,
          "bad unit everywhere");
}

static void test_tile_checks(void) {
    char why[256];
    cm_gpu g = h100_sxm();
    cm_footprint fp;
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_DW;
    u.batch = 1;
    u.dtype = CM_F32;
    u.layers[0] = dw_layer(56, 56, 144, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);

    cm_tile t = {8, 8, 32, 16, 128};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_BAD_TILE && strstr(why, "chunk_c 16 != tile_c 32"),
          "%s", why);
    t = (cm_tile){8, 8, 32, 32, 100};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_BAD_TILE && strstr(why, "multiple of 32"), "%s", why);
    t = (cm_tile){0, 8, 32, 32, 128};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_BAD_TILE && strstr(why, "tile_h 0"), "%s", why);
    t = (cm_tile){8, 8, 32, 32, 2048};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_INFEASIBLE && strstr(why, "threads 2048 > 1024"), "%s",
          why);
    t = (cm_tile){32, 32, 64, 64, 256};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_INFEASIBLE && strstr(why, "regs 288/thread > 255"),
          "%s", why);
    /* DW footprint: patch (8+2)x(8+2) x 32 ch x 4 B + 32x9x4 + 32x4 */
    t = (cm_tile){8, 8, 32, 32, 128};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_OK, "dw ok: %s", why);
    CHECK(fp.smem_bytes == 100 * 32 * 4 + 32 * 9 * 4 + 32 * 4, "dw smem %d", fp.smem_bytes);
    CHECK(fp.regs_per_thread == 16 + 32 && fp.threads == 128, "dw regs %d", fp.regs_per_thread);
    /* occupancy: threads 2048/128 = 16, regs 65536/(4 warps x 48x32=1536) = 10, smem 233472/(14592+1024) = 14 */
    CHECK(fp.ctas_per_sm == 10, "dw occupancy %d", fp.ctas_per_sm);
    /* a tile larger than the image still allocates the tile as compiled (the
     * kernels' buffers are sized at compile time: cm_smem_layout.h) */
    cm_unit small = u;
    small.layers[0] = dw_layer(5, 3, 8, 3, 1, 1, 1, 1, 1, CM_ACT_NONE);
    CHECK(cm_tile_check(&small, &t, &g, &fp, why, sizeof why) == CM_OK, "small ok");
    CHECK(fp.smem_bytes == 100 * 32 * 4 + 32 * 9 * 4 + 32 * 4, "small smem %d", fp.smem_bytes);
    CHECK(cm_smem_bytes(&small, &t) == (size_t)fp.smem_bytes, "cm_smem_bytes %zu", cm_smem_bytes(&small, &t));

    /* smem over the opt-in limit, with the KiB reason */
    u.kind = CM_KIND_PWDWPW;
    u.layers[0] = pw_layer(56, 56, 960, 960, CM_ACT_RELU6);
    u.layers[1] = dw_layer(56, 56, 960, 7, 1, 3, 3, 3, 3, CM_ACT_RELU6);
    u.layers[2] = pw_layer(56, 56, 960, 160, CM_ACT_NONE);
    t = (cm_tile){8, 8, 64, 32, 256};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_INFEASIBLE && strstr(why, "KiB > 227.0 KiB opt-in"),
          "%s", why);
    CHECK(fp.ctas_per_sm == 0 && fp.smem_bytes > 227 * 1024, "infeasible footprint still reported");
    cm_estimate e;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_INFEASIBLE, "estimate infeasible");

    /* PW footprint: chunk rows padded to os(16) = 20 words; the double-buffered
     * chunks 2 x (128 + 64) x 20 = 7680 words are smaller than the output
     * staging 128 x (64 + 4) = 8704 that reuses them; + bias 64 */
    u.kind = CM_KIND_PW;
    u.layers[0] = pw_layer(56, 56, 144, 64, CM_ACT_NONE);
    t = (cm_tile){1, 128, 64, 16, 256};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_OK, "pw ok: %s", why);
#if CM_SMEM_ROW_UNIT == 4 /* hand-computed for 16-byte row units (the A/B build uses 32) */
    CHECK(fp.smem_bytes == (128 * 68 + 64) * 4, "pw smem %d", fp.smem_bytes);
#endif
    t = (cm_tile){2, 128, 64, 16, 256};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_BAD_TILE && strstr(why, "tile_h 2 must be 1"), "%s",
          why);

    /* PWDW with channels below the tile: the fp32 layout of the full tile for
     * every dtype (fp16 kernels will get their own layout) */
    u.kind = CM_KIND_PWDW;
    u.dtype = CM_F16;
    u.layers[0] = pw_layer(9, 9, 5, 7, CM_ACT_RELU6);
    u.layers[1] = dw_layer(9, 9, 7, 3, 2, 1, 1, 1, 1, CM_ACT_RELU6);
    t = (cm_tile){2, 2, 32, 32, 128};
    CHECK(cm_tile_check(&u, &t, &g, &fp, why, sizeof why) == CM_OK, "pwdw ok: %s", why);
    /* patch (1*2+3)^2 = 25 pixels, os(32) = 36 words per row: 4 x (X 25*36 +
     * Wpw 32*36) (a 2x2 tile pipelines 4 stages: cm_pwdw_stages), PW result
     * 25*36, Wdw 9*32, two biases 32 each (words) */
#if CM_SMEM_ROW_UNIT == 4
    CHECK(fp.smem_bytes == (4 * (25 * 36 + 32 * 36) + 25 * 36 + 9 * 32 + 32 + 32) * 4, "pwdw smem %d",
          fp.smem_bytes);
#endif

    /* a GPU with fewer resources: too few registers per SM */
    cm_gpu tiny = g;
    tiny.max_regs_per_sm = 8192;
    u.kind = CM_KIND_DW;
    u.dtype = CM_F32;
    u.layers[0] = dw_layer(56, 56, 144, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    t = (cm_tile){8, 16, 32, 32, 256};
    CHECK(cm_tile_check(&u, &t, &tiny, &fp, why, sizeof why) == CM_INFEASIBLE && strstr(why, "per SM"), "%s", why);
}

/* The enumerator's last criterion before table order: of two tiles equal in
 * time and throughput time (the fp16 PW rows 64x64 n512 in chunks of 32 and
 * of 64, on an aligned 7x7x960 -> 160 projection: same bytes, same FLOPs),
 * the one with the shorter chunk loop (15 chunks, not 30) ranks first. */
static void test_enumerate_chunk_tie(void) {
    const cm_gpu g = h100_sxm();
    const cm_unit u = pw16_unit(7, 960, 160, 64);
    const cm_tile k32 = {1, 64, 64, 32, 512}, k64 = {1, 64, 64, 64, 512};
    cm_estimate a, b;
    CHECK(cm_estimate_unit(&u, &k32, &g, &a) == CM_OK && cm_estimate_unit(&u, &k64, &g, &b) == CM_OK, "twins");
    CHECK(a.time_us == b.time_us && a.traffic.load_bytes == b.traffic.load_bytes,
          "the twins tie in the model: %.6f / %.6f us", a.time_us, b.time_us);
    cm_tile tiles[64];
    const size_t n = cm_enumerate_tiles(&u, &g, tiles, 64);
    int i32 = -1, i64 = -1;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&tiles[i], &k32, sizeof k32) == 0) i32 = (int)i;
        if (memcmp(&tiles[i], &k64, sizeof k64) == 0) i64 = (int)i;
    }
    CHECK(i32 >= 0 && i64 >= 0 && i64 < i32, "k64 twin ranked %d, k32 %d", i64, i32);
    /* the order itself, as validate uses it with its own times */
    const cm_tile_rank r32 = cm_tile_rank_of(&u, &k32, a.time_us, 1.0, 0.5),
                       r64 = cm_tile_rank_of(&u, &k64, a.time_us, 1.0, 0.5);
    CHECK(r64.chunks < r32.chunks && cm_tile_ranks_before(&r64, &r32) && !cm_tile_ranks_before(&r32, &r64),
          "equal times: the shorter chunk loop first (%lld / %lld chunks)", (long long)r64.chunks,
          (long long)r32.chunks);
    const cm_tile_rank slow = cm_tile_rank_of(&u, &k64, a.time_us * 1.01, 0.5, 0.1);
    CHECK(cm_tile_ranks_before(&r32, &slow), "a lower time ranks first whatever the tie-breaks");
    /* equal times and throughput times (DRAM-bound): the lower SM side
     * first, before the chunk loop */
    const cm_tile_rank busy64 = cm_tile_rank_of(&u, &k64, a.time_us, 1.0, 0.6);
    CHECK(cm_tile_ranks_before(&r32, &busy64) && !cm_tile_ranks_before(&busy64, &r32),
          "equal times: the lower SM side first, whatever the chunk loops");
    const cm_tile_rank none = cm_tile_rank_of(&u, &k64, INFINITY, INFINITY, INFINITY);
    CHECK(cm_tile_ranks_before(&r32, &none) && !cm_tile_ranks_before(&none, &r32), "no time ranks last");
    CHECK(r32.row != SIZE_MAX && r64.row != SIZE_MAX && r32.row != r64.row, "rows %zu %zu", r32.row, r64.row);
}

/* Dominated tiles (cm_tile_dominates): MobileNetV1's block 12 (7x7, 1024
 * channels, DW -> PW) at batch 64 in fp16, where the 16x16 tile ran 56 us
 * against the 8x8 tile's 38 (H100, bench/results/2026-12-07-NVIDIA_H100-s12,
 * the held-out worst regret of docs/validation.md): one CTA per image either
 * way, the 16x16 one on four times the padded pixels. On 14x14 the 8x8 tile
 * makes 4 CTAs an image, the 16x16 one 1: no dominance. */
static void test_enumerate_dominance(void) {
    const cm_gpu g = h100_sxm();
    const cm_tile t8 = {8, 8, 16, 32, 128}, t16 = {16, 16, 16, 32, 256};
    for (int hw = 7; hw <= 14; hw += 7) {
        const cm_unit u = dwpw16_unit(hw, 1024, 1024, 64);
        cm_estimate e8, e16;
        CHECK(cm_estimate_unit(&u, &t8, &g, &e8) == CM_OK && cm_estimate_unit(&u, &t16, &g, &e16) == CM_OK,
              "%dx%d: both tiles feasible", hw, hw);
        const bool dom = cm_tile_dominates(&u, &t8, &t16);
        CHECK(dom == (hw == 7), "%dx%d: 8x8 dominates 16x16: %d", hw, hw, dom);
        CHECK(!cm_tile_dominates(&u, &t16, &t8) && !cm_tile_dominates(&u, &t8, &t8), "%dx%d: strict", hw, hw);
        cm_tile tiles[64];
        const size_t n = cm_enumerate_tiles(&u, &g, tiles, 64);
        bool has8 = false, has16 = false;
        for (size_t i = 0; i < n && i < 64; i++) {
            has8 |= memcmp(&tiles[i], &t8, sizeof t8) == 0;
            has16 |= memcmp(&tiles[i], &t16, sizeof t16) == 0;
        }
        CHECK(has8 && has16 == (hw != 7), "%dx%d: proposed 8x8 %d, 16x16 %d", hw, hw, has8, has16);
    }
    /* another channel tile, chunk or more pixels a thread: no dominance */
    const cm_unit u = dwpw16_unit(7, 64, 64, 1);
    const cm_tile c32 = {16, 16, 32, 32, 256}, k16 = {16, 16, 16, 16, 256}, n64 = {8, 8, 16, 32, 32};
    CHECK(!cm_tile_dominates(&u, &t8, &c32) && !cm_tile_dominates(&u, &t8, &k16) &&
              !cm_tile_dominates(&u, &n64, &t16) && cm_tile_dominates(&u, &t8, &t16),
          "dominance needs the same channel tile and chunk and no more pixels a thread");
    /* by channels: a PW of 64 outputs fits one 64-channel tile as one of
     * 160, which runs 96 padded channels more (measured 5-100 % slower,
     * bench/results/2026-12-07-NVIDIA_H100-s13); at 160 outputs the 64-channel
     * tile needs three channel tiles, another grid: no dominance */
    {
        cm_unit p = pw16_unit(7, 960, 64, 64);
        const cm_tile c64 = {1, 32, 64, 64, 256}, c160 = {1, 32, 160, 64, 320}, c64n64 = {1, 32, 64, 64, 64};
        CHECK(cm_tile_dominates(&p, &c64, &c160) && !cm_tile_dominates(&p, &c160, &c64),
              "F 64: the 64-channel tile dominates the 160-channel one");
        CHECK(!cm_tile_dominates(&p, &c64n64, &c160), "more channels a thread: no dominance");
        p = pw16_unit(7, 960, 160, 64);
        CHECK(!cm_tile_dominates(&p, &c64, &c160) && !cm_tile_dominates(&p, &c160, &c64),
              "F 160: different grids, no dominance");
    }
}

static void test_enumerate(void) {
    cm_gpu g = h100_sxm();
    const cm_kind kinds[CM_KIND_COUNT] = {CM_KIND_DW, CM_KIND_PW, CM_KIND_DWPW, CM_KIND_PWDW, CM_KIND_PWPW,
                                          CM_KIND_PWDWPW};
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        for (int rep = 0; rep < 20; rep++) {
            cm_unit u = rnd_unit(kinds[k]);
            cm_tile tiles[64];
            size_t n = cm_enumerate_tiles(&u, &g, tiles, 64);
            /* every feasible row but the dominated ones (cm_tile_dominates) */
            size_t nv = 0, feasible = 0, undominated = 0;
            const cm_variant *v = cm_variants(&nv);
            const cm_tile *rows[CM_MAX_VARIANTS];
            for (size_t i = 0; i < nv; i++) {
                cm_estimate e;
                if (v[i].id.kind == u.kind && v[i].id.dtype == u.dtype && v[i].id.math == u.math &&
                    cm_estimate_unit(&u, &v[i].id.tile, &g, &e) == CM_OK)
                    rows[feasible++] = &v[i].id.tile;
            }
            for (size_t i = 0; i < feasible; i++) {
                bool dominated = false;
                for (size_t j = 0; j < feasible && !dominated; j++)
                    dominated = j != i && cm_tile_dominates(&u, rows[j], rows[i]);
                undominated += !dominated;
            }
            CHECK(n == undominated && n <= feasible && (feasible == 0) == (n == 0),
                  "enumerate count %zu vs %zu undominated of %zu feasible", n, undominated, feasible);
            for (size_t i = 0; i + 1 < n && i + 1 < 64; i++) {
                cm_estimate a, b;
                cm_estimate_unit(&u, &tiles[i], &g, &a);
                cm_estimate_unit(&u, &tiles[i + 1], &g, &b);
                const cm_variant *va = cm_variant_of(&u, &tiles[i]), *vb = cm_variant_of(&u, &tiles[i + 1]);
                CHECK(va && vb, "enumerated tiles are table rows");
                /* (time, throughput time, table order); equal times within
                 * 1e-9 relative (the enumerator's tolerance) */
                const double ta = cm_time_us(a.t_launch_us, a.t_dram_us, a.t_l2_us, a.t_compute_us,
                                             a.wave_efficiency * a.warp_efficiency),
                             tb = cm_time_us(b.t_launch_us, b.t_dram_us, b.t_l2_us, b.t_compute_us,
                                             b.wave_efficiency * b.warp_efficiency);
                const double tol = 1e-9 * fmax(a.time_us, b.time_us);
                CHECK(a.time_us < b.time_us - tol ||
                          (fabs(a.time_us - b.time_us) <= tol && (ta < tb || (ta == tb && va < vb))),
                      "order at %zu: %.9g/%.9g before %.9g/%.9g", i, a.time_us, ta, b.time_us, tb);
            }
            /* a dtype without compiled rows (int8): no tile proposed, yet any
             * tile is still estimated (the cost model is not limited to the
             * table); and for every (dtype, math) the enumerator proposes rows
             * only where rows exist */
            cm_tile other_tiles[64];
            cm_unit h = u;
            h.dtype = CM_I8;
            CHECK(!cm_variants_exist(h.kind, h.dtype, h.math), "this check assumes no int8 row");
            CHECK(cm_enumerate_tiles(&h, &g, other_tiles, 64) == 0, "%s int8: no compiled row, no tile",
                  cm_kind_name(h.kind));
            if (n && u.dtype == CM_F32) {
                cm_estimate ef, e32;
                h.dtype = CM_F16;
                CHECK(cm_estimate_unit(&h, &tiles[0], &g, &ef) == CM_OK &&
                          cm_estimate_unit(&u, &tiles[0], &g, &e32) == CM_OK &&
                          ef.min_bytes < e32.min_bytes,
                      "%s: an fp32 row's tile estimates fp16, with fewer compulsory bytes",
                      cm_kind_name(h.kind));
            }
            for (int dt = 0; dt < CM_DTYPE_COUNT; dt++)
                for (int mt = 0; mt < CM_MATH_COUNT; mt++) {
                    h = u;
                    h.dtype = (cm_dtype)dt;
                    h.math = (cm_math)mt;
                    size_t nh = cm_enumerate_tiles(&h, &g, other_tiles, 64);
                    CHECK(nh == 0 || cm_variants_exist(h.kind, h.dtype, h.math),
                          "%s %s %s: tiles proposed without compiled rows", cm_kind_name(h.kind),
                          cm_dtype_name(h.dtype), cm_math_name(h.math));
                    for (size_t i = 0; i < nh && i < 64; i++)
                        CHECK(cm_variant_of(&h, &other_tiles[i]) != NULL, "%s %s %s: a proposed tile "
                              "is a row of that dtype and math", cm_kind_name(h.kind),
                              cm_dtype_name(h.dtype), cm_math_name(h.math));
                }
            /* cap smaller than the count: the first entries, count unchanged */
            cm_tile one;
            CHECK(cm_enumerate_tiles(&u, &g, &one, 1) == n, "count with cap 1");
            if (n) CHECK(memcmp(&one, &tiles[0], sizeof one) == 0, "first with cap 1");
        }
    }
}

static void test_dram_rules(void) {
    cm_gpu g = h100_sxm();
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PW;
    u.batch = 1;
    u.dtype = CM_F32;
    u.layers[0] = pw_layer(56, 56, 24, 144, CM_ACT_RELU6);
    cm_tile t = {1, 128, 64, 16, 256};
    cm_estimate cold, hot;
    CHECK(cm_estimate_unit(&u, &t, &g, &cold) == CM_OK, "pw est");
    const uint64_t x = 56 * 56 * 24 * 4, w = 144 * 24 * 4 + 144 * 4, y = 56 * 56 * 144 * 4;
    CHECK(cold.dram_read_bytes == x + w && cold.dram_write_bytes == 0 && cold.output_l2_resident, "b1 cold: %llu",
          (unsigned long long)cold.dram_read_bytes);
    CHECK(cold.min_bytes == x + w + y, "min bytes");
    u.input_hot = true;
    CHECK(cm_estimate_unit(&u, &t, &g, &hot) == CM_OK, "pw hot");
    CHECK(hot.dram_read_bytes == w, "hot input is not read from DRAM");
    CHECK(hot.time_us <= cold.time_us, "hot not slower");
    CHECK(cold.output_dirty_bytes == y, "b1: all of Y stays dirty in L2");
    /* the unit after it writes that back */
    u.input_dirty_bytes = y;
    CHECK(cm_estimate_unit(&u, &t, &g, &hot) == CM_OK && hot.dram_write_bytes == y &&
              hot.dram_read_bytes == w && hot.output_dirty_bytes == y,
          "dirty input written back: %llu", (unsigned long long)hot.dram_write_bytes);
    u.input_dirty_bytes = 0;
    /* batch 64: the output does not fit the L2 budget; L2 ends holding the
     * last `budget` bytes streamed, Y's share of them stays (dirty), the rest
     * is written back. 3 channel tiles re-read X one pass apart, the
     * window W = X + 2 Y/3 (the written share counted twice, 96 MB) beyond
     * twice the budget: each re-read misses (the ramp of docs/costmodel.md
     * section 3, (W - A) / A with A = B - Wt what the L2 keeps beside the
     * weights (14 kB), capped at 1); the weights come once. */
    u.batch = 64;
    u.input_hot = false;
    CHECK(cm_estimate_unit(&u, &t, &g, &cold) == CM_OK, "pw b64");
    const double budget = (double)cm_l2_budget_bytes(&g), fp64 = 64.0 * (x + y) + w;
    const uint64_t wr64 = (uint64_t)llround(64.0 * y * (1.0 - budget / fp64));
    CHECK(!cold.output_l2_resident && cold.dram_write_bytes == wr64 && wr64 > 32 * y && wr64 < 64 * y &&
              cold.output_dirty_bytes == 64 * y - wr64,
          "b64 writes: %llu, want %llu", (unsigned long long)cold.dram_write_bytes, (unsigned long long)wr64);
    const double m64 = miss_ramp(64.0 * x + 2.0 * (64.0 * y / 3), budget - (double)w);
    CHECK(m64 == 1.0, "b64 miss share %.3f", m64);
    CHECK(!cold.rereads_hit_l2 && cold.dram_read_bytes == 64 * x + (uint64_t)llround(2.0 * 64 * x * m64) + w,
          "b64 reads: %llu", (unsigned long long)cold.dram_read_bytes);
    /* batch 8: window X + 2 Y/3 fits: X once; footprint 17 MB fits: no write */
    u.batch = 8;
    CHECK(cm_estimate_unit(&u, &t, &g, &cold) == CM_OK, "pw b8");
    CHECK(cold.rereads_hit_l2 && cold.dram_read_bytes == 8 * x + w && cold.dram_write_bytes == 0 &&
              cold.output_l2_resident,
          "b8: %llu / %llu", (unsigned long long)cold.dram_read_bytes,
          (unsigned long long)cold.dram_write_bytes);
    /* a 64 kB L2: X's re-reads (window 7.2 MB) all miss, the weights (14 kB,
     * within the 48 kB budget) still hit */
    cm_gpu small = g;
    small.l2_bytes = 64 * 1024;
    CHECK(cm_estimate_unit(&u, &t, &small, &hot) == CM_OK, "small l2");
    const double b_small = (double)cm_l2_budget_bytes(&small);
    const double m8 = miss_ramp(8.0 * x + 2.0 * (8.0 * y / 3), b_small - (double)w);
    CHECK(!hot.rereads_hit_l2 && m8 == 1.0 &&
              hot.dram_read_bytes == 8 * x + (uint64_t)llround(2.0 * 8 * x * m8) + w &&
              hot.dram_read_bytes < hot.traffic.load_bytes,
          "64 kB L2: %llu vs %llu loaded", (unsigned long long)hot.dram_read_bytes,
          (unsigned long long)hot.traffic.load_bytes);
    /* a 16 kB L2: not even the weights fit: X's re-reads all miss, and the
     * weights' re-reads by the ramp of their own size against the budget */
    small.l2_bytes = 16 * 1024;
    CHECK(cm_estimate_unit(&u, &t, &small, &hot) == CM_OK, "tiny l2");
    const double b_tiny = (double)cm_l2_budget_bytes(&small);
    const uint64_t p_rereads = hot.traffic.load_bytes - 3 * 8 * x - w;
    CHECK(hot.dram_read_bytes == 3 * 8 * x + w + (uint64_t)llround((double)p_rereads * miss_ramp((double)w, b_tiny)),
          "16 kB L2: %llu vs %llu loaded", (unsigned long long)hot.dram_read_bytes,
          (unsigned long long)hot.traffic.load_bytes);
    u.batch = 64;
    /* fp16 puts the PW on tensor cores, DW stays on CUDA cores */
    u.dtype = CM_F16;
    /* executed: 1568 pixel tiles x 3 channel tiles of 128 x 64 outputs over
     * C = 24 in 2 chunks of 16 (32); useful 2 N H W C F */
    const double useful = 2.0 * 64 * 56 * 56 * 24 * 144, executed = 1568.0 * 3 * 2 * 128 * 64 * 32;
    CHECK(cm_estimate_unit(&u, &t, &g, &hot) == CM_OK && hot.flops_cuda == 0 && hot.flops_tensor == executed &&
              fabs(hot.tile_fill - useful / executed) < 1e-12,
          "tensor flops %.0f, fill %.4f", hot.flops_tensor, hot.tile_fill);
    cm_gpu notc = g;
    notc.tc_fp16_tflops = 0;
    CHECK(cm_estimate_unit(&u, &t, &notc, &hot) == CM_OK && hot.flops_tensor == 0 && hot.flops_cuda > 0,
          "no tensor cores: CUDA cores");
}

static void test_flops_recompute(void) {
    cm_gpu g = h100_sxm();
    /* PWDW 8x8 image, C=16 -> E=32, 3x3 s1 pad 1, 4x4 tiles: each axis has 2
     * tiles with clipped patches of 5 rows: sum 10 per axis, 100 patch pixels
     * vs 64 outputs. */
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = CM_KIND_PWDW;
    u.batch = 2;
    u.dtype = CM_F32;
    u.layers[0] = pw_layer(8, 8, 16, 32, CM_ACT_RELU6);
    u.layers[1] = dw_layer(8, 8, 32, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    cm_tile t = {4, 4, 32, 16, 128};
    cm_estimate e;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "pwdw est");
    /* the kernels compute every CTA's full patch (6x6 = 36 pixels, the
     * clipped ones 25 on average) and all its outputs: 8 CTAs; useful work
     * over the clipped patches */
    CHECK(e.flops_cuda == 8 * (2.0 * 36 * 32 * 16 + 2.0 * 16 * 32 * 9), "pwdw flops %.0f", e.flops_cuda);
    CHECK(fabs(e.tile_fill - (2.0 * 2 * 100 * 16 * 32 + 2.0 * 2 * 64 * 32 * 9) / e.flops_cuda) < 1e-12,
          "pwdw fill %.4f", e.tile_fill);
    /* DWPW with two channel tiles recomputes the DW twice */
    u.kind = CM_KIND_DWPW;
    u.layers[0] = dw_layer(8, 8, 16, 3, 2, 1, 1, 1, 1, CM_ACT_NONE);
    u.layers[1] = pw_layer(4, 4, 16, 64, CM_ACT_NONE);
    t = (cm_tile){4, 4, 32, 16, 128};
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "dwpw est");
    CHECK(e.flops_cuda == 2 * (2.0 * 2 * 16 * 16 * 9) + 2.0 * 2 * 16 * 16 * 64, "dwpw flops %.0f", e.flops_cuda);
    CHECK(e.ctas == 2 * 1 * 2, "dwpw ctas");
    /* 16-bit on tensor cores: the DW runs as mma by diagonal weight blocks
     * (fk_dw_tc.cuh), 8 executed multiply-adds per useful one, times 10/9 for
     * the zero tap that pads a 3x3 window to 5 pairs; nothing on CUDA cores */
    const double dw_x = 2 * (2.0 * 2 * 16 * 16 * 9), pw_x = 2.0 * 2 * 16 * 16 * 64;
    u.dtype = CM_F16;
    u.math = CM_MATH_TC;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK, "dwpw f16 est");
    CHECK(e.flops_cuda == 0 && fabs(e.flops_tensor - (pw_x + dw_x * 8.0 * 10.0 / 9.0)) < 1e-6,
          "dwpw f16: cuda %.0f, tensor %.0f", e.flops_cuda, e.flops_tensor);
    /* fp32 as TF32 keeps its DW on CUDA cores (fp32 FFMA) */
    u.dtype = CM_F32;
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK && e.flops_cuda == dw_x && e.flops_tensor == pw_x,
          "dwpw tf32: cuda %.0f, tensor %.0f", e.flops_cuda, e.flops_tensor);
    /* PWDW (its DW straight into the epilogue) stays on CUDA cores in 16 bits */
    u.kind = CM_KIND_PWDW;
    u.dtype = CM_F16;
    u.layers[0] = pw_layer(8, 8, 16, 32, CM_ACT_RELU6);
    u.layers[1] = dw_layer(8, 8, 32, 3, 1, 1, 1, 1, 1, CM_ACT_RELU6);
    CHECK(cm_estimate_unit(&u, &t, &g, &e) == CM_OK && e.flops_cuda == 8 * 2.0 * 16 * 32 * 9,
          "pwdw f16: DW on CUDA cores %.0f", e.flops_cuda);
}

static void test_other(void) {
    cm_gpu g = h100_sxm();
    cm_estimate e;
    cm_estimate_other(3350000, 0, 0.0, false, CM_F32, &g, &e);
    /* 3.35 MB at 3350 GB/s x 0.85 = 1/0.85 us, + 2 us launch */
    CHECK(fabs(e.time_us - (2.0 + 1.0 / 0.85)) < 1e-9, "other time %.9f", e.time_us);
    CHECK(e.dram_read_bytes == 3350000 && e.traffic.load_bytes == 3350000 && e.flops_cuda == 0, "other bytes");
    cm_estimate_other(0, 0, 66.9e6, false, CM_F32, &g, &e);
    CHECK(fabs(e.time_us - (2.0 + 1.0 / 0.6)) < 1e-9 && e.flops_cuda == 66.9e6, "other compute %.9f", e.time_us);
    cm_estimate_other(0, 0, 989.4e6, true, CM_F16, &g, &e);
    CHECK(fabs(e.time_us - (2.0 + 1.0 / 0.6)) < 1e-9 && e.flops_tensor == 989.4e6, "other tensor %.9f", e.time_us);
    cm_estimate_other(0, 0, 66.9e6, true, CM_F32, &g, &e);
    CHECK(e.flops_cuda == 66.9e6 && e.flops_tensor == 0, "fp32 stays on CUDA cores");
}

/* The efficiencies are read per (kind, math): a unit of kind k and math m
 * reads [k][cm_eff_math(k, m)] and nothing else (a DW, whose only form is on
 * CUDA cores, its SIMT slot whatever the unit's math); a standalone op
 * reads PW's slot of the math its FLOPs run on. */
static void test_eff_lookup(void) {
    cm_gpu g = h100_sxm();
    cm_unit pw;
    memset(&pw, 0, sizeof pw);
    pw.kind = CM_KIND_PW;
    pw.batch = 8;
    pw.layers[0] = pw_layer(28, 28, 64, 192, CM_ACT_NONE);
    cm_unit pw16 = pw;
    pw16.dtype = CM_F16;
    pw16.math = CM_MATH_TC;
    cm_unit dw = pw;
    dw.kind = CM_KIND_DW;
    dw.layers[0] = dw_layer(28, 28, 64, 3, 1, 1, 1, 1, 1, CM_ACT_NONE);
    cm_tile t32, t16, tdw;
    CHECK(cm_enumerate_tiles(&pw, &g, &t32, 1) > 0 && cm_enumerate_tiles(&pw16, &g, &t16, 1) > 0 &&
              cm_enumerate_tiles(&dw, &g, &tdw, 1) > 0,
          "tiles");
    /* not a plan's DW (cm_kind_math makes it SIMT, and only SIMT rows exist):
     * the efficiency lookup must not care */
    dw.math = CM_MATH_TC;
    cm_estimate a32, a16, adw, b32, b16, bdw;
    CHECK(cm_estimate_unit(&pw, &t32, &g, &a32) == CM_OK && cm_estimate_unit(&pw16, &t16, &g, &a16) == CM_OK &&
              cm_estimate_unit(&dw, &tdw, &g, &adw) == CM_OK,
          "estimates");
    /* the PW tensor-core slot halved: the fp16 TC unit's parts double, the
     * fp32 SIMT unit and the DW are untouched */
    g.bw_efficiency[CM_KIND_PW][CM_MATH_TC] /= 2;
    g.compute_efficiency[CM_KIND_PW][CM_MATH_TC] /= 2;
    g.bw_efficiency[CM_KIND_DW][CM_MATH_TC] = 0.001; /* never read */
    g.compute_efficiency[CM_KIND_DW][CM_MATH_TC] = 0.001;
    CHECK(cm_estimate_unit(&pw, &t32, &g, &b32) == CM_OK && cm_estimate_unit(&pw16, &t16, &g, &b16) == CM_OK &&
              cm_estimate_unit(&dw, &tdw, &g, &bdw) == CM_OK,
          "estimates after");
    CHECK(b32.time_us == a32.time_us && bdw.time_us == adw.time_us, "SIMT units moved: %g -> %g, dw %g -> %g",
          a32.time_us, b32.time_us, adw.time_us, bdw.time_us);
    CHECK(fabs(b16.t_dram_us - 2 * a16.t_dram_us) < 1e-9 * a16.t_dram_us &&
              fabs(b16.t_l2_us - 2 * a16.t_l2_us) < 1e-9 * a16.t_l2_us &&
              fabs(b16.t_compute_us - 2 * a16.t_compute_us) < 1e-9 * a16.t_compute_us && b16.time_us > a16.time_us,
          "TC unit: dram %g -> %g, l2 %g -> %g, compute %g -> %g", a16.t_dram_us, b16.t_dram_us, a16.t_l2_us,
          b16.t_l2_us, a16.t_compute_us, b16.t_compute_us);
    /* and the SIMT slot: the fp32 unit moves, the fp16 TC one does not */
    g.compute_efficiency[CM_KIND_PW][CM_MATH_SIMT] /= 3;
    cm_estimate c32, c16;
    CHECK(cm_estimate_unit(&pw, &t32, &g, &c32) == CM_OK && cm_estimate_unit(&pw16, &t16, &g, &c16) == CM_OK,
          "estimates after SIMT");
    CHECK(fabs(c32.t_compute_us - 3 * a32.t_compute_us) < 1e-9 * a32.t_compute_us && c16.time_us == b16.time_us,
          "SIMT slot: fp32 compute %g -> %g, fp16 %g -> %g", a32.t_compute_us, c32.t_compute_us, b16.time_us,
          c16.time_us);
    /* a standalone op: PW's slot of the math its FLOPs run on */
    cm_estimate o;
    cm_estimate_other(0, 0, 989.4e6, true, CM_F16, &g, &o); /* 1 us at the peak; TC compute 0.6 / 2 */
    CHECK(fabs(o.time_us - (2.0 + 1.0 / 0.3)) < 1e-9, "other on tensor cores %.9f", o.time_us);
    cm_estimate_other(0, 0, 66.9e6, false, CM_F32, &g, &o); /* SIMT compute 0.6 / 3 */
    CHECK(fabs(o.time_us - (2.0 + 1.0 / 0.2)) < 1e-9, "other on CUDA cores %.9f", o.time_us);
}

static void test_calibration(void) {
    cm_gpu g;
    memset(&g, 0, sizeof g);
    cm_gpu_default_calibration(&g);
    for (int k = 0; k < CM_KIND_COUNT; k++)
        for (int m = 0; m < CM_MATH_COUNT; m++) {
            CHECK(g.bw_efficiency[k][m] > 0 && g.bw_efficiency[k][m] <= 1 && g.compute_efficiency[k][m] > 0 &&
                      g.compute_efficiency[k][m] <= 1,
                  "calibration %d %d", k, m);
            /* one prior for both maths: nothing measured tells them apart */
            CHECK(g.bw_efficiency[k][m] == g.bw_efficiency[k][CM_MATH_SIMT] &&
                      g.compute_efficiency[k][m] == g.compute_efficiency[k][CM_MATH_SIMT],
                  "prior of %d differs by math", k);
        }
    CHECK(cm_eff_math(CM_KIND_DW, CM_MATH_TC) == CM_MATH_SIMT && cm_eff_math(CM_KIND_PW, CM_MATH_TC) == CM_MATH_TC &&
              cm_eff_math(CM_KIND_PWDWPW, CM_MATH_SIMT) == CM_MATH_SIMT &&
              cm_eff_math(CM_KIND_PW, (cm_math)7) == CM_MATH_SIMT,
          "cm_eff_math");
    cm_gpu_default_calibration(NULL);
}

int main(int argc, char **argv) {
    rng_state = 0x5eed0fc0575eedULL;
    g_print = argc > 1 && strcmp(argv[1], "--print") == 0;
    if (g_print) {
        test_worked_example();
        return 0;
    }
    test_names();
    test_variants();
    test_unit_errors();
    test_tile_checks();
    test_traffic_hand();
    test_traffic_large();
    test_traffic_random(2000);
    test_split_random(500);
    test_split_random_pw_tc(500);
    test_split_random_fused_tc(CM_KIND_PWDWPW, 300);
    test_split_random_fused_tc(CM_KIND_DWPW, 300);
    test_split_random_fused_tc(CM_KIND_PWDW, 300);
    test_split_hand();
    test_executed_flops();
    test_dram_windows();
    test_serial_chain();
    test_warps_to_saturate();
    test_cta_cost();
    test_worked_example();
    test_enumerate();
    test_enumerate_chunk_tie();
    test_enumerate_dominance();
    test_dram_rules();
    test_dram_slice_granules();
    test_flops_recompute();
    test_other();
    test_eff_lookup();
    test_calibration();
    printf("closed form vs simulator, cases per kind:");
    for (int k = 0; k < CM_KIND_COUNT; k++) printf(" %s %d", cm_kind_name((cm_kind)k), cases_per_kind[k]);
    printf("\n");
    return check_summary("costmodel");
}
