#include "fp_gpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_json.h"

/* name, is_integer, lo, hi */
static const struct {
    const char *name;
    bool integer;
    double lo, hi;
} FIELDS[FP_GPU_FIELD_COUNT] = {
    [FP_GPU_SM_COUNT] = {"sm_count", true, 1, 1024},
    [FP_GPU_MAX_THREADS_PER_SM] = {"max_threads_per_sm", true, 64, 4096},
    /* every GPU of compute capability >= 3.0 allows 1024 threads per block;
     * 256 leaves room for a hypothetical smaller part, and every variant's
     * block (<= 256 threads, cm_variants.inc) fits it */
    [FP_GPU_MAX_THREADS_PER_BLOCK] = {"max_threads_per_block", true, 256, 1024},
    [FP_GPU_MAX_BLOCKS_PER_SM] = {"max_blocks_per_sm", true, 1, 64},
    [FP_GPU_MAX_REGS_PER_SM] = {"max_regs_per_sm", true, 1024, 1048576},
    [FP_GPU_MAX_REGS_PER_THREAD] = {"max_regs_per_thread", true, 16, 255},
    [FP_GPU_SMEM_PER_SM_KIB] = {"smem_per_sm_kib", false, 1, 1024},
    [FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB] = {"smem_per_block_optin_kib", false, 1, 1024},
    [FP_GPU_L1_PER_SM_KIB] = {"l1_per_sm_kib", false, 1, 1024},
    [FP_GPU_L2_MIB] = {"l2_mib", false, 0.0625, 1024},
    [FP_GPU_DRAM_GBPS] = {"dram_gbps", false, 1, 100000},
    [FP_GPU_L2_GBPS] = {"l2_gbps", false, 1, 1000000},
    [FP_GPU_FP32_TFLOPS] = {"fp32_tflops", false, 1e-3, 1e5},
    [FP_GPU_TC_FP16_TFLOPS] = {"tc_fp16_tflops", false, 0, 1e5},
    [FP_GPU_TC_BF16_TFLOPS] = {"tc_bf16_tflops", false, 0, 1e5},
    [FP_GPU_TC_TF32_TFLOPS] = {"tc_tf32_tflops", false, 0, 1e5},
    [FP_GPU_TC_INT8_TOPS] = {"tc_int8_tops", false, 0, 1e5},
    [FP_GPU_CLOCK_MHZ] = {"clock_mhz", false, 100, 5000},
    [FP_GPU_LAUNCH_OVERHEAD_US] = {"launch_overhead_us", false, 0, 1000},
};

const char *fp_gpu_field_name(int field) {
    return (field >= 0 && field < FP_GPU_FIELD_COUNT) ? FIELDS[field].name : "?";
}

static bool copy_string(fp_jctx *c, const char *path, const char *key, const char *src, char *dst,
                        size_t cap, bool allow_empty) {
    size_t n = strlen(src);
    if (!allow_empty && n == 0) return fpj_fail(c, path, key, "must not be empty");
    if (n >= cap) return fpj_fail(c, path, key, "longer than %zu characters", cap - 1);
    if (!fpj_check_text(c, path, key, src)) return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* {"value": V, "source": S} */
static bool read_sourced(fp_jctx *c, const cJSON *root, const char *key, const cJSON **value,
                         char *source) {
    static const char *const allowed[] = {"value", "source", NULL};
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!o) return fpj_fail(c, "", key, "required member is missing");
    char path[96];
    snprintf(path, sizeof path, "%s", key);
    if (!fpj_check_object(c, o, path, allowed)) return false;
    const char *s = NULL;
    if (!fpj_string(c, o, path, "source", true, &s)) return false;
    if (!copy_string(c, path, "source", s, source, FP_SOURCE_MAX, false)) return false;
    *value = cJSON_GetObjectItemCaseSensitive(o, "value");
    if (!*value) return fpj_fail(c, path, "value", "required member is missing");
    return true;
}

static const char *const CAL_MEMBERS[] = {"source", "bw_efficiency", "compute_efficiency",
                                           "l2_budget_fraction", "fusion_margin", NULL};

