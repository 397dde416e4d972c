// nn functions: matmul, linear, convolution and pooling (via windowed views), norms, attention, losses
#include "tensor/tensor.h"
#include <math.h>
#include <string.h>

tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b) {
  const char *fn = "tg_matmul";
  if (!t_check_inputs(fn, 2, a, b)) return NULL;
  if (a->ndim == 0 || b->ndim == 0) { tg_set_error("%s: both operands need at least 1 dim", fn); return NULL; }
  int64_t k = a->shape[a->ndim - 1], kb = b->shape[b->ndim >= 2 ? b->ndim - 2 : 0];
  if (k != kb) {
    char sa[256], sb[256];
    shape_str(a->shape, a->ndim, sa, sizeof sa);
    shape_str(b->shape, b->ndim, sb, sizeof sb);
    tg_set_error("%s: shapes %s and %s: inner dims differ (%lld vs %lld)", fn, sa, sb, (long long)k, (long long)kb);
    return NULL;
  }
  ScalarType dt = st_promote(a->dtype, b->dtype);
  tg_tensor *x = a->ndim == 1 ? tg_unsqueeze(a, 0) : a;               // (..., n, k)
  tg_tensor *w = b->ndim == 1 ? tg_unsqueeze(b, 1) : b;               // (..., k, m)
  x = tg_unsqueeze(x, -2);                                              // (..., n, 1, k)
  w = tg_unsqueeze(tg_transpose(w, -1, -2), -3);                       // (..., 1, m, k)
  int last = -1;
  tg_tensor *r = tg_sum(tg_mul(x, w), &last, 1, false);                // (..., n, m)
  if (r && dt != DT_VOID) r = tg_cast(r, (tg_dtype)dt);
  if (a->ndim == 1) r = tg_squeeze(r, -2);
  if (b->ndim == 1) r = tg_squeeze(r, -1);
  return r;
}

tg_tensor *tg_linear(tg_tensor *x, tg_tensor *w, tg_tensor *bias) {
  if (!t_check_inputs("tg_linear", 2, x, w)) return NULL;
  tg_tensor *y = tg_matmul(x, w->ndim >= 2 ? tg_transpose(w, -1, -2) : w);
  return bias ? tg_add(y, bias) : y;
}

// Windows over the last nd dims: (..., i) -> (..., o, k) with out[o, k] = x[o*s + k*d] (tinygrad's _pool)
static tg_tensor *pool(tg_tensor *x, int nd, const int64_t *k, const int64_t *s, const int64_t *d) {
  int lead = x->ndim - nd;
  int64_t i_[4], o_[4], e_[4];
  for (int j = 0; j < nd; j++) {
    i_[j] = x->shape[lead + j];
    o_[j] = (i_[j] - d[j] * (k[j] - 1) - 1) / s[j] + 1;
    e_[j] = (k[j] * (i_[j] + d[j]) + i_[j] - 1) / i_[j];
  }
  int64_t rep[TG_MAX_DIMS];
  for (int j = 0; j < x->ndim; j++) rep[j] = j < lead ? 1 : e_[j - lead];
  tg_tensor *t = tg_repeat(x, rep, x->ndim);                       // (..., e*i)
  int64_t be[2 * TG_MAX_DIMS], sh[TG_MAX_DIMS];
  int n = 0;
  // dilation: view k*(i+d) elements as (k, i+d)
  for (int j = 0; j < lead; j++) { be[2 * j] = 0; be[2 * j + 1] = x->shape[j]; sh[n++] = x->shape[j]; }
  for (int j = 0; j < nd; j++) { be[2 * (lead + j)] = 0; be[2 * (lead + j) + 1] = k[j] * (i_[j] + d[j]); sh[n++] = k[j]; sh[n++] = i_[j] + d[j]; }
  t = tg_reshape(tg_shrink(t, be, 2 * x->ndim), sh, n);
  // stride: keep o*s of the i+d columns, view as (o, s), keep s == 0
  int64_t be2[2 * TG_MAX_DIMS], sh2[TG_MAX_DIMS];
  int m = 0;
  for (int j = 0; j < lead; j++) { be2[2 * j] = 0; be2[2 * j + 1] = x->shape[j]; sh2[m++] = x->shape[j]; }
  for (int j = 0; j < nd; j++) {
    int p = lead + 2 * j;
    be2[2 * p] = 0; be2[2 * p + 1] = k[j];
    be2[2 * (p + 1)] = 0; be2[2 * (p + 1) + 1] = o_[j] * s[j];
    sh2[m++] = k[j]; sh2[m++] = o_[j]; sh2[m++] = s[j];
  }
  t = tg_reshape(tg_shrink(t, be2, 2 * n), sh2, m);
  int64_t be3[2 * TG_MAX_DIMS], sh3[TG_MAX_DIMS];
  int q = 0;
  for (int j = 0; j < lead; j++) { be3[2 * j] = 0; be3[2 * j + 1] = x->shape[j]; sh3[q++] = x->shape[j]; }
  for (int j = 0; j < nd; j++) {
    int p = lead + 3 * j;
    be3[2 * p] = 0; be3[2 * p + 1] = k[j];
    be3[2 * (p + 1)] = 0; be3[2 * (p + 1) + 1] = o_[j];
    be3[2 * (p + 2)] = 0; be3[2 * (p + 2) + 1] = 1;
    sh3[q++] = k[j]; sh3[q++] = o_[j];
  }
  t = tg_reshape(tg_shrink(t, be3, 2 * m), sh3, q);              // (..., k0, o0, k1, o1)
  int perm[TG_MAX_DIMS];
  for (int j = 0; j < lead; j++) perm[j] = j;
  for (int j = 0; j < nd; j++) { perm[lead + j] = lead + 2 * j + 1; perm[lead + nd + j] = lead + 2 * j; }
  return tg_permute(t, perm, q);                                    // (..., o0, o1, k0, k1)
}

