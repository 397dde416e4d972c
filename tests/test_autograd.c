// Autograd: gradients against central finite differences (float64), second order, accumulation, errors, fusion
#include "testlib.h"
#include "tinygrad.h"
#include "engine/realize.h"
#include "tensor/tensor.h"   // tg_tensor's grad field, to plant a mismatched grad
#include <math.h>
#include <stdlib.h>

/* Each gradient check builds y = f(x...) from float64 inputs, the scalar L = sum(y * w) with fixed random
 * weights w, its gradients (tg_gradient), and L at x +- eps*e_j for every input element j: all of it is
 * realized in one tg_realize_many. The perturbed graphs differ from the plain one only in their buffers,
 * so they reuse its compiled kernels: a case compiles its forward and backward kernels once. */

#define MAXIN 4
typedef tg_tensor *(*Fn)(tg_tensor **x);
typedef enum { ANY, POS, UNIT, INT3 } Dom;   // [-2, 2] away from 0 | [0.3, 2] | [0, 1) | integers 0..2
typedef struct { int ndim; int64_t shape[6]; Dom dom; } In;
static TestRng rng = { 0x9e3779b97f4a7c15ULL };
static const double EPS = 1e-6;

static int64_t numel(const In *in) { int64_t n = 1; for (int i = 0; i < in->ndim; i++) n *= in->shape[i]; return n; }
static double draw(Dom d) {
  double u = rng_unit(&rng);
  switch (d) {
  case POS: return 0.3 + 1.7 * u;
  case UNIT: return u;
  case INT3: return (double)(rng_next(&rng) % 3);
  default: { double v = 0.2 + 1.8 * u; return rng_next(&rng) & 1 ? v : -v; }
  }
}

static tg_tensor *L_of(Fn f, tg_tensor **x, tg_tensor *w) { return tg_sum(tg_mul(f(x), w), NULL, 0, false); }

static bool close_to(double got, double num, double rtol, double Lv) { return fabs(got - num) <= 1e-6 + rtol * fabs(num) + 1e-9 * Lv; }
static void report(const char *name, int *bad, bool ok, int i, int64_t j, double got, double num, double x, const char *what) {
  test_checks++;
  if (ok) return;
  test_failures++;
  if ((*bad)++ < 4) fprintf(stderr, "FAIL %s%s%s: d/dx%d[%lld] = %.9g, finite difference %.9g (x = %g)\n", name, what ? " " : "",
                            what ? what : "", i, (long long)j, got, num, x);
}
static const char *row_name(const char *name, int64_t row);

/* ew: f is elementwise in its one input (y[j] depends on x[j] only), so a single perturbation of every
 * element at once gives every central difference. */
static void gradcheck_ex(const char *name, Fn f, int nin, const In *ins, double rtol, bool ew) {
  tg_scope_begin();
  double *host[MAXIN];
  tg_tensor *x[MAXIN], *g[MAXIN];
  int64_t total = 0;
  for (int i = 0; i < nin; i++) {
    int64_t n = numel(&ins[i]);
    host[i] = malloc((size_t)(n ? n : 1) * sizeof(double));
    for (int64_t j = 0; j < n; j++) host[i][j] = draw(ins[i].dom);
    x[i] = tg_from_data(host[i], TG_FLOAT64, ins[i].shape, ins[i].ndim);
    total += n;
  }
  tg_tensor *y = f(x), **all = NULL;
  CHECK(y, "%s: forward failed: %s", name, tg_error());
  if (!y) { tg_clear_error(); goto done; }
  int64_t ny = tg_numel(y);
  double *wh = malloc((size_t)(ny ? ny : 1) * sizeof(double));
  for (int64_t j = 0; j < ny; j++) wh[j] = 0.5 + rng_unit(&rng);
  tg_tensor *w = tg_from_data(wh, TG_FLOAT64, tg_shape(y), tg_ndim(y));
  free(wh);
  tg_tensor *L = tg_sum(tg_mul(y, w), NULL, 0, false);
  int rc = tg_gradient(L, x, nin, g);
  CHECK(rc == 0, "%s: tg_gradient failed: %s", name, tg_error());
  if (rc) { tg_clear_error(); goto done; }
  all = malloc((size_t)(nin + 2 * total + 1) * sizeof *all);
  int k = 0;
  for (int i = 0; i < nin; i++) all[k++] = g[i];
  all[k++] = L;
  double *tmp = malloc((size_t)(total + 1) * sizeof(double));
  for (int i = 0; i < nin; i++)
    for (int64_t j = 0, n = numel(&ins[i]); j < (ew ? 1 : n); j++)
      for (int s = -1; s <= 1; s += 2) {
        tg_tensor *xp[MAXIN];
        memcpy(xp, x, sizeof xp);
        memcpy(tmp, host[i], (size_t)n * sizeof(double));
        for (int64_t q = ew ? 0 : j; q < (ew ? n : j + 1); q++) tmp[q] += s * EPS;
        xp[i] = tg_from_data(tmp, TG_FLOAT64, ins[i].shape, ins[i].ndim);
        all[k++] = ew ? tg_mul(f(xp), w) : L_of(f, xp, w);
      }
  free(tmp);
  rc = tg_realize_many(all, k);
  CHECK(rc == 0, "%s: realize failed: %s", name, tg_error());
  if (rc) { tg_clear_error(); goto done; }
  double Lv = fabs(tg_item(L));
  int at = nin + 1, bad = 0;
  for (int i = 0; i < nin; i++) {
    int64_t n = numel(&ins[i]);
    double *gv = malloc((size_t)(n ? n : 1) * sizeof(double)), *ym = NULL, *yp = NULL;
    CHECK(tg_data(g[i], gv, (size_t)n * sizeof(double)) == 0, "%s: reading the gradient", name);
    if (ew) {
      ym = malloc((size_t)n * sizeof(double)); yp = malloc((size_t)n * sizeof(double));
      CHECK(tg_data(all[at], ym, (size_t)n * sizeof(double)) == 0 && tg_data(all[at + 1], yp, (size_t)n * sizeof(double)) == 0, "%s", name);
    }
    for (int64_t j = 0; j < n; j++) {
      double num = ew ? (yp[j] - ym[j]) / (2 * EPS) : (tg_item(all[at + 2 * j + 1]) - tg_item(all[at + 2 * j])) / (2 * EPS);
      report(name, &bad, close_to(gv[j], num, rtol, ew ? 0 : Lv), i, j, gv[j], num, host[i][j], row_name(name, j / ins[i].shape[ins[i].ndim - 1]));
    }
    at += ew ? 2 : 2 * (int)n;
    free(gv); free(ym); free(yp);
  }
done:
  free(all);
  for (int i = 0; i < nin; i++) free(host[i]);
  tg_scope_end();
}
static void gradcheck(const char *name, Fn f, int nin, const In *ins) { gradcheck_ex(name, f, nin, ins, 1e-5, false); }
#define IN(dom, ...) { (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), { __VA_ARGS__ }, dom }
#define GC(name, f, ...) gradcheck(name, f, (int)(sizeof((In[]){ __VA_ARGS__ }) / sizeof(In)), (In[]){ __VA_ARGS__ })

