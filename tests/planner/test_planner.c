/* test_planner.c - the planner: legality predicate, optimality against brute
 * force on random chains, properties of every plan of every shipped model on
 * every shipped GPU, determinism and JSON round trip, and golden plans.
 * usage: test_planner SRCDIR   (FUSEPLAN_REGEN_GOLDEN=1 rewrites the goldens) */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fp_data.h"
#include "fp_json.h"
#include "fp_plan.h"

static const char *const GOLDEN_GPUS[] = {"h100_sxm", "a100_sxm_80gb", "gtx1660"};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static fp_status parse_model(const char *text, fp_model *m, char *err, size_t n) {
    return fp_model_parse("inline.json", text, strlen(text), m, err, n);
}

/* ---- legality ---- */

static void test_legality(void) {
    /* pw1 -> dw -> pw2 -> add(x); pw1's output also read by "side" (2 consumers) in v2 */
    const char *t =
        "{\"format\": \"fuseplan-model\", \"version\": 1, \"name\": \"l\","
        " \"input\": {\"name\": \"x\", \"shape\": [16, 16, 8]}, \"outputs\": [\"y\", \"s\"],"
        " \"layers\": ["
        "  {\"name\": \"pw1\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"a\", \"filters\": 32, \"kernel\": 1},"
        "  {\"name\": \"dw\", \"op\": \"conv2d\", \"inputs\": [\"a\"], \"output\": \"b\", \"filters\": 32, \"kernel\": 3, \"groups\": 32},"
        "  {\"name\": \"dw2\", \"op\": \"conv2d\", \"inputs\": [\"b\"], \"output\": \"b2\", \"filters\": 32, \"kernel\": 5, \"groups\": 32},"
        "  {\"name\": \"pw2\", \"op\": \"conv2d\", \"inputs\": [\"b2\"], \"output\": \"c\", \"filters\": 8, \"kernel\": 1},"
        "  {\"name\": \"add\", \"op\": \"add\", \"inputs\": [\"c\", \"x\"], \"output\": \"y\"},"
        "  {\"name\": \"side\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"s\", \"filters\": 8, \"kernel\": 1}]}";
    fp_model m;
    char err[1024], why[256];
    CHECK(parse_model(t, &m, err, sizeof err) == FP_OK, "%s", err);
    cm_kind k;
    int a[3] = {0, 1, -1};
    CHECK(fp_chain_fusable(&m, a, 2, &k, why, sizeof why) && k == CM_KIND_PWDW, "pw->dw fusable");
    int b[2] = {1, 2};
    CHECK(!fp_chain_fusable(&m, b, 2, &k, why, sizeof why) && strstr(why, "dwdw"), "dw->dw: %s", why);
    int c[3] = {0, 1, 3};
    CHECK(!fp_chain_fusable(&m, c, 3, &k, why, sizeof why) && strstr(why, "does not read"),
          "not an edge: %s", why);
    int d[2] = {3, 4};
    CHECK(!fp_chain_fusable(&m, d, 2, &k, why, sizeof why) && strstr(why, "not a DW or PW"),
          "add is not fusable: %s", why);
    CHECK(fp_absorbable_add(&m, 3) == 4, "add absorbable after pw2");
    CHECK(fp_absorbable_add(&m, 0) == -1, "no add after pw1");
    fp_model_free(&m);

    /* intermediate with two consumers; intermediate that is a model output */
    const char *t3 =
        "{\"format\": \"fuseplan-model\", \"version\": 1, \"name\": \"l3\","
        " \"input\": {\"name\": \"x\", \"shape\": [8, 8, 8]}, \"outputs\": [\"b\", \"a\", \"e\"],"
        " \"layers\": ["
        "  {\"name\": \"pw\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"a\", \"filters\": 16, \"kernel\": 1},"
        "  {\"name\": \"dw\", \"op\": \"conv2d\", \"inputs\": [\"a\"], \"output\": \"b\", \"filters\": 16, \"kernel\": 3, \"groups\": 16},"
        "  {\"name\": \"pw3\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"d\", \"filters\": 8, \"kernel\": 1},"
        "  {\"name\": \"dw3\", \"op\": \"conv2d\", \"inputs\": [\"d\"], \"output\": \"c\", \"filters\": 8, \"kernel\": 3, \"groups\": 8},"
        "  {\"name\": \"pw4\", \"op\": \"conv2d\", \"inputs\": [\"d\"], \"output\": \"e0\", \"filters\": 8, \"kernel\": 1},"
        "  {\"name\": \"add\", \"op\": \"add\", \"inputs\": [\"e0\", \"c\"], \"output\": \"e\"}]}";
    CHECK(parse_model(t3, &m, err, sizeof err) == FP_OK, "%s", err);
    int e[2] = {0, 1};
    CHECK(!fp_chain_fusable(&m, e, 2, &k, why, sizeof why) && strstr(why, "model output"),
          "graph output: %s", why);
    int f[2] = {2, 3};
    CHECK(!fp_chain_fusable(&m, f, 2, &k, why, sizeof why) && strstr(why, "2 consumers"),
          "two consumers: %s", why);
    fp_gpu_spec g;
    CHECK(fp_open_gpu("h100_sxm", &g, err, sizeof err) == FP_OK, "%s", err);
    fp_plan_options o = fp_plan_default_options();
    fp_plan p;
    CHECK(fp_plan_build(&m, &g, &o, &p, err, sizeof err) == FP_OK, "%s", err);
    for (int i = 0; i < p.n_units; i++)
        CHECK(p.units[i].n_layers == 1, "nothing in l3 is fusable (unit %d has %d layers)", i,
              p.units[i].n_layers);
    fp_plan_free(&p);
    fp_model_free(&m);
}

/* ---- properties ---- */

static void check_plan_properties(const fp_model *m, const fp_gpu_spec *g, const fp_plan *p,
                                  const char *what) {
    int *seen = calloc((size_t)m->n_layers, sizeof(int));
    double t = 0;
    uint64_t tr = 0;
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        for (int k = 0; k < u->n_layers; k++) seen[u->layers[k]]++;
        if (u->residual_layer >= 0) seen[u->residual_layer]++;
        t += u->est.time_us;
        tr += u->est.traffic.load_bytes + u->est.traffic.store_bytes;
        CHECK(u->est.time_us > 0 && isfinite(u->est.time_us), "%s: unit %d time %g", what, i,
              u->est.time_us);
        if (u->kind != FP_UNIT_OTHER) {
            cm_footprint fp;
            char why[256];
            CHECK(cm_tile_check(&u->cu, &u->tile, &g->gpu, &fp, why, sizeof why) == CM_OK,
                  "%s: unit %d tile infeasible: %s", what, i, why);
            CHECK(u->variant != NULL, "%s: unit %d tile is a compiled variant", what, i);
            CHECK(u->unfused.time_us > 0, "%s: unit %d has an unfused alternative", what, i);
            if (u->n_layers == 1)
                CHECK(u->unfused.time_us == u->est.time_us, "%s: unit %d single = unfused", what, i);
            cm_variant_id id;
            CHECK(u->variant && cm_variant_id_parse(u->variant, &id) && id.kind == (cm_kind)u->kind &&
                      id.dtype == p->opt.dtype && id.math == cm_kind_math(id.kind, p->opt.math) &&
                      cm_tile_equal(&id.tile, &u->tile),
                  "%s: unit %d variant %s is the unit's kind, dtype, math and tile", what, i,
                  u->variant ? u->variant : "(none)");
            CHECK(strcmp(fp_unit_backend(m, u), "fuseplan") == 0, "%s: unit %d backend", what, i);
        } else {
            const fp_layer *l = &m->layers[u->layers[0]];
            char why[256];
            /* a DW/PW layer is a unit of its own only when no variant runs it */
            if (l->cls == FP_CLASS_DW || l->cls == FP_CLASS_PW)
                CHECK(!fp_layer_has_variant(m, u->layers[0], &p->opt, why, sizeof why) &&
                          strcmp(fp_unit_backend(m, u), "cudnn") == 0 && u->note[0],
                      "%s: unit %d (%s) runs on cuDNN only without a variant", what, i, l->name);
        }
    }
    for (int l = 0; l < m->n_layers; l++)
        CHECK(seen[l] == 1, "%s: layer %s covered %d times", what, m->layers[l].name, seen[l]);
    CHECK(fabs(t - p->totals.time_us) <= 1e-9 * t, "%s: totals time %g vs sum %g", what,
          p->totals.time_us, t);
    CHECK(tr == p->totals.traffic_bytes, "%s: totals traffic", what);
    CHECK(p->totals.time_us <= p->totals.unfused_time_us * (1 + 1e-12), "%s: plan %g not worse than "
          "layer by layer %g", what, p->totals.time_us, p->totals.unfused_time_us);
    free(seen);
}

