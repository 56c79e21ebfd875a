/* costmodel.h - the public interface of fuseplan's cost model (prefix cm_).
 *
 * Pure C11 + libm: no JSON, no CUDA headers. Everything a higher layer needs to
 * describe a candidate unit (one DW/PW layer or a fused chain), one tile of it,
 * and a GPU, and to get back bytes, FLOPs, time and feasibility.
 *
 * THE TILE CONTRACT (read this before writing a kernel or a formula)
 * -----------------------------------------------------------------
 * Layouts: activations NHWC, dense (element (n,y,x,c) at ((n*H+y)*W+x)*C+c).
 * PW weights [C_out][C_in]; DW weights [C][K][K]; biases [C_out] of 4-byte
 * elements (fp32, or int32 for int8). Every buffer starts 256-byte aligned.
 *
 * A "segment" is a contiguous run of elements one CTA reads or writes; it costs
 * every 32-byte sector it touches: sectors(off, len) = (off+len-1)/32 - off/32 + 1
 * (byte offsets). A CTA reads each segment listed below exactly once (it stages
 * it in shared memory or registers); different CTAs re-reading the same bytes
 * each pay again. This is what "global traffic" counts: bytes the SMs request
 * from L2, loads and stores apart.
 *
 * Grid: spatial kinds (DW, DWPW, PWDW, PWDWPW) tile each image separately into
 * tile_h x tile_w output pixels; flat kinds (PW, PWPW) treat the N*H*W pixels
 * as one flat index and tile it into runs of tile_w pixels (tile_h is 1). The
 * last layer's output channels are tiled by tile_c. Edge tiles are clipped.
 * Let p' be the CTA's pixels, c0..c0+c' its output channels (c' clipped).
 *
 * Per CTA, in this order (k' = clipped chunk):
 *  DW  (C, K, s):  input patch = the input rows/cols its outputs need,
 *        clipped to the image: one segment X[n][iy][ix][c0..c0+c') per patch
 *        pixel; DW weights [c0*K*K, (c0+c')*K*K) as one segment; bias
 *        [c0..c0+c'). chunk_c == tile_c.
 *  PW  (C -> F):  for kc in steps of chunk_c over C: one segment X[p][kc..kc+k')
 *        per pixel p, then one segment W[o][kc..kc+k') per output channel o;
 *        then bias [c0..c0+c').
 *  DWPW (C, K, s -> F):  for kc in steps of chunk_c over C: the DW input patch
 *        segments for channels [kc, kc+k'), DW weights [kc*K*K,(kc+k')*K*K) as
 *        one segment, DW bias [kc..kc+k'), then PW weights W[o][kc..kc+k') per
 *        o; then PW bias. The DW output chunk lives only in shared memory. With
 *        tile_c < F every output-channel tile recomputes the DW (and re-reads
 *        its input patch).
 *  PWDW (C -> E, K, s):  tile_c tiles the E channels. For kc in steps of
 *        chunk_c over C: segments X[n][iy][ix][kc..kc+k') for every pixel of
 *        the DW input patch (clipped), then W_pw[e][kc..kc+k') per e in
 *        [c0, c0+c'); then PW bias [c0..c0+c'), DW weights [c0*K*K,
 *        (c0+c')*K*K) as one segment, DW bias [c0..c0+c'). The PW result for
 *        the whole patch (halo included: neighbouring CTAs recompute it) lives
 *        in shared memory; padding positions are zeros, not PW(0).
 *  PWPW (C -> F1 -> F2):  flat pixels. For kc in steps of chunk_c over C:
 *        X[p][kc..kc+k') per pixel, W1[f][kc..kc+k') for every f < F1; then
 *        bias1 [0..F1), W2[o][0..F1) per o in [c0, c0+c'), bias2 [c0..c0+c').
 *        With tile_c < F2 the first PW is recomputed per channel tile.
 *  PWDWPW (C -> E, K, s -> F, optional residual):  first the input patch with
 *        all channels, one segment X[n][iy][ix][0..C) per patch pixel, kept in
 *        shared memory for the whole CTA. Then for ec in steps of chunk_c over
 *        E: W1[e][0..C) per e in [ec, ec+e'), bias1 [ec..ec+e'), DW weights
 *        [ec*K*K, (ec+e')*K*K) as one segment, DW bias [ec..ec+e'), W2[o][ec..
 *        ec+e') per o in [c0, c0+c'). Then bias2 [c0..c0+c').
 *  Every kind ends with: if the unit has a residual, one segment
 *  R[pixel][c0..c0+c') per output pixel (R shaped like the output); then one
 *  store segment Y[pixel][c0..c0+c') per output pixel.
 *
 * The closed-form traffic (cm_estimate_unit) and the replaying simulator
 * (cm_simulate_traffic) must agree exactly on every unit and tile; kernels in
 * fcm_kernels/ must issue exactly these reads and writes.
 *
 * Precisely (clarifications the cost model and its simulator implement):
 *  - Patch: for a tile whose clipped output rows are [oy0, oy1) the input
 *    rows are [max(0, oy0*s - pad_top), min(H, (oy1-1)*s - pad_top + K)),
 *    columns likewise with pad_left; H, W are the DW layer's input size, which
 *    for PWDW/PWDWPW is the unit input X's size (the PW keeps H x W). Every
 *    row/col in that range is read even where stride 2 skips it for some
 *    output (K >= s, so the union of the windows has no gaps).
 *  - k' = min(chunk_c, C - kc) (PWDWPW: e' = min(chunk_c, E - ec)); c' =
 *    min(tile_c, F - c0). "One segment per e/o/pixel" means one per element
 *    of that index even where consecutive segments are adjacent in memory
 *    (PWDWPW's W1[e][0..C) rows are separate segments, never merged).
 *  - A unit's layers: DW has in_c == out_c, kernel 3/5/7, stride 1/2,
 *    pad_top/left in 0..K-1 and an implied bottom/right padding
 *    (out-1)*s + K - in - pad in (-s, K-1] (TF "valid" with stride 2 on an
 *    even size leaves the last input row unread: -1). PW: 1x1, stride 1.
 *  - CTA order is cm_unit_grid's (pixel tiles along grid x, channel tiles
 *    along grid y, hence slowest); the DRAM estimate assumes it.
 *  - Shared memory of one CTA (cm_tile_check's footprint.smem_bytes =
 *    cm_smem_bytes(u, t), which is exactly what the kernels launch with and
 *    carve): the layout of cm_smem_layout.h, defined once there and used by
 *    the cost model, fk_unit_smem_bytes and the kernels alike. Regions in
 *    4-byte words, each starting 16-byte aligned, sized for the tile as
 *    compiled (unclipped: TH, TW, TC, KC = the tile; a large tile on a small
 *    image still allocates the full tile); P = ((TH-1)*s + K)*((TW-1)*s + K)
 *    the full patch, M = TH*TW, os(n) = n rounded up to a multiple of 4 with
 *    an odd number of 16-byte units (bank-conflict-free float4 rows),
 *    "Nx{...}" N pipeline stages; S, SP, NB, NBd derived from the tile by
 *    cm_pw_split, cm_proj_split, cm_pw_stages, cm_pwdw_stages (the batch-1
 *    tiles' in-CTA split of a reduction over slices of threads; S = SP = 1
 *    and 2 stages for the others):
 *      DW     X[P*TC] Wdw[K*K*TC] b[TC]
 *      PW     max(NBx{S x X[TW*os(KC)]} NBx{S x W[TC*os(KC)]},
 *             Ystage[S*TW*(TC+4)]) b[TC]
 *      DWPW   X[P*os(KC)] Wdw[K*K*KC] bdw[KC] max(D[M*os(KC)],
 *             Ystage[SP*M*(TC+4)]) Wpw[TC*os(KC)] bpw[TC]
 *      PWDW   NBdx{X[P*os(KC)] Wpw[TC*os(KC)]} A[P*os(TC)] Wdw[K*K*TC] bpw[TC]
 *             bdw[TC]
 *      PWPW   A[TW*os(F1)] r4(max(X[TW*os(KC)] W1[F1*os(KC)], W2[TC*os(F1)],
 *             Ystage[TW*(TC+4)])) b1[r4(F1)] b2[TC]
 *      PWDWPW X[P*os(C)] 2x{W1[KC*os(C)] b1[KC] Wdw[K*K*KC] bdw[KC]
 *             W2[TC*os(KC)]} max(XE[P*os(KC)], Ystage[SP*M*(TC+4)]) D[M*os(KC)]
 *             b2[TC]
 *    A = fp32 accumulators of a PW summed over input-channel chunks (PWDW:
 *    the PW over the whole patch; PWPW: the first PW); XE = the expanded
 *    chunk over the patch, D = the DW output chunk, Ystage = the output tile
 *    (one partial tile per slice) staged so that each output pixel's segment
 *    is stored as float4 rows (r4 = rounded up to a multiple of 4). The only kernels are fp32 and
 *    stage fp32, so this layout is the footprint of every dtype for now;
 *    fp16/bf16/int8 kernels will get layouts of their own in
 *    cm_smem_layout.h. Residuals are read straight into the registers of the
 *    thread that stores the output element; nothing else is staged.
 *  - Registers per thread: ceil(tile_h*tile_w*tile_c*S / threads)
 *    accumulators (S: the PW split, else 1; unclipped: registers are fixed
 *    at compile time) + 32.
 *  - Order: the lists above give each CTA's segments; a kernel may issue
 *    them in another order (its pipeline prefetches chunks and parameters)
 *    or from other threads (the in-CTA splits): the set of segments, which
 *    is what the traffic counts, is exactly the one listed.
 */
