// Optimizers: 5-step parameter trajectories with fixed gradients against torch (SGD, Adam, AdamW) and against
// numpy references of tinygrad's LAMB and Muon (tests/nn_ref.py); each step is one bounded schedule that never
// recompiles, writes into the parameters' own buffers, and trains a small model end to end with autograd
#include "testlib.h"
#include "nnref.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "engine/realize.h"
#include "schedule/schedule.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SGD, ADAM, ADAMW, LAMB, MUON };
enum { STEPS = 5, MAXP = 4 };

static tg_tensor *rnd(TestRng *r, const int64_t *shape, int ndim, double lo, double hi) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  float *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = (float)(lo + (hi - lo) * rng_unit(r));
  tg_tensor *t = tg_from_data(v, TG_FLOAT32, shape, ndim);
  free(v);
  return t;
}

typedef struct { const char *name; int kind; double hp[4]; int nhp; double lr[STEPS]; int64_t shapes[MAXP][2]; int np; int max_kernels; double atol; } Case;

static tg_optim *make(const Case *c, tg_tensor **ps) {
  const double *h = c->hp;
  switch (c->kind) {
  case SGD: return tg_optim_sgd(ps, c->np, c->lr[0], h[0], h[1], h[2] != 0);
  case ADAM: return tg_optim_adam(ps, c->np, c->lr[0], h[0], h[1], h[2]);
  case ADAMW: return tg_optim_adamw(ps, c->np, c->lr[0], h[0], h[1], h[2], h[3]);
  case LAMB: return tg_optim_lamb(ps, c->np, c->lr[0], h[0], h[1], h[2], h[3]);
  default: return tg_optim_muon(ps, c->np, c->lr[0], h[0], h[1], (int)h[2], h[3] != 0);
  }
}

// parameters and fixed grads go to the reference; our value of every parameter after every step is expected
static void run_case(TestRng *r, const Case *c) {
  tg_scope_begin();
  char k[64];
  tg_tensor *ps[MAXP], *gs[MAXP];
  Buffer *bufs[MAXP];
  for (int i = 0; i < c->np; i++) {
    int nd = c->shapes[i][1] ? 2 : 1;
    ps[i] = tg_requires_grad(rnd(r, c->shapes[i], nd, -1, 1), true);
    gs[i] = rnd(r, c->shapes[i], nd, -0.5, 0.5);
    snprintf(k, sizeof k, "%s.p%d", c->name, i); ref_put_t(k, ps[i]);
    snprintf(k, sizeof k, "%s.g%d", c->name, i); ref_put_t(k, gs[i]);
    bufs[i] = sched_view_buffer(ps[i]->uop);
  }
  snprintf(k, sizeof k, "%s.kind", c->name); ref_put_v(k, (double[]){ c->kind }, 1);
  snprintf(k, sizeof k, "%s.hp", c->name); ref_put_v(k, c->hp, c->nhp);
  snprintf(k, sizeof k, "%s.lr", c->name); ref_put_v(k, c->lr, STEPS);
  tg_optim *o = make(c, ps);
  CHECK(o != NULL, "%s: %s", c->name, tg_error());
  if (!o) { tg_scope_end(); return; }
  int64_t compiles_after_2 = 0, worst = 0;
  for (int s = 0; s < STEPS; s++) {
    if (c->lr[s] != tg_optim_get_lr(o)) tg_optim_set_lr(o, c->lr[s]);
    for (int i = 0; i < c->np; i++) ps[i]->grad = gs[i];
    int64_t k0 = eng_stats.kernels;
    CHECK(tg_optim_step(o) == 0, "%s step %d: %s", c->name, s, tg_error());
    if (eng_stats.kernels - k0 > worst) worst = eng_stats.kernels - k0;
    if (s == 1) compiles_after_2 = eng_stats.compiles;
    for (int i = 0; i < c->np; i++) {
      snprintf(k, sizeof k, "%s.p%d.s%d", c->name, i, s);
      ref_expect(k, ps[i], c->atol, 1e-4);                        // reading back runs no kernel
    }
  }
  CHECK(eng_stats.compiles == compiles_after_2, "%s: %lld kernels compiled after step 2 (lr changes included)", c->name,
        (long long)(eng_stats.compiles - compiles_after_2));
  CHECK(worst <= c->max_kernels, "%s: %lld kernels in a step, at most %d expected", c->name, (long long)worst, c->max_kernels);
  for (int i = 0; i < c->np; i++)
    CHECK(sched_view_buffer(ps[i]->uop) == bufs[i], "%s: parameter %d keeps its buffer", c->name, i);
  for (int i = 0; i < c->np; i++) ps[i]->grad = NULL;               // the grads belong to this scope
  tg_optim_free(o);
  tg_scope_end();
}

