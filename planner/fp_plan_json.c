/* fp_plan_json.c - plan files: writing (deterministic) and reading back
 * (hash-checked against the model and GPU spec it is run with). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fp_data.h"
#include "fp_json.h"
#include "fp_plan.h"

static void hash_str(uint64_t h, char *buf, size_t n) {
    snprintf(buf, n, "fnv1a64:%016" PRIx64, h);
}

/* parts: also the time model's parts (a single kernel's estimate, not a sum) */
static void add_estimate(cJSON *o, const cm_estimate *e, bool parts) {
    cJSON_AddNumberToObject(o, "load_bytes", (double)e->traffic.load_bytes);
    cJSON_AddNumberToObject(o, "store_bytes", (double)e->traffic.store_bytes);
    cJSON_AddNumberToObject(o, "dram_read_bytes", (double)e->dram_read_bytes);
    cJSON_AddNumberToObject(o, "dram_write_bytes", (double)e->dram_write_bytes);
    cJSON_AddNumberToObject(o, "min_bytes", (double)e->min_bytes);
    cJSON_AddNumberToObject(o, "flops_cuda", e->flops_cuda);
    cJSON_AddNumberToObject(o, "flops_tensor", e->flops_tensor);
    cJSON_AddNumberToObject(o, "time_us", e->time_us);
    if (!parts) return;
    /* the parts of the time model, for re-evaluating it (docs/costmodel.md, "Time") */
    cJSON_AddNumberToObject(o, "t_dram_us", e->t_dram_us);
    cJSON_AddNumberToObject(o, "t_l2_us", e->t_l2_us);
    cJSON_AddNumberToObject(o, "t_compute_us", e->t_compute_us);
    cJSON_AddNumberToObject(o, "t_launch_us", e->t_launch_us);
    cJSON_AddNumberToObject(o, "wave_efficiency", e->wave_efficiency);
    cJSON_AddNumberToObject(o, "warp_efficiency", e->warp_efficiency);
}

static const char *objective_name(fp_objective o) {
    return o == FP_OBJECTIVE_TIME ? "time" : "traffic";
}

