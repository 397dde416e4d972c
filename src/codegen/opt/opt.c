// Kernel opts: UPCAST and UNROLL as substitutions on the kernel AST, with validity checks
#include "codegen/opt/opt.h"
#include "uop/nest.h"
#include "uop/symbolic.h"
#include "base/vec.h"
#include <stdio.h>
#include <string.h>

const char *opt_name(OptKind k) { return k == OPT_UPCAST ? "UPCAST" : "UNROLL"; }

static UOp *find_range(UOp *ast, int axis) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++)
    if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[0] == axis) return t->items[i];
  return NULL;
}

static UOp *split_range(UOp *r, int64_t trips) {
  return uop1(OP_RANGE, r->dtype, uop_iconst(trips), arg_tuple(r->arg.tup, (int)r->arg.n));
}

// every store of the kernel repeated for r -> r'*k + c, c = 0..k-1
static UOp *upcast(UOp *ast, UOp *r, int k) {
  int64_t n = r->src[0]->arg.i;
  UOp *nr = n / k > 1 ? split_range(r, n / k) : uop_iconst(0);
  VEC(UOp *) stores = { 0 };
  for (int c = 0; c < k; c++) {
    UOp *to = uop_add_i(uop_mul_i(nr, k), c);
    UOp *s = sym_substitute(ast, &r, &to, 1);
    for (uint32_t i = 0; i < s->nsrc; i++) vec_push(&stores, s->src[i]);
  }
  UOp *out = uop_new(OP_SINK, DT_VOID_T, stores.data, (int)stores.len, arg_none());
  vec_free(&stores);
  return out;
}

// each REDUCE over r combines k consecutive elements per trip
static UOp *unroll(UOp *ast, UOp *r, int k) {
  int64_t m = r->src[0]->arg.i;
  UOp *nr = m / k > 1 ? split_range(r, m / k) : NULL;
  const UOpList *t = uop_toposort(ast);
  VEC(UOp *) from = { 0 }, to = { 0 };
  for (int64_t i = 0; i < t->n; i++) {
    UOp *red = t->items[i];
    int pos = -1;
    if (red->op != OP_REDUCE) continue;
    for (uint32_t s = 1; s < red->nsrc; s++) if (red->src[s] == r) pos = (int)s;
    if (pos < 0) continue;
    Op op = (Op)red->arg.i;
    UOp *acc = NULL;
    for (int c = 0; c < k; c++) {
      UOp *idx = nr ? uop_add_i(uop_mul_i(nr, k), c) : uop_iconst(c);
      UOp *v = sym_substitute(red->src[0], &r, &idx, 1);
      acc = acc ? uop2(op, v->dtype, acc, v, arg_none()) : v;
    }
    UOp *src[red->nsrc];
    int ns = 0;
    src[ns++] = acc;
    for (uint32_t s = 1; s < red->nsrc; s++) if ((int)s != pos || nr) src[ns++] = (int)s == pos ? nr : red->src[s];
    vec_push(&from, red);
    vec_push(&to, ns > 1 ? uop_new(OP_REDUCE, red->dtype, src, ns, red->arg) : acc);
  }
  UOp *out = sym_substitute(ast, from.data, to.data, (int)from.len);
  vec_free(&from); vec_free(&to);
  return out;
}

UOp *opt_apply(UOp *ast, Opt o, char *why, int whylen) {
  UOp *r = find_range(ast, o.axis);
  int64_t size = r && r->src[0]->op == OP_CONST ? r->src[0]->arg.i : -1;
  const char *bad = !r ? "no such axis" : size < 0 ? "axis has a symbolic size" : o.amount < 2 ? "amount must be >= 2" :
                    size % o.amount ? "amount does not divide the axis" : o.amount > 32 ? "amount above 32" :
                    (o.kind == OPT_UPCAST) != (r->arg.tup[1] == 0) ? (o.kind == OPT_UPCAST ? "UPCAST needs an output axis" : "UNROLL needs a reduce axis") : NULL;
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "%s axis %d by %d: %s", opt_name(o.kind), o.axis, o.amount, bad);
    return NULL;
  }
  UOp *out = sym_simplify(o.kind == OPT_UPCAST ? upcast(ast, r, o.amount) : unroll(ast, r, o.amount));
  // the copies of a reduce share its loops, so they must all live in the same scope
  Nest nest;
  nest_build(&nest, out);
  bool split = nest.split_reduce;
  nest_free(&nest);
  if (split) {
    if (why) snprintf(why, (size_t)whylen, "%s axis %d by %d: the reduce copies would need different loop nests", opt_name(o.kind), o.axis, o.amount);
    return NULL;
  }
  return out;
}
