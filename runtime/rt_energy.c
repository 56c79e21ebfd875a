/* rt_energy.c - NVML's energy counter through dlopen (see rt_energy.h). */
#include "rt_energy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cuda_runtime_api.h>

#include "fk_error.h"

/* NVML's ABI, declared here rather than taken from nvml.h: the header is not
 * part of every CUDA toolkit install, and these five entry points and types
 * have been stable since NVML 7 (nvmlReturn_t is an int enum, 0 = success,
 * 3 = NOT_SUPPORTED; a device is an opaque pointer). */
typedef int nvml_ret;
typedef struct nvml_device_st *nvml_device;
#define NVML_OK 0

struct rt_energy {
    void *lib;
    nvml_device dev;
    nvml_ret (*shutdown)(void);
    nvml_ret (*energy)(nvml_device, unsigned long long *);
    const char *(*error_string)(nvml_ret);
};

static const char *nvml_err(const rt_energy *e, nvml_ret r) {
    const char *s = e->error_string ? e->error_string(r) : NULL;
    return s ? s : "unknown NVML error";
}

/* A symbol of the library into *fn (void * to function pointer through memcpy:
 * ISO C has no cast between them). */
static fk_status sym(rt_energy *e, const char *name, void *fn, size_t fn_size, char *err, size_t err_len) {
    void *p = dlsym(e->lib, name);
    if (!p) return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "libnvidia-ml.so.1 has no %s", name);
    memcpy(fn, &p, fn_size);
    return FK_OK;
}

static fk_status find_device(rt_energy *e, char *err, size_t err_len) {
    nvml_ret (*by_bus)(const char *, nvml_device *) = NULL;
    fk_status st = sym(e, "nvmlDeviceGetHandleByPciBusId_v2", &by_bus, sizeof by_bus, err, err_len);
    if (st != FK_OK) return st;
    int dev = 0;
    char bus[64];
    FK_CUDA(cudaGetDevice(&dev));
    FK_CUDA(cudaDeviceGetPCIBusId(bus, (int)sizeof bus, dev));
    nvml_ret r = by_bus(bus, &e->dev);
    if (r != NVML_OK)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "nvmlDeviceGetHandleByPciBusId_v2(%s): %s", bus,
                       nvml_err(e, r));
    return FK_OK;
}

fk_status rt_energy_open(rt_energy **out, char *err, size_t err_len) {
    *out = NULL;
    rt_energy *e = calloc(1, sizeof *e);
    if (!e) return fk_fail(FK_ERR_NOMEM, err, err_len, "out of memory");
    e->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!e->lib) {
        const char *why = dlerror();
        free(e);
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "%s", why ? why : "cannot load libnvidia-ml.so.1");
    }
    nvml_ret (*init)(void) = NULL;
    fk_status st = sym(e, "nvmlInit_v2", &init, sizeof init, err, err_len);
    if (st == FK_OK) st = sym(e, "nvmlShutdown", &e->shutdown, sizeof e->shutdown, err, err_len);
    if (st == FK_OK) st = sym(e, "nvmlErrorString", &e->error_string, sizeof e->error_string, err, err_len);
    if (st == FK_OK) st = sym(e, "nvmlDeviceGetTotalEnergyConsumption", &e->energy, sizeof e->energy, err, err_len);
    if (st == FK_OK) {
        nvml_ret r = init();
        if (r != NVML_OK) {
            e->shutdown = NULL; /* nothing to shut down */
            st = fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "nvmlInit_v2: %s", nvml_err(e, r));
        }
    }
    unsigned long long mj;
    if (st == FK_OK) st = find_device(e, err, err_len);
    if (st == FK_OK) st = rt_energy_read_mj(e, &mj, err, err_len);
    if (st != FK_OK) {
        rt_energy_close(e);
        return st;
    }
    *out = e;
    return FK_OK;
}

fk_status rt_energy_read_mj(rt_energy *e, unsigned long long *mj, char *err, size_t err_len) {
    nvml_ret r = e->energy(e->dev, mj);
    if (r != NVML_OK)
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len, "nvmlDeviceGetTotalEnergyConsumption: %s", nvml_err(e, r));
    return FK_OK;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Changes observed to estimate the period: a median of 8 intervals. */
#define PERIOD_CHANGES 9

fk_status rt_energy_period_ms(rt_energy *e, double max_s, double *ms, char *err, size_t err_len) {
    *ms = 0;
    unsigned long long prev, v;
    fk_status st = rt_energy_read_mj(e, &prev, err, err_len);
    double t0 = now_s(), at[PERIOD_CHANGES];
    int n = 0;
    struct timespec pause = {0, 1000000}; /* 1 ms between polls */
    while (st == FK_OK && n < PERIOD_CHANGES && now_s() - t0 < max_s) {
        nanosleep(&pause, NULL);
        st = rt_energy_read_mj(e, &v, err, err_len);
        if (st == FK_OK && v != prev) {
            at[n++] = now_s();
            prev = v;
        }
    }
    if (st != FK_OK || n < 3) return st; /* the first change only marks a start */
    double d[PERIOD_CHANGES];
    for (int i = 1; i < n; i++) d[i - 1] = at[i] - at[i - 1];
    qsort(d, (size_t)(n - 1), sizeof *d, cmp_double);
    *ms = 1e3 * d[(n - 1) / 2];
    return FK_OK;
}

void rt_energy_close(rt_energy *e) {
    if (!e) return;
    if (e->shutdown) e->shutdown();
    if (e->lib) dlclose(e->lib);
    free(e);
}
