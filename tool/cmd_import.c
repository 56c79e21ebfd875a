/* cmd_import.c - `fuseplan import MODEL.onnx [-o model.json]`: an ONNX file
 * becomes a model JSON and its weights file (docs/onnx.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_model.h"
#include "fp_onnx.h"
#include "tool.h"

/* Writes n floats to path, checking every step. */
static int write_weights(const char *path, const float *w, size_t n) {
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(w, sizeof(float), n, f) == n;
    int e = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        fprintf(stderr, "fuseplan import: cannot write weights %s: %s\n", path, strerror(e));
        return 1;
    }
    return 0;
}

static int run_import(const tool_options *o) {
    const char *in = o->pos[0];
    if (!fp_onnx_is_onnx_path(in))
        return tool_usage_error("import", "%s: expected an ONNX file (MODEL.onnx)", in);
    /* out: -o, or the input's stem + ".json" in the current folder */
    char out[4096], wpath[4200];
    /* the model JSON names its weights file beside it, so it needs a real path */
    if (o->out && strcmp(o->out, "-") == 0)
        return tool_usage_error("import", "-o -: the model JSON names its weights file beside it; "
                                "give a file name");
    if (o->out) {
        snprintf(out, sizeof out, "%s", o->out);
    } else {
        const char *base = strrchr(in, '/');
        snprintf(out, sizeof out, "%s", base ? base + 1 : in);
        size_t n = strlen(out);
        snprintf(out + n - 5, sizeof out - (n - 5), ".json");
    }
    const char *inputs[] = {in};
    int rc = tool_refuse_overwrite("import", "-o", out, inputs, 1);
    if (rc) return rc;
    /* the weights file beside the JSON: STEM.weights.bin */
    snprintf(wpath, sizeof wpath, "%s", out);
    size_t wl = strlen(wpath);
    if (wl > 5 && strcmp(wpath + wl - 5, ".json") == 0) wpath[wl - 5] = 0;
    strncat(wpath, ".weights.bin", sizeof wpath - strlen(wpath) - 1);
    const char *wname = strrchr(wpath, '/');
    wname = wname ? wname + 1 : wpath;

    char err[1024];
    fp_onnx_result r;
    fp_status st = fp_onnx_import(in, wname, &r, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    rc = write_weights(wpath, r.weights, r.n_weights);
    if (!rc) rc = tool_write_file("import", "model", out, r.json, true);
    fp_onnx_result_free(&r);
    if (rc) return rc;
    /* read back what was written: the same loader every command uses */
    fp_model m;
    st = fp_model_load(out, &m, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    printf("%s: %d layers, %lld parameters, input %dx%dx%d -> %s (weights %s)\n", out, m.n_layers,
           (long long)fp_model_params(&m), m.tensors[m.input].shape.h, m.tensors[m.input].shape.w,
           m.tensors[m.input].shape.c, in, wpath);
    fp_model_free(&m);
    return 0;
}

const tool_command tool_cmd_import = {
    "import", TOOL_IMPORT, "MODEL.onnx", 1, 1, "MODEL.onnx",
    "convert an ONNX model to a model JSON and its weights file",
    "Reads an ONNX file (Conv, BatchNormalization folded into the conv, Relu,\n"
    "Clip(0, 6), Add, pools, Flatten/Reshape, Gemm/MatMul, Identity, Dropout) and\n"
    "writes the model JSON (-o, default MODEL's stem + .json) and STEM.weights.bin\n"
    "beside it (float32, the weights-file layout of docs/formats.md). The ONNX\n"
    "batch dimension is dropped: --batch of the other commands sets it. Any other\n"
    "op, attribute, dtype or shape is refused in one line naming the node (exit 2).\n"
    "Every MODEL argument also takes a .onnx file directly. A fuseplan built\n"
    "without protobuf-c and libonnx-dev says so (exit 1). See docs/onnx.md.",
    run_import,
};
