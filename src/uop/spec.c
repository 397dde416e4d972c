// Spec checker: a table of small rules over op/dtype/source invariants, checked on a toposort
#include "uop/spec.h"
#include "uop/symdim.h"
#include "uop/print.h"
#include "base/env.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/strbuf.h"
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char rule_msg[512];   // the broken rule, set by fail()
static _Thread_local char last_error[1536];

static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rule_msg, sizeof rule_msg, fmt, ap);
  va_end(ap);
  return false;
}
#define NEED(cond, ...) do { if (!(cond)) return fail(__VA_ARGS__); } while (0)

// dtype as text, for messages (a few rotating buffers so one message can name several)
static const char *dts(DType d) {
  static _Thread_local char buf[4][48];
  static _Thread_local int k;
  char *b = buf[k++ & 3];
  if (d.scalar >= DT_SCALAR_COUNT_) snprintf(b, 48, "<bad scalar %d>", d.scalar);
  else dt_str(d, b, 48);
  return b;
}

static ScalarType st(const UOp *u) { return (ScalarType)u->dtype.scalar; }
static bool is_float(const UOp *u) { return st_is_float(st(u)) && !dt_is_ptr(u->dtype); }
static bool is_int(const UOp *u) { return st_is_int(st(u)) && !dt_is_ptr(u->dtype); }
static bool is_bool(const UOp *u) { return st(u) == DT_BOOL && !dt_is_ptr(u->dtype); }
static bool is_void(const UOp *u) { return st(u) == DT_VOID; }
static bool same(const UOp *a, const UOp *b) { return dt_eq(a->dtype, b->dtype); }
static bool is_reduce_op(int64_t op) { return op == OP_ADD || op == OP_MUL || op == OP_MAX; }

// ---- source counts: {min, max}, max -1 unbounded; ops not listed take any count ----
typedef struct { uint8_t set; int8_t min, max; } Arity;
#define AR(lo, hi) { 1, lo, hi }
static const Arity arity[OP_COUNT_] = {
  [OP_CONST] = AR(0, 0), [OP_VCONST] = AR(0, 0), [OP_DEFINE_VAR] = AR(0, 0), [OP_DEVICE] = AR(0, 0),
  [OP_UNIQUE] = AR(0, 0), [OP_DEFINE_GLOBAL] = AR(0, 0), [OP_DEFINE_LOCAL] = AR(0, 0), [OP_DEFINE_REG] = AR(0, 0),
  [OP_EXP2] = AR(1, 1), [OP_LOG2] = AR(1, 1), [OP_SIN] = AR(1, 1), [OP_SQRT] = AR(1, 1), [OP_RECIPROCAL] = AR(1, 1),
  [OP_NEG] = AR(1, 1), [OP_TRUNC] = AR(1, 1), [OP_CAST] = AR(1, 1), [OP_BITCAST] = AR(1, 1),
  [OP_ADD] = AR(2, 2), [OP_MUL] = AR(2, 2), [OP_SUB] = AR(2, 2), [OP_FDIV] = AR(2, 2), [OP_CDIV] = AR(2, 2),
  [OP_CMOD] = AR(2, 2), [OP_MAX] = AR(2, 2), [OP_POW] = AR(2, 2), [OP_CMPLT] = AR(2, 2), [OP_CMPNE] = AR(2, 2),
  [OP_CMPEQ] = AR(2, 2), [OP_AND] = AR(2, 2), [OP_OR] = AR(2, 2), [OP_XOR] = AR(2, 2), [OP_SHL] = AR(2, 2),
  [OP_SHR] = AR(2, 2), [OP_THREEFRY] = AR(2, 2), [OP_WHERE] = AR(3, 3), [OP_MULACC] = AR(3, 3),
  [OP_BIND] = AR(2, 2), [OP_RANGE] = AR(1, -1), [OP_END] = AR(1, -1), [OP_SPECIAL] = AR(1, 1),
  [OP_INDEX] = AR(1, -1), [OP_LOAD] = AR(1, 3), [OP_STORE] = AR(2, -1), [OP_IF] = AR(1, 2), [OP_ENDIF] = AR(1, 1),
  [OP_VECTORIZE] = AR(1, -1), [OP_GEP] = AR(1, 1), [OP_CAT] = AR(1, -1), [OP_PTRCAT] = AR(1, -1),
  [OP_RESHAPE] = AR(1, -1), [OP_PERMUTE] = AR(1, -1), [OP_EXPAND] = AR(1, -1), [OP_PAD] = AR(1, -1),
  [OP_SHRINK] = AR(1, -1), [OP_FLIP] = AR(1, -1), [OP_REDUCE_AXIS] = AR(1, 1), [OP_REDUCE] = AR(1, -1),
  [OP_CONTIGUOUS] = AR(1, -1), [OP_CONTIGUOUS_BACKWARD] = AR(1, 1), [OP_DETACH] = AR(1, 1), [OP_GRAD_FN] = AR(2, -1), [OP_COPY] = AR(1, 2),
  [OP_ASSIGN] = AR(2, -1), [OP_AFTER] = AR(1, -1), [OP_WMMA] = AR(16, 16),
};

