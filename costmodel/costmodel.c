/* costmodel.c - names, unit/tile checks, footprints, the estimate, the
 * variant table and the tile enumerator. The traffic closed form lives in
 * cm_traffic.c, the replaying simulator in cm_sim.c. Derivations:
 * docs/costmodel.md. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cm_internal.h"
#include "cm_smem_layout.h"

/* ---- model constants (each says why) --------------------------------------- */

/* Fraction of the L2 that a unit's data may occupy and still be found there
 * (the "L2 budget"). Measured 2026-11-21 on an H100 80GB HBM3 (SXM, 50 MiB
 * L2) with the probe in docs/costmodel.md (appendix): a buffer re-read
 * cyclically, each line by one SM, stays at full L2 speed up to 44 MiB (0.88)
 * and falls to DRAM speed by 56 MiB; re-read by many SMs, as weights and
 * re-read inputs are, it loses 3-4% by 32-40 MiB and 7% by 48 MiB. 0.75
 * (37.5 MiB) stays below both knees with room for the lines other kernels
 * leave behind. A property of the L2, not of a kernel: a GPU spec's calibration
 * may carry its own, fitted to DRAM counters by `fuseplan validate
 * --calibrate` (cm_gpu.l2_budget_fraction; docs/validation.md). */
#define CM_L2_BUDGET_FRACTION 0.75

/* The overlap rule (docs/costmodel.md, "Time"): DRAM transfers overlap
 * everything the SMs do, but the SMs' L2 requests and their FMAs are issued
 * by the same warps and do not overlap in these issue-bound kernels (ncu on
 * the H200: issue-active 62-79%, DRAM 39%; bench/kernels/NOTES.md), so they
 * add. Measured by `fuseplan validate` on the H200 (3146 kernels of
 * MobileNetV1/V2 and MnasNet-B1 at batch 1 and 64, each form fitted the same
 * way): max(t_dram, t_l2 + t_comp) ranks tiles with a median Kendall tau of
 * 0.73 against 0.60 for max(t_dram, t_l2, t_comp), leaves 34 units instead
 * of 55 with a tile regret above 20%, and agrees with 256 instead of 252 of
 * the 278 fusion decisions (docs/validation.md). */
double cm_sm_side_us(double t_l2_us, double t_compute_us, double quantisation) {
    return (t_l2_us + t_compute_us) / quantisation;
}

double cm_time_us(double launch_us, double t_dram_us, double t_l2_us, double t_compute_us,
                  double quantisation) {
    const double dram = t_dram_us / quantisation, sm_side = cm_sm_side_us(t_l2_us, t_compute_us, quantisation);
    return launch_us + (dram > sm_side ? dram : sm_side);
}

double cm_estimate_throughput_us(const cm_estimate *e) {
    return cm_time_us(e->t_launch_us, e->t_dram_us, e->t_l2_us, e->t_compute_us,
                      e->wave_efficiency * e->warp_efficiency);
}

double cm_estimate_sm_side_us(const cm_estimate *e) {
    return cm_sm_side_us(e->t_l2_us, e->t_compute_us, e->wave_efficiency * e->warp_efficiency);
}

double cm_time_serial_us(double launch_us, double t_dram_us, double t_l2_us, double t_compute_us,
                         double quantisation, double t_serial_us) {
    const double t = cm_time_us(launch_us, t_dram_us, t_l2_us, t_compute_us, quantisation);
    return t > launch_us + t_serial_us ? t : launch_us + t_serial_us;
}

/* The per-CTA serial chain (docs/costmodel.md, "Serial chain"): a CTA of a
 * fused kind runs its chunk loop one iteration after the other, each waiting
 * at barriers for the chunk's copies and the phases before it; with few CTAs
 * per SM nothing overlaps that, and the busiest SM takes at least
 * rounds x iterations x (c + bytes per iteration / b) cycles, c a fixed cost
 * per iteration and b the bytes per cycle one CTA's chunk stream moves. Per
 * kind, in SM cycles (scaled by clock_mhz), least squares of log time over
 * the measured kernels of `fuseplan validate` on the H100 and the H200
 * (2026-11-22 datasheet-spec reports, 6292 kernels, efficiencies fitted
 * first, a grid of c in 0.25 us steps and b in 2..32 kB/us): DWPW 1 us /
 * 11 kB/us, PWDW 0.25 us / 5 kB/us, PWPW 3.25 us / 6 kB/us at 1980 MHz; for
 * PWDWPW, whose loss is flat along a ridge (2.25 us / 6 kB/us best, 1 us /
 * 4 kB/us within 2.4%), the point of the ridge with the fewest units whose
 * chosen tile is > 20% slower than the best and the most fusion decisions
 * right, in sample: 1 us / 4 kB/us (14 and 14 units, 246 and 255 of 278
 * decisions on H100 and H200, against 18, 17, 243, 254). Held out on the
 * two calibrated-spec reports: units with a regret above 20% 34 -> 15 of
 * 534 on both GPUs, median time error 12.0 -> 11.3% (H100), 11.7 -> 11.0%
 * (H200); fusion decisions 251 -> 249 and 262 -> 258 of 278
 * (docs/validation.md). DW and PW (one chunk pass, or a few) fitted 0.
 * Measured on the fp32 kernels; the 16-bit ones run the same loops.
 *
 * Per (kind, math): {CUDA cores, tensor cores}. The tensor-core kinds keep
 * the fp32 kernels' constants, except PWDWPW, whose chunk does the
 * expansion, the DW and the projection on tensor cores, not the FFMA loops
 * the constants above were fitted on. Grid c in {0, 990, 1980, 2970,
 * 3960, 4950} x beta in {1, 2, 3, 4, 6, 8} over the fp32 + fp16 graph-replay
 * reports (efficiencies refitted each time, held out; H100, 2026-12-06):
 * 3960 cycles / 4 B per cycle, 675 of 728 fusion decisions (668 with the
 * fp32 constants), median time error 14.2 % (14.6); neighbours within 10
 * decisions (the surface is flat). It also plans MobileNetV2 fp16 b64's
 * block 2 on 8x8 tiles again, which measured 110.7 us against 119.5 for the
 * 8x16 tiles the fp32 constants chose (H100,
 * bench/results/2026-12-06-NVIDIA_H100-frag-epilogue). */
static const double serial_iter_cycles[CM_KIND_COUNT][CM_MATH_COUNT] = {
    {0.0, 0.0}, {0.0, 0.0}, {1980.0, 1980.0}, {495.0, 495.0}, {6435.0, 6435.0}, {1980.0, 3960.0}};
static const double serial_bytes_per_cycle[CM_KIND_COUNT][CM_MATH_COUNT] = {
    {0.0, 0.0}, {0.0, 0.0}, {5.56, 5.56}, {2.53, 2.53}, {3.03, 3.03}, {2.02, 4.0}};
/* A CTA's fixed latency, its first copies' round trip, barriers and
 * epilogue, which a round of resident CTAs pays once whatever its chunk count:
 * PW only, in SM cycles (4500: 2.27 us at the H100's 1980 MHz, where it was
 * fitted). The 16-bit PW rows with 16- and 32-pixel tiles measured 3-10x
 * their estimate at batch 64 (b0_project 1x16 c64 n128 284 us, estimated 28:
 * ~1 CTA per us per SM whatever the tile's work; fp16 graph-replay validate,
 * H100, 2026-12-06, commit ed17653). Tried 0-6000 cycles in steps of 1000,
 * 4500, 8000 and 12000, the efficiencies refitted each time on the fp32 and
 * fp16 reports (bench/results, validation-graph and validation-fp16), judged
 * held out: 4500 takes the worst tile regret from 415 % to 85 %, the median
 * time error from 15.0 to 14.6 %, fusion decisions 662 -> 668 of 728. DW
 * gained nothing (1000-4000 tried) and stays 0; the PW simt value mattered
 * little (4000-4500 best), so one value serves both maths. */
static const double serial_cta_cycles[CM_KIND_COUNT] = {0.0, 4500.0, 0.0, 0.0, 0.0, 0.0};

uint64_t cm_l2_budget_bytes(const cm_gpu *g) {
    const double f = g->l2_budget_fraction > 0.0 ? g->l2_budget_fraction : CM_L2_BUDGET_FRACTION;
    return (uint64_t)(f * (double)g->l2_bytes);
}

/* Registers a thread needs besides its accumulators: addresses, loop
 * counters, tile indices, operand fragments. A prior until fcm_kernels builds
 * and `nvcc -Xptxas -v` reports the real counts per variant. */
#define CM_REG_OVERHEAD 32

/* Register allocation unit: registers per warp are allocated in blocks of 256
 * (CUDA occupancy calculator, compute capability 8.x and 9.x). */
#define CM_REG_ALLOC_UNIT 256

/* Shared memory per CTA reserved by the system (1 KiB on compute capability
 * 8.x/9.x: CUDA C++ Programming Guide, "Shared Memory" of compute capability
 * 8.x/9.0) and the allocation granularity (128 bytes on 8.x/9.x, CUDA
 * occupancy calculator). */
#define CM_SMEM_RESERVED_PER_CTA 1024
#define CM_SMEM_ALLOC_UNIT 128

