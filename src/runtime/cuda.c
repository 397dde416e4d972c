// CUDA device: NVRTC-compiled kernels (cached on disk) launched on one stream per GPU, a caching allocator
#include "runtime/cuda.h"
#include "runtime/cuda_internal.h"
#include "base/fnv.h"
#include "runtime/cuda_api.h"
#include "runtime/cpu.h"
#include "runtime/runtime.h"
#include "renderer/cstyle.h"
#include "renderer/gpuflat.h"
#include "base/env.h"
#include "base/error.h"
#include "tinygrad.h"
#include "base/hashmap.h"
#include "base/log.h"
#include "base/strbuf.h"
#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_GPUS = 16, BLOCK = 256, STAGE_BYTES = 8 << 20, ALLOC_ALIGN = 256 };
static const char CUBIN_MAGIC[8] = { 'T', 'G', 'C', 'U', 'B', 'I', 'N', '1' };

// What compile leaves in Program.lib (Program.entry is the CUfunction).
typedef struct Kernel { CUmodule mod; int64_t inner; } Kernel;

typedef struct Block { CUdeviceptr ptr; size_t size; } Block;
typedef struct Gpu {
  int ordinal, sm_count;
  CUdevice dev;
  CUcontext ctx;
  CUstream stream;
  char name[128], arch[16];
  Block *free_blocks;               // the allocator's cache of freed blocks (unordered)
  int nfree, capfree;
  HMap live;                        // allocated pointer -> its rounded size (free gets no size)
  void *stage[2];                   // pinned host staging buffers, STAGE_BYTES each
  CUevent stage_done[2];            // recorded after the last copy that used stage[k]
  int stage_next;
  CUevent timer[2];
} Gpu;

static Device devs[MAX_GPUS];
static Gpu gpus[MAX_GPUS];
static bool ready[MAX_GPUS];
static pthread_mutex_t cuda_mu = PTHREAD_MUTEX_INITIALIZER;
static RtCudaStats stats;

RtCudaStats rt_cuda_stats(void) { return stats; }
static Gpu *gpu_of(Device *d) { return d->impl; }
const char *rt_cuda_gpu_name(Device *d) { return gpu_of(d)->name; }
const char *rt_cuda_arch(Device *d) { return gpu_of(d)->arch; }

// Makes d's context current on this thread; every entry point starts here (the context is per thread).
static const CudaApi *enter(Device *d) {
  const CudaApi *cu = cu_api();
  return cu && cu_check(cu->CtxSetCurrent(gpu_of(d)->ctx), "cuCtxSetCurrent") == 0 ? cu : NULL;
}

int rt_cuda_sync(Device *d) {
  const CudaApi *cu = enter(d);
  return cu ? cu_check(cu->StreamSynchronize(gpu_of(d)->stream), "stream synchronize (a kernel or copy failed)") : -1;
}

// ---- the caching allocator ----
static void release_cache(const CudaApi *cu, Gpu *g) {
  for (int i = 0; i < g->nfree; i++) { cu->MemFree(g->free_blocks[i].ptr); stats.cached_bytes -= g->free_blocks[i].size; }
  g->nfree = 0;
}

static void *cuda_alloc(Device *d, size_t nbytes) {
  const CudaApi *cu = enter(d);
  if (!cu) return NULL;
  Gpu *g = gpu_of(d);
  size_t size = (nbytes + ALLOC_ALIGN - 1) / ALLOC_ALIGN * ALLOC_ALIGN;
  if (!size) size = ALLOC_ALIGN;
  stats.allocs++;
  for (int i = 0; i < g->nfree; i++)
    if (g->free_blocks[i].size == size) {        // a freed block of this size: reuse it
      CUdeviceptr p = g->free_blocks[i].ptr;
      g->free_blocks[i] = g->free_blocks[--g->nfree];
      stats.cached_bytes -= size;
      stats.alloc_reuses++;
      hmap_put(&g->live, p, size);
      return (void *)(uintptr_t)p;
    }
  CUdeviceptr p = 0;
  if (cu->MemAlloc(&p, size) != 0) {             // out of memory: give the cache back and try once more
    rt_cuda_sync(d);
    release_cache(cu, g);
    if (cu_check(cu->MemAlloc(&p, size), "cuMemAlloc") != 0) return NULL;
  }
  hmap_put(&g->live, p, size);
  return (void *)(uintptr_t)p;
}