/* One efficiency: a number in [0.001, 1]. */
static bool eff_value(fp_jctx *c, const cJSON *v, const char *path, const char *key, double *out) {
    char r[96];
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return fpj_fail(c, path, key, "expected a number in [0.001, 1] or {\"simt\": ..., \"tc\": ...}, got %s",
                        fpj_repr(v, r, sizeof r));
    if (v->valuedouble < 0.001 || v->valuedouble > 1.0)
        return fpj_fail(c, path, key, "%s is out of range [0.001, 1]", fpj_repr(v, r, sizeof r));
    *out = v->valuedouble;
    return true;
}

/* calibration.bw_efficiency / compute_efficiency: per kind either one number
 * for both math modes (every spec written before tensor-core kernels were
 * calibrated apart: it applies to CUDA-core and tensor-core kernels alike),
 * or an object {"simt": x, "tc": y} with either member optional (a math left
 * out keeps the default). A DW runs on CUDA cores in every plan
 * (cm_kind_math), so its object takes "simt" only. Kinds left out keep the
 * defaults. */
static bool read_efficiency(fp_jctx *c, const cJSON *cal, const char *key, double out[][CM_MATH_COUNT]) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(cal, key);
    if (!o) return true;
    const char *kinds[CM_KIND_COUNT + 1];
    for (int k = 0; k < CM_KIND_COUNT; k++) kinds[k] = cm_kind_name((cm_kind)k);
    kinds[CM_KIND_COUNT] = NULL;
    char path[64];
    snprintf(path, sizeof path, "calibration.%s", key);
    if (!fpj_check_object(c, o, path, kinds)) return false;
    for (int k = 0; k < CM_KIND_COUNT; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, kinds[k]);
        if (!v) continue;
        if (!cJSON_IsObject(v)) {
            double x = 0;
            if (!eff_value(c, v, path, kinds[k], &x)) return false;
            for (int m = 0; m < CM_MATH_COUNT; m++) out[k][m] = x;
            continue;
        }
        char kpath[96];
        snprintf(kpath, sizeof kpath, "%s.%s", path, kinds[k]);
        static const char *const both[] = {"simt", "tc", NULL}, *const simt_only[] = {"simt", NULL};
        const bool dw = cm_kind_math((cm_kind)k, CM_MATH_TC) != CM_MATH_TC;
        if (dw && cJSON_GetObjectItemCaseSensitive(v, "tc"))
            return fpj_fail(c, kpath, "tc", "a %s kernel runs on CUDA cores in every plan: give \"simt\" only",
                            kinds[k]);
        if (!fpj_check_object(c, v, kpath, dw ? simt_only : both)) return false;
        for (int m = 0; m < CM_MATH_COUNT; m++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, cm_math_name((cm_math)m));
            if (x && !eff_value(c, x, kpath, cm_math_name((cm_math)m), &out[k][m])) return false;
        }
        /* a DW's TC slot is never read; keep it equal to SIMT so that a spec
         * written back says one number */
        if (dw) out[k][CM_MATH_TC] = out[k][CM_MATH_SIMT];
    }
    return true;
}

static void derive_cm_gpu(fp_gpu_spec *s) {
    const double *v = s->values;
    cm_gpu *g = &s->gpu;
    cm_gpu_default_calibration(g);
    g->sm_count = (int)v[FP_GPU_SM_COUNT];
    g->max_threads_per_sm = (int)v[FP_GPU_MAX_THREADS_PER_SM];
    g->max_threads_per_block = (int)v[FP_GPU_MAX_THREADS_PER_BLOCK];
    g->max_blocks_per_sm = (int)v[FP_GPU_MAX_BLOCKS_PER_SM];
    g->max_regs_per_sm = (int)v[FP_GPU_MAX_REGS_PER_SM];
    g->max_regs_per_thread = (int)v[FP_GPU_MAX_REGS_PER_THREAD];
    g->smem_per_sm_bytes = (int)lround(v[FP_GPU_SMEM_PER_SM_KIB] * 1024.0);
    g->smem_per_block_optin_bytes = (int)lround(v[FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB] * 1024.0);
    g->l1_per_sm_bytes = (int)lround(v[FP_GPU_L1_PER_SM_KIB] * 1024.0);
    g->l2_bytes = (int64_t)llround(v[FP_GPU_L2_MIB] * 1048576.0);
    g->dram_gbps = v[FP_GPU_DRAM_GBPS];
    g->l2_gbps = v[FP_GPU_L2_GBPS];
    g->fp32_tflops = v[FP_GPU_FP32_TFLOPS];
    g->tc_fp16_tflops = v[FP_GPU_TC_FP16_TFLOPS];
    g->tc_bf16_tflops = v[FP_GPU_TC_BF16_TFLOPS];
    g->tc_tf32_tflops = v[FP_GPU_TC_TF32_TFLOPS];
    g->tc_int8_tops = v[FP_GPU_TC_INT8_TOPS];
    g->clock_mhz = v[FP_GPU_CLOCK_MHZ];
    g->launch_overhead_us = v[FP_GPU_LAUNCH_OVERHEAD_US];
}

