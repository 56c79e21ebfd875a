/* cmd_plan.c - `fuseplan plan`, and the plan tables it shares with
 * `fuseplan estimate` (cmd_estimate.c). */
/* realpath (XSI) */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_plan.h"

#define DEFAULT_MODEL "mobilenet_v2"
#define DEFAULT_GPU "h100_sxm"

void tile_str(const fp_unit *u, char *buf, size_t n) {
    if (u->kind == FP_UNIT_OTHER) {
        snprintf(buf, n, "-");
        return;
    }
    const cm_tile *t = &u->tile;
    if (cm_kind_is_flat((cm_kind)u->kind))
        snprintf(buf, n, "p%d c%d k%d t%d", t->tile_w, t->tile_c, t->chunk_c, t->threads);
    else
        snprintf(buf, n, "%dx%d c%d k%d t%d", t->tile_h, t->tile_w, t->tile_c, t->chunk_c,
                 t->threads);
}

void unit_layers(const fp_model *m, const fp_unit *u, char *buf, size_t n) {
    char safe[256];
    buf[0] = 0;
    for (int i = 0; i < u->n_layers; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, n - at, "%s%s", i ? "+" : "",
                 tool_safe(m->layers[u->layers[i]].name, safe, sizeof safe));
    }
    if (u->residual_layer >= 0) {
        size_t at = strlen(buf);
        snprintf(buf + at, n - at, " (+%s)", tool_safe(m->layers[u->residual_layer].name, safe,
                                                       sizeof safe));
    }
}

int tool_load_inputs(const char *model, const char *gpu, fp_model *m, fp_gpu_spec *g) {
    char err[1024];
    fp_status st = fp_open_model(model ? model : DEFAULT_MODEL, m, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    st = fp_open_gpu(gpu ? gpu : DEFAULT_GPU, g, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        fp_model_free(m);
        return fp_status_exit_code(st);
    }
    return 0;
}

static void print_plan(const fp_model *m, const fp_plan *p) {
    char a[32], b[32], names[512], s1[256], s2[256], s3[128];
    printf("plan %s on %s (%s), batch %d, %s %s, objective %s\n",
           tool_safe(p->model_name, s1, sizeof s1), tool_safe(p->gpu_name, s2, sizeof s2),
           tool_safe(p->gpu_id, s3, sizeof s3), p->opt.batch, cm_dtype_name(p->opt.dtype), cm_math_name(p->opt.math),
           p->opt.objective == FP_OBJECTIVE_TIME ? "time" : "traffic");
    /* say it once rather than on every unit: the kinds that have no compiled
     * variant in this dtype and math (each kind's math: cm_kind_math) run
     * their layers on cuDNN */
    char missing[128] = "";
    int n_missing = 0;
    for (int k = 0; k < CM_KIND_COUNT; k++)
        if (!cm_variants_exist((cm_kind)k, p->opt.dtype, cm_kind_math((cm_kind)k, p->opt.math))) {
            size_t at = strlen(missing);
            snprintf(missing + at, sizeof missing - at, "%s%s", n_missing++ ? ", " : "",
                     cm_kind_name((cm_kind)k));
        }
    if (n_missing == CM_KIND_COUNT)
        printf("note: no compiled %s %s variant (costmodel/cm_variants.inc): every DW/PW layer runs "
               "on cuDNN\n", cm_dtype_name(p->opt.dtype), cm_math_name(p->opt.math));
    else if (n_missing)
        printf("note: no compiled %s %s variant of %s (costmodel/cm_variants.inc): those layers run on "
               "cuDNN or in other kinds\n", cm_dtype_name(p->opt.dtype), cm_math_name(p->opt.math), missing);
    printf("%3s  %-7s %-8s %-44s %-34s %10s %10s %9s %9s %7s  %s\n", "#", "kind", "backend",
           "layers", "variant", "traffic", "unfused", "est us", "unfus us", "saving", "note");
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        unit_layers(m, u, names, sizeof names);
        double tr = (double)(u->est.traffic.load_bytes + u->est.traffic.store_bytes);
        double utr = (double)(u->unfused.traffic.load_bytes + u->unfused.traffic.store_bytes);
        double save = u->unfused.time_us > 0 ? 100.0 * (1 - u->est.time_us / u->unfused.time_us) : 0;
        const char *backend = fp_unit_backend(m, u);
        /* a cuDNN unit's note says why no variant of ours runs it */
        const char *note = u->kind != FP_UNIT_OTHER || strcmp(backend, "cudnn") == 0 ? u->note : "";
        printf("%3d  %-7s %-8s %-44s %-34s %10s %10s %9.2f %9.2f %6.1f%%  %s\n", i,
               fp_unit_kind_name(m, u), backend, names,
               u->kind != FP_UNIT_OTHER && u->variant ? u->variant : "-",
               tool_bytes(tr, a, sizeof a), tool_bytes(utr, b, sizeof b), u->est.time_us,
               u->unfused.time_us, save, note);
    }
    const fp_plan_totals *t = &p->totals;
    char c[32], d[32];
    printf("total: %d units (%d fused), est %.1f us vs %.1f us layer by layer (%.1f%% saved); "
           "traffic %s vs %s; DRAM %s vs %s\n", p->n_units, t->fused_units, t->time_us,
           t->unfused_time_us, t->unfused_time_us > 0 ? 100 * (1 - t->time_us / t->unfused_time_us) : 0,
           tool_bytes((double)t->traffic_bytes, a, sizeof a),
           tool_bytes((double)t->unfused_traffic_bytes, b, sizeof b),
           tool_bytes((double)t->dram_bytes, c, sizeof c),
           tool_bytes((double)t->unfused_dram_bytes, d, sizeof d));
}

