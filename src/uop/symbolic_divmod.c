// Symbolic div/mod: folding truncating CDIV/CMOD by constants from linear forms and value ranges
//
// C's x/c and x%c truncate toward zero; the remainder has the sign of x. For x >= 0 and c > 0 they
// are floor division and floor modulo, so the classic rules hold there. Every rule that needs
// that checks it on value ranges; a numerator <= 0 is negated first. A linear form is only
// reasoned about when its exact integer range fits the dtype, so that evaluating it never wraps.
#include "uop/symbolic_internal.h"
#include "base/vec.h"
#include <stdlib.h>

static UOp *mk_div(UOp *x, int64_t c) { return uop2(OP_CDIV, x->dtype, x, uop_const_int(x->dtype, c), arg_none()); }
static UOp *mk_mod(UOp *x, int64_t c) { return uop2(OP_CMOD, x->dtype, x, uop_const_int(x->dtype, c), arg_none()); }
static UOp *mk_op(bool mod, UOp *x, int64_t c) { return mod ? mk_mod(x, c) : mk_div(x, c); }

static bool term_range(const SymTerm *t, int64_t coef, int64_t *lo, int64_t *hi) {
  int64_t p, q;
  if (__builtin_mul_overflow(t->base->vmin, coef, &p) || __builtin_mul_overflow(t->base->vmax, coef, &q)) return false;
  *lo = p < q ? p : q; *hi = p < q ? q : p;
  return true;
}

// x = sum coef_i*base_i + k >= 0, c > 0. Choose r_i == coef_i (mod c) so that the remainder
// rem = sum r_i*base_i + k%c lies within one period: then x//c = M + Q and x%c = rem - Q*c with
// M = sum (coef_i - r_i)/c * base_i + k//c and Q = floor(rem/c) on the whole range.
static UOp *fold_congruent(const SymLin *l, int64_t c, bool mod) {
  int64_t n = l->len, combos = n <= 6 ? (int64_t)1 << n : 1, kr = sym_floormod(l->k, c);
  for (int64_t mask = 0; mask < combos; mask++) {
    int64_t lo = kr, hi = kr;
    bool ok = true;
    for (int64_t i = 0; i < n && ok; i++) {
      int64_t r = sym_floormod(l->data[i].coef, c), a, b;
      if (n > 6 ? (c - r < r) : ((mask >> i) & 1)) { if (!r) { ok = false; break; } r -= c; }
      ok = term_range(&l->data[i], r, &a, &b) && !__builtin_add_overflow(lo, a, &lo) && !__builtin_add_overflow(hi, b, &hi);
    }
    if (!ok || sym_floordiv(lo, c) != sym_floordiv(hi, c)) continue;
    int64_t q = sym_floordiv(lo, c);
    SymLin out = { .dt = l->dt };
    for (int64_t i = 0; i < n; i++) {
      int64_t r = sym_floormod(l->data[i].coef, c);
      if (n > 6 ? (c - r < r) : ((mask >> i) & 1)) r -= c;
      int64_t keep = mod ? r : (l->data[i].coef - r) / c;
      if (keep) vec_push(&out, ((SymTerm){ l->data[i].base, keep }));
    }
    out.k = mod ? kr - q * c : sym_floordiv(l->k, c) + q;
    sym_lin_canon(&out);
    UOp *res = sym_lin_build(&out);
    sym_lin_free(&out);
    return res;
  }
  return NULL;
}

// x >= 0, c > 0, g = gcd(coefs, c) > 1: x = g*Y + k%g with 0 <= k%g < g, so
// x//c = Y//(c/g) and x%c = (Y%(c/g))*g + k%g, where Y = sum coef_i/g*base_i + k//g >= 0.
static UOp *fold_gcd(const SymLin *l, int64_t c, bool mod) {
  int64_t g = c;
  for (int64_t i = 0; i < l->len; i++) g = sym_gcd(g, l->data[i].coef);
  if (g <= 1) return NULL;
  SymLin y = { .dt = l->dt, .k = sym_floordiv(l->k, g) };
  for (int64_t i = 0; i < l->len; i++) vec_push(&y, ((SymTerm){ l->data[i].base, l->data[i].coef / g }));
  UOp *yu = sym_lin_build(&y);
  sym_lin_free(&y);
  if (!mod) return mk_div(yu, c / g);
  return uop_add(uop_mul_i(mk_mod(yu, c / g), g), uop_const_int(l->dt, sym_floormod(l->k, g)));
}

// x >= 0, c > 0: x = c*M + rem with rem = sum (coef_i mod c)*base_i + k mod c. If rem >= 0 then
// x//c = M + rem//c and x%c = rem%c.
static UOp *fold_remainder(const SymLin *l, int64_t c, bool mod) {
  SymLin q = { .dt = l->dt, .k = sym_floordiv(l->k, c) }, r = { .dt = l->dt, .k = sym_floormod(l->k, c) };
  for (int64_t i = 0; i < l->len; i++) {
    int64_t cq = sym_floordiv(l->data[i].coef, c), cr = sym_floormod(l->data[i].coef, c);
    if (cq) vec_push(&q, ((SymTerm){ l->data[i].base, cq }));
    if (cr) vec_push(&r, ((SymTerm){ l->data[i].base, cr }));
  }
  int64_t lo, hi;
  UOp *res = NULL;
  if ((q.len || q.k) && sym_lin_fits(&r, &lo, &hi) && lo >= 0) {
    UOp *rem = mk_op(mod, sym_lin_build(&r), c);
    res = mod ? rem : uop_add(sym_lin_build(&q), rem);
  }
  sym_lin_free(&q);
  sym_lin_free(&r);
  return res;
}

