// NULL device: renders C (so rendering can be measured) but compiles and runs nothing
#include "runtime/runtime.h"
#include "renderer/cstyle.h"
#include "runtime/cuda.h"
#include "base/env.h"
#include <string.h>
#include <stdlib.h>

// NULL_RENDER=CUDA renders CUDA instead (and compiles it with NVRTC where NVRTC is present): tests of the
// CUDA codegen on machines without a GPU.
static bool renders_cuda(void) { return !strcmp(env_str("NULL_RENDER", "C"), "CUDA"); }

// What the opts may use: a GPU's locals when rendering CUDA. NULL_RENDER is read when the device is first used and
// again at each compile, so a change takes effect from the next kernel the engine optimizes.
static void set_caps(Device *d) {
  d->caps = renders_cuda() ? caps_gpu_arch(env_str("CUDA_ARCH", "sm_90")) : (RendererCaps){ .has_transcendental = true, .has_half = false, .max_upcast = 1 };
}

static int null_compile(Device *d, Program *p) {
  set_caps(d);
  if (renders_cuda()) { p->dev = d; return rt_cuda_render_only(p); }
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
  set_caps(d);
  d->host_memory = true;
  d->alloc = rt_host_alloc; d->free = rt_host_free; d->copyin = rt_host_copy; d->copyout = rt_host_copy;
  d->compile = null_compile; d->exec = null_exec; d->release = NULL;
}