static void test_all_plans(void) {
    const char *mp, *gp;
    const int batches[3] = {1, 8, 64};
    const cm_dtype dtypes[2] = {CM_F32, CM_F16};
    int plans = 0;
    for (int mi = 0; (mp = fp_shipped("models", mi, NULL, NULL)); mi++) {
        fp_model m;
        char err[1024];
        if (fp_open_model(mp, &m, err, sizeof err) != FP_OK) {
            CHECK(0, "%s", err);
            continue;
        }
        for (int gi = 0; (gp = fp_shipped("gpu_specs", gi, NULL, NULL)); gi++) {
            fp_gpu_spec g;
            if (fp_open_gpu(gp, &g, err, sizeof err) != FP_OK) {
                CHECK(0, "%s", err);
                continue;
            }
            for (int b = 0; b < 3; b++)
                for (int d = 0; d < 2; d++) {
                    fp_plan_options o = fp_plan_default_options();
                    o.batch = batches[b];
                    o.dtype = dtypes[d];
                    fp_plan p;
                    char what[160];
                    snprintf(what, sizeof what, "%s/%s/b%d/%s", m.name, g.id, o.batch,
                             cm_dtype_name(o.dtype));
                    fp_status st = fp_plan_build(&m, &g, &o, &p, err, sizeof err);
                    CHECK(st == FP_OK, "%s: %s", what, err);
                    if (st != FP_OK) continue;
                    plans++;
                    check_plan_properties(&m, &g, &p, what);
                    if (b == 0 || b == 2) { /* JSON round trip and determinism */
                        char *j1 = fp_plan_to_json(&p, &m);
                        fp_plan q;
                        st = fp_plan_parse("plan.json", j1, strlen(j1), &m, &g, &q, err, sizeof err);
                        CHECK(st == FP_OK, "%s: reload: %s", what, err);
                        if (st == FP_OK) {
                            CHECK(q.n_units == p.n_units, "%s: reload units", what);
                            for (int i = 0; i < q.n_units && i < p.n_units; i++)
                                CHECK(memcmp(&q.units[i].tile, &p.units[i].tile, sizeof(cm_tile)) == 0 &&
                                      q.units[i].est.time_us == p.units[i].est.time_us,
                                      "%s: unit %d survives the round trip", what, i);
                            char *j2 = fp_plan_to_json(&q, &m);
                            CHECK(strcmp(j1, j2) == 0, "%s: reloaded plan renders identically", what);
                            free(j2);
                            fp_plan_free(&q);
                        }
                        fp_plan p2;
                        fp_plan_build(&m, &g, &o, &p2, err, sizeof err);
                        char *j3 = fp_plan_to_json(&p2, &m);
                        CHECK(strcmp(j1, j3) == 0, "%s: same inputs, byte-identical plan", what);
                        free(j3);
                        fp_plan_free(&p2);
                        free(j1);
                    }
                    fp_plan_free(&p);
                }
        }
        fp_model_free(&m);
    }
    CHECK(plans >= 5 * 11 * 6, "%d plans built", plans);
}

/* A loaded plan must belong to the model and GPU it is run with. */
static void test_mismatch(void) {
    fp_model m, m2;
    fp_gpu_spec g, g2;
    char err[1024];
    fp_open_model("mobilenet_v2", &m, err, sizeof err);
    fp_open_model("mobilenet_v1", &m2, err, sizeof err);
    fp_open_gpu("h100_sxm", &g, err, sizeof err);
    fp_open_gpu("a100_sxm_80gb", &g2, err, sizeof err);
    fp_plan_options o = fp_plan_default_options();
    fp_plan p, q;
    CHECK(fp_plan_build(&m, &g, &o, &p, err, sizeof err) == FP_OK, "%s", err);
    char *j = fp_plan_to_json(&p, &m);
    fp_status st = fp_plan_parse("p.json", j, strlen(j), &m2, &g, &q, err, sizeof err);
    CHECK(st == FP_ERR_MISMATCH && strstr(err, "p.json: model.hash:") &&
              strstr(err, "models/mobilenet_v1.json"), "model mismatch: %s", err);
    st = fp_plan_parse("p.json", j, strlen(j), &m, &g2, &q, err, sizeof err);
    CHECK(st == FP_ERR_MISMATCH && strstr(err, "gpu.hash"), "gpu mismatch: %s", err);
    /* a tampered plan: a unit dropped, so its layer is in no unit */
    cJSON *root = cJSON_Parse(j);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(root, "units"), 0);
    char *cut = cJSON_Print(root);
    st = fp_plan_parse("p.json", cut, strlen(cut), &m, &g, &q, err, sizeof err);
    CHECK(st == FP_ERR_INVALID && strstr(err, "is in no unit"), "dropped unit: %s", err);
    free(cut);
    /* a unit whose kind does not match its layers */
    cJSON *u1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "units"), 0);
    cJSON_ReplaceItemInObject(u1, "kind", cJSON_CreateString("max_pool"));
    cut = cJSON_Print(root);
    st = fp_plan_parse("p.json", cut, strlen(cut), &m, &g, &q, err, sizeof err);
    CHECK(st == FP_ERR_INVALID && strstr(err, "kind"), "wrong kind: %s", err);
    free(cut);
    cJSON_Delete(root);
    free(j);
    /* forced tiles survive the round trip */
    fp_plan_options of = fp_plan_default_options();
    of.tile_forced[CM_KIND_PW] = true;
    size_t nv = 0;
    const cm_variant *vs = cm_variants(&nv);
    for (size_t i = 0; i < nv; i++)
        if (vs[i].id.kind == CM_KIND_PW) {
            of.forced_tile[CM_KIND_PW] = vs[i].id.tile;
            break;
        }
    fp_plan pf;
    st = fp_plan_build(&m, &g, &of, &pf, err, sizeof err);
    CHECK(st == FP_OK, "forced pw tile: %s", err);
    if (st == FP_OK) {
        char *a = fp_plan_to_json(&pf, &m);
        st = fp_plan_parse("f.json", a, strlen(a), &m, &g, &q, err, sizeof err);
        CHECK(st == FP_OK, "forced plan reload: %s", err);
        if (st == FP_OK) {
            char *b = fp_plan_to_json(&q, &m);
            CHECK(strcmp(a, b) == 0, "a plan with forced tiles renders identically after reload");
            free(b);
            fp_plan_free(&q);
        }
        free(a);
        fp_plan_free(&pf);
    }
    fp_plan_free(&p);
    fp_model_free(&m);
    fp_model_free(&m2);
}

/* ---- what no kernel of ours runs: the planner's decision, never a load error ---- */

/* A DW/PW layer without a variant is a cuDNN unit of its own with a note
 * saying why; everything else stays a kernel unit; the plan round-trips. */
