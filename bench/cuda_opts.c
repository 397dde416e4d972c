// Times a 4096 matmul kernel under opt lists given on the command line ("LOCAL:0:16 UPCAST:1:4 ...", "TC:2:0 ..."), on
// CUDA: for tuning the GPU heuristic (BENCHMARKS.md has the figures). DTYPE=float16|bfloat16 (default float32), TRANS_B=1 for a @ b.T; an
// argument "heuristic" times the GPU heuristic's own choice, "beam" a BEAM search's (BEAM=N wide, default 2).
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "schedule/schedule.h"
#include "codegen/opt/beam.h"
#include "runtime/buffer.h"
#include "runtime/cuda.h"
#include "base/env.h"
#include <stdio.h>
#include <stdlib.h>
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
  if (argc < 2) { printf("usage: bench_cuda_opts \"LOCAL:0:16 LOCAL:1:16 UPCAST:1:4 ...\" ... (one opt list an argument)\n"); return 0; }
  Device *d = dev_get("CUDA");
  if (!d) { printf("cuda_opts: skipped: %s\n", tg_error()); return 0; }
  const int64_t N = 4096;
  const char *dts = getenv("DTYPE") ? getenv("DTYPE") : "float32";
  tg_dtype dt = !strcmp(dts, "float16") ? TG_FLOAT16 : !strcmp(dts, "bfloat16") ? TG_BFLOAT16 : TG_FLOAT32;
  printf("cuda_opts: %s matmul %lld%s, %s (%s)\n", dts, (long long)N, env_int("TRANS_B", 0) ? " (a @ b.T)" : "", rt_cuda_gpu_name(d), rt_cuda_arch(d));
  tg_tensor *a = tg_empty((int64_t[]){ N, N }, 2, dt), *b = tg_empty((int64_t[]){ N, N }, 2, dt);
  bool tb = env_int("TRANS_B", 0);        // a @ b.T (b stored N x K, as a linear layer's weight)
  UOp *root = tg_matmul(a, tb ? tg_transpose(b, 0, 1) : b)->uop;
  Schedule s;
  if (sched_create(&s, &root, 1, d) != 0) { fprintf(stderr, "%s\n", tg_error()); return 1; }
  UOp *ast = s.items[s.n - 1].ast;
  Buffer *bufs[3];
  for (int i = 0; i < 3; i++) { bufs[i] = buf_new(d, (ScalarType)dt, N * N); buf_ensure(bufs[i]); }
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
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
      rt_cuda_timer_begin(d);
      d->exec(d, p, bufs, NULL);
      double t = rt_cuda_timer_end(d);
      if (r && t < best) best = t;
    }
    printf("%-60s %8.3f ms %7.2f TFLOP/s\n", label, best * 1e3, 2.0 * N * N * N / best * 1e-12);
    program_free(p);
  }
  return 0;
}
