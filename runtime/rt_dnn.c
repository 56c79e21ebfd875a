/* rt_dnn.c - cuDNN convolution wrapper: fp32 strict (CUDNN_FMA_MATH), fp32
 * TF32 and fp16 / bf16 with FP32 compute on tensor cores. */
#include "rt_dnn.h"

#include <stdlib.h>
#include <string.h>

#include <cudnn.h>

#include "fk_error.h"

struct rt_dnn {
    cudnnHandle_t h;
};

struct rt_dnn_conv {
    rt_dnn *ctx;
    fk_conv2d p;
    cm_dtype dtype;
    cm_math math_mode; /* the requested one: simt is strict for fp32 */
    rt_layout layout;
    cudnnTensorDescriptor_t xd, yd, bd;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnActivationDescriptor_t ad;
    cudnnConvolutionFwdAlgo_t algo;
    cudnnMathType_t math;
    float find_ms;
    void *ws;
    size_t ws_bytes;
    void *padded; /* NULL unless padded_copy */
    int pad_b, pad_r, in_hp, in_wp;
    bool fused_ok; /* cudnnConvolutionBiasActivationForward usable */
};

static fk_status cudnn_fail(cudnnStatus_t s, const char *call, const char *file, int line,
                            char *err, size_t err_len) {
    char detail[256];
    detail[0] = '\0';
    cudnnGetLastErrorString(detail, sizeof detail);
    return fk_fail(FK_ERR_CUDNN, err, err_len, "%s:%d: %s: %s%s%s", file, line, call,
                   cudnnGetErrorString(s), detail[0] ? ": " : "", detail);
}