static void test_any_conv(void) {
    const char *t =
        "{\"format\": \"fuseplan-model\", \"version\": 1, \"name\": \"anyconv\","
        " \"input\": {\"name\": \"x\", \"shape\": [30, 30, 16]}, \"outputs\": [\"y\"],"
        " \"layers\": ["
        "  {\"name\": \"pw1\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"a\", \"filters\": 32, \"kernel\": 1},"
        "  {\"name\": \"dwk4\", \"op\": \"conv2d\", \"inputs\": [\"a\"], \"output\": \"b\", \"filters\": 32, \"kernel\": 4, \"groups\": 32, \"activation\": \"relu6\"},"
        "  {\"name\": \"pw2\", \"op\": \"conv2d\", \"inputs\": [\"b\"], \"output\": \"c\", \"filters\": 16, \"kernel\": 1},"
        "  {\"name\": \"add\", \"op\": \"add\", \"inputs\": [\"c\", \"x\"], \"output\": \"d\"},"
        "  {\"name\": \"dws3\", \"op\": \"conv2d\", \"inputs\": [\"d\"], \"output\": \"e\", \"filters\": 16, \"kernel\": 3, \"stride\": 3, \"groups\": 16},"
        "  {\"name\": \"dw35\", \"op\": \"conv2d\", \"inputs\": [\"e\"], \"output\": \"f\", \"filters\": 16, \"kernel\": [3, 5], \"groups\": 16},"
        "  {\"name\": \"grp4\", \"op\": \"conv2d\", \"inputs\": [\"f\"], \"output\": \"g\", \"filters\": 32, \"kernel\": 3, \"groups\": 4},"
        "  {\"name\": \"dw3\", \"op\": \"conv2d\", \"inputs\": [\"g\"], \"output\": \"h\", \"filters\": 32, \"kernel\": 3, \"stride\": 2, \"groups\": 32},"
        "  {\"name\": \"pw3\", \"op\": \"conv2d\", \"inputs\": [\"h\"], \"output\": \"y\", \"filters\": 24, \"kernel\": 1}]}";
    fp_model m;
    fp_gpu_spec g;
    char err[1024];
    fp_status st = parse_model(t, &m, err, sizeof err);
    CHECK(st == FP_OK, "kernel 4, stride 3, a 3x5 kernel and groups 4 load: %s", err);
    if (st != FP_OK) return;
    CHECK(fp_open_gpu("h100_sxm", &g, err, sizeof err) == FP_OK, "%s", err);
    /* which unit holds each layer, what runs it and why */
    struct {
        const char *layer, *backend, *note;
    } want[] = {{"dwk4", "cudnn", "depthwise kernel 4 has no variant (3, 5, 7)"},
                {"dws3", "cudnn", "depthwise stride 3 has no variant (1, 2)"},
                {"dw35", "cudnn", "depthwise kernel 3x5 is not square"},
                {"grp4", "cudnn", "not a DW/PW conv"},
                {"pw1", "fuseplan", NULL},
                {"pw2", "fuseplan", NULL},
                {"dw3", "fuseplan", NULL}};
    for (int d = 0; d < 2; d++) {
        /* fp32, and int8: a dtype with no compiled variant at all */
        fp_plan_options o = fp_plan_default_options();
        o.dtype = d ? CM_I8 : CM_F32;
        fp_plan p;
        st = fp_plan_build(&m, &g, &o, &p, err, sizeof err);
        CHECK(st == FP_OK, "%s: plan: %s", cm_dtype_name(o.dtype), err);
        if (st != FP_OK) continue;
        check_plan_properties(&m, &g, &p, "anyconv");
        for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
            const fp_unit *u = NULL;
            for (int i = 0; i < p.n_units; i++)
                for (int k = 0; k < p.units[i].n_layers; k++)
                    if (strcmp(m.layers[p.units[i].layers[k]].name, want[w].layer) == 0) u = &p.units[i];
            CHECK(u != NULL, "%s is in a unit", want[w].layer);
            if (!u) continue;
            /* int8 has no compiled variant: every conv goes to cuDNN */
            const char *backend = d ? "cudnn" : want[w].backend;
            CHECK(strcmp(fp_unit_backend(&m, u), backend) == 0, "%s %s: backend %s, want %s",
                  cm_dtype_name(o.dtype), want[w].layer, fp_unit_backend(&m, u), backend);
            /* the shape's reason comes first; fp16 adds its own for the rest */
            if (want[w].note)
                CHECK(u->kind == FP_UNIT_OTHER && strstr(u->note, want[w].note),
                      "%s: note \"%s\" lacks \"%s\"", want[w].layer, u->note, want[w].note);
            else if (d == 1)
                CHECK(u->kind == FP_UNIT_OTHER && strstr(u->note, "no compiled int8 simt variant"),
                      "int8 %s: note \"%s\"", want[w].layer, u->note);
        }
        char *j1 = fp_plan_to_json(&p, &m);
        fp_plan q;
        st = fp_plan_parse("any.json", j1, strlen(j1), &m, &g, &q, err, sizeof err);
        CHECK(st == FP_OK, "%s: reload: %s", cm_dtype_name(o.dtype), err);
        if (st == FP_OK) {
            char *j2 = fp_plan_to_json(&q, &m);
            CHECK(strcmp(j1, j2) == 0, "%s: anyconv plan renders identically after reload",
                  cm_dtype_name(o.dtype));
            free(j2);
            fp_plan_free(&q);
        }
        /* a plan that names a variant for a layer without one is refused */
        if (d == 0) {
            cJSON *root = cJSON_Parse(j1);
            const cJSON *u;
            cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(root, "units")) {
                const cJSON *l0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(u, "layers"), 0);
                if (strcmp(l0->valuestring, "dwk4") != 0) continue;
                cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)u, "kind", cJSON_CreateString("dw"));
                cJSON_AddStringToObject((cJSON *)u, "variant", "dw_f32_simt_t4x8_c32_k32_n128");
            }
            char *bad = cJSON_Print(root);
            st = fp_plan_parse("any.json", bad, strlen(bad), &m, &g, &q, err, sizeof err);
            CHECK(st == FP_ERR_INVALID && strstr(err, "any.json: units[") && strstr(err, "kind: \"dw\"") &&
                      strstr(err, "depthwise kernel 4 has no variant"),
                  "a variant for a layer without one: %s", err);
            if (st == FP_OK) fp_plan_free(&q);
            free(bad);
            cJSON_Delete(root);
        }
        free(j1);
        fp_plan_free(&p);
    }
    fp_model_free(&m);
}

/* Every shipped model in a dtype without compiled variants (int8): every
 * DW/PW layer is a cuDNN unit, and the plan is otherwise complete. And in
 * fp16 with tensor cores (the default math of fp16): every DW/PW layer that a
 * row's shape admits is a kernel unit, DW units on CUDA cores (SIMT rows, the
 * one math a DW has: cm_kind_math), the GEMM kinds on tensor cores. */
