#include "fp_model.h"

#include <limits.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_json.h"

/* Limits from docs/formats.md; checked before any arithmetic so that every
 * product below fits in int64_t. */
enum {
    MAX_SPATIAL = 16384,
    MAX_CHANNELS = 65536,
    MAX_KERNEL = 11,
    MAX_STRIDE = 4,
    MAX_NAME = 128,
};
#define MAX_TENSOR_ELEMS (INT64_C(1) << 31)

static const char *const OP_NAMES[FP_OP_COUNT] = {
    [FP_OP_CONV2D] = "conv2d",
    [FP_OP_ADD] = "add",
    [FP_OP_MAX_POOL] = "max_pool",
    [FP_OP_AVG_POOL] = "avg_pool",
    [FP_OP_GLOBAL_AVG_POOL] = "global_avg_pool",
    [FP_OP_DENSE] = "dense",
    [FP_OP_ACTIVATION] = "activation",
};

const char *fp_op_name(fp_op op) { return (op >= 0 && op < FP_OP_COUNT) ? OP_NAMES[op] : "?"; }

static const char *const TOP_MEMBERS[] = {"format", "version", "name", "description", "source",
                                          "input", "outputs", "layers", "weights", NULL};
static const char *const INPUT_MEMBERS[] = {"name", "shape", NULL};
static const char *const CONV_MEMBERS[] = {"name", "op", "inputs", "output", "filters", "kernel",
                                           "stride", "padding", "groups", "activation", "bias", NULL};
static const char *const POOL_MEMBERS[] = {"name", "op", "inputs", "output", "kernel", "stride",
                                           "padding", NULL};
static const char *const GAP_MEMBERS[] = {"name", "op", "inputs", "output", NULL};
static const char *const DENSE_MEMBERS[] = {"name", "op", "inputs", "output", "units",
                                            "activation", "bias", NULL};
static const char *const ADD_MEMBERS[] = {"name", "op", "inputs", "output", "activation", NULL};
static const char *const ACT_MEMBERS[] = {"name", "op", "inputs", "output", "activation", NULL};

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int fp_model_find_tensor(const fp_model *m, const char *name) {
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return i;
    return -1;
}

static bool check_name(fp_jctx *c, const char *path, const char *key, const char *s) {
    size_t n = strlen(s);
    if (n == 0) return fpj_fail(c, path, key, "must not be empty");
    if (n > MAX_NAME) return fpj_fail(c, path, key, "longer than %d characters", MAX_NAME);
    /* names are printed in tables and written into plans: UTF-8 without
     * control or bidirectional formatting characters */
    return fpj_check_text(c, path, key, s);
}

/* An int member, or a pair [a, b] of ints, each in [lo, hi]. */
static bool int_or_pair(fp_jctx *c, const cJSON *obj, const char *path, const char *key,
                        bool required, long lo, long hi, int *a, int *b) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char r[96];
    if (!v) return required ? fpj_fail(c, path, key, "required member is missing") : true;
    if (cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) != 2)
            return fpj_fail(c, path, key, "expected an integer or [height, width]");
        char p[160];
        snprintf(p, sizeof p, "%s.%s[0]", path, key);
        if (!fpj_value_int(c, cJSON_GetArrayItem(v, 0), p, lo, hi, a)) return false;
        snprintf(p, sizeof p, "%s.%s[1]", path, key);
        return fpj_value_int(c, cJSON_GetArrayItem(v, 1), p, lo, hi, b);
    }
    if (!cJSON_IsNumber(v))
        return fpj_fail(c, path, key, "expected an integer or [height, width], got %s",
                        fpj_repr(v, r, sizeof r));
    if (!fpj_int(c, obj, path, key, true, lo, hi, a)) return false;
    *b = *a;
    return true;
}

