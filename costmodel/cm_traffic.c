/* cm_traffic.c - closed-form SM<->L2 traffic of a unit under a tile.
 *
 * A segment of len bytes at byte offset off costs sectors(off, len) =
 * (off+len-1)/32 - off/32 + 1, which depends only on r = off mod 32:
 * (r+len-1)/32 + 1. Every family of segments the contract lists has start
 * offsets that are sums of independent arithmetic progressions (image, patch
 * row, patch col, channel chunk, ...), so the family's cost is
 *     sum over r of H[r] * ((r+len-1)/32 + 1)
 * where H is the histogram of start offsets mod 32: the cyclic convolution of
 * the progressions' histograms. A progression's histogram costs O(its period),
 * at most 32 steps, whatever its length; interior tiles of a spatial axis are
 * one progression, edge tiles (clipped by padding or the image border) are
 * added one by one and there are at most a handful of them. So the whole
 * closed form is O(32 x 32 x number of families), independent of N, H, W, C.
 * docs/costmodel.md derives each family; cm_sim.c replays the same contract
 * literally, and tests/costmodel checks that the two agree exactly. */
#include <string.h>

#include "cm_internal.h"

/* A multiset of byte offsets, kept as counts per residue mod 32. */
typedef struct rh {
    uint64_t c[CM_SECTOR_BYTES];
} rh;

#define RMASK ((uint64_t)CM_SECTOR_BYTES - 1)

static inline uint64_t mod32(int64_t x) { return (uint64_t)x & RMASK; } /* x >= 0 */
static inline uint64_t mulmod32(int64_t a, int64_t b) { return (mod32(a) * mod32(b)) & RMASK; }
static inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static void rh_spike(rh *h, uint64_t r, uint64_t w) {
    memset(h, 0, sizeof *h);
    h->c[r & RMASK] = w;
}

/* Adds w to residue (start + i*step) mod 32 for every i in [0, count).
 * The sequence repeats with period 32/gcd(step mod 32, 32). */
static void rh_ap(rh *h, uint64_t start, uint64_t step, uint64_t count, uint64_t w) {
    if (count == 0) return;
    start &= RMASK;
    step &= RMASK;
    uint64_t period = step ? CM_SECTOR_BYTES / (step & (0u - step)) : 1; /* lowest set bit = gcd */
    uint64_t full = count / period, rem = count % period;
    uint64_t lim = period < count ? period : count;
    uint64_t r = start;
    for (uint64_t i = 0; i < lim; i++) {
        h->c[r] += w * (full + (i < rem ? 1u : 0u));
        r = (r + step) & RMASK;
    }
}

/* out = a (*) b, cyclic convolution mod 32 (out may alias a or b). */
static void rh_conv(rh *out, const rh *a, const rh *b) {
    rh t;
    memset(&t, 0, sizeof t);
    for (unsigned i = 0; i < CM_SECTOR_BYTES; i++) {
        if (!a->c[i]) continue;
        for (unsigned j = 0; j < CM_SECTOR_BYTES; j++) {
            if (b->c[j]) t.c[(i + j) & RMASK] += a->c[i] * b->c[j];
        }
    }
    *out = t;
}

static void rh_add(rh *h, const rh *a) {
    for (unsigned i = 0; i < CM_SECTOR_BYTES; i++) h->c[i] += a->c[i];
}

/* Sectors of all segments of len bytes starting at the offsets in h. */
static uint64_t rh_cost(const rh *h, int64_t len) {
    if (len <= 0) return 0;
    uint64_t s = 0;
    for (unsigned r = 0; r < CM_SECTOR_BYTES; r++) {
        if (h->c[r]) s += h->c[r] * ((r + (uint64_t)len - 1) / CM_SECTOR_BYTES + 1);
    }
    return s;
}

/* Sectors of the family {base + span} over every base in h and every span of
 * the range [0, n) cut in steps of t elements of b bytes: span i starts at
 * i*t*b and is min(t, n - i*t)*b long. */
static uint64_t seg_sum(const rh *h, int64_t n, int64_t t, int64_t b) {
    if (n <= 0) return 0;
    if (t > n) t = n;
    int64_t nf = n / t, rem = n % t;
    rh sp, c;
    memset(&sp, 0, sizeof sp);
    rh_ap(&sp, 0, mulmod32(t, b), (uint64_t)nf, 1);
    rh_conv(&c, h, &sp);
    uint64_t s = rh_cost(&c, t * b);
    if (rem) {
        uint64_t sh = mulmod32(nf * t, b);
        for (unsigned r = 0; r < CM_SECTOR_BYTES; r++) c.c[(r + sh) & RMASK] = h->c[r];
        s += rh_cost(&c, rem * b);
    }
    return s;
}

