/* test_kernels.c - every compiled kernel variant (costmodel/cm_variants.inc)
 * and every other op of fcm_kernels against the double-precision CPU
 * reference, and the cuDNN wrapper against both (suite 'gpu').
 *
 * Method (DESIGN.md, conventions 9): fixed-seed random inputs, weights and
 * biases (never zeros); every output poisoned with a NaN pattern before each
 * run and checked fully written; shapes that hit tile edges: channels equal
 * to, below, above and not a multiple of tile_c / chunk_c (the last also takes
 * the scalar copy path), odd H and W, stride 2, asymmetric padding, K 3/5/7,
 * batch 1 and 3, with and without residual.
 *
 * Thresholds: every case must have no NaN/Inf and a relative L2 error
 * ||out - ref|| / ||ref|| <= 1e-5 against the double reference. FP32 sums of
 * at most a few thousand products of O(1) random values land around 1e-7; TF32
 * (10-bit mantissa) would land near 1e-4..1e-3, so the same bound also proves
 * that cuDNN ran in strict FP32. Our kernels against cuDNN: <= 2e-5.
 *
 * fp16 / bf16 variants (issue 12): inputs, weights and residuals are drawn in
 * fp32, rounded to the element type on the host (round to nearest even, the
 * device's rounding), and the double reference is computed from the ROUNDED
 * values, so the only errors measured are the kernel's own: the rounding of
 * each result stored in the element type (the output; in fused kinds also
 * each intermediate kept in 16 bits) and the FP32 accumulation. Bound
 * (unit_tol, docs/kernels.md "Accuracy of the 16-bit kernels"):
 *     rel L2 <= 2 * R * u + K_red * 2^-24
 * u = 2^-11 (fp16) or 2^-8 (bf16) the unit round-off, R the roundings to the
 * element type on the path to the output (the unit's layer count: 1 for DW
 * and PW, 2 for DWPW and PWDW, 3 for PWDWPW), K_red the reduction lengths (C for a PW,
 * K*K for a DW) summed over the unit's layers.
 *
 * fp32 variants with math tc (TF32, issue 12): inputs and weights stay fp32
 * (the reference uses the same values), the kernels round each GEMM operand
 * to TF32; bound tf32_tol (2 * 2G * 2^-11 + K_red * 2^-24 + TOL_REF, G the
 * unit's GEMM layers; docs/kernels.md "Accuracy of the TF32 kernels"), and
 * test_tf32_rounding checks the rounding itself (cvt.rna) on a directed input
 * with an exact answer.
 *
 * Exit status: 0 all passed, 1 a failure, 77 no CUDA device (skip).
 * FK_TEST_QUICK=1: fewer, smaller shapes (for compute-sanitizer runs).
 * FK_TEST_ONLY=text: only the variants whose name contains text (e.g. "_f16_",
 * "pw_bf16_tc"); the other ops still run unless FK_TEST_ONLY is set.
 * FK_TEST_VERBOSE=1: one line per case. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "check.h"
#include "cm_smem_layout.h"
#include "costmodel.h"
#include "fk_kernels.h"
#include "fk_reference.h"
#ifdef FUSEPLAN_HAVE_CUDNN
#include "rt_dnn.h"
#endif

#define TOL_REF 1e-5
#define TOL_CUDNN 2e-5

static bool quick, verbose;
static const char *only; /* FK_TEST_ONLY */
static int n_cases, n_smem_mismatch;
static int n_variant_cases, n_infeasible; /* run_case: run, skipped as infeasible */
static double worst_rel = 0.0;
static cm_gpu gpu; /* from the device's properties, for cm_tile_check */

#define CUDA_TRY(call)                                                                         \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess) {                                                               \
            CHECK(0, "%s: %s", #call, cudaGetErrorString(e_));                                 \
            return false;                                                                      \
        }                                                                                      \
    } while (0)

/* ---- small helpers ---------------------------------------------------------- */

static uint64_t seed_counter = 1000;

static float *host_rand(size_t n, float lo, float hi) {
    float *h = malloc((n ? n : 1) * sizeof(float));
    if (h) fk_fill_host_uniform(h, n, seed_counter++, lo, hi);
    return h;
}

static double *to_double(const float *h, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof(double));
    if (d)
        for (size_t i = 0; i < n; i++) d[i] = h[i];
    return d;
}

static float *dev_from(const float *h, size_t n) {
    float *d = NULL;
    if (cudaMalloc((void **)&d, (n ? n : 1) * sizeof(float)) != cudaSuccess) return NULL;
    if (cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice) != cudaSuccess) {
        cudaFree(d);
        return NULL;
    }
    return d;
}

static bool is16(cm_dtype t) { return t == CM_F16 || t == CM_BF16; }

/* Rounds h[0..n) in place to the element type t (fp32: unchanged), so that
 * the host values are exactly the ones the device sees. */
static void host_round(cm_dtype t, float *h, size_t n) {
    if (!h || !is16(t)) return;
    for (size_t i = 0; i < n; i++) {
        unsigned char b[4]; /* room for any element type */
        fk_host_from_f32(t, h[i], b);
        h[i] = fk_host_to_f32(t, b);
    }
}

/* h[0..n) (already representable in t) stored on the device as type t. */
static void *dev_from_dt(cm_dtype t, const float *h, size_t n) {
    if (!is16(t)) return dev_from(h, n);
    uint16_t *b = malloc((n ? n : 1) * sizeof(uint16_t));
    void *d = NULL;
    if (!b) return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char e[4];
        fk_host_from_f32(t, h[i], e);
        memcpy(&b[i], e, sizeof b[i]);
    }
    if (cudaMalloc(&d, (n ? n : 1) * sizeof(uint16_t)) == cudaSuccess &&
        cudaMemcpy(d, b, n * sizeof(uint16_t), cudaMemcpyHostToDevice) != cudaSuccess) {
        cudaFree(d);
        d = NULL;
    }
    free(b);
    return d;
}

/* Compares and records; returns true when within tol and fully written. */
static bool judge(const char *what, const float *out, const double *ref, size_t n, double tol) {
    fk_err_stats s = fk_ref_compare(out, ref, n);
    n_cases++;
    if (s.rel_l2 > worst_rel) worst_rel = s.rel_l2;
    bool ok = s.non_finite == 0 && s.rel_l2 <= tol;
    if (verbose || !ok)
        printf("%s %s: %zu elems, max abs %.3g, rel L2 %.3g, unwritten/non-finite %zu\n",
               ok ? "  ok  " : "  FAIL", what, n, s.max_abs, s.rel_l2, s.non_finite);
    CHECK(ok, "%s: rel L2 %.3g (tol %.1g), %zu non-finite of %zu", what, s.rel_l2, tol,
          s.non_finite, n);
    return ok;
}

static void gpu_from_device(void) {
    struct cudaDeviceProp pr;
    memset(&gpu, 0, sizeof gpu);
    if (cudaGetDeviceProperties(&pr, 0) != cudaSuccess) return;
    gpu.sm_count = pr.multiProcessorCount;
    gpu.max_threads_per_sm = pr.maxThreadsPerMultiProcessor;
    gpu.max_threads_per_block = pr.maxThreadsPerBlock;
    gpu.max_regs_per_sm = pr.regsPerMultiprocessor;
    gpu.max_regs_per_thread = 255;
    gpu.max_blocks_per_sm = pr.maxBlocksPerMultiProcessor;
    gpu.smem_per_sm_bytes = (int)pr.sharedMemPerMultiprocessor;
    gpu.smem_per_block_optin_bytes = (int)pr.sharedMemPerBlockOptin;
    gpu.l1_per_sm_bytes = 256 * 1024;
    gpu.l2_bytes = pr.l2CacheSize;
    gpu.dram_gbps = 3000;
    gpu.l2_gbps = 10000;
    gpu.fp32_tflops = 60;
    gpu.clock_mhz = 1700;
    gpu.launch_overhead_us = 2;
    cm_gpu_default_calibration(&gpu);
}

