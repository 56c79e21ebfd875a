/* fk_dispatch.cuh - the per-kind dispatchers (one .cu per kind) that
 * fk_launch.cu calls, and the launch helper they share. */
#ifndef FUSEPLAN_FK_DISPATCH_CUH
#define FUSEPLAN_FK_DISPATCH_CUH

#include "fk_common.cuh"

namespace fk {

/* Everything a kernel launch needs besides the kernel itself. */
struct Launch {
    const Params *p;
    long long blocks; /* grid x: pixel tiles (cm_unit_grid) */
    int ctiles;       /* grid y: output-channel tiles */
    size_t smem;
    cudaStream_t stream;
    char *err;
    size_t err_len;
};

/* A row of cm_variants.inc for one kind, with its launcher. */
typedef fk_status (*LaunchFn)(const Launch &l);
struct Row {
    int th, tw, tc, cc, nt;
    LaunchFn fn;
};

/* Finds the row equal to *t in rows (terminated by fn == nullptr) and runs it;
 * FK_ERR_NO_VARIANT (no message: the caller names the tile) when none. */
inline fk_status run_row(const Row *rows, const cm_tile *t, const Launch &l) {
    for (const Row *r = rows; r->fn; r++)
        if (r->th == t->tile_h && r->tw == t->tile_w && r->tc == t->tile_c &&
            r->cc == t->chunk_c && r->nt == t->threads)
            return r->fn(l);
    return FK_ERR_NO_VARIANT;
}

/* Launches kern<<<blocks, threads, smem>>>(p), raising the kernel's dynamic
 * shared-memory limit first when it needs more than the default 48 KiB. */
template <typename Kern>
fk_status launch_kernel(Kern kern, const char *name, int threads, const Launch &l) {
    char *err = l.err;
    size_t err_len = l.err_len;
    if (l.blocks < 1 || l.blocks > 0x7fffffffLL || l.ctiles < 1 || l.ctiles > 65535)
        return fk_fail(FK_ERR_INVALID, err, err_len, "%s: grid %lld x %d out of range", name,
                       l.blocks, l.ctiles);
    if (l.smem > 48 * 1024)
        FK_CUDA(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)l.smem));
    kern<<<dim3((unsigned)l.blocks, (unsigned)l.ctiles), threads, l.smem, l.stream>>>(*l.p);
    FK_CHECK_LAUNCH(name);
    return FK_OK;
}

fk_status dispatch_dw(const cm_tile *t, const Launch &l);
fk_status dispatch_pw(const cm_tile *t, const Launch &l);
fk_status dispatch_dwpw(const cm_tile *t, const Launch &l);
fk_status dispatch_pwdw(const cm_tile *t, const Launch &l);
fk_status dispatch_pwpw(const cm_tile *t, const Launch &l);
fk_status dispatch_pwdwpw(const cm_tile *t, const Launch &l);

} // namespace fk

/* X-macro helpers: each kind's .cu defines FK_ROW_<ITS KIND> and leaves the
 * others empty, then includes cm_variants.inc once. */
#define CM_VARIANT(kind, dt, math, th, tw, tc, cc, nt) FK_ROW_##kind(th, tw, tc, cc, nt)

#endif