static bool parse_root(fp_jctx *c, const cJSON *root, fp_gpu_spec *s) {
    const char *allowed[FP_GPU_FIELD_COUNT + 8];
    int n = 0;
    allowed[n++] = "format";
    allowed[n++] = "version";
    allowed[n++] = "id";
    allowed[n++] = "name";
    allowed[n++] = "compute_capability";
    allowed[n++] = "calibration";
    for (int f = 0; f < FP_GPU_FIELD_COUNT; f++) allowed[n++] = FIELDS[f].name;
    allowed[n] = NULL;

    int version = 0;
    if (!fpj_format(c, root, FP_GPU_FORMAT, FP_GPU_VERSION, &version)) return false;
    if (!fpj_check_object(c, root, "", allowed)) return false;

    const char *str = NULL;
    if (!fpj_string(c, root, "", "id", true, &str)) return false;
    if (!copy_string(c, "", "id", str, s->id, sizeof s->id, false)) return false;
    for (const char *p = s->id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return fpj_fail(c, "", "id", "\"%s\" may contain only a-z, 0-9 and _", s->id);
    if (!fpj_string(c, root, "", "name", true, &str)) return false;
    if (!copy_string(c, "", "name", str, s->name, sizeof s->name, false)) return false;

    const cJSON *v = NULL;
    char r[96];
    if (!read_sourced(c, root, "compute_capability", &v, s->cc_source)) return false;
    int major = 0, minor = 0;
    char extra = 0;
    if (!cJSON_IsString(v) || sscanf(v->valuestring, "%d.%d%c", &major, &minor, &extra) != 2 ||
        major < 3 || major > 12 || minor < 0 || minor > 9)
        return fpj_fail(c, "compute_capability", "value", "%s is not \"major.minor\" in 3.0 .. 12.9",
                        fpj_repr(v, r, sizeof r));
    snprintf(s->compute_capability, sizeof s->compute_capability, "%d.%d", major, minor);

    for (int f = 0; f < FP_GPU_FIELD_COUNT; f++) {
        if (!read_sourced(c, root, FIELDS[f].name, &v, s->sources[f])) return false;
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return fpj_fail(c, FIELDS[f].name, "value", "expected a number, got %s",
                            fpj_repr(v, r, sizeof r));
        double d = v->valuedouble;
        if (FIELDS[f].integer && d != floor(d))
            return fpj_fail(c, FIELDS[f].name, "value", "%s is not an integer",
                            fpj_repr(v, r, sizeof r));
        if (d < FIELDS[f].lo || d > FIELDS[f].hi)
            return fpj_fail(c, FIELDS[f].name, "value", "%s is out of range [%g, %g]",
                            fpj_repr(v, r, sizeof r), FIELDS[f].lo, FIELDS[f].hi);
        s->values[f] = d;
    }
    const double *val = s->values;
    if (val[FP_GPU_MAX_THREADS_PER_BLOCK] > val[FP_GPU_MAX_THREADS_PER_SM])
        return fpj_fail(c, "max_threads_per_block", "value", "%g exceeds max_threads_per_sm %g",
                        val[FP_GPU_MAX_THREADS_PER_BLOCK], val[FP_GPU_MAX_THREADS_PER_SM]);
    if (val[FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB] > val[FP_GPU_SMEM_PER_SM_KIB])
        return fpj_fail(c, "smem_per_block_optin_kib", "value", "%g exceeds smem_per_sm_kib %g",
                        val[FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB], val[FP_GPU_SMEM_PER_SM_KIB]);
    if (val[FP_GPU_SMEM_PER_SM_KIB] > val[FP_GPU_L1_PER_SM_KIB])
        return fpj_fail(c, "smem_per_sm_kib", "value", "%g exceeds l1_per_sm_kib %g",
                        val[FP_GPU_SMEM_PER_SM_KIB], val[FP_GPU_L1_PER_SM_KIB]);
    /* plausibility: relations every real GPU satisfies, so that a typo
     * is refused here, named, instead of surfacing as a strange plan */
    if (fmod(val[FP_GPU_MAX_THREADS_PER_BLOCK], 32) != 0)
        return fpj_fail(c, "max_threads_per_block", "value", "%g is not a multiple of the warp "
                        "size 32", val[FP_GPU_MAX_THREADS_PER_BLOCK]);
    if (fmod(val[FP_GPU_MAX_THREADS_PER_SM], 32) != 0)
        return fpj_fail(c, "max_threads_per_sm", "value", "%g is not a multiple of the warp "
                        "size 32", val[FP_GPU_MAX_THREADS_PER_SM]);
    /* 64 registers per thread for a full block: 65536 per SM on every GPU of
     * compute capability >= 3.0 (CUDA C Programming Guide, "Technical
     * Specifications per Compute Capability") */
    if (val[FP_GPU_MAX_REGS_PER_SM] < 64 * val[FP_GPU_MAX_THREADS_PER_BLOCK])
        return fpj_fail(c, "max_regs_per_sm", "value", "%g is below 64 registers for each of "
                        "max_threads_per_block %g threads (%g); no GPU has so few",
                        val[FP_GPU_MAX_REGS_PER_SM], val[FP_GPU_MAX_THREADS_PER_BLOCK],
                        64 * val[FP_GPU_MAX_THREADS_PER_BLOCK]);
    if (val[FP_GPU_MAX_REGS_PER_THREAD] < 63)
        return fpj_fail(c, "max_regs_per_thread", "value", "%g is below 63, the least of any GPU "
                        "of compute capability >= 3.0", val[FP_GPU_MAX_REGS_PER_THREAD]);
    /* 48 KiB of shared memory per block is the static limit of every GPU
     * since compute capability 2.0 */
    if (val[FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB] < 48)
        return fpj_fail(c, "smem_per_block_optin_kib", "value", "%g is below 48, the static "
                        "limit of every CUDA GPU", val[FP_GPU_SMEM_PER_BLOCK_OPTIN_KIB]);
    /* every DRAM byte passes through L2: L2 serves at least DRAM's bandwidth */
    if (val[FP_GPU_L2_GBPS] < val[FP_GPU_DRAM_GBPS])
        return fpj_fail(c, "l2_gbps", "value", "%g is below dram_gbps %g; L2 carries every DRAM "
                        "byte, so its bandwidth is at least DRAM's", val[FP_GPU_L2_GBPS],
                        val[FP_GPU_DRAM_GBPS]);
    /* FP32 lanes per SM implied by the peak: 2 FLOPs per lane per clock;
     * real GPUs have 64 or 128 (16..256 allows for boost clocks) */
    double lanes = val[FP_GPU_FP32_TFLOPS] * 1e6 /
                   (2.0 * val[FP_GPU_SM_COUNT] * val[FP_GPU_CLOCK_MHZ]);
    if (lanes < 16 || lanes > 256)
        return fpj_fail(c, "fp32_tflops", "value", "%g implies %.1f FP32 lanes per SM at "
                        "sm_count %g and clock_mhz %g; real GPUs have 64 or 128 (16..256 "
                        "accepted)", val[FP_GPU_FP32_TFLOPS], lanes, val[FP_GPU_SM_COUNT],
                        val[FP_GPU_CLOCK_MHZ]);
    derive_cm_gpu(s);

    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(root, "calibration");
    if (cal) {
        if (!fpj_check_object(c, cal, "calibration", CAL_MEMBERS)) return false;
        if (!fpj_string(c, cal, "calibration", "source", true, &str)) return false;
        if (!copy_string(c, "calibration", "source", str, s->calibration_source, FP_SOURCE_MAX,
                         false))
            return false;
        if (!read_efficiency(c, cal, "bw_efficiency", s->gpu.bw_efficiency)) return false;
        if (!read_efficiency(c, cal, "compute_efficiency", s->gpu.compute_efficiency)) return false;
        if (!fpj_number(c, cal, "calibration", "l2_budget_fraction", false, 0.1, 1.0,
                        &s->gpu.l2_budget_fraction))
            return false;
        if (!fpj_number(c, cal, "calibration", "fusion_margin", false, 0.0, 1.0, &s->fusion_margin))
            return false;
        s->calibrated = true;
    }
    return true;
}

fp_status fp_gpu_parse(const char *label, const char *text, size_t len, fp_gpu_spec *out, char *err,
                       size_t err_len) {
    fp_jctx c = {label, err, err_len, FP_OK};
    memset(out, 0, sizeof *out);
    cJSON *root = fpj_parse(&c, text);
    if (!root) return c.status;
    bool ok = parse_root(&c, root, out);
    cJSON_Delete(root);
    if (!ok) return c.status;
    out->hash = fp_hash_bytes(text, len);
    snprintf(out->path, sizeof out->path, "%s", label);
    return FP_OK;
}

fp_status fp_gpu_load(const char *path, fp_gpu_spec *out, char *err, size_t err_len) {
    char *text = NULL;
    size_t len = 0;
    fp_status st = fpj_read_file(path, 1 << 20, &text, &len, err, err_len);
    if (st != FP_OK) return st;
    st = fp_gpu_parse(fpj_label(path), text, len, out, err, err_len);
    free(text);
    return st;
}

static cJSON *sourced(cJSON *value, const char *source) {
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        cJSON_Delete(value);
        return NULL;
    }
    cJSON_AddItemToObject(o, "value", value);
    cJSON_AddStringToObject(o, "source", source);
    return o;
}

