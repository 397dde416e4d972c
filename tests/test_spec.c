// Tests of the spec checker: well-formed graphs pass at their level; each malformed kind is rejected
// with a message that names the node and the rule
#include "testlib.h"
#include "base/env.h"
#include "uop/spec.h"
#include "uop/uop.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static DType F32, I32, IDX, BOOL, VOID;

// expect `root` to fail at `lv` with a message containing each of the given fragments
#define REJECT(root, lv, ...) reject_((root), (lv), #root, __LINE__, (const char *[]){ __VA_ARGS__, NULL })
static void reject_(UOp *root, SpecLevel lv, const char *what, int line, const char **frags) {
  bool ok = spec_check(root, lv);
  CHECK(!ok, "line %d: %s passed spec(%s)", line, what, spec_level_name(lv));
  if (ok) return;
  const char *msg = spec_last_error();
  for (const char **f = frags; *f; f++) CHECK(strstr(msg, *f) != NULL, "line %d: message lacks \"%s\": %s", line, *f, msg);
}
#define ACCEPT(root, lv) CHECK(spec_check((root), (lv)), "%s rejected at spec(%s): %s", #root, spec_level_name(lv), spec_last_error())

static UOp *fconst(double v) { return uop_const(F32, v); }
static UOp *iconst(int64_t v) { return uop_const_int(I32, v); }

// a well-formed elementwise kernel: out[i] = a[i] * 2 + 1 for i < 16, with a gated tail store
static UOp *good_kernel(void) {
  DType gp = dt_ptr(F32, ADDR_GLOBAL, 16);
  UOp *out = uop0(OP_DEFINE_GLOBAL, gp, arg_int(0)), *a = uop0(OP_DEFINE_GLOBAL, gp, arg_int(1));
  UOp *r = uop1(OP_RANGE, IDX, uop_iconst(16), arg_int(0));
  UOp *ld = uop1(OP_LOAD, F32, uop2(OP_INDEX, gp, a, r, arg_none()), arg_none());
  UOp *val = uop_add(uop_mul(ld, fconst(2)), fconst(1));
  UOp *gate = uop_lt(r, uop_iconst(15));
  UOp *gidx = uop3(OP_INDEX, gp, out, r, gate, arg_none());
  UOp *st = uop2(OP_STORE, VOID, gidx, uop_where(gate, val, fconst(0)), arg_none());
  UOp *end = uop2(OP_END, VOID, st, r, arg_none());
  return uop1(OP_SINK, VOID, end, arg_none());
}

static UOp *good_tensor(void) {
  UOp *dev = uop0(OP_DEVICE, VOID, arg_str("CPU"));
  UOp *buf = uop2(OP_BUFFER, F32, uop0(OP_UNIQUE, VOID, arg_int(1)), dev, arg_int(12));
  int64_t s34[] = { 3, 4 }, s43[] = { 4, 3 }, perm[] = { 1, 0 }, red[] = { OP_ADD, 1 }, pad[] = { 0, 1, 0, 0 };
  UOp *x = uop1(OP_RESHAPE, F32, buf, arg_tuple(s34, 2));
  UOp *p = uop1(OP_PERMUTE, F32, x, arg_tuple(perm, 2));
  UOp *e = uop_add(uop1(OP_RESHAPE, F32, p, arg_tuple(s43, 2)), fconst(1));
  UOp *pd = uop1(OP_PAD, F32, e, arg_tuple(pad, 4));
  UOp *rd = uop1(OP_REDUCE_AXIS, F32, uop_alu1(OP_EXP2, pd), arg_tuple(red, 2));
  UOp *c = uop1(OP_CONTIGUOUS, I32, uop_cast(uop1(OP_DETACH, F32, rd, arg_none()), I32), arg_none());
  return uop1(OP_SINK, VOID, c, arg_none());
}

