/* rt_exec.c - plan execution: one layer, one unit, the whole plan, the all-cuDNN
 * reference and baseline executions, and the comparison of outputs. */
#include "rt_exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_error.h"
#include "rt_cudnn.h"

int rt_unit_output(const fp_model *m, const fp_unit *u) {
    if (u->residual_layer >= 0) return m->layers[u->residual_layer].output;
    return m->layers[u->layers[u->n_layers - 1]].output;
}

fk_status rt_run_layer(const fp_model *m, int li, const rt_buffers *in, rt_buffers *out,
                          rt_cudnn *dnn, cudaStream_t s, char *err, size_t err_len) {
    const fp_layer *l = &m->layers[li];
    const fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
    const void *x = in->tensor[l->inputs[0]];
    void *y = out->tensor[l->output];
    int n = in->batch;
    switch (l->op) {
    case FP_OP_CONV2D:
        if (dnn) return rt_cudnn_conv(dnn, li, x, in->weight[li], in->bias[li], y, s, err, err_len);
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

fk_status rt_run_unit(const fp_model *m, const fp_unit *u, const rt_buffers *in,
                         rt_buffers *out, rt_cudnn *dnn, cudaStream_t s, char *err,
                         size_t err_len) {
    if (u->kind == FP_UNIT_OTHER) return rt_run_layer(m, u->layers[0], in, out, dnn, s, err, err_len);
    fk_unit_buffers b;
    memset(&b, 0, sizeof b);
    const fp_layer *first = &m->layers[u->layers[0]];
    b.x = in->tensor[first->inputs[0]];
    for (int i = 0; i < u->n_layers; i++) {
        b.w[i] = in->weight[u->layers[i]];
        b.b[i] = in->bias[u->layers[i]];
    }
    if (u->residual_layer >= 0) b.residual = in->tensor[fp_unit_residual_tensor(m, u)];
    b.y = out->tensor[rt_unit_output(m, u)];
    fk_status st = fk_launch_unit(&u->cu, &u->tile, &b, s, err, err_len);
    if (st != FK_OK) {
        /* name the unit: the launcher's message names only the kernel */
        char inner[512];
        snprintf(inner, sizeof inner, "%s", err ? err : "");
        fk_fail(st, err, err_len, "unit %s (%s): %s", first->name, cm_kind_name(u->cu.kind), inner);
    }
    return st;
}

fk_status rt_run_plan(const fp_model *m, const fp_plan *p, rt_buffers *b, rt_cudnn *dnn,
                         cudaStream_t s, char *err, size_t err_len) {
    for (int i = 0; i < p->n_units; i++) {
        fk_status st = rt_run_unit(m, &p->units[i], b, b, dnn, s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

fk_status rt_run_model_cudnn(rt_cudnn *d, const fp_model *m, rt_buffers *b, cudaStream_t s,
                             char *err, size_t err_len) {
    /* rt_run_layer sends every conv2d to cuDNN when d is given */
    for (int i = 0; i < m->n_layers; i++) {
        fk_status st = rt_run_layer(m, i, b, b, d, s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

fk_status rt_run_model_cudnn_fastest(rt_cudnn *d, const fp_model *m, rt_buffers *b,
                                     cudaStream_t s, char *err, size_t err_len) {
    for (int i = 0; i < m->n_layers; i++) {
        fk_status st = m->layers[i].op == FP_OP_CONV2D
                           ? rt_cudnn_conv_fastest(d, i, b, s, err, err_len)
                           : rt_run_layer(m, i, b, b, d, s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

double rt_threshold(cm_dtype dtype) {
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

double rt_model_threshold(cm_dtype dtype) {
    return dtype == CM_F32 ? 1e-4 : 10 * rt_threshold(dtype);
}

fk_status rt_poison_activations(const fp_model *m, rt_buffers *b, cudaStream_t s, char *err,
                                size_t err_len) {
    for (int t = 0; t < m->n_tensors; t++) {
        if (t == m->input) continue;
        fk_status st = fk_poison(b->tensor[t], b->tensor_count[t], s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

bool rt_error_ok(const rt_error *e, double threshold) {
    return !e->poisoned && !e->non_finite && !e->ref_non_finite && e->rel_l2 <= threshold;
}

fk_status rt_compare(const float *d_out, const float *d_ref, size_t count, rt_error *e,
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

fk_status rt_job_unit(void *arg, cudaStream_t s, char *err, size_t err_len) {
    rt_unit_job *j = arg;
    return rt_run_unit(j->m, j->u, j->b, j->b, j->dnn, s, err, err_len);
}
