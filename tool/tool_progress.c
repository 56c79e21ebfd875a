/* tool_progress.c - the progress line on stderr (see tool_progress.h). */
#include "tool_progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Redraw interval: fast enough to look alive, slow enough not to cost. */
#define REDRAW_S 0.2

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void tool_progress_init(tool_progress *p, const char *cmd, bool quiet) {
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->on = !quiet && isatty(fileno(stderr));
}

void tool_progress_update(tool_progress *p, const char *stage, int done, int total) {
    if (!p->on) return;
    double t = now_s();
    if (strncmp(p->stage, stage, sizeof p->stage - 1) != 0) {
        snprintf(p->stage, sizeof p->stage, "%s", stage);
        p->start = t;
        p->last = 0;
    }
    if (done < total && t - p->last < REDRAW_S) return;
    p->last = t;
    double el = t - p->start;
    char left[48] = "";
    if (done > 0 && done < total && el > 0.5)
        snprintf(left, sizeof left, ", ~%.0f s left", el * (total - done) / done);
    /* \r and clear-to-end-of-line: one line, redrawn in place */
    fprintf(stderr, "\r\033[Kfuseplan %s: %s %d/%d, %.0f s%s", p->cmd, stage, done, total, el, left);
    fflush(stderr);
    p->drawn = true;
}

void tool_progress_clear(tool_progress *p) {
    if (!p->on || !p->drawn) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = false;
}
