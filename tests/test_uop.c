// Tests of the UOp core: interning, args, dtypes and promotion, value ranges, toposort, printing
#include "testlib.h"
#include "tinygrad.h"
#include "uop/print.h"
#include "uop/uop.h"
#include <math.h>
#include <stdlib.h>

static void test_interning(void) {
  UOp *x = uop_var("x", 0, 10), *x2 = uop_var("x", 0, 10);
  CHECK(x == x2, "same DEFINE_VAR must intern to the same pointer");
  CHECK(uop_var("x", 0, 11) != x, "different bounds -> different node");
  CHECK(uop_var("y", 0, 10) != x, "different name -> different node");
  UOp *c4 = uop_iconst(4);
  CHECK(uop_iconst(4) == c4);
  CHECK(uop_iconst(5) != c4);
  CHECK(uop_const_int(DT_INT32_T, 4) != c4, "same value, other dtype -> different node");
  CHECK(uop_mul(x, c4) == uop_mul(x, c4));
  CHECK(uop_mul(x, c4) != uop_mul(c4, x), "source order is part of identity");
  CHECK(uop_const(DT_FLOAT_T, 0.0) != uop_const(DT_FLOAT_T, -0.0), "-0.0 and 0.0 are different args");
  CHECK(uop_const(DT_FLOAT_T, NAN) == uop_const(DT_FLOAT_T, NAN), "NaN consts intern by bits");
  int64_t t1[] = { 1, 2, 3 }, t2[] = { 1, 2, 3 }, t3[] = { 1, 2 };
  CHECK(uop0(OP_NOOP, DT_VOID_T, arg_tuple(t1, 3)) == uop0(OP_NOOP, DT_VOID_T, arg_tuple(t2, 3)), "tuple args compare by value");
  CHECK(uop0(OP_NOOP, DT_VOID_T, arg_tuple(t1, 3)) != uop0(OP_NOOP, DT_VOID_T, arg_tuple(t3, 2)));
  CHECK(uop0(OP_NOOP, DT_VOID_T, arg_str("abc")) == uop0(OP_NOOP, DT_VOID_T, arg_str("abc")));
  CHECK(uop0(OP_NOOP, DT_VOID_T, arg_int(1)) != uop0(OP_NOOP, DT_VOID_T, arg_float(1.0)), "int and float args differ");
  CHECK(uop_mul(x, c4)->hash == uop_mul(uop_var("x", 0, 10), uop_iconst(4))->hash);
}

static void test_dtypes(void) {
  CHECK_EQ_INT(st_promote(DT_INT8, DT_UINT8), DT_INT16);
  CHECK_EQ_INT(st_promote(DT_FLOAT16, DT_BFLOAT16), DT_FLOAT32);
  CHECK_EQ_INT(st_promote(DT_INT64, DT_FLOAT16), DT_FLOAT16);
  CHECK_EQ_INT(st_promote(DT_BOOL, DT_INT32), DT_INT32);
  CHECK_EQ_INT(st_promote(DT_UINT8, DT_INT8), DT_INT16);
  CHECK_EQ_INT(st_promote(DT_INT32, DT_FLOAT32), DT_FLOAT32);
  CHECK_EQ_INT(st_promote(DT_UINT32, DT_INT32), DT_INT64);
  CHECK_EQ_INT(st_promote(DT_FLOAT32, DT_FLOAT64), DT_FLOAT64);
  CHECK_EQ_INT(st_promote(DT_UINT16, DT_INT16), DT_INT32);
  CHECK_EQ_INT(st_promote(DT_UINT64, DT_INT64), DT_VOID);
  CHECK_EQ_INT(tg_promote_types(TG_UINT64, TG_INT8), -1);
  CHECK(tg_error() != NULL);
  tg_clear_error();
  CHECK_EQ_INT(tg_promote_types(TG_INT16, TG_UINT8), TG_INT16);
  CHECK_EQ_INT(st_promote_scalar(DT_INT32, true, false), DT_FLOAT32);
  CHECK_EQ_INT(st_promote_scalar(DT_FLOAT16, true, false), DT_FLOAT16);
  CHECK_EQ_INT(st_promote_scalar(DT_BOOL, false, true), DT_INT64);
  CHECK_EQ_INT(st_promote_scalar(DT_UINT8, false, true), DT_UINT8);
  CHECK(st_round_float(DT_FLOAT16, 1.0 + 1.0 / 4096) == 1.0, "half rounds to nearest even");
  CHECK(st_round_float(DT_FLOAT16, 65520.0) == INFINITY, "half overflows to inf");
  CHECK(st_round_float(DT_BFLOAT16, 1.00390625) == 1.0, "bf16 ties to even");
  CHECK_EQ_INT(st_wrap_int(DT_UINT8, 300), 44);
  CHECK_EQ_INT(st_wrap_int(DT_INT8, 200), -56);
  CHECK_EQ_INT(uop_const_int(dt_scalar(DT_UINT8), -1)->arg.i, 255);
  CHECK_STR(tg_dtype_name(TG_BFLOAT16), "bfloat16");
  CHECK_EQ_INT(tg_dtype_size(TG_FLOAT16), 2);
}

