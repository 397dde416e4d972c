// nn layers, initializers, training mode and losses: forward passes and conv gradients against torch
// (tests/nn_ref.py), BatchNorm's running statistics, Dropout's determinism and scaling, initializer statistics,
// parameter lists and state dicts
#include "testlib.h"
#include "nnref.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double ATOL = 2e-5, RTOL = 2e-4;

// a float32 tensor of uniform values in [lo, hi), also written to the reference file as `name` (when not NULL)
static tg_tensor *rnd(TestRng *r, const char *name, const int64_t *shape, int ndim, double lo, double hi) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  float *v = malloc((size_t)n * sizeof *v);
  double *dv = malloc((size_t)n * sizeof *dv);
  for (int64_t i = 0; i < n; i++) { v[i] = (float)(lo + (hi - lo) * rng_unit(r)); dv[i] = v[i]; }
  tg_tensor *t = tg_from_data(v, TG_FLOAT32, shape, ndim);
  if (name) ref_put(name, dv, shape, ndim);
  free(v); free(dv);
  return t;
}
static tg_tensor *ints(TestRng *r, const char *name, const int64_t *shape, int ndim, int lo, int hi, tg_dtype dt) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  int32_t *v = malloc((size_t)n * sizeof *v);
  double *dv = malloc((size_t)n * sizeof *dv);
  for (int64_t i = 0; i < n; i++) { v[i] = (int32_t)rng_range(r, lo, hi); dv[i] = v[i]; }
  tg_tensor *t = tg_cast(tg_from_data(v, TG_INT32, shape, ndim), dt);
  if (name) ref_put(name, dv, shape, ndim);
  free(v); free(dv);
  return t;
}
// overwrite a parameter with random values (in place: it keeps its buffer)
static void set_rnd(TestRng *r, const char *name, tg_tensor *p, double lo, double hi) {
  tg_assign(p, rnd(r, name, tg_shape(p), tg_ndim(p), lo, hi));
  CHECK(tg_realize(p) != NULL, "%s", tg_error());
}
static void cfg(const char *prefix, const double *v, int n) { char k[64]; snprintf(k, sizeof k, "%s.cfg", prefix); ref_put_v(k, v, n); }
static void put2(const char *prefix, const char *what, tg_tensor *t) { char k[64]; snprintf(k, sizeof k, "%s.%s", prefix, what); ref_put_t(k, t); }

/* The gradients of sum(y * r) for random r (written as <p>.r) with respect to ins (input, weight, bias: n of
 * them), against torch's (nn_ref.py writes <p>.gx, <p>.gw, <p>.gb). Call it before y is realized: a realized
 * tensor is a buffer, no longer a function of its inputs. */
static void expect_grads(TestRng *r, const char *p, tg_tensor *y, tg_tensor **ins, int n) {
  static const char *const names[] = { "gx", "gw", "gb" };
  char k[64];
  snprintf(k, sizeof k, "%s.r", p);
  tg_tensor *g[3] = { 0 }, *rw = y ? rnd(r, k, tg_shape(y), tg_ndim(y), -1, 1) : NULL;
  int rc = rw ? tg_gradient(tg_sum(tg_mul(y, rw), NULL, 0, false), ins, n, g) : -1;
  CHECK(rc == 0, "%s gradients: %s", p, tg_error());
  for (int i = 0; i < n && rc == 0; i++) {
    snprintf(k, sizeof k, "%s.%s", p, names[i]);
    ref_expect(k, g[i], ATOL, RTOL);
  }
}

