// Vectorize: one lane RANGE of a kernel AST becomes SIMD lanes (vector dtypes); the CPU expander
#include "codegen/opt/opt.h"
#include "uop/symbolic.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include <stdio.h>

/* Every node that depends on the lane range L (size W) gets dtype vec(W); nodes that do not stay scalar
 * and are broadcast (VECTORIZE of W equal sources) where a vector node uses them. Memory access decides
 * per LOAD/STORE from its index with L set to each lane, simplified:
 *   all lanes equal                -> one scalar access (broadcast by the user)
 *   lane c at lane 0's index + c,
 *   and one gate for all lanes     -> one contiguous vector access at lane 0's index
 *   anything else                  -> W scalar accesses (gather into a VECTORIZE, or W stores of GEPs)
 * A REDUCE over L (L came from a reduce axis) accumulates a vector and adds its lanes at the end. */
typedef VEC(UOp *) UOpVec;
typedef struct V {
  UOp *lane;
  int w;
  HMap dep;          // node -> 1 when it depends on the lane
  HMap memo;         // node -> its vectorized form
  const char *bad;   // why the kernel cannot be vectorized (first reason)
} V;

static bool dep(V *v, UOp *u) { return hmap_get_or(&v->dep, (uint64_t)(uintptr_t)u, 0) != 0; }

static UOp *at_lane(V *v, UOp *u, int c) {
  UOp *k = uop_iconst(c);
  return sym_simplify(sym_substitute(u, &v->lane, &k, 1));
}

static UOp *broadcast(V *v, UOp *s) {
  if (s->dtype.count == v->w) return s;
  UOp *src[64];
  for (int c = 0; c < v->w; c++) src[c] = s;
  return uop_new(OP_VECTORIZE, dt_vec(s->dtype, v->w), src, v->w, arg_none());
}

static UOp *gep(UOp *x, int c) { return uop1(OP_GEP, dt_vec(x->dtype, 1), x, arg_int(c)); }

typedef struct Lanes { UOp *idx[64], *gate[64]; bool same, contiguous; } Lanes;

static void lanes_of(V *v, UOp *index, Lanes *L) {
  UOp *gate = index->nsrc > 2 ? index->src[2] : NULL;
  L->same = L->contiguous = true;
  for (int c = 0; c < v->w; c++) {
    L->idx[c] = at_lane(v, index->src[1], c);
    L->gate[c] = gate ? at_lane(v, gate, c) : NULL;
    if (c == 0) continue;
    bool gate_same = L->gate[c] == L->gate[0];
    L->same &= gate_same && L->idx[c] == L->idx[0];
    UOp *d = sym_simplify(uop_sub(L->idx[c], L->idx[0]));
    L->contiguous &= gate_same && d->op == OP_CONST && d->arg.i == c;
  }
}

static UOp *index_at(UOp *index, UOp *idx, UOp *gate) {
  return gate ? uop3(OP_INDEX, index->dtype, index->src[0], idx, gate, arg_none()) : uop2(OP_INDEX, index->dtype, index->src[0], idx, arg_none());
}

static UOp *vload(V *v, UOp *u) {
  UOp *index = u->src[0], *alt = u->nsrc > 1 ? u->src[1] : NULL;
  if (index->op != OP_INDEX || index->nsrc > 3 || (alt && dep(v, alt))) { v->bad = "a load whose address is not a plain index"; return NULL; }
  Lanes L;
  lanes_of(v, index, &L);
  UOp *idx0 = index_at(index, L.idx[0], L.gate[0]);
  if (L.same) return alt ? uop2(OP_LOAD, u->dtype, idx0, alt, arg_none()) : uop1(OP_LOAD, u->dtype, idx0, arg_none());
  DType vt = dt_vec(u->dtype, v->w);
  if (L.contiguous) return alt ? uop2(OP_LOAD, vt, idx0, broadcast(v, alt), arg_none()) : uop1(OP_LOAD, vt, idx0, arg_none());
  UOp *src[64];
  for (int c = 0; c < v->w; c++) {
    UOp *ic = index_at(index, L.idx[c], L.gate[c]);
    src[c] = alt ? uop2(OP_LOAD, u->dtype, ic, alt, arg_none()) : uop1(OP_LOAD, u->dtype, ic, arg_none());
  }
  return uop_new(OP_VECTORIZE, vt, src, v->w, arg_none());
}

// The vectorized form of an already visited node (sources come first in toposort).
static UOp *vnode(V *v, UOp *u) {
  if (!dep(v, u)) return u;
  return HMAP_PTR(&v->memo, u);
}

