/* fk_kernels.h - fuseplan's CUDA kernel backend (prefix fk_).
 *
 * Launchers for the fused-convolution units of the cost model (one compiled
 * kernel per row of costmodel/cm_variants.inc) and for the remaining ops a
 * model needs (standard conv fallback, pooling, dense, add, activation).
 * All tensors are device pointers, NHWC, dense, in the unit's or op's element
 * type (fp32, fp16, bf16). Weights follow
 * costmodel.h's layouts: PW [C_out][C_in], DW [C][K][K], standard conv
 * [F][KH][KW][C_in/groups] (KRSC), dense [units][C]; biases are fp32.
 *
 * Every launcher is asynchronous on the given stream, checks its arguments,
 * every CUDA call and the launch error, and returns a status; on failure a
 * one-line message (the call text and file:line for CUDA errors) goes into
 * the caller's err buffer (may be NULL when err_len is 0). Nothing here exits,
 * aborts or allocates device memory unless the function says so.
 *
 * Numerics of a unit (all kinds): every layer computes
 *     act_i(sum(w * in) + bias_i)
 * and the residual, if any, is added after the last layer's activation:
 *     y = act_last(acc + bias_last) + R.
 * A graph `add` that has its own activation therefore cannot be folded into a
 * unit's residual. Inside fused kinds the zero padding of a DW layer pads the
 * DW's input with zeros (for PWDW/PWDWPW: zeros, not act(PW(0) + bias)).
 */
#ifndef FUSEPLAN_FK_KERNELS_H
#define FUSEPLAN_FK_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#include "costmodel.h"
#include "fk_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- fused-convolution units (the cost model's kinds) ---------------------- */

/* Device buffers of one unit. x: the unit's input (layers[0] input shape,
 * batch u->batch). w[i], b[i]: weights and bias of layer i (i < layers of the
 * kind; the rest ignored). residual: shaped like y, required iff
 * u->residual, else must be NULL. y: the unit's output; must not alias x,
 * residual or weights. All 16-byte aligned for the vector paths (256-byte per
 * the contract); a misaligned pointer falls back to the scalar path. */
typedef struct fk_unit_buffers {
    const void *x;
    const void *w[CM_MAX_UNIT_LAYERS];
    const float *b[CM_MAX_UNIT_LAYERS];
    const void *residual;
    void *y;
} fk_unit_buffers;

/* Dynamic shared memory (bytes) the kernel of (u, t) launches with and
 * carves: cm_smem_bytes(u, t), the layout of costmodel/cm_smem_layout.h, which
 * is also cm_tile_check's footprint.smem_bytes; 0 when the unit or the tile
 * is invalid. Depends on the kind, the tile, kernel size, stride and (PWDWPW,
 * PWPW) channel counts. */
size_t fk_unit_smem_bytes(const cm_unit *u, const cm_tile *t);

/* Launches the compiled variant whose row in cm_variants.inc equals
 * cm_unit_variant_id(u, t) (kind, dtype, math, tile), instantiated for the
 * unit's element type. Checks u with cm_unit_check; FK_ERR_UNSUPPORTED when no
 * row has the unit's kind, dtype and math; FK_ERR_NO_VARIANT names the
 * variant when no row matches the tile; FK_ERR_RESOURCES
 * when the shared memory exceeds the device's opt-in limit. The first launch of
 * a variant sets its cudaFuncAttributeMaxDynamicSharedMemorySize. */
fk_status fk_launch_unit(const cm_unit *u, const cm_tile *t, const fk_unit_buffers *b,
                         cudaStream_t stream, char *err, size_t err_len);

/* True when the variant *id is a row of cm_variants.inc and has a compiled
 * kernel (an entry of the generated dispatch table with that identity). */
bool fk_variant_compiled(const cm_variant_id *id);

/* Writes the identities of the compiled variants (the dispatch table, in
 * cm_variants.inc order) into out[0..cap) and returns how many there are. */
size_t fk_compiled_variants(cm_variant_id *out, size_t cap);

/* Kernel name of a compiled variant, e.g. "pwdwpw_f32_simt_t4x8_c32_k32_n128"
 * (cm_variant_id_format; a static string), or NULL when no row matches. */
const char *fk_variant_kernel_name(const cm_variant_id *id);

/* ---- other ops -------------------------------------------------------------- */

