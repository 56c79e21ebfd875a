/* test_validate_math.c - the arithmetic of `fuseplan validate`
 * (rt_stats.h; suite cpu, no device, no CUDA).
 *
 * 1. rel_error, median, max_abs, count_within, regret: hand values, NaN and
 *    infinity handling, empty input, inputs left untouched.
 * 2. Kendall tau-b: hand-computed cases (with ties), NaN on constant input,
 *    invariance under monotone transforms, and a brute-force re-implementation
 *    (sign products over all ordered pairs, not pair counts) on 200 random
 *    cases with ties.
 * 3. Calibration: noise-free synthetic samples from three sets of known
 *    constants (one with efficiencies at the ends of the box) are recovered
 *    within 3% with an rms log error below 1e-4; with 10% log-normal noise the
 *    fit's rms log error is no worse than the true constants' and at most 5%
 *    better; kinds without samples, and parameters no sample exercises, keep
 *    the start values; bad samples are rejected with a message naming the
 *    index and field. The fit of 5,000 samples is timed (printed, not
 *    asserted). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rt_stats.h"
#include "test_rng.h"

/* rng_state starts at 0x5eedca11b8a7eULL (main) */

/* Uniform double in [0, 1). */
static double rnd_u01(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }

/* Standard normal (Box-Muller). */
static double rnd_normal(void) {
    const double u1 = 1.0 - rnd_u01(); /* (0, 1]: log is finite */
    const double u2 = rnd_u01();
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

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

/* ---- 3. calibration ------------------------------------------------------------ */

/* Known constants: the launch overhead and per-kind efficiencies the synthetic
 * measurements come from (inside the fit's box, away from its edges). */
static rt_vm_fit truth(void) {
    rt_vm_fit f;
    memset(&f, 0, sizeof f);
    f.launch_us = 3.1;
    const double bw[CM_KIND_COUNT] = {0.37, 0.62, 0.81, 0.29, 0.55, 0.44};
    const double ce[CM_KIND_COUNT] = {0.12, 0.45, 0.23, 0.07, 0.33, 0.58};
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        f.bw_efficiency[k] = bw[k];
        f.compute_efficiency[k] = ce[k];
    }
    return f;
}

/* n samples of the kinds in `kinds` (round robin), measured = the true model
 * times exp(sigma * N(0, 1)). Datasheet times are log-uniform over 0.02..800 us
 * each, independently: about half memory-bound, half compute-bound, and the
 * small ones dominated by the launch overhead. quant in [0.3, 1]. */
static void gen_samples(rt_vm_sample *s, size_t n, const rt_vm_fit *f, double sigma,
                        const cm_kind *kinds, int nkinds) {
    for (size_t i = 0; i < n; i++) {
        s[i].kind = kinds[i % (size_t)nkinds];
        s[i].t_dram_1_us = rnd_log(0.02, 800.0);
        s[i].t_l2_1_us = rnd_log(0.02, 800.0);
        s[i].t_compute_1_us = rnd_log(0.02, 800.0);
        s[i].quant = 0.3 + 0.7 * rnd_u01();
        if (rnd(0, 9) == 0) s[i].quant = 1.0;
        s[i].measured_us = rt_vm_predict(f, &s[i]) * exp(sigma * rnd_normal());
    }
}

/* rms of log(predict / measured) over the samples, with the constants of f */
static double rms_log(const rt_vm_fit *f, const rt_vm_sample *s, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double r = log(rt_vm_predict(f, &s[i]) / s[i].measured_us);
        sum += r * r;
    }
    return sqrt(sum / (double)n);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const cm_kind ALL_KINDS[CM_KIND_COUNT] = {CM_KIND_DW,   CM_KIND_PW,   CM_KIND_DWPW,
                                                 CM_KIND_PWDW, CM_KIND_PWPW, CM_KIND_PWDWPW};
static const double START_BW[CM_KIND_COUNT] = {0.85, 0.85, 0.8, 0.8, 0.8, 0.8};
static const double START_C[CM_KIND_COUNT] = {0.5, 0.6, 0.5, 0.5, 0.5, 0.5};