static bool chk_arity(UOp *u, SpecLevel lv) {
  (void)lv;
  const Arity *a = &arity[u->op];
  if (!a->set) return true;
  int n = (int)u->nsrc;
  if (a->max == a->min) NEED(n == a->min, "%s takes %d source(s), has %d", op_name((Op)u->op), a->min, n);
  NEED(n >= a->min, "%s takes at least %d source(s), has %d", op_name((Op)u->op), a->min, n);
  NEED(a->max < 0 || n <= a->max, "%s takes at most %d source(s), has %d", op_name((Op)u->op), a->max, n);
  return true;
}

static bool chk_dtype(UOp *u, SpecLevel lv) {
  (void)lv;
  DType d = u->dtype;
  NEED(d.scalar < DT_SCALAR_COUNT_, "dtype has an unknown scalar type %d", d.scalar);
  NEED(d.count >= 1 && d.vcount >= 1, "dtype %s has a zero vector width", dts(d));
  NEED(d.addr <= ADDR_REG, "dtype %s has an unknown address space %d", dts(d), d.addr);
  NEED(d.scalar != DT_VOID || (d.count == 1 && !dt_is_ptr(d)), "void dtype %s is a vector or pointer", dts(d));
  NEED(dt_is_ptr(d) || (d.vcount == 1 && d.size == -1), "non-pointer dtype %s has a pointer size or count", dts(d));
  return true;
}

// ---- ALU ----
static bool chk_value_dtype(UOp *u) {   // the ALU result is a value
  NEED(!is_void(u) && !dt_is_ptr(u->dtype), "%s must have a value dtype, has %s", op_name((Op)u->op), dts(u->dtype));
  return true;
}

static bool chk_unary(UOp *u, SpecLevel lv) {
  (void)lv;
  if (!chk_value_dtype(u)) return false;
  NEED(same(u->src[0], u), "unary ALU source must have the result dtype %s, has %s", dts(u->dtype), dts(u->src[0]->dtype));
  bool transcendental = u->op == OP_EXP2 || u->op == OP_LOG2 || u->op == OP_SIN || u->op == OP_SQRT ||
                        u->op == OP_RECIPROCAL || u->op == OP_TRUNC;
  NEED(!transcendental || is_float(u), "%s needs a float dtype, has %s", op_name((Op)u->op), dts(u->dtype));
  NEED(u->op != OP_NEG || !is_bool(u), "NEG of bool (use XOR with True)");
  return true;
}

static bool chk_cast(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(!is_void(u) && !is_void(u->src[0]), "%s between %s and %s: void has no value", op_name((Op)u->op),
       dts(u->src[0]->dtype), dts(u->dtype));
  if (u->op == OP_BITCAST) {
    DType a = u->src[0]->dtype, b = u->dtype;
    NEED(!dt_is_ptr(a) && !dt_is_ptr(b), "BITCAST of pointers (%s -> %s)", dts(a), dts(b));
    NEED(st_itemsize((ScalarType)a.scalar) * a.count == st_itemsize((ScalarType)b.scalar) * b.count,
         "BITCAST changes the size in bytes (%s -> %s)", dts(a), dts(b));
  }
  NEED(u->arg.kind == ARG_NONE, "%s takes no arg", op_name((Op)u->op));
  return true;
}

static bool chk_binary(UOp *u, SpecLevel lv) {   // arithmetic and bitwise: all three dtypes agree
  (void)lv;
  if (!chk_value_dtype(u)) return false;
  for (int i = 0; i < 2; i++)
    NEED(same(u->src[i], u), "binary ALU operands must have the result dtype %s, src %d has %s", dts(u->dtype), i,
         dts(u->src[i]->dtype));
  Op op = (Op)u->op;
  NEED(!((op == OP_AND || op == OP_OR || op == OP_XOR) && is_float(u)), "%s on float dtype %s", op_name(op), dts(u->dtype));
  NEED(!((op == OP_CDIV || op == OP_CMOD) && !is_int(u)), "%s needs an integer dtype, has %s", op_name(op), dts(u->dtype));
  NEED(!((op == OP_FDIV || op == OP_POW) && !is_float(u)), "%s needs a float dtype, has %s", op_name(op), dts(u->dtype));
  NEED(op != OP_THREEFRY || st(u) == DT_UINT64, "THREEFRY works on uint64, has %s", dts(u->dtype));
  return true;
}

static bool chk_cmp(UOp *u, SpecLevel lv) {
  (void)lv;
  UOp *a = u->src[0], *b = u->src[1];
  NEED(same(a, b), "comparison operands differ (%s vs %s)", dts(a->dtype), dts(b->dtype));
  NEED(!is_void(a) && !dt_is_ptr(a->dtype), "comparison of %s values", dts(a->dtype));
  NEED(dt_eq(u->dtype, dt_vec(DT_BOOL_T, a->dtype.count)), "comparison must return bool%s, returns %s",
       a->dtype.count > 1 ? " of the operands' width" : "", dts(u->dtype));
  return true;
}