// ---- elementwise unary: every differentiable one, one row each, stacked into one output ----
static tg_tensor *u_log(tg_tensor *t) { return tg_log(tg_abs(t)); }
static tg_tensor *u_log2(tg_tensor *t) { return tg_log2(tg_abs(t)); }
static tg_tensor *u_sqrt(tg_tensor *t) { return tg_sqrt(tg_abs(t)); }
static tg_tensor *u_rsqrt(tg_tensor *t) { return tg_rsqrt(tg_abs(t)); }
static tg_tensor *u_tan(tg_tensor *t) { return tg_tan(tg_mul_s(t, 0.6)); }
static tg_tensor *u_leaky(tg_tensor *t) { return tg_leaky_relu(t, 0.1); }
static tg_tensor *u_clamp(tg_tensor *t) { return tg_clamp(t, -0.9, 1.1); }
static tg_tensor *u_pow_s(tg_tensor *t) { return tg_pow_s(tg_abs(t), 2.5); }
static tg_tensor *u_rpow(tg_tensor *t) { return tg_pow(tg_full_like(t, 1.7), t); }
static tg_tensor *u_softplus_big(tg_tensor *t) { return tg_softplus(tg_mul_s(t, 15)); }   // crosses the threshold at 20
static tg_tensor *u_rdiv(tg_tensor *t) { return tg_rdiv_s(t, 2); }
static tg_tensor *u_rsub(tg_tensor *t) { return tg_rsub_s(t, 2); }
static struct { const char *name; tg_tensor *(*f)(tg_tensor *); } unary[] = {
  { "exp", tg_exp }, { "exp2", tg_exp2 }, { "log", u_log }, { "log2", u_log2 }, { "sin", tg_sin }, { "cos", tg_cos },
  { "tan", u_tan }, { "tanh", tg_tanh }, { "sigmoid", tg_sigmoid }, { "relu", tg_relu }, { "gelu", tg_gelu },
  { "silu", tg_silu }, { "sqrt", u_sqrt }, { "rsqrt", u_rsqrt }, { "abs", tg_abs }, { "softplus", tg_softplus },
  { "softplus>20", u_softplus_big }, { "elu", tg_elu }, { "leaky_relu", u_leaky }, { "erf", tg_erf },
  { "square", tg_square }, { "reciprocal", tg_reciprocal }, { "neg", tg_neg }, { "mish", tg_mish },
  { "hardswish", tg_hardswish }, { "relu6", tg_relu6 }, { "hardsigmoid", tg_hardsigmoid }, { "hardtanh", tg_hardtanh },
  { "clamp", u_clamp }, { "pow_s", u_pow_s }, { "scalar ** x", u_rpow }, { "sign", tg_sign }, { "floor", tg_floor },
  { "ceil", tg_ceil }, { "round", tg_round }, { "trunc", tg_trunc },
  { "rdiv", u_rdiv }, { "rsub", u_rsub },
};
#define NUNARY ((int)(sizeof unary / sizeof *unary))
static const char *row_name(const char *name, int64_t row) { return !strcmp(name, "unary") && row < NUNARY ? unary[row].name : NULL; }
static tg_tensor *f_unary(tg_tensor **x) {
  tg_tensor *rows[NUNARY];
  for (int k = 0; k < NUNARY; k++) rows[k] = unary[k].f(tg_squeeze(tg_slice(x[0], 0, k, k + 1, 1), 0));
  return tg_stack(rows, NUNARY, 0);
}

// ---- binary with broadcasting ----
static tg_tensor *f_binary(tg_tensor **x) {   // a (3, 4), b (4,), c (3, 1)
  tg_tensor *a = x[0], *b = x[1], *c = x[2];
  tg_tensor *r[] = { tg_add(a, b), tg_sub(a, c), tg_mul(a, b), tg_div(a, b), tg_div(c, a),
                     tg_pow(tg_abs(a), b), tg_maximum(a, b), tg_minimum(a, c), tg_mul(b, c) };
  return tg_stack(r, 9, 0);
}
// maximum/minimum with ties: the central difference of max(x, y) at x == y is 1/2, as the rule's split
static tg_tensor *f_ties(tg_tensor **x) {
  tg_tensor *a = x[0], *b = tg_cat((tg_tensor *[]){ tg_shrink(a, (int64_t[]){ 0, 3 }, 2), x[1] }, 2, 0);
  return tg_cat((tg_tensor *[]){ tg_maximum(a, b), tg_minimum(a, b), tg_relu(tg_sub(a, b)) }, 3, 0);
}
static tg_tensor *f_where(tg_tensor **x) {    // a, b (3, 4), c (4,): the condition gets no gradient
  tg_tensor *cond = tg_gt(x[2], tg_mean(x[0], NULL, 0, false));
  return tg_add(tg_where(cond, tg_mul(x[0], x[1]), tg_exp(x[1])), tg_where(tg_lt_s(x[0], 0), x[0], tg_mul_s(x[1], 3)));
}

