/* fp_embedded.h - the shipped models and GPU specs, compiled into fuseplan
 * (generated from models/ and gpu_specs/ by tools/embed.py at build time). */
#ifndef FUSEPLAN_FP_EMBEDDED_H
#define FUSEPLAN_FP_EMBEDDED_H

#include <stddef.h>

typedef struct fp_embedded_file {
    const char *path;   /* relative to the source tree, e.g. "models/mobilenet_v2.json" */
    const char *data;   /* NUL-terminated */
    size_t len;         /* without the NUL */
} fp_embedded_file;

extern const fp_embedded_file fp_embedded_files[];
extern const int fp_embedded_count;

#endif
