/* fk_reference.c - double-precision CPU reference ops. */
#include "fk_reference.h"

#include <math.h>
#include <stdlib.h>

static double act_d(double v, cm_act a) {
    if (a == CM_ACT_RELU) return v > 0.0 ? v : 0.0;
    if (a == CM_ACT_RELU6) return v > 0.0 ? (v < 6.0 ? v : 6.0) : 0.0;
    return v;
}

void fk_ref_conv2d(const fk_conv2d *p, const double *x, const float *w, const float *b,
                   double *y) {
    const int cig = p->in_c / p->groups, cog = p->out_c / p->groups;
    for (int n = 0; n < p->n; n++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int f = 0; f < p->out_c; f++) {
                    const int g = f / cog;
                    double acc = b ? (double)b[f] : 0.0;
                    for (int ky = 0; ky < p->kh; ky++) {
                        const int iy = oy * p->sh - p->pad_top + ky;
                        if (iy < 0 || iy >= p->in_h) continue;
                        for (int kx = 0; kx < p->kw; kx++) {
                            const int ix = ox * p->sw - p->pad_left + kx;
                            if (ix < 0 || ix >= p->in_w) continue;
                            const double *xp =
                                x + (((size_t)n * p->in_h + iy) * p->in_w + ix) * p->in_c +
                                (size_t)g * cig;
                            const float *wp = w + (((size_t)f * p->kh + ky) * p->kw + kx) * cig;
                            for (int c = 0; c < cig; c++) acc += xp[c] * (double)wp[c];
                        }
                    }
                    y[(((size_t)n * p->out_h + oy) * p->out_w + ox) * p->out_c + f] =
                        act_d(acc, p->act);
                }
}

void fk_ref_pool2d(const fk_pool2d *p, const double *x, double *y) {
    for (int n = 0; n < p->n; n++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int c = 0; c < p->c; c++) {
                    double acc = p->kind == FK_POOL_MAX ? -INFINITY : 0.0;
                    int cnt = 0;
                    for (int ky = 0; ky < p->kh; ky++) {
                        const int iy = oy * p->sh - p->pad_top + ky;
                        if (iy < 0 || iy >= p->in_h) continue;
                        for (int kx = 0; kx < p->kw; kx++) {
                            const int ix = ox * p->sw - p->pad_left + kx;
                            if (ix < 0 || ix >= p->in_w) continue;
                            const double v =
                                x[(((size_t)n * p->in_h + iy) * p->in_w + ix) * p->c + c];
                            if (p->kind == FK_POOL_MAX)
                                acc = v > acc ? v : acc;
                            else
                                acc += v;
                            cnt++;
                        }
                    }
                    if (p->kind == FK_POOL_AVG) acc = cnt ? acc / cnt : 0.0;
                    y[(((size_t)n * p->out_h + oy) * p->out_w + ox) * p->c + c] = acc;
                }
}

void fk_ref_global_avg_pool(int n, int h, int w, int c, const double *x, double *y) {
    const size_t hw = (size_t)h * w;
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            double acc = 0.0;
            for (size_t j = 0; j < hw; j++) acc += x[((size_t)i * hw + j) * c + ch];
            y[(size_t)i * c + ch] = acc / (double)hw;
        }
}

void fk_ref_dense(int n, int in_c, int units, cm_act act, const double *x, const float *w,
                  const float *b, double *y) {
    for (int i = 0; i < n; i++)
        for (int u = 0; u < units; u++) {
            double acc = b ? (double)b[u] : 0.0;
            for (int c = 0; c < in_c; c++)
                acc += x[(size_t)i * in_c + c] * (double)w[(size_t)u * in_c + c];
            y[(size_t)i * units + u] = act_d(acc, act);
        }
}

void fk_ref_add(size_t count, cm_act act, const double *a, const double *b, double *y) {
    for (size_t i = 0; i < count; i++) y[i] = act_d(a[i] + b[i], act);
}

void fk_ref_activation(size_t count, cm_act act, const double *x, double *y) {
    for (size_t i = 0; i < count; i++) y[i] = act_d(x[i], act);
}

fk_conv2d fk_ref_unit_layer(const cm_unit *u, int i) {
    const cm_conv *l = &u->layers[i];
    fk_conv2d p;
    p.n = u->batch;
    p.in_h = l->in_h;
    p.in_w = l->in_w;
    p.in_c = l->in_c;
    p.out_h = l->out_h;
    p.out_w = l->out_w;
    p.out_c = l->out_c;
    p.kh = p.kw = l->kernel;
    p.sh = p.sw = l->stride;
    p.pad_top = l->pad_top;
    p.pad_left = l->pad_left;
    p.groups = l->kernel > 1 ? l->in_c : 1; /* DW layers are the ones with K > 1 */
    p.act = l->act;
    return p;
}

static size_t conv_out_count(const fk_conv2d *p) {
    return (size_t)p->n * p->out_h * p->out_w * p->out_c;
}

size_t fk_ref_unit_out_count(const cm_unit *u) {
    fk_conv2d p = fk_ref_unit_layer(u, cm_kind_layers(u->kind) - 1);
    return conv_out_count(&p);
}

size_t fk_ref_unit_in_count(const cm_unit *u) {
    const cm_conv *l = &u->layers[0];
    return (size_t)u->batch * l->in_h * l->in_w * l->in_c;
}

fk_status fk_ref_unit(const cm_unit *u, const double *x, const float *const w[CM_MAX_UNIT_LAYERS],
                      const float *const b[CM_MAX_UNIT_LAYERS], const double *residual,
                      double *y) {
    if (!u || !x || !y || cm_unit_check(u, NULL, 0) != CM_OK) return FK_ERR_INVALID;
    const int nl = cm_kind_layers(u->kind);
    double *tmp[2] = {NULL, NULL};
    const double *in = x;
    fk_status st = FK_OK;
    for (int i = 0; i < nl; i++) {
        fk_conv2d p = fk_ref_unit_layer(u, i);
        double *out = y;
        if (i < nl - 1) {
            tmp[i & 1] = malloc(conv_out_count(&p) * sizeof(double));
            if (!tmp[i & 1]) {
                st = FK_ERR_NOMEM;
                break;
            }
            out = tmp[i & 1];
        }
        fk_ref_conv2d(&p, in, w[i], b[i], out);
        if (i > 0) {
            free(tmp[(i - 1) & 1]);
            tmp[(i - 1) & 1] = NULL;
        }
        in = out;
    }
    free(tmp[0]);
    free(tmp[1]);
    if (st == FK_OK && u->residual) {
        if (!residual) return FK_ERR_INVALID;
        size_t n = fk_ref_unit_out_count(u);
        for (size_t i = 0; i < n; i++) y[i] += residual[i];
    }
    return st;
}

fk_err_stats fk_ref_compare(const float *out, const double *ref, size_t count) {
    fk_err_stats s = {0.0, 0.0, 0};
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < count; i++) {
        const double o = out[i];
        if (!isfinite(o)) {
            s.non_finite++;
            continue;
        }
        const double d = fabs(o - ref[i]);
        if (d > s.max_abs) s.max_abs = d;
        num += d * d;
        den += ref[i] * ref[i];
    }
    s.rel_l2 = den > 0.0 ? sqrt(num / den) : sqrt(num);
    return s;
}
