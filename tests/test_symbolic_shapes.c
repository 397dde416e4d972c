// Symbolic shapes: variables in shapes and shrinks, one kernel for every value, JIT replay over 50 values
#include "testlib.h"
#include "tinygrad.h"
#include "engine/realize.h"
#include "engine/schedule_cache.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static float X[64 * 8];
static tg_tensor *concrete(int64_t rows, int64_t cols) {   // X[r * 8 + c] for r < rows, c < cols
  float v[64 * 8];
  for (int64_t r = 0; r < rows; r++) for (int64_t c = 0; c < cols; c++) v[r * cols + c] = X[r * 8 + c];
  return tg_realize(tg_from_data(v, TG_FLOAT32, (int64_t[]){ rows, cols }, 2));
}

static void test_api_errors(void) {
  tg_scope_begin();
  expect_err("empty range", tg_variable("i", 5, 4) == NULL, "bad range");
  tg_tensor *i = tg_variable("i", 1, 10);
  CHECK(i != NULL, "%s", tg_error());
  expect_err("unbound", tg_sym(i) == -1, "not bound");
  expect_err("bind out of range", tg_bind(i, 11) != 0, "outside [1, 10]");
  expect_err("bind a non-variable", tg_bind(tg_ones(NULL, 0, TG_INT32), 1) != 0, "not a variable");
  CHECK(tg_bind(i, 4) == 0, "%s", tg_error());
  int64_t n = tg_sym(i);
  CHECK(tg_sym_is(n) && tg_sym_value(n) == 4, "token %lld value %lld", (long long)n, (long long)tg_sym_value(n));
  CHECK(!tg_sym_is(4) && tg_sym_value(4) == 4, "a plain size is its own value");
  int64_t n1 = tg_sym(tg_add_s(i, 1));
  CHECK(tg_sym_value(n1) == 5, "i + 1 = %lld", (long long)tg_sym_value(n1));
  CHECK(tg_sym(tg_add_s(i, 1)) == n1, "equal expressions give equal tokens");
  expect_err("float expression", tg_sym(tg_mul_s(i, 0.5)) == -1, "integer");
  tg_tensor *x = tg_zeros(TG_SHAPE(10, 3), TG_FLOAT32);
  expect_err("shrink past the dim", tg_shrink(x, (int64_t[]){ 0, n1, 0, 3 }, 4) == NULL, "can exceed");   // i+1 reaches 11
  tg_tensor *s = tg_shrink(x, (int64_t[]){ 0, n, 0, 3 }, 4);
  CHECK(s && tg_shape(s)[0] == n && tg_numel(s) == 12, "shape (i, 3), numel %lld", (long long)tg_numel(s));
  expect_err("stepped slice", tg_slice(s, 0, 0, 4, 2) == NULL, "symbolic slice takes step 1");
  tg_tensor *sl = tg_slice(concrete(11, 3), 0, n, n1, 1);                // y[i:i+1], i = 4
  float row[3];
  CHECK(sl && tg_numel(sl) == 3 && tg_shape(sl)[0] == 1 && tg_data(sl, row, sizeof row) == 0, "y[i:i+1]: %s", tg_error());
  CHECK(row[0] == X[4 * 8] && row[2] == X[4 * 8 + 2], "y[i:i+1] is row 4");
  expect_err("conv", tg_conv2d(tg_reshape(s, (int64_t[]){ 1, 1, n, 3 }, 4), tg_ones(TG_SHAPE(1, 1, 2, 2), TG_FLOAT32), NULL, 1, NULL, NULL, NULL) == NULL, "symbolic");
  expect_err("broadcast against a concrete dim", tg_add(s, tg_zeros(TG_SHAPE(5, 3), TG_FLOAT32)) == NULL, "(i=4, 3) and (5, 3) do not broadcast");
  tg_scope_end();
}

