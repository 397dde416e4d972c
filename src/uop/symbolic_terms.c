// Symbolic terms: canonical order, linear forms (sum of coef*base), and chain normalization rules
#include "uop/symbolic_internal.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include <stdlib.h>
#include <string.h>

bool sym_is_int(DType d) { return !dt_is_ptr(d) && d.count == 1 && st_is_int((ScalarType)d.scalar); }
bool sym_tracked(UOp *u) { return u->has_range && !dt_is_ptr(u->dtype); }
int64_t sym_floordiv(int64_t a, int64_t b) { int64_t q = a / b; return (a % b != 0 && a < 0) ? q - 1 : q; }
int64_t sym_floormod(int64_t a, int64_t b) { int64_t r = a % b; return r < 0 ? r + b : r; }
int64_t sym_gcd(int64_t a, int64_t b) {
  uint64_t x = a < 0 ? -(uint64_t)a : (uint64_t)a, y = b < 0 ? -(uint64_t)b : (uint64_t)b;
  while (y) { uint64_t t = x % y; x = y; y = t; }
  return x > (uint64_t)INT64_MAX ? 0 : (int64_t)x;     // 0: gcd(INT64_MIN, 0) does not fit
}
UOp *sym_iconst_like(UOp *like, int64_t v) { return uop_const_int(like->dtype, v); }
UOp *sym_not(UOp *b) { return uop_xor(b, uop_const_int(b->dtype, 1)); }
static int64_t wrap_add(ScalarType s, int64_t a, int64_t b) { return st_wrap_int(s, (int64_t)((uint64_t)a + (uint64_t)b)); }
static int64_t wrap_mul(ScalarType s, int64_t a, int64_t b) { return st_wrap_int(s, (int64_t)((uint64_t)a * (uint64_t)b)); }

