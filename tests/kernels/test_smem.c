/* test_smem.c - the kernels' shared memory is the cost model's (suite cpu:
 * host code only, no device needed; built where the CUDA backend is).
 *
 * For every row of cm_variants.inc on thousands of random units of its kind
 * (kernel 3/5/7, stride 1/2, asymmetric padding, channel counts 1..1100,
 * images smaller and larger than the tile, batch 1..4): the bytes the
 * launcher allocates (fk_unit_smem_bytes) equal cm_tile_check's
 * footprint.smem_bytes and cm_smem_bytes, feasible or not. And the layout
 * itself (cm_smem_layout.h) is sane for every compiled row: regions in
 * order, each 16-byte aligned, all inside the total. Any mismatch fails.
 * The 16-bit rows (issue 12) carve layouts of their own (cm_smem_dw16_layout,
 * cm_smem_pw_tc_layout, cm_smem_dwpw_tc_layout, cm_smem_pwdw_tc_layout,
 * cm_smem_pwpw_tc_layout, cm_smem_pwdwpw_tc_layout): for units of the row's dtype and math the cost
 * model's bytes equal 4 x that layout's total (the function the kernel carves
 * with), the 16-bit rows are an odd number of 16-byte units apart (conflict-
 * free ldmatrix; the PW rows instead unpadded and permuted, cm_pw_tc_swz,
 * whose properties test_pw_tc_swz checks) and the pipeline stages and the staging tile fit below the
 * bias. Half of the random units take the row's dtype and math, half a random
 * dtype and math (the footprint is the cost model's for any of them).
 * The fp32 tensor-core rows (TF32) carve the same tensor-core layouts with
 * 4-byte elements (cm_smem_*_tc_layout_es, esz 4), checked the same way
 * (check_layout_tf32); and the enumerator proposes them, and only them, for
 * fp32 units with math tc (test_tf32_enumerator).
 * And dispatch: every row has a compiled kernel, the generated dispatch table
 * (fk_compiled_variants) is the table of rows, entry for entry
 * (cm_variant_id_equal), so a row without a kernel or a kernel without a row
 * fails here, without a device. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cm_smem_layout.h"
#include "cm_h100.h"
#include "costmodel.h"
#include "test_rng.h"
#include "fk_kernels.h"

/* rng_state starts at 0x5eedfacefeedULL (main) */
static int rnd_ch(void) {
    switch (rnd(0, 3)) {
    case 0: return rnd(1, 8);
    case 1: return 8 * rnd(1, 140);
    default: return rnd(1, 1100);
    }
}

static cm_gpu big_gpu(void) { return cm_fixture_h100_sxm(); }

static cm_conv pw_layer(int h, int w, int c, int f) {
    cm_conv l = {h, w, c, h, w, f, 1, 1, 0, 0, CM_ACT_NONE};
    return l;
}

static cm_conv dw_layer(int h, int w, int c) {
    for (;;) {
        const int k = 3 + 2 * rnd(0, 2), s = rnd(1, 2);
        const int pt = rnd(0, k - 1), pb = rnd(0, k - 1), pl = rnd(0, k - 1), pr = rnd(0, k - 1);
        if (h + pt + pb < k || w + pl + pr < k) continue;
        cm_conv l = {h, w, c, (h + pt + pb - k) / s + 1, (w + pl + pr - k) / s + 1, c, k, s, pt, pl,
                     CM_ACT_RELU6};
        return l;
    }
}

static cm_unit rnd_unit(cm_kind kind) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = kind;
    u.batch = rnd(1, 4);
    u.dtype = (cm_dtype)rnd(0, CM_DTYPE_COUNT - 1);
    u.residual = rnd(0, 1);
    const int h = rnd(0, 3) ? rnd(1, 60) : rnd(1, 4), w = rnd(0, 3) ? rnd(1, 60) : rnd(1, 4);
    const int c = rnd_ch(), e = rnd_ch(), f = rnd_ch();
    switch (kind) {
    case CM_KIND_DW: u.layers[0] = dw_layer(h, w, c); break;
    case CM_KIND_PW: u.layers[0] = pw_layer(h, w, c, f); break;
    case CM_KIND_DWPW:
        u.layers[0] = dw_layer(h, w, c);
        u.layers[1] = pw_layer(u.layers[0].out_h, u.layers[0].out_w, c, f);
        break;
    case CM_KIND_PWDW:
        u.layers[0] = pw_layer(h, w, c, e);
        u.layers[1] = dw_layer(h, w, e);
        break;
    case CM_KIND_PWPW:
        u.layers[0] = pw_layer(h, w, c, e);
        u.layers[1] = pw_layer(h, w, e, f);
        break;
    case CM_KIND_PWDWPW:
        u.layers[0] = pw_layer(h, w, c, e);
        u.layers[1] = dw_layer(h, w, e);
        u.layers[2] = pw_layer(u.layers[1].out_h, u.layers[1].out_w, e, f);
        break;
    default: break;
    }
    return u;
}

