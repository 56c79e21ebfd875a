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
#include "cm_smem_layout.h"

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

void cm_traffic_closed(const cm_geom *g, bool residual, cm_traffic *out, cm_traffic_parts *parts) {
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
    uint64_t w = 0; /* PW: the weights' part of ld */
    /* the parameter families the fp32 kernels read through L1 (4-byte
     * cp.async.ca or __ldg): per pixel tile (summed over the channel tiles)
     * and per CTA (the same bytes for every CTA) */
    uint64_t l1_sp = 0, l1_cta = 0;

    switch (g->kind) {
    case CM_KIND_DW:
        spatial_patch_hist(g, &hx);
        ld += x = seg_sum(&hx, C, g->tc, e);     /* input patch per channel tile */
        l1_sp = seg_sum(&id, C, g->tc, kk * e) + seg_sum(&id, C, g->tc, B);
        ld += nsp * l1_sp; /* DW weights and bias */
        break;
    case CM_KIND_PW:
        memset(&hx, 0, sizeof hx);
        rh_ap(&hx, 0, mulmod32(C, e), (uint64_t)g->npix, 1);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* X per chunk, per channel tile */
        ld += w = nsp * mat_sum(F, C, g->cc, e); /* W[o][chunk] for every o, per pixel tile */
        l1_sp = seg_sum(&id, F, g->tc, B);
        ld += nsp * l1_sp;                       /* bias */
        break;
    case CM_KIND_DWPW:
        spatial_patch_hist(g, &hx);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* DW patch per chunk, per channel tile */
        l1_cta = seg_sum(&id, C, g->cc, kk * e) + seg_sum(&id, C, g->cc, B);
        ld += ctas * l1_cta;                     /* DW weights and bias per chunk */
        ld += nsp * mat_sum(F, C, g->cc, e);      /* PW weights */
        l1_sp = seg_sum(&id, F, g->tc, B);
        ld += nsp * l1_sp;                        /* PW bias */
        break;
    case CM_KIND_PWDW:
        spatial_patch_hist(g, &hx);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* PW input over the DW patch */
        ld += nsp * mat_sum(F, C, g->cc, e);      /* PW weights, e in the channel tile */
        l1_sp = 2 * seg_sum(&id, F, g->tc, B) + seg_sum(&id, F, g->tc, kk * e);
        ld += nsp * l1_sp;                        /* PW bias, DW weights, DW bias */
        break;
    case CM_KIND_PWPW: {
        const int64_t F1 = g->mid_c;
        memset(&hx, 0, sizeof hx);
        rh_ap(&hx, 0, mulmod32(C, e), (uint64_t)g->npix, 1);
        ld += x = nct * seg_sum(&hx, C, g->cc, e); /* X per chunk */
        ld += ctas * mat_sum(F1, C, g->cc, e);    /* all of W1 per CTA */
        l1_cta = rh_cost(&id, F1 * B);
        ld += ctas * l1_cta;                      /* bias1 */
        ld += nsp * mat_sum(F, F1, F1, e);        /* W2[o][0..F1) */
        l1_sp = seg_sum(&id, F, g->tc, B);
        ld += nsp * l1_sp;                        /* bias2 */
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
        l1_sp = seg_sum(&id, F, g->tc, B);
        ld += nsp * l1_sp;                         /* bias2 */
        break;
    }
    default:
        break;
    }
    out->load_bytes = ld * CM_SECTOR_BYTES;
    out->store_bytes = st * CM_SECTOR_BYTES;
    if (parts) {
        parts->x_bytes = x * CM_SECTOR_BYTES;
        parts->pw_w_bytes = w * CM_SECTOR_BYTES;
        parts->l1_per_sp_bytes = l1_sp * CM_SECTOR_BYTES;
        parts->l1_per_cta_bytes = l1_cta * CM_SECTOR_BYTES;
    }
}

