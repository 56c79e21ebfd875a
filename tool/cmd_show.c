/* cmd_show.c - `fuseplan show`, `check`, `models`, `gpus`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_plan.h"
#include "fp_json.h"

static const char *class_name(const fp_layer *l) {
    switch (l->cls) {
    case FP_CLASS_DW: return "dw";
    case FP_CLASS_PW: return "pw";
    case FP_CLASS_STANDARD: return "conv";
    default: return fp_op_name(l->op);
    }
}

static void shape_str(fp_shape s, char *buf, size_t n) { snprintf(buf, n, "%dx%dx%d", s.h, s.w, s.c); }

static void print_show_help(void) {
    printf("usage: fuseplan show MODEL [--batch N] [--dtype fp32|fp16|bf16|int8]\n\n"
           "Prints one row per layer: name, op (dw, pw, conv = standard conv, or the op),\n"
           "kernel/stride, input and output shape (HxWxC per image), parameters, MACs per\n"
           "batch, and the bytes the layer must move at minimum (inputs, output and weights\n"
           "once at the element size of --dtype; biases 4 bytes), then totals.\n");
}

int cmd_show(int argc, char **argv) {
    const char *model_arg = NULL, *v = NULL;
    int batch = 1, rc = 0;
    cm_dtype dtype = CM_F32;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_show_help();
            return 0;
        } else if (tool_opt_value("show", argc, argv, &i, "--batch", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_int("show", "--batch", v, 1, FP_MAX_BATCH, &batch)) return 2;
        } else if (tool_opt_value("show", argc, argv, &i, "--dtype", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_dtype("show", v, &dtype)) return 2;
        } else if (argv[i][0] == '-') {
            return tool_usage_error("show", "unknown option \"%s\"", argv[i]);
        } else if (!model_arg) {
            model_arg = argv[i];
        } else {
            return tool_usage_error("show", "unexpected argument \"%s\"", argv[i]);
        }
    }
    if (!model_arg) return tool_usage_error("show", "missing MODEL");
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

/* Peeks at the "format" member to decide which loader validates a file. */
static int check_one(const char *path) {
    char *text = NULL, err[1024];
    size_t len = 0;
    fp_status st = fpj_read_file(path, 64u << 20, &text, &len, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *f = root ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
    const char *format = cJSON_IsString(f) ? f->valuestring : "";
    char p[32];
    if (strcmp(format, FP_GPU_FORMAT) == 0) {
        fp_gpu_spec g;
        st = fp_gpu_parse(path, text, len, &g, err, sizeof err);
        if (st == FP_OK)
            printf("%s: ok: GPU spec %s (%s), %d SMs, %.0f GB/s%s\n", path, g.id, g.name,
                   g.gpu.sm_count, g.gpu.dram_gbps, g.calibrated ? ", calibrated" : "");
    } else {
        /* a model, or anything else: the model loader names what is wrong */
        fp_model m;
        st = fp_model_parse(path, text, len, &m, err, sizeof err);
        if (st == FP_OK) {
            printf("%s: ok: model %s, %d layers, %s parameters\n", path, m.name, m.n_layers,
                   tool_human((double)fp_model_params(&m), p, sizeof p));
            fp_model_free(&m);
        }
    }
    cJSON_Delete(root);
    free(text);
    if (st != FP_OK) fprintf(stderr, "%s\n", err);
    return fp_status_exit_code(st);
}

int cmd_check(int argc, char **argv) {
    if (argc < 2) return tool_usage_error("check", "missing FILE");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: fuseplan check FILE...\n\nValidates model and GPU-spec files (the \"format\" "
               "member says which);\nprints one line per file and exits 2 if any is invalid.\n");
        return 0;
    }
    int worst = 0;
    for (int i = 1; i < argc; i++) {
        int rc = check_one(argv[i]);
        if (rc > worst) worst = rc;
    }
    return worst;
}

int cmd_models(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: fuseplan models\n\nLists the shipped models (compiled into fuseplan; the "
               "name works wherever a MODEL\nfile is expected).\n");
        return 0;
    }
    if (argc > 1) return tool_usage_error("models", "unexpected argument \"%s\"", argv[1]);
    const char *text;
    size_t len;
    const char *path;
    printf("%-18s %-7s %10s %10s  %s\n", "name", "layers", "params", "MACs", "description");
    for (int i = 0; (path = fp_shipped("models", i, &text, &len)); i++) {
        fp_model m;
        char err[1024], p[32], mac[32];
        fp_status st = fp_model_parse(path, text, len, &m, err, sizeof err);
        if (st != FP_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("%-18s %-7d %10s %10s  %s\n", m.name, m.n_layers,
               tool_human((double)fp_model_params(&m), p, sizeof p),
               tool_human((double)fp_model_macs(&m), mac, sizeof mac), m.description ? m.description : "");
        fp_model_free(&m);
    }
    return 0;
}

int cmd_gpus(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: fuseplan gpus\n\nLists the shipped GPU specs (the id works wherever a SPEC "
               "file is expected).\n");
        return 0;
    }
    if (argc > 1) return tool_usage_error("gpus", "unexpected argument \"%s\"", argv[1]);
    const char *text;
    size_t len;
    const char *path;
    printf("%-20s %-5s %5s %8s %9s %10s  %s\n", "id", "cc", "SMs", "L2 MiB", "DRAM GB/s",
           "FP32 TFLOPS", "name");
    for (int i = 0; (path = fp_shipped("gpu_specs", i, &text, &len)); i++) {
        fp_gpu_spec g;
        char err[1024];
        fp_status st = fp_gpu_parse(path, text, len, &g, err, sizeof err);
        if (st != FP_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("%-20s %-5s %5d %8.1f %9.0f %10.1f  %s\n", g.id, g.compute_capability, g.gpu.sm_count,
               g.values[FP_GPU_L2_MIB], g.gpu.dram_gbps, g.gpu.fp32_tflops, g.name);
    }
    return 0;
}