// A REDUCE over the lane: accumulate lanes separately, combine them once after the loop.
static UOp *vreduce(V *v, UOp *u) {
  UOp *src[16];
  int n = 0, over_lane = 0;
  UOp *x = vnode(v, u->src[0]);
  if (!x) return NULL;
  src[n++] = broadcast(v, x);
  for (uint32_t i = 1; i < u->nsrc; i++) {
    if (u->src[i] == v->lane) { over_lane = 1; continue; }
    src[n++] = u->src[i];
  }
  if (!over_lane) return uop_new(OP_REDUCE, dt_vec(u->dtype, v->w), src, n, u->arg);
  UOp *acc = n > 1 ? uop_new(OP_REDUCE, dt_vec(u->dtype, v->w), src, n, u->arg) : src[0];
  UOp *out = gep(acc, 0);
  for (int c = 1; c < v->w; c++) out = uop2((Op)u->arg.i, u->dtype, out, gep(acc, c), arg_none());
  return out;
}

static bool vector_op(Op op) {
  return op_is_alu(op) && op != OP_THREEFRY;
}

static UOp *vnode_uncached(V *v, UOp *u) {
  if (!dep(v, u)) return u;
  if (u == v->lane) {
    UOp *src[64];
    for (int c = 0; c < v->w; c++) src[c] = uop_iconst(c);
    return uop_new(OP_VECTORIZE, dt_vec(u->dtype, v->w), src, v->w, arg_none());
  }
  if (u->op == OP_LOAD) return vload(v, u);
  if (u->op == OP_REDUCE) return vreduce(v, u);
  if (!vector_op((Op)u->op)) { v->bad = op_name((Op)u->op); return NULL; }
  UOp *src[4];
  bool any = false;
  for (uint32_t i = 0; i < u->nsrc; i++) {
    if (!(src[i] = vnode(v, u->src[i]))) return NULL;
    any |= src[i]->dtype.count == v->w;
  }
  if (!any) return uop_with_src(u, src, (int)u->nsrc);       // every lane-dependent source folded away
  for (uint32_t i = 0; i < u->nsrc; i++) src[i] = broadcast(v, src[i]);
  return uop_new((Op)u->op, dt_vec(u->dtype, v->w), src, (int)u->nsrc, u->arg);
}

// One STORE becomes one vector store, one scalar store (every lane writes the same place: the last
// lane's value wins, as it would in a loop), or W scalar stores.
static bool vstore(V *v, UOp *st, UOpVec *out) {
  UOp *index = st->src[0];
  if (!dep(v, st)) { vec_push(out, st); return true; }
  if (index->op != OP_INDEX || index->nsrc > 3 || st->nsrc != 2) { v->bad = "a store whose address is not a plain index"; return false; }
  UOp *val = vnode(v, st->src[1]);
  if (!val) return false;
  Lanes L;
  lanes_of(v, index, &L);
  if (L.contiguous) {
    vec_push(out, uop2(OP_STORE, DT_VOID_T, index_at(index, L.idx[0], L.gate[0]), broadcast(v, val), arg_none()));
    return true;
  }
  for (int c = L.same ? v->w - 1 : 0; c < v->w; c++) {
    UOp *x = val->dtype.count == v->w ? gep(val, c) : val;
    vec_push(out, uop2(OP_STORE, DT_VOID_T, index_at(index, L.idx[c], L.gate[c]), x, arg_none()));
  }
  return true;
}

UOp *opt_vectorize_lane(UOp *ast, UOp *lane, char *why, int whylen) {
  V v = { .lane = lane, .w = (int)lane->src[0]->arg.i };
  if (v.w < 2 || v.w > 64) { if (why) snprintf(why, (size_t)whylen, "lane width %d not in 2..64", v.w); return NULL; }
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    bool d = u == lane;
    for (uint32_t k = 0; k < u->nsrc && !d; k++) d = dep(&v, u->src[k]);
    if (d) hmap_put(&v.dep, (uint64_t)(uintptr_t)u, 1);
  }
  bool ok = true;
  for (int64_t i = 0; i < t->n && ok; i++) {
    UOp *u = t->items[i];
    if (!dep(&v, u) || u->op == OP_INDEX || u->op == OP_STORE || u->op == OP_SINK) continue;
    UOp *r = vnode_uncached(&v, u);
    if (r) HMAP_PUT_PTR(&v.memo, u, r);
    ok = r != NULL;
  }
  UOpVec stores = { 0 };
  for (uint32_t i = 0; i < ast->nsrc && ok; i++) ok = vstore(&v, ast->src[i], &stores);
  UOp *out = ok ? uop_new(OP_SINK, DT_VOID_T, stores.data, (int)stores.len, arg_none()) : NULL;
  if (!ok && why) snprintf(why, (size_t)whylen, "cannot vectorize %s", v.bad ? v.bad : "this kernel");
  vec_free(&stores);
  hmap_free(&v.dep);
  hmap_free(&v.memo);
  return out;
}
