// Schedule cache: same structure over other buffers hits (no passes, no compiles) and matches SCHEDULE_CACHE=0;
// other shapes, dtypes, constants, views and aliasing miss; assigns, a conv net's training step, the JIT, the bound
#include "testlib.h"
#include "tinygrad.h"
#include "engine/realize.h"
#include "engine/schedule_cache.h"
#include "uop/rewrite.h"
#include "uop/uop.h"
#include "runtime/buffer.h"
#include "base/env.h"
#include <math.h>
#include <stdlib.h>

static tg_tensor *data_of(TestRng *r, const int64_t *shape, int ndim) {
  static float v[1 << 16];
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  for (int64_t i = 0; i < n; i++) v[i] = (float)(rng_unit(r) * 2 - 1);
  return tg_realize(tg_from_data(v, TG_FLOAT32, shape, ndim));
}
#define DATA(r, ...) data_of(r, (int64_t[]){ __VA_ARGS__ }, (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / 8))

static void read(tg_tensor *t, float *out) { CHECK(tg_data(t, out, (size_t)tg_numel(t) * 4) == 0, "%s", tg_error()); }
static bool same(const float *a, const float *b, int64_t n) { return memcmp(a, b, (size_t)n * 4) == 0; }

// A few kernels with an intermediate the planner places: softmax of a matmul, then a column sum of it.
static tg_tensor *net(tg_tensor *a, tg_tensor *b) {
  tg_tensor *h = tg_softmax(tg_add_s(tg_matmul(a, b), 0.5), -1);
  return tg_add(tg_sum(tg_contiguous(tg_mul(h, h)), (int[]){ 0 }, 1, false), tg_max(h, (int[]){ 0 }, 1, false));
}

// realize f(a, b) with the cache on; returns whether it hit; out gets the values
static bool realize_hit(tg_tensor *t, float *out) {
  int64_t h0 = scache_stats.hits, c0 = eng_stats.compiles, r0 = rewrite_trace_len();
  read(t, out);
  bool hit = scache_stats.hits > h0;
  if (hit) CHECK(eng_stats.compiles == c0 && rewrite_trace_len() == r0, "a hit compiled %lld kernels, applied %lld rules",
                 (long long)(eng_stats.compiles - c0), (long long)(rewrite_trace_len() - r0));
  return hit;
}

static void uncached(tg_tensor *t, float *out) {
  int tok = env_push_int("SCHEDULE_CACHE", 0);
  int64_t h0 = scache_stats.hits, m0 = scache_stats.misses;
  read(t, out);
  CHECK(scache_stats.hits == h0 && scache_stats.misses == m0, "SCHEDULE_CACHE=0 looked in the cache");
  env_pop(tok);
}

static void test_hit_same_numbers(void) {
  tg_scope_begin();
  TestRng r = { 1 };
  float got[64], want[64];
  for (int call = 0; call < 4; call++) {
    tg_tensor *a = DATA(&r, 16, 32), *b = DATA(&r, 32, 48);
    bool hit = realize_hit(net(a, b), got);
    CHECK(hit == (call > 0), "call %d: hit %d", call, hit);
    uncached(net(a, b), want);
    CHECK(same(got, want, 48), "call %d: cached and uncached results differ", call);
  }
  tg_scope_end();
}

// anything that changes the kernels misses: shape, dtype, a constant, which part of a buffer is read
static void test_misses(void) {
  tg_scope_begin();
  TestRng r = { 2 };
  float got[256], want[256];
  tg_tensor *a = DATA(&r, 8, 8), *b = DATA(&r, 8, 8);
  CHECK(!realize_hit(tg_exp(tg_mul_s(tg_add(a, b), 0.25)), got), "first realize hit");
  CHECK(realize_hit(tg_exp(tg_mul_s(tg_add(DATA(&r, 8, 8), DATA(&r, 8, 8)), 0.25)), got), "same structure missed");
  CHECK(!realize_hit(tg_exp(tg_mul_s(tg_add(DATA(&r, 8, 16), DATA(&r, 8, 16)), 0.25)), got), "other shape hit");
  CHECK(!realize_hit(tg_exp(tg_mul_s(tg_add(a, b), 0.5)), got), "other constant hit");
  tg_tensor *ah = tg_realize(tg_cast(a, TG_FLOAT16)), *bh = tg_realize(tg_cast(b, TG_FLOAT16));
  CHECK(!realize_hit(tg_cast(tg_exp(tg_mul_s(tg_add(ah, bh), 0.25)), TG_FLOAT32), got), "other dtype hit");
  // views of one buffer at other offsets: the SHRINK is part of the key
  tg_tensor *big = DATA(&r, 8, 16);
  for (int off = 0; off < 3; off++) {
    tg_tensor *v = tg_shrink(big, (int64_t[]){ 0, 8, off, off + 8 }, 4);
    bool hit = realize_hit(tg_mul_s(v, 3), got);
    CHECK(!hit, "view at offset %d hit", off);
    uncached(tg_mul_s(v, 3), want);
    CHECK(same(got, want, 64), "view at offset %d differs", off);
  }
  tg_scope_end();
}

