// Runtime internals shared by the backends: host memory, launch argument checks, backend constructors
#ifndef TG_RUNTIME_H
#define TG_RUNTIME_H
#include "runtime/device.h"

// Host memory for devices whose buffers are plain memory: 64-byte aligned, not zeroed.
void *rt_host_alloc(Device *d, size_t nbytes);
void  rt_host_free(Device *d, void *ptr);          // kept for reuse (runtime/host_alloc.c, HOST_CACHE_MB)
void  rt_host_cache_flush(void);                    // give every cached block back to the system
typedef struct HostCacheStats { int64_t hits, misses; size_t cached_bytes; } HostCacheStats;
extern HostCacheStats host_cache_stats;
int   rt_host_copy(Device *d, void *dst, const void *src, size_t nbytes);

// Checks a launch: every slot has a buffer of the DEFINE_GLOBAL's dtype and at least its size, and
// every var is inside its DEFINE_VAR's [min, max]. 0, or -1 with tg_set_error. Allocates the buffers.
int rt_check_args(Program *p, Buffer **bufs, const int64_t *vars);

// The value of a launch-time integer expression (CONST, DEFINE_VAR, integer ALU), e.g. a RANGE bound.
int64_t rt_eval_int(UOp *u, const Program *p, const int64_t *vars);
// Trip count of p's parallel RANGE for these vars (par_size when constant, at most par_limit when set), or 1
// without one.
int64_t rt_par_count(const Program *p, const int64_t *vars);

// Compiling backends: the kernel's C symbol (its name with anything but [A-Za-z0-9_] replaced, starting with a
// letter); taking a freshly rendered source (releasing what an earlier compile made, DEBUG=4 prints it); a disk-
// cache file ending in a 16-byte trailer (magic, FNV-1a of the bytes before): its contents without the trailer
// (malloc'd, length in *n), or NULL when missing or corrupt.
void  rt_symbol_name(const Program *p, char *out, size_t n);
void  rt_take_source(Device *d, Program *p, char *src);
char *rt_cache_read(const char *path, const char magic[8], size_t *n);

// Backends fill in a Device (called once by the registry).
void rt_cpu_init(Device *d);
void rt_interp_init(Device *d);
void rt_null_init(Device *d);
#endif
