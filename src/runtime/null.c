// NULL device: renders C (so rendering can be measured) but compiles and runs nothing
#include "runtime/runtime.h"
#include "renderer/cstyle.h"
#include "runtime/cuda.h"
#include "base/env.h"
#include <string.h>
#include <stdlib.h>

// NULL_RENDER=CUDA renders CUDA instead (and compiles it with NVRTC where NVRTC is present): tests of the
// CUDA codegen on machines without a GPU.
static int null_compile(Device *d, Program *p) {
  if (!strcmp(env_str("NULL_RENDER", "C"), "CUDA")) { p->dev = d; return rt_cuda_render_only(p); }
  char *src = rend_c(p, "kernel");
  if (!src) return -1;
  free(p->src);
  p->src = src;
  p->dev = d;
  return 0;
}

static int null_exec(Device *d, Program *p, Buffer **bufs, const int64_t *vars) {
  (void)d; (void)p; (void)bufs; (void)vars;
  return 0;
}

void rt_null_init(Device *d) {
  d->caps = (RendererCaps){ .has_transcendental = true, .has_half = false, .max_upcast = 1 };
  d->host_memory = true;
  d->alloc = rt_host_alloc; d->free = rt_host_free; d->copyin = rt_host_copy; d->copyout = rt_host_copy;
  d->compile = null_compile; d->exec = null_exec; d->release = NULL;
}
