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

/* Fills g from a checked unit and a checked tile. */
void cm_geom_init(cm_geom *g, const cm_unit *u, const cm_tile *t);

/* Tile-shape validity for the unit (not GPU resources). */
cm_status cm_tile_valid(const cm_unit *u, const cm_tile *t, char *why, size_t why_len);

/* Closed-form SM<->L2 traffic (cm_traffic.c): arithmetic over residue classes
 * of byte offsets mod 32, never a loop proportional to the problem size. */
/* The closed-form traffic; *x_load_bytes (may be NULL) receives the part of
 * the loads that reads the unit input X (the rest: parameters, residual). */
void cm_traffic_closed(const cm_geom *g, bool residual, cm_traffic *out, uint64_t *x_load_bytes);

/* Sum over the tiles along one axis of the clipped input patch length (the
 * patch rows of every tile row added up); O(edge tiles). */
int64_t cm_patch_axis_sum(int64_t out_len, int64_t tile, int64_t s, int64_t k, int64_t pad,
                          int64_t in_len);

#endif
