// Reductions: sum, prod, max, min, mean, var, std, any, all, arg-reductions, cumsum, logsumexp, softmax
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include <math.h>
#include <string.h>

typedef struct { int axes[TG_MAX_DIMS]; int n; bool all; } Axes;

static bool norm_axes(const char *fn, const tg_tensor *t, const int *axes, int naxes, Axes *out) {
  memset(out, 0, sizeof *out);
  if (naxes == 0 || !axes) {
    for (int i = 0; i < t->ndim; i++) out->axes[i] = i;
    out->n = t->ndim;
    out->all = true;
    return true;
  }
  bool seen[TG_MAX_DIMS] = { 0 };
  for (int i = 0; i < naxes; i++) {
    int a = t_norm_axis(fn, t, axes[i], false);
    if (a < 0) return false;
    if (t->ndim == 0) continue;
    if (seen[a]) { tg_set_error("%s: axis %d repeated", fn, axes[i]); return false; }
    seen[a] = true;
    out->axes[out->n++] = a;
  }
  return true;
}

static tg_tensor *finish(UOp *u, const tg_tensor *t, const Axes *ax, bool keepdim) {
  tg_tensor *r = tensor_wrap(u, t->dev);
  if (keepdim) return r;
  int64_t sh[TG_MAX_DIMS];
  int k = 0;
  for (int i = 0; i < t->ndim; i++) {
    bool reduced = false;
    for (int j = 0; j < ax->n; j++) reduced |= ax->axes[j] == i;
    if (!reduced) sh[k++] = t->shape[i];
  }
  return tg_reshape(r, sh, k);
}

static tg_tensor *reduce(const char *fn, tg_tensor *t, Op op, const int *axes, int naxes, bool keepdim, ScalarType acc) {
  Axes ax;
  if (!t_check_inputs(fn, 1, t) || !norm_axes(fn, t, axes, naxes, &ax)) return NULL;
  UOp *u = t_cast(t->uop, acc);
  for (int i = 0; i < ax.n; i++)        // reducing an empty axis gives the identity: pad to one element
    if (t->shape[ax.axes[i]] == 0) {
      double id = op == OP_ADD ? 0 : op == OP_MUL ? 1 : st_is_float(acc) ? -INFINITY : (double)st_min(acc);
      int64_t sh[TG_MAX_DIMS];
      memcpy(sh, t->shape, sizeof sh);
      for (int j = 0; j < ax.n; j++) sh[ax.axes[j]] = 1;
      return finish(t_const(id, acc, sh, t->ndim), t, &ax, keepdim);
    }
  return finish(t_reduce(u, op, ax.axes, ax.n), t, &ax, keepdim);
}

// torch: sums and products of bool and integer tensors accumulate in int64
static ScalarType sum_dtype(ScalarType s) { return (s == DT_BOOL || st_is_int(s)) ? DT_INT64 : s; }

tg_tensor *tg_sum(tg_tensor *t, const int *axes, int naxes, bool keepdim) {
  return t ? reduce("tg_sum", t, OP_ADD, axes, naxes, keepdim, sum_dtype(t->dtype)) : reduce("tg_sum", t, OP_ADD, axes, naxes, keepdim, DT_FLOAT32);
}
tg_tensor *tg_prod(tg_tensor *t, const int *axes, int naxes, bool keepdim) {
  return reduce("tg_prod", t, OP_MUL, axes, naxes, keepdim, t ? sum_dtype(t->dtype) : DT_FLOAT32);
}
// max and min have no identity: reducing an empty axis is an error, as torch (any/all reduce with max internally)
static bool nonempty_axes(const char *fn, const tg_tensor *t, const int *axes, int naxes) {
  Axes ax;
  if (!t_check_inputs(fn, 1, t) || !norm_axes(fn, t, axes, naxes, &ax)) return false;
  for (int i = 0; i < ax.n; i++)
    if (t->shape[ax.axes[i]] == 0) {
      char s[256];
      shape_str(t->shape, t->ndim, s, sizeof s);
      tg_set_error("%s: reducing the empty axis %d of shape %s (no identity)", fn, ax.axes[i], s);
      return false;
    }
  return true;
}
static tg_tensor *max_reduce(tg_tensor *t, const int *axes, int naxes, bool keepdim) {
  return reduce("tg_max", t, OP_MAX, axes, naxes, keepdim, t ? t->dtype : DT_FLOAT32);
}
tg_tensor *tg_max(tg_tensor *t, const int *axes, int naxes, bool keepdim) {
  return nonempty_axes("tg_max", t, axes, naxes) ? max_reduce(t, axes, naxes, keepdim) : NULL;
}
tg_tensor *tg_min(tg_tensor *t, const int *axes, int naxes, bool keepdim) {
  if (!nonempty_axes("tg_min", t, axes, naxes)) return NULL;
  if (t->dtype == DT_BOOL) return tg_logical_not(tg_max(tg_logical_not(t), axes, naxes, keepdim));
  if (st_is_unsigned(t->dtype)) {       // min(x) = ~max(~x) for unsigned
    tg_tensor *m = tg_max(tg_bitwise_xor(t, tg_cast(t_scalar_like(t, -1), (tg_dtype)t->dtype)), axes, naxes, keepdim);
    return tg_bitwise_xor(m, tg_cast(t_scalar_like(t, -1), (tg_dtype)t->dtype));
  }
  return tg_neg(tg_max(tg_neg(t), axes, naxes, keepdim));
}
tg_tensor *tg_any(tg_tensor *t, const int *axes, int naxes, bool keepdim) { return max_reduce(tg_cast(t, TG_BOOL), axes, naxes, keepdim); }
tg_tensor *tg_all(tg_tensor *t, const int *axes, int naxes, bool keepdim) { return tg_logical_not(tg_any(tg_logical_not(t), axes, naxes, keepdim)); }

