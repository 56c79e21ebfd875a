/* test_loaders.c - model and GPU-spec loaders: the zoo's parameter and MAC
 * counts against published figures, a round trip of every shipped GPU spec,
 * calibration efficiencies per (kind, math) in both spec forms, the bad-input
 * corpus in-process (so the sanitizer build covers the loaders), and shape
 * inference details. usage: test_loaders SRCDIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fp_data.h"
#include "fp_json.h"
#include "fp_plan.h"

/* Published figures, within 1% (BN folded into conv bias: a folded model has
 * one bias per channel where a framework counts BN's scale and shift too). */
static const struct {
    const char *model;
    double params, macs;
    const char *source;
} PUBLISHED[] = {
    {"mobilenet_v1", 4.2e6, 569e6,
     "Howard et al. 2017, MobileNets, arXiv:1704.04861, Table 8 (1.0 MobileNet-224: 569 M "
     "mult-adds, 4.2 M parameters)"},
    {"mobilenet_v2", 3504872, 300e6,
     "params: torchvision mobilenet_v2 IMAGENET1K_V1 model card (3,504,872, BN counted with 2 per "
     "channel; ours folds BN into 1 bias per channel: 17,056 fewer); MACs: Sandler et al. 2018, "
     "arXiv:1801.04381, Table 4 (300 M)"},
    {"xception", 22910480, 8.4e9,
     "params: Keras applications table (22,910,480); MACs: Tan & Le, EfficientNet, "
     "arXiv:1905.11946, Table 2 (Xception 8.4B FLOPS, counted as mult-adds)"},
    {"mnasnet_b1", 4383312, 317e6,
     "params: torchvision mnasnet1_0 model card (4,383,312); MACs: Cai et al., Once-for-All, "
     "arXiv:1908.09791, Table 1 (MnasNet, 317 M)"},
    {"proxylessnas_gpu", 7.12e6, 465.3e6,
     "github.com/mit-han-lab/proxylessnas logs/imagenet_gpu_log.txt (7.12 M params, 465.3 M "
     "FLOPs counted as mult-adds); Cai et al. 2019, arXiv:1812.00332"},
};

static void test_zoo(void) {
    for (size_t i = 0; i < sizeof PUBLISHED / sizeof PUBLISHED[0]; i++) {
        fp_model m;
        char err[1024];
        fp_status st = fp_open_model(PUBLISHED[i].model, &m, err, sizeof err);
        CHECK(st == FP_OK, "%s: %s", PUBLISHED[i].model, err);
        if (st != FP_OK) continue;
        double p = (double)fp_model_params(&m), mac = (double)fp_model_macs(&m);
        double ep = fabs(p / PUBLISHED[i].params - 1), em = fabs(mac / PUBLISHED[i].macs - 1);
        CHECK(ep <= 0.01, "%s: %.0f params vs published %.0f (%.2f%%; %s)", PUBLISHED[i].model, p,
              PUBLISHED[i].params, 100 * ep, PUBLISHED[i].source);
        CHECK(em <= 0.01, "%s: %.0f MACs vs published %.0f (%.2f%%; %s)", PUBLISHED[i].model, mac,
              PUBLISHED[i].macs, 100 * em, PUBLISHED[i].source);
        CHECK(strcmp(m.name, PUBLISHED[i].model) == 0, "name %s", m.name);
        int dw = 0, pw = 0;
        for (int l = 0; l < m.n_layers; l++) {
            dw += m.layers[l].cls == FP_CLASS_DW;
            pw += m.layers[l].cls == FP_CLASS_PW;
        }
        CHECK(dw > 0 && pw > 0, "%s has DW and PW layers (%d, %d)", PUBLISHED[i].model, dw, pw);
        printf("%-18s %10.0f params (%+.2f%%) %12.0f MACs (%+.2f%%) %3d DW %3d PW\n",
               PUBLISHED[i].model, p, 100 * (p / PUBLISHED[i].params - 1), mac,
               100 * (mac / PUBLISHED[i].macs - 1), dw, pw);
        fp_model_free(&m);
    }
}