// the same buffer in two places is a different key from two buffers (and each is right)
static void test_aliasing(void) {
  tg_scope_begin();
  TestRng r = { 3 };
  float got[64], want[64];
  tg_tensor *x = DATA(&r, 8, 8), *y = DATA(&r, 8, 8), *z = DATA(&r, 8, 8);
  realize_hit(tg_sub(tg_matmul(x, y), y), got);
  CHECK(!realize_hit(tg_sub(tg_matmul(x, x), x), got), "x@x - x hit the entry of x@y - y");
  uncached(tg_sub(tg_matmul(x, x), x), want);
  CHECK(same(got, want, 64), "aliased inputs: wrong result");
  CHECK(realize_hit(tg_sub(tg_matmul(z, z), z), got), "z@z - z missed the entry of x@x - x");
  uncached(tg_sub(tg_matmul(z, z), z), want);
  CHECK(same(got, want, 64), "aliased inputs from the cache: wrong result");
  tg_scope_end();
}

// in-place updates through the cache: p -= 0.1 * (p - t) over several steps, and a target read through
// another input (the value reads the target at other positions, so the scheduler copies it first)
static void test_assign(void) {
  tg_scope_begin();
  TestRng r = { 4 };
  float p0[32], t0[32], host[32], got[32];
  tg_tensor *t = DATA(&r, 32), *p = DATA(&r, 32), *q = DATA(&r, 32);
  read(p, p0); read(t, t0);
  memcpy(host, p0, sizeof host);
  for (int step = 0; step < 5; step++) {
    int64_t h0 = scache_stats.hits;
    CHECK(tg_realize(tg_assign(p, tg_sub(p, tg_mul_s(tg_sub(p, t), 0.1)))) != NULL, "%s", tg_error());
    if (step >= 1) CHECK(scache_stats.hits == h0 + 1, "assign step %d missed", step);
    for (int i = 0; i < 32; i++) host[i] = host[i] - (host[i] - t0[i]) * 0.1f;
  }
  read(p, got);
  for (int i = 0; i < 32; i++) CHECK(fabsf(got[i] - host[i]) < 1e-6f, "p[%d] = %g, expected %g", i, got[i], host[i]);
  for (int step = 0; step < 3; step++) {          // q = flip(q) + q, in place
    float before[32], want[32];
    read(q, before);
    CHECK(tg_realize(tg_assign(q, tg_add(tg_flip(q, (int[]){ 0 }, 1), q))) != NULL, "%s", tg_error());
    read(q, got);
    for (int i = 0; i < 32; i++) want[i] = before[31 - i] + before[i];
    CHECK(same(got, want, 32), "flip assign step %d: wrong values", step);
  }
  tg_scope_end();
}

// a small conv net trained 5 steps without the JIT: every step from the second hits, losses equal bit for bit
typedef struct { struct tg_nn_conv2d *c1; struct tg_nn_batchnorm *bn; struct tg_nn_linear *fc; tg_optim *opt; } Net;

static Net net_new(void) {
  tg_manual_seed(42);
  Net n = { tg_nn_conv2d_new(1, 4, (int[]){ 3, 3 }, NULL, NULL, NULL, 1, true), tg_nn_batchnorm_new(4, 1e-5, 0.1, true, true),
            tg_nn_linear_new(4 * 4 * 4, 10, true), NULL };
  tg_tensor *ps[9] = { n.c1->weight, n.c1->bias, n.bn->weight, n.bn->bias, n.bn->running_mean, n.bn->running_var,
                       n.bn->num_batches_tracked, n.fc->weight, n.fc->bias };
  n.opt = tg_optim_adam(ps, 9, 1e-2, 0.9, 0.999, 1e-8);
  return n;
}

static void net_free(Net *n) {
  tg_optim_free(n->opt); tg_nn_conv2d_free(n->c1); tg_nn_batchnorm_free(n->bn); tg_nn_linear_free(n->fc);
}

static tg_tensor *net_loss(Net *n, tg_tensor *x, tg_tensor *y) {
  tg_tensor *h = tg_max_pool2d(tg_nn_batchnorm(n->bn, tg_relu(tg_nn_conv2d(n->c1, x))), (int[]){ 2, 2 }, NULL, NULL);
  return tg_nn_sparse_categorical_crossentropy(tg_nn_linear(n->fc, tg_flatten(h, 1, -1)), y, -1, 0);
}

static int net_step(Net *n, tg_tensor **in, tg_tensor **out) {
  tg_set_training(true);
  tg_tensor *l = net_loss(n, in[0], in[1]);
  tg_optim_zero_grad(n->opt);
  if (!l || tg_backward(l) != 0 || tg_optim_step_with(n->opt, &l, 1) != 0) return -1;
  out[0] = l;
  return 1;
}

