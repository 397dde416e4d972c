// Kernel opts: UPCAST, UNROLL, VECTORIZE, SWAP, PADTO as substitutions on the kernel AST, with validity checks (the GPU
// opts are in codegen/opt/locals.c, their lowering in codegen/opt/group.c)
#include "codegen/opt/opt.h"
#include "codegen/opt/opt_internal.h"
#include "uop/nest.h"
#include "uop/symbolic.h"
#include "base/vec.h"
#include "base/hashmap.h"
#include "base/error.h"
#include <stdio.h>
#include <string.h>

const char *opt_name(OptKind k) {
  static const char *names[OPT_NKINDS] = { "UPCAST", "UNROLL", "VECTORIZE", "SWAP", "PADTO", "LOCAL", "GROUP", "GROUPTOP", "NOLOCALS", "THREAD", "TC" };
  return k >= 0 && k < OPT_NKINDS ? names[k] : "?";
}

UOp *opt_find_range(UOp *ast, int axis) {
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
  UOp *out = uop_new(OP_SINK, DT_VOID_T, stores.data, (int)stores.len, ast->arg);   // the arg keeps NOLOCALS
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

UOp *opt_lane_range(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++)
    if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[1] == OPT_LANE_KIND) return t->items[i];
  return NULL;
}

/* r (n trips) -> a new RANGE of w trips and kind `kind` (the next free id) and r' (n/w trips, the same id; gone when
 * n == w): r' * w + new (the new range inner), or new * (n/w) + r' (top: the new range outer). A REDUCE over r
 * reduces over r' and the new range. VECTORIZE makes SIMD lanes this way, LOCAL and GROUP thread ranges. */
UOp *opt_split_range(UOp *ast, UOp *r, int w, int kind, bool top) {
  const UOpList *t = uop_toposort(ast);
  int64_t n = r->src[0]->arg.i, id = 0;
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[0] >= id) id = t->items[i]->arg.tup[0] + 1;
  UOp *lane = uop1(OP_RANGE, r->dtype, uop_iconst(w), arg_tuple((int64_t[]){ id, kind }, 2));
  UOp *nr = n / w > 1 ? split_range(r, n / w) : NULL;
  UOp *to = !nr ? lane : top ? uop_add(uop_mul_i(lane, n / w), nr) : uop_add(uop_mul_i(nr, w), lane);
  VEC(UOp *) from = { 0 }, repl = { 0 };
  for (int64_t i = 0; i < t->n; i++) {
    UOp *red = t->items[i];
    if (red->op != OP_REDUCE) continue;
    UOp *src[16];
    int ns = 0, hit = 0;
    src[ns++] = sym_substitute(red->src[0], &r, &to, 1);
    for (uint32_t k = 1; k < red->nsrc && ns < 15; k++) {
      if (red->src[k] != r) { src[ns++] = red->src[k]; continue; }
      hit = 1;
      if (nr) src[ns++] = nr;
    }
    if (!hit) continue;
    src[ns++] = lane;
    vec_push(&from, red);
    vec_push(&repl, uop_new(OP_REDUCE, red->dtype, src, ns, red->arg));
  }
  vec_push(&from, r);
  vec_push(&repl, to);
  UOp *out = sym_substitute(ast, from.data, repl.data, (int)from.len);
  vec_free(&from); vec_free(&repl);
  return out;
}

UOp *opt_finish(UOp *ast) {
  ast = opt_lower_groups(ast, NULL);
  UOp *lane = opt_lane_range(ast);
  if (!lane) return ast;
  char why[128];
  UOp *v = opt_vectorize_lane(ast, lane, why, sizeof why);
  TG_ASSERT(v, "opt_finish: the lane checked by VECTORIZE no longer vectorizes: %s", why);
  return v;
}