/* ---- unit construction -------------------------------------------------------- */

/* A spatial/flat shape: batch, input H x W x C, expanded/middle E, output F,
 * the DW kernel, stride and padding (top, bottom, left, right). */
typedef struct shape {
    int n, h, w, c, e, f, k, s, pt, pb, pl, pr;
    bool res;
} shape;

static cm_conv pw_layer(int h, int w, int cin, int cout, cm_act a) {
    cm_conv l = {h, w, cin, h, w, cout, 1, 1, 0, 0, a};
    return l;
}

static cm_conv dw_layer(const shape *sh, int h, int w, int c, cm_act a) {
    cm_conv l;
    l.in_h = h;
    l.in_w = w;
    l.in_c = l.out_c = c;
    l.kernel = sh->k;
    l.stride = sh->s;
    l.pad_top = sh->pt;
    l.pad_left = sh->pl;
    l.out_h = (h + sh->pt + sh->pb - sh->k) / sh->s + 1;
    l.out_w = (w + sh->pl + sh->pr - sh->k) / sh->s + 1;
    l.act = a;
    return l;
}

/* act0: the PWDWPW expansion's activation (the other kinds' are fixed). */
static cm_unit make_unit_act0(cm_kind kind, const shape *sh, cm_act act0) {
    cm_unit u;
    memset(&u, 0, sizeof u);
    u.kind = kind;
    u.batch = sh->n;
    u.dtype = CM_F32;
    u.residual = sh->res;
    switch (kind) {
    case CM_KIND_DW: u.layers[0] = dw_layer(sh, sh->h, sh->w, sh->c, CM_ACT_RELU6); break;
    case CM_KIND_PW: u.layers[0] = pw_layer(sh->h, sh->w, sh->c, sh->f, CM_ACT_RELU); break;
    case CM_KIND_DWPW:
        u.layers[0] = dw_layer(sh, sh->h, sh->w, sh->c, CM_ACT_RELU6);
        u.layers[1] = pw_layer(u.layers[0].out_h, u.layers[0].out_w, sh->c, sh->f, CM_ACT_NONE);
        break;
    case CM_KIND_PWDW:
        u.layers[0] = pw_layer(sh->h, sh->w, sh->c, sh->e, CM_ACT_RELU6);
        u.layers[1] = dw_layer(sh, sh->h, sh->w, sh->e, CM_ACT_RELU);
        break;
    case CM_KIND_PWPW:
        u.layers[0] = pw_layer(sh->h, sh->w, sh->c, sh->e, CM_ACT_RELU6);
        u.layers[1] = pw_layer(sh->h, sh->w, sh->e, sh->f, CM_ACT_NONE);
        break;
    case CM_KIND_PWDWPW:
        u.layers[0] = pw_layer(sh->h, sh->w, sh->c, sh->e, act0);
        u.layers[1] = dw_layer(sh, sh->h, sh->w, sh->e, CM_ACT_RELU6);
        u.layers[2] = pw_layer(u.layers[1].out_h, u.layers[1].out_w, sh->e, sh->f, CM_ACT_NONE);
        break;
    default: break;
    }
    return u;
}

static cm_unit make_unit(cm_kind kind, const shape *sh) {
    return make_unit_act0(kind, sh, CM_ACT_RELU6);
}

static size_t layer_weights(const cm_conv *l) {
    return l->kernel > 1 ? (size_t)l->in_c * l->kernel * l->kernel : (size_t)l->out_c * l->in_c;
}

/* Host and device data of one unit case. Host arrays are fp32 holding values
 * representable in the unit's element type dt; device tensors and weights are
 * of type dt (biases fp32). */
typedef struct unit_data {
    cm_unit u;
    cm_dtype dt;
    int nl;
    size_t nx, ny, nw[3], nb[3];
    float *hx, *hw[3], *hb[3], *hr;
    void *dx, *dw[3], *dr, *dy;
    float *db[3];
} unit_data;

static void unit_data_free(unit_data *d) {
    free(d->hx);
    free(d->hr);
    cudaFree(d->dx);
    cudaFree(d->dr);
    cudaFree(d->dy);
    for (int i = 0; i < 3; i++) {
        free(d->hw[i]);
        free(d->hb[i]);
        cudaFree(d->dw[i]);
        cudaFree(d->db[i]);
    }
}

static bool unit_data_init(unit_data *d, const cm_unit *u) {
    memset(d, 0, sizeof *d);
    d->u = *u;
    d->nl = cm_kind_layers(u->kind);
    d->nx = fk_ref_unit_in_count(u);
    d->ny = fk_ref_unit_out_count(u);
    d->dt = u->dtype;
    d->hx = host_rand(d->nx, -1.f, 1.f);
    host_round(d->dt, d->hx, d->nx);
    for (int i = 0; i < d->nl; i++) {
        const cm_conv *l = &u->layers[i];
        d->nw[i] = layer_weights(l);
        d->nb[i] = (size_t)l->out_c;
        /* scale ~ 1/sqrt(fan-in) keeps activations O(1) through 3 layers */
        const float fan = l->kernel > 1 ? (float)(l->kernel * l->kernel) : (float)l->in_c;
        const float sc = 1.7f / sqrtf(fan);
        d->hw[i] = host_rand(d->nw[i], -sc, sc);
        host_round(d->dt, d->hw[i], d->nw[i]);
        d->hb[i] = host_rand(d->nb[i], -0.5f, 0.5f);
        d->dw[i] = d->hw[i] ? dev_from_dt(d->dt, d->hw[i], d->nw[i]) : NULL;
        d->db[i] = d->hb[i] ? dev_from(d->hb[i], d->nb[i]) : NULL;
        if (!d->dw[i] || !d->db[i]) return false;
    }
    if (u->residual) {
        d->hr = host_rand(d->ny, -1.f, 1.f);
        host_round(d->dt, d->hr, d->ny);
        d->dr = d->hr ? dev_from_dt(d->dt, d->hr, d->ny) : NULL;
        if (!d->dr) return false;
    }
    d->dx = d->hx ? dev_from_dt(d->dt, d->hx, d->nx) : NULL;
    if (!d->dx) return false;
    return cudaMalloc(&d->dy, d->ny * (size_t)cm_dtype_bytes(d->dt)) == cudaSuccess;
}

/* The double reference of the unit. */
static double *unit_ref(const unit_data *d) {
    double *x = to_double(d->hx, d->nx);
    double *r = d->hr ? to_double(d->hr, d->ny) : NULL;
    double *y = malloc(d->ny * sizeof(double));
    const float *w[3] = {d->hw[0], d->hw[1], d->hw[2]};
    const float *b[3] = {d->hb[0], d->hb[1], d->hb[2]};
    fk_status st = (x && y) ? fk_ref_unit(&d->u, x, w, b, r, y) : FK_ERR_NOMEM;
    CHECK(st == FK_OK, "fk_ref_unit: %s", fk_status_str(st));
    free(x);
    free(r);
    if (st != FK_OK) {
        free(y);
        return NULL;
    }
    return y;
}