// ---- layers vs torch ----
static void test_linear_conv(TestRng *r) {
  tg_manual_seed(1);
  struct tg_nn_linear *fc = tg_nn_linear_new(5, 3, true);
  CHECK(fc && tg_dim(fc->weight, 0) == 3 && tg_dim(fc->weight, 1) == 5 && tg_dim(fc->bias, 0) == 3, "linear shapes");
  if (!fc) return;
  put2("linear", "w", fc->weight); put2("linear", "b", fc->bias);
  put2("linear3", "w", fc->weight); put2("linear3", "b", fc->bias);
  ref_expect("linear.out", tg_nn_linear(fc, rnd(r, "linear.x", TG_SHAPE(4, 5), -2, 2)), ATOL, RTOL);
  ref_expect("linear3.out", tg_nn_linear(fc, rnd(r, "linear3.x", TG_SHAPE(2, 4, 5), -2, 2)), ATOL, RTOL);
  tg_nn_linear_free(fc);

  struct tg_nn_conv1d *c1 = tg_nn_conv1d_new(4, 6, 3, 2, 1, 2, 2, true);
  CHECK(c1 != NULL, "%s", tg_error());
  if (c1) {
    put2("conv1d", "w", c1->weight); put2("conv1d", "b", c1->bias);
    cfg("conv1d", (double[]){ 2, 1, 2, 2 }, 4);
    tg_tensor *x = rnd(r, "conv1d.x", TG_SHAPE(2, 4, 11), -1, 1), *y = tg_nn_conv1d(c1, x);
    expect_grads(r, "conv1d", y, (tg_tensor *[]){ x, c1->weight, c1->bias }, 3);
    ref_expect("conv1d.out", y, ATOL, RTOL);
    tg_nn_conv1d_free(c1);
  }
  struct tg_nn_conv2d *c2 = tg_nn_conv2d_new(4, 6, (int[]){ 3, 2 }, (int[]){ 2, 1 }, (int[]){ 1, 2 }, (int[]){ 1, 2 }, 2, true);
  struct tg_nn_conv2d *c2b = tg_nn_conv2d_new(3, 4, (int[]){ 3, 3 }, NULL, NULL, NULL, 1, false);
  CHECK(c2 && c2b && !c2b->bias, "%s", tg_error());
  if (c2 && c2b) {
    put2("conv2d", "w", c2->weight); put2("conv2d", "b", c2->bias);
    cfg("conv2d", (double[]){ 2, 1, 1, 2, 1, 2, 2 }, 7);
    tg_tensor *x = rnd(r, "conv2d.x", TG_SHAPE(2, 4, 9, 8), -1, 1), *y = tg_nn_conv2d(c2, x);
    expect_grads(r, "conv2d", y, (tg_tensor *[]){ x, c2->weight, c2->bias }, 3);
    ref_expect("conv2d.out", y, ATOL, RTOL);
    put2("conv2d_b", "w", c2b->weight);
    cfg("conv2d_b", (double[]){ 1, 1, 0, 0, 1, 1, 1 }, 7);
    x = rnd(r, "conv2d_b.x", TG_SHAPE(1, 3, 6, 6), -1, 1);
    y = tg_nn_conv2d(c2b, x);
    expect_grads(r, "conv2d_b", y, (tg_tensor *[]){ x, c2b->weight }, 2);
    ref_expect("conv2d_b.out", y, ATOL, RTOL);
  }
  tg_nn_conv2d_free(c2); tg_nn_conv2d_free(c2b);

  struct tg_nn_conv_transpose2d *t1 = tg_nn_conv_transpose2d_new(4, 6, (int[]){ 3, 3 }, (int[]){ 2, 2 }, (int[]){ 1, 0 }, NULL, (int[]){ 1, 1 }, 2, true);
  struct tg_nn_conv_transpose2d *t2 = tg_nn_conv_transpose2d_new(3, 2, (int[]){ 2, 3 }, NULL, NULL, (int[]){ 2, 1 }, NULL, 1, false);
  struct tg_nn_conv_transpose2d *t3 = tg_nn_conv_transpose2d_new(2, 3, (int[]){ 3, 2 }, (int[]){ 3, 2 }, (int[]){ 2, 1 }, (int[]){ 2, 2 }, (int[]){ 2, 1 }, 1, true);
  CHECK(t1 && t2 && t3, "%s", tg_error());
  if (t1 && t2 && t3) {
    CHECK(tg_dim(t1->weight, 0) == 4 && tg_dim(t1->weight, 1) == 3, "convtranspose weight is (in, out/groups, kh, kw)");
    put2("convt", "w", t1->weight); put2("convt", "b", t1->bias);
    cfg("convt", (double[]){ 2, 2, 1, 0, 1, 1, 1, 1, 2 }, 9);
    tg_tensor *x = rnd(r, "convt.x", TG_SHAPE(2, 4, 5, 6), -1, 1), *y = tg_nn_conv_transpose2d(t1, x);
    CHECK(y && tg_dim(y, 2) == 10 && tg_dim(y, 3) == 14, "conv_transpose2d output size");
    expect_grads(r, "convt", y, (tg_tensor *[]){ x, t1->weight, t1->bias }, 3);
    ref_expect("convt.out", y, ATOL, RTOL);
    put2("convt_b", "w", t2->weight);
    cfg("convt_b", (double[]){ 1, 1, 0, 0, 2, 1, 0, 0, 1 }, 9);
    ref_expect("convt_b.out", tg_nn_conv_transpose2d(t2, rnd(r, "convt_b.x", TG_SHAPE(1, 3, 4, 4), -1, 1)), ATOL, RTOL);
    put2("convt_c", "w", t3->weight); put2("convt_c", "b", t3->bias);
    cfg("convt_c", (double[]){ 3, 2, 2, 1, 2, 2, 2, 1, 1 }, 9);
    x = rnd(r, "convt_c.x", TG_SHAPE(2, 2, 4, 3), -1, 1);
    y = tg_nn_conv_transpose2d(t3, x);
    expect_grads(r, "convt_c", y, (tg_tensor *[]){ x, t3->weight, t3->bias }, 3);
    ref_expect("convt_c.out", y, ATOL, RTOL);
  }
  tg_nn_conv_transpose2d_free(t1); tg_nn_conv_transpose2d_free(t2); tg_nn_conv_transpose2d_free(t3);
}

