/* fk_launch.cu - fk_launch_unit: checks a unit, builds the kernel parameters
 * and the grid from the contract's tiling, and dispatches on the unit's
 * variant identity (kind, dtype, math, tile; cm_variant_id) to the launcher of
 * that row of cm_variants.inc in the generated fk_variant_table.cu, which
 * launches the kernel instantiated for the row's element type. */
#include <cstdio>
#include <cstring>

#include "fk_dispatch.cuh"

namespace {

using fk::RawParams;

bool aligned16(const void *ptr) { return ptr == nullptr || ((uintptr_t)ptr & 15u) == 0; }

long long cdiv(long long a, long long b) { return (a + b - 1) / b; }

/* The unit's shape in kernel terms; false when the kind is unknown. */
bool fill_shape(const cm_unit *u, const cm_tile *t, RawParams *p) {
    memset(p, 0, sizeof *p);
    const cm_conv *l0 = &u->layers[0];
    const int nl = cm_kind_layers(u->kind);
    const cm_conv *ll = &u->layers[nl - 1];
    p->n = u->batch;
    p->in_h = l0->in_h;
    p->in_w = l0->in_w;
    p->in_c = l0->in_c;
    p->out_h = ll->out_h;
    p->out_w = ll->out_w;
    p->out_c = ll->out_c;
    p->act0 = u->layers[0].act;
    p->act1 = nl > 1 ? u->layers[1].act : 0;
    p->act2 = nl > 2 ? u->layers[2].act : 0;
    const cm_conv *dw = nullptr;
    switch (u->kind) {
    case CM_KIND_DW: dw = &u->layers[0]; break;
    case CM_KIND_DWPW: dw = &u->layers[0]; break;
    case CM_KIND_PWDW: dw = &u->layers[1]; break;
    case CM_KIND_PWDWPW:
        dw = &u->layers[1];
        p->mid_c = u->layers[0].out_c;
        break;
    case CM_KIND_PWPW: p->mid_c = u->layers[0].out_c; break;
    case CM_KIND_PW: break;
    default: return false;
    }
    if (dw) {
        p->k = dw->kernel;
        p->s = dw->stride;
        p->pt = dw->pad_top;
        p->pl = dw->pad_left;
        p->ph = (t->tile_h - 1) * p->s + p->k;
        p->pw = (t->tile_w - 1) * p->s + p->k;
        p->tiles_h = (int)cdiv(p->out_h, t->tile_h);
        p->tiles_w = (int)cdiv(p->out_w, t->tile_w);
    } else {
        p->k = p->s = 1;
        p->npix = (long long)u->batch * p->in_h * p->in_w;
    }
    p->nct = (int)cdiv(p->out_c, t->tile_c);
    p->cstride = (int)cm_odd_stride(p->in_c);
    p->fstride = (int)cm_odd_stride(p->mid_c > 0 ? p->mid_c : 1);
    return true;
}

bool tile_sane(const cm_tile *t) {
    return t && t->tile_h >= 1 && t->tile_w >= 1 && t->tile_c >= 1 && t->chunk_c >= 1 &&
           t->threads >= 32 && t->tile_h <= 1024 && t->tile_w <= 1024 && t->tile_c <= 65536 &&
           t->chunk_c <= 65536;
}

/* The compiled entry of variant v (a row of cm_variants()): entry i is row i
 * (the generator writes both in cm_variants.inc order), confirmed by the
 * identity; a linear search by identity otherwise. NULL when none. */
const fk::Entry *entry_of(const cm_variant *v) {
    size_t nrows = 0;
    const cm_variant *rows = cm_variants(&nrows);
    const size_t i = (size_t)(v - rows);
    if (v >= rows && i < nrows && i < fk::variant_table_len &&
        cm_variant_id_equal(&fk::variant_table[i].id, &v->id))
        return &fk::variant_table[i];
    for (size_t j = 0; j < fk::variant_table_len; j++)
        if (cm_variant_id_equal(&fk::variant_table[j].id, &v->id)) return &fk::variant_table[j];
    return nullptr;
}

} // namespace

extern "C" bool fk_variant_compiled(const cm_variant_id *id) {
    const cm_variant *v = id ? cm_variant_find(id) : nullptr;
    return v && entry_of(v) != nullptr;
}

extern "C" size_t fk_compiled_variants(cm_variant_id *out, size_t cap) {
    for (size_t i = 0; i < fk::variant_table_len && i < cap; i++) out[i] = fk::variant_table[i].id;
    return fk::variant_table_len;
}

/* The cost model's number (cm_smem_layout.h): the kernels carve exactly this. */
extern "C" size_t fk_unit_smem_bytes(const cm_unit *u, const cm_tile *t) {
    if (!u || !tile_sane(t)) return 0;
    return cm_smem_bytes(u, t);
}

