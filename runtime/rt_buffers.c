/* rt_buffers.c - the device buffers of a model: every tensor once, weights
 * random (fixed seed) or from the model's weights file, in the plan's element
 * type (biases fp32). */
#include "rt_buffers.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fk_error.h"

/* Random weights: uniform in [-a, a] with a = sqrt(3 / fan_in) has variance
 * 1/fan_in, so a layer roughly preserves the variance of its input (ReLU
 * halves it, residual adds double it); over MobileNetV2's 52 convs this keeps
 * activations within [1e-3, 1e3]. Biases are small so they do not dominate. */
#define RT_BIAS_RANGE 0.05f
#define RT_INPUT_RANGE 1.0f

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

static fk_status alloc_activations(const fp_model *m, rt_buffers *b, char *err, size_t err_len) {
    b->n_tensors = m->n_tensors;
    b->tensor = calloc((size_t)m->n_tensors, sizeof *b->tensor);
    b->tensor_count = calloc((size_t)m->n_tensors, sizeof *b->tensor_count);
    if (!b->tensor || !b->tensor_count) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    for (int t = 0; t < m->n_tensors; t++) {
        fp_shape s = m->tensors[t].shape;
        b->tensor_count[t] = (size_t)b->batch * s.h * s.w * s.c;
        fk_status st = dev_alloc(&b->tensor[t], b->tensor_count[t] * (size_t)cm_dtype_bytes(b->dtype),
                                 &b->device_bytes, err, err_len);
        if (st != FK_OK) return st;
    }
    return FK_OK;
}

/* Reads the weights file: per conv/dense layer in order, weights then biases,
 * fp32 in the file; weights are rounded to the element type on the host
 * (round to nearest even, as the device would), biases stay fp32. */
static fk_status load_weights_file(const fp_model *m, rt_buffers *b, char *err, size_t err_len) {
    FILE *f = fopen(m->weights, "rb");
    if (!f) return fk_fail(FK_ERR_INVALID, err, err_len, "%s: cannot open", m->weights);
    const size_t eb = (size_t)cm_dtype_bytes(b->dtype);
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
            size_t bytes = parts[k] * sizeof(float);
            if (fread(h, sizeof(float), parts[k], f) != parts[k]) {
                st = fk_fail(FK_ERR_INVALID, err, err_len, "%s: short read at layer %s", m->weights,
                             l->name);
            } else if (k == 0 && b->dtype != CM_F32) {
                /* in place: element j (eb <= 4 bytes) lands at or before float j */
                unsigned char *o = (unsigned char *)h;
                for (size_t j = 0; j < parts[k]; j++) {
                    const float v = h[j];
                    fk_host_from_f32(b->dtype, v, o + j * eb);
                }
                bytes = parts[k] * eb;
            }
            cudaError_t e = st == FK_OK ? cudaMemcpy(dst[k], h, bytes, cudaMemcpyHostToDevice) : cudaSuccess;
            if (e != cudaSuccess)
                st = fk_fail(FK_ERR_CUDA, err, err_len, "cudaMemcpy of %s's %s: %s: %s", l->name,
                             k == 0 ? "weights" : "bias", cudaGetErrorName(e), cudaGetErrorString(e));
            free(h);
        }
    }
    fclose(f);
    return st;
}

