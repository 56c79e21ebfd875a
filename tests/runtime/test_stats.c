/* test_stats.c - the statistics of `fuseplan validate` (rt_stats.h; suite
 * cpu, no device, no CUDA). The calibration fit's tests are in
 * tests/costmodel/test_calibrate.c.
 *
 * 1. rel_error, median, max_abs, count_within, regret: hand values, NaN and
 *    infinity handling, empty input, inputs left untouched.
 * 2. Kendall tau-b: hand-computed cases (with ties), NaN on constant input,
 *    invariance under monotone transforms, and a brute-force re-implementation
 *    (sign products over all ordered pairs, not pair counts) on 200 random
 *    cases with ties.
 * 3. The best chain segmentation against brute force; the segmentation
 *    rt_vm_chain_plan returns covers the chain and sums to it.
 * 4. Cohen's kappa: hand values, constant raters, independence. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "rt_stats.h"
#include "test_rng.h"

/* rng_state starts at 0x5eedca11b8a7eULL (main) */

/* Uniform double in [0, 1). */
static double rnd_u01(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }


/* Log-uniform in [lo, hi]. */
static double rnd_log(double lo, double hi) {
    return exp(log(lo) + (log(hi) - log(lo)) * rnd_u01());
}

static bool close_rel(double a, double b, double tol) { return fabs(a - b) <= tol * fabs(b); }

/* ---- 1. simple statistics ------------------------------------------------------- */

static void test_rel_error(void) {
    CHECK(close_rel(rt_vm_rel_error(12.0, 10.0), 0.2, 1e-15), "%g", rt_vm_rel_error(12.0, 10.0));
    CHECK(close_rel(rt_vm_rel_error(5.0, 10.0), -0.5, 1e-15), "%g", rt_vm_rel_error(5.0, 10.0));
    CHECK(rt_vm_rel_error(7.0, 7.0) == 0.0, "%g", rt_vm_rel_error(7.0, 7.0));
    CHECK(rt_vm_rel_error(0.0, 4.0) == -1.0, "%g", rt_vm_rel_error(0.0, 4.0));
    CHECK(isnan(rt_vm_rel_error(1.0, 0.0)), "measured 0");
    CHECK(isnan(rt_vm_rel_error(1.0, -3.0)), "measured < 0");
    CHECK(isnan(rt_vm_rel_error(NAN, 3.0)), "estimated NaN");
    CHECK(isnan(rt_vm_rel_error(1.0, NAN)), "measured NaN");
    CHECK(isnan(rt_vm_rel_error(INFINITY, 3.0)), "estimated inf");
    CHECK(isnan(rt_vm_rel_error(1.0, INFINITY)), "measured inf");
}

static void test_median(void) {
    const double odd[] = {5.0, -1.0, 3.0, 9.0, 2.0};
    CHECK(rt_vm_median(odd, 5) == 3.0, "%g", rt_vm_median(odd, 5));
    double even[] = {4.0, 1.0, 10.0, 2.0};
    const double even_copy[] = {4.0, 1.0, 10.0, 2.0};
    CHECK(rt_vm_median(even, 4) == 3.0, "%g", rt_vm_median(even, 4));
    CHECK(memcmp(even, even_copy, sizeof even) == 0, "median reordered its input");
    const double with_nan[] = {NAN, 8.0, NAN, 1.0, 6.0, NAN};
    CHECK(rt_vm_median(with_nan, 6) == 6.0, "%g", rt_vm_median(with_nan, 6));
    const double with_nan_even[] = {NAN, 8.0, 1.0, NAN, 6.0, 2.0};
    CHECK(rt_vm_median(with_nan_even, 6) == 4.0, "%g", rt_vm_median(with_nan_even, 6));
    const double all_nan[] = {NAN, NAN};
    CHECK(isnan(rt_vm_median(all_nan, 2)), "all NaN");
    CHECK(isnan(rt_vm_median(odd, 0)), "n == 0");
    const double one[] = {-7.5};
    CHECK(rt_vm_median(one, 1) == -7.5, "%g", rt_vm_median(one, 1));
    const double infs[] = {INFINITY, 1.0, -INFINITY};
    CHECK(rt_vm_median(infs, 3) == 1.0, "infinities count: %g", rt_vm_median(infs, 3));
    const double inf_hi[] = {INFINITY, 1.0, 2.0, INFINITY};
    CHECK(rt_vm_median(inf_hi, 4) == INFINITY, "%g", rt_vm_median(inf_hi, 4));
    /* against a sorted copy on random sizes: a selection bug would show */
    for (int t = 0; t < 50; t++) {
        double v[41], s[41];
        const int n = rnd(1, 41);
        for (int i = 0; i < n; i++) v[i] = s[i] = (double)rnd(-20, 20);
        for (int i = 1; i < n; i++) /* insertion sort */
            for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
                const double x = s[j];
                s[j] = s[j - 1];
                s[j - 1] = x;
            }
        const double want = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
        CHECK(rt_vm_median(v, (size_t)n) == want, "n %d: %g, want %g", n,
              rt_vm_median(v, (size_t)n), want);
    }
}