// sum over rows [0, i) of a concrete (64, 8) tensor, softmax over the symbolic axis, mean: one kernel set for all i
static void test_one_kernel_for_every_value(void) {
  tg_scope_begin();
  tg_tensor *x = concrete(64, 8), *i = tg_variable("rows", 1, 64);
  int64_t compiles_after_first = -1;
  for (int64_t v = 1; v <= 64; v += 7) {
    tg_scope_begin();
    tg_bind(i, v);
    int64_t n = tg_sym(i);
    tg_tensor *part = tg_shrink(x, (int64_t[]){ 0, n, 0, 8 }, 4);
    tg_tensor *col = tg_sum(part, (int[]){ 0 }, 1, false);                    // (8,)
    tg_tensor *sm = tg_softmax(part, 0);                                        // (i, 8)
    tg_tensor *mean = tg_mean(part, (int[]){ 0 }, 1, false);
    tg_tensor *ones = tg_sum(tg_ones(TG_SHAPE(n, 3), TG_FLOAT32), NULL, 0, false);
    CHECK(tg_realize_many((tg_tensor *[]){ col, sm, mean, ones }, 4) == 0, "v=%lld: %s", (long long)v, tg_error());
    float got[8], gm[8], gs[64 * 8], go;
    CHECK(tg_data(col, got, sizeof got) == 0 && tg_data(mean, gm, sizeof gm) == 0 && tg_data(ones, &go, 4) == 0, "%s", tg_error());
    CHECK(tg_numel(sm) == v * 8 && tg_data(sm, gs, (size_t)(v * 8) * 4) == 0, "softmax data: %s", tg_error());
    double err = fabs(go - 3.0 * (double)v);
    for (int c = 0; c < 8; c++) {
      double s = 0, mx = -INFINITY, z = 0;
      for (int64_t r = 0; r < v; r++) { s += X[r * 8 + c]; mx = fmax(mx, X[r * 8 + c]); }
      for (int64_t r = 0; r < v; r++) z += exp(X[r * 8 + c] - mx);
      err = fmax(err, fmax(fabs(got[c] - s), fabs(gm[c] - s / (double)v)));
      for (int64_t r = 0; r < v; r++) err = fmax(err, fabs(gs[r * 8 + c] - exp(X[r * 8 + c] - mx) / z));
    }
    CHECK(err < 1e-4, "v=%lld: max error %g", (long long)v, err);
    if (compiles_after_first < 0) compiles_after_first = eng_stats.compiles;
    else CHECK(eng_stats.compiles == compiles_after_first, "v=%lld compiled %lld new kernels", (long long)v, (long long)(eng_stats.compiles - compiles_after_first));
    tg_scope_end();
  }
  tg_scope_end();
}

// the schedule cache keys graphs without the values: a new value is a hit
static void test_schedule_cache_hits(void) {
  tg_scope_begin();
  tg_tensor *x = concrete(64, 8), *i = tg_variable("k", 1, 64);
  int64_t hits = 0;
  for (int64_t v = 10; v < 14; v++) {
    tg_scope_begin();
    tg_bind(i, v);
    tg_tensor *y = tg_sum(tg_mul_s(tg_shrink(x, (int64_t[]){ 0, tg_sym(i), 0, 8 }, 4), 3), NULL, 0, false);
    int64_t h0 = scache_stats.hits;
    float got;
    CHECK(tg_data(y, &got, 4) == 0, "%s", tg_error());
    double want = 0;
    for (int64_t r = 0; r < v; r++) for (int c = 0; c < 8; c++) want += 3.0 * X[r * 8 + c];
    CHECK(fabs(got - want) < 1e-3, "v=%lld: %g vs %g", (long long)v, got, want);
    hits += scache_stats.hits - h0;
    tg_scope_end();
  }
  CHECK(hits >= 3, "schedule cache hits over 4 values: %lld", (long long)hits);
  tg_scope_end();
}

// concrete (3, v) -> (3, i=v) -> +1 -> realized symbolic -> back to (3, v)
static void test_reshape_between_concrete_and_symbolic(void) {
  tg_scope_begin();
  tg_tensor *i = tg_variable("w", 1, 8);
  for (int64_t v = 2; v <= 8; v += 3) {
    tg_scope_begin();
    tg_bind(i, v);
    int64_t n = tg_sym(i);
    tg_tensor *c = concrete(3, v);
    tg_tensor *s = tg_realize(tg_add_s(tg_reshape(c, (int64_t[]){ 3, n }, 2), 1));
    CHECK(s && tg_shape(s)[1] == n, "%s", tg_error());
    tg_tensor *back = tg_reshape(tg_mul_s(s, 2), (int64_t[]){ 3, v }, 2);
    CHECK(back && !tg_sym_is(tg_shape(back)[1]), "%s", tg_error());
    expect_err("value mismatch", tg_reshape(s, (int64_t[]){ 3, v + 1 }, 2) == NULL, "cannot reshape");
    float got[24];
    CHECK(tg_data(back, got, (size_t)(3 * v) * 4) == 0, "%s", tg_error());
    double err = 0;
    for (int r = 0; r < 3; r++) for (int64_t k = 0; k < v; k++) err = fmax(err, fabs(got[r * v + k] - 2 * (X[r * 8 + k] + 1)));
    CHECK(err < 1e-5, "v=%lld: max error %g", (long long)v, err);
    tg_scope_end();
  }
  tg_scope_end();
}

// tinygrad's test_symbolic_jit: inputs reshaped to (3, i), replayed over 50 values, equal to plain calls
static int add_scale(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  out[0] = tg_mul_s(tg_add(in[0], in[1]), 2);
  out[1] = tg_sum(tg_exp(in[0]), (int[]){ 1 }, 1, true);
  return 2;
}

