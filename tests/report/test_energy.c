/* test_energy.c - rt_energy without assumptions about the machine: on one
 * without NVML (CI) opening fails with a one-line reason naming the library,
 * and nothing crashes; where NVML and a GPU with the counter exist, the
 * counter reads, does not run backwards, and its period is measured (suite
 * 'cpu': it needs no GPU to pass). */
#include <string.h>

#include "check.h"
#include "rt_energy.h"

int main(void) {
    rt_energy *e = NULL;
    char why[512] = "";
    fk_status st = rt_energy_open(&e, why, sizeof why);
    if (st != FK_OK) {
        CHECK(e == NULL, "no handle on failure");
        CHECK(why[0] != '\0' && strchr(why, '\n') == NULL, "one-line reason, got \"%s\"", why);
        printf("energy not available here: %s\n", why);
        return check_summary("energy");
    }
    unsigned long long a = 0, b = 0;
    CHECK(rt_energy_read_mj(e, &a, why, sizeof why) == FK_OK, "read: %s", why);
    double ms = -1;
    CHECK(rt_energy_period_ms(e, 2.0, &ms, why, sizeof why) == FK_OK, "period: %s", why);
    CHECK(rt_energy_read_mj(e, &b, why, sizeof why) == FK_OK, "read: %s", why);
    CHECK(b >= a, "counter ran backwards: %llu then %llu", a, b);
    CHECK(ms >= 0 && ms < 2000, "period %.1f ms", ms);
    printf("energy counter: %llu mJ, period %.1f ms\n", b, ms);
    rt_energy_close(e);
    return check_summary("energy");
}