#ifndef FUSEPLAN_COSTMODEL_H
#define FUSEPLAN_COSTMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CM_SECTOR_BYTES 32
#define CM_MAX_UNIT_LAYERS 3

/* Status of a cost-model call; messages go to a caller-supplied buffer. */
typedef enum cm_status {
    CM_OK = 0,
    CM_BAD_UNIT,       /* shapes do not chain, unsupported kernel/stride */
    CM_BAD_TILE,       /* tile parameters out of range for this unit */
    CM_INFEASIBLE,     /* tile does not fit the GPU's resources */
} cm_status;

const char *cm_status_str(cm_status s);

typedef enum cm_dtype { CM_F32 = 0, CM_F16, CM_BF16, CM_I8, CM_DTYPE_COUNT } cm_dtype;

/* Bytes of one activation/weight element of this type. */
int cm_dtype_bytes(cm_dtype t);
/* Canonical name: "fp32", "fp16", "bf16", "int8". */
const char *cm_dtype_name(cm_dtype t);
/* Parses a canonical name; returns false when unknown. */
bool cm_dtype_parse(const char *name, cm_dtype *out);

/* Where a variant's multiply-adds run: CUDA cores (FFMA/HFMA2, "simt") or
 * tensor cores (mma/wgmma, "tc"; for fp32 tensors that is TF32). */