/* ---- sectors the L2 serves twice: 16-byte copies into shared-memory rows --------
 *
 * The fp32 kernels stage their operands by 16-byte cp.async.cg (the vector
 * path: every channel count a multiple of 4) into shared-memory rows whose
 * stride is an odd number of 16-byte units (cm_odd_stride: float4 reads of 8
 * rows hit 8 bank groups). A global sector whose two 16-byte halves land in
 * two different 32-byte chunks of shared memory is served twice by the L2
 * (docs/costmodel.md, section 2.5; measured: +25-45% L2 read sectors in every
 * kind with such rows, and 33-37% fewer with 32-byte row units,
 * docs/validation.md). For a row segment copied from global byte g to shared
 * byte d, both 16-byte aligned, that happens exactly when (d - g) / 16 is odd,
 * to every sector of the segment whose two halves are both copied. So only
 * parities matter: of g and d in 16-byte units, per row. Everything below
 * counts rows by those two parities; cm_sim.c replays the same copies
 * literally (cm_simulate_l2_split) and the tests compare the two. */

/* Sectors of a segment of len bytes starting at a 16-byte unit of parity
 * gpar whose two halves are both copied (the segment's 16-byte units pair up
 * from the first even one). */
static uint64_t pairs16(int64_t gpar, int64_t len) {
    if (len <= 0) return 0;
    const int64_t nu = (len + 15) / 16;
    return (uint64_t)(gpar & 1 ? (nu - 1) / 2 : nu / 2);
}

/* Rows r in [0, rows): global start unit g0 + r*gs, shared start unit
 * d0 + r*ds (16-byte units; only parities matter), each len bytes: the
 * sectors served twice. */
static uint64_t rows_split(int64_t rows, int64_t g0, int64_t gs, int64_t d0, int64_t ds, int64_t len) {
    if (rows <= 0) return 0;
    uint64_t s = 0;
    const int64_t n[2] = {(rows + 1) / 2, rows / 2}; /* even r, odd r */
    for (int r = 0; r < 2; r++) {
        const int64_t gp = (g0 + r * gs) & 1, dp = (d0 + r * ds) & 1;
        if (gp != dp) s += (uint64_t)n[r] * pairs16(gp, len);
    }
    return s;
}

/* Parity counts of one spatial family: over every image and every loaded
 * pixel of every spatial tile's patch, c[gp][dp] counts pixels whose global
 * start unit ((n*H + iy)*W + ix) * cu has parity gp and whose staging row
 * (py*pw_full + px, in the full patch of the tile as compiled: the kernels
 * index it so, edge tiles included) times the row stride rs has parity dp. */
typedef struct par4 {
    uint64_t c[2][2];
} par4;

static void par4_xor(par4 *out, const par4 *a, const par4 *b) {
    par4 t;
    memset(&t, 0, sizeof t);
    for (int g1 = 0; g1 < 2; g1++)
        for (int d1 = 0; d1 < 2; d1++)
            for (int g2 = 0; g2 < 2; g2++)
                for (int d2 = 0; d2 < 2; d2++) t.c[g1 ^ g2][d1 ^ d2] += a->c[g1][d1] * b->c[g2][d2];
    *out = t;
}

/* One axis: for every tile t of out_len by `tile`, the loaded input indices
 * i in [lo, hi) with patch position i - (t*tile*s - pad); bit g = (i*gm)&1,
 * bit d = ((i - origin)*dm)&1. O(tiles). */
static void axis_par(par4 *h, int64_t out_len, int64_t tile, int64_t s, int64_t k, int64_t pad,
                     int64_t in_len, int64_t gm, int64_t dm) {
    memset(h, 0, sizeof *h);
    const int64_t nt = ceil_div(out_len, tile);
    for (int64_t t = 0; t < nt; t++) {
        int64_t lo, hi;
        axis_range(t, out_len, tile, s, k, pad, in_len, &lo, &hi);
        if (hi <= lo) continue;
        const int64_t org = t * tile * s - pad;
        const int64_t cnt[2] = {(hi - lo + 1) / 2, (hi - lo) / 2}; /* i = lo, lo+2, ... and lo+1, ... */
        for (int q = 0; q < 2; q++) {
            const int64_t i = lo + q;
            h->c[(i * gm) & 1][((i - org) * dm) & 1] += (uint64_t)cnt[q];
        }
    }
}

/* The parity counts of a spatial family whose pixel segments are staged at
 * row stride rs_u (16-byte units) in the full patch of width pw_full. */