static bool chk_shift(UOp *u, SpecLevel lv) {
  (void)lv;
  if (!chk_value_dtype(u)) return false;
  NEED(is_int(u), "%s needs an integer dtype, has %s", op_name((Op)u->op), dts(u->dtype));
  NEED(same(u->src[0], u), "%s value must have the result dtype %s, has %s", op_name((Op)u->op), dts(u->dtype),
       dts(u->src[0]->dtype));
  NEED(is_int(u->src[1]) && (u->src[1]->dtype.count == 1 || u->src[1]->dtype.count == u->dtype.count),
       "%s amount must be an integer, has %s", op_name((Op)u->op), dts(u->src[1]->dtype));
  return true;
}

static bool chk_where(UOp *u, SpecLevel lv) {
  (void)lv;
  UOp *c = u->src[0];
  NEED(is_bool(c), "WHERE condition must be bool, is %s", dts(c->dtype));
  NEED(c->dtype.count == 1 || c->dtype.count == u->dtype.count, "WHERE condition width %d differs from the result's %d",
       c->dtype.count, u->dtype.count);
  for (int i = 1; i < 3; i++)
    NEED(same(u->src[i], u), "WHERE branch %d must have the result dtype %s, has %s", i, dts(u->dtype), dts(u->src[i]->dtype));
  NEED(!is_void(u), "WHERE of void");
  return true;
}

static bool chk_mulacc(UOp *u, SpecLevel lv) {
  (void)lv;
  if (!chk_value_dtype(u)) return false;
  for (int i = 0; i < 3; i++)
    NEED(same(u->src[i], u), "MULACC source %d must have the result dtype %s, has %s", i, dts(u->dtype), dts(u->src[i]->dtype));
  return true;
}

// ---- leaves ----
static bool chk_const(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(!is_void(u) && !dt_is_ptr(u->dtype), "CONST of dtype %s", dts(u->dtype));
  ScalarType s = st(u);
  if (st_is_float(s)) {
    NEED(u->arg.kind == ARG_FLOAT, "CONST of float dtype %s needs a FLOAT arg", dts(u->dtype));
    double r = st_round_float(s, u->arg.f);
    NEED(isnan(r) || memcmp(&r, &u->arg.f, sizeof r) == 0, "CONST %.17g is not representable in %s", u->arg.f, dts(u->dtype));
  } else {
    NEED(u->arg.kind == ARG_INT, "CONST of %s dtype %s needs an INT arg", s == DT_BOOL ? "bool" : "integer", dts(u->dtype));
    NEED(st_wrap_int(s, u->arg.i) == u->arg.i && (s != DT_BOOL || u->arg.i == 0 || u->arg.i == 1),
         "CONST %" PRId64 " is outside the range of %s", u->arg.i, dts(u->dtype));
  }
  return true;
}

static bool chk_vconst(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(u->arg.kind == ARG_TUPLE && u->arg.n == u->dtype.count && u->dtype.count > 1,
       "VCONST needs a TUPLE arg with one value per lane of %s", dts(u->dtype));
  NEED(!is_float(u) && !is_void(u), "VCONST holds integer lanes, dtype is %s", dts(u->dtype));
  return true;
}

static bool chk_define_var(UOp *u, SpecLevel lv) {
  NEED(u->arg.kind == ARG_VAR && u->arg.n == 2, "DEFINE_VAR needs an ARG_VAR arg (name, min, max)");
  NEED(u->arg.str && u->arg.str[0], "DEFINE_VAR needs a name");
  NEED(u->arg.tup[0] <= u->arg.tup[1], "DEFINE_VAR %s has an empty range [%" PRId64 ", %" PRId64 "]", u->arg.str,
       u->arg.tup[0], u->arg.tup[1]);
  // index everywhere (shape math); in programs also int32/int64; in tensor graphs int32 (a tg_variable used as a value)
  if (lv == SPEC_PROGRAM)
    NEED(dt_eq(u->dtype, DT_INDEX_T) || dt_eq(u->dtype, DT_INT32_T) || dt_eq(u->dtype, dt_scalar(DT_INT64)),
         "DEFINE_VAR in a program must be index/int32/int64, is %s", dts(u->dtype));
  else if (lv == SPEC_TENSOR)
    NEED(dt_eq(u->dtype, DT_INDEX_T) || dt_eq(u->dtype, DT_INT32_T), "DEFINE_VAR in a tensor graph must be index/int32, is %s", dts(u->dtype));
  else NEED(dt_eq(u->dtype, DT_INDEX_T), "DEFINE_VAR must have dtype index, has %s", dts(u->dtype));
  return true;
}

static bool chk_bind(UOp *u, SpecLevel lv) {
  (void)lv;
  UOp *v = u->src[0], *c = u->src[1];
  NEED(v->op == OP_DEFINE_VAR && c->op == OP_CONST, "BIND takes (DEFINE_VAR, CONST), has (%s, %s)", op_name((Op)v->op),
       op_name((Op)c->op));
  NEED(same(u, v) && same(v, c), "BIND dtypes differ (%s, var %s, value %s)", dts(u->dtype), dts(v->dtype), dts(c->dtype));
  NEED(v->arg.kind != ARG_VAR || c->arg.kind != ARG_INT || (c->arg.i >= v->arg.tup[0] && c->arg.i <= v->arg.tup[1]),
       "BIND value %" PRId64 " is outside %s's range", c->arg.i, uop_var_name(v));
  return true;
}