// ---- reductions ----
static const int A0[] = { 0 }, A1[] = { 1 }, A01[] = { 0, 1 }, A02[] = { 0, 2 };
static tg_tensor *flat(tg_tensor *t) { return tg_flatten(t, 0, -1); }
static tg_tensor *f_reduce(tg_tensor **x) {   // x (3, 4, 2)
  tg_tensor *t = x[0];
  tg_tensor *r[] = { flat(tg_sum(t, A0, 1, false)), flat(tg_sum(t, A02, 2, true)), tg_reshape(tg_sum(t, NULL, 0, false), TG_SHAPE(1)),
                     flat(tg_mean(t, A1, 1, false)), flat(tg_prod(t, A1, 1, false)), flat(tg_cumsum(t, 1)) };
  return tg_cat(r, 6, 0);
}
static tg_tensor *f_maxmin(tg_tensor **x) {
  tg_tensor *t = x[0];
  tg_tensor *r[] = { flat(tg_max(t, A1, 1, false)), flat(tg_min(t, A02, 2, true)), tg_reshape(tg_max(t, NULL, 0, false), TG_SHAPE(1)) };
  return tg_cat(r, 3, 0);
}
static tg_tensor *f_stats(tg_tensor **x) {
  tg_tensor *t = x[0];
  tg_tensor *r[] = { flat(tg_var(t, A1, 1, false, 1)), flat(tg_std(t, A02, 2, false, 1)), flat(tg_var(t, A01, 2, true, 0)),
                     flat(tg_logsumexp(t, 1, false)), flat(tg_logsumexp(t, -1, true)) };
  return tg_cat(r, 5, 0);
}

// ---- movement ----
static tg_tensor *f_move1(tg_tensor **x) {    // x (3, 4)
  tg_tensor *t = x[0];
  tg_tensor *p = tg_permute(tg_reshape(t, TG_SHAPE(2, 3, 2)), (int[]){ 2, 0, 1 }, 3);
  tg_tensor *e = tg_expand(tg_reshape(t, TG_SHAPE(3, 1, 4)), TG_SHAPE(3, 2, 4));
  tg_tensor *pd = tg_pad(t, (int64_t[]){ 1, 2, -1, 1 }, 4, 0.5);
  tg_tensor *s = tg_shrink(t, (int64_t[]){ 1, 3, 0, 2 }, 4);
  tg_tensor *fl = tg_flip(t, (int[]){ 0, 1 }, 2);
  tg_tensor *r[] = { flat(p), flat(tg_mul(e, e)), flat(tg_mul(pd, pd)), flat(s), flat(tg_mul(fl, t)), flat(tg_transpose(t, 0, 1)) };
  return tg_cat(r, 6, 0);
}
static tg_tensor *f_move2(tg_tensor **x) {    // x (3, 5), y (2, 5)
  tg_tensor *t = x[0], *u = x[1];
  tg_tensor *st = tg_slice(t, 1, 0, 5, 2), *sn = tg_slice(t, 1, 4, INT64_MAX, -2), *s3 = tg_slice(t, 0, 2, INT64_MAX, -1);
  tg_tensor *c = tg_cat((tg_tensor *[]){ t, u, tg_mul(t, t) }, 3, 0);
  tg_tensor *k = tg_stack((tg_tensor *[]){ u, tg_sin(u) }, 2, 1);
  tg_tensor *rp = tg_repeat(u, (int64_t[]){ 2, 1, 2 }, 3);
  tg_tensor *sq = tg_unsqueeze(tg_squeeze(tg_unsqueeze(u, 1), 1), 0);
  tg_tensor *parts[2];
  tg_chunk(t, 2, 1, parts, 2);
  tg_tensor *r[] = { flat(st), flat(sn), flat(s3), flat(c), flat(k), flat(tg_mul(rp, rp)), flat(sq), flat(tg_mul(parts[1], parts[1])) };
  return tg_cat(r, 8, 0);
}
static tg_tensor *f_gather(tg_tensor **x) {   // x (3, 4); index built from data (integer: no gradient)
  tg_tensor *idx = tg_from_data((int64_t[]){ 0, 3, 3, 1, 2, 2, 0, 1, 0, 2, 3, 3 }, TG_INT64, TG_SHAPE(3, 4));
  tg_tensor *i2 = tg_from_data((int64_t[]){ 2, 0, 1, 1, 0, 2 }, TG_INT64, TG_SHAPE(2, 3));
  return tg_cat((tg_tensor *[]){ flat(tg_gather(x[0], 1, idx)), flat(tg_gather(x[0], 0, i2)) }, 2, 0);
}

// ---- nn ----
static tg_tensor *f_matmul(tg_tensor **x) {   // a (2, 3, 4), b (4, 5), c (2, 4, 2), v (4,)
  tg_tensor *r[] = { flat(tg_matmul(x[0], x[1])), flat(tg_matmul(x[0], x[2])), flat(tg_matmul(x[0], x[3])), flat(tg_matmul(x[3], x[1])) };
  return tg_cat(r, 4, 0);
}
static tg_tensor *f_linear(tg_tensor **x) { return tg_tanh(tg_linear(x[0], x[1], x[2])); }   // x (3, 4), w (5, 4), b (5,)
static tg_tensor *f_conv(tg_tensor **x) {     // x (1, 4, 5, 4), w (4, 2, 2, 3), b (4,): stride, padding, dilation, groups
  return tg_conv2d(x[0], x[1], x[2], 2, (int[]){ 2, 1 }, (int[]){ 1, 2 }, (int[]){ 1, 2 });
}
static tg_tensor *f_conv_plain(tg_tensor **x) { return tg_conv2d(x[0], x[1], NULL, 1, NULL, NULL, NULL); }   // x (1, 2, 5, 5), w (3, 2, 3, 3)
/* Strides that leave input rows no window reaches (H + 2p - d*(k-1) - 1 = 5 and 10, strides 2 and 3: remainder 1),
 * a non-square kernel, dilation 2 and groups 2: x (2, 4, 8, 8), w (6, 2, 3, 2) */
