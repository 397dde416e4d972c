// Merging adjacent ranges: a kernel's (h, w) loops over a contiguous 20x20 plane become one 400-trip loop, so the
// optimizer can give it SIMD lanes (20 is no multiple of 8, 400 is) and the loop nest gets shallower.
#include "schedule/merge_ranges.h"
#include "uop/symbolic.h"
#include "uop/axis.h"
#include "base/env.h"
#include "base/vec.h"

static int count_divmod(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  int n = 0;
  for (int64_t i = 0; i < t->n; i++) n += t->items[i]->op == OP_CDIV || t->items[i]->op == OP_CMOD;
  return n;
}

static bool const_range(const UOp *u, int kind) {
  return u->op == OP_RANGE && axis_kind(u) == kind && u->src[0]->op == OP_CONST && u->src[0]->arg.i > 1;
}

// Every REDUCE over a is over b too, and the other way round: the merged range replaces both in its sources.
static bool reduced_together(const UOpList *t, UOp *a, UOp *b) {
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op != OP_REDUCE) continue;
    bool ha = false, hb = false;
    for (uint32_t k = 1; k < u->nsrc; k++) { ha |= u->src[k] == a; hb |= u->src[k] == b; }
    if (ha != hb) return false;
  }
  return true;
}

// REDUCEs over a and b reduce over m instead (the sources' a and b replaced before the substitution, so the
// REDUCE keeps ranges as its sources)
static UOp *reduce_over(UOp *ast, UOp *a, UOp *b, UOp *m) {
  const UOpList *t = uop_toposort(ast);
  VEC(UOp *) from = { 0 }, to = { 0 };
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op != OP_REDUCE) continue;
    UOp *src[u->nsrc];
    int ns = 0;
    bool hit = false;
    for (uint32_t k = 0; k < u->nsrc; k++) {
      if (k > 0 && u->src[k] == b) { hit = true; continue; }
      src[ns++] = k > 0 && u->src[k] == a ? m : u->src[k];
    }
    if (!hit) continue;
    vec_push(&from, u);
    vec_push(&to, uop_new(OP_REDUCE, u->dtype, src, ns, u->arg));
  }
  UOp *out = from.len ? sym_substitute(ast, from.data, to.data, (int)from.len) : ast;
  vec_free(&from);
  vec_free(&to);
  return out;
}

// ast with a and b merged into one range (a's id), simplified; NULL when that leaves more divisions or moduli
static UOp *try_merge(UOp *ast, UOp *a, UOp *b) {
  int64_t nb = b->src[0]->arg.i;
  UOp *m = uop1(OP_RANGE, a->dtype, uop_iconst(a->src[0]->arg.i * nb), arg_tuple(a->arg.tup, (int)a->arg.n));
  UOp *from[2] = { a, b }, *to[2] = { uop_cdiv(m, uop_iconst(nb)), uop_cmod(m, uop_iconst(nb)) };
  UOp *out = sym_simplify(sym_substitute(reduce_over(ast, a, b, m), from, to, 2));
  return count_divmod(out) <= count_divmod(ast) ? out : NULL;
}

UOp *merge_adjacent_ranges(UOp *ast) {
  if (!env_int("MERGE_RANGES", 1)) return ast;
  for (bool merged = true; merged;) {
    merged = false;
    const UOpList *t = uop_toposort(ast);
    for (int64_t i = 0; i < t->n && !merged; i++) {
      UOp *a = t->items[i];
      for (int kind = AXIS_OUTPUT; kind <= AXIS_REDUCE && !merged; kind++) {
        if (!const_range(a, kind)) continue;
        for (int64_t j = 0; j < t->n && !merged; j++) {
          UOp *b = t->items[j];
          if (!const_range(b, kind) || b->arg.tup[0] != a->arg.tup[0] + 1 || !reduced_together(t, a, b)) continue;
          UOp *out = try_merge(ast, a, b);
          if (out) { ast = out; merged = true; }
        }
      }
    }
  }
  return ast;
}