/* Offsets in order, each a multiple of 4 words, the last region inside total. */
static void check_regions(const char *name, const cm_sw *off, int n, cm_sw total) {
    for (int i = 0; i < n; i++) {
        CHECK(off[i] % 4 == 0, "%s: region %d at word %lld is not 16-byte aligned", name, i,
              (long long)off[i]);
        CHECK(i == 0 || off[i] >= off[i - 1], "%s: region %d before region %d", name, i, i - 1);
        CHECK(off[i] < total, "%s: region %d at %lld outside total %lld", name, i, (long long)off[i],
              (long long)total);
    }
}

static bool is16(cm_dtype t) { return t == CM_F16 || t == CM_BF16; }

/* The fp32 rows on tensor cores (TF32; issue 12) carve the 16-bit rows'
 * tensor-core layouts with 4-byte elements (the _es functions, esz 4): sane
 * regions, every fp32 matrix row an odd number of 16-byte units long and
 * holding its elements (ldmatrix moves each fp32 as two b16 halves: 16-byte
 * rows), the X / W1 rows of PWDWPW C rounded up to a k-step of 8, and the
 * cost model's bytes for an fp32 unit with math tc exactly the layout's. */
static bool is_tf32(const cm_variant *v) { return v->id.dtype == CM_F32 && v->id.math == CM_MATH_TC; }
static bool odd_units(cm_sw words) { return words % 4 == 0 && (words / 4) % 2 == 1; }
static bool check_layout_tf32(const cm_variant *v, const cm_unit *u, int k, int s) {
    const cm_tile *t = &v->id.tile;
    if (!is_tf32(v)) return false;
    const bool same = u->dtype == CM_F32 && u->math == CM_MATH_TC;
    const cm_sw ks = cm_tc_stride(t->chunk_c, 4), m = (cm_sw)t->tile_h * t->tile_w;
    const cm_sw p16 = cm_smem_r16(cm_smem_patch(t->tile_h, t->tile_w, k, s));
    CHECK(odd_units(ks) && ks >= t->chunk_c, "%s: fp32 row stride %lld words for %d channels",
          v->name, (long long)ks, t->chunk_c);
    CHECK(t->chunk_c % 16 == 0 && t->tile_c % 16 == 0, "%s: tile not made of mma tiles", v->name);
    cm_sw total = 0;
    switch (v->id.kind) {
    case CM_KIND_PW: {
        cm_smem_pw_tc l = cm_smem_pw_tc_layout_es(t->tile_w, t->tile_c, t->chunk_c, t->threads, 4);
        const cm_sw nb = cm_pw_tc_stages(t->tile_w, t->tile_c);
        const cm_sw sk = cm_pw_tc_split(t->tile_w, t->tile_c, t->threads);
        const cm_sw rs = t->chunk_c; /* unpadded fp32 rows (cm_pw_tc_swz) */
        cm_sw o[] = {l.a, l.b, l.stage, (nb - 1) * l.stage + l.b};
        check_regions(v->name, o, 4, l.total);
        CHECK(cm_pw_tc_row_ok(t->chunk_c, 4), "%s: fp32 rows of %d bytes, not 64 or 128", v->name,
              4 * t->chunk_c);
        CHECK(l.b == t->tile_w * rs && l.stage == (cm_sw)(t->tile_w + t->tile_c) * rs &&
                  nb * l.stage <= l.total && (sk == 1 || sk * l.staging <= l.total) &&
                  l.total == (cm_smem_max(nb * l.stage, sk > 1 ? sk * l.staging : 0) + 3) / 4 * 4 &&
                  l.staging == t->tile_w * (t->tile_c + 8),
              "%s: fp32 stages / staging past the end, or unused space", v->name);
        CHECK(t->tile_c % 32 == 0 && t->tile_w % 16 == 0, "%s: tile not made of mma tiles", v->name);
        total = l.total;
        break;
    }
    case CM_KIND_DWPW: {
        cm_smem_dwpw_tc l =
            cm_smem_dwpw_tc_layout_es(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s, 4);
        cm_sw o[] = {l.buf + l.x, l.buf + l.wd, l.buf + l.bd, l.buf + l.w2, l.buf + l.bufsize, l.d, l.b2};
        check_regions(v->name, o, 7, l.total);
        CHECK(l.wd - l.x == cm_smem_patch(t->tile_h, t->tile_w, k, s) * ks &&
                  l.bd - l.wd >= (cm_sw)k * k * t->chunk_c && l.bufsize - l.w2 == t->tile_c * ks,
              "%s: fp32 patch / weight regions", v->name);
        CHECK(l.d == l.buf + 2 * l.bufsize && l.b2 - l.d == m * ks,
              "%s: buffers / DW result overlap", v->name);
        total = l.total;
        break;
    }
    case CM_KIND_PWDW: {
        cm_smem_pwdw_tc l =
            cm_smem_pwdw_tc_layout_es(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s, 4);
        const cm_sw ts = cm_tc_stride(t->tile_c, 4);
        cm_sw o[] = {l.buf + l.x, l.buf + l.w, l.buf + l.bufsize, l.a, l.e, l.wd, l.b1, l.bd};
        check_regions(v->name, o, 8, l.total);
        CHECK(odd_units(ts) && ts >= t->tile_c && l.w == p16 * ks && l.a == l.buf + 2 * l.bufsize &&
                  l.e - l.a == p16 * (t->tile_c + 8) && l.wd - l.e == p16 * ts &&
                  l.b1 - l.wd >= (cm_sw)k * k * t->tile_c,
              "%s: fp32 regions", v->name);
        total = l.total;
        break;
    }
    case CM_KIND_PWDWPW: {
        const cm_sw c = u->layers[0].in_c;
        cm_smem_pwdwpw_tc l =
            cm_smem_pwdwpw_tc_layout_es(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s, c, 4);
        const cm_sw c8 = (c + 7) / 8 * 8, cs = cm_tc_stride(c8, 4);
        cm_sw o[] = {l.x, l.buf, l.buf + l.b1, l.buf + l.wd, l.buf + l.bd, l.buf + l.w2,
                     l.buf + l.bufsize, l.e, l.d, l.b2};
        check_regions(v->name, o, 10, l.total);
        CHECK(cm_tc_rk(c, 4) == c8 && odd_units(cs) && cs >= c8 && l.buf == p16 * cs &&
                  l.b1 == t->chunk_c * cs && l.bd - l.wd >= (cm_sw)k * k * t->chunk_c,
              "%s: fp32 patch / W1 rows (C %lld)", v->name, (long long)c);
        CHECK(l.e == l.buf + 2 * l.bufsize && l.d - l.e == p16 * ks && l.b2 - l.d == m * ks,
              "%s: buffers / XE / DW result overlap", v->name);
        CHECK(t->tile_c % 32 == 0 && m % 16 == 0, "%s: tile not made of mma tiles", v->name);
        total = l.total;
        break;
    }
    default: CHECK(0, "%s: an fp32 tensor-core row of a kind without a TF32 kernel", v->name); return true;
    }
    if (same)
        CHECK(cm_smem_bytes(u, t) == 4 * (size_t)total, "%s: cost model %zu B, kernel %lld B", v->name,
              cm_smem_bytes(u, t), 4 * (long long)total);
    return true;
}