static tg_tensor *f_conv_rem(tg_tensor **x) { return tg_conv2d(x[0], x[1], NULL, 2, (int[]){ 2, 3 }, (int[]){ 1, 2 }, (int[]){ 2, 1 }); }
/* Padding wider than the kernel's reach (the input gradient crops the output gradient), stride 2 with a
 * remainder, and a depthwise conv with dilation: x (1, 2, 6, 5), w (2, 1, 2, 3) */
static tg_tensor *f_conv_wide(tg_tensor **x) {
  tg_tensor *a = tg_conv2d(x[0], x[1], NULL, 1, (int[]){ 3, 4 }, (int[]){ 3, 2 }, NULL);
  tg_tensor *b = tg_conv2d(x[0], tg_reshape(x[1], (int64_t[]){ 2, 1, 2, 3 }, 4), NULL, 2, (int[]){ 1, 2 }, (int[]){ 0, 1 }, (int[]){ 2, 2 });
  return tg_cat((tg_tensor *[]){ flat(a), flat(b) }, 2, 0);
}
/* Second order: the gradients of sum(sin(conv)) are themselves convolutions with custom gradients. */
static tg_tensor *f_conv_grad(tg_tensor **x) {   // x (1, 4, 6, 6), w (4, 2, 3, 2)
  tg_tensor *y = tg_conv2d(x[0], x[1], NULL, 2, (int[]){ 2, 1 }, (int[]){ 1, 0 }, (int[]){ 1, 2 }), *g[2];
  if (!y || tg_gradient(tg_sum(tg_sin(y), NULL, 0, false), x, 2, g)) return NULL;
  return tg_cat((tg_tensor *[]){ flat(g[0]), flat(g[1]) }, 2, 0);
}
static tg_tensor *f_pool(tg_tensor **x) {     // x (1, 2, 5, 6)
  tg_tensor *r[] = { flat(tg_max_pool2d(x[0], (int[]){ 2, 2 }, NULL, NULL)), flat(tg_max_pool2d(x[0], (int[]){ 3, 2 }, (int[]){ 1, 2 }, (int[]){ 1, 1 })),
                     flat(tg_avg_pool2d(x[0], (int[]){ 2, 3 }, (int[]){ 2, 1 }, (int[]){ 1, 1 })),
                     flat(tg_max_pool2d(x[0], (int[]){ 2, 2 }, (int[]){ 3, 3 }, NULL)),       // disjoint windows, padded to 2*3
                     flat(tg_avg_pool2d(x[0], (int[]){ 1, 2 }, (int[]){ 2, 2 }, NULL)) };
  return tg_cat(r, 5, 0);
}
static tg_tensor *f_softmax(tg_tensor **x) {  // x (3, 5)
  tg_tensor *r[] = { flat(tg_softmax(x[0], -1)), flat(tg_log_softmax(x[0], 0)), flat(tg_layernorm(x[0], -1, 1e-5)) };
  return tg_cat(r, 3, 0);
}
static tg_tensor *f_xent(tg_tensor **x) {     // logits (4, 5)
  tg_tensor *tgt = tg_from_data((int32_t[]){ 1, 4, 0, 1 }, TG_INT32, TG_SHAPE(4));
  return tg_stack((tg_tensor *[]){ tg_cross_entropy(x[0], tgt, 0), tg_cross_entropy(x[0], tgt, 0.1) }, 2, 0);
}
static tg_tensor *f_sdpa(tg_tensor **x) {     // q (2, 3, 4), k (2, 5, 4), v (2, 5, 3), mask (3, 5) float
  tg_tensor *bm = tg_from_data((uint8_t[]){ 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1 }, TG_BOOL, TG_SHAPE(3, 5));
  tg_tensor *r[] = { flat(tg_scaled_dot_product_attention(x[0], x[1], x[2], NULL, false)),
                     flat(tg_scaled_dot_product_attention(x[0], x[1], x[2], x[3], false)),
                     flat(tg_scaled_dot_product_attention(x[0], x[1], x[2], bm, false)),
                     flat(tg_scaled_dot_product_attention(x[0], tg_shrink(x[1], (int64_t[]){ 0, 2, 0, 3, 0, 4 }, 6), tg_shrink(x[2], (int64_t[]){ 0, 2, 0, 3, 0, 3 }, 6), NULL, true)) };
  return tg_cat(r, 4, 0);
}

static void finite_difference_checks(void) {
  int64_t t0 = eng_stats.compiles;
  gradcheck_ex("unary", f_unary, 1, (In[]){ IN(ANY, NUNARY, 5) }, 1e-5, true);
  GC("binary broadcast", f_binary, IN(ANY, 3, 4), IN(ANY, 4), IN(ANY, 3, 1));
  GC("maximum/minimum ties", f_ties, IN(INT3, 5), IN(INT3, 2));
  GC("where", f_where, IN(ANY, 3, 4), IN(ANY, 3, 4), IN(ANY, 4));
  GC("sum/mean/prod/cumsum", f_reduce, IN(ANY, 3, 4, 2));
  GC("max/min", f_maxmin, IN(ANY, 3, 4, 2));
  GC("var/std/logsumexp", f_stats, IN(ANY, 3, 4, 2));
  GC("reshape/permute/expand/pad/shrink/flip", f_move1, IN(ANY, 3, 4));
  GC("slice/cat/stack/repeat/squeeze/chunk", f_move2, IN(ANY, 3, 5), IN(ANY, 2, 5));
  GC("gather", f_gather, IN(ANY, 3, 4));
  GC("matmul", f_matmul, IN(ANY, 2, 3, 4), IN(ANY, 4, 5), IN(ANY, 2, 4, 2), IN(ANY, 4));
  GC("linear", f_linear, IN(ANY, 3, 4), IN(ANY, 5, 4), IN(ANY, 5));
  GC("conv2d stride/padding/dilation/groups", f_conv, IN(ANY, 1, 4, 5, 4), IN(ANY, 4, 2, 2, 3), IN(ANY, 4));
  GC("conv2d", f_conv_plain, IN(ANY, 1, 2, 5, 5), IN(ANY, 3, 2, 3, 3));
  GC("conv2d stride remainder/non-square/dilation/groups", f_conv_rem, IN(ANY, 2, 4, 8, 8), IN(ANY, 6, 2, 3, 2));
  GC("conv2d wide padding/depthwise", f_conv_wide, IN(ANY, 1, 2, 6, 5), IN(ANY, 1, 2, 2, 3));
  GC("conv2d second order", f_conv_grad, IN(ANY, 1, 4, 6, 6), IN(ANY, 4, 2, 3, 2));
  GC("max_pool2d/avg_pool2d", f_pool, IN(ANY, 1, 2, 5, 6));
  GC("softmax/log_softmax/layernorm", f_softmax, IN(ANY, 3, 5));
  GC("cross_entropy", f_xent, IN(ANY, 4, 5));
  GC("scaled_dot_product_attention", f_sdpa, IN(ANY, 2, 3, 4), IN(ANY, 2, 5, 4), IN(ANY, 2, 5, 3), IN(ANY, 3, 5));
  printf("finite differences: %lld kernels compiled\n", (long long)(eng_stats.compiles - t0));
}