static void test_batchnorm(TestRng *r, const char *p, const int64_t *shape, int ndim) {
  struct tg_nn_batchnorm *bn = tg_nn_batchnorm_new(shape[1], 1e-5, 0.1, true, true);
  CHECK(bn != NULL, "%s", tg_error());
  if (!bn) return;
  char k[64];
  snprintf(k, sizeof k, "%s.w", p); set_rnd(r, k, bn->weight, 0.5, 1.5);
  snprintf(k, sizeof k, "%s.b", p); set_rnd(r, k, bn->bias, -0.5, 0.5);
  cfg(p, (double[]){ 1e-5, 0.1 }, 2);
  tg_set_training(true);
  snprintf(k, sizeof k, "%s.x1", p);
  tg_tensor *y1 = tg_nn_batchnorm(bn, rnd(r, k, shape, ndim, -1, 3));
  snprintf(k, sizeof k, "%s.y1", p); ref_expect(k, y1, ATOL, RTOL);
  snprintf(k, sizeof k, "%s.x2", p);
  tg_tensor *y2 = tg_nn_batchnorm(bn, rnd(r, k, shape, ndim, 2, 5));    // lands the first update first
  snprintf(k, sizeof k, "%s.y2", p); ref_expect(k, y2, ATOL, RTOL);
  tg_set_training(false);
  snprintf(k, sizeof k, "%s.x3", p);
  tg_tensor *y3 = tg_nn_batchnorm(bn, rnd(r, k, shape, ndim, 0, 4));    // eval: running statistics
  snprintf(k, sizeof k, "%s.y3", p); ref_expect(k, y3, ATOL, RTOL);
  snprintf(k, sizeof k, "%s.rm", p); ref_expect(k, bn->running_mean, ATOL, RTOL);
  snprintf(k, sizeof k, "%s.rv", p); ref_expect(k, bn->running_var, ATOL, RTOL);
  CHECK(tg_item(bn->num_batches_tracked) == 2, "num_batches_tracked = %g", tg_item(bn->num_batches_tracked));
  tg_tensor *y4 = tg_nn_batchnorm(bn, rnd(r, NULL, shape, ndim, 0, 4));
  CHECK(tg_realize(y4) && tg_item(bn->num_batches_tracked) == 2, "eval mode leaves the running statistics");
  tg_nn_batchnorm_free(bn);
}

