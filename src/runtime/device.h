// Devices: the registry (DEV=CPU|INTERP|NULL|CUDA[:N]) and the interface each backend implements
#ifndef TG_DEVICE_H
#define TG_DEVICE_H
#include "codegen/program.h"
#include "runtime/buffer.h"
#include "renderer/caps.h"
#include <stdbool.h>

struct Device {
  char name[32];            // "CPU", "INTERP", "NULL", "CUDA:1"
  char model[64];           // the hardware for caches keyed by it ("NVIDIA H100 80GB HBM3 sm_90"); "" on host devices
  const char *kind;         // "CPU" ...
  int index;
  RendererCaps caps;
  bool host_memory;         // buffers are plain host memory (copies are memcpy)
  bool par_prefix;          // exec honours Program.par_limit (BEAM times a prefix of the parallel range)
  void *(*alloc)(Device *d, size_t nbytes);
  void  (*free)(Device *d, void *ptr);
  int   (*copyin)(Device *d, void *dst, const void *src, size_t nbytes);
  int   (*copyout)(Device *d, void *dst, const void *src, size_t nbytes);
  // compile: fill p->src / p->entry (or whatever the backend runs); 0 or -1 with tg_set_error
  int   (*compile)(Device *d, Program *p);
  // exec: run a compiled program; bufs[i] is DEFINE_GLOBAL slot i, vars[i] is p->vars[i]'s value
  int   (*exec)(Device *d, Program *p, Buffer **bufs, const int64_t *vars);
  // launch (optional): run with raw device pointers, arguments already checked (JIT replay's fast path)
  int   (*launch)(Device *d, Program *p, void **ptrs, const int64_t *vars);
  void  (*release)(Device *d, Program *p);    // free what compile made (may be NULL)
  // synchronize (optional): wait until every queued launch and copy is done; devices whose exec and copyin
  // return early (CUDA) have it, so that timers (BEAM) measure the work. 0, or -1 with tg_set_error.
  int   (*synchronize)(Device *d);
  // timer_begin/timer_end (optional): device time between two points of its queue (CUDA events); end waits and
  // returns seconds, or -1 with tg_set_error. BEAM times GPU candidates with them.
  // copy_from (optional): dst <- src between two allocations, src on another device (or the same one); 0, -1 with
  // tg_set_error, or 1 when this pair of devices needs the host in between (the caller copies through it).
  int    (*copy_from)(Device *dst, void *dst_ptr, Device *src, const void *src_ptr, size_t nbytes);
  int    (*timer_begin)(Device *d);
  double (*timer_end)(Device *d);
  // compile_many: compile n programs faster than n compile calls (shared compiler runs, all cores), without
  // caching them (BEAM candidates). errs[i]: NULL, or program i's error (malloc'd). Returns the failures.
  // May be NULL: callers then use compile.
  int   (*compile_many)(Device *d, Program **ps, int n, char **errs);
  // Graphs (optional, CUDA graphs): n launches recorded once and submitted as one. graph_new takes the
  // launches in order (each as launch would get them: ptrs[i], vals[i] (NULL without vars)); graph_set
  // changes launch i's arguments (a rebound input, new variable values); graph_run submits it all.
  void *(*graph_new)(Device *d, Program **ps, void ***ptrs, int64_t **vals, int n);
  int   (*graph_set)(Device *d, void *g, int i, void **ptrs, const int64_t *vals);
  int   (*graph_run)(Device *d, void *g);
  void  (*graph_free)(Device *d, void *g);
  void *impl;
};

Device *dev_get(const char *name);      // NULL + tg_set_error when unknown or unavailable
Device *dev_default(void);              // from DEV, else CPU
void    dev_set_default(const char *name);
#endif
