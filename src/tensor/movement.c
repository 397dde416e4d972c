// Movement ops: reshape, permute, expand, pad, shrink, flip and the views built from them
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tg_tensor *wrap(UOp *u, const tg_tensor *like) { return tensor_wrap(u, like->dev); }

static void err_shape(const char *fn, const tg_tensor *t, const char *what) {
  char s[256];
  shape_str(t->shape, t->ndim, s, sizeof s);
  tg_set_error("%s: %s (input shape %s)", fn, what, s);
}

tg_tensor *tg_reshape(tg_tensor *t, const int64_t *shape, int ndim) {
  const char *fn = "tg_reshape";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  if (ndim < 0 || ndim > TG_MAX_DIMS) { err_shape(fn, t, "bad number of dims"); return NULL; }
  int64_t s[TG_MAX_DIMS], known = 1;
  int infer = -1;
  for (int i = 0; i < ndim; i++) {
    s[i] = shape[i];
    if (s[i] == -1) {
      if (infer >= 0) { err_shape(fn, t, "only one dimension can be -1"); return NULL; }
      infer = i;
    } else if (!dim_ok(s[i])) { err_shape(fn, t, "negative dimension"); return NULL; }
    else known = dim_mul(known, s[i]);
  }
  int64_t numel = shape_numel_dim(ushape(t->uop));
  if (infer >= 0) {
    int64_t q = dim_is_sym(known) || dim_is_sym(numel) ? dim_of(uop_cdiv(dim_expr(numel), dim_expr(known))) : known ? numel / known : 0;
    if (dim_value(known) == 0 || dim_mul(q, known) != numel) { err_shape(fn, t, "cannot infer the -1 dimension"); return NULL; }
    s[infer] = q;
    known = numel;
  }
  // symbolic and concrete shapes of equal value convert (their kernels index by the values of this graph)
  if (known != numel && dim_value(known) != dim_value(numel)) {
    char want[256], msg[600];
    shape_str(s, ndim, want, sizeof want);
    snprintf(msg, sizeof msg, "cannot reshape %lld elements to %s", (long long)numel, want);
    err_shape(fn, t, msg);
    return NULL;
  }
  return wrap(t_reshape(t->uop, s, ndim), t);
}

tg_tensor *tg_permute(tg_tensor *t, const int *order, int n) {
  const char *fn = "tg_permute";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  if (n != t->ndim) { err_shape(fn, t, "order must name every axis once"); return NULL; }
  int o[TG_MAX_DIMS], seen[TG_MAX_DIMS] = { 0 };
  for (int i = 0; i < n; i++) {
    int a = order[i] < 0 ? order[i] + n : order[i];
    if (a < 0 || a >= n || seen[a]++) { err_shape(fn, t, "order must name every axis once"); return NULL; }
    o[i] = a;
  }
  return wrap(t_permute(t->uop, o, n), t);
}

tg_tensor *tg_expand(tg_tensor *t, const int64_t *shape, int ndim) {
  const char *fn = "tg_expand";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  if (ndim < t->ndim || ndim > TG_MAX_DIMS) { err_shape(fn, t, "target has fewer dims than the input"); return NULL; }
  int64_t pre[TG_MAX_DIMS], s[TG_MAX_DIMS];
  int extra = ndim - t->ndim;
  for (int i = 0; i < ndim; i++) {
    pre[i] = i < extra ? 1 : t->shape[i - extra];
    s[i] = shape[i] == -1 ? pre[i] : shape[i];
    if (shape[i] == -1 && i < extra) { err_shape(fn, t, "-1 is not allowed for a new leading dim"); return NULL; }
    if (pre[i] != s[i] && pre[i] != 1) { err_shape(fn, t, "can only expand dims of size 1"); return NULL; }
    if (!dim_ok(s[i])) { err_shape(fn, t, "negative dimension"); return NULL; }
  }
  return wrap(t_expand(t_reshape(t->uop, pre, ndim), s, ndim), t);
}

tg_tensor *tg_shrink(tg_tensor *t, const int64_t *be, int n) {
  const char *fn = "tg_shrink";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  if (n != 2 * t->ndim) { err_shape(fn, t, "needs a (begin, end) pair per axis"); return NULL; }
  for (int i = 0; i < t->ndim; i++) {
    int64_t b = be[2 * i], e = be[2 * i + 1], n = t->shape[i];
    if (!dim_ok(b) || !dim_ok(e) || dim_value(b) > dim_value(e) || dim_value(e) > dim_value(n)) { err_shape(fn, t, "range out of bounds"); return NULL; }
    // a kernel compiled for these expressions runs for every value of their variables: stay inside then too
    if (!dim_is_sym(n) && dim_max(e) > n) { err_shape(fn, t, "a symbolic end can exceed the dim (its variable's max is too large)"); return NULL; }
  }
  return wrap(t_shrink(t->uop, be, t->ndim), t);
}