static bool pair(const int *v, int dflt, int64_t out[2]) {
  out[0] = v ? v[0] : dflt;
  out[1] = v ? v[1] : dflt;
  return true;
}

static bool check_window(const char *fn, const tg_tensor *x, const int64_t k[2], const int64_t s[2], const int64_t p[2], const int64_t d[2]) {
  for (int j = 0; j < 2; j++) {
    if (k[j] <= 0 || s[j] <= 0 || d[j] <= 0 || p[j] < 0) { tg_set_error("%s: kernel, stride and dilation must be positive, padding >= 0", fn); return false; }
    if (x->shape[2 + j] + 2 * p[j] < d[j] * (k[j] - 1) + 1) {
      char sx[256];
      shape_str(x->shape, x->ndim, sx, sizeof sx);
      tg_set_error("%s: input %s is smaller than the kernel (%lld x %lld) after padding", fn, sx, (long long)k[0], (long long)k[1]);
      return false;
    }
  }
  return true;
}

static tg_tensor *pad_hw(tg_tensor *x, const int64_t p[2], double value) {
  int64_t pads[8] = { 0, 0, 0, 0, p[0], p[0], p[1], p[1] };
  return tg_pad(x, pads, 8, value);
}

tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *w, tg_tensor *bias, int groups, const int *stride, const int *padding, const int *dilation) {
  const char *fn = "tg_conv2d";
  if (!t_check_inputs(fn, 2, x, w)) return NULL;
  if (x->ndim != 4 || w->ndim != 4) { tg_set_error("%s: input and weight must be 4-D (NCHW, OIHW), got %d-D and %d-D", fn, x->ndim, w->ndim); return NULL; }
  if (groups <= 0) groups = 1;
  int64_t bs = x->shape[0], cin = x->shape[1], cout = w->shape[0], kh = w->shape[2], kw = w->shape[3];
  if (cin != w->shape[1] * groups || cout % groups) {
    char sx[256], sw[256];
    shape_str(x->shape, 4, sx, sizeof sx);
    shape_str(w->shape, 4, sw, sizeof sw);
    tg_set_error("%s: input %s and weight %s do not match with groups=%d", fn, sx, sw, groups);
    return NULL;
  }
  int64_t s[2], p[2], d[2], k[2] = { kh, kw };
  pair(stride, 1, s); pair(padding, 0, p); pair(dilation, 1, d);
  if (!check_window(fn, x, k, s, p, d)) return NULL;
  tg_tensor *win = pool(pad_hw(x, p, 0), 2, k, s, d);             // (bs, cin, oy, ox, kh, kw)
  if (!win) return NULL;
  int64_t oy = win->shape[2], ox = win->shape[3], rc = cout / groups, ci = cin / groups;
  win = tg_reshape(win, (int64_t[]){ bs, groups, ci, 1, oy, ox, kh, kw }, 8);
  win = tg_expand(win, (int64_t[]){ bs, groups, ci, rc, oy, ox, kh, kw }, 8);
  win = tg_permute(win, (int[]){ 0, 1, 3, 4, 5, 2, 6, 7 }, 8);   // (bs, g, rc, oy, ox, ci, kh, kw)
  tg_tensor *wr = tg_reshape(w, (int64_t[]){ 1, groups, rc, 1, 1, ci, kh, kw }, 8);
  tg_tensor *y = tg_sum(tg_mul(win, wr), (int[]){ 5, 6, 7 }, 3, false);
  y = tg_reshape(y, (int64_t[]){ bs, cout, oy, ox }, 4);
  if (y && st_is_int(x->dtype) && st_is_int(w->dtype)) y = tg_cast(y, (tg_dtype)st_promote(x->dtype, w->dtype));
  return bias ? tg_add(y, tg_reshape(bias, (int64_t[]){ 1, cout, 1, 1 }, 4)) : y;
}