// ---- canonical order: constants last, then op, dtype, arg, sources (3 levels), hash, id ----
static int cmp_i(int64_t a, int64_t b) { return (a > b) - (a < b); }
static int cmp_u(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

static int cmp_arg(const Arg *a, const Arg *b) {
  if (a->kind != b->kind) return cmp_i(a->kind, b->kind);
  switch (a->kind) {
  case ARG_INT: return cmp_i(a->i, b->i);
  case ARG_FLOAT: {
    if (a->f != b->f) return a->f < b->f ? -1 : a->f > b->f ? 1 : 0;
    uint64_t x, y; memcpy(&x, &a->f, 8); memcpy(&y, &b->f, 8);
    return cmp_u(x, y);
  }
  case ARG_PTR: return cmp_u((uintptr_t)a->ptr, (uintptr_t)b->ptr);
  case ARG_STR: return strcmp(a->str, b->str);
  case ARG_VAR: case ARG_TUPLE: {
    if (a->kind == ARG_VAR) { int r = strcmp(a->str, b->str); if (r) return r; }
    if (a->n != b->n) return cmp_i(a->n, b->n);
    for (uint32_t i = 0; i < a->n; i++) if (a->tup[i] != b->tup[i]) return cmp_i(a->tup[i], b->tup[i]);
    return 0;
  }
  default: return 0;
  }
}

static int cmp_depth(UOp *a, UOp *b, int depth) {
  if (a == b) return 0;
  bool ca = a->op == OP_CONST, cb = b->op == OP_CONST;
  if (ca != cb) return ca ? 1 : -1;
  int r;
  if ((r = cmp_i(a->op, b->op)) || (r = cmp_i(a->dtype.scalar, b->dtype.scalar)) || (r = cmp_i(a->dtype.count, b->dtype.count)) ||
      (r = cmp_arg(&a->arg, &b->arg)) || (r = cmp_i(a->nsrc, b->nsrc)))
    return r;
  if (depth > 0)
    for (uint32_t i = 0; i < a->nsrc; i++) if ((r = cmp_depth(a->src[i], b->src[i], depth - 1))) return r;
  return (r = cmp_u(a->hash, b->hash)) ? r : cmp_u(a->id, b->id);
}
int sym_cmp(UOp *a, UOp *b) { return cmp_depth(a, b, 3); }
static int qcmp_uop(const void *a, const void *b) { return sym_cmp(*(UOp *const *)a, *(UOp *const *)b); }
static int qcmp_term(const void *a, const void *b) { return sym_cmp(((const SymTerm *)a)->base, ((const SymTerm *)b)->base); }

// ---- chains ----
void sym_split(UOp *u, Op op, SymList *out) {
  SymList stack = { 0 };
  vec_push(&stack, u);
  while (stack.len) {
    UOp *n = vec_pop(&stack);
    if (n->op == op && n->nsrc == 2 && dt_eq(n->dtype, u->dtype)) { vec_push(&stack, n->src[1]); vec_push(&stack, n->src[0]); }
    else vec_push(out, n);
  }
  vec_free(&stack);
}

static UOp *chain(Op op, UOp *const *xs, int64_t n, DType dt, int64_t unit) {
  if (!n) return uop_const_int(dt, unit);
  UOp *acc = xs[0];
  for (int64_t i = 1; i < n; i++) acc = uop2(op, dt, acc, xs[i], arg_none());
  return acc;
}
UOp *sym_sum(UOp *const *xs, int64_t n, DType dt) { return chain(OP_ADD, xs, n, dt, 0); }
UOp *sym_prod(UOp *const *xs, int64_t n, DType dt) { return chain(OP_MUL, xs, n, dt, 1); }

// ---- linear forms ----
void sym_lin_free(SymLin *l) { vec_free(l); }

void sym_lin_parse(UOp *u, SymLin *l) {
  ScalarType s = (ScalarType)u->dtype.scalar;
  l->len = 0; l->k = 0; l->dt = u->dtype;
  SymList ts = { 0 };
  sym_split(u, OP_ADD, &ts);
  for (int64_t i = 0; i < ts.len; i++) {
    UOp *t = ts.data[i];
    if (t->op == OP_CONST) l->k = wrap_add(s, l->k, t->arg.i);
    else if (t->op == OP_MUL && t->src[1]->op == OP_CONST) vec_push(l, ((SymTerm){ t->src[0], t->src[1]->arg.i }));
    else if (t->op == OP_MUL && t->src[0]->op == OP_CONST) vec_push(l, ((SymTerm){ t->src[1], t->src[0]->arg.i }));
    else vec_push(l, ((SymTerm){ t, 1 }));
  }
  vec_free(&ts);
}

// k * (x / c) * c + k * (x % c) -> k * x (C's division identity): a loop merged from two reads a * n + b as
// (m / n) * n + m % n. One pair at a time; true if found.
static bool fold_divmod_pair(SymLin *l) {
  ScalarType s = (ScalarType)l->dt.scalar;
  for (int64_t i = 0; i < l->len; i++) {
    UOp *md = l->data[i].base;
    if (md->op != OP_CMOD || md->src[1]->op != OP_CONST || md->src[1]->arg.i <= 0) continue;
    for (int64_t j = 0; j < l->len; j++) {
      UOp *dv = l->data[j].base;
      if (dv->op != OP_CDIV || dv->src[0] != md->src[0] || dv->src[1] != md->src[1] ||
          l->data[j].coef != wrap_mul(s, l->data[i].coef, md->src[1]->arg.i)) continue;
      l->data[i] = (SymTerm){ md->src[0], l->data[i].coef };
      l->data[j] = l->data[--l->len];
      return true;
    }
  }
  return false;
}

void sym_lin_canon(SymLin *l) {
  ScalarType s = (ScalarType)l->dt.scalar;
  do {
    if (l->len > 1) qsort(l->data, (size_t)l->len, sizeof(SymTerm), qcmp_term);
    int64_t n = 0;
    for (int64_t i = 0; i < l->len; i++) {
      if (n && l->data[n - 1].base == l->data[i].base) l->data[n - 1].coef = wrap_add(s, l->data[n - 1].coef, l->data[i].coef);
      else l->data[n++] = l->data[i];
    }
    l->len = 0;
    for (int64_t i = 0; i < n; i++) if (l->data[i].coef != 0) l->data[l->len++] = l->data[i];
  } while (fold_divmod_pair(l));
}

UOp *sym_lin_build(const SymLin *l) {
  UOp *acc = NULL;
  for (int64_t i = 0; i < l->len; i++) {
    const SymTerm *t = &l->data[i];
    UOp *x = t->coef == 1 ? t->base : uop2(OP_MUL, l->dt, t->base, uop_const_int(l->dt, t->coef), arg_none());
    acc = acc ? uop2(OP_ADD, l->dt, acc, x, arg_none()) : x;
  }
  if (l->k || !acc) {
    UOp *c = uop_const_int(l->dt, l->k);
    acc = acc ? uop2(OP_ADD, l->dt, acc, c, arg_none()) : c;
  }
  return acc;
}

bool sym_lin_range(const SymLin *l, int64_t *lo, int64_t *hi) {
  int64_t a = l->k, b = l->k;
  for (int64_t i = 0; i < l->len; i++) {
    const SymTerm *t = &l->data[i];
    if (!sym_tracked(t->base)) return false;
    int64_t p, q;
    if (__builtin_mul_overflow(t->base->vmin, t->coef, &p) || __builtin_mul_overflow(t->base->vmax, t->coef, &q)) return false;
    if (p > q) { int64_t s = p; p = q; q = s; }
    if (__builtin_add_overflow(a, p, &a) || __builtin_add_overflow(b, q, &b)) return false;
  }
  *lo = a; *hi = b;
  return true;
}

bool sym_lin_fits(const SymLin *l, int64_t *lo, int64_t *hi) {
  ScalarType s = (ScalarType)l->dt.scalar;
  if (s == DT_UINT64 || !sym_lin_range(l, lo, hi)) return false;
  return *lo >= st_min(s) && *hi <= st_max(s);
}

// ---- helpers for later passes ----
int64_t sym_const_factor(UOp *u) {
  if (u->op == OP_CONST) return u->arg.kind == ARG_INT ? (u->arg.i < 0 ? -u->arg.i : u->arg.i) : 1;
  if (u->op == OP_MUL && (u->src[1]->op == OP_CONST || u->src[0]->op == OP_CONST)) {
    int64_t f = sym_const_factor(u->src[u->src[1]->op == OP_CONST ? 1 : 0]);
    return f ? f : 1;
  }
  if (u->op != OP_ADD) return 1;
  SymList ts = { 0 };
  sym_split(u, OP_ADD, &ts);
  int64_t g = 0;
  for (int64_t i = 0; i < ts.len && g != 1; i++) g = sym_gcd(g, ts.data[i]->op == OP_ADD ? 1 : sym_const_factor(ts.data[i]));
  vec_free(&ts);
  return g ? g : 1;
}

static bool divides_term(UOp *t, int64_t c, UOp **q) {
  if (t->op == OP_CONST && t->arg.kind == ARG_INT) {
    if (t->arg.i % c) return false;
    *q = uop_const_int(t->dtype, t->arg.i / c);
    return true;
  }
  if (t->op == OP_MUL && (t->src[1]->op == OP_CONST || t->src[0]->op == OP_CONST)) {
    int ci = t->src[1]->op == OP_CONST;
    UOp *k = t->src[ci], *x = t->src[!ci];
    if (k->arg.kind != ARG_INT || k->arg.i % c) return false;
    *q = k->arg.i / c == 1 ? x : uop2(OP_MUL, t->dtype, x, uop_const_int(t->dtype, k->arg.i / c), arg_none());
    return true;
  }
  if (c != 1) return false;
  *q = t;
  return true;
}

bool sym_divides(UOp *u, int64_t c, UOp **quotient) {
  if (c == 0 || (c == -1 && u->arg.kind == ARG_FLOAT)) return false;
  SymList ts = { 0 };
  sym_split(u, OP_ADD, &ts);
  bool ok = true;
  for (int64_t i = 0; i < ts.len && ok; i++) ok = divides_term(ts.data[i], c, &ts.data[i]);
  if (ok && quotient) *quotient = sym_sum(ts.data, ts.len, u->dtype);
  vec_free(&ts);
  return ok;
}

// ---- graph queries ----
static int64_t walk(UOp *root, UOp *find, int64_t limit) {   // count nodes, or 1 if find is reached
  HMap seen = { 0 };
  SymList stack = { 0 };
  vec_push(&stack, root);
  HMAP_PUT_PTR(&seen, root, 1);
  int64_t n = 0;
  while (stack.len && n < limit) {
    UOp *u = vec_pop(&stack);
    if (u == find) { n = -1; break; }
    n++;
    for (uint32_t i = 0; i < u->nsrc; i++)
      if (!hmap_get(&seen, (uint64_t)(uintptr_t)u->src[i], NULL)) { HMAP_PUT_PTR(&seen, u->src[i], 1); vec_push(&stack, u->src[i]); }
  }
  hmap_free(&seen);
  vec_free(&stack);
  return n;
}
int64_t sym_count_nodes(UOp *u, int64_t limit) { return walk(u, NULL, limit); }
bool sym_contains(UOp *root, UOp *x) { return walk(root, x, INT64_MAX) < 0; }

typedef struct { UOp *const *from, *const *to; int n; } SubstCtx;
static UOp *r_subst(Match *m) {
  SubstCtx *c = m->ctx;
  for (int i = 0; i < c->n; i++) if (m->root == c->from[i]) return c->to[i];
  return NULL;
}
static Pass subst_pass = PASS("substitute", (const Rule[]){ RULE(UP(.src_mode = SRC_ANY), r_subst), RULES_END });
UOp *sym_substitute(UOp *root, UOp *const *from, UOp *const *to, int n) {
  SubstCtx c = { from, to, n };
  return graph_rewrite_pre(root, &subst_pass, &c);
}

// ---- chain normalization rules ----
static SymTerm term_of(UOp *t) {
  if (t->op == OP_MUL && t->src[1]->op == OP_CONST) return (SymTerm){ t->src[0], t->src[1]->arg.i };
  return (SymTerm){ t, 1 };
}
static UOp *term_node(SymTerm t, DType dt) {
  return t.coef == 1 ? t.base : uop2(OP_MUL, dt, t.base, uop_const_int(dt, t.coef), arg_none());
}
static UOp *add_k(UOp *x, int64_t k, DType dt) {
  if (!x) return uop_const_int(dt, k);
  return k ? uop2(OP_ADD, dt, x, uop_const_int(dt, k), arg_none()) : x;
}

// a + b where a (a rewritten source) is already canonical and b is one term or a constant: decide in
// O(1) when b goes at the end, so that building or checking a long chain stays linear.
static bool add_fast(UOp *u, UOp **out) {
  UOp *a = u->src[0], *b = u->src[1], *rest = a;
  ScalarType s = (ScalarType)u->dtype.scalar;
  if (b->op == OP_ADD || a->op == OP_CONST) return false;
  if (b->op == OP_MUL && b->src[0]->op == OP_CONST) return false;
  if (b->op == OP_CMOD || term_of(b).base->op == OP_CDIV) return false;   // may pair with a term (fold_divmod_pair)
  int64_t k = 0;
  if (a->op == OP_ADD && a->src[1]->op == OP_CONST) { rest = a->src[0]; k = a->src[1]->arg.i; }
  if (rest->op == OP_CONST) return false;
  if (b->op == OP_CONST) { *out = add_k(rest, wrap_add(s, k, b->arg.i), u->dtype); return true; }
  UOp *last = rest->op == OP_ADD ? rest->src[1] : rest, *prefix = rest->op == OP_ADD ? rest->src[0] : NULL;
  SymTerm tl = term_of(last), tb = term_of(b);
  int r = sym_cmp(tl.base, tb.base);
  if (r > 0) return false;
  if (r < 0) { *out = add_k(uop2(OP_ADD, u->dtype, rest, b, arg_none()), k, u->dtype); return true; }
  tl.coef = wrap_add(s, tl.coef, tb.coef);      // like terms
  UOp *t = tl.coef ? term_node(tl, u->dtype) : NULL;
  UOp *x = prefix && t ? uop2(OP_ADD, u->dtype, prefix, t, arg_none()) : prefix ? prefix : t;
  *out = add_k(x, k, u->dtype);
  return true;
}

// ADD of ints: flatten, combine like terms, order by base, constant last
static UOp *r_add_chain(Match *m) {
  UOp *u = m->root, *fast;
  if (!sym_is_int(u->dtype)) return NULL;
  if (add_fast(u, &fast)) return fast;
  SymLin l = { 0 };
  sym_lin_parse(u, &l);
  sym_lin_canon(&l);
  UOp *r = sym_lin_build(&l);
  sym_lin_free(&l);
  return r;
}

// MUL of ints: flatten, fold the constant, order factors; c*(a+b) distributes to a*c+b*c
static UOp *r_mul_chain(Match *m) {
  UOp *u = m->root;
  if (!sym_is_int(u->dtype)) return NULL;
  ScalarType s = (ScalarType)u->dtype.scalar;
  SymList f = { 0 };
  sym_split(u, OP_MUL, &f);
  int64_t c = 1, n = 0;
  for (int64_t i = 0; i < f.len; i++) {
    if (f.data[i]->op == OP_CONST) c = wrap_mul(s, c, f.data[i]->arg.i);
    else f.data[n++] = f.data[i];
  }
  f.len = n;
  UOp *r;
  if (c == 0) r = uop_const_int(u->dtype, 0);
  else if (n == 1 && f.data[0]->op == OP_ADD && c != 1) {
    SymList ts = { 0 };
    sym_split(f.data[0], OP_ADD, &ts);
    for (int64_t i = 0; i < ts.len; i++) ts.data[i] = uop2(OP_MUL, u->dtype, ts.data[i], uop_const_int(u->dtype, c), arg_none());
    r = sym_sum(ts.data, ts.len, u->dtype);
    vec_free(&ts);
  } else {
    if (n > 1) qsort(f.data, (size_t)n, sizeof(UOp *), qcmp_uop);
    if (c != 1 || !n) vec_push(&f, uop_const_int(u->dtype, c));
    r = sym_prod(f.data, f.len, u->dtype);
  }
  vec_free(&f);
  return r;
}

static bool is_not_of(UOp *a, UOp *b) {   // a == !b
  return a->op == OP_XOR && a->src[0] == b && a->src[1]->op == OP_CONST && a->src[1]->arg.i == 1;
}

// keep the element with the largest vmin; drop the others that can never exceed it
static int64_t max_dominance(UOp **xs, int64_t n) {
  int64_t j = 0;
  for (int64_t i = 0; i < n; i++) if (!sym_tracked(xs[i])) return n;
  for (int64_t i = 1; i < n; i++)
    if (xs[i]->vmin > xs[j]->vmin || (xs[i]->vmin == xs[j]->vmin && xs[j]->op == OP_CONST)) j = i;
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) if (i == j || xs[i]->vmax > xs[j]->vmin) xs[k++] = xs[i];
  return k;
}