tg_tensor *tg_pad(tg_tensor *t, const int64_t *ba, int n, double value) {
  const char *fn = "tg_pad";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  if (n != 2 * t->ndim) { err_shape(fn, t, "needs a (before, after) pair per axis"); return NULL; }
  int64_t pads[2 * TG_MAX_DIMS], be[2 * TG_MAX_DIMS];
  for (int i = 0; i < t->ndim; i++) {    // negative pads trim first
    int64_t b = ba[2 * i], a = ba[2 * i + 1];
    if (dim_is_sym(b) || dim_is_sym(a)) { err_shape(fn, t, "symbolic padding is not supported"); return NULL; }
    be[2 * i] = b < 0 ? -b : 0;
    be[2 * i + 1] = dim_sub(t->shape[i], a < 0 ? -a : 0);
    if (dim_value(be[2 * i]) > dim_value(be[2 * i + 1])) { err_shape(fn, t, "negative padding trims more than the dim"); return NULL; }
    pads[2 * i] = b > 0 ? b : 0;
    pads[2 * i + 1] = a > 0 ? a : 0;
  }
  UOp *u = t_pad(t_shrink(t->uop, be, t->ndim), pads, t->ndim);
  tg_tensor *r = wrap(u, t);
  if (value == 0 || u == t->uop) return r;
  // non-zero fill: where(inside, x, value), with `inside` a padded ones mask
  UOp *ones = t_const(1, DT_BOOL, ushape(t_shrink(t->uop, be, t->ndim))->d, t->ndim);
  tg_tensor *mask = tensor_wrap(t_pad(ones, pads, t->ndim), t->dev);
  tg_tensor *fill = tg_cast(t_scalar_like(t, value), (tg_dtype)t->dtype);
  return tg_where(mask, r, fill);
}

tg_tensor *tg_flip(tg_tensor *t, const int *axes, int naxes) {
  const char *fn = "tg_flip";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  int flags[TG_MAX_DIMS] = { 0 };
  for (int i = 0; i < naxes; i++) {
    int a = t_norm_axis(fn, t, axes[i], false);
    if (a < 0) return NULL;
    if (flags[a]++) { err_shape(fn, t, "an axis is repeated"); return NULL; }
  }
  return wrap(t_flip(t->uop, flags, t->ndim), t);
}

tg_tensor *tg_slice(tg_tensor *t, int axis, int64_t start, int64_t stop, int64_t step) {
  const char *fn = "tg_slice";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  int a = t_norm_axis(fn, t, axis, false);
  if (a < 0) return NULL;
  if (step == 0) { err_shape(fn, t, "slice step cannot be zero"); return NULL; }
  if (dim_is_sym(t->shape[a]) || dim_is_sym(start) || dim_is_sym(stop)) {   // symbolic: a plain shrink, no python wrapping
    if (step != 1 || (!dim_is_sym(start) && start != INT64_MAX && start < 0) || (!dim_is_sym(stop) && stop != INT64_MAX && stop < 0)) {
      err_shape(fn, t, "a symbolic slice takes step 1 and non-negative bounds");
      return NULL;
    }
    int64_t be[2 * TG_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) { be[2 * i] = 0; be[2 * i + 1] = t->shape[i]; }
    if (start != INT64_MAX) be[2 * a] = start;
    if (stop != INT64_MAX) be[2 * a + 1] = stop;
    return tg_shrink(t, be, 2 * t->ndim);
  }
  int64_t n = t->shape[a];
  // python slice normalisation
  int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
  if (start == INT64_MAX) start = step > 0 ? lo : hi;
  else { if (start < 0) start += n; start = start < lo ? lo : start > hi ? hi : start; }
  if (stop == INT64_MAX) stop = step > 0 ? hi : lo;
  else { if (stop < 0) stop += n; stop = stop < lo ? lo : stop > hi ? hi : stop; }
  int64_t count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0);
  // take [first, last] in increasing order, flip for negative steps, then stride by |step| via reshape
  int64_t s = step > 0 ? step : -step, first = step > 0 ? start : start - (count - 1) * s;
  int64_t be[2 * TG_MAX_DIMS];
  for (int i = 0; i < t->ndim; i++) { be[2 * i] = 0; be[2 * i + 1] = t->shape[i]; }
  be[2 * a] = count ? first : 0;
  be[2 * a + 1] = count ? first + (count - 1) * s + 1 : 0;
  UOp *u = t_shrink(t->uop, be, t->ndim);
  if (s > 1 && count > 0) {   // pad to count*s, view as (count, s), keep column 0
    int64_t pads[2 * TG_MAX_DIMS] = { 0 }, sh[TG_MAX_DIMS + 1], be2[2 * (TG_MAX_DIMS + 1)];
    pads[2 * a + 1] = count * s - (be[2 * a + 1] - be[2 * a]);
    u = t_pad(u, pads, t->ndim);
    int k = 0;
    for (int i = 0; i < t->ndim; i++) {
      if (i == a) { sh[k] = count; be2[2 * k] = 0; be2[2 * k + 1] = count; k++; sh[k] = s; be2[2 * k] = 0; be2[2 * k + 1] = 1; k++; }
      else { sh[k] = t->shape[i]; be2[2 * k] = 0; be2[2 * k + 1] = t->shape[i]; k++; }
    }
    u = t_shrink(t_reshape(u, sh, k), be2, k);
    int64_t out[TG_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) out[i] = i == a ? count : t->shape[i];
    u = t_reshape(u, out, t->ndim);
  }
  if (step < 0) {
    int flags[TG_MAX_DIMS] = { 0 };
    flags[a] = 1;
    u = t_flip(u, flags, t->ndim);
  }
  return wrap(u, t);
}