static void test_jit_over_50_values(void) {
  tg_scope_begin();
  tg_jit *j = tg_jit_new(add_scale, NULL);
  tg_tensor *i = tg_variable("i", 1, 64);
  int64_t compiles = 0;
  for (int64_t v = 1; v <= 50; v++) {
    tg_scope_begin();
    tg_bind(i, v);
    int64_t n = tg_sym(i);
    tg_tensor *a = concrete(3, v), *b = tg_realize(tg_mul_s(concrete(3, v), -0.5));
    tg_tensor *in[2] = { tg_realize(tg_reshape(a, (int64_t[]){ 3, n }, 2)), tg_realize(tg_reshape(b, (int64_t[]){ 3, n }, 2)) }, *out[2];
    compiles = eng_stats.compiles;
    CHECK(tg_jit_call(j, in, 2, out, 2) == 2, "v=%lld: %s", (long long)v, tg_error());
    if (v > 2) CHECK(eng_stats.compiles == compiles, "v=%lld: a replay compiled", (long long)v);
    CHECK(tg_shape(out[0])[1] == n, "v=%lld: output shape carries this call's value", (long long)v);
    float got[3 * 64], sums[3];
    CHECK(tg_data(out[0], got, (size_t)(3 * v) * 4) == 0 && tg_data(out[1], sums, sizeof sums) == 0, "%s", tg_error());
    double err = 0;
    for (int r = 0; r < 3; r++) {
      double s = 0;
      for (int64_t k = 0; k < v; k++) { err = fmax(err, fabs(got[r * v + k] - 2 * 0.5 * X[r * 8 + k])); s += exp(X[r * 8 + k]); }
      err = fmax(err, fabs(sums[r] - s) / s);
    }
    CHECK(err < 1e-5, "v=%lld: max error %g", (long long)v, err);
    tg_scope_end();
  }
  CHECK(tg_jit_kernels(j) == 2, "replays %d kernels", tg_jit_kernels(j));
  tg_jit_free(j);
  tg_scope_end();
}

// a KV-cache read: the variable comes in as an input; the cache buffer is fixed
static tg_tensor *cache;
static int attend(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  int64_t n = tg_sym(tg_add_s(in[1], 1));                                 // positions 0..pos
  tg_tensor *keys = tg_shrink(cache, (int64_t[]){ 0, n, 0, 8 }, 4);        // (pos+1, 8)
  tg_tensor *scores = tg_softmax(tg_matmul(in[0], tg_transpose(keys, 0, 1)), 1);   // (1, pos+1)
  out[0] = tg_matmul(scores, keys);                                        // (1, 8)
  return 1;
}

static void test_jit_variable_input(void) {
  tg_scope_begin();
  cache = concrete(64, 8);
  tg_jit *j = tg_jit_new(attend, NULL);
  tg_tensor *pos = tg_variable("pos", 0, 63);
  for (int64_t p = 0; p < 50; p++) {
    tg_scope_begin();
    tg_bind(pos, p);
    float q[8];
    for (int c = 0; c < 8; c++) q[c] = (float)(0.1 * c - 0.3 + 0.01 * (double)p);
    tg_tensor *in[2] = { tg_from_data(q, TG_FLOAT32, TG_SHAPE(1, 8)), pos }, *out[1];
    CHECK(tg_jit_call(j, in, 2, out, 1) == 1, "p=%lld: %s", (long long)p, tg_error());
    float got[8];
    CHECK(tg_data(out[0], got, sizeof got) == 0, "%s", tg_error());
    double w[64], mx = -INFINITY, z = 0, err = 0;
    for (int64_t r = 0; r <= p; r++) { w[r] = 0; for (int c = 0; c < 8; c++) w[r] += q[c] * X[r * 8 + c]; mx = fmax(mx, w[r]); }
    for (int64_t r = 0; r <= p; r++) { w[r] = exp(w[r] - mx); z += w[r]; }
    for (int c = 0; c < 8; c++) {
      double s = 0;
      for (int64_t r = 0; r <= p; r++) s += w[r] / z * X[r * 8 + c];
      err = fmax(err, fabs(got[c] - s));
    }
    CHECK(err < 1e-5, "p=%lld: max error %g", (long long)p, err);
    tg_scope_end();
  }
  CHECK(tg_jit_kernels(j) >= 2, "the attention replays %d kernels", tg_jit_kernels(j));
  tg_jit_free(j);
  tg_scope_end();
}

int main(void) {
  TestRng r = { 11 };
  for (int k = 0; k < 64 * 8; k++) X[k] = (float)(rng_unit(&r) * 2 - 1);
  test_api_errors();
  test_one_kernel_for_every_value();
  test_schedule_cache_hits();
  test_reshape_between_concrete_and_symbolic();
  test_jit_over_50_values();
  test_jit_variable_input();
  return test_finish("test_symbolic_shapes");
}