// Output loops nest in order of id: exchanging two ranges' ids exchanges their places in the nest.
static UOp *swap_axes(UOp *ast, Opt o, char *why, int whylen) {
  UOp *a = opt_find_range(ast, o.axis), *b = opt_find_range(ast, o.amount);
  const char *bad = !a || !b ? "no such axis" : a == b ? "an axis swaps with itself" :
                    a->arg.tup[1] != 0 || b->arg.tup[1] != 0 ? "SWAP needs two output axes" : NULL;
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "SWAP axis %d with %d: %s", o.axis, o.amount, bad);
    return NULL;
  }
  // through placeholders: with equal sizes the new a is the old b, and a direct substitution would never settle
  UOp *from[2] = { a, b }, *tmp[2] = { uop_var("swap_a", 0, 0), uop_var("swap_b", 0, 0) };
  UOp *to[2] = { uop1(OP_RANGE, a->dtype, a->src[0], arg_tuple(b->arg.tup, 2)), uop1(OP_RANGE, b->dtype, b->src[0], arg_tuple(a->arg.tup, 2)) };
  return sym_substitute(sym_substitute(ast, from, tmp, 2), tmp, to, 2);
}

// A reduce term that is 0 wherever a load gated by the padding reads 0 (products, sums of such, casts...)
static bool zero_when_padded(UOp *u, HMap *gated) {
  switch (u->op) {
  case OP_LOAD: return hmap_get(gated, (uint64_t)(uintptr_t)u, NULL);
  case OP_CONST: return u->arg.kind == ARG_INT ? u->arg.i == 0 : u->arg.f == 0;
  case OP_MUL: case OP_AND: return zero_when_padded(u->src[0], gated) || zero_when_padded(u->src[1], gated);
  case OP_ADD: case OP_SUB: case OP_OR: return zero_when_padded(u->src[0], gated) && zero_when_padded(u->src[1], gated);
  case OP_NEG: case OP_CAST: return zero_when_padded(u->src[0], gated);
  case OP_WHERE: return zero_when_padded(u->src[1], gated) && zero_when_padded(u->src[2], gated);
  case OP_MULACC: return (zero_when_padded(u->src[0], gated) || zero_when_padded(u->src[1], gated)) && zero_when_padded(u->src[2], gated);
  default: return false;
  }
}

// The load's index or gate uses a reduce range: it runs in a reduce loop.
static bool in_reduce_loop(UOp *load) {
  const UOpList *t = uop_toposort(load->src[0]);
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[1] == AXIS_REDUCE) return true;
  return false;
}

/* r (n trips) -> r2 (n2 trips). Stores indexed by r2 get the gate r2 < n. Loads either get the same gate (reading 0
 * past it) or, on an output axis, read at the clamped r2 -> min(r2, n-1): a padded output is computed (from the last
 * valid one's inputs) but never stored, so its loads need no gate. The clamp is taken for loads that do not walk
 * r2 contiguously: a gated load in an upcast tile is a select in the innermost loop (6 rows of a matmul tile cost
 * 10%), while a clamped row address is computed once outside it; loads that do walk r2 contiguously keep the gate,
 * which vectorizes as a masked load where a clamp would make a gather. Only loads inside a reduce loop are clamped:
 * elsewhere a gate costs little, and GCC 12 crashes (an internal compiler error in const_vector_mask_from_tree) on
 * some loops of unconditional loads under a gated store (a padded elementwise kernel casting to int32). */