static void test_norms_embedding_lstm(TestRng *r) {
  test_batchnorm(r, "bn", TG_SHAPE(4, 3, 5, 5));
  test_batchnorm(r, "bn1d", TG_SHAPE(8, 3));

  struct tg_nn_layernorm *ln = tg_nn_layernorm_new(TG_SHAPE(4, 5), 1e-5, true);
  CHECK(ln != NULL, "%s", tg_error());
  if (ln) {
    set_rnd(r, "ln.w", ln->weight, 0.5, 1.5); set_rnd(r, "ln.b", ln->bias, -0.5, 0.5);
    cfg("ln", (double[]){ 1e-5 }, 1);
    ref_expect("ln.out", tg_nn_layernorm(ln, rnd(r, "ln.x", TG_SHAPE(2, 3, 4, 5), -2, 3)), ATOL, RTOL);
    tg_nn_layernorm_free(ln);
  }
  struct tg_nn_groupnorm *gn = tg_nn_groupnorm_new(2, 6, 1e-5, true);
  CHECK(gn != NULL, "%s", tg_error());
  if (gn) {
    set_rnd(r, "gn.w", gn->weight, 0.5, 1.5); set_rnd(r, "gn.b", gn->bias, -0.5, 0.5);
    cfg("gn", (double[]){ 2, 1e-5 }, 2);
    ref_expect("gn.out", tg_nn_groupnorm(gn, rnd(r, "gn.x", TG_SHAPE(2, 6, 4, 4), -2, 3)), ATOL, RTOL);
    tg_nn_groupnorm_free(gn);
  }
  struct tg_nn_rmsnorm *rms = tg_nn_rmsnorm_new(8, 1e-6, true);
  CHECK(rms != NULL, "%s", tg_error());
  if (rms) {
    set_rnd(r, "rms.w", rms->weight, 0.5, 1.5);
    cfg("rms", (double[]){ 1e-6 }, 1);
    ref_expect("rms.out", tg_nn_rmsnorm(rms, rnd(r, "rms.x", TG_SHAPE(3, 8), -2, 2)), ATOL, RTOL);
    tg_nn_rmsnorm_free(rms);
  }
  struct tg_nn_embedding *emb = tg_nn_embedding_new(10, 4);
  CHECK(emb != NULL, "%s", tg_error());
  if (emb) {
    put2("emb", "w", emb->weight);
    ref_expect("emb.out", tg_nn_embedding(emb, ints(r, "emb.idx", TG_SHAPE(2, 3), 0, 9, TG_INT32)), ATOL, RTOL);
    CHECK(!tg_nn_embedding(emb, rnd(r, NULL, TG_SHAPE(2), 0, 1)) && tg_error(), "float indices are an error");
    tg_clear_error();
    tg_nn_embedding_free(emb);
  }
  struct tg_nn_lstmcell *cell = tg_nn_lstmcell_new(5, 4, true);
  CHECK(cell != NULL, "%s", tg_error());
  if (cell) {
    put2("lstm", "wih", cell->weight_ih); put2("lstm", "whh", cell->weight_hh);
    put2("lstm", "bih", cell->bias_ih); put2("lstm", "bhh", cell->bias_hh);
    tg_tensor *x = rnd(r, "lstm.x", TG_SHAPE(3, 5), -1, 1), *h, *c;
    CHECK(tg_nn_lstmcell(cell, x, rnd(r, "lstm.h", TG_SHAPE(3, 4), -1, 1), rnd(r, "lstm.c", TG_SHAPE(3, 4), -1, 1), &h, &c) == 0, "%s", tg_error());
    ref_expect("lstm.h1", h, ATOL, RTOL); ref_expect("lstm.c1", c, ATOL, RTOL);
    CHECK(tg_nn_lstmcell(cell, x, NULL, NULL, &h, &c) == 0, "%s", tg_error());
    ref_expect("lstm.h0", h, ATOL, RTOL); ref_expect("lstm.c0", c, ATOL, RTOL);
    tg_nn_lstmcell_free(cell);
  }
}

