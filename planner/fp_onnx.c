/* fp_onnx.c - ONNX import (fp_onnx.h, docs/onnx.md).
 *
 * The graph's nodes are visited in a topological order of their own (a cycle or
 * a dangling input is refused before anything is translated). Each ONNX value
 * is either an activation (an NCHW tensor of the model, known by the name of
 * the fuseplan tensor that holds it) or a constant (an initializer or a
 * Constant node). Nodes that change nothing (Identity, Dropout, Flatten and
 * Reshape of a [N, C, 1, 1] tensor) make their output another name of their
 * input; BatchNormalization, Relu and Clip(0, 6) fold into the layer that
 * produced their input when that layer's output has no other reader. */
#include "fp_onnx.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_json.h"

bool fp_onnx_is_onnx_path(const char *path) {
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".onnx") == 0;
}

void fp_onnx_result_free(fp_onnx_result *r) {
    free(r->json);
    free(r->weights);
    memset(r, 0, sizeof *r);
}

#ifndef FUSEPLAN_HAVE_ONNX

static const char NOT_BUILT[] =
    "ONNX support was not built into this fuseplan (it needs protoc-c, libprotobuf-c and the "
    "onnx.proto of libonnx-dev at `meson setup` time: run tools/setup.sh, then `meson setup "
    "--reconfigure BUILD`)";

bool fp_onnx_available(void) { return false; }

fp_status fp_onnx_import(const char *path, const char *weights_name, fp_onnx_result *r, char *err,
                         size_t err_len) {
    (void)weights_name;
    memset(r, 0, sizeof *r);
    return fp_fail(err, err_len, FP_ERR_RUNTIME, "%s: %s", path, NOT_BUILT);
}

fp_status fp_onnx_read_tensor(const char *path, float **data, size_t *count, int64_t dims[8],
                              int *n_dims, char *err, size_t err_len) {
    (void)dims;
    *data = NULL;
    *count = 0;
    *n_dims = 0;
    return fp_fail(err, err_len, FP_ERR_RUNTIME, "%s: %s", path, NOT_BUILT);
}

#else

#include "onnx.pb-c.h"

/* ONNX files bigger than this are refused (MobileNet-class models are ~14 MB). */
#define MAX_ONNX_BYTES (1u << 30)
#define MAX_ELEMS ((int64_t)1 << 31)

bool fp_onnx_available(void) { return true; }

typedef Onnx__NodeProto node_t;
typedef Onnx__TensorProto tensor_t;

enum { V_ACT = 1, V_CONST };

/* One named ONNX value. */
typedef struct value {
    const char *name;     /* the ONNX name (owned by the unpacked model) */
    int kind;
    /* activation */
    const char *fp_name;  /* the fuseplan tensor holding it */
    int c, h, w;
    bool flat;            /* rank 2 [N, C] (h = w = 1) */
    int layer;            /* producing layer, -1 for the model input */
    bool sole;            /* read by exactly one node (and every alias link too), not an output */
    /* constant */
    float *f;             /* float data (float32 and float16 read as float) */
    int64_t *i64;         /* int64 data */
    size_t count;
    int64_t dims[8];
    int nd;
    int dtype;
} value;

/* One fuseplan layer being built. */
typedef struct layer {
    char *name;
    const char *op;       /* fuseplan op name */
    const char *in[2];
    int n_in;
    int filters, kh, kw, sh, sw, pad[4], groups, units; /* pad: top, bottom, left, right */
    const char *act;
    float *w, *b;         /* weights (KRSC / [units][C]) and biases, conv2d and dense */
    size_t nw;
    int nb;
    int consumers;
} layer;

typedef struct ctx {
    const char *path;
    char *dir;            /* the model file's folder, with '/' (or "") */
    char *err;
    size_t err_len;
    fp_status st;
    Onnx__ModelProto *mp;
    value *v;
    int nv, cap_v;
    layer *l;
    int nl;
    const node_t *node;   /* the node being translated, for messages */
} ctx;

static bool fail(ctx *c, fp_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(ctx *c, fp_status st, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->node)
        fp_fail(c->err, c->err_len, st, "%s: node \"%s\" (%s): %s", c->path,
                c->node->name && c->node->name[0] ? c->node->name : "(unnamed)", c->node->op_type, msg);
    else
        fp_fail(c->err, c->err_len, st, "%s: %s", c->path, msg);
    c->st = st;
    return false;
}
#define BAD(...) fail(c, FP_ERR_INVALID, __VA_ARGS__)

static value *find(ctx *c, const char *name) {
    for (int i = c->nv - 1; i >= 0; i--)
        if (strcmp(c->v[i].name, name) == 0) return &c->v[i];
    return NULL;
}

static value *add_value(ctx *c, const char *name, int kind) {
    if (c->nv == c->cap_v) {
        int cap = c->cap_v ? 2 * c->cap_v : 64;
        value *nv = realloc(c->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            fail(c, FP_ERR_NOMEM, "out of memory");
            return NULL;
        }
        c->v = nv;
        c->cap_v = cap;
    }
    value *v = &c->v[c->nv++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->kind = kind;
    v->layer = -1;
    return v;
}

static const char *dtype_name(int t) {
    static const char *const N[] = {"undefined", "float32", "uint8", "int8", "uint16", "int16",
                                    "int32", "int64", "string", "bool", "float16", "float64",
                                    "uint32", "uint64", "complex64", "complex128", "bfloat16"};
    return t >= 0 && t < (int)(sizeof N / sizeof N[0]) ? N[t] : "unknown";
}

static float half_to_float(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexp(m + 1024, e - 25);
    return (float)(s ? -v : v);
}

/* The bytes of a tensor stored in an external file (relative to the model). */
static bool read_external(ctx *c, const tensor_t *t, const char *what, size_t want, uint8_t **out) {
    const char *loc = NULL;
    long long off = 0, len = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = t->external_data[i];
        if (!e->key || !e->value) continue;
        if (strcmp(e->key, "location") == 0) loc = e->value;
        else if (strcmp(e->key, "offset") == 0) off = atoll(e->value);
        else if (strcmp(e->key, "length") == 0) len = atoll(e->value);
    }
    if (!loc || !loc[0]) return BAD("%s: external data without a location", what);
    if (loc[0] == '/' || strstr(loc, ".."))
        return BAD("%s: external data location \"%s\" must be a path inside the model's folder", what,
                   loc);
    char p[4096];
    snprintf(p, sizeof p, "%s%s", c->dir, loc);
    FILE *f = fopen(p, "rb");
    if (!f) return fail(c, FP_ERR_IO, "%s: external data file \"%s\" cannot be opened", what, p);
    if (len >= 0 && (size_t)len != want) {
        fclose(f);
        return BAD("%s: external data length %lld is not the %zu bytes of its shape", what, len, want);
    }
    uint8_t *buf = malloc(want ? want : 1);
    bool ok = buf && off >= 0 && fseek(f, (long)off, SEEK_SET) == 0 && fread(buf, 1, want, f) == want;
    fclose(f);
    if (!ok) {
        free(buf);
        return BAD("%s: external data file \"%s\" has no %zu bytes at offset %lld", what, p, want, off);
    }
    *out = buf;
    return true;
}

