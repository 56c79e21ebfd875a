/* fk_rt_cudnn.c - the runtime's cuDNN reference and baseline. */
#include "fk_rt_cudnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_internal.h"
#include "fk_timing.h"

#ifdef FUSEPLAN_HAVE_CUDNN
#include <cudnn.h>

/* Workspace cap for the algorithm search: enough for every algorithm of the
 * shipped models at batch 64 (largest seen: tens of MB), small next to 80 GB. */
#define FK_RT_CUDNN_WORKSPACE (size_t)(512u << 20)

typedef struct layout_state {
    bool ready;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionFwdAlgo_t algo;
    size_t ws;
} layout_state;

typedef struct conv_state {
    bool is_conv;
    bool padded;              /* asymmetric padding: pre-pad into d->pad_buf */
    int n, h, w, c, oh, ow, oc, kh, kw, groups;
    int pt, pb, pl, pr;
    cm_act act;
    int in_t, out_t;          /* model tensor indices */
    cudnnConvolutionDescriptor_t conv;
    cudnnActivationDescriptor_t relu;
    layout_state nhwc, nchw;
} conv_state;

struct fk_rt_cudnn {
    cudnnHandle_t h;
    int n_layers;
    conv_state *L;
    void *ws;
    size_t ws_bytes;
    float *pad_buf;           /* the padded input of asymmetric layers */
    size_t pad_count;
    float *nchw_x, *nchw_y, *nchw_w;   /* scratch for NCHW timing */
    size_t nchw_x_count, nchw_y_count, nchw_w_count;
};

#define FK_DNN(call)                                                                            \
    do {                                                                                        \
        cudnnStatus_t fk_s_ = (call);                                                           \
        if (fk_s_ != CUDNN_STATUS_SUCCESS)                                                      \
            return fk_fail(FK_ERR_CUDNN, err, err_len, "%s:%d: %s: %s", __FILE__, __LINE__,     \
                           #call, cudnnGetErrorString(fk_s_));                                  \
    } while (0)

bool fk_rt_cudnn_available(void) { return true; }

static const char *algo_name(cudnnConvolutionFwdAlgo_t a) {
    switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "implicit_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "implicit_precomp_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "direct";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "fft";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "fft_tiling";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "winograd";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "winograd_nonfused";
    default: return "?";
    }
}

/* Descriptors of one layout; the padded input when the padding is asymmetric. */
static fk_status setup_layout(fk_rt_cudnn *d, conv_state *c, layout_state *ls,
                              cudnnTensorFormat_t fmt, char *err, size_t err_len) {
    int ih = c->padded ? c->h + c->pt + c->pb : c->h;
    int iw = c->padded ? c->w + c->pl + c->pr : c->w;
    FK_DNN(cudnnCreateTensorDescriptor(&ls->x));
    FK_DNN(cudnnCreateTensorDescriptor(&ls->y));
    FK_DNN(cudnnCreateFilterDescriptor(&ls->w));
    FK_DNN(cudnnSetTensor4dDescriptor(ls->x, fmt, CUDNN_DATA_FLOAT, c->n, c->c, ih, iw));
    FK_DNN(cudnnSetTensor4dDescriptor(ls->y, fmt, CUDNN_DATA_FLOAT, c->n, c->oc, c->oh, c->ow));
    FK_DNN(cudnnSetFilter4dDescriptor(ls->w, CUDNN_DATA_FLOAT, fmt, c->oc, c->c / c->groups, c->kh,
                                      c->kw));
    int on, oc, oh, ow;
    FK_DNN(cudnnGetConvolution2dForwardOutputDim(c->conv, ls->x, ls->w, &on, &oc, &oh, &ow));
    if (oh != c->oh || ow != c->ow || oc != c->oc)
        return fk_fail(FK_ERR_INVALID, err, err_len, "cuDNN output %dx%dx%d differs from the "
                       "model's %dx%dx%d", oh, ow, oc, c->oh, c->ow, c->oc);
    (void)d;
    return FK_OK;
}

