/* fp_model.h - model files (format "fuseplan-model", docs/formats.md): load,
 * validate, infer every shape, and classify each conv as DW, PW or standard.
 *
 * The loaded graph is plain C: tensors and layers refer to each other by
 * index. Layers are stored in the file's (topological) order. */
#ifndef FUSEPLAN_FP_MODEL_H
#define FUSEPLAN_FP_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "costmodel.h"
#include "fp_status.h"

#define FP_MODEL_FORMAT "fuseplan-model"
#define FP_MODEL_VERSION 1
#define FP_MODEL_MAX_LAYERS 4096

typedef enum fp_op {
    FP_OP_CONV2D = 0,
    FP_OP_ADD,
    FP_OP_MAX_POOL,
    FP_OP_AVG_POOL,
    FP_OP_GLOBAL_AVG_POOL,
    FP_OP_DENSE,
    FP_OP_ACTIVATION,
    FP_OP_COUNT
} fp_op;

const char *fp_op_name(fp_op op);

/* What a conv2d is, for fusion purposes. */
typedef enum fp_conv_class {
    FP_CLASS_OTHER = 0,  /* not a conv2d */
    FP_CLASS_DW,         /* groups == C_in == C_out > 1, any kernel and stride */
    FP_CLASS_PW,         /* 1x1, stride 1, no padding, groups 1 */
    FP_CLASS_STANDARD,   /* any other conv2d (run by cuDNN) */
} fp_conv_class;

typedef struct fp_shape {
    int h, w, c;
} fp_shape;

typedef struct fp_tensor {
    char *name;
    fp_shape shape;
    int producer;      /* layer index, -1 for the model input */
    int n_consumers;   /* layers reading it */
    bool is_output;    /* listed in "outputs" */
} fp_tensor;

typedef struct fp_layer {
    char *name;
    fp_op op;
    fp_conv_class cls;
    int inputs[2];     /* tensor indices */
    int n_inputs;
    int output;        /* tensor index */
    /* conv2d / pooling geometry (kernel, stride, padding as resolved) */
    int filters;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_top, pad_bottom, pad_left, pad_right;
    int groups;
    int units;         /* dense */
    bool bias;
    cm_act act;
    int64_t params;    /* weights + biases */
    int64_t macs;      /* per image */
} fp_layer;

typedef struct fp_model {
    char *path;        /* as given to fp_model_load */
    char *name;
    char *description;
    char *source;
    char *weights;     /* resolved path of the weights file, or NULL */
    fp_tensor *tensors;
    int n_tensors;
    fp_layer *layers;
    int n_layers;
    int input;         /* tensor index of the model input */
    int *outputs;
    int n_outputs;
    uint64_t hash;     /* FNV-1a of the file's bytes */
} fp_model;

/* Loads, validates and infers shapes. On failure *m is left empty (nothing to
 * free) and err names file, JSON path and bad value. */
fp_status fp_model_load(const char *path, fp_model *m, char *err, size_t err_len);
/* Same from text in memory; label names it in messages and becomes m->path. */
fp_status fp_model_parse(const char *label, const char *text, size_t len, fp_model *m, char *err,
                         size_t err_len);
void fp_model_free(fp_model *m);

int64_t fp_model_params(const fp_model *m);
int64_t fp_model_macs(const fp_model *m);   /* per image */
/* Index of the tensor called name, or -1. */
int fp_model_find_tensor(const fp_model *m, const char *name);
/* Bytes a layer must move at minimum at this batch and element size: its
 * inputs and output once, its weights once (biases at 4 bytes). */
uint64_t fp_layer_min_bytes(const fp_model *m, const fp_layer *l, int batch, int elem_bytes);
/* The cost model's view of a DW or PW conv layer. */
cm_conv fp_layer_conv(const fp_model *m, const fp_layer *l);

#endif