/* The 16-bit rows' own layouts: sane, and the cost model's bytes for a unit
 * of the row's dtype and math (u) are exactly what the kernel carves. */
static bool check_layout16(const cm_variant *v, const cm_unit *u, int k, int s) {
    const cm_tile *t = &v->id.tile;
    if (!is16(v->id.dtype)) return false;
    const bool same = u->dtype == v->id.dtype && u->math == v->id.math;
    if (v->id.kind == CM_KIND_DW && v->id.math == CM_MATH_SIMT) {
        cm_smem_dw16 l = cm_smem_dw16_layout(t->tile_h, t->tile_w, t->tile_c, k, s);
        cm_sw o[] = {l.x, l.w, l.b};
        check_regions(v->name, o, 3, l.total);
        CHECK(l.w * 2 >= cm_smem_patch(t->tile_h, t->tile_w, k, s) * t->tile_c,
              "%s: 16-bit patch does not fit", v->name);
        CHECK(t->tile_c % 8 == 0, "%s: tile_c not a multiple of 8 (16-byte rows)", v->name);
        if (same)
            CHECK(cm_smem_bytes(u, t) == 4 * (size_t)l.total, "%s: cost model %zu B, kernel %lld B",
                  v->name, cm_smem_bytes(u, t), 4 * (long long)l.total);
        return true;
    }
    if (v->id.kind == CM_KIND_PW && v->id.math == CM_MATH_TC) {
        cm_smem_pw_tc l = cm_smem_pw_tc_layout(t->tile_w, t->tile_c, t->chunk_c, t->threads);
        const cm_sw rs = t->chunk_c / 2, nb = cm_pw_tc_stages(t->tile_w, t->tile_c);
        cm_sw o[] = {l.a, l.b, l.stage, (nb - 1) * l.stage + l.b};
        check_regions(v->name, o, 4, l.total);
        /* unpadded rows of 64 or 128 bytes, permuted (cm_pw_tc_swz, tested
         * in test_pw_tc_swz) */
        CHECK(cm_pw_tc_row_ok(t->chunk_c, 2) && l.b == t->tile_w * rs &&
                  l.stage == (cm_sw)(t->tile_w + t->tile_c) * rs,
              "%s: 16-bit rows of %d bytes, or stages not made of them", v->name, 2 * t->chunk_c);
        /* SK > 1 k-step groups meet in fp32 staging tiles over the stages;
         * SK = 1 rows store from the fragments: the stages alone */
        const cm_sw sk = cm_pw_tc_split(t->tile_w, t->tile_c, t->threads);
        CHECK(nb * l.stage <= l.total && (sk == 1 || sk * l.staging <= l.total) &&
                  l.staging == t->tile_w * (t->tile_c + 8) &&
                  l.total == (cm_smem_max(nb * l.stage, sk > 1 ? sk * l.staging : 0) + 3) / 4 * 4,
              "%s: stages / staging past the end, or unused space", v->name);
        CHECK(t->chunk_c % 16 == 0 && t->tile_c % 32 == 0 && t->tile_w % 16 == 0,
              "%s: tile not made of mma tiles", v->name);
        if (same)
            CHECK(cm_smem_bytes(u, t) == 4 * (size_t)l.total, "%s: cost model %zu B, kernel %lld B",
                  v->name, cm_smem_bytes(u, t), 4 * (long long)l.total);
        return true;
    }
    if (v->id.kind == CM_KIND_DWPW && v->id.math == CM_MATH_TC) {
        cm_smem_dwpw_tc l = cm_smem_dwpw_tc_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s);
        const cm_sw ks = cm_half_stride(t->chunk_c), m = (cm_sw)t->tile_h * t->tile_w;
        cm_sw o[] = {l.buf + l.x, l.buf + l.wd, l.buf + l.bd, l.buf + l.w2, l.buf + l.bufsize, l.d, l.b2};
        check_regions(v->name, o, 7, l.total);
        CHECK(l.wd - l.x == cm_smem_patch(t->tile_h, t->tile_w, k, s) * ks && (ks / 4) % 2 == 1,
              "%s: patch chunk rows", v->name);
        CHECK(l.d == l.buf + 2 * l.bufsize && l.b2 - l.d == m * ks,
              "%s: buffers / DW result overlap", v->name);
        CHECK(t->chunk_c % 16 == 0 && t->tile_c % 16 == 0 && m % 16 == 0, "%s: tile not made of mma tiles",
              v->name);
        if (same)
            CHECK(cm_smem_bytes(u, t) == 4 * (size_t)l.total, "%s: cost model %zu B, kernel %lld B",
                  v->name, cm_smem_bytes(u, t), 4 * (long long)l.total);
        return true;
    }
    if (v->id.kind == CM_KIND_PWDW && v->id.math == CM_MATH_TC) {
        cm_smem_pwdw_tc l = cm_smem_pwdw_tc_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s);
        const cm_sw p16 = cm_smem_r16(cm_smem_patch(t->tile_h, t->tile_w, k, s));
        const cm_sw ks = cm_half_stride(t->chunk_c), ts = cm_half_stride(t->tile_c);
        cm_sw o[] = {l.buf + l.x, l.buf + l.w, l.buf + l.bufsize, l.a, l.e, l.wd, l.b1, l.bd};
        check_regions(v->name, o, 8, l.total);
        CHECK(l.w == p16 * ks && l.a == l.buf + 2 * l.bufsize && l.e - l.a == p16 * (t->tile_c + 8) &&
                  l.wd - l.e == p16 * ts && (ks / 4) % 2 == 1 && (ts / 4) % 2 == 1,
              "%s: regions", v->name);
        CHECK(t->chunk_c % 16 == 0 && t->tile_c % 16 == 0, "%s: tile not made of mma tiles", v->name);
        if (same)
            CHECK(cm_smem_bytes(u, t) == 4 * (size_t)l.total, "%s: cost model %zu B, kernel %lld B",
                  v->name, cm_smem_bytes(u, t), 4 * (long long)l.total);
        return true;
    }
    if (v->id.kind == CM_KIND_PWDWPW && v->id.math == CM_MATH_TC) {
        const cm_sw c = u->layers[0].in_c;
        cm_smem_pwdwpw_tc l =
            cm_smem_pwdwpw_tc_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s, c);
        const cm_sw p16 = cm_smem_r16(cm_smem_patch(t->tile_h, t->tile_w, k, s));
        const cm_sw cs = cm_half_stride(cm_smem_r16(c)), ks = cm_half_stride(t->chunk_c);
        cm_sw o[] = {l.x, l.buf, l.buf + l.b1, l.buf + l.wd, l.buf + l.bd, l.buf + l.w2,
                     l.buf + l.bufsize, l.e, l.d, l.b2};
        check_regions(v->name, o, 10, l.total);
        CHECK(l.buf == p16 * cs && cs * 2 >= cm_smem_r16(c) && (cs / 4) % 2 == 1 && (ks / 4) % 2 == 1,
              "%s: patch rows", v->name);
        CHECK(l.e == l.buf + 2 * l.bufsize && l.d - l.e == p16 * ks &&
                  l.b2 - l.d == (cm_sw)t->tile_h * t->tile_w * ks,
              "%s: buffers / XE / DW result overlap", v->name);
        CHECK(t->chunk_c % 16 == 0 && t->tile_c % 32 == 0 && (t->tile_h * t->tile_w) % 16 == 0,
              "%s: tile not made of mma tiles", v->name);
        if (same)
            CHECK(cm_smem_bytes(u, t) == 4 * (size_t)l.total, "%s: cost model %zu B, kernel %lld B",
                  v->name, cm_smem_bytes(u, t), 4 * (long long)l.total);
        return true;
    }
    if (v->id.kind == CM_KIND_PWPW && v->id.math == CM_MATH_TC) {
        /* X and H resident (their rows depend on the unit's C and F1), the
         * ring of NB-row stages, the biases; the fp32 staging of an output
         * sub-block over X */
        const cm_sw c = u->layers[0].in_c, f1 = u->layers[0].out_c, tw = t->tile_w;
        cm_smem_pwpw_tc l = cm_smem_pwpw_tc_layout(tw, t->tile_c, t->chunk_c, t->threads, c, f1);
        const cm_sw nb = cm_pwpw_tc_nb(tw, t->threads), nw = t->threads / 32;
        const cm_sw xs = cm_half_stride(cm_smem_r16(c)), hs = cm_half_stride(cm_smem_r16(f1));
        const cm_sw ks = cm_half_stride(t->chunk_c);
        cm_sw o[] = {l.x, l.h, l.ring, l.ring + l.stage, l.b1, l.b2};
        check_regions(v->name, o, 6, l.total);
        CHECK(xs * 2 >= cm_smem_r16(c) && hs * 2 >= cm_smem_r16(f1) && ks * 2 >= t->chunk_c &&
                  (xs / 4) % 2 == 1 && (hs / 4) % 2 == 1 && (ks / 4) % 2 == 1,
              "%s: X / H / stage rows are not an odd number of 16-byte units", v->name);
        CHECK(l.h - l.x >= tw * xs && l.h - l.x >= tw * (nb + 8) && l.ring - l.h == tw * hs,
              "%s: X, staging or H overlap", v->name);
        CHECK(l.stage == nb * ks && l.b1 - l.ring == CM_PWPW_TC_STAGES * l.stage &&
                  l.b2 - l.b1 >= f1 && l.total - l.b2 == t->tile_c,
              "%s: ring / biases overlap", v->name);
        CHECK(nb % 32 == 0 && nw % (nb / 32) == 0 && t->tile_c % nb == 0 && t->chunk_c % 16 == 0 &&
                  tw % (nw / (nb / 32)) == 0 && (tw / (nw / (nb / 32))) % 16 == 0,
              "%s: tile not made of mma tiles (NB %lld)", v->name, (long long)nb);
        if (same)
            CHECK(cm_smem_bytes(u, t) == 4 * (size_t)l.total, "%s: cost model %zu B, kernel %lld B",
                  v->name, cm_smem_bytes(u, t), 4 * (long long)l.total);
        return true;
    }
    CHECK(0, "%s: a 16-bit row without a 16-bit layout", v->name);
    return true;
}