static void test_accepts(void) {
  UOp *x = uop_var("x", 0, 10);
  UOp *e = uop_where(uop_lt(x, uop_iconst(5)), uop_mul_i(x, 3), uop_cdiv(x, uop_iconst(2)));
  ACCEPT(e, SPEC_ANY);
  ACCEPT(uop_alu(OP_SHL, iconst(1), uop_const_int(dt_scalar(DT_UINT32), 3)), SPEC_ANY);
  ACCEPT(uop_cast(uop_alu1(OP_SQRT, fconst(2)), dt_scalar(DT_FLOAT16)), SPEC_ANY);
  ACCEPT(uop_const(BOOL, 1), SPEC_ANY);
  ACCEPT(uop2(OP_SUB, I32, iconst(3), iconst(1), arg_none()), SPEC_ANY);
  UOp *v4 = uop_new(OP_VECTORIZE, dt_vec(F32, 4), (UOp *[]){ fconst(1), fconst(2), fconst(3), fconst(4) }, 4, arg_none());
  int64_t lanes[] = { 3, 1 };
  ACCEPT(uop1(OP_GEP, dt_vec(F32, 2), v4, arg_tuple(lanes, 2)), SPEC_ANY);
  ACCEPT(uop2(OP_CMPLT, dt_vec(BOOL, 4), v4, v4, arg_none()), SPEC_ANY);
  ACCEPT(uop1(OP_BITCAST, I32, fconst(1), arg_none()), SPEC_ANY);
  ACCEPT(uop2(OP_BIND, IDX, uop_var("n", 1, 8), uop_iconst(4), arg_none()), SPEC_ANY);
  UOp *k = good_kernel();
  ACCEPT(k, SPEC_ANY);
  ACCEPT(k, SPEC_KERNEL);
  UOp *t = good_tensor();
  ACCEPT(t, SPEC_ANY);
  ACCEPT(t, SPEC_TENSOR);
  spec_verify(t, SPEC_TENSOR, "test_accepts");      // SPEC=1 in ctest: must not abort
}

static void test_alu_rejects(void) {
  UOp *bad_add = uop2(OP_ADD, I32, iconst(1), fconst(2), arg_none());
  REJECT(bad_add, SPEC_ANY, "ADD", "i32", "f32", "operands", "%2 = ADD i32 (%0, %1)");
  REJECT(uop1(OP_SINK, VOID, bad_add, arg_none()), SPEC_ANY, "ADD i32");     // found below the root
  REJECT(uop2(OP_MUL, I32, fconst(1), fconst(2), arg_none()), SPEC_ANY, "MUL", "result dtype i32");
  UOp *c = uop3(OP_WHERE, F32, iconst(1), fconst(1), fconst(2), arg_none());
  REJECT(c, SPEC_ANY, "WHERE", "condition must be bool", "i32");
  REJECT(uop3(OP_WHERE, F32, uop_const(BOOL, 1), fconst(1), iconst(2), arg_none()), SPEC_ANY, "WHERE branch 2", "i32");
  REJECT(uop2(OP_CMPLT, I32, iconst(1), iconst(2), arg_none()), SPEC_ANY, "CMPLT", "must return bool", "i32");
  REJECT(uop2(OP_CMPNE, BOOL, iconst(1), fconst(2), arg_none()), SPEC_ANY, "CMPNE", "operands differ");
  UOp *v2 = uop2(OP_VECTORIZE, dt_vec(I32, 2), iconst(1), iconst(2), arg_none());
  REJECT(uop2(OP_CMPEQ, BOOL, v2, v2, arg_none()), SPEC_ANY, "CMPEQ", "width");
  REJECT(uop1(OP_ADD, I32, iconst(1), arg_none()), SPEC_ANY, "ADD takes 2 source(s), has 1");
  REJECT(uop2(OP_AND, F32, fconst(1), fconst(2), arg_none()), SPEC_ANY, "AND on float");
  REJECT(uop2(OP_CDIV, F32, fconst(1), fconst(2), arg_none()), SPEC_ANY, "CDIV needs an integer");
  REJECT(uop1(OP_SQRT, I32, iconst(4), arg_none()), SPEC_ANY, "SQRT needs a float");
  REJECT(uop2(OP_CAST, F32, iconst(1), iconst(2), arg_none()), SPEC_ANY, "CAST takes 1 source(s), has 2");
  REJECT(uop1(OP_BITCAST, dt_scalar(DT_INT64), fconst(1), arg_none()), SPEC_ANY, "BITCAST changes the size");
  REJECT(uop2(OP_SHL, I32, iconst(1), fconst(2), arg_none()), SPEC_ANY, "SHL amount");
}

