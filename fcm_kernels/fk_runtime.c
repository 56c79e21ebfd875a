/* fk_runtime.c - device buffers of a model and plan execution. */
#include "fk_runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_internal.h"
#include "fk_rt_cudnn.h"

/* Random weights: uniform in [-a, a] with a = sqrt(3 / fan_in) has variance
 * 1/fan_in, so a layer roughly preserves the variance of its input (ReLU
 * halves it, residual adds double it); over MobileNetV2's 52 convs this keeps
 * activations within [1e-3, 1e3]. Biases are small so they do not dominate. */
#define FK_RT_BIAS_RANGE 0.05f
#define FK_RT_INPUT_RANGE 1.0f

static size_t weight_count(const fp_model *m, const fp_layer *l) {
    const fp_shape in = m->tensors[l->inputs[0]].shape;
    if (l->op == FP_OP_CONV2D)
        return (size_t)l->filters * l->kernel_h * l->kernel_w * (size_t)(in.c / l->groups);
    if (l->op == FP_OP_DENSE) return (size_t)l->units * in.c;
    return 0;
}

static size_t bias_count(const fp_layer *l) {
    if (l->op == FP_OP_CONV2D) return (size_t)l->filters;
    if (l->op == FP_OP_DENSE) return (size_t)l->units;
    return 0;
}

static fk_status dev_alloc(void **p, size_t bytes, size_t *total, char *err, size_t err_len) {
    FK_CUDA(cudaMalloc(p, bytes ? bytes : 16));
    *total += bytes;
    return FK_OK;
}

