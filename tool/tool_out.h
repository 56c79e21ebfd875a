/* tool_out.h - internal: the output of the fuseplan commands: human units,
 * table cells, the JSON report header, and files written with every write
 * checked. */
#ifndef FUSEPLAN_TOOL_OUT_H
#define FUSEPLAN_TOOL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "fp_model.h"
#include "fp_plan.h"

/* "3.50 M", "12.3 k", "1.20 G" into buf. */
const char *tool_human(double v, char *buf, int len);
/* Bytes as "1.23 MB" (10^6). */
const char *tool_bytes(double v, char *buf, int len);
/* A signed fraction as a percentage, "+12%"; "-" for NaN. */
const char *tool_pct(double v, char *buf, size_t n);
/* A unit's layers joined by "+", then "+add" when it absorbed an add. */
const char *tool_unit_name(const fp_model *m, const fp_unit *u, char *buf, size_t n);
/* The current UTC time, "2026-12-06T09:21:07Z" (date_only: "2026-12-06"). */
const char *tool_utc_now(char *buf, size_t n, bool date_only);

/* A JSON report's header members: format, version 1, device, driver,
 * cuda_runtime, date (UTC, ISO 8601) and commit (the build's). */
void tool_report_header(cJSON *root, const char *format, const char *device, int driver,
                        int runtime, const char *date);
/* The commit this fuseplan was built from. */
const char *tool_commit(void);

/* Writes text (and a newline when newline) to path ("-": standard output),
 * checking fopen, every write and fclose. Returns 0, or prints "fuseplan
 * CMD: cannot write WHAT PATH: REASON" and returns 1. */
int tool_write_file(const char *cmd, const char *what, const char *path, const char *text,
                    bool newline);
/* root printed (formatted or compact) into path, like tool_write_file. */
int tool_write_json(const char *cmd, const char *what, const char *path, const cJSON *root,
                    bool formatted, bool newline);

/* Whether a and b are the same existing file (device and inode), or the
 * same text when either does not exist yet; "-" is never a file. */
bool tool_same_file(const char *a, const char *b);
/* Refuses (exit code 2, message naming OPT, the file and the input) an
 * output file that is one of the n inputs; 0 when out is NULL or distinct. */
int tool_refuse_overwrite(const char *cmd, const char *opt, const char *out,
                          const char *const *inputs, int n);
/* Refuses (exit code 2, one line naming OPT, the path and the reason) an
 * output file that cannot be written: its folder is missing, not a folder or
 * not writable, or the path is a folder or a read-only file. Checked before a
 * long GPU run so that its results are not lost at the end; the write itself
 * is still checked. 0 when path is NULL or "-". */
int tool_check_writable(const char *cmd, const char *opt, const char *path);
/* At start: occupies closed descriptors 0..2 with /dev/null (remembering a
 * closed stdout) so no file opened later takes their place. */
void tool_guard_std_fds(void);
/* At exit: flushes and closes stdout, checking both; a failed write (a full
 * disk, /dev/full, a closed stdout) prints "fuseplan CMD: cannot write
 * standard output: REASON" and turns a 0 rc into 1. Returns the exit code. */
int tool_finish_stdout(const char *cmd, int rc);
/* "fuseplan VERSION (commit HASH)". */
void tool_version(FILE *f);
/* s with control and bidirectional characters and invalid UTF-8 escaped,
 * for tables (fp_text_sanitize); returns buf. */
const char *tool_safe(const char *s, char *buf, size_t n);

#endif