// ---- exact checks ----
static void read_f64(tg_tensor *t, double *out, int64_t n) { CHECK(tg_data(t, out, (size_t)n * sizeof(double)) == 0, "read: %s", tg_error()); }

static void second_order(void) {
  tg_scope_begin();
  double xs[5] = { -1.5, -0.3, 0.2, 1.1, 2.0 };
  tg_tensor *x = tg_from_data(xs, TG_FLOAT64, TG_SHAPE(5));
  tg_tensor *cubes[2] = { tg_mul(tg_mul(x, x), x), tg_pow_s(x, 3) }, *g1[2], *g2[2], *s1, *s2, *h1, *h2;
  for (int v = 0; v < 2; v++) {
    CHECK(tg_gradient(tg_sum(cubes[v], NULL, 0, false), &x, 1, &g1[v]) == 0, "%s", tg_error());
    CHECK(tg_gradient(tg_sum(g1[v], NULL, 0, false), &x, 1, &g2[v]) == 0, "%s", tg_error());
  }
  CHECK(tg_gradient(tg_sin(x), &x, 1, &s1) == 0 && tg_gradient(s1, &x, 1, &s2) == 0, "%s", tg_error());   // y of any shape
  CHECK(tg_gradient(s2, &x, 1, &h1) == 0 && tg_gradient(h1, &x, 1, &h2) == 0, "%s", tg_error());          // 3rd and 4th
  tg_tensor *all[] = { g1[0], g2[0], g1[1], g2[1], s1, s2, h1, h2 };
  CHECK(tg_realize_many(all, 8) == 0, "%s", tg_error());
  double r[8][5];
  for (int i = 0; i < 8; i++) read_f64(all[i], r[i], 5);
  for (int j = 0; j < 5; j++) {
    double v = xs[j];
    for (int k = 0; k < 2; k++) {
      CHECK(fabs(r[2 * k][j] - 3 * v * v) < 1e-12, "d x^3 = %g at %g", r[2 * k][j], v);
      CHECK(fabs(r[2 * k + 1][j] - 6 * v) < 1e-12, "d2 x^3 = %g at %g (variant %d)", r[2 * k + 1][j], v, k);
    }
    CHECK(fabs(r[4][j] - cos(v)) < 1e-12 && fabs(r[5][j] + sin(v)) < 1e-12, "sin'' at %g: %g %g", v, r[4][j], r[5][j]);
    CHECK(fabs(r[6][j] + cos(v)) < 1e-12 && fabs(r[7][j] - sin(v)) < 1e-12, "sin'''' at %g: %g %g", v, r[6][j], r[7][j]);
  }
  tg_scope_end();
}

/* tg_conv2d's gradients are convolutions (its custom gradient): no reduce in them is larger than the input or
 * the weight, where differentiating the windowed view reduces (bs, cin, oy, ox, kh, kw) windows. They carry
 * custom gradients of their own, for the second order. */
static void conv_gradient_graph(void) {
  tg_scope_begin();
  tg_tensor *x = tg_realize(tg_rand(TG_SHAPE(2, 3, 9, 9), TG_FLOAT32)), *w = tg_realize(tg_rand(TG_SHAPE(4, 3, 3, 3), TG_FLOAT32)), *g[2];
  tg_tensor *y = tg_conv2d(x, w, NULL, 1, (int[]){ 2, 2 }, (int[]){ 1, 1 }, NULL);
  CHECK(tg_gradient(tg_sum(tg_sin(y), NULL, 0, false), (tg_tensor *[]){ x, w }, 2, g) == 0, "%s", tg_error());
  int64_t biggest = 0;
  int custom = 0;
  for (int i = 0; i < 2; i++) {
    const UOpList *t = uop_toposort(g[i]->uop);
    for (int64_t j = 0; j < t->n; j++) {
      UOp *u = t->items[j];
      if (u->op == OP_REDUCE_AXIS && shape_numel(ushape(u)) > biggest) biggest = shape_numel(ushape(u));
      custom += u->op == OP_GRAD_FN;
    }
  }
  CHECK(biggest <= tg_numel(x), "a reduce of %lld elements in the conv gradients (input has %lld)", (long long)biggest, (long long)tg_numel(x));
  CHECK(custom >= 2, "the conv gradients hold %d convolutions with custom gradients", custom);
  tg_scope_end();
}