/* Resident warps at which an SM reaches its full rate (docs/costmodel.md,
 * "Time"): below it, the SM's achievable L2->SM and issue rate scales with
 * the warps it holds, rate = min(1, warps / CM_WARPS_SAT). Measured
 * 2026-11-22 on an H200 (132 SMs) with `fk_bench -probe` (one CTA of w warps
 * per SM; bench/kernels/NOTES.md): L2-resident 16-byte reads, 4 in flight per
 * thread, reach 11, 21, 42, 70, 79, 93, 100 % of the sweep's best rate at
 * w = 1, 2, 4, 8, 12, 24, 48 (linear, 10.5 % per warp, up to 8 warps); FFMA
 * issue (8 independent chains per thread) reaches 16, 32, 64, 82, 95 % at
 * w = 1, 2, 4, 8, 12. The least-squares fit of min(1, w/W) to both curves
 * (w = 1..64) is W = 9-10 (sum of squared errors 0.22; 8: 0.31, 12: 0.33,
 * 16: 0.68). Re-measure per GPU generation. */
#define CM_WARPS_SAT 10.0

/* The fp32 PWDWPW kernel (fcm_kernels/fk_pwdwpw.cuh) reaches its SM rate with
 * 4 warps, one a scheduler: alone on an SM, a CTA of 4 warps and one of 8 ran
 * ProxylessNAS-GPU's batch-1 7x7 blocks (C 256, E 1536, K 7) at the same 30-32
 * executed multiply-adds a cycle (H100 validate report, graph replay,
 * 2026-12-06: 2x4 c32 n128 551 us, 4x4 c32 n128 653, 4x8 c128 n256 1003), so
 * W_sat = 10 charged the 128-thread tiles 2.5x and the 256-thread ones 1.25x
 * and ranked the slowest of them first (tile regret 82 %). Re-analysing the
 * H100 validate reports (fp32 of 2026-12-06, fp16 of s14a; efficiencies
 * refitted, held out: docs/validation.md), W_sat = 2 / 3 / 4 / 5 / 6 / 8 / 10
 * for this kernel gives worst tile regret 58 / 58 / 58 / 58 / 58 / 82 / 82 %,
 * fusion decisions 682 / 682 / 682 / 683 / 683 / 680 / 679 of 728, median
 * time error 13.4 / 13.4 / 13.4 / 13.5 / 13.5 / 13.7 / 13.8 %; 4 is the
 * measured point. The other kinds' W_sat scanned the same way (4, 6, 16)
 * moved decisions by a few either way without a direction: they keep the
 * probe's value. */
#define CM_WARPS_SAT_PWDWPW_SIMT 4.0

/* Limits on shapes so that no product of them overflows 64 bits. */
#define CM_MAX_BATCH 4096
#define CM_MAX_HW 16384
#define CM_MAX_CH 65536
#define CM_MAX_TILE 65536
#define CM_MAX_GRID_X INT32_MAX /* gridDim.x limit, 2^31 - 1 (cm_unit_grid: pixel tiles) */
#define CM_MAX_GRID_Y 65535     /* gridDim.y limit (cm_unit_grid: channel tiles) */

/* ---- names ------------------------------------------------------------------ */

static const char *const kind_names[CM_KIND_COUNT] = {"dw", "pw", "dwpw", "pwdw", "pwpw", "pwdwpw"};
static const char *const dtype_names[CM_DTYPE_COUNT] = {"fp32", "fp16", "bf16", "int8"};

const char *cm_status_str(cm_status s) {
    switch (s) {
    case CM_OK: return "ok";
    case CM_BAD_UNIT: return "bad unit";
    case CM_BAD_TILE: return "bad tile";
    case CM_INFEASIBLE: return "infeasible tile";
    }
    return "unknown status";
}

int cm_dtype_bytes(cm_dtype t) {
    switch (t) {
    case CM_F32: return 4;
    case CM_F16: return 2;
    case CM_BF16: return 2;
    case CM_I8: return 1;
    default: return 0;
    }
}

const char *cm_dtype_name(cm_dtype t) {
    return ((int)t >= 0 && t < CM_DTYPE_COUNT) ? dtype_names[t] : "?";
}

bool cm_dtype_parse(const char *name, cm_dtype *out) {
    if (!name) return false;
    for (int i = 0; i < CM_DTYPE_COUNT; i++) {
        if (strcmp(name, dtype_names[i]) == 0) {
            if (out) *out = (cm_dtype)i;
            return true;
        }
    }
    return false;
}

const char *cm_act_name(cm_act a) {
    switch (a) {
    case CM_ACT_NONE: return "none";
    case CM_ACT_RELU: return "relu";
    case CM_ACT_RELU6: return "relu6";
    }
    return "?";
}

const char *cm_kind_name(cm_kind k) {
    return ((int)k >= 0 && k < CM_KIND_COUNT) ? kind_names[k] : "?";
}

bool cm_kind_parse(const char *name, cm_kind *out) {
    if (!name) return false;
    for (int i = 0; i < CM_KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            if (out) *out = (cm_kind)i;
            return true;
        }
    }
    return false;
}

int cm_kind_layers(cm_kind k) {
    switch (k) {
    case CM_KIND_DW:
    case CM_KIND_PW: return 1;
    case CM_KIND_DWPW:
    case CM_KIND_PWDW:
    case CM_KIND_PWPW: return 2;
    case CM_KIND_PWDWPW: return 3;
    default: return 0;
    }
}

bool cm_kind_is_flat(cm_kind k) { return k == CM_KIND_PW || k == CM_KIND_PWPW; }

/* Index of the DW layer in the kind's chain, or -1. */
static int dw_index(cm_kind k) {
    switch (k) {
    case CM_KIND_DW:
    case CM_KIND_DWPW: return 0;
    case CM_KIND_PWDW:
    case CM_KIND_PWDWPW: return 1;
    default: return -1;
    }
}

/* ---- helpers ---------------------------------------------------------------- */

static cm_status fail(cm_status st, char *buf, size_t len, const char *fmt, ...) {
    if (buf && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
    }
    return st;
}

static inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline uint64_t sec_bytes(int64_t bytes) {
    return (uint64_t)ceil_div(bytes, CM_SECTOR_BYTES) * CM_SECTOR_BYTES;
}

/* ---- unit check --------------------------------------------------------------- */

cm_status cm_unit_check(const cm_unit *u, char *err, size_t err_len) {
    if (err && err_len) err[0] = '\0';
    if (!u) return fail(CM_BAD_UNIT, err, err_len, "unit is NULL");
    if ((int)u->kind < 0 || u->kind >= CM_KIND_COUNT)
        return fail(CM_BAD_UNIT, err, err_len, "kind %d is not one of dw, pw, dwpw, pwdw, pwpw, pwdwpw",
                    (int)u->kind);
    const char *kn = kind_names[u->kind];
    if ((int)u->dtype < 0 || u->dtype >= CM_DTYPE_COUNT)
        return fail(CM_BAD_UNIT, err, err_len, "%s: dtype %d is not fp32, fp16, bf16 or int8", kn,
                    (int)u->dtype);
    if (u->batch < 1 || u->batch > CM_MAX_BATCH)
        return fail(CM_BAD_UNIT, err, err_len, "%s: batch %d is not in 1..%d", kn, u->batch, CM_MAX_BATCH);
    const int nl = cm_kind_layers(u->kind), dwi = dw_index(u->kind);
    for (int i = 0; i < nl; i++) {
        const cm_conv *L = &u->layers[i];
        const bool dw = (i == dwi);
        const char *ln = dw ? "dw" : "pw";
        if (L->in_h < 1 || L->in_h > CM_MAX_HW || L->in_w < 1 || L->in_w > CM_MAX_HW || L->out_h < 1 ||
            L->out_h > CM_MAX_HW || L->out_w < 1 || L->out_w > CM_MAX_HW)
            return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (%s): size %dx%d -> %dx%d is not in 1..%d",
                        kn, i, ln, L->in_h, L->in_w, L->out_h, L->out_w, CM_MAX_HW);
        if (L->in_c < 1 || L->in_c > CM_MAX_CH || L->out_c < 1 || L->out_c > CM_MAX_CH)
            return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (%s): channels %d -> %d are not in 1..%d",
                        kn, i, ln, L->in_c, L->out_c, CM_MAX_CH);
        if ((int64_t)L->in_h * L->in_w * L->in_c > INT32_MAX ||
            (int64_t)L->out_h * L->out_w * L->out_c > INT32_MAX)
            return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (%s): a tensor exceeds 2^31 elements per image",
                        kn, i, ln);
        if ((int)L->act < 0 || L->act > CM_ACT_RELU6)
            return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (%s): activation %d is not none, relu or relu6",
                        kn, i, ln, (int)L->act);
        if (dw) {
            const int k = L->kernel, s = L->stride;
            if (L->out_c != L->in_c)
                return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (dw): out_c %d != in_c %d", kn, i,
                            L->out_c, L->in_c);
            if (k != 3 && k != 5 && k != 7)
                return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (dw): kernel %d is not 3, 5 or 7", kn, i, k);
            if (s != 1 && s != 2)
                return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (dw): stride %d is not 1 or 2", kn, i, s);
            if (L->pad_top < 0 || L->pad_top > k - 1 || L->pad_left < 0 || L->pad_left > k - 1)
                return fail(CM_BAD_UNIT, err, err_len,
                            "%s: layers[%d] (dw): padding top %d / left %d is not in 0..%d", kn, i, L->pad_top,
                            L->pad_left, k - 1);
            const int pb = (L->out_h - 1) * s + k - L->in_h - L->pad_top;
            const int pr = (L->out_w - 1) * s + k - L->in_w - L->pad_left;
            if (pb > k - 1 || pb <= -s)
                return fail(CM_BAD_UNIT, err, err_len,
                            "%s: layers[%d] (dw): out_h %d does not follow from in_h %d, kernel %d, stride %d, "
                            "pad_top %d (implied bottom padding %d is not in %d..%d)",
                            kn, i, L->out_h, L->in_h, k, s, L->pad_top, pb, 1 - s, k - 1);
            if (pr > k - 1 || pr <= -s)
                return fail(CM_BAD_UNIT, err, err_len,
                            "%s: layers[%d] (dw): out_w %d does not follow from in_w %d, kernel %d, stride %d, "
                            "pad_left %d (implied right padding %d is not in %d..%d)",
                            kn, i, L->out_w, L->in_w, k, s, L->pad_left, pr, 1 - s, k - 1);
        } else {
            if (L->kernel != 1 || L->stride != 1 || L->pad_top != 0 || L->pad_left != 0)
                return fail(CM_BAD_UNIT, err, err_len,
                            "%s: layers[%d] (pw): kernel %d, stride %d, padding %d/%d is not 1x1, stride 1, no padding",
                            kn, i, L->kernel, L->stride, L->pad_top, L->pad_left);
            if (L->out_h != L->in_h || L->out_w != L->in_w)
                return fail(CM_BAD_UNIT, err, err_len, "%s: layers[%d] (pw): output %dx%d != input %dx%d", kn, i,
                            L->out_h, L->out_w, L->in_h, L->in_w);
        }
        if (i > 0) {
            const cm_conv *P = &u->layers[i - 1];
            if (L->in_h != P->out_h || L->in_w != P->out_w || L->in_c != P->out_c)
                return fail(CM_BAD_UNIT, err, err_len,
                            "%s: layers[%d] input %dx%dx%d does not match layers[%d] output %dx%dx%d", kn, i,
                            L->in_h, L->in_w, L->in_c, i - 1, P->out_h, P->out_w, P->out_c);
        }
    }
    if (u->residual_is_input) {
        const cm_conv *a = &u->layers[0], *z = &u->layers[nl - 1];
        if (!u->residual) return fail(CM_BAD_UNIT, err, err_len, "%s: residual_is_input without residual", kn);
        if (a->in_h != z->out_h || a->in_w != z->out_w || a->in_c != z->out_c)
            return fail(CM_BAD_UNIT, err, err_len,
                        "%s: residual_is_input but input %dx%dx%d is not shaped like output %dx%dx%d", kn, a->in_h,
                        a->in_w, a->in_c, z->out_h, z->out_w, z->out_c);
    }
    return CM_OK;
}