fk_status rt_buffers_create(const fp_model *m, int batch, cm_dtype dtype, uint64_t seed,
                               rt_buffers *b, char *err, size_t err_len) {
    memset(b, 0, sizeof *b);
    if (dtype != CM_F32 && dtype != CM_F16 && dtype != CM_BF16)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "the runtime executes fp32, fp16 and "
                       "bf16 plans; %s is not an element type of it yet", cm_dtype_name(dtype));
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
        if ((st = dev_alloc(&b->weight[i], wc * (size_t)cm_dtype_bytes(dtype), &b->device_bytes, err,
                            err_len)) ||
            (st = dev_alloc((void **)&b->bias[i], bc * sizeof(float), &b->device_bytes, err, err_len)))
            goto fail;
        /* kernels always add a bias: a layer without one gets zeros */
        cudaError_t e = l->bias ? cudaSuccess : cudaMemset(b->bias[i], 0, bc * sizeof(float));
        if (e != cudaSuccess) {
            st = fk_fail(FK_ERR_CUDA, err, err_len, "cudaMemset of %s's zero bias: %s: %s", l->name,
                         cudaGetErrorName(e), cudaGetErrorString(e));
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
            if ((st = fk_fill_uniform_dt(b->weight[i], dtype, wc, s, -a, a, 0, err, err_len)) != FK_OK)
                goto fail;
            if (l->bias &&
                (st = fk_fill_uniform(b->bias[i], bias_count(l), s + 1, -RT_BIAS_RANGE,
                                      RT_BIAS_RANGE, 0, err, err_len)) != FK_OK)
                goto fail;
        }
    }
    st = fk_fill_uniform_dt(b->tensor[m->input], dtype, b->tensor_count[m->input], seed,
                            -RT_INPUT_RANGE, RT_INPUT_RANGE, 0, err, err_len);
    if (st != FK_OK) goto fail;
    cudaError_t ce = cudaDeviceSynchronize();
    if (ce != cudaSuccess) {
        st = fk_cuda_fail(ce, "cudaDeviceSynchronize", __FILE__, __LINE__, err, err_len);
        goto fail;
    }
    return FK_OK;
fail:
    rt_buffers_destroy(b);
    return st;
}

fk_status rt_buffers_clone_activations(const fp_model *m, const rt_buffers *src,
                                          rt_buffers *b, char *err, size_t err_len) {
    memset(b, 0, sizeof *b);
    b->batch = src->batch;
    b->dtype = src->dtype;
    b->n_layers = src->n_layers;
    b->weight = src->weight;
    b->bias = src->bias;
    b->owns_weights = false;
    fk_status st = alloc_activations(m, b, err, err_len);
    if (st != FK_OK) {
        rt_buffers_destroy(b);
        return st;
    }
    cudaError_t ce = cudaMemcpy(b->tensor[m->input], src->tensor[m->input],
                                src->tensor_count[m->input] * (size_t)cm_dtype_bytes(src->dtype),
                                cudaMemcpyDeviceToDevice);
    if (ce != cudaSuccess) {
        rt_buffers_destroy(b);
        return fk_cuda_fail(ce, "cudaMemcpy(input)", __FILE__, __LINE__, err, err_len);
    }
    return FK_OK;
}

void rt_buffers_destroy(rt_buffers *b) {
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

/* ---- a given input, the output read back ---- */

/* What a wrong-sized input file is compared with, for its message. */
static void input_wanted(const fp_model *m, int batch, char *buf, size_t n) {
    const fp_shape s = m->tensors[m->input].shape;
    snprintf(buf, n, "float32 NCHW [%d][%d][%d][%d], the input \"%s\" of model %s at batch %d", batch,
             s.c, s.h, s.w, m->tensors[m->input].name, m->name, batch);
}

/* The file's bytes into buf (want of them): a regular file's size is checked
 * first; a pipe or device is read to its end to count what it holds. */
static fk_status read_exact(FILE *f, const char *path, void *buf, size_t want, const fp_model *m,
                            int batch, char *err, size_t err_len) {
    struct stat st;
    char what[256];
    input_wanted(m, batch, what, sizeof what);
    if (fstat(fileno(f), &st) != 0)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: cannot read: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: cannot read: %s", path, strerror(EISDIR));
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size != (unsigned long long)want)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: %llu bytes, expected %zu (%s)", path,
                       (unsigned long long)st.st_size, want, what);
    errno = 0;
    size_t got = fread(buf, 1, want, f);
    if (ferror(f))
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: cannot read: %s", path,
                       strerror(errno ? errno : EIO));
    unsigned long long found = got;
    if (got == want && !S_ISREG(st.st_mode)) { /* anything after the tensor is an error too */
        unsigned char more[4096];
        size_t k;
        while ((k = fread(more, 1, sizeof more, f)) > 0) found += k;
        if (ferror(f))
            return fk_fail(FK_ERR_INVALID, err, err_len, "%s: cannot read: %s", path,
                           strerror(errno ? errno : EIO));
    }
    if (found != (unsigned long long)want)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: %llu bytes, expected %zu (%s)", path, found,
                       want, what);
    return FK_OK;
}

