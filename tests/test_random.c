// Random tensors: tinygrad's sequences for a seed, determinism, CPU == INTERP bitwise, distributions, errors
#include "testlib.h"
#include "tinygrad.h"
#include "base/timer.h"
#include <math.h>
#include <stdlib.h>

static const char *devs[] = { "CPU", "INTERP" };

static bool get(tg_tensor *t, double *out, int64_t n) {   // any dtype -> double
  tg_tensor *c = tg_cast(t, TG_FLOAT64);
  if (!c || tg_numel(c) != n || tg_data(c, out, (size_t)n * 8) != 0) { fprintf(stderr, "  get: %s\n", tg_error()); return false; }
  return true;
}

// Values printed by tinygrad (commit a9069c1, DEV=PYTHON) for:
//   Tensor.manual_seed(42); Tensor.rand(5); Tensor.rand(3)
//   Tensor.manual_seed(42); Tensor.rand(3, dtype=float16); Tensor.rand(3, dtype=float64); Tensor.randn(4)
//   Tensor.randint(6, low=5, high=10); Tensor.rand(2, dtype=bfloat16)
static void test_matches_tinygrad(void) {
  static const double r5[] = { 0.38104248046875, 0.009775400161743164, 0.1128007173538208, 0.1176995038986206, 0.505361795425415 };
  static const double r3[] = { 0.8708788156509399, 0.5977052450180054, 0.6344926357269287 };
  static const double h3[] = { 0.1748046875, 0.7548828125, 0.373046875 };
  static const double d3[] = { 0.2522835617217931, 0.6506184201499312, 0.8332472823006094 };
  static const double n4[] = { -0.5830916166305542, 0.10723989456892014, -0.10252099484205246, -0.9569409489631653 };
  static const double i6[] = { 7, 8, 7, 9, 7, 7 };
  static const double b2[] = { 0.71875, 0.921875 };
  for (int d = 0; d < 2; d++) {
    tg_set_default_device(devs[d]);
    tg_scope_begin();
    double v[8];
    tg_manual_seed(42);
    CHECK(get(tg_rand(TG_SHAPE(5), TG_FLOAT32), v, 5) && !memcmp(v, r5, sizeof r5), "%s rand(5)", devs[d]);
    CHECK(get(tg_rand(TG_SHAPE(3), TG_FLOAT32), v, 3) && !memcmp(v, r3, sizeof r3), "%s second rand(3)", devs[d]);
    tg_manual_seed(42);
    CHECK(get(tg_rand(TG_SHAPE(3), TG_FLOAT16), v, 3) && !memcmp(v, h3, sizeof h3), "%s rand float16", devs[d]);
    CHECK(get(tg_rand(TG_SHAPE(3), TG_FLOAT64), v, 3) && !memcmp(v, d3, sizeof d3), "%s rand float64", devs[d]);
    bool ok = get(tg_randn(TG_SHAPE(4), TG_FLOAT32), v, 4);   // transcendentals: equal to float32 rounding
    for (int i = 0; i < 4; i++) ok &= fabs(v[i] - n4[i]) <= 1e-6 * fabs(n4[i]) + 1e-7;
    CHECK(ok, "%s randn(4): %.9g %.9g %.9g %.9g", devs[d], v[0], v[1], v[2], v[3]);
    CHECK(get(tg_randint(TG_SHAPE(6), 5, 10, TG_INT32), v, 6) && !memcmp(v, i6, sizeof i6), "%s randint", devs[d]);
    CHECK(get(tg_rand(TG_SHAPE(2), TG_BFLOAT16), v, 2) && !memcmp(v, b2, sizeof b2), "%s rand bfloat16", devs[d]);
    tg_scope_end();
  }
  tg_set_default_device("CPU");
}

// the same seed gives the same numbers, the next call different ones, on every device
static void test_determinism(void) {
  enum { N = 37 * 53 };
  const tg_dtype dts[] = { TG_FLOAT16, TG_BFLOAT16, TG_FLOAT32, TG_FLOAT64 };
  double *a = malloc(N * 8), *b = malloc(N * 8), *c = malloc(N * 8);
  for (int k = 0; k < 6; k++) {
    for (int d = 0; d < 2; d++) {
      tg_set_default_device(devs[d]);
      tg_scope_begin();
      tg_manual_seed(1234);
      tg_tensor *t1 = k < 4 ? tg_rand(TG_SHAPE(37, 53), dts[k]) : k == 4 ? tg_randn(TG_SHAPE(37, 53), TG_FLOAT32)
                                                                         : tg_randint(TG_SHAPE(37, 53), -100, 100, TG_INT64);
      tg_tensor *t2 = k < 4 ? tg_rand(TG_SHAPE(37, 53), dts[k]) : k == 4 ? tg_randn(TG_SHAPE(37, 53), TG_FLOAT32)
                                                                         : tg_randint(TG_SHAPE(37, 53), -100, 100, TG_INT64);
      CHECK(get(t1, d ? c : a, N) && get(t2, b, N), "kind %d on %s", k, devs[d]);
      int same = 0;
      for (int i = 0; i < N; i++) same += a[i] == b[i];
      CHECK(same < N / 50 + 2, "kind %d on %s: the second call repeats %d of %d values", k, devs[d], same, N);
      tg_scope_end();
    }
    CHECK(!memcmp(a, c, N * 8), "kind %d: CPU and INTERP differ", k);
  }
  tg_set_default_device("CPU");
  tg_scope_begin();     // a shape is a view of the flat sequence, as in tinygrad
  tg_manual_seed(5);
  CHECK(get(tg_rand(TG_SHAPE(6, 7), TG_FLOAT32), a, 42));
  tg_manual_seed(5);
  CHECK(get(tg_rand(TG_SHAPE(42), TG_FLOAT32), b, 42) && !memcmp(a, b, 42 * 8), "rand(6, 7) is rand(42) reshaped");
  tg_manual_seed(5);
  tg_tensor *like = tg_rand_like(tg_zeros(TG_SHAPE(6, 7), TG_FLOAT32));
  CHECK(like && tg_ndim(like) == 2 && tg_dim(like, 1) == 7 && get(like, c, 42) && !memcmp(a, c, 42 * 8), "rand_like");
  tg_manual_seed(6);
  CHECK(get(tg_rand(TG_SHAPE(42), TG_FLOAT32), b, 42) && memcmp(a, b, 42 * 8), "another seed, other numbers");
  tg_scope_end();
  free(a); free(b); free(c);
}

