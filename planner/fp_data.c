#include "fp_data.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fp_embedded.h"

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

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

fp_status fp_open_model(const char *arg, fp_model *m, char *err, size_t err_len) {
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