static bool chk_device(UOp *u, SpecLevel lv) {
  (void)lv;
  if (u->op == OP_DEVICE) NEED(u->arg.kind == ARG_STR, "DEVICE needs a STR arg (the device name)");
  else NEED(u->arg.kind == ARG_INT, "UNIQUE needs an INT arg");
  return true;
}

// ---- structure ----
static bool chk_void(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(dt_eq(u->dtype, DT_VOID_T), "%s must have dtype void, has %s", op_name((Op)u->op), dts(u->dtype));
  return true;
}

static bool chk_range(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(is_int(u) && u->dtype.count == 1, "RANGE must be a scalar integer/index, is %s", dts(u->dtype));
  NEED(same(u->src[0], u), "RANGE bound must have the RANGE's dtype %s, has %s", dts(u->dtype), dts(u->src[0]->dtype));
  NEED(u->arg.kind == ARG_INT || (u->arg.kind == ARG_TUPLE && u->arg.n > 0), "RANGE needs an INT or non-empty TUPLE arg");
  return true;
}

static bool chk_end(UOp *u, SpecLevel lv) {
  (void)lv;
  for (uint32_t i = 1; i < u->nsrc; i++)
    NEED(u->src[i]->op == OP_RANGE, "END source %u must be a RANGE, is %s", i, op_name((Op)u->src[i]->op));
  return chk_void(u, lv);
}

static bool chk_special(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(is_int(u) && u->dtype.count == 1, "SPECIAL must be a scalar integer/index, is %s", dts(u->dtype));
  NEED(same(u->src[0], u), "SPECIAL size must have the SPECIAL's dtype %s, has %s", dts(u->dtype), dts(u->src[0]->dtype));
  NEED(u->arg.kind == ARG_STR, "SPECIAL needs a STR arg (its name)");
  return true;
}

static bool chk_if(UOp *u, SpecLevel lv) {
  if (u->op == OP_IF) NEED(is_bool(u->src[0]) && u->src[0]->dtype.count == 1, "IF condition must be a scalar bool, is %s",
                          dts(u->src[0]->dtype));
  else NEED(u->src[0]->op == OP_IF, "ENDIF must close an IF, its source is %s", op_name((Op)u->src[0]->op));
  return chk_void(u, lv);
}

static bool chk_define_buf(UOp *u, SpecLevel lv) {
  (void)lv;
  AddrSpace want = u->op == OP_DEFINE_GLOBAL ? ADDR_GLOBAL : u->op == OP_DEFINE_LOCAL ? ADDR_LOCAL : ADDR_REG;
  NEED(u->dtype.addr == want, "%s needs a %s pointer dtype, has %s", op_name((Op)u->op),
       want == ADDR_GLOBAL ? "global" : want == ADDR_LOCAL ? "local" : "register", dts(u->dtype));
  NEED(st(u) != DT_VOID, "%s points at void", op_name((Op)u->op));
  return true;
}

// ---- memory ----
static bool chk_index(UOp *u, SpecLevel lv) {   // INDEX(buf, idx..., gate?)
  (void)lv;
  for (uint32_t i = 1; i < u->nsrc; i++) {
    UOp *s = u->src[i];
    bool gate = i == u->nsrc - 1 && i >= 2 && is_bool(s);
    NEED(gate || is_int(s), "INDEX source %u must be an integer index%s, is %s", i, i >= 2 ? " (or a final bool gate)" : "",
         dts(s->dtype));
  }
  return true;
}

static bool is_ptr_src(UOp *s) {   // INDEX, or a CAST/BITCAST of one (a vector view of the pointer)
  if ((s->op == OP_CAST || s->op == OP_BITCAST) && s->nsrc == 1) s = s->src[0];
  return s->op == OP_INDEX && dt_is_ptr(s->dtype);
}

static bool chk_index_ptr(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(dt_is_ptr(u->src[0]->dtype), "INDEX in a kernel indexes a pointer, its buffer is %s (%s)",
       op_name((Op)u->src[0]->op), dts(u->src[0]->dtype));
  NEED(dt_is_ptr(u->dtype) && st(u) == st(u->src[0]), "INDEX in a kernel returns a pointer to %s, returns %s",
       st_name(st(u->src[0])), dts(u->dtype));
  NEED(u->nsrc >= 2, "INDEX in a kernel needs an index");
  return true;
}