// ---- losses vs torch ----
static void test_losses(TestRng *r) {
  cfg("ce", (double[]){ 0.1 }, 1);
  tg_tensor *x = rnd(r, "ce.x", TG_SHAPE(6, 5), -3, 3);
  ref_expect("ce.out", tg_nn_cross_entropy(x, ints(r, "ce.y", TG_SHAPE(6), 0, 4, TG_INT64), 0.1), ATOL, RTOL);
  tg_tensor *q = tg_softmax(rnd(r, NULL, TG_SHAPE(6, 5), -2, 2), -1);
  ref_put_t("ce.q", q);
  ref_expect("ce.prob", tg_nn_cross_entropy(x, q, 0.1), ATOL, RTOL);

  cfg("scce", (double[]){ 2, 0.2 }, 2);
  ref_expect("scce.out", tg_nn_sparse_categorical_crossentropy(rnd(r, "scce.x", TG_SHAPE(2, 4, 5), -3, 3),
                                                               ints(r, "scce.y", TG_SHAPE(2, 4), 0, 4, TG_INT32), 2, 0.2), ATOL, RTOL);
  cfg("scce_n", (double[]){ -1, 0 }, 2);
  ref_expect("scce_n.out", tg_nn_sparse_categorical_crossentropy(rnd(r, "scce_n.x", TG_SHAPE(2, 4, 5), -3, 3),
                                                                 ints(r, "scce_n.y", TG_SHAPE(2, 4), 0, 4, TG_INT32), -1, 0), ATOL, RTOL);
  cfg("nll", (double[]){ 1 }, 1);
  tg_tensor *lp = tg_log_softmax(rnd(r, NULL, TG_SHAPE(7, 4), -2, 2), -1), *y = ints(r, "nll.y", TG_SHAPE(7), 0, 3, TG_INT64);
  ref_put_t("nll.x", lp);
  tg_tensor *wt = rnd(r, "nll.wt", TG_SHAPE(4), 0.5, 2);
  ref_expect("nll.out", tg_nn_nll_loss(lp, y, NULL, 1), ATOL, RTOL);
  ref_expect("nll.w", tg_nn_nll_loss(lp, y, wt, 1), ATOL, RTOL);

  float pv[8] = { 0.02f, 0.5f, 0.98f, 0.3f, 0.7f, 0.0f, 1.0f, 0.0f }, yv[8] = { 0, 1, 1, 0, 1, 1, 0, 0 };
  double pd[8], yd[8];
  for (int i = 0; i < 8; i++) { pd[i] = pv[i]; yd[i] = yv[i]; }
  ref_put("bce.p", pd, (int64_t[]){ 8 }, 1); ref_put("bce.y", yd, (int64_t[]){ 8 }, 1);
  ref_expect("bce.out", tg_nn_binary_cross_entropy(tg_from_data(pv, TG_FLOAT32, TG_SHAPE(8)), tg_from_data(yv, TG_FLOAT32, TG_SHAPE(8))), ATOL, RTOL);

  float xv[12] = { -100, 100, 0.5f, -3, 80, -80, 2, -0.25f, 0, 30, -30, 1 };
  double xd[12];
  for (int i = 0; i < 12; i++) xd[i] = xv[i];
  ref_put("bcel.x", xd, (int64_t[]){ 4, 3 }, 2);
  tg_tensor *bx = tg_from_data(xv, TG_FLOAT32, TG_SHAPE(4, 3)), *by = rnd(r, "bcel.y", TG_SHAPE(4, 3), 0, 1);
  tg_tensor *lw = tg_nn_binary_cross_entropy_with_logits(bx, by, NULL);
  ref_expect("bcel.out", lw, ATOL, RTOL);
  CHECK(isfinite(tg_item(lw)), "bce with logits is finite at +-100");
  ref_expect("bcel.pw", tg_nn_binary_cross_entropy_with_logits(bx, by, rnd(r, "bcel.pwt", TG_SHAPE(3), 0.5, 3)), ATOL, RTOL);

  ref_expect("mse.out", tg_nn_mse_loss(rnd(r, "mse.x", TG_SHAPE(3, 4), -2, 2), rnd(r, "mse.y", TG_SHAPE(3, 4), -2, 2)), ATOL, RTOL);
  ref_expect("l1.out", tg_nn_l1_loss(rnd(r, "l1.x", TG_SHAPE(3, 4), -2, 2), rnd(r, "l1.y", TG_SHAPE(3, 4), -2, 2)), ATOL, RTOL);
  CHECK(!tg_nn_mse_loss(rnd(r, NULL, TG_SHAPE(3), 0, 1), rnd(r, NULL, TG_SHAPE(4), 0, 1)) && tg_error(), "mse shape mismatch");
  tg_clear_error();
}

// ---- Dropout and training mode ----
static void test_dropout(TestRng *r) {
  enum { N = 8192 };
  const double p = 0.25;
  tg_tensor *x = rnd(r, NULL, TG_SHAPE(N), 1, 2);
  float xv[N], a[N], b[N], c[N];
  CHECK(tg_data(x, xv, sizeof xv) == 0, "%s", tg_error());
  CHECK(!tg_training(), "training mode is off at startup");
  CHECK(tg_nn_dropout(x, p) == x, "eval mode: identity");
  tg_set_training(true);
  CHECK(tg_nn_dropout(x, 0) == x, "p = 0: identity");
  tg_manual_seed(7);
  CHECK(tg_data(tg_nn_dropout(x, p), a, sizeof a) == 0, "%s", tg_error());
  tg_manual_seed(7);
  CHECK(tg_data(tg_nn_dropout(x, p), b, sizeof b) == 0, "%s", tg_error());
  CHECK(tg_data(tg_nn_dropout(x, p), c, sizeof c) == 0, "%s", tg_error());
  int zeros = 0, same = 0, scaled = 0, differ = 0;
  for (int i = 0; i < N; i++) {
    zeros += a[i] == 0;
    same += a[i] == b[i];
    differ += (a[i] == 0) != (c[i] == 0);
    scaled += a[i] == 0 || fabsf(a[i] - xv[i] / (float)(1 - p)) <= 1e-6f * fabsf(a[i]);
  }
  CHECK(same == N, "same seed, same mask (%d of %d equal)", same, N);
  CHECK(scaled == N, "kept values are x / (1 - p) (%d of %d)", scaled, N);
  CHECK(fabs((double)zeros / N - p) < 0.025, "dropped fraction %g, expected %g", (double)zeros / N, p);
  CHECK(differ > N / 8, "the next draw gives another mask (%d differ)", differ);
  CHECK(tg_data(tg_nn_dropout(x, 1), a, sizeof a) == 0 && a[0] == 0 && a[N - 1] == 0, "p = 1: zeros");
  CHECK(!tg_nn_dropout(x, 1.5) && tg_error(), "p outside [0, 1] is an error");
  tg_clear_error();
  tg_set_training(false);
}

