// Tests of the symbolic simplifier: a table of expected simplifications, and rewrites it must not do
#include "testlib.h"
#include "uop/print.h"
#include "uop/symbolic.h"
#include "uop/uop.h"
#include <math.h>
#include <stdlib.h>

static int entries;

// simplify e and compare its infix rendering with want
#define EXPECT(e, want) expect_str_((e), (want), #e, __LINE__)
static void expect_str_(UOp *e, const char *want, const char *src, int line) {
  entries++;
  UOp *s = sym_simplify(e);
  char *got = uop_expr(s), *orig = uop_expr(e);
  CHECK(strcmp(got, want) == 0, "line %d: %s\n    %s  ->  %s, expected %s", line, src, orig, got, want);
  CHECK(sym_simplify(s) == s, "line %d: not a fixed point: %s", line, got);
  free(got);
  free(orig);
}
// simplify e and compare by pointer with a directly built node
#define EXPECT_NODE(e, want) expect_node_((e), (want), #e, __LINE__)
static void expect_node_(UOp *e, UOp *want, const char *src, int line) {
  entries++;
  UOp *s = sym_simplify(e);
  char *got = uop_expr(s), *w = uop_expr(want);
  CHECK(s == want, "line %d: %s  ->  %s, expected %s", line, src, got, w);
  free(got);
  free(w);
}

static UOp *I(int64_t v) { return uop_iconst(v); }
static UOp *C(DType dt, double v) { return uop_const(dt, v); }
static UOp *alu(Op op, UOp *a, UOp *b) { return uop2(op, op == OP_CMPLT || op == OP_CMPNE || op == OP_CMPEQ ? DT_BOOL_T : a->dtype, a, b, arg_none()); }
static UOp *alu1(Op op, UOp *a) { return uop1(op, a->dtype, a, arg_none()); }
static double fconst(UOp *u) { return u->op == OP_CONST ? uop_const_value(u) : NAN; }

#define T_ DT_BOOL_T
static const DType I32 = { DT_INT32, 0, 1, 1, -1 }, U8 = { DT_UINT8, 0, 1, 1, -1 }, U32 = { DT_UINT32, 0, 1, 1, -1 },
                   I8 = { DT_INT8, 0, 1, 1, -1 }, U64 = { DT_UINT64, 0, 1, 1, -1 }, F32 = { DT_FLOAT32, 0, 1, 1, -1 },
                   F64 = { DT_FLOAT64, 0, 1, 1, -1 }, F16 = { DT_FLOAT16, 0, 1, 1, -1 }, I64 = { DT_INT64, 0, 1, 1, -1 };

static void test_const_fold_ints(void) {
  EXPECT(alu(OP_ADD, C(I32, 2147483647), C(I32, 1)), "-2147483648");          // int32 wraps
  EXPECT(alu(OP_ADD, C(U8, 250), C(U8, 10)), "4");
  EXPECT(alu(OP_SUB, C(U32, 1), C(U32, 2)), "4294967295");                     // unsigned wraparound
  EXPECT(alu(OP_MUL, C(I8, 100), C(I8, 3)), "44");
  EXPECT(alu(OP_CDIV, I(-7), I(2)), "-3");                                       // truncates toward zero
  EXPECT(alu(OP_CMOD, I(-7), I(2)), "-1");                                       // sign of the dividend
  EXPECT(alu(OP_CDIV, I(7), I(-2)), "-3");
  EXPECT(alu(OP_CMOD, I(7), I(-2)), "1");
  EXPECT(alu(OP_CDIV, C(U32, 4294967295.0), C(U32, 2)), "2147483647");           // unsigned division
  EXPECT(alu(OP_CDIV, I(7), I(0)), "(7//0)");                                    // undefined: left alone
  EXPECT(alu(OP_CDIV, uop_const_int(I64, INT64_MIN), uop_const_int(I64, -1)), "(-9223372036854775808//-1)");  // overflow
  EXPECT(alu(OP_MAX, I(-3), I(2)), "2");
  EXPECT(alu(OP_MAX, C(U64, -1.0 * 0 + 1), uop_const_int(U64, -1)), "-1");        // uint64 max compares unsigned
  EXPECT(alu(OP_CMPLT, I(-1), I(0)), "True");
  EXPECT(alu(OP_CMPLT, uop_const_int(U32, -1), C(U32, 0)), "False");             // 4294967295 < 0
  EXPECT(alu(OP_CMPNE, I(3), I(3)), "False");
  EXPECT(alu(OP_CMPEQ, I(3), I(3)), "True");
  EXPECT(alu(OP_AND, I(12), I(10)), "8");
  EXPECT(alu(OP_OR, I(12), I(10)), "14");
  EXPECT(alu(OP_XOR, I(12), I(10)), "6");
  EXPECT(uop2(OP_SHL, I32, C(I32, 1), C(I32, 31), arg_none()), "-2147483648");
  EXPECT(uop2(OP_SHR, I32, C(I32, -8), C(I32, 1), arg_none()), "-4");            // arithmetic shift
  EXPECT(uop2(OP_SHR, U8, C(U8, 200), C(U8, 3), arg_none()), "25");
  EXPECT(uop2(OP_SHL, I32, C(I32, 1), C(I32, 32), arg_none()), "(1<<32)");      // out of range: left alone
  EXPECT(alu1(OP_NEG, C(I8, -128)), "-128");
  EXPECT(uop3(OP_WHERE, I32, uop_const(T_, 1), C(I32, 5), C(I32, 6), arg_none()), "5");
  EXPECT(uop3(OP_MULACC, I32, C(I32, 3), C(I32, 4), C(I32, 5), arg_none()), "17");
  EXPECT(uop_cast(C(I32, 300), U8), "44");
  EXPECT(uop_cast(C(F32, -2.7), I32), "-2");
  EXPECT(uop_cast(C(F32, 3e10), I32), "(int32)3.0000001e+10");                          // out of range: left alone
  EXPECT(uop_cast(C(I32, 5), T_), "True");
}

