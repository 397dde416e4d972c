// tg_jit: replays match plain calls (two outputs, a training step), input checks, no growth over many replays
#include "testlib.h"
#include "tinygrad.h"
#include "engine/realize.h"
#include <math.h>
#include <stdlib.h>

static tg_tensor *data_of(TestRng *r, int64_t a, int64_t b) {
  float v[4096];
  for (int64_t i = 0; i < a * b; i++) v[i] = (float)(rng_unit(r) * 2 - 1);
  return tg_from_data(v, TG_FLOAT32, (int64_t[]){ a, b }, 2);
}

static bool same(tg_tensor *a, tg_tensor *b) {
  float x[4096], y[4096];
  int64_t n = tg_numel(a);
  if (n != tg_numel(b) || n > 4096) return false;
  if (tg_data(a, x, (size_t)n * 4) != 0 || tg_data(b, y, (size_t)n * 4) != 0) return false;
  return memcmp(x, y, (size_t)n * 4) == 0;
}

// two outputs: a reduction and a matmul, reading a weight the function reaches by itself
static tg_tensor *weight;
static int two_out(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  out[0] = tg_sum(tg_add(tg_mul_s(in[0], 2), in[1]), (int[]){ 0 }, 1, false);
  out[1] = tg_relu(tg_matmul(in[0], weight));
  return 2;
}

static void test_two_outputs(void) {
  tg_scope_begin();
  TestRng r = { 7 };
  weight = tg_realize(data_of(&r, 8, 5));
  tg_jit *j = tg_jit_new(two_out, NULL);
  for (int call = 0; call < 6; call++) {
    tg_tensor *in[2] = { tg_realize(data_of(&r, 4, 8)), tg_realize(data_of(&r, 4, 8)) }, *got[2], *want[2];
    int64_t c0 = eng_stats.compiles;
    CHECK(tg_jit_call(j, in, 2, got, 2) == 2, "call %d: %s", call, tg_error());
    if (call >= 2) CHECK(eng_stats.compiles == c0, "replay %d compiled %lld kernels", call, (long long)(eng_stats.compiles - c0));
    CHECK(two_out(in, 2, want, NULL) == 2, "plain");
    CHECK(same(got[0], want[0]) && same(got[1], want[1]), "call %d: JIT outputs differ from a plain call", call);
  }
  CHECK(tg_jit_kernels(j) >= 2, "captured %d kernels", tg_jit_kernels(j));
  // the inputs must keep their shapes and dtypes, and may not alias what the kernels use otherwise
  tg_tensor *bad[2] = { tg_realize(data_of(&r, 4, 8)), tg_realize(data_of(&r, 2, 8)) }, *o[2];
  expect_err("jit shape", tg_jit_call(j, bad, 2, o, 2) < 0, "input 1 is (2, 8)");
  bad[1] = tg_realize(tg_cast(data_of(&r, 4, 8), TG_FLOAT16));
  expect_err("jit dtype", tg_jit_call(j, bad, 2, o, 2) < 0, "float16");
  expect_err("jit count", tg_jit_call(j, bad, 1, o, 2) < 0, "1 inputs");
  tg_jit_free(j);
  tg_scope_end();
}

// the input is its own weight: aliasing is caught
static tg_tensor *aliased_w;
static int uses_w(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  out[0] = tg_add(in[0], aliased_w);
  return 1;
}

static void test_alias(void) {
  tg_scope_begin();
  TestRng r = { 9 };
  aliased_w = tg_realize(data_of(&r, 3, 3));
  tg_jit *j = tg_jit_new(uses_w, NULL);
  tg_tensor *o[1];
  for (int i = 0; i < 3; i++) {
    tg_tensor *in[1] = { tg_realize(data_of(&r, 3, 3)) };
    CHECK(tg_jit_call(j, in, 1, o, 1) == 1, "%s", tg_error());
  }
  tg_tensor *in[1] = { aliased_w };
  expect_err("jit alias", tg_jit_call(j, in, 1, o, 1) < 0, "weight");
  tg_jit_free(j);
  tg_scope_end();
}