static void patch_par(const cm_geom *g, int64_t rs_u, par4 *out) {
    const int64_t cu = g->in_c * g->e / 16; /* pixel stride in 16-byte units */
    const int64_t pw_full = (g->tw - 1) * g->s + g->k;
    par4 img, rows, cols;
    memset(&img, 0, sizeof img);
    img.c[0][0] = (uint64_t)((g->n + 1) / 2);
    img.c[(g->in_h * g->in_w * cu) & 1][0] += (uint64_t)(g->n / 2);
    axis_par(&rows, g->out_h, g->th, g->s, g->k, g->pt, g->in_h, g->in_w * cu, pw_full * rs_u);
    axis_par(&cols, g->out_w, g->tw, g->s, g->k, g->pl, g->in_w, cu, rs_u);
    par4_xor(out, &img, &rows);
    par4_xor(out, out, &cols);
}

/* Sectors served twice for a spatial family with parity counts p, whose
 * segments start kc_u units into the pixel and kc_u into the staging row
 * base d_u (16-byte units), len bytes each. */
static uint64_t patch_split(const par4 *p, int64_t kc_u, int64_t d_u, int64_t len) {
    uint64_t s = 0;
    for (int gp = 0; gp < 2; gp++)
        for (int dp = 0; dp < 2; dp++) {
            const int64_t G = (gp + kc_u) & 1, D = (dp + d_u) & 1;
            if (G != D) s += p->c[gp][dp] * pairs16(G, len);
        }
    return s;
}

/* Rows [0, total) cut into tiles j of `tile` rows (the channel tiles of a
 * weight matrix, the pixel tiles of a flat kind's X): rows c in [0, w_j) of
 * global start unit (r0_j + c) * row_u + off_u, staged at d_u + c * ds_u:
 * summed over the tiles (each its own r0 parity). */
static uint64_t tiled_rows_split(int64_t total, int64_t tile, int64_t row_u, int64_t off_u, int64_t d_u,
                                 int64_t ds_u, int64_t len) {
    const int64_t nfull = total / tile, rem = total % tile;
    uint64_t s = 0;
    /* full tiles: r0 = j*tile, parity of r0*row_u alternates with j when tile*row_u is odd */
    const int64_t ne = (nfull + 1) / 2, no = nfull / 2;
    s += (uint64_t)ne * rows_split(tile, off_u, row_u, d_u, ds_u, len);
    s += (uint64_t)no * rows_split(tile, tile * row_u + off_u, row_u, d_u, ds_u, len);
    if (rem) s += rows_split(rem, nfull * tile * row_u + off_u, row_u, d_u, ds_u, len);
    return s;
}

/* Whether a tensor-core kernel takes its vector path (16-byte cp.async) for
 * rows of C elements: p.vec (every channel count a multiple of 4; buffers are
 * 16-byte aligned as the runtime allocates them) and C * esz a whole number
 * of 16-byte groups; otherwise plain loads through L1, nothing split. */
static bool tc_vec_rows(const cm_geom *g) {
    return g->in_c % 4 == 0 && g->out_c % 4 == 0 && g->mid_c % 4 == 0 && (g->in_c * g->e) % 16 == 0;
}

/* The PW tensor-core kernel (fk_pw_tc.cuh, vector path): its chunk rows are
 * unpadded with their 16-byte units permuted by an XOR (cm_pw_tc_swz,
 * cm_smem_layout.h), which keeps aligned unit pairs together: a row whose
 * global start is an even 16-byte unit splits no sector, one whose start is
 * odd splits every sector whose two halves it copies. Row p of the [.][C]
 * tensor starts chunk kc at unit p*cu + kc*esz/16 (KC*esz is 64 or 128 bytes:
 * an even number of units), so with cu = C*esz/16 odd the odd rows split and
 * with cu even none does. Every pixel row is copied once per channel tile,
 * every weight row once per pixel tile. Before the permutation the rows were
 * an odd number of 16-byte units apart and split every other row's sectors
 * whatever C (fp16 graph-replay validate, H100, 2026-12-06: 1.32-1.44x the
 * contract's L2 reads for C = 16 and 32, 1.42-1.48x for chunks of 64
 * channels). Rows of several chunks: segments shorter than
 * CM_SPLIT_FULL_SEG_BYTES at a quarter (cm_internal.h), as elsewhere. */
