/* test_fastdiv.cu - FastDiv (fcm_kernels/fk_common.cuh), the kernels' division
 * by a divisor fixed per CTA, on the host (the same expression as on the
 * device, with a 64-bit product for __umulhi): every divisor 1..4096 against
 * every dividend 0..3*d+2 and the edges below 2^31, then 20000 random
 * (divisor, dividend) pairs below 2^31. Suite 'cpu': no device needed. */
#include <cstdio>
#include <cstdlib>

#include "fk_common.cuh"

static unsigned long long checks, failed;

static void check(int d, int n) {
    const fk::FastDiv f(d);
    checks++;
    if (f.div(n) != n / d) {
        if (failed++ < 10) std::fprintf(stderr, "fastdiv: %d / %d = %d, FastDiv says %d\n", n, d, n / d, f.div(n));
    }
}

int main() {
    const int top = 0x7fffffff;
    for (int d = 1; d <= 4096; d++) {
        for (int n = 0; n <= 3 * d + 2; n++) check(d, n);
        const int edges[] = {top, top - 1, top - d, top / d * d, top / d * d - 1, 1 << 30, (1 << 30) - 1};
        for (int n : edges)
            if (n >= 0) check(d, n);
    }
    unsigned long long x = 0x9e3779b97f4a7c15ull; /* xorshift64: reproducible */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const int d = 1 + (int)(x % (unsigned long long)top);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const int n = (int)(x % ((unsigned long long)top + 1));
        check(d, n);
        check(d, top);
        check(d, d - 1);
    }
    std::printf("fastdiv: %llu checks, %llu failed\n", checks, failed);
    return failed ? 1 : 0;
}