/* ---- geometry ----------------------------------------------------------------- */

void cm_geom_init(cm_geom *g, const cm_unit *u, const cm_tile *t) {
    memset(g, 0, sizeof *g);
    const int nl = cm_kind_layers(u->kind), dwi = dw_index(u->kind);
    const cm_conv *first = &u->layers[0], *last = &u->layers[nl - 1];
    g->kind = u->kind;
    g->e = cm_dtype_bytes(u->dtype);
    g->n = u->batch;
    g->in_h = first->in_h, g->in_w = first->in_w, g->in_c = first->in_c;
    g->out_h = last->out_h, g->out_w = last->out_w, g->out_c = last->out_c;
    if (u->kind == CM_KIND_PWDW || u->kind == CM_KIND_PWPW || u->kind == CM_KIND_PWDWPW)
        g->mid_c = first->out_c;
    g->k = 1, g->s = 1;
    if (dwi >= 0) {
        const cm_conv *d = &u->layers[dwi];
        g->k = d->kernel, g->s = d->stride, g->pt = d->pad_top, g->pl = d->pad_left;
    }
    g->th = t->tile_h, g->tw = t->tile_w, g->tc = t->tile_c, g->cc = t->chunk_c, g->nt = t->threads;
    g->nct = ceil_div(g->out_c, g->tc);
    if (cm_kind_is_flat(u->kind)) {
        g->npix = g->n * g->in_h * g->in_w;
        g->nth = 1;
        g->ntw = ceil_div(g->npix, g->tw);
        g->nsp = g->ntw;
    } else {
        g->nth = ceil_div(g->out_h, g->th);
        g->ntw = ceil_div(g->out_w, g->tw);
        g->nsp = g->n * g->nth * g->ntw;
        g->ph = min64((min64(g->th, g->out_h) - 1) * g->s + g->k, g->in_h);
        g->pw = min64((min64(g->tw, g->out_w) - 1) * g->s + g->k, g->in_w);
    }
    g->ctas = g->nsp * g->nct;
}

cm_status cm_tile_valid(const cm_unit *u, const cm_tile *t, char *why, size_t why_len) {
    if (!t) return fail(CM_BAD_TILE, why, why_len, "tile is NULL");
    const char *kn = cm_kind_name(u->kind);
    const struct {
        const char *name;
        int v;
    } f[4] = {{"tile_h", t->tile_h}, {"tile_w", t->tile_w}, {"tile_c", t->tile_c}, {"chunk_c", t->chunk_c}};
    for (int i = 0; i < 4; i++) {
        if (f[i].v < 1 || f[i].v > CM_MAX_TILE)
            return fail(CM_BAD_TILE, why, why_len, "%s: %s %d is not in 1..%d", kn, f[i].name, f[i].v, CM_MAX_TILE);
    }
    if (t->threads < 32 || t->threads % 32 != 0 || t->threads > CM_MAX_TILE)
        return fail(CM_BAD_TILE, why, why_len, "%s: threads %d is not a positive multiple of 32", kn, t->threads);
    if (cm_kind_is_flat(u->kind) && t->tile_h != 1)
        return fail(CM_BAD_TILE, why, why_len, "%s: tile_h %d must be 1 for a flat kind", kn, t->tile_h);
    if (u->kind == CM_KIND_DW && t->chunk_c != t->tile_c)
        return fail(CM_BAD_TILE, why, why_len, "dw: chunk_c %d != tile_c %d (dw requires chunk_c == tile_c)",
                    t->chunk_c, t->tile_c);
    cm_geom g;
    cm_geom_init(&g, u, t);
    if (g.nsp > CM_MAX_GRID_X || g.nct > CM_MAX_GRID_Y)
        return fail(CM_BAD_TILE, why, why_len, "%s: grid %lld x %lld exceeds %d x %d", kn, (long long)g.nsp,
                    (long long)g.nct, CM_MAX_GRID_X, CM_MAX_GRID_Y);
    return CM_OK;
}

/* ---- footprint ------------------------------------------------------------------ */

/* Dynamic shared memory of one CTA, in 4-byte words: the kernels' own layout
 * (cm_smem_layout.h), which they carve with the same functions. It is sized
 * for the tile as compiled (unclipped). The layout depends on the kind, the
 * element size and the math: 16-bit DW (CUDA cores) and 16-bit PW, DWPW,
 * PWDW, PWPW and PWDWPW on tensor cores have layouts of their own (fp32 PW, DWPW,
 * PWDW and PWDWPW with math tc, TF32, carve the same ones with 4-byte
 * elements); every other (dtype, math) has no kernel of its own yet and gets
 * the fp32 layout. */
static int64_t smem_words(const cm_geom *g, const cm_unit *u) {
    const bool b16 = u->dtype == CM_F16 || u->dtype == CM_BF16;
    /* the tensor-core layouts of PW, DWPW, PWDW, PWDWPW: 16-bit, and fp32
     * with math tc (TF32) with 4-byte elements */
    const bool tcl = u->math == CM_MATH_TC && (b16 || u->dtype == CM_F32);
    const cm_sw es = cm_dtype_bytes(u->dtype);
    switch (g->kind) {
    case CM_KIND_DW:
        if (b16) return cm_smem_dw16_layout(g->th, g->tw, g->tc, g->k, g->s).total;
        return cm_smem_dw_layout(g->th, g->tw, g->tc, g->k, g->s).total;
    case CM_KIND_PW:
        if (tcl) return cm_smem_pw_tc_layout_es(g->tw, g->tc, g->cc, g->nt, es).total;
        return cm_smem_pw_layout(g->tw, g->tc, g->cc, g->nt).total;
    case CM_KIND_DWPW:
        if (tcl) return cm_smem_dwpw_tc_layout_es(g->th, g->tw, g->tc, g->cc, g->k, g->s, es).total;
        return cm_smem_dwpw_layout(g->th, g->tw, g->tc, g->cc, g->k, g->s, g->nt).total;
    case CM_KIND_PWDW:
        if (tcl) return cm_smem_pwdw_tc_layout_es(g->th, g->tw, g->tc, g->cc, g->k, g->s, es).total;
        return cm_smem_pwdw_layout(g->th, g->tw, g->tc, g->cc, g->k, g->s).total;
    case CM_KIND_PWPW:
        if (b16 && u->math == CM_MATH_TC)
            return cm_smem_pwpw_tc_layout(g->tw, g->tc, g->cc, g->nt, g->in_c, g->mid_c).total;
        return cm_smem_pwpw_layout(g->tw, g->tc, g->cc, g->mid_c).total;
    case CM_KIND_PWDWPW:
        if (tcl)
            return cm_smem_pwdwpw_tc_layout_es(g->th, g->tw, g->tc, g->cc, g->k, g->s, g->in_c, es).total;
        return cm_smem_pwdwpw_layout(g->th, g->tw, g->tc, g->cc, g->k, g->s, g->in_c, g->nt).total;
    default: return 0;
    }
}