static bool parse_activation(fp_jctx *c, const cJSON *obj, const char *path, bool required,
                             cm_act *out) {
    const char *s = NULL;
    if (!fpj_string(c, obj, path, "activation", required, &s)) return false;
    if (!s) return true;
    if (strcmp(s, "none") == 0) *out = CM_ACT_NONE;
    else if (strcmp(s, "relu") == 0) *out = CM_ACT_RELU;
    else if (strcmp(s, "relu6") == 0) *out = CM_ACT_RELU6;
    else return fpj_fail(c, path, "activation", "\"%s\" is not none, relu or relu6", s);
    return true;
}

/* Resolves padding for one axis pair and computes the output size. */
static bool window_geometry(fp_jctx *c, const cJSON *obj, const char *path, const char *default_pad,
                            fp_shape in, fp_layer *l, int *out_h, int *out_w) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "padding");
    char r[96];
    int kh = l->kernel_h, kw = l->kernel_w, sh = l->stride_h, sw = l->stride_w;
    const char *mode = default_pad;
    if (p) {
        if (cJSON_IsString(p)) {
            mode = p->valuestring;
            if (strcmp(mode, "same") != 0 && strcmp(mode, "valid") != 0)
                return fpj_fail(c, path, "padding", "\"%s\" is not \"same\", \"valid\" or "
                                "[top, bottom, left, right]", mode);
        } else if (cJSON_IsArray(p)) {
            if (cJSON_GetArraySize(p) != 4)
                return fpj_fail(c, path, "padding", "an explicit padding has 4 entries "
                                "[top, bottom, left, right], got %d", cJSON_GetArraySize(p));
            int pads[4];
            for (int i = 0; i < 4; i++) {
                char ip[160];
                snprintf(ip, sizeof ip, "%s.padding[%d]", path, i);
                int k = i < 2 ? kh : kw;
                if (!fpj_value_int(c, cJSON_GetArrayItem(p, i), ip, 0, k - 1, &pads[i])) return false;
            }
            mode = NULL;
            l->pad_top = pads[0];
            l->pad_bottom = pads[1];
            l->pad_left = pads[2];
            l->pad_right = pads[3];
        } else {
            return fpj_fail(c, path, "padding", "expected \"same\", \"valid\" or an array, got %s",
                            fpj_repr(p, r, sizeof r));
        }
    }
    if (mode && strcmp(mode, "same") == 0) {
        int oh = (in.h + sh - 1) / sh, ow = (in.w + sw - 1) / sw;
        int th = (oh - 1) * sh + kh - in.h, tw = (ow - 1) * sw + kw - in.w;
        if (th < 0) th = 0;
        if (tw < 0) tw = 0;
        l->pad_top = th / 2;
        l->pad_bottom = th - th / 2;
        l->pad_left = tw / 2;
        l->pad_right = tw - tw / 2;
    } else if (mode) {
        l->pad_top = l->pad_bottom = l->pad_left = l->pad_right = 0;
    }
    int eh = in.h + l->pad_top + l->pad_bottom, ew = in.w + l->pad_left + l->pad_right;
    if (eh < kh || ew < kw)
        return fpj_fail(c, path, "kernel", "%dx%d window does not fit the %dx%d input (padded "
                        "%dx%d)", kh, kw, in.h, in.w, eh, ew);
    *out_h = (eh - kh) / sh + 1;
    *out_w = (ew - kw) / sw + 1;
    return true;
}

static const char *const *members_for(fp_op op) {
    switch (op) {
    case FP_OP_CONV2D: return CONV_MEMBERS;
    case FP_OP_MAX_POOL:
    case FP_OP_AVG_POOL: return POOL_MEMBERS;
    case FP_OP_GLOBAL_AVG_POOL: return GAP_MEMBERS;
    case FP_OP_DENSE: return DENSE_MEMBERS;
    case FP_OP_ADD: return ADD_MEMBERS;
    case FP_OP_ACTIVATION: return ACT_MEMBERS;
    default: return GAP_MEMBERS;
    }
}