static void test_trajectories(TestRng *r) {
  static const Case cases[] = {
    // name       kind   hyperparameters                          lr per step                          shapes                 np kernels atol
    { "sgd",      SGD,   { 0, 0, 0 }, 3,                          { 0.1, 0.1, 0.1, 0.1, 0.1 },         { { 4, 3 }, { 3 } },     2, 2, 1e-6 },
    { "sgdm",     SGD,   { 0.9, 0.01, 0 }, 3,                     { 0.1, 0.1, 0.05, 0.05, 0.2 },       { { 4, 3 }, { 3 } },     2, 4, 1e-6 },
    { "sgdn",     SGD,   { 0.9, 0.001, 1 }, 3,                    { 0.1, 0.1, 0.1, 0.1, 0.1 },         { { 4, 3 }, { 3 } },     2, 4, 1e-6 },
    { "adam",     ADAM,  { 0.9, 0.999, 1e-8 }, 3,                 { 0.01, 0.01, 0.03, 0.03, 0.001 },   { { 4, 3 }, { 3 } },     2, 8, 2e-6 },
    { "adamw",    ADAMW, { 0.8, 0.99, 1e-6, 0.1 }, 4,             { 0.01, 0.01, 0.01, 0.01, 0.01 },    { { 4, 3 }, { 3 } },     2, 8, 2e-6 },
    { "lamb",     LAMB,  { 0.9, 0.999, 1e-6, 0.01 }, 4,           { 0.01, 0.01, 0.02, 0.02, 0.02 },    { { 4, 3 }, { 3 } },     2, 12, 2e-6 },
    { "muon",     MUON,  { 0.95, 0.1, 5, 1 }, 4,                  { 0.02, 0.02, 0.02, 0.01, 0.01 },    { { 4, 6 }, { 6, 4 }, { 3 } }, 3, 40, 2e-5 },
    { "muonplain", MUON, { 0.9, 0, 3, 0 }, 4,                     { 0.05, 0.05, 0.05, 0.05, 0.05 },    { { 5, 5 } },           1, 12, 2e-5 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) run_case(r, &cases[i]);
}

// ---- with autograd: a model trained end to end ----
static void test_training(TestRng *r) {
  tg_manual_seed(11);
  struct tg_nn_linear *l1 = tg_nn_linear_new(4, 16, true), *l2 = tg_nn_linear_new(16, 1, true);
  struct tg_nn_batchnorm *bn = tg_nn_batchnorm_new(16, 1e-5, 0.1, true, true);
  if (!l1 || !l2 || !bn) { CHECK(0, "%s", tg_error()); return; }
  tg_nn_param ps[16];
  int n = tg_nn_linear_params(l1, "l1", ps, 16);
  n += tg_nn_batchnorm_params(bn, "bn", ps + n, 16 - n);
  n += tg_nn_linear_params(l2, "l2", ps + n, 16 - n);
  tg_tensor *all[16];
  int nall = tg_nn_param_tensors(ps, n, false, all);
  CHECK_EQ_INT(nall, 9);
  tg_optim *o = tg_optim_adam(all, nall, 0.03, 0.9, 0.999, 1e-8);
  CHECK(o != NULL, "%s", tg_error());
  tg_tensor *x = tg_keep(rnd(r, TG_SHAPE(32, 4), -1, 1));
  tg_tensor *y = tg_keep(tg_realize(tg_sum(tg_mul(x, rnd(r, TG_SHAPE(4), -1, 1)), (int[]){ 1 }, 1, true)));   // y = x @ w
  Buffer *b0 = sched_view_buffer(l1->weight->uop);
  double first = 0, last = 0;
  int64_t compiles_after_2 = 0, kernels = 0;
  tg_set_training(true);
  for (int s = 0; s < 30; s++) {
    tg_scope_begin();
    tg_tensor *pred = tg_nn_linear(l2, tg_relu(tg_nn_batchnorm(bn, tg_nn_linear(l1, x))));
    tg_tensor *loss = tg_nn_mse_loss(pred, y);
    CHECK(tg_backward(loss) == 0, "%s", tg_error());
    int64_t k0 = eng_stats.kernels;
    CHECK(tg_optim_step_with(o, &loss, 1) == 0, "%s", tg_error());     // forward, backward, update: one schedule
    kernels = eng_stats.kernels - k0;
    double lv = tg_item(loss);                                          // realized with the step: no kernel
    CHECK(eng_stats.kernels - k0 == kernels, "the loss was realized in the step");
    if (s == 0) first = lv;
    last = lv;
    if (s == 1) compiles_after_2 = eng_stats.compiles;
    tg_optim_zero_grad(o);
    CHECK(!tg_grad(l1->weight), "zero_grad drops the grad");
    tg_scope_end();
  }
  tg_set_training(false);
  printf("test_optim: MLP+BN step: %lld kernels, loss %.4f -> %.4f\n", (long long)kernels, first, last);
  CHECK(last < 0.1 * first, "training reduces the loss: %g -> %g", first, last);
  CHECK(eng_stats.compiles == compiles_after_2, "no compiles after step 2 (%lld)", (long long)(eng_stats.compiles - compiles_after_2));
  CHECK(kernels <= 40, "%lld kernels per training step", (long long)kernels);
  CHECK(sched_view_buffer(l1->weight->uop) == b0, "the weight keeps its buffer");
  CHECK(tg_item(bn->num_batches_tracked) == 30, "running statistics landed with each step (num_batches_tracked %g)", tg_item(bn->num_batches_tracked));
  float rm[16];
  CHECK(tg_data(bn->running_mean, rm, sizeof rm) == 0 && rm[0] != 0, "running mean moved");
  tg_optim_free(o);
  tg_free(x); tg_free(y);
  tg_nn_linear_free(l1); tg_nn_linear_free(l2); tg_nn_batchnorm_free(bn);
}

static void test_errors_and_skips(TestRng *r) {
  tg_scope_begin();
  tg_tensor *a = tg_requires_grad(rnd(r, TG_SHAPE(3), -1, 1), true), *b = tg_requires_grad(rnd(r, TG_SHAPE(2), -1, 1), true);
  tg_tensor *ps[2] = { a, b };
  CHECK(!tg_optim_sgd(ps, 2, -1, 0, 0, false) && strstr(tg_error(), "tg_optim_sgd"), "negative lr");
  tg_clear_error();
  CHECK(!tg_optim_adam(ps, 2, 0.1, 1.0, 0.999, 1e-8) && tg_error(), "b1 = 1");
  tg_clear_error();
  CHECK(!tg_optim_sgd(ps, 0, 0.1, 0, 0, false) && tg_error(), "no parameters");
  tg_clear_error();
  CHECK(!tg_optim_sgd(ps, 2, 0.1, 0, 0, true) && tg_error(), "nesterov without momentum");
  tg_clear_error();
  tg_optim *o = tg_optim_sgd(ps, 2, 0.5, 0, 0, false);
  float av[3], bv[2], a2[3], b2[2];
  CHECK(tg_data(a, av, sizeof av) == 0 && tg_data(b, bv, sizeof bv) == 0, "%s", tg_error());
  a->grad = tg_ones(TG_SHAPE(3), TG_FLOAT32);                        // b has none: skipped
  CHECK(tg_optim_step(o) == 0, "%s", tg_error());
  CHECK(tg_data(a, a2, sizeof a2) == 0 && tg_data(b, b2, sizeof b2) == 0, "%s", tg_error());
  CHECK(fabsf(a2[0] - (av[0] - 0.5f)) < 1e-6f && !memcmp(bv, b2, sizeof bv), "a parameter without a grad is left alone");
  a->grad = tg_ones(TG_SHAPE(4), TG_FLOAT32);
  CHECK(tg_optim_step(o) == -1 && strstr(tg_error(), "grad"), "grad of the wrong shape: %s", tg_error());
  tg_clear_error();
  CHECK(tg_data(a, av, sizeof av) == 0 && !memcmp(av, a2, sizeof av), "a failed step writes nothing");
  a->grad = NULL;
  tg_optim_free(o);
  tg_scope_end();
}

int main(void) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  TestRng r = { 99 };
  ref_open();
  test_trajectories(&r);
  ref_run();
  test_errors_and_skips(&r);
  test_training(&r);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("test_optim: %.2fs\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
  return test_finish("test_optim");
}
