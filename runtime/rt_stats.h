/* rt_stats.h - the arithmetic behind `fuseplan validate`: error
 * statistics, rank agreement and regret of the cost model against measured
 * GPU times, and the calibration fit of the model's launch overhead and
 * per-kind efficiencies. Pure C11 + libm (no CUDA): built everywhere, tested
 * on the CPU.
 *
 * NaN conventions: a statistic that has nothing to work on returns NAN (never
 * 0, which would read as "perfect"); inputs that are NaN are skipped where a
 * function says so, so that one failed measurement does not poison a summary.
 * No function here allocates memory the caller must free; rt_vm_median and
 * rt_vm_calibrate use temporary heap memory of their own. */
#ifndef FUSEPLAN_FK_VALIDATE_MATH_H
#define FUSEPLAN_FK_VALIDATE_MATH_H

#include <stdbool.h>
#include <stddef.h>

#include "costmodel.h"
#include "fk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Relative error of an estimate, (estimated - measured) / measured: the
 * model's signed over-estimate as a fraction of the truth. NAN when measured
 * <= 0 or either argument is not finite. */
double rt_vm_rel_error(double estimated, double measured);

/* Median of the n values of v (mean of the two middle ones for an even
 * count), the robust centre of a set of errors. v is read only; NaN values
 * are skipped, infinities count. NAN when no value is left (or n == 0, or a
 * temporary copy cannot be allocated). */
double rt_vm_median(const double *v, size_t n);

/* Largest |v[i]| over the finite values: the worst error. NaN and infinite
 * values are skipped; NAN when none is finite. */
double rt_vm_max_abs(const double *v, size_t n);

/* How many finite v[i] have |v[i]| <= tol (the share of estimates within a
 * tolerance, e.g. 0.25 for "within 25%"). *finite, when finite is not NULL,
 * receives how many v[i] are finite (the denominator of that share). A NaN
 * tol counts nothing. */
size_t rt_vm_count_within(const double *v, size_t n, double tol, size_t *finite);

/* Kendall's tau-b between x and y: how well the model ranks candidates the
 * way the GPU does (1 same order, -1 reversed), with ties in either series
 * corrected the tau-b way, (nc - nd) / sqrt((n0 - n1) (n0 - n2)). Pairs
 * (x[i], y[i]) with a NaN in either are skipped. NAN when fewer than 2 pairs
 * are left or when x or y is constant over them. O(n^2): meant for the few
 * dozen candidates of one unit. */
double rt_vm_kendall_tau_b(const double *x, const double *y, size_t n);

/* Regret of choosing candidate `chosen` among n measured times:
 * t[chosen] / min(t) - 1, what the model's pick costs relative to the best
 * measured one (0 when the chosen one is the fastest). NAN when chosen >= n
 * or any t[i] is <= 0 or not finite. */
double rt_vm_regret(const double *t, size_t n, size_t chosen);

/* The least total time over the segmentations of a chain of len layers into
 * segments of 1..max_seg layers: seg_us[j * max_seg + (n - 1)] is the
 * (measured) time of the segment of n layers starting at layer j, NAN where
 * that segment is not a candidate. A dynamic program, O(len * max_seg): the
 * best plan measurement allows, to judge the planner's segmentation against.
 * INFINITY when no segmentation covers the chain; NAN for len < 1 or
 * max_seg < 1. */
double rt_vm_chain_best(const double *seg_us, int len, int max_seg);

/* Calibration: the cost model's time for a kernel of kind k is
 *     t = launch + max(t_dram_1 / e_bw[k], t_l2_1 / e_bw[k] + t_c_1 / e_c[k]) / q
 * (costmodel.c, "Time"), where t_dram_1, t_l2_1 and t_c_1 are the DRAM, L2
 * and compute times at efficiency 1 (datasheet rates), q = wave_efficiency * warp_efficiency in (0, 1]. The fit
 * chooses ONE launch overhead for all kernels and (e_bw, e_c) per kind, each
 * efficiency in [1e-3, 1], launch in [0.1, 20] us, minimising the sum over
 * samples of (log t_pred - log t_measured)^2: relative errors, so that a
 * 2 us kernel counts as much as a 2 ms one. */
typedef struct rt_vm_sample {
    cm_kind kind;
    double t_dram_1_us;    /* >= 0 */
    double t_l2_1_us;      /* >= 0 */
    double t_compute_1_us; /* >= 0 */
    double quant;          /* wave x warp efficiency, in (0, 1] */
    double measured_us;    /* > 0 */
} rt_vm_sample;

typedef struct rt_vm_fit {
    double launch_us;
    double bw_efficiency[CM_KIND_COUNT];
    double compute_efficiency[CM_KIND_COUNT];
    bool fitted[CM_KIND_COUNT]; /* kinds without samples keep the start values */
    int samples[CM_KIND_COUNT];
    double rms_log_error[CM_KIND_COUNT]; /* after the fit; NAN for kinds without samples */
    double rms_log_error_all;
} rt_vm_fit;

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
 * (tests/kernels/test_validate_math.c prints it).
 *
 * Returns FK_OK; FK_ERR_INVALID with a message (naming the sample index and
 * field, e.g. "calibrate: samples[3].quant: 1.5 is not in (0, 1]") for
 * n == 0, a NULL pointer, a bad start value or a bad sample (negative or
 * non-finite times, measured <= 0, quant outside (0, 1], kind out of range);
 * FK_ERR_NOMEM when the temporary arrays cannot be allocated. *out is written
 * only on FK_OK. err may be NULL. */
fk_status rt_vm_calibrate(const rt_vm_sample *s, size_t n, double start_launch_us,
                          const double start_bw[CM_KIND_COUNT], const double start_c[CM_KIND_COUNT],
                          rt_vm_fit *out, char *err, size_t err_len);

/* The fitted model's predicted time (us) for one sample, the formula above
 * with f's constants. NAN for a sample kind out of range, quant outside
 * (0, 1] or an efficiency <= 0 in f. */
double rt_vm_predict(const rt_vm_fit *f, const rt_vm_sample *s);

#ifdef __cplusplus
}
#endif

#endif