static void exact_rules(void) {
  tg_scope_begin();
  // reduction ties: max/min split evenly among every position equal to the result (1/3 each for 3 ties)
  tg_tensor *x = tg_from_data((double[]){ 1, 3, 3, 3, 2, 5, 0, 5 }, TG_FLOAT64, TG_SHAPE(2, 4)), *g[4];
  CHECK(tg_gradient(tg_max(x, A1, 1, false), &x, 1, &g[0]) == 0, "%s", tg_error());
  CHECK(tg_gradient(tg_min(tg_neg(x), NULL, 0, false), &x, 1, &g[1]) == 0, "%s", tg_error());
  // prod with zeros: one zero gets the product of the others, two zeros give zero everywhere
  tg_tensor *z = tg_from_data((double[]){ 2, 0, 3, 4, 0, 0 }, TG_FLOAT64, TG_SHAPE(2, 3));
  CHECK(tg_gradient(tg_prod(z, A1, 1, false), &z, 1, &g[2]) == 0, "%s", tg_error());
  // no gradient through an integer cast, an argmax or a comparison: zeros
  CHECK(tg_gradient(tg_add(tg_cast(tg_cast(x, TG_INT32), TG_FLOAT64), tg_cast(tg_argmax(x, 1, true), TG_FLOAT64)), &x, 1, &g[3]) == 0, "%s", tg_error());
  // detach stops the gradient; contiguous and a float cast pass it: d/dx (x*detach(x) + contiguous(x*x) + f64(f32(x))) = 3x + 1
  const double dv[4] = { 0.5, -1, 2, 3 };
  tg_tensor *d = tg_from_data(dv, TG_FLOAT64, TG_SHAPE(4)), *gd;
  tg_tensor *yd = tg_add(tg_add(tg_mul(d, tg_detach(d)), tg_contiguous(tg_mul(d, d))), tg_cast(tg_cast(d, TG_FLOAT32), TG_FLOAT64));
  CHECK(tg_gradient(yd, &d, 1, &gd) == 0, "%s", tg_error());
  double rd[4];
  read_f64(gd, rd, 4);
  for (int j = 0; j < 4; j++) CHECK(rd[j] == 3 * dv[j] + 1, "detach/contiguous/cast [%d] = %g", j, rd[j]);
  // relu at exactly 0 passes no gradient (torch), unlike a maximum tie; y == x gives ones
  const double rv[4] = { -1, 0, 2, -0.0 };
  tg_tensor *rx = tg_from_data(rv, TG_FLOAT64, TG_SHAPE(4)), *gr[2];
  CHECK(tg_gradient(tg_relu(rx), &rx, 1, &gr[0]) == 0 && tg_gradient(rx, &rx, 1, &gr[1]) == 0, "%s", tg_error());
  double rr[2][4];
  read_f64(gr[0], rr[0], 4); read_f64(gr[1], rr[1], 4);
  for (int j = 0; j < 4; j++) CHECK(rr[0][j] == (j == 2) && rr[1][j] == 1, "relu'(%g) = %g, dx/dx = %g", rv[j], rr[0][j], rr[1][j]);
  CHECK(tg_realize_many(g, 4) == 0, "%s", tg_error());
  double r[4][8];
  read_f64(g[0], r[0], 8); read_f64(g[1], r[1], 8); read_f64(g[2], r[2], 6); read_f64(g[3], r[3], 8);
  const double e0[8] = { 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0.5, 0, 0.5 }, e1[8] = { 0, 0, 0, 0, 0, -0.5, 0, -0.5 };
  const double e2[6] = { 0, 6, 0, 0, 0, 0 };
  for (int j = 0; j < 8; j++) {
    CHECK(fabs(r[0][j] - e0[j]) < 1e-12, "max ties [%d] = %g, expected %g", j, r[0][j], e0[j]);
    CHECK(fabs(r[1][j] - e1[j]) < 1e-12, "min ties [%d] = %g, expected %g", j, r[1][j], e1[j]);
    CHECK(r[3][j] == 0, "integer path [%d] = %g, expected 0", j, r[3][j]);
    if (j < 6) CHECK(fabs(r[2][j] - e2[j]) < 1e-12, "prod zeros [%d] = %g, expected %g", j, r[2][j], e2[j]);
  }
  tg_scope_end();
}

