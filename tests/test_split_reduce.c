// Split reduces (schedule/split_reduce.c): a reduce 32,768x larger than its output runs as two kernels, with
// the same values as one kernel (SPLIT_REDUCEOP=0) and as a plain C loop in double precision
#include "testlib.h"
#include "tinygrad.h"
#include "engine/realize.h"
#include "base/env.h"
#include <math.h>
#include <stdlib.h>

// runs f on x with splitting on or off; the kernel count in *kernels
static tg_tensor *run(tg_tensor *(*f)(tg_tensor *), tg_tensor *x, int split, int64_t *kernels) {
  int tok = env_push_int("SPLIT_REDUCEOP", split);
  int64_t before = eng_stats.kernels;
  tg_tensor *y = tg_realize(f(x));
  *kernels = eng_stats.kernels - before;
  env_pop(tok);
  return y;
}

static tg_tensor *channel_sums(tg_tensor *x) { return tg_sum(x, (int[]){ 0, 2, 3 }, 3, false); }   // batchnorm's
static tg_tensor *channel_max(tg_tensor *x) { return tg_max(x, (int[]){ 0, 2, 3 }, 3, false); }
static tg_tensor *row_sums(tg_tensor *x) { return tg_sum(x, (int[]){ 1 }, 1, false); }

// (64, 4, 24, 24) summed per channel: 36,864 elements per output, split; checked against a double loop
static void test_channel_sums(void) {
  int64_t n = 64, c = 4, hw = 24 * 24, k_split, k_one;
  float *h = malloc((size_t)(n * c * hw) * sizeof(float));
  TestRng r = { 7 };
  for (int64_t i = 0; i < n * c * hw; i++) h[i] = (float)(rng_unit(&r) * 2 - 1);
  tg_tensor *x = tg_from_data(h, TG_FLOAT32, TG_SHAPE(n, c, 24, 24));
  tg_tensor *a = run(channel_sums, x, 1, &k_split), *b = run(channel_sums, x, 0, &k_one);
  CHECK_EQ_INT(k_split, 2);
  CHECK_EQ_INT(k_one, 1);
  float ga[4], gb[4];
  tg_data(a, ga, sizeof ga);
  tg_data(b, gb, sizeof gb);
  for (int64_t ch = 0; ch < c; ch++) {
    double want = 0;
    for (int64_t i = 0; i < n; i++) for (int64_t p = 0; p < hw; p++) want += h[(i * c + ch) * hw + p];
    CHECK(fabs(ga[ch] - want) < 1e-3 && fabs(gb[ch] - want) < 1e-3, "channel %lld: split %g, one kernel %g, want %g", (long long)ch, ga[ch], gb[ch], want);
  }
  int64_t km;
  tg_tensor *m = run(channel_max, x, 1, &km);
  float gm[4];
  tg_data(m, gm, sizeof gm);
  CHECK_EQ_INT(km, 2);
  for (int64_t ch = 0; ch < c; ch++) {
    float want = -INFINITY;
    for (int64_t i = 0; i < n; i++) for (int64_t p = 0; p < hw; p++) want = fmaxf(want, h[(i * c + ch) * hw + p]);
    CHECK(gm[ch] == want, "max channel %lld: %g, want %g", (long long)ch, gm[ch], want);
  }
  free(h);
}

// integer sums stay exact; a prime-length axis has no divisor to split by; a smaller ratio is not split
static void test_when_not_split(void) {
  int64_t k;
  tg_tensor *ones = tg_realize(tg_ones(TG_SHAPE(2, 65536), TG_INT32));
  tg_tensor *s = run(row_sums, ones, 1, &k);
  int64_t got[2] = { 0 };                  // (int32 sums to int64, as torch)
  tg_data(s, got, sizeof got);
  CHECK_EQ_INT(k, 2);
  CHECK(got[0] == 65536 && got[1] == 65536, "int sums %lld %lld", (long long)got[0], (long long)got[1]);
  tg_tensor *prime = tg_realize(tg_ones(TG_SHAPE(1, 40009), TG_FLOAT32));
  run(row_sums, prime, 1, &k);
  CHECK_EQ_INT(k, 1);
  tg_tensor *small = tg_realize(tg_ones(TG_SHAPE(4, 16384), TG_FLOAT32));
  run(row_sums, small, 1, &k);
  CHECK_EQ_INT(k, 1);
}

// the split reduce has a gradient like any other (the rewrite happens at scheduling, after autograd)
static void test_gradient(void) {
  tg_tensor *x = tg_realize(tg_rand(TG_SHAPE(8, 40960), TG_FLOAT32));
  tg_requires_grad(x, true);
  tg_tensor *loss = tg_sum(tg_mul(x, x), NULL, 0, false), *g;
  CHECK(tg_gradient(loss, &x, 1, &g) == 0, "gradient: %s", tg_error());
  tg_tensor *err = tg_realize(tg_max(tg_abs(tg_sub(g, tg_mul_s(x, 2))), NULL, 0, false));
  CHECK(tg_item(err) < 1e-6, "d(sum x^2)/dx = 2x, off by %g", tg_item(err));
}

int main(void) {
  tg_scope_begin();
  test_channel_sums();
  test_when_not_split();
  test_gradient();
  tg_scope_end();
  return test_finish("test_split_reduce");
}
