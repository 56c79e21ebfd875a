/* rt_energy.h - GPU energy from NVML's total-energy counter
 * (nvmlDeviceGetTotalEnergyConsumption, millijoules since the driver loaded;
 * Volta and later) (prefix rt_energy_). libnvidia-ml.so.1 is loaded at run
 * time with dlopen, so a fuseplan binary starts, plans and reports on a
 * machine without the driver; a missing library, a device without the
 * counter (NVML_ERROR_NOT_SUPPORTED) or any other NVML failure is a status
 * with a one-line reason that the caller reports as "energy not measured:
 * ...", never a failed run. */
#ifndef FUSEPLAN_RT_ENERGY_H
#define FUSEPLAN_RT_ENERGY_H

#include <stddef.h>

#include "fk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_energy rt_energy;

/* Loads NVML, initialises it and finds the current CUDA device (by PCI bus
 * id), then reads the counter once to prove it is supported. On success
 * *out is owned by the caller (rt_energy_close); on failure *out is NULL and
 * err says why ("libnvidia-ml.so.1: cannot open shared object file...",
 * "nvmlDeviceGetTotalEnergyConsumption: Not Supported"). */
fk_status rt_energy_open(rt_energy **out, char *err, size_t err_len);
/* The counter now, in millijoules. */
fk_status rt_energy_read_mj(rt_energy *e, unsigned long long *mj, char *err, size_t err_len);
/* The counter's update period: polls it (1 ms apart, at most max_s seconds)
 * and returns the median interval between changes in *ms (0 when it did not
 * change twice). The driver refreshes the counter at its own pace; windows
 * of many periods keep the quantisation error small. */
fk_status rt_energy_period_ms(rt_energy *e, double max_s, double *ms, char *err, size_t err_len);
/* Shuts NVML down and unloads it (NULL-safe). */
void rt_energy_close(rt_energy *e);

#ifdef __cplusplus
}
#endif

#endif
