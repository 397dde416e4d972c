// JIT replay overhead: a chain of 1,000 tiny dependent kernels, replayed, against the floor (a plain C loop
// calling the same compiled kernel functions with the same pointers)
#include "tinygrad.h"
#include "engine/jit.h"
#include "base/timer.h"
#include <stdio.h>
#include <stdlib.h>

enum { CHAIN = 1000, REPS = 20 };
typedef void (*KernelFn)(void **bufs, const int64_t *vars, int64_t start, int64_t end);

static int chain(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  tg_tensor *x = in[0];
  for (int i = 0; i < CHAIN; i++) x = tg_contiguous(tg_add_s(x, 1));   // one kernel each
  out[0] = x;
  return 1;
}

// What a replay cannot avoid: calling each kernel once. The recorded items give the functions and pointers.
static double floor_us(JitCapture *c) {
  double best = 1e9;
  for (int r = 0; r < REPS; r++) {
    double t0 = time_s();
    for (int i = 0; i < c->n; i++) {
      Program *p = c->items[i].p;
      ((KernelFn)p->entry)(c->items[i].ptrs, NULL, 0, p->par_range ? p->par_size : 1);
    }
    double t = time_s() - t0;
    if (t < best) best = t;
  }
  return best * 1e6 / c->n;
}

int main(void) {
  tg_jit *j = tg_jit_new(chain, NULL);
  tg_tensor *x = tg_realize(tg_rand((int64_t[]){ 4 }, 1, TG_FLOAT32)), *o[1];
  tg_jit_alias_outputs(j, true);
  for (int i = 0; i < 3; i++) {            // plain, capture, first replay
    tg_scope_begin();
    if (tg_jit_call(j, &x, 1, o, 1) != 1) { fprintf(stderr, "%s\n", tg_error()); return 1; }
    tg_scope_end();
  }
  double best = 1e9;
  for (int r = 0; r < REPS; r++) {
    tg_scope_begin();
    double t0 = time_s();
    int rc = tg_jit_call(j, &x, 1, o, 1);
    double t = time_s() - t0;
    tg_scope_end();
    if (rc != 1) { fprintf(stderr, "%s\n", tg_error()); return 1; }
    if (t < best) best = t;
  }
  int n = tg_jit_kernels(j);
  printf("jit replay: %d kernels, %.3f us per kernel (best of %d)\n", n, best * 1e6 / n, REPS);
  double loop = 1e9;
  for (int r = 0; r < REPS; r++) {          // the replay loop alone, without the call's input checks and outputs
    double t0 = time_s();
    if (jit_replay(tg_jit_capture(j)) != 0) { fprintf(stderr, "%s\n", tg_error()); return 1; }
    double t = time_s() - t0;
    if (t < loop) loop = t;
  }
  printf("replay loop alone: %.3f us per kernel\n", loop * 1e6 / n);
  printf("floor (direct calls): %.3f us per kernel\n", floor_us(tg_jit_capture(j)));
  tg_jit_free(j);
  return 0;
}
