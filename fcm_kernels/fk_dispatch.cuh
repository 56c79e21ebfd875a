/* fk_dispatch.cuh - how a variant of cm_variants.inc becomes a launch.
 *
 * Each kind's header (fk_dw.cuh, fk_pw.cuh, ...) holds its kernel templates
 * (template <typename Elem, tile...>) and specializes Family<kind, math> with
 * one static function template launch<Elem, TH, TW, TC, CC, NT>(const Launch &).
 * tools/gen_kernel_tus.py writes, from cm_variants.inc, one translation unit
 * per (kind, dtype, math) that has rows, each defining one launcher function
 * per row that calls its Family's launch with the row's element type and tile,
 * and fk_variant_table.cu: the table of (cm_variant_id, launcher), one entry per
 * row in cm_variants.inc order, that fk_launch.cu dispatches on. A row whose
 * (kind, math) has no Family, or whose dtype has no Elem traits
 * (fk_elem.cuh), does not compile. */
#ifndef FUSEPLAN_FK_DISPATCH_CUH
#define FUSEPLAN_FK_DISPATCH_CUH

#include "fk_common.cuh"

namespace fk {

/* Everything a kernel launch needs besides the kernel itself. */
struct Launch {
    const RawParams *p; /* retyped per variant by launch_kernel */
    long long blocks;   /* grid x: pixel tiles (cm_unit_grid) */
    int ctiles;         /* grid y: output-channel tiles */
    size_t smem;
    cudaStream_t stream;
    char *err;
    size_t err_len;
};

/* A compiled variant: its identity (a row of cm_variants.inc) and launcher. */
typedef fk_status (*LaunchFn)(const Launch &l);
struct Entry {
    cm_variant_id id;
    LaunchFn fn;
};

/* The dispatch table: entry i = row i of cm_variants.inc (generated
 * fk_variant_table.cu). */
extern const Entry variant_table[];
extern const size_t variant_table_len;

/* The kernels of one (kind, math): specialized by each kind's header. */
template <cm_kind Kind, cm_math Math>
struct Family;

/* Launches kern<<<blocks, threads, smem>>>(p) with p the launch's parameters
 * typed as Elem, raising the kernel's dynamic shared-memory limit first when
 * it needs more than the default 48 KiB. */
template <typename Elem, typename Kern>
fk_status launch_kernel(Kern kern, const char *name, int threads, const Launch &l) {
    char *err = l.err;
    size_t err_len = l.err_len;
    if (l.blocks < 1 || l.blocks > 0x7fffffffLL || l.ctiles < 1 || l.ctiles > 65535)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: grid %lld x %d out of range", name,
                       l.blocks, l.ctiles);
    if (l.smem > 48 * 1024)
        FK_CUDA(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)l.smem));
    const ParamsT<Elem> p = params_as<Elem>(*l.p);
    kern<<<dim3((unsigned)l.blocks, (unsigned)l.ctiles), threads, l.smem, l.stream>>>(p);
    FK_CHECK_LAUNCH(name);
    return FK_OK;
}

} // namespace fk

#endif