static bool add_tensor(fp_jctx *c, fp_model *m, const char *path, const char *name, fp_shape s,
                       int producer) {
    int64_t elems = (int64_t)s.h * s.w * s.c;
    if (elems > MAX_TENSOR_ELEMS)
        return fpj_fail(c, path, "output", "tensor \"%s\" of %dx%dx%d has more than 2^31 elements",
                        name, s.h, s.w, s.c);
    fp_tensor *t = &m->tensors[m->n_tensors];
    t->name = dup_str(name);
    if (!t->name) {
        c->status = FP_ERR_NOMEM;
        return fpj_fail(c, path, NULL, "out of memory");
    }
    t->shape = s;
    t->producer = producer;
    m->n_tensors++;
    return true;
}

static bool parse_layer(fp_jctx *c, fp_model *m, const cJSON *lj, int index, const cJSON *all) {
    char path[64], r[96];
    snprintf(path, sizeof path, "layers[%d]", index);
    fp_layer *l = &m->layers[index];
    memset(l, 0, sizeof *l);
    if (!cJSON_IsObject(lj))
        return fpj_fail(c, path, NULL, "expected an object, got %s", fpj_repr(lj, r, sizeof r));

    const char *name = NULL, *op = NULL, *out = NULL;
    if (!fpj_string(c, lj, path, "name", true, &name) || !check_name(c, path, "name", name))
        return false;
    for (int j = 0; j < index; j++)
        if (strcmp(m->layers[j].name, name) == 0)
            return fpj_fail(c, path, "name", "\"%s\" is already the name of layers[%d]", name, j);
    if (!fpj_string(c, lj, path, "op", true, &op)) return false;
    int opi = -1;
    for (int o = 0; o < FP_OP_COUNT; o++)
        if (strcmp(op, OP_NAMES[o]) == 0) opi = o;
    if (opi < 0)
        return fpj_fail(c, path, "op", "unknown op \"%s\" (conv2d, add, max_pool, avg_pool, "
                        "global_avg_pool, dense, activation)", op);
    l->op = (fp_op)opi;
    if (!fpj_check_object(c, lj, path, members_for(l->op))) return false;

    /* inputs */
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(lj, "inputs");
    int want = l->op == FP_OP_ADD ? 2 : 1;
    if (!ins) return fpj_fail(c, path, "inputs", "required member is missing");
    if (!cJSON_IsArray(ins))
        return fpj_fail(c, path, "inputs", "expected an array of tensor names, got %s",
                        fpj_repr(ins, r, sizeof r));
    if (cJSON_GetArraySize(ins) != want)
        return fpj_fail(c, path, "inputs", "%s takes %d input%s, got %d", op, want,
                        want == 1 ? "" : "s", cJSON_GetArraySize(ins));
    for (int i = 0; i < want; i++) {
        const cJSON *v = cJSON_GetArrayItem(ins, i);
        char ip[96];
        snprintf(ip, sizeof ip, "%s.inputs[%d]", path, i);
        if (!cJSON_IsString(v))
            return fpj_fail(c, ip, NULL, "expected a tensor name, got %s", fpj_repr(v, r, sizeof r));
        int t = fp_model_find_tensor(m, v->valuestring);
        if (t < 0) {
            /* Distinguish a forward reference (cycle / wrong order) from a typo. */
            int later = -1, k = 0;
            for (const cJSON *o = all->child; o; o = o->next, k++) {
                const cJSON *on = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, "output")
                                                    : NULL;
                if (k >= index && cJSON_IsString(on) && strcmp(on->valuestring, v->valuestring) == 0) {
                    later = k;
                    break;
                }
            }
            if (later >= 0)
                return fpj_fail(c, ip, NULL, "tensor \"%s\" is produced by layers[%d], not before "
                                "this layer: the graph has a cycle or is not in topological order",
                                v->valuestring, later);
            return fpj_fail(c, ip, NULL, "unknown tensor \"%s\"", v->valuestring);
        }
        l->inputs[i] = t;
    }
    l->n_inputs = want;
    fp_shape in = m->tensors[l->inputs[0]].shape;

    if (!fpj_string(c, lj, path, "output", true, &out) || !check_name(c, path, "output", out))
        return false;
    if (fp_model_find_tensor(m, out) >= 0)
        return fpj_fail(c, path, "output", "tensor \"%s\" already exists (each tensor is produced "
                        "once)", out);

    fp_shape o = in;
    l->act = CM_ACT_NONE;
    l->bias = true;
    l->stride_h = l->stride_w = 1;
    l->groups = 1;
    switch (l->op) {
    case FP_OP_CONV2D: {
        if (!fpj_int(c, lj, path, "filters", true, 1, MAX_CHANNELS, &l->filters)) return false;
        if (!int_or_pair(c, lj, path, "kernel", true, 1, MAX_KERNEL, &l->kernel_h, &l->kernel_w))
            return false;
        if (!int_or_pair(c, lj, path, "stride", false, 1, MAX_STRIDE, &l->stride_h, &l->stride_w))
            return false;
        if (!fpj_int(c, lj, path, "groups", false, 1, MAX_CHANNELS, &l->groups)) return false;
        if (in.c % l->groups != 0)
            return fpj_fail(c, path, "groups", "%d does not divide the %d input channels of \"%s\"",
                            l->groups, in.c, m->tensors[l->inputs[0]].name);
        if (l->filters % l->groups != 0)
            return fpj_fail(c, path, "groups", "%d does not divide filters %d", l->groups,
                            l->filters);
        if (!parse_activation(c, lj, path, false, &l->act)) return false;
        if (!fpj_bool(c, lj, path, "bias", false, &l->bias)) return false;
        if (!window_geometry(c, lj, path, "same", in, l, &o.h, &o.w)) return false;
        o.c = l->filters;
        bool pads0 = !l->pad_top && !l->pad_bottom && !l->pad_left && !l->pad_right;
        if (l->kernel_h == 1 && l->kernel_w == 1 && l->stride_h == 1 && l->stride_w == 1 && pads0 &&
            l->groups == 1) {
            l->cls = FP_CLASS_PW;
        } else if (l->groups == in.c && l->filters == in.c && in.c > 1) {
            /* any kernel size and stride: which of them our variants run is the
             * planner's decision (fp_layer_has_variant); cuDNN runs the rest */
            l->cls = FP_CLASS_DW;
        } else {
            l->cls = FP_CLASS_STANDARD;
        }
        int64_t per_filter = (int64_t)l->kernel_h * l->kernel_w * (in.c / l->groups);
        l->params = per_filter * l->filters + (l->bias ? l->filters : 0);
        l->macs = (int64_t)o.h * o.w * l->filters * per_filter;
        break;
    }
    case FP_OP_MAX_POOL:
    case FP_OP_AVG_POOL:
        if (!int_or_pair(c, lj, path, "kernel", true, 1, MAX_KERNEL, &l->kernel_h, &l->kernel_w))
            return false;
        l->stride_h = l->kernel_h;
        l->stride_w = l->kernel_w;
        if (!int_or_pair(c, lj, path, "stride", false, 1, MAX_STRIDE, &l->stride_h, &l->stride_w))
            return false;
        if (!window_geometry(c, lj, path, "valid", in, l, &o.h, &o.w)) return false;
        l->bias = false;
        break;
    case FP_OP_GLOBAL_AVG_POOL:
        o.h = o.w = 1;
        l->bias = false;
        break;
    case FP_OP_DENSE:
        if (in.h != 1 || in.w != 1)
            return fpj_fail(c, path, "inputs[0]", "dense needs a [1, 1, C] input; \"%s\" is "
                            "[%d, %d, %d] (add a global_avg_pool)", m->tensors[l->inputs[0]].name,
                            in.h, in.w, in.c);
        if (!fpj_int(c, lj, path, "units", true, 1, MAX_CHANNELS, &l->units)) return false;
        if (!parse_activation(c, lj, path, false, &l->act)) return false;
        if (!fpj_bool(c, lj, path, "bias", false, &l->bias)) return false;
        o.c = l->units;
        l->params = (int64_t)in.c * l->units + (l->bias ? l->units : 0);
        l->macs = (int64_t)in.c * l->units;
        break;
    case FP_OP_ADD: {
        fp_shape b = m->tensors[l->inputs[1]].shape;
        if (b.h != in.h || b.w != in.w || b.c != in.c)
            return fpj_fail(c, path, "inputs", "shapes differ: \"%s\" is [%d, %d, %d], \"%s\" is "
                            "[%d, %d, %d]", m->tensors[l->inputs[0]].name, in.h, in.w, in.c,
                            m->tensors[l->inputs[1]].name, b.h, b.w, b.c);
        if (l->inputs[0] == l->inputs[1])
            return fpj_fail(c, path, "inputs", "both inputs are \"%s\"", m->tensors[l->inputs[0]].name);
        if (!parse_activation(c, lj, path, false, &l->act)) return false;
        l->bias = false;
        break;
    }
    case FP_OP_ACTIVATION:
        if (!parse_activation(c, lj, path, true, &l->act)) return false;
        if (l->act == CM_ACT_NONE)
            return fpj_fail(c, path, "activation", "\"none\" does nothing; remove the layer");
        l->bias = false;
        break;
    default: break;
    }
    if (!add_tensor(c, m, path, out, o, index)) return false;
    l->output = m->n_tensors - 1;
    for (int i = 0; i < l->n_inputs; i++) m->tensors[l->inputs[i]].n_consumers++;
    l->name = dup_str(name); /* last: a layer that failed owns nothing */
    if (!l->name) {
        c->status = FP_ERR_NOMEM;
        return fpj_fail(c, path, NULL, "out of memory");
    }
    return true;
}