static void test_const_fold_floats(void) {
  CHECK(isnan(fconst(sym_simplify(alu(OP_FDIV, C(F32, 0), C(F32, 0))))), "0.0/0.0 stays NaN");
  entries++;
  EXPECT(alu(OP_FDIV, C(F32, 1), C(F32, 0)), "inf");
  EXPECT(alu(OP_FDIV, C(F32, -1), C(F32, 0)), "-inf");
  EXPECT(alu(OP_ADD, C(F32, 0.1), C(F32, 0.2)), "0.300000012");                // rounded to float32
  EXPECT(alu(OP_ADD, C(F64, 0.1), C(F64, 0.2)), "0.3");
  EXPECT(alu(OP_MUL, C(F16, 300), C(F16, 300)), "inf");                          // float16 overflows
  EXPECT(alu(OP_CMPLT, C(F32, NAN), C(F32, 1)), "False");
  EXPECT(alu(OP_CMPNE, C(F32, NAN), C(F32, NAN)), "True");
  EXPECT(alu(OP_CMPEQ, C(F32, NAN), C(F32, NAN)), "False");
  EXPECT(alu1(OP_SQRT, C(F32, 16)), "4");
  EXPECT(alu1(OP_EXP2, C(F32, 10)), "1024");
  EXPECT(alu1(OP_LOG2, C(F32, 8)), "3");
  EXPECT(alu1(OP_RECIPROCAL, C(F32, 4)), "0.25");
  EXPECT(alu1(OP_NEG, C(F32, 2)), "-2");
  EXPECT(alu1(OP_TRUNC, C(F32, -2.5)), "-2");
  EXPECT(alu1(OP_SIN, C(F64, 0)), "0");
  EXPECT(alu(OP_POW, C(F32, 2), C(F32, 10)), "1024");
  CHECK(isnan(fconst(sym_simplify(alu(OP_SUB, C(F32, INFINITY), C(F32, INFINITY))))), "inf-inf is NaN");
  entries++;
  EXPECT(alu(OP_MAX, C(F32, -1), C(F32, 2)), "2");
  EXPECT(uop_cast(C(I32, 16777217), F32), "16777216");
  EXPECT(uop1(OP_BITCAST, I32, C(F32, 1.0), arg_none()), "1065353216");
  EXPECT(uop1(OP_BITCAST, F32, C(I32, 1065353216), arg_none()), "1");
}