static void test_dtype_units(void) {
    const char *mp;
    for (int mi = 0; (mp = fp_shipped("models", mi, NULL, NULL)); mi++) {
        fp_model m;
        fp_gpu_spec g;
        char err[1024];
        if (fp_open_model(mp, &m, err, sizeof err) != FP_OK) continue;
        CHECK(fp_open_gpu("h100_sxm", &g, err, sizeof err) == FP_OK, "%s", err);
        for (int d = 0; d < 2; d++) {
            fp_plan_options o = fp_plan_default_options();
            o.dtype = d ? CM_F16 : CM_I8;
            o.math = d ? CM_MATH_TC : CM_MATH_SIMT;
            CHECK(d || (!cm_variants_exist(CM_KIND_DW, CM_I8, CM_MATH_SIMT) &&
                        !cm_variants_exist(CM_KIND_PW, CM_I8, CM_MATH_SIMT)),
                  "this test assumes no int8 variant is compiled");
            fp_plan p;
            fp_status st = fp_plan_build(&m, &g, &o, &p, err, sizeof err);
            CHECK(st == FP_OK, "%s %s: %s", m.name, cm_dtype_name(o.dtype), err);
            if (st != FP_OK) continue;
            check_plan_properties(&m, &g, &p, d ? "fp16 tc" : "int8");
            for (int i = 0; i < p.n_units; i++) {
                const fp_unit *u = &p.units[i];
                const fp_layer *l = &m.layers[u->layers[0]];
                if (!d) {
                    CHECK(u->kind == FP_UNIT_OTHER, "%s int8: unit %d (%s) is a kernel unit", m.name,
                          i, l->name);
                    if (l->cls == FP_CLASS_DW || l->cls == FP_CLASS_PW)
                        CHECK(strcmp(fp_unit_backend(&m, u), "cudnn") == 0 && u->note[0],
                              "%s int8: %s runs on cuDNN and says why", m.name, l->name);
                    continue;
                }
                if (u->kind == FP_UNIT_OTHER) {
                    char why[256];
                    if (l->cls == FP_CLASS_DW || l->cls == FP_CLASS_PW)
                        CHECK(!fp_layer_has_variant(&m, u->layers[0], &o, why, sizeof why),
                              "%s fp16: %s has a variant but runs on cuDNN", m.name, l->name);
                    continue;
                }
                const cm_variant *v = cm_variant_of(&u->cu, &u->tile);
                CHECK(v && v->id.dtype == CM_F16 &&
                          v->id.math == (u->kind == CM_KIND_DW ? CM_MATH_SIMT : CM_MATH_TC),
                      "%s fp16: unit %d (%s) runs %s", m.name, i, l->name, v ? v->name : "no row");
            }
            fp_plan_free(&p);
        }
        fp_model_free(&m);
    }
}

/* Plan format 2: the variant name is the unit's identity; every error is one
 * line naming the file, the JSON path and the bad value. */
static void test_plan_format(void) {
    fp_model m;
    fp_gpu_spec g;
    char err[1024];
    CHECK(fp_open_model("mobilenet_v2", &m, err, sizeof err) == FP_OK, "%s", err);
    CHECK(fp_open_gpu("h100_sxm", &g, err, sizeof err) == FP_OK, "%s", err);
    fp_plan_options o = fp_plan_default_options();
    fp_plan p, q;
    CHECK(fp_plan_build(&m, &g, &o, &p, err, sizeof err) == FP_OK, "%s", err);
    char *j = fp_plan_to_json(&p, &m);
    cJSON *root = cJSON_Parse(j);
    CHECK(root && strcmp(cJSON_GetObjectItemCaseSensitive(root, "math")->valuestring, "simt") == 0,
          "the plan records its math mode");
    /* the first kernel unit (units[0] is the stem conv) */
    int ku = -1;
    for (int i = 0; i < p.n_units && ku < 0; i++)
        if (p.units[i].kind != FP_UNIT_OTHER) ku = i;
    CHECK(ku > 0, "a kernel unit after the stem");
    CHECK(strcmp(p.units[ku].variant, "dwpw_f32_simt_t4x8_c32_k32_n128") == 0 ||
              strncmp(p.units[ku].variant, "dwpw_f32_simt_", 14) == 0,
          "variant %s carries kind, dtype and math", p.units[ku].variant);
    struct edit {
        const char *member;   /* in units[ku], or at the top with top = true */
        bool top;
        const char *value;    /* a string, or NULL for a number 1 (version) */
        const char *want[3];  /* fragments of the one-line message */
    } edits[] = {
        {"version", true, NULL, {"p.json: version: 1 is an older plan format", "re-plan it with `fuseplan plan`", NULL}},
        {"variant", false, "dwpw_f32_simt_t4x999_c32_k32_n128",
         {"p.json: units[1].variant: \"dwpw_f32_simt_t4x999_c32_k32_n128\" is not a compiled variant (costmodel/cm_variants.inc)", NULL, NULL}},
        {"variant", false, "dwpw_t4x8_c32_k32_n128", {"p.json: units[1].variant: \"dwpw_t4x8_c32_k32_n128\" is not a variant name", NULL, NULL}},
        {"variant", false, "pw_f32_simt_t1x64_c16_k32_n64", {"p.json: units[1].variant: \"pw_f32_simt_t1x64_c16_k32_n64\"", "is a pw variant but these layers form a dwpw unit", NULL}},
        {"variant", false, "dwpw_f16_simt_t4x8_c32_k32_n128", {"p.json: units[1].variant: \"dwpw_f16_simt_t4x8_c32_k32_n128\"", NULL, NULL}},
        {"backend", false, "cudnn", {"p.json: units[1].backend: \"cudnn\": this unit runs on fuseplan", NULL, NULL}},
        {"math", true, "warp", {"p.json: math: \"warp\" is not simt or tc", NULL, NULL}},
        {"math", true, "tc", {"p.json: units[1].variant: ", "is a simt variant but a dwpw unit of this plan (math tc) is tc", NULL}},
        {"forced_variants", true, "pw_f32_simt_t1x999_c16_k32_n64", {"p.json: forced_variants[0]: \"pw_f32_simt_t1x999_c16_k32_n64\" is not a compiled variant", NULL, NULL}},
    };
    for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
        cJSON *r = cJSON_Duplicate(root, true);
        cJSON *at = edits[e].top ? r : cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "units"), ku);
        cJSON *v = edits[e].value ? cJSON_CreateString(edits[e].value) : cJSON_CreateNumber(1);
        if (strcmp(edits[e].member, "forced_variants") == 0) {
            cJSON *a = cJSON_CreateArray();
            cJSON_AddItemToArray(a, v);
            v = a;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(at, edits[e].member, v);
        char *text = cJSON_Print(r);
        fp_status st = fp_plan_parse("p.json", text, strlen(text), &m, &g, &q, err, sizeof err);
        CHECK(st == FP_ERR_INVALID, "edit %zu (%s): status %s", e, edits[e].member, fp_status_str(st));
        if (st == FP_OK) fp_plan_free(&q);
        for (int k = 0; k < 3 && edits[e].want[k]; k++)
            CHECK(strstr(err, edits[e].want[k]) != NULL, "edit %zu: \"%s\" lacks \"%s\"", e, err,
                  edits[e].want[k]);
        CHECK(strchr(err, '\n') == NULL, "edit %zu: one line: %s", e, err);
        free(text);
        cJSON_Delete(r);
    }
    /* the tile is the variant's: a variant name with another tile that is
     * compiled and feasible re-derives that tile */
    size_t nv = 0;
    const cm_variant *vs = cm_variants(&nv);
    for (size_t i = 0; i < nv; i++) {
        if (vs[i].id.kind != (cm_kind)p.units[ku].kind || strcmp(vs[i].name, p.units[ku].variant) == 0)
            continue;
        cJSON *r = cJSON_Duplicate(root, true);
        cJSON *u = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "units"), ku);
        cJSON_ReplaceItemInObjectCaseSensitive(u, "variant", cJSON_CreateString(vs[i].name));
        char *text = cJSON_Print(r);
        fp_status st = fp_plan_parse("p.json", text, strlen(text), &m, &g, &q, err, sizeof err);
        if (st == FP_OK) {
            CHECK(cm_tile_equal(&q.units[ku].tile, &vs[i].id.tile) &&
                      strcmp(q.units[ku].variant, vs[i].name) == 0,
                  "the unit's tile is its variant's (%s)", vs[i].name);
            fp_plan_free(&q);
        }
        free(text);
        cJSON_Delete(r);
        break;
    }
    cJSON_Delete(root);
    free(j);
    fp_plan_free(&p);
    fp_model_free(&m);
}

