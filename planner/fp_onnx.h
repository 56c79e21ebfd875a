/* fp_onnx.h - ONNX models in (docs/onnx.md): an ONNX file becomes a model
 * document ("fuseplan-model" JSON, docs/formats.md) and its weights (float32,
 * the weights-file layout: per conv2d/dense layer in order, KRSC weights then
 * biases), with BatchNormalization folded into the preceding conv.
 *
 * The parser is C generated at build time by protoc-c from Debian's
 * onnx.proto; a build without it still has these functions, and they fail with
 * FP_ERR_RUNTIME ("ONNX support was not built ...", exit 1). Every other
 * failure is one line naming the file, the node's name and op type, and why,
 * with FP_ERR_IO, FP_ERR_PARSE or FP_ERR_INVALID (exit 2). */
#ifndef FUSEPLAN_FP_ONNX_H
#define FUSEPLAN_FP_ONNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_status.h"

/* What an import produces. Owned by the caller: fp_onnx_result_free. */
typedef struct fp_onnx_result {
    char *json;          /* the model document, pretty-printed, NUL-terminated */
    float *weights;      /* n_weights floats, the weights file's contents */
    size_t n_weights;
    uint64_t hash;       /* FNV-1a 64 of the ONNX file's bytes */
} fp_onnx_result;

/* True when this build can read ONNX files. */
bool fp_onnx_available(void);

/* True when path names an ONNX file by its extension (".onnx"). */
bool fp_onnx_is_onnx_path(const char *path);

/* Imports the ONNX file at path. weights_name is written as the document's
 * "weights" member (NULL writes null). On failure *r is left empty. */
fp_status fp_onnx_import(const char *path, const char *weights_name, fp_onnx_result *r, char *err,
                         size_t err_len);
void fp_onnx_result_free(fp_onnx_result *r);

/* Reads a serialized TensorProto (an ONNX test case's input_0.pb) as float32:
 * *data (malloc'd, count elements) and its dims (at most 8). For tests. */
fp_status fp_onnx_read_tensor(const char *path, float **data, size_t *count, int64_t dims[8],
                              int *n_dims, char *err, size_t err_len);

#endif
