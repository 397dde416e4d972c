// Fused elementwise chain: 10 ops on 16M float32 in one kernel, against a plain C streaming loop
// (the memory-bandwidth floor on this machine, measured in the same run). bench/elementwise_vs_numpy.sh
// adds numpy. Prints GB/s as (bytes read + written) / time.
#include "tinygrad.h"
#include "base/threadpool.h"
#include "base/timer.h"
#include <stdio.h>
#include <stdlib.h>

enum { N = 16 * 1024 * 1024 };
static float *src_, *dst_;

static void stream_chunk(void *ctx, int64_t s, int64_t e) {   // read + write once: the floor
  (void)ctx;
  for (int64_t i = s; i < e; i++) dst_[i] = src_[i] * 1.5f + 0.5f;
}

static double best_of(int reps, double (*fn)(void)) {
  double best = 1e30;
  for (int r = 0; r < reps; r++) { double t = fn(); if (t < best) best = t; }
  return best;
}

static double run_stream(void) { double t0 = time_s(); tp_run(N, stream_chunk, NULL); return time_s() - t0; }

static tg_tensor *x_;
static double run_chain(void) {
  tg_scope_begin();
  tg_tensor *y = tg_add_s(tg_mul_s(x_, 1.5f), 0.5);
  y = tg_maximum_s(tg_sub_s(y, 0.25), -1);
  y = tg_mul(y, x_);
  y = tg_add_s(tg_mul_s(y, 0.75), 1);
  y = tg_minimum_s(tg_div_s(y, 3), 2);
  y = tg_add(y, x_);                                   // 10 elementwise ops, one fused kernel
  double t0 = time_s();
  tg_realize(y);
  double t = time_s() - t0;
  tg_scope_end();
  return t;
}

int main(void) {
  src_ = malloc((size_t)N * 4); dst_ = malloc((size_t)N * 4);
  for (int64_t i = 0; i < N; i++) src_[i] = (float)(i % 1000) * 0.001f;
  x_ = tg_from_data(src_, TG_FLOAT32, TG_SHAPE(N));
  run_chain();                                         // compile once
  double tc = best_of(10, run_chain), ts = best_of(10, run_stream);
  double bytes = 2.0 * N * 4;
  printf("fused 10-op chain on 16M f32: %.2f ms, %.1f GB/s\n", tc * 1e3, bytes / tc * 1e-9);
  printf("plain C stream (read+write) : %.2f ms, %.1f GB/s\n", ts * 1e3, bytes / ts * 1e-9);
  printf("chain / bandwidth floor: %.2fx of stream bandwidth\n", ts / tc);
  return 0;
}
