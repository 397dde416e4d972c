// End-to-end tests of the lazy Tensor API on CPU and INTERP against naive C loops, plus fusion counts
#include "testlib.h"
#include "tinygrad.h"
#include "engine/realize.h"
#include "base/env.h"
#include <math.h>
#include <stdlib.h>

static float *randf(TestRng *r, int64_t n) {
  float *p = malloc((size_t)(n ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; i++) p[i] = (float)(rng_unit(r) * 2 - 1);
  return p;
}

static bool close_arr(const float *a, const float *b, int64_t n, double atol, double rtol) {
  for (int64_t i = 0; i < n; i++)
    if (!(fabs((double)a[i] - (double)b[i]) <= atol + rtol * fabs((double)b[i])) && !(isnan(a[i]) && isnan(b[i]))) {
      fprintf(stderr, "  mismatch at %lld: got %.8g want %.8g\n", (long long)i, a[i], b[i]);
      return false;
    }
  return true;
}

static int64_t kernels_for(tg_tensor *t) {
  int64_t before = eng_stats.kernels;
  if (!tg_realize(t)) { fprintf(stderr, "realize failed: %s\n", tg_error()); return -1; }
  return eng_stats.kernels - before;
}

static void test_elementwise(TestRng *r) {
  tg_scope_begin();
  float *a = randf(r, 12), *b = randf(r, 4), out[12], want[12];
  tg_tensor *ta = tg_from_data(a, TG_FLOAT32, TG_SHAPE(3, 4)), *tb = tg_from_data(b, TG_FLOAT32, TG_SHAPE(4));
  tg_tensor *c = tg_add(tg_mul(ta, tb), tg_exp(ta));                 // broadcast (3,4) * (4,)
  CHECK_EQ_INT(kernels_for(c), 1);
  CHECK(tg_data(c, out, sizeof out) == 0, "%s", tg_error());
  for (int i = 0; i < 12; i++) want[i] = a[i] * b[i % 4] + expf(a[i]);
  CHECK(close_arr(out, want, 12, 1e-6, 1e-5), "add/mul/exp broadcast");
  free(a); free(b);
  tg_scope_end();
}

static void test_reduce_and_movement(TestRng *r) {
  tg_scope_begin();
  float *a = randf(r, 24), out[24], want[24];
  tg_tensor *t = tg_from_data(a, TG_FLOAT32, TG_SHAPE(2, 3, 4));
  tg_tensor *s = tg_sum(t, (int[]){ 1 }, 1, false);                   // (2, 4)
  CHECK(tg_data(s, out, 8 * sizeof(float)) == 0, "%s", tg_error());
  for (int i = 0; i < 2; i++) for (int k = 0; k < 4; k++) want[i * 4 + k] = a[i * 12 + k] + a[i * 12 + 4 + k] + a[i * 12 + 8 + k];
  CHECK(close_arr(out, want, 8, 1e-6, 1e-5), "sum axis 1");
  tg_tensor *p = tg_contiguous(tg_permute(t, (int[]){ 2, 0, 1 }, 3));   // (4, 2, 3)
  CHECK(tg_data(p, out, sizeof out) == 0, "%s", tg_error());
  for (int k = 0; k < 4; k++) for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) want[k * 6 + i * 3 + j] = a[i * 12 + j * 4 + k];
  CHECK(close_arr(out, want, 24, 0, 0), "permute");
  tg_tensor *f = tg_flip(tg_slice(t, 2, 1, 4, 2), (int[]){ 0 }, 1);    // (2, 3, 2), steps and flip
  CHECK(tg_data(f, out, 12 * sizeof(float)) == 0, "%s", tg_error());
  for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 2; k++) want[i * 6 + j * 2 + k] = a[(1 - i) * 12 + j * 4 + 1 + 2 * k];
  CHECK(close_arr(out, want, 12, 0, 0), "slice step 2 + flip");
  tg_tensor *pd = tg_pad(tg_reshape(t, TG_SHAPE(6, 4)), (int64_t[]){ 1, 0, -1, 2 }, 4, 0);   // (7, 5)
  float o2[35], w2[35];
  CHECK(tg_data(pd, o2, sizeof o2) == 0, "%s", tg_error());
  for (int i = 0; i < 7; i++) for (int j = 0; j < 5; j++) w2[i * 5 + j] = (i >= 1 && j < 3) ? a[(i - 1) * 4 + j + 1] : 0;
  CHECK(close_arr(o2, w2, 35, 0, 0), "pad with negative trim");
  free(a);
  tg_scope_end();
}