static void test_predict(void) {
    rt_vm_fit f;
    memset(&f, 0, sizeof f);
    f.launch_us = 2.0;
    for (int k = 0; k < CM_KIND_COUNT; k++) f.bw_efficiency[k] = f.compute_efficiency[k] = 1.0;
    f.bw_efficiency[CM_KIND_PW] = 0.5;
    f.compute_efficiency[CM_KIND_PW] = 0.25;
    rt_vm_sample s = {CM_KIND_PW, 10.0, 2.0, 3.0, 0.5, 1.0};
    /* DRAM-bound: 2 + max(10 / 0.5, 2 / 0.5 + 3 / 0.25) / 0.5 = 2 + 20 / 0.5 = 42 */
    CHECK(rt_vm_predict(&f, &s) == 42.0, "%g", rt_vm_predict(&f, &s));
    s.t_compute_1_us = 6.0; /* L2 + compute: 2 + (4 + 24) / 0.5 = 58 */
    CHECK(rt_vm_predict(&f, &s) == 58.0, "%g", rt_vm_predict(&f, &s));
    s.quant = 0.0;
    CHECK(isnan(rt_vm_predict(&f, &s)), "quant 0");
    s.quant = 1.0;
    s.kind = CM_KIND_COUNT;
    CHECK(isnan(rt_vm_predict(&f, &s)), "bad kind");
}

/* (1) no noise: the constants come back within 3% and the rms log error is
 * below 0.01 (the brief) - in fact below 1e-4: the zero-error optimum lies
 * inside the box, so anything above the search's tolerance is the optimizer
 * stopping short. Case 0 is truth(); case 1 puts the launch overhead low and
 * efficiencies at or near both ends of the box; case 2 puts the launch near
 * the top of its box and starts far from it. */
static void test_calibrate_exact(void) {
    enum { N = 1200 };
    static rt_vm_sample s[N];
    static const double launch[3] = {3.1, 0.45, 17.0}, start_launch[3] = {1.0, 15.0, 0.2};
    static const double bw[2][CM_KIND_COUNT] = {{0.004, 0.97, 1.0, 0.2, 0.05, 0.7},
                                                {0.5, 0.31, 0.66, 0.9, 0.12, 0.25}};
    static const double ce[2][CM_KIND_COUNT] = {{0.9, 0.002, 0.3, 1.0, 0.015, 0.11},
                                                {0.2, 0.75, 0.04, 0.35, 0.6, 0.018}};
    for (int c = 0; c < 3; c++) {
        rt_vm_fit t = truth();
        t.launch_us = launch[c];
        if (c > 0) {
            memcpy(t.bw_efficiency, bw[c - 1], sizeof t.bw_efficiency);
            memcpy(t.compute_efficiency, ce[c - 1], sizeof t.compute_efficiency);
        }
        gen_samples(s, N, &t, 0.0, ALL_KINDS, CM_KIND_COUNT);
        rt_vm_fit f;
        char err[256] = "";
        const fk_status st =
            rt_vm_calibrate(s, N, start_launch[c], START_BW, START_C, &f, err, sizeof err);
        CHECK(st == FK_OK, "case %d: %s: %s", c, fk_status_str(st), err);
        if (st != FK_OK) continue;
        CHECK(close_rel(f.launch_us, t.launch_us, 0.03), "case %d: launch %g, true %g", c,
              f.launch_us, t.launch_us);
        for (int k = 0; k < CM_KIND_COUNT; k++) {
            const char *kn = cm_kind_name((cm_kind)k);
            CHECK(f.fitted[k] && f.samples[k] == N / CM_KIND_COUNT,
                  "case %d: %s: fitted %d samples %d", c, kn, f.fitted[k], f.samples[k]);
            CHECK(close_rel(f.bw_efficiency[k], t.bw_efficiency[k], 0.03),
                  "case %d: %s: bw %g, true %g", c, kn, f.bw_efficiency[k], t.bw_efficiency[k]);
            CHECK(close_rel(f.compute_efficiency[k], t.compute_efficiency[k], 0.03),
                  "case %d: %s: compute %g, true %g", c, kn, f.compute_efficiency[k],
                  t.compute_efficiency[k]);
            CHECK(f.bw_efficiency[k] >= 1e-3 && f.bw_efficiency[k] <= 1.0 &&
                      f.compute_efficiency[k] >= 1e-3 && f.compute_efficiency[k] <= 1.0,
                  "case %d: %s: outside the box", c, kn);
            CHECK(f.rms_log_error[k] < 1e-4, "case %d: %s: rms log error %g", c, kn,
                  f.rms_log_error[k]);
        }
        CHECK(f.rms_log_error_all < 1e-4, "case %d: rms log error %g", c, f.rms_log_error_all);
        /* the reported error is the error of the reported constants */
        CHECK(fabs(rms_log(&f, s, N) - f.rms_log_error_all) <= 1e-9 + 1e-6 * f.rms_log_error_all,
              "case %d: reported %g, recomputed %g", c, f.rms_log_error_all, rms_log(&f, s, N));
        printf("exact %d: launch %.4f us (true %.4f), rms log error %.2e\n", c, f.launch_us,
               t.launch_us, f.rms_log_error_all);
    }
}