static void moments(const double *v, int64_t n, double *mean, double *var, double *lo, double *hi) {
  double s = 0, s2 = 0;
  *lo = INFINITY; *hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) { s += v[i]; if (v[i] < *lo) *lo = v[i]; if (v[i] > *hi) *hi = v[i]; }
  *mean = s / (double)n;
  for (int64_t i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
  *var = s2 / (double)n;
}

static void test_distributions(void) {
  enum { N = 100000 };
  double *v = malloc(N * 8), mean, var, lo, hi;
  const tg_dtype dts[] = { TG_FLOAT16, TG_BFLOAT16, TG_FLOAT32, TG_FLOAT64 };
  tg_manual_seed(2024);
  for (int d = 0; d < 2; d++) {
    tg_set_default_device(devs[d]);
    tg_scope_begin();
    for (int k = 0; k < 4; k++) {
      tg_tensor *t = tg_rand(TG_SHAPE(N), dts[k]);
      CHECK(t && tg_get_dtype(t) == dts[k] && get(t, v, N));
      moments(v, N, &mean, &var, &lo, &hi);
      CHECK(fabs(mean - 0.5) < 0.006 && fabs(var - 1.0 / 12) < 0.003 && lo >= 0 && hi < 1 && hi > 0.99,
            "rand %s on %s: mean %g var %g range [%g, %g]", tg_dtype_name(dts[k]), devs[d], mean, var, lo, hi);
    }
    for (int k = 0; k < 4; k++) {
      tg_tensor *t = tg_randn(TG_SHAPE(N), dts[k]);
      CHECK(t && tg_get_dtype(t) == dts[k] && get(t, v, N));
      moments(v, N, &mean, &var, &lo, &hi);
      int64_t inside = 0;
      for (int i = 0; i < N; i++) inside += fabs(v[i]) < 1;
      CHECK(fabs(mean) < 0.02 && fabs(var - 1) < 0.03 && fabs((double)inside / N - 0.6827) < 0.01 && lo > -7 && hi < 7,
            "randn %s on %s: mean %g var %g P(|x|<1) %g", tg_dtype_name(dts[k]), devs[d], mean, var, (double)inside / N);
    }
    tg_tensor *t = tg_randint(TG_SHAPE(N), -3, 7, TG_INT16);
    CHECK(t && tg_get_dtype(t) == TG_INT16 && get(t, v, N));
    int64_t count[10] = { 0 }, bad = 0;
    for (int i = 0; i < N; i++) {
      if (v[i] < -3 || v[i] >= 7 || v[i] != floor(v[i])) bad++;
      else count[(int)v[i] + 3]++;
    }
    CHECK(bad == 0, "randint on %s: %lld values outside [-3, 7)", devs[d], (long long)bad);
    for (int k = 0; k < 10; k++) CHECK(llabs(count[k] - N / 10) < 500, "randint on %s: %d drawn %lld times", devs[d], k - 3, (long long)count[k]);
    tg_scope_end();
  }
  tg_set_default_device("CPU");
  free(v);
}

static void test_errors(void) {
  tg_scope_begin();
  tg_clear_error();
  CHECK(tg_randint(TG_SHAPE(3), 5, 5, TG_INT32) == NULL && tg_error() && strstr(tg_error(), "low"), "high == low: %s", tg_error());
  tg_clear_error();
  CHECK(tg_randint(TG_SHAPE(3), 5, 2, TG_INT32) == NULL && tg_error() && strstr(tg_error(), "tg_randint"), "high < low");
  tg_clear_error();
  CHECK(tg_randint(TG_SHAPE(3), 0, 2, TG_FLOAT32) == NULL && tg_error(), "randint of a float dtype");
  tg_clear_error();
  CHECK(tg_rand(TG_SHAPE(3), TG_INT32) == NULL && tg_error() && strstr(tg_error(), "float"), "rand of int32");
  tg_clear_error();
  CHECK(tg_randn(TG_SHAPE(3), TG_BOOL) == NULL && tg_error(), "randn of bool");
  tg_clear_error();
  CHECK(tg_rand((const int64_t[]){ 2, -1 }, 2, TG_FLOAT32) == NULL && tg_error(), "negative dim");
  tg_clear_error();
  CHECK(tg_rand_like(NULL) == NULL, "rand_like(NULL)");
  tg_clear_error();
  tg_tensor *e = tg_rand(TG_SHAPE(0, 4), TG_FLOAT32);
  CHECK(e && tg_numel(e) == 0 && tg_realize(e), "empty rand: %s", tg_error());
  tg_tensor *s = tg_rand(NULL, 0, TG_FLOAT64);
  CHECK(s && tg_numel(s) == 1 && tg_item(s) >= 0 && tg_item(s) < 1, "0-d rand");
  tg_scope_end();
}

int main(void) {
  double t0 = time_s();
  test_matches_tinygrad();
  test_determinism();
  test_distributions();
  test_errors();
  printf("  %.2fs\n", time_s() - t0);
  return test_finish("test_random");
}
