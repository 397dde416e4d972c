// Random tensor graphs for differential fuzzing: the same graph built on CPU and on INTERP must agree
#ifndef TG_GRAPHGEN_H
#define TG_GRAPHGEN_H
/* A graph is a seeded sequence of steps over a pool of values. Each step is a movement op (reshape, permute,
 * expand, pad with negative pads, shrink, flip, slice with steps), an elementwise op (add, sub, mul, maximum,
 * where, exp2, neg, comparisons, float32 <-> int32 casts) or a reduce (sum/max over random axes, keepdim,
 * often broadcast back against its input: x - x.max(axis) ...). The generator draws every choice from its own
 * RNG and decides only from shapes, dtypes and value bounds, so replaying a seed on another device builds the
 * same graph.
 *
 * Values stay exact where that matters: inputs are multiples of 1/4 (floats) or small integers, and each value
 * carries a bound on its magnitude and the number of fraction bits it needs. Values that fit in 24 bits are
 * exact in float32, so comparisons and float->int casts (the ops where a rounding difference would flip the
 * answer) only ever see exact values; exp2 makes a value inexact. Operands are clamped before an op could
 * overflow (int32 overflow is undefined in C), so no inf or NaN appears.
 *
 * To keep the C compiler's time down, gg_run_batch flattens the outputs of several graphs into one cat and
 * realizes it once: independent graphs fuse into few kernels. A mismatch re-runs that graph alone and prints it. */
#include "testlib.h"
#include "tinygrad.h"
#include "base/env.h"
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

enum { GG_MAXV = 24, GG_MAXD = 4, GG_DESC = 16384, GG_MAX_OUT = 128 };
#define GG_LIM 1048576.0        /* 2^20: bound of every value */
#define GG_INEXACT_LIM 8.0      /* inexact floats are kept small, so rounding differences stay below atol */

typedef struct { tg_tensor *t; double bound; int fbits; bool exact; } GVal;

typedef struct GraphGen {
  TestRng rng;
  const char *dev;
  GVal v[GG_MAXV];
  int nv;
  char desc[GG_DESC];
  int dlen;
  int ninputs;                 // inputs made since the count was last reset (a kernel reads at most 64 buffers)
} GraphGen;

static int64_t gg_r(GraphGen *g, int64_t lo, int64_t hi) { return rng_range(&g->rng, lo, hi); }
static bool gg_p(GraphGen *g, double p) { return rng_unit(&g->rng) < p; }

static void gg_log(GraphGen *g, const char *fmt, ...) {
  if (g->dlen >= GG_DESC - 256) return;
  va_list ap;
  va_start(ap, fmt);
  g->dlen += vsnprintf(g->desc + g->dlen, (size_t)(GG_DESC - g->dlen), fmt, ap);
  va_end(ap);
}

static bool gg_isf(const tg_tensor *t) { return tg_get_dtype(t) == TG_FLOAT32; }
static const char *gg_shape_str(const tg_tensor *t, char *buf, size_t n) {
  int k = snprintf(buf, n, "(");
  for (int i = 0; i < tg_ndim(t); i++) k += snprintf(buf + k, n - (size_t)k, "%s%lld", i ? "," : "", (long long)tg_dim(t, i));
  snprintf(buf + k, n - (size_t)k, ")");
  return buf;
}
static int gg_bits(double bound) { int b = 0; while (b < 64 && ldexp(1, b) <= bound) b++; return b; }

// records value t as the next pool entry and logs "vN = <what>"
static int gg_push(GraphGen *g, tg_tensor *t, double bound, int fbits, bool exact, const char *fmt, ...) {
  if (!t) {
    fprintf(stderr, "graphgen: building the graph failed: %s\n%s", tg_error(), g->desc);
    abort();
  }
  if (!gg_isf(t)) { fbits = 0; exact = true; }
  exact = exact && gg_bits(bound) + fbits <= 24;
  int i = g->nv < GG_MAXV ? g->nv++ : GG_MAXV - 1;
  g->v[i] = (GVal){ t, bound, fbits, exact };
  char s[96];
  gg_log(g, "  v%d = ", i);
  va_list ap;
  va_start(ap, fmt);
  if (g->dlen < GG_DESC - 256) g->dlen += vsnprintf(g->desc + g->dlen, (size_t)(GG_DESC - g->dlen), fmt, ap);
  va_end(ap);
  gg_log(g, "   -> %s %s |v|<=%g%s\n", gg_shape_str(t, s, sizeof s), gg_isf(t) ? "f32" : "i32", bound, exact ? "" : " inexact");
  return i;
}

