// Symbolic comparisons and selects: folding x<c, x!=c, where(), and simplifying under a known-valid condition
#include "uop/symbolic_internal.h"
#include "base/vec.h"
#include <stdlib.h>
#include <stdio.h>

static UOp *lt(UOp *a, UOp *b) { return uop2(OP_CMPLT, dt_vec(DT_BOOL_T, a->dtype.count), a, b, arg_none()); }
static int64_t ceildiv(int64_t a, int64_t b) { return -sym_floordiv(-a, b); }   // b > 0, a > INT64_MIN

// the side of a comparison as a linear form that evaluates without wrapping
static bool parse_fit(UOp *x, SymLin *l) {
  int64_t lo, hi;
  sym_lin_parse(x, l);
  return sym_is_int(x->dtype) && sym_lin_fits(l, &lo, &hi);
}

// lin < c (ints). Moves the constant over, divides out a common factor, unwraps x*a and x//d.
static UOp *fold_lt_const(UOp *x, int64_t c) {
  SymLin l = { 0 };
  UOp *r = NULL;
  ScalarType s = (ScalarType)x->dtype.scalar;
  int64_t nc, lo, hi;
  if (!parse_fit(x, &l) || !l.len) goto done;
  if (l.k) {   // x + k < c  ->  x < c - k
    if (__builtin_sub_overflow(c, l.k, &nc) || nc < st_min(s) || nc > st_max(s)) goto done;
    l.k = 0;
    if (!sym_lin_fits(&l, &lo, &hi)) goto done;     // x itself must not wrap either
    r = lt(sym_lin_build(&l), uop_const_int(x->dtype, nc));
    goto done;
  }
  if (c == INT64_MIN) goto done;
  if (l.len == 1) {
    int64_t a = l.data[0].coef;
    UOp *b = l.data[0].base;
    if (a > 1) r = lt(b, uop_const_int(x->dtype, ceildiv(c, a)));                      // b*a < c  <->  b < ceil(c/a)
    else if (a < 0 && a > INT64_MIN) r = lt(uop_const_int(x->dtype, sym_floordiv(-c, -a)), b);  // b*a < c <-> floor(-c/-a) < b
    else if (a == 1 && b->op == OP_CDIV && b->src[1]->op == OP_CONST && b->src[1]->arg.i > 0) {
      // trunc(y/d) < c  <->  y < c*d (c >= 1), y < (c-1)*d + 1 (c <= 0)
      int64_t d = b->src[1]->arg.i, v;
      bool ovf = c >= 1 ? __builtin_mul_overflow(c, d, &v) : (__builtin_mul_overflow(c - 1, d, &v) || __builtin_add_overflow(v, 1, &v));
      if (!ovf && v >= st_min(s) && v <= st_max(s)) r = lt(b->src[0], uop_const_int(x->dtype, v));
    }
    goto done;
  }
  // sum of unit terms p in [0, d) plus d*N: (d*N + p < c) <-> (N < c/d) when d divides c
  int64_t d = c, plo = 0, phi = 0;
  bool have_np = false;
  for (int64_t i = 0; i < l.len; i++) {
    SymTerm *t = &l.data[i];
    if (t->coef == 1) {
      if (!sym_tracked(t->base) || __builtin_add_overflow(plo, t->base->vmin, &plo) || __builtin_add_overflow(phi, t->base->vmax, &phi)) goto done;
    } else { d = sym_gcd(d, t->coef); have_np = true; }
  }
  if (!have_np || d <= 1 || plo < 0 || phi >= d) goto done;
  SymLin n = { .dt = l.dt };
  for (int64_t i = 0; i < l.len; i++) if (l.data[i].coef != 1) vec_push(&n, ((SymTerm){ l.data[i].base, l.data[i].coef / d }));
  r = lt(sym_lin_build(&n), uop_const_int(x->dtype, c / d));
  sym_lin_free(&n);
done:
  sym_lin_free(&l);
  return r;
}

