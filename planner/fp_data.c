#include "fp_data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_embedded.h"
#include "fp_onnx.h"

const char *fp_shipped(const char *folder, int i, const char **text, size_t *len) {
    size_t fl = strlen(folder);
    int seen = 0;
    for (int k = 0; k < fp_embedded_count; k++) {
        const fp_embedded_file *f = &fp_embedded_files[k];
        if (strncmp(f->path, folder, fl) != 0 || f->path[fl] != '/') continue;
        if (seen++ == i) {
            if (text) *text = f->data;
            if (len) *len = f->len;
            return f->path;
        }
    }
    return NULL;
}

/* Finds arg among the shipped files of folder by stem or path. */
static const fp_embedded_file *find_shipped(const char *folder, const char *arg) {
    size_t fl = strlen(folder);
    for (int k = 0; k < fp_embedded_count; k++) {
        const fp_embedded_file *f = &fp_embedded_files[k];
        if (strncmp(f->path, folder, fl) != 0 || f->path[fl] != '/') continue;
        if (strcmp(f->path, arg) == 0) return f;
        const char *stem = f->path + fl + 1;
        size_t sl = strlen(stem) - strlen(".json");
        if (strlen(arg) == sl && strncmp(stem, arg, sl) == 0) return f;
    }
    return NULL;
}

/* Whether arg names something on the file system (or "-", standard input):
 * then the file loader reads it and, for a directory, a device or an
 * unreadable file, names the reason (fpj_read_file) instead of falling back
 * to the shipped files. */
static int is_file(const char *p) {
    struct stat st;
    return strcmp(p, "-") == 0 || stat(p, &st) == 0;
}

/* The folded weights of an imported ONNX file, in the weights-file layout, go
 * to a file named by the ONNX file's hash in a folder of this user's own
 * ($TMPDIR/fuseplan-UID, mode 0700, refused when anyone else owns it or can
 * write it: a cache another user could plant weights in would be executed),
 * written once through an exclusive temporary file and a rename, so that the
 * runtime reads them as it reads any model's weights file (m->weights). */
static fp_status onnx_weights_file(const fp_onnx_result *r, char **out, char *err, size_t err_len) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0]) tmp = "/tmp";
    char dir[4096], path[4200], part[4300];
    snprintf(dir, sizeof dir, "%s/fuseplan-%ld", tmp, (long)getuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fp_fail(err, err_len, FP_ERR_IO, "%s: cannot create the folder for imported weights (%s)",
                       dir, strerror(errno));
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
        return fp_fail(err, err_len, FP_ERR_IO, "%s: not a folder of this user's alone (mode 0700); "
                       "remove it or set TMPDIR", dir);
    snprintf(path, sizeof path, "%s/onnx-%016llx.weights.bin", dir, (unsigned long long)r->hash);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        (size_t)st.st_size == r->n_weights * sizeof(float)) {
        *out = strdup(path);
        return *out ? FP_OK : fp_fail(err, err_len, FP_ERR_NOMEM, "out of memory");
    }
    snprintf(part, sizeof part, "%s.%ld.part", path, (long)getpid());
    int fd = open(part, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int e = errno;
    bool ok = f != NULL;
    if (ok && fwrite(r->weights, sizeof(float), r->n_weights, f) != r->n_weights) {
        ok = false;
        e = errno;
    }
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    } else if (!f && fd >= 0) {
        close(fd);
    }
    if (ok && rename(part, path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        if (fd >= 0) remove(part);
        return fp_fail(err, err_len, FP_ERR_IO, "%s: cannot write the imported weights (%s)", part,
                       strerror(e));
    }
    *out = strdup(path);
    return *out ? FP_OK : fp_fail(err, err_len, FP_ERR_NOMEM, "out of memory");
}

/* An ONNX file (fp_onnx.h): imported, parsed as the model document it becomes,
 * its hash the ONNX file's, its weights the folded ones. */
static fp_status open_onnx(const char *arg, fp_model *m, char *err, size_t err_len) {
    fp_onnx_result r;
    memset(m, 0, sizeof *m);
    fp_status st = fp_onnx_import(arg, NULL, &r, err, err_len);
    if (st != FP_OK) return st;
    st = fp_model_parse(arg, r.json, strlen(r.json), m, err, err_len);
    if (st == FP_OK) {
        m->hash = r.hash;
        free(m->weights);
        m->weights = NULL;
        st = onnx_weights_file(&r, &m->weights, err, err_len);
        if (st != FP_OK) fp_model_free(m);
    }
    fp_onnx_result_free(&r);
    return st;
}

fp_status fp_open_model(const char *arg, fp_model *m, char *err, size_t err_len) {
    if (fp_onnx_is_onnx_path(arg)) return open_onnx(arg, m, err, err_len);
    if (is_file(arg)) return fp_model_load(arg, m, err, err_len);
    const fp_embedded_file *f = find_shipped("models", arg);
    if (f) return fp_model_parse(f->path, f->data, f->len, m, err, err_len);
    memset(m, 0, sizeof *m);
    return fp_fail(err, err_len, FP_ERR_IO, "%s: no such file, and not a shipped model (see "
                   "`fuseplan models`)", arg);
}

fp_status fp_open_gpu(const char *arg, fp_gpu_spec *g, char *err, size_t err_len) {
    if (is_file(arg)) return fp_gpu_load(arg, g, err, err_len);
    const fp_embedded_file *f = find_shipped("gpu_specs", arg);
    if (f) return fp_gpu_parse(f->path, f->data, f->len, g, err, err_len);
    return fp_fail(err, err_len, FP_ERR_IO, "%s: no such file, and not a shipped GPU spec (see "
                   "`fuseplan gpus`)", arg);
}