static void gg_rand_shape(GraphGen *g, int64_t *sh, int *nd) {
  *nd = (int)gg_r(g, 1, GG_MAXD);
  for (int i = 0; i < *nd; i++) sh[i] = gg_p(g, 0.25) ? 1 : gg_r(g, 1, 6);
}

static int gg_input(GraphGen *g, const int64_t *sh, int nd, bool isf) {
  int64_t n = 1;
  for (int i = 0; i < nd; i++) n *= sh[i];
  tg_tensor *t;
  if (isf) {
    float *d = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) d[i] = (float)gg_r(g, -8, 8) / 4.0f;
    t = tg_from_data(d, TG_FLOAT32, sh, nd);
    free(d);
  } else {
    int32_t *d = malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) d[i] = (int32_t)gg_r(g, -5, 5);
    t = tg_from_data(d, TG_INT32, sh, nd);
    free(d);
  }
  if (t && strcmp(g->dev, "CPU") != 0) t = tg_to(t, g->dev);
  g->ninputs++;
  return gg_push(g, t, isf ? 2 : 5, isf ? 2 : 0, true, "input");
}

// clamp v to [-lim, lim] when its bound is larger; returns the index of the (maybe new) value
static int gg_fit(GraphGen *g, int a, double lim) {
  if (!g->v[a].exact && gg_isf(g->v[a].t) && lim > GG_INEXACT_LIM) lim = GG_INEXACT_LIM;
  if (g->v[a].bound <= lim) return a;
  GVal x = g->v[a];
  return gg_push(g, tg_clamp(x.t, -lim, lim), lim, x.fbits, x.exact, "clamp(v%d, %g)", a, lim);
}

// a value whose shape broadcasts to a's shape: a scalar (-1), a fresh input, or a pool value
static int gg_operand(GraphGen *g, int a, bool need_exact) {
  const tg_tensor *t = g->v[a].t;
  int nd = tg_ndim(t);
  int choice = (int)gg_r(g, 0, 9);
  if (choice < 3) return -1;
  if (choice < 6) {
    for (int tries = 0; tries < 8; tries++) {
      int b = (int)gg_r(g, 0, g->nv - 1);
      const tg_tensor *u = g->v[b].t;
      if (b == a || tg_ndim(u) > nd || (need_exact && !g->v[b].exact)) continue;
      bool ok = true;
      for (int i = 0; i < tg_ndim(u); i++) {
        int64_t d = tg_dim(u, tg_ndim(u) - 1 - i);
        ok &= d == 1 || d == tg_dim(t, nd - 1 - i);
      }
      if (ok) return b;
    }
  }
  int64_t sh[GG_MAXD];
  int drop = gg_p(g, 0.2) ? (int)gg_r(g, 0, nd - 1) : 0;
  for (int i = drop; i < nd; i++) sh[i - drop] = gg_p(g, 0.3) ? 1 : tg_dim(t, i);
  return gg_input(g, sh, nd - drop, gg_p(g, 0.6));
}

typedef enum { GB_ADD, GB_SUB, GB_MUL, GB_MAX } GBin;
static const char *gb_name[] = { "add", "sub", "mul", "maximum" };