// Freed blocks keep their rounded size; the stream orders any pending use before the block's next owner.
static void cuda_free(Device *d, void *ptr) {
  Gpu *g = gpu_of(d);
  if (!ptr) return;
  if (g->nfree == g->capfree) {
    g->capfree = g->capfree ? 2 * g->capfree : 64;
    g->free_blocks = realloc(g->free_blocks, (size_t)g->capfree * sizeof *g->free_blocks);
    TG_ASSERT(g->free_blocks, "out of memory");
  }
  uint64_t size = 0;
  TG_ASSERT(hmap_get(&g->live, (uint64_t)(uintptr_t)ptr, &size), "cuda_free of a pointer not allocated on %s", d->name);
  hmap_del(&g->live, (uint64_t)(uintptr_t)ptr);
  g->free_blocks[g->nfree++] = (Block){ (CUdeviceptr)(uintptr_t)ptr, size };
  stats.cached_bytes += size;
}

// ---- copies through the pinned staging buffers ----
// The next staging buffer, once the copy that last used it is done.
static int take_stage(const CudaApi *cu, Gpu *g, int *k) {
  *k = g->stage_next;
  g->stage_next ^= 1;
  return cu_check(cu->EventSynchronize(g->stage_done[*k]), "staging event wait");
}

static int cuda_copyin(Device *d, void *dst, const void *src, size_t nbytes) {
  const CudaApi *cu = enter(d);
  if (!cu) return -1;
  Gpu *g = gpu_of(d);
  for (size_t off = 0; off < nbytes; off += STAGE_BYTES) {   // asynchronous: returns once src is staged
    size_t n = nbytes - off < STAGE_BYTES ? nbytes - off : STAGE_BYTES;
    int k;
    if (take_stage(cu, g, &k) != 0) return -1;
    memcpy(g->stage[k], (const char *)src + off, n);
    if (cu_check(cu->MemcpyHtoDAsync((CUdeviceptr)(uintptr_t)dst + off, g->stage[k], n, g->stream), "host-to-device copy") != 0 ||
        cu_check(cu->EventRecord(g->stage_done[k], g->stream), "cuEventRecord") != 0) return -1;
  }
  return 0;
}

// Chunk c+1's device copy is queued before chunk c is copied out of its staging buffer.
static int cuda_copyout(Device *d, void *dst, const void *src, size_t nbytes) {
  const CudaApi *cu = enter(d);
  if (!cu) return -1;
  Gpu *g = gpu_of(d);
  size_t nchunks = (nbytes + STAGE_BYTES - 1) / STAGE_BYTES;
  int ks[2] = { 0, 0 };
  for (size_t c = 0; c <= nchunks; c++) {
    if (c < nchunks) {
      size_t off = c * STAGE_BYTES, n = nbytes - off < STAGE_BYTES ? nbytes - off : STAGE_BYTES;
      if (take_stage(cu, g, &ks[c & 1]) != 0 ||
          cu_check(cu->MemcpyDtoHAsync(g->stage[ks[c & 1]], (CUdeviceptr)(uintptr_t)src + off, n, g->stream), "device-to-host copy") != 0 ||
          cu_check(cu->EventRecord(g->stage_done[ks[c & 1]], g->stream), "cuEventRecord") != 0) return -1;
    }
    if (c > 0) {
      size_t off = (c - 1) * STAGE_BYTES, n = nbytes - off < STAGE_BYTES ? nbytes - off : STAGE_BYTES;
      int k = ks[(c - 1) & 1];
      if (cu_check(cu->EventSynchronize(g->stage_done[k]), "device-to-host copy (a kernel or copy failed)") != 0) return -1;
      memcpy((char *)dst + off, g->stage[k], n);
    }
  }
  return 0;
}

// ---- compiling: NVRTC, cubins cached on disk as <cache dir>/cuda/<key>.cubin + a 16-byte trailer ----
// Path of the cubin for (src, arch, NVRTC version and options), or NULL with CACHELEVEL=0. malloc'd.
static char *cubin_path(const char *src, const char *arch) {
  char *dir = rt_cpu_cache_dir();
  if (!dir) return NULL;
  const char *parts[] = { src, arch, nvrtc_version_str(), nvrtc_options() };
  char key[33];
  fnv_key_hex(parts, sizeof parts / sizeof *parts, key);
  StrBuf sb = { 0 };
  sb_printf(&sb, "%s/cuda/%s.cubin", dir, key);
  free(dir);
  return sb_take(&sb);
}