typedef enum cm_math { CM_MATH_SIMT = 0, CM_MATH_TC, CM_MATH_COUNT } cm_math;
/* "simt", "tc". */
const char *cm_math_name(cm_math m);
bool cm_math_parse(const char *name, cm_math *out);
/* The dtype's tag in variant names: "f32", "f16", "bf16", "i8". */
const char *cm_dtype_tag(cm_dtype t);

/* Bias elements are always 4 bytes (fp32 or int32 accumulator type). */
#define CM_BIAS_BYTES 4

typedef enum cm_act { CM_ACT_NONE = 0, CM_ACT_RELU, CM_ACT_RELU6 } cm_act;
const char *cm_act_name(cm_act a);

/* The kernel kinds the backend implements. */
typedef enum cm_kind {
    CM_KIND_DW = 0,
    CM_KIND_PW,
    CM_KIND_DWPW,
    CM_KIND_PWDW,
    CM_KIND_PWPW,
    CM_KIND_PWDWPW,
    CM_KIND_COUNT
} cm_kind;

/* "dw", "pw", "dwpw", "pwdw", "pwpw", "pwdwpw". */
const char *cm_kind_name(cm_kind k);
bool cm_kind_parse(const char *name, cm_kind *out);
/* Number of conv layers the kind chains (1, 2 or 3). */
int cm_kind_layers(cm_kind k);
/* True for kinds tiled over flat N*H*W pixels (PW, PWPW). */
bool cm_kind_is_flat(cm_kind k);
/* The math mode of a unit of kind k in a plan whose GEMMs use `gemm` (the
 * plan's math): every kind with a pointwise GEMM takes it; a lone DW has no
 * GEMM and always runs on CUDA cores, so its rows are SIMT in every plan.
 * (A fused kind's DW stage runs on CUDA cores too; its variant's math names
 * what its GEMMs use.) */
