/* cm_calibrate.h - the calibration fit of the cost model's time formula
 * (cm_time_us in costmodel.h) to measured kernel times: one launch overhead
 * and per-kind bandwidth and compute efficiencies (prefix cm_cal_). Pure
 * C11 + libm: built everywhere, tested on the CPU
 * (tests/costmodel/test_calibrate.c). `fuseplan validate --calibrate`
 * (runtime/rt_validate.c) feeds it measurements and writes the result into a
 * GPU spec. */
#ifndef FUSEPLAN_CM_CALIBRATE_H
#define FUSEPLAN_CM_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "costmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status of the fit; the message goes to the caller's buffer. */
typedef enum cm_cal_status {
    CM_CAL_OK = 0,
    CM_CAL_ERR_INVALID, /* a bad argument or sample (the message names it) */
    CM_CAL_ERR_NOMEM,
} cm_cal_status;
const char *cm_cal_status_str(cm_cal_status st);

/* The cost model's time for a kernel of kind k, cm_time_us with the
 * efficiencies made explicit:
 *     t = launch + max(t_dram_1 / e_bw[k], t_l2_1 / e_bw[k] + t_c_1 / e_c[k]) / q where t_dram_1, t_l2_1 and t_c_1 are the DRAM, L2
 * and compute times at efficiency 1 (datasheet rates), q = wave_efficiency * warp_efficiency in (0, 1]. The fit
 * chooses ONE launch overhead for all kernels and (e_bw, e_c) per kind, each
 * efficiency in [1e-3, 1], launch in [0.1, 20] us, minimising the sum over
 * samples of (log t_pred - log t_measured)^2: relative errors, so that a
 * 2 us kernel counts as much as a 2 ms one. */
typedef struct cm_cal_sample {
    cm_kind kind;
    double t_dram_1_us;    /* >= 0 */
    double t_l2_1_us;      /* >= 0 */
    double t_compute_1_us; /* >= 0 */
    double quant;          /* wave x warp efficiency, in (0, 1] */
    double measured_us;    /* > 0 */
} cm_cal_sample;

typedef struct cm_cal_fit {
    double launch_us;
    double bw_efficiency[CM_KIND_COUNT];
    double compute_efficiency[CM_KIND_COUNT];
    bool fitted[CM_KIND_COUNT]; /* kinds without samples keep the start values */
    int samples[CM_KIND_COUNT];
    double rms_log_error[CM_KIND_COUNT]; /* after the fit; NAN for kinds without samples */
    double rms_log_error_all;
} cm_cal_fit;

/* Fits the model above to n samples and writes the result to *out.
 *
 * start_launch_us, start_bw[] and start_c[] (e.g. a cm_gpu's
 * launch_overhead_us, bw_efficiency[], compute_efficiency[]) are the values
 * kept for kinds without samples, and the tie-breaker where the samples do
 * not pin a parameter: a kind whose samples all have t_dram_1 == t_l2_1 == 0 keeps its
 * start e_bw (likewise e_c with t_c_1 == 0), and where the start value of a
 * fitted kind's efficiency (clamped into the box) fits the samples exactly as
 * well as the fitted one (e.g. every sample compute-bound for any e_bw in a
 * range that holds the start), the fit returns the start value. Elsewhere on
 * such a flat stretch the value is arbitrary: the samples cannot tell. Each
 * start value must be finite and > 0; it is clamped into the box above for
 * the search.
 *
 * Method: the model is a max (not smooth), so no gradients: a coarse
 * log-spaced grid over launch; at each launch point, per kind, a log grid
 * over (e_bw, e_c) whose best point is refined by a pattern search in log
 * space whose directions include the diagonals (every kink of the max runs
 * along e_bw/e_c = const, i.e. the (1, 1) diagonal); then a golden-section
 * search of log launch around the best grid point, each kind re-refined at
 * every launch value it tries. Given the launch overhead the kinds are
 * independent, so each is fitted on its own samples only. About 0.3-0.5 s
 * for 5,000 samples at -O2 on a loaded 2-core machine
 * (tests/costmodel/test_calibrate.c prints it).
 *
 * Returns CM_CAL_OK; CM_CAL_ERR_INVALID with a message (naming the sample index and
 * field, e.g. "calibrate: samples[3].quant: 1.5 is not in (0, 1]") for
 * n == 0, a NULL pointer, a bad start value or a bad sample (negative or
 * non-finite times, measured <= 0, quant outside (0, 1], kind out of range);
 * CM_CAL_ERR_NOMEM when the temporary arrays cannot be allocated. *out is written
 * only on CM_CAL_OK. err may be NULL. */
cm_cal_status cm_calibrate(const cm_cal_sample *s, size_t n, double start_launch_us,
                          const double start_bw[CM_KIND_COUNT], const double start_c[CM_KIND_COUNT],
                          cm_cal_fit *out, char *err, size_t err_len);

/* The two-parameter baseline the fit is judged against (docs/validation.md):
 * ONE launch overhead and ONE efficiency e shared by every kind and by
 * bandwidth and compute alike, on the datasheet rates:
 *     t = launch + max(t_dram_1, t_l2_1 + t_c_1) / (e q)
 * i.e. the same formula with e_bw[k] = e_c[k] = e, fitted the same way
 * (least squares of log time; e in [1e-3, 1], launch in [0.1, 20] us): a
 * log grid over launch and, at each point, over e, each refined by a
 * golden-section search. If 13 free constants do no better than these 2
 * held out, the per-kind constants fit noise. *out is a cm_cal_fit with
 * every kind's efficiencies set to e (fitted[k] for kinds with samples), so
 * cm_cal_predict applies it. Errors as cm_calibrate's. */
cm_cal_status cm_calibrate_uniform(const cm_cal_sample *s, size_t n, cm_cal_fit *out, char *err,
                                   size_t err_len);

/* The fitted model's predicted time (us) for one sample, the formula above
 * with f's constants. NAN for a sample kind out of range, quant outside
 * (0, 1] or an efficiency <= 0 in f. */
double cm_cal_predict(const cm_cal_fit *f, const cm_cal_sample *s);

#ifdef __cplusplus
}
#endif

#endif