extern "C" const char *fk_variant_kernel_name(const cm_variant_id *id) {
    const cm_variant *v = cm_variant_find(id);
    return v ? v->name : nullptr;
}

extern "C" fk_status fk_launch_unit(const cm_unit *u, const cm_tile *t, const fk_unit_buffers *b,
                                    cudaStream_t stream, char *err, size_t err_len) {
    if (!u || !t || !b)
        return fk_fail(FK_ERR_INVALID, err, err_len, "fk_launch_unit: null argument");
    char why[256];
    if (cm_unit_check(u, why, sizeof why) != CM_OK)
        return fk_fail(FK_ERR_INVALID, err, err_len, "fk_launch_unit: bad unit: %s", why);
    if (!cm_variants_exist(u->kind, u->dtype, u->math))
        return fk_fail(FK_ERR_UNSUPPORTED, err, err_len,
                       "fk_launch_unit: no %s %s %s kernels compiled (costmodel/cm_variants.inc "
                       "has no such rows)",
                       cm_kind_name(u->kind), cm_dtype_name(u->dtype), cm_math_name(u->math));
    const cm_variant *nm = cm_variant_of(u, t);
    if (!nm) {
        const cm_variant_id want = cm_unit_variant_id(u, t);
        char name[CM_VARIANT_NAME_MAX];
        return fk_fail(FK_ERR_NO_VARIANT, err, err_len,
                       "fk_launch_unit: no compiled variant %s (see costmodel/cm_variants.inc)",
                       cm_variant_id_format(&want, name, sizeof name));
    }
    const int nl = cm_kind_layers(u->kind);
    if (!b->x || !b->y)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: null x or y", nm->name);
    for (int i = 0; i < nl; i++)
        if (!b->w[i] || !b->b[i])
            return fk_fail(FK_ERR_INVALID, err, err_len, "%s: null weights or bias of layer %d",
                           nm->name, i);
    if (u->residual != (b->residual != nullptr))
        return fk_fail(FK_ERR_INVALID, err, err_len,
                       "%s: unit %s a residual but the residual buffer is %s", nm->name,
                       u->residual ? "has" : "has no", b->residual ? "set" : "NULL");
    if (b->y == b->x || (b->residual && b->y == b->residual))
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: y aliases x or the residual", nm->name);

    RawParams p;
    if (!fill_shape(u, t, &p))
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: unknown kind", nm->name);
    p.x = b->x;
    p.w0 = b->w[0];
    p.w1 = nl > 1 ? b->w[1] : nullptr;
    p.w2 = nl > 2 ? b->w[2] : nullptr;
    p.b0 = b->b[0];
    p.b1 = nl > 1 ? b->b[1] : nullptr;
    p.b2 = nl > 2 ? b->b[2] : nullptr;
    p.res = b->residual;
    p.y = b->y;
    bool vec = p.in_c % 4 == 0 && p.out_c % 4 == 0 && p.mid_c % 4 == 0;
    vec = vec && aligned16(p.x) && aligned16(p.y) && aligned16(p.res) && aligned16(p.w0) &&
          aligned16(p.w1) && aligned16(p.w2) && aligned16(p.b0) && aligned16(p.b1) &&
          aligned16(p.b2);
    p.vec = vec ? 1 : 0;

    const size_t smem = cm_smem_bytes(u, t);
    int dev = 0, optin = 0;
    FK_CUDA(cudaGetDevice(&dev));
    FK_CUDA(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    if (smem == 0 || smem > (size_t)optin)
        return fk_fail(FK_ERR_RESOURCES, err, err_len,
                       "%s: needs %zu bytes of shared memory, the device allows %d per block "
                       "(kernel %d, stride %d, channels %d/%d/%d)",
                       nm->name, smem, optin, p.k, p.s, p.in_c, p.mid_c, p.out_c);

    fk::Launch l;
    l.p = &p;
    l.smem = smem;
    l.stream = stream;
    l.err = err;
    l.err_len = err_len;
    /* the contract's grid (cm_unit_grid) */
    const cm_grid grid = cm_unit_grid(u, t);
    l.blocks = (long long)grid.grid_x;
    l.ctiles = (int)grid.grid_y;

    const fk::Entry *e = entry_of(nm);
    if (!e)
        return fk_fail(FK_ERR_NO_VARIANT, err, err_len,
                       "%s: listed in cm_variants.inc but not compiled (regenerate the kernel "
                       "translation units: tools/gen_kernel_tus.py)",
                       nm->name);
    const fk_status st = e->fn(l);
    if (st != FK_OK && err && err_len) {
        /* prefix the variant name to the kernel's message */
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s: %s", nm->name, err);
        snprintf(err, err_len, "%s", tmp);
    }
    return st;
}
