/* fp_gpu.h - GPU spec files (format "fuseplan-gpu", docs/formats.md).
 *
 * A spec is loaded into an fp_gpu_spec: the values exactly as written (with
 * their sources, so a spec can be written back unchanged) plus the cm_gpu the
 * cost model consumes. */
#ifndef FUSEPLAN_FP_GPU_H
#define FUSEPLAN_FP_GPU_H

#include <stdbool.h>
#include <stdint.h>

#include "costmodel.h"
#include "fp_status.h"

#define FP_GPU_FORMAT "fuseplan-gpu"
#define FP_GPU_VERSION 1
#define FP_SOURCE_MAX 400

/* The numeric members of a spec, in file order (X-macro in fp_gpu.c). */
enum {
    FP_GPU_SM_COUNT,
    FP_GPU_MAX_THREADS_PER_SM,
    FP_GPU_MAX_THREADS_PER_BLOCK,
    FP_GPU_MAX_BLOCKS_PER_SM,
    FP_GPU_MAX_REGS_PER_SM,
    FP_GPU_MAX_REGS_PER_THREAD,
    FP_GPU_SMEM_PER_SM_KIB,
    FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB,
    FP_GPU_L1_PER_SM_KIB,
    FP_GPU_L2_MIB,
    FP_GPU_DRAM_GBPS,
    FP_GPU_L2_GBPS,
    FP_GPU_FP32_TFLOPS,
    FP_GPU_TC_FP16_TFLOPS,
    FP_GPU_TC_BF16_TFLOPS,
    FP_GPU_TC_TF32_TFLOPS,
    FP_GPU_TC_INT8_TOPS,
    FP_GPU_CLOCK_MHZ,
    FP_GPU_LAUNCH_OVERHEAD_US,
    FP_GPU_FIELD_COUNT
};

typedef struct fp_gpu_spec {
    char id[64];
    char name[128];
    char compute_capability[16];
    char cc_source[FP_SOURCE_MAX];
    double values[FP_GPU_FIELD_COUNT];
    char sources[FP_GPU_FIELD_COUNT][FP_SOURCE_MAX];
    bool calibrated;                /* the file has a "calibration" member */
    /* The planner fuses only when the fused unit's estimate beats its layers'
     * by more than this fraction (calibration.fusion_margin; 0 without): the
     * model's own error on this GPU, fitted by `fuseplan validate --calibrate`. */
    double fusion_margin;
    char calibration_source[FP_SOURCE_MAX];
    cm_gpu gpu;                     /* derived, in the cost model's units */
    uint64_t hash;                  /* FNV-1a of the file's bytes */
    char path[512];                 /* the file (or shipped path) it came from */
} fp_gpu_spec;

/* Name of a numeric member ("sm_count", ...). */
const char *fp_gpu_field_name(int field);

/* Loads and validates a spec file. */
fp_status fp_gpu_load(const char *path, fp_gpu_spec *out, char *err, size_t err_len);
/* Same from text already in memory; label is used in messages. */
fp_status fp_gpu_parse(const char *label, const char *text, size_t len, fp_gpu_spec *out, char *err,
                       size_t err_len);
/* Renders the spec as JSON (caller frees with free()); NULL on no memory. */
char *fp_gpu_to_json(const fp_gpu_spec *s);

#endif
