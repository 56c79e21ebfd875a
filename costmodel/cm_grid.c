/* cm_grid.c - the launch geometry of the tile contract (costmodel.h). */
#include "costmodel.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

cm_grid cm_unit_grid(const cm_unit *u, const cm_tile *t) {
    const cm_conv *last = &u->layers[cm_kind_layers(u->kind) - 1];
    cm_grid g;
    if (cm_kind_is_flat(u->kind)) {
        uint64_t pixels = (uint64_t)u->batch * (uint64_t)last->out_h * (uint64_t)last->out_w;
        g.grid_x = ceil_div(pixels, (uint64_t)t->tile_w);
    } else {
        g.grid_x = (uint64_t)u->batch * ceil_div((uint64_t)last->out_h, (uint64_t)t->tile_h) *
                   ceil_div((uint64_t)last->out_w, (uint64_t)t->tile_w);
    }
    g.grid_y = (uint32_t)ceil_div((uint64_t)last->out_c, (uint64_t)t->tile_c);
    g.block = (uint32_t)t->threads;
    return g;
}
