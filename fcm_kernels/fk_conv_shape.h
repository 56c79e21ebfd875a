/* fk_conv_shape.h - the convolution's shape as every direct-convolution
 * kernel's parameter block holds it (fk_conv.cu's ConvParams, fk_conv_tc.cu's
 * TcParams: the same 14 int fields, each block then adds its own tiling). Host
 * code, C++ only. */
#ifndef FUSEPLAN_FK_CONV_SHAPE_H
#define FUSEPLAN_FK_CONV_SHAPE_H

#include "fk_kernels.h"

/* The shape fields of k (n, in_h .. out_c, kh, kw, sh, sw, pt, pl, act) from p. */
template <typename Params>
inline void conv_shape_into(Params &k, const fk_conv2d *p) {
    k.n = p->n;
    k.in_h = p->in_h;
    k.in_w = p->in_w;
    k.in_c = p->in_c;
    k.out_h = p->out_h;
    k.out_w = p->out_w;
    k.out_c = p->out_c;
    k.kh = p->kh;
    k.kw = p->kw;
    k.sh = p->sh;
    k.sw = p->sw;
    k.pt = p->pad_top;
    k.pl = p->pad_left;
    k.act = (int)p->act;
}

#endif