fk_status rt_input_read_nchw(const fp_model *m, int batch, const char *path, float **nhwc,
                             char *err, size_t err_len) {
    *nhwc = NULL;
    const fp_shape s = m->tensors[m->input].shape;
    const size_t hw = (size_t)s.h * s.w, n = (size_t)batch * s.c * hw;
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return fk_fail(FK_ERR_INVALID, err, err_len, "%s: cannot read: %s", path, strerror(errno));
    /* the file is little-endian float32, as every host fuseplan builds on (x86-64, arm64) */
    float *nchw = malloc(n * sizeof(float) + 1), *out = malloc(n * sizeof(float) + 1);
    fk_status st = nchw && out ? read_exact(f, path, nchw, n * sizeof(float), m, batch, err, err_len)
                               : fk_fail(FK_ERR_NOMEM, err, err_len, "%s: out of memory", path);
    fclose(f);
    for (size_t i = 0; i < n && st == FK_OK; i++)
        if (!isfinite(nchw[i])) { /* the checks would only report non-finite outputs */
            const size_t img = i / ((size_t)s.c * hw), c = i / hw % (size_t)s.c, p = i % hw;
            st = fk_fail(FK_ERR_INVALID, err, err_len, "%s: element %zu ([%zu][%zu][%zu][%zu]) is %s",
                         path, i, img, c, p / (size_t)s.w, p % (size_t)s.w,
                         isnan(nchw[i]) ? "NaN" : "infinite");
        }
    if (st == FK_OK) /* NCHW -> NHWC */
        for (size_t b = 0; b < (size_t)batch; b++)
            for (size_t c = 0; c < (size_t)s.c; c++)
                for (size_t p = 0; p < hw; p++)
                    out[(b * hw + p) * (size_t)s.c + c] = nchw[(b * (size_t)s.c + c) * hw + p];
    free(nchw);
    if (st != FK_OK) {
        free(out);
        return st;
    }
    *nhwc = out;
    return FK_OK;
}

fk_status rt_buffers_set_input(const fp_model *m, rt_buffers *b, const float *nhwc, char *err,
                               size_t err_len) {
    const size_t n = b->tensor_count[m->input], eb = (size_t)cm_dtype_bytes(b->dtype);
    unsigned char *h = malloc(n * eb + 1);
    if (!h) return fk_fail(FK_ERR_NOMEM, err, err_len, "the input: out of memory");
    for (size_t i = 0; i < n; i++) fk_host_from_f32(b->dtype, nhwc[i], h + i * eb);
    cudaError_t ce = cudaMemcpy(b->tensor[m->input], h, n * eb, cudaMemcpyHostToDevice);
    free(h);
    if (ce != cudaSuccess) return fk_cuda_fail(ce, "cudaMemcpy(input)", __FILE__, __LINE__, err, err_len);
    return FK_OK;
}

fk_status rt_buffers_read_nchw(const fp_model *m, const rt_buffers *b, int t, float **out,
                               size_t *count, char *err, size_t err_len) {
    *out = NULL;
    *count = 0;
    const fp_shape s = m->tensors[t].shape;
    const size_t hw = (size_t)s.h * s.w, n = b->tensor_count[t], eb = (size_t)cm_dtype_bytes(b->dtype);
    unsigned char *h = malloc(n * eb + 1);
    float *o = malloc(n * sizeof(float) + 1);
    if (!h || !o) {
        free(h);
        free(o);
        return fk_fail(FK_ERR_NOMEM, err, err_len, "reading %s back: out of memory", m->tensors[t].name);
    }
    cudaError_t ce = cudaMemcpy(h, b->tensor[t], n * eb, cudaMemcpyDeviceToHost);
    if (ce != cudaSuccess) {
        free(h);
        free(o);
        return fk_cuda_fail(ce, "cudaMemcpy(output)", __FILE__, __LINE__, err, err_len);
    }
    for (size_t i = 0; i < n; i++) { /* i runs over NHWC; NCHW's index is computed */
        const size_t c = i % (size_t)s.c, p = i / (size_t)s.c % hw, img = i / ((size_t)s.c * hw);
        o[(img * (size_t)s.c + c) * hw + p] = fk_host_to_f32(b->dtype, h + i * eb);
    }
    free(h);
    *out = o;
    *count = n;
    return FK_OK;
}