/* Element types of the ops below (dtype): fp32, fp16 and bf16, NHWC tensors
 * and weights in that type, biases fp32, arithmetic and every reduction in
 * FP32, one rounding to the element type when the result is stored (int8:
 * FK_ERR_UNSUPPORTED). */

/* Direct (naive, slow) convolution on the GPU: y = act(conv(x, w) + b). b may
 * be NULL (no bias), any groups. The correctness fallback for what neither
 * cuDNN nor fk_conv2d_tiled runs, and the reference's path where cuDNN has no
 * algorithm in a 16-bit type (independent of the kernels it checks). */
fk_status fk_conv2d_direct(const fk_conv2d *p, cm_dtype dtype, const void *x, const void *w,
                           const float *b, void *y, cudaStream_t stream, char *err,
                           size_t err_len);

/* ---- the tiled direct convolution (fk_conv.cu; issue 12) ---------------------
 * y = act(conv(x, w) + b) for a dense convolution (groups 1) with few input
 * channels: the models' stems (3 -> 32/40, 3x3 stride 2) and small early convs
 * (Xception's 32 -> 64). Each CTA stages an input patch of a tile of output
 * pixels (all of its input channels, or chunks of them) and the weights of all
 * output channels in shared memory as fp32, and computes every output channel
 * of its pixels: a thread 8 channels x 4 pixels, fp32 FMAs, one rounding at the
 * store (16 bytes per thread where the channel count allows). CTAs are
 * persistent over the tiles (the weights staged once per CTA when they fit
 * whole). docs/kernels.md, "The tiled direct convolution". */

/* Limits of the tiled convolution: beyond them it says why and the runtime
 * keeps cuDNN. C_in: every input channel is reduced by fp32 FMAs on CUDA
 * cores (beyond 64 channels a tensor-core GEMM wins); C_out: one CTA holds all
 * output channels (8 per thread); K, stride: the staged patch. */
#define FK_CONV_TILED_MAX_CIN 64
#define FK_CONV_TILED_MAX_COUT 128
#define FK_CONV_TILED_MAX_K 7
#define FK_CONV_TILED_MAX_STRIDE 4
/* Shared memory per CTA at most: the default limit (no opt-in attribute), so
 * that three or more CTAs fit on an SM of 228 KB. */
#define FK_CONV_TILED_SMEM_MAX (48 * 1024)

/* How the tiled convolution runs one layer (fk_conv2d_tiled_plan). */
typedef struct fk_conv_tiling {
    int threads;         /* CTA size: 64, 128 or 256 */
    int groups8;         /* output-channel groups of 8: ceil(out_c / 8), one per thread */
    int slots;           /* pixel slots per CTA: threads / groups8, 4 output pixels each */
    int tile_h, tile_w;  /* output tile: tile_h * tile_w == 4 * slots */
    int chunk_c;         /* input channels staged per step: in_c when in_c <= 3 (one
                            step), else a multiple of 4 */
    int chunks;          /* steps over the input channels: ceil(in_c / chunk_c) */
    int pos_floats;      /* floats per staged input position (chunk_c padded) */
    long long tiles;     /* output tiles: n * ceil(out_h / tile_h) * ceil(out_w / tile_w) */
    size_t smem_bytes;   /* dynamic shared memory per CTA */
} fk_conv_tiling;

/* Whether the tiled convolution runs p in dtype, and how. Host only (no
 * device call): sm_count > 0 steers the CTA size (the largest whose tiles
 * still fill that many SMs), 0 takes 256 threads; threads 64, 128 or 256
 * forces the CTA size, 0 lets it choose. FK_OK and *t filled; or
 * FK_ERR_UNSUPPORTED with why ("C_in 128 > 64", "groups 32: dense convolutions
 * only", ...; may be NULL when why_len is 0); FK_ERR_INVALID for a bad p or
 * threads value. */
fk_status fk_conv2d_tiled_plan(const fk_conv2d *p, cm_dtype dtype, int sm_count, int threads,
                               fk_conv_tiling *t, char *why, size_t why_len);

/* Runs p with the tiled convolution, planned for the current device
 * (fk_conv2d_tiled_plan with its SM count). b may be NULL (no bias). x, w, y
 * in dtype; 16-byte loads and stores where the channel counts and the
 * pointers allow, element accesses otherwise. FK_ERR_UNSUPPORTED (with the
 * reason) for a convolution outside its limits. fp16 / bf16 convolutions that
 * the tensor-core path below takes run there (FK_CONV_PATH_AUTO). _with:
 * threads 0 as fk_conv2d_tiled; 64, 128 or 256 the CUDA-core kernel with that
 * CTA size (fk_conv2d_tiled_plan; tests and benchmarks). */