static void backward_api(void) {
  tg_scope_begin();
  float wv[4] = { 1, -2, 3, 0.5 };
  tg_tensor *w = tg_requires_grad(tg_from_data(wv, TG_FLOAT32, TG_SHAPE(2, 2)), true);
  tg_tensor *b = tg_requires_grad(tg_zeros(TG_SHAPE(2), TG_FLOAT32), true);    // constants get a buffer of their own
  tg_tensor *b2 = tg_requires_grad(tg_zeros(TG_SHAPE(2), TG_FLOAT32), true);
  tg_tensor *frozen = tg_from_data((float[]){ 1, 1, 1, 1 }, TG_FLOAT32, TG_SHAPE(2, 2));
  CHECK(w && b && b2, "%s", tg_error());
  CHECK(tg_grad(w) == NULL, "no grad before backward");
  int64_t k0 = eng_stats.kernels;
  // loss = sum(w*w) + sum(reshape(w)) + 3*sum(b) + sum(b2*2)  (w also used through a reshape of its buffer)
  tg_tensor *loss = tg_add(tg_add(tg_sum(tg_mul(w, w), NULL, 0, false), tg_sum(tg_reshape(w, TG_SHAPE(4)), NULL, 0, false)),
                           tg_add(tg_mul_s(tg_sum(b, NULL, 0, false), 3), tg_sum(tg_mul_s(tg_add(b2, tg_sum(frozen, NULL, 0, false)), 2), NULL, 0, false)));
  CHECK(tg_backward(loss) == 0, "%s", tg_error());
  CHECK(eng_stats.kernels == k0, "tg_backward ran %lld kernels: gradients must stay lazy", (long long)(eng_stats.kernels - k0));
  CHECK(tg_grad(frozen) == NULL, "a tensor that does not require grad gets none");
  tg_tensor *gw = tg_grad(w);
  CHECK(gw && tg_ndim(gw) == 2 && tg_dim(gw, 0) == 2 && tg_get_dtype(gw) == TG_FLOAT32, "grad shape/dtype");
  CHECK(tg_backward(loss) == 0, "%s", tg_error());                             // accumulates: twice the gradient
  CHECK(tg_grad(w) == gw, "accumulation keeps the grad handle");
  tg_tensor *all[] = { tg_grad(w), tg_grad(b), tg_grad(b2), loss };
  CHECK(tg_realize_many(all, 4) == 0, "%s", tg_error());
  float gwv[4], gb[2], gb2[2];
  CHECK(tg_data(tg_grad(w), gwv, sizeof gwv) == 0 && tg_data(tg_grad(b), gb, sizeof gb) == 0 && tg_data(tg_grad(b2), gb2, sizeof gb2) == 0, "%s", tg_error());
  for (int j = 0; j < 4; j++) CHECK(fabs(gwv[j] - 2 * (2 * wv[j] + 1)) < 1e-5, "w.grad[%d] = %g", j, gwv[j]);
  for (int j = 0; j < 2; j++) CHECK(gb[j] == 6 && gb2[j] == 4, "b.grad %g b2.grad %g (expected 6, 4)", gb[j], gb2[j]);
  tg_zero_grad((tg_tensor *[]){ w, b, b2 }, 3);
  CHECK(tg_grad(w) == NULL && tg_grad(b) == NULL, "zero_grad clears");
  // a gradient of a realized loss graph that was built before: the loss keeps its graph
  CHECK(tg_backward(tg_sum(tg_mul(w, w), NULL, 0, false)) == 0 && tg_grad(b) == NULL && tg_grad(w), "%s", tg_error());

  // errors
  tg_tensor *it = tg_from_data((int32_t[]){ 1, 2 }, TG_INT32, TG_SHAPE(2));
  CHECK(tg_requires_grad(it, true) == NULL && tg_error() && strstr(tg_error(), "floating-point"), "int requires_grad: %s", tg_error());
  tg_clear_error();
  tg_tensor *xi = tg_from_data((float[]){ 1, 2 }, TG_FLOAT32, TG_SHAPE(2));
  CHECK(tg_backward(tg_mul(xi, xi)) == -1 && strstr(tg_error(), "one element"), "non-scalar loss: %s", tg_error());
  tg_clear_error();
  CHECK(tg_backward(tg_sum(xi, NULL, 0, false)) == -1 && strstr(tg_error(), "requires grad"), "nothing requires grad: %s", tg_error());
  tg_clear_error();
  w->grad = tg_ones(TG_SHAPE(4), TG_FLOAT32);                       // a grad that does not fit: an error, nothing changed
  CHECK(tg_backward(tg_sum(tg_mul(w, w), NULL, 0, false)) == -1 && strstr(tg_error(), "does not match"), "bad grad: %s", tg_error());
  tg_clear_error();
  w->grad = NULL;
  tg_tensor *gi;
  CHECK(tg_gradient(tg_sum(xi, NULL, 0, false), &it, 1, &gi) == -1, "gradient w.r.t. an int tensor");
  tg_clear_error();
  CHECK(tg_backward(NULL) == -1 && tg_requires_grad(NULL, true) == NULL && tg_detach(NULL) == NULL, "NULL inputs");
  tg_clear_error();
  // unused input: zeros from tg_gradient
  tg_tensor *gz;
  CHECK(tg_gradient(tg_sum(tg_mul(xi, xi), NULL, 0, false), &w, 1, &gz) == 0, "%s", tg_error());
  float zz[4];
  CHECK(tg_data(gz, zz, sizeof zz) == 0 && zz[0] == 0 && zz[3] == 0, "unused input gets zeros");
  tg_scope_end();
}

// A small MLP training step: forward + backward realized together run fewer kernels than the loss first
// and the gradients after (which recompute the forward), and nothing is realized before the call.
static void fusion_across_boundary(void) {
  tg_scope_begin();
  tg_manual_seed(3);
  tg_tensor *x = tg_realize(tg_randn(TG_SHAPE(16, 8), TG_FLOAT32));
  tg_tensor *y = tg_realize(tg_cast(tg_randint(TG_SHAPE(16), 0, 4, TG_INT32), TG_INT32));
  tg_tensor *p[4] = { tg_realize(tg_mul_s(tg_randn(TG_SHAPE(8, 16), TG_FLOAT32), 0.3)), tg_zeros(TG_SHAPE(16), TG_FLOAT32),
                      tg_realize(tg_mul_s(tg_randn(TG_SHAPE(16, 4), TG_FLOAT32), 0.3)), tg_zeros(TG_SHAPE(4), TG_FLOAT32) };
  for (int i = 0; i < 4; i++) tg_requires_grad(p[i], true);
  int64_t sep = 0, tog = 0;
  for (int round = 0; round < 2; round++) {
    tg_tensor *h = tg_relu(tg_add(tg_matmul(x, p[0]), p[1]));
    tg_tensor *loss = tg_cross_entropy(tg_add(tg_matmul(h, p[2]), p[3]), y, 0);
    tg_zero_grad(p, 4);
    CHECK(tg_backward(loss) == 0, "%s", tg_error());
    tg_tensor *out[5] = { loss, tg_grad(p[0]), tg_grad(p[1]), tg_grad(p[2]), tg_grad(p[3]) };
    int64_t k0 = eng_stats.kernels;
    if (round == 0) {
      CHECK(tg_realize(loss) && tg_realize_many(out + 1, 4) == 0, "%s", tg_error());
      sep = eng_stats.kernels - k0;
    } else {
      CHECK(tg_realize_many(out, 5) == 0, "%s", tg_error());
      tog = eng_stats.kernels - k0;
    }
  }
  printf("MLP step: %lld kernels realized separately, %lld together\n", (long long)sep, (long long)tog);
  CHECK(tog < sep, "forward+backward together: %lld kernels, separately %lld", (long long)tog, (long long)sep);
  tg_scope_end();
}

// ---- a few gradients against PyTorch (tests/autograd_ref.py computes the same losses) ----
static tg_tensor *sum_all(tg_tensor *t) { return tg_sum(t, NULL, 0, false); }
/* Convolutions whose gradients are convolutions too (tg_conv2d's custom gradient): a stride that leaves input
 * rows no window reaches, non-square kernels, dilation, groups, padding wider than the kernel, depthwise, a
 * transposed conv, and the second order (the gradient of a loss built from first-order gradients). */