static void test_matmul_softmax(TestRng *r) {
  tg_scope_begin();
  enum { N = 9, K = 13, M = 7 };
  float *a = randf(r, N * K), *b = randf(r, K * M), out[N * M], want[N * M];
  tg_tensor *ta = tg_from_data(a, TG_FLOAT32, TG_SHAPE(N, K)), *tb = tg_from_data(b, TG_FLOAT32, TG_SHAPE(K, M));
  tg_tensor *c = tg_matmul(ta, tb);
  CHECK_EQ_INT(kernels_for(c), 1);
  CHECK(tg_data(c, out, sizeof out) == 0, "%s", tg_error());
  for (int i = 0; i < N; i++) for (int j = 0; j < M; j++) { double s = 0; for (int k = 0; k < K; k++) s += (double)a[i * K + k] * b[k * M + j]; want[i * M + j] = (float)s; }
  CHECK(close_arr(out, want, N * M, 1e-5, 1e-4), "matmul");
  tg_tensor *sm = tg_softmax(c, -1);
  int64_t nk = kernels_for(sm);
  CHECK(nk >= 1 && nk <= 2, "softmax of a matmul: %lld kernels", (long long)nk);
  CHECK(tg_data(sm, out, sizeof out) == 0, "%s", tg_error());
  for (int i = 0; i < N; i++) {
    float mx = -INFINITY, s = 0;
    for (int j = 0; j < M; j++) mx = fmaxf(mx, want[i * M + j]);
    for (int j = 0; j < M; j++) s += expf(want[i * M + j] - mx);
    for (int j = 0; j < M; j++) want[i * M + j] = expf(want[i * M + j] - mx) / s;
  }
  CHECK(close_arr(out, want, N * M, 1e-6, 1e-4), "softmax");
  free(a); free(b);
  tg_scope_end();
}

static void test_fusion_counts(TestRng *r) {
  tg_scope_begin();
  float *a = randf(r, 64 * 32);
  tg_tensor *x = tg_from_data(a, TG_FLOAT32, TG_SHAPE(64, 32));
  CHECK_EQ_INT(kernels_for(tg_softmax(x, -1)), 1);                    // reduce -> broadcast fuses
  CHECK_EQ_INT(kernels_for(tg_layernorm(x, -1, 1e-5)), 1);
  CHECK_EQ_INT(kernels_for(tg_sub(x, tg_mean(x, NULL, 0, false))), 1); // full reduce hoisted
  CHECK_EQ_INT(kernels_for(tg_div(x, tg_sum(x, (int[]){ 0 }, 1, true))), 2);   // would recompute: 2
  CHECK_EQ_INT(kernels_for(tg_contiguous(tg_add_s(tg_contiguous(tg_mul_s(x, 2)), 1))), 2);
  free(a);
  tg_scope_end();
}

static void test_interp_matches_cpu(TestRng *r) {
  tg_scope_begin();
  float *a = randf(r, 6 * 10), o1[6], o2[6];
  tg_tensor *x = tg_from_data(a, TG_FLOAT32, TG_SHAPE(6, 10));
  tg_tensor *y = tg_logsumexp(tg_mul_s(x, 3), 1, false);
  CHECK(tg_data(y, o1, sizeof o1) == 0, "%s", tg_error());
  tg_tensor *xi = tg_to(x, "INTERP");
  CHECK(xi != NULL, "%s", tg_error());
  tg_tensor *yi = tg_logsumexp(tg_mul_s(xi, 3), 1, false);
  CHECK(tg_data(yi, o2, sizeof o2) == 0, "%s", tg_error());
  CHECK(close_arr(o1, o2, 6, 1e-6, 1e-6), "CPU vs INTERP");
  free(a);
  tg_scope_end();
}

static void test_assign(TestRng *r) {
  tg_scope_begin();
  float *a = randf(r, 12), out[12], old[12], want[12];
  tg_tensor *p = tg_from_data(a, TG_FLOAT32, TG_SHAPE(3, 4));
  tg_tensor *reader = tg_mul_s(tg_flip(p, (int[]){ 1 }, 1), 2);     // built before the assign: sees the old value
  tg_assign(p, tg_add_s(p, 1));                                     // elementwise in place
  tg_tensor *both[2] = { reader, p };
  CHECK(tg_realize_many(both, 2) == 0, "%s", tg_error());
  CHECK(tg_data(reader, old, sizeof old) == 0 && tg_data(p, out, sizeof out) == 0, "%s", tg_error());
  for (int i = 0; i < 12; i++) want[i] = a[(i / 4) * 4 + 3 - i % 4] * 2;
  CHECK(close_arr(old, want, 12, 0, 0), "a read built before the assign sees the old value");
  for (int i = 0; i < 12; i++) want[i] = a[i] + 1;
  CHECK(close_arr(out, want, 12, 0, 0), "assign x + 1");
  tg_assign(p, tg_flip(p, (int[]){ 0, 1 }, 2));                    // reads its target at other positions
  CHECK(tg_data(p, out, sizeof out) == 0, "%s", tg_error());
  for (int i = 0; i < 12; i++) want[i] = a[11 - i] + 1;
  CHECK(close_arr(out, want, 12, 0, 0), "assign of its own flip goes through a temporary");
  CHECK(tg_assign(p, tg_ones(TG_SHAPE(5), TG_FLOAT32)) == NULL && tg_error(), "assign shape error");
  tg_clear_error();
  free(a);
  tg_scope_end();
}

int main(void) {
  TestRng r = { 42 };
  test_elementwise(&r);
  test_reduce_and_movement(&r);
  test_matmul_softmax(&r);
  test_fusion_counts(&r);
  test_interp_matches_cpu(&r);
  test_assign(&r);
  return test_finish("test_tensor");
}
