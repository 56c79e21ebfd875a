/* test_tolerance.c - the host side of issue 12's element types (suite cpu):
 * the fp32 <-> fp16 / bf16 conversions of fk_types.h (the weights file and
 * every comparison go through them) and the thresholds of rt_tolerance.h.
 *
 * Conversions: every 16-bit pattern converted to fp32 and back is itself
 * (NaNs stay NaN); 2^20 random fp32 values and the edge cases (ties, the
 * largest finite values, overflow, subnormals, underflow) round to the
 * nearest representable value with ties to even, checked against an
 * independent search over the ordered 16-bit values in double precision.
 * Tolerances: the formula's terms and floors, and a simulation of what the
 * thresholds must hold: K-term dot products of values already in the element
 * type, computed as a GPU does (FP32 accumulation, TF32 operand rounding) and
 * exactly (double), each rounded to the element type, differ by less than
 * rt_unit_tolerance; one wrong weight among the K exceeds it; a chain of
 * layers that rounds its intermediates against one that does not stays
 * within the chain's threshold. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fk_types.h"
#include "rt_tolerance.h"
#include "test_rng.h"

/* ---- conversions ------------------------------------------------------------ */

typedef uint16_t (*to16_fn)(float);
typedef float (*from16_fn)(uint16_t);

/* The value nearest to x among the non-negative finite 16-bit patterns
 * 0..maxfin (ordered by value), ties to the even pattern; past the largest
 * finite value by half an ulp or more: infinity (inf_bits). */
static uint16_t ref_round(double x, from16_fn from, uint16_t maxfin, uint16_t inf_bits) {
    const double ax = fabs(x);
    const uint16_t sign = signbit(x) ? 0x8000u : 0;
    const double top = from(maxfin), ulp = top - (double)from((uint16_t)(maxfin - 1));
    if (ax >= top + ulp / 2) return (uint16_t)(sign | inf_bits);
    int lo = 0, hi = maxfin; /* largest pattern with value <= ax */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if ((double)from((uint16_t)mid) <= ax) lo = mid;
        else hi = mid - 1;
    }
    uint16_t h = (uint16_t)lo;
    if (h < maxfin) {
        const double d0 = ax - from(h), d1 = (double)from((uint16_t)(h + 1)) - ax;
        if (d1 < d0 || (d1 == d0 && (h & 1u))) h++;
    }
    return (uint16_t)(sign | h);
}

static void check_type(const char *name, to16_fn to, from16_fn from, uint16_t maxfin,
                       uint16_t inf_bits) {
    long bad = 0;
    for (uint32_t h = 0; h <= 0xffffu; h++) {
        const float f = from((uint16_t)h);
        if (isnan(f)) {
            if (!isnan(from(to(f)))) bad++;
            continue;
        }
        if (to(f) != h) bad++;
    }
    CHECK(bad == 0, "%s: %ld patterns do not survive 16 -> 32 -> 16 bits", name, bad);
    rng_state = 0x5eedu;
    bad = 0;
    for (int i = 0; i < (1 << 20); i++) {
        uint32_t bits = (uint32_t)rng_next();
        if (i & 1) /* half of them near the type's range: exponents 2^-30 .. 2^20 */
            bits = (bits & 0x807fffffu) | ((uint32_t)(97 + (rng_next() % 50)) << 23);
        const float x = fk_bits_f32(bits);
        if (isnan(x)) continue;
        if (to(x) != ref_round(x, from, maxfin, inf_bits)) {
            if (bad++ < 5)
                fprintf(stderr, "%s: %a -> 0x%04x, want 0x%04x\n", name, (double)x, to(x),
                        ref_round(x, from, maxfin, inf_bits));
        }
    }
    CHECK(bad == 0, "%s: %ld of 2^20 random values rounded wrongly", name, bad);
}