static inline cm_math cm_kind_math(cm_kind k, cm_math gemm) {
    return k == CM_KIND_DW ? CM_MATH_SIMT : gemm;
}

/* One convolution layer's shape, batch excluded. A DW layer has
 * in_c == out_c and kernel 3/5/7; a PW layer has kernel 1, stride 1, no
 * padding. Bottom/right padding is implied by the output size. */
typedef struct cm_conv {
    int in_h, in_w, in_c;
    int out_h, out_w, out_c;
    int kernel;          /* square kernel size */
    int stride;          /* 1 or 2 */
    int pad_top, pad_left;
    cm_act act;          /* applied after bias */
} cm_conv;

/* A candidate unit: one layer or a fused chain, at a batch size and type. */
typedef struct cm_unit {
    cm_kind kind;
    int batch;
    cm_dtype dtype;
    cm_conv layers[CM_MAX_UNIT_LAYERS]; /* cm_kind_layers(kind) are used */
    bool residual;       /* epilogue adds a tensor shaped like the output */
    /* L2 residency hints from the planner (default false = cold, read from
     * DRAM; the rule is docs/planner.md's "L2 residency", fp_unit_l2_ctx).
     * input_hot: the unit's input X is in L2 when it starts: the unit that
     * wrote it has output_l2_resident. residual_hot: the residual tensor R is
     * in L2 when the unit starts (written by a unit whose output stayed in L2,
     * with nothing since that overflowed the L2 budget). */
    bool input_hot;
    bool residual_hot;
    /* R is the unit's own input X (a whole inverted-residual block fused as
     * PWDWPW): its reads hit L2 (the CTA has just read the same pixels of X)
     * and it takes no L2 space of its own. Needs residual and X shaped like Y. */
    bool residual_is_input;
    /* CUDA cores or tensor cores (cm_variant_id); last, so that positional
     * initializers written before it existed mean CM_MATH_SIMT. */
    cm_math math;
    /* Bytes of the input X still dirty in L2 when the unit starts: the part
     * of the previous unit's output that stayed in L2 (its estimate's
     * output_dirty_bytes). L2 is write-back, so they reach DRAM later; the
     * model charges them to this unit's DRAM writes (the unit that reads
     * them next; docs/costmodel.md section 3). Set by the planner; 0 = none.
     * After math, for the same reason. */
    uint64_t input_dirty_bytes;
} cm_unit;

/* Checks that the layers match the kind (DW/PW shapes, chaining, kernel
 * 3/5/7, stride 1/2, batch >= 1). Writes a reason into err on failure. */
cm_status cm_unit_check(const cm_unit *u, char *err, size_t err_len);

