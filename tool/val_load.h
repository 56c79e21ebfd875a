/* val_load.h - internal to `fuseplan validate --from`: measured validation
 * reports (format "fuseplan-validation", version 1, plain or gzipped) read
 * back into validation cases, every unit rebuilt from its model with the
 * cost model of this tree and the spec given (rt_val_case_rebuild). */
#ifndef FUSEPLAN_VAL_LOAD_H
#define FUSEPLAN_VAL_LOAD_H

#include <stdbool.h>

#include "rt_validate.h"

/* What the reports say about themselves (the first report's, for the
 * re-analysis's header; every report's commit is listed). */
typedef struct val_sources {
    char device[128];
    char commits[256];      /* the reports' commits, each once: "4d75486, a6a5508" */
    char date[16];          /* the first report's day of measurement, "2026-12-06" ("?" when absent) */
    char timing[64];        /* "events" (reports before graph timing) or RT_VAL_TIMING */
    bool mixed_devices;     /* the reports name different devices */
    bool counters;          /* every candidate has counters */
    rt_val_rebuild_notes notes;
    int old_names;          /* candidates named without dtype and math (mapped) */
    int tiles, iters;       /* the first report's tiles_per_unit and iters (0: absent) */
} val_sources;

/* Loads every case of the reports (paths[0..n_paths)) into cases[*n_cases..]
 * (calloc'd, rt_val_case_free frees; at most max_cases in all), each
 * rebuilt with spec gpu (NULL: the spec each report names, a shipped id).
 * Errors name the file and the JSON path ("r.json.gz: cases[1].units[4].
 * candidates[2].time_us: missing or not a number") on stderr; returns 0, 2
 * (bad input) or 1 (out of memory). */
int val_load_reports(const char *const *paths, int n_paths, const char *gpu, rt_val_case **cases, int max_cases,
                     int *n_cases, val_sources *src);

#endif