static void test_conversions(void) {
    check_type("fp16", fk_f32_to_f16_bits, fk_f16_bits_to_f32, 0x7bffu, 0x7c00u);
    check_type("bf16", fk_f32_to_bf16_bits, fk_bf16_bits_to_f32, 0x7f7fu, 0x7f80u);
    /* edges, by hand */
    CHECK(fk_f32_to_f16_bits(1.0f + ldexpf(1, -11)) == 0x3c00u, "fp16 tie to even (down)");
    CHECK(fk_f32_to_f16_bits(1.0f + 3 * ldexpf(1, -11)) == 0x3c02u, "fp16 tie to even (up)");
    CHECK(fk_f32_to_f16_bits(65504.0f) == 0x7bffu, "fp16 max");
    CHECK(fk_f32_to_f16_bits(65519.0f) == 0x7bffu, "fp16 below the overflow tie");
    CHECK(fk_f32_to_f16_bits(65520.0f) == 0x7c00u, "fp16 overflow tie -> inf");
    CHECK(fk_f32_to_f16_bits(-1e9f) == 0xfc00u, "fp16 -inf");
    CHECK(fk_f32_to_f16_bits(ldexpf(1, -24)) == 0x0001u, "fp16 smallest subnormal");
    CHECK(fk_f32_to_f16_bits(ldexpf(1, -25)) == 0x0000u, "fp16 2^-25 ties to zero");
    CHECK(fk_f32_to_f16_bits(ldexpf(1.5f, -25)) == 0x0001u, "fp16 above 2^-25 rounds up");
    CHECK(fk_f32_to_f16_bits(ldexpf(1, -14)) == 0x0400u, "fp16 smallest normal");
    CHECK(fk_f32_to_f16_bits(-0.0f) == 0x8000u, "fp16 -0");
    CHECK(fk_f32_to_bf16_bits(1.0f + ldexpf(1, -8)) == 0x3f80u, "bf16 tie to even (down)");
    CHECK(fk_f32_to_bf16_bits(1.0f + 3 * ldexpf(1, -8)) == 0x3f82u, "bf16 tie to even (up)");
    CHECK(fk_f32_to_bf16_bits(INFINITY) == 0x7f80u, "bf16 inf");
    CHECK(fk_f32_to_bf16_bits(3.4e38f) == 0x7f80u, "bf16 overflow rounds to inf");
    CHECK(isnan(fk_bf16_bits_to_f32(fk_f32_to_bf16_bits(NAN))), "bf16 NaN");
    /* the poison patterns are NaN in every type, and recognised */
    CHECK(isnan(fk_f16_bits_to_f32(FK_POISON_BITS16)), "16-bit poison is an fp16 NaN");
    CHECK(isnan(fk_bf16_bits_to_f32(FK_POISON_BITS16)), "16-bit poison is a bf16 NaN");
    CHECK(isnan(fk_bits_f32(FK_POISON_BITS)), "fp32 poison is NaN");
    uint16_t p16 = FK_POISON_BITS16, one16 = 0x3c00u;
    uint32_t p32 = FK_POISON_BITS;
    CHECK(fk_host_is_poison(CM_F16, &p16) && fk_host_is_poison(CM_BF16, &p16) &&
              fk_host_is_poison(CM_F32, &p32) && !fk_host_is_poison(CM_F16, &one16),
          "poison recognition");
    /* the generic pair */
    unsigned char buf[4];
    for (int t = CM_F32; t <= CM_BF16; t++) {
        CHECK(fk_host_from_f32((cm_dtype)t, 0.75f, buf) && fk_host_to_f32((cm_dtype)t, buf) == 0.75f,
              "%s: 0.75 round trip", cm_dtype_name((cm_dtype)t));
    }
    CHECK(!fk_host_from_f32(CM_I8, 1.0f, buf), "int8 is not an element type of the runtime");
}

/* ---- tolerances --------------------------------------------------------------- */

static double round_to(cm_dtype t, double v) {
    unsigned char b[4];
    fk_host_from_f32(t, (float)v, b);
    return fk_host_to_f32(t, b);
}

/* TF32: fp32 with the mantissa rounded to 10 bits (nearest even). */
static float tf32(float x) {
    uint32_t b = fk_f32_bits(x);
    b = (b + 0xfffu + ((b >> 13) & 1u)) & ~0x1fffu;
    return fk_bits_f32(b);
}

/* rel L2 between N outputs of a K-term dot product computed as a GPU does
 * (FP32 accumulation; TF32 operands when tf) and exactly, both rounded to the
 * storage type t. wrong: one weight replaced (a wrong tap / channel). */
