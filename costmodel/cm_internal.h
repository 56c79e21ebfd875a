/* cm_internal.h - shared internals of the cost model (not installed, not for
 * other modules). The geometry of a (unit, tile) pair, computed once from the
 * contract in costmodel.h, and the closed-form pieces the estimate uses. */
#ifndef FUSEPLAN_CM_INTERNAL_H
#define FUSEPLAN_CM_INTERNAL_H

#include "costmodel.h"

/* Geometry of one unit under one tile. All sizes in elements unless named
 * *_bytes; int64_t everywhere so that products of shapes cannot overflow. */
typedef struct cm_geom {
    cm_kind kind;
    int64_t e;                   /* activation/weight element bytes */
    int64_t n;                   /* batch */
    int64_t in_h, in_w, in_c;    /* the unit's input tensor X */
    int64_t out_h, out_w, out_c; /* the unit's output tensor Y (and R) */
    int64_t mid_c;               /* PWDW/PWDWPW: E; PWPW: F1; else 0 */
    int64_t k, s, pt, pl;        /* the DW layer (spatial kinds); PW: 1,1,0,0 */
    int64_t th, tw, tc, cc, nt;  /* the tile (nt = threads) */
    int64_t nth, ntw;            /* spatial kinds: tile rows/cols per image */
    int64_t npix;                /* flat kinds: N*H*W pixels */
    int64_t nsp;                 /* spatial CTAs: N*nth*ntw (flat: pixel tiles) */
    int64_t nct;                 /* output-channel tiles: ceil(out_c / tc) */
    int64_t ctas;                /* nsp * nct */
    int64_t ph, pw;              /* largest input patch of one CTA (spatial kinds) */
} cm_geom;

/* Iterations of a CTA's chunk loop: over the expanded channels E for
 * PWDWPW, over the input channels C for the other kinds with one, 1 for DW
 * (its chunk is its channel tile). The serial chain (costmodel.c) and the
 * enumerator's tie-break (cm_variant.c) count it. */
static inline int64_t cm_chunk_iterations(cm_kind kind, int64_t in_c, int64_t mid_c, int64_t chunk_c) {
    if (kind == CM_KIND_DW) return 1;
    const int64_t red = kind == CM_KIND_PWDWPW ? mid_c : in_c;
    return (red + chunk_c - 1) / chunk_c;
}

/* Fills g from a checked unit and a checked tile. */
void cm_geom_init(cm_geom *g, const cm_unit *u, const cm_tile *t);

/* Tile-shape validity for the unit (not GPU resources). */
cm_status cm_tile_valid(const cm_unit *u, const cm_tile *t, char *why, size_t why_len);

/* Closed-form SM<->L2 traffic (cm_traffic.c): arithmetic over residue classes
 * of byte offsets mod 32, never a loop proportional to the problem size. */
/* Parts of the closed-form loads the estimate needs apart. */
typedef struct cm_traffic_parts {
    uint64_t x_bytes; /* the loads that read the unit input X (the rest: parameters, residual) */
    /* the parameter families the fp32 kernels read through L1 (4-byte
     * cp.async.ca, __ldg): l1_per_sp_bytes is read once per pixel tile (the
     * sum over the channel tiles of one channel tile's bytes), l1_per_cta_bytes
     * by every CTA alike; the loads hold nsp and ctas times them */
    uint64_t l1_per_sp_bytes, l1_per_cta_bytes;
    uint64_t pw_w_bytes; /* PW: the weight loads (every pixel tile's CTAs read their channel tile's W) */
} cm_traffic_parts;
/* The closed-form traffic; *parts (may be NULL) receives its parts. */
void cm_traffic_closed(const cm_geom *g, bool residual, cm_traffic *out, cm_traffic_parts *parts);

/* Sectors the L2 serves twice because a 16-byte copy puts the two halves of
 * a global sector into two 32-byte chunks of shared memory (cm_traffic.c;
 * docs/costmodel.md section 2.5): the staged rows of the fp32 CUDA-core and
 * of the tensor-core kernels on their vector paths (short chunk segments at
 * CM_SPLIT_SHORT_SEG_DIV, below); 0 for the scalar paths. */
uint64_t cm_split_sectors(const cm_geom *g, const cm_unit *u);

/* Rows staged in chunks (rows of several chunks: the PW kernels' X and W
 * rows, DWPW's and PWDW's patch and PW weight rows, PWPW's X and W1 rows,
 * PWDWPW's W2 rows; fp32 CUDA cores and tensor cores alike): a chunk segment
 * of at least CM_SPLIT_FULL_SEG_BYTES bytes splits sectors by the parity rule
 * (the 16-bit k64 rows' 128-byte segments measured 1.42-1.48x the contract's
 * L2 reads against the rule's 1.5x, the fp32 k32 rows' within 2-5 % of it);
 * a shorter one a quarter of the rule's count (CM_SPLIT_SHORT_SEG_DIV): the
 * 64-byte segments measured far fewer splits than the rule, fp32 k16 rows
 * +11-14 % reads and 16-bit k32 rows +7-26 % against its +50 %, for a reason
 * not known. Chosen on the H100 graph-replay reports (5802 kernels, fp32 and
 * fp16: bench/results/2026-12-06-NVIDIA_H100-validation-graph, -pw-k64/val;
 * bench/results/2026-12-07-H100-offline-split): L2 traffic within 10 % for
 * 71.7 % of the kernels with these segments not counted, 78.9 % at a half,
 * 83.1 % at a third, 83.9 % at a quarter, 82.4 % at a fifth. A unit's short
 * segments' count is divided once, as a whole, so that the closed form
 * (cm_traffic.c) and the replay (cm_sim.c) stay equal. Rows of one chunk
 * split by the rule whatever their length (docs/costmodel.md 2.5). */
#define CM_SPLIT_FULL_SEG_BYTES 128
#define CM_SPLIT_SHORT_SEG_DIV 4

/* Split sectors in the two classes above, for the closed form and the
 * replay alike: cm_split_class gives the counter a segment of seg_bytes
 * adds to (several: its row spans several chunks), cm_split_total the
 * unit's sectors. */
typedef struct cm_split_count {
    uint64_t full, short_seg;
} cm_split_count;
static inline uint64_t *cm_split_class(cm_split_count *c, bool several, int64_t seg_bytes) {
    return several && seg_bytes < CM_SPLIT_FULL_SEG_BYTES ? &c->short_seg : &c->full;
}
static inline uint64_t cm_split_total(const cm_split_count *c) {
    return c->full + c->short_seg / CM_SPLIT_SHORT_SEG_DIV;
}

/* Sum over the tiles along one axis of the clipped input patch length (the
 * patch rows of every tile row added up); O(edge tiles). */
int64_t cm_patch_axis_sum(int64_t out_len, int64_t tile, int64_t s, int64_t k, int64_t pad,
                          int64_t in_len);

#endif