/* Algorithm search on real buffers; keeps the fastest FMA-math algorithm. */
static fk_status find_algo(fk_rt_cudnn *d, conv_state *c, layout_state *ls, const void *x,
                           const void *w, void *y, char *err, size_t err_len) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int got = 0;
    FK_DNN(cudnnFindConvolutionForwardAlgorithmEx(d->h, ls->x, x, ls->w, w, c->conv, ls->y, y,
                                                  CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf,
                                                  d->ws, d->ws_bytes));
    for (int i = 0; i < got; i++) {
        if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
        if (perf[i].mathType == CUDNN_TENSOR_OP_MATH ||
            perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
            continue; /* strict FP32: never tensor cores / TF32 */
        ls->algo = perf[i].algo;
        ls->ws = perf[i].memory;
        ls->ready = true;
        return FK_OK;
    }
    return fk_fail(FK_ERR_CUDNN, err, err_len, "cuDNN found no strict-FP32 algorithm for a %dx%d "
                   "conv (groups %d)", c->kh, c->kw, c->groups);
}

static fk_status conv_only(fk_rt_cudnn *d, conv_state *c, layout_state *ls, const void *x,
                           const void *w, void *y, char *err, size_t err_len) {
    const float one = 1.0f, zero = 0.0f;
    FK_DNN(cudnnConvolutionForward(d->h, &one, ls->x, x, ls->w, w, c->conv, ls->algo, d->ws, ls->ws,
                                   &zero, ls->y, y));
    return FK_OK;
}

/* conv + bias + act in the given layout. */
static fk_status conv_bias_act(fk_rt_cudnn *d, conv_state *c, layout_state *ls, bool nchw,
                               const void *x, const void *w, const float *bias, void *y,
                               cudaStream_t s, char *err, size_t err_len) {
    FK_DNN(cudnnSetStream(d->h, s));
    if (c->act == CM_ACT_RELU) {
        /* the fused form cuDNN offers: ReLU with any algorithm */
        const float one = 1.0f, zero = 0.0f;
        cudnnTensorDescriptor_t bd;
        FK_DNN(cudnnCreateTensorDescriptor(&bd));
        cudnnStatus_t st = cudnnSetTensor4dDescriptor(bd, nchw ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC,
                                                      CUDNN_DATA_FLOAT, 1, c->oc, 1, 1);
        if (st == CUDNN_STATUS_SUCCESS)
            st = cudnnConvolutionBiasActivationForward(d->h, &one, ls->x, x, ls->w, w, c->conv,
                                                       ls->algo, d->ws, ls->ws, &zero, ls->y, y, bd,
                                                       bias, c->relu, ls->y, y);
        cudnnDestroyTensorDescriptor(bd);
        if (st != CUDNN_STATUS_SUCCESS)
            return fk_fail(FK_ERR_CUDNN, err, err_len, "%s:%d: cudnnConvolutionBiasActivationForward: "
                           "%s", __FILE__, __LINE__, cudnnGetErrorString(st));
        return FK_OK;
    }
    fk_status r = conv_only(d, c, ls, x, w, y, err, err_len);
    if (r != FK_OK) return r;
    return fk_bias_act((float *)y, bias, c->act, c->n, c->oh, c->ow, c->oc, nchw, s, err, err_len);
}