char *fp_plan_to_json(const fp_plan *p, const fp_model *m) {
    char h[40];
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON_AddStringToObject(root, "format", FP_PLAN_FORMAT);
    cJSON_AddNumberToObject(root, "version", FP_PLAN_VERSION);
    cJSON_AddStringToObject(root, "planner", "fuseplan " FUSEPLAN_VERSION);
    cJSON *mo = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(mo, "name", p->model_name);
    cJSON_AddStringToObject(mo, "file", p->model_file);
    hash_str(p->model_hash, h, sizeof h);
    cJSON_AddStringToObject(mo, "hash", h);
    cJSON *go = cJSON_AddObjectToObject(root, "gpu");
    cJSON_AddStringToObject(go, "id", p->gpu_id);
    cJSON_AddStringToObject(go, "name", p->gpu_name);
    cJSON_AddStringToObject(go, "file", p->gpu_file);
    hash_str(p->gpu_hash, h, sizeof h);
    cJSON_AddStringToObject(go, "hash", h);
    cJSON_AddNumberToObject(root, "batch", p->opt.batch);
    cJSON_AddStringToObject(root, "dtype", cm_dtype_name(p->opt.dtype));
    cJSON_AddStringToObject(root, "math", cm_math_name(p->opt.math));
    cJSON_AddStringToObject(root, "objective", objective_name(p->opt.objective));
    cJSON *allowed = cJSON_AddArrayToObject(root, "allowed");
    for (int k = 0; k < CM_KIND_COUNT; k++)
        if (p->opt.allowed & (1u << k))
            cJSON_AddItemToArray(allowed, cJSON_CreateString(cm_kind_name((cm_kind)k)));
    /* --tile: the forced tile of a kind, named as the variant it must be */
    cJSON *forced = cJSON_AddArrayToObject(root, "forced_variants");
    for (int k = 0; k < CM_KIND_COUNT; k++)
        if (p->opt.tile_forced[k]) {
            cm_variant_id id = {(cm_kind)k, p->opt.dtype, cm_kind_math((cm_kind)k, p->opt.math),
                                p->opt.forced_tile[k]};
            char name[CM_VARIANT_NAME_MAX];
            cJSON_AddItemToArray(forced,
                                 cJSON_CreateString(cm_variant_id_format(&id, name, sizeof name)));
        }
    cJSON *units = cJSON_AddArrayToObject(root, "units");
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        cJSON *uo = cJSON_CreateObject();
        cJSON_AddItemToArray(units, uo);
        cJSON_AddStringToObject(uo, "kind", fp_unit_kind_name(m, u));
        cJSON_AddStringToObject(uo, "backend", fp_unit_backend(m, u));
        cJSON *ls = cJSON_AddArrayToObject(uo, "layers");
        for (int k = 0; k < u->n_layers; k++)
            cJSON_AddItemToArray(ls, cJSON_CreateString(m->layers[u->layers[k]].name));
        if (u->residual_layer >= 0)
            cJSON_AddStringToObject(uo, "residual", m->layers[u->residual_layer].name);
        else
            cJSON_AddNullToObject(uo, "residual");
        if (u->kind != FP_UNIT_OTHER) {
            /* the variant's name is the unit's tile too: no second spelling */
            cJSON_AddStringToObject(uo, "variant", u->variant ? u->variant : "");
            cJSON *lo = cJSON_AddObjectToObject(uo, "launch");
            cJSON *grid = cJSON_AddArrayToObject(lo, "grid");
            cJSON_AddItemToArray(grid, cJSON_CreateNumber((double)u->grid.grid_x));
            cJSON_AddItemToArray(grid, cJSON_CreateNumber((double)u->grid.grid_y));
            cJSON_AddNumberToObject(lo, "block", u->grid.block);
            cJSON_AddNumberToObject(lo, "smem_bytes", u->est.footprint.smem_bytes);
            cJSON_AddNumberToObject(lo, "ctas_per_sm", u->est.footprint.ctas_per_sm);
        }
        add_estimate(cJSON_AddObjectToObject(uo, "estimate"), &u->est, u->kind != FP_UNIT_OTHER);
        add_estimate(cJSON_AddObjectToObject(uo, "unfused"), &u->unfused, false);
        cJSON_AddStringToObject(uo, "note", u->note);
    }
    cJSON *t = cJSON_AddObjectToObject(root, "totals");
    cJSON_AddNumberToObject(t, "units", p->n_units);
    cJSON_AddNumberToObject(t, "fused_units", p->totals.fused_units);
    cJSON_AddNumberToObject(t, "time_us", p->totals.time_us);
    cJSON_AddNumberToObject(t, "unfused_time_us", p->totals.unfused_time_us);
    cJSON_AddNumberToObject(t, "traffic_bytes", (double)p->totals.traffic_bytes);
    cJSON_AddNumberToObject(t, "unfused_traffic_bytes", (double)p->totals.unfused_traffic_bytes);
    cJSON_AddNumberToObject(t, "dram_bytes", (double)p->totals.dram_bytes);
    cJSON_AddNumberToObject(t, "unfused_dram_bytes", (double)p->totals.unfused_dram_bytes);
    cJSON_AddNumberToObject(t, "flops", p->totals.flops);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return NULL;
    /* end with a newline like every text file */
    size_t n = strlen(text);
    char *out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

/* ---- reading ---- */

static const char *const PLAN_MEMBERS[] = {"format", "version", "planner", "model", "gpu", "batch",
                                           "dtype", "math", "objective", "allowed",
                                           "forced_variants", "units", "totals", NULL};
static const char *const MODEL_MEMBERS[] = {"name", "file", "hash", NULL};
static const char *const GPU_MEMBERS[] = {"id", "name", "file", "hash", NULL};
static const char *const UNIT_MEMBERS[] = {"kind", "backend", "layers", "residual", "variant",
                                           "launch", "estimate", "unfused", "note", NULL};