static void test_gpu_round_trip(void) {
    const char *path, *text;
    size_t len;
    int n = 0;
    for (int i = 0; (path = fp_shipped("gpu_specs", i, &text, &len)); i++, n++) {
        fp_gpu_spec a, b;
        char err[1024];
        fp_status st = fp_gpu_parse(path, text, len, &a, err, sizeof err);
        CHECK(st == FP_OK, "%s", err);
        if (st != FP_OK) continue;
        char *json = fp_gpu_to_json(&a);
        CHECK(json != NULL, "%s: render", path);
        if (!json) continue;
        st = fp_gpu_parse("round-trip", json, strlen(json), &b, err, sizeof err);
        CHECK(st == FP_OK, "%s round trip: %s", path, err);
        CHECK(memcmp(a.values, b.values, sizeof a.values) == 0, "%s: values survive", path);
        CHECK(memcmp(a.sources, b.sources, sizeof a.sources) == 0, "%s: sources survive", path);
        CHECK(memcmp(&a.gpu, &b.gpu, sizeof a.gpu) == 0, "%s: derived cm_gpu survives", path);
        CHECK(strcmp(a.id, b.id) == 0 && strcmp(a.name, b.name) == 0, "%s: names", path);
        cJSON *orig = cJSON_Parse(text), *again = cJSON_Parse(json);
        CHECK(cJSON_Compare(orig, again, true), "%s: re-rendered JSON equals the file", path);
        cJSON_Delete(orig);
        cJSON_Delete(again);
        free(json);
        /* id is the file stem */
        char stem[96];
        snprintf(stem, sizeof stem, "gpu_specs/%s.json", a.id);
        CHECK(strcmp(stem, path) == 0, "%s: id %s matches the file name", path, a.id);
    }
    CHECK(n >= 11, "%d shipped GPU specs, want >= 11", n);
    fp_gpu_spec g;
    char err[1024];
    CHECK(fp_open_gpu("h100_sxm", &g, err, sizeof err) == FP_OK, "%s", err);
    CHECK(g.gpu.sm_count == 132, "H100 SXM has 132 SMs, got %d", g.gpu.sm_count);
    CHECK(fp_open_gpu("rtx_a4000", &g, err, sizeof err) == FP_OK, "%s", err);
    CHECK(g.gpu.sm_count == 48, "RTX A4000 has 48 SMs (not FusePlanner's 96), got %d", g.gpu.sm_count);
}

/* calibration efficiencies per (kind, math): a spec of the per-kind form
 * (h200_calibrated: one number a kind, written before the math modes were
 * told apart, but for pwdwpw, split by math when its CUDA-core value was
 * refitted) applies each number to both maths; the object form sets the
 * maths it names and leaves the other at the prior; a DW takes "simt" only;
 * a spec renders back in the form it was read in. */
