// Symbolic folding: constant evaluation of ALU ops with C semantics, and the simple identities
#include "uop/symbolic_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- constant evaluation ----
static double fval(const UOp *c) { return c->arg.kind == ARG_FLOAT ? c->arg.f : (double)c->arg.i; }
static int bits_of(ScalarType s) { return s == DT_INDEX ? 64 : st_itemsize(s) * 8; }

static bool exec_float(Op op, ScalarType rs, const UOp *const *x, int n, Arg *out) {
  double a = fval(x[0]), b = n > 1 ? fval(x[1]) : 0, r;
  switch (op) {
  case OP_ADD: r = a + b; break;
  case OP_SUB: r = a - b; break;
  case OP_MUL: r = a * b; break;
  case OP_FDIV: r = a / b; break;
  case OP_MAX: if (isnan(a) || isnan(b)) return false; r = a > b ? a : b; break;   // NaN: backend-defined
  case OP_POW: r = pow(a, b); break;
  case OP_NEG: r = -a; break;
  case OP_EXP2: r = exp2(a); break;
  case OP_LOG2: r = log2(a); break;
  case OP_SIN: r = sin(a); break;
  case OP_SQRT: r = sqrt(a); break;
  case OP_RECIPROCAL: r = 1.0 / a; break;
  case OP_TRUNC: r = trunc(a); break;
  case OP_CMPLT: *out = arg_int(a < b); return true;
  case OP_CMPNE: *out = arg_int(a != b); return true;
  case OP_CMPEQ: *out = arg_int(a == b); return true;
  case OP_MULACC: r = a * b + fval(x[2]); break;
  default: return false;
  }
  *out = arg_float(st_round_float(rs, r));
  return true;
}

static bool exec_int(Op op, ScalarType s, const UOp *const *x, int n, Arg *out) {
  int64_t a = x[0]->arg.i, b = n > 1 ? x[1]->arg.i : 0, r;
  uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
  bool uns = st_is_unsigned(s);
  switch (op) {
  case OP_ADD: r = (int64_t)(ua + ub); break;
  case OP_SUB: r = (int64_t)(ua - ub); break;
  case OP_MUL: r = (int64_t)(ua * ub); break;
  case OP_NEG: r = (int64_t)(0 - ua); break;
  case OP_TRUNC: r = a; break;
  case OP_CDIV: case OP_CMOD:
    if (b == 0 || (!uns && a == INT64_MIN && b == -1)) return false;
    if (uns) r = (int64_t)(op == OP_CDIV ? ua / ub : ua % ub);
    else r = op == OP_CDIV ? a / b : a % b;
    break;
  case OP_MAX: r = (uns ? ua > ub : a > b) ? a : b; break;
  case OP_CMPLT: *out = arg_int(uns ? ua < ub : a < b); return true;
  case OP_CMPNE: *out = arg_int(a != b); return true;
  case OP_CMPEQ: *out = arg_int(a == b); return true;
  case OP_AND: r = a & b; break;
  case OP_OR: r = a | b; break;
  case OP_XOR: r = a ^ b; break;
  case OP_SHL: case OP_SHR:
    if (b < 0 || b >= bits_of(s)) return false;
    if (op == OP_SHL) r = (int64_t)(ua << b);
    else r = uns ? (int64_t)(ua >> b) : a >> b;      // arithmetic shift for signed, as gcc/clang
    break;
  case OP_MULACC: r = (int64_t)(ua * ub + (uint64_t)x[2]->arg.i); break;
  default: return false;
  }
  *out = arg_int(st_wrap_int(s, r));
  return true;
}

static bool exec_bool(Op op, const UOp *const *x, int n, Arg *out) {
  int64_t a = x[0]->arg.i != 0, b = n > 1 ? x[1]->arg.i != 0 : 0, r;
  switch (op) {
  case OP_AND: case OP_MUL: r = a & b; break;
  case OP_OR: case OP_ADD: case OP_MAX: r = a | b; break;
  case OP_XOR: case OP_CMPNE: r = a ^ b; break;
  case OP_CMPEQ: r = a == b; break;
  case OP_CMPLT: r = a < b; break;
  case OP_TRUNC: r = a; break;
  default: return false;
  }
  *out = arg_int(r);
  return true;
}

static bool exec_cast(DType to, const UOp *c, Arg *out) {
  ScalarType ts = (ScalarType)to.scalar, fs = (ScalarType)c->dtype.scalar;
  if (ts == DT_BOOL) { *out = arg_int(st_is_float(fs) ? c->arg.f != 0 : c->arg.i != 0); return true; }
  if (st_is_float(ts)) {
    double v = st_is_float(fs) ? c->arg.f : fs == DT_UINT64 ? (double)(uint64_t)c->arg.i : (double)c->arg.i;
    *out = arg_float(st_round_float(ts, v));
    return true;
  }
  if (!st_is_int(ts)) return false;
  if (!st_is_float(fs)) { *out = arg_int(st_wrap_int(ts, c->arg.i)); return true; }
  double t = trunc(c->arg.f);                 // float -> int: undefined outside the target's range
  if (isnan(t) || t < (double)st_min(ts) || t >= -(double)INT64_MIN || t > (double)st_max(ts)) return false;
  *out = arg_int((int64_t)t);
  return true;
}