/* Runs (u, t) with poisoned output, returns the output on the host. */
static float *unit_run(const unit_data *d, const cm_tile *t, const char *what) {
    char err[512];
    fk_unit_buffers b;
    memset(&b, 0, sizeof b);
    b.x = d->dx;
    for (int i = 0; i < d->nl; i++) {
        b.w[i] = d->dw[i];
        b.b[i] = d->db[i];
    }
    b.residual = d->dr;
    b.y = d->dy;
    fk_status st = fk_poison_dt(d->dy, d->dt, d->ny, 0, err, sizeof err);
    CHECK(st == FK_OK, "%s: poison: %s", what, err);
    st = fk_launch_unit(&d->u, t, &b, 0, err, sizeof err);
    CHECK(st == FK_OK, "%s: fk_launch_unit: %s: %s", what, fk_status_str(st), err);
    if (st != FK_OK) return NULL;
    cudaError_t e = cudaDeviceSynchronize();
    CHECK(e == cudaSuccess, "%s: after launch: %s", what, cudaGetErrorString(e));
    if (e != cudaSuccess) return NULL;
    const size_t es = (size_t)cm_dtype_bytes(d->dt);
    float *h = malloc(d->ny * sizeof(float));
    unsigned char *raw = is16(d->dt) ? malloc(d->ny * es) : (unsigned char *)h;
    if (!h || !raw) {
        free(h);
        if (raw != (unsigned char *)h) free(raw);
        return NULL;
    }
    e = cudaMemcpy(raw, d->dy, d->ny * es, cudaMemcpyDeviceToHost);
    CHECK(e == cudaSuccess, "%s: copy back: %s", what, cudaGetErrorString(e));
    if (raw != (unsigned char *)h) {
        /* 16-bit: to fp32 (exact); the poison pattern is a NaN in both types */
        for (size_t i = 0; i < d->ny; i++) h[i] = fk_host_to_f32(d->dt, raw + i * es);
        free(raw);
    }
    return h;
}

/* The accuracy bound of a unit against the double reference computed from
 * the rounded inputs (see the header comment and docs/kernels.md): fp32
 * TOL_REF; fp16/bf16 2 * R * u + K_red * 2^-24, with R the roundings to the
 * element type on the way to the output (the output, plus one per
 * intermediate layer a fused 16-bit kernel keeps in 16 bits: all of them,
 * counted conservatively) and K_red the reduction lengths summed over the
 * layers. */
/* fp32 with math tc (TF32; docs/kernels.md "The TF32 kernels"): the tensors
 * stay fp32 (the reference is computed from the very same fp32 values), each
 * GEMM rounds both of its operands to TF32 (cvt.rna: relative error at most
 * u = 2^-11 each, RMS about 0.4 u; a PW's relative L2 error is then about
 * 0.6 u, measured 2.9e-4 for K 16..1280 in a host simulation of the
 * kernels' arithmetic), every sum and every intermediate is fp32:
 *     rel L2 <= 2 * (2 G) * u + K_red * 2^-24 + TOL_REF
 * with G the unit's GEMM layers (PW layers: 1, PWDWPW 2), so 2 G operand
 * roundings on the path, the factor 2 as for the 16-bit types (activation
 * kink, residual), K_red the reduction lengths as there, TOL_REF the strict
 * fp32 DW layers' share. A PW gets 2.0e-3, a PWDWPW 3.9e-3; a dropped 8-channel
 * k-step of 1301 channels moves the result by sqrt(8/1301) = 0.08, a wrong
 * fragment mapping by O(1). It cannot tell the rounding mode (truncation
 * would give about 1.8 u): test_tf32_rounding does. */
static double tf32_tol(const cm_unit *u) {
    const double un = ldexp(1.0, -11);
    const int nl = cm_kind_layers(u->kind);
    double kred = 0.0;
    int gemms = 0;
    for (int i = 0; i < nl; i++) {
        const cm_conv *l = &u->layers[i];
        kred += l->kernel > 1 ? (double)l->kernel * l->kernel : (double)l->in_c;
        gemms += l->kernel == 1;
    }
    return 2.0 * (2 * gemms) * un + kred * ldexp(1.0, -24) + TOL_REF;
}

static double unit_tol(const cm_unit *u) {
    if (u->dtype == CM_F32 && u->math == CM_MATH_TC) return tf32_tol(u);
    if (!is16(u->dtype)) return TOL_REF;
    const double un = u->dtype == CM_F16 ? ldexp(1.0, -11) : ldexp(1.0, -8);
    const int nl = cm_kind_layers(u->kind);
    double kred = 0.0;
    for (int i = 0; i < nl; i++) {
        const cm_conv *l = &u->layers[i];
        kred += l->kernel > 1 ? (double)l->kernel * l->kernel : (double)l->in_c;
    }
    return 2.0 * nl * un + kred * ldexp(1.0, -24);
}

/* The dynamic shared memory the kernel of variant v carves for unit u, from
 * its own layout function (cm_smem_layout.h), for the 16-bit and the TF32
 * rows; 0 for the others (their equality is test_smem's and cm_tile_check's). */
static size_t layout_bytes(const cm_variant *v, const cm_unit *u) {
    const cm_tile *t = &v->id.tile;
    if (v->id.dtype == CM_F32 && v->id.math == CM_MATH_TC) {
        /* the tensor-core layouts with 4-byte elements (fk_*_tc.cuh, T = float) */
        switch (v->id.kind) {
        case CM_KIND_PW:
            return 4 * (size_t)cm_smem_pw_tc_layout_es(t->tile_w, t->tile_c, t->chunk_c, t->threads, 4).total;
        case CM_KIND_DWPW:
            return 4 * (size_t)cm_smem_dwpw_tc_layout_es(t->tile_h, t->tile_w, t->tile_c, t->chunk_c,
                                                         u->layers[0].kernel, u->layers[0].stride, 4)
                           .total;
        case CM_KIND_PWDW:
            return 4 * (size_t)cm_smem_pwdw_tc_layout_es(t->tile_h, t->tile_w, t->tile_c, t->chunk_c,
                                                         u->layers[1].kernel, u->layers[1].stride, 4)
                           .total;
        case CM_KIND_PWDWPW:
            return 4 * (size_t)cm_smem_pwdwpw_tc_layout_es(t->tile_h, t->tile_w, t->tile_c,
                                                           t->chunk_c, u->layers[1].kernel,
                                                           u->layers[1].stride, u->layers[0].in_c, 4)
                           .total;
        default: return 0;
        }
    }
    if (!is16(v->id.dtype)) return 0;
    if (v->id.kind == CM_KIND_DW && v->id.math == CM_MATH_SIMT)
        return 4 * (size_t)cm_smem_dw16_layout(t->tile_h, t->tile_w, t->tile_c,
                                               u->layers[0].kernel, u->layers[0].stride)
                       .total;
    if (v->id.kind == CM_KIND_PW && v->id.math == CM_MATH_TC)
        return 4 * (size_t)cm_smem_pw_tc_layout(t->tile_w, t->tile_c, t->chunk_c, t->threads).total;
    if (v->id.kind == CM_KIND_DWPW && v->id.math == CM_MATH_TC)
        return 4 * (size_t)cm_smem_dwpw_tc_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c,
                                                  u->layers[0].kernel, u->layers[0].stride)
                       .total;
    if (v->id.kind == CM_KIND_PWDW && v->id.math == CM_MATH_TC)
        return 4 * (size_t)cm_smem_pwdw_tc_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c,
                                                  u->layers[1].kernel, u->layers[1].stride)
                       .total;
    if (v->id.kind == CM_KIND_PWPW && v->id.math == CM_MATH_TC)
        return 4 * (size_t)cm_smem_pwpw_tc_layout(t->tile_w, t->tile_c, t->chunk_c, t->threads,
                                                  u->layers[0].in_c, u->layers[0].out_c)
                       .total;
    if (v->id.kind == CM_KIND_PWDWPW && v->id.math == CM_MATH_TC)
        return 4 * (size_t)cm_smem_pwdwpw_tc_layout(t->tile_h, t->tile_w, t->tile_c, t->chunk_c,
                                                    u->layers[1].kernel, u->layers[1].stride,
                                                    u->layers[0].in_c)
                       .total;
    return 0;
}