static void test_gpu_calibration(void) {
    fp_gpu_spec g;
    char err[1024] = "";
    const char *text = NULL;
    size_t len = 0;
    const char *path = NULL;
    for (int i = 0; (path = fp_shipped("gpu_specs", i, &text, &len)); i++)
        if (strcmp(path, "gpu_specs/h200_calibrated.json") == 0) break;
    CHECK(path != NULL, "h200_calibrated is shipped");
    if (!path) return;
    CHECK(fp_gpu_parse(path, text, len, &g, err, sizeof err) == FP_OK, "%s", err);
    cJSON *root = cJSON_Parse(text);
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(root, "calibration");
    const cJSON *bw = cJSON_GetObjectItemCaseSensitive(cal, "bw_efficiency");
    const cJSON *ce = cJSON_GetObjectItemCaseSensitive(cal, "compute_efficiency");
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(bw, cm_kind_name((cm_kind)k));
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(ce, cm_kind_name((cm_kind)k));
        const bool split = k == CM_KIND_PWDWPW;
        CHECK(split ? cJSON_IsObject(b) && cJSON_IsObject(c) : cJSON_IsNumber(b) && cJSON_IsNumber(c),
              "h200_calibrated: %s is %s", cm_kind_name((cm_kind)k), split ? "per math" : "per kind");
        for (int m = 0; m < CM_MATH_COUNT; m++) {
            const cJSON *bm = split ? cJSON_GetObjectItemCaseSensitive(b, cm_math_name((cm_math)m)) : b;
            const cJSON *cm = split ? cJSON_GetObjectItemCaseSensitive(c, cm_math_name((cm_math)m)) : c;
            CHECK(cJSON_IsNumber(bm) && cJSON_IsNumber(cm), "h200_calibrated: %s %s: no number",
                  cm_kind_name((cm_kind)k), cm_math_name((cm_math)m));
            if (!cJSON_IsNumber(bm) || !cJSON_IsNumber(cm)) continue;
            CHECK(g.gpu.bw_efficiency[k][m] == bm->valuedouble && g.gpu.compute_efficiency[k][m] == cm->valuedouble,
                  "h200_calibrated: %s %s: %g / %g, file %g / %g", cm_kind_name((cm_kind)k),
                  cm_math_name((cm_math)m), g.gpu.bw_efficiency[k][m], g.gpu.compute_efficiency[k][m],
                  bm->valuedouble, cm->valuedouble);
        }
    }
    cJSON_Delete(root);

    /* the object form on the datasheet H100 */
    for (int i = 0; (path = fp_shipped("gpu_specs", i, &text, &len)); i++)
        if (strcmp(path, "gpu_specs/h100_sxm.json") == 0) break;
    if (!path) return;
    root = cJSON_Parse(text);
    cJSON *c2 = cJSON_AddObjectToObject(root, "calibration");
    cJSON_AddStringToObject(c2, "source", "test");
    cJSON *b2 = cJSON_AddObjectToObject(c2, "bw_efficiency");
    cJSON *pw = cJSON_AddObjectToObject(b2, "pw");
    cJSON_AddNumberToObject(pw, "simt", 0.4);
    cJSON_AddNumberToObject(pw, "tc", 0.2);
    cJSON *dw = cJSON_AddObjectToObject(b2, "dw");
    cJSON_AddNumberToObject(dw, "simt", 0.7);
    cJSON_AddNumberToObject(b2, "pwpw", 0.33);
    cJSON *e2 = cJSON_AddObjectToObject(c2, "compute_efficiency");
    cJSON *x = cJSON_AddObjectToObject(e2, "pwdwpw");
    cJSON_AddNumberToObject(x, "tc", 0.05);
    char *spec = cJSON_Print(root);
    cJSON_Delete(root);
    cm_gpu prior;
    memset(&prior, 0, sizeof prior);
    cm_gpu_default_calibration(&prior);
    const int S = CM_MATH_SIMT, T = CM_MATH_TC;
    CHECK(spec && fp_gpu_parse("obj.json", spec, strlen(spec), &g, err, sizeof err) == FP_OK, "object form: %s", err);
    CHECK(g.gpu.bw_efficiency[CM_KIND_PW][S] == 0.4 && g.gpu.bw_efficiency[CM_KIND_PW][T] == 0.2, "pw bw %g %g",
          g.gpu.bw_efficiency[CM_KIND_PW][S], g.gpu.bw_efficiency[CM_KIND_PW][T]);
    CHECK(g.gpu.bw_efficiency[CM_KIND_DW][S] == 0.7 && g.gpu.bw_efficiency[CM_KIND_DW][T] == 0.7, "dw bw %g %g",
          g.gpu.bw_efficiency[CM_KIND_DW][S], g.gpu.bw_efficiency[CM_KIND_DW][T]);
    CHECK(g.gpu.bw_efficiency[CM_KIND_PWPW][S] == 0.33 && g.gpu.bw_efficiency[CM_KIND_PWPW][T] == 0.33,
          "pwpw: one number for both maths");
    CHECK(g.gpu.compute_efficiency[CM_KIND_PWDWPW][T] == 0.05 &&
              g.gpu.compute_efficiency[CM_KIND_PWDWPW][S] == prior.compute_efficiency[CM_KIND_PWDWPW][S],
          "pwdwpw compute: tc set, simt the prior (%g %g)", g.gpu.compute_efficiency[CM_KIND_PWDWPW][S],
          g.gpu.compute_efficiency[CM_KIND_PWDWPW][T]);
    CHECK(g.gpu.bw_efficiency[CM_KIND_DWPW][S] == prior.bw_efficiency[CM_KIND_DWPW][S] &&
              g.gpu.bw_efficiency[CM_KIND_DWPW][T] == prior.bw_efficiency[CM_KIND_DWPW][T],
          "a kind left out keeps the prior");
    /* rendered back: objects where the maths differ, numbers where not */
    char *again = fp_gpu_to_json(&g);
    fp_gpu_spec h;
    CHECK(again && fp_gpu_parse("again.json", again, strlen(again), &h, err, sizeof err) == FP_OK, "%s", err);
    CHECK(again && memcmp(&g.gpu, &h.gpu, sizeof g.gpu) == 0, "the object form survives a round trip");
    cJSON *ra = again ? cJSON_Parse(again) : NULL;
    const cJSON *rb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ra, "calibration"),
                                                       "bw_efficiency");
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rb, "pw")) &&
              cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rb, "dw")) &&
              cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rb, "pwpw")),
          "rendered forms: pw an object, dw and pwpw numbers");
    cJSON_Delete(ra);
    free(again);
    free(spec);
}