static double dot_experiment(cm_dtype t, bool tf, int K, int N, bool wrong) {
    double *x = malloc(sizeof *x * (size_t)K), *w = malloc(sizeof *w * (size_t)K);
    const double a = sqrt(3.0 / K);
    double num = 0, den = 0;
    for (int o = 0; o < N; o++) {
        for (int k = 0; k < K; k++) { /* values already in the element type */
            x[k] = round_to(t, ((double)(rng_next() >> 11) / 9007199254740992.0) * 2 - 1);
            w[k] = round_to(t, (((double)(rng_next() >> 11) / 9007199254740992.0) * 2 - 1) * a);
        }
        float acc = 0;
        double exact = 0;
        for (int k = 0; k < K; k++) {
            const float xf = tf ? tf32((float)x[k]) : (float)x[k];
            const float wf = tf ? tf32((float)w[k]) : (float)w[k];
            acc = fmaf(xf, wf, acc);
            exact += x[k] * (wrong && k == K / 2 ? -w[k] : w[k]);
        }
        const double y = round_to(t, acc), r = round_to(t, exact);
        num += (y - r) * (y - r);
        den += r * r;
    }
    free(x);
    free(w);
    return sqrt(num / den);
}

/* A chain of `layers` K-term layers, one side rounding every intermediate to
 * t, the other keeping them exact (a fused kernel's fp32 intermediate against
 * cuDNN's stored tensors): the outputs' rel L2. */
static double chain_experiment(cm_dtype t, int layers, int K, int N) {
    double *v0 = malloc(sizeof(double) * (size_t)K * 2), *v1 = v0 + K;
    double *wm = malloc(sizeof(double) * (size_t)K * K * layers);
    const double a = sqrt(3.0 / K);
    for (size_t i = 0; i < (size_t)K * K * layers; i++)
        wm[i] = round_to(t, (((double)(rng_next() >> 11) / 9007199254740992.0) * 2 - 1) * a);
    double num = 0, den = 0;
    double *r0 = malloc(sizeof(double) * (size_t)K * 2), *r1 = r0 + K;
    for (int o = 0; o < N; o++) {
        for (int k = 0; k < K; k++)
            v0[k] = r0[k] = round_to(t, ((double)(rng_next() >> 11) / 9007199254740992.0) * 2 - 1);
        for (int l = 0; l < layers; l++) {
            const double *W = wm + (size_t)l * K * K;
            for (int j = 0; j < K; j++) {
                double s0 = 0, s1 = 0;
                for (int k = 0; k < K; k++) {
                    s0 += W[(size_t)j * K + k] * v0[k];
                    s1 += W[(size_t)j * K + k] * r0[k];
                }
                v1[j] = s0 > 0 ? s0 : 0;                /* exact intermediates */
                r1[j] = round_to(t, s1 > 0 ? s1 : 0);   /* stored, rounded */
            }
            memcpy(v0, v1, sizeof(double) * (size_t)K);
            memcpy(r0, r1, sizeof(double) * (size_t)K);
        }
        for (int k = 0; k < K; k++) {
            const double y = round_to(t, v0[k]);
            num += (y - r0[k]) * (y - r0[k]);
            den += r0[k] * r0[k];
        }
    }
    free(v0);
    free(wm);
    free(r0);
    return sqrt(num / den);
}