static bool exec_bitcast(DType to, const UOp *c, Arg *out) {
  ScalarType ts = (ScalarType)to.scalar, fs = (ScalarType)c->dtype.scalar;
  int size = st_itemsize(ts);
  if (size != st_itemsize(fs) || ts == DT_INDEX || fs == DT_INDEX || size < 4) return false;  // no f16/bf16 here
  uint64_t bits = 0;
  if (fs == DT_FLOAT32) { float f = (float)c->arg.f; uint32_t u; memcpy(&u, &f, 4); bits = u; }
  else if (fs == DT_FLOAT64) memcpy(&bits, &c->arg.f, 8);
  else bits = (uint64_t)c->arg.i;
  if (ts == DT_FLOAT32) { uint32_t u = (uint32_t)bits; float f; memcpy(&f, &u, 4); *out = arg_float(f); }
  else if (ts == DT_FLOAT64) { double d; memcpy(&d, &bits, 8); *out = arg_float(d); }
  else *out = arg_int(st_wrap_int(ts, (int64_t)bits));
  return true;
}

bool sym_exec_alu(Op op, DType dt, const UOp *const *x, int n, Arg *out) {
  for (int i = 0; i < n; i++) if (x[i]->op != OP_CONST) return false;
  if (op == OP_WHERE) { *out = x[0]->arg.i ? x[1]->arg : x[2]->arg; return true; }
  if (op == OP_CAST) return exec_cast(dt, x[0], out);
  if (op == OP_BITCAST) return exec_bitcast(dt, x[0], out);
  ScalarType s = (ScalarType)x[0]->dtype.scalar;
  if (st_is_float(s)) return exec_float(op, (ScalarType)dt.scalar, x, n, out);
  if (s == DT_BOOL) return exec_bool(op, x, n, out);
  if (st_is_int(s)) return exec_int(op, s, x, n, out);
  return false;
}

// ---- rules ----
static UOp *fold_const(Match *m) {
  UOp *u = m->root;
  if (!op_is_alu((Op)u->op) || u->op == OP_THREEFRY || dt_is_ptr(u->dtype)) return NULL;
  Arg a;
  if (!sym_exec_alu((Op)u->op, u->dtype, (const UOp *const *)u->src, (int)u->nsrc, &a)) return NULL;
  return uop0(OP_CONST, u->dtype, a);
}

static bool is_intlike(UOp *u) { return sym_is_int(u->dtype) || u->dtype.scalar == DT_BOOL; }
static bool is_float(UOp *u) { return st_is_float((ScalarType)u->dtype.scalar); }

// value range says it is one number (integer and bool dtypes only)
static UOp *fold_range(Match *m) {
  UOp *u = m->root;
  if (!u->has_range || u->vmin != u->vmax || dt_is_ptr(u->dtype)) return NULL;
  if (!op_is_alu((Op)u->op) && u->op != OP_DEFINE_VAR) return NULL;
  return uop_const_int(u->dtype, u->vmin);
}

static UOp *r_x(Match *m) { return B(x); }
static UOp *r_zero_int(Match *m) { return is_intlike(B(x)) ? uop_const_int(m->root->dtype, 0) : NULL; }
static UOp *r_one_int(Match *m) { return sym_is_int(B(x)->dtype) ? uop_const_int(m->root->dtype, 1) : NULL; }
static UOp *r_false_int(Match *m) { return is_intlike(B(x)) ? uop_const_int(m->root->dtype, 0) : NULL; }
static UOp *r_true_int(Match *m) { return is_intlike(B(x)) ? uop_const_int(m->root->dtype, 1) : NULL; }
static UOp *r_float_negneg(Match *m) { return is_float(B(x)) ? B(x) : NULL; }
static UOp *r_mod_pm1(Match *m) {
  int64_t c = B(c)->arg.i;
  return sym_is_int(B(x)->dtype) && (c == 1 || (c == -1 && !st_is_unsigned((ScalarType)B(x)->dtype.scalar)))
    ? uop_const_int(m->root->dtype, 0) : NULL;
}
static UOp *r_div_m1(Match *m) {
  // a CONST x was not folded: x is the minimum and x//-1 overflows, so leave it
  return sym_is_int(B(x)->dtype) && !st_is_unsigned((ScalarType)B(x)->dtype.scalar) && B(x)->op != OP_CONST ? uop_mul_i(B(x), -1) : NULL;
}