static void test_max_abs_count(void) {
    const double v[] = {0.1, -0.35, NAN, 0.2, -INFINITY, 0.25, INFINITY, -0.05};
    CHECK(rt_vm_max_abs(v, 8) == 0.35, "%g", rt_vm_max_abs(v, 8));
    const double nonfinite[] = {NAN, INFINITY, -INFINITY};
    CHECK(isnan(rt_vm_max_abs(nonfinite, 3)), "no finite values");
    CHECK(isnan(rt_vm_max_abs(v, 0)), "n == 0");
    const double neg[] = {-2.0, -3.0};
    CHECK(rt_vm_max_abs(neg, 2) == 3.0, "%g", rt_vm_max_abs(neg, 2));

    size_t fin = 999;
    /* within 0.25: 0.1, 0.2, 0.25 (the bound counts), -0.05; not -0.35 */
    CHECK(rt_vm_count_within(v, 8, 0.25, &fin) == 4, "%zu", rt_vm_count_within(v, 8, 0.25, NULL));
    CHECK(fin == 5, "finite %zu", fin);
    CHECK(rt_vm_count_within(v, 8, 0.0, &fin) == 0, "tol 0");
    CHECK(rt_vm_count_within(v, 8, INFINITY, &fin) == 5, "tol inf counts the finite ones");
    CHECK(rt_vm_count_within(v, 8, NAN, &fin) == 0 && fin == 5, "tol NaN");
    fin = 999;
    CHECK(rt_vm_count_within(nonfinite, 3, 1.0, &fin) == 0 && fin == 0, "finite %zu", fin);
    fin = 999;
    CHECK(rt_vm_count_within(v, 0, 1.0, &fin) == 0 && fin == 0, "n == 0: finite %zu", fin);
}

static void test_regret(void) {
    const double t[] = {4.0, 2.5, 3.0, 2.0};
    CHECK(rt_vm_regret(t, 4, 3) == 0.0, "fastest: %g", rt_vm_regret(t, 4, 3));
    CHECK(rt_vm_regret(t, 4, 0) == 1.0, "%g", rt_vm_regret(t, 4, 0));
    CHECK(close_rel(rt_vm_regret(t, 4, 1), 0.25, 1e-15), "%g", rt_vm_regret(t, 4, 1));
    CHECK(isnan(rt_vm_regret(t, 4, 4)), "chosen == n");
    CHECK(isnan(rt_vm_regret(t, 0, 0)), "n == 0");
    const double zero[] = {1.0, 0.0, 2.0};
    CHECK(isnan(rt_vm_regret(zero, 3, 0)), "a zero time");
    const double neg[] = {1.0, 2.0, -2.0};
    CHECK(isnan(rt_vm_regret(neg, 3, 1)), "a negative time");
    const double nan[] = {1.0, NAN, 2.0};
    CHECK(isnan(rt_vm_regret(nan, 3, 0)), "a NaN time");
    const double tied[] = {3.0, 3.0};
    CHECK(rt_vm_regret(tied, 2, 1) == 0.0, "a tie for fastest");
}

/* ---- 2. Kendall tau-b ---------------------------------------------------------- */

/* Brute force, a different formulation from the library's pair counts:
 * sum over all ordered pairs of sign products, normalised by the sums of
 * squared signs. NaN pairs skipped. NAN when a denominator is 0. */
static double tau_b_brute(const double *x, const double *y, size_t n) {
    double s = 0.0, sx = 0.0, sy = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (i == j || isnan(x[i]) || isnan(y[i]) || isnan(x[j]) || isnan(y[j])) continue;
            const double a = x[i] < x[j] ? -1.0 : (x[i] > x[j] ? 1.0 : 0.0);
            const double b = y[i] < y[j] ? -1.0 : (y[i] > y[j] ? 1.0 : 0.0);
            s += a * b;
            sx += a * a;
            sy += b * b;
        }
    if (sx == 0.0 || sy == 0.0) return NAN;
    return s / sqrt(sx * sy);
}

