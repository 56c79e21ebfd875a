/* tool_progress.h - internal: the one-line progress indicator of run,
 * validate and --tune on stderr ("fuseplan run: timing 12/53 units, 4 s,
 * ~13 s left"). It draws only when stderr is a terminal and --quiet was not
 * given, redraws at most every 0.2 s, and erases its line when done so the
 * log lines and tables that follow stay clean. */
#ifndef FUSEPLAN_TOOL_PROGRESS_H
#define FUSEPLAN_TOOL_PROGRESS_H

#include <stdbool.h>

typedef struct tool_progress {
    const char *cmd;
    bool on;            /* stderr is a terminal and not --quiet */
    bool drawn;         /* a line is on the screen */
    double start, last; /* of the current stage (monotonic seconds) */
    char stage[96];
} tool_progress;

void tool_progress_init(tool_progress *p, const char *cmd, bool quiet);
/* done of total items of stage (a new stage restarts the clock and the
 * estimate of the time left: done / elapsed, linear). */
void tool_progress_update(tool_progress *p, const char *stage, int done, int total);
/* Erases the line (before other output to stderr and at the end). */
void tool_progress_clear(tool_progress *p);

#endif