// Written to a temporary name and renamed, so a reader never sees half a file. Failures only cost a rebuild.
static void cache_write(const char *path, const char *bin, size_t n) {
  StrBuf dir = { 0 }, tmp = { 0 };
  sb_puts(&dir, path);
  *strrchr(dir.s, '/') = 0;
  sb_printf(&tmp, "%s.tmp.%d", path, (int)getpid());
  uint64_t h = fnv1a(FNV1A_INIT, bin, n);
  FILE *f = rt_cpu_mkdirs(dir.s) == 0 ? fopen(tmp.s, "wb") : NULL;
  bool ok = f && fwrite(bin, 1, n, f) == n && fwrite(CUBIN_MAGIC, 1, 8, f) == 8 && fwrite(&h, 1, 8, f) == 8;
  if (f && fclose(f) != 0) ok = false;
  if (!ok || rename(tmp.s, path) != 0) { LOG(2, "CUDA: cannot cache %s: %s", path, strerror(errno)); unlink(tmp.s); }
  sb_free(&dir);
  sb_free(&tmp);
}

// The cubin of src from the disk cache, else from NVRTC (then cached). malloc'd; NULL with tg_set_error.
static char *get_cubin(const char *src, const char *sym, const char *arch, size_t *n) {
  char *path = cubin_path(src, arch), *bin = path ? rt_cache_read(path, CUBIN_MAGIC, n) : NULL;
  if (bin) stats.cache_hits++;
  else if (nvrtc_compile(src, sym, arch, &bin, n) == 0) {
    stats.compiled++;
    if (path) cache_write(path, bin, *n);
  }
  free(path);
  return bin;
}

static void cuda_release(Device *d, Program *p) {
  Kernel *k = p->lib;
  const CudaApi *cu = k ? enter(d) : NULL;
  if (cu) cu->ModuleUnload(k->mod);
  free(k);
  p->lib = p->entry = NULL;
}

// Loads a cubin (taking it) as p's kernel; 0, or -1 with tg_set_error.
static int load_kernel(Device *d, Program *p, char *bin, const char *sym) {
  const CudaApi *cu = bin ? enter(d) : NULL;
  CUmodule mod = NULL;
  CUfunction fn = NULL;
  int rc = cu && cu_check(cu->ModuleLoadData(&mod, bin), "cuModuleLoadData") == 0 &&
           cu_check(cu->ModuleGetFunction(&fn, mod, sym), "cuModuleGetFunction") == 0 ? 0 : -1;
  free(bin);
  if (rc != 0) { if (mod) cu->ModuleUnload(mod); return -1; }
  Kernel *k = malloc(sizeof *k);
  TG_ASSERT(k, "out of memory");
  UOp *chain[GPU_FLAT_MAX];
  *k = (Kernel){ mod, gpu_flat_inner(chain, gpu_flat_ranges(p, chain, GPU_FLAT_MAX)) };   // as rend_cuda flattened
  p->lib = k;
  p->entry = fn;
  return 0;
}

static int cuda_compile(Device *d, Program *p) {
  char sym[80];
  rt_symbol_name(p, sym, sizeof sym);
  char *src = rend_cuda(p, sym, BLOCK);
  if (!src) return -1;
  rt_take_source(d, p, src);
  pthread_mutex_lock(&cuda_mu);
  size_t n = 0;
  char *bin = get_cubin(src, sym, gpu_of(d)->arch, &n);
  pthread_mutex_unlock(&cuda_mu);
  return load_kernel(d, p, bin, sym);
}

/* BEAM candidates: rendered here one by one (the UOp graph is not thread-safe), then compiled by NVRTC on every
 * core at once (NVRTC is; no disk cache for candidates), then loaded in order. */
typedef struct NvJob { char **srcs, **bins, **errs; const char **syms; size_t *sizes; const char *arch; int n; atomic_int next; } NvJob;