static void describe(char *buf, size_t n, const cm_variant *v, const shape *sh,
                     const cm_unit *u) {
    const cm_conv *last = &u->layers[cm_kind_layers(u->kind) - 1];
    snprintf(buf, n, "%s n%d %dx%dx%d e%d f%d k%d s%d pad %d/%d/%d/%d%s act0 %s -> %dx%dx%d",
             v->name, sh->n, sh->h, sh->w, sh->c, sh->e, sh->f, sh->k, sh->s, sh->pt, sh->pb,
             sh->pl, sh->pr, sh->res ? " +res" : "", cm_act_name(u->layers[0].act), last->out_h,
             last->out_w, last->out_c);
}

/* One variant on one shape (act0: make_unit_act0's). */
static void run_case_act0(const cm_variant *v, const shape *sh, cm_act act0) {
    cm_unit u = make_unit_act0(v->id.kind, sh, act0);
    u.dtype = v->id.dtype;
    u.math = v->id.math;
    char what[256], why[256];
    describe(what, sizeof what, v, sh, &u);
    cm_status cs = cm_unit_check(&u, why, sizeof why);
    CHECK(cs == CM_OK, "%s: test built a bad unit: %s", what, why);
    if (cs != CM_OK) return;
    /* the launcher's shared memory is the cost model's footprint (one layout:
     * cm_smem_layout.h); any difference fails */
    cm_footprint fp;
    const size_t ours = fk_unit_smem_bytes(&u, &v->id.tile);
    CHECK(ours > 0, "%s: fk_unit_smem_bytes is 0", what);
    const cm_status fs = cm_tile_check(&u, &v->id.tile, &gpu, &fp, why, sizeof why);
    CHECK(fs == CM_OK || fs == CM_INFEASIBLE, "%s: cm_tile_check: %s", what, why);
    if ((size_t)fp.smem_bytes != ours) n_smem_mismatch++;
    /* and the bytes the kernel carves: its own layout of cm_smem_layout.h */
    const size_t carved = layout_bytes(v, &u);
    CHECK(carved == 0 || carved == ours, "%s: kernel layout %zu B, fk_unit_smem_bytes %zu B", what,
          carved, ours);
    CHECK((size_t)fp.smem_bytes == ours, "%s: kernel smem %zu B, cm_tile_check %d B", what, ours,
          fp.smem_bytes);
    if (fs == CM_INFEASIBLE) {
        /* the planner never picks it: the large 16-bit tiles (16x16 PWDWPW,
         * resident PWPW X) exceed shared memory on K 7 stride 2 or long-C
         * shapes; the smem equality above still held */
        n_infeasible++;
        if (verbose) printf("  skip %s: %s\n", what, why);
        return;
    }
    n_variant_cases++;
    unit_data d;
    if (!unit_data_init(&d, &u)) {
        CHECK(0, "%s: allocation failed", what);
        unit_data_free(&d);
        return;
    }
    double *ref = unit_ref(&d);
    float *out = ref ? unit_run(&d, &v->id.tile, what) : NULL;
    if (out) judge(what, out, ref, d.ny, unit_tol(&u));
    free(out);
    free(ref);
    unit_data_free(&d);
}
static void run_case(const cm_variant *v, const shape *sh) {
    run_case_act0(v, sh, CM_ACT_RELU6);
}

/* ---- shapes per kind ------------------------------------------------------------- */

static int imin(int a, int b) { return a < b ? a : b; }

/* Spatial shapes (DW K/stride/padding variety) for the DW-bearing kinds. */
static const shape spatial_base[] = {
    /* n  h   w   c  e  f  k  s  pt pb pl pr res */
    {1, 13, 11, 0, 0, 0, 3, 1, 1, 1, 1, 1, false}, /* odd H/W, same padding */
    {3, 14, 14, 0, 0, 0, 3, 2, 0, 1, 0, 1, true},  /* TF same, stride 2 (asymmetric) */
    {1, 17, 9, 0, 0, 0, 5, 1, 2, 2, 2, 2, false},  /* K5 */
    {3, 15, 17, 0, 0, 0, 7, 2, 3, 3, 3, 3, true},  /* K7 stride 2, odd */
    {1, 9, 19, 0, 0, 0, 5, 2, 1, 2, 2, 1, false},  /* K5 s2 asymmetric both ways */
    {1, 23, 21, 0, 0, 0, 3, 1, 0, 0, 1, 1, true},  /* valid rows, padded cols */
    {1, 16, 15, 0, 0, 0, 7, 1, 3, 3, 0, 6, false}, /* lopsided padding */
};

/* Channel counts relative to a tile width t: equal, below (multiple of 4),
 * above, above and not a multiple of 4 (scalar path), small odd. */
static int chan32(int t, int which) {
    switch (which % 5) {
    case 0: return t;
    case 1: return imin(12, t);
    case 2: return t + 20;
    case 3: return t + 3;
    default: return 7;
    }
}

/* The same for 16-bit variants, whose 16-byte vector path needs channel
 * counts that are multiples of 8: equal, below (8), above (multiple of 8, not
 * of the tile), above and odd (scalar path), a multiple of 4 but not of 8
 * (scalar loads, vector stores). */
static int chan16(int t, int which) {
    switch (which % 5) {
    case 0: return t;
    case 1: return 8;
    case 2: return t + 40;
    case 3: return t + 3;
    default: return 12;
    }
}

