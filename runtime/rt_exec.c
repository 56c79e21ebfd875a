/* rt_exec.c - plan execution: one layer, one unit, the whole plan, the all-cuDNN
 * reference and baseline executions, and the comparison of outputs. */
#include "rt_exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fk_error.h"
#include "rt_cudnn.h"
#include "rt_tolerance.h"

int rt_unit_output(const fp_model *m, const fp_unit *u) {
    if (u->residual_layer >= 0) return m->layers[u->residual_layer].output;
    return m->layers[u->layers[u->n_layers - 1]].output;
}

/* The convolution of conv layer li at the buffers' batch. */
static fk_conv2d conv_of(const fp_model *m, int li, int batch) {
    const fp_layer *l = &m->layers[li];
    const fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
    fk_conv2d p = {batch, is.h, is.w, is.c, os.h, os.w, os.c, l->kernel_h, l->kernel_w,
                   l->stride_h, l->stride_w, l->pad_top, l->pad_left, l->groups, l->act};
    return p;
}

/* One layer. A conv runs, with dnn, on cuDNN for the reference (plan false)
 * or on whatever rt_cudnn_conv_plan chose for a plan (plan true); without
 * dnn on our tiled convolution where it runs the layer and the plan asks,
 * else the naive direct kernel. */
static fk_status run_layer(const fp_model *m, int li, const rt_buffers *in, rt_buffers *out,
                           rt_cudnn *dnn, bool plan, cudaStream_t s, char *err, size_t err_len) {
    const fp_layer *l = &m->layers[li];
    const fp_shape is = m->tensors[l->inputs[0]].shape, os = m->tensors[l->output].shape;
    const void *x = in->tensor[l->inputs[0]];
    void *y = out->tensor[l->output];
    int n = in->batch;
    switch (l->op) {
    case FP_OP_CONV2D:
        if (dnn && plan)
            return rt_cudnn_conv_plan(dnn, li, x, in->weight[li], in->bias[li], y, s, err, err_len);
        if (dnn) return rt_cudnn_conv(dnn, li, x, in->weight[li], in->bias[li], y, s, err, err_len);
        {
            const fk_conv2d p = conv_of(m, li, n);
            if (plan && fk_conv2d_tiled_supported(&p, in->dtype, NULL, 0) == FK_OK)
                return fk_conv2d_tiled(&p, in->dtype, x, in->weight[li], in->bias[li], y, s, err,
                                       err_len);
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

fk_status rt_run_layer(const fp_model *m, int li, const rt_buffers *in, rt_buffers *out,
                       rt_cudnn *dnn, cudaStream_t s, char *err, size_t err_len) {
    return run_layer(m, li, in, out, dnn, false, s, err, err_len);
}

const char *rt_unit_by(const fp_model *m, const fp_unit *u, const rt_cudnn *dnn, int batch,
                       cm_dtype dtype, char *note, size_t note_len) {
    if (note_len) note[0] = '\0';
    if (u->kind != FP_UNIT_OTHER) return "fuseplan";
    const int li = u->layers[0];
    if (m->layers[li].op != FP_OP_CONV2D) return "fuseplan";
    if (!dnn) { /* run_layer without cuDNN */
        const fk_conv2d p = conv_of(m, li, batch);
        char why[160];
        if (fk_conv2d_tiled_supported(&p, dtype, why, sizeof why) == FK_OK) {
            snprintf(note, note_len, "%s (no cuDNN)", fk_conv2d_tiled_name(&p, dtype));
        } else {
            snprintf(note, note_len, "naive direct conv (no cuDNN; the tiled conv does not run "
                     "it: %s)", why);
        }
        return "fuseplan";
    }
    rt_conv_choice c;
    if (rt_cudnn_conv_choice(dnn, li, &c) != FK_OK) {
        snprintf(note, note_len, "not a prepared convolution");
        return "cudnn";
    }
    if (!c.supported)
        snprintf(note, note_len, "our tiled conv does not run it: %s", c.why);
    else if (c.measured)
        snprintf(note, note_len, "measured: %s %.2f us, cuDNN %.2f us", c.ours_name, c.ours_us,
                 c.cudnn_us);
    else
        snprintf(note, note_len, "%s chosen without measuring",
                 c.by == RT_CONV_BY_OURS ? c.ours_name : "cuDNN");
    return c.by == RT_CONV_BY_OURS ? "fuseplan" : "cudnn";
}

fk_status rt_run_unit(const fp_model *m, const fp_unit *u, const rt_buffers *in,
                         rt_buffers *out, rt_cudnn *dnn, cudaStream_t s, char *err,
                         size_t err_len) {
    if (u->kind == FP_UNIT_OTHER) return run_layer(m, u->layers[0], in, out, dnn, true, s, err, err_len);
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

long rt_layer_reduction(const fp_model *m, int li) {
    const fp_layer *l = &m->layers[li];
    const fp_shape in = m->tensors[l->inputs[0]].shape;
    switch (l->op) {
    case FP_OP_CONV2D: return (long)l->kernel_h * l->kernel_w * (in.c / l->groups);
    case FP_OP_DENSE: return in.c;
    case FP_OP_MAX_POOL:
    case FP_OP_AVG_POOL: return (long)l->kernel_h * l->kernel_w;
    case FP_OP_GLOBAL_AVG_POOL: return (long)in.h * in.w;
    case FP_OP_ADD: return 2;
    default: return 1;
    }
}

double rt_unit_threshold(const fp_model *m, const fp_unit *u, cm_dtype dtype, cm_math math) {
    int mem[CM_MAX_UNIT_LAYERS + 1], n = fp_unit_members(u, mem);
    long k = 1;
    for (int i = 0; i < n; i++) {
        long r = rt_layer_reduction(m, mem[i]);
        if (r > k) k = r;
    }
    return rt_unit_tolerance(dtype, math, k, n);
}

double rt_plan_model_threshold(const fp_model *m, cm_dtype dtype, cm_math math) {
    long k = 1;
    for (int i = 0; i < m->n_layers; i++) {
        long r = rt_layer_reduction(m, i);
        if (r > k) k = r;
    }
    return rt_model_tolerance(dtype, math, k, m->n_layers);
}

fk_status rt_poison_activations(const fp_model *m, rt_buffers *b, cudaStream_t s, char *err,
                                size_t err_len) {
    for (int t = 0; t < m->n_tensors; t++) {
        if (t == m->input) continue;
        fk_status st = fk_poison_dt(b->tensor[t], b->dtype, b->tensor_count[t], s, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

bool rt_error_ok(const rt_error *e, double threshold) {
    return !e->poisoned && !e->non_finite && !e->ref_non_finite && e->rel_l2 <= threshold;
}

void rt_compare_host(const void *h_out, cm_dtype out_dtype, const void *h_ref, cm_dtype ref_dtype,
                     size_t count, rt_error *e) {
    memset(e, 0, sizeof *e);
    e->count = count;
    const unsigned char *a = h_out, *r = h_ref;
    const size_t ea = (size_t)cm_dtype_bytes(out_dtype), er = (size_t)cm_dtype_bytes(ref_dtype);
    double num = 0, den = 0;
    for (size_t i = 0; i < count; i++) {
        if (fk_host_is_poison(out_dtype, a + i * ea)) e->poisoned++;
        const double rv = fk_host_to_f32(ref_dtype, r + i * er);
        const double av = fk_host_to_f32(out_dtype, a + i * ea);
        if (!isfinite(rv)) { /* a broken reference must not pass as a match */
            e->ref_non_finite++;
            continue;
        }
        if (!isfinite(av)) {
            e->non_finite++;
            continue;
        }
        double d = av - rv;
        if (fabs(d) > e->max_abs) e->max_abs = fabs(d);
        num += d * d;
        den += rv * rv;
    }
    e->rel_l2 = den > 0 ? sqrt(num / den) : sqrt(num);
}

fk_status rt_compare_mixed(const void *d_out, cm_dtype out_dtype, const void *d_ref,
                           cm_dtype ref_dtype, size_t count, rt_error *e, char *err,
                           size_t err_len) {
    memset(e, 0, sizeof *e);
    e->count = count;
    const size_t ea = (size_t)cm_dtype_bytes(out_dtype), er = (size_t)cm_dtype_bytes(ref_dtype);
    if ((out_dtype != CM_F32 && out_dtype != CM_F16 && out_dtype != CM_BF16) ||
        (ref_dtype != CM_F32 && ref_dtype != CM_F16 && ref_dtype != CM_BF16))
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "comparing %s with %s: fp32, fp16 and "
                       "bf16 only", cm_dtype_name(out_dtype), cm_dtype_name(ref_dtype));
    void *a = malloc(count * ea + 1), *r = malloc(count * er + 1);
    if (!a || !r) {
        free(a);
        free(r);
        return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory comparing %zu elements", count);
    }
    cudaError_t c1 = cudaMemcpy(a, d_out, count * ea, cudaMemcpyDeviceToHost);
    cudaError_t c2 = cudaMemcpy(r, d_ref, count * er, cudaMemcpyDeviceToHost);
    if (c1 != cudaSuccess || c2 != cudaSuccess) {
        free(a);
        free(r);
        return fk_cuda_fail(c1 != cudaSuccess ? c1 : c2, "cudaMemcpy(compare)", __FILE__, __LINE__,
                            err, err_len);
    }
    rt_compare_host(a, out_dtype, r, ref_dtype, count, e);
    free(a);
    free(r);
    return FK_OK;
}

fk_status rt_compare(const void *d_out, const void *d_ref, cm_dtype dtype, size_t count,
                     rt_error *e, char *err, size_t err_len) {
    return rt_compare_mixed(d_out, dtype, d_ref, dtype, count, e, err, err_len);
}

fk_status rt_error_vs_fp32(const fp_model *m, const rt_buffers *b, uint64_t seed,
                           const float *input_nhwc, cudaStream_t s, double *worst_rel_l2, char *err,
                           size_t err_len) {
    *worst_rel_l2 = -1;
    rt_buffers F;
    rt_cudnn *dnn = NULL;
    fk_status st = rt_buffers_create(m, b->batch, CM_F32, seed, &F, err, err_len);
    if (st != FK_OK) return st;
    if (input_nhwc) st = rt_buffers_set_input(m, &F, input_nhwc, err, err_len);
    if (st == FK_OK && (st = rt_cudnn_create(m, &F, CM_MATH_SIMT, false, &dnn, err, err_len)) == FK_OK &&
        (st = rt_poison_activations(m, &F, s, err, err_len)) == FK_OK &&
        (st = rt_run_model_cudnn(dnn, m, &F, s, err, err_len)) == FK_OK) {
        cudaError_t ce = cudaStreamSynchronize(s);
        if (ce != cudaSuccess)
            st = fk_cuda_fail(ce, "cudaStreamSynchronize", __FILE__, __LINE__, err, err_len);
    }
    double worst = 0;
    for (int k = 0; k < m->n_outputs && st == FK_OK; k++) {
        const int t = m->outputs[k];
        rt_error e;
        st = rt_compare_mixed(b->tensor[t], b->dtype, F.tensor[t], CM_F32, b->tensor_count[t], &e,
                              err, err_len);
        if (st == FK_OK && e.rel_l2 > worst) worst = e.rel_l2;
        if (st == FK_OK && (e.non_finite || e.poisoned || e.ref_non_finite)) worst = INFINITY;
    }
    if (st == FK_OK) *worst_rel_l2 = worst;
    rt_cudnn_destroy(dnn);
    rt_buffers_destroy(&F);
    return st;
}

fk_status rt_job_unit(void *arg, cudaStream_t s, char *err, size_t err_len) {
    rt_unit_job *j = arg;
    return rt_run_unit(j->m, j->u, j->b, j->b, j->dnn, s, err, err_len);
}