static bool chk_load(UOp *u, SpecLevel lv) {
  NEED(!is_void(u), "LOAD of void");
  if (lv == SPEC_ANY || lv == SPEC_TENSOR) return true;
  UOp *p = u->src[0];
  NEED(is_ptr_src(p), "LOAD's source 0 must be an INDEX with a pointer dtype, is %s %s", op_name((Op)p->op), dts(p->dtype));
  NEED(!dt_is_ptr(u->dtype) && st(u) == st(p), "LOAD of a %s pointer must return %s, returns %s", dts(p->dtype),
       st_name(st(p)), dts(u->dtype));
  if (u->nsrc == 3) {
    NEED(same(u->src[1], u), "LOAD alt value must have the LOAD's dtype %s, has %s", dts(u->dtype), dts(u->src[1]->dtype));
    NEED(is_bool(u->src[2]), "LOAD gate must be bool, is %s", dts(u->src[2]->dtype));
  }
  return true;
}

static bool chk_store(UOp *u, SpecLevel lv) {
  if (!chk_void(u, lv)) return false;
  if (lv == SPEC_ANY || lv == SPEC_TENSOR) return true;
  UOp *p = u->src[0], *v = u->src[1];
  NEED(is_ptr_src(p), "STORE's source 0 must be an INDEX with a pointer dtype, is %s %s", op_name((Op)p->op), dts(p->dtype));
  NEED(!dt_is_ptr(v->dtype) && st(v) == st(p), "STORE of %s into a %s pointer", dts(v->dtype), dts(p->dtype));
  NEED(u->nsrc < 3 || is_bool(u->src[2]) || u->src[2]->op == OP_RANGE, "STORE source 2 must be a bool gate, is %s",
       dts(u->src[2]->dtype));
  return true;
}

// ---- vectors ----
static bool chk_vectorize(UOp *u, SpecLevel lv) {
  (void)lv;
  DType d = u->dtype;
  bool ptr = dt_is_ptr(d);
  NEED((ptr ? d.vcount : d.count) == u->nsrc, "VECTORIZE of %u sources must have width %u, has %s", u->nsrc, u->nsrc, dts(d));
  DType lane = ptr ? d : dt_vec(d, 1);
  lane.vcount = 1;
  for (uint32_t i = 0; i < u->nsrc; i++)
    NEED(dt_eq(u->src[i]->dtype, lane), "VECTORIZE source %u must be %s, is %s", i, dts(lane), dts(u->src[i]->dtype));
  return true;
}

static bool chk_gep(UOp *u, SpecLevel lv) {
  (void)lv;
  UOp *s = u->src[0];
  const int64_t *ix = u->arg.kind == ARG_TUPLE ? u->arg.tup : u->arg.kind == ARG_INT ? &u->arg.i : NULL;
  int n = u->arg.kind == ARG_TUPLE ? (int)u->arg.n : 1;
  NEED(ix && n > 0, "GEP needs an INT or TUPLE arg of lanes");
  int width = dt_is_ptr(s->dtype) ? s->dtype.vcount : s->dtype.count;
  for (int i = 0; i < n; i++)
    NEED(ix[i] >= 0 && ix[i] < width, "GEP lane %" PRId64 " out of range for %s", ix[i], dts(s->dtype));
  NEED(st(u) == st(s) && (dt_is_ptr(u->dtype) ? u->dtype.vcount : u->dtype.count) == n,
       "GEP of %d lane(s) from %s must return %d %s lane(s), returns %s", n, dts(s->dtype), n, st_name(st(s)), dts(u->dtype));
  return true;
}

static bool chk_cat(UOp *u, SpecLevel lv) {
  (void)lv;
  int total = 0;
  for (uint32_t i = 0; i < u->nsrc; i++) {
    NEED(st(u->src[i]) == st(u), "CAT source %u is %s, the result %s", i, dts(u->src[i]->dtype), dts(u->dtype));
    total += u->op == OP_PTRCAT ? u->src[i]->dtype.vcount : u->src[i]->dtype.count;
  }
  NEED(total == (u->op == OP_PTRCAT ? u->dtype.vcount : u->dtype.count), "%s of %d lanes returns %s", op_name((Op)u->op),
       total, dts(u->dtype));
  return true;
}

// ---- tensor graph ----
static bool chk_like_src0(UOp *u, SpecLevel lv) {   // AFTER, CONTIGUOUS, DETACH, COPY ... pass src[0]'s value through
  (void)lv;
  NEED(same(u->src[0], u), "%s must have its source's dtype %s, has %s", op_name((Op)u->op), dts(u->src[0]->dtype), dts(u->dtype));
  return true;
}

static bool chk_assign(UOp *u, SpecLevel lv) {
  NEED(same(u->src[1], u), "ASSIGN value must have the target's dtype %s, has %s", dts(u->dtype), dts(u->src[1]->dtype));
  return chk_like_src0(u, lv);
}

// GRAD_FN(value, inputs...): the value, with a custom gradient for the inputs (see tensor/gradient.h)
static bool chk_grad_fn(UOp *u, SpecLevel lv) {
  if (!chk_like_src0(u, lv)) return false;
  NEED(u->arg.kind == ARG_TUPLE && u->arg.n >= 1 && u->arg.tup[0] != 0, "GRAD_FN needs a TUPLE arg (gradient function, params...)");
  return true;
}