static int gg_binary(GraphGen *g, int a, GBin op, int b, int scalar) {
  double lim = op == GB_MUL ? 1024 : GG_LIM / 2;
  a = gg_fit(g, a, lim);
  if (b >= 0) b = gg_fit(g, b, lim);
  GVal x = g->v[a], y = b >= 0 ? g->v[b] : (GVal){ NULL, fabs((double)scalar), 0, true };
  tg_tensor *r;
  if (b >= 0) r = op == GB_ADD ? tg_add(x.t, y.t) : op == GB_SUB ? tg_sub(x.t, y.t) : op == GB_MUL ? tg_mul(x.t, y.t) : tg_maximum(x.t, y.t);
  else r = op == GB_ADD ? tg_add_s(x.t, scalar) : op == GB_SUB ? tg_sub_s(x.t, scalar) : op == GB_MUL ? tg_mul_s(x.t, scalar) : tg_maximum_s(x.t, scalar);
  double bound = op == GB_MUL ? x.bound * y.bound : op == GB_MAX ? fmax(x.bound, y.bound) : x.bound + y.bound;
  int fbits = op == GB_MUL ? x.fbits + y.fbits : (x.fbits > y.fbits ? x.fbits : y.fbits);
  if (b >= 0) return gg_push(g, r, bound, fbits, x.exact && y.exact, "%s(v%d, v%d)", gb_name[op], a, b);
  return gg_push(g, r, bound, fbits, x.exact, "%s(v%d, %d)", gb_name[op], a, scalar);
}

static const char *cmp_name[] = { "lt", "le", "gt", "ge", "eq", "ne" };
static tg_tensor *gg_cmp(int op, tg_tensor *a, tg_tensor *b, double s) {
  tg_tensor *(*f[])(tg_tensor *, tg_tensor *) = { tg_lt, tg_le, tg_gt, tg_ge, tg_eq, tg_ne };
  tg_tensor *(*fs[])(tg_tensor *, double) = { tg_lt_s, tg_le_s, tg_gt_s, tg_ge_s, tg_eq_s, tg_ne_s };
  return b ? f[op](a, b) : fs[op](a, s);
}

// comparison of exact values, then where(...) or a cast of the bool to f32/i32
static int gg_compare(GraphGen *g, int a) {
  if (!g->v[a].exact) return -1;
  int b = gg_operand(g, a, true), op = (int)gg_r(g, 0, 5), s = (int)gg_r(g, -2, 2);
  tg_tensor *bt = b >= 0 ? g->v[b].t : NULL;
  tg_tensor *c = gg_cmp(op, g->v[a].t, bt, s);
  char rhs[16];
  if (b >= 0) snprintf(rhs, sizeof rhs, "v%d", b); else snprintf(rhs, sizeof rhs, "%d", s);
  int how = (int)gg_r(g, 0, 2);
  if (how == 2) {
    int y = gg_operand(g, a, false), ys = (int)gg_r(g, -3, 3);
    GVal x = g->v[a];
    if (y >= 0) {
      GVal yv = g->v[y];
      return gg_push(g, tg_where(c, x.t, yv.t), fmax(x.bound, yv.bound), x.fbits > yv.fbits ? x.fbits : yv.fbits, x.exact && yv.exact,
                     "where(%s(v%d, %s), v%d, v%d)", cmp_name[op], a, rhs, a, y);
    }
    tg_tensor *yt = tg_full_like(x.t, ys);
    return gg_push(g, tg_where(c, x.t, yt), fmax(x.bound, (double)abs(ys)), x.fbits, x.exact, "where(%s(v%d, %s), v%d, %d)", cmp_name[op], a, rhs, a, ys);
  }
  return gg_push(g, tg_cast(c, how ? TG_FLOAT32 : TG_INT32), 1, 0, true, "cast(%s(v%d, %s), %s)", cmp_name[op], a, rhs, how ? "f32" : "i32");
}

static void gg_perm(GraphGen *g, int *p, int n) {
  for (int i = 0; i < n; i++) p[i] = i;
  for (int i = n - 1; i > 0; i--) { int j = (int)gg_r(g, 0, i), t = p[i]; p[i] = p[j]; p[j] = t; }
}

