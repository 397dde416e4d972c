// Symbolic variables as tensors: tg_variable, tg_bind, and tg_sym (an integer expression -> a dimension)
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include "uop/symbolic.h"

tg_tensor *tg_variable(const char *name, int64_t min, int64_t max) {
  if (!name || !*name) { tg_set_error("tg_variable: empty name"); return NULL; }
  if (min < 0 || min > max) { tg_set_error("tg_variable(%s): bad range [%lld, %lld] (want 0 <= min <= max)", name, (long long)min, (long long)max); return NULL; }
  if (max > INT32_MAX) { tg_set_error("tg_variable(%s): max %lld does not fit int32", name, (long long)max); return NULL; }
  Device *d = dev_default();
  if (!d) { if (!tg_has_error()) tg_set_error("tg_variable: no default device"); return NULL; }
  int64_t b[2] = { min, max };
  return tensor_wrap(uop0(OP_DEFINE_VAR, DT_INT32_T, (Arg){ .kind = ARG_VAR, .n = 2, .tup = b, .str = name }), d);
}

static UOp *var_of(const tg_tensor *t) {
  UOp *u = t->uop;
  if (u->op == OP_BIND) u = u->src[0];
  return u->op == OP_DEFINE_VAR ? u : NULL;
}

int tg_bind(tg_tensor *var, int64_t value) {
  if (!t_check_inputs("tg_bind", 1, var)) return -1;
  UOp *v = var_of(var);
  if (!v) { tg_set_error("tg_bind: the tensor is not a variable (make one with tg_variable)"); return -1; }
  if (value < v->arg.tup[0] || value > v->arg.tup[1]) {
    tg_set_error("tg_bind: %s = %lld is outside [%lld, %lld]", uop_var_name(v), (long long)value, (long long)v->arg.tup[0], (long long)v->arg.tup[1]);
    return -1;
  }
  var->uop = uop2(OP_BIND, v->dtype, v, uop_const_int(v->dtype, value), arg_none());
  return 0;
}

// The integer expression as index math: variables (bound), constants, and + - * // max.
static UOp *as_index(UOp *u, const char **why) {
  switch ((Op)u->op) {
  case OP_CONST: if (u->arg.kind == ARG_INT) return uop_iconst(u->arg.i); break;
  case OP_DEFINE_VAR: *why = "a variable is not bound (tg_bind)"; return NULL;
  case OP_BIND: {
    UOp *v = uop_var(uop_var_name(u->src[0]), u->src[0]->arg.tup[0], u->src[0]->arg.tup[1]);
    return uop2(OP_BIND, DT_INDEX_T, v, uop_iconst(u->src[1]->arg.i), arg_none());
  }
  case OP_CAST: if (sym_is_int(u->src[0]->dtype)) return as_index(u->src[0], why); break;
  case OP_RESHAPE: case OP_EXPAND: return as_index(u->src[0], why);     // a 0-d scalar viewed as 0-d
  case OP_ADD: case OP_SUB: case OP_MUL: case OP_CDIV: case OP_MAX: {
    UOp *a = as_index(u->src[0], why), *b = a ? as_index(u->src[1], why) : NULL;
    return b ? uop_alu((Op)u->op, a, b) : NULL;
  }
  case OP_NEG: { UOp *a = as_index(u->src[0], why); return a ? uop_neg(a) : NULL; }
  default: break;
  }
  if (!*why) *why = "only variables, integer constants and + - * // max make a dimension";
  return NULL;
}

int64_t tg_sym(tg_tensor *expr) {
  if (!t_check_inputs("tg_sym", 1, expr)) return -1;
  if (expr->ndim != 0 || !sym_is_int(expr->uop->dtype)) { tg_set_error("tg_sym: want a 0-d integer tensor"); return -1; }
  const char *why = NULL;
  UOp *e = as_index(expr->uop, &why);
  if (!e) { tg_set_error("tg_sym: %s", why); return -1; }
  if (uop_vmin(sym_simplify(e)) < 0) { tg_set_error("tg_sym: the expression can be negative"); return -1; }
  return dim_of(e);
}

int64_t tg_sym_value(int64_t dim) { return dim_ok(dim) ? dim_value(dim) : -1; }
bool tg_sym_is(int64_t dim) { return dim_is_sym(dim) && dim_ok(dim); }

tg_tensor *t_dim_scalar(int64_t dim, const tg_tensor *like) {
  if (!like) return NULL;
  return tensor_wrap(uop_cast(dim_expr(dim), dt_scalar(like->dtype)), like->dev);
}
