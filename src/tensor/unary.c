// Elementwise math: unary functions written with the few transcendental UOps (EXP2, LOG2, SIN, SQRT)
#include "tensor/tensor.h"
#include <math.h>

// integer and bool inputs of float functions compute in float32, as torch
static tg_tensor *floatish(tg_tensor *t) { return (!t || st_is_float(t->dtype)) ? t : tg_cast(t, TG_FLOAT32); }
static tg_tensor *alu1(Op op, tg_tensor *t) {
  t = floatish(t);
  return t ? tensor_wrap(uop_alu1(op, t->uop), t->dev) : NULL;
}
#define IN(fn, t) if (!t_check_inputs(fn, 1, t)) return NULL

tg_tensor *tg_neg(tg_tensor *t) {
  IN("tg_neg", t);
  if (t->dtype == DT_BOOL) { tg_set_error("tg_neg: negation of a bool tensor is not supported (as torch)"); return NULL; }
  return tensor_wrap(uop_neg(t->uop), t->dev);
}
tg_tensor *tg_exp2(tg_tensor *t) { IN("tg_exp2", t); return alu1(OP_EXP2, t); }
tg_tensor *tg_log2(tg_tensor *t) { IN("tg_log2", t); return alu1(OP_LOG2, t); }
tg_tensor *tg_sin(tg_tensor *t) { IN("tg_sin", t); return alu1(OP_SIN, t); }
tg_tensor *tg_sqrt(tg_tensor *t) { IN("tg_sqrt", t); return alu1(OP_SQRT, t); }
tg_tensor *tg_reciprocal(tg_tensor *t) { IN("tg_reciprocal", t); return alu1(OP_RECIPROCAL, t); }
tg_tensor *tg_trunc(tg_tensor *t) { IN("tg_trunc", t); return st_is_float(t->dtype) ? alu1(OP_TRUNC, t) : t; }
tg_tensor *tg_rsqrt(tg_tensor *t) { return tg_reciprocal(tg_sqrt(t)); }
tg_tensor *tg_exp(tg_tensor *t) { return tg_exp2(tg_mul_s(floatish(t), 1.0 / M_LN2)); }
tg_tensor *tg_log(tg_tensor *t) { return tg_mul_s(tg_log2(t), M_LN2); }
tg_tensor *tg_cos(tg_tensor *t) { return tg_sin(tg_rsub_s(floatish(t), M_PI / 2)); }
tg_tensor *tg_tan(tg_tensor *t) { return tg_div(tg_sin(t), tg_cos(t)); }
tg_tensor *tg_sigmoid(tg_tensor *t) { return tg_reciprocal(tg_add_s(tg_exp2(tg_mul_s(floatish(t), -1.0 / M_LN2)), 1)); }
tg_tensor *tg_tanh(tg_tensor *t) { return tg_sub_s(tg_mul_s(tg_sigmoid(tg_mul_s(floatish(t), 2)), 2), 1); }
tg_tensor *tg_relu(tg_tensor *t) {       // a where, not maximum(t, 0): the gradient at 0 is 0 (torch), not a tie's 1/2
  if (!t || !st_is_float(t->dtype)) return tg_maximum_s(t, 0);
  return tg_where(tg_le_s(t, 0), tg_zeros_like(t), t);   // NaN stays NaN
}
tg_tensor *tg_relu6(tg_tensor *t) { return tg_clamp(t, 0, 6); }
tg_tensor *tg_hardtanh(tg_tensor *t) { return tg_clamp(t, -1, 1); }
tg_tensor *tg_hardsigmoid(tg_tensor *t) { return tg_div_s(tg_relu6(tg_add_s(floatish(t), 3)), 6); }
tg_tensor *tg_hardswish(tg_tensor *t) { return tg_mul(t, tg_hardsigmoid(t)); }
tg_tensor *tg_silu(tg_tensor *t) { return tg_mul(floatish(t), tg_sigmoid(t)); }
tg_tensor *tg_square(tg_tensor *t) { return tg_mul(t, t); }
tg_tensor *tg_leaky_relu(tg_tensor *t, double slope) { return tg_where(tg_gt_s(t, 0), t, tg_mul_s(t, slope)); }
tg_tensor *tg_elu(tg_tensor *t) { return tg_where(tg_gt_s(t, 0), floatish(t), tg_sub_s(tg_exp(t), 1)); }
tg_tensor *tg_softplus(tg_tensor *t) {   // torch's threshold: linear above 20
  return tg_where(tg_gt_s(t, 20), floatish(t), tg_log(tg_add_s(tg_exp(t), 1)));
}
tg_tensor *tg_mish(tg_tensor *t) { return tg_mul(floatish(t), tg_tanh(tg_softplus(t))); }
tg_tensor *tg_gelu(tg_tensor *t) {       // tanh approximation, as tinygrad
  t = floatish(t);
  tg_tensor *inner = tg_mul_s(tg_add(t, tg_mul_s(tg_mul(t, tg_mul(t, t)), 0.044715)), sqrt(2.0 / M_PI));
  return tg_mul(tg_mul_s(t, 0.5), tg_add_s(tg_tanh(inner), 1));
}
tg_tensor *tg_abs(tg_tensor *t) {
  IN("tg_abs", t);
  if (t->dtype == DT_BOOL || st_is_unsigned(t->dtype)) return t;
  return tg_where(tg_lt_s(t, 0), tg_neg(t), tg_add_s(t, 0));   // +0 turns -0.0 into 0.0
}
tg_tensor *tg_sign(tg_tensor *t) {
  IN("tg_sign", t);
  if (t->dtype == DT_BOOL) return t;
  tg_tensor *zero = st_is_float(t->dtype) ? tg_where(tg_isnan(t), t, tg_zeros_like(t)) : tg_zeros_like(t);   // NaN stays NaN
  return tg_where(tg_gt_s(t, 0), tg_add_s(zero, 1), tg_where(tg_lt_s(t, 0), tg_sub_s(zero, 1), zero));
}
tg_tensor *tg_floor(tg_tensor *t) {
  IN("tg_floor", t);
  if (!st_is_float(t->dtype)) return t;
  tg_tensor *r = tg_trunc(t);
  return tg_where(tg_lt(t, r), tg_sub_s(r, 1), r);
}
tg_tensor *tg_ceil(tg_tensor *t) {
  IN("tg_ceil", t);
  if (!st_is_float(t->dtype)) return t;
  tg_tensor *r = tg_trunc(t);
  return tg_where(tg_gt(t, r), tg_add_s(r, 1), r);
}
tg_tensor *tg_round(tg_tensor *t) {      // half to even, as torch
  IN("tg_round", t);
  if (!st_is_float(t->dtype)) return t;
  tg_tensor *f = tg_floor(t), *d = tg_sub(t, f);
  tg_tensor *odd = tg_ne_s(tg_sub(f, tg_mul_s(tg_floor(tg_mul_s(f, 0.5)), 2)), 0);
  tg_tensor *up = tg_bitwise_or(tg_gt_s(d, 0.5), tg_bitwise_and(tg_eq_s(d, 0.5), odd));
  return tg_where(up, tg_add_s(f, 1), f);
}
tg_tensor *tg_erf(tg_tensor *t) {        // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7); Taylor series near 0
  t = floatish(t);
  IN("tg_erf", t);
  // 1 - p*exp(-x^2) cancels near 0 (relative error unbounded, wrong sign in float16): 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42)
  tg_tensor *x2 = tg_mul(t, t), *s = tg_add_s(tg_mul_s(x2, -1.0 / 42), 1.0 / 10);
  s = tg_add_s(tg_mul(s, x2), -1.0 / 3);
  s = tg_mul_s(tg_mul(t, tg_add_s(tg_mul(s, x2), 1)), 2 / sqrt(M_PI));
  tg_tensor *x = tg_abs(t), *k = tg_reciprocal(tg_add_s(tg_mul_s(x, 0.3275911), 1));
  tg_tensor *p = tg_mul_s(k, 1.061405429);
  p = tg_mul(tg_add_s(p, -1.453152027), k);
  p = tg_mul(tg_add_s(p, 1.421413741), k);
  p = tg_mul(tg_add_s(p, -0.284496736), k);
  p = tg_mul(tg_add_s(p, 0.254829592), k);
  tg_tensor *y = tg_rsub_s(tg_mul(p, tg_exp(tg_neg(tg_mul(x, x)))), 1);
  return tg_where(tg_lt_s(x, 0.125), s, tg_mul(tg_sign(t), y));
}
tg_tensor *tg_isnan(tg_tensor *t) { return tg_ne(t, t); }
tg_tensor *tg_isinf(tg_tensor *t) { return tg_eq_s(tg_abs(t), INFINITY); }
tg_tensor *tg_logical_not(tg_tensor *t) { return tg_eq_s(tg_cast(t, TG_BOOL), 0); }