// ---- initializers ----
typedef struct { double mean, std, maxabs; } Stats;
static Stats stats(tg_tensor *t) {
  Stats s = { 0, 0, 0 };
  double *v = ref_values(t);
  int64_t n = tg_numel(t);
  if (!v) return s;
  for (int64_t i = 0; i < n; i++) { s.mean += v[i]; if (fabs(v[i]) > s.maxabs) s.maxabs = fabs(v[i]); }
  s.mean /= (double)n;
  for (int64_t i = 0; i < n; i++) s.std += (v[i] - s.mean) * (v[i] - s.mean);
  s.std = sqrt(s.std / (double)(n - 1));
  free(v);
  return s;
}
#define CHECK_UNIFORM(t, bound, what) do { Stats s_ = stats(t); double b_ = (bound); \
  CHECK(s_.maxabs <= b_ * (1 + 1e-6) && s_.maxabs > 0.97 * b_ && fabs(s_.mean) < 0.03 * b_ && fabs(s_.std - b_ / sqrt(3)) < 0.03 * b_ / sqrt(3), \
        "%s: U(+-%g) expected, got mean %g std %g max %g", what, b_, s_.mean, s_.std, s_.maxabs); } while (0)
#define CHECK_NORMAL(t, m, sd, what) do { Stats s_ = stats(t); double sd_ = (sd); \
  CHECK(fabs(s_.mean - (m)) < 0.03 * sd_ && fabs(s_.std - sd_) < 0.03 * sd_, "%s: N(%g, %g) expected, got mean %g std %g", what, (double)(m), sd_, s_.mean, s_.std); } while (0)

static bool all_equal(tg_tensor *t, double v) {
  double *d = ref_values(t);
  bool ok = d != NULL;
  for (int64_t i = 0; ok && i < tg_numel(t); i++) ok = d[i] == v;
  free(d);
  return ok;
}