static fk_status alloc_activations(const fp_model *m, fk_rt_buffers *b, char *err, size_t err_len) {
    b->n_tensors = m->n_tensors;
    b->tensor = calloc((size_t)m->n_tensors, sizeof *b->tensor);
    b->tensor_count = calloc((size_t)m->n_tensors, sizeof *b->tensor_count);
    if (!b->tensor || !b->tensor_count) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    for (int t = 0; t < m->n_tensors; t++) {
        fp_shape s = m->tensors[t].shape;
        b->tensor_count[t] = (size_t)b->batch * s.h * s.w * s.c;
        fk_status st = dev_alloc(&b->tensor[t], b->tensor_count[t] * sizeof(float), &b->device_bytes,
                                 err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

/* Reads the weights file: per conv/dense layer in order, weights then biases. */
static fk_status load_weights_file(const fp_model *m, fk_rt_buffers *b, char *err, size_t err_len) {
    FILE *f = fopen(m->weights, "rb");
    if (!f) return fk_fail(FK_ERR_INVALID, err, err_len, "%s: cannot open", m->weights);
    fk_status st = FK_OK;
    for (int i = 0; i < m->n_layers && st == FK_OK; i++) {
        const fp_layer *l = &m->layers[i];
        size_t parts[2] = {weight_count(m, l), l->bias ? bias_count(l) : 0};
        void *dst[2] = {b->weight[i], b->bias[i]};
        for (int k = 0; k < 2 && st == FK_OK; k++) {
            if (!parts[k]) continue;
            float *h = malloc(parts[k] * sizeof(float));
            if (!h) {
                st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
                break;
            }
            if (fread(h, sizeof(float), parts[k], f) != parts[k])
                st = fk_fail(FK_ERR_INVALID, err, err_len, "%s: short read at layer %s", m->weights,
                             l->name);
            else if (cudaMemcpy(dst[k], h, parts[k] * sizeof(float), cudaMemcpyHostToDevice) !=
                     cudaSuccess)
                st = fk_fail(FK_ERR_CUDA, err, err_len, "cudaMemcpy of %s's weights failed", l->name);
            free(h);
        }
    }
    fclose(f);
    return st;
}

fk_status fk_rt_buffers_create(const fp_model *m, int batch, cm_dtype dtype, uint64_t seed,
                               fk_rt_buffers *b, char *err, size_t err_len) {
    memset(b, 0, sizeof *b);
    if (dtype != CM_F32)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "the runtime executes fp32 plans only so "
                       "far; %s kernels are not implemented yet", cm_dtype_name(dtype));
    b->batch = batch;
    b->dtype = dtype;
    b->owns_weights = true;
    fk_status st = alloc_activations(m, b, err, err_len);
    if (st != FK_OK) goto fail;
    b->n_layers = m->n_layers;
    b->weight = calloc((size_t)m->n_layers, sizeof *b->weight);
    b->bias = calloc((size_t)m->n_layers, sizeof *b->bias);
    if (!b->weight || !b->bias) {
        st = fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
        goto fail;
    }
    for (int i = 0; i < m->n_layers; i++) {
        const fp_layer *l = &m->layers[i];
        size_t wc = weight_count(m, l), bc = bias_count(l);
        if (!wc) continue;
        if ((st = dev_alloc(&b->weight[i], wc * sizeof(float), &b->device_bytes, err, err_len)) ||
            (st = dev_alloc((void **)&b->bias[i], bc * sizeof(float), &b->device_bytes, err, err_len)))
            goto fail;
        /* kernels always add a bias: a layer without one gets zeros */
        if (!l->bias && cudaMemset(b->bias[i], 0, bc * sizeof(float)) != cudaSuccess) {
            st = fk_fail(FK_ERR_CUDA, err, err_len, "cudaMemset of %s's zero bias failed", l->name);
            goto fail;
        }
    }
    if (m->weights) {
        if ((st = load_weights_file(m, b, err, err_len)) != FK_OK) goto fail;
    } else {
        for (int i = 0; i < m->n_layers; i++) {
            const fp_layer *l = &m->layers[i];
            size_t wc = weight_count(m, l);
            if (!wc) continue;
            size_t fan_in = wc / bias_count(l);
            float a = sqrtf(3.0f / (float)fan_in);
            uint64_t s = seed * 1000003u + (uint64_t)i * 2u;
            if ((st = fk_fill_uniform(b->weight[i], wc, s, -a, a, 0, err, err_len)) != FK_OK)
                goto fail;
            if (l->bias &&
                (st = fk_fill_uniform(b->bias[i], bias_count(l), s + 1, -FK_RT_BIAS_RANGE,
                                      FK_RT_BIAS_RANGE, 0, err, err_len)) != FK_OK)
                goto fail;
        }
    }
    st = fk_fill_uniform(b->tensor[m->input], b->tensor_count[m->input], seed, -FK_RT_INPUT_RANGE,
                         FK_RT_INPUT_RANGE, 0, err, err_len);
    if (st != FK_OK) goto fail;
    cudaError_t ce = cudaDeviceSynchronize();
    if (ce != cudaSuccess) {
        st = fk_cuda_fail(ce, "cudaDeviceSynchronize", __FILE__, __LINE__, err, err_len);
        goto fail;
    }
    return FK_OK;
fail:
    fk_rt_buffers_destroy(b);
    return st;
}

fk_status fk_rt_buffers_clone_activations(const fp_model *m, const fk_rt_buffers *src,
                                          fk_rt_buffers *b, char *err, size_t err_len) {
    memset(b, 0, sizeof *b);
    b->batch = src->batch;
    b->dtype = src->dtype;
    b->n_layers = src->n_layers;
    b->weight = src->weight;
    b->bias = src->bias;
    b->owns_weights = false;
    fk_status st = alloc_activations(m, b, err, err_len);
    if (st != FK_OK) {
        fk_rt_buffers_destroy(b);
        return st;
    }
    cudaError_t ce = cudaMemcpy(b->tensor[m->input], src->tensor[m->input],
                                src->tensor_count[m->input] * sizeof(float), cudaMemcpyDeviceToDevice);
    if (ce != cudaSuccess) {
        fk_rt_buffers_destroy(b);
        return fk_cuda_fail(ce, "cudaMemcpy(input)", __FILE__, __LINE__, err, err_len);
    }
    return FK_OK;
}

void fk_rt_buffers_destroy(fk_rt_buffers *b) {
    if (!b) return;
    if (b->tensor)
        for (int t = 0; t < b->n_tensors; t++) cudaFree(b->tensor[t]);
    if (b->owns_weights) {
        if (b->weight)
            for (int i = 0; i < b->n_layers; i++) cudaFree(b->weight[i]);
        if (b->bias)
            for (int i = 0; i < b->n_layers; i++) cudaFree(b->bias[i]);
        free(b->weight);
        free(b->bias);
    }
    free(b->tensor);
    free(b->tensor_count);
    memset(b, 0, sizeof *b);
}

int fk_rt_unit_output(const fp_model *m, const fp_unit *u) {
    if (u->residual_layer >= 0) return m->layers[u->residual_layer].output;
    return m->layers[u->layers[u->n_layers - 1]].output;
}

fk_status fk_rt_run_layer(const fp_model *m, int li, const fk_rt_buffers *in, fk_rt_buffers *out,
                          fk_rt_cudnn *dnn, cudaStream_t s, char *err, size_t err_len) {
    const fp_layer *l = &m->layers[li];
    const fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
    const void *x = in->tensor[l->inputs[0]];
    void *y = out->tensor[l->output];
    int n = in->batch;
    switch (l->op) {
    case FP_OP_CONV2D:
        if (dnn) return fk_rt_cudnn_conv(dnn, li, x, in->weight[li], in->bias[li], y, s, err, err_len);
        {
            fk_conv2d p = {n, is.h, is.w, is.c, os.h, os.w, os.c, l->kernel_h, l->kernel_w,
                           l->stride_h, l->stride_w, l->pad_top, l->pad_left, l->groups, l->act};
            return fk_conv2d_direct(&p, in->dtype, x, in->weight[li], in->bias[li], y, s, err,
                                    err_len);
        }
    case FP_OP_MAX_POOL:
    case FP_OP_AVG_POOL: {
        fk_pool2d p = {l->op == FP_OP_MAX_POOL ? FK_POOL_MAX : FK_POOL_AVG, n, is.h, is.w, is.c,
                       os.h, os.w, l->kernel_h, l->kernel_w, l->stride_h, l->stride_w, l->pad_top,
                       l->pad_left};
        return fk_pool2d_run(&p, in->dtype, x, y, s, err, err_len);
    }
    case FP_OP_GLOBAL_AVG_POOL:
        return fk_global_avg_pool(n, is.h, is.w, is.c, in->dtype, x, y, s, err, err_len);
    case FP_OP_DENSE:
        return fk_dense(n, is.c, l->units, l->act, in->dtype, x, in->weight[li], in->bias[li], y, s,
                        err, err_len);
    case FP_OP_ADD:
        return fk_add(in->tensor_count[l->output], l->act, in->dtype, x, in->tensor[l->inputs[1]], y,
                      s, err, err_len);
    case FP_OP_ACTIVATION:
        return fk_activation(in->tensor_count[l->output], l->act, in->dtype, x, y, s, err, err_len);
    default:
        return fk_fail(FK_ERR_INVALID, err, err_len, "layer %s: op %s cannot run", l->name,
                       fp_op_name(l->op));
    }
}

fk_status fk_rt_run_unit(const fp_model *m, const fp_unit *u, const fk_rt_buffers *in,
                         fk_rt_buffers *out, fk_rt_cudnn *dnn, cudaStream_t s, char *err,
                         size_t err_len) {
    if (u->kind == FP_UNIT_OTHER) return fk_rt_run_layer(m, u->layers[0], in, out, dnn, s, err, err_len);
    fk_unit_buffers b;
    memset(&b, 0, sizeof b);
    const fp_layer *first = &m->layers[u->layers[0]];
    b.x = in->tensor[first->inputs[0]];
    for (int i = 0; i < u->n_layers; i++) {
        b.w[i] = in->weight[u->layers[i]];
        b.b[i] = in->bias[u->layers[i]];
    }
    if (u->residual_layer >= 0) b.residual = in->tensor[fp_unit_residual_tensor(m, u)];
    b.y = out->tensor[fk_rt_unit_output(m, u)];
    fk_status st = fk_launch_unit(&u->cu, &u->tile, &b, s, err, err_len);
    if (st != FK_OK) {
        /* name the unit: the launcher's message names only the kernel */
        char inner[512];
        snprintf(inner, sizeof inner, "%s", err ? err : "");
        fk_fail(st, err, err_len, "unit %s (%s): %s", first->name, cm_kind_name(u->cu.kind), inner);
    }
    return st;
}

fk_status fk_rt_run_plan(const fp_model *m, const fp_plan *p, fk_rt_buffers *b, fk_rt_cudnn *dnn,
                         cudaStream_t s, char *err, size_t err_len) {
    for (int i = 0; i < p->n_units; i++) {
        fk_status st = fk_rt_run_unit(m, &p->units[i], b, b, dnn, s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

double fk_rt_threshold(cm_dtype dtype) {
    /* fp32: a unit's result differs from cuDNN's only by summation order and
     * FMA contraction: ~sqrt(K) ulp, K <= 10^4 here -> ~1e-6; 1e-5 leaves
     * room without hiding a wrong tap or channel (those give > 1e-2). */
    switch (dtype) {
    case CM_F32: return 1e-5;
    case CM_F16: return 5e-3;
    case CM_BF16: return 3e-2;
    default: return 2e-2;
    }
}

bool fk_rt_error_ok(const fk_rt_error *e, double threshold) {
    return !e->poisoned && !e->non_finite && !e->ref_non_finite && e->rel_l2 <= threshold;
}

fk_status fk_rt_compare(const float *d_out, const float *d_ref, size_t count, fk_rt_error *e,
                        char *err, size_t err_len) {
    memset(e, 0, sizeof *e);
    e->count = count;
    float *a = malloc(count * sizeof(float)), *r = malloc(count * sizeof(float));
    if (!a || !r) {
        free(a);
        free(r);
        return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory comparing %zu elements", count);
    }
    cudaError_t c1 = cudaMemcpy(a, d_out, count * sizeof(float), cudaMemcpyDeviceToHost);
    cudaError_t c2 = cudaMemcpy(r, d_ref, count * sizeof(float), cudaMemcpyDeviceToHost);
    if (c1 != cudaSuccess || c2 != cudaSuccess) {
        free(a);
        free(r);
        return fk_cuda_fail(c1 != cudaSuccess ? c1 : c2, "cudaMemcpy(compare)", __FILE__, __LINE__,
                            err, err_len);
    }
    double num = 0, den = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &a[i], sizeof bits);
        if (bits == FK_POISON_BITS) e->poisoned++;
        if (!isfinite(r[i])) { /* a broken reference must not pass as a match */
            e->ref_non_finite++;
            continue;
        }
        if (!isfinite(a[i])) {
            e->non_finite++;
            continue;
        }
        double d = (double)a[i] - (double)r[i];
        if (fabs(d) > e->max_abs) e->max_abs = fabs(d);
        num += d * d;
        den += (double)r[i] * r[i];
    }
    e->rel_l2 = den > 0 ? sqrt(num / den) : sqrt(num);
    free(a);
    free(r);
    return FK_OK;
}