/* Reads a variant name at PATH.KEY (key NULL: the value v itself, at path):
 * it must parse (cm_variant_id_parse), be a compiled row (cm_variant_find)
 * and have the plan's dtype and the math its kind takes in the plan
 * (cm_kind_math: a DW is SIMT in every plan). The name is the variant's whole
 * identity, tile included. */
static bool read_variant(fp_jctx *c, const cJSON *v, const char *path, const char *key,
                         const fp_plan_options *o, cm_variant_id *id) {
    char r[96];
    if (!cJSON_IsString(v))
        return fpj_fail(c, path, key, "%s is not a variant name (a string)", fpj_repr(v, r, sizeof r));
    const char *s = v->valuestring;
    if (!cm_variant_id_parse(s, id))
        return fpj_fail(c, path, key, "\"%s\" is not a variant name "
                        "(KIND_DTYPE_MATH_tHxW_cC_kCHUNK_nTHREADS, e.g. "
                        "\"pw_f32_simt_t1x64_c16_k32_n64\")", s);
    if (id->dtype != o->dtype)
        return fpj_fail(c, path, key, "\"%s\" is a %s variant but the plan's dtype is %s", s,
                        cm_dtype_name(id->dtype), cm_dtype_name(o->dtype));
    const cm_math want = cm_kind_math(id->kind, o->math);
    if (id->math != want)
        return fpj_fail(c, path, key, "\"%s\" is a %s variant but a %s unit of this plan (math %s) "
                        "is %s", s, cm_math_name(id->math), cm_kind_name(id->kind),
                        cm_math_name(o->math), cm_math_name(want));
    if (!cm_variant_find(id))
        return fpj_fail(c, path, key, "\"%s\" is not a compiled variant (costmodel/cm_variants.inc)",
                        s);
    return true;
}

static int find_layer(const fp_model *m, const char *name) {
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -1;
}

static bool check_identity(fp_jctx *c, const cJSON *root, const char *key,
                           const char *const *members, uint64_t want, const char *against) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!o) return fpj_fail(c, "", key, "required member is missing");
    if (!fpj_check_object(c, o, key, members)) return false;
    const char *hs = NULL;
    if (!fpj_string(c, o, key, "hash", true, &hs)) return false;
    char h[40];
    hash_str(want, h, sizeof h);
    if (strcmp(hs, h) != 0) {
        c->status = FP_ERR_MISMATCH; /* set first: fpj_fail keeps an earlier status */
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "file");
        fpj_fail(c, key, "hash", "%s does not match %s (%s): the plan was made from %s; plan "
                 "again for this file", hs, against, h,
                 cJSON_IsString(f) ? f->valuestring : "another file");
        return false;
    }
    return true;
}

/* The note is the planner's explanation; it is kept as written. */
static bool read_note(fp_jctx *c, const cJSON *uj, const char *path, fp_unit *u) {
    const char *note = "";
    if (!fpj_string(c, uj, path, "note", false, &note)) return false;
    snprintf(u->note, sizeof u->note, "%s", note);
    return true;
}

/* The written "launch" must be what the cost model derives for the unit's
 * variant on this model and GPU: the runtime launches the derived geometry,
 * so a different one in the file is an edited or foreign plan. */