static int64_t reduced_count(const tg_tensor *t, const int *axes, int naxes) {   // a dimension (symbolic or not)
  Axes ax;
  if (!norm_axes("count", t, axes, naxes, &ax)) return -1;
  int64_t n = 1;
  for (int i = 0; i < ax.n; i++) n = dim_mul(n, t->shape[ax.axes[i]]);
  return n;
}

tg_tensor *tg_mean(tg_tensor *t, const int *axes, int naxes, bool keepdim) {
  if (!t_check_inputs("tg_mean", 1, t)) return NULL;
  tg_tensor *x = st_is_float(t->dtype) ? t : tg_cast(t, TG_FLOAT32);
  int64_t n = reduced_count(t, axes, naxes);
  if (n == -1) return NULL;
  tg_tensor *s = tg_sum(x, axes, naxes, keepdim);
  if (dim_is_sym(n)) return tg_div(s, t_dim_scalar(n, s));    // a count known at launch
  return tg_div_s(s, n ? (double)n : NAN);
}

tg_tensor *tg_var(tg_tensor *t, const int *axes, int naxes, bool keepdim, double correction) {
  if (!t_check_inputs("tg_var", 1, t)) return NULL;
  int64_t n = reduced_count(t, axes, naxes);
  if (n < 0) return NULL;
  tg_tensor *x = st_is_float(t->dtype) ? t : tg_cast(t, TG_FLOAT32);
  tg_tensor *d = tg_sub(x, tg_mean(x, axes, naxes, true));
  double denom = (double)n - correction;
  return tg_div_s(tg_sum(tg_mul(d, d), axes, naxes, keepdim), denom > 0 ? denom : NAN);
}
tg_tensor *tg_std(tg_tensor *t, const int *axes, int naxes, bool keepdim, double correction) {
  return tg_sqrt(tg_var(t, axes, naxes, keepdim, correction));
}

// argmax: the first index of the maximum, as torch: max over (is_max ? n - i : 0), then n - that
static tg_tensor *arg_reduce(const char *fn, tg_tensor *t, int axis, bool keepdim, bool is_min) {
  if (!t_check_inputs(fn, 1, t)) return NULL;
  tg_tensor *x = t;
  int a;
  if (t->ndim == 0) { x = tg_reshape(t, TG_SHAPE(1)); a = 0; }
  else if ((a = t_norm_axis(fn, t, axis, false)) < 0) return NULL;
  if (!t_check_concrete(fn, x, a)) return NULL;
  int64_t n = x->shape[a];
  if (n == 0) { tg_set_error("%s: reducing an empty axis", fn); return NULL; }
  tg_tensor *m = is_min ? tg_min(x, &a, 1, true) : tg_max(x, &a, 1, true);
  tg_tensor *hit = tg_bitwise_or(tg_eq(x, m), tg_bitwise_and(tg_isnan(x), tg_isnan(m)));
  int64_t sh[TG_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) sh[i] = i == a ? n : 1;
  tg_tensor *rev = tg_reshape(t_arange_on(x, (double)n, -1, n, TG_INT64), sh, x->ndim);   // n, n-1, ..., 1
  tg_tensor *best = tg_max(tg_where(hit, rev, tg_zeros_like(rev)), &a, 1, keepdim && t->ndim > 0);
  tg_tensor *r = tg_rsub_s(best, (double)n);
  return t->ndim == 0 ? tg_reshape(r, NULL, 0) : r;
}
tg_tensor *tg_argmax(tg_tensor *t, int axis, bool keepdim) { return arg_reduce("tg_argmax", t, axis, keepdim, false); }
tg_tensor *tg_argmin(tg_tensor *t, int axis, bool keepdim) { return arg_reduce("tg_argmin", t, axis, keepdim, true); }