static void test_variant(const cm_variant *v) {
    const int tc = v->id.tile.tile_c, cc = v->id.tile.chunk_c;
    int (*chan)(int, int) = is16(v->id.dtype) ? chan16 : chan32;
    const int nsp = quick ? 2 : (int)(sizeof spatial_base / sizeof spatial_base[0]);
    switch (v->id.kind) {
    case CM_KIND_DW:
    case CM_KIND_DWPW:
    case CM_KIND_PWDW:
    case CM_KIND_PWDWPW:
        for (int i = 0; i < nsp; i++) {
            shape sh = spatial_base[i];
            if (v->id.kind == CM_KIND_DW) {
                sh.c = chan(tc, i);
            } else if (v->id.kind == CM_KIND_DWPW) {
                sh.c = chan(cc, i + 2); /* chunks over C */
                sh.f = chan(tc, i);
            } else if (v->id.kind == CM_KIND_PWDW) {
                sh.c = chan(cc, i + 1);
                sh.e = chan(tc, i);
            } else {
                sh.c = (int[]){16, 24, 7, 32, 20, 13, 40}[i % 7];
                sh.e = chan(cc, i + 2) + (i & 1 ? cc : 0); /* several chunks, partial last */
                sh.f = chan(tc, i);
            }
            if (quick) sh.n = imin(sh.n, 2);
            /* the PWDWPW expansion's epilogue has a path for a lower bound of
             * 0 (ReLU6, ReLU) and one for none (fk_pwdwpw_tc.cuh): all three */
            run_case_act0(v, &sh, (cm_act[]){CM_ACT_RELU6, CM_ACT_RELU, CM_ACT_NONE}[i % 3]);
        }
        if (v->id.kind == CM_KIND_PWDW || v->id.kind == CM_KIND_DWPW) {
            /* a long reduction: more chunks than the deepest pipeline
             * (cm_pwdw_stages), odd C (scalar path), then C % 4 == 0 */
            shape sh = spatial_base[1];
            sh.n = 1;
            sh.c = 5 * cc + 9;
            sh.e = sh.f = chan(tc, 2);
            run_case(v, &sh);
            if (!quick) {
                sh = spatial_base[0];
                sh.c = 6 * cc;
                sh.e = sh.f = tc;
                run_case(v, &sh);
            }
        }
        break;
    case CM_KIND_PW:
    case CM_KIND_PWPW: {
        static const shape flat[] = {
            {1, 7, 9, 0, 0, 0, 1, 1, 0, 0, 0, 0, false},  /* 63 pixels: below a tile */
            {3, 9, 9, 0, 0, 0, 1, 1, 0, 0, 0, 0, true},   /* 243: partial last tile */
            {1, 16, 16, 0, 0, 0, 1, 1, 0, 0, 0, 0, false}, /* 256: whole tiles */
            {3, 5, 11, 0, 0, 0, 1, 1, 0, 0, 0, 0, true},
            {1, 31, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, false},
        };
        const int nf = quick ? 2 : 5;
        for (int i = 0; i < nf; i++) {
            shape sh = flat[i];
            sh.c = is16(v->id.dtype) ? (int[]){cc, 24, 3 * cc + 8, cc + 5, 16}[i]
                                     : (int[]){cc, 12, 3 * cc + 4, cc + 5, 7}[i];
            if (v->id.kind == CM_KIND_PW) {
                sh.f = chan(tc, i);
            } else {
                sh.e = (int[]){24, 40, 7, 64, 12}[i];
                sh.f = chan(tc, i);
            }
            run_case(v, &sh);
        }
        if (v->id.kind == CM_KIND_PW) {
            /* a long reduction: more stages than a split tile's 4-stage ring
             * (cm_pw_split, up to 8 chunks of 32 per stage), a partial last
             * chunk, odd C (scalar path) and C % 4 == 0 (vector path) */
            shape sh = {1, 7, 7, 0, 0, 0, 1, 1, 0, 0, 0, 0, true};
            sh.c = 1301;
            sh.f = chan(tc, 2);
            run_case(v, &sh);
            if (!quick) {
                sh.c = is16(v->id.dtype) ? 1160 : 1156; /* the vector path */
                sh.f = tc;
                sh.res = false;
                run_case(v, &sh);
            }
            if (is16(v->id.dtype) || v->id.math == CM_MATH_TC) {
                /* batch 2, C and F multiples of 8 (the 16-byte path end to
                 * end), partial pixel and channel tiles, residual (TF32
                 * rows too: C 80, two and a half chunks) */
                shape s2 = {2, 9, 7, 0, 0, 0, 1, 1, 0, 0, 0, 0, true};
                s2.c = 2 * cc + 16;
                s2.f = tc + 8;
                run_case(v, &s2);
            }
        }
        if (v->id.kind == CM_KIND_PWPW && is16(v->id.dtype)) {
            /* the 16-bit kernel's H blocks and output sub-blocks of
             * cm_pwpw_tc_nb channels (fk_pwpw_tc.cuh): F1 over two blocks,
             * the last partial (its warps past F1 skip) with C, F1, F2
             * multiples of 8 (16-byte paths), F2 over two channel tiles with
             * a partial last sub-block, batch 2, residual; then odd C and F1
             * (2-byte paths, H ending inside a pair) with 3 blocks; then a
             * long C (46 chunks through the ring) */
            const int nb = (int)cm_pwpw_tc_nb(v->id.tile.tile_w, v->id.tile.threads);
            shape s1 = {2, 9, 7, 0, 0, 0, 1, 1, 0, 0, 0, 0, true};
            s1.c = 2 * cc + 16;
            s1.e = nb + 24;
            s1.f = tc + 40;
            run_case(v, &s1);
            shape s2 = {1, 7, 7, 0, 0, 0, 1, 1, 0, 0, 0, 0, false};
            s2.c = 3 * cc + 5;
            s2.e = 2 * nb + 3;
            s2.f = 2 * tc + 8;
            run_case(v, &s2);
            if (!quick) {
                shape s3 = {1, 7, 7, 0, 0, 0, 1, 1, 0, 0, 0, 0, true};
                s3.c = 1472;
                s3.e = 320;
                s3.f = tc;
                run_case(v, &s3);
            }
        }
        break;
    }
    default: break;
    }
}

/* Larger, MobileNetV2-like shapes (one per kind, element type and math) on
 * the first variant of the kind, type and math, against the CPU reference
 * too. */
static void test_large(void) {
    size_t nv;
    const cm_variant *vs = cm_variants(&nv);
    bool done[CM_KIND_COUNT][CM_DTYPE_COUNT][CM_MATH_COUNT] = {{{false}}};
    for (size_t i = 0; i < nv; i++) {
        const cm_variant *v = &vs[i];
        if (done[v->id.kind][v->id.dtype][v->id.math] || (only && !strstr(v->name, only))) continue;
        done[v->id.kind][v->id.dtype][v->id.math] = true;
        shape sh = {2, 28, 28, 32, 0, 0, 3, 1, 1, 1, 1, 1, false};
        switch (v->id.kind) {
        case CM_KIND_DW: sh.c = 144; break;
        case CM_KIND_PW: sh.c = 144; sh.f = 40; sh.res = true; break;
        case CM_KIND_DWPW: sh.c = 96; sh.f = 32; break;
        case CM_KIND_PWDW: sh.c = 24; sh.e = 144; sh.s = 2; sh.pt = sh.pl = 0; break;
        case CM_KIND_PWPW: sh.c = 64; sh.e = 96; sh.f = 64; break;
        case CM_KIND_PWDWPW: sh.c = 24; sh.e = 144; sh.f = 24; sh.res = true; break;
        default: break;
        }
        run_case(v, &sh);
    }
}

/* ---- TF32 rounding ---------------------------------------------------------------- */

/* The TF32 kernels round each GEMM operand to nearest, ties away from zero
 * (cvt.rna, fk_mma.cuh), A (x) and B (w) alike; a kernel that fed the raw
 * fp32 to the mma (the hardware would truncate), rounded ties to even, or
 * skipped one operand's rounding gives another, exactly predictable result.
 * A PW with C = 64 (two chunks), bias 0: channels c < 32 carry x = 1 + d
 * and w = 1, channels c >= 32 x = 1 and w = 1 + 2^-11 (a tie); d = 2^-11
 * (a tie) on the first 8 pixels, 3 * 2^-12 (above the half) on the others.
 * Every product is then 1 or 1 + 2^-10 and every partial sum a multiple of
 * 2^-10 below 2^7, exact in fp32 in any order, so the output is exactly
 *     rna: 64 + 2^-4 everywhere
 *     ties to even: 64 (tie pixels), 64 + 2^-5 (others)
 *     truncation: 64;  no rounding (exact fp32): 64 + 2^-5 / 64 + 2^-5 + 3 * 2^-7
 * With cuDNN, the same layer in TF32 is classified, for the record (its
 * rounding is not documented). */
static const char *tf32_rounding_name(float tie, float above) {
    if (tie == 64.0625f && above == 64.0625f) return "round to nearest, ties away (rna)";
    if (tie == 64.0f && above == 64.03125f) return "round to nearest, ties to even";
    if (tie == 64.0f && above == 64.0f) return "truncation";
    if (tie == 64.03125f && above == 64.0390625f) return "no TF32 rounding (fp32 math)";
    return "unrecognised";
}