static bool chk_movement(UOp *u, SpecLevel lv) {
  if (!chk_like_src0(u, lv)) return false;
  Op op = (Op)u->op;
  NEED(u->arg.kind == ARG_TUPLE, "%s needs a shape arg (TUPLE)", op_name(op));
  const int64_t *t = u->arg.tup;
  uint32_t n = u->arg.n;
  if (op == OP_PAD || op == OP_SHRINK) NEED(n % 2 == 0, "%s arg must hold pairs, has %u values", op_name(op), n);
  if (op == OP_RESHAPE || op == OP_EXPAND)
    for (uint32_t i = 0; i < n; i++) NEED(dim_ok(t[i]), "%s to a negative size %" PRId64, op_name(op), t[i]);
  if (op == OP_PERMUTE) {
    uint64_t seen = 0;
    NEED(n <= 64, "PERMUTE of %u axes", n);
    for (uint32_t i = 0; i < n; i++) {
      NEED(t[i] >= 0 && t[i] < (int64_t)n && !((seen >> t[i]) & 1), "PERMUTE arg is not a permutation (axis %" PRId64 ")", t[i]);
      seen |= 1ull << t[i];
    }
  }
  return true;
}

static bool chk_reduce_axis(UOp *u, SpecLevel lv) {
  if (!chk_like_src0(u, lv)) return false;
  NEED(u->arg.kind == ARG_TUPLE && u->arg.n >= 1 && is_reduce_op(u->arg.tup[0]),
       "REDUCE_AXIS needs a TUPLE arg (reduce op ADD/MUL/MAX, axis...)");
  for (uint32_t i = 1; i < u->arg.n; i++) NEED(u->arg.tup[i] >= 0, "REDUCE_AXIS over a negative axis %" PRId64, u->arg.tup[i]);
  return true;
}

static bool chk_reduce(UOp *u, SpecLevel lv) {
  if (!chk_like_src0(u, lv)) return false;
  NEED(u->arg.kind == ARG_INT && is_reduce_op(u->arg.i), "REDUCE needs an INT arg (reduce op ADD/MUL/MAX)");
  for (uint32_t i = 1; i < u->nsrc; i++)
    NEED(is_int(u->src[i]), "REDUCE source %u must be an integer range, is %s", i, dts(u->src[i]->dtype));
  return true;
}

// ---- per-level ----
static bool chk_no_ptr(UOp *u, SpecLevel lv) {
  (void)lv;
  NEED(!dt_is_ptr(u->dtype), "pointer dtype %s in the tensor graph", dts(u->dtype));
  return true;
}

// ---- the rule table: a rule applies when the op is in `ops` (empty: every op) and the level in `levels` ----
#define LV(l) (1u << (l))
#define LV_ALL (LV(SPEC_ANY) | LV(SPEC_TENSOR) | LV(SPEC_KERNEL) | LV(SPEC_PROGRAM))
#define LV_CODE (LV(SPEC_KERNEL) | LV(SPEC_PROGRAM))
typedef struct { OpSet ops; uint8_t levels; bool (*fn)(UOp *u, SpecLevel lv); } SpecRule;

static const SpecRule rules[] = {
  { { { 0, 0 } }, LV_ALL, chk_dtype },
  { { { 0, 0 } }, LV_ALL, chk_arity },    // rules below may index sources within the arity
  { OPSET(OP_EXP2, OP_LOG2, OP_SIN, OP_SQRT, OP_RECIPROCAL, OP_NEG, OP_TRUNC), LV_ALL, chk_unary },
  { OPSET(OP_CAST, OP_BITCAST), LV_ALL, chk_cast },
  { OPSET(OP_ADD, OP_MUL, OP_SUB, OP_FDIV, OP_CDIV, OP_CMOD, OP_MAX, OP_POW, OP_AND, OP_OR, OP_XOR, OP_THREEFRY), LV_ALL, chk_binary },
  { OPSET(OP_CMPLT, OP_CMPNE, OP_CMPEQ), LV_ALL, chk_cmp },
  { OPSET(OP_SHL, OP_SHR), LV_ALL, chk_shift },
  { OPSET(OP_WHERE), LV_ALL, chk_where },
  { OPSET(OP_MULACC), LV_ALL, chk_mulacc },
  { OPSET(OP_CONST), LV_ALL, chk_const },
  { OPSET(OP_VCONST), LV_ALL, chk_vconst },
  { OPSET(OP_DEFINE_VAR), LV_ALL, chk_define_var },
  { OPSET(OP_BIND), LV_ALL, chk_bind },
  { OPSET(OP_DEVICE, OP_UNIQUE), LV_ALL, chk_device },
  { OPSET(OP_SINK, OP_GROUP, OP_BARRIER), LV_ALL, chk_void },
  { OPSET(OP_RANGE), LV_ALL, chk_range },
  { OPSET(OP_END), LV_ALL, chk_end },
  { OPSET(OP_SPECIAL), LV_ALL, chk_special },
  { OPSET(OP_IF, OP_ENDIF), LV_ALL, chk_if },
  { OPSET(OP_DEFINE_GLOBAL, OP_DEFINE_LOCAL, OP_DEFINE_REG), LV_ALL, chk_define_buf },
  { OPSET(OP_INDEX), LV_ALL, chk_index },
  { OPSET(OP_INDEX), LV_CODE, chk_index_ptr },
  { OPSET(OP_LOAD), LV_ALL, chk_load },
  { OPSET(OP_STORE), LV_ALL, chk_store },
  { OPSET(OP_VECTORIZE), LV_ALL, chk_vectorize },
  { OPSET(OP_GEP), LV_ALL, chk_gep },
  { OPSET(OP_CAT, OP_PTRCAT), LV_ALL, chk_cat },
  { OPSET(OP_AFTER, OP_CONTIGUOUS, OP_CONTIGUOUS_BACKWARD, OP_DETACH, OP_COPY), LV_ALL, chk_like_src0 },
  { OPSET(OP_ASSIGN), LV_ALL, chk_assign },
  { OPSET(OP_GRAD_FN), LV_ALL, chk_grad_fn },
  { OPSET(OP_RESHAPE, OP_PERMUTE, OP_EXPAND, OP_PAD, OP_SHRINK, OP_FLIP), LV_ALL, chk_movement },
  { OPSET(OP_REDUCE_AXIS), LV_ALL, chk_reduce_axis },
  { OPSET(OP_REDUCE), LV_ALL, chk_reduce },
  { { { 0, 0 } }, LV(SPEC_TENSOR), chk_no_ptr },
};