static void test_init(void) {
  tg_manual_seed(3);
  CHECK_UNIFORM(tg_kaiming_uniform(TG_SHAPE(256, 128), 0, TG_FLOAT32), sqrt(6.0 / 128), "kaiming_uniform a=0");
  CHECK_UNIFORM(tg_kaiming_uniform(TG_SHAPE(64, 16, 3, 3), 0.01, TG_FLOAT32), sqrt(6.0 / (1 + 1e-4) / 144), "kaiming_uniform conv");
  CHECK_NORMAL(tg_kaiming_normal(TG_SHAPE(256, 128), sqrt(5), TG_FLOAT32), 0, sqrt(2.0 / 6 / 128), "kaiming_normal a=sqrt(5)");
  CHECK_UNIFORM(tg_glorot_uniform(TG_SHAPE(64, 32, 3, 3), TG_FLOAT32), sqrt(6.0 / (288 + 576)), "glorot_uniform conv");
  CHECK_UNIFORM(tg_glorot_uniform(TG_SHAPE(200, 100), TG_FLOAT32), sqrt(6.0 / 300), "glorot_uniform");
  CHECK_NORMAL(tg_normal(TG_SHAPE(100, 100), 2, 3, TG_FLOAT32), 2, 3, "normal");
  CHECK(!tg_kaiming_uniform(TG_SHAPE(5), 0, TG_FLOAT32) && tg_error(), "kaiming needs 2 dims (as torch)");
  tg_clear_error();
  float a[64], b[64];
  tg_manual_seed(5);
  CHECK(tg_data(tg_kaiming_uniform(TG_SHAPE(8, 8), 0, TG_FLOAT32), a, sizeof a) == 0, "%s", tg_error());
  tg_manual_seed(5);
  CHECK(tg_data(tg_kaiming_uniform(TG_SHAPE(8, 8), 0, TG_FLOAT32), b, sizeof b) == 0 && !memcmp(a, b, sizeof a), "seeded");

  // torch's default init of each layer
  struct tg_nn_linear *fc = tg_nn_linear_new(300, 200, true);
  struct tg_nn_conv2d *cv = tg_nn_conv2d_new(16, 32, (int[]){ 3, 3 }, NULL, NULL, NULL, 1, true);
  struct tg_nn_conv_transpose2d *ct = tg_nn_conv_transpose2d_new(32, 16, (int[]){ 3, 3 }, NULL, NULL, NULL, NULL, 2, true);
  struct tg_nn_embedding *em = tg_nn_embedding_new(100, 64);
  struct tg_nn_batchnorm *bn = tg_nn_batchnorm_new(7, 1e-5, 0.1, true, true);
  struct tg_nn_layernorm *ln = tg_nn_layernorm_new(TG_SHAPE(6), 1e-5, true);
  struct tg_nn_lstmcell *ls = tg_nn_lstmcell_new(40, 50, true);
  CHECK(fc && cv && ct && em && bn && ln && ls, "%s", tg_error());
  if (fc && cv && ct && em && bn && ln && ls) {
    CHECK_UNIFORM(fc->weight, 1 / sqrt(300), "Linear weight");
    CHECK(stats(fc->bias).maxabs <= 1 / sqrt(300) && stats(fc->bias).maxabs > 0.9 / sqrt(300), "Linear bias bound");
    CHECK_UNIFORM(cv->weight, 1 / sqrt(144), "Conv2d weight");
    CHECK(stats(cv->bias).maxabs <= 1 / sqrt(144), "Conv2d bias bound");
    CHECK(tg_dim(ct->weight, 0) == 32 && tg_dim(ct->weight, 1) == 8, "ConvTranspose2d weight shape");
    CHECK_UNIFORM(ct->weight, 1 / sqrt(8 * 9), "ConvTranspose2d weight (torch's fan_in: weight dim 1)");
    CHECK_NORMAL(em->weight, 0, 1, "Embedding weight");
    CHECK_UNIFORM(ls->weight_ih, 1 / sqrt(50), "LSTMCell weight_ih");
    CHECK(stats(ls->bias_hh).maxabs <= 1 / sqrt(50), "LSTMCell bias bound");
    CHECK(all_equal(bn->weight, 1) && all_equal(bn->bias, 0) && all_equal(bn->running_mean, 0) && all_equal(bn->running_var, 1) &&
          all_equal(bn->num_batches_tracked, 0) && tg_get_dtype(bn->num_batches_tracked) == TG_INT64, "BatchNorm init");
    CHECK(all_equal(ln->weight, 1) && all_equal(ln->bias, 0), "LayerNorm init");
  }
  tg_nn_linear_free(fc); tg_nn_conv2d_free(cv); tg_nn_conv_transpose2d_free(ct); tg_nn_embedding_free(em);
  tg_nn_batchnorm_free(bn); tg_nn_layernorm_free(ln); tg_nn_lstmcell_free(ls);
}