static int conv_losses(tg_tensor **x, tg_tensor **g) {
  tg_tensor *a = tg_conv2d(x[0], x[1], x[2], 2, (int[]){ 2, 3 }, (int[]){ 1, 2 }, (int[]){ 2, 1 });
  tg_tensor *b = tg_conv2d(x[3], x[4], NULL, 1, (int[]){ 2, 2 }, (int[]){ 4, 4 }, NULL);
  tg_tensor *c = tg_conv2d(x[5], x[6], NULL, 4, (int[]){ 1, 2 }, (int[]){ 0, 1 }, (int[]){ 2, 2 });
  tg_tensor *d = tg_conv_transpose2d(x[7], x[8], x[9], 2, (int[]){ 2, 3 }, (int[]){ 1, 0 }, (int[]){ 1, 2 }, (int[]){ 1, 2 });
  tg_tensor *e = tg_conv2d(x[10], x[11], NULL, 2, (int[]){ 2, 1 }, (int[]){ 1, 0 }, (int[]){ 1, 2 }), *ge[2];
  int rc = tg_gradient(sum_all(tg_sin(e)), x + 10, 2, ge);
  tg_tensor *e2 = rc ? NULL : tg_add(sum_all(tg_mul(ge[0], ge[0])), sum_all(tg_sin(ge[1])));
  return rc | tg_gradient(sum_all(tg_sin(a)), x, 3, g) | tg_gradient(sum_all(tg_sin(b)), x + 3, 2, g + 3) |
         tg_gradient(sum_all(tg_sin(c)), x + 5, 2, g + 5) | tg_gradient(sum_all(tg_sin(d)), x + 7, 3, g + 7) |
         tg_gradient(e2, x + 10, 2, g + 10);
}
static void torch_comparison(void) {
  tg_scope_begin();
  static const In ins[] = { IN(ANY, 1, 4, 5, 4), IN(ANY, 4, 2, 2, 3), IN(ANY, 4), IN(ANY, 4, 5), IN(ANY, 1, 2, 5, 6),
                            IN(INT3, 6), IN(INT3, 6), IN(INT3, 2, 4), IN(ANY, 2, 3, 4), IN(ANY, 2, 3, 4), IN(ANY, 2, 3, 2),
                            // convolutions (see conv_losses)
                            IN(ANY, 2, 4, 8, 8), IN(ANY, 6, 2, 3, 2), IN(ANY, 6), IN(ANY, 1, 3, 10, 9), IN(ANY, 2, 3, 3, 3),
                            IN(ANY, 2, 4, 6, 7), IN(ANY, 4, 1, 2, 3), IN(ANY, 1, 4, 3, 4), IN(ANY, 4, 3, 3, 2), IN(ANY, 6),
                            IN(ANY, 1, 4, 6, 6), IN(ANY, 4, 2, 3, 2) };
  enum { N = sizeof ins / sizeof *ins };
  tg_tensor *x[N], *g[N];
  char path[] = "/tmp/tg_autograd_XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  CHECK(f, "mkstemp");
  if (!f) { tg_scope_end(); return; }
  int64_t total = 0;
  for (int i = 0; i < N; i++) {
    int64_t n = numel(&ins[i]);
    double *h = malloc((size_t)n * sizeof(double));
    for (int64_t j = 0; j < n; j++) fprintf(f, "%.17g\n", h[j] = draw(ins[i].dom));
    x[i] = tg_from_data(h, TG_FLOAT64, ins[i].shape, ins[i].ndim);
    free(h);
    total += n;
  }
  fclose(f);
  tg_tensor *conv = tg_conv2d(x[0], x[1], x[2], 2, (int[]){ 2, 1 }, (int[]){ 1, 2 }, (int[]){ 1, 2 });
  tg_tensor *tgt = tg_from_data((int64_t[]){ 1, 4, 0, 1 }, TG_INT64, TG_SHAPE(4));
  tg_tensor *pool = tg_add(sum_all(tg_sin(tg_max_pool2d(x[4], (int[]){ 3, 2 }, (int[]){ 1, 2 }, (int[]){ 1, 1 }))),
                           sum_all(tg_cos(tg_avg_pool2d(x[4], (int[]){ 2, 3 }, (int[]){ 2, 1 }, (int[]){ 1, 1 }))));
  tg_tensor *ties = tg_add(sum_all(tg_mul(tg_maximum(x[5], x[6]), tg_arange(1, 7, 1, TG_FLOAT64))),
                           sum_all(tg_mul(tg_max(x[7], A1, 1, false), tg_from_data((double[]){ 1, 2 }, TG_FLOAT64, TG_SHAPE(2)))));
  tg_tensor *attn = sum_all(tg_sin(tg_layernorm(tg_scaled_dot_product_attention(x[8], x[9], x[10], NULL, true), -1, 1e-5)));
  int rc = tg_gradient(sum_all(tg_sin(conv)), x, 3, g) | tg_gradient(tg_cross_entropy(x[3], tgt, 0.1), x + 3, 1, g + 3) |
           tg_gradient(pool, x + 4, 1, g + 4) | tg_gradient(ties, x + 5, 3, g + 5) | tg_gradient(attn, x + 8, 3, g + 8) |
           conv_losses(x + 11, g + 11);
  CHECK(rc == 0 && tg_realize_many(g, N) == 0, "%s", tg_error());
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/autograd_ref.py %s", TG_SOURCE_DIR, path);
  FILE *py = popen(cmd, "r");
  int64_t got = 0, bad = 0;
  for (int i = 0; i < N && py; i++) {
    int64_t n = numel(&ins[i]);
    double *mine = malloc((size_t)n * sizeof(double));
    read_f64(g[i], mine, n);
    for (int64_t j = 0; j < n; j++) {
      double ref;
      if (fscanf(py, "%lf", &ref) != 1) break;
      got++;
      test_checks++;
      if (!(fabs(mine[j] - ref) <= 1e-9 + 1e-7 * fabs(ref))) {
        test_failures++;
        if (bad++ < 6) fprintf(stderr, "FAIL torch comparison: input %d [%lld]: %.12g, torch %.12g\n", i, (long long)j, mine[j], ref);
      }
    }
    free(mine);
  }
  int st = py ? pclose(py) : -1;
  CHECK(st == 0 && got == total, "autograd_ref.py: exit status %d, %lld of %lld values (torch missing? install python3-torch)",
        st, (long long)got, (long long)total);
  remove(path);
  tg_scope_end();
}

int main(void) {
  finite_difference_checks();
  second_order();
  conv_gradient_graph();
  exact_rules();
  backward_api();
  fusion_across_boundary();
  torch_comparison();
  return test_finish("test_autograd");
}