// integer SUB and NEG become the symbolic forms a + b*-1 and a*-1 (what uop_sub/uop_neg build)
static UOp *r_sub_int(Match *m) {
  UOp *u = m->root;
  return sym_is_int(u->dtype) ? uop_add(u->src[0], uop_mul_i(u->src[1], -1)) : NULL;
}
static UOp *r_neg_op_int(Match *m) { return sym_is_int(m->root->dtype) ? uop_mul_i(m->root->src[0], -1) : NULL; }

// boolean arithmetic is logic: + and max are |, * is &, != is ^, == is ^ true
static UOp *r_bool_logic(Match *m) {
  UOp *u = m->root, *a = u->src[0], *b = u->src[1];
  if (a->dtype.scalar != DT_BOOL) return NULL;
  switch ((Op)u->op) {
  case OP_ADD: case OP_MAX: return uop_or(a, b);
  case OP_MUL: return uop_and(a, b);
  case OP_CMPNE: return uop_xor(a, b);
  case OP_CMPEQ: return sym_not(uop_xor(a, b));
  default: return NULL;
  }
}

// where(c, x, x) -> x; where(const, a, b); where(c, True, False) -> c; where(c, False, True) -> !c
static UOp *r_where_simple(Match *m) {
  UOp *u = m->root, *c = u->src[0], *t = u->src[1], *f = u->src[2];
  if (t == f) return t;
  if (c->op == OP_CONST && c->dtype.count == 1) return c->arg.i ? t : f;
  if (t->op == OP_CONST && f->op == OP_CONST && u->dtype.scalar == DT_BOOL && dt_eq(c->dtype, u->dtype))
    return t->arg.i && !f->arg.i ? c : !t->arg.i && f->arg.i ? sym_not(c) : NULL;
  if (u->dtype.scalar == DT_BOOL && dt_eq(c->dtype, u->dtype)) {   // where(c, t, False) -> c&t, where(c, True, f) -> c|f
    if (f->op == OP_CONST && !f->arg.i) return uop_and(c, t);
    if (t->op == OP_CONST && t->arg.i) return uop_or(c, f);
  }
  return NULL;
}

static UOp *r_cast_same(Match *m) { return dt_eq(m->root->dtype, B(x)->dtype) ? B(x) : NULL; }
static UOp *r_trunc_int(Match *m) { return is_intlike(B(x)) ? B(x) : NULL; }

const Rule sym_fold_rules[] = {
  RULE(UP(.src_mode = SRC_ANY), fold_const),
  RULE(UP(.src_mode = SRC_ANY), fold_range),
  // x+0, x^0, x|0, x-0, x<<0, x>>0, x*1, x/1, x//1 -> x
  RULE(UP(.ops = OPSET(OP_ADD, OP_XOR, OP_OR), PSRCS(P(x), PCV(0))), r_x),
  RULE(UP(.ops = OPSET(OP_SUB, OP_SHL, OP_SHR), PSRCS(P(x), PCV(0))), r_x),
  RULE(UP(.ops = OPSET(OP_MUL, OP_FDIV, OP_CDIV), PSRCS(P(x), PCV(1))), r_x),
  RULE(PAT(OP_MUL, P(x), PCV(0)), r_zero_int),                  // ints only: float x*0 may be NaN
  RULE(PAT(OP_AND, P(x), PCV(0)), r_zero_int),
  RULE(PAT(OP_CDIV, P(x), PCV(-1)), r_div_m1),
  RULE(PAT(OP_CMOD, P(x), PC(c)), r_mod_pm1),
  RULE(PAT(OP_CDIV, P(x), P(x)), r_one_int),                    // x//x: undefined at 0 anyway
  RULE(PAT(OP_CMOD, P(x), P(x)), r_zero_int),
  RULE(PAT(OP_XOR, P(x), P(x)), r_zero_int),
  RULE(UP(.ops = OPSET(OP_MAX, OP_AND, OP_OR), PSRCS(P(x), P(x))), r_x),
  RULE(PAT(OP_CMPLT, P(x), P(x)), r_false_int),
  RULE(PAT(OP_CMPNE, P(x), P(x)), r_false_int),                 // floats: NaN != NaN
  RULE(PAT(OP_CMPEQ, P(x), P(x)), r_true_int),
  RULE(PAT(OP_NEG, PAT(OP_NEG, P(x))), r_float_negneg),
  RULE(POP(OP_SUB, x), r_sub_int),
  RULE(POP(OP_NEG, x), r_neg_op_int),
  RULE(UP(.ops = OPSET(OP_ADD, OP_MAX, OP_MUL, OP_CMPNE, OP_CMPEQ)), r_bool_logic),
  RULE(POP(OP_WHERE, x), r_where_simple),
  RULE(UP(.ops = OPSET(OP_CAST, OP_BITCAST), PSRCS(P(x))), r_cast_same),
  RULE(PAT(OP_TRUNC, P(x)), r_trunc_int),
  RULES_END
};