/* The geometry of a unit and tile that pass cm_unit_check and
 * cm_tile_valid (the first failure's status and reason otherwise): the
 * prologue of every entry point that takes a (unit, tile). */
static cm_status checked_geom(const cm_unit *u, const cm_tile *t, char *why, size_t why_len, cm_geom *geo) {
    cm_status st = cm_unit_check(u, why, why_len);
    if (st != CM_OK) return st;
    st = cm_tile_valid(u, t, why, why_len);
    if (st != CM_OK) return st;
    cm_geom_init(geo, u, t);
    return CM_OK;
}

size_t cm_smem_bytes(const cm_unit *u, const cm_tile *t) {
    cm_geom geo;
    if (checked_geom(u, t, NULL, 0, &geo) != CM_OK) return 0;
    return (size_t)smem_words(&geo, u) * 4;
}

/* A unit whose GEMMs run in the tensor-core kernels (fk_*_tc.cuh: 16-bit, or
 * fp32 as TF32; no int8 rows). */
static bool gemm_on_tensor_cores(const cm_unit *u) { return u->math == CM_MATH_TC && u->dtype != CM_I8; }
/* The PW kernel on tensor cores: its reduction splits over warp slices
 * (cm_pw_tc_split) and its weight reads meet the L2 request coalescer
 * (l2_read_bytes). */
static bool pw_on_tensor_cores(const cm_unit *u) { return u->kind == CM_KIND_PW && gemm_on_tensor_cores(u); }

/* cm_tile_check, also handing back the geometry (cm_estimate_unit's). */
static cm_status tile_check_geom(const cm_unit *u, const cm_tile *t, const cm_gpu *g, cm_footprint *fp,
                                 char *why, size_t why_len, cm_geom *out_geo) {
    cm_footprint local;
    if (!fp) fp = &local;
    memset(fp, 0, sizeof *fp);
    if (why && why_len) why[0] = '\0';
    cm_geom local_geo;
    cm_geom *const geo = out_geo ? out_geo : &local_geo;
    cm_status st = checked_geom(u, t, why, why_len, geo);
    if (st != CM_OK) return st;
    if (!g) return fail(CM_INFEASIBLE, why, why_len, "gpu is NULL");

    const char *kn = cm_kind_name(u->kind);
    /* accumulators per thread; a PW tile that splits its reduction over SK
     * slices of threads holds SK partial tiles */
    const bool pw_tc = pw_on_tensor_cores(u);
    const int64_t split = u->kind != CM_KIND_PW ? 1
                          : pw_tc          ? cm_pw_tc_split(t->tile_w, t->tile_c, t->threads)
                                           : cm_pw_split(t->tile_w, t->tile_c, t->threads);
    const int64_t acc = ceil_div((int64_t)t->tile_h * t->tile_w * t->tile_c * split, t->threads);
    const int64_t regs = acc + CM_REG_OVERHEAD;
    const int64_t smem = smem_words(geo, u) * 4;
    fp->threads = t->threads;
    fp->regs_per_thread = (int)min64(regs, INT_MAX);
    fp->smem_bytes = (int)min64(smem, INT_MAX);
    fp->ctas_per_sm = 0;

    if (t->threads > g->max_threads_per_block)
        return fail(CM_INFEASIBLE, why, why_len, "%s: threads %d > %d per block", kn, t->threads,
                    g->max_threads_per_block);
    if (regs > g->max_regs_per_thread)
        return fail(CM_INFEASIBLE, why, why_len,
                    "%s: regs %lld/thread > %d max (%lld accumulators = %dx%dx%d/%d, + %d)", kn, (long long)regs,
                    g->max_regs_per_thread, (long long)acc, t->tile_h, t->tile_w, t->tile_c, t->threads,
                    CM_REG_OVERHEAD);
    if (smem > g->smem_per_block_optin_bytes)
        return fail(CM_INFEASIBLE, why, why_len, "%s: smem %.1f KiB > %.1f KiB opt-in", kn, smem / 1024.0,
                    g->smem_per_block_optin_bytes / 1024.0);

    const int64_t warps = t->threads / 32;
    const int64_t warp_regs = ceil_div(regs * 32, CM_REG_ALLOC_UNIT) * CM_REG_ALLOC_UNIT;
    const int64_t cta_smem = ceil_div(smem + CM_SMEM_RESERVED_PER_CTA, CM_SMEM_ALLOC_UNIT) * CM_SMEM_ALLOC_UNIT;
    const int64_t by_thr = g->max_threads_per_sm / t->threads;
    const int64_t by_regs = g->max_regs_per_sm / (warps * warp_regs);
    const int64_t by_smem = g->smem_per_sm_bytes / cta_smem;
    int64_t occ = g->max_blocks_per_sm;
    occ = min64(occ, by_thr);
    occ = min64(occ, by_regs);
    occ = min64(occ, by_smem);
    if (by_thr < 1)
        return fail(CM_INFEASIBLE, why, why_len, "%s: threads %d > %d per SM", kn, t->threads, g->max_threads_per_sm);
    if (by_regs < 1)
        return fail(CM_INFEASIBLE, why, why_len, "%s: regs %lld x %d threads > %d per SM", kn, (long long)regs,
                    t->threads, g->max_regs_per_sm);
    if (by_smem < 1)
        return fail(CM_INFEASIBLE, why, why_len, "%s: smem %.1f KiB + %d B reserved > %.1f KiB per SM", kn,
                    smem / 1024.0, CM_SMEM_RESERVED_PER_CTA, g->smem_per_sm_bytes / 1024.0);
    if (occ < 1) return fail(CM_INFEASIBLE, why, why_len, "%s: max_blocks_per_sm is %d", kn, g->max_blocks_per_sm);
    fp->ctas_per_sm = (int)occ;
    return CM_OK;
}

cm_status cm_tile_check(const cm_unit *u, const cm_tile *t, const cm_gpu *g, cm_footprint *fp, char *why,
                        size_t why_len) {
    return tile_check_geom(u, t, g, fp, why, why_len, NULL);
}

/* ---- estimate ------------------------------------------------------------------- */

static double eff(double x) { return (x > 0.0 && isfinite(x)) ? x : 1.0; }

/* Microseconds to move/compute `work` at `rate` per microsecond. */
static double tdiv(double work, double rate) {
    if (work <= 0.0) return 0.0;
    return rate > 0.0 ? work / rate : INFINITY;
}

/* Dense tensor-core peak (TFLOPS or TOPS) for the PW parts of a unit of this
 * type and math; 0 = the PW runs on CUDA cores. fp32 uses tensor cores (TF32)
 * only when the math mode asks for them; strict fp32 (CM_MATH_SIMT) stays on
 * CUDA cores. 16-bit and int8 PWs count on tensor cores whatever the math: the
 * compiled 16-bit PW rows are all CM_MATH_TC (the DW of a 16-bit unit stays on
 * CUDA cores, flops_cuda), and cuDNN runs such PWs on tensor cores too. */
static double tensor_peak(const cm_gpu *g, cm_dtype t, cm_math m) {
    switch (t) {
    case CM_F32: return m == CM_MATH_TC ? g->tc_tf32_tflops : 0.0;
    case CM_F16: return g->tc_fp16_tflops;
    case CM_BF16: return g->tc_bf16_tflops;
    case CM_I8: return g->tc_int8_tops;
    default: return 0.0;
    }
}

/* Weights and biases of every layer, each its own 256-byte-aligned buffer. */
static uint64_t param_bytes(const cm_unit *u) {
    const int64_t e = cm_dtype_bytes(u->dtype);
    const int nl = cm_kind_layers(u->kind), dwi = dw_index(u->kind);
    uint64_t b = 0;
    for (int i = 0; i < nl; i++) {
        const cm_conv *L = &u->layers[i];
        const int64_t w = (i == dwi) ? (int64_t)L->out_c * L->kernel * L->kernel : (int64_t)L->out_c * L->in_c;
        b += sec_bytes(w * e) + sec_bytes((int64_t)L->out_c * CM_BIAS_BYTES);
    }
    return b;
}

/* The re-read windows: bytes a unit touches between reading an input byte and
 * re-reading it, in the CTA order of cm_unit_grid (pixel tiles fastest along
 * grid x, output-channel tiles slowest along grid y). Two kinds of re-read:
 * - across channel tiles: with several, every kind but DW re-reads its whole
 *   input X once per channel tile, one full pass over X apart, writing a
 *   channel tile's share of Y in between: the window is X + Y / channel
 *   tiles, the written share counted CM_WINDOW_WRITE_WEIGHT times
 *   (channel_window);
 * - halos, within a pass (spatial kinds): the tile row below re-reads the
 *   bottom rows of the tile row above, one wave of resident CTAs later, so
 *   the window is the input rows that ceil(slots / tiles_w) + 1 tile rows
 *   need (DW: of its channel slice; halo_window); flat kinds have none. */
