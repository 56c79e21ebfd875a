/* cmd_show.c - `fuseplan show`: a model's layers, shapes, parameters, MACs
 * and minimum bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_plan.h"

static const char *class_name(const fp_layer *l) {
    switch (l->cls) {
    case FP_CLASS_DW: return "dw";
    case FP_CLASS_PW: return "pw";
    case FP_CLASS_STANDARD: return "conv";
    default: return fp_op_name(l->op);
    }
}

static void shape_str(fp_shape s, char *buf, size_t n) { snprintf(buf, n, "%dx%dx%d", s.h, s.w, s.c); }

static int run_show(const tool_options *o) {
    const char *model_arg = o->pos[0];
    int batch = o->batch;
    cm_dtype dtype = o->dtype;
    fp_model m;
    char err[1024];
    fp_status st = fp_open_model(model_arg, &m, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    int eb = cm_dtype_bytes(dtype);
    fp_shape in = m.tensors[m.input].shape;
    printf("model %s (%s): input %dx%dx%d, batch %d, %s, %d layers\n", m.name,
           m.description ? m.description : m.path, in.h, in.w, in.c, batch, cm_dtype_name(dtype),
           m.n_layers);
    printf("%4s  %-24s %-16s %-6s %-13s %-13s %10s %11s %11s\n", "#", "layer", "op", "k/s",
           "input", "output", "params", "MACs", "min bytes");
    double total_bytes = 0;
    for (int i = 0; i < m.n_layers; i++) {
        const fp_layer *l = &m.layers[i];
        char a[32], b[32], p[32], mac[32], by[32], ks[16] = "";
        char op[40];
        shape_str(m.tensors[l->inputs[0]].shape, a, sizeof a);
        shape_str(m.tensors[l->output].shape, b, sizeof b);
        if (l->op == FP_OP_CONV2D || l->op == FP_OP_MAX_POOL || l->op == FP_OP_AVG_POOL)
            snprintf(ks, sizeof ks, "%d/%d", l->kernel_h, l->stride_h);
        snprintf(op, sizeof op, "%s%s%s", class_name(l), l->act ? "+" : "",
                 l->act ? cm_act_name(l->act) : "");
        double bytes = (double)fp_layer_min_bytes(&m, l, batch, eb);
        total_bytes += bytes;
        printf("%4d  %-24.24s %-16s %-6s %-13s %-13s %10s %11s %11s\n", i, l->name, op, ks, a, b,
               tool_human((double)l->params, p, sizeof p),
               tool_human((double)l->macs * batch, mac, sizeof mac), tool_bytes(bytes, by, sizeof by));
    }
    char p[32], mac[32], by[32];
    printf("total: %s parameters (%lld), %s MACs (%lld per image), %s minimum bytes layer by "
           "layer\n", tool_human((double)fp_model_params(&m), p, sizeof p),
           (long long)fp_model_params(&m), tool_human((double)fp_model_macs(&m) * batch, mac, sizeof mac),
           (long long)fp_model_macs(&m), tool_bytes(total_bytes, by, sizeof by));
    fp_model_free(&m);
    return 0;
}


const tool_command tool_cmd_show = {
    "show", TOOL_SHOW, "MODEL", 1, 1, "MODEL",
    "print a model's layers, shapes, parameters, MACs and minimum bytes",
    "Prints one row per layer: name, op (dw, pw, conv = standard conv, or the op),\n"
    "kernel/stride, input and output shape (HxWxC per image), parameters, MACs per\n"
    "batch, and the bytes the layer must move at minimum (inputs, output and weights\n"
    "once at the element size of --dtype; biases 4 bytes), then totals.",
    run_show,
};
