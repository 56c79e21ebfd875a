/* bench_estimate.c - how fast the cost model estimates a whole network.
 *
 * Builds the units of an Xception-like network at 299x299 from a compact
 * shape table (every single DW and PW layer of the separable convolutions,
 * plus the DWPW, PWDW and PWDWPW chains between consecutive ones; Xception
 * has no PW -> PW pair), then estimates every candidate tile of every unit
 * (cm_enumerate_tiles estimates each variant of the unit's kind) for batch 1
 * and 64, fp32 and fp16, and prints the time per full pass.
 *
 * Usage: bench_estimate [passes]   (default 50; the median pass is reported) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cm_h100.h"
#include "costmodel.h"

/* Xception at 299 (Chollet, CVPR 2017, fig. 5; Keras shapes): separable
 * convolutions as DW 3x3 stride 1 "same" + PW. A new block starts after a
 * max-pool (entry/exit) or a residual add (middle): no chain crosses it. */
/* One block per line: the sep convs of the block in order. */
typedef struct block {
    int hw, n;
    int cin[3], cout[3];
    int repeat;
    bool residual;
} block;

static const block xception[] = {
    {147, 2, {64, 128}, {128, 128}, 1, false},         /* entry block 1 (then max-pool) */
    {74, 2, {128, 256}, {256, 256}, 1, false},         /* entry block 2 */
    {37, 2, {256, 728}, {728, 728}, 1, false},         /* entry block 3 */
    {19, 3, {728, 728, 728}, {728, 728, 728}, 8, true}, /* middle flow, 8 blocks */
    {19, 2, {728, 728}, {728, 1024}, 1, false},        /* exit block (then max-pool) */
    {10, 1, {1024}, {1536}, 1, false},                 /* exit sep conv 3 */
    {10, 1, {1536}, {2048}, 1, false},                 /* exit sep conv 4 */
};

#define MAX_UNITS 512

static cm_conv pw(int hw, int c, int f) {
    cm_conv L = {hw, hw, c, hw, hw, f, 1, 1, 0, 0, CM_ACT_NONE};
    return L;
}

static cm_conv dw(int hw, int c) {
    cm_conv L = {hw, hw, c, hw, hw, c, 3, 1, 1, 1, CM_ACT_RELU};
    return L;
}

static size_t build_units(int batch, cm_dtype dt, cm_unit *out) {
    size_t n = 0;
    for (size_t b = 0; b < sizeof xception / sizeof xception[0]; b++) {
        const block *B = &xception[b];
        for (int r = 0; r < B->repeat; r++) {
            for (int i = 0; i < B->n; i++) {
                const bool res = B->residual && i == B->n - 1; /* add after the block's last PW */
                cm_unit u;
                memset(&u, 0, sizeof u);
                u.batch = batch;
                u.dtype = dt;
                u.kind = CM_KIND_DW;
                u.layers[0] = dw(B->hw, B->cin[i]);
                out[n++] = u;
                u.kind = CM_KIND_PW;
                u.layers[0] = pw(B->hw, B->cin[i], B->cout[i]);
                u.residual = res;
                out[n++] = u;
                u.kind = CM_KIND_DWPW;
                u.layers[0] = dw(B->hw, B->cin[i]);
                u.layers[1] = pw(B->hw, B->cin[i], B->cout[i]);
                out[n++] = u;
                if (i + 1 < B->n) {
                    const bool res2 = B->residual && i + 1 == B->n - 1;
                    memset(&u, 0, sizeof u);
                    u.batch = batch;
                    u.dtype = dt;
                    u.kind = CM_KIND_PWDW;
                    u.layers[0] = pw(B->hw, B->cin[i], B->cout[i]);
                    u.layers[1] = dw(B->hw, B->cout[i]);
                    out[n++] = u;
                    u.kind = CM_KIND_PWDWPW;
                    u.layers[2] = pw(B->hw, B->cin[i + 1], B->cout[i + 1]);
                    u.residual = res2;
                    out[n++] = u;
                }
            }
        }
    }
    return n;
}

static cm_gpu h100_sxm(void) { return cm_fixture_h100_sxm(); }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int passes = argc > 1 ? atoi(argv[1]) : 50;
    if (passes < 1 || passes > 100000) {
        fprintf(stderr, "usage: bench_estimate [passes 1..100000]\n");
        return 2;
    }
    const cm_gpu g = h100_sxm();
    const int batches[2] = {1, 64};
    const cm_dtype types[2] = {CM_F32, CM_F16};
    static cm_unit units[4][MAX_UNITS];
    size_t nunits[4], variants_per_kind[CM_KIND_COUNT] = {0}, nv = 0;
    const cm_variant *v = cm_variants(&nv);
    for (size_t i = 0; i < nv; i++) variants_per_kind[v[i].id.kind]++;
    size_t estimates = 0, feasible = 0;
    for (int c = 0; c < 4; c++) {
        nunits[c] = build_units(batches[c / 2], types[c % 2], units[c]);
        for (size_t i = 0; i < nunits[c]; i++) {
            char err[256];
            if (cm_unit_check(&units[c][i], err, sizeof err) != CM_OK) {
                fprintf(stderr, "bench_estimate: unit %zu: %s\n", i, err);
                return 1;
            }
            estimates += variants_per_kind[units[c][i].kind];
        }
    }
    double *t = malloc(sizeof(double) * (size_t)passes);
    if (!t) return 1;
    double sink = 0.0;
    for (int p = 0; p < passes; p++) {
        double t0 = now_s();
        size_t f = 0;
        for (int c = 0; c < 4; c++) {
            for (size_t i = 0; i < nunits[c]; i++) {
                cm_tile tiles[64];
                size_t n = cm_enumerate_tiles(&units[c][i], &g, tiles, 64);
                f += n;
                if (n) sink += tiles[0].tile_c;
            }
        }
        t[p] = now_s() - t0;
        feasible = f;
    }
    qsort(t, (size_t)passes, sizeof(double), cmp_double);
    const double med = t[passes / 2];
    printf("bench_estimate: Xception-299 units: %zu per config x 4 configs (batch 1/64 x fp32/fp16)\n", nunits[0]);
    printf("  candidate tiles estimated per pass: %zu (%zu feasible)\n", estimates, feasible);
    printf("  full pass (all 4 configs): median %.3f ms, min %.3f ms over %d passes\n", med * 1e3, t[0] * 1e3,
           passes);
    printf("  per config: %.3f ms; per estimate: %.2f us\n", med * 1e3 / 4, med * 1e6 / (double)estimates);
    if (sink < 0) printf("%f\n", sink);
    free(t);
    return 0;
}