/* Counting the bytes written between two passes twice in the window (as if
 * a written byte displaced twice what a read one does) fits the cold DRAM
 * counters best. Chosen
 * offline on the H100 graph-replay reports of 2026-12-06 (2901 batch-64
 * kernels of four models, fp32 and fp16, L2 budget refitted each time; share
 * within 20 %, held out): weight 1 87.3 %, 1.5 89.4 %, 1.75 90.7 %, 2 91.3 %,
 * 2.25 91.6 %, 2.5 91.2 %, 3 89.8 % (docs/validation.md 4.2). The mechanism
 * (dirty lines held until written back, or the replacement policy's
 * preference) is not measured. */
#define CM_WINDOW_WRITE_WEIGHT 2
static uint64_t channel_window(const cm_geom *geo, uint64_t xb, uint64_t yb) {
    return xb + CM_WINDOW_WRITE_WEIGHT * (yb / (uint64_t)geo->nct);
}
static uint64_t halo_window(const cm_geom *geo, int64_t slots) {
    if (cm_kind_is_flat(geo->kind)) return 0;
    const int64_t ch = geo->kind == CM_KIND_DW ? min64(geo->tc, geo->in_c) : geo->in_c;
    const int64_t tile_rows = ceil_div(slots, geo->ntw) + 1;
    const int64_t rows = min64(tile_rows * geo->th * geo->s + (geo->k - geo->s), geo->n * geo->in_h);
    return (uint64_t)(rows * geo->in_w * ch * geo->e);
}

/* The share of re-reads whose window is `window` bytes that miss an L2 that
 * can keep `avail` bytes for them: none while the window fits, all once it
 * is twice that, linear in between. Not all-or-nothing: the hardware keeps
 * part of a window just past the budget (the Hopper L2 is two partitions and
 * not LRU; docs/costmodel.md section 3). The ramp was chosen on the
 * validation counters (`fuseplan validate` reports of 2026-11-22 re-analysed,
 * L2 budget refitted each time; cold DRAM bytes within 20%, held out, H100 /
 * H200): all-or-nothing 2713 / 2758 of 3146 kernels, a share 1 - avail /
 * window 2773 / 2763, this ramp 2816 / 2826. */
static double miss_share(double window, double avail) {
    if (window <= avail) return 0.0;
    if (avail <= 0.0 || window >= 2.0 * avail) return 1.0;
    return (window - avail) / avail;
}

/* The resident warps at which a kind's kernel reaches its SM rate, per (kind,
 * math) {CUDA cores, tensor cores}: the probe's CM_WARPS_SAT but for the fp32
 * PWDWPW kernel (CM_WARPS_SAT_PWDWPW_SIMT). */
static const double warps_sat[CM_KIND_COUNT][CM_MATH_COUNT] = {
    {CM_WARPS_SAT, CM_WARPS_SAT}, {CM_WARPS_SAT, CM_WARPS_SAT}, {CM_WARPS_SAT, CM_WARPS_SAT},
    {CM_WARPS_SAT, CM_WARPS_SAT}, {CM_WARPS_SAT, CM_WARPS_SAT}, {CM_WARPS_SAT_PWDWPW_SIMT, CM_WARPS_SAT}};

/* Fraction of a saturated SM's rate that an SM holding `warps` resident
 * warps achieves, for a kernel saturating at w_sat warps. */
static double sm_rate(double warps, double w_sat) { return warps >= w_sat ? 1.0 : warps / w_sat; }

/* The busiest SM runs k = ceil(ctas / sm) CTAs, at most occ at a time: full
 * rounds of occ CTAs and a last round of the remaining r. A round of j CTAs
 * takes j CTAs' work at the rate sm_rate(j * warps per CTA, W_sat), so the SM takes
 * (floor(k/occ)*occ / sm_rate(occ*wpc) + r / sm_rate(r*wpc)) CTA-works where
 * a saturated SM takes k: warp_efficiency = k / that. Warps per CTA counts the
 * warps that work: a PW tile whose reduction has fewer chunks than its slices
 * (cm_pw_split) leaves the surplus slices idle. A PW tensor-core tile that
 * splits its reduction over SK warp slices (cm_pw_tc_split) counts its warps
 * once per slice when an SM runs more than one CTA of the unit: the slices'
 * extra warps hide latency only while the SM has nothing else to run, and
 * they cost the sum of their partial tiles, which the model does not count.
 * Measured (H100, fp16, bench/results/2026-12-07-NVIDIA_H100-s14): `run --tune
 * 8` ran the 14x14 projections at batch 64 0.78-0.85x as long on 64x64 n128 as
 * on its split twin n512, which the model had tied (and ranked the split one
 * first by its throughput); on the validate reports (fp32 of 2026-12-06 and
 * fp16 of s14a, refitted with the rule) the fp16 in-plan tile regret summed
 * over the 8 fp16 cases goes from 99 to 71 us (MobileNetV2 b64 23 -> 11,
 * MnasNet-B1 b64 19 -> 12, b1 10 -> 7, ProxylessNAS-GPU b64 28 -> 22, the
 * others equal), all 16 cases 450 -> 437 us (the joint refit moves the shared
 * constants: fp32 +15 us, where the shipped spec's fp32 plans do not change);
 * no credit at any batch made batch 1 worse (7-10 -> 28-35 us a case). */
static double warp_efficiency(const cm_geom *geo, cm_math math, int occ, int64_t sm, bool pw_tc) {
    double wpc = (double)geo->nt / 32.0;
    const int64_t k = ceil_div(geo->ctas, sm);
    if (pw_tc) {
        if (k > 1) wpc /= (double)cm_pw_tc_split(geo->tw, geo->tc, geo->nt);
    } else if (geo->kind == CM_KIND_PW) {
        const int64_t split = cm_pw_split(geo->tw, geo->tc, geo->nt);
        const int64_t chunks = ceil_div(geo->in_c, geo->cc);
        if (chunks < split) wpc = wpc * (double)chunks / (double)split;
    }
    const int64_t o = occ > 0 ? occ : 1;
    const int64_t full = k / o, rem = k % o;
    const double w_sat = warps_sat[geo->kind][math];
    double rounds = (double)(full * o) / sm_rate((double)o * wpc, w_sat);
    if (rem) rounds += (double)rem / sm_rate((double)rem * wpc, w_sat);
    const double e = (double)k / rounds;
    return e > 1.0 ? 1.0 : e;
}

/* The fused tensor-core kernels of 16-bit elements (DWPW, PWDWPW) run their
 * DW on tensor cores too (fcm_kernels/fk_dw_tc.cuh): one m16n8k16 per 16
 * outputs x 8 channels x 2 taps, B a pair of diagonal 8 x 8 weight blocks, so
 * each useful multiply-add costs 8 executed ones, and an odd K*K pads its last
 * pair with a zero tap. */
static int dw_on_tensor_cores(const cm_unit *u) {
    return (u->kind == CM_KIND_DWPW || u->kind == CM_KIND_PWDWPW) && u->math == CM_MATH_TC &&
           (u->dtype == CM_F16 || u->dtype == CM_BF16);
}
static double dw_mma_flops_per_useful(int k) {
    const int kk = k * k;
    return 8.0 * (double)(2 * ((kk + 1) / 2)) / (double)kk;
}

/* The PWDWPW expansion on tensor cores is issue-bound, not FLOP-bound: each
 * m16 tile of the patch costs a fixed ~70 instructions (bias into the first
 * mma's C, the rows' inside test, rounding, the ReLU clamp, stmatrix, loop
 * control) besides ~36 a k-step (ldmatrix, 4 mma): 108 a tile for MobileNetV2
 * b1's one k-step (C = 16; ncu, H100, bench/kernels/NOTES.md eleventh
 * section). Counted as extra k-steps of executed work per tile. On the H100
 * validate reports (fp32 2026-12-06 + fp16 s14a, efficiencies refitted each
 * time; bench/results/2026-12-07-NVIDIA_H100-s15 README), held out: 0 / 1 / 2 /
 * 4 / 6 / 8 / 12 k-steps (16-bit) give time error 14.0 / 13.8 / 13.8 / 13.7 /
 * 13.7 / 13.6 / 13.6 %, decisions 674 / 674 / 675 / 677 / 677 / 667 / 666 of
 * 728 (kappa 0.68 / 0.69 / 0.69 / 0.70 / 0.70 / 0.64 / 0.63), the regret of
 * the tiles in the reports' plans 434 / 428 / 431 / 431 / 431 / 474 / 532 us;
 * 4, in the middle of the plateau. Before it, the fitted PWDWPW tensor-core
 * efficiency made batch-64 units with one channel tile measure a median 1.57x
 * their estimate and those with several 0.85-0.9x. */
#define CM_PWDWPW_TC_TILE_KSTEPS 4.0

/* The FLOPs the kernels execute (FMA = 2): every CTA computes its compiled
 * tile in full (fcm_kernels loop over the tile as compiled and mask only the
 * stores): a spatial tile's whole patch P = ((t_h-1)s+K)((t_w-1)s+K) and its
 * t_h*t_w outputs even where the image ends, a flat tile's t_w pixels, a
 * channel tile's t_c channels, and a reduction in whole chunks of chunk_c
 * (ceil(C/chunk_c)*chunk_c; the expansion of PWDWPW over C rounded up to 4,
 * its float4 groups; on tensor cores, on_tc, the PWDWPW expansion as above).
 * *dw receives the depthwise part (CUDA cores, or tensor cores where
 * dw_on_tensor_cores), *pw the pointwise part. */
