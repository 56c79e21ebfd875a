/* tool_out.c - the commands' output helpers (see tool_out.h). */
#include "tool_out.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool_commit.h"

const char *tool_human(double v, char *buf, int len) {
    const char *unit = "";
    double a = v < 0 ? -v : v;
    if (a >= 1e9) {
        v /= 1e9;
        unit = " G";
    } else if (a >= 1e6) {
        v /= 1e6;
        unit = " M";
    } else if (a >= 1e3) {
        v /= 1e3;
        unit = " k";
    }
    if (*unit) snprintf(buf, (size_t)len, "%.2f%s", v, unit);
    else snprintf(buf, (size_t)len, "%.0f", v);
    return buf;
}

const char *tool_bytes(double v, char *buf, int len) {
    if (v >= 1e9) snprintf(buf, (size_t)len, "%.2f GB", v / 1e9);
    else if (v >= 1e6) snprintf(buf, (size_t)len, "%.2f MB", v / 1e6);
    else if (v >= 1e3) snprintf(buf, (size_t)len, "%.1f kB", v / 1e3);
    else snprintf(buf, (size_t)len, "%.0f B", v);
    return buf;
}

const char *tool_pct(double v, char *buf, size_t n) {
    if (isnan(v)) snprintf(buf, n, "-");
    else snprintf(buf, n, "%+.0f%%", 100 * v);
    return buf;
}

const char *tool_unit_name(const fp_model *m, const fp_unit *u, char *buf, size_t n) {
    size_t off = 0;
    buf[0] = '\0';
    for (int l = 0; l < u->n_layers && off < n; l++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", l ? "+" : "", m->layers[u->layers[l]].name);
    if (u->residual_layer >= 0 && off < n) snprintf(buf + off, n - off, "+add");
    return buf;
}

const char *tool_utc_now(char *buf, size_t n, bool date_only) {
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) ||
        strftime(buf, n, date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "unknown");
    return buf;
}

const char *tool_commit(void) { return FUSEPLAN_COMMIT; }

void tool_report_header(cJSON *root, const char *format, const char *device, int driver,
                        int runtime, const char *date) {
    cJSON_AddStringToObject(root, "format", format);
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "device", device);
    cJSON_AddNumberToObject(root, "driver", driver);
    cJSON_AddNumberToObject(root, "cuda_runtime", runtime);
    cJSON_AddStringToObject(root, "date", date);
    cJSON_AddStringToObject(root, "commit", FUSEPLAN_COMMIT);
}

int tool_write_file(const char *cmd, const char *what, const char *path, const char *text,
                    bool newline) {
    const char *why = "out of memory";
    if (text) {
        errno = 0;
        FILE *f = fopen(path, "w");
        bool ok = f != NULL;
        if (ok) ok = fputs(text, f) >= 0 && (!newline || fputc('\n', f) != EOF) && fflush(f) == 0;
        int saved = errno;
        /* fclose reports what the last buffered write could not do */
        if (f && fclose(f) != 0 && ok) {
            ok = false;
            saved = errno;
        }
        if (ok) return 0;
        why = saved ? strerror(saved) : "write error";
    }
    fprintf(stderr, "fuseplan %s: cannot write %s%s%s: %s\n", cmd, what ? what : "", what ? " " : "",
            path, why);
    return 1;
}

int tool_write_json(const char *cmd, const char *what, const char *path, const cJSON *root,
                    bool formatted, bool newline) {
    char *text = formatted ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
    int rc = tool_write_file(cmd, what, path, text, newline);
    free(text);
    return rc;
}
