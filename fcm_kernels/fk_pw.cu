/* fk_pw.cu - layer-by-layer pointwise convolution (kind PW): an FP32 GEMM
 * Y[p][o] = act(sum_c X[p][c] W[o][c] + b[o]) (+ R[p][o]) over the N*H*W
 * pixels, on CUDA cores (FFMA, no TF32).
 *
 * One CTA = TW flat pixels x TC output channels. Global traffic per CTA,
 * exactly the contract: for each chunk of KC input channels, one segment
 * X[p][kc..kc+k') per pixel then one segment W[o][kc..kc+k') per output
 * channel (both by cp.async into a double-buffered shared-memory stage, the
 * next chunk in flight while this one is multiplied); the bias [c0, c0+c');
 * then per pixel the residual segment and the store segment, written as
 * float4 rows through a shared-memory staging tile. When tile_c < C_out every
 * channel tile re-reads its pixels' X rows (the model counts it); nothing is
 * recomputed.
 *
 * Compute: thread (tx, ty) owns TM x TN outputs, rows ty + i*NTY and columns
 * tx + j*NTX (strided, so the 8 threads of a quarter warp read 8 consecutive
 * rows of a K-major tile whose row stride is an odd number of 16-byte units:
 * conflict-free float4 reads). Per 4 input channels: TM + TN float4 loads,
 * 4*TM*TN FFMA.
 */
#include "fk_dispatch.cuh"

