// Times a 4096 fp32 matmul kernel under opt lists given on the command line ("LOCAL:0:16 UPCAST:1:4 ..."), on CUDA:
// for tuning the GPU heuristic's register tile (BENCHMARKS.md has the figures)
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "schedule/schedule.h"
#include "codegen/opt/beam.h"
#include "runtime/buffer.h"
#include "runtime/cuda.h"
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
  tg_tensor *a = tg_empty((int64_t[]){ N, N }, 2, TG_FLOAT32), *b = tg_empty((int64_t[]){ N, N }, 2, TG_FLOAT32);
  UOp *root = tg_matmul(a, b)->uop;
  Schedule s;
  if (sched_create(&s, &root, 1, d) != 0) { fprintf(stderr, "%s\n", tg_error()); return 1; }
  UOp *ast = s.items[s.n - 1].ast;
  Buffer *bufs[3];
  for (int i = 0; i < 3; i++) { bufs[i] = buf_new(d, DT_FLOAT32, N * N); buf_ensure(bufs[i]); }
  for (int c = 1; c < argc; c++) {
    Opt opts[16];
    int n = parse(argv[c], opts);
    char why[200];
    UOp *k = opt_apply_list(ast, opts, n, &d->caps, why, sizeof why);
    if (!k) { printf("%-60s refused: %s\n", argv[c], why); continue; }
    Program *p = opt_codegen(k, false);
    if (d->compile(d, p) != 0) { printf("%-60s compile failed: %s\n", argv[c], tg_error()); program_free(p); continue; }
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
      rt_cuda_timer_begin(d);
      d->exec(d, p, bufs, NULL);
      double t = rt_cuda_timer_end(d);
      if (r && t < best) best = t;
    }
    printf("%-60s %8.3f ms %7.2f TFLOP/s\n", argv[c], best * 1e3, 2.0 * N * N * N / best * 1e-12);
    program_free(p);
  }
  return 0;
}