// c < lin (ints)
static UOp *fold_const_lt(int64_t c, UOp *x) {
  SymLin l = { 0 };
  UOp *r = NULL;
  ScalarType s = (ScalarType)x->dtype.scalar;
  int64_t nc, lo, hi;
  if (!parse_fit(x, &l) || l.len != 1) goto done;
  if (l.k) {   // c < x + k  ->  c - k < x
    if (__builtin_sub_overflow(c, l.k, &nc) || nc < st_min(s) || nc > st_max(s)) goto done;
    l.k = 0;
    if (!sym_lin_fits(&l, &lo, &hi)) goto done;     // x itself must not wrap either
    r = lt(uop_const_int(x->dtype, nc), sym_lin_build(&l));
    goto done;
  }
  int64_t a = l.data[0].coef;
  UOp *b = l.data[0].base;
  if (c == INT64_MIN || c == INT64_MAX) goto done;
  if (a > 1) r = lt(uop_const_int(x->dtype, sym_floordiv(c, a)), b);            // c < b*a <-> floor(c/a) < b
  else if (a < 0 && a > INT64_MIN) r = lt(b, uop_const_int(x->dtype, ceildiv(-c, -a)));   // c < b*a <-> b < ceil(-c/-a)
  else if (a == 1 && b->op == OP_CDIV && b->src[1]->op == OP_CONST && b->src[1]->arg.i > 0) {
    // c < trunc(y/d) <-> trunc(y/d) >= m=c+1 <-> m*d - 1 < y (m >= 1), (m-1)*d < y (m <= 0)
    int64_t d = b->src[1]->arg.i, mm = c + 1, v;
    bool ovf = mm >= 1 ? (__builtin_mul_overflow(mm, d, &v) || __builtin_sub_overflow(v, 1, &v)) : __builtin_mul_overflow(mm - 1, d, &v);
    if (!ovf && v >= st_min(s) && v <= st_max(s)) r = lt(uop_const_int(x->dtype, v), b->src[0]);
  }
done:
  sym_lin_free(&l);
  return r;
}

static UOp *r_cmplt(Match *m) {
  UOp *a = m->root->src[0], *b = m->root->src[1];
  if (!sym_is_int(a->dtype)) return NULL;
  if (b->op == OP_CONST && a->op != OP_CONST) return fold_lt_const(a, b->arg.i);
  if (a->op == OP_CONST && b->op != OP_CONST) return fold_const_lt(a->arg.i, b);
  // x*-1 < y*-1  ->  y < x
  if (a->op == OP_MUL && b->op == OP_MUL && uop_is_const(a->src[1], -1) && uop_is_const(b->src[1], -1)) return lt(b->src[0], a->src[0]);
  return NULL;
}

// lin == c / lin != c (ints)
static UOp *r_cmpeq_const(Match *m) {
  UOp *u = m->root, *x = u->src[0], *cu = u->src[1];
  if (cu->op != OP_CONST || x->op == OP_CONST || !sym_is_int(x->dtype)) return NULL;
  SymLin l = { 0 };
  UOp *r = NULL;
  ScalarType s = (ScalarType)x->dtype.scalar;
  int64_t c = cu->arg.i, nc, lo, hi;
  if (!parse_fit(x, &l) || !l.len) goto done;
  if (l.k) {
    if (__builtin_sub_overflow(c, l.k, &nc) || nc < st_min(s) || nc > st_max(s)) goto done;
    l.k = 0;
    if (!sym_lin_fits(&l, &lo, &hi)) goto done;     // x itself must not wrap either
    r = uop2((Op)u->op, u->dtype, sym_lin_build(&l), uop_const_int(x->dtype, nc), arg_none());
  } else if (l.len == 1 && l.data[0].coef != 1 && l.data[0].coef != 0) {
    int64_t a = l.data[0].coef;
    if (a == -1 && c == INT64_MIN) goto done;
    if (c % a) r = uop_const_int(u->dtype, u->op == OP_CMPNE);
    else r = uop2((Op)u->op, u->dtype, l.data[0].base, uop_const_int(x->dtype, c / a), arg_none());
  }
done:
  sym_lin_free(&l);
  return r;
}

// !(a != b) -> a == b, !(a == b) -> a != b
static UOp *r_not_cmp(Match *m) {
  UOp *x = B(x);
  if (x->src[0]->dtype.scalar == DT_BOOL) return NULL;
  return uop2(x->op == OP_CMPNE ? OP_CMPEQ : OP_CMPNE, x->dtype, x->src[0], x->src[1], arg_none());
}

// ---- where ----
// where(!c, a, b) -> where(c, b, a); nested wheres sharing a branch merge their conditions
static UOp *r_where_shape(Match *m) {
  UOp *u = m->root, *c = u->src[0], *t = u->src[1], *f = u->src[2];
  if (c->op == OP_XOR && c->src[1]->op == OP_CONST && c->src[1]->arg.i == 1 && c->dtype.scalar == DT_BOOL)
    return uop_where(c->src[0], f, t);
  if (t->op == OP_WHERE && t->src[2] == f && dt_eq(t->src[0]->dtype, c->dtype)) return uop_where(uop_and(c, t->src[0]), t->src[1], f);
  if (f->op == OP_WHERE && f->src[1] == t && dt_eq(f->src[0]->dtype, c->dtype)) return uop_where(uop_or(c, f->src[0]), t, f->src[2]);
  return NULL;
}