/* ---- optimality: brute force over every segmentation of random chains ----
 *
 * A unit's estimate depends on the L2 state the units before it leave
 * (fp_unit_l2_ctx), so the brute force places each segmentation's units one
 * after the other and evaluates each in the state the placed ones give it:
 * the rule itself, not the planner's DP over states. */

/* The cost of unit L[0..n) (residual add res or -1) after placed[0..np);
 * *u receives the unit, to be placed in turn. DBL_MAX when it cannot run. */
static double unit_cost(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                        const fp_unit *placed, int np, const int *L, int n, int res, fp_unit *u) {
    char why[256];
    if (n > 1) {
        cm_kind k;
        if (!fp_chain_fusable(m, L, n, &k, why, sizeof why) || !(o->allowed & (1u << k)))
            return DBL_MAX;
    }
    if (n == 1 && !fp_layer_has_variant(m, L[0], o, why, sizeof why)) {
        /* no variant: a cuDNN unit of its own, which cannot absorb an add */
        if (res >= 0) return DBL_MAX;
        fp_unit_eval_other(m, g, o, L[0], u);
    } else {
        const fp_l2_ctx x = fp_unit_l2_ctx(m, placed, np, L, n, res);
        if (!fp_unit_eval_ctx(m, g, o, L, n, res, &x, u, why, sizeof why)) return DBL_MAX;
    }
    return o->objective == FP_OBJECTIVE_TIME ? u->est.time_us
                                             : (double)(u->est.traffic.load_bytes + u->est.traffic.store_bytes);
}

/* Minimum over all 2^(n-1) cut sets (segments longer than 3 are illegal). */
static double brute_force(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                          const int *L, int n, int add, double add_cost) {
    double best = DBL_MAX;
    fp_unit placed[8], u, v;
    for (unsigned cuts = 0; cuts < (1u << (n - 1)); cuts++) {
        double total = 0;
        int start = 0, np = 0;
        for (int i = 1; i <= n && total < DBL_MAX; i++) {
            if (i < n && !(cuts & (1u << (i - 1)))) continue;
            int len = i - start;
            double c;
            if (len > 3) {
                c = DBL_MAX;
            } else if (i == n && add >= 0) {
                double with = unit_cost(m, g, o, placed, np, L + start, len, add, &u);
                double without = unit_cost(m, g, o, placed, np, L + start, len, -1, &v);
                c = with;
                if (without < DBL_MAX && without + add_cost < c) c = without + add_cost;
            } else {
                c = unit_cost(m, g, o, placed, np, L + start, len, -1, &u);
                placed[np++] = u;
            }
            total = c == DBL_MAX ? DBL_MAX : total + c;
            start = i;
        }
        if (total < best) best = total;
    }
    return best;
}

/* Greedy FusePlanner-style pairing: fuse consecutive pairs left to right
 * whenever the pair is legal and cheaper than the two alone (each unit in
 * the L2 state of the units placed before it). */
static double greedy(const fp_model *m, const fp_gpu_spec *g, const fp_plan_options *o,
                     const int *L, int n) {
    double total = 0;
    fp_unit placed[8], one_u, pair_u, two_u;
    int np = 0;
    for (int i = 0; i < n;) {
        double one = unit_cost(m, g, o, placed, np, L + i, 1, -1, &one_u);
        if (i + 1 < n) {
            double pair = unit_cost(m, g, o, placed, np, L + i, 2, -1, &pair_u);
            placed[np] = one_u;
            double two = one < DBL_MAX ? unit_cost(m, g, o, placed, np + 1, L + i + 1, 1, -1, &two_u) : DBL_MAX;
            if (pair < DBL_MAX && (one == DBL_MAX || two == DBL_MAX || pair < one + two)) {
                total += pair;
                placed[np++] = pair_u;
                i += 2;
                continue;
            }
        }
        total = one == DBL_MAX ? DBL_MAX : total + one;
        placed[np++] = one_u;
        i++;
    }
    return total;
}

static void test_optimality(void) {
    fp_gpu_spec gs[2];
    char err[1024];
    CHECK(fp_open_gpu("h100_sxm", &gs[0], err, sizeof err) == FP_OK, "%s", err);
    CHECK(fp_open_gpu("gtx1660", &gs[1], err, sizeof err) == FP_OK, "%s", err);
    int cases = 0, beat_greedy = 0;
    for (int trial = 0; trial < 120; trial++) {
        int n = 2 + (int)rnd(7); /* 2..8 layers */
        int hw = 7 + (int)rnd(50), c = 8 * (1 + (int)rnd(12));
        int in_c = c;
        bool residual = rnd(2);
        char text[8192];
        int at = snprintf(text, sizeof text,
                          "{\"format\": \"fuseplan-model\", \"version\": 1, \"name\": \"r\", "
                          "\"input\": {\"name\": \"x\", \"shape\": [%d, %d, %d]}, \"layers\": [",
                          hw, hw, in_c);
        char prev[16] = "x";
        int cur_c = in_c;
        bool prev_dw = false;
        for (int i = 0; i < n; i++) {
            bool dw = !prev_dw && rnd(2); /* no dw->dw: keeps chains long */
            bool last = i == n - 1;
            int out_c = dw ? cur_c : (last && residual ? in_c : 8 * (1 + (int)rnd(24)));
            if (last && residual && dw && cur_c != in_c) dw = false, out_c = in_c;
            const char *act = rnd(3) == 0 ? "none" : (rnd(2) ? "relu" : "relu6");
            if (dw)
                at += snprintf(text + at, sizeof text - (size_t)at,
                               "%s{\"name\": \"l%d\", \"op\": \"conv2d\", \"inputs\": [\"%s\"], "
                               "\"output\": \"t%d\", \"filters\": %d, \"kernel\": %d, \"groups\": %d, "
                               "\"activation\": \"%s\"}", i ? ", " : "", i, prev, i, cur_c,
                               /* 1 in 8 has kernel 4: no variant, a cuDNN unit the DP must
                                  plan around */
                               rnd(8) == 0 ? 4 : 3 + 2 * (int)rnd(3), cur_c, act);
            else
                at += snprintf(text + at, sizeof text - (size_t)at,
                               "%s{\"name\": \"l%d\", \"op\": \"conv2d\", \"inputs\": [\"%s\"], "
                               "\"output\": \"t%d\", \"filters\": %d, \"kernel\": 1, "
                               "\"activation\": \"%s\"}", i ? ", " : "", i, prev, i, out_c, act);
            snprintf(prev, sizeof prev, "t%d", i);
            cur_c = out_c;
            prev_dw = dw;
        }
        if (residual && cur_c == in_c) {
            at += snprintf(text + at, sizeof text - (size_t)at,
                           ", {\"name\": \"add\", \"op\": \"add\", \"inputs\": [\"%s\", \"x\"], "
                           "\"output\": \"y\"}], \"outputs\": [\"y\"]}", prev);
        } else {
            residual = false;
            at += snprintf(text + at, sizeof text - (size_t)at, "], \"outputs\": [\"%s\"]}", prev);
        }
        fp_model m;
        if (parse_model(text, &m, err, sizeof err) != FP_OK) {
            CHECK(0, "random model: %s", err);
            continue;
        }
        const fp_gpu_spec *g = &gs[trial % 2];
        fp_plan_options o = fp_plan_default_options();
        o.batch = 1 + (int)rnd(64);
        o.dtype = rnd(4) ? CM_F32 : CM_F16; /* fp16: no variants yet, every layer on cuDNN */
        o.objective = rnd(3) == 0 ? FP_OBJECTIVE_TRAFFIC : FP_OBJECTIVE_TIME;
        if (rnd(4) == 0) o.allowed = FP_ALLOW_ALL_FUSED & ~(1u << CM_KIND_PWDWPW);
        int L[8];
        for (int i = 0; i < n; i++) L[i] = i;
        int add = residual ? n : -1;
        double add_cost = 0;
        if (add >= 0) {
            fp_unit au;
            fp_unit_eval_other(&m, g, &o, add, &au);
            add_cost = o.objective == FP_OBJECTIVE_TIME
                           ? au.est.time_us
                           : (double)(au.est.traffic.load_bytes + au.est.traffic.store_bytes);
        }
        /* the whole random model is one chain only if every edge is fusable */
        bool one_chain = true;
        char why[256];
        cm_kind k;
        for (int i = 0; i + 1 < n; i++) {
            int pr[2] = {i, i + 1};
            if (!fp_chain_fusable(&m, pr, 2, &k, why, sizeof why)) one_chain = false;
        }
        fp_plan p;
        fp_status st = fp_plan_build(&m, g, &o, &p, err, sizeof err);
        CHECK(st == FP_OK, "trial %d: %s", trial, err);
        if (st == FP_OK && one_chain) {
            double planned = 0;
            for (int i = 0; i < p.n_units; i++)
                planned += o.objective == FP_OBJECTIVE_TIME
                               ? p.units[i].est.time_us
                               : (double)(p.units[i].est.traffic.load_bytes +
                                          p.units[i].est.traffic.store_bytes);
            double bf = brute_force(&m, g, &o, L, n, add, add_cost);
            CHECK(fabs(planned - bf) <= 1e-9 * bf, "trial %d (%d layers): plan %.9g vs brute force %.9g",
                  trial, n, planned, bf);
            if (!residual) {
                double gr = greedy(&m, g, &o, L, n);
                CHECK(planned <= gr * (1 + 1e-12), "trial %d: plan %.9g worse than greedy %.9g",
                      trial, planned, gr);
                beat_greedy += planned < gr * (1 - 1e-9);
            }
            cases++;
        }
        if (st == FP_OK) fp_plan_free(&p);
        fp_model_free(&m);
    }
    CHECK(cases >= 100, "%d brute-force cases", cases);
    printf("optimality: %d random chains match brute force; plan strictly beats greedy pairing on %d\n",
           cases, beat_greedy);
}