// ---- which ops each stage may contain ----
#define OPS_ALU_UN OPSET(OP_EXP2, OP_LOG2, OP_SIN, OP_SQRT, OP_RECIPROCAL, OP_NEG, OP_TRUNC, OP_CAST, OP_BITCAST)
#define OPS_ALU_BIN1 OPSET(OP_ADD, OP_MUL, OP_SUB, OP_FDIV, OP_CDIV, OP_CMOD, OP_MAX, OP_POW, OP_CMPLT, OP_CMPNE, OP_CMPEQ)
#define OPS_ALU_BIN2 OPSET(OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_THREEFRY, OP_WHERE, OP_MULACC)
#define OPS_COMMON OPSET(OP_SINK, OP_NOOP, OP_GROUP, OP_AFTER, OP_CONST, OP_VCONST, OP_DEFINE_VAR, OP_BIND, OP_INDEX, \
                         OP_STORE, OP_RANGE, OP_END, OP_SPECIAL, OP_VECTORIZE, OP_GEP, OP_CAT)
#define OPS_TENSOR OPSET(OP_UNIQUE, OP_DEVICE, OP_KERNEL, OP_BUFFER, OP_BUFFER_VIEW, OP_RESHAPE, OP_PERMUTE, OP_EXPAND, \
                         OP_PAD, OP_SHRINK, OP_FLIP, OP_REDUCE_AXIS, OP_REDUCE, OP_CONTIGUOUS, OP_CONTIGUOUS_BACKWARD, OP_COPY)
#define OPS_TENSOR2 OPSET(OP_ASSIGN, OP_DETACH, OP_GRAD_FN, OP_BUFFERIZE, OP_MSTACK, OP_MSELECT, OP_CUSTOM, OP_CUSTOMI)
#define OPS_CODE OPSET(OP_DEFINE_GLOBAL, OP_DEFINE_LOCAL, OP_DEFINE_REG, OP_LOAD, OP_BARRIER, OP_IF, OP_ENDIF, OP_WMMA, \
                       OP_PTRCAT, OP_CUSTOM, OP_CUSTOMI)
#define OPS_KERNEL_ONLY OPSET(OP_UNROLL, OP_CONTRACT, OP_REDUCE)
#define OPS_PROGRAM_ONLY OPSET(OP_LINEAR, OP_PROGRAM, OP_SOURCE, OP_BINARY)

static OpSet allowed_ops(SpecLevel lv) {
  static const OpSet alu_un = OPS_ALU_UN, bin1 = OPS_ALU_BIN1, bin2 = OPS_ALU_BIN2, common = OPS_COMMON, tensor = OPS_TENSOR,
                     tensor2 = OPS_TENSOR2, code = OPS_CODE, kernel_only = OPS_KERNEL_ONLY, program_only = OPS_PROGRAM_ONLY;
  OpSet base = opset_or(opset_or(alu_un, bin1), opset_or(bin2, common));
  switch (lv) {
  case SPEC_TENSOR: return opset_or(base, opset_or(tensor, tensor2));
  case SPEC_KERNEL: return opset_or(base, opset_or(code, kernel_only));
  case SPEC_PROGRAM: return opset_or(base, opset_or(code, program_only));
  default: return (OpSet){ { ~0ull, ~0ull } };
  }
}

static const char *const level_names[] = { "any", "tensor", "kernel", "program" };
const char *spec_level_name(SpecLevel lv) { return lv < SPEC_LEVEL_COUNT_ ? level_names[lv] : "?"; }

static bool check_node(UOp *u, SpecLevel lv, OpSet allowed) {
  NEED(u->op < OP_COUNT_, "unknown op %d", u->op);
  NEED(opset_has(allowed, u->op), "%s is not allowed in a %s graph", op_name((Op)u->op), spec_level_name(lv));
  for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
    const SpecRule *r = &rules[i];
    if (!((r->levels >> lv) & 1) || (!opset_empty(r->ops) && !opset_has(r->ops, u->op))) continue;
    if (!r->fn(u, lv)) return false;
  }
  return true;
}

