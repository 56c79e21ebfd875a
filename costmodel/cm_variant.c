/* cm_variant.c - the one identity of a kernel variant (kind x dtype x math x
 * tile): its name format, parser and equality, and the table of compiled rows
 * (cm_variants.inc). See costmodel.h, "kernel variants". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_internal.h"
#include "costmodel.h"

static const char *const MATH_NAMES[CM_MATH_COUNT] = {"simt", "tc"};
static const char *const DTYPE_TAGS[CM_DTYPE_COUNT] = {"f32", "f16", "bf16", "i8"};

const char *cm_math_name(cm_math m) {
    return (unsigned)m < CM_MATH_COUNT ? MATH_NAMES[m] : "?";
}

bool cm_math_parse(const char *name, cm_math *out) {
    for (int i = 0; name && i < CM_MATH_COUNT; i++)
        if (strcmp(name, MATH_NAMES[i]) == 0) {
            *out = (cm_math)i;
            return true;
        }
    return false;
}

const char *cm_dtype_tag(cm_dtype t) {
    return (unsigned)t < CM_DTYPE_COUNT ? DTYPE_TAGS[t] : "?";
}

bool cm_tile_equal(const cm_tile *a, const cm_tile *b) {
    return a->tile_h == b->tile_h && a->tile_w == b->tile_w && a->tile_c == b->tile_c &&
           a->chunk_c == b->chunk_c && a->threads == b->threads;
}

bool cm_variant_id_equal(const cm_variant_id *a, const cm_variant_id *b) {
    return a->kind == b->kind && a->dtype == b->dtype && a->math == b->math &&
           cm_tile_equal(&a->tile, &b->tile);
}

const char *cm_variant_id_format(const cm_variant_id *id, char *buf, size_t cap) {
    if (!buf || cap == 0) return buf;
    buf[0] = '\0';
    if (!id || (unsigned)id->kind >= CM_KIND_COUNT || (unsigned)id->dtype >= CM_DTYPE_COUNT ||
        (unsigned)id->math >= CM_MATH_COUNT)
        return buf;
    const cm_tile *t = &id->tile;
    int n = snprintf(buf, cap, "%s_%s_%s_t%dx%d_c%d_k%d_n%d", cm_kind_name(id->kind),
                     DTYPE_TAGS[id->dtype], MATH_NAMES[id->math], t->tile_h, t->tile_w, t->tile_c,
                     t->chunk_c, t->threads);
    if (n < 0 || (size_t)n >= cap) buf[0] = '\0';
    return buf;
}

/* Reads the decimal after the one-letter tag at *p ("t", "x", "c", ...):
 * 1..999999, no sign, no leading zero; advances *p. */
static bool take_number(const char **p, char tag, int *out) {
    const char *s = *p;
    if (*s != tag) return false;
    s++;
    if (*s < '1' || *s > '9') return false;
    long v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s - '0');
        if (v > 999999) return false;
        s++;
    }
    *out = (int)v;
    *p = s;
    return true;
}

/* Copies the '_'-terminated word at *p into w (cap bytes); advances past '_'. */
static bool take_word(const char **p, char *w, size_t cap) {
    const char *e = strchr(*p, '_');
    if (!e || (size_t)(e - *p) >= cap || e == *p) return false;
    memcpy(w, *p, (size_t)(e - *p));
    w[e - *p] = '\0';
    *p = e + 1;
    return true;
}

bool cm_variant_id_parse(const char *name, cm_variant_id *out) {
    if (!name || !out) return false;
    cm_variant_id id;
    memset(&id, 0, sizeof id);
    char word[16];
    const char *p = name;
    if (!take_word(&p, word, sizeof word) || !cm_kind_parse(word, &id.kind)) return false;
    if (!take_word(&p, word, sizeof word)) return false;
    int dt = -1;
    for (int i = 0; i < CM_DTYPE_COUNT; i++)
        if (strcmp(word, DTYPE_TAGS[i]) == 0) dt = i;
    if (dt < 0) return false;
    id.dtype = (cm_dtype)dt;
    if (!take_word(&p, word, sizeof word) || !cm_math_parse(word, &id.math)) return false;
    cm_tile *t = &id.tile;
    if (!take_number(&p, 't', &t->tile_h) || !take_number(&p, 'x', &t->tile_w)) return false;
    if (*p++ != '_' || !take_number(&p, 'c', &t->tile_c)) return false;
    if (*p++ != '_' || !take_number(&p, 'k', &t->chunk_c)) return false;
    if (*p++ != '_' || !take_number(&p, 'n', &t->threads)) return false;
    if (*p != '\0') return false;
    *out = id;
    return true;
}