static void executed_flops(const cm_geom *geo, bool on_tc, double *dw, double *pw) {
    const double ctas = (double)geo->ctas, kk = (double)(geo->k * geo->k);
    const double m = (double)(geo->th * geo->tw), tc = (double)geo->tc;
    const double p = (double)(((geo->th - 1) * geo->s + geo->k) * ((geo->tw - 1) * geo->s + geo->k));
    const double rc = (double)(ceil_div(geo->in_c, geo->cc) * geo->cc);   /* C in whole chunks */
    const double re = (double)(ceil_div(geo->mid_c, geo->cc) * geo->cc);  /* E in whole chunks */
    const double c4 = (double)(ceil_div(geo->in_c, 4) * 4), f1 = (double)geo->mid_c;
    *dw = *pw = 0.0;
    switch (geo->kind) {
    case CM_KIND_DW: *dw = ctas * 2.0 * m * tc * kk; break;
    case CM_KIND_PW: *pw = ctas * 2.0 * (double)geo->tw * tc * rc; break;
    case CM_KIND_DWPW:
        *dw = ctas * 2.0 * m * rc * kk;
        *pw = ctas * 2.0 * m * tc * rc;
        break;
    case CM_KIND_PWDW:
        *pw = ctas * 2.0 * p * tc * rc;
        *dw = ctas * 2.0 * m * tc * kk;
        break;
    case CM_KIND_PWPW: *pw = ctas * 2.0 * (double)geo->tw * (f1 * rc + tc * f1); break;
    case CM_KIND_PWDWPW:
        if (on_tc) {
            /* the expansion on tensor cores: the patch in whole m16 row
             * tiles, C in whole k-steps, and each tile's fixed work as
             * CM_PWDWPW_TC_TILE_KSTEPS more k-steps */
            const int64_t ks = 32 / geo->e; /* k-step, elements: 16 (16-bit), 8 (TF32) */
            const double ck = (double)(ceil_div(geo->in_c, ks) * ks);
            const double p16 = (double)(ceil_div((int64_t)p, 16) * 16);
            *pw = ctas * 2.0 * (p16 * (ck + CM_PWDWPW_TC_TILE_KSTEPS * (double)ks) * re + m * tc * re);
        } else {
            *pw = ctas * 2.0 * (p * c4 * re + m * tc * re);
        }
        *dw = ctas * 2.0 * m * re * kk;
        break;
    default: break;
    }
}

/* The share of the PW tensor-core kernel's weight reads that the L2 request
 * coalescer merges before the L2 slices (docs/costmodel.md 2.5): the weight
 * rows of a channel tile are read by every pixel tile's CTA, many of them
 * resident at once and walking the same chunks, so requests of several SMs
 * for one sector arrive together and the coalescer hands one L2 read to all
 * of them. Nsight Compute on MobileNetV2 fp16 b64's PW kernels (H100,
 * bench/results/2026-12-07-NVIDIA_H100-s14/s14c): the L2 served exactly the
 * sectors the coalescer did not merge, 16-59 % of the requests merged.
 * A merge needs another SM asking for the sector at nearly the same time, so
 * a grid of few CTAs merges little: the share is
 *   CM_LRC_SHARE_MAX x (1 - CM_LRC_CTAS_HALF / ctas)   (0 for ctas <= CM_LRC_CTAS_HALF),
 * fitted on the 872 PW tensor-core kernels of the fp16 validate reports
 * (s14a, 4 models x batch 1 and 64; bench/results/2026-12-07-NVIDIA_H100-s15
 * README): 625 of them within 10 % of the L2 counter, 557 with one share of
 * 0.45 for every grid (fourteenth session), 249 with none. Fitted leaving
 * each model out in turn, the held-out model's kernels: 625 within against
 * 557 for the one share. Grids under 8 CTAs measured a median share of 0.15,
 * 33-1055 CTAs 0.47-0.53. The X reads merge nothing measurable (a share of
 * them over channel tiles fitted 0.05, +2 kernels; not kept). The kernels
 * before the thirteenth session's permuted rows requested the halves of
 * split sectors separately and merged nothing. TF32 rows: the same copies,
 * not measured. */
#define CM_LRC_SHARE_MAX 0.5
#define CM_LRC_CTAS_HALF 2.0
static double lrc_weight_share(int64_t ctas) {
    return (double)ctas > CM_LRC_CTAS_HALF ? CM_LRC_SHARE_MAX * (1.0 - CM_LRC_CTAS_HALF / (double)ctas) : 0.0;
}

/* What the L2 serves for a unit's loads (docs/costmodel.md, section 2.5):
 * the contract's sectors, plus those a 16-byte copy splits over two 32-byte
 * chunks of shared memory (served twice), minus the re-reads of parameters
 * the fp32 kernels load through L1 (4-byte cp.async.ca, __ldg): an SM's L1
 * keeps them for its later CTAs, so a family read by every CTA of a channel
 * tile reaches the L2 once per SM that runs one (min(pixel tiles, SMs)), and
 * one read alike by every CTA once per SM (min(CTAs, SMs)); minus, for the PW
 * kernel on tensor cores, the weight reads the L2 request coalescer merges. */
static uint64_t l2_read_bytes(const cm_geom *geo, const cm_unit *u, const cm_traffic *tr,
                              const cm_traffic_parts *parts, int sm_count) {
    uint64_t b = tr->load_bytes + cm_split_sectors(geo, u) * CM_SECTOR_BYTES;
    if (pw_on_tensor_cores(u))
        b -= (uint64_t)(lrc_weight_share(geo->ctas) * (double)parts->pw_w_bytes);
    if (u->dtype == CM_F32 && u->math == CM_MATH_SIMT && sm_count > 0) {
        const uint64_t sm = (uint64_t)sm_count, nsp = (uint64_t)geo->nsp, ctas = (uint64_t)geo->ctas;
        b -= (nsp - (nsp < sm ? nsp : sm)) * parts->l1_per_sp_bytes;
        b -= (ctas - (ctas < sm ? ctas : sm)) * parts->l1_per_cta_bytes;
    }
    return b;
}

/* The iterations of a CTA's serial chain: its chunk loop (cm_chunk_iterations),
 * except the 16-bit PWPW kernel on tensor cores, which streams its weights in
 * cp.async stages (cm_smem_pwpw_tc_layout): W1 in blocks of NB rows over C,
 * then W2's output sub-blocks of NB channels over F1, NB = cm_pwpw_tc_nb. The
 * chunk count over C alone made its tiles tie whatever NB (the 256-thread row
 * streams half the stages of the 128-thread one and measured 1.5-1.8x faster
 * on the H100 reports' conv_last fusions). Counting the stages with the
 * PWPW constants unchanged (held out on the fifteenth session's reports,
 * efficiencies refitted: docs/costmodel.md "Serial chain"): the PWPW units'
 * regret over their best measured tile 1446 -> 149 us, worst 82 -> 16 %,
 * fusion decisions 677 -> 679 of 728, time error 13.7 -> 13.8 %, the
 * reports' plans unchanged. The constants were fitted per chunk of the fp32
 * kernel: per stage they put the 16-bit PWPW estimates at a median 2.4x the
 * measured (2.1x before); 1500-3300 cycles a stage scale them right, but the
 * held-out figures jump with it (worst regret 0.82 / 1.22, decisions 677-679),
 * so the constant waits for a fit of its own (leave-one-out, as the
 * efficiencies) rather than one chosen on these figures. */
static double serial_iterations(const cm_geom *geo, const cm_unit *u) {
    if (u->kind == CM_KIND_PWPW && gemm_on_tensor_cores(u)) {
        const int64_t nb = cm_pwpw_tc_nb(geo->tw, geo->nt);
        return (double)(ceil_div(geo->mid_c, nb) * ceil_div(geo->in_c, geo->cc) +
                        ceil_div(geo->tc, nb) * ceil_div(geo->mid_c, geo->cc));
    }
    return (double)cm_chunk_iterations(u->kind, geo->in_c, geo->mid_c, geo->cc);
}

/* The SM cycles each CTA costs its SM, however many run at once: the busiest
 * SM's k = ceil(ctas / sm) CTAs take at least k times this. Measured (H100
 * validate reports: fp32 graph replay of 2026-12-06, fp16 of s14a): tiles
 * with hundreds of CTAs per SM took 0.6-0.8 us a CTA whatever their work and
 * occupancy (MobileNetV2 fp16 b64 b0_dw+b0_project on 4x4 c64 x 64 threads,
 * 380 CTAs an SM at 11 resident: 300 us, estimated 109; at batch 1, 6 CTAs an
 * SM, 6.6 us against 4.4 us for 8x8 c16, estimated 3.3 and 3.4; the 16-pixel
 * PW tiles likewise). Which part of a CTA's life costs it (dispatch,
 * prologue, the first load's round trip, the epilogue) is not isolated. Re-
 * analysed held out (efficiencies refitted; docs/validation.md), one cost for
 * every kind at 1200 / 1300 / 1400 / 1500 / 1600 / 1800 cycles: worst tile
 * regret 37 % at each (58 % without), fusion decisions 682 / 678 / 683 / 683
 * / 677 / 678 of 728 (682), median time error 13.3-13.7 % (13.4 %); 300-1000
 * cycles bind nowhere the regret is, 2000 loses 11 decisions; per kind alone
 * none reaches 37 %. 1500 (0.76 us at 1980 MHz) is the middle of the
 * measured range and of the flat stretch. The DW kernel (no chunk loop, one
 * load, compute, store) pays none: at 1500 its batch-64 tiles with many CTAs
 * measured 0.60 (fp32) and 0.83 (fp16) of their estimates, against 0.95 and
 * 0.94 without; without it for DW the time error is 13.1 %, the worst regret
 * 37 %, decisions 681 (0, 600 and 900 cycles alike). */