fk_status fk_conv2d_tiled(const fk_conv2d *p, cm_dtype dtype, const void *x, const void *w,
                          const float *b, void *y, cudaStream_t stream, char *err,
                          size_t err_len);
fk_status fk_conv2d_tiled_with(const fk_conv2d *p, cm_dtype dtype, int threads, const void *x,
                               const void *w, const float *b, void *y, cudaStream_t stream,
                               char *err, size_t err_len);

/* ---- the tiled convolution on tensor cores (fk_conv_tc.cu; issue 12) ----------
 * The same y = act(conv(x, w) + b) for fp16 and bf16 as an implicit GEMM on
 * mma.sync m16n8k16 (FP32 accumulation, bias and activation in FP32, one
 * rounding at the store) where the reduction is short: C_in * kh * kw <= 64
 * (padded to a multiple of 16 with zero weights and zero activations) and
 * C_out a multiple of 8 up to 128 (every shipped stem; Xception's 1x1 stride 2
 * from 64 channels). Each CTA stages its input patch by cp.async (double
 * buffered, 16- or 4-byte granules), writes its im2col tile to shared memory,
 * loads fragments with ldmatrix, and stores 16 bytes of a pixel per thread.
 * docs/kernels.md, "The stem on tensor cores".
 *
 * fk_conv2d_tiled and fk_conv2d_tiled_with(threads 0) take this path for
 * fp16 and bf16 whenever fk_conv2d_tc_plan accepts the convolution, else the
 * CUDA-core kernel above; fk_conv2d_tiled_path runs either on demand. Its
 * kernel and stride limits are the CUDA-core path's, but its smaller tiles fit
 * a few large-stride convolutions that fk_conv2d_tiled_plan refuses for shared
 * memory (stride 3-4 with C_out 8: no shipped model): fk_conv2d_tiled_supported
 * answers for both paths. */
#define FK_CONV_TC_MAX_K 64               /* C_in * kh * kw */
#define FK_CONV_TC_SMEM_MAX (48 * 1024)   /* per CTA, the default limit (no opt-in attribute) */

typedef struct fk_conv_tc_tiling {
    int threads;          /* CTA size: 256 (16 x 16 tiles) or 128 (8 x 16, 8 x 8) */
    int tile_h, tile_w;   /* output pixels of a tile */
    int ksteps;           /* k-steps of 16: ceil(C_in * kh * kw / 16) */
    int n_blocks;         /* a warp's work item: a 16-pixel m-tile x one of n_blocks ... */
    int block_n8;         /* ... blocks of block_n8 (<= 4) n8 tiles of C_out */
    int granule_bytes;    /* staging: 16 (C_in % 8 == 0) or 4 */
    long long tiles;      /* n * ceil(out_h / tile_h) * ceil(out_w / tile_w) */
    size_t smem_bytes;    /* dynamic shared memory per CTA */
} fk_conv_tc_tiling;

/* Whether the tensor-core path runs p in dtype, and how (host only, for
 * buffers aligned as the runtime allocates them). sm_count as in
 * fk_conv2d_tiled_plan (the largest tile whose tiles still cover that many
 * SMs); tile_px 256, 128 or 64 forces the 16 x 16, 8 x 16 or 8 x 8 tile, 0
 * lets it choose. FK_OK and *t; FK_ERR_UNSUPPORTED with why ("tensor-core
 * conv: C_in*kh*kw 288 > 64", "... element type fp32 ...", "... no tile fits
 * ..."); FK_ERR_INVALID for a bad p or tile_px. */
fk_status fk_conv2d_tc_plan(const fk_conv2d *p, cm_dtype dtype, int sm_count, int tile_px,
                            fk_conv_tc_tiling *t, char *why, size_t why_len);

/* Runs p on the tensor-core path (planned for the current device). x, w, y
 * in dtype (at least 2-byte aligned); 16-byte staging where C_in % 8 == 0 and
 * x is 16-byte aligned (else 4-byte, which may need a smaller tile), 16-byte
 * stores where y is. FK_ERR_UNSUPPORTED outside its limits. _with: tile_px as
 * in fk_conv2d_tc_plan (tests and benchmarks). */