static void check_layout(const cm_variant *v, const cm_unit *u, int k, int s, int c, int f1) {
    const cm_tile *t = &v->id.tile;
    if (check_layout_tf32(v, u, k, s) || check_layout16(v, u, k, s)) return;
    switch (v->id.kind) {
    case CM_KIND_DW: {
        cm_smem_dw l = cm_smem_dw_layout(t->tile_h, t->tile_w, t->tile_c, k, s);
        cm_sw o[] = {l.x, l.w, l.b};
        check_regions(v->name, o, 3, l.total);
        break;
    }
    case CM_KIND_PW: {
        cm_smem_pw l = cm_smem_pw_layout(t->tile_w, t->tile_c, t->chunk_c, t->threads);
        cm_sw o[] = {l.a, l.b, l.bias};
        check_regions(v->name, o, 3, l.total);
        break;
    }
    case CM_KIND_DWPW: {
        cm_smem_dwpw l = cm_smem_dwpw_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s, t->threads);
        cm_sw o[] = {l.patch, l.wd, l.bd, l.d, l.w2, l.b2};
        check_regions(v->name, o, 6, l.total);
        break;
    }
    case CM_KIND_PWDW: {
        cm_smem_pwdw l = cm_smem_pwdw_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s);
        cm_sw o[] = {l.x, l.w1, l.bufsize, l.bufsize + l.w1, l.e, l.wd, l.b1, l.bd};
        check_regions(v->name, o, 8, l.total);
        CHECK(l.e == cm_pwdw_stages(t->tile_h, t->tile_w) * l.bufsize, "%s: buffers overlap", v->name);
        break;
    }
    case CM_KIND_PWPW: {
        cm_smem_pwpw l = cm_smem_pwpw_layout(t->tile_w, t->tile_c, t->chunk_c, f1);
        cm_sw o[] = {l.h, l.u, l.w1, l.b1, l.b2};
        check_regions(v->name, o, 5, l.total);
        break;
    }
    case CM_KIND_PWDWPW: {
        cm_smem_pwdwpw l =
            cm_smem_pwdwpw_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c, k, s, c, t->threads);
        cm_sw o[] = {l.x, l.buf, l.buf + l.b1, l.buf + l.wd, l.buf + l.bd, l.buf + l.w2,
                     l.buf + l.bufsize, l.e, l.d, l.b2};
        check_regions(v->name, o, 10, l.total);
        CHECK(l.e == l.buf + 2 * l.bufsize, "%s: second buffer overlaps", v->name);
        break;
    }
    default: CHECK(0, "%s: unknown kind", v->name);
    }
}