static const double sm_cycles_per_cta[CM_KIND_COUNT] = {0.0, 1500.0, 1500.0, 1500.0, 1500.0, 1500.0};

/* The busiest SM's serial chain (serial_iter_cycles above), in us: its
 * ceil(ceil(ctas / sm) / occ) rounds of resident CTAs, each a CTA's fixed
 * latency (serial_cta_cycles) and its chunk loop (serial_iterations: PWDWPW
 * over E, the other fused kinds over C, 16-bit PWPW its weight stages) with
 * its share of the loads spread evenly over the iterations; and at least its
 * CTAs' own cost (sm_cycles_per_cta). */
static double serial_chain_us(const cm_geom *geo, const cm_unit *u, uint64_t loads, int occ, int64_t sm,
                              double clock_mhz) {
    if (clock_mhz <= 0.0) return 0.0;
    const double c = serial_iter_cycles[u->kind][u->math], b = serial_bytes_per_cycle[u->kind][u->math];
    const int64_t ctas_on_busiest = ceil_div(geo->ctas, sm);
    const double rounds = (double)ceil_div(ctas_on_busiest, occ > 0 ? occ : 1);
    double chain = serial_cta_cycles[u->kind];
    if (c > 0.0 && b > 0.0) {
        const double iters = serial_iterations(geo, u);
        const double bytes_per_iter = (double)loads / (double)geo->ctas / iters;
        chain += iters * (c + bytes_per_iter / b);
    }
    const double cycles = rounds * chain, per_cta = (double)ctas_on_busiest * sm_cycles_per_cta[u->kind];
    return (cycles > per_cta ? cycles : per_cta) / clock_mhz;
}

/* What a channel-sliced read of X costs DRAM per byte asked (>= 1): the L2
 * fetches from DRAM in CM_DRAM_FETCH_BYTES granules, so a DW tile's slice of
 * a pixel row (tile_c channels of in_c) that is not granule-aligned brings in
 * its neighbours' bytes too, and with the channel tiles a whole pass apart
 * (grid y is slowest) those are gone again by the time their own tile reads
 * them. Averaged over the pixel rows' alignments (a pixel row is in_c * e
 * bytes; its phase in a granule repeats every G / gcd(in_c e, G) pixels).
 * Only DW reads X in channel slices; every other kind reads whole rows. */
#define CM_DRAM_FETCH_BYTES 64
static double slice_fetch_factor(const cm_geom *geo) {
    if (geo->kind != CM_KIND_DW || geo->nct <= 1) return 1.0;
    const int64_t row = geo->in_c * geo->e, gr = CM_DRAM_FETCH_BYTES;
    const int64_t low = row & -row; /* lowest set bit = gcd with the power-of-two granule */
    const int64_t period = low >= gr ? 1 : gr / low;
    int64_t fetched = 0;
    for (int64_t p = 0; p < period; p++)
        for (int64_t c0 = 0; c0 < geo->in_c; c0 += geo->tc) {
            const int64_t lo = p * row + c0 * geo->e, hi = lo + min64(geo->tc, geo->in_c - c0) * geo->e;
            fetched += (ceil_div(hi, gr) - lo / gr) * gr;
        }
    return (double)fetched / (double)(period * row);
}

cm_status cm_estimate_unit(const cm_unit *u, const cm_tile *t, const cm_gpu *g, cm_estimate *out) {
    cm_footprint fp;
    cm_geom geo;
    cm_status st = tile_check_geom(u, t, g, &fp, NULL, 0, &geo);
    if (st != CM_OK) return st;
    memset(out, 0, sizeof *out);
    out->footprint = fp;
    cm_traffic_parts parts;
    cm_traffic_closed(&geo, u->residual, &out->traffic, &parts);
    const uint64_t x_loads = parts.x_bytes;
    out->l2_read_bytes = l2_read_bytes(&geo, u, &out->traffic, &parts, g->sm_count);

    /* DRAM (docs/costmodel.md, "DRAM bytes"). */
    const double budget = (double)cm_l2_budget_bytes(g);
    const uint64_t xb = sec_bytes(geo.n * geo.in_h * geo.in_w * geo.in_c * geo.e);
    const uint64_t yb = sec_bytes(geo.n * geo.out_h * geo.out_w * geo.out_c * geo.e);
    const uint64_t rb = (u->residual && !u->residual_is_input) ? yb : 0; /* R as a tensor of its own */
    const uint64_t wb = param_bytes(u);
    const uint64_t unique_read = xb + wb + rb;
    const uint64_t ld = out->traffic.load_bytes;
    const double avail = budget - (double)wb; /* what the L2 keeps beside the parameters */
    /* the neighbours' bytes a DW channel pass fetches are wasted only if the
     * L2 drops them before their own pass, a pass's bytes later (MnasNet-B1
     * fp32 b64 b2_dw-b4_dw, C = 72 in slices of 32: 1.333 X read, the granule
     * count; H100 validate reports, docs/costmodel.md section 3) */
    double slice = slice_fetch_factor(&geo);
    if (slice > 1.0) {
        const double w_pass = ((double)xb * slice + CM_WINDOW_WRITE_WEIGHT * (double)yb) / (double)geo.nct;
        slice = 1.0 + (slice - 1.0) * miss_share(w_pass, avail);
    }
    const uint64_t cold = wb + (u->input_hot ? 0 : (uint64_t)llround((double)xb * slice)) + (u->residual_hot ? 0 : rb);
    const int64_t sm = g->sm_count > 0 ? g->sm_count : 1;
    const int64_t slots = sm * fp.ctas_per_sm;
    /* Re-reads of X, across channel tiles and of halos within a pass, each
     * miss by the share of their window the L2 cannot keep beside the
     * parameters (miss_share); re-reads of the parameters (every CTA reads
     * its weights) hit whenever the parameters fit, whatever X does: they are
     * touched by every CTA, so LRU keeps them, and beyond the budget miss by
     * the share of them it cannot keep (measured: `fuseplan validate` on the
     * H200, MobileNetV2 b64, PW/PWDW with channel tiles read X once per
     * channel tile from DRAM and the weights once; halo re-reads of channel-
     * tiled DWPW/PWDW hit (H100, MobileNetV1 b64: 2 passes over X read 2 X
     * from DRAM); docs/validation.md). */
    /* every pass after the first reads X again (the pass's first touch of
     * each byte, a pass apart); the rest of the loads of X, in every pass,
     * are halo re-reads a wave apart */
    const bool passes = geo.nct > 1 && geo.kind != CM_KIND_DW;
    const uint64_t ch_rereads = passes ? (uint64_t)(geo.nct - 1) * xb : 0;
    const uint64_t halo_rereads = x_loads > xb + ch_rereads ? x_loads - xb - ch_rereads : 0;
    const uint64_t p_excess = ld > x_loads + unique_read - xb ? ld - x_loads - (unique_read - xb) : 0;
    const double m_ch = passes ? miss_share((double)channel_window(&geo, xb, yb), avail) : 0.0;
    const double m_halo = miss_share((double)halo_window(&geo, slots), avail);
    out->rereads_hit_l2 = m_ch == 0.0 && m_halo == 0.0;
    uint64_t dram_rd = cold + (uint64_t)llround((double)ch_rereads * m_ch + (double)halo_rereads * m_halo * slice +
                                                (double)p_excess * miss_share((double)wb, budget));
    const uint64_t ld_fetched = (uint64_t)llround((double)ld * slice);
    if (dram_rd > ld_fetched) dram_rd = ld_fetched;
    out->dram_read_bytes = dram_rd;
    /* Output write-back: L2 is write-back; at the unit's end it holds about
     * the last `budget` bytes the unit streamed, of which the output is the
     * share yb / footprint, and the rest of Y has been written to DRAM. A
     * footprint within the budget leaves all of Y in L2 (the next unit may
     * find it there). Measured on the H200 (MobileNetV2 b64, L2 flushed first,
     * docs/validation.md): this predicts DRAM writes within ~10% from 57 to 780
     * MB footprints, where all-or-nothing was off by up to 4x. */
    const double footprint = (double)(unique_read + yb);
    out->output_l2_resident = footprint <= budget;
    const uint64_t y_now = out->output_l2_resident ? 0 : (uint64_t)llround((double)yb * (1.0 - budget / footprint));
    out->output_dirty_bytes = yb - y_now;
    /* The dirty part of the input that the unit before left in L2 is written
     * back while this unit streams (charged here, where the planner knows
     * it; every byte of every output is written to DRAM once: during its
     * own unit, y_now, or during the next one). */
    out->dram_write_bytes = y_now + u->input_dirty_bytes;
    out->min_bytes = unique_read + yb;

    /* FLOPs: FMA = 2; bias, activation and residual add are not counted.
     * Two counts (docs/costmodel.md, "FLOPs"): the useful work (every real
     * output once, halo and per-channel-tile recompute included, over the
     * clipped patches) and the work the kernels execute, which is what takes
     * time: every CTA computes its compiled tile in full, whatever the image
     * and channel edges leave of it (a clipped spatial tile computes its
     * whole patch and all its outputs, a channel tile all its channels, a
     * reduction chunk all its chunk_c, zeros beyond the real ones). */
    const double n = (double)geo.n, hw_out = (double)geo.out_h * (double)geo.out_w;
    const double kk = (double)(geo.k * geo.k), C = (double)geo.in_c, F = (double)geo.out_c;
    const double M = (double)geo.mid_c, nct = (double)geo.nct;
    double f_dw = 0.0, f_pw = 0.0;
    double patch_px = 0.0; /* sum over spatial tiles of clipped patch pixels, per image */
    if (u->kind == CM_KIND_PWDW || u->kind == CM_KIND_PWDWPW)
        patch_px = (double)cm_patch_axis_sum(geo.out_h, geo.th, geo.s, geo.k, geo.pt, geo.in_h) *
                   (double)cm_patch_axis_sum(geo.out_w, geo.tw, geo.s, geo.k, geo.pl, geo.in_w);
    switch (u->kind) {
    case CM_KIND_DW: f_dw = 2.0 * n * hw_out * C * kk; break;
    case CM_KIND_PW: f_pw = 2.0 * (double)geo.npix * C * F; break;
    case CM_KIND_DWPW:
        f_dw = nct * 2.0 * n * hw_out * C * kk;
        f_pw = 2.0 * n * hw_out * C * F;
        break;
    case CM_KIND_PWDW:
        f_pw = 2.0 * n * patch_px * C * F;
        f_dw = 2.0 * n * hw_out * F * kk;
        break;
    case CM_KIND_PWPW: f_pw = 2.0 * (double)geo.npix * (nct * C * M + M * F); break;
    case CM_KIND_PWDWPW:
        f_pw = nct * 2.0 * n * patch_px * C * M + 2.0 * n * hw_out * M * F;
        f_dw = nct * 2.0 * n * hw_out * M * kk;
        break;
    default: break;
    }
    double x_dw = 0.0, x_pw = 0.0; /* executed */
    executed_flops(&geo, gemm_on_tensor_cores(u), &x_dw, &x_pw);
    const double tc_peak = tensor_peak(g, u->dtype, u->math);
    if (tc_peak > 0.0 && dw_on_tensor_cores(u)) {
        out->flops_cuda = 0.0;
        out->flops_tensor = x_pw + x_dw * dw_mma_flops_per_useful(geo.k);
    } else if (tc_peak > 0.0) {
        out->flops_cuda = x_dw;
        out->flops_tensor = x_pw;
    } else {
        out->flops_cuda = x_dw + x_pw;
    }
    out->tile_fill = (f_dw + f_pw) / (x_dw + x_pw);

    /* Time: roofline, wave quantisation, launch. Rates per microsecond. */
    /* the constants of the unit's (kind, math): a tensor-core kernel is not a
     * CUDA-core one of the same kind (cm_gpu) */
    const cm_math em = cm_eff_math(u->kind, u->math);
    const double bw_eff = eff(g->bw_efficiency[u->kind][em]), ce = eff(g->compute_efficiency[u->kind][em]);
    out->t_dram_us = tdiv((double)(out->dram_read_bytes + out->dram_write_bytes), g->dram_gbps * 1e3 * bw_eff);
    /* the SMs' side: what they request (the contract's sectors), not what the
     * L2 serves (l2_read_bytes): these kernels are issue-bound, and a sector
     * the L2 serves twice is still one request of the issuing warp (measured:
     * `fuseplan validate` re-analysed, H100 and H200: with l2_read_bytes here
     * the held-out median time error is 0.3-0.4 points worse) */
    out->t_l2_us = tdiv((double)(ld + out->traffic.store_bytes), g->l2_gbps * 1e3 * bw_eff);
    /* executed work: the padding of the compiled tiles costs time too (tile_fill) */
    out->t_compute_us = tdiv(out->flops_cuda, g->fp32_tflops * 1e6 * ce) + tdiv(out->flops_tensor, tc_peak * 1e6 * ce);
    out->t_launch_us = g->launch_overhead_us;
    out->ctas = (uint64_t)geo.ctas;
    out->waves = (int)ceil_div(geo.ctas, slots);
    out->wave_efficiency = (double)geo.ctas / (double)(ceil_div(geo.ctas, sm) * sm);
    out->warp_efficiency = warp_efficiency(&geo, u->math, fp.ctas_per_sm, sm, pw_on_tensor_cores(u));
    out->t_serial_us = serial_chain_us(&geo, u, out->traffic.load_bytes, fp.ctas_per_sm, sm, g->clock_mhz);
    out->time_us = cm_time_serial_us(out->t_launch_us, out->t_dram_us, out->t_l2_us, out->t_compute_us,
                                     out->wave_efficiency * out->warp_efficiency, out->t_serial_us);
    return CM_OK;
}