static bool check_launch(fp_jctx *c, const cJSON *uj, const char *path, const fp_unit *u) {
    static const char *const LAUNCH_MEMBERS[] = {"grid", "block", "smem_bytes", "ctas_per_sm",
                                                 NULL};
    char lp[64], r[96];
    snprintf(lp, sizeof lp, "%s.launch", path);
    const cJSON *lo = cJSON_GetObjectItemCaseSensitive(uj, "launch");
    if (!lo) return fpj_fail(c, path, "launch", "required member is missing");
    if (!fpj_check_object(c, lo, lp, LAUNCH_MEMBERS)) return false;
    const cJSON *grid = cJSON_GetObjectItemCaseSensitive(lo, "grid");
    if (!cJSON_IsArray(grid) || cJSON_GetArraySize(grid) != 2)
        return fpj_fail(c, lp, "grid", "%s is not [x, y]", fpj_repr(grid, r, sizeof r));
    const double want[5] = {(double)u->grid.grid_x, (double)u->grid.grid_y, (double)u->grid.block,
                            (double)u->est.footprint.smem_bytes,
                            (double)u->est.footprint.ctas_per_sm};
    const cJSON *got[5] = {cJSON_GetArrayItem(grid, 0), cJSON_GetArrayItem(grid, 1),
                           cJSON_GetObjectItemCaseSensitive(lo, "block"),
                           cJSON_GetObjectItemCaseSensitive(lo, "smem_bytes"),
                           cJSON_GetObjectItemCaseSensitive(lo, "ctas_per_sm")};
    static const char *const KEYS[5] = {"grid[0]", "grid[1]", "block", "smem_bytes",
                                        "ctas_per_sm"};
    for (int k = 0; k < 5; k++) {
        if (!got[k]) return fpj_fail(c, lp, KEYS[k], "required member is missing");
        if (!cJSON_IsNumber(got[k]) || got[k]->valuedouble != want[k])
            return fpj_fail(c, lp, KEYS[k], "%s differs from %.0f, what variant \"%s\" derives "
                            "for these layers on this GPU", fpj_repr(got[k], r, sizeof r), want[k],
                            u->variant);
    }
    return true;
}