static void test_leaf_rejects(void) {
  REJECT(uop0(OP_CONST, F32, arg_int(1)), SPEC_ANY, "CONST", "f32", "FLOAT arg", "%0 = CONST f32 1");
  REJECT(uop0(OP_CONST, I32, arg_float(1.5)), SPEC_ANY, "CONST", "INT arg");
  REJECT(uop0(OP_CONST, BOOL, arg_int(2)), SPEC_ANY, "outside the range of bool");
  REJECT(uop0(OP_CONST, dt_scalar(DT_INT8), arg_int(300)), SPEC_ANY, "outside the range of i8");
  REJECT(uop0(OP_CONST, F32, arg_float(0.1)), SPEC_ANY, "not representable in f32");
  REJECT(uop1(OP_CONST, I32, iconst(1), arg_int(1)), SPEC_ANY, "CONST takes 0 source(s), has 1");
  int64_t b[2] = { 0, 5 };
  REJECT(uop0(OP_DEFINE_VAR, I32, (Arg){ .kind = ARG_VAR, .n = 2, .tup = b, .str = "v" }), SPEC_ANY, "DEFINE_VAR", "dtype index");
  REJECT(uop0(OP_DEFINE_VAR, IDX, arg_int(3)), SPEC_ANY, "DEFINE_VAR needs an ARG_VAR");
  REJECT(uop2(OP_BIND, IDX, uop_var("n", 1, 8), uop_iconst(9), arg_none()), SPEC_ANY, "BIND value 9");
  REJECT(uop0(OP_DEVICE, VOID, arg_int(0)), SPEC_ANY, "DEVICE needs a STR");
}

