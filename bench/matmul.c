// fp32 matmul C = A @ B (N x N): GFLOP/s of the kernel with the hand-coded opts and with BEAM=2 (and the BEAM
// search time, cold and from the disk cache). bench/matmul_vs_peers.sh adds numpy (OpenBLAS) and PyTorch.
// Usage: bench_matmul [N ...] (default 512 1024 2048). Kernel times are the best of several launches of the
// compiled kernel on the same buffers (no scheduling or launch bookkeeping in them).
#include "tinygrad.h"
#include "codegen/opt/beam.h"
#include "engine/realize.h"
#include "schedule/schedule.h"
#include "tensor/tensor.h"
#include "base/env.h"
#include "base/timer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Best time of one launch over `reps` launches (at least 0.5 s of them for small N).
static double time_kernel(Program *p, ScheduleItem *it, int reps) {
  double best = 1e30, spent = 0;
  for (int r = 0; r < reps || spent < 0.5; r++) {
    double t0 = time_s();
    if (it->dev->exec(it->dev, p, it->bufs, NULL) != 0) { fprintf(stderr, "%s\n", tg_error()); exit(1); }
    double t = time_s() - t0;
    spent += t;
    if (t < best) best = t;
    if (r > 1000) break;
  }
  return best;
}

// The matmul's kernel program under the current settings, and the seconds eng_get_program took.
static Program *program(ScheduleItem *it, double *secs) {
  eng_cache_clear();
  double t0 = time_s();
  Program *p = eng_get_program(it->dev, it->ast);
  *secs = time_s() - t0;
  if (!p) { fprintf(stderr, "%s\n", tg_error()); exit(1); }
  return p;
}

// Every kernel the matmul schedules to (a large B is packed into panels first: see tg_matmul), timed one by one
// and summed, with the programs the current settings give; *secs: the time eng_get_program took for them all.
static double time_all(Schedule *s, int reps, double *secs, char *names, size_t len) {
  double total = 0;
  *secs = 0;
  names[0] = 0;
  for (int i = 0; i < s->n; i++) {
    double t;
    Program *p = program(&s->items[i], &t);
    *secs += t;
    total += time_kernel(p, &s->items[i], reps);
    size_t at = strlen(names);
    snprintf(names + at, len - at, "%s%s", i ? " + " : "", p->name);
  }
  return total;
}

static void bench(int64_t n) {
  tg_scope_begin();
  tg_tensor *a = tg_realize(tg_rand(TG_SHAPE(n, n), TG_FLOAT32)), *b = tg_realize(tg_rand(TG_SHAPE(n, n), TG_FLOAT32));
  UOp *root = tg_matmul(a, b)->uop;
  Schedule s;
  if (sched_create(&s, &root, 1, a->dev) != 0) { fprintf(stderr, "matmul: %s\n", tg_error()); exit(1); }
  for (int i = 0; i < s.n; i++) for (int k = 0; k < s.items[i].nbufs; k++) buf_ensure(s.items[i].bufs[k]);
  double flop = 2.0 * (double)n * (double)n * (double)n, t_cg, t_cold, t_warm;
  int reps = n >= 2048 ? 3 : 10;
  char names[256];
  double th = time_all(&s, reps, &t_cg, names, sizeof names);
  printf("N=%-5lld heuristic opts: %8.2f ms  %7.1f GFLOP/s   (%s)\n", (long long)n, th * 1e3, flop / th * 1e-9, names);
  int t1 = env_push("BEAM", "2"), t2 = env_push("IGNORE_BEAM_CACHE", "1");
  time_all(&s, 1, &t_cold, names, sizeof names);
  env_pop(t2);
  double tb = time_all(&s, reps, &t_warm, names, sizeof names);   // the same opts, read from the BEAM cache
  env_pop(t1);
  printf("N=%-5lld BEAM=2:          %8.2f ms  %7.1f GFLOP/s   (%s; search %.1f s cold, %.3f s from the cache)\n", (long long)n,
         tb * 1e3, flop / tb * 1e-9, names, t_cold, t_warm);
  fflush(stdout);
  sched_free(&s);
  tg_scope_end();
}

int main(int argc, char **argv) {
  int64_t sizes[8] = { 512, 1024, 2048 };
  int ns = 3;
  if (argc > 1) for (ns = 0; ns < argc - 1 && ns < 8; ns++) sizes[ns] = atoll(argv[ns + 1]);
  for (int i = 0; i < ns; i++) bench(sizes[i]);
  printf("(BEAM: %lld candidates compiled, %lld timing launches; codegen %.1f s, compile %.1f s, timing %.1f s)\n",
         (long long)beam_stats.candidates, (long long)beam_stats.runs, beam_stats.codegen_s, beam_stats.compile_s, beam_stats.timing_s);
  return 0;
}