/* file as a path relative to the folder of out (both existing or about to):
 * a plan names its model and spec from its own folder, so the three can
 * move together (fp_plan_open looks beside the plan first). Left as is for
 * a shipped name, standard output, or when a real path is not available. */
static void relative_to_plan(char *file, size_t cap, const char *out) {
    char from[PATH_MAX], to[PATH_MAX], dir[PATH_MAX];
    if (strcmp(out, "-") == 0 || strcmp(file, "-") == 0 || !realpath(file, to)) return;
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    if (!realpath(slash ? (dir[0] ? dir : "/") : ".", from)) return;
    /* the common leading folders, then one ".." per remaining folder of from */
    size_t k = 0, last = 0;
    while (from[k] && from[k] == to[k]) {
        if (from[k] == '/') last = k;
        k++;
    }
    if (!from[k] && to[k] == '/') last = k;
    char rel[PATH_MAX] = "";
    size_t at = 0;
    for (const char *p = from + last; *p && at < sizeof rel; p++)
        if (*p == '/' && p[1]) at += (size_t)snprintf(rel + at, sizeof rel - at, "../");
    if (from[last] == '/' && from[last + 1] == '\0') at = 0, rel[0] = '\0';
    int w = snprintf(rel + at, sizeof rel - at, "%s", to + last + 1);
    if (w < 0 || (size_t)w >= sizeof rel - at || strlen(rel) >= cap) return;
    snprintf(file, cap, "%s", rel);
}

static int run_plan(const tool_options *o) {
    fp_model m;
    fp_gpu_spec g;
    const char *inputs[2] = {o->n_pos ? o->pos[0] : NULL, o->gpu};
    int rc = tool_refuse_overwrite("plan", "-o", o->out, inputs, 2);
    if (rc) return rc;
    rc = tool_load_inputs(o->n_pos ? o->pos[0] : NULL, o->gpu, &m, &g);
    if (rc) return rc;
    fp_plan p;
    char err[1024];
    fp_status st = fp_plan_build(&m, &g, &o->plan, &p, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        fp_model_free(&m);
        return fp_status_exit_code(st);
    }
    /* with -o -, the plan is the only thing on stdout */
    bool plan_to_stdout = o->out && strcmp(o->out, "-") == 0;
    if (!plan_to_stdout) print_plan(&m, &p);
    if (o->out) {
        /* files given as paths; a shipped name stays the shipped path */
        struct stat st;
        if (o->n_pos && stat(o->pos[0], &st) == 0)
            relative_to_plan(p.model_file, sizeof p.model_file, o->out);
        if (o->gpu && stat(o->gpu, &st) == 0)
            relative_to_plan(p.gpu_file, sizeof p.gpu_file, o->out);
        char *json = fp_plan_to_json(&p, &m);
        rc = tool_write_file("plan", "the plan", o->out, json, false);
        free(json);
        char safe[1024];
        if (!rc && !plan_to_stdout) printf("wrote %s\n", tool_safe(o->out, safe, sizeof safe));
    }
    fp_plan_free(&p);
    fp_model_free(&m);
    return rc;
}

const tool_command tool_cmd_plan = {
    "plan", TOOL_PLAN, "[MODEL]", 0, 1, "MODEL",
    "choose fusions and tiles for a model on a GPU; write the plan",
    "Chooses the cover of MODEL's graph by units (single layers or fused DW/PW chains,\n"
    "with residual adds absorbed) and a tile per unit that minimises the cost model's\n"
    "estimated time (or global traffic), prints a table and, with -o, writes the plan\n"
    "JSON that `fuseplan run` executes. Defaults: MODEL mobilenet_v2, SPEC h100_sxm,\n"
    "batch 1, fp32. --tile forces one compiled variant for every unit of KIND (flat\n"
    "kinds pw and pwpw: H=1, W=pixels per CTA), or give the variant's name. MODEL\n"
    "or SPEC - reads standard input; -o - writes the plan to standard output (and\n"
    "no table). -o may not name an input.",
    run_plan,
};
