/* fk_tile.cuh - THE tile decode: blockIdx -> the CTA's tile, for every kind.
 * The grid is the cost model's (cm_unit_grid, costmodel.h):
 *   spatial kinds (DW, DWPW, PWDW, PWDWPW): x = (n * tiles_h + ty) * tiles_w + tx
 *   flat kinds (PW, PWPW): x = run of tile_w flat pixels
 * and y = output-channel tile in both. Sizes are clipped at the tensor's edges.
 * Typed by nothing but the parameter struct (any ParamsT<Elem>), so a new
 * element type or math mode decodes its tiles here too. */
#ifndef FUSEPLAN_FK_TILE_CUH
#define FUSEPLAN_FK_TILE_CUH

#include "fk_common.cuh"

namespace fk {

/* One spatial CTA: image n, output channels [c0, c0+cw), output pixels
 * [oy0, oy0+th) x [ox0, ox0+tw); its patch starts at input (iy0, ix0) and the
 * part it loads (inside the image and needed by its real outputs) is
 * [ly0, ly1) x [lx0, lx1) in patch coordinates. */
struct SpTile {
    int n, c0, cw, oy0, ox0, th, tw, iy0, ix0, ly0, ly1, lx0, lx1;
};

/* The spatial decode with the channel count, kernel size and stride given
 * (DW passes its compile-time K and S, and its channel count). */
template <int TH, int TW, int TC, typename P>
__device__ __forceinline__ SpTile sp_tile(const P &p, int c_total, int k, int s) {
    SpTile t;
    long long bid = blockIdx.x;
    const int ct = (int)blockIdx.y;
    const int tx = (int)(bid % p.tiles_w);
    bid /= p.tiles_w;
    const int ty = (int)(bid % p.tiles_h);
    t.n = (int)(bid / p.tiles_h);
    t.c0 = ct * TC;
    t.cw = min(TC, c_total - t.c0);
    t.oy0 = ty * TH;
    t.ox0 = tx * TW;
    t.th = min(TH, p.out_h - t.oy0);
    t.tw = min(TW, p.out_w - t.ox0);
    t.iy0 = t.oy0 * s - p.pt;
    t.ix0 = t.ox0 * s - p.pl;
    t.ly0 = max(0, -t.iy0);
    t.ly1 = min((t.th - 1) * s + k, p.in_h - t.iy0);
    t.lx0 = max(0, -t.ix0);
    t.lx1 = min((t.tw - 1) * s + k, p.in_w - t.ix0);
    return t;
}

/* The spatial decode of a fused kind: output channels p.out_c, the unit's DW
 * kernel size and stride. */
template <int TH, int TW, int TC, typename P>
__device__ __forceinline__ SpTile sp_tile(const P &p) {
    return sp_tile<TH, TW, TC>(p, p.out_c, p.k, p.s);
}

/* Whether patch pixel pix (row-major over p.pw columns) is in the loaded part. */
template <typename P>
__device__ __forceinline__ bool sp_loaded(const SpTile &t, const P &p, int pix) {
    const int py = pix / p.pw, px = pix % p.pw;
    return py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1;
}

/* One flat CTA: pixels [p0, p0+pw) of the N*H*W run, output channels
 * [c0, c0+cw). */
struct FlatTile {
    long long p0;
    int pw, c0, cw;
};

template <int BM, int BN, typename P>
__device__ __forceinline__ FlatTile flat_tile(const P &p) {
    FlatTile t;
    const int ct = (int)blockIdx.y;
    const long long pt = blockIdx.x;
    t.c0 = ct * BN;
    t.cw = min(BN, p.out_c - t.c0);
    t.p0 = pt * BM;
    t.pw = (int)min((long long)BM, p.npix - t.p0);
    return t;
}

} // namespace fk

#endif