// a training step (forward, backward, Adam): weights trained with and without the JIT stay bitwise equal
typedef struct { struct tg_nn_linear *l1, *l2; tg_optim *opt; } Net;
static int train_step(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin;
  Net *n = user;
  tg_tensor *h = tg_relu(tg_nn_linear(n->l1, in[0]));
  tg_tensor *loss = tg_mean(tg_mul(tg_sub(tg_nn_linear(n->l2, h), in[1]), tg_sub(tg_nn_linear(n->l2, h), in[1])), NULL, 0, false);
  tg_optim_zero_grad(n->opt);
  if (!loss || tg_backward(loss) != 0 || tg_optim_step_with(n->opt, &loss, 1) != 0) return -1;
  out[0] = loss;
  return 1;
}

static Net make_net(void) {
  tg_manual_seed(3);
  Net n = { tg_nn_linear_new(6, 16, true), tg_nn_linear_new(16, 2, true), NULL };
  tg_tensor *ps[4] = { n.l1->weight, n.l1->bias, n.l2->weight, n.l2->bias };
  n.opt = tg_optim_adam(ps, 4, 0.01, 0.9, 0.999, 1e-8);
  return n;
}

static void test_training_step(void) {
  Net a = make_net(), b = make_net();
  tg_jit *j = tg_jit_new(train_step, &a);
  TestRng r = { 11 };
  float la = 0, lb = 0;
  for (int step = 0; step < 8; step++) {
    tg_scope_begin();
    tg_tensor *x = tg_realize(data_of(&r, 8, 6)), *y = tg_realize(data_of(&r, 8, 2));
    tg_tensor *in[2] = { x, y }, *oa[1], *ob[1];
    CHECK(tg_jit_call(j, in, 2, oa, 1) == 1, "step %d: %s", step, tg_error());
    CHECK(train_step(in, 2, ob, &b) == 1, "plain step %d: %s", step, tg_error());
    la = (float)tg_item(oa[0]); lb = (float)tg_item(ob[0]);
    CHECK(la == lb, "step %d: loss %.9g with the JIT, %.9g without", step, la, lb);
    tg_scope_end();
  }
  CHECK(same(a.l1->weight, b.l1->weight) && same(a.l2->bias, b.l2->bias), "weights differ after 8 steps");
  tg_jit_free(j);
  tg_optim_free(a.opt); tg_optim_free(b.opt);
  tg_nn_linear_free(a.l1); tg_nn_linear_free(a.l2); tg_nn_linear_free(b.l1); tg_nn_linear_free(b.l2);
}

// many replays: resident memory and live buffers stay flat
static int tiny(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  out[0] = tg_exp(tg_mul_s(in[0], 0.5));
  return 1;
}

#if defined(__SANITIZE_ADDRESS__)
enum { UNDER_ASAN = 1 };   // ASan quarantines freed memory: resident size says nothing there
#else
enum { UNDER_ASAN = 0 };
#endif

static void test_flat_memory(void) {
  int64_t n = env_or("JIT_REPLAYS", UNDER_ASAN ? 20000 : 100000);
  tg_jit *j = tg_jit_new(tiny, NULL);
  TestRng r = { 5 };
  tg_scope_begin();
  tg_tensor *x = tg_realize(data_of(&r, 4, 4)), *o[1];
  size_t rss0 = 0;
  for (int64_t i = 0; i < n; i++) {
    tg_scope_begin();
    if (tg_jit_call(j, &x, 1, o, 1) != 1) { CHECK(false, "replay %lld: %s", (long long)i, tg_error()); tg_scope_end(); break; }
    tg_scope_end();
    if (i == n / 5) rss0 = rss_bytes();   // after the GC's first cycles: its sawtooth is bounded, growth is not
  }
  size_t rss1 = rss_bytes();
  CHECK(UNDER_ASAN || rss1 <= rss0 + rss0 / 10, "resident memory grew from %zu to %zu over %lld replays", rss0, rss1, (long long)n);
  printf("  %lld replays: RSS %zu -> %zu bytes\n", (long long)n, rss0, rss1);
  tg_scope_end();
  tg_jit_free(j);
}

int main(void) {
  char dir[] = "/tmp/tg_jit_XXXXXX";
  if (mkdtemp(dir)) setenv("CACHE_DIR", dir, 1);
  test_two_outputs();
  test_alias();
  test_training_step();
  test_flat_memory();
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_finish("test_jit");
}