static void test_kendall(void) {
    const double up[] = {1, 2, 3, 4, 5}, down[] = {50, 40, 30, 20, 10};
    const double up2[] = {0.1, 0.7, 0.8, 3.0, 9.0};
    CHECK(rt_vm_kendall_tau_b(up, up2, 5) == 1.0, "%g", rt_vm_kendall_tau_b(up, up2, 5));
    CHECK(rt_vm_kendall_tau_b(up, down, 5) == -1.0, "%g", rt_vm_kendall_tau_b(up, down, 5));

    /* x = 1 2 2 3, y = 1 3 2 2. Pairs: (0,1) (0,2) (0,3) concordant; (1,2) tied in x;
     * (1,3) discordant (x up, y down); (2,3) tied in y. nc 3, nd 1, n0 6, n1 1, n2 1:
     * tau-b = (3 - 1) / sqrt(5 * 5) = 0.4 (tau-a would be 2/6). */
    const double x1[] = {1, 2, 2, 3}, y1[] = {1, 3, 2, 2};
    CHECK(fabs(rt_vm_kendall_tau_b(x1, y1, 4) - 0.4) < 1e-15, "%.17g",
          rt_vm_kendall_tau_b(x1, y1, 4));

    /* x = 1 1 2 2 3, y = 1 1 1 2 3. (0,1) tied in both (counts in n1 and n2); (0,2),
     * (1,2) tied in y; (2,3) tied in x; the other 6 concordant. nc 6, nd 0, n0 10,
     * n1 2, n2 3: tau-b = 6 / sqrt(8 * 7) = 0.80178372573727319. */
    const double x2[] = {1, 1, 2, 2, 3}, y2[] = {1, 1, 1, 2, 3};
    CHECK(fabs(rt_vm_kendall_tau_b(x2, y2, 5) - 6.0 / sqrt(56.0)) < 1e-15, "%.17g",
          rt_vm_kendall_tau_b(x2, y2, 5));
    CHECK(fabs(rt_vm_kendall_tau_b(y2, x2, 5) - 6.0 / sqrt(56.0)) < 1e-15, "symmetric");

    const double c[] = {2, 2, 2, 2, 2};
    CHECK(isnan(rt_vm_kendall_tau_b(up, c, 5)), "y constant");
    CHECK(isnan(rt_vm_kendall_tau_b(c, up, 5)), "x constant");
    CHECK(isnan(rt_vm_kendall_tau_b(up, down, 1)), "n == 1");
    CHECK(isnan(rt_vm_kendall_tau_b(up, down, 0)), "n == 0");

    /* NaN pairs are skipped: the same as the case without them */
    const double xn[] = {1, NAN, 2, 2, 7, 3}, yn[] = {1, 5, 3, 2, NAN, 2};
    CHECK(fabs(rt_vm_kendall_tau_b(xn, yn, 6) - 0.4) < 1e-15, "%.17g",
          rt_vm_kendall_tau_b(xn, yn, 6));
    const double xs[] = {NAN, 1, 2}, ys[] = {1, 2, NAN};
    CHECK(isnan(rt_vm_kendall_tau_b(xs, ys, 3)), "one usable pair left");

    /* random cases with ties: brute force, monotone invariance, symmetry, sign flip */
    int compared = 0, nan_cases = 0;
    for (int t = 0; t < 200; t++) {
        double x[64], y[64], fx[64], gy[64], ny[64];
        const int n = rnd(2, 64), range = rnd(1, 12);
        const int mode = rnd(0, 2); /* 0 independent, 1 correlated, 2 anti-correlated */
        for (int i = 0; i < n; i++) {
            x[i] = (double)rnd(0, range);
            const double noise = (double)rnd(0, range);
            y[i] = mode == 0 ? noise : (mode == 1 ? x[i] + 0.5 * noise : -x[i] + 0.5 * noise);
            if (rnd(0, 30) == 0) y[i] = NAN; /* now and then a failed measurement */
            fx[i] = exp(0.3 * x[i]) - 5.0;   /* strictly increasing */
            gy[i] = y[i] * y[i] * y[i] + y[i]; /* strictly increasing, NaN stays NaN */
            ny[i] = -y[i];
        }
        const double got = rt_vm_kendall_tau_b(x, y, (size_t)n);
        const double want = tau_b_brute(x, y, (size_t)n);
        if (isnan(want)) {
            nan_cases++;
            CHECK(isnan(got), "case %d: %g, brute force NaN", t, got);
            continue;
        }
        compared++;
        CHECK(fabs(got - want) <= 1e-12, "case %d (n %d): %.17g, brute force %.17g", t, n, got,
              want);
        CHECK(got >= -1.0 && got <= 1.0, "case %d: %g outside [-1, 1]", t, got);
        const double mono = rt_vm_kendall_tau_b(fx, gy, (size_t)n);
        CHECK(fabs(mono - got) <= 1e-12, "case %d: monotone transform %.17g vs %.17g", t, mono,
              got);
        const double sym = rt_vm_kendall_tau_b(y, x, (size_t)n);
        CHECK(fabs(sym - got) <= 1e-12, "case %d: swapped %.17g vs %.17g", t, sym, got);
        const double neg = rt_vm_kendall_tau_b(x, ny, (size_t)n);
        CHECK(fabs(neg + got) <= 1e-12, "case %d: negated y %.17g vs %.17g", t, neg, got);
    }
    CHECK(compared >= 150, "only %d of 200 random cases were comparable (%d NaN)", compared,
          nan_cases);
}