/* (2) 10% log-normal noise, 5,000 samples: the fit is at least as good as the
 * true constants on these samples (it minimises the same sum) and at most 5%
 * better (13 parameters cannot explain much of 5,000 residuals). Timed. */
static void test_calibrate_noisy(void) {
    enum { N = 5000 };
    static rt_vm_sample s[N];
    const rt_vm_fit t = truth();
    gen_samples(s, N, &t, 0.1, ALL_KINDS, CM_KIND_COUNT);
    const double rms_true = rms_log(&t, s, N);
    CHECK(rms_true > 0.09 && rms_true < 0.11, "the generator's noise: rms %g, want ~0.1", rms_true);
    rt_vm_fit f;
    char err[256] = "";
    const double t0 = now_s();
    const fk_status st = rt_vm_calibrate(s, N, 1.0, START_BW, START_C, &f, err, sizeof err);
    const double dt = now_s() - t0;
    CHECK(st == FK_OK, "%s: %s", fk_status_str(st), err);
    if (st != FK_OK) return;
    printf("noisy: rt_vm_calibrate of %d samples over %d kinds took %.3f s\n", N, CM_KIND_COUNT,
           dt);
    printf("noisy: rms log error fit %.6f, true constants %.6f (ratio %.5f); launch %.3f us\n",
           f.rms_log_error_all, rms_true, f.rms_log_error_all / rms_true, f.launch_us);
    CHECK(f.rms_log_error_all <= rms_true * (1.0 + 1e-9), "fit %.9g worse than the truth %.9g",
          f.rms_log_error_all, rms_true);
    CHECK(f.rms_log_error_all >= 0.95 * rms_true, "fit %.9g more than 5%% below the truth %.9g",
          f.rms_log_error_all, rms_true);
    CHECK(fabs(rms_log(&f, s, N) - f.rms_log_error_all) <= 1e-9 + 1e-6 * f.rms_log_error_all,
          "reported %g, recomputed %g", f.rms_log_error_all, rms_log(&f, s, N));
    /* ~830 samples a kind, half of them bound by each parameter: each constant to a few % */
    CHECK(close_rel(f.launch_us, t.launch_us, 0.10), "launch %g, true %g", f.launch_us,
          t.launch_us);
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        CHECK(close_rel(f.bw_efficiency[k], t.bw_efficiency[k], 0.10), "%s: bw %g, true %g",
              cm_kind_name((cm_kind)k), f.bw_efficiency[k], t.bw_efficiency[k]);
        CHECK(close_rel(f.compute_efficiency[k], t.compute_efficiency[k], 0.10),
              "%s: compute %g, true %g", cm_kind_name((cm_kind)k), f.compute_efficiency[k],
              t.compute_efficiency[k]);
    }
}

/* (3) kinds without samples keep the start values; so do parameters the
 * samples do not determine: no sample exercises them (t_compute_1 == 0, or
 * both times 0), or every sample is bound by the other one throughout */