static uint64_t pw_tc_split(const cm_geom *g) {
    const int64_t esz = g->e, C = g->in_c, KC = g->cc, cu = C * esz / 16;
    if (!tc_vec_rows(g) || cu % 2 == 0) return 0;
    cm_split_count s = {0, 0};
    for (int64_t kc = 0; kc < C; kc += KC) {
        const int64_t len = min64(KC, C - kc) * esz;
        const uint64_t n = ((uint64_t)g->nct * (uint64_t)(g->npix / 2) + (uint64_t)g->nsp * (uint64_t)(g->out_c / 2)) *
                           pairs16(1, len);
        *cm_split_class(&s, C > KC, len) += n;
    }
    return cm_split_total(&s);
}

/* The PWDWPW tensor-core kernel (fk_pwdwpw_tc.cuh, vector path), its whole
 * rows by the parity rule: the patch, one segment of all C channels per loaded
 * pixel at its row of the full patch (rows cm_tc_stride(r16(C)) words
 * apart), once per channel tile, and each chunk's W1 rows (all C of
 * W1[e]) in the chunk's buffer, once per CTA. The segments of longer rows
 * (W2[o][chunk], the chunk's DW weights) stay at the contract, as the PW
 * kernel's rows of several chunks. */
static uint64_t pwdwpw_tc_split(const cm_geom *g) {
    const int64_t esz = g->e, C = g->in_c, E = g->mid_c, KC = g->cc;
    if (!tc_vec_rows(g)) return 0;
    const cm_smem_pwdwpw_tc L = cm_smem_pwdwpw_tc_layout_es(g->th, g->tw, g->tc, KC, g->k, g->s, C, esz);
    const int64_t cs_u = cm_tc_stride(cm_tc_rk(C, esz), esz) / 4, cu = C * esz / 16;
    par4 p;
    patch_par(g, cs_u, &p);
    uint64_t s = (uint64_t)g->nct * patch_split(&p, 0, L.x / 4, C * esz);
    for (int64_t c = 0; c < ceil_div(E, KC); c++) {
        const int64_t en = c * KC, ew = min64(KC, E - en), buf = L.buf + (c & 1) * L.bufsize;
        s += (uint64_t)g->ctas * rows_split(ew, en * cu, cu, (buf + L.w1) / 4, cs_u, C * esz);
    }
    return s;
}

/* The DWPW and PWDW tensor-core kernels (fk_dwpw_tc.cuh, fk_pwdw_tc.cuh,
 * vector path), per chunk c of KC input channels in buffer c & 1: the patch,
 * each loaded pixel's chunk segment at its row of the full patch
 * (cm_tc_stride(KC) words apart), once per channel tile, and the PW weight
 * rows' chunk segments W[o][kc..kc+kw) of the channel tile, once per spatial
 * tile. With one chunk (C <= KC) the rows are whole; the segments of rows of
 * several chunks shorter than CM_SPLIT_FULL_SEG_BYTES count a quarter
 * (cm_internal.h). */
static uint64_t dwpw_pwdw_tc_split(const cm_geom *g) {
    const int64_t esz = g->e, C = g->in_c, KC = g->cc;
    if (!tc_vec_rows(g)) return 0;
    int64_t x, w, bufsize; /* the patch and weight regions of buffer 0, words; buffer b at + b * bufsize */
    if (g->kind == CM_KIND_DWPW) {
        const cm_smem_dwpw_tc L = cm_smem_dwpw_tc_layout_es(g->th, g->tw, g->tc, KC, g->k, g->s, esz);
        x = L.buf + L.x;
        w = L.buf + L.w2;
        bufsize = L.bufsize;
    } else {
        const cm_smem_pwdw_tc L = cm_smem_pwdw_tc_layout_es(g->th, g->tw, g->tc, KC, g->k, g->s, esz);
        x = L.buf + L.x;
        w = L.buf + L.w;
        bufsize = L.bufsize;
    }
    const int64_t ks_u = cm_tc_stride(KC, esz) / 4, cu = C * esz / 16;
    par4 p;
    patch_par(g, ks_u, &p);
    /* chunk c in buffer c & 1; of rows of several chunks, the segments
     * shorter than CM_SPLIT_FULL_SEG_BYTES at a quarter (cm_internal.h) */
    cm_split_count s = {0, 0};
    for (int64_t kc = 0, c = 0; kc < C; kc += KC, c++) {
        const int64_t len = min64(KC, C - kc) * esz, b = (c & 1) * bufsize;
        const uint64_t n = (uint64_t)g->nct * patch_split(&p, kc * esz / 16, (x + b) / 4, len) +
                           (uint64_t)g->nsp * tiled_rows_split(g->out_c, g->tc, cu, kc * esz / 16, (w + b) / 4,
                                                               ks_u, len);
        *cm_split_class(&s, C > KC, len) += n;
    }
    return cm_split_total(&s);
}

