/* fuzz_common.h - what the libFuzzer harnesses of tests/fuzz share: the
 * input as a NUL-terminated text, the shipped models and GPU specs loaded
 * once, and a property failure that stops the fuzzer (abort: libFuzzer saves
 * the input as a crash). Built by clang only (tests/fuzz/meson.build). */
#ifndef FUSEPLAN_FUZZ_COMMON_H
#define FUSEPLAN_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_data.h"
#include "fp_plan.h"
#include "fuzz_models.h"

#define FUZZ_MAX_SHIPPED 32

/* Prints what broke and aborts: a property of the readers does not hold. */
#define FUZZ_REQUIRE(cond, ...)                                                          \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz property failed: %s: ", #cond);                         \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* data as a C string (caller frees); NULL when it holds a NUL byte (the
 * file reader refuses those before any parser sees them). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    if (memchr(data, 0, size)) return NULL;
    char *t = malloc(size + 1);
    if (!t) return NULL;
    memcpy(t, data, size);
    t[size] = '\0';
    return t;
}

typedef struct fuzz_shipped {
    fp_model models[FUZZ_MAX_SHIPPED];
    int n_models;
    fp_model small[8];              /* fuzz_models.h */
    int n_small;
    fp_gpu_spec gpus[FUZZ_MAX_SHIPPED];
    int n_gpus;
} fuzz_shipped;

/* The shipped models and GPU specs, loaded on first use (never freed: they
 * live as long as the fuzzer). */
static inline const fuzz_shipped *fuzz_shipped_files(void) {
    static fuzz_shipped s;
    static int loaded;
    if (loaded) return &s;
    loaded = 1;
    char err[1024];
    const char *text;
    size_t len;
    for (int i = 0; s.n_models < FUZZ_MAX_SHIPPED; i++) {
        const char *path = fp_shipped("models", i, &text, &len);
        if (!path) break;
        FUZZ_REQUIRE(fp_model_parse(path, text, len, &s.models[s.n_models], err, sizeof err) == FP_OK,
                     "%s", err);
        s.n_models++;
    }
    for (int i = 0; i < FUZZ_N_SMALL && i < 8; i++) {
        const char *t = FUZZ_SMALL_MODELS[i];
        FUZZ_REQUIRE(fp_model_parse("small.json", t, strlen(t), &s.small[i], err, sizeof err) == FP_OK,
                     "%s", err);
        s.n_small++;
    }
    for (int i = 0; s.n_gpus < FUZZ_MAX_SHIPPED; i++) {
        const char *path = fp_shipped("gpu_specs", i, &text, &len);
        if (!path) break;
        FUZZ_REQUIRE(fp_gpu_parse(path, text, len, &s.gpus[s.n_gpus], err, sizeof err) == FP_OK,
                     "%s", err);
        s.n_gpus++;
    }
    return &s;
}

/* A message is one line that names the file first. */
static inline void fuzz_check_message(const char *label, const char *err) {
    FUZZ_REQUIRE(strncmp(err, label, strlen(label)) == 0, "message does not name %s: %s", label,
                 err);
    FUZZ_REQUIRE(strchr(err, '\n') == NULL, "message is not one line: %s", err);
}

/* p written, read back against the same model and spec, written again:
 * the reader accepts every plan the writer writes, byte for byte. */
static inline void fuzz_plan_round_trip(const fp_plan *p, const fp_model *m, const fp_gpu_spec *g) {
    char err[1024];
    char *j1 = fp_plan_to_json(p, m);
    FUZZ_REQUIRE(j1 != NULL, "fp_plan_to_json");
    fp_plan q;
    fp_status st = fp_plan_parse("roundtrip.json", j1, strlen(j1), m, g, &q, err, sizeof err);
    FUZZ_REQUIRE(st == FP_OK, "the reader refuses a written plan: %s", err);
    char *j2 = fp_plan_to_json(&q, m);
    FUZZ_REQUIRE(j2 != NULL && strcmp(j1, j2) == 0, "plan -> JSON -> plan -> JSON differs");
    free(j2);
    fp_plan_free(&q);
    free(j1);
}

#endif