/* Reads tensor t (float32, float16 or int64) into constant value v. */
static bool load_tensor(ctx *c, const tensor_t *t, const char *what, value *v) {
    int64_t n = 1;
    if (t->n_dims > 8) return BAD("%s: %zu dimensions", what, t->n_dims);
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (t->dims[i] > 0 && n > MAX_ELEMS / t->dims[i]))
            return BAD("%s: dimension %zu is %lld", what, i, (long long)t->dims[i]);
        n *= t->dims[i];
        v->dims[i] = t->dims[i];
    }
    v->nd = (int)t->n_dims;
    v->count = (size_t)n;
    v->dtype = t->data_type;
    int dt = t->data_type;
    size_t esz = dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ? 4
                 : dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ? 2
                 : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? 8 : 0;
    if (!esz) return BAD("%s: dtype %s is not float32, float16 or int64", what, dtype_name(dt));
    const uint8_t *raw = NULL;
    uint8_t *ext = NULL;
    size_t want = (size_t)n * esz;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (!read_external(c, t, what, want, &ext)) return false;
        raw = ext;
    } else if (t->has_raw_data) {
        if (t->raw_data.len != want)
            return BAD("%s: raw data has %zu bytes, its shape needs %zu", what, t->raw_data.len, want);
        raw = t->raw_data.data;
    } else {
        size_t have = dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ? t->n_float_data
                      : dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ? t->n_int32_data
                      : t->n_int64_data;
        if (have != (size_t)n) return BAD("%s: %zu values, its shape needs %lld", what, have, (long long)n);
    }
    if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        v->i64 = malloc((size_t)n * 8 + 8);
        if (!v->i64) {
            free(ext);
            return fail(c, FP_ERR_NOMEM, "out of memory");
        }
        if (raw) memcpy(v->i64, raw, (size_t)n * 8);
        else if (n) memcpy(v->i64, t->int64_data, (size_t)n * 8);
    } else {
        v->f = malloc((size_t)n * 4 + 4);
        if (!v->f) {
            free(ext);
            return fail(c, FP_ERR_NOMEM, "out of memory");
        }
        for (int64_t i = 0; i < n; i++) {
            if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
                if (raw) memcpy(&v->f[i], raw + 4 * i, 4);
                else v->f[i] = t->float_data[i];
            } else {
                uint16_t h;
                if (raw) memcpy(&h, raw + 2 * i, 2);
                else h = (uint16_t)t->int32_data[i];
                v->f[i] = half_to_float(h);
            }
        }
    }
    free(ext);
    return true;
}

static const Onnx__AttributeProto *attr(const node_t *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0) return n->attribute[i];
    return NULL;
}
static int64_t attr_int(const node_t *n, const char *name, int64_t dflt) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : dflt;
}
static double attr_float(const node_t *n, const char *name, double dflt) {
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? a->f : dflt;
}
/* Attributes a node may carry; anything else is refused (its meaning would be dropped). */
static bool only_attrs(ctx *c, const node_t *n, const char *const *ok) {
    for (size_t i = 0; i < n->n_attribute; i++) {
        const char *a = n->attribute[i]->name ? n->attribute[i]->name : "";
        bool found = false;
        for (int k = 0; ok[k]; k++) found |= strcmp(ok[k], a) == 0;
        if (!found) return BAD("unsupported attribute \"%s\"", a);
    }
    return true;
}

/* The i-th input of the node as an activation / constant ("" = absent). */
static value *input(ctx *c, const node_t *n, size_t i, int kind, bool required) {
    if (i >= n->n_input || !n->input[i][0]) {
        if (required) BAD("input %zu is missing", i);
        return NULL;
    }
    value *v = find(c, n->input[i]);
    if (!v) {
        BAD("input \"%s\" is not produced by any node, initializer or graph input", n->input[i]);
        return NULL;
    }
    if (kind == V_CONST && v->kind != V_CONST) {
        BAD("input \"%s\" must be a constant (an initializer), it is computed", n->input[i]);
        return NULL;
    }
    if (kind == V_ACT && v->kind != V_ACT) {
        BAD("input \"%s\" is a constant where a computed tensor is expected", n->input[i]);
        return NULL;
    }
    return v;
}
static bool is_float_const(ctx *c, const value *v, const char *role) {
    if (!v->f)
        return BAD("%s \"%s\" has dtype %s, not float32 or float16", role, v->name, dtype_name(v->dtype));
    return true;
}