// (a%m + b) % c -> (a + b) % c when c divides m and both numerators are >= 0
static UOp *fold_inner_mod(const SymLin *l, int64_t c) {
  SymLin n = { .dt = l->dt, .k = l->k };
  bool changed = false;
  for (int64_t i = 0; i < l->len; i++) {
    SymTerm t = l->data[i];
    UOp *b = t.base;
    if (b->op == OP_CMOD && b->src[1]->op == OP_CONST && b->src[1]->arg.i > 0 && b->src[1]->arg.i % c == 0) { t.base = b->src[0]; changed = true; }
    vec_push(&n, t);
  }
  int64_t lo, hi;
  UOp *res = NULL;
  if (changed && sym_lin_fits(&n, &lo, &hi) && lo >= 0) { sym_lin_canon(&n); res = mk_mod(sym_lin_build(&n), c); }
  sym_lin_free(&n);
  return res;
}

static UOp *fold_nonneg(const SymLin *l, int64_t c, bool mod) {
  UOp *r;
  if ((r = fold_congruent(l, c, mod))) return r;
  if ((r = fold_gcd(l, c, mod))) return r;
  if (mod && (r = fold_inner_mod(l, c))) return r;
  if ((r = fold_remainder(l, c, mod))) return r;
  // (y//c1 + a)//c -> (y + a*c1)//(c1*c) when y, y//c1 + a and y + a*c1 are >= 0
  if (!mod && l->len == 1 && l->data[0].coef == 1) {
    UOp *b = l->data[0].base, *y = b->src[0];
    int64_t c1 = b->op == OP_CDIV && b->src[1]->op == OP_CONST ? b->src[1]->arg.i : 0, ac, cc, lo;
    if (c1 > 0 && sym_tracked(y) && y->vmin >= 0 && !__builtin_mul_overflow(l->k, c1, &ac) &&
        !__builtin_mul_overflow(c1, c, &cc) && !__builtin_add_overflow(y->vmin, ac, &lo) && lo >= 0 &&
        !__builtin_add_overflow(y->vmax, ac, &lo) && lo <= st_max((ScalarType)y->dtype.scalar))
      return mk_div(uop_add(y, uop_const_int(y->dtype, ac)), cc);
  }
  return NULL;
}

static UOp *r_divmod(Match *m) {
  UOp *u = m->root, *x = u->src[0];
  bool mod = u->op == OP_CMOD;
  ScalarType s = (ScalarType)u->dtype.scalar;
  int64_t c = u->src[1]->arg.i;
  if (!sym_is_int(u->dtype) || c == 0 || c == 1 || s == DT_UINT64 || x->op == OP_CONST) return NULL;
  if (c < 0) {   // x//c == -(x//-c), x%c == x%-c
    if (st_is_unsigned(s) || c == INT64_MIN || -c > st_max(s)) return NULL;
    return mod ? mk_mod(x, -c) : uop_mul_i(mk_div(x, -c), -1);
  }
  // nested: (y//c1)//c -> y//(c1*c); (y%(k*c))//c -> (y//c)%k; (y%(k*c))%c -> y%c (any sign of y)
  if ((x->op == OP_CDIV || x->op == OP_CMOD) && x->src[1]->op == OP_CONST && x->src[1]->arg.i > 0) {
    int64_t c1 = x->src[1]->arg.i, cc;
    if (x->op == OP_CDIV && !mod && !__builtin_mul_overflow(c1, c, &cc) && cc <= st_max(s)) return mk_div(x->src[0], cc);
    if (x->op == OP_CMOD && c1 % c == 0) return mod ? mk_mod(x->src[0], c) : mk_mod(mk_div(x->src[0], c), c1 / c);
  }
  if (mod && sym_tracked(x) && x->vmin > -c && x->vmax < c) return x;     // |x| < c
  SymLin l = { 0 };
  sym_lin_parse(x, &l);
  UOp *r = NULL;
  int64_t lo, hi;
  bool exact = l.k % c == 0;
  for (int64_t i = 0; i < l.len && exact; i++) exact = l.data[i].coef % c == 0;
  if (!sym_lin_fits(&l, &lo, &hi)) goto done;
  if (exact) {   // x == c*q exactly: x//c = q, x%c = 0 for any sign
    if (mod) { r = uop_const_int(u->dtype, 0); goto done; }
    for (int64_t i = 0; i < l.len; i++) l.data[i].coef /= c;
    l.k /= c;
    r = sym_lin_build(&l);
    goto done;
  }
  if (lo >= 0) r = fold_nonneg(&l, c, mod);
  else if (hi <= 0 && lo > INT64_MIN && -lo <= st_max(s)) {   // x <= 0: x//c == -((-x)//c), x%c == -((-x)%c)
    for (int64_t i = 0; i < l.len; i++) l.data[i].coef = -l.data[i].coef;
    l.k = -l.k;
    r = mk_op(mod, sym_lin_build(&l), c);
    r = uop_mul_i(r, -1);
  }
done:
  sym_lin_free(&l);
  return r;
}

const Rule sym_divmod_rules[] = {
  RULE(UP(.ops = OPSET(OP_CDIV, OP_CMOD), PSRCS(P(x), PC(c))), r_divmod),
  RULES_END
};
