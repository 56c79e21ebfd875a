/* cmd_plan.c - `fuseplan plan` and `fuseplan estimate`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_plan.h"

#define DEFAULT_MODEL "mobilenet_v2"
#define DEFAULT_GPU "h100_sxm"

static void tile_str(const fp_unit *u, char *buf, size_t n) {
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

static void unit_layers(const fp_model *m, const fp_unit *u, char *buf, size_t n) {
    buf[0] = 0;
    for (int i = 0; i < u->n_layers; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, n - at, "%s%s", i ? "+" : "", m->layers[u->layers[i]].name);
    }
    if (u->residual_layer >= 0) {
        size_t at = strlen(buf);
        snprintf(buf + at, n - at, " (+%s)", m->layers[u->residual_layer].name);
    }
}

/* Options shared by plan and estimate. */
typedef struct plan_args {
    const char *model, *gpu, *out;
    fp_plan_options opt;
    const char *layers;  /* estimate --layers */
} plan_args;

static bool parse_tile_override(const char *cmd, const char *v, fp_plan_options *o) {
    char kind[16];
    cm_tile t;
    cm_kind k;
    int used = 0;
    if (sscanf(v, "%15[a-z]=%dx%dx%dx%dx%d%n", kind, &t.tile_h, &t.tile_w, &t.tile_c, &t.chunk_c,
               &t.threads, &used) != 6 || v[used] != '\0' || !cm_kind_parse(kind, &k)) {
        tool_usage_error(cmd, "--tile: \"%s\" is not KIND=HxWxCxCHUNKxTHREADS (e.g. "
                        "pwdwpw=4x8x32x32x128; flat kinds use H=1 and W=pixels)", v);
        return false;
    }
    o->tile_forced[k] = true;
    o->forced_tile[k] = t;
    return true;
}

static bool parse_allow(const char *cmd, const char *v, unsigned *allowed) {
    *allowed = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        cm_kind k;
        if (!cm_kind_parse(tok, &k) || cm_kind_layers(k) < 2) {
            tool_usage_error(cmd, "--allow: \"%s\" is not one of dwpw, pwdw, pwpw, pwdwpw", tok);
            return false;
        }
        *allowed |= 1u << k;
    }
    return true;
}

/* Returns -1 to continue, else an exit code. */
static int parse_args(const char *cmd, int argc, char **argv, plan_args *a, void (*help)(void)) {
    memset(a, 0, sizeof *a);
    a->opt = fp_plan_default_options();
    a->gpu = DEFAULT_GPU;
    int rc = 0;
    const char *v = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help();
            return 0;
        } else if (tool_opt_value(cmd, argc, argv, &i, "--gpu", &v, &rc)) {
            if (!v) return rc;
            a->gpu = v;
        } else if (tool_opt_value(cmd, argc, argv, &i, "--batch", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_int(cmd, "--batch", v, 1, FP_MAX_BATCH, &a->opt.batch)) return 2;
        } else if (tool_opt_value(cmd, argc, argv, &i, "--dtype", &v, &rc)) {
            if (!v) return rc;
            if (!tool_parse_dtype(cmd, v, &a->opt.dtype)) return 2;
        } else if (tool_opt_value(cmd, argc, argv, &i, "--objective", &v, &rc)) {
            if (!v) return rc;
            if (strcmp(v, "time") == 0) a->opt.objective = FP_OBJECTIVE_TIME;
            else if (strcmp(v, "traffic") == 0) a->opt.objective = FP_OBJECTIVE_TRAFFIC;
            else return tool_usage_error(cmd, "--objective: \"%s\" is not time or traffic", v);
        } else if (strcmp(argv[i], "--no-fuse") == 0) {
            a->opt.allowed = 0;
        } else if (tool_opt_value(cmd, argc, argv, &i, "--allow", &v, &rc)) {
            if (!v) return rc;
            if (!parse_allow(cmd, v, &a->opt.allowed)) return 2;
        } else if (tool_opt_value(cmd, argc, argv, &i, "--tile", &v, &rc)) {
            if (!v) return rc;
            if (!parse_tile_override(cmd, v, &a->opt)) return 2;
        } else if (strcmp(cmd, "plan") == 0 && tool_opt_value(cmd, argc, argv, &i, "-o", &v, &rc)) {
            if (!v) return rc;
            a->out = v;
        } else if (strcmp(cmd, "estimate") == 0 &&
                   tool_opt_value(cmd, argc, argv, &i, "--layers", &v, &rc)) {
            if (!v) return rc;
            a->layers = v;
        } else if (argv[i][0] == '-') {
            return tool_usage_error(cmd, "unknown option \"%s\"", argv[i]);
        } else if (!a->model) {
            a->model = argv[i];
        } else {
            return tool_usage_error(cmd, "unexpected argument \"%s\"", argv[i]);
        }
    }
    return -1;
}