/* Each corpus file must fail in-process with its fragment and exit code 2. */
static void test_bad_inputs(const char *src) {
    char manifest[1024];
    snprintf(manifest, sizeof manifest, "%s/tests/bad_inputs/expected.txt", src);
    FILE *f = fopen(manifest, "r");
    CHECK(f != NULL, "open %s", manifest);
    if (!f) return;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        CHECK(tab != NULL, "manifest line \"%s\" has a tab", line);
        if (!tab) continue;
        *tab = 0;
        const char *frag = tab + 1;
        char path[1200], err[1024] = "";
        snprintf(path, sizeof path, "%s/tests/bad_inputs/%s", src, line);
        fp_status st;
        if (strncmp(line, "plans/", 6) == 0) {
            /* a plan, with the model and spec it names beside it */
            fp_model m;
            fp_gpu_spec g;
            fp_plan p;
            st = fp_plan_open(path, NULL, &m, &g, &p, err, sizeof err);
            if (st == FP_OK) {
                fp_plan_free(&p);
                fp_model_free(&m);
            }
        } else if (strncmp(line, "gpu_", 4) == 0) {
            fp_gpu_spec g;
            st = fp_gpu_load(path, &g, err, sizeof err);
        } else {
            fp_model m;
            st = fp_model_load(path, &m, err, sizeof err);
            if (st == FP_OK) fp_model_free(&m);
        }
        CHECK(st != FP_OK && fp_status_exit_code(st) == 2, "%s: status %s", line, fp_status_str(st));
        CHECK(strstr(err, frag) != NULL, "%s: \"%s\" lacks \"%s\"", line, err, frag);
        CHECK(strchr(err, '\n') == NULL, "%s: message is one line", line);
        n++;
    }
    fclose(f);
    CHECK(n >= 40, "%d bad inputs, want >= 40", n);
}

static fp_status parse_text(const char *text, fp_model *m, char *err, size_t n) {
    return fp_model_parse("inline.json", text, strlen(text), m, err, n);
}

static void test_shapes(void) {
    /* TF "same" with stride 2 on an even input pads only bottom/right. */
    const char *t =
        "{\"format\": \"fuseplan-model\", \"version\": 1, \"name\": \"s\","
        " \"input\": {\"name\": \"x\", \"shape\": [112, 113, 8]}, \"outputs\": [\"d\", \"p\"],"
        " \"layers\": ["
        "  {\"name\": \"dw\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"a\","
        "   \"filters\": 8, \"kernel\": 3, \"stride\": 2, \"groups\": 8},"
        "  {\"name\": \"dw5\", \"op\": \"conv2d\", \"inputs\": [\"a\"], \"output\": \"b\","
        "   \"filters\": 8, \"kernel\": 5, \"stride\": 2, \"groups\": 8, \"padding\": [2, 2, 1, 2]},"
        "  {\"name\": \"pw\", \"op\": \"conv2d\", \"inputs\": [\"b\"], \"output\": \"c\","
        "   \"filters\": 24, \"kernel\": 1, \"activation\": \"relu\"},"
        "  {\"name\": \"mp\", \"op\": \"max_pool\", \"inputs\": [\"c\"], \"output\": \"p\","
        "   \"kernel\": 3, \"stride\": 2, \"padding\": \"same\"},"
        "  {\"name\": \"g\", \"op\": \"conv2d\", \"inputs\": [\"c\"], \"output\": \"d\","
        "   \"filters\": 12, \"kernel\": [1, 3], \"groups\": 4, \"bias\": false}]}";
    fp_model m;
    char err[1024];
    fp_status st = parse_text(t, &m, err, sizeof err);
    CHECK(st == FP_OK, "%s", err);
    if (st != FP_OK) return;
    const fp_layer *l = m.layers;
    CHECK(m.tensors[l[0].output].shape.h == 56 && m.tensors[l[0].output].shape.w == 57, "same s2");
    CHECK(l[0].pad_top == 0 && l[0].pad_bottom == 1 && l[0].pad_left == 1 && l[0].pad_right == 1,
          "same pads %d %d %d %d", l[0].pad_top, l[0].pad_bottom, l[0].pad_left, l[0].pad_right);
    CHECK(l[0].cls == FP_CLASS_DW && l[2].cls == FP_CLASS_PW && l[4].cls == FP_CLASS_STANDARD,
          "classes");
    fp_shape b = m.tensors[l[1].output].shape;
    CHECK(b.h == (56 + 4 - 5) / 2 + 1 && b.w == (57 + 3 - 5) / 2 + 1, "explicit pads %dx%d", b.h, b.w);
    CHECK(l[4].params == 12 * 3 * 6, "grouped conv params %lld", (long long)l[4].params);
    CHECK(l[2].params == 8 * 24 + 24, "pw params");
    CHECK(l[2].macs == (int64_t)b.h * b.w * 24 * 8, "pw macs");
    cm_conv c = fp_layer_conv(&m, &l[1]);
    CHECK(c.kernel == 5 && c.stride == 2 && c.pad_top == 2 && c.pad_left == 1 && c.in_c == 8, "cm_conv");
    CHECK(m.tensors[l[0].output].n_consumers == 1 && m.tensors[l[2].output].n_consumers == 2,
          "consumer counts");
    uint64_t h = m.hash;
    fp_model_free(&m);
    st = parse_text(t, &m, err, sizeof err);
    CHECK(st == FP_OK && m.hash == h, "hash is deterministic");
    fp_model_free(&m);
}