static void test_ranges(void) {
  UOp *x = uop_var("x", 0, 10), *y = uop_var("y", -3, 3);
  UOp *e = uop_add(uop_mul_i(x, 4), y);
  CHECK_EQ_INT(e->vmin, -3); CHECK_EQ_INT(e->vmax, 43);
  UOp *d = uop_cdiv(e, uop_iconst(4));
  CHECK_EQ_INT(d->vmin, 0); CHECK_EQ_INT(d->vmax, 10);
  UOp *md = uop_cmod(x, uop_iconst(4));
  CHECK_EQ_INT(md->vmin, 0); CHECK_EQ_INT(md->vmax, 3);
  UOp *lt = uop_lt(x, uop_iconst(11));
  CHECK_EQ_INT(lt->vmin, 1);
  UOp *r = uop1(OP_RANGE, DT_INDEX_T, uop_iconst(16), arg_int(0));
  CHECK_EQ_INT(r->vmin, 0); CHECK_EQ_INT(r->vmax, 15);
  UOp *big = uop_mul(uop_var("b", 0, INT64_MAX / 2), uop_iconst(4));
  CHECK(big->vmin == INT64_MIN && big->vmax == INT64_MAX, "overflowing range falls back to the dtype's");
  UOp *i8 = uop_add(uop_const_int(dt_scalar(DT_INT8), 120), uop_cast(x, dt_scalar(DT_INT8)));
  CHECK(i8->vmin == -128 && i8->vmax == 127, "a range that may wrap int8 is the dtype's range");
  UOp *w = uop_where(uop_lt(y, uop_iconst(0)), uop_iconst(-5), uop_iconst(7));
  CHECK_EQ_INT(w->vmin, -5); CHECK_EQ_INT(w->vmax, 7);
}

static void test_print_and_topo(void) {
  UOp *x = uop_var("x", 0, 10), *y = uop_var("y", 0, 3);
  UOp *e = uop_add(uop_mul_i(x, 4), y);
  char *s = uop_expr(e);
  CHECK_STR(s, "((x*4)+y)");
  free(s);
  const UOpList *t = uop_toposort(e);
  CHECK_EQ_INT(t->n, 5);
  CHECK(t->items[t->n - 1] == e, "root is last");
  CHECK(uop_toposort(e) == t, "toposort is cached");
  for (int64_t i = 0; i < t->n; i++)
    for (uint32_t k = 0; k < t->items[i]->nsrc; k++) {
      int64_t j = 0;
      while (t->items[j] != t->items[i]->src[k]) j++;
      CHECK(j < i, "sources come before users");
    }
  char *l = uop_listing(e);
  CHECK(strstr(l, "DEFINE_VAR") && strstr(l, "ADD idx"), "listing: %s", l);
  free(l);
}

int main(void) {
  test_interning();
  test_dtypes();
  test_ranges();
  test_print_and_topo();
  return test_finish("test_uop");
}