tg_tensor *tg_transpose(tg_tensor *t, int a, int b) {
  if (!t_check_inputs("tg_transpose", 1, t)) return NULL;
  int x = t_norm_axis("tg_transpose", t, a, false), y = t_norm_axis("tg_transpose", t, b, false);
  if (x < 0 || y < 0) return NULL;
  int o[TG_MAX_DIMS];
  for (int i = 0; i < t->ndim; i++) o[i] = i;
  o[x] = y; o[y] = x;
  return tg_permute(t, o, t->ndim);
}

tg_tensor *tg_flatten(tg_tensor *t, int start, int end) {
  if (!t_check_inputs("tg_flatten", 1, t)) return NULL;
  if (t->ndim == 0) return tg_reshape(t, TG_SHAPE(1));
  int s = t_norm_axis("tg_flatten", t, start, false), e = t_norm_axis("tg_flatten", t, end, false);
  if (s < 0 || e < 0) return NULL;
  if (s > e) { err_shape("tg_flatten", t, "start axis after end axis"); return NULL; }
  int64_t sh[TG_MAX_DIMS];
  int k = 0;
  for (int i = 0; i < t->ndim; i++) {
    if (i > s && i <= e) sh[k - 1] = dim_mul(sh[k - 1], t->shape[i]);
    else sh[k++] = t->shape[i];
  }
  return tg_reshape(t, sh, k);
}

tg_tensor *tg_squeeze(tg_tensor *t, int axis) {
  if (!t_check_inputs("tg_squeeze", 1, t)) return NULL;
  if (t->ndim == 0) return t;
  int a = t_norm_axis("tg_squeeze", t, axis, false);
  if (a < 0) return NULL;
  if (t->shape[a] != 1) return t;   // torch: squeezing a non-1 dim is a no-op
  int64_t sh[TG_MAX_DIMS];
  int k = 0;
  for (int i = 0; i < t->ndim; i++) if (i != a) sh[k++] = t->shape[i];
  return tg_reshape(t, sh, k);
}

tg_tensor *tg_unsqueeze(tg_tensor *t, int axis) {
  if (!t_check_inputs("tg_unsqueeze", 1, t)) return NULL;
  int a = t_norm_axis("tg_unsqueeze", t, axis, true);
  if (a < 0) return NULL;
  if (t->ndim >= TG_MAX_DIMS) { err_shape("tg_unsqueeze", t, "too many dims"); return NULL; }
  int64_t sh[TG_MAX_DIMS];
  for (int i = 0, k = 0; i <= t->ndim; i++) sh[i] = i == a ? 1 : t->shape[k++];
  return tg_reshape(t, sh, t->ndim + 1);
}

tg_tensor *tg_contiguous(tg_tensor *t) {
  if (!t_check_inputs("tg_contiguous", 1, t)) return NULL;
  UOp *v = t->uop->op == OP_RESHAPE ? t->uop->src[0] : t->uop;
  if (v->op == OP_BUFFER || v->op == OP_CONTIGUOUS) return t;     // already (or about to be) a row-major buffer
  return tensor_wrap(uop1(OP_CONTIGUOUS, t->uop->dtype, t->uop, arg_none()), t->dev);
}