/* Every valid convolution loads (formerly refused "because the backend runs
 * those"): which DW/PW layers a variant runs is the planner's decision. */
static void test_any_conv_loads(void) {
    const char *t =
        "{\"format\": \"fuseplan-model\", \"version\": 1, \"name\": \"anyconv\","
        " \"input\": {\"name\": \"x\", \"shape\": [30, 30, 16]}, \"outputs\": [\"f\"],"
        " \"layers\": ["
        "  {\"name\": \"k4\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"a\", \"filters\": 16, \"kernel\": 4, \"groups\": 16},"
        "  {\"name\": \"s3\", \"op\": \"conv2d\", \"inputs\": [\"a\"], \"output\": \"b\", \"filters\": 16, \"kernel\": 3, \"stride\": 3, \"groups\": 16},"
        "  {\"name\": \"k35\", \"op\": \"conv2d\", \"inputs\": [\"b\"], \"output\": \"c\", \"filters\": 16, \"kernel\": [3, 5], \"groups\": 16},"
        "  {\"name\": \"s12\", \"op\": \"conv2d\", \"inputs\": [\"c\"], \"output\": \"d\", \"filters\": 16, \"kernel\": 3, \"stride\": [1, 2], \"groups\": 16},"
        "  {\"name\": \"g4\", \"op\": \"conv2d\", \"inputs\": [\"d\"], \"output\": \"e\", \"filters\": 32, \"kernel\": 3, \"groups\": 4},"
        "  {\"name\": \"k9\", \"op\": \"conv2d\", \"inputs\": [\"e\"], \"output\": \"f\", \"filters\": 32, \"kernel\": 9, \"groups\": 32}]}";
    fp_model m;
    char err[1024];
    fp_status st = parse_text(t, &m, err, sizeof err);
    CHECK(st == FP_OK, "any valid convolution loads: %s", err);
    if (st != FP_OK) return;
    const fp_conv_class want[6] = {FP_CLASS_DW, FP_CLASS_DW, FP_CLASS_DW, FP_CLASS_DW,
                                   FP_CLASS_STANDARD, FP_CLASS_DW};
    for (int i = 0; i < 6 && i < m.n_layers; i++)
        CHECK(m.layers[i].cls == want[i], "%s: class %d, want %d", m.layers[i].name, m.layers[i].cls,
              want[i]);
    fp_shape b = m.tensors[m.layers[1].output].shape;
    CHECK(b.h == 10 && b.w == 10, "stride 3 \"same\": 30 -> %dx%d, want 10x10", b.h, b.w);
    fp_shape d = m.tensors[m.layers[3].output].shape;
    CHECK(d.h == 10 && d.w == 5, "stride [1, 2]: 10x10 -> %dx%d, want 10x5", d.h, d.w);
    fp_model_free(&m);
}

int main(int argc, char **argv) {
    const char *src = argc > 1 ? argv[1] : ".";
    test_zoo();
    test_gpu_round_trip();
    test_gpu_calibration();
    test_bad_inputs(src);
    test_any_conv_loads();
    test_shapes();
    return check_summary("loaders");
}