/* The GPU numbers the model uses. Units are in the field names. */
typedef struct cm_gpu {
    int sm_count;
    int max_threads_per_sm;
    int max_threads_per_block;
    int max_regs_per_sm;
    int max_regs_per_thread;
    int max_blocks_per_sm;
    int smem_per_sm_bytes;
    int smem_per_block_optin_bytes;
    int l1_per_sm_bytes;
    int64_t l2_bytes;
    double dram_gbps;          /* GB/s = 1e9 B/s */
    double l2_gbps;
    double fp32_tflops;        /* FMA counted as 2 FLOPs */
    double tc_fp16_tflops;     /* dense tensor-core peaks; 0 when absent */
    double tc_bf16_tflops;
    double tc_tf32_tflops;
    double tc_int8_tops;
    double clock_mhz;
    double launch_overhead_us; /* per kernel, inside a CUDA graph */
    /* Calibration (fuseplan validate --calibrate): achieved fraction of the
     * DRAM/L2 bandwidth and of the compute peak per kernel kind and math
     * mode, [kind][math]: a tensor-core kernel (16-bit or TF32 mma) and a
     * CUDA-core one of the same kind stage, pipeline and wait differently
     * (H100, 2026-12-06: 16-bit PWDWPW units ran at 0.67-0.82x of their
     * layers where the fp32-fitted constants predicted a win). A unit reads
     * [kind][cm_kind_math(kind, unit math)] (cm_eff_math): a DW is always
     * SIMT, its TC slot is never read. 1.0 = the datasheet; a spec without a
     * "calibration" member gets cm_gpu_default_calibration(). */
    double bw_efficiency[CM_KIND_COUNT][CM_MATH_COUNT];
    double compute_efficiency[CM_KIND_COUNT][CM_MATH_COUNT];
    /* Share of l2_bytes a unit's data may occupy and still be found in L2
     * (the "L2 budget"); 0 = the default CM_L2_BUDGET_FRACTION. Calibrated
     * from DRAM counters by `fuseplan validate --calibrate`. */
    double l2_budget_fraction;
} cm_gpu;

/* Fills the calibration arrays of g with the uncalibrated defaults (the
 * same priors for both math modes: nothing measured tells them apart). */
void cm_gpu_default_calibration(cm_gpu *g);

/* The math slot of the efficiency arrays a unit of kind k with math m reads:
 * cm_kind_math(k, m) (a lone DW is always SIMT), clamped into range. */
cm_math cm_eff_math(cm_kind k, cm_math m);

/* The part of L2 the model lets one unit's working set use: a fraction of
 * g->l2_bytes, g->l2_budget_fraction when set, else CM_L2_BUDGET_FRACTION
 * (costmodel.c, measured). */
uint64_t cm_l2_budget_bytes(const cm_gpu *g);

/* One tile configuration. See the contract above for what each field means
 * per kind. The tiles the backend can run are the rows of cm_variants.inc
 * (kernel size, stride and all shapes are run-time parameters of a variant);
 * the enumerator proposes only those. */
typedef struct cm_tile {
    int tile_h;   /* output rows per CTA; 1 for flat kinds */
    int tile_w;   /* output cols per CTA; pixels per CTA for flat kinds */
    int tile_c;   /* output channels of the last layer per CTA */
    int chunk_c;  /* reduction step (DWPW/PWDW/PW/PWPW: input channels;
                     PWDWPW: expanded channels; DW: == tile_c) */
    int threads;  /* threads per CTA, a multiple of 32 */
} cm_tile;

/* What a tile occupies on one SM. */
typedef struct cm_footprint {
    int threads;
    int regs_per_thread;
    int smem_bytes;      /* dynamic shared memory per CTA */
    int ctas_per_sm;     /* occupancy limit from all resources; 0 = infeasible */
} cm_footprint;

/* Bytes requested from L2, at sector granularity. */
typedef struct cm_traffic {
    uint64_t load_bytes;
    uint64_t store_bytes;
} cm_traffic;

