/* rt_cudnn.c - the runtime's cuDNN reference and baseline, on top of the
 * per-convolution wrapper in rt_dnn.h, in the buffers' element type and the
 * plan's math: fp32 strict (CUDNN_FMA_MATH, no tensor-op math), fp32 TF32,
 * fp16 / bf16 with FP32 compute and tensor-op math; the best algorithm by
 * cudnnFindConvolutionForwardAlgorithmEx in each case. */
#include "rt_cudnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_error.h"
#include "rt_timing.h"

#ifdef FUSEPLAN_HAVE_CUDNN
#include "rt_dnn.h"

/* Workspace cap per convolution for the algorithm search: every algorithm of
 * the shipped models at batch 64 needs far less. */
#define RT_CUDNN_WORKSPACE ((size_t)256 << 20)

typedef struct conv_state {
    fk_conv2d p;                 /* the model's exact convolution */
    int in_t, out_t;             /* model tensor indices */
    rt_dnn_conv *ref;          /* exact padding (padded copy if asymmetric), NHWC */
    rt_dnn_conv *time_nhwc;    /* symmetric-padding twin for timing (== ref if symmetric) */
    rt_dnn_conv *time_nchw;    /* the same in NCHW, or NULL */
    bool nchw_faster;            /* set by rt_cudnn_time_layer */
    bool direct;                 /* cuDNN has no algorithm in this type: fk_conv2d_direct */
    const float *bias_src;       /* the fp32 bias the buffers had at creation */
    void *bias_elem;             /* it in the element type (16-bit types; owned), else bias_src */
    bool ours_ok;                /* fk_conv2d_tiled runs this conv ... */
    char ours_why[160];          /* ... else why not */
    rt_conv_by by;               /* who runs it in plans (rt_cudnn_conv_plan) */
    double ours_us, cudnn_us;    /* rt_cudnn_choose_conv's medians, -1 before */
} conv_state;

struct rt_cudnn {
    rt_dnn *h;
    cm_dtype dtype;
    cm_math math;
    int n_layers;
    conv_state *L;               /* NULL ref for layers that are not conv2d */
    void *nchw_x, *nchw_y, *nchw_w;   /* scratch for NCHW timing */
    size_t nchw_x_count, nchw_y_count, nchw_w_count;
    int n_direct, first_direct;
};

bool rt_cudnn_available(void) { return true; }
int rt_cudnn_version(void) { return (int)rt_dnn_version(); }

/* The same convolution with symmetric padding max(top, bottom) and max(left,
 * right): cuDNN's own padding, the same output size and work. This is what a
 * framework with symmetric "same" padding (PyTorch) runs, so the baseline does
 * not pay for the padded copy that exact TF-style padding needs. */
static fk_conv2d symmetric_twin(const fk_conv2d *p) {
    fk_conv2d q = *p;
    int pb = (p->out_h - 1) * p->sh + p->kh - p->in_h - p->pad_top;
    int pr = (p->out_w - 1) * p->sw + p->kw - p->in_w - p->pad_left;
    if (pb > q.pad_top) q.pad_top = pb;
    if (pr > q.pad_left) q.pad_left = pr;
    return q;
}

/* The layer's three cuDNN convolutions. For a 16-bit type whose exact
 * convolution cuDNN cannot run (no algorithm), the layer falls back to the
 * direct kernel (c->direct) and the caller counts it; a timing twin cuDNN
 * cannot run in a 16-bit type is left out (NHWC timing then uses the exact
 * convolution, NCHW is not timed). */
static fk_status prepare_conv(rt_cudnn *d, const fk_conv2d *p, bool with_nchw, conv_state *c,
                              char *err, size_t err_len) {
    const bool wide = d->dtype == CM_F32; /* fp32: every failure is an error, as before */
    fk_conv2d q = symmetric_twin(p);
    bool asym = q.pad_top != p->pad_top || q.pad_left != p->pad_left;
    fk_status st = rt_dnn_conv_create_typed(d->h, p, d->dtype, d->math, RT_LAYOUT_NHWC,
                                            RT_CUDNN_WORKSPACE, &c->ref, err, err_len);
    if (st == FK_ERR_CUDNN && !wide) {
        c->direct = true;
        return FK_OK;
    }
    if (st == FK_OK && asym) {
        st = rt_dnn_conv_create_typed(d->h, &q, d->dtype, d->math, RT_LAYOUT_NHWC,
                                      RT_CUDNN_WORKSPACE, &c->time_nhwc, err, err_len);
        if (st == FK_ERR_CUDNN && !wide) st = FK_OK;
    }
    if (st == FK_OK && with_nchw) {
        st = rt_dnn_conv_create_typed(d->h, &q, d->dtype, d->math, RT_LAYOUT_NCHW,
                                      RT_CUDNN_WORKSPACE, &c->time_nchw, err, err_len);
        if (st == FK_ERR_CUDNN && !wide) st = FK_OK;
    }
    return st;
}

