/* test_rng.h - the tests' fixed-seed PRNG (splitmix64): each test program
 * sets rng_state to its own seed so that its random cases repeat exactly. */
#ifndef FUSEPLAN_TESTS_TEST_RNG_H
#define FUSEPLAN_TESTS_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform integer in [lo, hi]. */
static inline int rnd(int lo, int hi) { return lo + (int)(rng_next() % (uint64_t)(hi - lo + 1)); }

#endif