/* Row-major matrix [rows][cols] of b-byte elements read as one segment per
 * row per chunk of cols: sum over o < rows, chunks kc of sectors((o*cols+kc)*b, k'*b). */
static uint64_t mat_sum(int64_t rows, int64_t cols, int64_t chunk, int64_t b) {
    rh h;
    memset(&h, 0, sizeof h);
    rh_ap(&h, 0, mulmod32(cols, b), (uint64_t)rows, 1);
    return seg_sum(&h, cols, chunk, b);
}

/* Input range [lo, hi) that the outputs of tile t along one axis need,
 * clipped to [0, in_len). */
static void axis_range(int64_t t, int64_t out_len, int64_t tile, int64_t s, int64_t k, int64_t pad,
                       int64_t in_len, int64_t *lo, int64_t *hi) {
    int64_t o0 = t * tile, o1 = min64(o0 + tile, out_len);
    *lo = max64(0, o0 * s - pad);
    *hi = min64(in_len, (o1 - 1) * s - pad + k);
}

/* Adds to h (unless NULL) the residues of idx*sb for every index of every
 * tile's clipped patch along one axis; returns the number of such indices.
 * Interior tiles [ta, tb] (unclipped, full) are one arithmetic progression of
 * patches of length L = (tile-1)*s + k; the others are added one by one. */
static int64_t patch_axis(rh *h, int64_t out_len, int64_t tile, int64_t s, int64_t k, int64_t pad,
                          int64_t in_len, int64_t sb) {
    int64_t nt = ceil_div(out_len, tile);
    int64_t step = tile * s, len = (tile - 1) * s + k;
    int64_t ta = ceil_div(pad, step); /* first tile whose patch starts inside */
    int64_t tb = -1;                  /* last full tile whose patch ends inside */
    int64_t span = in_len + pad - k;
    if (span >= 0) tb = min64((span / s + 1) / tile - 1, out_len / tile - 1);
    int64_t total = 0;
    if (ta <= tb) {
        int64_t ni = tb - ta + 1;
        total += ni * len;
        if (h) {
            rh a, b;
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            rh_ap(&a, mulmod32(ta * step - pad, sb), mulmod32(step, sb), (uint64_t)ni, 1);
            rh_ap(&b, 0, mod32(sb), (uint64_t)len, 1);
            rh_conv(&a, &a, &b);
            rh_add(h, &a);
        }
    }
    int64_t edges[2][2] = {{0, min64(ta, nt)}, {max64(ta, tb + 1), nt}};
    for (int r = 0; r < 2; r++) {
        for (int64_t t = edges[r][0]; t < edges[r][1]; t++) {
            int64_t lo, hi;
            axis_range(t, out_len, tile, s, k, pad, in_len, &lo, &hi);
            if (hi <= lo) continue;
            total += hi - lo;
            if (h) rh_ap(h, mulmod32(lo, sb), mod32(sb), (uint64_t)(hi - lo), 1);
        }
    }
    return total;
}

int64_t cm_patch_axis_sum(int64_t out_len, int64_t tile, int64_t s, int64_t k, int64_t pad,
                          int64_t in_len) {
    return patch_axis(NULL, out_len, tile, s, k, pad, in_len, 0);
}

/* Start offsets (mod 32) of X[n][iy][ix][0] over every image and every pixel
 * of every spatial tile's clipped input patch (one channel tile's worth). */
static void spatial_patch_hist(const cm_geom *g, rh *out) {
    int64_t pix_b = g->in_c * g->e;
    rh img, rows, cols;
    memset(&img, 0, sizeof img);
    memset(&rows, 0, sizeof rows);
    memset(&cols, 0, sizeof cols);
    rh_ap(&img, 0, mulmod32(g->in_h * g->in_w, pix_b), (uint64_t)g->n, 1);
    patch_axis(&rows, g->out_h, g->th, g->s, g->k, g->pt, g->in_h, g->in_w * pix_b);
    patch_axis(&cols, g->out_w, g->tw, g->s, g->k, g->pl, g->in_w, pix_b);
    rh_conv(out, &img, &rows);
    rh_conv(out, out, &cols);
}

