/* fk_status.c - status strings, error formatting, host-side helpers (no
 * CUDA: also built where the backend is not). */
#include <stdio.h>
#include <string.h>

#include <stdarg.h>

#include "fk_util.h"

const char *fk_status_str(fk_status s) {
    switch (s) {
    case FK_OK: return "ok";
    case FK_ERR_INVALID: return "invalid";
    case FK_ERR_NO_VARIANT: return "no-variant";
    case FK_ERR_UNSUPPORTED: return "unsupported";
    case FK_ERR_RESOURCES: return "resources";
    case FK_ERR_CUDA: return "cuda";
    case FK_ERR_CUDNN: return "cudnn";
    case FK_ERR_NOMEM: return "nomem";
    }
    return "unknown";
}

fk_status fk_fail(fk_status st, char *err, size_t err_len, const char *fmt, ...) {
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Must stay identical to fk_hash_uniform in fk_ops.cu. */
static float hash_uniform(uint64_t seed, uint64_t i, float lo, float hi) {
    uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    float u = (float)(z >> 40) * (1.0f / 16777216.0f); /* [0, 1), exact */
    float r = (hi - lo) * u;
    return lo + r;
}

void fk_fill_host_uniform(float *h, size_t count, uint64_t seed, float lo, float hi) {
    for (size_t i = 0; i < count; i++)
        h[i] = hash_uniform(seed, i, lo, hi);
}

fk_status fk_conv2d_check(const fk_conv2d *p, char *err, size_t err_len) {
    if (!p)
        return fk_fail(FK_ERR_INVALID, err, err_len, "conv2d: null descriptor");
    if (p->n < 1 || p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1 || p->out_w < 1 ||
        p->out_c < 1 || p->kh < 1 || p->kw < 1 || p->sh < 1 || p->sw < 1 || p->groups < 1)
        return fk_fail(FK_ERR_INVALID, err, err_len,
                       "conv2d: sizes must be >= 1 (n %d, in %dx%dx%d, out %dx%dx%d, k %dx%d, "
                       "s %dx%d, groups %d)",
                       p->n, p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, p->kh,
                       p->kw, p->sh, p->sw, p->groups);
    if (p->in_c % p->groups || p->out_c % p->groups)
        return fk_fail(FK_ERR_INVALID, err, err_len,
                       "conv2d: groups %d does not divide in_c %d and out_c %d", p->groups,
                       p->in_c, p->out_c);
    if (p->pad_top < 0 || p->pad_left < 0 || p->pad_top >= p->kh || p->pad_left >= p->kw)
        return fk_fail(FK_ERR_INVALID, err, err_len,
                       "conv2d: padding top %d left %d outside [0, kernel)", p->pad_top,
                       p->pad_left);
    /* bottom/right padding is implied by the output size; require that the last
     * window starts inside the image (implied padding < kernel). */
    if ((long)(p->out_h - 1) * p->sh - p->pad_top >= p->in_h ||
        (long)(p->out_w - 1) * p->sw - p->pad_left >= p->in_w)
        return fk_fail(FK_ERR_INVALID, err, err_len,
                       "conv2d: output %dx%d inconsistent with input %dx%d, kernel %dx%d, "
                       "stride %dx%d, pad top %d left %d",
                       p->out_h, p->out_w, p->in_h, p->in_w, p->kh, p->kw, p->sh, p->sw,
                       p->pad_top, p->pad_left);
    return FK_OK;
}