/* Every row of cm_variants.inc is compiled, and the dispatch table lists
 * exactly the rows, in order. */
static void test_dispatch_table(void) {
    size_t nv = 0;
    const cm_variant *vs = cm_variants(&nv);
    static cm_variant_id ids[CM_MAX_VARIANTS];
    const size_t nk = fk_compiled_variants(ids, CM_MAX_VARIANTS);
    CHECK(nk == nv, "dispatch table has %zu entries, cm_variants.inc %zu rows", nk, nv);
    for (size_t i = 0; i < nv; i++) {
        CHECK(fk_variant_compiled(&vs[i].id), "%s: row without a compiled kernel", vs[i].name);
        CHECK(fk_variant_kernel_name(&vs[i].id) == vs[i].name, "%s: kernel name", vs[i].name);
        if (i < nk && i < CM_MAX_VARIANTS)
            CHECK(cm_variant_id_equal(&ids[i], &vs[i].id), "%s: dispatch entry %zu differs",
                  vs[i].name, i);
    }
    /* a tile that is no row: not compiled */
    cm_variant_id none = vs[0].id;
    none.tile.tile_w += 1;
    CHECK(!fk_variant_compiled(&none), "a tile without a row is not compiled");
    none = vs[0].id;
    none.dtype = CM_I8;
    CHECK(!fk_variant_compiled(&none) || cm_variant_find(&none), "int8 twin of row 0");
    printf("dispatch: %zu rows, %zu compiled variants\n", nv, nk);
}