/* The full estimate for one unit with one tile on one GPU. */
typedef struct cm_estimate {
    cm_traffic traffic;        /* SM <-> L2: what the contract's segments request */
    uint64_t l2_read_bytes;    /* what the L2 serves for the loads: traffic.load_bytes plus the
                                  sectors served twice (cm_unit_l2_split_bytes), less the fp32
                                  kernels' parameter re-reads L1 keeps and the PW tensor-core
                                  weight reads the L2 request coalescer merges (docs/costmodel.md
                                  2.5); validate compares it with the counters, t_l2 uses the
                                  requests (traffic) */
    uint64_t dram_read_bytes;  /* L2 <-> DRAM */
    uint64_t dram_write_bytes;
    uint64_t min_bytes;        /* compulsory: inputs, weights, output once */
    double flops_cuda;         /* incl. redundant halo recompute */
    double flops_tensor;
    uint64_t ctas;
    int waves;
    cm_footprint footprint;
    double t_dram_us, t_l2_us, t_compute_us, t_launch_us; /* at the calibrated efficiencies of
                                  the kind, before wave/warp quantisation; t_compute is the
                                  executed work, tile padding included (tile_fill) */
    double tile_fill;          /* useful FLOPs / executed FLOPs (the compiled tiles' padding of
                                  channels, pixels and chunks), in (0, 1] */
    double t_serial_us;        /* the busiest SM's serial chain: its rounds of CTAs' chunk loops and
                                  fixed latency, at least its CTAs x a per-CTA cost (docs/costmodel.md,
                                  "Serial chain", "A cost per CTA"); 0 for DW */
    double time_us;            /* the estimate: max(t_launch + max(t_dram, t_l2 + t_compute)
                                  / (wave_efficiency * warp_efficiency), t_launch + t_serial) */
    double wave_efficiency;    /* ctas / (ceil(ctas / sm_count) * sm_count), in (0, 1] */
    double warp_efficiency;    /* the busiest SM's rate with the warps it has resident, as a
                                  fraction of a saturated SM's (docs/costmodel.md, "Time";
                                  CM_WARPS_SAT and CM_WARPS_SAT_PWDWPW_SIMT in costmodel.c),
                                  in (0, 1] */
    bool rereads_hit_l2;       /* re-read working set fits the L2 budget (see docs/costmodel.md) */
    bool output_l2_resident;   /* the unit's footprint fits the L2 budget: Y stays in L2, no DRAM
                                  write during the unit; the next unit may set input_hot */
    uint64_t output_dirty_bytes; /* the part of Y left dirty in L2 at the unit's end (all of Y when
                                  output_l2_resident, else the share the L2 keeps): written back
                                  later, charged to the unit that reads Y next (its
                                  cm_unit.input_dirty_bytes) */
} cm_estimate;

/* Resource check of a tile on a GPU; fills fp and returns CM_OK, or
 * CM_BAD_TILE / CM_INFEASIBLE with the reason in why. */
cm_status cm_tile_check(const cm_unit *u, const cm_tile *t, const cm_gpu *g, cm_footprint *fp,
                        char *why, size_t why_len);

/* Dynamic shared memory (bytes) of one CTA of (u, t): the layout of
 * cm_smem_layout.h (see the contract above); the same number as
 * cm_tile_check's footprint.smem_bytes and fk_unit_smem_bytes. 0 when u or t
 * is invalid (cm_unit_check, tile validity). */
size_t cm_smem_bytes(const cm_unit *u, const cm_tile *t);

/* Launch geometry of a tile (the contract's grid): grid_x enumerates the
 * pixel tiles (spatial kinds: x = (n * tiles_h + ty) * tiles_w + tx; flat kinds:
 * x = pixel run), grid_y the output-channel tiles. Kernels use exactly this. */
typedef struct cm_grid {
    uint64_t grid_x;
    uint32_t grid_y;
    uint32_t block;      /* threads per CTA */
} cm_grid;
cm_grid cm_unit_grid(const cm_unit *u, const cm_tile *t);

/* THE time formula of the cost model (docs/costmodel.md, "Time"; the overlap
 * rule is argued in costmodel.c):
 *     time = launch + max(t_dram, t_l2 + t_compute) / quantisation
 * with quantisation = wave_efficiency * warp_efficiency in (0, 1] (1 for a
 * unit without a tile). cm_estimate_unit and cm_estimate_other compute
 * cm_estimate.time_us with it, and the calibration fit (cm_calibrate.h)
 * predicts with it: the formula exists once. */
/* The time's SM side, (t_l2 + t_compute) / quantisation: what the formula
 * below sets against t_dram, and the planner's tie-break where t_dram binds
 * (cm_tile_ranks_before). */
double cm_sm_side_us(double t_l2_us, double t_compute_us, double quantisation);
double cm_time_us(double launch_us, double t_dram_us, double t_l2_us, double t_compute_us,
                  double quantisation);
/* The same with the per-CTA serial chain (docs/costmodel.md, "Serial
 * chain"): no faster than launch + t_serial_us, the chunk loop of the
 * busiest SM's CTAs run one round after the other, and no less than its CTAs'
 * own cost ("A cost per CTA"):
 *     time = max(cm_time_us(...), launch + t_serial)
 * cm_estimate_unit's time_us; t_serial 0 gives cm_time_us. */
