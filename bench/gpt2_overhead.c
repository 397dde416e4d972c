// Graph-to-kernels time: a GPT-2-small-shaped forward graph (12 layers, 768 wide, sequence 64, empty
// weights) built, scheduled, linearized and rendered on DEV=NULL (nothing is compiled or run).
// The same graph as shared/peers/peer_tinygrad_overhead.py; bench/overhead_vs_tinygrad.sh runs both.
#include "tinygrad.h"
#include "engine/realize.h"
#include "base/timer.h"
#include "schedule/schedule.h"
#include "tensor/tensor.h"
#include <stdio.h>
#include <stdlib.h>

static int L = 12;
enum { B = 1, T = 64, C = 768, H = 12 };

static tg_tensor *lin(tg_tensor *x, int64_t i, int64_t o) {
  return tg_linear(x, tg_empty(TG_SHAPE(o, i), TG_FLOAT32), tg_empty(TG_SHAPE(o), TG_FLOAT32));
}

static tg_tensor *build(void) {
  tg_tensor *x = tg_empty(TG_SHAPE(B, T, C), TG_FLOAT32);
  for (int l = 0; l < L; l++) {
    tg_tensor *qkv = tg_reshape(lin(tg_layernorm(x, -1, 1e-5), C, 3 * C), TG_SHAPE(B, T, 3, H, C / H));
    qkv = tg_permute(qkv, (int[]){ 2, 0, 3, 1, 4 }, 5);
    tg_tensor *qs[3];
    tg_split(qkv, 1, 0, qs, 3);
    for (int i = 0; i < 3; i++) qs[i] = tg_squeeze(qs[i], 0);
    tg_tensor *a = tg_scaled_dot_product_attention(qs[0], qs[1], qs[2], NULL, true);
    a = tg_reshape(tg_transpose(a, 1, 2), TG_SHAPE(B, T, C));
    x = tg_add(x, lin(a, C, C));
    x = tg_add(x, lin(tg_gelu(lin(tg_layernorm(x, -1, 1e-5), C, 4 * C)), 4 * C, C));
  }
  return tg_sum(x, NULL, 0, false);
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 3;
  if (argc > 2) L = atoi(argv[2]);
  if (tg_set_default_device("NULL") != 0) { fprintf(stderr, "%s\n", tg_error()); return 1; }
  for (int r = 0; r < reps; r++) {
    tg_scope_begin();
    double t0 = time_s();
    tg_tensor *out = build();
    double t1 = time_s();
    Schedule s;
    UOp *root = out->uop;
    if (!out || sched_create(&s, &root, 1, out->dev) != 0) { fprintf(stderr, "%s\n", tg_error()); return 1; }
    double t2 = time_s();
    int64_t nk = s.n;
    if (eng_run(&s) != 0) { fprintf(stderr, "%s\n", tg_error()); return 1; }
    double t3 = time_s();
    sched_free(&s);
    printf("tinygrad.c NULL (%s): graph build %.1f ms, schedule %.1f ms, codegen+render %.1f ms, total realize %.1f ms, %lld kernels\n",
           r == 0 ? "cold" : "warm kernel cache", 1e3 * (t1 - t0), 1e3 * (t2 - t1), 1e3 * (t3 - t2), 1e3 * (t3 - t1), (long long)nk);
    tg_scope_end();
  }
  return 0;
}
