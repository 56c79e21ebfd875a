/* cli.h - internal: the subcommands of the fuseplan executable and the
 * argument helpers they share. Each cli_* returns the process exit code. */
#ifndef FUSEPLAN_CLI_H
#define FUSEPLAN_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "costmodel.h"

int cmd_show(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_gpus(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
/* `fuseplan run`, in fcm_kernels/cmd_run.c (built with the CUDA backend). */
int cmd_run(int argc, char **argv);
/* `fuseplan probe`, in fcm_kernels/cmd_probe.c (built with the CUDA backend). */
int cmd_probe(int argc, char **argv);
/* `fuseplan validate`, in fcm_kernels/cmd_validate.c (built with the CUDA backend). */
int cmd_validate(int argc, char **argv);

/* Reports a usage error for command cmd ("fuseplan show: ...") and returns 2. */
int tool_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when argv[i] is opt; takes its value from argv[i+1] (advancing *i) and
 * fails with a usage message when it is missing. */
bool tool_opt_value(const char *cmd, int argc, char **argv, int *i, const char *opt,
                   const char **value, int *rc);
/* Parses a decimal integer in [lo, hi]; prints a usage error on failure. */
bool tool_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, int *out);
bool tool_parse_dtype(const char *cmd, const char *s, cm_dtype *out);
/* "3.50 M", "12.3 k", "1.20 G" into buf. */
const char *tool_human(double v, char *buf, int len);
/* Bytes as "1.23 MB" (10^6). */
const char *tool_bytes(double v, char *buf, int len);

#endif