fk_status rt_cudnn_create(const fp_model *m, const rt_buffers *b, cm_math math, bool with_nchw,
                          rt_cudnn **out, char *err, size_t err_len) {
    *out = NULL;
    rt_cudnn *d = calloc(1, sizeof *d);
    if (!d) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    d->dtype = b->dtype;
    d->math = math;
    d->first_direct = -1;
    d->n_layers = m->n_layers;
    d->L = calloc((size_t)m->n_layers, sizeof *d->L);
    fk_status st = d->L ? rt_dnn_create(&d->h, err, err_len)
                        : fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    const size_t eb = (size_t)cm_dtype_bytes(b->dtype);
    for (int i = 0; i < m->n_layers && st == FK_OK; i++) {
        const fp_layer *l = &m->layers[i];
        if (l->op != FP_OP_CONV2D) continue;
        fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
        conv_state *c = &d->L[i];
        fk_conv2d p = {b->batch, is.h, is.w, is.c, os.h, os.w, os.c, l->kernel_h, l->kernel_w,
                       l->stride_h, l->stride_w, l->pad_top, l->pad_left, l->groups, l->act};
        c->p = p;
        c->in_t = l->inputs[0];
        c->out_t = l->output;
        /* whether our tiled convolution could run it in plans (host only) */
        c->ours_ok = fk_conv2d_tiled_supported(&p, b->dtype, c->ours_why, sizeof c->ours_why) ==
                     FK_OK;
        if (c->ours_ok) c->ours_why[0] = '\0';
        c->by = RT_CONV_BY_CUDNN;
        c->ours_us = c->cudnn_us = -1;
        st = prepare_conv(d, &p, with_nchw, c, err, err_len);
        if (st == FK_OK && c->direct && d->n_direct++ == 0) d->first_direct = i;
        /* the fused cuDNN call needs the bias in the element type */
        c->bias_src = b->bias[i];
        c->bias_elem = b->bias[i];
        if (st == FK_OK && b->dtype != CM_F32 && b->bias[i]) {
            c->bias_elem = NULL;
            cudaError_t e = cudaMalloc(&c->bias_elem, (size_t)p.out_c * eb);
            if (e != cudaSuccess) {
                c->bias_elem = NULL;
                st = fk_cuda_fail(e, "cudaMalloc(converted bias)", __FILE__, __LINE__, err, err_len);
            } else {
                st = fk_convert(b->bias[i], CM_F32, c->bias_elem, b->dtype, (size_t)p.out_c, 0, err,
                                err_len);
            }
        }
        if (st != FK_OK) {
            char inner[512];
            snprintf(inner, sizeof inner, "%s", err);
            fk_fail(st, err, err_len, "cuDNN for layer %s (%s): %s", l->name,
                    cm_dtype_name(b->dtype), inner);
            break;
        }
        size_t xc = (size_t)b->batch * is.h * is.w * is.c, yc = (size_t)b->batch * os.h * os.w * os.c;
        size_t wc = (size_t)l->filters * l->kernel_h * l->kernel_w * (size_t)(is.c / l->groups);
        if (xc > d->nchw_x_count) d->nchw_x_count = xc;
        if (yc > d->nchw_y_count) d->nchw_y_count = yc;
        if (wc > d->nchw_w_count) d->nchw_w_count = wc;
    }
    if (st == FK_OK && with_nchw) {
        cudaError_t e = cudaMalloc(&d->nchw_x, d->nchw_x_count * eb);
        if (e == cudaSuccess) e = cudaMalloc(&d->nchw_y, d->nchw_y_count * eb);
        if (e == cudaSuccess) e = cudaMalloc(&d->nchw_w, d->nchw_w_count * eb);
        if (e != cudaSuccess)
            st = fk_cuda_fail(e, "cudaMalloc(NCHW timing buffers)", __FILE__, __LINE__, err, err_len);
    }
    if (st == FK_OK) { /* the bias conversions ran on the legacy stream */
        cudaError_t ce = cudaDeviceSynchronize();
        if (ce != cudaSuccess)
            st = fk_cuda_fail(ce, "cudaDeviceSynchronize", __FILE__, __LINE__, err, err_len);
    }
    if (st != FK_OK) {
        rt_cudnn_destroy(d);
        return st;
    }
    *out = d;
    return FK_OK;
}

