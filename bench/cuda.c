// CUDA figures (GPU time by CUDA events): 4096 matmul in fp32 and fp16, elementwise and reduce bandwidth against
// a device-to-device copy. Prints one line and exits 0 where there is no GPU. bench/cuda_vs_torch.py: the peers.
#include "tinygrad.h"
#include "base/timer.h"
#include "base/env.h"
#include "runtime/buffer.h"
#include "runtime/cuda.h"
#include <stdio.h>
#include <stdlib.h>

typedef tg_tensor *(*Build)(tg_tensor *a, tg_tensor *b);
static tg_tensor *mm(tg_tensor *a, tg_tensor *b) { return tg_matmul(a, b); }
static tg_tensor *axpy(tg_tensor *a, tg_tensor *b) { return tg_add(tg_mul_s(a, 2.0), b); }
static tg_tensor *rowsum(tg_tensor *a, tg_tensor *b) { (void)b; return tg_sum(a, (int[]){ 1 }, 1, false); }

// Best GPU seconds of `reps` realizations of build(a, b) (each a new lazy graph; the kernel is cached).
static double best_time(Device *d, Build build, tg_tensor *a, tg_tensor *b, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps + 1; i++) {
    tg_tensor *c = build(a, b);
    if (rt_cuda_sync(d) != 0 || rt_cuda_timer_begin(d) != 0 || !tg_realize(c)) { fprintf(stderr, "bench_cuda: %s\n", tg_error()); exit(1); }
    double t = rt_cuda_timer_end(d);
    if (i > 0 && t < best) best = t;        // the first run compiles
    tg_free(c);
  }
  return best;
}

static tg_tensor *input(int64_t r, int64_t c, tg_dtype dt) {
  tg_tensor *t = tg_realize(tg_cast(tg_rand((const int64_t[]){ r, c }, 2, TG_FLOAT32), dt));
  if (!t) { fprintf(stderr, "bench_cuda: %s\n", tg_error()); exit(1); }
  return t;
}

static void matmul(Device *d, tg_dtype dt, int reps) {
  const int64_t N = 4096;
  tg_tensor *a = input(N, N, dt), *b = input(N, N, dt);
  double t = best_time(d, mm, a, b, reps);
  printf("  matmul %lldx%lldx%lld %-8s %9.3f ms  %8.2f TFLOP/s\n", (long long)N, (long long)N, (long long)N, tg_dtype_name(dt), t * 1e3,
         2.0 * N * N * N / t * 1e-12);
  tg_free(a); tg_free(b);
}

static void bandwidth(Device *d, int reps) {
  const int64_t R = 8192, C = 8192;           // 256 MB of float32 per tensor
  tg_tensor *a = input(R, C, TG_FLOAT32), *b = input(R, C, TG_FLOAT32);
  double bytes = (double)R * C * 4, te = best_time(d, axpy, a, b, reps), tr = best_time(d, rowsum, a, b, reps);
  Buffer *src = buf_new(d, DT_FLOAT32, R * C), *dst = buf_new(d, DT_FLOAT32, R * C);
  buf_ensure(src); buf_ensure(dst);
  double tc = 1e30;
  for (int i = 0; i < reps; i++) {
    rt_cuda_timer_begin(d);
    rt_cuda_copy_d2d(d, dst->ptr, src->ptr, (size_t)bytes);
    double t = rt_cuda_timer_end(d);
    if (t > 0 && t < tc) tc = t;
  }
  double copy_bw = 2 * bytes / tc;
  printf("  device-to-device copy   %9.3f ms  %8.1f GB/s (read + write)\n", tc * 1e3, copy_bw * 1e-9);
  printf("  elementwise 2*a+b       %9.3f ms  %8.1f GB/s  %5.1f%% of copy\n", te * 1e3, 3 * bytes / te * 1e-9, 100 * 3 * bytes / te / copy_bw);
  printf("  reduce sum(a, axis 1)   %9.3f ms  %8.1f GB/s  %5.1f%% of copy\n", tr * 1e3, bytes / tr * 1e-9, 100 * bytes / tr / copy_bw);
  buf_unref(src); buf_unref(dst);
  tg_free(a); tg_free(b);
}

// JIT replay overhead: a chain of 1,000 tiny dependent kernels replayed, as a CUDA graph and launch by launch
// (GRAPH=0); the time per kernel includes waiting for the GPU to finish the chain.
enum { CHAIN = 1000 };
static int chain(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  tg_tensor *x = in[0];
  for (int i = 0; i < CHAIN; i++) x = tg_contiguous(tg_add_s(x, 1));
  out[0] = x;
  return 1;
}

static double replay_us(Device *d, bool graphs) {
  int tok = env_push_int("GRAPH", graphs);
  tg_jit *j = tg_jit_new(chain, NULL);
  tg_jit_alias_outputs(j, true);
  tg_tensor *x = tg_realize(tg_zeros(TG_SHAPE(16), TG_FLOAT32)), *o[1];
  double best = 1e9;
  for (int r = 0; r < 12; r++) {
    d->synchronize(d);
    double t0 = time_s();
    if (tg_jit_call(j, &x, 1, o, 1) != 1) { fprintf(stderr, "%s\n", tg_error()); exit(1); }
    d->synchronize(d);
    double t = time_s() - t0;
    if (r >= 3 && t < best) best = t;
  }
  float v[16];
  tg_data(o[0], v, sizeof v);
  if (v[0] != CHAIN) fprintf(stderr, "replay chain gave %g, want %d\n", v[0], CHAIN);
  tg_jit_free(j);
  env_pop(tok);
  return best / CHAIN * 1e6;
}

int main(void) {
  Device *d = dev_get("CUDA");
  if (!d) { printf("bench_cuda: skipped: %s\n", tg_error()); return 0; }
  if (tg_set_default_device("CUDA") != 0) { fprintf(stderr, "bench_cuda: %s\n", tg_error()); return 1; }
  int reps = (int)env_int("REPS", 5);
  printf("bench_cuda: %s (%s), BEAM=%lld\n", rt_cuda_gpu_name(d), rt_cuda_arch(d), (long long)env_int("BEAM", 0));
  double g = replay_us(d, true), l = replay_us(d, false);
  printf("JIT replay of %d tiny kernels: %.2f us a kernel as a CUDA graph, %.2f us launch by launch\n", CHAIN, g, l);
  bandwidth(d, reps);
  matmul(d, TG_FLOAT32, reps);
  matmul(d, TG_FLOAT16, reps);
  return 0;
}