static void plan_help(void) {
    printf("usage: fuseplan plan [MODEL] [--gpu SPEC] [--batch N] [--dtype T] [-o plan.json]\n"
           "                     [--objective time|traffic] [--no-fuse]\n"
           "                     [--allow dwpw,pwdw,pwpw,pwdwpw] [--tile KIND=HxWxCxCHUNKxTHREADS]\n\n"
           "Chooses the cover of MODEL's graph by units (single layers or fused DW/PW chains,\n"
           "with residual adds absorbed) and a tile per unit that minimises the cost model's\n"
           "estimated time (or global traffic), prints a table and, with -o, writes the plan\n"
           "JSON that `fuseplan run` executes. Defaults: MODEL mobilenet_v2, SPEC h100_sxm,\n"
           "batch 1, fp32. --tile forces one tile for every unit of KIND (flat kinds pw and\n"
           "pwpw: H=1, W=pixels per CTA).\n");
}

static int load_inputs(const plan_args *a, fp_model *m, fp_gpu_spec *g) {
    char err[1024];
    fp_status st = fp_open_model(a->model ? a->model : DEFAULT_MODEL, m, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        return fp_status_exit_code(st);
    }
    st = fp_open_gpu(a->gpu, g, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        fp_model_free(m);
        return fp_status_exit_code(st);
    }
    return 0;
}

static void print_plan(const fp_model *m, const fp_plan *p) {
    char a[32], b[32], names[512], tile[64];
    printf("plan %s on %s (%s), batch %d, %s, objective %s\n", p->model_name, p->gpu_name, p->gpu_id,
           p->opt.batch, cm_dtype_name(p->opt.dtype),
           p->opt.objective == FP_OBJECTIVE_TIME ? "time" : "traffic");
    printf("%3s  %-7s %-44s %-22s %10s %10s %9s %9s %7s  %s\n", "#", "kind", "layers", "tile",
           "traffic", "unfused", "est us", "unfus us", "saving", "note");
    for (int i = 0; i < p->n_units; i++) {
        const fp_unit *u = &p->units[i];
        unit_layers(m, u, names, sizeof names);
        tile_str(u, tile, sizeof tile);
        double tr = (double)(u->est.traffic.load_bytes + u->est.traffic.store_bytes);
        double utr = (double)(u->unfused.traffic.load_bytes + u->unfused.traffic.store_bytes);
        double save = u->unfused.time_us > 0 ? 100.0 * (1 - u->est.time_us / u->unfused.time_us) : 0;
        printf("%3d  %-7s %-44s %-22s %10s %10s %9.2f %9.2f %6.1f%%  %s\n", i,
               fp_unit_kind_name(m, u), names, tile, tool_bytes(tr, a, sizeof a),
               tool_bytes(utr, b, sizeof b), u->est.time_us, u->unfused.time_us, save,
               u->kind == FP_UNIT_OTHER ? "" : u->note);
    }
    const fp_plan_totals *t = &p->totals;
    printf("total: %d units (%d fused), est %.1f us vs %.1f us layer by layer (%.1f%% saved); "
           "traffic %s vs %s; DRAM %s vs %s\n", p->n_units, t->fused_units, t->time_us,
           t->unfused_time_us, t->unfused_time_us > 0 ? 100 * (1 - t->time_us / t->unfused_time_us) : 0,
           tool_bytes((double)t->traffic_bytes, a, sizeof a),
           tool_bytes((double)t->unfused_traffic_bytes, b, sizeof b),
           tool_bytes((double)t->dram_bytes, names, 32), tool_bytes((double)t->unfused_dram_bytes, tile, 32));
}

int cmd_plan(int argc, char **argv) {
    plan_args a;
    int rc = parse_args("plan", argc, argv, &a, plan_help);
    if (rc >= 0) return rc;
    fp_model m;
    fp_gpu_spec g;
    if ((rc = load_inputs(&a, &m, &g))) return rc;
    fp_plan p;
    char err[1024];
    fp_status st = fp_plan_build(&m, &g, &a.opt, &p, err, sizeof err);
    if (st != FP_OK) {
        fprintf(stderr, "%s\n", err);
        fp_model_free(&m);
        return fp_status_exit_code(st);
    }
    print_plan(&m, &p);
    rc = 0;
    if (a.out) {
        char *json = fp_plan_to_json(&p, &m);
        FILE *f = json ? fopen(a.out, "w") : NULL;
        if (!f || fputs(json, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "fuseplan plan: cannot write %s\n", a.out);
            rc = 1;
        } else {
            printf("wrote %s\n", a.out);
        }
        free(json);
    }
    fp_plan_free(&p);
    fp_model_free(&m);
    return rc;
}