/* ---- goldens ----
 *
 * tests/golden/README.md says what is compared and why. A golden is derived
 * from the plan JSON that `fuseplan plan -o` writes (so the writer is under
 * test too) and keeps only what a reviewer must see: the decisions (units in
 * order: kind, backend, variant, layers, residual) and the numbers that
 * justify them (per-unit time, traffic, DRAM bytes; the totals), one unit
 * per line, so that a diff shows which decisions changed. */

/* Numbers relative to each other within GOLDEN_REL (plus GOLDEN_ABS, for
 * values near 0) compare equal; strings, nulls and structure exactly. */
#define GOLDEN_REL 1e-9
#define GOLDEN_ABS 1e-9
/* Digits written: rounding to them moves a value by 5e-13 relative, far
 * inside GOLDEN_REL, and keeps the files short. */
#define GOLDEN_DIGITS 12

static cJSON *golden_number(double v) {
    char b[40];
    snprintf(b, sizeof b, "%.*g", GOLDEN_DIGITS, v);
    return cJSON_CreateNumber(strtod(b, NULL));
}

static void golden_copy(cJSON *to, const cJSON *from, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);
    cJSON_AddItemToObject(to, key, v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
}

static double num_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The golden view of a plan file's text (NULL if it does not parse). */
static cJSON *golden_of_plan(const char *plan_json) {
    cJSON *plan = cJSON_Parse(plan_json);
    if (!plan) return NULL;
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "format", "fuseplan-golden");
    cJSON_AddNumberToObject(g, "version", 1);
    cJSON_AddNumberToObject(g, "plan_version", num_of(plan, "version"));
    cJSON_AddStringToObject(g, "model",
                            cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(plan, "model"), "name")->valuestring);
    cJSON_AddStringToObject(g, "gpu",
                            cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(plan, "gpu"), "id")->valuestring);
    golden_copy(g, plan, "batch");
    golden_copy(g, plan, "dtype");
    golden_copy(g, plan, "math");
    golden_copy(g, plan, "objective");
    cJSON *units = cJSON_AddArrayToObject(g, "units");
    const cJSON *u;
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(plan, "units")) {
        cJSON *o = cJSON_CreateObject();
        golden_copy(o, u, "kind");
        golden_copy(o, u, "backend");
        golden_copy(o, u, "variant");
        golden_copy(o, u, "layers");
        golden_copy(o, u, "residual");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(u, "estimate");
        cJSON_AddItemToObject(o, "time_us", golden_number(num_of(e, "time_us")));
        cJSON_AddItemToObject(o, "traffic_bytes",
                              golden_number(num_of(e, "load_bytes") + num_of(e, "store_bytes")));
        cJSON_AddItemToObject(o, "dram_bytes",
                              golden_number(num_of(e, "dram_read_bytes") + num_of(e, "dram_write_bytes")));
        cJSON_AddItemToArray(units, o);
    }
    cJSON *t = cJSON_CreateObject();
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(plan, "totals"), *v;
    cJSON_ArrayForEach(v, pt) cJSON_AddItemToObject(t, v->string, golden_number(v->valuedouble));
    cJSON_AddItemToObject(g, "totals", t);
    cJSON_Delete(plan);
    return g;
}

/* The golden file's text: the header on one line, then one line per unit,
 * then the totals. */
static char *golden_text(const cJSON *g) {
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    out[0] = 0;
#define APPEND(str)                                                                        \
    do {                                                                                   \
        const char *s_ = (str);                                                            \
        size_t n_ = strlen(s_);                                                            \
        if (len + n_ + 1 > cap) {                                                          \
            while (len + n_ + 1 > cap) cap *= 2;                                           \
            char *r_ = realloc(out, cap);                                                  \
            if (!r_) {                                                                     \
                free(out);                                                                 \
                return NULL;                                                               \
            }                                                                              \
            out = r_;                                                                      \
        }                                                                                  \
        memcpy(out + len, s_, n_ + 1);                                                     \
        len += n_;                                                                         \
    } while (0)
    APPEND("{");
    const cJSON *v;
    bool first = true;
    cJSON_ArrayForEach(v, g) {
        if (strcmp(v->string, "units") == 0 || strcmp(v->string, "totals") == 0) continue;
        char *k = cJSON_PrintUnformatted(v);
        APPEND(first ? "\"" : ", \"");
        APPEND(v->string);
        APPEND("\": ");
        APPEND(k);
        free(k);
        first = false;
    }
    APPEND(",\n\"units\": [\n");
    const cJSON *units = cJSON_GetObjectItemCaseSensitive(g, "units");
    cJSON_ArrayForEach(v, units) {
        char *k = cJSON_PrintUnformatted(v);
        APPEND("  ");
        APPEND(k);
        APPEND(v->next ? ",\n" : "\n");
        free(k);
    }
    char *k = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(g, "totals"));
    APPEND("],\n\"totals\": ");
    APPEND(k);
    APPEND("}\n");
    free(k);
#undef APPEND
    return out;
}

/* cJSON_Compare's walk with GOLDEN_REL on numbers; reports up to *budget
 * differences, each naming its JSON path. Returns the number found. */
