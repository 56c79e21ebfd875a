/* test_compare.c - rt_compare_host, the host half of every output check
 * (suite cpu: no device is touched): equal tensors in each element type give
 * 0; a known perturbation gives its relative L2 error and max abs error; the
 * poison pattern of the type counts as unwritten (and non-finite); a
 * non-finite reference voids the comparison; an fp16 output against an fp32
 * reference (rt_error_vs_fp32's mix) reads both types. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rt_exec.h"

#define N 1000

static void fill(cm_dtype t, unsigned char *buf, const float *v, size_t n) {
    const size_t e = (size_t)cm_dtype_bytes(t);
    for (size_t i = 0; i < n; i++) fk_host_from_f32(t, v[i], buf + i * e);
}

int main(void) {
    float ref[N], out[N];
    for (int i = 0; i < N; i++) ref[i] = (float)((i % 17) - 8) * 0.25f; /* exact in every type */
    static unsigned char a[N * 4], r[N * 4];
    for (int t = CM_F32; t <= CM_BF16; t++) {
        const cm_dtype dt = (cm_dtype)t;
        const char *name = cm_dtype_name(dt);
        rt_error e;
        fill(dt, a, ref, N);
        fill(dt, r, ref, N);
        rt_compare_host(a, dt, r, dt, N, &e);
        CHECK(e.rel_l2 == 0 && e.max_abs == 0 && !e.poisoned && !e.non_finite && e.count == N &&
                  rt_error_ok(&e, 0),
              "%s: equal tensors: rel %g", name, e.rel_l2);
        /* one element off by 0.5 (exact): rel L2 = 0.5 / ||ref|| */
        memcpy(out, ref, sizeof out);
        out[7] += 0.5f;
        fill(dt, a, out, N);
        rt_compare_host(a, dt, r, dt, N, &e);
        double nr = 0;
        for (int i = 0; i < N; i++) nr += (double)ref[i] * ref[i];
        CHECK(fabs(e.rel_l2 - 0.5 / sqrt(nr)) < 1e-12 && e.max_abs == 0.5, "%s: rel %g max %g", name,
              e.rel_l2, e.max_abs);
        /* unwritten elements */
        const size_t eb = (size_t)cm_dtype_bytes(dt);
        fill(dt, a, ref, N);
        const uint32_t p32 = FK_POISON_BITS;
        const uint16_t p16 = FK_POISON_BITS16;
        memcpy(a + 3 * eb, dt == CM_F32 ? (const void *)&p32 : (const void *)&p16, eb);
        rt_compare_host(a, dt, r, dt, N, &e);
        CHECK(e.poisoned == 1 && e.non_finite == 1 && !rt_error_ok(&e, 1), "%s: poison %zu/%zu", name,
              e.poisoned, e.non_finite);
        /* a broken reference */
        fill(dt, a, ref, N);
        memcpy(r + 5 * eb, dt == CM_F32 ? (const void *)&p32 : (const void *)&p16, eb);
        rt_compare_host(a, dt, r, dt, N, &e);
        CHECK(e.ref_non_finite == 1 && !rt_error_ok(&e, 1), "%s: reference NaN", name);
    }
    /* fp16 output against an fp32 reference: 0.1 is not exact in fp16 */
    for (int i = 0; i < N; i++) ref[i] = 0.1f;
    fill(CM_F16, a, ref, N);
    fill(CM_F32, r, ref, N);
    rt_error e;
    rt_compare_host(a, CM_F16, r, CM_F32, N, &e);
    const double want = fabs((double)fk_f16_bits_to_f32(fk_f32_to_f16_bits(0.1f)) - 0.1f) / 0.1f;
    CHECK(fabs(e.rel_l2 - want) < 1e-9 && e.rel_l2 > 0 && e.rel_l2 < ldexp(1, -11), "mixed: %g want %g",
          e.rel_l2, want);
    return check_summary("compare");
}