static void test_calibrate_missing_kinds(void) {
    enum { N = 600, NZ = 3, NC = 40 };
    static rt_vm_sample s[N + NZ + NC];
    const rt_vm_fit t = truth();
    const cm_kind some[2] = {CM_KIND_DW, CM_KIND_PWDW};
    gen_samples(s, N, &t, 0.0, some, 2);
    for (size_t i = 0; i < N; i++) /* PWDW: memory only */
        if (s[i].kind == CM_KIND_PWDW) {
            s[i].t_compute_1_us = 0.0;
            s[i].measured_us = rt_vm_predict(&t, &s[i]);
        }
    /* PWPW: empty kernels (no traffic, no work) measure the launch overhead only,
     * so neither efficiency is determined: both keep the start values */
    for (size_t i = N; i < N + NZ; i++)
        s[i] = (rt_vm_sample){CM_KIND_PWPW, 0.0, 0.0, 0.0, 1.0, t.launch_us};
    /* PWDWPW: compute-bound for every e_bw in the box (no L2 time, and
     * t_dram_1 / 1e-3 stays 10x below t_c_1 / 1): e_bw is not determined and
     * keeps its start value, e_c is fitted */
    for (size_t i = N + NZ; i < N + NZ + NC; i++) {
        const double tc = rnd_log(0.05, 500.0);
        s[i] = (rt_vm_sample){CM_KIND_PWDWPW, 1e-4 * tc, 0.0, tc, 0.3 + 0.7 * rnd_u01(), 0.0};
        s[i].measured_us = rt_vm_predict(&t, &s[i]);
    }
    rt_vm_fit f;
    char err[256] = "";
    const fk_status st =
        rt_vm_calibrate(s, N + NZ + NC, 1.5, START_BW, START_C, &f, err, sizeof err);
    CHECK(st == FK_OK, "%s: %s", fk_status_str(st), err);
    if (st != FK_OK) return;
    CHECK(f.fitted[CM_KIND_PWPW] && f.samples[CM_KIND_PWPW] == NZ, "pwpw: fitted %d, samples %d",
          f.fitted[CM_KIND_PWPW], f.samples[CM_KIND_PWPW]);
    CHECK(f.bw_efficiency[CM_KIND_PWPW] == START_BW[CM_KIND_PWPW] &&
              f.compute_efficiency[CM_KIND_PWPW] == START_C[CM_KIND_PWPW],
          "pwpw: bw %g compute %g, want the start values", f.bw_efficiency[CM_KIND_PWPW],
          f.compute_efficiency[CM_KIND_PWPW]);
    CHECK(f.rms_log_error[CM_KIND_PWPW] < 1e-4, "pwpw: rms %g", f.rms_log_error[CM_KIND_PWPW]);
    CHECK(f.bw_efficiency[CM_KIND_PWDWPW] == START_BW[CM_KIND_PWDWPW],
          "pwdwpw: bw %g, not determined: want the start %g", f.bw_efficiency[CM_KIND_PWDWPW],
          START_BW[CM_KIND_PWDWPW]);
    CHECK(close_rel(f.compute_efficiency[CM_KIND_PWDWPW], t.compute_efficiency[CM_KIND_PWDWPW],
                    0.03),
          "pwdwpw: compute %g, true %g", f.compute_efficiency[CM_KIND_PWDWPW],
          t.compute_efficiency[CM_KIND_PWDWPW]);
    CHECK(f.fitted[CM_KIND_PWDWPW] && f.samples[CM_KIND_PWDWPW] == NC, "pwdwpw: samples %d",
          f.samples[CM_KIND_PWDWPW]);
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        if (k == CM_KIND_PWPW || k == CM_KIND_PWDWPW) continue; /* above */
        const bool has = k == CM_KIND_DW || k == CM_KIND_PWDW;
        CHECK(f.fitted[k] == has, "%s: fitted %d", cm_kind_name((cm_kind)k), f.fitted[k]);
        CHECK(f.samples[k] == (has ? N / 2 : 0), "%s: samples %d", cm_kind_name((cm_kind)k),
              f.samples[k]);
        if (has) {
            CHECK(isfinite(f.rms_log_error[k]) && f.rms_log_error[k] < 0.01, "%s: rms %g",
                  cm_kind_name((cm_kind)k), f.rms_log_error[k]);
            continue;
        }
        CHECK(f.bw_efficiency[k] == START_BW[k], "%s: bw %g, start %g", cm_kind_name((cm_kind)k),
              f.bw_efficiency[k], START_BW[k]);
        CHECK(f.compute_efficiency[k] == START_C[k], "%s: compute %g, start %g",
              cm_kind_name((cm_kind)k), f.compute_efficiency[k], START_C[k]);
        CHECK(isnan(f.rms_log_error[k]), "%s: rms %g, want NaN", cm_kind_name((cm_kind)k),
              f.rms_log_error[k]);
    }
    CHECK(close_rel(f.launch_us, t.launch_us, 0.03), "launch %g", f.launch_us);
    CHECK(close_rel(f.bw_efficiency[CM_KIND_DW], t.bw_efficiency[CM_KIND_DW], 0.03), "dw bw %g",
          f.bw_efficiency[CM_KIND_DW]);
    CHECK(close_rel(f.compute_efficiency[CM_KIND_DW], t.compute_efficiency[CM_KIND_DW], 0.03),
          "dw compute %g", f.compute_efficiency[CM_KIND_DW]);
    CHECK(close_rel(f.bw_efficiency[CM_KIND_PWDW], t.bw_efficiency[CM_KIND_PWDW], 0.03),
          "pwdw bw %g", f.bw_efficiency[CM_KIND_PWDW]);
    CHECK(f.compute_efficiency[CM_KIND_PWDW] == START_C[CM_KIND_PWDW],
          "pwdw compute %g: no sample exercises it, want the start %g",
          f.compute_efficiency[CM_KIND_PWDW], START_C[CM_KIND_PWDW]);
}