double cm_time_serial_us(double launch_us, double t_dram_us, double t_l2_us, double t_compute_us,
                         double quantisation, double t_serial_us);
/* An estimate's throughput time: its time without the serial-chain floor
 * (cm_time_us of its parts), the planner's first tie-break at equal times
 * (cm_tile_ranks_before). */
double cm_estimate_throughput_us(const cm_estimate *e);
/* An estimate's SM side: (t_l2 + t_compute) / quantisation, what a DRAM-bound
 * time hides; the planner's second tie-break (cm_tile_ranks_before). */
double cm_estimate_sm_side_us(const cm_estimate *e);

/* Closed-form estimate. Returns the cm_tile_check status; out is filled only
 * on CM_OK. */
cm_status cm_estimate_unit(const cm_unit *u, const cm_tile *t, const cm_gpu *g, cm_estimate *out);

/* The closed-form traffic alone (no GPU needed): the same numbers as
 * cm_estimate_unit's traffic, for any valid unit and tile shape, feasible on
 * a GPU or not. Returns CM_BAD_UNIT / CM_BAD_TILE like cm_tile_check. */
cm_status cm_unit_traffic(const cm_unit *u, const cm_tile *t, cm_traffic *out);

/* Replays the tiled loop nest CTA by CTA, segment by segment (slow, exact). */
cm_status cm_simulate_traffic(const cm_unit *u, const cm_tile *t, cm_traffic *out);

/* Bytes the L2 serves a second time because a kernel's 16-byte copies put
 * the two halves of a global sector into two 32-byte chunks of shared
 * memory (rows an odd number of 16-byte units apart; docs/costmodel.md
 * section 2.5): *bytes = 32 x such sectors. Modelled for the fp32 kernels'
 * staged rows on their vector path (every channel count and the tile's
 * tile_c, chunk_c multiples of 4) and for the whole rows the PW, PWDWPW,
 * DWPW and PWDW tensor-core kernels stage on theirs (rows of several chunks
 * in their chunk segments, those shorter than 128 bytes at a quarter of the
 * rule: cm_internal.h); 0 otherwise. Not part
 * of the contract's traffic (which counts what the kernels request):
 * cm_estimate adds it to l2_read_bytes. The closed form and the literal
 * replay agree exactly. */
cm_status cm_unit_l2_split_bytes(const cm_unit *u, const cm_tile *t, uint64_t *bytes);
cm_status cm_simulate_l2_split(const cm_unit *u, const cm_tile *t, uint64_t *bytes);

/* ---- kernel variants: one identity ------------------------------------------
 *
 * A kernel variant is identified by (kind, element type, math mode, tile), and
 * by nothing else: the cost model, the simulator, the planner, the plan file,
 * the kernels' dispatch, tuning and validation all use cm_variant_id, its one
 * equality (cm_variant_id_equal) and its one name format:
 *
 *     <kind>_<dtype>_<math>_t<tile_h>x<tile_w>_c<tile_c>_k<chunk_c>_n<threads>
 *     e.g. "pwdwpw_f16_tc_t8x8_c32_k32_n128", "dw_f32_simt_t4x8_c32_k32_n64"
 *
 * with <dtype> f32 | f16 | bf16 | i8 (cm_dtype_tag) and <math> simt | tc
 * (cm_math_name). cm_variant_id_format writes it, cm_variant_id_parse reads it
 * back (exactly: parse(format(id)) == id, and a name with anything else is
 * refused). The compiled variants are the rows of cm_variants.inc. */

typedef struct cm_variant_id {
    cm_kind kind;
    cm_dtype dtype;
    cm_math math;
    cm_tile tile;
} cm_variant_id;

/* Longest variant name, terminating NUL included. */
#define CM_VARIANT_NAME_MAX 80
/* Most rows cm_variants.inc may have (a static bound for callers' arrays). */
#define CM_MAX_VARIANTS 512

/* Field-by-field equality of two tiles. */
bool cm_tile_equal(const cm_tile *a, const cm_tile *b);
/* THE equality of variants: kind, dtype, math and tile all equal. */
bool cm_variant_id_equal(const cm_variant_id *a, const cm_variant_id *b);
/* Writes id's name into buf (cap bytes; CM_VARIANT_NAME_MAX always suffices)
 * and returns buf; "" when id's kind, dtype or math is out of range. */