static bool parse_plan(fp_jctx *c, const cJSON *root, const fp_model *m, const fp_gpu_spec *g,
                       fp_plan *p) {
    int version = 0;
    if (!fpj_format(c, root, FP_PLAN_FORMAT, FP_PLAN_VERSION, &version)) return false;
    if (version < FP_PLAN_VERSION)
        return fpj_fail(c, "", "version", "%d is an older plan format (this fuseplan reads %d): "
                        "re-plan it with `fuseplan plan`", version, FP_PLAN_VERSION);
    if (!fpj_check_object(c, root, "", PLAN_MEMBERS)) return false;
    if (!check_identity(c, root, "model", MODEL_MEMBERS, m->hash, m->path)) return false;
    if (!check_identity(c, root, "gpu", GPU_MEMBERS, g->hash, g->path)) return false;
    fp_plan_options o = fp_plan_default_options();
    o.allowed = 0;
    if (!fpj_int(c, root, "", "batch", true, 1, FP_MAX_BATCH, &o.batch)) return false;
    const char *s = NULL;
    if (!fpj_string(c, root, "", "dtype", true, &s)) return false;
    if (!cm_dtype_parse(s, &o.dtype))
        return fpj_fail(c, "", "dtype", "\"%s\" is not fp32, fp16, bf16 or int8", s);
    if (!fpj_string(c, root, "", "math", true, &s)) return false;
    if (!cm_math_parse(s, &o.math)) return fpj_fail(c, "", "math", "\"%s\" is not simt or tc", s);
    if (!fpj_string(c, root, "", "objective", true, &s)) return false;
    if (strcmp(s, "time") == 0) o.objective = FP_OBJECTIVE_TIME;
    else if (strcmp(s, "traffic") == 0) o.objective = FP_OBJECTIVE_TRAFFIC;
    else return fpj_fail(c, "", "objective", "\"%s\" is not time or traffic", s);
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(root, "allowed");
    if (!al) return fpj_fail(c, "", "allowed", "required member is missing");
    {
        char r[96];
        if (!cJSON_IsArray(al))
            return fpj_fail(c, "", "allowed", "expected an array of kinds, got %s",
                            fpj_repr(al, r, sizeof r));
        int i = 0;
        for (const cJSON *k = al->child; k; k = k->next, i++) {
            cm_kind kind;
            char path[32];
            snprintf(path, sizeof path, "allowed[%d]", i);
            char r[96];
            if (!cJSON_IsString(k) || !cm_kind_parse(k->valuestring, &kind) ||
                cm_kind_layers(kind) < 2)
                return fpj_fail(c, path, NULL, "%s is not a fused kind (dwpw, pwdw, pwpw, pwdwpw)",
                                fpj_repr(k, r, sizeof r));
            o.allowed |= 1u << kind;
        }
    }
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(root, "forced_variants");
    if (fv) {
        char r[96];
        if (!cJSON_IsArray(fv))
            return fpj_fail(c, "", "forced_variants", "expected an array of variant names, got %s",
                            fpj_repr(fv, r, sizeof r));
        int i = 0;
        for (const cJSON *v = fv->child; v; v = v->next, i++) {
            char path[48];
            snprintf(path, sizeof path, "forced_variants[%d]", i);
            cm_variant_id id;
            if (!read_variant(c, v, path, NULL, &o, &id)) return false;
            if (o.tile_forced[id.kind])
                return fpj_fail(c, path, NULL, "\"%s\": a second forced %s variant",
                                v->valuestring, cm_kind_name(id.kind));
            o.tile_forced[id.kind] = true;
            o.forced_tile[id.kind] = id.tile;
        }
    }
    fp_plan_fill_header(p, m, g, &o);

    const cJSON *units = cJSON_GetObjectItemCaseSensitive(root, "units");
    if (!cJSON_IsArray(units) || cJSON_GetArraySize(units) < 1) {
        char r[96];
        return fpj_fail(c, "", "units", "expected a non-empty array, got %s",
                        units && cJSON_IsArray(units) ? "[]" : fpj_repr(units, r, sizeof r));
    }
    int n = cJSON_GetArraySize(units);
    p->units = calloc((size_t)n, sizeof *p->units);
    int *unit_of = malloc(sizeof(int) * (size_t)m->n_layers);
    if (!p->units || !unit_of) {
        free(unit_of);
        c->status = FP_ERR_NOMEM;
        return fpj_fail(c, NULL, NULL, "out of memory");
    }
    for (int i = 0; i < m->n_layers; i++) unit_of[i] = -1;
    bool ok = true;
    int i = 0;
    for (const cJSON *uj = units->child; uj && ok; uj = uj->next, i++) {
        char path[48], why[256];
        snprintf(path, sizeof path, "units[%d]", i);
        fp_unit *u = &p->units[i];
        ok = fpj_check_object(c, uj, path, UNIT_MEMBERS);
        const cJSON *ls = ok ? cJSON_GetObjectItemCaseSensitive(uj, "layers") : NULL;
        if (ok && (!cJSON_IsArray(ls) || cJSON_GetArraySize(ls) < 1 ||
                   cJSON_GetArraySize(ls) > CM_MAX_UNIT_LAYERS))
        {
            char r[96];
            ok = fpj_fail(c, path, "layers", "expected 1 to %d layer names, got %s",
                          CM_MAX_UNIT_LAYERS,
                          cJSON_IsArray(ls) ? "an array of another length" : fpj_repr(ls, r, sizeof r));
        }
        int layers[CM_MAX_UNIT_LAYERS], nl = 0;
        for (const cJSON *l = ok ? ls->child : NULL; l && ok; l = l->next, nl++) {
            int li = cJSON_IsString(l) ? find_layer(m, l->valuestring) : -1;
            char r[96];
            if (li < 0) ok = fpj_fail(c, path, "layers", "no layer %s in %s",
                                      fpj_repr(l, r, sizeof r), m->path);
            else if (unit_of[li] >= 0)
                ok = fpj_fail(c, path, "layers", "%s is already in units[%d]", l->valuestring,
                              unit_of[li]);
            else {
                layers[nl] = li;
                unit_of[li] = i;
            }
        }
        int res = -1;
        const cJSON *r = ok ? cJSON_GetObjectItemCaseSensitive(uj, "residual") : NULL;
        if (ok && r && !cJSON_IsNull(r)) {
            res = cJSON_IsString(r) ? find_layer(m, r->valuestring) : -1;
            char rr[96];
            if (res < 0) ok = fpj_fail(c, path, "residual", "no layer %s in %s",
                                       fpj_repr(r, rr, sizeof rr), m->path);
            else if (unit_of[res] >= 0)
                ok = fpj_fail(c, path, "residual", "%s is already in units[%d]", r->valuestring,
                              unit_of[res]);
            else if (fp_absorbable_add(m, layers[nl - 1]) != res)
                ok = fpj_fail(c, path, "residual", "%s cannot be absorbed after %s", r->valuestring,
                              m->layers[layers[nl - 1]].name);
            else
                unit_of[res] = i;
        }
        if (!ok) break;
        const cJSON *vj = cJSON_GetObjectItemCaseSensitive(uj, "variant");
        const cJSON *kj = cJSON_GetObjectItemCaseSensitive(uj, "kind");
        const fp_layer *l0 = &m->layers[layers[0]];
        /* a lone layer without a variant runs on its own (cuDNN for a conv):
         * the planner's decision, re-derived here the same way */
        char alone[256] = "";
        bool kernel = nl > 1 || fp_layer_has_variant(m, layers[0], &o, alone, sizeof alone);
        if (!kernel) {
            fp_unit probe = {.kind = FP_UNIT_OTHER, .layers = {layers[0]}, .n_layers = 1};
            const char *want = fp_unit_kind_name(m, &probe);
            if (!cJSON_IsString(kj) || strcmp(kj->valuestring, want) != 0) {
                char r[96];
                ok = fpj_fail(c, path, "kind", "%s: expected \"%s\" for layer %s (%s)",
                              fpj_repr(kj, r, sizeof r), want, l0->name, alone);
                break;
            }
            if (vj) {
                char r[96];
                ok = fpj_fail(c, path, "variant", "%s: layer %s runs on its own (%s)",
                              fpj_repr(vj, r, sizeof r), l0->name, alone);
                break;
            }
            if (nl != 1 || res >= 0) {
                ok = fpj_fail(c, path, "layers", "%s runs on its own (%s)", l0->name, alone);
                break;
            }
            fp_unit_eval_other(m, g, &o, layers[0], u);
        } else {
            if (!vj) {
                ok = fpj_fail(c, path, "variant", "required member is missing");
                break;
            }
            cm_variant_id id;
            if (!(ok = read_variant(c, vj, path, "variant", &o, &id))) break;
            cm_kind kind = CM_KIND_DW;
            if (nl == 1) kind = l0->cls == FP_CLASS_DW ? CM_KIND_DW : CM_KIND_PW;
            else if (!fp_chain_fusable(m, layers, nl, &kind, why, sizeof why)) {
                ok = fpj_fail(c, path, "layers", "not fusable: %s", why);
                break;
            }
            if (id.kind != kind) {
                ok = fpj_fail(c, path, "variant", "\"%s\" is a %s variant but these layers form "
                              "a %s unit", vj->valuestring, cm_kind_name(id.kind),
                              cm_kind_name(kind));
                break;
            }
            fp_plan_options forced = o;
            memset(forced.tile_forced, 0, sizeof forced.tile_forced);
            forced.tile_forced[kind] = true;
            forced.forced_tile[kind] = id.tile;
            /* the L2 state the planner gave it: after the units before it */
            const fp_l2_ctx lc = fp_unit_l2_ctx(m, p->units, i, layers, nl, res);
            if (!fp_unit_eval_ctx(m, g, &forced, layers, nl, res, &lc, u, why, sizeof why)) {
                ok = fpj_fail(c, path, "variant", "\"%s\": %s", vj->valuestring, why);
                break;
            }
            /* one spelling: the compiled row's name */
            if (!u->variant || strcmp(vj->valuestring, u->variant) != 0) {
                ok = fpj_fail(c, path, "variant", "\"%s\" is not spelled as the compiled variant "
                              "\"%s\"", vj->valuestring, u->variant ? u->variant : "");
                break;
            }
            if (!(ok = check_launch(c, uj, path, u))) break;
            if (!cJSON_IsString(kj) || strcmp(kj->valuestring, cm_kind_name(kind)) != 0) {
                char r[96];
                ok = fpj_fail(c, path, "kind", "%s: expected \"%s\" for these layers",
                              fpj_repr(kj, r, sizeof r), cm_kind_name(kind));
                break;
            }
            if (nl > 1 && !(o.allowed & (1u << kind))) {
                ok = fpj_fail(c, path, "kind", "\"%s\" is not in the plan's allowed kinds",
                              cm_kind_name(kind));
                break;
            }
        }
        const char *backend = NULL;
        if (!(ok = fpj_string(c, uj, path, "backend", true, &backend))) break;
        if (strcmp(backend, fp_unit_backend(m, u)) != 0) {
            ok = fpj_fail(c, path, "backend", "\"%s\": this unit runs on %s", backend,
                          fp_unit_backend(m, u));
            break;
        }
        if (!kernel) {
            ok = read_note(c, uj, path, u);
            continue;
        }
        fp_unit_unfused(m, g, &o, u);
        ok = read_note(c, uj, path, u);
    }
    p->n_units = i;
    if (ok) {
        for (int l = 0; l < m->n_layers && ok; l++)
            if (unit_of[l] < 0)
                ok = fpj_fail(c, "", "units", "layer %s of %s is in no unit", m->layers[l].name,
                              m->path);
    }
    /* execution order: every input produced by an earlier unit */
    for (int u = 0; u < p->n_units && ok; u++) {
        const fp_unit *U = &p->units[u];
        int all[CM_MAX_UNIT_LAYERS + 1], na = fp_unit_members(U, all);
        for (int k = 0; k < na && ok; k++) {
            const fp_layer *l = &m->layers[all[k]];
            for (int q = 0; q < l->n_inputs && ok; q++) {
                int prod = m->tensors[l->inputs[q]].producer;
                if (prod >= 0 && unit_of[prod] > u) {
                    char path[48];
                    snprintf(path, sizeof path, "units[%d]", u);
                    ok = fpj_fail(c, path, "layers", "%s reads %s before units[%d] produces it",
                                  l->name, m->tensors[l->inputs[q]].name, unit_of[prod]);
                }
            }
        }
    }
    free(unit_of);
    if (ok) fp_plan_totals_compute(p);
    return ok;
}