static void *nvrtc_worker(void *arg) {
  NvJob *j = arg;
  for (int i; (i = atomic_fetch_add(&j->next, 1)) < j->n;) {
    if (!j->srcs[i]) continue;
    if (nvrtc_compile(j->srcs[i], j->syms[i], j->arch, &j->bins[i], &j->sizes[i]) != 0)
      j->errs[i] = strdup(tg_has_error() ? tg_error() : "NVRTC failed");
  }
  return NULL;
}

static int cuda_compile_many(Device *d, Program **ps, int n, char **errs) {
  char (*syms)[80] = calloc((size_t)n + 1, sizeof *syms);
  NvJob j = { .srcs = calloc((size_t)n + 1, sizeof(char *)), .bins = calloc((size_t)n + 1, sizeof(char *)), .errs = errs,
              .syms = calloc((size_t)n + 1, sizeof(char *)), .sizes = calloc((size_t)n + 1, sizeof(size_t)), .arch = gpu_of(d)->arch, .n = n };
  TG_ASSERT(syms && j.srcs && j.bins && j.syms && j.sizes, "out of memory");
  for (int i = 0; i < n; i++) {
    rt_symbol_name(ps[i], syms[i], sizeof syms[i]);
    j.syms[i] = syms[i];
    char *src = rend_cuda(ps[i], syms[i], BLOCK);
    if (!src) { errs[i] = strdup(tg_has_error() ? tg_error() : "render failed"); continue; }
    rt_take_source(d, ps[i], src);
    j.srcs[i] = src;
  }
  if (nvrtc_api()) {                   // loaded before the threads start
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = (int)(cores < 1 ? 1 : cores > 32 ? 32 : cores);
    if (nt > n) nt = n;
    pthread_t th[32];
    for (int t = 1; t < nt; t++) if (pthread_create(&th[t], NULL, nvrtc_worker, &j) != 0) th[t] = 0;
    nvrtc_worker(&j);
    for (int t = 1; t < nt; t++) if (th[t]) pthread_join(th[t], NULL);
  }
  int failed = 0;
  for (int i = 0; i < n; i++) {
    if (!errs[i] && !j.bins[i]) errs[i] = strdup(tg_has_error() ? tg_error() : "NVRTC is not available");
    if (!errs[i] && load_kernel(d, ps[i], j.bins[i], syms[i]) != 0) errs[i] = strdup(tg_error() ? tg_error() : "load failed");
    else if (errs[i]) free(j.bins[i]);
    failed += errs[i] != NULL;
  }
  free(syms); free(j.srcs); free(j.bins); free(j.syms); free(j.sizes);
  return failed;
}

// ---- launching ----
// A launch's arguments (pointers to the values, as cuLaunchKernel and graph nodes take them) and its shape.
int cuda_launch_args(Device *d, Program *p, void **ptrs, const int64_t *vars, CudaLaunch *l) {
  if (p->nbufs + p->nvars + 2 > CUDA_MAX_ARGS) { tg_set_error("exec(%s): %d buffers and %d vars are too many for CUDA", p->name, p->nbufs, p->nvars); return -1; }
  (void)d;
  int na = 0;
  for (int i = 0; i < p->nbufs; i++) { l->ptrs[i] = ptrs[i]; l->args[na++] = &l->ptrs[i]; }   // a device pointer is a void * here
  for (int i = 0; i < p->nvars; i++) { l->vals[na] = vars[i]; l->args[na] = &l->vals[na]; na++; }
  int64_t n = p->par_range ? rt_par_count(p, vars) * ((Kernel *)p->lib)->inner : 1;
  l->vals[na] = 0; l->args[na] = &l->vals[na]; na++;                         // start
  l->vals[na] = n > 0 ? n : 0; l->args[na] = &l->vals[na]; na++;             // end
  // with thread ranges the block is theirs and [start, end) counts blocks; else BLOCK threads, one trip each
  int block = p->nlocal ? 1 : p->par_range ? BLOCK : 1;
  int64_t grid = (n + block - 1) / block;
  grid = grid < 1 ? 1 : grid > 0x7fffffff ? 0x7fffffff : grid;               // the grid-stride loop covers any rest
  l->grid[0] = (unsigned)grid; l->grid[1] = l->grid[2] = 1;
  l->block[0] = p->nlocal ? (unsigned)p->local_size[0] : (unsigned)block;
  l->block[1] = p->nlocal ? (unsigned)p->local_size[1] : 1;
  l->block[2] = p->nlocal ? (unsigned)p->local_size[2] : 1;
  return 0;
}

