// Graph builders for tensor ops: one UOp per op, shapes carried in args, no validation
#include "tensor/tensor.h"
#include <string.h>

static UOp *mov(Op op, UOp *u, const int64_t *arg, int n) {
  return uop1(op, dt_deref(u->dtype), u, arg_tuple(arg, n));
}

UOp *t_reshape(UOp *u, const int64_t *shape, int n) {
  const Shape *s = ushape(u);
  if (s->ndim == n && !memcmp(s->d, shape, (size_t)n * 8)) return u;
  if (u->op == OP_RESHAPE) u = u->src[0];                 // reshape of a reshape is one reshape
  return mov(OP_RESHAPE, u, shape, n);
}

UOp *t_expand(UOp *u, const int64_t *shape, int n) {
  const Shape *s = ushape(u);
  if (s->ndim == n && !memcmp(s->d, shape, (size_t)n * 8)) return u;
  return mov(OP_EXPAND, u, shape, n);
}

UOp *t_permute(UOp *u, const int *order, int n) {
  int64_t o[TG_MAX_DIMS];
  bool identity = true;
  for (int i = 0; i < n; i++) { o[i] = order[i]; identity &= order[i] == i; }
  return identity ? u : mov(OP_PERMUTE, u, o, n);
}

UOp *t_pad(UOp *u, const int64_t *pads, int n) {
  for (int i = 0; i < 2 * n; i++) if (pads[i]) return mov(OP_PAD, u, pads, 2 * n);
  return u;
}

UOp *t_shrink(UOp *u, const int64_t *be, int n) {
  const Shape *s = ushape(u);
  for (int i = 0; i < n; i++) if (be[2 * i] != 0 || be[2 * i + 1] != s->d[i]) return mov(OP_SHRINK, u, be, 2 * n);
  return u;
}

UOp *t_flip(UOp *u, const int *flags, int n) {
  int64_t f[TG_MAX_DIMS];
  bool any = false;
  const Shape *s = ushape(u);
  for (int i = 0; i < n; i++) { f[i] = flags[i] && s->d[i] > 1; any |= f[i] != 0; }
  return any ? mov(OP_FLIP, u, f, n) : u;
}

UOp *t_reduce(UOp *u, Op op, const int *axes, int naxes) {
  const Shape *s = ushape(u);
  int64_t arg[TG_MAX_DIMS + 1] = { op };
  int k = 1;
  for (int i = 0; i < naxes; i++) if (s->d[axes[i]] != 1) arg[k++] = axes[i];
  if (k == 1) return u;                                   // reducing size-1 axes is the identity
  return uop1(OP_REDUCE_AXIS, dt_deref(u->dtype), u, arg_tuple(arg, k));
}

UOp *t_const(double v, ScalarType dt, const int64_t *shape, int n) {
  UOp *c = uop_const(dt_scalar(dt), v);
  if (n == 0) return c;
  int64_t ones[TG_MAX_DIMS];
  for (int i = 0; i < n; i++) ones[i] = 1;
  return t_expand(t_reshape(c, ones, n), shape, n);
}

UOp *t_cast(UOp *u, ScalarType dt) {
  return u->dtype.scalar == dt ? u : uop1(OP_CAST, dt_scalar(dt), u, arg_none());
}