static int golden_diff(const char *file, const cJSON *want, const cJSON *got, const char *path,
                       int *budget) {
    char a[160], b[160];
#define REPORT(...)                                                                        \
    do {                                                                                   \
        if (*budget > 0) {                                                                 \
            (*budget)--;                                                                   \
            CHECK(0, __VA_ARGS__);                                                         \
        }                                                                                  \
        return 1;                                                                          \
    } while (0)
    if (!want || !got || (want->type & 0xFF) != (got->type & 0xFF)) {
        char *w = want ? cJSON_PrintUnformatted(want) : NULL, *g = got ? cJSON_PrintUnformatted(got) : NULL;
        snprintf(a, sizeof a, "%s", w ? w : "(missing)");
        snprintf(b, sizeof b, "%s", g ? g : "(missing)");
        free(w);
        free(g);
        REPORT("%s: %s: golden %s, now %s", file, path, a, b);
    }
    if (cJSON_IsNumber(want)) {
        double x = want->valuedouble, y = got->valuedouble;
        double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
        if (!(fabs(x - y) <= GOLDEN_REL * scale + GOLDEN_ABS))
            REPORT("%s: %s: golden %.12g, now %.12g (relative %.2g > %g)", file, path, x, y,
                   fabs(x - y) / (scale > 0 ? scale : 1), GOLDEN_REL);
        return 0;
    }
    if (cJSON_IsString(want)) {
        if (strcmp(want->valuestring, got->valuestring) != 0)
            REPORT("%s: %s: golden \"%s\", now \"%s\"", file, path, want->valuestring,
                   got->valuestring);
        return 0;
    }
    if (cJSON_IsArray(want)) {
        int nw = cJSON_GetArraySize(want), ng = cJSON_GetArraySize(got), diffs = 0;
        if (nw != ng) {
            diffs++;
            if (*budget > 0) {
                (*budget)--;
                CHECK(0, "%s: %s: %d entries in the golden, %d now", file, path, nw, ng);
            }
        }
        for (int i = 0; i < nw && i < ng; i++) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            diffs += golden_diff(file, cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i), sub,
                                 budget);
        }
        return diffs;
    }
    if (cJSON_IsObject(want)) {
        int diffs = 0;
        const cJSON *w;
        cJSON_ArrayForEach(w, want) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", w->string);
            diffs += golden_diff(file, w, cJSON_GetObjectItemCaseSensitive(got, w->string), sub,
                                 budget);
        }
        cJSON_ArrayForEach(w, got) {
            if (cJSON_GetObjectItemCaseSensitive(want, w->string)) continue;
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", w->string);
            diffs += golden_diff(file, NULL, w, sub, budget);
        }
        return diffs;
    }
    return 0; /* null, true, false: the type is the value */
#undef REPORT
}

/* The comparison itself: equal trees pass, a perturbed number within the
 * tolerance passes, one beyond it and a changed decision fail. */
static void test_golden_compare(void) {
    cJSON *a = cJSON_Parse("{\"u\": [{\"variant\": \"pw_f32_simt_t1x64_c16_k32_n64\", "
                           "\"time_us\": 12.5, \"dram_bytes\": 0}]}");
    cJSON *b = cJSON_Duplicate(a, true);
    int budget = 0;
    CHECK(golden_diff("x", a, b, "", &budget) == 0, "equal trees compare equal");
    cJSON *u0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "u"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(u0, "time_us"), 12.5 * (1 + 1e-11));
    CHECK(golden_diff("x", a, b, "", &budget) == 0, "a number within the tolerance is equal");
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(u0, "time_us"), 12.5 * (1 + 1e-7));
    CHECK(golden_diff("x", a, b, "", &budget) == 1, "a number beyond the tolerance differs");
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(u0, "time_us"), 12.5);
    cJSON_ReplaceItemInObjectCaseSensitive(u0, "variant",
                                           cJSON_CreateString("pw_f32_simt_t1x128_c16_k32_n64"));
    CHECK(golden_diff("x", a, b, "", &budget) == 1, "a changed variant differs");
    cJSON_DeleteItemFromObjectCaseSensitive(u0, "variant");
    CHECK(golden_diff("x", a, b, "", &budget) == 1, "a missing member differs");
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static int count_golden_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        n += l > 5 && strcmp(e->d_name + l - 5, ".json") == 0;
    }
    closedir(d);
    return n;
}

static void test_goldens(const char *src) {
    /* FUSEPLAN_REGEN_GOLDEN=1 rewrites every golden from the plans built now
     * (tests/golden/README.md: review the diff like code) */
    bool regen = getenv("FUSEPLAN_REGEN_GOLDEN") != NULL;
    const char *mp;
    int n = 0;
    for (int mi = 0; (mp = fp_shipped("models", mi, NULL, NULL)); mi++) {
        fp_model m;
        char err[1024];
        if (fp_open_model(mp, &m, err, sizeof err) != FP_OK) continue;
        for (size_t gi = 0; gi < sizeof GOLDEN_GPUS / sizeof GOLDEN_GPUS[0]; gi++) {
            fp_gpu_spec g;
            if (fp_open_gpu(GOLDEN_GPUS[gi], &g, err, sizeof err) != FP_OK) continue;
            for (int b = 0; b < 2; b++)
                for (int d = 0; d < 2; d++) {
                    fp_plan_options o = fp_plan_default_options();
                    o.batch = b ? 64 : 1;
                    o.dtype = d ? CM_F16 : CM_F32;
                    /* each dtype's default math, as `fuseplan plan` uses:
                     * fp16 on tensor cores, fp32 strict */
                    o.math = d ? CM_MATH_TC : CM_MATH_SIMT;
                    fp_plan p;
                    if (fp_plan_build(&m, &g, &o, &p, err, sizeof err) != FP_OK) {
                        CHECK(0, "%s", err);
                        continue;
                    }
                    char *json = fp_plan_to_json(&p, &m);
                    cJSON *got = json ? golden_of_plan(json) : NULL;
                    char *text = got ? golden_text(got) : NULL;
                    char path[1024];
                    snprintf(path, sizeof path, "%s/tests/golden/%s_%s_b%d_%s.json", src, m.name,
                             g.id, o.batch, cm_dtype_name(o.dtype));
                    CHECK(text != NULL, "%s: golden view of the plan", path);
                    if (regen && text) {
                        FILE *f = fopen(path, "w");
                        CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", path);
                    } else if (text) {
                        char *old = NULL;
                        size_t len = 0;
                        fp_status st = fpj_read_file(path, 64u << 20, &old, &len, err, sizeof err);
                        CHECK(st == FP_OK, "%s (regenerate with FUSEPLAN_REGEN_GOLDEN=1 and review)", err);
                        if (st == FP_OK) {
                            cJSON *want = cJSON_Parse(old);
                            CHECK(want != NULL, "%s is not JSON", path);
                            int budget = 8;
                            if (want && golden_diff(path, want, got, "", &budget) > 0)
                                CHECK(0, "%s differs from the plan built now (review; regenerate "
                                      "with FUSEPLAN_REGEN_GOLDEN=1, tests/golden/README.md)", path);
                            cJSON_Delete(want);
                            free(old);
                        }
                    }
                    n++;
                    free(text);
                    cJSON_Delete(got);
                    free(json);
                    fp_plan_free(&p);
                }
        }
        fp_model_free(&m);
    }
    CHECK(n >= 60, "%d golden plans", n);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/golden", src);
    int files = count_golden_files(dir);
    CHECK(files == n, "%s holds %d golden files, the test builds %d (remove stale ones)", dir, files,
          n);
}

/* The headline: MobileNetV2 at batch 64 fp32 on H100 fuses its early
 * inverted-residual blocks, where the intermediates' round trips through
 * DRAM dominate: block 1 (112x112, 96 expanded channels) whole, and at least
 * 6 units in all. Not the 7x7 and 14x14 blocks: measured on the H100
 * (bench/results/2026-11-22-NVIDIA_H100-validation, b64), fusing blocks 4 to
 * 16 whole is 1.1-5x slower than their layers, and the model says so since
 * it counts the work the kernels execute (docs/costmodel.md section 4). */
