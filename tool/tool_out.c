/* tool_out.c - the commands' output helpers (see tool_out.h). */
#include "tool_out.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_json.h"
#include "fp_text.h"

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
    char safe[256];
    for (int l = 0; l < u->n_layers && off < n; l++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", l ? "+" : "",
                                tool_safe(m->layers[u->layers[l]].name, safe, sizeof safe));
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

static bool stdout_error_reported; /* one message per failure */

int tool_write_file(const char *cmd, const char *what, const char *path, const char *text,
                    bool newline) {
    const char *why = "out of memory";
    bool to_stdout = strcmp(path, "-") == 0;
    if (!path[0]) {
        why = "empty file name";
    } else if (text) {
        errno = 0;
        FILE *f = to_stdout ? stdout : fopen(path, "w");
        bool ok = f != NULL;
        if (ok) ok = fputs(text, f) >= 0 && (!newline || fputc('\n', f) != EOF) && fflush(f) == 0;
        int saved = errno;
        if (f && ferror(f)) ok = false;
        /* fclose reports what the last buffered write could not do (stdout
         * is closed once, at exit: tool_finish_stdout) */
        if (f && !to_stdout && fclose(f) != 0 && ok) {
            ok = false;
            saved = errno;
        }
        if (ok) return 0;
        why = saved ? strerror(saved) : "write error";
        if (to_stdout) stdout_error_reported = true;
    }
    char safe[1024];
    fprintf(stderr, "fuseplan %s: cannot write %s%s%s: %s\n", cmd, what ? what : "", what ? " " : "",
            to_stdout ? "standard output" : tool_safe(path, safe, sizeof safe), why);
    return 1;
}

bool tool_same_file(const char *a, const char *b) {
    if (!a || !b || strcmp(a, "-") == 0 || strcmp(b, "-") == 0) return false;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

/* "fuseplan CMD: MESSAGE" on stderr, exit code 2 (tool_usage_error's form; the
 * output module does not call up into the option parser). */
static int refuse(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuseplan %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

int tool_check_writable(const char *cmd, const char *opt, const char *path) {
    if (!path || strcmp(path, "-") == 0) return 0;
    char dir[4096], s1[1024], s2[1024];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) != 0)
        return refuse(cmd, "%s %s: folder %s: %s", opt, tool_safe(path, s1, sizeof s1),
                                tool_safe(dir, s2, sizeof s2), strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return refuse(cmd, "%s %s: %s is not a folder", opt, tool_safe(path, s1, sizeof s1),
                                tool_safe(dir, s2, sizeof s2));
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return refuse(cmd, "%s %s: is a folder", opt, tool_safe(path, s1, sizeof s1));
        if (access(path, W_OK) != 0)
            return refuse(cmd, "%s %s: cannot write: %s", opt, tool_safe(path, s1, sizeof s1),
                                    strerror(errno));
    } else if (access(dir, W_OK | X_OK) != 0) {
        return refuse(cmd, "%s %s: cannot create it in %s: %s", opt,
                                tool_safe(path, s1, sizeof s1), tool_safe(dir, s2, sizeof s2),
                                strerror(errno));
    }
    return 0;
}

int tool_refuse_overwrite(const char *cmd, const char *opt, const char *out, const char *const *inputs,
                          int n) {
    if (!out) return 0;
    for (int i = 0; i < n; i++)
        if (inputs[i] && tool_same_file(out, inputs[i])) {
            char s1[1024], s2[1024];
            fprintf(stderr, "fuseplan %s: %s %s: is the input %s; refusing to overwrite an input "
                    "(write to another file)\n", cmd, opt, tool_safe(out, s1, sizeof s1),
                    tool_safe(inputs[i], s2, sizeof s2));
            return 2;
        }
    return 0;
}

static bool stdout_was_closed;

void tool_guard_std_fds(void) {
    /* a closed descriptor 0, 1 or 2 would be taken by the next open(): a
     * plan written with -o could then receive the table printed to stdout.
     * Park /dev/null there, and report a closed stdout at exit. */
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            if (fd == 1) stdout_was_closed = true;
            int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (nfd >= 0 && nfd != fd) close(nfd);
        }
}

int tool_finish_stdout(const char *cmd, int rc) {
    int failed = 0;
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) failed = errno ? errno : EIO;
    if (fclose(stdout) != 0 && !failed) failed = errno ? errno : EIO;
    if (stdout_was_closed && !failed) failed = EBADF;
    if (!failed) return rc;
    if (stdout_error_reported) return rc ? rc : 1;
    fprintf(stderr, "fuseplan%s%s: cannot write standard output: %s\n", cmd && *cmd ? " " : "",
            cmd ? cmd : "", strerror(failed));
    return rc ? rc : 1;
}

void tool_version(FILE *f) {
    fprintf(f, "fuseplan %s (commit %s)\n", FUSEPLAN_VERSION, FUSEPLAN_COMMIT);
}

const char *tool_safe(const char *s, char *buf, size_t n) {
    return fp_text_sanitize(s ? s : "", buf, n);
}

int tool_write_json(const char *cmd, const char *what, const char *path, const cJSON *root,
                    bool formatted, bool newline) {
    char *text = formatted ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
    int rc = tool_write_file(cmd, what, path, text, newline);
    free(text);
    return rc;
}