static int gg_movement(GraphGen *g, int a) {
  GVal x = g->v[a];
  tg_tensor *t = x.t;
  int nd = tg_ndim(t);
  int64_t sh[2 * GG_MAXD + 2];
  char s[160];
  int k = 0;
  switch (gg_r(g, 0, 7)) {
  case 0: {                                   // reshape: merge two dims, split one, or add/remove a 1
    int n = 0, kind = (int)gg_r(g, 0, 3);
    int i = (int)gg_r(g, 0, nd - 1);
    for (int j = 0; j < nd; j++) sh[j] = tg_dim(t, j);
    n = nd;
    if (kind == 0 && nd > 1 && i < nd - 1) {
      sh[i] *= sh[i + 1];
      for (int j = i + 1; j < nd - 1; j++) sh[j] = sh[j + 1];
      n--;
    } else if (kind == 1 && nd < GG_MAXD) {
      int64_t d = sh[i], f = 1;
      for (int64_t c = 2; c <= d; c++) if (d % c == 0 && gg_p(g, 0.5)) { f = c; break; }
      for (int j = nd; j > i + 1; j--) sh[j] = sh[j - 1];
      sh[i] = f; sh[i + 1] = d / f; n++;
    } else if (kind == 2 && nd < GG_MAXD) {
      for (int j = nd; j > i; j--) sh[j] = sh[j - 1];
      sh[i] = 1; n++;
    } else if (nd > 1) {
      int one = -1;
      for (int j = 0; j < nd; j++) if (sh[j] == 1) one = j;
      if (one < 0) return -1;
      for (int j = one; j < nd - 1; j++) sh[j] = sh[j + 1];
      n--;
    } else return -1;
    for (int j = 0; j < n; j++) k += snprintf(s + k, sizeof s - (size_t)k, "%s%lld", j ? "," : "", (long long)sh[j]);
    return gg_push(g, tg_reshape(t, sh, n), x.bound, x.fbits, x.exact, "reshape(v%d, (%s))", a, s);
  }
  case 1: {
    int p[GG_MAXD];
    gg_perm(g, p, nd);
    for (int j = 0; j < nd; j++) k += snprintf(s + k, sizeof s - (size_t)k, "%s%d", j ? "," : "", p[j]);
    return gg_push(g, tg_permute(t, p, nd), x.bound, x.fbits, x.exact, "permute(v%d, (%s))", a, s);
  }
  case 2: {                                   // expand the size-1 dims (adding one in front when there is none)
    int n = nd;
    for (int j = 0; j < nd; j++) sh[j] = tg_dim(t, j);
    bool any = false;
    for (int j = 0; j < nd; j++) any |= sh[j] == 1;
    if (!any) {
      if (nd >= GG_MAXD) return -1;
      for (int j = nd; j > 0; j--) sh[j] = sh[j - 1];
      sh[0] = 1; n++;
      t = tg_reshape(t, sh, n);
    }
    for (int j = 0; j < n; j++) if (sh[j] == 1) sh[j] = gg_r(g, 1, 5);
    for (int j = 0; j < n; j++) k += snprintf(s + k, sizeof s - (size_t)k, "%s%lld", j ? "," : "", (long long)sh[j]);
    return gg_push(g, tg_expand(t, sh, n), x.bound, x.fbits, x.exact, "expand(v%d, (%s))", a, s);
  }
  case 3: {                                   // pad, negative pads trim
    int64_t pv = gg_p(g, 0.7) ? 0 : gg_r(g, -2, 2);
    for (int j = 0; j < nd; j++) {
      int64_t d = tg_dim(t, j), b = gg_r(g, -1, 2), e = gg_r(g, -1, 2);
      if (d + b + e < 1) b = e = 0;
      sh[2 * j] = b; sh[2 * j + 1] = e;
      k += snprintf(s + k, sizeof s - (size_t)k, "%s(%lld,%lld)", j ? "," : "", (long long)b, (long long)e);
    }
    return gg_push(g, tg_pad(t, sh, 2 * nd, (double)pv), fmax(x.bound, fabs((double)pv)), x.fbits, x.exact, "pad(v%d, (%s), %lld)", a, s, (long long)pv);
  }
  case 4: {
    for (int j = 0; j < nd; j++) {
      int64_t d = tg_dim(t, j), b = gg_r(g, 0, d - 1), e = gg_r(g, b + 1, d);
      sh[2 * j] = b; sh[2 * j + 1] = e;
      k += snprintf(s + k, sizeof s - (size_t)k, "%s(%lld,%lld)", j ? "," : "", (long long)b, (long long)e);
    }
    return gg_push(g, tg_shrink(t, sh, 2 * nd), x.bound, x.fbits, x.exact, "shrink(v%d, (%s))", a, s);
  }
  case 5: {
    int ax[GG_MAXD], n = 0;
    for (int j = 0; j < nd; j++) if (gg_p(g, 0.5)) ax[n++] = j;
    if (!n) ax[n++] = (int)gg_r(g, 0, nd - 1);
    for (int j = 0; j < n; j++) k += snprintf(s + k, sizeof s - (size_t)k, "%s%d", j ? "," : "", ax[j]);
    return gg_push(g, tg_flip(t, ax, n), x.bound, x.fbits, x.exact, "flip(v%d, (%s))", a, s);
  }
  default: {                                  // python slice with a step (negative steps too)
    int ax = (int)gg_r(g, 0, nd - 1);
    int64_t d = tg_dim(t, ax), step = gg_r(g, 1, 3) * (gg_p(g, 0.3) ? -1 : 1);
    int64_t start = gg_r(g, -d, d - 1), stop = gg_p(g, 0.3) ? INT64_MAX : gg_r(g, -d, d);
    tg_tensor *r = tg_slice(t, ax, start, stop, step);
    if (r && tg_numel(r) == 0) return -1;      // empty slices are legal but make no kernel to test
    if (stop == INT64_MAX) snprintf(s, sizeof s, "%lld::%lld", (long long)start, (long long)step);
    else snprintf(s, sizeof s, "%lld:%lld:%lld", (long long)start, (long long)stop, (long long)step);
    return gg_push(g, r, x.bound, x.fbits, x.exact, "slice(v%d, axis %d, %s)", a, ax, s);
  }
  }
}

