/* check.h - the tiny assertion kit every test program uses.
 *
 * CHECK records a failure and carries on (so one run reports every broken
 * case); test programs end with `return check_summary("name");`, which
 * prints "name: N checks, M failed" and returns the exit status meson reads
 * (0 pass, 1 fail). GPU programs return 77 (skip) where there is no device. */
#ifndef FUSEPLAN_TESTS_CHECK_H
#define FUSEPLAN_TESTS_CHECK_H

#include <stdio.h>

static long check_count_total;
static long check_count_failed;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        check_count_total++;                                                          \
        if (!(cond)) {                                                                \
            check_count_failed++;                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

static inline int check_summary(const char *name) {
    printf("%s: %ld checks, %ld failed\n", name, check_count_total, check_count_failed);
    return check_count_failed ? 1 : 0;
}

#endif