/* Brute force: the least total over every segmentation of [j, len), by
 * recursion over the first segment's length. */
static double brute_chain(const double *seg, int len, int max_seg, int j) {
    if (j == len) return 0.0;
    double best = INFINITY;
    for (int n = 1; n <= max_seg && j + n <= len; n++) {
        const double t = seg[j * max_seg + n - 1];
        if (isnan(t)) continue;
        const double r = t + brute_chain(seg, len, max_seg, j + n);
        if (r < best) best = r;
    }
    return best;
}

static void test_chain_best(void) {
    /* by hand: 3 layers, singles 10+10+10 = 30, the pair (0,1) 12, the triple 25:
     * best is pair + single 2 = 22 */
    const double hand[9] = {10, 12, 25, 10, NAN, NAN, 10, NAN, NAN};
    CHECK(rt_vm_chain_best(hand, 3, 3) == 22.0, "%g", rt_vm_chain_best(hand, 3, 3));
    /* a missing single makes the pair compulsory, a chain nothing covers is INFINITY */
    const double gap[4] = {NAN, 7.0, NAN, NAN};
    CHECK(rt_vm_chain_best(gap, 2, 2) == 7.0, "%g", rt_vm_chain_best(gap, 2, 2));
    const double none[4] = {NAN, NAN, 3.0, NAN};
    CHECK(isinf(rt_vm_chain_best(none, 2, 2)), "uncoverable chain");
    CHECK(isnan(rt_vm_chain_best(hand, 0, 3)) && isnan(rt_vm_chain_best(hand, 3, 0)), "bad sizes");
    /* 300 random chains of 1..12 layers, some segments missing, against brute force */
    for (int c = 0; c < 300; c++) {
        const int len = rnd(1, 12), ms = rnd(1, 3);
        double seg[12 * 3];
        for (int i = 0; i < len * ms; i++) seg[i] = rnd(0, 4) == 0 ? NAN : rnd_log(1.0, 100.0);
        const double got = rt_vm_chain_best(seg, len, ms), want = brute_chain(seg, len, ms, 0);
        CHECK((isinf(got) && isinf(want)) || fabs(got - want) <= 1e-12 * want,
              "chain %d (len %d, max %d): %.17g vs brute force %.17g", c, len, ms, got, want);
    }
}

/* The segmentation rt_vm_chain_plan returns covers the chain with candidate
 * segments and its measured sum is the least total (rt_vm_chain_best). */
