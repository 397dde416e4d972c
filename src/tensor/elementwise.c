// Elementwise binary ops: broadcasting, torch type promotion, and the ops built from ALU UOps
#include "tensor/tensor.h"
#include <math.h>
#include <string.h>

// ---- broadcasting and promotion ----
static bool broadcast_shape(const char *fn, const tg_tensor *a, const tg_tensor *b, Shape *out) {
  int n = a->ndim > b->ndim ? a->ndim : b->ndim;
  out->ndim = n;
  for (int i = 0; i < n; i++) {
    int ia = i - (n - a->ndim), ib = i - (n - b->ndim);
    int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      char sa[256], sb[256];
      shape_str(a->shape, a->ndim, sa, sizeof sa);
      shape_str(b->shape, b->ndim, sb, sizeof sb);
      tg_set_error("%s: shapes %s and %s do not broadcast (dim %d: %lld vs %lld)", fn, sa, sb, i, (long long)da, (long long)db);
      return false;
    }
    out->d[i] = da == 1 ? db : da;
  }
  return true;
}

UOp *t_broadcast_to(const tg_tensor *t, const Shape *s) {
  int64_t padded[TG_MAX_DIMS];
  int extra = s->ndim - t->ndim;
  for (int i = 0; i < s->ndim; i++) padded[i] = i < extra ? 1 : t->shape[i - extra];
  return t_expand(t_reshape(t->uop, padded, s->ndim), s->d, s->ndim);
}

static bool same_device(const char *fn, const tg_tensor *a, const tg_tensor *b) {
  if (a->dev == b->dev) return true;
  tg_set_error("%s: tensors on different devices (%s and %s)", fn, a->dev->name, b->dev->name);
  return false;
}

static ScalarType promote(const char *fn, ScalarType a, ScalarType b) {
  ScalarType r = st_promote(a, b);
  if (r == DT_VOID) tg_set_error("%s: no common dtype for %s and %s", fn, st_name(a), st_name(b));
  return r;
}

// Prepare two operands: same shape (broadcast), same dtype (promoted). Returns false on error.
typedef struct { UOp *a, *b; Shape shape; ScalarType dt, adt, bdt; Device *dev; } Operands;   // adt, bdt: before promotion
static bool operands(const char *fn, tg_tensor *a, tg_tensor *b, Operands *o) {
  if (!t_check_inputs(fn, 2, a, b) || !same_device(fn, a, b) || !broadcast_shape(fn, a, b, &o->shape)) return false;
  if ((o->dt = promote(fn, a->dtype, b->dtype)) == DT_VOID) return false;
  o->a = t_cast(t_broadcast_to(a, &o->shape), o->dt);
  o->b = t_cast(t_broadcast_to(b, &o->shape), o->dt);
  o->adt = a->dtype; o->bdt = b->dtype;
  o->dev = a->dev;
  return true;
}

// A scalar counts as a Python int when it is integral, else as a float (see README): bool op 1 is int64, as torch.
tg_tensor *t_scalar_like(tg_tensor *t, double v) {
  if (!t) return NULL;
  bool is_float = v != floor(v) || isinf(v) || isnan(v);
  ScalarType dt = st_promote_scalar(t->dtype, is_float, !is_float);
  return tensor_wrap(uop_const(dt_scalar(dt), v), t->dev);
}

static tg_tensor *wrap(UOp *u, Device *d) { return tensor_wrap(u, d); }
static UOp *c(ScalarType dt, double v, const Shape *s) { return t_const(v, dt, s->d, s->ndim); }

// ---- ops ----
typedef UOp *(*BinFn)(const char *fn, Operands *o);