fp_status fp_plan_parse(const char *label, const char *text, size_t len, const fp_model *m,
                        const fp_gpu_spec *g, fp_plan *p, char *err, size_t err_len) {
    fp_jctx c = {label, err, err_len, FP_OK};
    memset(p, 0, sizeof *p);
    (void)len;
    cJSON *root = fpj_parse(&c, text);
    if (!root) return c.status;
    bool ok = parse_plan(&c, root, m, g, p);
    cJSON_Delete(root);
    if (!ok) {
        fp_plan_free(p);
        return c.status == FP_OK ? FP_ERR_INVALID : c.status;
    }
    return FP_OK;
}

fp_status fp_plan_load(const char *path, const fp_model *m, const fp_gpu_spec *g, fp_plan *p,
                       char *err, size_t err_len) {
    char *text = NULL;
    size_t len = 0;
    memset(p, 0, sizeof *p);
    fp_status st = fpj_read_file(path, 64u << 20, &text, &len, err, err_len);
    if (st != FP_OK) return st;
    st = fp_plan_parse(fpj_label(path), text, len, m, g, p, err, err_len);
    free(text);
    return st;
}

/* ---- opening a plan with the model and GPU spec it names ---- */

bool fp_text_is_plan(const char *text, size_t len) {
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *f = root ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
    bool is = cJSON_IsString(f) && strcmp(f->valuestring, FP_PLAN_FORMAT) == 0;
    cJSON_Delete(root);
    return is;
}