/* fp32 with math tc (TF32): the tile enumerator proposes exactly the fp32
 * tensor-core rows of the unit's kind (and strict fp32 only the SIMT rows),
 * the estimate counts the GEMMs on tensor cores, and a DW layer stays on CUDA
 * cores (cm_kind_math): a MobileNetV2 block at batch 64 on an H100. */
static void test_tf32_enumerator(void) {
    const cm_gpu g = big_gpu();
    CHECK(cm_kind_math(CM_KIND_DW, CM_MATH_TC) == CM_MATH_SIMT &&
              cm_kind_math(CM_KIND_PWDWPW, CM_MATH_TC) == CM_MATH_TC,
          "cm_kind_math: DW on CUDA cores, GEMM kinds on tensor cores");
    const cm_kind kinds[] = {CM_KIND_PW, CM_KIND_DWPW, CM_KIND_PWDW, CM_KIND_PWDWPW};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        cm_unit u;
        memset(&u, 0, sizeof u);
        u.kind = kinds[i];
        u.batch = 64;
        u.dtype = CM_F32;
        cm_conv dw = {56, 56, 144, 56, 56, 144, 3, 1, 1, 1, CM_ACT_RELU6};
        switch (u.kind) {
        case CM_KIND_PW: u.layers[0] = pw_layer(56, 56, 24, 144); break;
        case CM_KIND_DWPW:
            u.layers[0] = dw;
            u.layers[1] = pw_layer(56, 56, 144, 24);
            break;
        case CM_KIND_PWDW:
            u.layers[0] = pw_layer(56, 56, 24, 144);
            u.layers[1] = dw;
            break;
        default:
            u.layers[0] = pw_layer(56, 56, 24, 144);
            u.layers[1] = dw;
            u.layers[2] = pw_layer(56, 56, 144, 24);
            break;
        }
        for (int mi = 0; mi < CM_MATH_COUNT; mi++) {
            u.math = (cm_math)mi;
            cm_tile tiles[CM_MAX_VARIANTS];
            const size_t n = cm_enumerate_tiles(&u, &g, tiles, CM_MAX_VARIANTS);
            CHECK(n > 0 && n <= CM_MAX_VARIANTS, "%s fp32 %s: %zu tiles proposed",
                  cm_kind_name(u.kind), cm_math_name(u.math), n);
            for (size_t j = 0; j < n && j < CM_MAX_VARIANTS; j++) {
                const cm_variant_id id = {u.kind, CM_F32, u.math, tiles[j]};
                CHECK(cm_variant_find(&id) != NULL, "%s fp32 %s: tile %zu is no %s row",
                      cm_kind_name(u.kind), cm_math_name(u.math), j, cm_math_name(u.math));
                cm_estimate e;
                CHECK(cm_estimate_unit(&u, &tiles[j], &g, &e) == CM_OK &&
                          (u.math == CM_MATH_TC) == (e.flops_tensor > 0),
                      "%s fp32 %s: GEMM flops on tensor cores only for tc", cm_kind_name(u.kind),
                      cm_math_name(u.math));
            }
        }
    }
}

