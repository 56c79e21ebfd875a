/* cm_sim.c - the CPU traffic simulator: replays the tile contract of
 * costmodel.h literally, CTA by CTA and segment by segment, at sector
 * granularity. It shares no arithmetic with the closed form (cm_traffic.c)
 * beyond the unit/tile checks, so that the tests comparing the two test the
 * closed form against the contract text. Slow by design: its cost is
 * proportional to the number of segments the kernel issues. */
#include "cm_internal.h"
#include "cm_smem_layout.h"

typedef struct sim {
    uint64_t ld, st; /* sectors */
} sim;

/* One segment of len bytes at byte offset off. */
static void seg(uint64_t *acc, uint64_t off, uint64_t len) {
    if (len == 0) return;
    *acc += (off + len - 1) / CM_SECTOR_BYTES - off / CM_SECTOR_BYTES + 1;
}

static uint64_t umin(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Patch of input indices [lo, hi) along one axis that the output indices
 * [o0, o1) need: the union over outputs o and taps t of o*s - pad + t, kept
 * where inside [0, in_len). */
static void need(int64_t o0, int64_t o1, int64_t s, int64_t k, int64_t pad, int64_t in_len, int64_t *lo, int64_t *hi) {
    *lo = in_len;
    *hi = 0;
    for (int64_t o = o0; o < o1; o++) {
        for (int64_t t = 0; t < k; t++) {
            int64_t i = o * s - pad + t;
            if (i < 0 || i >= in_len) continue;
            if (i < *lo) *lo = i;
            if (i + 1 > *hi) *hi = i + 1;
        }
    }
}

static void sim_spatial(const cm_unit *u, const cm_tile *t, sim *m) {
    const cm_kind kind = u->kind;
    const int nl = cm_kind_layers(kind);
    const cm_conv *dw = &u->layers[(kind == CM_KIND_PWDW || kind == CM_KIND_PWDWPW) ? 1 : 0];
    const cm_conv *first = &u->layers[0], *last = &u->layers[nl - 1];
    const uint64_t e = (uint64_t)cm_dtype_bytes(u->dtype), B = CM_BIAS_BYTES;
    const int64_t N = u->batch, H = first->in_h, W = first->in_w, C = first->in_c;
    const int64_t Ho = last->out_h, Wo = last->out_w, F = last->out_c;
    const int64_t K = dw->kernel, S = dw->stride, KK = K * K;
    const int64_t E = (kind == CM_KIND_PWDWPW) ? u->layers[0].out_c : 0;

    for (int64_t n = 0; n < N; n++) {
        for (int64_t oy0 = 0; oy0 < Ho; oy0 += t->tile_h) {
            for (int64_t ox0 = 0; ox0 < Wo; ox0 += t->tile_w) {
                int64_t oy1 = oy0 + t->tile_h < Ho ? oy0 + t->tile_h : Ho;
                int64_t ox1 = ox0 + t->tile_w < Wo ? ox0 + t->tile_w : Wo;
                int64_t iy0, iy1, ix0, ix1;
                need(oy0, oy1, S, K, dw->pad_top, H, &iy0, &iy1);
                need(ox0, ox1, S, K, dw->pad_left, W, &ix0, &ix1);
                for (int64_t c0 = 0; c0 < F; c0 += t->tile_c) {
                    const int64_t c1 = c0 + t->tile_c < F ? c0 + t->tile_c : F, cw = c1 - c0;
#define XOFF(iy, ix) ((uint64_t)(((n * H + (iy)) * W + (ix)) * C) * e)
                    switch (kind) {
                    case CM_KIND_DW:
                        for (int64_t iy = iy0; iy < iy1; iy++)
                            for (int64_t ix = ix0; ix < ix1; ix++)
                                seg(&m->ld, XOFF(iy, ix) + (uint64_t)c0 * e, (uint64_t)cw * e);
                        seg(&m->ld, (uint64_t)(c0 * KK) * e, (uint64_t)(cw * KK) * e);
                        seg(&m->ld, (uint64_t)c0 * B, (uint64_t)cw * B);
                        break;
                    case CM_KIND_DWPW:
                        for (int64_t kc = 0; kc < C; kc += t->chunk_c) {
                            const int64_t kw = (kc + t->chunk_c < C ? kc + t->chunk_c : C) - kc;
                            for (int64_t iy = iy0; iy < iy1; iy++)
                                for (int64_t ix = ix0; ix < ix1; ix++)
                                    seg(&m->ld, XOFF(iy, ix) + (uint64_t)kc * e, (uint64_t)kw * e);
                            seg(&m->ld, (uint64_t)(kc * KK) * e, (uint64_t)(kw * KK) * e);
                            seg(&m->ld, (uint64_t)kc * B, (uint64_t)kw * B);
                            for (int64_t o = c0; o < c1; o++)
                                seg(&m->ld, (uint64_t)(o * C + kc) * e, (uint64_t)kw * e);
                        }
                        seg(&m->ld, (uint64_t)c0 * B, (uint64_t)cw * B);
                        break;
                    case CM_KIND_PWDW:
                        for (int64_t kc = 0; kc < C; kc += t->chunk_c) {
                            const int64_t kw = (kc + t->chunk_c < C ? kc + t->chunk_c : C) - kc;
                            for (int64_t iy = iy0; iy < iy1; iy++)
                                for (int64_t ix = ix0; ix < ix1; ix++)
                                    seg(&m->ld, XOFF(iy, ix) + (uint64_t)kc * e, (uint64_t)kw * e);
                            for (int64_t o = c0; o < c1; o++)
                                seg(&m->ld, (uint64_t)(o * C + kc) * e, (uint64_t)kw * e);
                        }
                        seg(&m->ld, (uint64_t)c0 * B, (uint64_t)cw * B);
                        seg(&m->ld, (uint64_t)(c0 * KK) * e, (uint64_t)(cw * KK) * e);
                        seg(&m->ld, (uint64_t)c0 * B, (uint64_t)cw * B);
                        break;
                    case CM_KIND_PWDWPW:
                        for (int64_t iy = iy0; iy < iy1; iy++)
                            for (int64_t ix = ix0; ix < ix1; ix++) seg(&m->ld, XOFF(iy, ix), (uint64_t)C * e);
                        for (int64_t ec = 0; ec < E; ec += t->chunk_c) {
                            const int64_t ew = (ec + t->chunk_c < E ? ec + t->chunk_c : E) - ec;
                            for (int64_t x = ec; x < ec + ew; x++)
                                seg(&m->ld, (uint64_t)(x * C) * e, (uint64_t)C * e);
                            seg(&m->ld, (uint64_t)ec * B, (uint64_t)ew * B);
                            seg(&m->ld, (uint64_t)(ec * KK) * e, (uint64_t)(ew * KK) * e);
                            seg(&m->ld, (uint64_t)ec * B, (uint64_t)ew * B);
                            for (int64_t o = c0; o < c1; o++)
                                seg(&m->ld, (uint64_t)(o * E + ec) * e, (uint64_t)ew * e);
                        }
                        seg(&m->ld, (uint64_t)c0 * B, (uint64_t)cw * B);
                        break;
                    default:
                        break;
                    }
#undef XOFF
                    for (int64_t oy = oy0; oy < oy1; oy++) {
                        for (int64_t ox = ox0; ox < ox1; ox++) {
                            uint64_t off = (uint64_t)(((n * Ho + oy) * Wo + ox) * F + c0) * e;
                            if (u->residual) seg(&m->ld, off, (uint64_t)cw * e);
                            seg(&m->st, off, (uint64_t)cw * e);
                        }
                    }
                }
            }
        }
    }
}

static void sim_flat(const cm_unit *u, const cm_tile *t, sim *m) {
    const int nl = cm_kind_layers(u->kind);
    const cm_conv *first = &u->layers[0], *last = &u->layers[nl - 1];
    const uint64_t e = (uint64_t)cm_dtype_bytes(u->dtype), B = CM_BIAS_BYTES;
    const uint64_t P = (uint64_t)u->batch * (uint64_t)first->in_h * (uint64_t)first->in_w;
    const uint64_t C = (uint64_t)first->in_c, F = (uint64_t)last->out_c;
    const uint64_t F1 = (uint64_t)first->out_c;
    const uint64_t tw = (uint64_t)t->tile_w, tc = (uint64_t)t->tile_c, cc = (uint64_t)t->chunk_c;

    for (uint64_t p0 = 0; p0 < P; p0 += tw) {
        const uint64_t p1 = umin(p0 + tw, P);
        for (uint64_t c0 = 0; c0 < F; c0 += tc) {
            const uint64_t c1 = umin(c0 + tc, F), cw = c1 - c0;
            for (uint64_t kc = 0; kc < C; kc += cc) {
                const uint64_t kw = umin(kc + cc, C) - kc;
                for (uint64_t p = p0; p < p1; p++) seg(&m->ld, (p * C + kc) * e, kw * e);
                if (u->kind == CM_KIND_PW) {
                    for (uint64_t o = c0; o < c1; o++) seg(&m->ld, (o * C + kc) * e, kw * e);
                } else {
                    for (uint64_t f = 0; f < F1; f++) seg(&m->ld, (f * C + kc) * e, kw * e);
                }
            }
            if (u->kind == CM_KIND_PWPW) {
                seg(&m->ld, 0, F1 * B);
                for (uint64_t o = c0; o < c1; o++) seg(&m->ld, o * F1 * e, F1 * e);
            }
            seg(&m->ld, c0 * B, cw * B);
            for (uint64_t p = p0; p < p1; p++) {
                if (u->residual) seg(&m->ld, (p * F + c0) * e, cw * e);
                seg(&m->st, (p * F + c0) * e, cw * e);
            }
        }
    }
}

cm_status cm_simulate_traffic(const cm_unit *u, const cm_tile *t, cm_traffic *out) {
    cm_status st = cm_unit_check(u, NULL, 0);
    if (st != CM_OK) return st;
    st = cm_tile_valid(u, t, NULL, 0);
    if (st != CM_OK) return st;
    sim m = {0, 0};
    if (cm_kind_is_flat(u->kind))
        sim_flat(u, t, &m);
    else
        sim_spatial(u, t, &m);
    out->load_bytes = m.ld * CM_SECTOR_BYTES;
    out->store_bytes = m.st * CM_SECTOR_BYTES;
    return CM_OK;
}

/* ---- sectors served twice: the fp32 kernels' 16-byte copies, replayed ------------
 *
 * Every staged row segment of the fp32 kernels on the vector path, copied in
 * 16-byte pieces from its global byte offset to the shared-memory byte offset
 * the kernel gives it (the layouts of cm_smem_layout.h, the row indices of
 * fcm_kernels: pixel rows of the full patch, channel rows, pipeline stages),
 * CTA by CTA; a sector counts when both its halves are copied and they land
 * in two 32-byte chunks of shared memory. No parity arithmetic: the closed
 * form (cm_split_sectors in cm_traffic.c) is tested against this. */

/* One segment of len bytes from global byte g to shared byte d (16-byte
 * aligned both), its 16-byte unit q at d + 16 q, or, with units > 0 (the PW
 * tensor-core kernel's permuted rows), at d + 16 * cm_pw_tc_swz(row, q,
 * units). */
static uint64_t unit_at(int64_t row, int64_t q, int64_t units) {
    return (uint64_t)(units > 0 ? cm_pw_tc_swz(row, q, units) : q);
}
static void split_seg_units(uint64_t *acc, uint64_t g, uint64_t len, uint64_t d, int64_t row, int64_t units) {
    for (uint64_t a = g; a < g + len; a += 16) {
        if (a % CM_SECTOR_BYTES != 0 || a + 16 >= g + len) continue; /* not a sector's first half, or no second */
        const int64_t q = (int64_t)((a - g) / 16);
        if ((d + 16 * unit_at(row, q, units)) / 32 != (d + 16 * unit_at(row, q + 1, units)) / 32) (*acc)++;
    }
}
static void split_seg(uint64_t *acc, uint64_t g, uint64_t len, uint64_t d) { split_seg_units(acc, g, len, d, 0, 0); }

/* The patch of one spatial CTA: pixel segments X[n][iy][ix][kc..kc+kw) to
 * base + (py*pw_full + px)*rs words, (py, px) in the tile's full patch. */
static void split_patch(uint64_t *acc, const cm_unit *u, const cm_tile *t, int64_t n, int64_t oy0,
                        int64_t ox0, int64_t kc, int64_t kw, int64_t base, int64_t rs, int64_t esz) {
    const int dwi = (u->kind == CM_KIND_PWDW || u->kind == CM_KIND_PWDWPW) ? 1 : 0;
    const cm_conv *dw = &u->layers[dwi], *first = &u->layers[0], *last = &u->layers[cm_kind_layers(u->kind) - 1];
    const int64_t H = first->in_h, W = first->in_w, C = first->in_c, S = dw->stride, K = dw->kernel;
    const int64_t oy1 = oy0 + t->tile_h < last->out_h ? oy0 + t->tile_h : last->out_h;
    const int64_t ox1 = ox0 + t->tile_w < last->out_w ? ox0 + t->tile_w : last->out_w;
    const int64_t iy0 = oy0 * S - dw->pad_top, ix0 = ox0 * S - dw->pad_left;
    const int64_t pw_full = (t->tile_w - 1) * S + K;
    int64_t ylo, yhi, xlo, xhi;
    need(oy0, oy1, S, K, dw->pad_top, H, &ylo, &yhi);
    need(ox0, ox1, S, K, dw->pad_left, W, &xlo, &xhi);
    for (int64_t iy = ylo; iy < yhi; iy++)
        for (int64_t ix = xlo; ix < xhi; ix++) {
            const int64_t pix = (iy - iy0) * pw_full + (ix - ix0);
            split_seg(acc, (uint64_t)((((n * H + iy) * W + ix) * C + kc) * esz), (uint64_t)(kw * esz),
                      (uint64_t)(base + pix * rs) * 4);
        }
}

/* Rows r < rows of a matrix, row r at global element g0 + r*gstride, len
 * elements, to base + r*rs words. */
static void split_rows(uint64_t *acc, int64_t rows, int64_t g0, int64_t gstride, int64_t len, int64_t base,
                       int64_t rs) {
    for (int64_t r = 0; r < rows; r++)
        split_seg(acc, (uint64_t)((g0 + r * gstride) * 4), (uint64_t)len * 4, (uint64_t)(base + r * rs) * 4);
}

cm_status cm_simulate_l2_split(const cm_unit *u, const cm_tile *t, uint64_t *out_bytes) {
    cm_status st = cm_unit_check(u, NULL, 0);
    if (st != CM_OK) return st;
    st = cm_tile_valid(u, t, NULL, 0);
    if (st != CM_OK) return st;
    *out_bytes = 0;
    const int nl = cm_kind_layers(u->kind);
    const cm_conv *first = &u->layers[0], *last = &u->layers[nl - 1];
    const int64_t C = first->in_c, F = last->out_c, E = nl > 1 ? first->out_c : 0;
    const int64_t TH = t->tile_h, TW = t->tile_w, TC = t->tile_c, KC = t->chunk_c, NT = t->threads;
    cm_split_count acc = {0, 0}; /* cm_internal.h: the two classes of segments */
    if (u->kind == CM_KIND_PW && u->math == CM_MATH_TC) {
        /* fk_pw_tc.cuh, vector path: chunk c into stage c % NB, X row r of
         * the pixel tile and W row o of the channel tile at KC*esz-byte
         * strides, each 16-byte unit at its permuted place in its row
         * (cm_pw_tc_swz); the segments of rows of several chunks shorter
         * than CM_SPLIT_FULL_SEG_BYTES counted apart, at a quarter */
        const int64_t esz = cm_dtype_bytes(u->dtype);
        const bool whole = C <= KC;
        if (C % 4 || F % 4 || (C * esz) % 16) return CM_OK; /* scalar path */
        const cm_smem_pw_tc L = cm_smem_pw_tc_layout_es(TW, TC, KC, NT, esz);
        const int64_t nb = cm_pw_tc_stages(TW, TC), rsb = KC * esz, units = rsb / 16;
        const int64_t P = (int64_t)u->batch * first->in_h * first->in_w;
        for (int64_t p0 = 0; p0 < P; p0 += TW)
            for (int64_t c0 = 0; c0 < F; c0 += TC) {
                const int64_t pw = P - p0 < TW ? P - p0 : TW, cw = F - c0 < TC ? F - c0 : TC;
                for (int64_t kc = 0, c = 0; kc < C; kc += KC, c++) {
                    const int64_t kw = C - kc < KC ? C - kc : KC, st = (c % nb) * L.stage * 4;
                    uint64_t *a = cm_split_class(&acc, !whole, kw * esz);
                    for (int64_t r = 0; r < pw + cw; r++) {
                        const bool x = r < pw; /* X rows, then W rows */
                        const int64_t row = x ? r : r - pw, g = ((x ? p0 : c0) + row) * C + kc;
                        const int64_t d = st + (x ? L.a : L.b) * 4 + row * rsb;
                        split_seg_units(a, (uint64_t)(g * esz), (uint64_t)(kw * esz), (uint64_t)d, row, units);
                    }
                }
            }
        *out_bytes = cm_split_total(&acc) * CM_SECTOR_BYTES;
        return CM_OK;
    }
    if ((u->kind == CM_KIND_DWPW || u->kind == CM_KIND_PWDW) && u->math == CM_MATH_TC) {
        /* fk_dwpw_tc.cuh, fk_pwdw_tc.cuh, vector path: chunk c into buffer
         * c & 1, the patch per channel tile, the PW weight rows per spatial
         * tile; of rows of several chunks, the segments shorter than
         * CM_SPLIT_FULL_SEG_BYTES counted apart, at a quarter */
        const int64_t esz = cm_dtype_bytes(u->dtype);
        if (C % 4 || F % 4 || (C * esz) % 16) return CM_OK; /* scalar path */
        const bool dwpw = u->kind == CM_KIND_DWPW;
        const cm_conv *dw = &u->layers[dwpw ? 0 : 1];
        int64_t xoff, woff, bufsize;
        if (dwpw) {
            const cm_smem_dwpw_tc L = cm_smem_dwpw_tc_layout_es(TH, TW, TC, KC, dw->kernel, dw->stride, esz);
            xoff = L.buf + L.x;
            woff = L.buf + L.w2;
            bufsize = L.bufsize;
        } else {
            const cm_smem_pwdw_tc L = cm_smem_pwdw_tc_layout_es(TH, TW, TC, KC, dw->kernel, dw->stride, esz);
            xoff = L.buf + L.x;
            woff = L.buf + L.w;
            bufsize = L.bufsize;
        }
        const int64_t ks = cm_tc_stride(KC, esz);
        for (int64_t n = 0; n < u->batch; n++)
            for (int64_t oy0 = 0; oy0 < last->out_h; oy0 += TH)
                for (int64_t ox0 = 0; ox0 < last->out_w; ox0 += TW)
                    for (int64_t c0 = 0; c0 < F; c0 += TC) {
                        const int64_t cw = F - c0 < TC ? F - c0 : TC;
                        for (int64_t kc = 0, c = 0; kc < C; kc += KC, c++) {
                            const int64_t kw = C - kc < KC ? C - kc : KC, b = (c & 1) * bufsize;
                            uint64_t *a = cm_split_class(&acc, C > KC, kw * esz);
                            split_patch(a, u, t, n, oy0, ox0, kc, kw, xoff + b, ks, esz);
                            for (int64_t o = 0; o < cw; o++)
                                split_seg(a, (uint64_t)(((c0 + o) * C + kc) * esz), (uint64_t)(kw * esz),
                                          (uint64_t)(woff + b + o * ks) * 4);
                        }
                    }
        *out_bytes = cm_split_total(&acc) * CM_SECTOR_BYTES;
        return CM_OK;
    }
    if (u->kind == CM_KIND_PWDWPW && u->math == CM_MATH_TC) {
        /* fk_pwdwpw_tc.cuh, vector path: the patch (all C) per channel tile,
         * each chunk's W1 rows per CTA; not the segments of longer rows */
        const int64_t esz = cm_dtype_bytes(u->dtype);
        if (C % 4 || F % 4 || E % 4 || (C * esz) % 16) return CM_OK; /* scalar path */
        const cm_conv *dw = &u->layers[1];
        const cm_smem_pwdwpw_tc L =
            cm_smem_pwdwpw_tc_layout_es(TH, TW, TC, KC, dw->kernel, dw->stride, C, esz);
        const int64_t cs = cm_tc_stride(cm_tc_rk(C, esz), esz);
        for (int64_t n = 0; n < u->batch; n++)
            for (int64_t oy0 = 0; oy0 < last->out_h; oy0 += TH)
                for (int64_t ox0 = 0; ox0 < last->out_w; ox0 += TW)
                    for (int64_t c0 = 0; c0 < F; c0 += TC) {
                        split_patch(&acc.full, u, t, n, oy0, ox0, 0, C, L.x, cs, esz);
                        for (int64_t en = 0, c = 0; en < E; en += KC, c++) {
                            const int64_t ew = E - en < KC ? E - en : KC;
                            for (int64_t e = 0; e < ew; e++)
                                split_seg(&acc.full, (uint64_t)((en + e) * C * esz), (uint64_t)(C * esz),
                                          (uint64_t)(L.buf + (c & 1) * L.bufsize + L.w1 + e * cs) * 4);
                        }
                    }
        *out_bytes = cm_split_total(&acc) * CM_SECTOR_BYTES;
        return CM_OK;
    }
    if (u->dtype != CM_F32 || u->math != CM_MATH_SIMT || C % 4 || F % 4 || E % 4 || TC % 4 || KC % 4)
        return CM_OK;
    const int64_t KS = cm_odd_stride(KC);
    if (cm_kind_is_flat(u->kind)) {
        const int64_t P = (int64_t)u->batch * first->in_h * first->in_w;
        for (int64_t p0 = 0; p0 < P; p0 += TW) {
            const int64_t pw = P - p0 < TW ? P - p0 : TW;
            for (int64_t c0 = 0; c0 < F; c0 += TC) {
                const int64_t cw = F - c0 < TC ? F - c0 : TC;
                if (u->kind == CM_KIND_PW) {
                    const cm_smem_pw L = cm_smem_pw_layout(TW, TC, KC, NT);
                    const int64_t sk = cm_pw_split(TW, TC, NT), nb = cm_pw_stages(sk);
                    for (int64_t kc = 0, c = 0; kc < C; kc += KC, c++) {
                        const int64_t kw = C - kc < KC ? C - kc : KC, kt = c / sk, j = c % sk, buf = kt % nb;
                        /* segments of rows of several chunks shorter than
                         * CM_SPLIT_FULL_SEG_BYTES apart, at a quarter */
                        uint64_t *a = cm_split_class(&acc, C > KC, kw * 4);
                        split_rows(a, pw, p0 * C + kc, C, kw, L.a + buf * sk * TW * KS + j * TW * KS, KS);
                        split_rows(a, cw, c0 * C + kc, C, kw, L.b + buf * sk * TC * KS + j * TC * KS, KS);
                    }
                } else { /* PWPW */
                    const cm_smem_pwpw L = cm_smem_pwpw_layout(TW, TC, KC, E);
                    for (int64_t kc = 0; kc < C; kc += KC) {
                        const int64_t kw = C - kc < KC ? C - kc : KC;
                        uint64_t *a = cm_split_class(&acc, C > KC, kw * 4);
                        split_rows(a, pw, p0 * C + kc, C, kw, L.u, KS);
                        split_rows(a, E, kc, C, kw, L.w1, KS);
                    }
                    split_rows(&acc.full, cw, c0 * E, E, E, L.u, cm_odd_stride(E));
                }
            }
        }
        *out_bytes = cm_split_total(&acc) * CM_SECTOR_BYTES;
        return CM_OK;
    }
    const int dwi = (u->kind == CM_KIND_PWDW || u->kind == CM_KIND_PWDWPW) ? 1 : 0;
    const int64_t K = u->layers[dwi].kernel, S = u->layers[dwi].stride, KK = K * K;
    for (int64_t n = 0; n < u->batch; n++)
        for (int64_t oy0 = 0; oy0 < last->out_h; oy0 += TH)
            for (int64_t ox0 = 0; ox0 < last->out_w; ox0 += TW)
                for (int64_t c0 = 0; c0 < F; c0 += TC) {
                    const int64_t cw = F - c0 < TC ? F - c0 : TC;
                    switch (u->kind) {
                    case CM_KIND_DW: {
                        const cm_smem_dw L = cm_smem_dw_layout(TH, TW, TC, K, S);
                        split_patch(&acc.full, u, t, n, oy0, ox0, c0, cw, L.x, TC, 4);
                        break;
                    }
                    case CM_KIND_DWPW: {
                        const cm_smem_dwpw L = cm_smem_dwpw_layout(TH, TW, TC, KC, K, S, NT);
                        for (int64_t kc = 0; kc < C; kc += KC) {
                            const int64_t kw = C - kc < KC ? C - kc : KC;
                            uint64_t *a = cm_split_class(&acc, C > KC, kw * 4);
                            split_patch(a, u, t, n, oy0, ox0, kc, kw, L.patch, KS, 4);
                            split_rows(a, cw, c0 * C + kc, C, kw, L.w2, KS);
                        }
                        break;
                    }
                    case CM_KIND_PWDW: {
                        const cm_smem_pwdw L = cm_smem_pwdw_layout(TH, TW, TC, KC, K, S);
                        const int64_t nb = cm_pwdw_stages(TH, TW);
                        for (int64_t kc = 0, c = 0; kc < C; kc += KC, c++) {
                            const int64_t kw = C - kc < KC ? C - kc : KC, buf = (c % nb) * L.bufsize;
                            uint64_t *a = cm_split_class(&acc, C > KC, kw * 4);
                            split_patch(a, u, t, n, oy0, ox0, kc, kw, buf + L.x, KS, 4);
                            split_rows(a, cw, c0 * C + kc, C, kw, buf + L.w1, KS);
                        }
                        break;
                    }
                    case CM_KIND_PWDWPW: {
                        const cm_smem_pwdwpw L = cm_smem_pwdwpw_layout(TH, TW, TC, KC, K, S, C, NT);
                        const int64_t CS = cm_odd_stride(C);
                        split_patch(&acc.full, u, t, n, oy0, ox0, 0, C, L.x, CS, 4);
                        for (int64_t en = 0, c = 0; en < E; en += KC, c++) {
                            const int64_t ew = E - en < KC ? E - en : KC, buf = L.buf + (c & 1) * L.bufsize;
                            split_rows(&acc.full, ew, en * C, C, C, buf + L.w1, CS);
                            split_rows(&acc.full, 1, en, 0, ew, buf + L.b1, 0);
                            split_rows(&acc.full, 1, en * KK, 0, ew * KK, buf + L.wd, 0);
                            split_rows(&acc.full, 1, en, 0, ew, buf + L.bd, 0);
                            split_rows(cm_split_class(&acc, E > KC, ew * 4), cw,
                                       c0 * E + en, E, ew, buf + L.w2, cm_odd_stride(KC));
                        }
                        break;
                    }
                    default: break;
                    }
                }
    *out_bytes = cm_split_total(&acc) * CM_SECTOR_BYTES;
    return CM_OK;
}