// A clause of a valid as bounds on an integer expression: X < c, c < X, !(X < c), !(c < X), X == c.
typedef struct { UOp *x; int64_t lo, hi; } Bound;
static bool parse_clause(UOp *v, Bound *b) {
  bool neg = false;
  while (v->op == OP_XOR && v->src[1]->op == OP_CONST && v->src[1]->arg.i == 1) { neg = !neg; v = v->src[0]; }
  if ((v->op != OP_CMPLT && v->op != OP_CMPEQ) || !sym_is_int(v->src[0]->dtype)) return false;
  UOp *l = v->src[0], *r = v->src[1];
  if (v->op == OP_CMPEQ) {
    if (neg || r->op != OP_CONST || l->op == OP_CONST) return false;
    *b = (Bound){ l, r->arg.i, r->arg.i };
    return true;
  }
  if (r->op == OP_CONST && l->op != OP_CONST) {            // X < c  |  X >= c
    if (!neg && r->arg.i == INT64_MIN) return false;
    *b = neg ? (Bound){ l, r->arg.i, INT64_MAX } : (Bound){ l, INT64_MIN, r->arg.i - 1 };
    return true;
  }
  if (l->op == OP_CONST && r->op != OP_CONST) {            // c < X  |  X <= c
    if (!neg && l->arg.i == INT64_MAX) return false;
    *b = neg ? (Bound){ r, INT64_MIN, l->arg.i } : (Bound){ r, l->arg.i + 1, INT64_MAX };
    return true;
  }
  return false;
}

// adds the bounds of cond's clauses (of !cond if negate) to out[0..n), merging bounds on one X
static int collect_bounds(UOp *cond, bool negate, Bound *out, int n, int max) {
  SymList cl = { 0 };
  if (negate) vec_push(&cl, sym_not(cond));
  else sym_split(cond, OP_AND, &cl);
  for (int64_t i = 0; i < cl.len; i++) {
    Bound b;
    if (!parse_clause(cl.data[i], &b)) continue;
    int j = 0;
    while (j < n && out[j].x != b.x) j++;
    if (j == n) { if (n == max) continue; out[n++] = b; continue; }
    if (b.lo > out[j].lo) out[j].lo = b.lo;
    if (b.hi < out[j].hi) out[j].hi = b.hi;
  }
  vec_free(&cl);
  return n;
}

// The gate of a memory access (INDEX(buf, offset, gate)) guards the access itself, so facts that only hold where a
// value is used (a WHERE's condition) must not simplify it away: where(c, LOAD(INDEX(buf, i, c)), 0) keeps its gate,
// or the load reads out of bounds where c is false. While the WHERE rules work, gates hide behind placeholders.
enum { MAX_GATES = 64 };
typedef struct { UOp *gate[MAX_GATES], *ph[MAX_GATES]; int n; } Gates;
// returns x with its gates hidden, or NULL when x has more gated loads than this tracks
static UOp *hide_gates(UOp *x, Gates *g) {
  UOp *from[MAX_GATES], *to[MAX_GATES];
  int nidx = 0;
  g->n = 0;
  const UOpList *topo = uop_toposort(x);
  for (int64_t i = 0; i < topo->n; i++) {
    UOp *u = topo->items[i];
    if (u->op != OP_INDEX || !dt_is_ptr(u->dtype) || u->nsrc < 3 || u->src[2]->dtype.scalar != DT_BOOL) continue;
    if (nidx == MAX_GATES) return NULL;        // too many to track: the caller leaves x as it is
    int j = 0;
    while (j < g->n && g->gate[j] != u->src[2]) j++;
    if (j == g->n) {
      static uint64_t fresh;
      char name[48];
      snprintf(name, sizeof name, "\x01gate%llu", (unsigned long long)++fresh);
      int64_t bnd[2] = { 0, 1 };
      g->gate[g->n] = u->src[2];
      g->ph[g->n++] = uop0(OP_DEFINE_VAR, DT_BOOL_T, (Arg){ .kind = ARG_VAR, .n = 2, .tup = bnd, .str = name });
    }
    UOp *src[8];                               // only the gate position changes: the condition stays visible elsewhere
    for (uint32_t k = 0; k < u->nsrc && k < 8; k++) src[k] = u->src[k];
    src[2] = g->ph[j];
    from[nidx] = u;
    to[nidx++] = uop_with_src(u, src, (int)u->nsrc);
  }
  return nidx ? sym_substitute(x, from, to, nidx) : x;
}
static UOp *show_gates(UOp *x, const Gates *g) { return g->n ? sym_substitute(x, g->ph, g->gate, g->n) : x; }

