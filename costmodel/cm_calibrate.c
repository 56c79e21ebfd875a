/* cm_calibrate.c - the calibration fit of the cost model's time formula
 * (cm_time_serial_us) to measured kernel times (see cm_calibrate.h). Pure C11 + libm. */
#include "cm_calibrate.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cm_cal_status_str(cm_cal_status st) {
    switch (st) {
    case CM_CAL_OK: return "ok";
    case CM_CAL_ERR_INVALID: return "invalid argument";
    case CM_CAL_ERR_NOMEM: return "out of memory";
    }
    return "unknown status";
}

/* Writes the message into err (when err_len > 0) and returns st. */
static cm_cal_status cal_fail(cm_cal_status st, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static cm_cal_status cal_fail(cm_cal_status st, char *err, size_t err_len, const char *fmt, ...) {
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---- calibration ----------------------------------------------------------------- */

/* The search box (header): efficiencies in [1e-3, 1], launch in [0.1, 20] us;
 * the search runs on their natural logarithms. */
#define VM_EFF_MIN 1e-3
#define VM_LAUNCH_MIN_US 0.1
#define VM_LAUNCH_MAX_US 20.0

/* Grid sizes and tolerances (log units). Chosen on the synthetic cases of
 * tests/costmodel/test_calibrate.c: 13 launch points (x1.55 apart) and a 9x9
 * efficiency grid (x2.37 apart) never started the refinement in the wrong
 * basin there; the coarse stage refines to 1e-3 only to rank the launch grid,
 * the final stage to 1e-7 (relative), far below the 3% the test asks. */
#define VM_LAUNCH_GRID 13
#define VM_EFF_GRID 9
#define VM_COARSE_MIN_STEP 1e-3
#define VM_FINE_START_STEP 0.05
#define VM_FINE_MIN_STEP 1e-7
#define VM_GOLDEN_TOL 1e-7
#define VM_MAX_EVALS 20000 /* per pattern search: a guard, never reached in the tests */

/* One sample ready for the objective: times divided by quant, log of the measurement. */
typedef struct vm_pt {
    double d;  /* t_dram_1 / quant */
    double l;  /* t_l2_1 / quant */
    double c;  /* t_compute_1 / quant */
    double s;  /* t_serial (not divided: cm_time_serial_us does not quantise it) */
    double lm; /* log(measured) */
} vm_pt;

/* The efficiency groups: (kind, math), kind-major, as cm_gpu's [kind][math]. */
#define VM_GROUPS (CM_KIND_COUNT * CM_MATH_COUNT)
static int group_of(cm_kind k, cm_math m) { return (int)k * CM_MATH_COUNT + (int)m; }

/* The samples of one group and which of its parameters they determine. */
typedef struct vm_kind {
    const vm_pt *p;
    size_t n;
    bool free_bw; /* some sample has t_dram_1 or t_l2_1 > 0 */
    bool free_c;  /* some sample has t_compute_1 > 0 */
    double u0, w0; /* log start efficiencies, clamped into the box */
} vm_kind;

/* A point of the per-group search: log e_bw, log e_c and the objective there. */
typedef struct vm_inner {
    double u, w, j;
} vm_inner;

static double clampd(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* The model's time of one prepared sample: cm_time_serial_us, THE formula.
 * The sample's times are divided by their quantisation already (vm_pt):
 * quantisation 1 here, the same formula and the same numbers. */
static double pt_time(const vm_pt *p, double launch, double ib, double ic) {
    return cm_time_serial_us(launch, p->d * ib, p->l * ib, p->c * ic, 1.0, p->s);
}

/* Sum of squared log errors of one group at launch L and log efficiencies (u, w). */
static double kind_obj(const vm_kind *k, double launch, double u, double w) {
    const double ib = exp(-u), ic = exp(-w);
    double sum = 0.0;
    for (size_t i = 0; i < k->n; i++) {
        const double r = log(pt_time(&k->p[i], launch, ib, ic)) - k->p[i].lm;
        sum += r * r;
    }
    return sum;
}

/* Pattern (compass) search from *x in the log box, steps from `step` halving
 * down to min_step. Polls the axes and both diagonals: every kink of the max
 * lies on a line u - w = const, so the (1, 1) diagonal moves along the kinks,
 * where an axis move alone can stall. Opportunistic: the last successful
 * direction is tried first, and a success is followed by doubling steps in
 * that direction while they improve. Only strict improvements move, so flat
 * stretches keep the start. */
static void pattern_search(const vm_kind *k, double launch, vm_inner *x, double step,
                           double min_step) {
    static const double dirs[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1},
                                      {1, 1}, {-1, -1}, {1, -1}, {-1, 1}};
    const double lo = log(VM_EFF_MIN);
    int last = 0, evals = 0;
    while (step >= min_step && evals < VM_MAX_EVALS) {
        bool moved = false;
        for (int t = 0; t < 8 && !moved; t++) {
            const int d = (last + t) % 8;
            if ((dirs[d][0] != 0 && !k->free_bw) || (dirs[d][1] != 0 && !k->free_c)) continue;
            double s = step;
            for (;;) {
                const double nu = k->free_bw ? clampd(x->u + s * dirs[d][0], lo, 0.0) : x->u;
                const double nw = k->free_c ? clampd(x->w + s * dirs[d][1], lo, 0.0) : x->w;
                if (nu == x->u && nw == x->w) break;
                const double j = kind_obj(k, launch, nu, nw);
                evals++;
                if (!(j < x->j)) break;
                x->u = nu;
                x->w = nw;
                x->j = j;
                moved = true;
                last = d;
                s *= 2.0;
            }
        }
        if (!moved) step *= 0.5;
    }
}

/* Coarse fit of one group at launch L: the start point and a log grid over the
 * free parameters, the best refined by a pattern search. */
static vm_inner kind_coarse(const vm_kind *k, double launch) {
    const double lo = log(VM_EFF_MIN);
    const double h = -lo / (VM_EFF_GRID - 1);
    vm_inner best = {k->u0, k->w0, kind_obj(k, launch, k->u0, k->w0)};
    const int nu = k->free_bw ? VM_EFF_GRID : 1, nw = k->free_c ? VM_EFF_GRID : 1;
    for (int i = 0; i < nu; i++)
        for (int j = 0; j < nw; j++) {
            const double u = k->free_bw ? lo + h * i : k->u0;
            const double w = k->free_c ? lo + h * j : k->w0;
            const double o = kind_obj(k, launch, u, w);
            if (o < best.j) best = (vm_inner){u, w, o};
        }
    pattern_search(k, launch, &best, 0.5 * h, VM_COARSE_MIN_STEP);
    return best;
}

/* The state of the launch search: the best point seen, its per-group
 * solutions (warm starts for the next launch value). */
typedef struct vm_state {
    const vm_kind *kinds;
    double best_launch;
    double best_total;
    vm_inner best[VM_GROUPS];
} vm_state;

/* Profile objective at log launch ll: each group refined from the best
 * solutions so far; remembers the point when it is the best. */
static double profile_fine(vm_state *st, double ll) {
    const double launch = exp(ll);
    vm_inner x[VM_GROUPS];
    double total = 0.0;
    for (int k = 0; k < VM_GROUPS; k++) {
        if (st->kinds[k].n == 0) continue;
        x[k] = st->best[k];
        x[k].j = kind_obj(&st->kinds[k], launch, x[k].u, x[k].w);
        pattern_search(&st->kinds[k], launch, &x[k], VM_FINE_START_STEP, VM_FINE_MIN_STEP);
        total += x[k].j;
    }
    if (total < st->best_total) {
        st->best_total = total;
        st->best_launch = launch;
        memcpy(st->best, x, sizeof x);
    }
    return total;
}

static cm_cal_status check_sample(const cm_cal_sample *s, size_t i, char *err, size_t err_len) {
    if ((int)s->kind < 0 || (int)s->kind >= CM_KIND_COUNT)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].kind: %d is not a kernel kind (0..%d)", i,
                       (int)s->kind, CM_KIND_COUNT - 1);
    if (!isfinite(s->t_dram_1_us) || s->t_dram_1_us < 0.0)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].t_dram_1_us: %g is not a finite time >= 0", i,
                       s->t_dram_1_us);
    if (!isfinite(s->t_l2_1_us) || s->t_l2_1_us < 0.0)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].t_l2_1_us: %g is not a finite time >= 0", i,
                       s->t_l2_1_us);
    if (!isfinite(s->t_compute_1_us) || s->t_compute_1_us < 0.0)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].t_compute_1_us: %g is not a finite time >= 0",
                       i, s->t_compute_1_us);
    if (!(s->quant > 0.0 && s->quant <= 1.0))
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].quant: %g is not in (0, 1]", i, s->quant);
    if (!isfinite(s->measured_us) || s->measured_us <= 0.0)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].measured_us: %g is not a finite time > 0", i,
                       s->measured_us);
    if (!isfinite(s->t_serial_us) || s->t_serial_us < 0.0)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].t_serial_us: %g is not a finite time >= 0", i,
                       s->t_serial_us);
    if ((int)s->math < 0 || (int)s->math >= CM_MATH_COUNT)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].math: %d is not a math mode (0..%d)", i, (int)s->math,
                       CM_MATH_COUNT - 1);
    /* one group per (kind, math) that exists: a DW has no GEMM and runs on
     * CUDA cores in every plan (cm_kind_math) */
    if (cm_kind_math(s->kind, s->math) != s->math)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: samples[%zu].math: %s, but a %s kernel runs on CUDA cores (simt)", i,
                       cm_math_name(s->math), cm_kind_name(s->kind));
    return CM_CAL_OK;
}