void rt_cudnn_destroy(rt_cudnn *d) {
    if (!d) return;
    for (int i = 0; d->L && i < d->n_layers; i++) {
        rt_dnn_conv_destroy(d->L[i].ref);
        rt_dnn_conv_destroy(d->L[i].time_nhwc);
        rt_dnn_conv_destroy(d->L[i].time_nchw);
        if (d->L[i].bias_elem != d->L[i].bias_src) cudaFree(d->L[i].bias_elem);
    }
    free(d->L);
    cudaFree(d->nchw_x);
    cudaFree(d->nchw_y);
    cudaFree(d->nchw_w);
    rt_dnn_destroy(d->h);
    free(d);
}

int rt_cudnn_direct_layers(const rt_cudnn *d, int *first) {
    if (first) *first = d ? d->first_direct : -1;
    return d ? d->n_direct : 0;
}

static bool is_conv(const rt_cudnn *d, int layer) {
    return d && layer >= 0 && layer < d->n_layers && (d->L[layer].ref || d->L[layer].direct);
}

/* The bias in the element type for the fused call: fp32 the bias itself; a
 * 16-bit type the converted copy, only for the bias the buffers had (another
 * takes the two-step path with the fp32 bias). */
static const void *bias_elem_of(const rt_cudnn *d, const conv_state *c, const float *bias) {
    if (d->dtype == CM_F32) return bias;
    return bias && bias == c->bias_src ? c->bias_elem : NULL;
}

static fk_status run_direct(const rt_cudnn *d, const conv_state *c, const void *x, const void *w,
                            const float *bias, void *y, cudaStream_t s, char *err, size_t err_len) {
    return fk_conv2d_direct(&c->p, d->dtype, x, w, bias, y, s, err, err_len);
}

fk_status rt_cudnn_conv(rt_cudnn *d, int layer, const void *x, const void *w,
                           const float *bias, void *y, cudaStream_t s, char *err, size_t err_len) {
    if (!is_conv(d, layer))
        return fk_fail(FK_ERR_INVALID, err, err_len, "layer %d is not a prepared conv", layer);
    const conv_state *c = &d->L[layer];
    if (c->direct) return run_direct(d, c, x, w, bias, y, s, err, err_len);
    return rt_dnn_conv_forward_ex(c->ref, x, w, bias, bias_elem_of(d, c, bias), y, s, err, err_len);
}

typedef struct layer_job {
    const rt_cudnn *d;
    const conv_state *cs;      /* direct layers */
    rt_dnn_conv *c;            /* NULL: direct */
    const void *x, *w;
    const float *bias;
    const void *bias_elem;
    void *y;
} layer_job;

static fk_status run_job(void *arg, cudaStream_t s, char *err, size_t err_len) {
    layer_job *j = arg;
    if (!j->c) return run_direct(j->d, j->cs, j->x, j->w, j->bias, j->y, s, err, err_len);
    return rt_dnn_conv_forward_ex(j->c, j->x, j->w, j->bias, j->bias_elem, j->y, s, err, err_len);
}

static const char *algo_of(const rt_dnn_conv *c) {
    if (!c) return "direct";
    rt_dnn_conv_info info;
    rt_dnn_conv_get_info(c, &info);
    return info.algo_name;
}

fk_status rt_cudnn_time_layer(rt_cudnn *d, int layer, const rt_buffers *b, int iters,
                                 cudaStream_t s, rt_cudnn_timing *t, char *err, size_t err_len) {
    t->nhwc_us = t->nchw_us = -1;
    t->nhwc_algo = t->nchw_algo = NULL;
    if (!is_conv(d, layer))
        return fk_fail(FK_ERR_INVALID, err, err_len, "layer %d is not a conv", layer);
    conv_state *c = &d->L[layer];
    rt_dnn_conv *nhwc = c->time_nhwc ? c->time_nhwc : c->ref;
    const float *bias = b->bias[layer];
    layer_job j = {d, c, nhwc, b->tensor[c->in_t], b->weight[layer], bias, bias_elem_of(d, c, bias),
                   b->tensor[c->out_t]};
    rt_time_stats ts;
    fk_status st = rt_time_job(run_job, &j, 3, iters, s, &ts, err, err_len);
    if (st != FK_OK) return st;
    t->nhwc_us = ts.median_us;
    t->nhwc_algo = algo_of(nhwc);
    if (c->time_nchw) {
        const fk_conv2d *p = &c->p;
        if ((st = fk_nhwc_to_nchw_dt(d->dtype, b->tensor[c->in_t], d->nchw_x, p->n, p->in_h,
                                     p->in_w, p->in_c, s, err, err_len)) != FK_OK ||
            (st = fk_krsc_to_kcrs_dt(d->dtype, b->weight[layer], d->nchw_w, p->out_c, p->kh, p->kw,
                                     p->in_c / p->groups, s, err, err_len)) != FK_OK)
            return st;
        layer_job k = {d, c, c->time_nchw, d->nchw_x, d->nchw_w, bias, bias_elem_of(d, c, bias),
                       d->nchw_y};
        if ((st = rt_time_job(run_job, &k, 3, iters, s, &ts, err, err_len)) != FK_OK) return st;
        t->nchw_us = ts.median_us;
        t->nchw_algo = algo_of(c->time_nchw);
    }
    c->nchw_faster = t->nchw_us > 0 && t->nchw_us < t->nhwc_us;
    return FK_OK;
}