static UOp *pad_axis(UOp *ast, UOp *r, int64_t n2, HMap *gated) {
  int64_t n = r->src[0]->arg.i;
  UOp *r2 = uop1(OP_RANGE, r->dtype, uop_iconst(n2), arg_tuple(r->arg.tup, (int)r->arg.n));
  UOp *in = uop2(OP_CMPLT, dt_scalar(DT_BOOL), r2, uop_iconst(n), arg_none());
  UOp *clamped = uop_where(in, r2, uop_iconst(n - 1));
  const UOpList *t = uop_toposort(ast);
  VEC(UOp *) from = { 0 }, to = { 0 };
  HMap keep = { 0 };                     // the clamped loads: no gate for them
  for (int64_t i = 0; i < t->n && r->arg.tup[1] == AXIS_OUTPUT; i++) {
    UOp *u = t->items[i];
    if (u->op != OP_LOAD || u->src[0]->op != OP_INDEX || !uop_reaches(u->src[0], r) || heur_step(u->src[0]->src[1], r) == 1 ||
        !in_reduce_loop(u)) continue;
    vec_push(&from, u);
    vec_push(&to, sym_substitute(u, &r, &clamped, 1));
    hmap_put(&keep, (uint64_t)(uintptr_t)to.data[to.len - 1], 1);
  }
  vec_push(&from, r);
  vec_push(&to, r2);
  UOp *out = sym_substitute(ast, from.data, to.data, (int)from.len);
  from.len = to.len = 0;
  t = uop_toposort(out);
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i], *ix = u->op == OP_LOAD || u->op == OP_STORE ? u->src[0] : NULL;
    if (!ix || ix->op != OP_INDEX || !uop_reaches(ix->src[1], r2) || hmap_get(&keep, (uint64_t)(uintptr_t)u, NULL)) continue;
    UOp *gate = ix->nsrc > 2 ? uop2(OP_AND, ix->src[2]->dtype, ix->src[2], in, arg_none()) : in;
    UOp *nix = uop3(OP_INDEX, ix->dtype, ix->src[0], ix->src[1], gate, arg_none());
    UOp *src[u->nsrc + 1];               // the same sources, the gated index first; a load gets its alt 0
    int ns = 0;
    src[ns++] = nix;
    if (u->op == OP_LOAD && u->nsrc == 1) src[ns++] = uop_const(u->dtype, 0);
    for (uint32_t k = 1; k < u->nsrc; k++) src[ns++] = u->src[k];
    vec_push(&from, u);
    vec_push(&to, uop_new((Op)u->op, u->dtype, src, ns, u->arg));
  }
  out = sym_substitute(out, from.data, to.data, (int)from.len);
  for (int64_t i = 0; i < (int64_t)to.len; i++) if (to.data[i]->op == OP_LOAD) hmap_put(gated, (uint64_t)(uintptr_t)to.data[i], 1);
  vec_free(&from); vec_free(&to);
  hmap_free(&keep);
  return out;
}

static UOp *padto(UOp *ast, Opt o, char *why, int whylen) {
  UOp *r = opt_find_range(ast, o.axis);
  int64_t n = r && r->src[0]->op == OP_CONST ? r->src[0]->arg.i : -1, n2 = n > 0 && o.amount > 0 ? (n + o.amount - 1) / o.amount * o.amount : -1;
  int kind = r ? (int)r->arg.tup[1] : -1;
  const char *bad = !r ? "no such axis" : n < 0 ? "axis has a symbolic size" : o.amount < 2 || o.amount > 32 ? "amount must be 2..32" :
                    kind != 0 && kind != 1 ? "the axis is already SIMD lanes" : n % o.amount == 0 ? "the amount already divides the axis" :
                    (n2 - n) * 4 > n ? "padding would add more than a quarter of the trips" : NULL;
  HMap gated = { 0 };
  UOp *out = bad ? NULL : pad_axis(ast, r, n2, &gated);
  if (out && kind == 1) {        // the extra trips of a reduce must add nothing
    const UOpList *t = uop_toposort(out);
    for (int64_t i = 0; i < t->n && !bad; i++) {
      UOp *red = t->items[i];
      if (red->op != OP_REDUCE || !uop_reaches(red, opt_find_range(out, o.axis))) continue;
      if (red->arg.i != OP_ADD || !zero_when_padded(red->src[0], &gated)) bad = "a reduce over the axis would not add 0 on the padded trips";
    }
  }
  hmap_free(&gated);
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "PADTO axis %d to a multiple of %d: %s", o.axis, o.amount, bad);
    return NULL;
  }
  return sym_simplify(out);
}

