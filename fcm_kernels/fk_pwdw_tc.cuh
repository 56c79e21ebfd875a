/* fk_pwdw_tc.cuh - PW -> DW (kind PWDW) in fp16 / bf16, and in fp32 as TF32:
 * the PW on tensor cores over the DW's input patch (halo included; m16n8k16,
 * or m16n8k8 .tf32 on cvt.rna-rounded operands for fp32), the DW on CUDA
 * cores (fp32 arithmetic), the PW result kept in shared memory in the element
 * type (one rounding, as the unfused PW layer's output; fp32: none).
 *
 * One CTA = TH x TW output pixels x TC channels of E (the PW's outputs, the
 * DW's channels) of one image. Global traffic per CTA is the contract's
 * (costmodel.h): for each chunk of KC input channels [kc, kc+k'): one segment
 * X[n][iy][ix][kc..kc+k') per loaded patch pixel, then W_pw[e][kc..kc+k') per
 * e in [c0, c0+c'); the PW bias [c0, c0+c'), the DW weights [c0*K*K,
 * (c0+c')*K*K) as one segment and the DW bias (issued with the first chunk:
 * the contract lets a kernel reorder its segments); then per output pixel the
 * residual and store segments (epilogue_group_biased). Chunks are double
 * buffered by cp.async; one barrier per chunk.
 *
 * The PW: the patch's P pixels padded to P16 rows (zeros) x TC channels; warps
 * take m16 row tiles round-robin (the same tiles every chunk), multiply a chunk
 * in registers and add it into an fp32 accumulator tile in shared memory that
 * only the owning thread touches (so no barrier between chunks for it). After
 * the last chunk each owner writes E = act0(A + b1) in the element type, 0
 * outside the loaded part of the patch (the DW's zero padding, not act0(b1)).
 * The DW: a thread per 4 channels and several outputs, 8-byte packed loads
 * converted to fp32 (fp32: 16-byte loads), the accumulator starting from the DW bias (the fp32
 * kernel's order), then act1, residual, one rounding.
 *
 * Shared memory: cm_smem_pwdw_tc_layout_es (cm_smem_layout.h).
 */
#ifndef FUSEPLAN_FK_PWDW_TC_CUH
#define FUSEPLAN_FK_PWDW_TC_CUH

#include "fk_dispatch.cuh"
#include "fk_epilogue.cuh"
#include "fk_dw_tc.cuh"
#include "fk_mma.cuh"
#include "fk_tile.cuh"

