// Movement built from movement: cat, stack, split, chunk, repeat, gather, one_hot
#include "tensor/tensor.h"
#include <string.h>

tg_tensor *tg_cat(tg_tensor **ts, int n, int axis) {
  const char *fn = "tg_cat";
  if (n <= 0 || !ts) { tg_set_error("%s: needs at least one tensor", fn); return NULL; }
  for (int i = 0; i < n; i++) if (!t_check_inputs(fn, 1, ts[i])) return NULL;
  int a = t_norm_axis(fn, ts[0], axis, false);
  if (a < 0) return NULL;
  for (int i = 0; i < n; i++) if (!t_check_concrete(fn, ts[i], a)) return NULL;
  int64_t total = 0;
  ScalarType dt = ts[0]->dtype;
  for (int i = 0; i < n; i++) {
    if (ts[i]->ndim != ts[0]->ndim || ts[i]->dev != ts[0]->dev) { tg_set_error("%s: tensor %d has %d dims (or another device), tensor 0 has %d", fn, i, ts[i]->ndim, ts[0]->ndim); return NULL; }
    for (int d = 0; d < ts[0]->ndim; d++)
      if (d != a && ts[i]->shape[d] != ts[0]->shape[d]) {
        char s0[256], si[256];
        shape_str(ts[0]->shape, ts[0]->ndim, s0, sizeof s0);
        shape_str(ts[i]->shape, ts[i]->ndim, si, sizeof si);
        tg_set_error("%s: shapes %s and %s differ outside axis %d", fn, s0, si, a);
        return NULL;
      }
    total += ts[i]->shape[a];
    dt = st_promote(dt, ts[i]->dtype);
    if (dt == DT_VOID) { tg_set_error("%s: no common dtype", fn); return NULL; }
  }
  // each part padded to the full length along the axis, then summed
  tg_tensor *acc = NULL;
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    int64_t pads[2 * TG_MAX_DIMS] = { 0 };
    pads[2 * a] = off;
    pads[2 * a + 1] = total - off - ts[i]->shape[a];
    off += ts[i]->shape[a];
    tg_tensor *p = tg_pad(tg_cast(ts[i], (tg_dtype)dt), pads, 2 * ts[0]->ndim, 0);
    acc = acc ? (dt == DT_BOOL ? tg_bitwise_or(acc, p) : tg_add(acc, p)) : p;
  }
  return acc;
}

tg_tensor *tg_stack(tg_tensor **ts, int n, int axis) {
  if (n <= 0 || !ts) { tg_set_error("tg_stack: needs at least one tensor"); return NULL; }
  tg_tensor *parts[n];
  for (int i = 0; i < n; i++) {
    if (!t_check_inputs("tg_stack", 1, ts[i])) return NULL;
    if (ts[i]->ndim != ts[0]->ndim) { tg_set_error("tg_stack: tensors have different numbers of dims"); return NULL; }
    if (!(parts[i] = tg_unsqueeze(ts[i], axis))) return NULL;
  }
  return tg_cat(parts, n, axis);
}

int tg_split(tg_tensor *t, int64_t size, int axis, tg_tensor **out, int max_out) {
  if (!t_check_inputs("tg_split", 1, t)) return -1;
  int a = t_norm_axis("tg_split", t, axis, false);
  if (a < 0) return -1;
  if (size <= 0) { tg_set_error("tg_split: size must be positive, got %lld", (long long)size); return -1; }
  int64_t n = t->shape[a];
  int count = (int)((n + size - 1) / size);
  if (count > max_out) { tg_set_error("tg_split: %d parts do not fit in %d outputs", count, max_out); return -1; }
  for (int i = 0; i < count; i++) {
    int64_t be[2 * TG_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) { be[2 * d] = 0; be[2 * d + 1] = t->shape[d]; }
    be[2 * a] = i * size;
    be[2 * a + 1] = (i + 1) * size < n ? (i + 1) * size : n;
    if (!(out[i] = tg_shrink(t, be, 2 * t->ndim))) return -1;
  }
  return count;
}

int tg_chunk(tg_tensor *t, int chunks, int axis, tg_tensor **out, int max_out) {
  if (!t_check_inputs("tg_chunk", 1, t)) return -1;
  int a = t_norm_axis("tg_chunk", t, axis, false);
  if (a < 0) return -1;
  if (chunks <= 0) { tg_set_error("tg_chunk: chunks must be positive, got %d", chunks); return -1; }
  int64_t n = t->shape[a], size = (n + chunks - 1) / chunks;
  return tg_split(t, size ? size : 1, a, out, max_out);
}

