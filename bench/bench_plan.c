/* bench_plan.c - planner speed (issue: Xception for one GPU < 100 ms; every
 * shipped model x every shipped GPU x batch {1, 8, 64} x {fp32, fp16} < 5 s).
 * Build type matters: quote figures from a release or debugoptimized build.
 * usage: bench_plan [REPEATS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fp_data.h"
#include "fp_plan.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1) repeats = 1;
    char err[1024];
    fp_model x;
    fp_gpu_spec h100;
    if (fp_open_model("xception", &x, err, sizeof err) != FP_OK ||
        fp_open_gpu("h100_sxm", &h100, err, sizeof err) != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double best = 1e30;
    for (int r = 0; r < repeats; r++) {
        fp_plan_options o = fp_plan_default_options();
        o.batch = 64;
        fp_plan p;
        double t0 = now_ms();
        if (fp_plan_build(&x, &h100, &o, &p, err, sizeof err) != FP_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double t = now_ms() - t0;
        if (t < best) best = t;
        fp_plan_free(&p);
    }
    printf("plan xception (%d layers) for h100_sxm, batch 64 fp32: %.2f ms (best of %d)\n",
           x.n_layers, best, repeats);
    fp_model_free(&x);

    const int batches[3] = {1, 8, 64};
    const cm_dtype dtypes[2] = {CM_F32, CM_F16};
    const char *mp, *gp;
    int plans = 0;
    double t0 = now_ms();
    for (int mi = 0; (mp = fp_shipped("models", mi, NULL, NULL)); mi++) {
        fp_model m;
        if (fp_open_model(mp, &m, err, sizeof err) != FP_OK) return 1;
        for (int gi = 0; (gp = fp_shipped("gpu_specs", gi, NULL, NULL)); gi++) {
            fp_gpu_spec g;
            if (fp_open_gpu(gp, &g, err, sizeof err) != FP_OK) return 1;
            for (int b = 0; b < 3; b++)
                for (int d = 0; d < 2; d++) {
                    fp_plan_options o = fp_plan_default_options();
                    o.batch = batches[b];
                    o.dtype = dtypes[d];
                    fp_plan p;
                    if (fp_plan_build(&m, &g, &o, &p, err, sizeof err) != FP_OK) {
                        fprintf(stderr, "%s\n", err);
                        return 1;
                    }
                    plans++;
                    fp_plan_free(&p);
                }
        }
        fp_model_free(&m);
    }
    printf("all shipped models x GPUs x batch {1,8,64} x {fp32,fp16}: %d plans in %.1f ms\n", plans,
           now_ms() - t0);
    return 0;
}
