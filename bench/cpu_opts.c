// Times the CPU matmul kernel (the last kernel of `tg_matmul`'s schedule: B's panel packing comes first at N >= 724)
// under opt lists given on the command line ("PADTO:0:6 UPCAST:0:6 ..."), for tuning the CPU heuristic
// (BENCHMARKS.md has the figures); SHOW_SRC=1 prints each kernel's source. N=... (default 1024) sets the size; "heuristic" times the heuristic's own
// choice, "beam" a BEAM search's (BEAM=N wide, default 2). Best of REPS (default 10) runs on every core.
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "schedule/schedule.h"
#include "codegen/opt/beam.h"
#include "runtime/buffer.h"
#include "base/env.h"
#include "optlist.h"
#include "base/timer.h"
#include "base/threadpool.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2) { printf("usage: N=1024 bench_cpu_opts \"PADTO:0:6 UPCAST:0:6 ...\" heuristic beam ... (one opt list an argument)\n"); return 0; }
  Device *d = dev_get("CPU");
  const int64_t N = env_int("N", 1024);
  printf("cpu_opts: float32 matmul %lld, %d threads\n", (long long)N, tp_threads());
  tg_tensor *a = tg_empty((int64_t[]){ N, N }, 2, TG_FLOAT32), *b = tg_empty((int64_t[]){ N, N }, 2, TG_FLOAT32);
  UOp *root = tg_matmul(a, b)->uop;
  Schedule s;
  if (sched_create(&s, &root, 1, d) != 0) { fprintf(stderr, "%s\n", tg_error()); return 1; }
  UOp *ast = s.items[s.n - 1].ast;
  Buffer *bufs[3];
  for (int i = 0; i < 3; i++) { bufs[i] = buf_new(d, DT_FLOAT32, N * N + 64 * N); buf_ensure(bufs[i]); }
  float *init = calloc((size_t)(N * N + 64 * N), sizeof *init);     // panels of B are padded past N * N
  for (int64_t i = 0; i < N * N; i++) init[i] = (float)(i % 7) * 0.25f;
  for (int i = 1; i < 3; i++) buf_copyin(bufs[i], init, (size_t)(N * N + 64 * N) * sizeof *init);
  free(init);
  for (int c = 1; c < argc; c++) {
    char label[256];
    Program *p = optlist_program(d, ast, argv[c], label, sizeof label);
    if (!p) continue;
    if (env_int("SHOW_SRC", 0)) printf("%s\n", p->src ? p->src : "(no source)");
    double best = 1e30;
    for (int r = 0; r < env_int("REPS", 10); r++) {
      double t0 = time_s();
      d->exec(d, p, bufs, NULL);
      double t = time_s() - t0;
      if (r && t < best) best = t;
    }
    printf("%-60s %8.3f ms %7.2f GFLOP/s\n", label, best * 1e3, 2.0 * N * N * N / best * 1e-9);
    program_free(p);
  }
  return 0;
}