cm_variant_id cm_unit_variant_id(const cm_unit *u, const cm_tile *t) {
    cm_variant_id id;
    memset(&id, 0, sizeof id);
    id.kind = u->kind;
    id.dtype = u->dtype;
    id.math = u->math;
    id.tile = *t;
    return id;
}

/* ---- the compiled rows ------------------------------------------------------------ */

#define CM_VNAME_KIND_DW "dw"
#define CM_VNAME_KIND_PW "pw"
#define CM_VNAME_KIND_DWPW "dwpw"
#define CM_VNAME_KIND_PWDW "pwdw"
#define CM_VNAME_KIND_PWPW "pwpw"
#define CM_VNAME_KIND_PWDWPW "pwdwpw"
#define CM_VNAME_DTYPE_F32 "f32"
#define CM_VNAME_DTYPE_F16 "f16"
#define CM_VNAME_DTYPE_BF16 "bf16"
#define CM_VNAME_DTYPE_I8 "i8"
#define CM_VNAME_MATH_SIMT "simt"
#define CM_VNAME_MATH_TC "tc"

/* (test_costmodel checks that every name equals cm_variant_id_format of its id) */
static const cm_variant variant_table[] = {
#define CM_VARIANT(kind, dt, math, th, tw, tc, cc, thr)                                         \
    {{CM_KIND_##kind, CM_##dt, CM_MATH_##math, {th, tw, tc, cc, thr}},                          \
     CM_VNAME_KIND_##kind "_" CM_VNAME_DTYPE_##dt "_" CM_VNAME_MATH_##math "_t" #th "x" #tw "_c" #tc \
                          "_k" #cc "_n" #thr},
#include "cm_variants.inc"
#undef CM_VARIANT
};
#define VARIANT_COUNT (sizeof variant_table / sizeof variant_table[0])
_Static_assert(VARIANT_COUNT <= CM_MAX_VARIANTS, "raise CM_MAX_VARIANTS");

const cm_variant *cm_variants(size_t *count) {
    if (count) *count = VARIANT_COUNT;
    return variant_table;
}

const cm_variant *cm_variant_find(const cm_variant_id *id) {
    if (!id) return NULL;
    for (size_t i = 0; i < VARIANT_COUNT; i++)
        if (cm_variant_id_equal(&variant_table[i].id, id)) return &variant_table[i];
    return NULL;
}

const cm_variant *cm_variant_of(const cm_unit *u, const cm_tile *t) {
    if (!u || !t) return NULL;
    cm_variant_id id = cm_unit_variant_id(u, t);
    return cm_variant_find(&id);
}

bool cm_variants_exist(cm_kind kind, cm_dtype dtype, cm_math math) {
    for (size_t i = 0; i < VARIANT_COUNT; i++) {
        const cm_variant_id *v = &variant_table[i].id;
        if (v->kind == kind && v->dtype == dtype && v->math == math) return true;
    }
    return false;
}

/* The tie-breaks' reasons: at equal times (several tiles at the launch +
 * serial-chain floor, e.g. every PW tile at batch 1 pays one round of its
 * CTA latency) the throughput time holds the roofline terms the floor hid;
 * then the shorter chunk loop (the k64 PW tensor-core rows tie with their k32
 * twins on bytes and FLOPs, and measured 10-35 % faster where C spans several
 * chunks: half the barriers and waits per CTA; H100, 2026-12-06,
 * bench/results/2026-12-06-NVIDIA_H100-pw-k64); then table order, so the
 * order is total and deterministic. Before the chunk loop, the SM side
 * ((t_l2 + t_compute) / quantisation): where the DRAM term binds, every tile
 * of a unit ties on time and throughput, and the kernels are issue-bound
 * enough that their L2 requests and FMAs still show (MobileNetV2 fp16 b64's
 * 28x28 projections: the 1x128 c32 row, the lowest SM side, measured 8.8 us
 * against 16.2 for the tied 1x64 c64 n512 row the chunk tie-break took;
 * validate reports of bench/results/2026-12-07-NVIDIA_H100-s14/s14a; the
 * effect on every report's plans: bench/results/2026-12-07-NVIDIA_H100-s15
 * README). */
bool cm_tile_ranks_before(const cm_tile_rank *a, const cm_tile_rank *b) {
    /* an infinite time (a caller's "no time") ranks after every finite one */
    if (!(isfinite(a->time_us) && isfinite(b->time_us)) && a->time_us != b->time_us)
        return a->time_us < b->time_us;
    const double tol = 1e-9 * (a->time_us > b->time_us ? a->time_us : b->time_us);
    if (a->time_us < b->time_us - tol) return true;
    if (a->time_us > b->time_us + tol) return false;
    if (a->throughput_us != b->throughput_us) return a->throughput_us < b->throughput_us;
    if (a->sm_side_us != b->sm_side_us) return a->sm_side_us < b->sm_side_us;
    if (a->chunks != b->chunks) return a->chunks < b->chunks;
    return a->row < b->row;
}

/* A CTA's chunk-loop iterations for tile t of unit u (layer 0's output is
 * PWDWPW's expanded width). */
static int64_t tile_chunks(const cm_unit *u, const cm_tile *t) {
    return cm_chunk_iterations(u->kind, u->layers[0].in_c, u->layers[0].out_c, t->chunk_c);
}

cm_tile_rank cm_tile_rank_of(const cm_unit *u, const cm_tile *t, double time_us, double throughput_us,
                             double sm_side_us) {
    cm_tile_rank r = {time_us, throughput_us, sm_side_us, 0, SIZE_MAX};
    if (!u || !t) return r;
    r.chunks = tile_chunks(u, t);
    const cm_variant *v = cm_variant_of(u, t);
    if (v) r.row = (size_t)(v - variant_table);
    return r;
}

bool cm_tile_dominates(const cm_unit *u, const cm_tile *a, const cm_tile *b) {
    if (!u || !a || !b || a->chunk_c != b->chunk_c) return false;
    if (a->tile_c == b->tile_c) {
        /* spatial: a no larger in both dimensions, smaller in one */
        if (a->tile_h > b->tile_h || a->tile_w > b->tile_w || (a->tile_h == b->tile_h && a->tile_w == b->tile_w))
            return false;
        /* no more pixels a thread (fewer threads are fine: less work each) */
        if ((int64_t)a->tile_h * a->tile_w * b->threads > (int64_t)b->tile_h * b->tile_w * a->threads) return false;
    } else {
        /* channels: the same pixels, a narrower channel tile, no more of
         * its channels a thread */
        if (a->tile_h != b->tile_h || a->tile_w != b->tile_w || a->tile_c > b->tile_c) return false;
        if ((int64_t)a->tile_c * b->threads > (int64_t)b->tile_c * a->threads) return false;
    }
    cm_geom ga, gb;
    cm_geom_init(&ga, u, a);
    cm_geom_init(&gb, u, b);
    return ga.nsp == gb.nsp && ga.nct == gb.nct;
}

/* The enumerator lives with the rows it walks (the estimates it ranks them
 * by come from costmodel.c, which never walks the table itself). */
size_t cm_enumerate_tiles(const cm_unit *u, const cm_gpu *g, cm_tile *out, size_t cap) {
    cm_tile_rank c[CM_MAX_VARIANTS];
    size_t n = 0;
    if (!u || !g || cm_unit_check(u, NULL, 0) != CM_OK) return 0;
    size_t nv = 0;
    const cm_variant *table = cm_variants(&nv);
    for (size_t i = 0; i < nv; i++) {
        const cm_variant_id *id = &table[i].id;
        if (id->kind != u->kind || id->dtype != u->dtype || id->math != u->math) continue;
        cm_estimate e;
        if (cm_estimate_unit(u, &id->tile, g, &e) != CM_OK) continue;
        /* insertion in the planner's order (cm_tile_ranks_before): stable,
         * deterministic */
        const cm_tile_rank x = {e.time_us, cm_estimate_throughput_us(&e), cm_estimate_sm_side_us(&e),
                                tile_chunks(u, &id->tile), i};
        size_t j = n++;
        while (j > 0 && cm_tile_ranks_before(&x, &c[j - 1])) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = x;
    }
    /* a dominated tile (cm_tile_dominates) is never proposed, whatever its
     * estimate: its time ties at the serial-chain floor and the throughput
     * tie-break can prefer it (docs/costmodel.md, "Dominated tiles") */
    /* flags first, then the compaction: compacting in the same pass would
     * overwrite candidates a later one must still be compared with */
    bool dominated[CM_MAX_VARIANTS];
    for (size_t i = 0; i < n; i++) {
        dominated[i] = false;
        for (size_t j = 0; j < n && !dominated[i]; j++)
            dominated[i] = j != i && cm_tile_dominates(u, &table[c[j].row].id.tile, &table[c[i].row].id.tile);
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!dominated[i]) c[kept++] = c[i];
    for (size_t i = 0; i < kept && i < cap; i++) out[i] = table[c[i].row].id.tile;
    return kept;
}
