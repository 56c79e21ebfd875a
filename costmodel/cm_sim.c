/* cm_sim.c - the CPU traffic simulator: replays the tile contract of
 * costmodel.h literally, CTA by CTA and segment by segment, at sector
 * granularity. It shares no arithmetic with the closed form (cm_traffic.c)
 * beyond the unit/tile checks, so that the tests comparing the two test the
 * closed form against the contract text. Slow by design: its cost is
 * proportional to the number of segments the kernel issues. */
#include "cm_internal.h"

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