#define FK_CUDNN(call)                                                                 \
    do {                                                                               \
        cudnnStatus_t fk_s_ = (call);                                                  \
        if (fk_s_ != CUDNN_STATUS_SUCCESS)                                             \
            return cudnn_fail(fk_s_, #call, __FILE__, __LINE__, err, err_len);         \
    } while (0)

/* As FK_CUDNN / FK_CUDA but jumping to a cleanup label with st set. */
#define TRY_CUDNN(call)                                                                \
    do {                                                                               \
        cudnnStatus_t fk_s_ = (call);                                                  \
        if (fk_s_ != CUDNN_STATUS_SUCCESS) {                                           \
            st = cudnn_fail(fk_s_, #call, __FILE__, __LINE__, err, err_len);           \
            goto fail;                                                                 \
        }                                                                              \
    } while (0)
#define TRY_CUDA(call)                                                                 \
    do {                                                                               \
        cudaError_t fk_e_ = (call);                                                    \
        if (fk_e_ != cudaSuccess) {                                                    \
            st = fk_cuda_fail(fk_e_, #call, __FILE__, __LINE__, err, err_len);         \
            goto fail;                                                                 \
        }                                                                              \
    } while (0)
#define TRY_FK(expr)                                                                   \
    do {                                                                               \
        st = (expr);                                                                   \
        if (st != FK_OK) goto fail;                                                    \
    } while (0)

const char *rt_layout_name(rt_layout l) { return l == RT_LAYOUT_NCHW ? "nchw" : "nhwc"; }

size_t rt_dnn_version(void) { return cudnnGetVersion(); }

fk_status rt_dnn_create(rt_dnn **out, char *err, size_t err_len) {
    if (!out) return fk_fail(FK_ERR_INVALID, err, err_len, "rt_dnn_create: null out");
    *out = NULL;
    rt_dnn *c = calloc(1, sizeof *c);
    if (!c) return fk_fail(FK_ERR_NOMEM, err, err_len, "rt_dnn_create: out of memory");
    cudnnStatus_t s = cudnnCreate(&c->h);
    if (s != CUDNN_STATUS_SUCCESS) {
        free(c);
        return cudnn_fail(s, "cudnnCreate(&c->h)", __FILE__, __LINE__, err, err_len);
    }
    *out = c;
    return FK_OK;
}

void rt_dnn_destroy(rt_dnn *h) {
    if (!h) return;
    cudnnDestroy(h->h);
    free(h);
}

static const char *algo_name(cudnnConvolutionFwdAlgo_t a) {
    switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "?";
    }
}

void rt_dnn_conv_destroy(rt_dnn_conv *c) {
    if (!c) return;
    if (c->xd) cudnnDestroyTensorDescriptor(c->xd);
    if (c->yd) cudnnDestroyTensorDescriptor(c->yd);
    if (c->bd) cudnnDestroyTensorDescriptor(c->bd);
    if (c->wd) cudnnDestroyFilterDescriptor(c->wd);
    if (c->cd) cudnnDestroyConvolutionDescriptor(c->cd);
    if (c->ad) cudnnDestroyActivationDescriptor(c->ad);
    cudaFree(c->ws);
    cudaFree(c->padded);
    free(c);
}

static bool strict_fp32(cudnnMathType_t m) {
    return m != CUDNN_TENSOR_OP_MATH && m != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

/* Whether an algorithm the search reports with math type m keeps the
 * requested numerics: strict fp32 no tensor-op math at all; TF32 no
 * down-conversion to fp16 (ALLOW_CONVERSION); fp16 / bf16 anything. */
static bool math_allowed(cm_dtype dtype, cm_math math, cudnnMathType_t m) {
    if (dtype != CM_F32) return true;
    if (math == CM_MATH_SIMT) return strict_fp32(m);
    return m != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

static bool cudnn_type(cm_dtype dtype, cudnnDataType_t *out) {
    switch (dtype) {
    case CM_F32: *out = CUDNN_DATA_FLOAT; return true;
    case CM_F16: *out = CUDNN_DATA_HALF; return true;
    case CM_BF16: *out = CUDNN_DATA_BFLOAT16; return true;
    default: return false;
    }
}

fk_status rt_dnn_conv_create(rt_dnn *h, const fk_conv2d *p, rt_layout layout,
                               size_t max_workspace, rt_dnn_conv **out, char *err,
                               size_t err_len) {
    return rt_dnn_conv_create_typed(h, p, CM_F32, CM_MATH_SIMT, layout, max_workspace, out, err,
                                    err_len);
}

fk_status rt_dnn_conv_create_typed(rt_dnn *h, const fk_conv2d *p, cm_dtype dtype, cm_math math,
                                   rt_layout layout, size_t max_workspace, rt_dnn_conv **out,
                                   char *err, size_t err_len) {
    if (!h || !p || !out)
        return fk_fail(FK_ERR_INVALID, err, err_len, "rt_dnn_conv_create: null argument");
    *out = NULL;
    fk_status st = fk_conv2d_check(p, err, err_len);
    if (st != FK_OK) return st;
    cudnnDataType_t dt;
    if (!cudnn_type(dtype, &dt))
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "cudnn conv: element type %s is not "
                       "supported (fp32, fp16, bf16)", cm_dtype_name(dtype));
    const size_t eb = (size_t)cm_dtype_bytes(dtype);
    /* strict fp32: FMA only (cuDNN's DEFAULT_MATH permits TF32 on Ampere and
     * newer); TF32 and the 16-bit types: tensor-op math allowed, FP32 compute
     * (PSEUDO_HALF / PSEUDO_BFLOAT16 configurations: 16-bit data, FP32 sums) */
    const bool strict = dtype == CM_F32 && math == CM_MATH_SIMT;
    const cudnnMathType_t want_math = strict ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
    if (max_workspace == 0) max_workspace = (size_t)1 << 30;
    const cudnnTensorFormat_t fmt = layout == RT_LAYOUT_NCHW ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC;
    void *sx = NULL, *sw = NULL, *sy = NULL;
    void *sws = NULL;
    rt_dnn_conv *c = calloc(1, sizeof *c);
    if (!c) return fk_fail(FK_ERR_NOMEM, err, err_len, "rt_dnn_conv_create: out of memory");
    c->ctx = h;
    c->p = *p;
    c->dtype = dtype;
    c->math_mode = math;
    c->layout = layout;
    TRY_CUDNN(cudnnCreateTensorDescriptor(&c->xd));
    TRY_CUDNN(cudnnCreateTensorDescriptor(&c->yd));
    TRY_CUDNN(cudnnCreateTensorDescriptor(&c->bd));
    TRY_CUDNN(cudnnCreateFilterDescriptor(&c->wd));
    TRY_CUDNN(cudnnCreateConvolutionDescriptor(&c->cd));
    TRY_CUDNN(cudnnCreateActivationDescriptor(&c->ad));

    /* symmetric padding (top/left) if it yields the requested output size,
     * else an explicit zero-padded copy and no padding in cuDNN */
    int pad_h = p->pad_top, pad_w = p->pad_left, on, oc, oh, ow;
    c->in_hp = p->in_h;
    c->in_wp = p->in_w;
    TRY_CUDNN(cudnnSetTensor4dDescriptor(c->xd, fmt, dt, p->n, p->in_c, p->in_h, p->in_w));
    TRY_CUDNN(cudnnSetFilter4dDescriptor(c->wd, dt, fmt, p->out_c, p->in_c / p->groups, p->kh,
                                         p->kw));
    TRY_CUDNN(cudnnSetConvolution2dDescriptor(c->cd, pad_h, pad_w, p->sh, p->sw, 1, 1,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    TRY_CUDNN(cudnnSetConvolutionMathType(c->cd, want_math));
    TRY_CUDNN(cudnnSetConvolutionGroupCount(c->cd, p->groups));
    TRY_CUDNN(cudnnGetConvolution2dForwardOutputDim(c->cd, c->xd, c->wd, &on, &oc, &oh, &ow));
    if (oh != p->out_h || ow != p->out_w) {
        int pb = (p->out_h - 1) * p->sh + p->kh - p->in_h - p->pad_top;
        int pr = (p->out_w - 1) * p->sw + p->kw - p->in_w - p->pad_left;
        c->pad_b = pb > 0 ? pb : 0;
        c->pad_r = pr > 0 ? pr : 0;
        c->in_hp = p->in_h + p->pad_top + c->pad_b;
        c->in_wp = p->in_w + p->pad_left + c->pad_r;
        TRY_CUDNN(cudnnSetTensor4dDescriptor(c->xd, fmt, dt, p->n, p->in_c, c->in_hp, c->in_wp));
        TRY_CUDNN(cudnnSetConvolution2dDescriptor(c->cd, 0, 0, p->sh, p->sw, 1, 1,
                                                  CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
        TRY_CUDNN(cudnnGetConvolution2dForwardOutputDim(c->cd, c->xd, c->wd, &on, &oc, &oh, &ow));
        if (oh != p->out_h || ow != p->out_w) {
            st = fk_fail(FK_ERR_INVALID, err, err_len,
                         "cudnn conv: cannot express output %dx%d (cuDNN gives %dx%d)", p->out_h,
                         p->out_w, oh, ow);
            goto fail;
        }
        TRY_CUDA(cudaMalloc(&c->padded, (size_t)p->n * c->in_hp * c->in_wp * p->in_c * eb));
    }
    TRY_CUDNN(cudnnSetTensor4dDescriptor(c->yd, fmt, dt, p->n, p->out_c, p->out_h, p->out_w));
    /* the fused call's bias has y's type in the 16-bit configurations (the
     * caller passes a converted copy: rt_dnn_conv_forward_ex) */
    TRY_CUDNN(cudnnSetTensor4dDescriptor(c->bd, CUDNN_TENSOR_NCHW, dt, 1, p->out_c, 1, 1));
    TRY_CUDNN(cudnnSetActivationDescriptor(c->ad, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN,
                                           0.0));

    /* scratch buffers for the search: random inputs (never zeros) */
    const size_t nx = (size_t)p->n * c->in_hp * c->in_wp * p->in_c;
    const size_t nw = (size_t)p->out_c * (p->in_c / p->groups) * p->kh * p->kw;
    const size_t ny = (size_t)p->n * p->out_h * p->out_w * p->out_c;
    TRY_CUDA(cudaMalloc(&sx, nx * eb));
    TRY_CUDA(cudaMalloc(&sw, nw * eb));
    TRY_CUDA(cudaMalloc(&sy, ny * eb));
    TRY_FK(fk_fill_uniform_dt(sx, dtype, nx, 1, -1.f, 1.f, 0, err, err_len));
    TRY_FK(fk_fill_uniform_dt(sw, dtype, nw, 2, -0.5f, 0.5f, 0, err, err_len));
    size_t ws_max = 0;
    for (int a = 0; a < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; a++) {
        size_t sz = 0;
        if (cudnnGetConvolutionForwardWorkspaceSize(h->h, c->xd, c->wd, c->cd, c->yd,
                                                    (cudnnConvolutionFwdAlgo_t)a,
                                                    &sz) == CUDNN_STATUS_SUCCESS &&
            sz <= max_workspace && sz > ws_max)
            ws_max = sz;
    }
    if (ws_max) TRY_CUDA(cudaMalloc(&sws, ws_max));
    TRY_CUDA(cudaDeviceSynchronize());
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int got = 0;
    TRY_CUDNN(cudnnSetStream(h->h, 0));
    TRY_CUDNN(cudnnFindConvolutionForwardAlgorithmEx(h->h, c->xd, sx, c->wd, sw, c->cd, c->yd, sy,
                                                     CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf,
                                                     sws, ws_max));
    int pick = -1;
    for (int i = 0; i < got; i++)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && math_allowed(dtype, math, perf[i].mathType) &&
            perf[i].memory <= ws_max) {
            pick = i;
            break;
        }
    if (pick < 0) {
        st = fk_fail(FK_ERR_CUDNN, err, err_len,
                     "cudnn conv: no %s %s algorithm among %d found (n %d, in %dx%dx%d, "
                     "out %dx%dx%d, k %dx%d, s %dx%d, groups %d, %s)",
                     cm_dtype_name(dtype), strict ? "strict" : "tensor-op", got, p->n, p->in_h,
                     p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, p->kh, p->kw, p->sh, p->sw,
                     p->groups, rt_layout_name(layout));
        goto fail;
    }
    c->algo = perf[pick].algo;
    c->math = perf[pick].mathType;
    /* run the algorithm with the math type the search timed it with (never
     * for strict fp32, where FMA_MATH stays: a reported DEFAULT_MATH would
     * permit TF32) */
    if (!strict) TRY_CUDNN(cudnnSetConvolutionMathType(c->cd, c->math));
    c->find_ms = perf[pick].time;
    c->ws_bytes = perf[pick].memory;
    c->fused_ok = true;
    if (c->ws_bytes) TRY_CUDA(cudaMalloc(&c->ws, c->ws_bytes));
    cudaFree(sx);
    cudaFree(sw);
    cudaFree(sy);
    cudaFree(sws);
    *out = c;
    return FK_OK;
fail:
    cudaFree(sx);
    cudaFree(sw);
    cudaFree(sy);
    cudaFree(sws);
    rt_dnn_conv_destroy(c);
    return st;
}

static fk_status run_pad(rt_dnn_conv *c, const void *x, cudaStream_t stream, char *err,
                         size_t err_len) {
    const fk_conv2d *p = &c->p;
    if (c->layout == RT_LAYOUT_NCHW) /* n*c single-channel images */
        return fk_pad_nhwc_dt(c->dtype, x, c->padded, p->n * p->in_c, p->in_h, p->in_w, 1,
                              p->pad_top, c->pad_b, p->pad_left, c->pad_r, stream, err, err_len);
    return fk_pad_nhwc_dt(c->dtype, x, c->padded, p->n, p->in_h, p->in_w, p->in_c, p->pad_top,
                          c->pad_b, p->pad_left, c->pad_r, stream, err, err_len);
}

fk_status rt_dnn_conv_only(rt_dnn_conv *c, const void *x, const void *w, void *y,
                             cudaStream_t stream, char *err, size_t err_len) {
    if (!c || !x || !w || !y)
        return fk_fail(FK_ERR_INVALID, err, err_len, "rt_dnn_conv_only: null argument");
    const float one = 1.f, zero = 0.f;
    FK_CUDNN(cudnnSetStream(c->ctx->h, stream));
    if (c->padded) {
        fk_status st = run_pad(c, x, stream, err, err_len);
        if (st != FK_OK) return st;
        x = c->padded;
    }
    FK_CUDNN(cudnnConvolutionForward(c->ctx->h, &one, c->xd, x, c->wd, w, c->cd, c->algo, c->ws,
                                     c->ws_bytes, &zero, c->yd, y));
    return FK_OK;
}

fk_status rt_dnn_conv_forward(rt_dnn_conv *c, const void *x, const void *w, const float *b,
                                void *y, cudaStream_t stream, char *err, size_t err_len) {
    if (!c) return fk_fail(FK_ERR_INVALID, err, err_len, "rt_dnn_conv_forward: null argument");
    return rt_dnn_conv_forward_ex(c, x, w, b, c->dtype == CM_F32 ? b : NULL, y, stream, err,
                                  err_len);
}

fk_status rt_dnn_conv_forward_ex(rt_dnn_conv *c, const void *x, const void *w, const float *b,
                                 const void *b_elem, void *y, cudaStream_t stream, char *err,
                                 size_t err_len) {
    if (!c || !x || !w || !y)
        return fk_fail(FK_ERR_INVALID, err, err_len, "rt_dnn_conv_forward: null argument");
    const fk_conv2d *p = &c->p;
    if (p->act == CM_ACT_RELU && b_elem && c->fused_ok) {
        const float one = 1.f, zero = 0.f;
        FK_CUDNN(cudnnSetStream(c->ctx->h, stream));
        const void *xin = x;
        if (c->padded) {
            fk_status st = run_pad(c, x, stream, err, err_len);
            if (st != FK_OK) return st;
            xin = c->padded;
        }
        cudnnStatus_t s = cudnnConvolutionBiasActivationForward(
            c->ctx->h, &one, c->xd, xin, c->wd, w, c->cd, c->algo, c->ws, c->ws_bytes, &zero,
            c->yd, y, c->bd, b_elem, c->ad, c->yd, y);
        if (s == CUDNN_STATUS_SUCCESS) return FK_OK;
        /* 16-bit types: a configuration the fused call rejects as a bad
         * parameter (bias type, layout) also falls back to the two-step form */
        if (s != CUDNN_STATUS_NOT_SUPPORTED && !(c->dtype != CM_F32 && s == CUDNN_STATUS_BAD_PARAM))
            return cudnn_fail(s, "cudnnConvolutionBiasActivationForward", __FILE__, __LINE__, err,
                              err_len);
        c->fused_ok = false; /* this algorithm has no fused epilogue: fall back */
    }
    fk_status st = rt_dnn_conv_only(c, x, w, y, stream, err, err_len);
    if (st != FK_OK) return st;
    if (b || p->act != CM_ACT_NONE)
        return fk_bias_act_dt(c->dtype, y, b, p->act, p->n, p->out_h, p->out_w, p->out_c,
                              c->layout == RT_LAYOUT_NCHW, stream, err, err_len);
    return FK_OK;
}

void rt_dnn_conv_get_info(const rt_dnn_conv *c, rt_dnn_conv_info *info) {
    if (!c || !info) return;
    info->algo = (int)c->algo;
    info->algo_name = algo_name(c->algo);
    info->math_type = (int)c->math;
    info->find_ms = c->find_ms;
    info->workspace_bytes = c->ws_bytes;
    info->padded_copy = c->padded != NULL;
    info->dtype = c->dtype;
    info->math = c->math_mode;
}