static int gg_reduce(GraphGen *g, int a) {
  const tg_tensor *t = g->v[a].t;
  int nd = tg_ndim(t), axes[GG_MAXD], n = 0;
  for (int j = 0; j < nd; j++) if (gg_p(g, 0.4)) axes[n++] = j;
  if (!n) axes[n++] = (int)gg_r(g, 0, nd - 1);
  int64_t cnt = 1;
  for (int j = 0; j < n; j++) cnt *= tg_dim(t, axes[j]);
  bool is_sum = gg_p(g, 0.5), back = gg_p(g, 0.5), keep = back || gg_p(g, 0.5) || n == nd;   // no 0-d values
  if (is_sum) a = gg_fit(g, a, GG_LIM / 2 / (double)cnt);
  GVal x = g->v[a];
  char s[32];
  int k = 0;
  for (int j = 0; j < n; j++) k += snprintf(s + k, sizeof s - (size_t)k, "%s%d", j ? "," : "", axes[j]);
  tg_tensor *r = is_sum ? tg_sum(x.t, axes, n, keep) : tg_max(x.t, axes, n, keep);
  if (r && !gg_isf(r) && tg_get_dtype(r) != TG_INT32) r = tg_cast(r, TG_INT32);    // int sums are int64
  int ri = gg_push(g, r, is_sum ? x.bound * (double)cnt : x.bound, x.fbits, x.exact, "%s(v%d, axes (%s), keepdim %d)", is_sum ? "sum" : "max", a, s, keep);
  if (!back) return ri;
  int how = (int)gg_r(g, 0, 4);               // broadcast back against the input: x - x.max(axis) ...
  if (how == 4) {
    if (!g->v[a].exact || !g->v[ri].exact) return ri;
    tg_tensor *c = tg_lt(g->v[a].t, g->v[ri].t);
    return gg_push(g, tg_cast(c, TG_FLOAT32), 1, 0, true, "cast(lt(v%d, v%d), f32)", a, ri);
  }
  return gg_binary(g, a, how == 0 ? GB_SUB : how == 1 ? GB_ADD : how == 2 ? GB_MUL : GB_MAX, ri, 0);
}

