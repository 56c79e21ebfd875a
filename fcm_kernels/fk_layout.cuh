/* fk_layout.cuh - shared-memory layout of every unit kernel, in floats.
 *
 * One function per kind gives the offset of each region and the total; the
 * kernels carve their dynamic shared memory with it and the host launches with
 * 4 * total bytes (fk_unit_smem_bytes). Every region starts at a multiple of 4
 * floats (16 bytes). Notation: TH, TW, TC, KC = the tile; K, S = DW kernel and
 * stride; PH = (TH-1)*S + K and PW = (TW-1)*S + K the input patch of a full
 * tile, unclipped (edge tiles use a corner of it; positions outside the image
 * hold zeros); P = PH*PW; M = TH*TW output pixels; os(n) = odd_stride(n), n
 * rounded up to a multiple of 4 with an odd number of 16-byte units (rows read
 * as float4 by 8 consecutive threads then hit 8 distinct bank groups).
 *
 *  DW     patch P*TC | weights K*K*TC (transposed [kk][c]) | bias TC
 *  PW     A 2*TW*os(KC) | B 2*TC*os(KC)   (double-buffered chunks; reused as the
 *         output staging TW*(TC+4) when that is larger) | bias TC
 *  DWPW   patch P*os(KC) | dw weights K*K*KC | dw bias KC
 *         | max(M*os(KC), M*(TC+4)) (DW result chunk, then output staging)
 *         | pw weights TC*os(KC) | pw bias TC
 *  PWDW   X chunk P*os(KC) | pw weights TC*os(KC) | PW result P*os(TC)
 *         | dw weights K*K*TC | pw bias TC | dw bias TC
 *  PWPW   H TW*os(F1) | max(TW*os(KC) + F1*os(KC), TC*os(F1), TW*(TC+4))
 *         (chunk of X and W1, then W2, then output staging)
 *         | bias1 roundup4(F1) | bias2 TC
 *  PWDWPW X patch P*os(C) | 2 x {W1 chunk KC*os(C) | bias1 KC | dw weights
 *         K*K*KC (global order [e][kk]) | dw bias KC | W2 chunk TC*os(KC)}
 *         (double buffered, all by cp.async: chunk
 *         i+1 loads while chunk i computes) | max(P*os(KC), M*(TC+4))
 *         (expanded chunk, then output staging) | DW result M*os(KC) | bias2 TC
 */
#ifndef FUSEPLAN_FK_LAYOUT_CUH
#define FUSEPLAN_FK_LAYOUT_CUH

namespace fk {

__host__ __device__ constexpr int odd_stride(int len) {
    return ((len + 3) / 4 % 2 == 1) ? (len + 3) / 4 * 4 : (len + 3) / 4 * 4 + 4;
}
__host__ __device__ constexpr int round4(int n) { return (n + 3) / 4 * 4; }
__host__ __device__ constexpr int lmax(int a, int b) { return a > b ? a : b; }

struct DwLayout { int x, w, b, total; };
__host__ __device__ inline DwLayout dw_layout(int th, int tw, int tc, int k, int s) {
    DwLayout l;
    int p = ((th - 1) * s + k) * ((tw - 1) * s + k);
    l.x = 0;
    l.w = l.x + p * tc;
    l.b = l.w + k * k * tc;
    l.total = l.b + tc;
    return l;
}

struct PwLayout { int a, b, bias, total; };
__host__ __device__ inline PwLayout pw_layout(int tw, int tc, int kc) {
    PwLayout l;
    int ks = odd_stride(kc);
    l.a = 0;
    l.b = l.a + 2 * tw * ks;
    int stage = lmax(2 * tw * ks + 2 * tc * ks, tw * (tc + 4));
    l.bias = stage;
    l.total = l.bias + tc;
    return l;
}

struct DwpwLayout { int patch, wd, bd, d, w2, b2, total; };
__host__ __device__ inline DwpwLayout dwpw_layout(int th, int tw, int tc, int kc, int k, int s) {
    DwpwLayout l;
    int p = ((th - 1) * s + k) * ((tw - 1) * s + k);
    int m = th * tw, ks = odd_stride(kc);
    l.patch = 0;
    l.wd = l.patch + p * ks;
    l.bd = l.wd + k * k * kc;
    l.d = l.bd + kc;
    l.w2 = l.d + lmax(m * ks, m * (tc + 4));
    l.b2 = l.w2 + tc * ks;
    l.total = l.b2 + tc;
    return l;
}

struct PwdwLayout { int x, w1, e, wd, b1, bd, total; };
__host__ __device__ inline PwdwLayout pwdw_layout(int th, int tw, int tc, int kc, int k, int s) {
    PwdwLayout l;
    int p = ((th - 1) * s + k) * ((tw - 1) * s + k);
    int ks = odd_stride(kc), ts = odd_stride(tc);
    l.x = 0;
    l.w1 = l.x + p * ks;
    l.e = l.w1 + tc * ks;
    l.wd = l.e + p * ts;
    l.b1 = l.wd + k * k * tc;
    l.bd = l.b1 + tc;
    l.total = l.bd + tc;
    return l;
}

struct PwpwLayout { int h, u, w1, b1, b2, total; };
__host__ __device__ inline PwpwLayout pwpw_layout(int tw, int tc, int kc, int f1) {
    PwpwLayout l;
    int ks = odd_stride(kc), fs = odd_stride(f1);
    l.h = 0;
    l.u = l.h + tw * fs;
    l.w1 = l.u + tw * ks;
    int ulen = lmax(lmax(tw * ks + f1 * ks, tc * fs), tw * (tc + 4));
    l.b1 = l.u + round4(ulen);
    l.b2 = l.b1 + round4(f1);
    l.total = l.b2 + tc;
    return l;
}

/* PWDWPW: the per-chunk weights are double buffered: buffer b starts at
 * buf + b*bufsize and holds W1 | b1 | Wdw | bdw | W2 at the offsets below. */
struct PwdwpwLayout { int x, buf, bufsize, w1, b1, wd, bd, w2, e, d, b2, total; };
__host__ __device__ inline PwdwpwLayout pwdwpw_layout(int th, int tw, int tc, int kc, int k, int s,
                                                      int c) {
    PwdwpwLayout l;
    int p = ((th - 1) * s + k) * ((tw - 1) * s + k);
    int m = th * tw, ks = odd_stride(kc), cs = odd_stride(c);
    l.x = 0;
    l.buf = l.x + p * cs;
    l.w1 = 0;
    l.b1 = l.w1 + kc * cs;
    l.wd = l.b1 + kc;
    l.bd = l.wd + k * k * kc;
    l.w2 = l.bd + kc;
    l.bufsize = l.w2 + tc * ks;
    l.e = l.buf + 2 * l.bufsize;
    l.d = l.e + lmax(p * ks, m * (tc + 4));
    l.b2 = l.d + m * ks;
    l.total = l.b2 + tc;
    return l;
}

} // namespace fk

#endif
