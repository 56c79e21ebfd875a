/* test_calibrate.c - the calibration fit of the cost model's time formula
 * (cm_calibrate.h; suite cpu, no device, no CUDA). Moved from the statistics
 * test (tests/runtime/test_stats.c) with its data unchanged.
 *
 * Calibration: noise-free synthetic samples from three sets of known
 *    constants (one with efficiencies at the ends of the box) are recovered
 *    within 3% with an rms log error below 1e-4; with 10% log-normal noise the
 *    fit's rms log error is no worse than the true constants' and at most 5%
 *    better; kinds without samples, and parameters no sample exercises, keep
 *    the start values; bad samples are rejected with a message naming the
 *    index and field. The fit of 5,000 samples is timed (printed, not
 *    asserted). The two-parameter baseline recovers its own law and fits
 *    the per-kind law clearly worse than the full fit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cm_calibrate.h"
#include "test_rng.h"

/* rng_state starts where the combined statistics-and-calibration test had it
 * when its calibration cases began (main): the synthetic samples are the ones
 * the fit was validated on before the move. */

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

/* ---- 3. calibration ------------------------------------------------------------ */

/* Known constants: the launch overhead and per-kind efficiencies the synthetic
 * measurements come from (inside the fit's box, away from its edges). */
static cm_cal_fit truth(void) {
    cm_cal_fit f;
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
static void gen_samples(cm_cal_sample *s, size_t n, const cm_cal_fit *f, double sigma,
                        const cm_kind *kinds, int nkinds) {
    for (size_t i = 0; i < n; i++) {
        s[i].kind = kinds[i % (size_t)nkinds];
        s[i].t_dram_1_us = rnd_log(0.02, 800.0);
        s[i].t_l2_1_us = rnd_log(0.02, 800.0);
        s[i].t_compute_1_us = rnd_log(0.02, 800.0);
        s[i].quant = 0.3 + 0.7 * rnd_u01();
        if (rnd(0, 9) == 0) s[i].quant = 1.0;
        s[i].measured_us = cm_cal_predict(f, &s[i]) * exp(sigma * rnd_normal());
    }
}

/* rms of log(predict / measured) over the samples, with the constants of f */
static double rms_log(const cm_cal_fit *f, const cm_cal_sample *s, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double r = log(cm_cal_predict(f, &s[i]) / s[i].measured_us);
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
    cm_cal_fit f;
    memset(&f, 0, sizeof f);
    f.launch_us = 2.0;
    for (int k = 0; k < CM_KIND_COUNT; k++) f.bw_efficiency[k] = f.compute_efficiency[k] = 1.0;
    f.bw_efficiency[CM_KIND_PW] = 0.5;
    f.compute_efficiency[CM_KIND_PW] = 0.25;
    cm_cal_sample s = {CM_KIND_PW, 10.0, 2.0, 3.0, 0.5, 1.0};
    /* DRAM-bound: 2 + max(10 / 0.5, 2 / 0.5 + 3 / 0.25) / 0.5 = 2 + 20 / 0.5 = 42 */
    CHECK(cm_cal_predict(&f, &s) == 42.0, "%g", cm_cal_predict(&f, &s));
    s.t_compute_1_us = 6.0; /* L2 + compute: 2 + (4 + 24) / 0.5 = 58 */
    CHECK(cm_cal_predict(&f, &s) == 58.0, "%g", cm_cal_predict(&f, &s));
    s.quant = 0.0;
    CHECK(isnan(cm_cal_predict(&f, &s)), "quant 0");
    s.quant = 1.0;
    s.kind = CM_KIND_COUNT;
    CHECK(isnan(cm_cal_predict(&f, &s)), "bad kind");
}

/* (1) no noise: the constants come back within 3% and the rms log error is
 * below 0.01 (the brief) - in fact below 1e-4: the zero-error optimum lies
 * inside the box, so anything above the search's tolerance is the optimizer
 * stopping short. Case 0 is truth(); case 1 puts the launch overhead low and
 * efficiencies at or near both ends of the box; case 2 puts the launch near
 * the top of its box and starts far from it. */
static void test_calibrate_exact(void) {
    enum { N = 1200 };
    static cm_cal_sample s[N];
    static const double launch[3] = {3.1, 0.45, 17.0}, start_launch[3] = {1.0, 15.0, 0.2};
    static const double bw[2][CM_KIND_COUNT] = {{0.004, 0.97, 1.0, 0.2, 0.05, 0.7},
                                                {0.5, 0.31, 0.66, 0.9, 0.12, 0.25}};
    static const double ce[2][CM_KIND_COUNT] = {{0.9, 0.002, 0.3, 1.0, 0.015, 0.11},
                                                {0.2, 0.75, 0.04, 0.35, 0.6, 0.018}};
    for (int c = 0; c < 3; c++) {
        cm_cal_fit t = truth();
        t.launch_us = launch[c];
        if (c > 0) {
            memcpy(t.bw_efficiency, bw[c - 1], sizeof t.bw_efficiency);
            memcpy(t.compute_efficiency, ce[c - 1], sizeof t.compute_efficiency);
        }
        gen_samples(s, N, &t, 0.0, ALL_KINDS, CM_KIND_COUNT);
        cm_cal_fit f;
        char err[256] = "";
        const cm_cal_status st =
            cm_calibrate(s, N, start_launch[c], START_BW, START_C, &f, err, sizeof err);
        CHECK(st == CM_CAL_OK, "case %d: %s: %s", c, cm_cal_status_str(st), err);
        if (st != CM_CAL_OK) continue;
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
    static cm_cal_sample s[N];
    const cm_cal_fit t = truth();
    gen_samples(s, N, &t, 0.1, ALL_KINDS, CM_KIND_COUNT);
    const double rms_true = rms_log(&t, s, N);
    CHECK(rms_true > 0.09 && rms_true < 0.11, "the generator's noise: rms %g, want ~0.1", rms_true);
    cm_cal_fit f;
    char err[256] = "";
    const double t0 = now_s();
    const cm_cal_status st = cm_calibrate(s, N, 1.0, START_BW, START_C, &f, err, sizeof err);
    const double dt = now_s() - t0;
    CHECK(st == CM_CAL_OK, "%s: %s", cm_cal_status_str(st), err);
    if (st != CM_CAL_OK) return;
    printf("noisy: cm_calibrate of %d samples over %d kinds took %.3f s\n", N, CM_KIND_COUNT,
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
    static cm_cal_sample s[N + NZ + NC];
    const cm_cal_fit t = truth();
    const cm_kind some[2] = {CM_KIND_DW, CM_KIND_PWDW};
    gen_samples(s, N, &t, 0.0, some, 2);
    for (size_t i = 0; i < N; i++) /* PWDW: memory only */
        if (s[i].kind == CM_KIND_PWDW) {
            s[i].t_compute_1_us = 0.0;
            s[i].measured_us = cm_cal_predict(&t, &s[i]);
        }
    /* PWPW: empty kernels (no traffic, no work) measure the launch overhead only,
     * so neither efficiency is determined: both keep the start values */
    for (size_t i = N; i < N + NZ; i++)
        s[i] = (cm_cal_sample){CM_KIND_PWPW, 0.0, 0.0, 0.0, 1.0, t.launch_us};
    /* PWDWPW: compute-bound for every e_bw in the box (no L2 time, and
     * t_dram_1 / 1e-3 stays 10x below t_c_1 / 1): e_bw is not determined and
     * keeps its start value, e_c is fitted */
    for (size_t i = N + NZ; i < N + NZ + NC; i++) {
        const double tc = rnd_log(0.05, 500.0);
        s[i] = (cm_cal_sample){CM_KIND_PWDWPW, 1e-4 * tc, 0.0, tc, 0.3 + 0.7 * rnd_u01(), 0.0};
        s[i].measured_us = cm_cal_predict(&t, &s[i]);
    }
    cm_cal_fit f;
    char err[256] = "";
    const cm_cal_status st =
        cm_calibrate(s, N + NZ + NC, 1.5, START_BW, START_C, &f, err, sizeof err);
    CHECK(st == CM_CAL_OK, "%s: %s", cm_cal_status_str(st), err);
    if (st != CM_CAL_OK) return;
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

/* (4) bad samples and arguments: CM_CAL_ERR_INVALID, a message naming the sample
 * index and the field, *out untouched */
static void test_calibrate_errors(void) {
    enum { N = 6 };
    cm_cal_sample good[N];
    const cm_cal_fit t = truth();
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
        cm_cal_sample s[N];
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
        cm_cal_fit f;
        memset(&f, 0xab, sizeof f);
        cm_cal_fit before;
        memcpy(&before, &f, sizeof f);
        char err[256] = "";
        char want[64];
        snprintf(want, sizeof want, "samples[%zu].%s", at, bad[b].name);
        const cm_cal_status st = cm_calibrate(s, N, 3.0, START_BW, START_C, &f, err, sizeof err);
        CHECK(st == CM_CAL_ERR_INVALID, "case %zu: %s", b, cm_cal_status_str(st));
        CHECK(strstr(err, want) != NULL, "case %zu: message \"%s\" does not name %s", b, err, want);
        CHECK(memcmp(&f, &before, sizeof f) == 0, "case %zu: *out written on error", b);
    }
    cm_cal_fit f;
    char err[256] = "";
    CHECK(cm_calibrate(good, 0, 3.0, START_BW, START_C, &f, err, sizeof err) == CM_CAL_ERR_INVALID &&
              strstr(err, "no samples") != NULL,
          "n == 0: \"%s\"", err);
    err[0] = '\0';
    double bw0[CM_KIND_COUNT];
    memcpy(bw0, START_BW, sizeof bw0);
    bw0[CM_KIND_PWPW] = 0.0;
    CHECK(cm_calibrate(good, N, 3.0, bw0, START_C, &f, err, sizeof err) == CM_CAL_ERR_INVALID &&
              strstr(err, cm_kind_name(CM_KIND_PWPW)) != NULL,
          "start efficiency 0: \"%s\"", err);
    err[0] = '\0';
    CHECK(cm_calibrate(good, N, NAN, START_BW, START_C, &f, err, sizeof err) == CM_CAL_ERR_INVALID &&
              err[0] != '\0',
          "start launch NaN: \"%s\"", err);
    CHECK(cm_calibrate(good, N, 3.0, START_BW, START_C, NULL, err, sizeof err) == CM_CAL_ERR_INVALID,
          "out NULL");
    /* err may be NULL */
    CHECK(cm_calibrate(good, 0, 3.0, START_BW, START_C, &f, NULL, 0) == CM_CAL_ERR_INVALID,
          "err NULL");
    CHECK(cm_calibrate(good, N, 3.0, START_BW, START_C, &f, NULL, 0) == CM_CAL_OK, "good samples");
}


/* The two-parameter baseline (cm_calibrate_uniform): noise-free samples of
 * one launch and one efficiency for every kind are recovered within 1%;
 * on samples of the per-kind truth it fits worse than cm_calibrate (it has
 * 2 constants, not 13), and bad samples are refused like cm_calibrate's. */
static void test_calibrate_uniform(void) {
    cm_cal_fit u;
    memset(&u, 0, sizeof u);
    u.launch_us = 4.2;
    for (int k = 0; k < CM_KIND_COUNT; k++) u.bw_efficiency[k] = u.compute_efficiency[k] = 0.31;
    enum { N = 1500 };
    static cm_cal_sample s[N];
    gen_samples(s, N, &u, 0.0, ALL_KINDS, CM_KIND_COUNT);
    cm_cal_fit f;
    char err[256] = "";
    CHECK(cm_calibrate_uniform(s, N, &f, err, sizeof err) == CM_CAL_OK, "uniform fit: %s", err);
    CHECK(close_rel(f.launch_us, 4.2, 0.01), "launch %g, want 4.2", f.launch_us);
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        CHECK(close_rel(f.bw_efficiency[k], 0.31, 0.01) && f.bw_efficiency[k] == f.compute_efficiency[k],
              "%s: bw %g compute %g, want both 0.31", cm_kind_name((cm_kind)k), f.bw_efficiency[k],
              f.compute_efficiency[k]);
        CHECK(f.fitted[k] && f.samples[k] == N / CM_KIND_COUNT, "%s: fitted %d, %d samples", cm_kind_name((cm_kind)k),
              f.fitted[k], f.samples[k]);
    }
    CHECK(f.rms_log_error_all < 1e-4, "rms log error %g on its own law", f.rms_log_error_all);
    /* the per-kind law: the baseline cannot follow it, the full fit can */
    const cm_cal_fit t = truth();
    gen_samples(s, N, &t, 0.05, ALL_KINDS, CM_KIND_COUNT);
    cm_cal_fit full;
    CHECK(cm_calibrate_uniform(s, N, &f, err, sizeof err) == CM_CAL_OK, "%s", err);
    CHECK(cm_calibrate(s, N, 1.0, START_BW, START_C, &full, err, sizeof err) == CM_CAL_OK, "%s", err);
    CHECK(f.rms_log_error_all > 2 * full.rms_log_error_all, "baseline rms %g not clearly worse than the full fit's %g",
          f.rms_log_error_all, full.rms_log_error_all);
    CHECK(fabs(rms_log(&f, s, N) - f.rms_log_error_all) < 1e-9, "rms %g vs the fit's own %g", rms_log(&f, s, N),
          f.rms_log_error_all);
    /* refusals */
    s[7].quant = 0.0;
    CHECK(cm_calibrate_uniform(s, N, &f, err, sizeof err) == CM_CAL_ERR_INVALID && strstr(err, "samples[7].quant"),
          "bad quant: %s", err);
    CHECK(cm_calibrate_uniform(s, 0, &f, err, sizeof err) == CM_CAL_ERR_INVALID, "no samples");
    CHECK(cm_calibrate_uniform(NULL, 3, &f, err, sizeof err) == CM_CAL_ERR_INVALID, "null samples");
}

int main(void) {
    rng_state = 0xe169b7210fafdf16ULL;
    test_predict();
    test_calibrate_exact();
    test_calibrate_noisy();
    test_calibrate_missing_kinds();
    test_calibrate_errors();
    test_calibrate_uniform();
    return check_summary("calibrate");
}