static void test_identities(void) {
  UOp *x = uop_var("x", 0, 100), *y = uop_var("y", 0, 3), *b = uop_lt(x, I(50));
  UOp *f = uop1(OP_LOAD, F32, uop0(OP_DEFINE_GLOBAL, dt_ptr(F32, ADDR_GLOBAL, 16), arg_int(0)), arg_none());
  EXPECT(uop_add(x, I(0)), "x");
  EXPECT(uop_mul(x, I(1)), "x");
  EXPECT(uop_mul(x, I(0)), "0");
  EXPECT(uop_cdiv(x, I(1)), "x");
  EXPECT(uop_cmod(x, I(1)), "0");
  EXPECT(uop_sub(x, x), "0");
  EXPECT(uop_sub(uop_cast(x, U32), uop_cast(x, U32)), "0");                     // unsigned x-x is fine
  EXPECT(uop_max(x, x), "x");
  EXPECT(uop_and(b, b), "(x<50)");
  EXPECT(uop_or(x, I(0)), "x");
  EXPECT(uop_where(b, y, y), "y");
  EXPECT(uop_where(uop_const(T_, 1), x, y), "x");
  EXPECT(uop_where(uop_const(T_, 0), x, y), "y");
  EXPECT(uop_neg(uop_neg(b)), "(x<50)");
  EXPECT(uop_where(b, uop_const(T_, 1), uop_const(T_, 0)), "(x<50)");
  EXPECT(uop_and(b, uop_neg(b)), "False");
  EXPECT(uop_or(uop_neg(b), b), "True");
  EXPECT(uop_xor(x, x), "0");
  EXPECT(uop_mul(f, C(F32, 1)), "LOAD(DEFINE_GLOBAL())");
  // things that must NOT fold
  EXPECT(uop_mul(f, C(F32, 0)), "(LOAD(DEFINE_GLOBAL())*0)");                  // NaN*0 is NaN
  EXPECT(alu(OP_SUB, f, f), "(LOAD(DEFINE_GLOBAL())-LOAD(DEFINE_GLOBAL()))");  // inf-inf is NaN
  EXPECT(alu(OP_CMPNE, f, f), "(LOAD(DEFINE_GLOBAL())!=LOAD(DEFINE_GLOBAL()))");
}

static void test_canonical(void) {
  UOp *x = uop_var("x", 0, 100), *y = uop_var("y", 0, 3), *z = uop_var("z", -50, 50);
  EXPECT(uop_add(uop_add(x, I(3)), I(4)), "(x+7)");
  EXPECT(uop_add(I(3), x), "(x+3)");
  EXPECT_NODE(uop_add(uop_add(I(3), x), y), sym_simplify(uop_add(uop_add(y, x), I(3))));
  EXPECT(uop_add(uop_add(y, x), I(3)), "((x+y)+3)");
  EXPECT(uop_add(uop_add(uop_mul_i(x, 2), y), uop_mul_i(x, 3)), "((x*5)+y)");
  EXPECT(uop_add(x, x), "(x*2)");
  EXPECT(uop_mul(uop_mul(I(2), x), I(3)), "(x*6)");
  EXPECT(uop_mul(y, x), "(x*y)");
  EXPECT(uop_mul(uop_add(x, I(1)), I(4)), "((x*4)+4)");
  EXPECT(uop_add(uop_sub(z, x), x), "z");
  EXPECT(uop_max(uop_max(x, I(3)), I(5)), "max(x, 5)");
  EXPECT(uop_max(x, I(-1)), "x");                                               // x >= 0 > -1
  EXPECT(uop_max(y, uop_add(x, I(3))), "(x+3)");
  EXPECT_NODE(uop_mul(uop_mul(z, I(2)), x), uop_mul_i(uop_mul(x, z), 2));
}