/* (4) bad samples and arguments: FK_ERR_INVALID, a message naming the sample
 * index and the field, *out untouched */
static void test_calibrate_errors(void) {
    enum { N = 6 };
    rt_vm_sample good[N];
    const rt_vm_fit t = truth();
    gen_samples(good, N, &t, 0.0, ALL_KINDS, CM_KIND_COUNT);
    static const struct {
        int field; /* 0 kind, 1 t_dram, 2 t_compute, 3 quant, 4 measured, 5 t_l2 */
        double value;
        const char *name;
    } bad[] = {
        {0, (double)CM_KIND_COUNT, "kind"}, {0, 77.0, "kind"},
        {1, -1.0, "t_dram_1_us"},          {1, NAN, "t_dram_1_us"},
        {1, INFINITY, "t_dram_1_us"},      {5, -1.0, "t_l2_1_us"},
        {5, NAN, "t_l2_1_us"},             {2, -0.5, "t_compute_1_us"},
        {2, INFINITY, "t_compute_1_us"},   {3, 0.0, "quant"},
        {3, 1.5, "quant"},                 {3, -0.2, "quant"},
        {3, NAN, "quant"},                 {4, 0.0, "measured_us"},
        {4, -2.0, "measured_us"},          {4, NAN, "measured_us"},
        {4, INFINITY, "measured_us"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        rt_vm_sample s[N];
        memcpy(s, good, sizeof s);
        const size_t at = 3 + b % 3; /* indexes 3, 4, 5 */
        switch (bad[b].field) {
        case 0: s[at].kind = (cm_kind)(int)bad[b].value; break;
        case 1: s[at].t_dram_1_us = bad[b].value; break;
        case 5: s[at].t_l2_1_us = bad[b].value; break;
        case 2: s[at].t_compute_1_us = bad[b].value; break;
        case 3: s[at].quant = bad[b].value; break;
        default: s[at].measured_us = bad[b].value; break;
        }
        rt_vm_fit f;
        memset(&f, 0xab, sizeof f);
        rt_vm_fit before;
        memcpy(&before, &f, sizeof f);
        char err[256] = "";
        char want[64];
        snprintf(want, sizeof want, "samples[%zu].%s", at, bad[b].name);
        const fk_status st = rt_vm_calibrate(s, N, 3.0, START_BW, START_C, &f, err, sizeof err);
        CHECK(st == FK_ERR_INVALID, "case %zu: %s", b, fk_status_str(st));
        CHECK(strstr(err, want) != NULL, "case %zu: message \"%s\" does not name %s", b, err, want);
        CHECK(memcmp(&f, &before, sizeof f) == 0, "case %zu: *out written on error", b);
    }
    rt_vm_fit f;
    char err[256] = "";
    CHECK(rt_vm_calibrate(good, 0, 3.0, START_BW, START_C, &f, err, sizeof err) == FK_ERR_INVALID &&
              strstr(err, "no samples") != NULL,
          "n == 0: \"%s\"", err);
    err[0] = '\0';
    double bw0[CM_KIND_COUNT];
    memcpy(bw0, START_BW, sizeof bw0);
    bw0[CM_KIND_PWPW] = 0.0;
    CHECK(rt_vm_calibrate(good, N, 3.0, bw0, START_C, &f, err, sizeof err) == FK_ERR_INVALID &&
              strstr(err, cm_kind_name(CM_KIND_PWPW)) != NULL,
          "start efficiency 0: \"%s\"", err);
    err[0] = '\0';
    CHECK(rt_vm_calibrate(good, N, NAN, START_BW, START_C, &f, err, sizeof err) == FK_ERR_INVALID &&
              err[0] != '\0',
          "start launch NaN: \"%s\"", err);
    CHECK(rt_vm_calibrate(good, N, 3.0, START_BW, START_C, NULL, err, sizeof err) == FK_ERR_INVALID,
          "out NULL");
    /* err may be NULL */
    CHECK(rt_vm_calibrate(good, 0, 3.0, START_BW, START_C, &f, NULL, 0) == FK_ERR_INVALID,
          "err NULL");
    CHECK(rt_vm_calibrate(good, N, 3.0, START_BW, START_C, &f, NULL, 0) == FK_OK, "good samples");
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

int main(void) {
    rng_state = 0x5eedca11b8a7eULL;
    test_chain_best();
    test_rel_error();
    test_median();
    test_max_abs_count();
    test_regret();
    test_kendall();
    test_predict();
    test_calibrate_exact();
    test_calibrate_noisy();
    test_calibrate_missing_kinds();
    test_calibrate_errors();
    return check_summary("validate_math");
}