static void test_mobilenet_v2_fuses(void) {
    fp_model m;
    fp_gpu_spec g;
    char err[1024];
    fp_open_model("mobilenet_v2", &m, err, sizeof err);
    fp_open_gpu("h100_sxm", &g, err, sizeof err);
    fp_plan_options o = fp_plan_default_options();
    o.batch = 64;
    fp_plan p;
    CHECK(fp_plan_build(&m, &g, &o, &p, err, sizeof err) == FP_OK, "%s", err);
    int blocks = 0, with_residual = 0, whole = 0;
    for (int i = 0; i < p.n_units; i++) {
        blocks += p.units[i].n_layers > 1;
        whole += p.units[i].kind == CM_KIND_PWDWPW;
        with_residual += p.units[i].n_layers > 1 && p.units[i].residual_layer >= 0;
        if (p.units[i].kind == CM_KIND_DW || p.units[i].kind == CM_KIND_PW)
            CHECK(p.units[i].note[0] != 0, "unfused unit %d explains itself", i);
    }
    /* 17 blocks; 10 have a residual add */
    bool b1_whole = false;
    for (int i = 0; i < p.n_units; i++)
        b1_whole = b1_whole || (p.units[i].kind == CM_KIND_PWDWPW &&
                                strcmp(m.layers[p.units[i].layers[0]].name, "b1_expand") == 0);
    CHECK(blocks >= 6 && with_residual >= 2 && b1_whole,
          "mobilenet_v2 b64: %d fused units, %d absorb a residual, block 1 whole %d", blocks, with_residual,
          b1_whole);
    printf("mobilenet_v2 b64 fp32 h100: %d units, %d fused (%d whole blocks, %d absorb the residual), "
           "est %.1f us vs %.1f us unfused\n", p.n_units, blocks, whole, with_residual,
           p.totals.time_us, p.totals.unfused_time_us);
    fp_plan_free(&p);
    fp_model_free(&m);
}

/* The L2 state of every unit of a plan is the documented rule
 * (fp_unit_l2_ctx over the units before it, docs/planner.md "L2
 * residency"): what the DP optimised is what the plan reader re-derives.
 * Every shipped model, H100 and GTX 1660 (a 1.5 MB L2), batch 1 and 64,
 * fp32 and fp16; and the rule's consequences on MobileNetV2: at batch 1
 * every unit's input is in L2 and carries its writer's dirty bytes. */
static void test_l2_state(void) {
    const char *gpus[2] = {"h100_sxm", "gtx1660"};
    int units = 0, hot = 0, dirty = 0;
    for (int mi = 0;; mi++) {
        const char *mp = fp_shipped("models", mi, NULL, NULL);
        if (!mp) break;
        fp_model m;
        char err[1024];
        if (fp_open_model(mp, &m, err, sizeof err) != FP_OK) continue;
        for (int gi = 0; gi < 2; gi++) {
            fp_gpu_spec g;
            CHECK(fp_open_gpu(gpus[gi], &g, err, sizeof err) == FP_OK, "%s", err);
            for (int bi = 0; bi < 2; bi++)
                for (int di = 0; di < 2; di++) {
                    fp_plan_options o = fp_plan_default_options();
                    o.batch = bi ? 64 : 1;
                    o.dtype = di ? CM_F16 : CM_F32;
                    o.math = di ? CM_MATH_TC : CM_MATH_SIMT;
                    fp_plan p;
                    if (fp_plan_build(&m, &g, &o, &p, err, sizeof err) != FP_OK) continue;
                    for (int i = 0; i < p.n_units; i++) {
                        const fp_unit *u = &p.units[i];
                        if (u->kind == FP_UNIT_OTHER) continue;
                        const fp_l2_ctx x = fp_unit_l2_ctx(&m, p.units, i, u->layers, u->n_layers, u->residual_layer);
                        const bool rh = u->cu.residual && !u->cu.residual_is_input && x.residual_hot;
                        CHECK(u->cu.input_hot == x.input_hot && u->cu.input_dirty_bytes == x.input_dirty_bytes &&
                                  u->cu.residual_hot == rh,
                              "%s %s b%d %s unit %d (%s): planned hot %d/%d dirty %llu, the rule says %d/%d %llu",
                              m.name, gpus[gi], o.batch, cm_dtype_name(o.dtype), i, m.layers[u->layers[0]].name,
                              u->cu.input_hot, u->cu.residual_hot, (unsigned long long)u->cu.input_dirty_bytes,
                              x.input_hot, rh, (unsigned long long)x.input_dirty_bytes);
                        units++;
                        hot += u->cu.input_hot;
                        dirty += u->cu.input_dirty_bytes > 0;
                    }
                    if (gi == 0 && bi == 0 && di == 0 && strcmp(m.name, "mobilenet_v2") == 0)
                        for (int i = 1; i < p.n_units; i++) {
                            const fp_unit *u = &p.units[i], *v = &p.units[i - 1];
                            if (u->kind == FP_UNIT_OTHER || v->kind == FP_UNIT_OTHER) continue;
                            CHECK(u->cu.input_hot && u->cu.input_dirty_bytes == v->est.output_dirty_bytes &&
                                      u->est.dram_write_bytes >= u->cu.input_dirty_bytes,
                                  "mobilenet_v2 b1 unit %d: cold input or no write-back", i);
                        }
                    fp_plan_free(&p);
                }
        }
        fp_model_free(&m);
    }
    CHECK(units > 500 && hot > 100 && dirty > 100, "%d kernel units, %d hot, %d with dirty input", units, hot, dirty);
    printf("L2 state: %d kernel units in the rule's state (%d hot inputs, %d write back their input)\n", units, hot,
           dirty);
}

/* The calibrated fusion margin: a fused unit must beat its layers by more
 * than it. Every fusion chosen with margin m saves more than m by the
 * estimates, a larger margin never fuses more, and a huge one fuses nothing. */
static void test_fusion_margin(void) {
    fp_model m;
    fp_gpu_spec g;
    char err[1024];
    CHECK(fp_open_model("mobilenet_v2", &m, err, sizeof err) == FP_OK, "%s", err);
    CHECK(fp_open_gpu("h100_sxm", &g, err, sizeof err) == FP_OK, "%s", err);
    fp_plan_options o = fp_plan_default_options();
    int prev = 1 << 30;
    /* 2: a fusion must be 3x faster than its layers; the best at batch 1
     * (b1's block: one launch instead of three) is about 2x */
    const double margins[4] = {0.0, 0.05, 0.2, 2.0};
    for (int k = 0; k < 4; k++) {
        g.fusion_margin = margins[k];
        fp_plan p;
        CHECK(fp_plan_build(&m, &g, &o, &p, err, sizeof err) == FP_OK, "%s", err);
        int fused = 0;
        for (int i = 0; i < p.n_units; i++) {
            const fp_unit *u = &p.units[i];
            if (u->n_layers < 2) continue;
            fused++;
            CHECK(u->est.time_us * (1.0 + margins[k]) <= u->unfused.time_us * (1 + 1e-9),
                  "margin %.2f: unit %d fused for %.3f vs %.3f us", margins[k], i, u->est.time_us,
                  u->unfused.time_us);
        }
        CHECK(fused <= prev, "margin %.2f fuses %d units, more than %d with a smaller one",
              margins[k], fused, prev);
        if (k == 0) CHECK(fused > 0, "no fusion without a margin");
        if (k == 3) CHECK(fused == 0, "margin 2 still fuses %d units", fused);
        prev = fused;
        fp_plan_free(&p);
    }
    fp_model_free(&m);
}

int main(int argc, char **argv) {
    const char *src = argc > 1 ? argv[1] : ".";
    test_fusion_margin();
    test_l2_state();
    test_legality();
    test_optimality();
    test_mismatch();
    test_any_conv();
    test_dtype_units();
    test_plan_format();
    test_mobilenet_v2_fuses();
    test_all_plans();
    test_golden_compare();
    test_goldens(src);
    return check_summary("planner");
}