uint64_t cm_split_sectors(const cm_geom *g, const cm_unit *u) {
    /* the fp32 CUDA-core kernels' rows, and the PW, PWDWPW, DWPW and PWDW
     * tensor-core kernels' whole rows (PWPW on tensor cores: not modelled) */
    if (u->kind == CM_KIND_PW && u->math == CM_MATH_TC) return pw_tc_split(g);
    if (u->kind == CM_KIND_PWDWPW && u->math == CM_MATH_TC) return pwdwpw_tc_split(g);
    if ((u->kind == CM_KIND_DWPW || u->kind == CM_KIND_PWDW) && u->math == CM_MATH_TC) return dwpw_pwdw_tc_split(g);
    if (u->dtype != CM_F32 || u->math != CM_MATH_SIMT || g->e != 4) return 0;
    if (g->in_c % 4 || g->out_c % 4 || g->mid_c % 4) return 0; /* scalar path: 4-byte copies through L1 */
    if (g->tc % 4 || g->cc % 4) return 0; /* no such kernel: compiled tiles are multiples of 4 */
    const int64_t C = g->in_c, F = g->out_c, E = g->mid_c, KC = g->cc, TC = g->tc;
    const int64_t cu = C / 4;                /* a row of C fp32 in 16-byte units */
    const int64_t ks_u = cm_odd_stride(KC) / 4; /* staging row strides in 16-byte units */
    const int64_t nk = ceil_div(C, KC);
    cm_split_count s = {0, 0}; /* cm_internal.h: the two classes of segments */
    switch (g->kind) {
    case CM_KIND_DW: {
        /* patch rows of TC words at stride TC; segment X[pix][c0..c0+cw) */
        const cm_smem_dw L = cm_smem_dw_layout(g->th, g->tw, TC, g->k, g->s);
        par4 p;
        patch_par(g, TC / 4, &p);
        const int64_t nfull = C / TC, rem = C % TC;
        for (int64_t j = 0; j < nfull + (rem ? 1 : 0); j++) {
            const int64_t cw = j < nfull ? TC : rem;
            s.full += patch_split(&p, j * TC / 4, L.x / 4, cw * 4);
        }
        return cm_split_total(&s);
    }
    case CM_KIND_PW: {
        const cm_smem_pw L = cm_smem_pw_layout(g->tw, TC, KC, g->nt);
        const int64_t sk = cm_pw_split(g->tw, TC, g->nt), nb = cm_pw_stages(sk);
        const int64_t asz = sk * g->tw * cm_odd_stride(KC), bsz = sk * TC * cm_odd_stride(KC);
        const int64_t tw = g->tw;
        for (int64_t c = 0; c < nk; c++) {
            const int64_t kc = c * KC, kw = min64(KC, C - kc);
            const int64_t kt = c / sk, j = c % sk, buf = nb == 2 ? (kt & 1) : kt % nb;
            const int64_t da = (L.a + buf * asz + j * tw * cm_odd_stride(KC)) / 4;
            const int64_t db = (L.b + buf * bsz + j * TC * cm_odd_stride(KC)) / 4;
            /* X rows of each pixel tile, once per channel tile; W rows of
             * each channel tile, once per pixel tile */
            const uint64_t n = (uint64_t)g->nct * tiled_rows_split(g->npix, tw, cu, kc / 4, da, ks_u, kw * 4) +
                               (uint64_t)g->nsp * tiled_rows_split(F, TC, cu, kc / 4, db, ks_u, kw * 4);
            *cm_split_class(&s, nk > 1, kw * 4) += n;
        }
        return cm_split_total(&s);
    }
    case CM_KIND_DWPW: {
        const cm_smem_dwpw L = cm_smem_dwpw_layout(g->th, g->tw, TC, KC, g->k, g->s, g->nt);
        par4 p;
        patch_par(g, ks_u, &p);
        for (int64_t c = 0; c < nk; c++) {
            const int64_t kc = c * KC, kw = min64(KC, C - kc);
            const uint64_t n = (uint64_t)g->nct * patch_split(&p, kc / 4, L.patch / 4, kw * 4) +
                               (uint64_t)g->nsp * tiled_rows_split(F, TC, cu, kc / 4, L.w2 / 4, ks_u, kw * 4);
            *cm_split_class(&s, nk > 1, kw * 4) += n;
        }
        return cm_split_total(&s);
    }
    case CM_KIND_PWDW: {
        const cm_smem_pwdw L = cm_smem_pwdw_layout(g->th, g->tw, TC, KC, g->k, g->s);
        const int64_t nb = cm_pwdw_stages(g->th, g->tw);
        par4 p;
        patch_par(g, ks_u, &p);
        for (int64_t c = 0; c < nk; c++) {
            const int64_t kc = c * KC, kw = min64(KC, C - kc), buf = (c % nb) * L.bufsize;
            const uint64_t n = (uint64_t)g->nct * patch_split(&p, kc / 4, (buf + L.x) / 4, kw * 4) +
                               (uint64_t)g->nsp * tiled_rows_split(F, TC, cu, kc / 4, (buf + L.w1) / 4, ks_u, kw * 4);
            *cm_split_class(&s, nk > 1, kw * 4) += n;
        }
        return cm_split_total(&s);
    }
    case CM_KIND_PWPW: {
        const cm_smem_pwpw L = cm_smem_pwpw_layout(g->tw, TC, KC, E);
        const int64_t fs_u = cm_odd_stride(E) / 4, eu = E / 4;
        for (int64_t c = 0; c < nk; c++) {
            const int64_t kc = c * KC, kw = min64(KC, C - kc);
            const uint64_t x = tiled_rows_split(g->npix, g->tw, cu, kc / 4, L.u / 4, ks_u, kw * 4);
            /* X rows and all of W1's rows, per CTA */
            *cm_split_class(&s, nk > 1, kw * 4) +=
                (uint64_t)g->nct * x + (uint64_t)g->ctas * rows_split(E, kc / 4, cu, L.w1 / 4, ks_u, kw * 4);
        }
        /* W2[o][0..F1) per o of the channel tile, into the X region at stride os(F1) */
        s.full += (uint64_t)g->nsp * tiled_rows_split(F, TC, eu, 0, L.u / 4, fs_u, E * 4);
        return cm_split_total(&s);
    }
    case CM_KIND_PWDWPW: {
        const cm_smem_pwdwpw L = cm_smem_pwdwpw_layout(g->th, g->tw, TC, KC, g->k, g->s, C, g->nt);
        const int64_t cs_u = cm_odd_stride(C) / 4, kk = g->k * g->k;
        par4 p;
        patch_par(g, cs_u, &p);
        /* the patch with all channels, once per channel tile */
        s.full += (uint64_t)g->nct * patch_split(&p, 0, L.x / 4, C * 4);
        const int64_t ne_ = ceil_div(E, KC);
        for (int64_t c = 0; c < ne_; c++) {
            const int64_t en = c * KC, ew = min64(KC, E - en), buf = L.buf + (c & 1) * L.bufsize;
            /* per CTA: W1 rows e (C each), bias1, DW weights, DW bias (single rows) */
            uint64_t cta = rows_split(ew, en * cu, cu, (buf + L.w1) / 4, cs_u, C * 4);
            cta += rows_split(1, en / 4, 0, (buf + L.b1) / 4, 0, ew * 4);
            cta += rows_split(1, en * kk / 4, 0, (buf + L.wd) / 4, 0, ew * kk * 4);
            cta += rows_split(1, en / 4, 0, (buf + L.bd) / 4, 0, ew * 4);
            s.full += (uint64_t)g->ctas * cta;
            /* W2[o][en..en+ew) per o of the channel tile, once per pixel tile */
            *cm_split_class(&s, ne_ > 1, ew * 4) +=
                (uint64_t)g->nsp *
                tiled_rows_split(F, TC, E / 4, en / 4, (buf + L.w2) / 4, cm_odd_stride(KC) / 4, ew * 4);
        }
        return cm_split_total(&s);
    }
    default: return 0;
    }
}
