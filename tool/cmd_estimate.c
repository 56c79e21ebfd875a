/* cmd_estimate.c - `fuseplan estimate`: the cost model's estimates of every
 * DW/PW layer and every fusable chain of a model, fused and unfused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "fp_data.h"
#include "fp_plan.h"

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

static int run_estimate(const tool_options *o) {
    fp_model m;
    fp_gpu_spec g;
    int rc = tool_load_inputs(o->pos[0], o->gpu, &m, &g);
    if (rc) return rc;
    /* every name --layers gives must be a layer: a typo is an error, not an
     * empty table */
    for (const char *p = o->layers; p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        for (int i = 0; i < m.n_layers && !found; i++)
            found = strlen(m.layers[i].name) == len && strncmp(m.layers[i].name, p, len) == 0;
        if (!found) {
            char name[128], safe[256];
            snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
            if (len == 0) tool_usage_error("estimate", "--layers: \"%s\" has an empty entry",
                                           tool_safe(o->layers, safe, sizeof safe));
            else tool_usage_error("estimate", "--layers: no layer \"%s\" in %s",
                                  tool_safe(name, safe, sizeof safe), m.path);
            fp_model_free(&m);
            return 2;
        }
        p = e ? e + 1 : NULL;
    }
    char sn[256];
    printf("estimates for %s on %s, batch %d, %s\n", tool_safe(m.name, sn, sizeof sn), g.id,
           o->plan.batch,
           cm_dtype_name(o->plan.dtype));
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
            if (!wanted(&m, o->layers, L, n)) continue;
            int res = fp_absorbable_add(&m, L[n - 1]);
            fp_unit u;
            if (!fp_unit_eval(&m, &g, &o->plan, L, n, res, &u, why, sizeof why)) {
                char names[256] = "";
                for (int k = 0; k < n; k++) {
                    size_t at = strlen(names);
                    snprintf(names + at, sizeof names - at, "%s%s", k ? "+" : "", m.layers[L[k]].name);
                }
                printf("%-7s %-44s infeasible: %s\n", n > 1 ? "fused" : "single", names, why);
                continue;
            }
            fp_unit_unfused(&m, &g, &o->plan, &u);
            print_estimate_row(&m, &u, n > 1 ? "fused" : "single");
        }
    }
    fp_model_free(&m);
    return 0;
}

const tool_command tool_cmd_estimate = {
    "estimate", TOOL_ESTIMATE, "MODEL", 1, 1, "MODEL",
    "cost-model estimates of every layer and fusable chain",
    "For every DW/PW layer and every fusable chain of MODEL, prints the best tile and\n"
    "the cost model's estimates (global traffic, DRAM bytes, FLOPs, time) of the\n"
    "fused option beside the same layers run one by one. --layers keeps only rows\n"
    "that contain one of the named layers.",
    run_estimate,
};