static int cuda_launch(Device *d, Program *p, void **ptrs, const int64_t *vars) {
  const CudaApi *cu = enter(d);
  CudaLaunch l;
  if (!cu || cuda_launch_args(d, p, ptrs, vars, &l) != 0) return -1;
  return cu_check(cu->LaunchKernel((CUfunction)p->entry, l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2], 0,
                                   gpu_of(d)->stream, l.args, NULL), "cuLaunchKernel");
}

const CudaApi *cuda_enter(Device *d) { return enter(d); }
CUstream cuda_stream(Device *d) { return gpu_of(d)->stream; }

static int cuda_exec(Device *d, Program *p, Buffer **bufs, const int64_t *vars) {
  if (!p->entry || p->dev != d) { tg_set_error("exec(%s): not compiled for %s", p->name, d->name); return -1; }
  if (rt_check_args(p, bufs, vars) < 0) return -1;
  void *ptrs[256];
  if (p->nbufs > 256) { tg_set_error("exec(%s): %d buffers are too many for CUDA", p->name, p->nbufs); return -1; }
  for (int i = 0; i < p->nbufs; i++) ptrs[i] = bufs[i] ? bufs[i]->ptr : NULL;
  return cuda_launch(d, p, ptrs, vars);
}

int rt_cuda_copy_d2d(Device *d, void *dst, const void *src, size_t nbytes) {
  const CudaApi *cu = enter(d);
  return cu ? cu_check(cu->MemcpyDtoDAsync((CUdeviceptr)(uintptr_t)dst, (CUdeviceptr)(uintptr_t)src, nbytes, gpu_of(d)->stream),
                       "device-to-device copy") : -1;
}

// Between two allocations on GPUs: on one GPU a device-to-device copy, between two a peer copy on the destination's
// stream, once the source's stream has finished writing. Other devices go through the host (1).
static int cuda_copy_from(Device *dst, void *dst_ptr, Device *src, const void *src_ptr, size_t nbytes) {
  if (strcmp(src->kind, "CUDA") != 0) return 1;
  if (src == dst) return rt_cuda_copy_d2d(dst, dst_ptr, src_ptr, nbytes);
  // waited for at the end too: the source block may go back to its GPU's allocator (and its stream) right after
  const CudaApi *cu = rt_cuda_sync(src) == 0 ? enter(dst) : NULL;
  return cu && cu_check(cu->MemcpyPeerAsync((CUdeviceptr)(uintptr_t)dst_ptr, gpu_of(dst)->ctx, (CUdeviceptr)(uintptr_t)src_ptr,
                                            gpu_of(src)->ctx, nbytes, gpu_of(dst)->stream), "peer copy") == 0 ? rt_cuda_sync(dst) : -1;
}

// ---- timing with events ----
int rt_cuda_timer_begin(Device *d) {
  const CudaApi *cu = enter(d);
  return cu ? cu_check(cu->EventRecord(gpu_of(d)->timer[0], gpu_of(d)->stream), "cuEventRecord") : -1;
}

double rt_cuda_timer_end(Device *d) {
  const CudaApi *cu = enter(d);
  Gpu *g = gpu_of(d);
  float ms = 0;
  if (!cu || cu_check(cu->EventRecord(g->timer[1], g->stream), "cuEventRecord") != 0 ||
      cu_check(cu->EventSynchronize(g->timer[1]), "event wait (a kernel or copy failed)") != 0 ||
      cu_check(cu->EventElapsedTime(&ms, g->timer[0], g->timer[1]), "cuEventElapsedTime") != 0) return -1;
  return ms * 1e-3;
}