static tg_tensor *pool2d(const char *fn, tg_tensor *x, const int *kernel, const int *stride, const int *padding, bool is_max) {
  if (!t_check_inputs(fn, 1, x)) return NULL;
  if (x->ndim < 2 || !kernel) { tg_set_error("%s: needs at least 2 dims and a kernel size", fn); return NULL; }
  int64_t k[2], s[2], p[2], d[2] = { 1, 1 };
  pair(kernel, 1, k);
  if (stride) pair(stride, 1, s); else { s[0] = k[0]; s[1] = k[1]; }
  pair(padding, 0, p);
  tg_tensor *x4 = x->ndim == 4 ? x : tg_reshape(x, (int64_t[]){ 1, tg_numel(x) / (x->shape[x->ndim - 2] * x->shape[x->ndim - 1] != 0 ? x->shape[x->ndim - 2] * x->shape[x->ndim - 1] : 1), x->shape[x->ndim - 2], x->shape[x->ndim - 1] }, 4);
  if (!check_window(fn, x4, k, s, p, d)) return NULL;
  tg_tensor *win = pool(pad_hw(x4, p, is_max ? -INFINITY : 0), 2, k, s, d);
  int ax[2] = { -2, -1 };
  tg_tensor *r = is_max ? tg_max(win, ax, 2, false) : tg_mean(win, ax, 2, false);
  if (x->ndim == 4 || !r) return r;
  int64_t sh[TG_MAX_DIMS];
  memcpy(sh, x->shape, sizeof(int64_t) * (size_t)(x->ndim - 2));
  sh[x->ndim - 2] = r->shape[2]; sh[x->ndim - 1] = r->shape[3];
  return tg_reshape(r, sh, x->ndim);
}
tg_tensor *tg_max_pool2d(tg_tensor *x, const int *kernel, const int *stride, const int *padding) { return pool2d("tg_max_pool2d", x, kernel, stride, padding, true); }
tg_tensor *tg_avg_pool2d(tg_tensor *x, const int *kernel, const int *stride, const int *padding) { return pool2d("tg_avg_pool2d", x, kernel, stride, padding, false); }

tg_tensor *tg_layernorm(tg_tensor *x, int axis, double eps) {
  if (!t_check_inputs("tg_layernorm", 1, x)) return NULL;
  int a = t_norm_axis("tg_layernorm", x, axis, false);
  if (a < 0) return NULL;
  tg_tensor *y = tg_sub(x, tg_mean(x, &a, 1, true));
  return tg_mul(y, tg_rsqrt(tg_add_s(tg_mean(tg_mul(y, y), &a, 1, true), eps)));
}

tg_tensor *tg_scaled_dot_product_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v, tg_tensor *mask, bool causal) {
  const char *fn = "tg_scaled_dot_product_attention";
  if (!t_check_inputs(fn, 3, q, k, v)) return NULL;
  if (q->ndim < 2) { tg_set_error("%s: q needs at least 2 dims", fn); return NULL; }
  tg_tensor *s = tg_mul_s(tg_matmul(q, tg_transpose(k, -1, -2)), 1.0 / sqrt((double)q->shape[q->ndim - 1]));
  if (!s) return NULL;
  if (causal) {
    int64_t L = s->shape[s->ndim - 2], S = s->shape[s->ndim - 1];
    tg_tensor *r = tg_reshape(t_arange_on(s, 0, 1, L, TG_INT32), TG_SHAPE(L, 1));
    tg_tensor *c = tg_reshape(t_arange_on(s, 0, 1, S, TG_INT32), TG_SHAPE(1, S));
    s = tg_where(tg_ge(r, c), s, tg_full_like(s, -INFINITY));
  }
  if (mask) s = mask->dtype == DT_BOOL ? tg_where(mask, s, tg_full_like(s, -INFINITY)) : tg_add(s, mask);
  return tg_matmul(tg_softmax(s, -1), v);
}

tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *target, double label_smoothing) {
  const char *fn = "tg_cross_entropy";
  if (!t_check_inputs(fn, 2, logits, target)) return NULL;
  if (logits->ndim != 2 || target->ndim != 1 || target->shape[0] != logits->shape[0] || st_is_float(target->dtype)) {
    char sl[256], st[256];
    shape_str(logits->shape, logits->ndim, sl, sizeof sl);
    shape_str(target->shape, target->ndim, st, sizeof st);
    tg_set_error("%s: needs logits (N, C) and integer targets (N,), got %s and %s %s", fn, sl, st, st_name(target->dtype));
    return NULL;
  }
  int64_t C = logits->shape[1];
  tg_tensor *y = tg_cast(tg_one_hot(target, C), tg_get_dtype(logits));
  if (label_smoothing > 0) y = tg_add_s(tg_mul_s(y, 1 - label_smoothing), label_smoothing / (double)C);
  int last = -1;
  return tg_neg(tg_mean(tg_sum(tg_mul(tg_log_softmax(logits, -1), y), &last, 1, false), NULL, 0, false));
}