static int gg_unary(GraphGen *g, int a) {
  GVal x = g->v[a];
  switch (gg_r(g, 0, 3)) {
  case 0: return gg_push(g, tg_neg(x.t), x.bound, x.fbits, x.exact, "neg(v%d)", a);
  case 1: {
    if (!gg_isf(x.t)) return -1;
    a = gg_fit(g, a, 3);
    x = g->v[a];
    return gg_push(g, tg_exp2(x.t), exp2(x.bound), 24, false, "exp2(v%d)", a);
  }
  default:
    if (gg_isf(x.t)) {
      if (!x.exact) return -1;                // truncation would magnify a rounding difference
      return gg_push(g, tg_cast(x.t, TG_INT32), floor(x.bound), 0, true, "cast(v%d, i32)", a);
    }
    return gg_push(g, tg_cast(x.t, TG_FLOAT32), x.bound, 0, true, "cast(v%d, f32)", a);
  }
}

// one random step on the pool; returns the new value's index, or -1 when the chosen op did not apply
static int gg_step(GraphGen *g) {
  int a = gg_p(g, 0.6) ? g->nv - 1 : (int)gg_r(g, 0, g->nv - 1);
  int kind = (int)gg_r(g, 0, 99);
  if (kind < 35) return gg_movement(g, a);
  if (kind < 60) {
    int b = gg_operand(g, a, false);
    return gg_binary(g, a, (GBin)gg_r(g, 0, 3), b, (int)gg_r(g, -3, 3));
  }
  if (kind < 70) return gg_compare(g, a);
  if (kind < 80) return gg_unary(g, a);
  if (kind < 97) return gg_reduce(g, a);
  GVal x = g->v[a];
  if (kind < 99) return gg_push(g, tg_contiguous(x.t), x.bound, x.fbits, x.exact, "contiguous(v%d)", a);
  if (!tg_realize(x.t)) return gg_push(g, NULL, 0, 0, false, "realize");
  gg_log(g, "  realize(v%d)\n", a);
  return a;
}

// Build graph `seed` on device dev; its outputs (1 or 2 pool values) go to outs. Returns the output count.
static int gg_build(GraphGen *g, uint64_t seed, const char *dev, int *outs) {
  g->rng.s = seed * 0x9E3779B97F4A7C15ULL + 1;
  g->dev = dev;
  g->nv = 0;
  g->dlen = 0;
  g->desc[0] = 0;
  int64_t sh[GG_MAXD];
  int nd;
  gg_rand_shape(g, sh, &nd);
  gg_input(g, sh, nd, gg_p(g, 0.7));
  int steps = (int)gg_r(g, 2, 7);
  for (int i = 0; i < steps && g->nv < GG_MAXV - 6; i++)
    if (gg_step(g) < 0) i--;               // ops that do not apply draw again (they consumed rng: still deterministic)
  outs[0] = g->nv - 1;
  if (g->nv > 2 && gg_p(g, 0.15)) { outs[1] = (int)gg_r(g, 1, g->nv - 2); return 2; }
  return 1;
}

// ---- running and comparing ----
typedef struct { int64_t off, n; bool isf; int graph; } GOut;

// Build graphs first.. on dev, flatten every output to float32 and realize them as one cat. Takes up to n graphs,
// fewer when their inputs would exceed what one kernel may read; *taken says how many (the same on every device).
// Fills meta with each output's place; returns the values (malloc'd), NULL on error.
static float *gg_run(GraphGen *g, uint64_t seed0, int first, int n, const char *dev, GOut *meta, int *nmeta, int *taken) {
  tg_tensor *parts[GG_MAX_OUT];
  int np = 0, i;
  int64_t off = 0;
  g->ninputs = 0;
  for (i = 0; i < n && g->ninputs < 40; i++) {
    int outs[2];
    int no = gg_build(g, seed0 + (uint64_t)(first + i), dev, outs);
    if (env_or("FUZZ_PRINT", 0)) fprintf(stderr, "graph %d on %s:\n%s", first + i, dev, g->desc);   // before a crash
    for (int k = 0; k < no && np < GG_MAX_OUT; k++) {
      tg_tensor *t = g->v[outs[k]].t;
      meta[np] = (GOut){ off, tg_numel(t), gg_isf(t), first + i };
      off += tg_numel(t);
      parts[np++] = tg_cast(tg_reshape(t, (int64_t[]){ -1 }, 1), TG_FLOAT32);
    }
  }
  *taken = i;
  *nmeta = np;
  tg_tensor *all = np == 1 ? parts[0] : tg_cat(parts, np, 0);
  float *out = malloc((size_t)(off ? off : 1) * sizeof(float));
  if (!all || tg_data(all, out, (size_t)off * sizeof(float)) != 0) {
    fprintf(stderr, "graphgen: realizing on %s failed: %s\n", dev, tg_error() ? tg_error() : "?");
    free(out);
    return NULL;
  }
  return out;
}