/* Shared by both fits: every sample checked, the samples counted per (kind,
 * math) group into count, and room for their points allocated (*pts, freed
 * by the caller). */
static cm_cal_status prepare_points(const cm_cal_sample *s, size_t n, size_t count[VM_GROUPS],
                                    vm_pt **pts, char *err, size_t err_len) {
    for (size_t i = 0; i < n; i++) {
        const cm_cal_status st = check_sample(&s[i], i, err, err_len);
        if (st != CM_CAL_OK) return st;
        count[group_of(s[i].kind, s[i].math)]++;
    }
    if (n > SIZE_MAX / sizeof(vm_pt))
        return cal_fail(CM_CAL_ERR_NOMEM, err, err_len, "calibrate: %zu samples are too many", n);
    *pts = malloc(n * sizeof **pts);
    if (!*pts)
        return cal_fail(CM_CAL_ERR_NOMEM, err, err_len, "calibrate: out of memory (%zu samples)", n);
    return CM_CAL_OK;
}

cm_cal_status cm_calibrate(const cm_cal_sample *s, size_t n, const cm_gpu *start, cm_cal_fit *out, char *err,
                           size_t err_len) {
    if (!s || !start || !out) return cal_fail(CM_CAL_ERR_INVALID, err, err_len, "calibrate: null argument");
    if (n == 0) return cal_fail(CM_CAL_ERR_INVALID, err, err_len, "calibrate: no samples");
    const double start_launch_us = start->launch_overhead_us;
    if (!isfinite(start_launch_us) || start_launch_us <= 0.0)
        return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                       "calibrate: start launch overhead %g us is not finite and > 0",
                       start_launch_us);
    for (int k = 0; k < CM_KIND_COUNT; k++)
        for (int m = 0; m < CM_MATH_COUNT; m++) {
            if (cm_kind_math((cm_kind)k, (cm_math)m) != (cm_math)m) continue; /* never read */
            const double b0 = start->bw_efficiency[k][m], c0 = start->compute_efficiency[k][m];
            if (!isfinite(b0) || b0 <= 0.0 || !isfinite(c0) || c0 <= 0.0)
                return cal_fail(CM_CAL_ERR_INVALID, err, err_len,
                               "calibrate: start efficiencies of %s %s (bw %g, compute %g) are not "
                               "finite and > 0",
                               cm_kind_name((cm_kind)k), cm_math_name((cm_math)m), b0, c0);
        }
    size_t count[VM_GROUPS] = {0};
    vm_pt *pts = NULL;
    const cm_cal_status pst = prepare_points(s, n, count, &pts, err, err_len);
    if (pst != CM_CAL_OK) return pst;

    /* group the samples by (kind, math): each group's fit reads only its own */
    vm_kind kinds[VM_GROUPS];
    size_t fill[VM_GROUPS];
    size_t off = 0;
    const double lo = log(VM_EFF_MIN);
    for (int g = 0; g < VM_GROUPS; g++) {
        const int k = g / CM_MATH_COUNT, m = g % CM_MATH_COUNT;
        /* a DW TC start value is never read: the group has no samples (refused above) */
        const double b0 = cm_kind_math((cm_kind)k, (cm_math)m) == (cm_math)m ? start->bw_efficiency[k][m] : 1.0;
        const double c0 = cm_kind_math((cm_kind)k, (cm_math)m) == (cm_math)m ? start->compute_efficiency[k][m] : 1.0;
        kinds[g] = (vm_kind){pts + off, count[g], false, false, clampd(log(b0), lo, 0.0), clampd(log(c0), lo, 0.0)};
        fill[g] = off;
        off += count[g];
    }
    for (size_t i = 0; i < n; i++) {
        const int g = group_of(s[i].kind, s[i].math);
        pts[fill[g]++] = (vm_pt){s[i].t_dram_1_us / s[i].quant, s[i].t_l2_1_us / s[i].quant,
                                 s[i].t_compute_1_us / s[i].quant, s[i].t_serial_us, log(s[i].measured_us)};
        if (s[i].t_dram_1_us > 0.0 || s[i].t_l2_1_us > 0.0) kinds[g].free_bw = true;
        if (s[i].t_compute_1_us > 0.0) kinds[g].free_c = true;
    }

    /* 1. coarse: the start launch and a log grid; every group fitted afresh at each */
    const double ll_lo = log(VM_LAUNCH_MIN_US), ll_hi = log(VM_LAUNCH_MAX_US);
    const double hl = (ll_hi - ll_lo) / (VM_LAUNCH_GRID - 1);
    vm_state st = {kinds, 0.0, INFINITY, {{0, 0, 0}}};
    for (int g = -1; g < VM_LAUNCH_GRID; g++) { /* -1: the start launch */
        const double ll = g < 0 ? clampd(log(start_launch_us), ll_lo, ll_hi) : ll_lo + hl * g;
        vm_inner x[VM_GROUPS];
        double total = 0.0;
        for (int k = 0; k < VM_GROUPS; k++) {
            if (kinds[k].n == 0) continue;
            x[k] = kind_coarse(&kinds[k], exp(ll));
            total += x[k].j;
        }
        if (total < st.best_total) {
            st.best_total = total;
            st.best_launch = exp(ll);
            memcpy(st.best, x, sizeof x);
        }
    }

    /* 2. fine: golden-section search of log launch between the best grid
     * point's neighbours (the start launch lies between two grid points: its
     * bracket is one grid step either side), the groups refined at each point
     * from the best solutions so far. */
    const double ll_best = log(st.best_launch);
    double a = clampd(ll_best - hl, ll_lo, ll_hi), b = clampd(ll_best + hl, ll_lo, ll_hi);
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double c1 = b - gr * (b - a), c2 = a + gr * (b - a);
    double f1 = profile_fine(&st, c1), f2 = profile_fine(&st, c2);
    while (b - a > VM_GOLDEN_TOL) {
        if (f1 <= f2) {
            b = c2;
            c2 = c1;
            f2 = f1;
            c1 = b - gr * (b - a);
            f1 = profile_fine(&st, c1);
        } else {
            a = c1;
            c1 = c2;
            f1 = f2;
            c2 = a + gr * (b - a);
            f2 = profile_fine(&st, c2);
        }
    }
    /* one last refinement at the best launch (the golden search's points may
     * have kept an earlier point as the best, whose groups were refined from
     * older starts) */
    (void)profile_fine(&st, log(st.best_launch));

    /* 3. where the samples do not tell (the objective is exactly as good, e.g.
     * every sample compute-bound for any e_bw in a range), the start value */
    for (int k = 0; k < VM_GROUPS; k++) {
        if (kinds[k].n == 0) continue;
        const vm_kind *kd = &kinds[k];
        vm_inner *x = &st.best[k];
        x->j = kind_obj(kd, st.best_launch, x->u, x->w);
        const double try_u[3] = {kd->u0, x->u, kd->u0}, try_w[3] = {kd->w0, kd->w0, x->w};
        for (int t = 0; t < 3; t++) {
            const double j = kind_obj(kd, st.best_launch, try_u[t], try_w[t]);
            if (j <= x->j) {
                *x = (vm_inner){try_u[t], try_w[t], j};
                break;
            }
        }
    }

    /* 4. the result, with the errors recomputed at the final constants */
    cm_cal_fit f;
    memset(&f, 0, sizeof f);
    f.launch_us = st.best_launch;
    double total = 0.0;
    for (int g = 0; g < VM_GROUPS; g++) {
        const int k = g / CM_MATH_COUNT, m = g % CM_MATH_COUNT;
        f.samples[k][m] = (int)count[g];
        if (count[g] == 0) {
            f.bw_efficiency[k][m] = start->bw_efficiency[k][m];
            f.compute_efficiency[k][m] = start->compute_efficiency[k][m];
            f.fitted[k][m] = false;
            f.rms_log_error[k][m] = NAN;
            continue;
        }
        f.fitted[k][m] = true;
        /* a parameter the samples do not determine keeps its start value exactly */
        f.bw_efficiency[k][m] = kinds[g].free_bw ? exp(st.best[g].u) : start->bw_efficiency[k][m];
        f.compute_efficiency[k][m] = kinds[g].free_c ? exp(st.best[g].w) : start->compute_efficiency[k][m];
        const double j = kind_obj(&kinds[g], f.launch_us, st.best[g].u, st.best[g].w);
        f.rms_log_error[k][m] = sqrt(j / (double)count[g]);
        total += j;
    }
    f.rms_log_error_all = sqrt(total / (double)n);
    free(pts);
    *out = f;
    return CM_CAL_OK;
}

