/* tool_read.h - internal: reading a whole input file that may be gzipped
 * (the JSON reports of `run` and `validate`, which are committed as
 * .json.gz), shared by `fuseplan report` and `fuseplan validate --from`. */
#ifndef FUSEPLAN_TOOL_READ_H
#define FUSEPLAN_TOOL_READ_H

#include <stdbool.h>
#include <stddef.h>

/* Largest report read: the biggest committed validate report is 40 MB as
 * JSON; a bigger file is more likely a mistake than a report. */
#define TOOL_MAX_REPORT_BYTES ((size_t)512 << 20)

/* The whole file into *out (NUL-terminated, the caller frees; *len bytes).
 * Gzipped files are inflated when zlib is built in (gzread passes plain
 * files through unchanged); without zlib a gzipped file is read as is and
 * fails to parse (tool_read_hint says so). Errors go to stderr as
 * "fuseplan CMD: cannot read PATH: WHY"; returns 0, 2 (unreadable, larger
 * than TOOL_MAX_REPORT_BYTES) or 1 (out of memory). */
int tool_read_report(const char *cmd, const char *path, char **out, size_t *len);

/* "" with zlib; else "; this fuseplan reads plain JSON only: gunzip the
 * file first", for parse errors. */
const char *tool_read_hint(void);

#endif