static void estimate_help(void) {
    printf("usage: fuseplan estimate MODEL [--gpu SPEC] [--batch N] [--dtype T] [--layers A,B]\n\n"
           "For every DW/PW layer and every fusable chain of MODEL, prints the best tile and\n"
           "the cost model's estimates (global traffic, DRAM bytes, FLOPs, time) of the\n"
           "fused option beside the same layers run one by one. --layers keeps only rows\n"
           "that contain one of the named layers.\n");
}

static bool wanted(const fp_model *m, const char *filter, const int *L, int n) {
    if (!filter) return true;
    for (int i = 0; i < n; i++) {
        const char *name = m->layers[L[i]].name;
        size_t nl = strlen(name);
        for (const char *p = filter; *p;) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len == nl && strncmp(p, name, nl) == 0) return true;
            p += len + (e ? 1 : 0);
        }
    }
    return false;
}

static void print_estimate_row(const fp_model *m, const fp_unit *u, const char *what) {
    char names[512], tile[64], a[32], b[32], c[32];
    unit_layers(m, u, names, sizeof names);
    tile_str(u, tile, sizeof tile);
    int stride = 1; /* the DW layer's: PW layers have stride 1 */
    for (int i = 0; i < cm_kind_layers(u->cu.kind); i++)
        if (u->cu.layers[i].stride > stride) stride = u->cu.layers[i].stride;
    printf("%-7s %-44s %-8s s%d %-22s %10s %10s %9.3g %9.2f %9.2f  %s\n", cm_kind_name(u->cu.kind),
           names, what, stride, tile, tool_bytes((double)(u->est.traffic.load_bytes + u->est.traffic.store_bytes), a, sizeof a),
           tool_bytes((double)(u->est.dram_read_bytes + u->est.dram_write_bytes), b, sizeof b),
           u->est.flops_cuda + u->est.flops_tensor, u->est.time_us, u->unfused.time_us,
           tool_bytes((double)(u->unfused.traffic.load_bytes + u->unfused.traffic.store_bytes), c,
                     sizeof c));
}

int cmd_estimate(int argc, char **argv) {
    plan_args a;
    int rc = parse_args("estimate", argc, argv, &a, estimate_help);
    if (rc >= 0) return rc;
    if (!a.model) return tool_usage_error("estimate", "missing MODEL");
    fp_model m;
    fp_gpu_spec g;
    if ((rc = load_inputs(&a, &m, &g))) return rc;
    printf("estimates for %s on %s, batch %d, %s\n", m.name, g.id, a.opt.batch,
           cm_dtype_name(a.opt.dtype));
    printf("%-7s %-44s %-8s %-2s %-22s %10s %10s %9s %9s %9s  %s\n", "kind", "layers", "option",
           "st", "best tile", "traffic", "DRAM", "FLOPs", "est us", "unfus us", "unfused traffic");
    char why[256];
    for (int i = 0; i < m.n_layers; i++) {
        const fp_layer *l = &m.layers[i];
        if (l->cls != FP_CLASS_DW && l->cls != FP_CLASS_PW) continue;
        /* the layer alone, then every fusable chain starting here */
        int L[3] = {i, -1, -1};
        for (int n = 1; n <= 3; n++) {
            if (n > 1) {
                const fp_layer *prev = &m.layers[L[n - 2]];
                int next = -1;
                if (m.tensors[prev->output].n_consumers == 1)
                    for (int k = L[n - 2] + 1; k < m.n_layers && next < 0; k++)
                        if (m.layers[k].inputs[0] == prev->output) next = k;
                if (next < 0) break;
                L[n - 1] = next;
                cm_kind kind;
                if (!fp_chain_fusable(&m, L, n, &kind, why, sizeof why)) break;
            }
            if (!wanted(&m, a.layers, L, n)) continue;
            int res = fp_absorbable_add(&m, L[n - 1]);
            fp_unit u;
            if (!fp_unit_eval(&m, &g, &a.opt, L, n, res, &u, why, sizeof why)) {
                char names[256] = "";
                for (int k = 0; k < n; k++) {
                    size_t at = strlen(names);
                    snprintf(names + at, sizeof names - at, "%s%s", k ? "+" : "", m.layers[L[k]].name);
                }
                printf("%-7s %-44s infeasible: %s\n", n > 1 ? "fused" : "single", names, why);
                continue;
            }
            fp_unit_unfused(&m, &g, &a.opt, &u);
            print_estimate_row(&m, &u, n > 1 ? "fused" : "single");
        }
    }
    fp_model_free(&m);
    return 0;
}
