/* cm_calibrate.h - the calibration fit of the cost model's time formula
 * (cm_time_us in costmodel.h) to measured kernel times: one launch overhead
 * and per-(kind, math) bandwidth and compute efficiencies (prefix cm_cal_). Pure
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

/* The cost model's time for a kernel of kind k and math m (the efficiency
 * group (k, m); m = cm_kind_math(k, the unit's math): a DW is always SIMT),
 * cm_time_serial_us with the efficiencies made explicit:
 *     t = max(launch + max(t_dram_1 / e_bw[k][m], t_l2_1 / e_bw[k][m] + t_c_1 / e_c[k][m]) / q,
 *             launch + t_serial)
 * where t_dram_1, t_l2_1 and t_c_1 are the DRAM, L2 and compute times at
 * efficiency 1 (datasheet rates), q = wave_efficiency * warp_efficiency in
 * (0, 1], and t_serial the per-CTA serial chain (docs/costmodel.md, "Serial
 * chain"; 0 for DW and PW), which no efficiency scales: it is a count of
 * chunk iterations times a per-iteration latency fitted beside the kernels.
 * The fit chooses ONE launch overhead for all kernels and (e_bw, e_c) per
 * (kind, math) group, each efficiency in [1e-3, 1], launch in [0.1, 20] us,
 * minimising the sum over samples of (log t_pred - log t_measured)^2:
 * relative errors, so that a 2 us kernel counts as much as a 2 ms one. */
typedef struct cm_cal_sample {
    cm_kind kind;
    double t_dram_1_us;    /* >= 0 */
    double t_l2_1_us;      /* >= 0 */
    double t_compute_1_us; /* >= 0 */
    double quant;          /* wave x warp efficiency, in (0, 1] */
    double measured_us;    /* > 0 */
    /* Last, so that positional initializers written before they existed
     * mean "no serial chain, CUDA cores": */
    double t_serial_us;    /* >= 0: cm_estimate.t_serial_us */
    cm_math math;          /* the group's math: cm_kind_math(kind, unit math); TC is refused for a DW */
} cm_cal_sample;

typedef struct cm_cal_fit {
    double launch_us;
    double bw_efficiency[CM_KIND_COUNT][CM_MATH_COUNT]; /* [kind][math], as cm_gpu */
    double compute_efficiency[CM_KIND_COUNT][CM_MATH_COUNT];
    bool fitted[CM_KIND_COUNT][CM_MATH_COUNT]; /* groups without samples keep the start values */
    int samples[CM_KIND_COUNT][CM_MATH_COUNT];
    double rms_log_error[CM_KIND_COUNT][CM_MATH_COUNT]; /* after the fit; NAN for groups without samples */
    double rms_log_error_all;
} cm_cal_fit;

/* Fits the model above to n samples and writes the result to *out.
 *
 * start (e.g. the spec being calibrated) gives the start values:
 * launch_overhead_us, bw_efficiency[][] and compute_efficiency[][] (its
 * other members are not read). They are the values kept for groups without
 * samples, and the tie-breaker where the samples do not pin a parameter: a
 * group whose samples all have t_dram_1 == t_l2_1 == 0 keeps its start e_bw
 * (likewise e_c with t_c_1 == 0), and where the start value of a fitted
 * group's efficiency (clamped into the box) fits the samples exactly as well
 * as the fitted one (e.g. every sample compute-bound, or bound by its serial
 * chain, for any e_bw in a range that holds the start), the fit returns the
 * start value. Elsewhere on such a flat stretch the value is arbitrary: the
 * samples cannot tell. Each start value must be finite and > 0; it is
 * clamped into the box above for the search (the DW TC slot is never read).
 *
 * Method: the model is a max (not smooth), so no gradients: a coarse
 * log-spaced grid over launch; at each launch point, per group, a log grid
 * over (e_bw, e_c) whose best point is refined by a pattern search in log
 * space whose directions include the diagonals (every kink of the max runs
 * along e_bw/e_c = const, i.e. the (1, 1) diagonal); then a golden-section
 * search of log launch around the best grid point, each group re-refined at
 * every launch value it tries. Given the launch overhead the groups are
 * independent, so each is fitted on its own samples only. About 0.3-0.5 s
 * for 5,000 samples at -O2 on a loaded 2-core machine
 * (tests/costmodel/test_calibrate.c prints it).
 *
 * Returns CM_CAL_OK; CM_CAL_ERR_INVALID with a message (naming the sample index and
 * field, e.g. "calibrate: samples[3].quant: 1.5 is not in (0, 1]") for
 * n == 0, a NULL pointer, a bad start value or a bad sample (negative or
 * non-finite times, measured <= 0, quant outside (0, 1], kind or math out of
 * range, a DW sample on tensor cores); CM_CAL_ERR_NOMEM when the temporary
 * arrays cannot be allocated. *out is written only on CM_CAL_OK. err may be
 * NULL. */
cm_cal_status cm_calibrate(const cm_cal_sample *s, size_t n, const cm_gpu *start, cm_cal_fit *out, char *err,
                           size_t err_len);

/* The two-parameter baseline the fit is judged against (docs/validation.md):
 * ONE launch overhead and ONE efficiency e shared by every (kind, math)
 * group and by bandwidth and compute alike, on the datasheet rates:
 *     t = max(launch + max(t_dram_1, t_l2_1 + t_c_1) / (e q), launch + t_serial)
 * i.e. the same formula (serial chain included: it has no free constant)
 * with e_bw[k][m] = e_c[k][m] = e, fitted the same way (least squares of
 * log time; e in [1e-3, 1], launch in [0.1, 20] us): a log grid over launch
 * and, at each point, over e, each refined by a golden-section search. If
 * the 23 free constants of the full fit do no better than these 2 held
 * out, the per-group constants fit noise. *out is a cm_cal_fit with every
 * group's efficiencies set to e (fitted[k][m] for groups with samples), so
 * cm_cal_predict applies it. Errors as cm_calibrate's. */
cm_cal_status cm_calibrate_uniform(const cm_cal_sample *s, size_t n, cm_cal_fit *out, char *err,
                                   size_t err_len);

/* The fitted model's predicted time (us) for one sample, the formula above
 * with f's constants of the sample's (kind, math). NAN for a sample kind or
 * math out of range, quant outside (0, 1], a negative or non-finite
 * t_serial or an efficiency <= 0 in f. */
double cm_cal_predict(const cm_cal_fit *f, const cm_cal_sample *s);
/* The same without the serial-chain floor (cm_time_us with f's constants):
 * the throughput time cm_tile_ranks_before breaks ties by. NAN as above. */
double cm_cal_predict_throughput(const cm_cal_fit *f, const cm_cal_sample *s);
/* The SM side with f's constants, (t_l2 + t_compute) / quantisation: the
 * second tie-break (cm_estimate_sm_side_us). NAN as above. */
double cm_cal_predict_sm_side(const cm_cal_fit *f, const cm_cal_sample *s);

#ifdef __cplusplus
}
#endif

#endif