/* The PW tensor-core rows' permutation (cm_pw_tc_swz), for rows of 4 and 8
 * 16-byte units: a permutation of each row's units; every ldmatrix phase (8
 * consecutive rows from a multiple of 8, one logical unit) in 8 distinct
 * 16-byte bank groups of a 128-byte line; every aligned unit pair (2v, 2v+1)
 * of a row kept in one 32-byte chunk (a global sector copied by a row that
 * starts at an even unit lands whole: cm_traffic.c counts no split). */
static void test_pw_tc_swz(void) {
    for (int units = 4; units <= 8; units += 4) {
        for (int r = 0; r < 64; r++) {
            int seen = 0;
            for (int q = 0; q < units; q++) {
                const cm_sw u = cm_pw_tc_swz(r, q, units);
                CHECK(u >= 0 && u < units, "swz(%d, %d, %d) = %lld outside the row", r, q, units, (long long)u);
                seen |= 1 << u;
                if (q % 2 == 0)
                    CHECK(u / 2 == cm_pw_tc_swz(r, q + 1, units) / 2, "swz splits pair %d of row %d (U %d)", q / 2, r,
                          units);
            }
            CHECK(seen == (1 << units) - 1, "swz row %d (U %d) not a permutation", r, units);
        }
        for (int r0 = 0; r0 < 64; r0 += 8)
            for (int q = 0; q < units; q++) {
                int groups = 0;
                for (int r = r0; r < r0 + 8; r++) {
                    const cm_sw byte = (cm_sw)r * units * 16 + cm_pw_tc_swz(r, q, units) * 16;
                    groups |= 1 << (int)(byte % 128 / 16);
                }
                CHECK(groups == 0xff, "ldmatrix phase rows %d.. unit %d (U %d): bank groups %#x", r0, q, units, groups);
            }
    }
}

/* The tensor-core PW k-split (cm_pw_tc_split): the shipped rows' values,
 * and for every PW TC row warps = (warps down the pixels) x (across the
 * channels) x SK with no warp left over, SK dividing a chunk's k-steps (the
 * kernel's static_asserts, checked here where a wrong row would fail first). */