static void test_chain_plan(void) {
    const double hand[9] = {10, 12, 25, 10, NAN, NAN, 10, NAN, NAN};
    int seg[3] = {-1, -1, -1};
    CHECK(rt_vm_chain_plan(hand, 3, 3, seg) == 22.0, "%g", rt_vm_chain_plan(hand, 3, 3, seg));
    CHECK(seg[0] == 2 && seg[1] == 0 && seg[2] == 1, "segmentation %d %d %d, want 2 0 1", seg[0], seg[1], seg[2]);
    /* a tie goes to the longer first segment, as the planner's DP */
    const double tie[4] = {5, 10, 5, NAN};
    CHECK(rt_vm_chain_plan(tie, 2, 2, seg) == 10.0 && seg[0] == 2 && seg[1] == 0, "tie: %d %d", seg[0], seg[1]);
    const double none[4] = {NAN, NAN, 3.0, NAN};
    seg[0] = seg[1] = 9;
    CHECK(isinf(rt_vm_chain_plan(none, 2, 2, seg)) && seg[0] == 0 && seg[1] == 0, "uncoverable chain");
    CHECK(isnan(rt_vm_chain_plan(hand, 3, 3, NULL)) && isnan(rt_vm_chain_plan(hand, 0, 3, seg)), "bad arguments");
    for (int c = 0; c < 300; c++) {
        const int len = rnd(1, 12), ms = rnd(1, 3);
        double v[12 * 3];
        int sg[12];
        for (int i = 0; i < len * ms; i++) v[i] = rnd(0, 4) == 0 ? NAN : rnd_log(1.0, 100.0);
        const double got = rt_vm_chain_plan(v, len, ms, sg), best = rt_vm_chain_best(v, len, ms);
        CHECK((isinf(got) && isinf(best)) || got == best, "chain %d: %.17g vs %.17g", c, got, best);
        if (!isfinite(got)) continue;
        double sum = 0;
        int covered = 0;
        for (int j = 0; j < len;) {
            if (sg[j] < 1 || sg[j] > ms || j + sg[j] > len) {
                CHECK(false, "chain %d: segment length %d at %d", c, sg[j], j);
                break;
            }
            for (int k = 1; k < sg[j]; k++) CHECK(sg[j + k] == 0, "chain %d: inside a segment %d", c, sg[j + k]);
            sum += v[j * ms + sg[j] - 1];
            covered += sg[j];
            j += sg[j];
        }
        CHECK(covered == len && fabs(sum - got) <= 1e-12 * got, "chain %d: covered %d of %d, sum %.17g vs %.17g", c,
              covered, len, sum, got);
    }
}

/* Cohen's kappa against hand values and its defining properties. */
static void test_kappa(void) {
    /* the textbook example: 20 yy, 5 yn, 10 ny, 15 nn: p_o 0.7, p_e 0.5 -> 0.4 */
    CHECK(fabs(rt_vm_kappa(20, 5, 10, 15) - 0.4) < 1e-12, "%g", rt_vm_kappa(20, 5, 10, 15));
    CHECK(rt_vm_kappa(7, 0, 0, 3) == 1.0, "perfect agreement: %g", rt_vm_kappa(7, 0, 0, 3));
    CHECK(fabs(rt_vm_kappa(0, 5, 5, 0) + 1.0) < 1e-12, "perfect disagreement: %g", rt_vm_kappa(0, 5, 5, 0));
    /* a constant rater ("never fuse") scores 0 whatever its agreement */
    CHECK(rt_vm_kappa(0, 0, 25, 75) == 0.0, "never fuse at 75%%: %g", rt_vm_kappa(0, 0, 25, 75));
    CHECK(isnan(rt_vm_kappa(0, 0, 0, 9)), "both constant and equal: undefined");
    CHECK(isnan(rt_vm_kappa(0, 0, 0, 0)), "no items");
    CHECK(isnan(rt_vm_kappa(-1, 2, 3, 4)), "negative count");
    /* symmetric in the raters; independent raters give about 0 */
    CHECK(rt_vm_kappa(12, 3, 7, 30) == rt_vm_kappa(12, 7, 3, 30), "swap raters");
    long yy = 0, yn = 0, ny = 0, nn = 0;
    for (int i = 0; i < 200000; i++) {
        const bool a = rnd(0, 9) < 3, b = rnd(0, 9) < 6;
        yy += a && b;
        yn += a && !b;
        ny += !a && b;
        nn += !a && !b;
    }
    CHECK(fabs(rt_vm_kappa(yy, yn, ny, nn)) < 0.01, "independent raters: %g", rt_vm_kappa(yy, yn, ny, nn));
}

int main(void) {
    rng_state = 0x5eedca11b8a7eULL;
    test_chain_best();
    test_chain_plan();
    test_kappa();
    test_rel_error();
    test_median();
    test_max_abs_count();
    test_regret();
    test_kendall();
    return check_summary("stats");
}
