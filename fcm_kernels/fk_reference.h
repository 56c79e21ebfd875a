/* fk_reference.h - CPU reference of every op, in double precision (prefix
 * fk_ref_). Plain C11, no CUDA: activations are double arrays (so that a whole
 * model can be chained in double), weights and biases are the float arrays the
 * GPU uses. Layouts as in fk_kernels.h: NHWC activations, KRSC conv weights,
 * [units][C] dense weights. All functions are pure: they only write y. */
#ifndef FUSEPLAN_FK_REFERENCE_H
#define FUSEPLAN_FK_REFERENCE_H

#include <stddef.h>

#include "costmodel.h"
#include "fk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = act(conv(x, w) + b), any groups; b may be NULL. p must pass
 * fk_conv2d_check. */
void fk_ref_conv2d(const fk_conv2d *p, const double *x, const float *w, const float *b,
                   double *y);

/* Max / average pooling (average excludes padding, as the GPU op). */
void fk_ref_pool2d(const fk_pool2d *p, const double *x, double *y);

/* y[n][c] = mean of x[n][.][.][c]. */
void fk_ref_global_avg_pool(int n, int h, int w, int c, const double *x, double *y);

/* y[n][u] = act(sum_c x[n][c] w[u][c] + b[u]); b may be NULL. */
void fk_ref_dense(int n, int in_c, int units, cm_act act, const double *x, const float *w,
                  const float *b, double *y);

/* y = act(a + b); y may alias a or b. */
void fk_ref_add(size_t count, cm_act act, const double *a, const double *b, double *y);

/* y = act(x); y may alias x. */
void fk_ref_activation(size_t count, cm_act act, const double *x, double *y);

/* The conv2d descriptor of layer i of a unit (groups = channels for DW). */
fk_conv2d fk_ref_unit_layer(const cm_unit *u, int i);

/* A whole unit layer by layer: y = last layer's output (+ residual if
 * u->residual; residual may be NULL otherwise). Intermediates are allocated
 * here; returns FK_ERR_NOMEM if that fails, FK_ERR_INVALID for a bad unit. */
fk_status fk_ref_unit(const cm_unit *u, const double *x, const float *const w[CM_MAX_UNIT_LAYERS],
                      const float *const b[CM_MAX_UNIT_LAYERS], const double *residual, double *y);

/* Element count of the output / input of a unit (batch included). */
size_t fk_ref_unit_out_count(const cm_unit *u);
size_t fk_ref_unit_in_count(const cm_unit *u);

/* Error statistics of out (GPU, float) against ref (double): max |out-ref|,
 * ||out-ref||_2 / ||ref||_2, and how many entries of out are NaN/Inf (an
 * unwritten poisoned output counts here). */
typedef struct fk_err_stats {
    double max_abs;
    double rel_l2;
    size_t non_finite;
} fk_err_stats;
fk_err_stats fk_ref_compare(const float *out, const double *ref, size_t count);

#ifdef __cplusplus
}
#endif

#endif