static void test_pw_tc_split(void) {
    CHECK(cm_pw_tc_split(64, 64, 512) == 2 && cm_pw_tc_split(32, 64, 256) == 2 &&
              cm_pw_tc_split(16, 64, 128) == 2,
          "k-split rows: SK 2");
    CHECK(cm_pw_tc_split(128, 128, 256) == 1 && cm_pw_tc_split(64, 64, 128) == 1 &&
              cm_pw_tc_split(128, 32, 128) == 1 && cm_pw_tc_split(16, 64, 64) == 1,
          "the other rows: SK 1");
    size_t nv = 0;
    const cm_variant *vs = cm_variants(&nv);
    for (size_t i = 0; i < nv; i++) {
        const cm_variant *v = &vs[i];
        if (v->id.kind != CM_KIND_PW || v->id.math != CM_MATH_TC) continue;
        const cm_tile *t = &v->id.tile;
        const cm_sw warps = t->threads / 32, wn = t->tile_c >= 32 ? t->tile_c / 32 : 1;
        const cm_sw sk = cm_pw_tc_split(t->tile_w, t->tile_c, t->threads), wm = warps / (wn * sk);
        const cm_sw ksteps = t->chunk_c * cm_dtype_bytes(v->id.dtype) / 32;
        CHECK(sk >= 1 && wm >= 1 && wm * wn * sk == warps && t->tile_w % (16 * wm) == 0 && ksteps % sk == 0,
              "%s: %lld warps = %lld x %lld x SK %lld, %lld k-steps per chunk", v->name, (long long)warps,
              (long long)wm, (long long)wn, (long long)sk, (long long)ksteps);
    }
}

int main(void) {
    rng_state = 0x5eedfacefeedULL;
    test_dispatch_table();
    test_pw_tc_split();
    test_pw_tc_swz();
    test_tf32_enumerator();
    const cm_gpu g = big_gpu();
    size_t nv = 0;
    const cm_variant *vs = cm_variants(&nv);
    CHECK(nv > 0, "no variants");
    long compared = 0, feasible = 0;
    for (size_t i = 0; i < nv; i++) {
        const cm_variant *v = &vs[i];
        long mism = 0;
        for (int rep = 0; rep < 1500; rep++) {
            cm_unit u = rnd_unit(v->id.kind);
            if (rep % 2 == 0) {
                u.dtype = v->id.dtype;
                u.math = v->id.math;
            } else {
                u.math = (cm_math)rnd(0, CM_MATH_COUNT - 1);
            }
            char why[256];
            CHECK(cm_unit_check(&u, why, sizeof why) == CM_OK, "test built a bad unit: %s", why);
            cm_footprint fp;
            const cm_status st = cm_tile_check(&u, &v->id.tile, &g, &fp, why, sizeof why);
            CHECK(st == CM_OK || st == CM_INFEASIBLE, "%s: %s", v->name, why);
            if (st != CM_OK && st != CM_INFEASIBLE) continue;
            const size_t kern = fk_unit_smem_bytes(&u, &v->id.tile);
            const size_t cm = cm_smem_bytes(&u, &v->id.tile);
            compared++;
            feasible += st == CM_OK;
            if (kern == 0 || kern != (size_t)fp.smem_bytes || cm != kern) {
                if (mism++ < 5)
                    CHECK(0, "%s: kernel smem %zu B, cm_tile_check %d B, cm_smem_bytes %zu B", v->name,
                          kern, fp.smem_bytes, cm);
                else
                    check_count_failed++;
            }
            const cm_conv *dwl = NULL;
            for (int l = 0; l < cm_kind_layers(u.kind); l++)
                if (u.layers[l].kernel > 1) dwl = &u.layers[l];
            check_layout(v, &u, dwl ? dwl->kernel : 1, dwl ? dwl->stride : 1, u.layers[0].in_c,
                         u.layers[0].out_c);
        }
        printf("%-32s %s\n", v->name, mism ? "MISMATCH" : "ok");
    }
    /* invalid input: 0, not a guess */
    cm_unit u = rnd_unit(CM_KIND_PW);
    cm_tile bad = vs[0].id.tile;
    bad.threads = 33;
    CHECK(fk_unit_smem_bytes(&u, &bad) == 0 && cm_smem_bytes(&u, &bad) == 0, "bad tile gives 0");
    u.batch = 0;
    CHECK(fk_unit_smem_bytes(&u, &vs[0].id.tile) == 0, "bad unit gives 0");
    printf("smem: %ld (unit, variant) pairs compared, %ld feasible on an H100\n", compared, feasible);
    return check_summary("smem");
}