/* ---- the two-parameter baseline ---------------------------------------------------- */

/* Sum of squared log errors of every sample at launch L and log efficiency w
 * (one efficiency for bandwidth and compute, every group). */
static double uni_obj(const vm_pt *p, size_t n, double launch, double w) {
    const double ie = exp(-w);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double r = log(pt_time(&p[i], launch, ie, ie)) - p[i].lm;
        sum += r * r;
    }
    return sum;
}

/* Grid points of the baseline's searches: 13 launch values (as cm_calibrate)
 * and 25 efficiencies (x1.33 apart); each best point refined by a golden
 * section between its neighbours. */
#define VM_UNI_EFF_GRID 25

/* Minimises a 1-D function f(x) = obj(x) on [lo, hi]: grid of `grid` points,
 * then a golden-section search between the best one's neighbours. */
typedef double (*vm_fn1)(void *ctx, double x);
static double min1(vm_fn1 f, void *ctx, double lo, double hi, int grid, double *best_f) {
    const double h = (hi - lo) / (grid - 1);
    double bx = lo, bf = INFINITY;
    for (int i = 0; i < grid; i++) {
        const double x = lo + h * i, v = f(ctx, x);
        if (v < bf) {
            bf = v;
            bx = x;
        }
    }
    double a = clampd(bx - h, lo, hi), b = clampd(bx + h, lo, hi);
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double c1 = b - gr * (b - a), c2 = a + gr * (b - a);
    double f1 = f(ctx, c1), f2 = f(ctx, c2);
    while (b - a > VM_GOLDEN_TOL) {
        if (f1 <= f2) {
            b = c2;
            c2 = c1;
            f2 = f1;
            c1 = b - gr * (b - a);
            f1 = f(ctx, c1);
        } else {
            a = c1;
            c1 = c2;
            f1 = f2;
            c2 = a + gr * (b - a);
            f2 = f(ctx, c2);
        }
    }
    const double xm = f1 <= f2 ? c1 : c2, fm = f1 <= f2 ? f1 : f2;
    if (fm < bf) {
        bf = fm;
        bx = xm;
    }
    *best_f = bf;
    return bx;
}