static void test_structure_rejects(void) {
  DType gp = dt_ptr(F32, ADDR_GLOBAL, 16);
  UOp *buf = uop0(OP_DEFINE_GLOBAL, gp, arg_int(0));
  UOp *r = uop1(OP_RANGE, IDX, uop_iconst(16), arg_int(0));
  UOp *idx = uop2(OP_INDEX, gp, buf, r, arg_none());
  REJECT(uop2(OP_STORE, F32, idx, fconst(1), arg_none()), SPEC_ANY, "STORE must have dtype void", "f32");
  REJECT(uop1(OP_RANGE, IDX, fconst(16), arg_int(0)), SPEC_ANY, "RANGE bound", "f32");
  REJECT(uop1(OP_RANGE, F32, fconst(16), arg_int(0)), SPEC_ANY, "RANGE must be a scalar integer");
  REJECT(uop1(OP_RANGE, IDX, uop_iconst(16), arg_none()), SPEC_ANY, "RANGE needs an INT");
  REJECT(uop2(OP_END, VOID, fconst(1), fconst(2), arg_none()), SPEC_ANY, "END source 1 must be a RANGE");
  REJECT(uop1(OP_SINK, F32, fconst(1), arg_none()), SPEC_ANY, "SINK must have dtype void");
  REJECT(uop2(OP_INDEX, gp, buf, fconst(1), arg_none()), SPEC_ANY, "INDEX source 1");
  REJECT(uop0(OP_DEFINE_GLOBAL, F32, arg_int(0)), SPEC_ANY, "DEFINE_GLOBAL needs a global pointer");
  REJECT(uop2(OP_VECTORIZE, dt_vec(F32, 3), fconst(1), fconst(2), arg_none()), SPEC_ANY, "VECTORIZE of 2 sources");
  REJECT(uop2(OP_VECTORIZE, dt_vec(F32, 2), fconst(1), iconst(2), arg_none()), SPEC_ANY, "VECTORIZE source 1");
  UOp *v2 = uop2(OP_VECTORIZE, dt_vec(F32, 2), fconst(1), fconst(2), arg_none());
  REJECT(uop1(OP_GEP, F32, v2, arg_int(2)), SPEC_ANY, "GEP lane 2 out of range");
  int64_t s[] = { 2, 2 }, perm[] = { 0, 0 }, odd[] = { 1, 2, 3 };
  REJECT(uop1(OP_RESHAPE, F32, fconst(1), arg_int(4)), SPEC_ANY, "RESHAPE needs a shape arg");
  REJECT(uop1(OP_RESHAPE, I32, fconst(1), arg_tuple(s, 2)), SPEC_ANY, "RESHAPE must have its source's dtype");
  REJECT(uop1(OP_PERMUTE, F32, fconst(1), arg_tuple(perm, 2)), SPEC_ANY, "not a permutation");
  REJECT(uop1(OP_PAD, F32, fconst(1), arg_tuple(odd, 3)), SPEC_ANY, "PAD arg must hold pairs");
  int64_t red[] = { OP_SUB, 0 };
  REJECT(uop1(OP_REDUCE_AXIS, F32, fconst(1), arg_tuple(red, 2)), SPEC_ANY, "REDUCE_AXIS needs a TUPLE arg");
  // GRAD_FN(value, inputs...): the value's dtype, a gradient function in its arg, at least one input
  int64_t gfn[] = { 0x1234, 7 }, nofn[] = { 0 };
  REJECT(uop2(OP_GRAD_FN, I32, fconst(1), fconst(2), arg_tuple(gfn, 2)), SPEC_ANY, "GRAD_FN must have its source's dtype");
  REJECT(uop2(OP_GRAD_FN, F32, fconst(1), fconst(2), arg_tuple(nofn, 1)), SPEC_ANY, "GRAD_FN needs a TUPLE arg");
  REJECT(uop1(OP_GRAD_FN, F32, fconst(1), arg_tuple(gfn, 2)), SPEC_ANY, "GRAD_FN takes at least 2 source(s)");
  // a malformed node deep in a graph is found and named with its listing number
  UOp *deep = uop_var("x", 0, 10);
  for (int i = 0; i < 50; i++) deep = uop_add_i(deep, i);
  deep = uop_add(deep, uop2(OP_MUL, IDX, uop_iconst(2), uop_const_int(I32, 3), arg_none()));
  REJECT(deep, SPEC_ANY, "MUL idx", "src 1 has i32");
}