static void test_divmod(void) {
  UOp *x = uop_var("x", 0, 100), *y = uop_var("y", 0, 3), *z = uop_var("z", -50, 50), *w = uop_var("w", 0, 7);
  EXPECT(uop_cdiv(uop_add(uop_mul_i(x, 4), y), I(4)), "x");
  EXPECT(uop_cmod(uop_add(uop_mul_i(x, 4), y), I(4)), "y");
  EXPECT(uop_cdiv(uop_add(uop_mul_i(x, 6), uop_mul_i(y, 3)), I(3)), "((x*2)+y)");
  EXPECT(uop_cdiv(uop_add(uop_mul_i(z, 6), uop_mul_i(y, 3)), I(3)), "(y+(z*2))");   // exact: any sign
  EXPECT(uop_cmod(uop_cmod(x, I(8)), I(4)), "(x%4)");
  EXPECT(uop_cmod(uop_cmod(z, I(8)), I(4)), "(z%4)");                               // holds for negatives too
  EXPECT(uop_cdiv(uop_cdiv(x, I(2)), I(3)), "(x//6)");
  EXPECT(uop_cmod(y, I(4)), "y");
  EXPECT(uop_cdiv(y, I(4)), "0");
  EXPECT(uop_cdiv(uop_add(uop_mul_i(x, 4), uop_add(y, I(7))), I(4)), "((x+((y+3)//4))+1)");
  EXPECT(uop_cmod(uop_add(uop_mul_i(x, 4), y), I(-4)), "y");                        // % by negative: |c|
  EXPECT(uop_cdiv(x, I(-4)), "((x//4)*-1)");
  EXPECT(uop_cdiv(uop_mul_i(x, -1), I(4)), "((x//4)*-1)");                          // negative numerator
  EXPECT(uop_cmod(uop_mul_i(x, -1), I(4)), "((x%4)*-1)");
  EXPECT(uop_cmod(uop_add(uop_mul_i(z, 4), y), I(4)), "((y+(z*4))%4)");             // mixed sign: no fold
  EXPECT(uop_cdiv(uop_add(uop_mul_i(z, 4), y), I(4)), "((y+(z*4))//4)");
  EXPECT(uop_cmod(uop_add(uop_cmod(x, I(8)), w), I(4)), "((w+x)%4)");
  EXPECT(uop_cdiv(uop_cmod(x, I(12)), I(4)), "((x//4)%3)");
  EXPECT(uop_cdiv(uop_mul_i(x, 6), I(4)), "(x+(x//2))");
  EXPECT(uop_cmod(uop_mul_i(x, 6), I(4)), "((x%2)*2)");
  EXPECT(uop_cdiv(uop_add(uop_cdiv(x, I(4)), I(1)), I(2)), "((x+4)//8)");
  EXPECT(uop_cmod(uop_add(uop_mul_i(w, 4), y), I(32)), "((w*4)+y)");
}

// int32 math that may wrap must not be reasoned about as exact integers
static void test_wrapping(void) {
  UOp *b = uop_cast(uop_var("big", 0, INT32_MAX), I32), *s = uop_cast(uop_var("s", 0, 1000), I32);
  EXPECT(uop_lt(uop_add(b, C(I32, 10)), C(I32, 5)), "(((int32)big+10)<5)");
  EXPECT(uop_cdiv(uop_mul(b, C(I32, 4)), C(I32, 4)), "(((int32)big*4)//4)");
  EXPECT(uop_cmod(uop_mul(b, C(I32, 4)), C(I32, 4)), "(((int32)big*4)%4)");
  EXPECT(uop_cdiv(uop_mul(s, C(I32, 4)), C(I32, 4)), "(int32)s");               // no wrap possible: folds
  EXPECT(uop_add(uop_add(b, C(I32, 2147483647)), C(I32, 1)), "((int32)big+-2147483648)");   // ring math: wraps like C
}

static void test_compare(void) {
  UOp *x = uop_var("x", 0, 9), *y = uop_var("y", 0, 3), *z = uop_var("z", -50, 50), *v = uop_var("v", 10, 20);
  EXPECT(uop_lt(x, I(10)), "True");
  EXPECT(uop_lt(x, I(0)), "False");
  EXPECT(uop_lt(uop_mul_i(z, 4), I(8)), "(z<2)");
  EXPECT(uop_lt(uop_mul_i(z, 4), I(7)), "(z<2)");
  EXPECT(uop_lt(uop_add(z, I(3)), I(5)), "(z<2)");
  EXPECT(uop_lt(uop_mul_i(z, -1), I(5)), "(-5<z)");
  EXPECT(uop_lt(uop_cdiv(z, I(4)), I(2)), "(z<8)");
  EXPECT(uop_lt(uop_cdiv(z, I(4)), I(-1)), "(z<-7)");
  EXPECT(uop_lt(I(3), uop_add(z, I(1))), "(2<z)");
  EXPECT(uop_lt(uop_add(uop_mul_i(z, 4), y), I(8)), "(z<2)");
  EXPECT(uop_ne(x, v), "True");
  EXPECT(uop_eq(x, v), "False");
  EXPECT(uop_ne(uop_add(z, I(3)), I(5)), "(z!=2)");
  EXPECT(uop_eq(uop_mul_i(z, 4), I(6)), "False");
  EXPECT(uop_neg(uop_ne(z, x)), "(x==z)");
  EXPECT(uop_lt(uop_mul_i(x, -1), uop_mul_i(z, -1)), "(z<x)");
}

