/* fk_occupancy.cuh - resident CTAs per SM of one kernel instantiation at
 * (threads, dynamic shared memory), cached per device (the tiled convs'
 * launchers, fk_conv.cu and fk_conv_tc.cu, size their persistent grids with
 * it). The occupancy query is a host call that should not run inside a
 * stream capture, and the runtime launches each layer once before it
 * captures a graph, so the answer is cached. Each caller keeps one
 * fk_occupancy_cache per instantiation (a function-local static); an entry
 * packs (smem << 16 | threads << 8 | count) in one atomic word, so that
 * threads racing on a slot store complete values; a full table overwrites
 * the slot the key hashes to. */
#ifndef FUSEPLAN_FK_OCCUPANCY_CUH
#define FUSEPLAN_FK_OCCUPANCY_CUH

#include <atomic>
#include <cstddef>

#include <cuda_runtime_api.h>

#include "fk_error.h"

/* A model has a few such layers (Xception three): 8 slots per device. */
struct fk_occupancy_cache {
    static constexpr int kDevices = 16, kSlots = 8;
    std::atomic<unsigned long long> slot[kDevices][kSlots];
};

/* *count = resident CTAs per SM of kernel at (threads, smem) on device dev;
 * FK_ERR_RESOURCES (naming what) when none fits. */
template <typename Kernel>
fk_status fk_resident_ctas(fk_occupancy_cache &c, Kernel kernel, const char *what, int dev,
                           int threads, size_t smem, int *count, char *err, size_t err_len) {
    const unsigned long long key = ((unsigned long long)smem << 16) | ((unsigned)threads << 8);
    const bool cached = dev >= 0 && dev < fk_occupancy_cache::kDevices;
    if (cached)
        for (int i = 0; i < fk_occupancy_cache::kSlots; i++) {
            const unsigned long long v = c.slot[dev][i].load(std::memory_order_relaxed);
            if (v && (v & ~0xffull) == key) {
                *count = (int)(v & 0xff);
                return FK_OK;
            }
        }
    int occ = 0;
    FK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, kernel, threads, smem));
    if (occ < 1)
        return fk_fail(FK_ERR_RESOURCES, err, err_len, "%s: no CTA of %d threads and %zu bytes of "
                       "shared memory fits an SM", what, threads, smem);
    if (occ > 255) occ = 255;
    *count = occ;
    if (!cached) return FK_OK;
    const unsigned long long v = key | (unsigned)occ;
    for (int i = 0; i < fk_occupancy_cache::kSlots; i++) {
        unsigned long long empty = 0;
        if (c.slot[dev][i].compare_exchange_strong(empty, v, std::memory_order_relaxed)) return FK_OK;
    }
    c.slot[dev][(key >> 8) % fk_occupancy_cache::kSlots].store(v, std::memory_order_relaxed);
    return FK_OK;
}

#endif