/* Per kind one number where both math modes have the same value (a DW, a
 * spec calibrated before the math modes were told apart: the form such a
 * spec was written in), else {"simt": x, "tc": y}. */
static cJSON *efficiency_json(const double e[][CM_MATH_COUNT]) {
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; k < CM_KIND_COUNT && o; k++) {
        const char *name = cm_kind_name((cm_kind)k);
        const bool dw = cm_kind_math((cm_kind)k, CM_MATH_TC) != CM_MATH_TC;
        if (dw || e[k][CM_MATH_SIMT] == e[k][CM_MATH_TC]) {
            cJSON_AddNumberToObject(o, name, e[k][CM_MATH_SIMT]);
            continue;
        }
        cJSON *x = cJSON_AddObjectToObject(o, name);
        for (int m = 0; m < CM_MATH_COUNT; m++) cJSON_AddNumberToObject(x, cm_math_name((cm_math)m), e[k][m]);
    }
    return o;
}

char *fp_gpu_to_json(const fp_gpu_spec *s) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON_AddStringToObject(root, "format", FP_GPU_FORMAT);
    cJSON_AddNumberToObject(root, "version", FP_GPU_VERSION);
    cJSON_AddStringToObject(root, "id", s->id);
    cJSON_AddStringToObject(root, "name", s->name);
    cJSON_AddItemToObject(root, "compute_capability",
                          sourced(cJSON_CreateString(s->compute_capability), s->cc_source));
    for (int f = 0; f < FP_GPU_FIELD_COUNT; f++)
        cJSON_AddItemToObject(root, FIELDS[f].name,
                              sourced(cJSON_CreateNumber(s->values[f]), s->sources[f]));
    if (s->calibrated) {
        cJSON *cal = cJSON_AddObjectToObject(root, "calibration");
        cJSON_AddStringToObject(cal, "source", s->calibration_source);
        cJSON_AddItemToObject(cal, "bw_efficiency", efficiency_json(s->gpu.bw_efficiency));
        cJSON_AddItemToObject(cal, "compute_efficiency", efficiency_json(s->gpu.compute_efficiency));
        if (s->gpu.l2_budget_fraction > 0.0)
            cJSON_AddNumberToObject(cal, "l2_budget_fraction", s->gpu.l2_budget_fraction);
        if (s->fusion_margin > 0.0) cJSON_AddNumberToObject(cal, "fusion_margin", s->fusion_margin);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}
