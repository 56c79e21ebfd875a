/* tool_read.c - whole input files, plain or gzipped (see tool_read.h). */
#include "tool_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUSEPLAN_HAVE_ZLIB
#include <zlib.h>
#endif

int tool_read_report(const char *cmd, const char *path, char **out, size_t *len) {
    *out = NULL;
    errno = 0;
#ifdef FUSEPLAN_HAVE_ZLIB
    gzFile f = gzopen(path, "rb");
#else
    FILE *f = fopen(path, "rb");
#endif
    if (!f) {
        fprintf(stderr, "fuseplan %s: cannot read %s: %s\n", cmd, path, errno ? strerror(errno) : "open failed");
        return 2;
    }
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    int rc = 0;
    for (;;) {
        if (!s) {
            rc = 1;
            fprintf(stderr, "fuseplan %s: %s: out of memory\n", cmd, path);
            break;
        }
        if (n + 1 >= cap) {
            if (cap >= TOOL_MAX_REPORT_BYTES) {
                rc = 2;
                fprintf(stderr, "fuseplan %s: %s: larger than %zu MB: not a report\n", cmd, path,
                        TOOL_MAX_REPORT_BYTES >> 20);
                break;
            }
            char *t = realloc(s, cap * 2);
            if (!t) {
                free(s);
                s = NULL;
                continue; /* reported at the top of the loop */
            }
            s = t;
            cap *= 2;
        }
#ifdef FUSEPLAN_HAVE_ZLIB
        int got = gzread(f, s + n, (unsigned)(cap - n - 1));
        if (got < 0) {
            int zerr;
            fprintf(stderr, "fuseplan %s: cannot read %s: %s\n", cmd, path, gzerror(f, &zerr));
            rc = 2;
            break;
        }
#else
        size_t got = fread(s + n, 1, cap - n - 1, f);
        if (got == 0 && ferror(f)) {
            fprintf(stderr, "fuseplan %s: cannot read %s: %s\n", cmd, path, strerror(errno));
            rc = 2;
            break;
        }
#endif
        if (got == 0) break;
        n += (size_t)got;
    }
#ifdef FUSEPLAN_HAVE_ZLIB
    gzclose(f);
#else
    fclose(f);
#endif
    if (rc) {
        free(s);
        return rc;
    }
    s[n] = '\0';
    *out = s;
    *len = n;
    return 0;
}

const char *tool_read_hint(void) {
#ifdef FUSEPLAN_HAVE_ZLIB
    return "";
#else
    return "; this fuseplan reads plain JSON only: gunzip the file first";
#endif
}