cm_status cm_unit_l2_split_bytes(const cm_unit *u, const cm_tile *t, uint64_t *bytes) {
    cm_geom geo;
    const cm_status st = checked_geom(u, t, NULL, 0, &geo);
    if (st != CM_OK) return st;
    *bytes = cm_split_sectors(&geo, u) * CM_SECTOR_BYTES;
    return CM_OK;
}

cm_status cm_unit_traffic(const cm_unit *u, const cm_tile *t, cm_traffic *out) {
    cm_geom geo;
    const cm_status st = checked_geom(u, t, NULL, 0, &geo);
    if (st != CM_OK) return st;
    cm_traffic_closed(&geo, u->residual, out, NULL);
    return CM_OK;
}

void cm_estimate_other(uint64_t load_bytes, uint64_t store_bytes, double flops, bool tensor_cores, cm_dtype dtype,
                       const cm_gpu *g, cm_estimate *out) {
    memset(out, 0, sizeof *out);
    out->traffic.load_bytes = load_bytes;
    out->l2_read_bytes = load_bytes;
    out->traffic.store_bytes = store_bytes;
    out->dram_read_bytes = load_bytes;
    out->dram_write_bytes = store_bytes;
    out->min_bytes = load_bytes + store_bytes;
    out->wave_efficiency = 1.0;
    out->warp_efficiency = 1.0;
    out->tile_fill = 1.0;
    /* CM_MATH_SIMT: as before TF32 existed, an fp32 op stays on CUDA cores */
    const double tc_peak = tensor_cores ? tensor_peak(g, dtype, CM_MATH_SIMT) : 0.0;
    if (tc_peak > 0.0)
        out->flops_tensor = flops;
    else
        out->flops_cuda = flops;
    /* No tile, so no kind of its own: a standalone op streams like a PW, of
     * the math its FLOPs run on (tensor cores when tc_peak is used) */
    const cm_math em = tc_peak > 0.0 ? CM_MATH_TC : CM_MATH_SIMT;
    const double bw_eff = eff(g->bw_efficiency[CM_KIND_PW][em]), ce = eff(g->compute_efficiency[CM_KIND_PW][em]);
    const double bytes = (double)(load_bytes + store_bytes);
    out->t_dram_us = tdiv(bytes, g->dram_gbps * 1e3 * bw_eff);
    out->t_l2_us = tdiv(bytes, g->l2_gbps * 1e3 * bw_eff);
    out->t_compute_us = tdiv(out->flops_cuda, g->fp32_tflops * 1e6 * ce) + tdiv(out->flops_tensor, tc_peak * 1e6 * ce);
    out->t_launch_us = g->launch_overhead_us;
    /* no tile: no quantisation (x / 1.0 is exact: the same number as without the division) */
    out->time_us = cm_time_us(out->t_launch_us, out->t_dram_us, out->t_l2_us, out->t_compute_us, 1.0);
}

/* Uncalibrated priors, to be replaced by `fuseplan validate --calibrate`:
 * - bandwidth: on an H100 SXM a float4 streaming read reaches 3.09 TB/s and
 *   a copy 2.81 TB/s of the 3.35 TB/s datasheet (0.92 and 0.84; measured
 *   2026-11-21, probe in docs/costmodel.md): single-layer kernels, which read
 *   and write like a copy, get 0.85; fused kinds, which alternate phases with
 *   barriers, 0.8;
 * - compute: DW on CUDA cores needs a shared-memory operand per FMA, and the
 *   SM's shared memory delivers 32 words per clock against 128 FMA lanes, so
 *   without perfect register reuse half the peak is the prior (0.5); a PW is
 *   a small-K GEMM staged through shared memory: 0.6 of the dense peak; fused
 *   kinds mix both and synchronise between phases: 0.5. */
void cm_gpu_default_calibration(cm_gpu *g) {
    if (!g) return;
    /* one prior for both math modes: the priors come from copy and GEMM
     * arguments that do not tell CUDA cores from tensor cores (the tensor
     * cores' own peak is in tensor_peak); the fit separates them */
    for (int m = 0; m < CM_MATH_COUNT; m++) {
        for (int k = 0; k < CM_KIND_COUNT; k++) {
            g->bw_efficiency[k][m] = 0.8;
            g->compute_efficiency[k][m] = 0.5;
        }
        g->bw_efficiency[CM_KIND_DW][m] = 0.85;
        g->bw_efficiency[CM_KIND_PW][m] = 0.85;
        g->compute_efficiency[CM_KIND_PW][m] = 0.6;
    }
}

cm_math cm_eff_math(cm_kind k, cm_math m) {
    const cm_math r = cm_kind_math(k, m);
    return (unsigned)r < CM_MATH_COUNT ? r : CM_MATH_SIMT;
}
