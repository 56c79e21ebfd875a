/* test_probe.c - `fuseplan probe`'s measurement (rt_probe.h) on the local GPU
 * (suite 'gpu').
 *
 * Checks: id derivation (no GPU needed); then one full probe: every value
 * finite and in the format's range (the loader checks that), limits and rates
 * positive, tensor rates 0 exactly where the source says "not supported" or
 * "not measured", copy bandwidth > 100 GB/s (any GPU with a tensor core copies
 * faster than that; a broken timing gives far less or far more), every source
 * "measured <today's date> ..." or "derived: ...", and the spec rendered with
 * fp_gpu_to_json loads back with fp_gpu_parse to the same values and sources.
 *
 * FK_PROBE_OUT=path: also writes the spec's JSON there (how the measured
 * specs in gpu_specs/measured/ were made on the GPU machine).
 * Exit status: 0 all passed, 1 a failure, 77 no CUDA device (skip). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "check.h"
#include "rt_probe.h"
#include "fp_gpu.h"

static void test_ids(void) {
    static const struct {
        const char *name, *id;
    } cases[] = {
        {"NVIDIA H100 80GB HBM3", "nvidia_h100_80gb_hbm3"},
        {"NVIDIA H200", "nvidia_h200"},
        {"  NVIDIA GeForce RTX 3070 -- Laptop GPU ", "nvidia_geforce_rtx_3070_laptop_gpu"},
        {"Tesla V100-SXM2-16GB", "tesla_v100_sxm2_16gb"},
        {"***", "gpu"},
        {"", "gpu"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[64];
        rt_probe_make_id(cases[i].name, id, sizeof id);
        CHECK(strcmp(id, cases[i].id) == 0, "\"%s\" -> \"%s\", want \"%s\"", cases[i].name, id,
              cases[i].id);
        CHECK(rt_probe_id_valid(id), "\"%s\" is not a valid id", id);
    }
    char small[8];
    rt_probe_make_id("abc def ghi", small, sizeof small);
    CHECK(strcmp(small, "abc_def") == 0, "truncated to \"%s\"", small);
    rt_probe_make_id("abcdef ghi", small, sizeof small);
    CHECK(strcmp(small, "abcdef") == 0, "no trailing '_' when cut: \"%s\"", small);
    CHECK(!rt_probe_id_valid("H100"), "upper case accepted");
    CHECK(!rt_probe_id_valid(""), "empty id accepted");
    CHECK(!rt_probe_id_valid("a-b"), "'-' accepted");
}

int main(void) {
    test_ids();
    /* the id checks need no GPU: report them even where the rest is skipped */
    if (check_count_failed) return check_summary("test_probe");

    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n < 1) {
        printf("test_probe: no CUDA device, skipped\n");
        return 77;
    }

    char today[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);

    fp_gpu_spec g;
    char err[1024] = "";
    fk_status st = rt_probe_spec(NULL, NULL, 0, &g, err, sizeof err);
    CHECK(st == FK_OK, "rt_probe_spec: %s: %s", fk_status_str(st), err);
    if (st != FK_OK) return check_summary("test_probe");

    char want_id[64];
    rt_probe_make_id(g.name, want_id, sizeof want_id);
    CHECK(strcmp(g.id, want_id) == 0, "id %s, want %s", g.id, want_id);
    printf("%s (id %s, compute capability %s)\n", g.name, g.id, g.compute_capability);

    char measured[64];
    snprintf(measured, sizeof measured, "measured %s", today);
    CHECK(strncmp(g.cc_source, measured, strlen(measured)) == 0, "compute_capability source %s",
          g.cc_source);
    for (int f = 0; f < FP_GPU_FIELD_COUNT; f++) {
        const char *name = fp_gpu_field_name(f);
        const double v = g.values[f];
        const char *src = g.sources[f];
        printf("  %-25s %12.6g  %s\n", name, v, src);
        CHECK(isfinite(v), "%s = %g", name, v);
        CHECK(strncmp(src, measured, strlen(measured)) == 0 || strncmp(src, "derived: ", 9) == 0,
              "%s source \"%s\" is neither measured today nor derived", name, src);
        const bool tensor = f == FP_GPU_TC_FP16_TFLOPS || f == FP_GPU_TC_BF16_TFLOPS ||
                            f == FP_GPU_TC_TF32_TFLOPS || f == FP_GPU_TC_INT8_TOPS;
        const bool skipped = strstr(src, "not supported") || strstr(src, "not measured");
        if (tensor && skipped) CHECK(v == 0.0, "%s = %g but \"%s\"", name, v, src);
        else CHECK(v > 0.0, "%s = %g is not positive", name, v);
    }
    CHECK(g.values[FP_GPU_DRAM_GBPS] > 100.0, "copy bandwidth %g GB/s", g.values[FP_GPU_DRAM_GBPS]);
    CHECK(g.gpu.sm_count == (int)g.values[FP_GPU_SM_COUNT], "cm_gpu not derived (sm_count %d)",
          g.gpu.sm_count);

    char *json = fp_gpu_to_json(&g);
    CHECK(json != NULL, "fp_gpu_to_json");
    if (!json) return check_summary("test_probe");
    fp_gpu_spec back;
    fp_status ps = fp_gpu_parse("probe.json", json, strlen(json), &back, err, sizeof err);
    CHECK(ps == FP_OK, "round trip: %s", err);
    if (ps == FP_OK) {
        CHECK(strcmp(back.id, g.id) == 0 && strcmp(back.name, g.name) == 0, "id/name changed");
        CHECK(strcmp(back.compute_capability, g.compute_capability) == 0 &&
                  strcmp(back.cc_source, g.cc_source) == 0,
              "compute_capability changed");
        for (int f = 0; f < FP_GPU_FIELD_COUNT; f++) {
            CHECK(back.values[f] == g.values[f], "%s: %.17g -> %.17g", fp_gpu_field_name(f),
                  g.values[f], back.values[f]);
            CHECK(strcmp(back.sources[f], g.sources[f]) == 0, "%s: source changed",
                  fp_gpu_field_name(f));
        }
        CHECK(back.hash == g.hash, "the same text hashes differently");
    }

    const char *out = getenv("FK_PROBE_OUT");
    if (out && *out) {
        FILE *f = fopen(out, "w");
        bool ok = f && fputs(json, f) >= 0 && fputc('\n', f) != EOF;
        if (f && fclose(f) != 0) ok = false;
        CHECK(ok, "cannot write %s", out);
        if (ok) printf("wrote %s\n", out);
    }
    free(json);
    return check_summary("test_probe");
}
