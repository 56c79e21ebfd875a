/* rt_stats.c - statistics and the calibration fit of `fuseplan
 * validate` (pure C11 + libm; see rt_stats.h). */
#include "rt_stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* ---- statistics ------------------------------------------------------------------ */

double rt_vm_rel_error(double estimated, double measured) {
    if (!isfinite(estimated) || !isfinite(measured) || measured <= 0.0) return NAN;
    return (estimated - measured) / measured;
}

/* qsort order for doubles without NaN (the caller drops those). */
static int cmp_double(const void *pa, const void *pb) {
    const double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double rt_vm_median(const double *v, size_t n) {
    if (!v || n == 0) return NAN;
    double *w = malloc(n * sizeof *w);
    if (!w) return NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) w[m++] = v[i];
    double med = NAN;
    if (m > 0) {
        qsort(w, m, sizeof *w, cmp_double);
        /* the mean of the two middle values; -inf and +inf as those gives NaN, as it should */
        med = (m % 2) ? w[m / 2] : 0.5 * w[m / 2 - 1] + 0.5 * w[m / 2];
    }
    free(w);
    return med;
}

double rt_vm_max_abs(const double *v, size_t n) {
    double best = NAN;
    if (!v) return best;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        const double a = fabs(v[i]);
        if (isnan(best) || a > best) best = a;
    }
    return best;
}

size_t rt_vm_count_within(const double *v, size_t n, double tol, size_t *finite) {
    size_t within = 0, fin = 0;
    for (size_t i = 0; v && i < n; i++) {
        if (!isfinite(v[i])) continue;
        fin++;
        if (fabs(v[i]) <= tol) within++; /* false for a NaN tol */
    }
    if (finite) *finite = fin;
    return within;
}

double rt_vm_kendall_tau_b(const double *x, const double *y, size_t n) {
    if (!x || !y) return NAN;
    /* n0 pairs, nc concordant, nd discordant, tx/ty tied in x/y (a pair tied
     * in both counts in both, the tau-b rule). Comparisons, not differences,
     * so that equal infinities tie. */
    uint64_t n0 = 0, nc = 0, nd = 0, tx = 0, ty = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i])) continue;
        for (size_t j = i + 1; j < n; j++) {
            if (isnan(x[j]) || isnan(y[j])) continue;
            const int sx = (x[j] > x[i]) - (x[j] < x[i]);
            const int sy = (y[j] > y[i]) - (y[j] < y[i]);
            n0++;
            if (sx == 0) tx++;
            if (sy == 0) ty++;
            if (sx * sy > 0) nc++;
            else if (sx * sy < 0) nd++;
        }
    }
    /* fewer than 2 usable pairs gives n0 == 0, a constant series n0 == tx or ty */
    if (n0 == tx || n0 == ty) return NAN;
    return ((double)nc - (double)nd) / sqrt((double)(n0 - tx) * (double)(n0 - ty));
}

double rt_vm_regret(const double *t, size_t n, size_t chosen) {
    if (!t || chosen >= n) return NAN;
    double tmin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!(t[i] > 0.0) || !isfinite(t[i])) return NAN;
        if (t[i] < tmin) tmin = t[i];
    }
    return t[chosen] / tmin - 1.0;
}

double rt_vm_chain_best(const double *seg_us, int len, int max_seg) {
    if (!seg_us || len < 1 || max_seg < 1) return NAN;
    double *best = malloc(sizeof *best * (size_t)(len + 1));
    if (!best) return NAN;
    best[len] = 0.0; /* best[j]: the least time covering layers j..len-1 */
    for (int j = len - 1; j >= 0; j--) {
        best[j] = INFINITY;
        for (int n = 1; n <= max_seg && j + n <= len; n++) {
            const double t = seg_us[(size_t)j * (size_t)max_seg + (size_t)(n - 1)];
            if (!isnan(t) && t + best[j + n] < best[j]) best[j] = t + best[j + n];
        }
    }
    const double r = best[0];
    free(best);
    return r;
}

double rt_vm_chain_plan(const double *seg_us, int len, int max_seg, int *seg_len) {
    if (!seg_us || !seg_len || len < 1 || max_seg < 1) return NAN;
    double *best = malloc(sizeof *best * (size_t)(len + 1));
    int *first = malloc(sizeof *first * (size_t)(len + 1));
    if (!best || !first) {
        free(best);
        free(first);
        return NAN;
    }
    best[len] = 0.0;
    for (int j = len - 1; j >= 0; j--) {
        best[j] = INFINITY;
        first[j] = 0;
        for (int n = max_seg; n >= 1; n--) {
            if (j + n > len) continue;
            const double t = seg_us[(size_t)j * (size_t)max_seg + (size_t)(n - 1)];
            if (!isnan(t) && t + best[j + n] < best[j]) {
                best[j] = t + best[j + n];
                first[j] = n;
            }
        }
    }
    for (int j = 0; j < len; j++) seg_len[j] = 0;
    const double r = best[0];
    if (isfinite(r))
        for (int j = 0; j < len; j += first[j]) seg_len[j] = first[j];
    free(best);
    free(first);
    return r;
}

double rt_vm_kappa(long n_yy, long n_yn, long n_ny, long n_nn) {
    if (n_yy < 0 || n_yn < 0 || n_ny < 0 || n_nn < 0) return NAN;
    const double n = (double)n_yy + (double)n_yn + (double)n_ny + (double)n_nn;
    if (n <= 0) return NAN;
    const double po = ((double)n_yy + (double)n_nn) / n;
    const double a_yes = ((double)n_yy + (double)n_yn) / n, b_yes = ((double)n_yy + (double)n_ny) / n;
    const double pe = a_yes * b_yes + (1.0 - a_yes) * (1.0 - b_yes);
    /* pe == 1 exactly when both raters are constant and say the same */
    if (pe >= 1.0) return NAN;
    return (po - pe) / (1.0 - pe);
}