static bool gg_same(const float *a, const float *b, const GOut *m, int *where) {
  for (int64_t i = 0; i < m->n; i++) {
    double x = a[m->off + i], y = b[m->off + i];
    bool ok = m->isf ? fabs(x - y) <= 1e-5 + 1e-4 * fabs(y) : x == y;
    if (!ok) { *where = (int)i; return false; }
  }
  return true;
}

// Runs one graph alone on both devices; on a mismatch prints it, and its CPU kernels with DEBUG=4.
static bool gg_check_one(GraphGen *g, uint64_t seed0, int idx, bool verbose) {
  GOut mc[4], mi[4];
  int nc, ni;
  tg_scope_begin();
  int tk;
  float *rc = gg_run(g, seed0, idx, 1, "CPU", mc, &nc, &tk);
  float *ri = gg_run(g, seed0, idx, 1, "INTERP", mi, &ni, &tk);
  bool ok = rc && ri;
  for (int k = 0; ok && k < nc; k++) {
    int w;
    if (!gg_same(rc, ri, &mc[k], &w)) {
      ok = false;
      fprintf(stderr, "graph %d (seed %llu): output %d differs at flat index %d: CPU %.9g INTERP %.9g\n", idx,
              (unsigned long long)(seed0 + (uint64_t)idx), k, w, rc[mc[k].off + w], ri[mc[k].off + w]);
    }
  }
  tg_scope_end();
  if (!ok && verbose) {
    fprintf(stderr, "graph %d:\n%s", idx, g->desc);
    fprintf(stderr, "-- its CPU kernels (DEBUG=4):\n");
    int tok = env_push("DEBUG", "4");
    tg_scope_begin();
    GOut m[4];
    int nm;
    free(gg_run(g, seed0, idx, 1, "CPU", m, &nm, &tk));
    tg_scope_end();
    env_pop(tok);
  }
  free(rc); free(ri);
  return ok;
}

// Runs up to n graphs from `first` batched on both devices; adds the number that failed to *bad, returns how many ran.
static int gg_run_batch(GraphGen *g, uint64_t seed0, int first, int n, int *bad) {
  GOut mc[GG_MAX_OUT], mi[GG_MAX_OUT];
  int nc, ni, tc, ti, nbad = 0;
  tg_scope_begin();
  float *rc = gg_run(g, seed0, first, n, "CPU", mc, &nc, &tc);
  float *ri = gg_run(g, seed0, first, n, "INTERP", mi, &ni, &ti);
  tg_scope_end();
  bool batch_ok = rc && ri && nc == ni && tc == ti;
  for (int k = 0; batch_ok && k < nc;) {
    int gi = mc[k].graph, w;
    bool ok = true;
    for (; k < nc && mc[k].graph == gi; k++) ok &= gg_same(rc, ri, &mc[k], &w);
    if (ok) continue;
    nbad++;
    if (gg_check_one(g, seed0, gi, true)) fprintf(stderr, "graph %d fails only when batched with graphs %d..%d\n", gi, first, first + tc - 1);
  }
  if (!batch_ok) {                            // find the graph that broke the batch
    for (int i = 0; i < tc; i++) if (!gg_check_one(g, seed0, first + i, true)) nbad++;
    if (!nbad) { fprintf(stderr, "batch %d..%d failed, each graph alone passes\n", first, first + tc - 1); nbad = 1; }
  }
  free(rc); free(ri);
  *bad += nbad;
  return tc;
}
#endif
