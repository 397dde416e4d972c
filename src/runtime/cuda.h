// CUDA device: NVRTC-compiled kernels (cached on disk) launched on one stream per GPU, a caching allocator
#ifndef TG_CUDA_H
#define TG_CUDA_H
#include "runtime/device.h"

/* Devices are "CUDA" (= "CUDA:0"), "CUDA:1", ... Everything loads at first use (runtime/cuda_api.h); where
 * there is no driver or no GPU, dev_get("CUDA") fails with a one-line error.
 * Launches and host->device copies are asynchronous on the device's stream; a device->host copy waits for
 * the stream. Host copies go through two pinned staging buffers (a copy overlaps the memcpy of the next chunk).
 * Freed memory goes to a per-device cache of blocks reused by size; when an allocation fails the cache is
 * released and the allocation retried. */
Device *rt_cuda_device(int index);         // NULL + tg_set_error when absent
const char *rt_cuda_gpu_name(Device *d);    // "NVIDIA H100 80GB HBM3"
const char *rt_cuda_arch(Device *d);        // "sm_90"
int rt_cuda_sync(Device *d);                // waits for the stream; 0, or -1 with tg_set_error (e.g. a kernel fault)
// Queues a copy between two allocations of d (asynchronous). 0, or -1 with tg_set_error.
int rt_cuda_copy_d2d(Device *d, void *dst, const void *src, size_t nbytes);

// Seconds between two points of the stream, measured by CUDA events: begin records the first, end records
// the second, waits for it and returns the time (or -1 with tg_set_error).
int    rt_cuda_timer_begin(Device *d);
double rt_cuda_timer_end(Device *d);

typedef struct RtCudaStats {
  int64_t compiled, cache_hits;          // NVRTC runs; kernels loaded from the disk cache
  int64_t allocs, alloc_reuses;          // device allocations asked for; served from the free-block cache
  size_t cached_bytes;                   // bytes held in free-block caches now
} RtCudaStats;
RtCudaStats rt_cuda_stats(void);

/* The NULL device's CUDA mode (NULL_RENDER=CUDA): renders p as CUDA into p->src and, when NVRTC is present,
 * compiles it for CUDA_ARCH (default sm_90) and throws the cubin away. 0, or -1 with tg_set_error. */
int rt_cuda_render_only(Program *p);
#endif