// MAX/AND/OR/XOR of ints and bools: flatten, fold constants, order, drop duplicates
static UOp *r_assoc_chain(Match *m) {
  UOp *u = m->root;
  Op op = (Op)u->op;
  ScalarType s = (ScalarType)u->dtype.scalar;
  if (!sym_is_int(u->dtype) && !(s == DT_BOOL && u->dtype.count == 1 && !dt_is_ptr(u->dtype))) return NULL;
  SymList f = { 0 };
  sym_split(u, op, &f);
  UOp *c = NULL;
  int64_t n = 0;
  for (int64_t i = 0; i < f.len; i++) {
    UOp *x = f.data[i];
    if (x->op != OP_CONST) { f.data[n++] = x; continue; }
    Arg a;
    if (c && !sym_exec_alu(op, u->dtype, (const UOp *const[]){ c, x }, 2, &a)) { vec_free(&f); return NULL; }
    c = c ? uop0(OP_CONST, u->dtype, a) : x;
  }
  if (n > 1) qsort(f.data, (size_t)n, sizeof(UOp *), qcmp_uop);
  int64_t k = 0, ones = st_wrap_int(s, -1);
  for (int64_t i = 0; i < n; i++) {
    if (k && f.data[k - 1] == f.data[i]) { if (op == OP_XOR) k--; continue; }   // x^x = 0, x&x = x
    f.data[k++] = f.data[i];
  }
  n = k;
  UOp *absorb = NULL;
  if (c && ((op == OP_AND && c->arg.i == 0) || (op == OP_OR && c->arg.i == ones))) absorb = c;
  if (c && ((op == OP_AND && c->arg.i == ones) || ((op == OP_OR || op == OP_XOR) && c->arg.i == 0))) c = NULL;
  if (s == DT_BOOL && (op == OP_AND || op == OP_OR) && n <= 64)
    for (int64_t i = 0; i < n && !absorb; i++)
      for (int64_t j = 0; j < n; j++)
        if (is_not_of(f.data[i], f.data[j])) { absorb = uop_const_int(u->dtype, op == OP_OR); break; }
  f.len = n;
  if (c) vec_push(&f, c);
  if (op == OP_MAX) f.len = max_dominance(f.data, f.len);
  UOp *r = absorb ? absorb : f.len ? chain(op, f.data, f.len, u->dtype, 0) : uop_const_int(u->dtype, 0);
  vec_free(&f);
  return r;
}

// a commutative binary op that is not a chain (CMPNE, CMPEQ, float ADD/MUL): operands in canonical order
static UOp *r_commute(Match *m) {
  UOp *u = m->root;
  if (u->op == OP_ADD || u->op == OP_MUL) { if (!st_is_float((ScalarType)u->dtype.scalar)) return NULL; }
  else if (u->src[0]->dtype.scalar == DT_BOOL) return NULL;
  if (sym_cmp(u->src[0], u->src[1]) <= 0) return NULL;
  return uop2((Op)u->op, u->dtype, u->src[1], u->src[0], u->arg);
}

const Rule sym_chain_rules[] = {
  RULE(POP(OP_ADD, x), r_add_chain),
  RULE(POP(OP_MUL, x), r_mul_chain),
  RULE(UP(.ops = OPSET(OP_MAX, OP_AND, OP_OR, OP_XOR)), r_assoc_chain),
  RULE(UP(.ops = OPSET(OP_ADD, OP_MUL, OP_CMPNE, OP_CMPEQ)), r_commute),
  RULES_END
};