// simplify x given that every bound holds: substitute each bounded X by a fresh variable with
// the tighter range, simplify, substitute back, simplify. Only accepted if x gets smaller.
static UOp *given_bounds(UOp *x0, Bound *bs, int n) {
  UOp *from[8], *to[8];
  Gates gates;
  UOp *x = hide_gates(x0, &gates);
  if (!x) return NULL;
  int k = 0;
  for (int i = 0; i < n; i++) {
    UOp *X = bs[i].x;
    if (!sym_tracked(X) || !sym_contains(x, X)) continue;
    int64_t lo = bs[i].lo > X->vmin ? bs[i].lo : X->vmin, hi = bs[i].hi < X->vmax ? bs[i].hi : X->vmax;
    if (lo > hi || (lo == X->vmin && hi == X->vmax)) continue;
    static uint64_t fresh;        // unique: nested simplifications must not share variables
    char name[48];
    snprintf(name, sizeof name, "\x01valid%llu", (unsigned long long)++fresh);
    int64_t bnd[2] = { lo, hi };
    from[k] = X;
    to[k++] = uop0(OP_DEFINE_VAR, X->dtype, (Arg){ .kind = ARG_VAR, .n = 2, .tup = bnd, .str = name });
  }
  if (!k) return NULL;
  UOp *y = sym_simplify(sym_substitute(x, from, to, k));
  y = sym_simplify(show_gates(sym_substitute(y, to, from, k), &gates));
  if (y == x0 || sym_count_nodes(y, INT64_MAX) >= sym_count_nodes(x0, INT64_MAX)) return NULL;
  return y;
}

static UOp *r_where_valid(Match *m) {
  UOp *u = m->root, *c = u->src[0], *t = u->src[1], *f = u->src[2];
  if (c->dtype.count != 1) return NULL;
  Bound bs[8];
  int n = collect_bounds(c, false, bs, 0, 8);
  UOp *nt = n ? given_bounds(t, bs, n) : NULL, *nf = NULL;
  if (c->op != OP_AND && (n = collect_bounds(c, true, bs, 0, 8))) nf = given_bounds(f, bs, n);
  if (!nt && !nf) return NULL;
  return uop_where(c, nt ? nt : t, nf ? nf : f);
}

// in cond.where(t, f), cond itself is True within t and False within f
static UOp *r_where_closure(Match *m) {
  UOp *u = m->root, *c = u->src[0], *t = u->src[1], *f = u->src[2];
  if (c->op == OP_CONST || c->dtype.count != 1) return NULL;
  Gates gt, gf;
  UOp *ht = hide_gates(t, &gt), *hf = hide_gates(f, &gf);
  if (!ht || !hf) return NULL;
  bool in_t = sym_contains(ht, c), in_f = sym_contains(hf, c);
  if (!in_t && !in_f) return NULL;
  UOp *tr = uop_const(c->dtype, 1), *fa = uop_const(c->dtype, 0);
  return uop_where(c, in_t ? show_gates(sym_substitute(ht, &c, &tr, 1), &gt) : t, in_f ? show_gates(sym_substitute(hf, &c, &fa, 1), &gf) : f);
}

// a & b & ...: simplify each clause given the bounds the others state (in turn, so two clauses
// that imply each other do not both go)
static UOp *r_and_valid(Match *m) {
  UOp *u = m->root;
  if (u->dtype.scalar != DT_BOOL || u->dtype.count != 1) return NULL;
  SymList cl = { 0 };
  sym_split(u, OP_AND, &cl);
  bool changed = false;
  if (cl.len >= 2 && cl.len <= 16) {
    for (int64_t i = 0; i < cl.len; i++) {
      Bound bs[8];
      int n = 0;
      for (int64_t j = 0; j < cl.len; j++) if (j != i) n = collect_bounds(cl.data[j], false, bs, n, 8);
      UOp *ni = n ? given_bounds(cl.data[i], bs, n) : NULL;
      if (ni) { cl.data[i] = ni; changed = true; }
    }
  }
  UOp *r = NULL;
  for (int64_t i = 0; changed && i < cl.len; i++) r = r ? uop_and(r, cl.data[i]) : cl.data[i];
  vec_free(&cl);
  return r;
}

const Rule sym_cmp_rules[] = {
  RULE(POP(OP_CMPLT, x), r_cmplt),
  RULE(UP(.ops = OPSET(OP_CMPNE, OP_CMPEQ)), r_cmpeq_const),
  RULE(PAT(OP_XOR, UP(.ops = OPSET(OP_CMPNE, OP_CMPEQ), PNAME(x)), PCV(1)), r_not_cmp),
  RULES_END
};

const Rule sym_where_rules[] = {
  RULE(POP(OP_WHERE, x), r_where_shape),
  RULE(POP(OP_WHERE, x), r_where_closure),
  RULE(POP(OP_WHERE, x), r_where_valid),
  RULE(POP(OP_AND, x), r_and_valid),
  RULES_END
};