namespace fk {

/* Chunk [kc, kc+kw) into buffer `buf`: the patch rows (P16 of them, zeros
 * past the loaded part), then the PW weight rows of the tile's channels. */
template <typename T, int TC, int KC, int NT>
__device__ __forceinline__ void pwdw_tc_stage(const ParamsT<T> &p, const cm_smem_pwdw_tc &L,
                                              const SpTile &t, float *buf, int kc, int kw, int P,
                                              int P16) {
    constexpr int KSE = TcElem<T>::stride_elems(KC), KV = TcElem<T>::kVec, KQ = KC / KV;
    const int C = p.in_c;
    const int vc = p.vec && C % KV == 0;
    T *xs = reinterpret_cast<T *>(buf + L.x);
    const T *xb = p.x + (long long)t.n * p.in_h * p.in_w * C + kc;
    for (int i = threadIdx.x; i < P16 * KQ; i += NT) {
        const int pix = i / KQ, q = i - pix * KQ;
        const int py = pix / p.pw, px = pix - py * p.pw;
        T *dst = xs + pix * KSE;
        if (pix < P && py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1)
            copy_row16(dst, xb + ((long long)(t.iy0 + py) * p.in_w + (t.ix0 + px)) * C, kw, q, vc);
        else
            zero16(dst + q * KV);
    }
    T *w = reinterpret_cast<T *>(buf + L.w);
    for (int i = threadIdx.x; i < TC * KQ; i += NT) {
        const int o = i / KQ, q = i - o * KQ;
        if (o < t.cw)
            copy_row16(w + o * KSE, p.w0 + (long long)(t.c0 + o) * C + kc, kw, q, vc);
        else
            zero16(w + o * KSE + q * KV);
    }
}

/* The DW over E (TC channels) for the M outputs, straight to the epilogue. */
template <typename T, int TH, int TW, int TC, int NT, int K>
__device__ __forceinline__ void pwdw_tc_dw(const ParamsT<T> &p, const SpTile &t, const T *e,
                                           const T *wd, const float *bd) {
    constexpr int NG = TC / 4, ES = TcElem<T>::stride_elems(TC);
    using I = DwSimtItems<TH, TW, NG, NT>;
    constexpr int TOTAL = I::TOTAL, ITEMS = I::N;
    static_assert(NT % NG == 0, "PWDW TC: threads must be a multiple of the tile's groups");
    if (threadIdx.x >= TOTAL) return;
    float4 a[ITEMS];
    dw_simt_acc<T, TH, TW, NG, NT, K>(e, ES, p.pw, p.s, wd, bd, a);
    const int g = threadIdx.x % NG;
    const int c = g * 4;
    if (c >= t.cw) return;
#pragma unroll
    for (int u = 0; u < ITEMS; u++) {
        const int it = threadIdx.x + u * NT;
        if (it >= TOTAL) continue;
        const int q = it / NG, ly = q / TW, lx = q - (q / TW) * TW;
        if (ly >= t.th || lx >= t.tw) continue;
        const long long off =
            (((long long)t.n * p.out_h + t.oy0 + ly) * p.out_w + t.ox0 + lx) * p.out_c + t.c0 + c;
        epilogue_group_biased(p, off, a[u], p.act1, c, t.cw);
    }
}

/* No __launch_bounds__, as the PWDWPW kernel (fk_pwdwpw_tc.cuh). */
template <typename T, int TH, int TW, int TC, int KC, int NT>
__global__ void pwdw_tc_kernel(ParamsT<T> p) {
    constexpr int NW = NT / 32, N8 = TC / 8, AS = TC + 8;
    constexpr int KSB = TcElem<T>::stride_words(KC) * 4, ES = TcElem<T>::stride_elems(TC);
    constexpr int MK = TcElem<T>::kK, KV = TcElem<T>::kVec;
    static_assert(NT % 32 == 0 && KC % MK == 0 && TC % 16 == 0, "PWDW TC: tile");
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const int K = p.k, S = p.s, C = p.in_c;
    const int P = p.ph * p.pw, P16 = (P + 15) / 16 * 16;
    const cm_smem_pwdw_tc L = cm_smem_pwdw_tc_layout_es(TH, TW, TC, KC, K, S, TcElem<T>::esz);
    float *acc_s = sm + L.a, *b1s = sm + L.b1, *bds = sm + L.bd;
    T *es = reinterpret_cast<T *>(sm + L.e);
    T *wds = reinterpret_cast<T *>(sm + L.wd);

    const SpTile t = sp_tile<TH, TW, TC>(p);
    pwdw_tc_stage<T, TC, KC, NT>(p, L, t, sm + L.buf, 0, min(KC, C), P, P16);
    {
        /* PW bias, DW weights (one segment in the element type), DW bias */
        for (int i = threadIdx.x; i < TC; i += NT) {
            cp_async4(b1s + i, i < t.cw ? p.b0 + t.c0 + i : p.b0, i < t.cw ? 4 : 0);
            cp_async4(bds + i, i < t.cw ? p.b1 + t.c0 + i : p.b1, i < t.cw ? 4 : 0);
        }
        const int KK = K * K, wq = (TC * KK + KV - 1) / KV;
        for (int q = threadIdx.x; q < wq; q += NT)
            copy_row16(wds, p.w1 + (long long)t.c0 * KK, t.cw * KK, q, p.vec);
    }
    cp_async_commit();

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int nchunks = (C + KC - 1) / KC;
    for (int ci = 0; ci < nchunks; ci++) {
        float *cur = sm + L.buf + (ci & 1) * L.bufsize;
        float *nxt = sm + L.buf + ((ci + 1) & 1) * L.bufsize;
        /* chunk ci has landed; every warp is done with chunk ci-1 (buffer nxt) */
        cp_async_wait_all();
        __syncthreads();
        if (ci + 1 < nchunks) {
            const int kc = (ci + 1) * KC;
            pwdw_tc_stage<T, TC, KC, NT>(p, L, t, nxt, kc, min(KC, C - kc), P, P16);
            cp_async_commit();
        }
        const uint32_t xbase = smem_u32(cur + L.x), wbase = smem_u32(cur + L.w);
        for (int mt = warp; mt < P16 / 16; mt += NW) {
            float a1[N8][4];
#pragma unroll
            for (int j = 0; j < N8; j++)
#pragma unroll
                for (int r = 0; r < 4; r++) a1[j][r] = 0.f;
#pragma unroll
            for (int ks = 0; ks < KC / MK; ks++) {
                const int kh = ks * 16; /* 16-bit units: 32 bytes per k-step (fk_mma.cuh) */
                uint32_t af[4], bf[N8 / 2][4];
                ldsm_x4(af, frag_a(xbase, KSB, mt * 16, kh, lane));
                tc_round<T>(af);
#pragma unroll
                for (int j = 0; j < N8 / 2; j++) {
                    ldsm_x4(bf[j], frag_b2(wbase, KSB, j * 16, kh, lane));
                    tc_round<T>(bf[j]);
                }
#pragma unroll
                for (int j = 0; j < N8; j++)
                    mma_tc<T>(a1[j], af, bf[j / 2][(j & 1) * 2], bf[j / 2][(j & 1) * 2 + 1]);
            }
            /* into the fp32 accumulator tile: these elements are this
             * thread's in every chunk */
#pragma unroll
            for (int j = 0; j < N8; j++) {
                const int r = mt * 16 + (lane >> 2), c = j * 8 + (lane & 3) * 2;
                float2 *lo = reinterpret_cast<float2 *>(acc_s + r * AS + c);
                float2 *hi = reinterpret_cast<float2 *>(acc_s + (r + 8) * AS + c);
                float2 vl = make_float2(a1[j][0], a1[j][1]), vh = make_float2(a1[j][2], a1[j][3]);
                if (ci > 0) {
                    const float2 ol = *lo, oh = *hi;
                    vl.x += ol.x, vl.y += ol.y, vh.x += oh.x, vh.y += oh.y;
                }
                *lo = vl;
                *hi = vh;
            }
        }
    }
    /* E = act0(A + b1) in the element type, zeros outside the loaded patch;
     * each thread converts the accumulator elements it owns (b1 landed with
     * chunk 0) */
    for (int mt = warp; mt < P16 / 16; mt += NW) {
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int r = mt * 16 + (lane >> 2) + h * 8;
            const int py = r / p.pw, px = r - py * p.pw;
            const bool in = r < P && py >= t.ly0 && py < t.ly1 && px >= t.lx0 && px < t.lx1;
#pragma unroll
            for (int j = 0; j < N8; j++) {
                const int c = j * 8 + (lane & 3) * 2;
                const float2 v = *reinterpret_cast<const float2 *>(acc_s + r * AS + c);
                float v0 = 0.f, v1 = 0.f;
                if (in) {
                    v0 = act_apply(v.x + b1s[c], p.act0);
                    v1 = act_apply(v.y + b1s[c + 1], p.act0);
                }
                sts2_from_f32(es + r * ES + c, v0, v1);
            }
        }
    }
    __syncthreads();
    if (K == 3)
        pwdw_tc_dw<T, TH, TW, TC, NT, 3>(p, t, es, wds, bds);
    else if (K == 5)
        pwdw_tc_dw<T, TH, TW, TC, NT, 5>(p, t, es, wds, bds);
    else
        pwdw_tc_dw<T, TH, TW, TC, NT, 7>(p, t, es, wds, bds);
}

template <>
struct Family<CM_KIND_PWDW, CM_MATH_TC> {
    template <typename T, int TH, int TW, int TC, int CC, int NT>
    static fk_status launch(const Launch &l) {
        return launch_kernel<T>(pwdw_tc_kernel<T, TH, TW, TC, CC, NT>, "pwdw_tc_kernel", NT, l);
    }
};

} // namespace fk

#endif