typedef struct vm_uni {
    const vm_pt *p;
    size_t n;
    double launch;
} vm_uni;

static double uni_eff(void *ctx, double w) {
    const vm_uni *u = ctx;
    return uni_obj(u->p, u->n, u->launch, w);
}

/* The profile over log launch: the best efficiency at that launch. */
static double uni_launch(void *ctx, double ll) {
    vm_uni u = *(const vm_uni *)ctx;
    u.launch = exp(ll);
    double j;
    (void)min1(uni_eff, &u, log(VM_EFF_MIN), 0.0, VM_UNI_EFF_GRID, &j);
    return j;
}

cm_cal_status cm_calibrate_uniform(const cm_cal_sample *s, size_t n, cm_cal_fit *out, char *err,
                                   size_t err_len) {
    if (!s || !out) return cal_fail(CM_CAL_ERR_INVALID, err, err_len, "calibrate: null argument");
    if (n == 0) return cal_fail(CM_CAL_ERR_INVALID, err, err_len, "calibrate: no samples");
    size_t count[VM_GROUPS] = {0};
    vm_pt *pts = NULL;
    const cm_cal_status pst = prepare_points(s, n, count, &pts, err, err_len);
    if (pst != CM_CAL_OK) return pst;
    for (size_t i = 0; i < n; i++)
        pts[i] = (vm_pt){s[i].t_dram_1_us / s[i].quant, s[i].t_l2_1_us / s[i].quant,
                         s[i].t_compute_1_us / s[i].quant, s[i].t_serial_us, log(s[i].measured_us)};
    vm_uni u = {pts, n, 0.0};
    double j;
    const double ll = min1(uni_launch, &u, log(VM_LAUNCH_MIN_US), log(VM_LAUNCH_MAX_US), VM_LAUNCH_GRID, &j);
    u.launch = exp(ll);
    const double w = min1(uni_eff, &u, log(VM_EFF_MIN), 0.0, VM_UNI_EFF_GRID, &j);
    cm_cal_fit f;
    memset(&f, 0, sizeof f);
    f.launch_us = u.launch;
    double sq[VM_GROUPS] = {0};
    for (size_t i = 0; i < n; i++) {
        const double r = log(pt_time(&pts[i], u.launch, exp(-w), exp(-w))) - pts[i].lm;
        sq[group_of(s[i].kind, s[i].math)] += r * r;
    }
    double total = 0.0;
    for (int g = 0; g < VM_GROUPS; g++) {
        const int k = g / CM_MATH_COUNT, m = g % CM_MATH_COUNT;
        f.bw_efficiency[k][m] = f.compute_efficiency[k][m] = exp(w);
        f.samples[k][m] = (int)count[g];
        f.fitted[k][m] = count[g] > 0;
        f.rms_log_error[k][m] = count[g] ? sqrt(sq[g] / (double)count[g]) : NAN;
        total += sq[g];
    }
    f.rms_log_error_all = sqrt(total / (double)n);
    free(pts);
    *out = f;
    return CM_CAL_OK;
}