static void test_tf32_rounding(void) {
    size_t nv;
    const cm_variant *vs = cm_variants(&nv);
    const shape sh = {1, 4, 4, 64, 0, 24, 1, 1, 0, 0, 0, 0, false};
    for (size_t i = 0; i < nv; i++) {
        const cm_variant *v = &vs[i];
        if (v->id.kind != CM_KIND_PW || v->id.dtype != CM_F32 || v->id.math != CM_MATH_TC) continue;
        if (only && !strstr(v->name, only)) continue;
        cm_unit u = make_unit(CM_KIND_PW, &sh);
        u.math = CM_MATH_TC;
        unit_data d;
        if (!unit_data_init(&d, &u)) {
            CHECK(0, "tf32 rounding: allocation failed");
            unit_data_free(&d);
            return;
        }
        const int C = sh.c, F = sh.f, npix = sh.n * sh.h * sh.w;
        for (int p = 0; p < npix; p++)
            for (int c = 0; c < C; c++)
                d.hx[(size_t)p * C + c] =
                    c < 32 ? 1.0f + (p < 8 ? ldexpf(1.f, -11) : 3.f * ldexpf(1.f, -12)) : 1.0f;
        for (int o = 0; o < F; o++) {
            d.hb[0][o] = 0.f;
            for (int c = 0; c < C; c++) d.hw[0][(size_t)o * C + c] = c < 32 ? 1.0f : 1.0f + ldexpf(1.f, -11);
        }
        bool ok = cudaMemcpy(d.dx, d.hx, d.nx * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess &&
                  cudaMemcpy(d.dw[0], d.hw[0], d.nw[0] * sizeof(float), cudaMemcpyHostToDevice) ==
                      cudaSuccess &&
                  cudaMemcpy(d.db[0], d.hb[0], d.nb[0] * sizeof(float), cudaMemcpyHostToDevice) ==
                      cudaSuccess;
        CHECK(ok, "tf32 rounding: upload");
        char what[160];
        snprintf(what, sizeof what, "%s tf32 rounding", v->name);
        float *out = ok ? unit_run(&d, &v->id.tile, what) : NULL;
        if (out) {
            int bad = 0;
            for (size_t j = 0; j < d.ny; j++) bad += out[j] != 64.0625f;
            n_cases++;
            CHECK(bad == 0, "%s: %d of %zu outputs differ from rna's 64.0625 (pixel 0: %.9g, pixel 8: "
                  "%.9g: %s)", what, bad, d.ny, out[0], out[8 * F],
                  tf32_rounding_name(out[0], out[8 * F]));
            if (verbose || bad) printf("  %s %s: %s\n", bad ? "FAIL" : " ok ", what,
                                       tf32_rounding_name(out[0], out[8 * F]));
        }
#ifdef FUSEPLAN_HAVE_CUDNN
        static bool probed = false;
        if (out && !probed) {
            /* cuDNN's TF32 on the same layer, for the record (once) */
            char err[512];
            rt_dnn *h = NULL;
            rt_dnn_conv *c = NULL;
            const fk_conv2d p = fk_ref_unit_layer(&u, 0);
            if (!probed && rt_dnn_create(&h, err, sizeof err) == FK_OK &&
                rt_dnn_conv_create_typed(h, &p, CM_F32, CM_MATH_TC, RT_LAYOUT_NHWC, 0, &c, err,
                                         sizeof err) == FK_OK &&
                fk_poison(d.dy, d.ny, 0, err, sizeof err) == FK_OK &&
                rt_dnn_conv_forward(c, d.dx, d.dw[0], d.db[0], d.dy, 0, err, sizeof err) == FK_OK &&
                cudaMemcpy(out, d.dy, d.ny * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess) {
                rt_dnn_conv_info info;
                rt_dnn_conv_get_info(c, &info);
                printf("cuDNN TF32 1x1 conv (algo %s, math type %d): %s (%.9g, %.9g)\n",
                       info.algo_name, info.math_type, tf32_rounding_name(out[0], out[8 * F]),
                       out[0], out[8 * F]);
            }
            probed = true;
            rt_dnn_conv_destroy(c);
            rt_dnn_destroy(h);
        }
#endif
        free(out);
        unit_data_free(&d);
    }
}

/* ---- API error paths --------------------------------------------------------------- */

static void test_errors(void) {
    char err[512];
    size_t nv;
    const cm_variant *vs = cm_variants(&nv);
    const cm_variant *v = NULL;
    for (size_t i = 0; i < nv && !v; i++)
        if (vs[i].id.kind == CM_KIND_DW && vs[i].id.dtype == CM_F32) v = &vs[i];
    if (!v) return;
    shape sh = {1, 9, 9, 32, 0, 0, 3, 1, 1, 1, 1, 1, false};
    cm_unit u = make_unit(CM_KIND_DW, &sh);
    unit_data d;
    if (!unit_data_init(&d, &u)) {
        CHECK(0, "errors: allocation failed");
        unit_data_free(&d);
        return;
    }
    fk_unit_buffers b;
    memset(&b, 0, sizeof b);
    b.x = d.dx;
    b.w[0] = d.dw[0];
    b.b[0] = d.db[0];
    b.y = d.dy;
    /* a type without rows (int8; fp16 and bf16 have DW rows now) */
    cm_unit u8 = u;
    u8.dtype = CM_I8;
    fk_status st = fk_launch_unit(&u8, &v->id.tile, &b, 0, err, sizeof err);
    CHECK(st == FK_ERR_UNSUPPORTED && strstr(err, "int8"), "int8 unit: %s: %s",
          fk_status_str(st), err);
    cm_tile bad = v->id.tile;
    bad.tile_w += 1;
    st = fk_launch_unit(&u, &bad, &b, 0, err, sizeof err);
    CHECK(st == FK_ERR_NO_VARIANT && strstr(err, "dw"), "bad tile: %s: %s", fk_status_str(st),
          err);
    cm_unit ur = u;
    ur.residual = true;
    st = fk_launch_unit(&ur, &v->id.tile, &b, 0, err, sizeof err);
    CHECK(st == FK_ERR_INVALID, "residual without buffer: %s: %s", fk_status_str(st), err);
    b.y = d.dx;
    st = fk_launch_unit(&u, &v->id.tile, &b, 0, err, sizeof err);
    CHECK(st == FK_ERR_INVALID, "y aliasing x: %s: %s", fk_status_str(st), err);
    st = fk_add(16, CM_ACT_NONE, CM_I8, d.dx, d.dx, d.dy, 0, err, sizeof err);
    CHECK(st == FK_ERR_UNSUPPORTED && strstr(err, "int8"), "int8 add: %s: %s",
          fk_status_str(st), err);
    CHECK(fk_variant_kernel_name(&v->id) != NULL, "kernel name of %s", v->name);
    unit_data_free(&d);
}

/* ---- other ops ------------------------------------------------------------------- */

static bool test_conv_direct(const fk_conv2d *p, const char *name) {
    char err[512], what[160];
    snprintf(what, sizeof what, "conv_direct %s", name);
    const size_t nx = (size_t)p->n * p->in_h * p->in_w * p->in_c;
    const size_t nw = (size_t)p->out_c * p->kh * p->kw * (p->in_c / p->groups);
    const size_t ny = (size_t)p->n * p->out_h * p->out_w * p->out_c;
    float *hx = host_rand(nx, -1.f, 1.f), *hw = host_rand(nw, -0.3f, 0.3f);
    float *hb = host_rand((size_t)p->out_c, -0.5f, 0.5f);
    float *dx = dev_from(hx, nx), *dwt = dev_from(hw, nw), *db = dev_from(hb, p->out_c), *dy = NULL;
    double *xd = to_double(hx, nx), *ref = malloc(ny * sizeof(double));
    float *out = malloc(ny * sizeof(float));
    bool ok = dx && dwt && db && xd && ref && out &&
              cudaMalloc((void **)&dy, ny * sizeof(float)) == cudaSuccess;
    CHECK(ok, "%s: allocation", what);
    if (ok) {
        fk_ref_conv2d(p, xd, hw, hb, ref);
        fk_status st = fk_poison(dy, ny, 0, err, sizeof err);
        if (st == FK_OK) st = fk_conv2d_direct(p, CM_F32, dx, dwt, db, dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "%s: %s", what, err);
        if (st == FK_OK && cudaMemcpy(out, dy, ny * sizeof(float), cudaMemcpyDeviceToHost) ==
                               cudaSuccess)
            judge(what, out, ref, ny, TOL_REF);
#ifdef FUSEPLAN_HAVE_CUDNN
        /* the cuDNN wrapper on the same layer, both layouts */
        rt_dnn *h = NULL;
        st = rt_dnn_create(&h, err, sizeof err);
        CHECK(st == FK_OK, "cudnn create: %s", err);
        for (int lay = 0; lay < 2 && st == FK_OK; lay++) {
            rt_layout L = lay ? RT_LAYOUT_NCHW : RT_LAYOUT_NHWC;
            rt_dnn_conv *c = NULL;
            char w2[200];
            snprintf(w2, sizeof w2, "cudnn %s %s", rt_layout_name(L), name);
            fk_status s2 = rt_dnn_conv_create(h, p, L, 0, &c, err, sizeof err);
            CHECK(s2 == FK_OK, "%s: create: %s", w2, err);
            if (s2 != FK_OK) continue;
            float *xin = dx, *win = dwt, *yout = dy, *tx = NULL, *tw = NULL, *ty = NULL;
            if (L == RT_LAYOUT_NCHW) {
                cudaMalloc((void **)&tx, nx * sizeof(float));
                cudaMalloc((void **)&tw, nw * sizeof(float));
                cudaMalloc((void **)&ty, ny * sizeof(float));
                fk_nhwc_to_nchw(dx, tx, p->n, p->in_h, p->in_w, p->in_c, 0, err, sizeof err);
                fk_krsc_to_kcrs(dwt, tw, p->out_c, p->kh, p->kw, p->in_c / p->groups, 0, err,
                                sizeof err);
                xin = tx;
                win = tw;
                yout = ty;
            }
            fk_poison(yout, ny, 0, err, sizeof err);
            s2 = rt_dnn_conv_forward(c, xin, win, db, yout, 0, err, sizeof err);
            CHECK(s2 == FK_OK, "%s: forward: %s", w2, err);
            if (s2 == FK_OK && L == RT_LAYOUT_NCHW) {
                fk_poison(dy, ny, 0, err, sizeof err);
                s2 = fk_nchw_to_nhwc(ty, dy, p->n, p->out_h, p->out_w, p->out_c, 0, err,
                                     sizeof err);
            }
            if (s2 == FK_OK && cudaDeviceSynchronize() == cudaSuccess &&
                cudaMemcpy(out, dy, ny * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess)
                judge(w2, out, ref, ny, TOL_REF);
            rt_dnn_conv_info info;
            rt_dnn_conv_get_info(c, &info);
            if (verbose)
                printf("    %s: algo %s, math %d, ws %zu, padded copy %d\n", w2, info.algo_name,
                       info.math_type, info.workspace_bytes, (int)info.padded_copy);
            cudaFree(tx);
            cudaFree(tw);
            cudaFree(ty);
            rt_dnn_conv_destroy(c);
        }
        rt_dnn_destroy(h);
#endif
    }
    cudaFree(dx);
    cudaFree(dwt);
    cudaFree(db);
    cudaFree(dy);
    free(hx);
    free(hw);
    free(hb);
    free(xd);
    free(ref);
    free(out);
    return ok;
}

static void test_other_ops(void) {
    /* standard convs: stem 3x3 s2 TF-same (asymmetric), grouped, 1x1 s2, 5x3 */
    fk_conv2d stem = {2, 30, 30, 3, 15, 15, 32, 3, 3, 2, 2, 0, 0, 1, CM_ACT_RELU6};
    fk_conv2d grp = {1, 11, 13, 8, 11, 13, 12, 3, 3, 1, 1, 1, 1, 4, CM_ACT_RELU};
    fk_conv2d pw2 = {3, 14, 14, 16, 7, 7, 24, 1, 1, 2, 2, 0, 0, 1, CM_ACT_NONE};
    fk_conv2d rect = {1, 12, 9, 5, 12, 5, 6, 5, 3, 1, 2, 2, 1, 1, CM_ACT_RELU};
    fk_conv2d dwc = {2, 16, 16, 24, 8, 8, 24, 3, 3, 2, 2, 1, 1, 24, CM_ACT_RELU6};
    test_conv_direct(&stem, "stem 3x3 s2 same");
    test_conv_direct(&grp, "3x3 groups 4");
    test_conv_direct(&pw2, "1x1 s2");
    test_conv_direct(&rect, "5x3 s1x2");
    test_conv_direct(&dwc, "dw 3x3 s2 pad 1");

    char err[512];
    /* pooling, gap, dense, add, activation */
    const int n = 2, h = 13, w = 11, c = 21;
    const size_t nx = (size_t)n * h * w * c;
    float *hx = host_rand(nx, -3.f, 8.f), *hx2 = host_rand(nx, -3.f, 3.f);
    float *dx = dev_from(hx, nx), *dx2 = dev_from(hx2, nx), *dy = NULL;
    double *xd = to_double(hx, nx), *xd2 = to_double(hx2, nx);
    double *ref = malloc(nx * sizeof(double));
    float *out = malloc(nx * sizeof(float));
    if (!dx || !dx2 || !xd || !xd2 || !ref || !out ||
        cudaMalloc((void **)&dy, nx * sizeof(float)) != cudaSuccess) {
        CHECK(0, "other ops: allocation");
        goto done;
    }
    for (int kind = 0; kind < 2; kind++) {
        fk_pool2d p = {kind ? FK_POOL_AVG : FK_POOL_MAX, n, h, w, c, 7, 6, 3, 3, 2, 2, 1, 1};
        const size_t ny = (size_t)n * p.out_h * p.out_w * c;
        fk_ref_pool2d(&p, xd, ref);
        fk_poison(dy, nx, 0, err, sizeof err);
        fk_status st = fk_pool2d_run(&p, CM_F32, dx, dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "pool: %s", err);
        if (st == FK_OK &&
            cudaMemcpy(out, dy, ny * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess)
            judge(kind ? "avg_pool 3x3 s2 pad 1" : "max_pool 3x3 s2 pad 1", out, ref, ny,
                  TOL_REF);
    }
    {
        fk_ref_global_avg_pool(n, h, w, c, xd, ref);
        fk_poison(dy, nx, 0, err, sizeof err);
        fk_status st = fk_global_avg_pool(n, h, w, c, CM_F32, dx, dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "gap: %s", err);
        if (st == FK_OK && cudaMemcpy(out, dy, (size_t)n * c * sizeof(float),
                                      cudaMemcpyDeviceToHost) == cudaSuccess)
            judge("global_avg_pool", out, ref, (size_t)n * c, TOL_REF);
    }
    {
        const int units = 37, in_c = h * w * c / 3; /* 1001 inputs */
        float *hw = host_rand((size_t)units * in_c, -0.1f, 0.1f), *hb = host_rand(units, -1, 1);
        float *dwt = dev_from(hw, (size_t)units * in_c), *db = dev_from(hb, units);
        fk_ref_dense(n, in_c, units, CM_ACT_RELU, xd, hw, hb, ref);
        fk_poison(dy, nx, 0, err, sizeof err);
        fk_status st = fk_dense(n, in_c, units, CM_ACT_RELU, CM_F32, dx, dwt, db, dy, 0, err,
                                sizeof err);
        CHECK(st == FK_OK, "dense: %s", err);
        if (st == FK_OK && cudaMemcpy(out, dy, (size_t)n * units * sizeof(float),
                                      cudaMemcpyDeviceToHost) == cudaSuccess)
            judge("dense 1001->37 relu", out, ref, (size_t)n * units, TOL_REF);
        cudaFree(dwt);
        cudaFree(db);
        free(hw);
        free(hb);
    }
    for (int odd = 0; odd < 2; odd++) {
        const size_t cnt = odd ? nx - 1 : nx - nx % 4; /* vector and scalar paths */
        fk_ref_add(cnt, CM_ACT_RELU6, xd, xd2, ref);
        fk_poison(dy, nx, 0, err, sizeof err);
        fk_status st = fk_add(cnt, CM_ACT_RELU6, CM_F32, dx, dx2, dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "add: %s", err);
        if (st == FK_OK &&
            cudaMemcpy(out, dy, cnt * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess)
            judge(odd ? "add relu6 (scalar)" : "add relu6 (float4)", out, ref, cnt, TOL_REF);
    }
    for (int a = 1; a <= 2; a++) {
        fk_ref_activation(nx, (cm_act)a, xd, ref);
        fk_poison(dy, nx, 0, err, sizeof err);
        fk_status st = fk_activation(nx, (cm_act)a, CM_F32, dx, dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "activation: %s", err);
        if (st == FK_OK &&
            cudaMemcpy(out, dy, nx * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess)
            judge(a == 1 ? "relu" : "relu6", out, ref, nx, TOL_REF);
    }
    {
        /* device and host fills agree bit for bit */
        float *hf = malloc(nx * sizeof(float));
        fk_fill_host_uniform(hf, nx, 77, -2.f, 3.f);
        fk_fill_uniform(dy, nx, 77, -2.f, 3.f, 0, err, sizeof err);
        cudaMemcpy(out, dy, nx * sizeof(float), cudaMemcpyDeviceToHost);
        CHECK(hf && memcmp(hf, out, nx * sizeof(float)) == 0, "fk_fill_uniform != host twin");
        free(hf);
    }
done:
    cudaFree(dx);
    cudaFree(dx2);
    cudaFree(dy);
    free(hx);
    free(hx2);
    free(xd);
    free(xd2);
    free(ref);
    free(out);
}

#ifdef FUSEPLAN_HAVE_CUDNN
/* Our LBL DW and PW kernels against cuDNN on a larger shape (no CPU): every
 * variant of the two kinds. */
static void test_vs_cudnn(void) {
    char err[512];
    rt_dnn *h = NULL;
    if (rt_dnn_create(&h, err, sizeof err) != FK_OK) {
        CHECK(0, "cudnn create: %s", err);
        return;
    }
    size_t nv;
    const cm_variant *vs = cm_variants(&nv);
    for (int kind = 0; kind < 2; kind++) {
        shape sh = kind ? (shape){4, 28, 28, 96, 0, 24, 1, 1, 0, 0, 0, 0, false}
                        : (shape){4, 56, 56, 96, 0, 0, 3, 2, 1, 1, 1, 1, false};
        cm_unit u = make_unit(kind ? CM_KIND_PW : CM_KIND_DW, &sh);
        fk_conv2d p = fk_ref_unit_layer(&u, 0);
        unit_data d;
        rt_dnn_conv *c = NULL;
        if (!unit_data_init(&d, &u) ||
            rt_dnn_conv_create(h, &p, RT_LAYOUT_NHWC, 0, &c, err, sizeof err) != FK_OK) {
            CHECK(0, "vs cudnn setup: %s", err);
            unit_data_free(&d);
            continue;
        }
        float *ref_f = malloc(d.ny * sizeof(float));
        double *ref = malloc(d.ny * sizeof(double));
        fk_status st = rt_dnn_conv_forward(c, d.dx, d.dw[0], d.db[0], d.dy, 0, err, sizeof err);
        CHECK(st == FK_OK, "cudnn forward: %s", err);
        if (st == FK_OK && ref && ref_f &&
            cudaMemcpy(ref_f, d.dy, d.ny * sizeof(float), cudaMemcpyDeviceToHost) ==
                cudaSuccess) {
            for (size_t i = 0; i < d.ny; i++) ref[i] = ref_f[i];
            for (size_t i = 0; i < nv; i++) {
                if (vs[i].id.kind != u.kind || vs[i].id.dtype != CM_F32) continue;
                char what[200];
                snprintf(what, sizeof what, "%s vs cudnn %s n4 %dx%dx%d", vs[i].name,
                         kind ? "pw" : "dw s2", sh.h, sh.w, sh.c);
                /* the TF32 rows (math tc) against strict cuDNN: their own
                 * bound (tf32_tol) on top of cuDNN's */
                d.u.math = vs[i].id.math;
                const double tol = vs[i].id.math == CM_MATH_TC ? tf32_tol(&d.u) + TOL_CUDNN : TOL_CUDNN;
                float *out = unit_run(&d, &vs[i].id.tile, what);
                if (out) judge(what, out, ref, d.ny, tol);
                free(out);
            }
            d.u.math = CM_MATH_SIMT;
        }
        free(ref_f);
        free(ref);
        rt_dnn_conv_destroy(c);
        unit_data_free(&d);
    }
    rt_dnn_destroy(h);
}
#endif

int main(void) {
    int ndev = 0;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    if (e != cudaSuccess || ndev == 0) {
        printf("kernels: no CUDA device (%s), skipped\n",
               e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    quick = getenv("FK_TEST_QUICK") && atoi(getenv("FK_TEST_QUICK"));
    verbose = getenv("FK_TEST_VERBOSE") && atoi(getenv("FK_TEST_VERBOSE"));
    only = getenv("FK_TEST_ONLY") && *getenv("FK_TEST_ONLY") ? getenv("FK_TEST_ONLY") : NULL;
    struct cudaDeviceProp pr;
    if (cudaGetDeviceProperties(&pr, 0) == cudaSuccess)
        printf("kernels: device %s (sm_%d%d, %d SMs)%s\n", pr.name, pr.major, pr.minor,
               pr.multiProcessorCount, quick ? ", quick mode" : "");
    gpu_from_device();

    size_t nv;
    const cm_variant *vs = cm_variants(&nv);
    CHECK(nv > 0, "cm_variants is empty");
    for (size_t i = 0; i < nv; i++) {
        int before = (int)check_count_failed;
        if (only && !strstr(vs[i].name, only)) continue;
        CHECK(fk_variant_compiled(&vs[i].id), "%s: row without a compiled kernel", vs[i].name);
        const int ran = n_variant_cases;
        test_variant(&vs[i]);
        CHECK(n_variant_cases - ran >= 2, "%s: only %d cases fit the device", vs[i].name,
              n_variant_cases - ran);
        printf("%-32s %s\n", vs[i].name, check_count_failed == before ? "ok" : "FAILED");
    }
    if (!quick) test_large();
    test_tf32_rounding();
    if (!only) {
        test_errors();
        test_other_ops();
#ifdef FUSEPLAN_HAVE_CUDNN
        if (!quick) test_vs_cudnn();
#endif
    }
    printf("kernels: %d cases compared, worst rel L2 %.3g; smem differs from cm_tile_check in "
           "%d cases (must be 0); %d variant cases skipped (tile too large for the device)\n",
           n_cases, worst_rel, n_smem_mismatch, n_infeasible);
    return check_summary("kernels");
}