static UOp *add_(const char *fn, Operands *o) { (void)fn; return uop_add(o->a, o->b); }
static UOp *sub_(const char *fn, Operands *o) {
  if (o->adt == DT_BOOL || o->bdt == DT_BOOL) { tg_set_error("%s: subtraction with a bool tensor is not supported (as torch)", fn); return NULL; }
  return uop_sub(o->a, o->b);
}
static UOp *mul_(const char *fn, Operands *o) { (void)fn; return o->dt == DT_BOOL ? uop_and(o->a, o->b) : uop_mul(o->a, o->b); }
static UOp *div_(const char *fn, Operands *o) {   // true division: integers divide as float32
  (void)fn;
  if (!st_is_float(o->dt)) { o->a = t_cast(o->a, DT_FLOAT32); o->b = t_cast(o->b, DT_FLOAT32); o->dt = DT_FLOAT32; }
  return uop2(OP_FDIV, o->a->dtype, o->a, o->b, arg_none());
}
static UOp *floor_f(UOp *x, const Shape *s) {
  UOp *t = uop_alu1(OP_TRUNC, x);
  return uop_where(uop_lt(x, t), uop_sub(t, c((ScalarType)x->dtype.scalar, 1, s)), t);
}
static UOp *idiv_(const char *fn, Operands *o) {  // floor division (torch //)
  if (o->dt == DT_BOOL) { tg_set_error("%s: floor division of bool tensors", fn); return NULL; }
  if (st_is_float(o->dt)) return floor_f(uop2(OP_FDIV, o->a->dtype, o->a, o->b, arg_none()), &o->shape);
  UOp *q = uop_cdiv(o->a, o->b), *zero = c(o->dt, 0, &o->shape);
  if (st_is_unsigned(o->dt)) return q;
  UOp *inexact = uop_ne(uop_cmod(o->a, o->b), zero);
  UOp *neg = uop_ne(uop_lt(o->a, zero), uop_lt(o->b, zero));
  return uop_where(uop_and(inexact, neg), uop_sub(q, c(o->dt, 1, &o->shape)), q);
}
static UOp *mod_(const char *fn, Operands *o) {   // torch remainder: the sign follows the divisor
  if (o->dt == DT_BOOL) { tg_set_error("%s: remainder of bool tensors", fn); return NULL; }
  if (st_is_float(o->dt)) {
    UOp *q = floor_f(uop2(OP_FDIV, o->a->dtype, o->a, o->b, arg_none()), &o->shape);
    return uop_sub(o->a, uop_mul(q, o->b));
  }
  UOp *r = uop_cmod(o->a, o->b), *zero = c(o->dt, 0, &o->shape);
  if (st_is_unsigned(o->dt)) return r;
  UOp *fix = uop_and(uop_ne(r, zero), uop_ne(uop_lt(r, zero), uop_lt(o->b, zero)));
  return uop_where(fix, uop_add(r, o->b), r);
}
static UOp *pow_(const char *fn, Operands *o) {
  (void)fn;
  if (st_is_float(o->dt)) return uop2(OP_POW, o->a->dtype, o->a, o->b, arg_none());
  UOp *fa = t_cast(o->a, DT_FLOAT64), *fb = t_cast(o->b, DT_FLOAT64);
  return t_cast(uop2(OP_POW, fa->dtype, fa, fb, arg_none()), o->dt);
}
static UOp *maximum_(const char *fn, Operands *o) { (void)fn; return uop_max(o->a, o->b); }
static UOp *minimum_(const char *fn, Operands *o) {
  (void)fn;
  if (st_is_float(o->dt)) return uop_neg(uop_max(uop_neg(o->a), uop_neg(o->b)));   // keeps NaN
  return uop_where(uop_lt(o->a, o->b), o->a, o->b);
}
static UOp *eq_(const char *fn, Operands *o) { (void)fn; return uop_eq(o->a, o->b); }
static UOp *ne_(const char *fn, Operands *o) { (void)fn; return uop_ne(o->a, o->b); }
static UOp *lt_(const char *fn, Operands *o) { (void)fn; return uop_lt(o->a, o->b); }
static UOp *gt_(const char *fn, Operands *o) { (void)fn; return uop_lt(o->b, o->a); }
static UOp *le_(const char *fn, Operands *o) { (void)fn; return uop_or(uop_lt(o->a, o->b), uop_eq(o->a, o->b)); }
static UOp *ge_(const char *fn, Operands *o) { (void)fn; return uop_or(uop_lt(o->b, o->a), uop_eq(o->a, o->b)); }
static bool int_only(const char *fn, Operands *o) {
  if (!st_is_float(o->dt)) return true;
  tg_set_error("%s: needs integer or bool tensors, got %s", fn, st_name(o->dt));
  return false;
}
static UOp *and_(const char *fn, Operands *o) { return int_only(fn, o) ? uop_and(o->a, o->b) : NULL; }
static UOp *or_(const char *fn, Operands *o) { return int_only(fn, o) ? uop_or(o->a, o->b) : NULL; }
static UOp *xor_(const char *fn, Operands *o) { return int_only(fn, o) ? uop_xor(o->a, o->b) : NULL; }
static UOp *shl_(const char *fn, Operands *o) { return int_only(fn, o) ? uop_alu(OP_SHL, o->a, o->b) : NULL; }
static UOp *shr_(const char *fn, Operands *o) { return int_only(fn, o) ? uop_alu(OP_SHR, o->a, o->b) : NULL; }

static tg_tensor *binary(const char *fn, BinFn f, tg_tensor *a, tg_tensor *b) {
  Operands o;
  if (!operands(fn, a, b, &o)) return NULL;
  UOp *u = f(fn, &o);
  return u ? wrap(u, o.dev) : NULL;
}