static bool parse_model(fp_jctx *c, const cJSON *root, fp_model *m) {
    int version = 0;
    char r[96];
    if (!fpj_format(c, root, FP_MODEL_FORMAT, FP_MODEL_VERSION, &version)) return false;
    if (!fpj_check_object(c, root, "", TOP_MEMBERS)) return false;
    const char *s = NULL;
    if (!fpj_string(c, root, "", "name", true, &s) || !check_name(c, "", "name", s)) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return fpj_fail(c, "", "name", "\"%s\" may contain only letters, digits, _ - and .", s);
    m->name = dup_str(s);
    const char *d = NULL;
    if (!fpj_string(c, root, "", "description", false, &d)) return false;
    if (d) m->description = dup_str(d);
    d = NULL;
    if (!fpj_string(c, root, "", "source", false, &d)) return false;
    if (d) m->source = dup_str(d);

    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
    if (!layers) return fpj_fail(c, "", "layers", "required member is missing");
    if (!cJSON_IsArray(layers))
        return fpj_fail(c, "", "layers", "expected an array, got %s", fpj_repr(layers, r, sizeof r));
    int nl = cJSON_GetArraySize(layers);
    if (nl < 1) return fpj_fail(c, "", "layers", "the model has no layers");
    if (nl > FP_MODEL_MAX_LAYERS)
        return fpj_fail(c, "", "layers", "%d layers exceed the limit of %d", nl, FP_MODEL_MAX_LAYERS);
    m->layers = calloc((size_t)nl, sizeof *m->layers);
    m->tensors = calloc((size_t)nl + 1, sizeof *m->tensors);
    if (!m->layers || !m->tensors || !m->name) {
        c->status = FP_ERR_NOMEM;
        return fpj_fail(c, NULL, NULL, "out of memory");
    }

    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "input");
    if (!in) return fpj_fail(c, "", "input", "required member is missing");
    if (!fpj_check_object(c, in, "input", INPUT_MEMBERS)) return false;
    const char *in_name = NULL;
    if (!fpj_string(c, in, "input", "name", true, &in_name) || !check_name(c, "input", "name", in_name))
        return false;
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(in, "shape");
    if (!shape) return fpj_fail(c, "input", "shape", "required member is missing");
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) != 3)
        return fpj_fail(c, "input", "shape", "expected [height, width, channels] (no batch), got %s",
                        fpj_repr(shape, r, sizeof r));
    int dims[3];
    const long hi[3] = {MAX_SPATIAL, MAX_SPATIAL, MAX_CHANNELS};
    for (int i = 0; i < 3; i++) {
        char p[32];
        snprintf(p, sizeof p, "input.shape[%d]", i);
        if (!fpj_value_int(c, cJSON_GetArrayItem(shape, i), p, 1, hi[i], &dims[i])) return false;
    }
    fp_shape ins = {dims[0], dims[1], dims[2]};
    if (!add_tensor(c, m, "input", in_name, ins, -1)) return false;
    m->input = 0;

    int i = 0;
    for (const cJSON *lj = layers->child; lj; lj = lj->next, i++) {
        if (!parse_layer(c, m, lj, i, layers)) return false;
        m->n_layers = i + 1;
    }

    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    if (!outs) return fpj_fail(c, "", "outputs", "required member is missing");
    if (!cJSON_IsArray(outs) || cJSON_GetArraySize(outs) < 1)
        return fpj_fail(c, "", "outputs", "expected a non-empty array of tensor names, got %s",
                        fpj_repr(outs, r, sizeof r));
    m->outputs = calloc((size_t)cJSON_GetArraySize(outs), sizeof *m->outputs);
    if (!m->outputs) {
        c->status = FP_ERR_NOMEM;
        return fpj_fail(c, NULL, NULL, "out of memory");
    }
    i = 0;
    for (const cJSON *o = outs->child; o; o = o->next, i++) {
        char p[32];
        snprintf(p, sizeof p, "outputs[%d]", i);
        if (!cJSON_IsString(o))
            return fpj_fail(c, p, NULL, "expected a tensor name, got %s", fpj_repr(o, r, sizeof r));
        int t = fp_model_find_tensor(m, o->valuestring);
        if (t < 0) return fpj_fail(c, p, NULL, "unknown tensor \"%s\"", o->valuestring);
        if (t == m->input) return fpj_fail(c, p, NULL, "\"%s\" is the model input", o->valuestring);
        if (m->tensors[t].is_output)
            return fpj_fail(c, p, NULL, "\"%s\" is listed twice", o->valuestring);
        m->tensors[t].is_output = true;
        m->outputs[i] = t;
        m->n_outputs = i + 1;
    }
    if (m->tensors[m->input].n_consumers == 0)
        return fpj_fail(c, "input", "name", "no layer reads the input \"%s\"", in_name);
    for (int t = 1; t < m->n_tensors; t++) {
        const fp_tensor *tt = &m->tensors[t];
        if (tt->n_consumers == 0 && !tt->is_output) {
            char p[32];
            snprintf(p, sizeof p, "layers[%d]", tt->producer);
            return fpj_fail(c, p, "output", "tensor \"%s\" is neither read by a layer nor listed in "
                            "outputs", tt->name);
        }
    }
    return true;
}