/* Our tiled convolution of a layer, as an rt_job_fn. */
typedef struct ours_job {
    const conv_state *c;
    cm_dtype dtype;
    const void *x, *w;
    const float *bias;
    void *y;
} ours_job;

static fk_status run_ours(void *arg, cudaStream_t s, char *err, size_t err_len) {
    const ours_job *j = arg;
    return fk_conv2d_tiled(&j->c->p, j->dtype, j->x, j->w, j->bias, j->y, s, err, err_len);
}

fk_status rt_cudnn_conv_choice(const rt_cudnn *d, int layer, rt_conv_choice *choice) {
    memset(choice, 0, sizeof *choice);
    choice->ours_us = choice->cudnn_us = -1;
    if (!is_conv(d, layer)) return FK_ERR_INVALID;
    const conv_state *c = &d->L[layer];
    choice->by = c->by;
    choice->supported = c->ours_ok;
    choice->ours_name = fk_conv2d_tiled_name(&c->p, d->dtype);
    choice->measured = c->ours_us >= 0 && c->cudnn_us >= 0;
    choice->ours_us = c->ours_us;
    choice->cudnn_us = c->cudnn_us;
    snprintf(choice->why, sizeof choice->why, "%s", c->ours_why);
    return FK_OK;
}

fk_status rt_cudnn_choose_conv(rt_cudnn *d, int layer, const rt_buffers *in, rt_buffers *out,
                               int iters, cudaStream_t s, rt_conv_choice *choice, char *err,
                               size_t err_len) {
    if (!is_conv(d, layer))
        return fk_fail(FK_ERR_INVALID, err, err_len, "rt_cudnn_choose_conv: layer %d is not a "
                       "prepared convolution", layer);
    conv_state *c = &d->L[layer];
    if (c->ours_ok) {
        const float *bias = in->bias[layer];
        const void *x = in->tensor[c->in_t], *w = in->weight[layer];
        void *y = out->tensor[c->out_t];
        /* cuDNN as the plan would run it: the exact convolution (rt_cudnn_conv) */
        layer_job dj = {d, c, c->direct ? NULL : c->ref, x, w, bias, bias_elem_of(d, c, bias), y};
        ours_job oj = {c, d->dtype, x, w, bias, y};
        rt_time_stats td, to;
        fk_status st = rt_time_job(run_job, &dj, 3, iters, s, &td, err, err_len);
        if (st == FK_OK) st = rt_time_job(run_ours, &oj, 3, iters, s, &to, err, err_len);
        if (st != FK_OK) return st;
        c->cudnn_us = td.median_us;
        c->ours_us = to.median_us;
        c->by = c->ours_us < c->cudnn_us ? RT_CONV_BY_OURS : RT_CONV_BY_CUDNN;
    }
    return rt_cudnn_conv_choice(d, layer, choice);
}

fk_status rt_cudnn_set_conv_by(rt_cudnn *d, int layer, rt_conv_by by, char *err, size_t err_len) {
    if (!is_conv(d, layer))
        return fk_fail(FK_ERR_INVALID, err, err_len, "rt_cudnn_set_conv_by: layer %d is not a "
                       "prepared convolution", layer);
    conv_state *c = &d->L[layer];
    if (by == RT_CONV_BY_OURS && !c->ours_ok)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "our tiled convolution does not run "
                       "layer %d: %s", layer, c->ours_why);
    c->by = by;
    return FK_OK;
}