tg_tensor *tg_repeat(tg_tensor *t, const int64_t *repeats, int n) {
  const char *fn = "tg_repeat";
  if (!t_check_inputs(fn, 1, t)) return NULL;
  if (n < t->ndim || n > TG_MAX_DIMS) { tg_set_error("%s: %d repeats for %d dims", fn, n, t->ndim); return NULL; }
  int extra = n - t->ndim;
  int64_t base[TG_MAX_DIMS], inter[2 * TG_MAX_DIMS], exp[2 * TG_MAX_DIMS], out[TG_MAX_DIMS];
  for (int i = 0; i < n; i++) {
    if (repeats[i] < 0) { tg_set_error("%s: negative repeat %lld", fn, (long long)repeats[i]); return NULL; }
    base[i] = i < extra ? 1 : t->shape[i - extra];
    inter[2 * i] = 1; inter[2 * i + 1] = base[i];
    exp[2 * i] = repeats[i]; exp[2 * i + 1] = base[i];
    out[i] = repeats[i] * base[i];
  }
  tg_tensor *x = tg_reshape(t, inter, 2 * n);
  return tg_reshape(tg_expand(x, exp, 2 * n), out, n);
}

tg_tensor *tg_one_hot(tg_tensor *t, int64_t num_classes) {
  if (!t_check_inputs("tg_one_hot", 1, t)) return NULL;
  if (st_is_float(t->dtype)) { tg_set_error("tg_one_hot: needs an integer tensor, got %s", st_name(t->dtype)); return NULL; }
  if (num_classes <= 0) { tg_set_error("tg_one_hot: num_classes must be positive, got %lld", (long long)num_classes); return NULL; }
  int64_t sh[TG_MAX_DIMS];
  for (int i = 0; i < t->ndim; i++) sh[i] = 1;
  sh[t->ndim] = num_classes;
  tg_tensor *ar = tg_reshape(t_arange_on(t, 0, 1, num_classes, TG_INT64), sh, t->ndim + 1);
  return tg_cast(tg_eq(tg_unsqueeze(t, -1), ar), TG_INT64);
}

tg_tensor *tg_gather(tg_tensor *t, int axis, tg_tensor *index) {
  const char *fn = "tg_gather";
  if (!t_check_inputs(fn, 2, t, index)) return NULL;
  int a = t_norm_axis(fn, t, axis, false);
  if (a < 0) return NULL;
  if (index->ndim != t->ndim || st_is_float(index->dtype)) { tg_set_error("%s: index must be an integer tensor with %d dims", fn, t->ndim); return NULL; }
  int64_t be[2 * TG_MAX_DIMS];
  for (int d = 0; d < t->ndim; d++) {
    if (d != a && index->shape[d] > t->shape[d]) { tg_set_error("%s: index dim %d (%lld) exceeds input (%lld)", fn, d, (long long)index->shape[d], (long long)t->shape[d]); return NULL; }
    be[2 * d] = 0; be[2 * d + 1] = d == a ? t->shape[d] : index->shape[d];
  }
  tg_tensor *x = tg_unsqueeze(tg_shrink(t, be, 2 * t->ndim), a);          // (..., 1, n, ...)
  int64_t full[TG_MAX_DIMS + 1];
  for (int d = 0; d <= t->ndim; d++) full[d] = d < a ? index->shape[d] : d == a ? index->shape[a] : d == a + 1 ? t->shape[a] : index->shape[d - 1];
  x = tg_expand(x, full, t->ndim + 1);
  tg_tensor *ix = tg_unsqueeze(index, a + 1);                              // (..., m, 1, ...)
  int64_t sh[TG_MAX_DIMS + 1];
  for (int d = 0; d <= t->ndim; d++) sh[d] = d == a + 1 ? t->shape[a] : 1;
  tg_tensor *ar = tg_reshape(t_arange_on(index, 0, 1, t->shape[a], tg_get_dtype(index)), sh, t->ndim + 1);
  int ax = a + 1;
  return tg_cast(tg_sum(tg_where(tg_eq(ix, ar), x, tg_zeros_like(x)), &ax, 1, false), tg_get_dtype(t));
}