static void batch(TestRng *r, tg_tensor **in) {
  in[0] = DATA(r, 8, 1, 10, 10);
  int32_t y[8];
  for (int i = 0; i < 8; i++) y[i] = (int32_t)rng_range(r, 0, 9);
  in[1] = tg_realize(tg_from_data(y, TG_INT32, (int64_t[]){ 8 }, 1));
}

static void train(bool cache, float *losses, int steps) {
  int tok = env_push_int("SCHEDULE_CACHE", cache);
  Net n = net_new();
  for (int step = 0; step < steps; step++) {
    tg_scope_begin();
    TestRng r = { 77 };                 // the same batch in new buffers: the loss falls
    tg_tensor *in[2], *l[1] = { NULL };
    batch(&r, in);
    int64_t h0 = scache_stats.hits, m0 = scache_stats.misses;
    CHECK(net_step(&n, in, l) == 1, "step %d: %s", step, tg_error());
    losses[step] = (float)tg_item(l[0]);
    if (cache && step >= 1) CHECK(scache_stats.misses == m0 && scache_stats.hits > h0, "step %d: %lld misses, %lld hits", step,
                                  (long long)(scache_stats.misses - m0), (long long)(scache_stats.hits - h0));
    tg_scope_end();
  }
  net_free(&n);
  env_pop(tok);
}

static void test_training(void) {
  float off[5], on[5];
  train(false, off, 5);
  train(true, on, 5);
  for (int i = 0; i < 5; i++) CHECK(memcmp(&off[i], &on[i], 4) == 0, "step %d: loss %.9g cached, %.9g uncached", i, on[i], off[i]);
  CHECK(on[4] < on[0], "the loss did not fall: %g -> %g", on[0], on[4]);
}

// the JIT captures kernels that came from the cache: replays match plain calls
static int jit_fn(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  out[0] = net(in[0], in[1]);
  return 1;
}

static void test_jit(void) {
  tg_scope_begin();
  TestRng r = { 5 };
  tg_tensor *warm = net(DATA(&r, 16, 32), DATA(&r, 32, 48));
  CHECK(tg_realize(warm) != NULL, "%s", tg_error());    // the cache has the entry before the JIT's capture
  tg_jit *j = tg_jit_new(jit_fn, NULL);
  for (int call = 0; call < 5; call++) {
    tg_tensor *in[2] = { DATA(&r, 16, 32), DATA(&r, 32, 48) }, *o[1];
    float got[48], want[48];
    CHECK(tg_jit_call(j, in, 2, o, 1) == 1, "call %d: %s", call, tg_error());
    read(o[0], got);
    uncached(net(in[0], in[1]), want);
    CHECK(same(got, want, 48), "JIT call %d differs", call);
  }
  CHECK(tg_jit_kernels(j) >= 3, "captured %d kernels", tg_jit_kernels(j));
  tg_jit_free(j);
  tg_scope_end();
}

// the cache stays within SCHEDULE_CACHE_SIZE; a long loop leaves no nodes or buffers behind
static void test_bound_and_memory(void) {
  int tok = env_push_int("SCHEDULE_CACHE_SIZE", 4);
  tg_scope_begin();
  TestRng r = { 6 };
  float got[64], want[64];
  for (int k = 1; k <= 10; k++) {
    tg_tensor *a = DATA(&r, 8, 8);
    realize_hit(tg_mul_s(a, k), got);
    uncached(tg_mul_s(a, k), want);
    CHECK(same(got, want, 64), "k=%d differs", k);
    CHECK(scache_stats.entries <= 4, "%lld entries, bound 4", (long long)scache_stats.entries);
  }
  tg_scope_end();
  env_pop(tok);
  tg_tensor *w = tg_keep(DATA(&r, 16, 16));
  size_t nodes = 0, bytes = 0;
  for (int step = 1; step <= 3000; step++) {
    tg_scope_begin();
    tg_tensor *x = DATA(&r, 16, 16);
    read(net(x, w), got);
    tg_scope_end();
    if (step == 100) { tg_gc(); nodes = uop_live_count(); bytes = buf_bytes_live(); }
  }
  tg_gc();
  CHECK(uop_live_count() == nodes, "graph nodes: %zu after step 100, %zu after 3000", nodes, uop_live_count());
  CHECK(buf_bytes_live() == bytes, "buffer bytes: %zu after step 100, %zu after 3000", bytes, buf_bytes_live());
  tg_free(w);
}

int main(void) {
  char dir[] = "/tmp/tg_scache_XXXXXX";
  if (mkdtemp(dir)) setenv("CACHE_DIR", dir, 1);
  rewrite_trace_enable(true);          // a hit applies no rule: the trace does not grow
  test_hit_same_numbers();
  test_misses();
  test_aliasing();
  rewrite_trace_enable(false);
  rewrite_trace_clear();
  test_assign();
  test_training();
  test_jit();
  test_bound_and_memory();
  printf("  schedule cache: %lld hits, %lld misses\n", (long long)scache_stats.hits, (long long)scache_stats.misses);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_finish("test_schedule_cache");
}