fk_status fk_conv2d_tc(const fk_conv2d *p, cm_dtype dtype, const void *x, const void *w,
                       const float *b, void *y, cudaStream_t stream, char *err, size_t err_len);
fk_status fk_conv2d_tc_with(const fk_conv2d *p, cm_dtype dtype, int tile_px, const void *x,
                            const void *w, const float *b, void *y, cudaStream_t stream,
                            char *err, size_t err_len);

/* Which kernel fk_conv2d_tiled_path runs: AUTO the tensor-core path where it
 * applies (fp16 / bf16, fk_conv2d_tc_plan accepts), else the CUDA-core one
 * (threads as for SIMT); SIMT the CUDA-core kernel (threads as in
 * fk_conv2d_tiled_plan); TC the tensor-core kernel, planned (threads must be
 * 0; FK_ERR_UNSUPPORTED where it does not apply). Tests and benchmarks run
 * both on one shape. */
typedef enum fk_conv_path { FK_CONV_PATH_AUTO = 0, FK_CONV_PATH_SIMT, FK_CONV_PATH_TC } fk_conv_path;
fk_status fk_conv2d_tiled_path(fk_conv_path path, const fk_conv2d *p, cm_dtype dtype, int threads,
                               const void *x, const void *w, const float *b, void *y,
                               cudaStream_t stream, char *err, size_t err_len);

/* Whether fk_conv2d_tiled runs p in dtype on either path (host only, buffers
 * aligned as the runtime allocates them): FK_OK, or the CUDA-core planner's
 * status and reason. */
fk_status fk_conv2d_tiled_supported(const fk_conv2d *p, cm_dtype dtype, char *why, size_t why_len);

/* What fk_conv2d_tiled runs for p in dtype, for logs and reports (a static
 * string): "tiled conv on tensor cores" or "tiled direct conv" (CUDA cores);
 * the latter also when neither applies. Host only. */
const char *fk_conv2d_tiled_name(const fk_conv2d *p, cm_dtype dtype);

/* Max or average pooling (fk_types.h: average excludes padding). */
fk_status fk_pool2d_run(const fk_pool2d *p, cm_dtype dtype, const void *x, void *y,
                        cudaStream_t stream, char *err, size_t err_len);

/* y[n][c] = mean over h, w of x[n][h][w][c]. One warp per (image, group of
 * 8 x 16 bytes of channels), 16-byte loads, when c is a multiple of 16 bytes'
 * elements and x, y are 16-byte aligned; one thread per (image, channel)
 * otherwise. */
fk_status fk_global_avg_pool(int n, int h, int w, int c, cm_dtype dtype, const void *x, void *y,
                             cudaStream_t stream, char *err, size_t err_len);

/* y[n][u] = act(sum_c x[n][c] * w[u][c] + b[u]); b may be NULL. Two kernels:
 * ROWS, one warp per output (each weight row read once per image: right for
 * a few images), and TILED, a CTA per 16 images x 32 units reading each
 * weight once per CTA in 128-channel chunks prefetched into registers, the
 * reduction split over 4 thread groups (right for a batch); AUTO takes TILED
 * from FK_DENSE_TILED_MIN_N images on. Both use 16-byte loads where in_c and
 * the pointers allow. */
typedef enum fk_dense_path { FK_DENSE_AUTO = 0, FK_DENSE_ROWS, FK_DENSE_TILED } fk_dense_path;
/* Images from which AUTO takes the tiled kernel. Unmeasured: below 8 images
 * a weight row is reused fewer than 8 times and the 16-image tile computes
 * mostly padding, while the warp-per-output kernel has n * units warps to
 * spread over the GPU; `ops_bench` (bench/kernels) times both. */
#define FK_DENSE_TILED_MIN_N 8
fk_status fk_dense(int n, int in_c, int units, cm_act act, cm_dtype dtype, const void *x,
                   const void *w, const float *b, void *y, cudaStream_t stream, char *err,
                   size_t err_len);
fk_status fk_dense_with(fk_dense_path path, int n, int in_c, int units, cm_act act, cm_dtype dtype,
                        const void *x, const void *w, const float *b, void *y, cudaStream_t stream,
                        char *err, size_t err_len);

/* y = act(a + b), count elements; y may alias a or b. */
fk_status fk_add(size_t count, cm_act act, cm_dtype dtype, const void *a, const void *b, void *y,
                 cudaStream_t stream, char *err, size_t err_len);