static bool resolve_weights(fp_jctx *c, const cJSON *root, fp_model *m) {
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weights");
    char r[96];
    if (!w || cJSON_IsNull(w)) return true;
    if (!cJSON_IsString(w))
        return fpj_fail(c, "", "weights", "expected a file name or null, got %s",
                        fpj_repr(w, r, sizeof r));
    if (!w->valuestring[0]) return fpj_fail(c, "", "weights", "must not be empty");
    const char *slash = strrchr(m->path, '/');
    size_t dir = (slash && w->valuestring[0] != '/') ? (size_t)(slash - m->path + 1) : 0;
    size_t n = dir + strlen(w->valuestring) + 1;
    m->weights = malloc(n);
    if (!m->weights) {
        c->status = FP_ERR_NOMEM;
        return fpj_fail(c, NULL, NULL, "out of memory");
    }
    memcpy(m->weights, m->path, dir);
    memcpy(m->weights + dir, w->valuestring, strlen(w->valuestring) + 1);
    /* stat, not fopen + ftell: a directory opens on Linux and a pipe has no size */
    struct stat sb;
    if (stat(m->weights, &sb) != 0)
        return fpj_fail(c, "", "weights", "cannot open \"%s\": %s", m->weights, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return fpj_fail(c, "", "weights", "\"%s\" is not a regular file", m->weights);
    int64_t want = 4 * fp_model_params(m);
    if ((int64_t)sb.st_size != want)
        return fpj_fail(c, "", "weights", "\"%s\" has %lld bytes; the model's %lld parameters need "
                        "%lld (float32)", m->weights, (long long)sb.st_size,
                        (long long)fp_model_params(m), (long long)want);
    return true;
}

void fp_model_free(fp_model *m) {
    if (!m) return;
    if (m->tensors)
        for (int i = 0; i < m->n_tensors; i++) free(m->tensors[i].name);
    if (m->layers)
        for (int i = 0; i < m->n_layers; i++) free(m->layers[i].name);
    free(m->tensors);
    free(m->layers);
    free(m->outputs);
    free(m->path);
    free(m->name);
    free(m->description);
    free(m->source);
    free(m->weights);
    memset(m, 0, sizeof *m);
}

fp_status fp_model_parse(const char *label, const char *text, size_t len, fp_model *m, char *err,
                         size_t err_len) {
    fp_jctx c = {label, err, err_len, FP_OK};
    memset(m, 0, sizeof *m);
    cJSON *root = fpj_parse(&c, text);
    if (!root) return c.status;
    m->path = dup_str(label);
    bool ok = m->path && parse_model(&c, root, m) && resolve_weights(&c, root, m);
    cJSON_Delete(root);
    if (!ok) {
        fp_model_free(m);
        return c.status == FP_OK ? FP_ERR_NOMEM : c.status;
    }
    m->hash = fp_hash_bytes(text, len);
    return FP_OK;
}

fp_status fp_model_load(const char *path, fp_model *m, char *err, size_t err_len) {
    char *text = NULL;
    size_t len = 0;
    memset(m, 0, sizeof *m);
    fp_status st = fpj_read_file(path, 64u << 20, &text, &len, err, err_len);
    if (st != FP_OK) return st;
    st = fp_model_parse(fpj_label(path), text, len, m, err, err_len);
    free(text);
    return st;
}

int64_t fp_model_params(const fp_model *m) {
    int64_t s = 0;
    for (int i = 0; i < m->n_layers; i++) s += m->layers[i].params;
    return s;
}

int64_t fp_model_macs(const fp_model *m) {
    int64_t s = 0;
    for (int i = 0; i < m->n_layers; i++) s += m->layers[i].macs;
    return s;
}

uint64_t fp_layer_min_bytes(const fp_model *m, const fp_layer *l, int batch, int elem_bytes) {
    uint64_t b = 0;
    for (int i = 0; i < l->n_inputs; i++) {
        fp_shape s = m->tensors[l->inputs[i]].shape;
        b += (uint64_t)s.h * s.w * s.c * (uint64_t)batch * (uint64_t)elem_bytes;
    }
    fp_shape o = m->tensors[l->output].shape;
    b += (uint64_t)o.h * o.w * o.c * (uint64_t)batch * (uint64_t)elem_bytes;
    int64_t nb = l->bias ? (l->op == FP_OP_DENSE ? l->units : l->filters) : 0;
    b += (uint64_t)(l->params - nb) * (uint64_t)elem_bytes + (uint64_t)nb * CM_BIAS_BYTES;
    return b;
}

cm_conv fp_layer_conv(const fp_model *m, const fp_layer *l) {
    fp_shape in = m->tensors[l->inputs[0]].shape, o = m->tensors[l->output].shape;
    cm_conv c = {
        .in_h = in.h, .in_w = in.w, .in_c = in.c,
        .out_h = o.h, .out_w = o.w, .out_c = o.c,
        .kernel = l->kernel_h, .stride = l->stride_h,
        .pad_top = l->pad_top, .pad_left = l->pad_left,
        .act = l->act,
    };
    return c;
}
