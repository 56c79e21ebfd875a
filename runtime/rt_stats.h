/* rt_stats.h - the statistics behind `fuseplan validate`: errors, rank
 * agreement, regret and the best chain segmentation of the cost model against
 * measured GPU times. Pure C11 + libm (no CUDA): built everywhere, tested on
 * the CPU (tests/runtime/test_stats.c). The calibration fit lives beside the
 * formula it fits, in costmodel/cm_calibrate.h.
 *
 * NaN conventions: a statistic that has nothing to work on returns NAN (never
 * 0, which would read as "perfect"); inputs that are NaN are skipped where a
 * function says so, so that one failed measurement does not poison a summary.
 * No function here allocates memory the caller must free; rt_vm_median and
 * rt_vm_chain_best use temporary heap memory of their own. */
#ifndef FUSEPLAN_RT_STATS_H
#define FUSEPLAN_RT_STATS_H

#include <stdbool.h>
#include <stddef.h>


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

/* Like rt_vm_chain_best, and writes the segmentation it found: seg_len[j]
 * is the length of the segment starting at layer j when one starts there,
 * 0 inside a segment (seg_len has len entries; the caller's). Ties go to
 * the longer first segment, scanning n = max_seg..1 (as the planner's DP).
 * INFINITY (seg_len all 0) when no segmentation covers the chain; NAN for
 * len < 1, max_seg < 1 or a NULL argument. */
double rt_vm_chain_plan(const double *seg_us, int len, int max_seg, int *seg_len);

/* Cohen's kappa of two yes/no raters over the same items: n_yy both yes,
 * n_yn the first yes and the second no, n_ny, n_nn likewise. (p_o - p_e) /
 * (1 - p_e) with p_o the observed agreement and p_e the agreement expected
 * by chance from each rater's own yes rate: 1 perfect, 0 no better than a
 * rater that answers at random with the same rates (a constant rater, e.g.
 * "never fuse", scores 0 whatever its agreement). NAN for no items or when
 * p_e == 1 (both raters constant and equal: kappa is undefined). */
double rt_vm_kappa(long n_yy, long n_yn, long n_ny, long n_nn);


#ifdef __cplusplus
}
#endif

#endif