/* y = act(x), count elements; y may alias x. */
fk_status fk_activation(size_t count, cm_act act, cm_dtype dtype, const void *x, void *y,
                        cudaStream_t stream, char *err, size_t err_len);

/* ---- utilities (tests, benchmarks, the runtime) --------------------------- */
/* Each exists for any element type (the _dt form, dtype fp32, fp16 or bf16)
 * and, with the name it always had, for fp32 (the _dt form with CM_F32). */

/* Fills d[0..count) with values uniform in [lo, hi) from a counter-based hash
 * of (seed, index), identical to fk_fill_host_uniform (fk_types.h). The _dt
 * form stores the same fp32 values rounded to dtype (round to nearest even):
 * the fp32 master values of a seed, converted on the device. */
fk_status fk_fill_uniform(float *d, size_t count, uint64_t seed, float lo, float hi,
                          cudaStream_t stream, char *err, size_t err_len);
fk_status fk_fill_uniform_dt(void *d, cm_dtype dtype, size_t count, uint64_t seed, float lo,
                             float hi, cudaStream_t stream, char *err, size_t err_len);

/* Fills d with a NaN bit pattern so unwritten outputs show: FK_POISON_BITS
 * (fp32) or FK_POISON_BITS16 (fp16, bf16). */
fk_status fk_poison(float *d, size_t count, cudaStream_t stream, char *err, size_t err_len);
fk_status fk_poison_dt(void *d, cm_dtype dtype, size_t count, cudaStream_t stream, char *err,
                       size_t err_len);

/* dst[i] = src[i] converted from src_dtype to dst_dtype (round to nearest
 * even when narrowing); count elements, dst must not alias src unless the
 * types are equal (then it is a copy). */
fk_status fk_convert(const void *src, cm_dtype src_dtype, void *dst, cm_dtype dst_dtype,
                     size_t count, cudaStream_t stream, char *err, size_t err_len);

/* Layout copies: x NHWC [n][h][w][c] <-> NCHW [n][c][h][w]; weights KRSC
 * [k][r][s][c] -> KCRS [k][c][r][s]. dst must not alias src. */
fk_status fk_nhwc_to_nchw(const float *src, float *dst, int n, int h, int w, int c,
                          cudaStream_t stream, char *err, size_t err_len);
fk_status fk_nchw_to_nhwc(const float *src, float *dst, int n, int h, int w, int c,
                          cudaStream_t stream, char *err, size_t err_len);
fk_status fk_krsc_to_kcrs(const float *src, float *dst, int k, int r, int s, int c,
                          cudaStream_t stream, char *err, size_t err_len);
fk_status fk_nhwc_to_nchw_dt(cm_dtype dtype, const void *src, void *dst, int n, int h, int w,
                             int c, cudaStream_t stream, char *err, size_t err_len);
fk_status fk_nchw_to_nhwc_dt(cm_dtype dtype, const void *src, void *dst, int n, int h, int w,
                             int c, cudaStream_t stream, char *err, size_t err_len);
fk_status fk_krsc_to_kcrs_dt(cm_dtype dtype, const void *src, void *dst, int k, int r, int s,
                             int c, cudaStream_t stream, char *err, size_t err_len);

/* Zero-pads an NHWC tensor: dst is [n][h+pt+pb][w+pl+pr][c]. */
fk_status fk_pad_nhwc(const float *src, float *dst, int n, int h, int w, int c, int pt, int pb,
                      int pl, int pr, cudaStream_t stream, char *err, size_t err_len);
fk_status fk_pad_nhwc_dt(cm_dtype dtype, const void *src, void *dst, int n, int h, int w, int c,
                         int pt, int pb, int pl, int pr, cudaStream_t stream, char *err,
                         size_t err_len);

/* y[i] = act(y[i] + b[channel of i]) in place; layout NHWC (nchw false) or
 * NCHW (nchw true); b (fp32) may be NULL. */
fk_status fk_bias_act(float *y, const float *b, cm_act act, int n, int h, int w, int c, bool nchw,
                      cudaStream_t stream, char *err, size_t err_len);
fk_status fk_bias_act_dt(cm_dtype dtype, void *y, const float *b, cm_act act, int n, int h, int w,
                         int c, bool nchw, cudaStream_t stream, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
