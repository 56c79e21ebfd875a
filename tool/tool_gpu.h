/* tool_gpu.h - internal: what the GPU subcommands (`run`, `validate`)
 * share: turning their PLAN | MODEL argument into a model, a GPU spec and a
 * plan, and naming the local device for reports. */
#ifndef FUSEPLAN_TOOL_GPU_H
#define FUSEPLAN_TOOL_GPU_H

#include <stdbool.h>
#include <stddef.h>

#include "rt_exec.h"
#include "fp_gpu.h"
#include "fp_model.h"
#include "fp_plan.h"

/* The command line's description of what to execute. */
typedef struct tool_input {
    const char *input;  /* a plan file, or a model (NULL: mobilenet_v2) */
    const char *gpu;    /* NULL: the plan's spec, or h100_sxm for a model */
    int batch;
    bool batch_set;
    cm_dtype dtype;
    bool dtype_set;
    cm_math math;       /* --math (simt default; tc: tensor cores, TF32 for fp32) */
    bool math_set;      /* refused with a plan file, like --batch/--dtype */
} tool_input;

/* Loads plan + model + GPU from a plan file (fp_plan_open_text: the files
 * it names, beside it first; --gpu replaces its spec; --batch/--dtype then
 * refused: they come from the plan), or loads the model and plans it; "-"
 * reads either from standard input. Touches no GPU. Messages go to
 * stderr prefixed "fuseplan CMD:"; returns 0 or the exit code. */
int tool_prepare(const char *cmd, const tool_input *in, fp_model *m, fp_gpu_spec *g,
                   fp_plan *p);

/* 0 when a CUDA device is present; else prints "fuseplan CMD: no CUDA
 * device: WHY" (no driver installed, no GPU, or the runtime's error) and
 * returns 1. Called only after every input is loaded and checked. */
int tool_need_device(const char *cmd);

#endif
