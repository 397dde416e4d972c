// Schedule cache: the demo network's training step (tools/mnist.c's CNN + Adam) without the JIT, timed per step:
// wall time, time inside kernels, and the rest (graph building, scheduling or the cache, launching), with
// SCHEDULE_CACHE=0 (every step rangeifies and rewrites again) and with the cache warm
// usage: bench_schedule_cache [--batch N] [--steps N] [--warm-only 1]   (defaults: 64, 12; --warm-only: for profiling)
#include "tinygrad.h"
#include "../tools/fmnist_model.h"
#include "engine/realize.h"
#include "engine/schedule_cache.h"
#include "base/env.h"
#include "base/timer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Model { FmnistModel *net; tg_optim *opt; } Model;

static Model model_new(void) {
  tg_manual_seed(1337);
  Model m = { fmnist_model_new(), NULL };
  tg_tensor *ps[24];
  int n = m.net ? fmnist_model_tensors(m.net, ps, 24) : 0;
  m.opt = m.net ? tg_optim_adam(ps, n, 1e-3, 0.9, 0.999, 1e-8) : NULL;
  if (!m.opt) { fprintf(stderr, "%s\n", tg_error()); exit(1); }
  return m;
}

static void model_free(Model *m) { tg_optim_free(m->opt); fmnist_model_free(m->net); }

// one step; *build gets the time spent building the graph (forward, loss, backward), which no cache removes
static double step(Model *m, tg_tensor *x, tg_tensor *y, double *build) {
  double t0 = time_s();
  tg_set_training(true);
  tg_tensor *l = tg_nn_sparse_categorical_crossentropy(fmnist_model_forward(m->net, x), y, -1, 0);
  tg_optim_zero_grad(m->opt);
  if (!l || tg_backward(l) != 0) { fprintf(stderr, "%s\n", tg_error()); exit(1); }
  *build = time_s() - t0;
  if (tg_optim_step_with(m->opt, &l, 1) != 0) { fprintf(stderr, "%s\n", tg_error()); exit(1); }
  return tg_item(l);
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
static double median(double *v, int n) { qsort(v, (size_t)n, sizeof *v, cmp); return v[n / 2]; }

typedef struct Run { double wall, kernels, outside, build; double loss_last; int64_t kernels_per_step; } Run;

// steps of one mode; the medians skip the first two steps (compiles, and the cache's first miss)
static Run run(bool cache, int batch, int steps, float *xs, int32_t *ys) {
  int tok = env_push_int("SCHEDULE_CACHE", cache);
  Model m = model_new();
  double *wall = malloc((size_t)steps * sizeof *wall), *kern = malloc((size_t)steps * sizeof *kern), *out = malloc((size_t)steps * sizeof *out),
         *bld = malloc((size_t)steps * sizeof *bld);
  Run r = { 0 };
  for (int s = 0; s < steps; s++) {
    tg_scope_begin();
    tg_tensor *x = tg_realize(tg_from_data(xs + (size_t)s * batch * 784, TG_FLOAT32, (int64_t[]){ batch, 1, 28, 28 }, 4));
    tg_tensor *y = tg_realize(tg_from_data(ys + (size_t)s * batch, TG_INT32, (int64_t[]){ batch }, 1));
    double k0 = eng_stats.kernel_s, t0 = time_s();
    int64_t n0 = eng_stats.kernels;
    r.loss_last = step(&m, x, y, &bld[s]);
    wall[s] = time_s() - t0;
    kern[s] = eng_stats.kernel_s - k0;
    out[s] = wall[s] - kern[s];
    r.kernels_per_step = eng_stats.kernels - n0;
    tg_scope_end();
    printf("  %-5s step %2d: wall %8.2f ms  kernels %8.2f ms  outside kernels %7.2f ms (building the graph %6.2f ms)\n",
           cache ? "warm" : "cold", s + 1, wall[s] * 1e3, kern[s] * 1e3, out[s] * 1e3, bld[s] * 1e3);
  }
  int skip = steps > 4 ? 2 : 0;
  r.wall = median(wall + skip, steps - skip);
  r.kernels = median(kern + skip, steps - skip);
  r.outside = median(out + skip, steps - skip);
  r.build = median(bld + skip, steps - skip);
  free(wall); free(kern); free(out); free(bld);
  model_free(&m);
  env_pop(tok);
  return r;
}

int main(int argc, char **argv) {
  int batch = 64, steps = 12, warm_only = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--warm-only")) warm_only = atoi(argv[i + 1]);
  }
  if (batch <= 0 || steps <= 0) { fprintf(stderr, "usage: bench_schedule_cache [--batch N] [--steps N]\n"); return 2; }
  float *xs = malloc((size_t)steps * batch * 784 * sizeof *xs);
  int32_t *ys = malloc((size_t)steps * batch * sizeof *ys);
  srand(7);
  for (size_t i = 0; i < (size_t)steps * batch * 784; i++) xs[i] = (float)rand() / (float)RAND_MAX;
  for (size_t i = 0; i < (size_t)steps * batch; i++) ys[i] = rand() % 10;
  eng_time_kernels = true;
  printf("demo CNN training step without the JIT, batch %d, %d steps (medians from step 3)\n", batch, steps);
  if (warm_only) { run(true, batch, steps, xs, ys); return 0; }
  Run cold = run(false, batch, steps, xs, ys);
  int64_t h0 = scache_stats.hits, m0 = scache_stats.misses;
  Run warm = run(true, batch, steps, xs, ys);
  printf("SCHEDULE_CACHE=0: step %8.2f ms, kernels %8.2f ms, outside kernels %7.2f ms (graph building %.2f ms; %lld kernels a step)\n",
         cold.wall * 1e3, cold.kernels * 1e3, cold.outside * 1e3, cold.build * 1e3, (long long)cold.kernels_per_step);
  printf("cache warm:       step %8.2f ms, kernels %8.2f ms, outside kernels %7.2f ms (graph building %.2f ms; %lld kernels a step)\n",
         warm.wall * 1e3, warm.kernels * 1e3, warm.outside * 1e3, warm.build * 1e3, (long long)warm.kernels_per_step);
  printf("outside kernels: %.1fx less with the cache warm; %lld hits, %lld misses over %d steps; last loss %s (%.6f)\n",
         cold.outside / warm.outside, (long long)(scache_stats.hits - h0), (long long)(scache_stats.misses - m0), steps,
         cold.loss_last == warm.loss_last ? "identical" : "DIFFERS", warm.loss_last);
  free(xs); free(ys);
  return cold.loss_last == warm.loss_last ? 0 : 1;
}
