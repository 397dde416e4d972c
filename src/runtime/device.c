// Devices: the registry (DEV=CPU|INTERP|NULL|CUDA[:N]), host memory, and launch argument checks
#include "runtime/runtime.h"
#include "runtime/cuda.h"
#include "base/env.h"
#include "base/error.h"
#include "tinygrad.h"
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *kind; void (*init)(Device *d); Device dev; bool ready; } Entry;
static Entry registry[] = { { .kind = "CPU", .init = rt_cpu_init }, { .kind = "INTERP", .init = rt_interp_init },
                            { .kind = "NULL", .init = rt_null_init } };
enum { NKINDS = sizeof registry / sizeof *registry };
static const char *not_built[] = { "CL", "LLVM", "PTX", "DISK" };
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static char default_name[32];

static Device *entry_device(Entry *e) {
  pthread_mutex_lock(&reg_mu);
  if (!e->ready) {
    memset(&e->dev, 0, sizeof e->dev);
    snprintf(e->dev.name, sizeof e->dev.name, "%s", e->kind);
    e->dev.kind = e->kind;
    e->init(&e->dev);
    e->ready = true;
  }
  pthread_mutex_unlock(&reg_mu);
  return &e->dev;
}

Device *dev_get(const char *name) {
  if (!name || !*name) { tg_set_error("dev_get: empty device name (known: CPU, INTERP, NULL)"); return NULL; }
  char kind[32];
  size_t n = 0;
  for (; name[n] && name[n] != ':' && n + 1 < sizeof kind; n++) kind[n] = (char)toupper((unsigned char)name[n]);
  kind[n] = 0;
  const char *colon = strchr(name, ':');
  long index = 0;
  if (colon) {
    char *end;
    index = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || index < 0) { tg_set_error("dev_get: bad device index in '%s' (want KIND or KIND:N)", name); return NULL; }
  }
  if (!strcmp(kind, "CUDA")) return rt_cuda_device((int)index);     // CUDA:N, one Device per GPU (runtime/cuda.c)
  for (int i = 0; i < NKINDS; i++) {
    if (strcmp(kind, registry[i].kind) != 0) continue;
    if (index != 0) { tg_set_error("dev_get: device '%s' does not exist (%s has one device, %s:0)", name, kind, kind); return NULL; }
    return entry_device(&registry[i]);
  }
  for (size_t i = 0; i < sizeof not_built / sizeof *not_built; i++)
    if (!strcmp(kind, not_built[i])) {
      tg_set_error("dev_get: the %s backend is not built yet (available: CPU, INTERP, NULL)", kind);
      return NULL;
    }
  tg_set_error("unknown device '%s' (known: CPU, INTERP, NULL)", name);
  return NULL;
}

void dev_set_default(const char *name) { snprintf(default_name, sizeof default_name, "%s", name ? name : ""); }

// Without DEV (or tg_set_default_device), the best available device: a GPU when the CUDA driver finds one,
// else CPU. Probed once; a machine without libcuda costs one failed dlopen.
static Device *best_device;
static void probe_best(void) {
  best_device = rt_cuda_device(0);
  if (!best_device) { tg_clear_error(); best_device = dev_get("CPU"); }
}

Device *dev_default(void) {
  if (default_name[0]) return dev_get(default_name);
  const char *env = env_str("DEV", "");
  if (*env) return dev_get(env);
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, probe_best);
  return best_device;
}

// ---- host memory (allocation: runtime/host_alloc.c) ----
int rt_host_copy(Device *d, void *dst, const void *src, size_t nbytes) {
  (void)d;
  if (nbytes) memmove(dst, src, nbytes);
  return 0;
}

// ---- launch checks ----
static int check_buf(Program *p, UOp *g, Buffer **bufs) {
  int64_t slot = g->arg.i;
  Buffer *b = bufs ? bufs[slot] : NULL;
  ScalarType want = (ScalarType)g->dtype.scalar;
  if (!b) { tg_set_error("exec(%s): buffer slot %lld is NULL", p->name, (long long)slot); return -1; }
  if (b->dtype != want) {
    tg_set_error("exec(%s): buffer %lld is %s, the kernel expects %s", p->name, (long long)slot, st_name(b->dtype), st_name(want));
    return -1;
  }
  if (g->dtype.size >= 0 && b->size < g->dtype.size) {
    tg_set_error("exec(%s): buffer %lld has %lld elements, the kernel uses %lld", p->name, (long long)slot, (long long)b->size,
                 (long long)g->dtype.size);
    return -1;
  }
  buf_ensure(b);
  return 0;
}

int rt_check_args(Program *p, Buffer **bufs, const int64_t *vars) {
  for (int i = 0; i < p->nlin; i++)
    if (p->lin[i]->op == OP_DEFINE_GLOBAL && check_buf(p, p->lin[i], bufs) < 0) return -1;
  if (p->nvars && !vars) { tg_set_error("exec(%s): the kernel takes %d vars, none given", p->name, p->nvars); return -1; }
  for (int k = 0; k < p->nvars; k++) {
    const UOp *v = p->vars[k];
    if (vars[k] < v->arg.tup[0] || vars[k] > v->arg.tup[1]) {
      tg_set_error("exec(%s): var %s = %lld is outside [%lld, %lld]", p->name, uop_var_name(v), (long long)vars[k],
                   (long long)v->arg.tup[0], (long long)v->arg.tup[1]);
      return -1;
    }
  }
  return 0;
}

int64_t rt_par_count(const Program *p, const int64_t *vars) {
  if (!p->par_range) return 1;
  int64_t n = p->par_size >= 0 ? p->par_size : rt_eval_int(p->par_range->src[0], p, vars);
  return p->par_limit > 0 && p->par_limit < n ? p->par_limit : n;
}