// ---- the devices ----
static int gpu_open(const CudaApi *cu, Gpu *g, int ordinal) {
  int major = 0, minor = 0;
  g->ordinal = ordinal;
  if (cu_check(cu->DeviceGet(&g->dev, ordinal), "cuDeviceGet") || cu_check(cu->DeviceGetName(g->name, sizeof g->name, g->dev), "cuDeviceGetName") ||
      cu_check(cu->DeviceGetAttribute(&major, CU_ATTR_CC_MAJOR, g->dev), "cuDeviceGetAttribute") ||
      cu_check(cu->DeviceGetAttribute(&minor, CU_ATTR_CC_MINOR, g->dev), "cuDeviceGetAttribute") ||
      cu_check(cu->DeviceGetAttribute(&g->sm_count, CU_ATTR_SM_COUNT, g->dev), "cuDeviceGetAttribute") ||
      cu_check(cu->DevicePrimaryCtxRetain(&g->ctx, g->dev), "cuDevicePrimaryCtxRetain") ||
      cu_check(cu->CtxSetCurrent(g->ctx), "cuCtxSetCurrent") ||
      cu_check(cu->StreamCreate(&g->stream, CU_STREAM_NON_BLOCKING_), "cuStreamCreate")) return -1;
  snprintf(g->arch, sizeof g->arch, "sm_%d%d", major, minor);
  for (int k = 0; k < 2; k++)
    if (cu_check(cu->MemHostAlloc(&g->stage[k], STAGE_BYTES, 0), "cuMemHostAlloc (pinned staging)") ||
        cu_check(cu->EventCreate(&g->stage_done[k], CU_EVENT_DISABLE_TIMING_), "cuEventCreate") ||
        cu_check(cu->EventCreate(&g->timer[k], 0), "cuEventCreate")) return -1;
  return 0;
}

static void device_init(Device *d, Gpu *g, int index) {
  snprintf(d->name, sizeof d->name, index ? "CUDA:%d" : "CUDA", index);
  d->kind = "CUDA";
  d->index = index;
  d->impl = g;
  d->caps = caps_gpu_arch(g->arch);    // tensor cores (TC opt) from sm_80 on
  d->host_memory = d->par_prefix = false;
  d->alloc = cuda_alloc; d->free = cuda_free; d->copyin = cuda_copyin; d->copyout = cuda_copyout;
  d->compile = cuda_compile; d->exec = cuda_exec; d->launch = cuda_launch; d->release = cuda_release;
  cuda_graph_init(d);        // JIT replays as CUDA graphs (runtime/cuda_graph.c)
  d->timer_begin = rt_cuda_timer_begin; d->timer_end = rt_cuda_timer_end;
  d->copy_from = cuda_copy_from;
  d->compile_many = cuda_compile_many;     // BEAM: NVRTC on every core
  d->synchronize = rt_cuda_sync;
  snprintf(d->model, sizeof d->model, "%.46s %.15s", g->name, g->arch);
}

Device *rt_cuda_device(int index) {
  const CudaApi *cu = cu_api();
  if (!cu) return NULL;
  int count = 0;
  cu->DeviceGetCount(&count);
  if (index < 0 || index >= count || index >= MAX_GPUS) {
    tg_set_error("dev_get: device 'CUDA:%d' does not exist (%d GPU%s: CUDA:0..CUDA:%d)", index, count, count == 1 ? "" : "s", count - 1);
    return NULL;
  }
  pthread_mutex_lock(&cuda_mu);
  Device *d = NULL;
  if (ready[index] || gpu_open(cu, &gpus[index], index) == 0) {
    if (!ready[index]) {
      device_init(&devs[index], &gpus[index], index);
      ready[index] = true;
      LOG(1, "CUDA:%d: %s (%s, %d SMs), NVRTC %s", index, gpus[index].name, gpus[index].arch, gpus[index].sm_count, nvrtc_version_str());
    }
    d = &devs[index];
  }
  pthread_mutex_unlock(&cuda_mu);
  return d;
}

int rt_cuda_render_only(Program *p) {
  char sym[80];
  rt_symbol_name(p, sym, sizeof sym);
  char *src = rend_cuda(p, sym, BLOCK);
  if (!src) return -1;
  free(p->src);
  p->src = src;
  LOG(4, "%s", src);
  if (!nvrtc_available()) return 0;             // render-only where there is no NVRTC
  pthread_mutex_lock(&cuda_mu);
  size_t n = 0;
  char *bin = get_cubin(src, sym, env_str("CUDA_ARCH", "sm_90"), &n);
  pthread_mutex_unlock(&cuda_mu);
  bool ok = bin != NULL;
  free(bin);
  return ok ? 0 : -1;
}