fk_status fk_rt_cudnn_create(const fp_model *m, const fk_rt_buffers *b, bool with_nchw,
                             fk_rt_cudnn **out, char *err, size_t err_len) {
    *out = NULL;
    fk_rt_cudnn *d = calloc(1, sizeof *d);
    if (!d) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    d->n_layers = m->n_layers;
    d->L = calloc((size_t)m->n_layers, sizeof *d->L);
    fk_status st = FK_OK;
    if (!d->L) {
        st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
        goto fail;
    }
    cudnnStatus_t cs = cudnnCreate(&d->h);
    if (cs != CUDNN_STATUS_SUCCESS) {
        st = fk_fail(FK_ERR_CUDNN, err, err_len, "cudnnCreate: %s", cudnnGetErrorString(cs));
        goto fail;
    }
    d->ws_bytes = FK_RT_CUDNN_WORKSPACE;
    if (cudaMalloc(&d->ws, d->ws_bytes) != cudaSuccess) {
        st = fk_fail(FK_ERR_NOMEM, err, err_len, "cudaMalloc of the %zu-byte cuDNN workspace failed",
                     d->ws_bytes);
        goto fail;
    }
    /* scratch sizes */
    for (int i = 0; i < m->n_layers; i++) {
        const fp_layer *l = &m->layers[i];
        if (l->op != FP_OP_CONV2D) continue;
        fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
        size_t pc = (size_t)b->batch * (is.h + l->pad_top + l->pad_bottom) *
                    (is.w + l->pad_left + l->pad_right) * is.c;
        if ((l->pad_top != l->pad_bottom || l->pad_left != l->pad_right) && pc > d->pad_count)
            d->pad_count = pc;
        if (with_nchw) {
            size_t xc = pc, yc = (size_t)b->batch * os.h * os.w * os.c;
            size_t wc = (size_t)l->filters * l->kernel_h * l->kernel_w * (is.c / l->groups);
            if (xc > d->nchw_x_count) d->nchw_x_count = xc;
            if (yc > d->nchw_y_count) d->nchw_y_count = yc;
            if (wc > d->nchw_w_count) d->nchw_w_count = wc;
        }
    }
    if ((d->pad_count && cudaMalloc((void **)&d->pad_buf, d->pad_count * 4) != cudaSuccess) ||
        (d->nchw_x_count && cudaMalloc((void **)&d->nchw_x, d->nchw_x_count * 4) != cudaSuccess) ||
        (d->nchw_y_count && cudaMalloc((void **)&d->nchw_y, d->nchw_y_count * 4) != cudaSuccess) ||
        (d->nchw_w_count && cudaMalloc((void **)&d->nchw_w, d->nchw_w_count * 4) != cudaSuccess)) {
        st = fk_fail(FK_ERR_NOMEM, err, err_len, "cudaMalloc of cuDNN scratch buffers failed");
        goto fail;
    }
    for (int i = 0; i < m->n_layers && st == FK_OK; i++) {
        const fp_layer *l = &m->layers[i];
        conv_state *c = &d->L[i];
        if (l->op != FP_OP_CONV2D) continue;
        fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
        c->is_conv = true;
        c->n = b->batch;
        c->h = is.h, c->w = is.w, c->c = is.c;
        c->oh = os.h, c->ow = os.w, c->oc = os.c;
        c->kh = l->kernel_h, c->kw = l->kernel_w, c->groups = l->groups;
        c->pt = l->pad_top, c->pb = l->pad_bottom, c->pl = l->pad_left, c->pr = l->pad_right;
        c->act = l->act;
        c->in_t = l->inputs[0];
        c->out_t = l->output;
        c->padded = c->pt != c->pb || c->pl != c->pr;
        cudnnStatus_t s1 = cudnnCreateConvolutionDescriptor(&c->conv);
        if (s1 == CUDNN_STATUS_SUCCESS)
            s1 = cudnnSetConvolution2dDescriptor(c->conv, c->padded ? 0 : c->pt, c->padded ? 0 : c->pl,
                                                 l->stride_h, l->stride_w, 1, 1,
                                                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
        if (s1 == CUDNN_STATUS_SUCCESS) s1 = cudnnSetConvolutionGroupCount(c->conv, c->groups);
        if (s1 == CUDNN_STATUS_SUCCESS) s1 = cudnnSetConvolutionMathType(c->conv, CUDNN_FMA_MATH);
        if (s1 == CUDNN_STATUS_SUCCESS) s1 = cudnnCreateActivationDescriptor(&c->relu);
        if (s1 == CUDNN_STATUS_SUCCESS)
            s1 = cudnnSetActivationDescriptor(c->relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN,
                                              0.0);
        if (s1 != CUDNN_STATUS_SUCCESS) {
            st = fk_fail(FK_ERR_CUDNN, err, err_len, "layer %s: conv descriptor: %s", l->name,
                         cudnnGetErrorString(s1));
            break;
        }
        const void *x = b->tensor[l->inputs[0]];
        if (c->padded) x = d->pad_buf;
        if ((st = setup_layout(d, c, &c->nhwc, CUDNN_TENSOR_NHWC, err, err_len)) != FK_OK) break;
        if ((st = find_algo(d, c, &c->nhwc, x, b->weight[i], b->tensor[l->output], err, err_len)) !=
            FK_OK)
            break;
        if (with_nchw) {
            if ((st = setup_layout(d, c, &c->nchw, CUDNN_TENSOR_NCHW, err, err_len)) != FK_OK) break;
            st = find_algo(d, c, &c->nchw, d->nchw_x, d->nchw_w, d->nchw_y, err, err_len);
        }
        if (st != FK_OK) {
            char inner[512];
            snprintf(inner, sizeof inner, "%s", err);
            fk_fail(st, err, err_len, "layer %s: %s", l->name, inner);
        }
    }
    if (st != FK_OK) goto fail;
    *out = d;
    return FK_OK;
fail:
    fk_rt_cudnn_destroy(d);
    return st;
}

void fk_rt_cudnn_destroy(fk_rt_cudnn *d) {
    if (!d) return;
    for (int i = 0; d->L && i < d->n_layers; i++) {
        conv_state *c = &d->L[i];
        if (!c->is_conv) continue;
        layout_state *ls[2] = {&c->nhwc, &c->nchw};
        for (int k = 0; k < 2; k++) {
            if (ls[k]->x) cudnnDestroyTensorDescriptor(ls[k]->x);
            if (ls[k]->y) cudnnDestroyTensorDescriptor(ls[k]->y);
            if (ls[k]->w) cudnnDestroyFilterDescriptor(ls[k]->w);
        }
        if (c->conv) cudnnDestroyConvolutionDescriptor(c->conv);
        if (c->relu) cudnnDestroyActivationDescriptor(c->relu);
    }
    free(d->L);
    cudaFree(d->ws);
    cudaFree(d->pad_buf);
    cudaFree(d->nchw_x);
    cudaFree(d->nchw_y);
    cudaFree(d->nchw_w);
    if (d->h) cudnnDestroy(d->h);
    free(d);
}

fk_status fk_rt_cudnn_conv(fk_rt_cudnn *d, int layer, const void *x, const void *w,
                           const float *bias, void *y, cudaStream_t s, char *err, size_t err_len) {
    conv_state *c = &d->L[layer];
    if (!c->is_conv || !c->nhwc.ready)
        return fk_fail(FK_ERR_INVALID, err, err_len, "layer %d is not a prepared conv", layer);
    if (c->padded) {
        fk_status st = fk_pad_nhwc((const float *)x, d->pad_buf, c->n, c->h, c->w, c->c, c->pt, c->pb,
                                   c->pl, c->pr, s, err, err_len);
        if (st != FK_OK) return st;
        x = d->pad_buf;
    }
    return conv_bias_act(d, c, &c->nhwc, false, x, w, bias, y, s, err, err_len);
}

/* One timed repetition of a layer in a layout: conv + bias + act. */
typedef struct layer_job {
    fk_rt_cudnn *d;
    conv_state *c;
    layout_state *ls;
    bool nchw;
    const void *x, *w;
    const float *bias;
    void *y;
} layer_job;

static fk_status run_job(void *arg, cudaStream_t s, char *err, size_t err_len) {
    layer_job *j = arg;
    return conv_bias_act(j->d, j->c, j->ls, j->nchw, j->x, j->w, j->bias, j->y, s, err, err_len);
}

fk_status fk_rt_cudnn_time_layer(fk_rt_cudnn *d, int layer, const fk_rt_buffers *b, int iters,
                                 cudaStream_t s, fk_rt_cudnn_timing *t, char *err, size_t err_len) {
    conv_state *c = &d->L[layer];
    t->nhwc_us = t->nchw_us = -1;
    t->nhwc_algo = t->nchw_algo = NULL;
    if (!c->is_conv) return fk_fail(FK_ERR_INVALID, err, err_len, "layer %d is not a conv", layer);
    /* The zero-padded copy of asymmetric layers is made before timing: a
     * framework with symmetric padding would not pay for it, and the conv on
     * the padded input costs the same. */
    const void *x = b->tensor[c->in_t];
    int ih = c->h, iw = c->w;
    fk_status st;
    if (c->padded) {
        st = fk_pad_nhwc((const float *)x, d->pad_buf, c->n, c->h, c->w, c->c, c->pt, c->pb, c->pl,
                         c->pr, s, err, err_len);
        if (st != FK_OK) return st;
        x = d->pad_buf;
        ih += c->pt + c->pb;
        iw += c->pl + c->pr;
    }
    fk_time_stats ts;
    layer_job j = {d, c, &c->nhwc, false, x, b->weight[layer], b->bias[layer], b->tensor[c->out_t]};
    if ((st = fk_time_job(run_job, &j, 3, iters, s, &ts, err, err_len)) != FK_OK) return st;
    t->nhwc_us = ts.median_us;
    t->nhwc_algo = algo_name(c->nhwc.algo);
    if (c->nchw.ready) {
        if ((st = fk_nhwc_to_nchw((const float *)x, d->nchw_x, c->n, ih, iw, c->c, s, err, err_len)) ||
            (st = fk_krsc_to_kcrs((const float *)b->weight[layer], d->nchw_w, c->oc, c->kh, c->kw,
                                  c->c / c->groups, s, err, err_len)))
            return st;
        layer_job k = {d, c, &c->nchw, true, d->nchw_x, d->nchw_w, b->bias[layer], d->nchw_y};
        if ((st = fk_time_job(run_job, &k, 3, iters, s, &ts, err, err_len)) != FK_OK) return st;
        t->nchw_us = ts.median_us;
        t->nchw_algo = algo_name(c->nchw.algo);
    }
    return FK_OK;
}

fk_status fk_rt_cudnn_run_model(fk_rt_cudnn *d, const fp_model *m, fk_rt_buffers *b,
                                cudaStream_t s, char *err, size_t err_len) {
    for (int i = 0; i < m->n_layers; i++) {
        const fp_layer *l = &m->layers[i];
        fp_unit u;
        memset(&u, 0, sizeof u);
        u.kind = FP_UNIT_OTHER;
        u.layers[0] = i;
        u.n_layers = 1;
        u.residual_layer = -1;
        fk_status st = l->op == FP_OP_CONV2D
                           ? fk_rt_cudnn_conv(d, i, b->tensor[l->inputs[0]], b->weight[i], b->bias[i],
                                              b->tensor[l->output], s, err, err_len)
                           : fk_rt_run_unit(m, &u, b, b, d, s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}
#else /* no cuDNN */

bool fk_rt_cudnn_available(void) { return false; }
fk_status fk_rt_cudnn_create(const fp_model *m, const fk_rt_buffers *b, bool with_nchw,
                             fk_rt_cudnn **out, char *err, size_t err_len) {
    (void)m, (void)b, (void)with_nchw;
    *out = NULL;
    return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "fuseplan was built without cuDNN "
                   "(-Dcudnn=disabled or not found): no reference or baseline");
}
void fk_rt_cudnn_destroy(fk_rt_cudnn *d) { (void)d; }
fk_status fk_rt_cudnn_conv(fk_rt_cudnn *d, int layer, const void *x, const void *w,
                           const float *bias, void *y, cudaStream_t s, char *err, size_t err_len) {
    (void)d, (void)layer, (void)x, (void)w, (void)bias, (void)y, (void)s;
    return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "built without cuDNN");
}
fk_status fk_rt_cudnn_time_layer(fk_rt_cudnn *d, int layer, const fk_rt_buffers *b, int iters,
                                 cudaStream_t s, fk_rt_cudnn_timing *t, char *err, size_t err_len) {
    (void)d, (void)layer, (void)b, (void)iters, (void)s, (void)t;
    return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "built without cuDNN");
}
fk_status fk_rt_cudnn_run_model(fk_rt_cudnn *d, const fp_model *m, fk_rt_buffers *b,
                                cudaStream_t s, char *err, size_t err_len) {
    (void)d, (void)m, (void)b, (void)s;
    return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "built without cuDNN");
}
#endif
