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
#include "optlist.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char label[256];
    Program *p = optlist_program(d, ast, argv[c], label, sizeof label);
    if (!p) continue;
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