const char *cm_variant_id_format(const cm_variant_id *id, char *buf, size_t cap);
/* Parses a name written by cm_variant_id_format; false (out untouched) for
 * anything else: unknown kind/dtype/math, missing or extra fields, signs,
 * leading zeros, values out of range. */
bool cm_variant_id_parse(const char *name, cm_variant_id *out);
/* The identity of unit u run with tile t: u's kind, dtype and math. */
cm_variant_id cm_unit_variant_id(const cm_unit *u, const cm_tile *t);

/* A compiled variant: a row of cm_variants.inc. */
typedef struct cm_variant {
    cm_variant_id id;
    const char *name;    /* cm_variant_id_format(&id), static */
} cm_variant;
/* All rows, in cm_variants.inc order; *count receives their number. */
const cm_variant *cm_variants(size_t *count);
/* The row equal to *id (cm_variant_id_equal), or NULL (also for NULL id). */
const cm_variant *cm_variant_find(const cm_variant_id *id);
/* The row of unit u with tile t (cm_unit_variant_id), or NULL. */
const cm_variant *cm_variant_of(const cm_unit *u, const cm_tile *t);
/* True when some row has this kind, dtype and math. */
bool cm_variants_exist(cm_kind kind, cm_dtype dtype, cm_math math);

/* True when tile a makes tile b pointless for unit u: the same chunk and
 * the same grid (spatial and channel tiles), and either the same channel tile
 * with a no larger in both spatial dimensions and smaller in one and no more
 * pixels per thread, or the same spatial tile with a narrower channel tile and
 * no more of its channels per thread. Either way b's CTAs load the same bytes
 * and run the same chunk loop as a's, on more padded pixels or channels, each
 * thread with no fewer of them. A 16x16 tile on a 7x7 map against an 8x8
 * one, a 128-pixel PW tile on 49 pixels against a 64-pixel one; a PW tile of
 * 160 channels against one of 64 on a layer of 24..64 outputs (both one
 * channel tile: measured 5-100 % slower, bench/results/2026-12-07-NVIDIA_H100-s13). */
bool cm_tile_dominates(const cm_unit *u, const cm_tile *a, const cm_tile *b);

/* Writes up to cap feasible tiles of u on g into out (fastest first, in the
 * order cm_tile_ranks_before defines, dominated tiles (cm_tile_dominates by
 * another feasible one) left out); returns how many such tiles exist in
 * total. */
size_t cm_enumerate_tiles(const cm_unit *u, const cm_gpu *g, cm_tile *out, size_t cap);

/* The order the planner ranks one unit's tiles by, for anyone who ranks them
 * with times of their own (validate, with the model's or a fitted model's
 * times, judges the tile the planner would pick): the lower time; at equal
 * times the lower throughput time (the time without the serial-chain floor:
 * cm_time_us, where many tiles tie at the floor); then the lower SM side
 * (where the DRAM term binds, tiles tie on it); then the shorter chunk loop
 * per CTA; then the row's order in cm_variants.inc. */
typedef struct cm_tile_rank {
    double time_us;
    double throughput_us;
    double sm_side_us; /* (t_l2 + t_compute) / quantisation */
    int64_t chunks;    /* a CTA's chunk-loop iterations */
    size_t row;        /* the variant's row (SIZE_MAX: not a row) */
} cm_tile_rank;
cm_tile_rank cm_tile_rank_of(const cm_unit *u, const cm_tile *t, double time_us, double throughput_us,
                             double sm_side_us);
bool cm_tile_ranks_before(const cm_tile_rank *a, const cm_tile_rank *b);

/* Estimate for an op the fusion kinds do not cover (standard conv, pooling,
 * dense, add): a roofline over the given bytes and CUDA-core FLOPs. */
void cm_estimate_other(uint64_t load_bytes, uint64_t store_bytes, double flops, bool tensor_cores,
                       cm_dtype dtype, const cm_gpu *g, cm_estimate *out);

#ifdef __cplusplus
}
#endif

#endif