// ---- parameters, state dicts, lifetime, errors ----
static void test_params_state(void) {
  struct tg_nn_batchnorm *bn = tg_nn_batchnorm_new(4, 1e-5, 0.1, true, true);
  if (!bn) { CHECK(0, "%s", tg_error()); return; }
  tg_nn_param ps[8];
  CHECK_EQ_INT(tg_nn_batchnorm_params(bn, "bn1", NULL, 0), 5);
  CHECK_EQ_INT(tg_nn_batchnorm_params(bn, "bn1", ps, 2), 5);
  CHECK_STR(ps[1].name, "bn1.bias");
  CHECK_EQ_INT(tg_nn_batchnorm_params(bn, "bn1", ps, 8), 5);
  CHECK_STR(ps[0].name, "bn1.weight");
  CHECK_STR(ps[4].name, "bn1.num_batches_tracked");
  CHECK(ps[0].trainable && ps[1].trainable && !ps[2].trainable && !ps[3].trainable && !ps[4].trainable, "trainable flags");
  CHECK(ps[0].tensor == bn->weight && ps[3].tensor == bn->running_var, "entries point at the layer's tensors");
  CHECK(bn->weight->requires_grad && !bn->running_mean->requires_grad, "parameters require grad, buffers do not");
  tg_tensor *ts[8];
  CHECK_EQ_INT(tg_nn_param_tensors(ps, 5, true, ts), 2);
  CHECK_EQ_INT(tg_nn_param_tensors(ps, 5, false, ts), 5);
  struct tg_nn_linear *fc = tg_nn_linear_new(3, 2, false);
  CHECK(fc && tg_nn_linear_params(fc, NULL, ps, 8) == 1, "linear without bias lists one tensor");
  CHECK_STR(ps[0].name, "weight");

  tg_state *s = tg_state_new();
  CHECK(tg_nn_batchnorm_state(bn, "layer1.bn", s) == 0 && tg_nn_linear_state(fc, "fc", s) == 0, "%s", tg_error());
  CHECK_EQ_INT(tg_state_len(s), 6);
  CHECK(tg_state_get(s, "layer1.bn.running_var") == bn->running_var && tg_state_get(s, "fc.weight") == fc->weight, "state entries");
  CHECK(tg_nn_linear_state(fc, "fc", s) == -1 && tg_error(), "duplicate names are an error");
  tg_clear_error();
  tg_state_free(s);
  tg_nn_batchnorm_free(bn);
  tg_nn_linear_free(fc);

  // a layer made inside a scope outlives it; its temporaries do not
  tg_scope_begin();
  struct tg_nn_linear *l2 = tg_nn_linear_new(4, 2, true);
  tg_scope_end();
  tg_scope_begin();
  float out[2];
  CHECK(l2 && tg_data(tg_nn_linear(l2, tg_ones(TG_SHAPE(1, 4), TG_FLOAT32)), out, sizeof out) == 0 && isfinite(out[0]), "layer survives its scope: %s", tg_error());
  tg_scope_end();
  CHECK(l2 && l2->weight->scope == 0, "parameters belong to no scope");
  tg_nn_linear_free(l2);

  // errors: NULL and a message naming the function
#define CHECK_NEW_FAILS(call, fn) do { void *m_ = (void *)(call); \
    CHECK(!m_ && tg_error() && strstr(tg_error(), fn), "%s: %s", #call, tg_error() ? tg_error() : "(no error)"); tg_clear_error(); } while (0)
  CHECK_NEW_FAILS(tg_nn_linear_new(0, 3, true), "tg_nn_linear_new");
  CHECK_NEW_FAILS(tg_nn_conv2d_new(3, 4, (int[]){ 3, 3 }, NULL, NULL, NULL, 2, true), "tg_nn_conv2d_new");
  CHECK_NEW_FAILS(tg_nn_conv2d_new(4, 4, (int[]){ 0, 3 }, NULL, NULL, NULL, 1, true), "tg_nn_conv2d_new");
  CHECK_NEW_FAILS(tg_nn_groupnorm_new(4, 6, 1e-5, true), "tg_nn_groupnorm_new");
  CHECK_NEW_FAILS(tg_nn_batchnorm_new(3, 1e-5, 2, true, true), "tg_nn_batchnorm_new");
  CHECK_NEW_FAILS(tg_nn_layernorm_new(NULL, 0, 1e-5, true), "tg_nn_layernorm_new");
  CHECK_NEW_FAILS(tg_nn_conv1d_new(2, 2, 3, 0, 0, 1, 1, true), "tg_nn_conv1d_new");
  CHECK_NEW_FAILS(tg_nn_embedding_new(10, -1), "tg_nn_embedding_new");
  struct tg_nn_batchnorm *b3 = tg_nn_batchnorm_new(3, 1e-5, 0.1, true, true);
  tg_scope_begin();
  CHECK(!tg_nn_batchnorm(b3, tg_ones(TG_SHAPE(2, 4, 3), TG_FLOAT32)) && strstr(tg_error(), "channels"), "batchnorm channel mismatch");
  tg_clear_error();
  tg_set_training(true);
  CHECK(!tg_nn_batchnorm(b3, tg_ones(TG_SHAPE(1, 3), TG_FLOAT32)) && tg_error(), "batch statistics of one value");
  tg_set_training(false);
  tg_clear_error();
  tg_tensor *h, *c;
  struct tg_nn_lstmcell *cell = tg_nn_lstmcell_new(3, 2, false);
  CHECK(tg_nn_lstmcell(cell, tg_ones(TG_SHAPE(2, 4), TG_FLOAT32), NULL, NULL, &h, &c) == -1 && !h && !c && tg_error(), "lstm input size");
  tg_clear_error();
  CHECK(!tg_conv_transpose2d(tg_ones(TG_SHAPE(1, 2, 3, 3), TG_FLOAT32), tg_ones(TG_SHAPE(2, 1, 2, 2), TG_FLOAT32), NULL, 1,
                             NULL, NULL, NULL, (int[]){ 1, 1 }) && tg_error(), "output_padding must be below stride or dilation");
  tg_clear_error();
  tg_scope_end();
  tg_nn_lstmcell_free(cell);
  tg_nn_batchnorm_free(b3);
}

int main(void) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  TestRng r = { 1234 };
  test_init();
  test_params_state();
  test_dropout(&r);
  ref_open();
  tg_scope_begin();
  test_linear_conv(&r);
  test_norms_embedding_lstm(&r);
  test_losses(&r);
  tg_scope_end();
  ref_run();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("test_nn: %.2fs\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
  return test_finish("test_nn");
}