#define DEF_BIN(name, fn)                                                                          \
  tg_tensor *tg_##name(tg_tensor *a, tg_tensor *b) { return binary("tg_" #name, fn, a, b); }      \
  tg_tensor *tg_##name##_s(tg_tensor *a, double v) {                                              \
    if (!t_check_inputs("tg_" #name "_s", 1, a)) return NULL;                                     \
    return binary("tg_" #name "_s", fn, a, t_scalar_like(a, v));                                  \
  }
DEF_BIN(add, add_) DEF_BIN(sub, sub_) DEF_BIN(mul, mul_) DEF_BIN(div, div_) DEF_BIN(idiv, idiv_)
DEF_BIN(mod, mod_) DEF_BIN(pow, pow_) DEF_BIN(maximum, maximum_) DEF_BIN(minimum, minimum_)
DEF_BIN(eq, eq_) DEF_BIN(ne, ne_) DEF_BIN(lt, lt_) DEF_BIN(le, le_) DEF_BIN(gt, gt_) DEF_BIN(ge, ge_)
DEF_BIN(bitwise_and, and_) DEF_BIN(bitwise_or, or_) DEF_BIN(bitwise_xor, xor_)
DEF_BIN(lshift, shl_) DEF_BIN(rshift, shr_)

tg_tensor *tg_rsub_s(tg_tensor *a, double v) {
  if (!t_check_inputs("tg_rsub_s", 1, a)) return NULL;
  return binary("tg_rsub_s", sub_, t_scalar_like(a, v), a);
}
tg_tensor *tg_rdiv_s(tg_tensor *a, double v) {
  if (!t_check_inputs("tg_rdiv_s", 1, a)) return NULL;
  return binary("tg_rdiv_s", div_, t_scalar_like(a, v), a);
}

tg_tensor *tg_where(tg_tensor *cond, tg_tensor *a, tg_tensor *b) {
  const char *fn = "tg_where";
  Operands o;
  if (!t_check_inputs(fn, 3, cond, a, b) || !operands(fn, a, b, &o) || !same_device(fn, cond, a)) return NULL;
  Shape s;
  tg_tensor ab = { .ndim = o.shape.ndim };
  memcpy(ab.shape, o.shape.d, (size_t)o.shape.ndim * 8);
  if (!broadcast_shape(fn, cond, &ab, &s)) return NULL;
  UOp *cu = t_broadcast_to(cond, &s);
  if (cond->dtype != DT_BOOL) cu = uop_ne(cu, t_const(0, cond->dtype, s.d, s.ndim));
  tg_tensor ta = { .uop = o.a, .ndim = o.shape.ndim }, tb = { .uop = o.b, .ndim = o.shape.ndim };
  memcpy(ta.shape, o.shape.d, (size_t)o.shape.ndim * 8);
  memcpy(tb.shape, o.shape.d, (size_t)o.shape.ndim * 8);
  return wrap(uop_where(cu, t_broadcast_to(&ta, &s), t_broadcast_to(&tb, &s)), o.dev);
}

tg_tensor *tg_where_s(tg_tensor *cond, double a, double b) {
  if (!t_check_inputs("tg_where_s", 1, cond)) return NULL;
  tg_tensor *ta = t_scalar_like(cond, a), *tb = t_scalar_like(cond, b);
  // both scalars: torch gives the default dtype for their kind
  ta = tg_cast(ta, (a == floor(a) && b == floor(b)) ? TG_INT64 : TG_FLOAT32);
  tb = tg_cast(tb, tg_get_dtype(ta));
  return tg_where(cond, ta, tb);
}

tg_tensor *tg_cast(tg_tensor *t, tg_dtype dt) {
  if (!t_check_inputs("tg_cast", 1, t)) return NULL;
  if ((int)dt < TG_BOOL || dt > TG_FLOAT64) { tg_set_error("tg_cast: invalid dtype %d", (int)dt); return NULL; }
  UOp *u = t->uop;
  if ((ScalarType)dt == DT_BOOL && t->dtype != DT_BOOL) u = uop_ne(u, t_const(0, t->dtype, t->shape, t->ndim));
  return wrap(t_cast(u, (ScalarType)dt), t->dev);
}

tg_tensor *tg_bitcast(tg_tensor *t, tg_dtype dt) {
  if (!t_check_inputs("tg_bitcast", 1, t)) return NULL;
  if ((int)dt < TG_BOOL || dt > TG_FLOAT64 || st_itemsize((ScalarType)dt) != st_itemsize(t->dtype)) {
    tg_set_error("tg_bitcast: %s and %s differ in size", st_name(t->dtype), (int)dt >= 0 && dt <= TG_FLOAT64 ? st_name((ScalarType)dt) : "invalid");
    return NULL;
  }
  return wrap(uop1(OP_BITCAST, dt_scalar((ScalarType)dt), t->uop, arg_none()), t->dev);
}

tg_tensor *tg_clamp(tg_tensor *t, double lo, double hi) { return tg_minimum_s(tg_maximum_s(t, lo), hi); }