// ---- roots ----
static bool check_kernel_root(UOp *root) {
  NEED(root->op == OP_SINK, "a kernel AST's root must be a SINK, is %s", op_name((Op)root->op));
  for (uint32_t i = 0; i < root->nsrc; i++) {
    Op op = (Op)root->src[i]->op;
    NEED(op == OP_STORE || op == OP_END || op == OP_GROUP || op == OP_NOOP,
         "kernel SINK source %u must be a STORE (or END/GROUP of stores), is %s", i, op_name(op));
  }
  return true;
}

static bool check_program_root(UOp *root, HMap *pos) {
  NEED(root->op == OP_SINK || root->op == OP_LINEAR, "a program's root must be a SINK or LINEAR, is %s", op_name((Op)root->op));
  if (root->op != OP_LINEAR) return true;
  for (uint32_t i = 0; i < root->nsrc; i++) hmap_put(pos, (uint64_t)(uintptr_t)root->src[i], i + 1);
  for (uint32_t i = 0; i < root->nsrc; i++) {
    UOp *u = root->src[i];
    for (uint32_t k = 0; k < u->nsrc; k++) {
      uint64_t at = hmap_get_or(pos, (uint64_t)(uintptr_t)u->src[k], 0);
      NEED(at && at - 1 < i, "LINEAR item %u (%s) uses source %u (%s) that %s", i, op_name((Op)u->op), k,
           op_name((Op)u->src[k]->op), at ? "comes later in the list" : "is not in the list");
    }
  }
  return true;
}

// ---- the message: "%5 = ADD i32 (%3, %4)" with the sources described ----
static void describe(UOp *u, const UOpList *topo, int64_t at, StrBuf *sb) {
  HMap pos = { 0 };
  for (int64_t i = 0; i < topo->n; i++) hmap_put(&pos, (uint64_t)(uintptr_t)topo->items[i], (uint64_t)i + 1);
  sb_printf(sb, "%%%" PRId64 " = %s %s", at, op_name((Op)u->op), dts(u->dtype));
  if (u->nsrc) {
    sb_puts(sb, " (");
    for (uint32_t k = 0; k < u->nsrc; k++)
      sb_printf(sb, k ? ", %%%" PRId64 : "%%%" PRId64, (int64_t)hmap_get_or(&pos, (uint64_t)(uintptr_t)u->src[k], 0) - 1);
    sb_putc(sb, ')');
  }
  if (u->arg.kind != ARG_NONE) { sb_putc(sb, ' '); uop_arg_str(u, sb); }
  for (uint32_t k = 0; k < u->nsrc && k < 4; k++) {
    UOp *s = u->src[k];
    sb_printf(sb, k ? "; %%%" PRId64 " = %s %s" : " [where %%%" PRId64 " = %s %s",
              (int64_t)hmap_get_or(&pos, (uint64_t)(uintptr_t)s, 0) - 1, op_name((Op)s->op), dts(s->dtype));
    if (s->arg.kind != ARG_NONE && s->arg.kind != ARG_PTR) { sb_putc(sb, ' '); uop_arg_str(s, sb); }
  }
  if (u->nsrc) sb_puts(sb, u->nsrc > 4 ? "; ...]" : "]");
  hmap_free(&pos);
}

static bool report(UOp *u, SpecLevel lv, const UOpList *topo, int64_t at) {
  StrBuf sb = { 0 };
  sb_printf(&sb, "spec(%s): %s: ", spec_level_name(lv), rule_msg);
  describe(u, topo, at, &sb);
  snprintf(last_error, sizeof last_error, "%s", sb.s);
  sb_free(&sb);
  for (char *p = last_error; *p; p++) if (*p == '\n') *p = ' ';
  return false;
}

bool spec_check(UOp *root, SpecLevel lv) {
  TG_ASSERT(root && lv < SPEC_LEVEL_COUNT_, "spec_check: bad root or level %d", (int)lv);
  last_error[0] = 0;
  const UOpList *topo = uop_toposort(root);
  OpSet allowed = allowed_ops(lv);
  for (int64_t i = 0; i < topo->n; i++)
    if (!check_node(topo->items[i], lv, allowed)) return report(topo->items[i], lv, topo, i);
  bool ok = true;
  if (lv == SPEC_KERNEL) ok = check_kernel_root(root);
  if (lv == SPEC_PROGRAM) { HMap pos = { 0 }; ok = check_program_root(root, &pos); hmap_free(&pos); }
  return ok ? true : report(root, lv, topo, topo->n - 1);
}

const char *spec_last_error(void) { return last_error; }

void spec_verify(UOp *root, SpecLevel lv, const char *where) {
  if (env_int("SPEC", 0) < 1 || spec_check(root, lv)) return;
  if (tg_debug() >= 3) uop_print(root);
  tg_panic_(__FILE__, __LINE__, "spec_check(root, level)", "%s: %s", where ? where : "?", last_error);
}