double cm_cal_predict_throughput(const cm_cal_fit *f, const cm_cal_sample *s) {
    if (!s) return NAN;
    cm_cal_sample t = *s;
    t.t_serial_us = 0.0;
    return cm_cal_predict(f, &t);
}

/* The sample's (kind, math) efficiencies from f, false where the sample or f
 * cannot predict (cm_cal_predict's NAN cases but the serial time). */
static bool sample_effs(const cm_cal_fit *f, const cm_cal_sample *s, double *eb, double *ec) {
    if (!f || !s || (int)s->kind < 0 || (int)s->kind >= CM_KIND_COUNT) return false;
    if ((int)s->math < 0 || (int)s->math >= CM_MATH_COUNT) return false;
    if (!(s->quant > 0.0 && s->quant <= 1.0)) return false;
    *eb = f->bw_efficiency[s->kind][s->math];
    *ec = f->compute_efficiency[s->kind][s->math];
    return *eb > 0.0 && *ec > 0.0;
}

double cm_cal_predict_sm_side(const cm_cal_fit *f, const cm_cal_sample *s) {
    double eb, ec;
    if (!sample_effs(f, s, &eb, &ec)) return NAN;
    return cm_sm_side_us(s->t_l2_1_us / eb, s->t_compute_1_us / ec, s->quant);
}

double cm_cal_predict(const cm_cal_fit *f, const cm_cal_sample *s) {
    double eb, ec;
    if (!sample_effs(f, s, &eb, &ec)) return NAN;
    if (!isfinite(s->t_serial_us) || s->t_serial_us < 0.0) return NAN;
    return cm_time_serial_us(f->launch_us, s->t_dram_1_us / eb, s->t_l2_1_us / eb, s->t_compute_1_us / ec,
                             s->quant, s->t_serial_us);
}