// cumsum as tinygrad: pad the axis on the left and sum a sliding window (one reduce kernel)
tg_tensor *tg_cumsum(tg_tensor *t, int axis) {
  if (!t_check_inputs("tg_cumsum", 1, t)) return NULL;
  if (t->ndim == 0) return tg_add_s(t, 0);
  int a = t_norm_axis("tg_cumsum", t, axis, false);
  if (a < 0 || !t_check_concrete("tg_cumsum", t, a)) return NULL;
  int64_t n = t->shape[a];
  if (n == 0) return tg_cast(t, (tg_dtype)sum_dtype(t->dtype));
  int last = t->ndim - 1;
  tg_tensor *x = tg_transpose(t, a, last);                       // work on the last axis
  int64_t pads[2 * TG_MAX_DIMS] = { 0 };
  pads[2 * last] = n - 1;
  x = tg_pad(x, pads, 2 * t->ndim, 0);                           // (..., 2n-1)
  // window view: (..., n, n) with w[i, j] = x[i + j]: expand to (n, 2n-1)... flatten, shrink, reshape
  int64_t sh[TG_MAX_DIMS + 1];
  memcpy(sh, x->shape, sizeof(int64_t) * (size_t)last);
  sh[last] = 1; sh[last + 1] = 2 * n - 1;
  x = tg_reshape(x, sh, last + 2);
  sh[last] = n;
  x = tg_expand(x, sh, last + 2);                                // (..., n, 2n-1)
  x = tg_flatten(x, last, last + 1);                             // (..., n*(2n-1))
  int64_t be[2 * TG_MAX_DIMS + 2];
  for (int i = 0; i < last; i++) { be[2 * i] = 0; be[2 * i + 1] = x->shape[i]; }
  be[2 * last] = 0; be[2 * last + 1] = n * 2 * n;
  int64_t pad2[2 * TG_MAX_DIMS + 2] = { 0 };
  pad2[2 * last + 1] = n;
  x = tg_pad(x, pad2, 2 * (last + 1), 0);                        // (..., 2n*n)
  x = tg_shrink(x, be, 2 * (last + 1));
  sh[last] = n; sh[last + 1] = 2 * n;
  x = tg_reshape(x, sh, last + 2);                               // row i starts at offset 2n*i: x[i+j]
  for (int i = 0; i < last; i++) { be[2 * i] = 0; be[2 * i + 1] = x->shape[i]; }
  be[2 * last] = 0; be[2 * last + 1] = n; be[2 * last + 2] = 0; be[2 * last + 3] = n;
  x = tg_shrink(x, be, 2 * (last + 2));                          // (..., n, n): x[i + j], j < n
  int ax = last + 1;
  tg_tensor *s = tg_sum(x, &ax, 1, false);                       // sum_j padded[i + j] = sum_{k<=i} t[k]
  return tg_transpose(s, a, last);
}

tg_tensor *tg_logsumexp(tg_tensor *t, int axis, bool keepdim) {
  if (!t_check_inputs("tg_logsumexp", 1, t)) return NULL;
  int a = t_norm_axis("tg_logsumexp", t, axis, false);
  if (a < 0) return NULL;
  tg_tensor *m = tg_detach(tg_max(t, &a, 1, true));            // the result does not depend on the shift: no gradient
  tg_tensor *mf = tg_where(tg_isinf(m), tg_zeros_like(m), m);   // all -inf rows stay -inf
  tg_tensor *s = tg_log(tg_sum(tg_exp(tg_sub(t, mf)), &a, 1, true));
  tg_tensor *r = tg_add(s, mf);
  return keepdim ? r : tg_squeeze(r, a);
}

tg_tensor *tg_softmax(tg_tensor *t, int axis) {
  if (!t_check_inputs("tg_softmax", 1, t)) return NULL;
  int a = t_norm_axis("tg_softmax", t, axis, false);
  if (a < 0) return NULL;
  tg_tensor *e = tg_exp(tg_sub(t, tg_detach(tg_max(t, &a, 1, true))));   // shift-invariant: the max needs no gradient
  return tg_div(e, tg_sum(e, &a, 1, true));
}

tg_tensor *tg_log_softmax(tg_tensor *t, int axis) {
  if (!t_check_inputs("tg_log_softmax", 1, t)) return NULL;
  int a = t_norm_axis("tg_log_softmax", t, axis, false);
  if (a < 0) return NULL;
  tg_tensor *m = tg_sub(t, tg_detach(tg_max(t, &a, 1, true)));
  return tg_sub(m, tg_log(tg_sum(tg_exp(m), &a, 1, true)));
}