static void test_tolerances(void) {
    CHECK(rt_storage_roundoff(CM_F32) == ldexp(1, -24) && rt_storage_roundoff(CM_F16) == ldexp(1, -11) &&
              rt_storage_roundoff(CM_BF16) == ldexp(1, -8),
          "unit round-offs 2^-24, 2^-11, 2^-8");
    CHECK(rt_operand_roundoff(CM_F32, CM_MATH_TC) == ldexp(1, -11) &&
              rt_operand_roundoff(CM_F32, CM_MATH_SIMT) == 0 && rt_operand_roundoff(CM_F16, CM_MATH_TC) == 0,
          "operand round-off: TF32 only");
    CHECK(rt_effective_math(CM_F16, CM_MATH_SIMT) == CM_MATH_TC &&
              rt_effective_math(CM_F32, CM_MATH_SIMT) == CM_MATH_SIMT,
          "16-bit cuDNN runs on tensor cores");
    /* strict fp32 keeps the thresholds measured safe before issue 12 */
    CHECK(rt_unit_tolerance(CM_F32, CM_MATH_SIMT, 960, 1) == 1e-5, "fp32 unit floor %g",
          rt_unit_tolerance(CM_F32, CM_MATH_SIMT, 960, 1));
    CHECK(rt_model_tolerance(CM_F32, CM_MATH_SIMT, 1280, 65) == 1e-4, "fp32 model floor %g",
          rt_model_tolerance(CM_F32, CM_MATH_SIMT, 1280, 65));
    /* the formula, by hand: fp16 one PW layer, K = 960 (tensor-core accumulation) */
    const double u = ldexp(1, -11), acc = ldexp(1, -23) * 960 / 2;
    const double want = RT_TOL_FACTOR * sqrt(2 * u * u / 3 + 2 * acc * acc);
    CHECK(fabs(rt_unit_tolerance(CM_F16, CM_MATH_TC, 960, 1) - want) < 1e-12 * want,
          "fp16 K=960: %g, want %g", rt_unit_tolerance(CM_F16, CM_MATH_TC, 960, 1), want);
    /* monotonic in every argument; bf16 looser than fp16; TF32 looser than strict */
    CHECK(rt_tol_sigma(CM_F16, CM_MATH_TC, 960, 3) > rt_tol_sigma(CM_F16, CM_MATH_TC, 960, 1) &&
              rt_tol_sigma(CM_F16, CM_MATH_TC, 4096, 1) > rt_tol_sigma(CM_F16, CM_MATH_TC, 9, 1) &&
              rt_tol_sigma(CM_F32, CM_MATH_SIMT, 4096, 1) > rt_tol_sigma(CM_F32, CM_MATH_SIMT, 9, 1),
          "monotonic in layers and reduction length");
    CHECK(rt_tol_sigma(CM_BF16, CM_MATH_TC, 960, 1) > 7 * rt_tol_sigma(CM_F16, CM_MATH_TC, 960, 1),
          "bf16 / fp16 ~ 2^3");
    CHECK(rt_tol_sigma(CM_F32, CM_MATH_TC, 960, 1) > 100 * rt_tol_sigma(CM_F32, CM_MATH_SIMT, 960, 1),
          "TF32 >> strict");
    /* still able to catch a broken layer in a whole model (O(1) errors) */
    CHECK(rt_model_tolerance(CM_F16, CM_MATH_TC, 1280, 65) < 0.03, "fp16 MobileNetV2-sized model %g",
          rt_model_tolerance(CM_F16, CM_MATH_TC, 1280, 65));
    CHECK(rt_model_tolerance(CM_BF16, CM_MATH_TC, 1280, 65) < 0.2, "bf16 model %g",
          rt_model_tolerance(CM_BF16, CM_MATH_TC, 1280, 65));

    /* the thresholds hold what the arithmetic does, and catch one wrong weight */
    rng_state = 12;
    static const int ks[3] = {9, 144, 960};
    for (int i = 0; i < 3; i++) {
        const int K = ks[i];
        const struct { cm_dtype t; cm_math m; bool tf; } cs[3] = {
            {CM_F16, CM_MATH_TC, false}, {CM_BF16, CM_MATH_TC, false}, {CM_F32, CM_MATH_TC, true}};
        for (int c = 0; c < 3; c++) {
            const double tol = rt_unit_tolerance(cs[c].t, cs[c].m, K, 1);
            const double e = dot_experiment(cs[c].t, cs[c].tf, K, 2048, false);
            const double bad = dot_experiment(cs[c].t, cs[c].tf, K, 2048, true);
            CHECK(e <= tol, "%s %s K=%d: simulated rel L2 %.3g over threshold %.3g",
                  cm_dtype_name(cs[c].t), cm_math_name(cs[c].m), K, e, tol);
            CHECK(bad > tol, "%s K=%d: one wrong weight %.3g not above threshold %.3g",
                  cm_dtype_name(cs[c].t), K, bad, tol);
            printf("%s %s K=%4d: simulated %.3g, one wrong weight %.3g, threshold %.3g\n",
                   cm_dtype_name(cs[c].t), cm_math_name(cs[c].m), K, e, bad, tol);
        }
    }
    for (int t = CM_F16; t <= CM_BF16; t++) {
        const double e = chain_experiment((cm_dtype)t, 3, 64, 64);
        const double tol = rt_unit_tolerance((cm_dtype)t, CM_MATH_TC, 64, 3);
        CHECK(e <= tol, "%s chain of 3: rel L2 %.3g over threshold %.3g", cm_dtype_name((cm_dtype)t),
              e, tol);
        printf("%s chain of 3 layers (rounded vs exact intermediates): %.3g, threshold %.3g\n",
               cm_dtype_name((cm_dtype)t), e, tol);
    }
}

int main(void) {
    test_conversions();
    test_tolerances();
    return check_summary("tolerance");
}