void cm_traffic_closed(const cm_geom *g, bool residual, cm_traffic *out, uint64_t *x_load_bytes) {
    const int64_t e = g->e, kk = g->k * g->k, B = CM_BIAS_BYTES;
    const uint64_t nsp = (uint64_t)g->nsp, nct = (uint64_t)g->nct, ctas = (uint64_t)g->ctas;
    const int64_t C = g->in_c, F = g->out_c;
    rh id, hx, hy;
    rh_spike(&id, 0, 1);

    /* Epilogue: one segment Y[pixel][c0..c0+c') per output pixel per channel
     * tile; the same for R when there is a residual. */
    memset(&hy, 0, sizeof hy);
    rh_ap(&hy, 0, mulmod32(F, e), (uint64_t)(g->n * g->out_h * g->out_w), 1);
    uint64_t y = seg_sum(&hy, F, g->tc, e);
    uint64_t ld = residual ? y : 0, st = y;
    uint64_t x = 0; /* the unit input X's part of ld */

    switch (g->kind) {
    case CM_KIND_DW:
        spatial_patch_hist(g, &hx);
        ld += x = seg_sum(&hx, C, g->tc, e);     /* input patch per channel tile */
        ld += nsp * seg_sum(&id, C, g->tc, kk * e); /* DW weights */
        ld += nsp * seg_sum(&id, C, g->tc, B);      /* DW bias */
        break;
    case CM_KIND_PW:
        memset(&hx, 0, sizeof hx);
        rh_ap(&hx, 0, mulmod32(C, e), (uint64_t)g->npix, 1);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* X per chunk, per channel tile */
        ld += nsp * mat_sum(F, C, g->cc, e);     /* W[o][chunk] for every o, per pixel tile */
        ld += nsp * seg_sum(&id, F, g->tc, B);   /* bias */
        break;
    case CM_KIND_DWPW:
        spatial_patch_hist(g, &hx);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* DW patch per chunk, per channel tile */
        ld += ctas * seg_sum(&id, C, g->cc, kk * e); /* DW weights per chunk */
        ld += ctas * seg_sum(&id, C, g->cc, B);      /* DW bias per chunk */
        ld += nsp * mat_sum(F, C, g->cc, e);      /* PW weights */
        ld += nsp * seg_sum(&id, F, g->tc, B);    /* PW bias */
        break;
    case CM_KIND_PWDW:
        spatial_patch_hist(g, &hx);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* PW input over the DW patch */
        ld += nsp * mat_sum(F, C, g->cc, e);      /* PW weights, e in the channel tile */
        ld += nsp * seg_sum(&id, F, g->tc, B);    /* PW bias */
        ld += nsp * seg_sum(&id, F, g->tc, kk * e); /* DW weights */
        ld += nsp * seg_sum(&id, F, g->tc, B);    /* DW bias */
        break;
    case CM_KIND_PWPW: {
        const int64_t F1 = g->mid_c;
        memset(&hx, 0, sizeof hx);
        rh_ap(&hx, 0, mulmod32(C, e), (uint64_t)g->npix, 1);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* X per chunk */
        ld += ctas * mat_sum(F1, C, g->cc, e);    /* all of W1 per CTA */
        ld += ctas * rh_cost(&id, F1 * B);        /* bias1 */
        ld += nsp * mat_sum(F, F1, F1, e);        /* W2[o][0..F1) */
        ld += nsp * seg_sum(&id, F, g->tc, B);    /* bias2 */
        break;
    }
    case CM_KIND_PWDWPW: {
        const int64_t E = g->mid_c;
        spatial_patch_hist(g, &hx);
        ld += x = nct * rh_cost(&hx, C * e);       /* patch, all channels */
        ld += ctas * mat_sum(E, C, C, e);          /* W1[e][0..C) for every e */
        ld += ctas * seg_sum(&id, E, g->cc, B);    /* bias1 per chunk */
        ld += ctas * seg_sum(&id, E, g->cc, kk * e); /* DW weights per chunk */
        ld += ctas * seg_sum(&id, E, g->cc, B);    /* DW bias per chunk */
        ld += nsp * mat_sum(F, E, g->cc, e);       /* W2[o][chunk] */
        ld += nsp * seg_sum(&id, F, g->tc, B);     /* bias2 */
        break;
    }
    default:
        break;
    }
    out->load_bytes = ld * CM_SECTOR_BYTES;
    out->store_bytes = st * CM_SECTOR_BYTES;
    if (x_load_bytes) *x_load_bytes = x * CM_SECTOR_BYTES;
}