static layer *new_layer(ctx *c, const char *op, value *in0, value *in1) {
    layer *nl = realloc(c->l, (size_t)(c->nl + 1) * sizeof *nl);
    if (!nl) {
        fail(c, FP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    c->l = nl;
    layer *l = &c->l[c->nl++];
    memset(l, 0, sizeof *l);
    const node_t *n = c->node;
    char nm[512];
    if (n->name && n->name[0]) snprintf(nm, sizeof nm, "%s", n->name);
    else snprintf(nm, sizeof nm, "%s_%d", n->op_type, c->nl - 1);
    l->name = strdup(nm);
    l->op = op;
    l->act = "none";
    l->groups = 1;
    l->in[0] = in0->fp_name;
    l->n_in = 1;
    if (in1) {
        l->in[1] = in1->fp_name;
        l->n_in = 2;
    }
    if (!l->name) {
        fail(c, FP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return l;
}

/* How many nodes read each value, and whether it is a graph output: a value
 * read once and not an output may be folded into its producer. */
static int readers(const ctx *c, const char *name) {
    const Onnx__GraphProto *g = c->mp->graph;
    int k = 0;
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t j = 0; j < g->node[i]->n_input; j++) k += strcmp(g->node[i]->input[j], name) == 0;
    for (size_t i = 0; i < g->n_output; i++) k += 2 * (strcmp(g->output[i]->name, name) == 0);
    return k;
}

/* The node's first output becomes an activation produced by layer li. */
static value *out_act(ctx *c, const node_t *n, int li, int ch, int h, int w, bool flat) {
    value *v = add_value(c, n->output[0], V_ACT);
    if (!v) return NULL;
    v->fp_name = c->l[li].name;
    v->layer = li;
    v->c = ch;
    v->h = h;
    v->w = w;
    v->flat = flat;
    v->sole = readers(c, n->output[0]) == 1;
    return v;
}
static value *alias(ctx *c, const node_t *n, const value *src, bool flat) {
    /* src may move when the table grows: copy it first */
    value s = *src;
    value *v = add_value(c, n->output[0], V_ACT);
    if (!v) return NULL;
    *v = s;
    v->name = n->output[0];
    v->flat = flat;
    v->sole = s.sole && readers(c, n->output[0]) == 1;
    return v;
}

/* Spatial geometry of Conv / pools: kernel, strides, pads (auto_pad resolved). */
static bool geometry(ctx *c, const node_t *n, const value *x, int kh, int kw, layer *l, int *oh,
                     int *ow) {
    const Onnx__AttributeProto *a;
    l->kh = kh;
    l->kw = kw;
    l->sh = l->sw = 1;
    if ((a = attr(n, "strides"))) {
        if (a->n_ints != 2) return BAD("strides has %zu values, expected 2 (2-D only)", a->n_ints);
        if (a->ints[0] < 1 || a->ints[0] > 4 || a->ints[1] < 1 || a->ints[1] > 4)
            return BAD("unsupported strides [%lld, %lld] (1..4)", (long long)a->ints[0],
                       (long long)a->ints[1]);
        l->sh = (int)a->ints[0];
        l->sw = (int)a->ints[1];
    }
    if ((a = attr(n, "dilations")))
        for (size_t i = 0; i < a->n_ints; i++)
            if (a->ints[i] != 1)
                return BAD("unsupported attribute dilations = %lld (only 1)", (long long)a->ints[i]);
    memset(l->pad, 0, sizeof l->pad);
    if ((a = attr(n, "pads"))) {
        if (a->n_ints != 4) return BAD("pads has %zu values, expected 4 (2-D only)", a->n_ints);
        for (int i = 0; i < 4; i++)
            if (a->ints[i] < 0 || a->ints[i] > 16)
                return BAD("unsupported pads value %lld", (long long)a->ints[i]);
        /* ONNX: [top, left, bottom, right]; fuseplan: [top, bottom, left, right] */
        l->pad[0] = (int)a->ints[0];
        l->pad[2] = (int)a->ints[1];
        l->pad[1] = (int)a->ints[2];
        l->pad[3] = (int)a->ints[3];
    }
    const Onnx__AttributeProto *ap = attr(n, "auto_pad");
    if (ap && ap->has_s && ap->s.len) {
        char s[32] = {0};
        memcpy(s, ap->s.data, ap->s.len < 31 ? ap->s.len : 31);
        if (strcmp(s, "SAME_UPPER") == 0 || strcmp(s, "SAME_LOWER") == 0) {
            int ins[2] = {x->h, x->w}, ks[2] = {kh, kw}, ss[2] = {l->sh, l->sw};
            for (int d = 0; d < 2; d++) {
                int out = (ins[d] + ss[d] - 1) / ss[d];
                int tot = (out - 1) * ss[d] + ks[d] - ins[d];
                if (tot < 0) tot = 0;
                int small = tot / 2, big = tot - small;
                bool upper = s[5] == 'U';
                l->pad[2 * d] = upper ? small : big;
                l->pad[2 * d + 1] = upper ? big : small;
            }
        } else if (strcmp(s, "VALID") == 0) {
            memset(l->pad, 0, sizeof l->pad);
        } else if (strcmp(s, "NOTSET") != 0) {
            return BAD("unsupported auto_pad \"%s\"", s);
        }
    }
    int nh = x->h + l->pad[0] + l->pad[1] - kh, nw = x->w + l->pad[2] + l->pad[3] - kw;
    if (nh < 0 || nw < 0)
        return BAD("unsupported shape: a %dx%d window does not fit the padded %dx%d input", kh, kw,
                   x->h + l->pad[0] + l->pad[1], x->w + l->pad[2] + l->pad[3]);
    *oh = nh / l->sh + 1;
    *ow = nw / l->sw + 1;
    return true;
}

static bool spatial(ctx *c, const value *x) {
    if (x->flat) return BAD("unsupported shape: input \"%s\" is 2-D, a 4-D NCHW tensor is expected", x->name);
    return true;
}

static bool op_conv(ctx *c, const node_t *n) {
    static const char *const OK[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads",
                                     "strides", NULL};
    if (!only_attrs(c, n, OK)) return false;
    value *x = input(c, n, 0, V_ACT, true), *W, *B;
    if (!x || !spatial(c, x) || !(W = input(c, n, 1, V_CONST, true))) return false;
    if (!is_float_const(c, W, "weight")) return false;
    B = input(c, n, 2, V_CONST, false);
    if (c->st != FP_OK) return false;
    if (B && !is_float_const(c, B, "bias")) return false;
    if (W->nd != 4)
        return BAD("unsupported shape: weight \"%s\" has %d dimensions (2-D conv only)", W->name,
                   W->nd);
    int64_t g = attr_int(n, "group", 1);
    int M = (int)W->dims[0], cg = (int)W->dims[1], kh = (int)W->dims[2], kw = (int)W->dims[3];
    const Onnx__AttributeProto *ks = attr(n, "kernel_shape");
    if (ks && (ks->n_ints != 2 || ks->ints[0] != kh || ks->ints[1] != kw))
        return BAD("kernel_shape does not match weight \"%s\"", W->name);
    if (g != 1 && !(g == x->c && M == x->c))
        return BAD("unsupported attribute group = %lld: only 1 (conv) or the %d channels with as many "
                   "filters (depthwise)", (long long)g, x->c);
    if ((int64_t)cg * g != x->c)
        return BAD("unsupported shape: weight \"%s\" has %d input channels per group, the input %d "
                   "with group %lld", W->name, cg, x->c, (long long)g);
    if (B && (int)B->count != M) return BAD("bias \"%s\" has %zu values, expected %d", B->name, B->count, M);
    layer tmp;
    int oh, ow;
    if (!geometry(c, n, x, kh, kw, &tmp, &oh, &ow)) return false;
    int xi = (int)(x - c->v);
    layer *l = new_layer(c, "conv2d", x, NULL);
    if (!l) return false;
    x = &c->v[xi];
    memcpy(l->pad, tmp.pad, sizeof l->pad);
    l->kh = kh;
    l->kw = kw;
    l->sh = tmp.sh;
    l->sw = tmp.sw;
    l->filters = M;
    l->groups = (int)g;
    l->nw = (size_t)M * kh * kw * cg;
    l->nb = M;
    l->w = malloc(l->nw * sizeof(float));
    l->b = calloc((size_t)M, sizeof(float));
    if (!l->w || !l->b) return fail(c, FP_ERR_NOMEM, "out of memory");
    /* ONNX OIHW -> KRSC [M][kh][kw][C/g] */
    for (int m = 0; m < M; m++)
        for (int ci = 0; ci < cg; ci++)
            for (int r = 0; r < kh; r++)
                for (int s = 0; s < kw; s++)
                    l->w[(((size_t)m * kh + r) * kw + s) * cg + ci] =
                        W->f[(((size_t)m * cg + ci) * kh + r) * kw + s];
    if (B) memcpy(l->b, B->f, (size_t)M * sizeof(float));
    return out_act(c, n, c->nl - 1, M, oh, ow, false) != NULL;
}

/* The layer that produced x, when x may be folded into it (read only here). */
static layer *foldable(ctx *c, const value *x) {
    if (x->layer < 0 || !x->sole) return NULL;
    return &c->l[x->layer];
}

static bool op_batchnorm(ctx *c, const node_t *n) {
    static const char *const OK[] = {"epsilon", "momentum", "training_mode", "spatial", NULL};
    if (!only_attrs(c, n, OK)) return false;
    if (attr_int(n, "training_mode", 0) != 0) return BAD("unsupported attribute training_mode = 1");
    if (n->n_output > 1) return BAD("unsupported: %zu outputs (training statistics)", n->n_output);
    value *x = input(c, n, 0, V_ACT, true), *p[4];
    if (!x) return false;
    for (int i = 0; i < 4; i++)
        if (!(p[i] = input(c, n, (size_t)i + 1, V_CONST, true)) || !is_float_const(c, p[i], "parameter"))
            return false;
    layer *l = foldable(c, x);
    if (!l || strcmp(l->op, "conv2d") != 0 || strcmp(l->act, "none") != 0)
        return BAD("unsupported: BatchNormalization must follow a Conv whose output nothing else reads");
    for (int i = 0; i < 4; i++)
        if ((int)p[i]->count != l->filters)
            return BAD("parameter \"%s\" has %zu values, expected %d", p[i]->name, p[i]->count, l->filters);
    double eps = attr_float(n, "epsilon", 1e-5);
    size_t per = l->nw / (size_t)l->filters;
    for (int m = 0; m < l->filters; m++) {
        double s = p[0]->f[m] / sqrt((double)p[3]->f[m] + eps);
        for (size_t k = 0; k < per; k++) l->w[m * per + k] = (float)(l->w[m * per + k] * s);
        l->b[m] = (float)(((double)l->b[m] - p[2]->f[m]) * s + p[1]->f[m]);
    }
    return alias(c, n, x, false) != NULL;
}

/* Relu (hi < 0) or Clip(0, hi): into the producer when possible, else a layer. */
static bool activation(ctx *c, const node_t *n, value *x, const char *act) {
    layer *l = foldable(c, x);
    if (l && strcmp(l->act, "none") == 0 &&
        (strcmp(l->op, "conv2d") == 0 || strcmp(l->op, "add") == 0 || strcmp(l->op, "dense") == 0)) {
        l->act = act;
        return alias(c, n, x, x->flat) != NULL;
    }
    int xi = (int)(x - c->v);
    layer *nl = new_layer(c, "activation", x, NULL);
    if (!nl) return false;
    x = &c->v[xi];
    nl->act = act;
    return out_act(c, n, c->nl - 1, x->c, x->h, x->w, x->flat) != NULL;
}

static bool op_relu(ctx *c, const node_t *n) {
    static const char *const OK[] = {NULL};
    if (!only_attrs(c, n, OK)) return false;
    value *x = input(c, n, 0, V_ACT, true);
    return x && activation(c, n, x, "relu");
}

static bool clip_bound(ctx *c, const node_t *n, size_t i, const char *aname, double *out) {
    const Onnx__AttributeProto *a = attr(n, aname);
    if (a && a->has_f) *out = a->f;
    value *v = input(c, n, i, V_CONST, false);
    if (c->st != FP_OK) return false;
    if (v) {
        if (!is_float_const(c, v, "bound") ) return false;
        if (v->count != 1) return BAD("bound \"%s\" has %zu values, expected 1", v->name, v->count);
        *out = v->f[0];
    }
    return true;
}

static bool op_clip(ctx *c, const node_t *n) {
    static const char *const OK[] = {"min", "max", NULL};
    if (!only_attrs(c, n, OK)) return false;
    value *x = input(c, n, 0, V_ACT, true);
    double lo = -INFINITY, hi = INFINITY;
    if (!x || !clip_bound(c, n, 1, "min", &lo) || !clip_bound(c, n, 2, "max", &hi)) return false;
    x = input(c, n, 0, V_ACT, true);
    if (lo == 0 && hi == 6) return activation(c, n, x, "relu6");
    if (lo == 0 && isinf(hi)) return activation(c, n, x, "relu");
    return BAD("unsupported attribute: Clip(%g, %g) (only Clip(0, 6) as ReLU6 and Clip(0) as ReLU)", lo, hi);
}

static bool op_add(ctx *c, const node_t *n) {
    static const char *const OK[] = {NULL};
    if (!only_attrs(c, n, OK)) return false;
    value *a = input(c, n, 0, 0, true), *b = input(c, n, 1, 0, true);
    if (!a || !b) return false;
    if (a->kind == V_CONST && b->kind == V_ACT) {
        value *t = a;
        a = b;
        b = t;
    }
    if (a->kind == V_CONST) return BAD("unsupported: both inputs are constants");
    if (b->kind == V_CONST) {
        /* MatMul + Add: the dense layer's bias */
        layer *l = foldable(c, a);
        if (!l || strcmp(l->op, "dense") != 0 || strcmp(l->act, "none") != 0)
            return BAD("unsupported: adding a constant is supported only as the bias of a MatMul");
        if (!is_float_const(c, b, "bias")) return false;
        if ((int)b->count != l->units && b->count != 1)
            return BAD("unsupported shape: bias \"%s\" has %zu values, expected %d", b->name, b->count,
                       l->units);
        for (int u = 0; u < l->units; u++) l->b[u] += b->f[b->count == 1 ? 0 : u];
        return alias(c, n, a, a->flat) != NULL;
    }
    if (a->c != b->c || a->h != b->h || a->w != b->w)
        return BAD("unsupported shape: adding %dx%dx%d and %dx%dx%d (broadcasting)", a->c, a->h, a->w,
                   b->c, b->h, b->w);
    int ai = (int)(a - c->v), bi = (int)(b - c->v);
    if (!new_layer(c, "add", a, b)) return false;
    a = &c->v[ai];
    b = &c->v[bi];
    return out_act(c, n, c->nl - 1, a->c, a->h, a->w, a->flat && b->flat) != NULL;
}

static bool op_pool(ctx *c, const node_t *n, bool max) {
    static const char *const OKM[] = {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                                      "storage_order", "strides", NULL};
    static const char *const OKA[] = {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                                      "pads", "strides", NULL};
    if (!only_attrs(c, n, max ? OKM : OKA)) return false;
    if (n->n_output > 1 && n->output[1][0]) return BAD("unsupported: the Indices output");
    if (attr_int(n, "ceil_mode", 0)) return BAD("unsupported attribute ceil_mode = 1");
    if (attr_int(n, "storage_order", 0)) return BAD("unsupported attribute storage_order = 1");
    value *x = input(c, n, 0, V_ACT, true);
    if (!x || !spatial(c, x)) return false;
    const Onnx__AttributeProto *ks = attr(n, "kernel_shape");
    if (!ks || ks->n_ints != 2) return BAD("kernel_shape must have 2 values (2-D pooling only)");
    if (ks->ints[0] < 1 || ks->ints[0] > 11 || ks->ints[1] < 1 || ks->ints[1] > 11)
        return BAD("unsupported kernel_shape [%lld, %lld] (1..11)", (long long)ks->ints[0],
                   (long long)ks->ints[1]);
    layer tmp;
    int oh, ow;
    if (!geometry(c, n, x, (int)ks->ints[0], (int)ks->ints[1], &tmp, &oh, &ow)) return false;
    bool padded = tmp.pad[0] || tmp.pad[1] || tmp.pad[2] || tmp.pad[3];
    if (!max && padded && attr_int(n, "count_include_pad", 0))
        return BAD("unsupported attribute count_include_pad = 1 with padding (fuseplan's average "
                   "excludes padding)");
    int xi = (int)(x - c->v);
    layer *l = new_layer(c, max ? "max_pool" : "avg_pool", x, NULL);
    if (!l) return false;
    x = &c->v[xi];
    memcpy(l->pad, tmp.pad, sizeof l->pad);
    l->kh = tmp.kh;
    l->kw = tmp.kw;
    l->sh = tmp.sh;
    l->sw = tmp.sw;
    return out_act(c, n, c->nl - 1, x->c, oh, ow, false) != NULL;
}

static bool global_pool(ctx *c, const node_t *n, value *x, bool flat) {
    int xi = (int)(x - c->v);
    if (!new_layer(c, "global_avg_pool", x, NULL)) return false;
    x = &c->v[xi];
    return out_act(c, n, c->nl - 1, x->c, 1, 1, flat) != NULL;
}

static bool op_gap(ctx *c, const node_t *n) {
    static const char *const OK[] = {NULL};
    if (!only_attrs(c, n, OK)) return false;
    value *x = input(c, n, 0, V_ACT, true);
    return x && spatial(c, x) && global_pool(c, n, x, false);
}

/* ReduceMean over H and W (MnasNet's x.mean([2, 3])) is a global average pool. */
static bool op_reducemean(ctx *c, const node_t *n) {
    static const char *const OK[] = {"axes", "keepdims", "noop_with_empty_axes", NULL};
    if (!only_attrs(c, n, OK)) return false;
    value *x = input(c, n, 0, V_ACT, true);
    if (!x || !spatial(c, x)) return false;
    const int64_t *ax = NULL;
    size_t nax = 0;
    const Onnx__AttributeProto *a = attr(n, "axes");
    if (a) {
        ax = a->ints;
        nax = a->n_ints;
    }
    value *av = input(c, n, 1, V_CONST, false);
    if (c->st != FP_OK) return false;
    if (av) {
        if (!av->i64) return BAD("axes \"%s\" is not int64", av->name);
        ax = av->i64;
        nax = av->count;
    }
    bool hw = nax == 2 && ((ax[0] == 2 || ax[0] == -2) && (ax[1] == 3 || ax[1] == -1));
    if (!hw) return BAD("unsupported attribute axes: only the mean over H and W ([2, 3])");
    return global_pool(c, n, x, attr_int(n, "keepdims", 1) == 0);
}

static bool op_flatten(ctx *c, const node_t *n, bool reshape) {
    static const char *const OKF[] = {"axis", NULL};
    static const char *const OKR[] = {"allowzero", NULL};
    if (!only_attrs(c, n, reshape ? OKR : OKF)) return false;
    value *x = input(c, n, 0, V_ACT, true);
    if (!x) return false;
    if (reshape) {
        value *s = input(c, n, 1, V_CONST, true);
        if (!s) return false;
        if (!s->i64 || s->count != 2)
            return BAD("unsupported shape: only a reshape to [N, C] (2 int64 values)");
        int64_t d1 = s->i64[1];
        if (!(d1 == -1 || d1 == x->c) || !(s->i64[0] == -1 || s->i64[0] == 0 || d1 == x->c))
            return BAD("unsupported shape: reshape to [%lld, %lld], only [N, C]", (long long)s->i64[0],
                       (long long)d1);
        x = input(c, n, 0, V_ACT, true);
    } else if (attr_int(n, "axis", 1) != 1) {
        return BAD("unsupported attribute axis = %lld (only 1)", (long long)attr_int(n, "axis", 1));
    }
    if (x->h != 1 || x->w != 1)
        return BAD("unsupported shape: flattening a %dx%dx%d tensor; only [N, C, 1, 1] (after a global "
                   "pool) before Gemm", x->c, x->h, x->w);
    return alias(c, n, x, true) != NULL;
}

/* Gemm (transB 0 or 1, alpha, beta) and MatMul as dense layers. */
static bool op_dense(ctx *c, const node_t *n, bool gemm) {
    static const char *const OKG[] = {"alpha", "beta", "transA", "transB", NULL};
    static const char *const OKM[] = {NULL};
    if (!only_attrs(c, n, gemm ? OKG : OKM)) return false;
    if (gemm && attr_int(n, "transA", 0)) return BAD("unsupported attribute transA = 1");
    value *x = input(c, n, 0, V_ACT, true), *B, *C = NULL;
    if (!x || !(B = input(c, n, 1, V_CONST, true)) || !is_float_const(c, B, "weight")) return false;
    if (gemm) {
        C = input(c, n, 2, V_CONST, false);
        if (c->st != FP_OK || (C && !is_float_const(c, C, "bias"))) return false;
    }
    if (x->h != 1 || x->w != 1 || (!x->flat && gemm))
        return BAD("unsupported shape: input \"%s\" is %dx%dx%d%s; a [N, C] tensor is expected", x->name,
                   x->c, x->h, x->w, x->flat ? "" : " (4-D)");
    if (!x->flat) return BAD("unsupported shape: input \"%s\" is 4-D; a [N, C] tensor is expected", x->name);
    bool tb = gemm && attr_int(n, "transB", 0);
    if (B->nd != 2)
        return BAD("unsupported shape: weight \"%s\" has %d dimensions, expected 2", B->name, B->nd);
    int K = (int)(tb ? B->dims[1] : B->dims[0]), U = (int)(tb ? B->dims[0] : B->dims[1]);
    if (K != x->c)
        return BAD("unsupported shape: weight \"%s\" takes %d inputs, the tensor has %d", B->name, K,
                   x->c);
    if (C && !(C->count == 1 || ((int)C->count == U && (C->nd <= 1 || C->dims[0] == 1))))
        return BAD("unsupported shape: bias \"%s\" has %zu values; one per output (%d) or one", C->name,
                   C->count, U);
    double alpha = gemm ? attr_float(n, "alpha", 1) : 1, beta = gemm ? attr_float(n, "beta", 1) : 1;
    layer *l = new_layer(c, "dense", x, NULL);
    if (!l) return false;
    l->units = U;
    l->nw = (size_t)U * K;
    l->nb = U;
    l->w = malloc(l->nw * sizeof(float));
    l->b = calloc((size_t)U, sizeof(float));
    if (!l->w || !l->b) return fail(c, FP_ERR_NOMEM, "out of memory");
    for (int u = 0; u < U; u++)
        for (int k = 0; k < K; k++)
            l->w[(size_t)u * K + k] =
                (float)(alpha * (tb ? B->f[(size_t)u * K + k] : B->f[(size_t)k * U + u]));
    if (C)
        for (int u = 0; u < U; u++) l->b[u] = (float)(beta * C->f[C->count == 1 ? 0 : u]);
    return out_act(c, n, c->nl - 1, U, 1, 1, true) != NULL;
}

static bool op_passthrough(ctx *c, const node_t *n) {
    value *x = input(c, n, 0, V_ACT, true);
    if (!x) return false;
    if (!strcmp(n->op_type, "Dropout")) {
        static const char *const OK[] = {"ratio", "seed", NULL};
        if (!only_attrs(c, n, OK)) return false;
        if (n->n_input > 2 && n->input[2][0]) {
            value *t = input(c, n, 2, V_CONST, true);
            if (!t) return false;
            if (t->count == 1 && ((t->i64 && t->i64[0]) || (t->f && t->f[0])))
                return BAD("unsupported attribute: training_mode is true");
        }
        x = input(c, n, 0, V_ACT, true);
    }
    return alias(c, n, x, x->flat) != NULL;
}

static bool op_constant(ctx *c, const node_t *n) {
    const Onnx__AttributeProto *a = attr(n, "value");
    if (!a || !a->t || n->n_attribute != 1) return BAD("unsupported: only a Constant with a tensor value");
    value *v = add_value(c, n->output[0], V_CONST);
    char what[600];
    snprintf(what, sizeof what, "node \"%s\" (Constant) value", n->name ? n->name : "");
    const node_t *keep = c->node;
    c->node = NULL;
    bool ok = v && load_tensor(c, a->t, what, v);
    c->node = keep;
    return ok;
}

static bool translate(ctx *c, const node_t *n) {
    c->node = n;
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
        return BAD("unsupported op (domain \"%s\")", n->domain);
    if (n->n_output < 1 || !n->output[0][0]) return BAD("no output");
    const char *op = n->op_type ? n->op_type : "";
    bool ok;
    if (!strcmp(op, "Conv")) ok = op_conv(c, n);
    else if (!strcmp(op, "BatchNormalization")) ok = op_batchnorm(c, n);
    else if (!strcmp(op, "Relu")) ok = op_relu(c, n);
    else if (!strcmp(op, "Clip")) ok = op_clip(c, n);
    else if (!strcmp(op, "Add")) ok = op_add(c, n);
    else if (!strcmp(op, "MaxPool")) ok = op_pool(c, n, true);
    else if (!strcmp(op, "AveragePool")) ok = op_pool(c, n, false);
    else if (!strcmp(op, "GlobalAveragePool")) ok = op_gap(c, n);
    else if (!strcmp(op, "ReduceMean")) ok = op_reducemean(c, n);
    else if (!strcmp(op, "Flatten")) ok = op_flatten(c, n, false);
    else if (!strcmp(op, "Reshape")) ok = op_flatten(c, n, true);
    else if (!strcmp(op, "Gemm")) ok = op_dense(c, n, true);
    else if (!strcmp(op, "MatMul")) ok = op_dense(c, n, false);
    else if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) ok = op_passthrough(c, n);
    else if (!strcmp(op, "Constant")) ok = op_constant(c, n);
    else return BAD("unsupported op");
    c->node = NULL;
    return ok;
}

/* Kahn's algorithm, lowest index first: order[] of node indices. Refuses
 * dangling inputs (no producer, initializer or graph input) and cycles. */
static bool topo_order(ctx *c, int *order) {
    const Onnx__GraphProto *g = c->mp->graph;
    int nn = (int)g->n_node;
    int *prod_of_input = NULL;
    size_t total = 0;
    for (int i = 0; i < nn; i++) total += g->node[i]->n_input;
    prod_of_input = malloc((total + 1) * sizeof *prod_of_input);
    int *pending = calloc((size_t)nn + 1, sizeof *pending);
    bool *done = calloc((size_t)nn + 1, sizeof *done);
    if (!prod_of_input || !pending || !done) {
        free(prod_of_input);
        free(pending);
        free(done);
        return fail(c, FP_ERR_NOMEM, "out of memory");
    }
    bool ok = true;
    size_t k = 0;
    for (int i = 0; i < nn && ok; i++) {
        const node_t *n = g->node[i];
        for (size_t j = 0; j < n->n_input; j++, k++) {
            prod_of_input[k] = -1;
            if (!n->input[j][0]) continue;
            for (int p = 0; p < nn && prod_of_input[k] < 0; p++)
                for (size_t o = 0; o < g->node[p]->n_output; o++)
                    if (strcmp(g->node[p]->output[o], n->input[j]) == 0) prod_of_input[k] = p;
            if (prod_of_input[k] >= 0) {
                pending[i]++;
                continue;
            }
            if (!find(c, n->input[j])) {
                c->node = n;
                ok = BAD("dangling input \"%s\": not produced by any node, initializer or graph input",
                         n->input[j]);
                c->node = NULL;
                break;
            }
        }
    }
    for (int placed = 0; ok && placed < nn; placed++) {
        int pick = -1;
        for (int i = 0; i < nn && pick < 0; i++)
            if (!done[i] && pending[i] == 0) pick = i;
        if (pick < 0) {
            for (int i = 0; i < nn; i++)
                if (!done[i]) {
                    c->node = g->node[i];
                    break;
                }
            ok = BAD("the graph has a cycle through this node");
            c->node = NULL;
            break;
        }
        done[pick] = true;
        order[placed] = pick;
        size_t kk = 0;
        for (int i = 0; i < nn; i++)
            for (size_t j = 0; j < g->node[i]->n_input; j++, kk++)
                if (prod_of_input[kk] == pick) pending[i]--;
    }
    free(prod_of_input);
    free(pending);
    free(done);
    return ok;
}

static bool graph_input(ctx *c, const Onnx__ValueInfoProto *in) {
    const char *nm = in->name;
    if (!in->type || in->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !in->type->tensor_type ||
        !in->type->tensor_type->shape)
        return BAD("graph input \"%s\": not a tensor with a shape", nm);
    const Onnx__TypeProto__Tensor *t = in->type->tensor_type;
    if (t->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return BAD("graph input \"%s\": unsupported dtype %s (float32 only)", nm, dtype_name(t->elem_type));
    const Onnx__TensorShapeProto *s = t->shape;
    if (s->n_dim != 4 && s->n_dim != 2)
        return BAD("graph input \"%s\": unsupported shape with %zu dimensions ([N, C, H, W] or [N, C])", nm,
                   s->n_dim);
    int d[4] = {1, 1, 1, 1};
    for (size_t i = 1; i < s->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = s->dim[i];
        if (dm->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            return BAD("graph input \"%s\": dimension %zu is dynamic (\"%s\"): only the batch dimension "
                       "(0) may be; export with a fixed %s", nm, i,
                       dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && dm->dim_param
                           ? dm->dim_param : "?", i == 1 ? "channel count" : "image size");
        if (dm->dim_value < 1 || dm->dim_value > 65536)
            return BAD("graph input \"%s\": dimension %zu is %lld", nm, i, (long long)dm->dim_value);
        d[i] = (int)dm->dim_value;
    }
    value *v = add_value(c, nm, V_ACT);
    if (!v) return false;
    v->fp_name = nm;
    v->c = d[1];
    v->h = s->n_dim == 4 ? d[2] : 1;
    v->w = s->n_dim == 4 ? d[3] : 1;
    v->flat = s->n_dim == 2;
    v->sole = readers(c, nm) == 1;
    return true;
}

static cJSON *int_pair(int a, int b) {
    if (a == b) return cJSON_CreateNumber(a);
    int v[2] = {a, b};
    return cJSON_CreateIntArray(v, 2);
}

static char *sanitize_name(const char *s) {
    char *r = strdup(s && s[0] ? s : "onnx_model");
    if (!r) return NULL;
    for (char *p = r; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '.' || *p == '-'))
            *p = '_';
    return r;
}

static bool emit(ctx *c, const value *in, const char *weights_name, fp_onnx_result *r) {
    const Onnx__GraphProto *g = c->mp->graph;
    cJSON *root = cJSON_CreateObject();
    if (!root) return fail(c, FP_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(root, "format", "fuseplan-model");
    cJSON_AddNumberToObject(root, "version", 1);
    const char *base = strrchr(c->path, '/');
    base = base ? base + 1 : c->path;
    char stem[256];
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = 0;
    char *name = sanitize_name(stem);
    cJSON_AddStringToObject(root, "name", name ? name : "onnx_model");
    free(name);
    char desc[512];
    snprintf(desc, sizeof desc, "imported from %s (%s %s, graph \"%s\")", base,
             c->mp->producer_name ? c->mp->producer_name : "?",
             c->mp->producer_version ? c->mp->producer_version : "",
             g->name ? g->name : "");
    cJSON_AddStringToObject(root, "description", desc);
    cJSON_AddStringToObject(root, "source",
                            "fuseplan import (docs/onnx.md): BatchNormalization folded into conv biases");
    cJSON *inp = cJSON_AddObjectToObject(root, "input");
    cJSON_AddStringToObject(inp, "name", in->fp_name);
    int shp[3] = {in->h, in->w, in->c};
    cJSON_AddItemToObject(inp, "shape", cJSON_CreateIntArray(shp, 3));
    cJSON *outs = cJSON_AddArrayToObject(root, "outputs");
    for (size_t i = 0; i < g->n_output; i++) {
        value *v = find(c, g->output[i]->name);
        if (!v || v->kind != V_ACT) {
            cJSON_Delete(root);
            return BAD("graph output \"%s\" is not computed by the graph", g->output[i]->name);
        }
        cJSON_AddItemToArray(outs, cJSON_CreateString(v->fp_name));
    }
    if (weights_name) cJSON_AddStringToObject(root, "weights", weights_name);
    else cJSON_AddNullToObject(root, "weights");
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    size_t nw = 0;
    for (int i = 0; i < c->nl; i++) nw += c->l[i].nw + (size_t)c->l[i].nb;
    r->weights = malloc((nw + 1) * sizeof(float));
    if (!r->weights || !layers) {
        cJSON_Delete(root);
        return fail(c, FP_ERR_NOMEM, "out of memory");
    }
    r->n_weights = nw;
    size_t at = 0;
    for (int i = 0; i < c->nl; i++) {
        const layer *l = &c->l[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(layers, o);
        cJSON_AddStringToObject(o, "name", l->name);
        cJSON_AddStringToObject(o, "op", l->op);
        cJSON *ins = cJSON_AddArrayToObject(o, "inputs");
        for (int k = 0; k < l->n_in; k++) cJSON_AddItemToArray(ins, cJSON_CreateString(l->in[k]));
        cJSON_AddStringToObject(o, "output", l->name);
        bool conv = !strcmp(l->op, "conv2d"), pool = !strcmp(l->op, "max_pool") || !strcmp(l->op, "avg_pool");
        if (conv) cJSON_AddNumberToObject(o, "filters", l->filters);
        if (conv || pool) {
            cJSON_AddItemToObject(o, "kernel", int_pair(l->kh, l->kw));
            cJSON_AddItemToObject(o, "stride", int_pair(l->sh, l->sw));
            cJSON_AddItemToObject(o, "padding", cJSON_CreateIntArray(l->pad, 4));
        }
        if (conv) cJSON_AddNumberToObject(o, "groups", l->groups);
        if (!strcmp(l->op, "dense")) cJSON_AddNumberToObject(o, "units", l->units);
        if (conv || !strcmp(l->op, "add") || !strcmp(l->op, "dense") || !strcmp(l->op, "activation"))
            cJSON_AddStringToObject(o, "activation", l->act);
        if (l->nw) {
            memcpy(r->weights + at, l->w, l->nw * sizeof(float));
            at += l->nw;
            memcpy(r->weights + at, l->b, (size_t)l->nb * sizeof(float));
            at += (size_t)l->nb;
        }
    }
    r->json = cJSON_Print(root);
    cJSON_Delete(root);
    if (!r->json) return fail(c, FP_ERR_NOMEM, "out of memory");
    return true;
}

static void ctx_free(ctx *c) {
    for (int i = 0; i < c->nv; i++) {
        free(c->v[i].f);
        free(c->v[i].i64);
    }
    free(c->v);
    for (int i = 0; i < c->nl; i++) {
        free(c->l[i].name);
        free(c->l[i].w);
        free(c->l[i].b);
    }
    free(c->l);
    free(c->dir);
    if (c->mp) onnx__model_proto__free_unpacked(c->mp, NULL);
}

/* The whole file at path (binary; fpj_read_file is for text). */
static fp_status read_binary(const char *path, char **out, size_t *len, char *err, size_t err_len) {
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return fp_fail(err, err_len, FP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        if (cap >= MAX_ONNX_BYTES) {
            fclose(f);
            free(buf);
            return fp_fail(err, err_len, FP_ERR_INVALID, "%s: larger than %u bytes", path, MAX_ONNX_BYTES);
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf) return fp_fail(err, err_len, FP_ERR_NOMEM, "%s: out of memory", path);
    if (bad) {
        free(buf);
        return fp_fail(err, err_len, FP_ERR_IO, "%s: read error", path);
    }
    *out = buf;
    *len = n;
    return FP_OK;
}

fp_status fp_onnx_import(const char *path, const char *weights_name, fp_onnx_result *r, char *err,
                         size_t err_len) {
    memset(r, 0, sizeof *r);
    char *bytes = NULL;
    size_t len = 0;
    fp_status st = read_binary(path, &bytes, &len, err, err_len);
    if (st != FP_OK) return st;
    ctx cc = {.path = path, .err = err, .err_len = err_len, .st = FP_OK}, *c = &cc;
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path + 1) : 0;
    c->dir = malloc(dl + 1);
    if (c->dir) {
        memcpy(c->dir, path, dl);
        c->dir[dl] = 0;
    }
    r->hash = fp_hash_bytes(bytes, len);
    c->mp = onnx__model_proto__unpack(NULL, len, (const uint8_t *)bytes);
    free(bytes);
    bool ok = c->dir != NULL;
    if (!ok) fail(c, FP_ERR_NOMEM, "out of memory");
    else if (!c->mp) ok = fail(c, FP_ERR_PARSE, "not an ONNX model (the protobuf ModelProto does not parse: "
                                                "truncated or another format)");
    else if (!c->mp->has_ir_version || !c->mp->graph || c->mp->graph->n_node == 0)
        ok = fail(c, FP_ERR_PARSE, "not an ONNX model (no ir_version or no graph with nodes)");
    const Onnx__GraphProto *g = ok ? c->mp->graph : NULL;
    /* initializers, then the one real graph input */
    for (size_t i = 0; ok && i < g->n_initializer; i++) {
        const tensor_t *t = g->initializer[i];
        char what[600];
        snprintf(what, sizeof what, "initializer \"%s\"", t->name ? t->name : "");
        value *v = add_value(c, t->name ? t->name : "", V_CONST);
        ok = v && load_tensor(c, t, what, v);
    }
    const Onnx__ValueInfoProto *real = NULL;
    for (size_t i = 0; ok && i < g->n_input; i++) {
        if (find(c, g->input[i]->name)) continue; /* an initializer listed as input (IR < 4) */
        if (real) ok = BAD("graph inputs \"%s\" and \"%s\": fuseplan models have one input", real->name,
                           g->input[i]->name);
        real = g->input[i];
    }
    if (ok && !real) ok = BAD("no graph input that is not an initializer");
    if (ok) ok = graph_input(c, real);
    if (ok && g->n_output == 0) ok = BAD("the graph has no output");
    int *order = ok ? malloc((g->n_node + 1) * sizeof *order) : NULL;
    if (ok && !order) ok = fail(c, FP_ERR_NOMEM, "out of memory");
    if (ok) ok = topo_order(c, order);
    for (size_t i = 0; ok && i < g->n_node; i++) ok = translate(c, g->node[order[i]]);
    free(order);
    if (ok && c->nl == 0) ok = BAD("the graph has no layer fuseplan runs (only pass-through nodes)");
    if (ok) ok = emit(c, find(c, real->name), weights_name, r);
    if (!ok) {
        if (c->st == FP_OK) c->st = FP_ERR_INVALID;
        fp_onnx_result_free(r);
    }
    ctx_free(c);
    return ok ? FP_OK : c->st;
}

fp_status fp_onnx_read_tensor(const char *path, float **data, size_t *count, int64_t dims[8],
                              int *n_dims, char *err, size_t err_len) {
    *data = NULL;
    *count = 0;
    *n_dims = 0;
    char *bytes = NULL;
    size_t len = 0;
    fp_status st = read_binary(path, &bytes, &len, err, err_len);
    if (st != FP_OK) return st;
    tensor_t *t = onnx__tensor_proto__unpack(NULL, len, (const uint8_t *)bytes);
    free(bytes);
    if (!t) return fp_fail(err, err_len, FP_ERR_PARSE, "%s: not a serialized ONNX TensorProto", path);
    ctx cc = {.path = path, .err = err, .err_len = err_len, .st = FP_OK, .dir = NULL};
    value v;
    memset(&v, 0, sizeof v);
    char *dir = strdup("");
    cc.dir = dir;
    bool ok = dir && load_tensor(&cc, t, "tensor", &v);
    if (ok && !v.f) ok = fail(&cc, FP_ERR_INVALID, "tensor: dtype %s, not float", dtype_name(v.dtype));
    onnx__tensor_proto__free_unpacked(t, NULL);
    free(dir);
    free(v.i64);
    if (!ok) {
        free(v.f);
        return cc.st == FP_OK ? FP_ERR_INVALID : cc.st;
    }
    *data = v.f;
    *count = v.count;
    *n_dims = v.nd;
    memcpy(dims, v.dims, sizeof v.dims);
    return FP_OK;
}

#endif