// Checked on the kernel as opt_finish will leave it, which must still linearize: lanes that vectorize, shared memory
// that fits, reduce copies that share their loops (once the lane range is gone, a reduce copy that does not depend on
// the lane can be hoisted out of loops its siblings stay in).
static UOp *checked(UOp *out, Opt o, const RendererCaps *caps, char *why, int whylen) {
  UOp *lane = opt_lane_range(out), *fin = out;
  char reason[128];
  int64_t smem = 0;
  if (lane && !(fin = opt_vectorize_lane(out, lane, reason, sizeof reason))) {
    if (why) snprintf(why, (size_t)whylen, "%s axis %d by %d: %s", opt_name(o.kind), o.axis, o.amount, reason);
    return NULL;
  }
  fin = opt_lower_groups(fin, &smem);
  if (caps && smem > caps->shared_max) {
    if (why) snprintf(why, (size_t)whylen, "%s axis %d by %d: %lld bytes of shared memory (at most %d)", opt_name(o.kind), o.axis, o.amount,
                      (long long)smem, caps->shared_max);
    return NULL;
  }
  // the copies of a reduce share its loops, so they must all live in the same scope
  Nest nest;
  nest_build(&nest, fin);
  bool split = nest.split_reduce;
  nest_free(&nest);
  if (split) {
    if (why) snprintf(why, (size_t)whylen, "%s axis %d by %d: the reduce copies would need different loop nests", opt_name(o.kind), o.axis, o.amount);
    return NULL;
  }
  return out;
}

static bool has_thread_range(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) if (axis_is_thread(t->items[i])) return true;
  return false;
}

UOp *opt_apply(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen) {
  if (o.kind == OPT_SWAP) return swap_axes(ast, o, why, whylen);
  if (o.kind == OPT_PADTO) return padto(ast, o, why, whylen);
  if (o.kind == OPT_NOLOCALS) return opt_nolocals(ast, caps, why, whylen);
  if (o.kind == OPT_THREAD) return opt_thread(ast, o, caps, why, whylen);
  if (o.kind == OPT_LOCAL || o.kind == OPT_GROUP || o.kind == OPT_GROUPTOP || o.kind == OPT_TC) {
    UOp *out = o.kind == OPT_TC ? opt_tc(ast, o, caps, why, whylen) : opt_split_threads(ast, o, caps, why, whylen);
    return out ? checked(out, o, caps, why, whylen) : NULL;
  }
  UOp *r = opt_find_range(ast, o.axis);
  int64_t size = r && r->src[0]->op == OP_CONST ? r->src[0]->arg.i : -1;
  int kind = r ? (int)r->arg.tup[1] : -1;
  const char *bad = !r ? "no such axis" : size < 0 ? "axis has a symbolic size" : o.amount < 2 ? "amount must be >= 2" :
                    size % o.amount ? "amount does not divide the axis" : o.amount > 32 ? "amount above 32" :
                    kind == OPT_LANE_KIND ? "the axis is already SIMD lanes" :
                    o.kind == OPT_UPCAST && kind != 0 ? "UPCAST needs an output axis" :
                    o.kind == OPT_UNROLL && kind != 1 ? "UNROLL needs a reduce axis" :
                    o.kind == OPT_VECTORIZE && opt_lane_range(ast) ? "the kernel already has a vector axis" :
                    o.kind == OPT_VECTORIZE && has_thread_range(ast) ? "the kernel has thread ranges (LOCAL/GROUP)" :
                    o.kind == OPT_VECTORIZE && (o.amount & (o.amount - 1)) ? "vector width must be a power of two" : NULL;
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "%s axis %d by %d: %s", opt_name(o.kind), o.axis, o.amount, bad);
    return NULL;
  }
  UOp *out = sym_simplify(o.kind == OPT_VECTORIZE ? opt_split_range(ast, r, o.amount, OPT_LANE_KIND, false)
                                                  : o.kind == OPT_UPCAST ? upcast(ast, r, o.amount) : unroll(ast, r, o.amount));
  return checked(out, o, caps, why, whylen);
}
