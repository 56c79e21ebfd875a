/* tool.h - internal: the commands of the fuseplan executable (one file
 * each) and what they share: the option table and parser (tool_opts.h) and
 * the output module (tool_out.h). Each command's run function returns the
 * process exit code: 0 ok, 1 runtime failure, 2 bad input or usage. */
#ifndef FUSEPLAN_TOOL_H
#define FUSEPLAN_TOOL_H

#include "tool_opts.h"
#include "tool_out.h"

extern const tool_command tool_cmd_plan;     /* cmd_plan.c */
extern const tool_command tool_cmd_estimate; /* cmd_estimate.c */
extern const tool_command tool_cmd_show;     /* cmd_show.c */
extern const tool_command tool_cmd_check;    /* cmd_check.c */
extern const tool_command tool_cmd_models;   /* cmd_list.c */
extern const tool_command tool_cmd_gpus;     /* cmd_list.c */
extern const tool_command tool_cmd_import;   /* cmd_import.c */
extern const tool_command tool_cmd_report;   /* cmd_report.c */
extern const tool_command tool_cmd_validate; /* cmd_validate.c (measuring needs CUDA) */
#ifdef FUSEPLAN_HAVE_CUDA
extern const tool_command tool_cmd_run;      /* cmd_run.c */
extern const tool_command tool_cmd_probe;    /* cmd_probe.c */
#endif

/* The plan tables of `plan` and `estimate` (cmd_plan.c): a unit's tile
 * ("4x8 c32 k32 t128", flat kinds "p64 c32 k32 t128", "-" for other units)
 * and its layers ("a+b (+add)"). */
void tile_str(const fp_unit *u, char *buf, size_t n);
void unit_layers(const fp_model *m, const fp_unit *u, char *buf, size_t n);

/* Loads the model (a file or a shipped name) and the GPU spec; prints the
 * loader's message and returns its exit code on failure (cmd_plan.c). */
int tool_load_inputs(const char *model, const char *gpu, fp_model *m, fp_gpu_spec *g);

#endif
