// Realize: run a schedule (codegen + compile with a kernel cache, then launch), and DEBUG reporting
#include "engine/realize.h"
#include "engine/jit.h"
#include "engine/schedule_cache.h"
#include "codegen/opt/beam.h"
#include "uop/print.h"
#include "uop/spec.h"
#include "base/env.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/log.h"
#include "base/timer.h"
#include <stdlib.h>
#include <string.h>

// kernel cache: (device, AST) -> Program. ASTs are interned and buffer-free, so equal kernels share.
typedef struct CacheEntry { Device *dev; UOp *ast; bool decomp, noopt; int beam; Program *p; struct CacheEntry *next; } CacheEntry;
static HMap cache;                  // ast -> CacheEntry* chain
static bool roots_on;
EngStats eng_stats;
bool eng_time_kernels;

static void mark_cache(void *ctx) {
  (void)ctx;
  for (int64_t i = 0; i < cache.cap; i++) {
    if (!cache.keys[i]) continue;
    for (CacheEntry *e = (CacheEntry *)(uintptr_t)cache.vals[i]; e; e = e->next) {
      uop_gc_mark(e->ast);
      for (int k = 0; k < e->p->nlin; k++) uop_gc_mark(e->p->lin[k]);
    }
  }
}

Program *eng_get_program(Device *dev, UOp *ast) {
  if (!roots_on) { uop_gc_add_roots(mark_cache, NULL); roots_on = true; }
  // transcendentals become polynomials when the backend lacks them, or always with TRANSCENDENTAL>=2
  bool decomp = !dev->caps.has_transcendental || env_int("TRANSCENDENTAL", 1) >= 2;
  CacheEntry *head = HMAP_PTR(&cache, ast);
  bool noopt = env_int("NOOPT", 0) != 0;
  int beam = (int)env_int("BEAM", 0);      // BEAM=N searches N-wide instead of the heuristic (codegen/opt/beam.h)
  for (CacheEntry *e = head; e; e = e->next)
    if (e->dev == dev && e->decomp == decomp && e->noopt == noopt && e->beam == beam) return e->p;
  Opt opts[16];
  int nopts = beam > 0 ? beam_opts(dev, ast, decomp, beam, opts, 16) : 0;
  UOp *k = beam > 0 ? opt_apply_list(ast, opts, nopts, &dev->caps, NULL, 0) : opt_heuristic(ast, &dev->caps, opts, 16, &nopts);
  TG_ASSERT(k, "BEAM opts no longer apply");
  Program *p = opt_codegen(k, decomp);
  if (tg_debug() >= 3) {
    fprintf(stderr, "  opts for %s%s:", p->name, beam > 0 ? " (BEAM)" : "");
    for (int i = 0; i < nopts; i++) fprintf(stderr, " %s(axis %d, %d)", opt_name(opts[i].kind), opts[i].axis, opts[i].amount);
    fprintf(stderr, nopts ? "\n" : " none\n");
  }
  if (tg_debug() >= 5) { LOG(5, "kernel %s:", p->name); uop_print(p->lin[p->nlin - 1]); }
  if (dev->compile(dev, p) != 0) { program_free(p); return NULL; }
  eng_stats.compiles++;
  CacheEntry *e = malloc(sizeof *e);
  TG_ASSERT(e, "out of memory");
  *e = (CacheEntry){ dev, ast, decomp, noopt, beam, p, head };
  HMAP_PUT_PTR(&cache, ast, e);
  return p;
}

void eng_cache_clear(void) {
  for (int64_t i = 0; i < cache.cap; i++) {
    if (!cache.keys[i]) continue;
    for (CacheEntry *e = (CacheEntry *)(uintptr_t)cache.vals[i], *n; e; e = n) {
      n = e->next;
      if (e->dev->release) e->dev->release(e->dev, e->p);
      program_free(e->p);
      free(e);
    }
  }
  hmap_clear(&cache);
  scache_clear();              // cached schedules point at the programs just freed
}

static int run_copy(ScheduleItem *it) {
  Buffer *dst = it->bufs[0], *src = it->bufs[1];
  buf_ensure(dst); buf_ensure(src);
  int direct = dst->dev->copy_from ? dst->dev->copy_from(dst->dev, dst->ptr, src->dev, src->ptr, dst->nbytes) : 1;
  if (direct <= 0) {           // device to device (CUDA peer copies): no trip through the host
    LOG(2, "  copy %8zu bytes  %s -> %s (direct)", dst->nbytes, src->dev->name, dst->dev->name);
    return direct;
  }
  void *tmp = src->dev->host_memory ? src->ptr : malloc(src->nbytes);
  if (!src->dev->host_memory && buf_copyout(src, tmp, src->nbytes) != 0) { free(tmp); return -1; }
  int rc = buf_copyin(dst, tmp, dst->nbytes);
  if (tmp != src->ptr) free(tmp);
  LOG(2, "  copy %8zu bytes  %s -> %s", dst->nbytes, src->dev->name, dst->dev->name);
  return rc;
}

// DEBUG=2: one line per kernel; a kernel with thread ranges also shows its block shape
static void report(Device *d, Program *p, double dt) {
  char blk[48] = "";
  if (p->nlocal) snprintf(blk, sizeof blk, "  block %lldx%lldx%lld", (long long)p->local_size[0], (long long)p->local_size[1], (long long)p->local_size[2]);
  fprintf(stderr, "  %-6s %-32s par %-8lld %9.2f us  %8.2f GFLOP/s  %8.2f GB/s%s\n", d->name, p->name, (long long)p->par_size,
          dt * 1e6, p->est_flops / dt * 1e-9, p->est_bytes / dt * 1e-9, blk);
}

int eng_run(Schedule *s) {
  for (int i = 0; i < s->n; i++) {
    ScheduleItem *it = &s->items[i];
    if (!it->ast) {
      if (run_copy(it) != 0) return -1;
      eng_stats.copies++;
      if (jit_capturing()) jit_capture_add(NULL, it->dev, it->bufs, 2, NULL);
      continue;
    }
    Program *p = it->prog ? it->prog : (it->prog = eng_get_program(it->dev, it->ast));
    if (!p) return -1;
    for (int k = 0; k < it->nbufs; k++) buf_ensure(it->bufs[k]);
    int64_t vals[p->nvars + 1];
    if (varvals_fill(&s->vars, p->vars, p->nvars, vals, "tg_realize") != 0) return -1;
    bool timed = tg_debug() >= 2 || eng_time_kernels;
    // an asynchronous device (CUDA) is drained before and after, so the time is this kernel's, not its launch's
    if (timed && it->dev->synchronize && it->dev->synchronize(it->dev) != 0) return -1;
    double t0 = timed ? time_s() : 0;
    if (it->dev->exec(it->dev, p, it->bufs, p->nvars ? vals : NULL) != 0) return -1;
    if (timed && it->dev->synchronize && it->dev->synchronize(it->dev) != 0) return -1;
    eng_stats.kernels++;
    if (eng_time_kernels) eng_stats.kernel_s += time_s() - t0;
    if (jit_capturing()) jit_capture_add(p, it->dev, it->bufs, it->nbufs, vals);
    if (tg_debug() >= 2) report(it->dev, p, time_s() - t0);
  }
  return 0;
}
