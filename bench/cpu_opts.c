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
#include "base/timer.h"
#include "base/threadpool.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static int parse(const char *s, Opt *opts) {
  int n = 0;
  char buf[512], *save = NULL;
  snprintf(buf, sizeof buf, "%s", s);
  for (char *t = strtok_r(buf, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save)) {
    char kind[16];
    int a, b;
    if (sscanf(t, "%15[A-Z]:%d:%d", kind, &a, &b) != 3) continue;
    for (int k = 0; k < OPT_NKINDS; k++) if (!strcmp(kind, opt_name((OptKind)k))) opts[n++] = (Opt){ (OptKind)k, a, b };
  }
  return n;
}

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
    Opt opts[16];
    int n = parse(argv[c], opts);
    char why[200];
    bool heur = !strcmp(argv[c], "heuristic"), beam = !strcmp(argv[c], "beam");
    if (beam) n = beam_opts(d, ast, false, (int)env_int("BEAM", 2), opts, 16);
    UOp *k = heur ? opt_heuristic(ast, &d->caps, opts, 16, &n) : opt_apply_list(ast, opts, n, &d->caps, why, sizeof why);
    if (!k) { printf("%-60s refused: %s\n", argv[c], why); continue; }
    char label[256];
    int at = snprintf(label, sizeof label, "%s", argv[c]);
    for (int i = 0; (heur || beam) && i < n && at < (int)sizeof label; i++)
      at += snprintf(label + at, sizeof label - (size_t)at, " %s:%d:%d", opt_name(opts[i].kind), opts[i].axis, opts[i].amount);
    Program *p = opt_codegen(k, false);
    if (d->compile(d, p) != 0) { printf("%-60s compile failed: %s\n", label, tg_error()); program_free(p); continue; }
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