namespace fk {

template <int BM, int BN, int KC, int NT>
struct PwShape {
    static constexpr int PT = BM * BN / NT;
    static constexpr int TN = PT >= 64 ? 8 : 4;
    static constexpr int TM = PT / TN;
    static constexpr int NTX = BN / TN;
    static constexpr int NTY = BM / TM;
    static constexpr int KS = odd_stride(KC);
    static_assert(PT * NT == BM * BN && TM * TN == PT && NTX * NTY == NT, "bad PW tile");
    static_assert(KC % 4 == 0 && BN % 4 == 0, "chunk_c and tile_c must be multiples of 4");
};

template <int BM, int BN, int KC, int NT>
__device__ __forceinline__ void pw_load_stage(const Params &p, float *sa, float *sb,
                                              long long p0, int pw, int c0, int cw, int kc) {
    constexpr int KQ = KC / 4, KS = odd_stride(KC);
    const int C = p.in_c;
    const int kw = min(KC, C - kc);
    for (int i = threadIdx.x; i < BM * KQ; i += NT) {
        const int m = i / KQ, q = i % KQ;
        float *dst = sa + m * KS;
        if (m < pw)
            copy_group(dst, p.x + (p0 + m) * C + kc, kw, q, p.vec);
        else
            *reinterpret_cast<float4 *>(dst + q * 4) = make_float4(0.f, 0.f, 0.f, 0.f);
    }
    for (int i = threadIdx.x; i < BN * KQ; i += NT) {
        const int o = i / KQ, q = i % KQ;
        float *dst = sb + o * KS;
        if (o < cw)
            copy_group(dst, p.w0 + (long long)(c0 + o) * C + kc, kw, q, p.vec);
        else
            *reinterpret_cast<float4 *>(dst + q * 4) = make_float4(0.f, 0.f, 0.f, 0.f);
    }
}

template <int BM, int BN, int KC, int NT>
__global__ void __launch_bounds__(NT) pw_kernel(Params p) {
    using S = PwShape<BM, BN, KC, NT>;
    constexpr int TM = S::TM, TN = S::TN, NTX = S::NTX, NTY = S::NTY, KS = S::KS;
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const PwLayout L = pw_layout(BM, BN, KC);
    float *sa = sm + L.a, *sb = sm + L.b, *sbias = sm + L.bias;

    /* cm_unit_grid: x = pixel run, y = channel tile */
    const int ct = (int)blockIdx.y;
    const long long pt = blockIdx.x;
    const int F = p.out_c, C = p.in_c;
    const int c0 = ct * BN, cw = min(BN, F - c0);
    const long long p0 = pt * BM;
    const int pw = (int)min((long long)BM, p.npix - p0);

    const int nk = (C + KC - 1) / KC;
    pw_load_stage<BM, BN, KC, NT>(p, sa, sb, p0, pw, c0, cw, 0);
    cp_async_commit();
    for (int i = threadIdx.x; i < BN; i += NT) sbias[i] = i < cw ? __ldg(p.b0 + c0 + i) : 0.f;

    const int tx = threadIdx.x % NTX, ty = threadIdx.x / NTX;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.f;

    for (int kt = 0; kt < nk; kt++) {
        const int buf = kt & 1;
        if (kt + 1 < nk)
            pw_load_stage<BM, BN, KC, NT>(p, sa + (buf ^ 1) * BM * KS, sb + (buf ^ 1) * BN * KS,
                                          p0, pw, c0, cw, (kt + 1) * KC);
        cp_async_commit();
        cp_async_wait_group<1>();
        __syncthreads();
        const float *A = sa + buf * BM * KS + ty * KS;
        const float *B = sb + buf * BN * KS + tx * KS;
#pragma unroll
        for (int k4 = 0; k4 < KC / 4; k4++) {
            float4 a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < TM; i++)
                a[i] = *reinterpret_cast<const float4 *>(A + i * NTY * KS + k4 * 4);
#pragma unroll
            for (int j = 0; j < TN; j++)
                b[j] = *reinterpret_cast<const float4 *>(B + j * NTX * KS + k4 * 4);
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] = dot4(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

    /* epilogue through a staging tile [BM][BN+4] over the (now free) A/B stage */
    constexpr int CS = BN + 4;
    float *cs = sm;
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) cs[(ty + i * NTY) * CS + tx + j * NTX] = acc[i][j];
    __syncthreads();
    constexpr int NQ = BN / 4;
    for (int i = threadIdx.x; i < BM * NQ; i += NT) {
        const int m = i / NQ, q = i % NQ, c = q * 4;
        if (m >= pw || c >= cw) continue;
        float4 v = *reinterpret_cast<const float4 *>(cs + m * CS + c);
        v = act4(add4(v, *reinterpret_cast<const float4 *>(sbias + c)), p.act0);
        const long long off = (p0 + m) * F + c0 + c;
        if (p.vec) {
            if (p.res) v = add4(v, __ldg(reinterpret_cast<const float4 *>(p.res + off)));
            *reinterpret_cast<float4 *>(p.y + off) = v;
        } else {
            const float vv[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
            for (int j = 0; j < 4; j++) {
                if (c + j >= cw) break;
                float o = vv[j];
                if (p.res) o += __ldg(p.res + off + j);
                p.y[off + j] = o;
            }
        }
    }
}

template <int BM, int BN, int KC, int NT>
fk_status launch_pw(const Launch &l) {
    return launch_kernel(pw_kernel<BM, BN, KC, NT>, "pw_kernel", NT, l);
}

#define FK_ROW_DW(th, tw, tc, cc, nt)
#define FK_ROW_PW(th, tw, tc, cc, nt) {th, tw, tc, cc, nt, &launch_pw<tw, tc, cc, nt>},
#define FK_ROW_DWPW(th, tw, tc, cc, nt)
#define FK_ROW_PWDW(th, tw, tc, cc, nt)
#define FK_ROW_PWPW(th, tw, tc, cc, nt)
#define FK_ROW_PWDWPW(th, tw, tc, cc, nt)
static const Row pw_rows[] = {
#include "cm_variants.inc"
    {0, 0, 0, 0, 0, nullptr}};

fk_status dispatch_pw(const cm_tile *t, const Launch &l) { return run_row(pw_rows, t, l); }

} // namespace fk