fk_status rt_cudnn_conv_plan(rt_cudnn *d, int layer, const void *x, const void *w,
                             const float *bias, void *y, cudaStream_t s, char *err, size_t err_len) {
    if (!is_conv(d, layer))
        return fk_fail(FK_ERR_INVALID, err, err_len, "layer %d is not a prepared conv", layer);
    const conv_state *c = &d->L[layer];
    if (c->by == RT_CONV_BY_OURS)
        return fk_conv2d_tiled(&c->p, d->dtype, x, w, bias, y, s, err, err_len);
    return rt_cudnn_conv(d, layer, x, w, bias, y, s, err, err_len);
}

fk_status rt_cudnn_conv_fastest(rt_cudnn *d, int layer, const rt_buffers *b, cudaStream_t s,
                                char *err, size_t err_len) {
    if (!is_conv(d, layer))
        return fk_fail(FK_ERR_INVALID, err, err_len, "rt_cudnn_conv_fastest: layer %d is not a "
                       "prepared convolution", layer);
    conv_state *c = &d->L[layer];
    const float *bias = b->bias[layer];
    if (c->direct)
        return run_direct(d, c, b->tensor[c->in_t], b->weight[layer], bias, b->tensor[c->out_t], s,
                          err, err_len);
    if (c->nchw_faster)
        return rt_dnn_conv_forward_ex(c->time_nchw, d->nchw_x, d->nchw_w, bias,
                                      bias_elem_of(d, c, bias), d->nchw_y, s, err, err_len);
    return rt_dnn_conv_forward_ex(c->time_nhwc ? c->time_nhwc : c->ref, b->tensor[c->in_t],
                                  b->weight[layer], bias, bias_elem_of(d, c, bias),
                                  b->tensor[c->out_t], s, err, err_len);
}

#else /* built without cuDNN */

bool rt_cudnn_available(void) { return false; }
int rt_cudnn_version(void) { return 0; }

static fk_status no_cudnn(char *err, size_t err_len) {
    return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "fuseplan was built without cuDNN "
                   "(-Dcudnn=disabled or not found): no reference execution or baseline");
}
fk_status rt_cudnn_create(const fp_model *m, const rt_buffers *b, cm_math math, bool with_nchw,
                          rt_cudnn **out, char *err, size_t err_len) {
    (void)m, (void)b, (void)math, (void)with_nchw;
    *out = NULL;
    return no_cudnn(err, err_len);
}
void rt_cudnn_destroy(rt_cudnn *d) { (void)d; }
int rt_cudnn_direct_layers(const rt_cudnn *d, int *first) {
    (void)d;
    if (first) *first = -1;
    return 0;
}
fk_status rt_cudnn_conv(rt_cudnn *d, int layer, const void *x, const void *w,
                           const float *bias, void *y, cudaStream_t s, char *err, size_t err_len) {
    (void)d, (void)layer, (void)x, (void)w, (void)bias, (void)y, (void)s;
    return no_cudnn(err, err_len);
}
fk_status rt_cudnn_time_layer(rt_cudnn *d, int layer, const rt_buffers *b, int iters,
                                 cudaStream_t s, rt_cudnn_timing *t, char *err, size_t err_len) {
    (void)d, (void)layer, (void)b, (void)iters, (void)s, (void)t;
    return no_cudnn(err, err_len);
}
fk_status rt_cudnn_conv_fastest(rt_cudnn *d, int layer, const rt_buffers *b, cudaStream_t s,
                                char *err, size_t err_len) {
    (void)d, (void)layer, (void)b, (void)s;
    return no_cudnn(err, err_len);
}
fk_status rt_cudnn_choose_conv(rt_cudnn *d, int layer, const rt_buffers *in, rt_buffers *out,
                               int iters, cudaStream_t s, rt_conv_choice *choice, char *err,
                               size_t err_len) {
    (void)d, (void)layer, (void)in, (void)out, (void)iters, (void)s;
    memset(choice, 0, sizeof *choice);
    return no_cudnn(err, err_len);
}
fk_status rt_cudnn_set_conv_by(rt_cudnn *d, int layer, rt_conv_by by, char *err, size_t err_len) {
    (void)d, (void)layer, (void)by;
    return no_cudnn(err, err_len);
}
fk_status rt_cudnn_conv_choice(const rt_cudnn *d, int layer, rt_conv_choice *choice) {
    (void)d, (void)layer;
    memset(choice, 0, sizeof *choice);
    return FK_ERR_UNSUPPORTED;
}
fk_status rt_cudnn_conv_plan(rt_cudnn *d, int layer, const void *x, const void *w,
                             const float *bias, void *y, cudaStream_t s, char *err, size_t err_len) {
    (void)d, (void)layer, (void)x, (void)w, (void)bias, (void)y, (void)s;
    return no_cudnn(err, err_len);
}
#endif