static void test_levels(void) {
  UOp *k = good_kernel(), *t = good_tensor();
  REJECT(k, SPEC_TENSOR, "DEFINE_GLOBAL is not allowed in a tensor graph");
  REJECT(t, SPEC_KERNEL, "is not allowed in a kernel graph");
  int64_t gfn[] = { 0x1234 };      // a custom gradient is a tensor-graph op only
  UOp *gf = uop2(OP_GRAD_FN, F32, uop_alu1(OP_EXP2, fconst(1)), fconst(1), arg_tuple(gfn, 1));
  ACCEPT(uop1(OP_SINK, VOID, gf, arg_none()), SPEC_TENSOR);
  REJECT(uop1(OP_SINK, VOID, gf, arg_none()), SPEC_KERNEL, "GRAD_FN is not allowed in a kernel graph");
  REJECT(t, SPEC_PROGRAM, "is not allowed in a program graph");
  // kernel root: a SINK of STOREs
  REJECT(uop1(OP_SINK, VOID, fconst(1), arg_none()), SPEC_KERNEL, "kernel SINK source 0 must be a STORE", "SINK void");
  REJECT(fconst(1), SPEC_KERNEL, "root must be a SINK");
  // LOAD/STORE go through a pointer INDEX in kernels
  DType gp = dt_ptr(F32, ADDR_GLOBAL, 16);
  UOp *buf = uop0(OP_DEFINE_GLOBAL, gp, arg_int(0));
  UOp *ld = uop1(OP_LOAD, F32, buf, arg_none());
  UOp *st = uop2(OP_STORE, VOID, uop2(OP_INDEX, gp, buf, uop_iconst(0), arg_none()), ld, arg_none());
  REJECT(uop1(OP_SINK, VOID, st, arg_none()), SPEC_KERNEL, "LOAD's source 0 must be an INDEX", "LOAD f32");
  ACCEPT(uop1(OP_SINK, VOID, st, arg_none()), SPEC_ANY);
  UOp *vidx = uop2(OP_INDEX, F32, buf, uop_iconst(0), arg_none());
  REJECT(uop1(OP_SINK, VOID, uop2(OP_STORE, VOID, vidx, fconst(1), arg_none()), arg_none()), SPEC_KERNEL,
         "INDEX in a kernel returns a pointer");
  UOp *pidx = uop2(OP_INDEX, gp, buf, uop_iconst(0), arg_none());
  REJECT(uop1(OP_SINK, VOID, uop2(OP_STORE, VOID, pidx, iconst(1), arg_none()), arg_none()), SPEC_KERNEL, "STORE of i32");
  // tensor graphs hold no pointers
  REJECT(uop1(OP_CONTIGUOUS, gp, buf, arg_none()), SPEC_TENSOR, "DEFINE_GLOBAL");
  // programs: no index dtype, and a LINEAR lists sources before users
  DType ip = dt_ptr(I32, ADDR_GLOBAL, 4);
  UOp *g = uop0(OP_DEFINE_GLOBAL, ip, arg_int(0)), *zero = iconst(0), *four = iconst(4);
  UOp *r = uop1(OP_RANGE, I32, four, arg_int(0));
  UOp *ix = uop2(OP_INDEX, ip, g, r, arg_none());
  UOp *s2 = uop2(OP_STORE, VOID, ix, zero, arg_none());
  UOp *e = uop2(OP_END, VOID, s2, r, arg_none());
  UOp *order[] = { g, zero, four, r, ix, s2, e };
  UOp *lin = uop_new(OP_LINEAR, VOID, order, 7, arg_none());
  ACCEPT(lin, SPEC_PROGRAM);
  UOp *bad_order[] = { g, zero, r, four, ix, s2, e };
  REJECT(uop_new(OP_LINEAR, VOID, bad_order, 7, arg_none()), SPEC_PROGRAM, "LINEAR item 2 (RANGE)", "comes later");
  REJECT(uop_new(OP_LINEAR, VOID, order + 1, 6, arg_none()), SPEC_PROGRAM, "is not in the list");
  ACCEPT(uop1(OP_SINK, VOID, uop1(OP_RANGE, IDX, uop_iconst(4), arg_int(0)), arg_none()), SPEC_PROGRAM);   // renderers lower index
  UOp *un = uop1(OP_UNROLL, F32, fconst(1), arg_none());
  REJECT(uop1(OP_SINK, VOID, un, arg_none()), SPEC_PROGRAM, "UNROLL is not allowed in a program");
}

// spec_verify aborts (in a child process) when SPEC>=1, and is silent when SPEC=0
static void test_verify(void) {
  UOp *bad = uop2(OP_ADD, I32, iconst(1), fconst(2), arg_none());
  int tok = env_push("SPEC", "0");
  spec_verify(bad, SPEC_ANY, "spec off");            // must not abort
  env_pop(tok);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stderr)) _exit(2);
    env_push("SPEC", "1");
    spec_verify(bad, SPEC_ANY, "after test pass");
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "spec_verify with SPEC=1 must abort on a bad graph (status %d)", status);
  CHECK(spec_check(bad, SPEC_ANY) == false && strstr(spec_last_error(), "ADD"));
  CHECK(spec_check(iconst(1), SPEC_ANY) && spec_last_error()[0] == 0, "a passing check clears the message");
}

int main(void) {
  F32 = DT_FLOAT_T; I32 = DT_INT32_T; IDX = DT_INDEX_T; BOOL = DT_BOOL_T; VOID = DT_VOID_T;
  test_accepts();
  test_alu_rejects();
  test_leaf_rejects();
  test_structure_rejects();
  test_levels();
  test_verify();
  return test_finish("test_spec");
}