static void test_where(void) {
  UOp *x = uop_var("x", 0, 100), *y = uop_var("y", 0, 3), *z = uop_var("z", -50, 50);
  UOp *c = uop_lt(x, I(4));
  EXPECT(uop_where(uop_neg(c), y, x), "((x<4)?x:y)");
  EXPECT(uop_where(c, uop_cmod(x, I(8)), I(0)), "((x<4)?x:0)");
  EXPECT(uop_where(c, uop_cdiv(x, I(8)), z), "((x<4)?0:z)");
  EXPECT(uop_where(c, I(1), uop_cdiv(x, I(4))), "((x<4)?1:(x//4))");
  EXPECT(uop_where(uop_lt(z, I(0)), uop_cmod(z, I(64)), z), "z");
  EXPECT(uop_where(c, uop_where(uop_lt(y, I(2)), x, z), z), "(((x<4)&(y<2))?x:z)");
  EXPECT(uop_where(uop_and(c, uop_lt(I(1), y)), uop_cmod(uop_add(uop_mul_i(x, 4), y), I(16)), I(0)), "(((x<4)&(1<y))?((x*4)+y):0)");
}

static void test_valid_and_closure(void) {
  UOp *x = uop_var("x", 0, 100), *y = uop_var("y", 0, 3);
  UOp *c = uop_lt(x, I(4));
  EXPECT(uop_and(c, uop_lt(uop_cmod(x, I(8)), I(2))), "(x<2)");
  EXPECT(uop_and(uop_lt(x, I(2)), c), "(x<2)");
  EXPECT(uop_and(uop_lt(I(5), x), uop_lt(x, I(3))), "False");
  EXPECT(uop_where(c, uop_where(c, x, y), y), "((x<4)?x:y)");
  EXPECT(uop_where(c, y, uop_where(c, x, I(7))), "((x<4)?y:7)");
  EXPECT(uop_where(c, uop_and(c, uop_lt(y, I(2))), uop_const(T_, 0)), "((x<4)&(y<2))");
}

static void test_helpers(void) {
  UOp *x = uop_var("x", 0, 100), *y = uop_var("y", 0, 3);
  UOp *e = sym_simplify(uop_add(uop_add(uop_mul_i(x, 4), uop_mul_i(y, 6)), I(8)));
  CHECK_EQ_INT(sym_const_factor(e), 2);
  CHECK_EQ_INT(sym_const_factor(I(-12)), 12);
  CHECK_EQ_INT(sym_const_factor(x), 1);
  UOp *q = NULL;
  CHECK(sym_divides(e, 2, &q) && q == uop_add(uop_add(uop_mul_i(x, 2), uop_mul_i(y, 3)), I(4)), "(x*4+y*6+8)/2");
  CHECK(!sym_divides(e, 4, NULL), "y*6 is not a multiple of 4");
  CHECK(sym_divides(x, 1, &q) && q == x);
  SymList ts = { 0 };
  sym_split_add(e, &ts);
  CHECK_EQ_INT(ts.len, 3);
  CHECK(ts.len == 3 && ts.data[2] == I(8), "constant last");
  free(ts.data);
  UOp *z = uop_var("z", 0, 1);
  CHECK(sym_substitute(e, &x, &z, 1) == uop_add(uop_add(uop_mul_i(z, 4), uop_mul_i(y, 6)), I(8)));
  CHECK(sym_cmp(x, y) < 0 && sym_cmp(y, x) > 0 && sym_cmp(I(100), x) > 0, "vars by name, constants last");
}

int main(void) {
  test_const_fold_ints();
  test_const_fold_floats();
  test_identities();
  test_canonical();
  test_divmod();
  test_compare();
  test_wrapping();
  test_where();
  test_valid_and_closure();
  test_helpers();
  printf("test_symbolic: %d table entries\n", entries);
  CHECK(entries >= 60, "at least 60 table entries");
  return test_finish("test_symbolic");
}