/* The plan's "KEY": {"file": ...} member, or NULL with the error set. */
static const char *named_file(fp_jctx *c, const cJSON *root, const char *key) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    const char *f = NULL;
    if (!o) {
        fpj_fail(c, "", key, "required member is missing");
        return NULL;
    }
    char r[96];
    if (!cJSON_IsObject(o)) {
        fpj_fail(c, "", key, "expected an object, got %s", fpj_repr(o, r, sizeof r));
        return NULL;
    }
    if (!fpj_string(c, o, key, "file", true, &f)) return NULL;
    if (!f[0]) {
        fpj_fail(c, key, "file", "must not be empty");
        return NULL;
    }
    return f;
}

/* A file a plan names: beside the plan first (a plan and its model moved
 * together), then as written (relative to the working directory, or a
 * shipped name). */
static const char *resolve_beside(const char *plan_path, const char *file, char *buf, size_t n) {
    const char *slash = strrchr(plan_path, '/');
    struct stat st;
    if (file[0] == '/' || !slash) return file;
    int w = snprintf(buf, n, "%.*s/%s", (int)(slash - plan_path), plan_path, file);
    if (w > 0 && (size_t)w < n && stat(buf, &st) == 0) return buf;
    return file;
}

fp_status fp_plan_open_text(const char *label, const char *text, size_t len,
                            const char *gpu_override, fp_model *m, fp_gpu_spec *g, fp_plan *p,
                            char *err, size_t err_len) {
    fp_jctx c = {label, err, err_len, FP_OK};
    memset(m, 0, sizeof *m);
    memset(g, 0, sizeof *g);
    memset(p, 0, sizeof *p);
    cJSON *root = fpj_parse(&c, text);
    if (!root) return c.status;
    int version = 0;
    const char *mf = NULL, *gf = NULL;
    bool ok = fpj_format(&c, root, FP_PLAN_FORMAT, FP_PLAN_VERSION, &version) &&
              (mf = named_file(&c, root, "model")) != NULL &&
              (gf = named_file(&c, root, "gpu")) != NULL;
    char mbuf[1024], gbuf[1024], e2[768];
    fp_status st = FP_OK;
    if (ok) {
        /* a failure of the files the plan names is reported as the plan's */
        const char *mp = resolve_beside(label, mf, mbuf, sizeof mbuf);
        st = fp_open_model(mp, m, e2, sizeof e2);
        if (st != FP_OK) {
            fp_fail(err, err_len, st, "%s: model.file: %s", label, e2);
        } else {
            const char *gp = gpu_override ? gpu_override : resolve_beside(label, gf, gbuf, sizeof gbuf);
            st = fp_open_gpu(gp, g, e2, sizeof e2);
            if (st != FP_OK) {
                if (gpu_override) fp_fail(err, err_len, st, "%s", e2);
                else fp_fail(err, err_len, st, "%s: gpu.file: %s", label, e2);
            }
        }
    } else {
        st = c.status == FP_OK ? FP_ERR_INVALID : c.status;
    }
    cJSON_Delete(root);
    if (st == FP_OK) st = fp_plan_parse(label, text, len, m, g, p, err, err_len);
    if (st != FP_OK) fp_model_free(m);
    return st;
}

fp_status fp_plan_open(const char *path, const char *gpu_override, fp_model *m, fp_gpu_spec *g,
                       fp_plan *p, char *err, size_t err_len) {
    char *text = NULL;
    size_t len = 0;
    memset(m, 0, sizeof *m);
    memset(p, 0, sizeof *p);
    fp_status st = fpj_read_file(path, 64u << 20, &text, &len, err, err_len);
    if (st != FP_OK) return st;
    st = fp_plan_open_text(fpj_label(path), text, len, gpu_override, m, g, p, err, err_len);
    free(text);
    return st;
}
