// Value ranges: integer interval analysis computed once per node, at construction (tinygrad's vmin/vmax)
#include "uop/uop_internal.h"
#include "base/error.h"

typedef struct { int64_t lo, hi; bool ok; } Iv;      // ok = false: no finite bound known
static const Iv UNKNOWN = { INT64_MIN, INT64_MAX, false };

static bool tracked(DType d) {   // uint64 is excluded: its values do not fit the int64 interval
  ScalarType s = (ScalarType)d.scalar;
  return !dt_is_ptr(d) && (s == DT_BOOL || s == DT_INDEX || (st_is_int(s) && s != DT_UINT64));
}

static Iv iv(const UOp *u) { return u->has_range ? (Iv){ u->vmin, u->vmax, true } : UNKNOWN; }
static Iv mk(int64_t lo, int64_t hi) { return (Iv){ lo, hi, true }; }

static Iv add(Iv a, Iv b) {
  Iv r = { 0, 0, a.ok && b.ok };
  if (r.ok && (__builtin_add_overflow(a.lo, b.lo, &r.lo) || __builtin_add_overflow(a.hi, b.hi, &r.hi))) return UNKNOWN;
  return r.ok ? r : UNKNOWN;
}

static Iv mul(Iv a, Iv b) {
  if (!a.ok || !b.ok) return UNKNOWN;
  int64_t c[4];
  if (__builtin_mul_overflow(a.lo, b.lo, &c[0]) || __builtin_mul_overflow(a.lo, b.hi, &c[1]) ||
      __builtin_mul_overflow(a.hi, b.lo, &c[2]) || __builtin_mul_overflow(a.hi, b.hi, &c[3]))
    return UNKNOWN;
  Iv r = mk(c[0], c[0]);
  for (int i = 1; i < 4; i++) { if (c[i] < r.lo) r.lo = c[i]; if (c[i] > r.hi) r.hi = c[i]; }
  return r;
}

static Iv neg(Iv a) {
  if (!a.ok || a.lo == INT64_MIN) return UNKNOWN;
  return mk(-a.hi, -a.lo);
}

// truncating division: monotone in a; in b too as long as b keeps one sign
static Iv cdiv(Iv a, Iv b) {
  if (!a.ok || !b.ok || (b.lo <= 0 && b.hi >= 0)) return UNKNOWN;
  if ((a.lo == INT64_MIN && (b.lo == -1 || b.hi == -1))) return UNKNOWN;
  int64_t c[4] = { a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi };
  Iv r = mk(c[0], c[0]);
  for (int i = 1; i < 4; i++) { if (c[i] < r.lo) r.lo = c[i]; if (c[i] > r.hi) r.hi = c[i]; }
  return r;
}

// truncating modulo: the sign follows a, the magnitude is below max|b|
static Iv cmod(Iv a, Iv b) {
  if (!a.ok || !b.ok || (b.lo <= 0 && b.hi >= 0) || b.lo == INT64_MIN) return UNKNOWN;
  int64_t bmin = b.lo > 0 ? b.lo : -b.hi, m = (b.lo > 0 ? b.hi : -b.lo) - 1;
  if (a.lo >= 0 && a.hi < bmin) return a;                  // a % b == a
  if (a.lo > INT64_MIN && a.hi <= 0 && -a.lo < bmin) return a;
  int64_t lo = a.lo >= 0 ? 0 : (a.lo < -m ? -m : a.lo), hi = a.hi <= 0 ? 0 : (a.hi > m ? m : a.hi);
  return mk(lo, hi);
}

static Iv range_of(UOp *u) {
  UOp *const *s = u->src;
  Iv a = u->nsrc > 0 ? iv(s[0]) : UNKNOWN, b = u->nsrc > 1 ? iv(s[1]) : UNKNOWN;
  switch ((Op)u->op) {
  case OP_CONST: return u->arg.kind == ARG_INT ? mk(u->arg.i, u->arg.i) : UNKNOWN;
  case OP_VCONST: {
    if (u->arg.kind != ARG_TUPLE || !u->arg.n) return UNKNOWN;
    Iv r = mk(u->arg.tup[0], u->arg.tup[0]);
    for (uint32_t i = 1; i < u->arg.n; i++) { if (u->arg.tup[i] < r.lo) r.lo = u->arg.tup[i]; if (u->arg.tup[i] > r.hi) r.hi = u->arg.tup[i]; }
    return r;
  }
  case OP_DEFINE_VAR: return u->arg.kind == ARG_VAR ? mk(u->arg.tup[0], u->arg.tup[1]) : UNKNOWN;
  case OP_RANGE: case OP_SPECIAL: return a.ok ? mk(0, a.hi - 1 > 0 ? a.hi - 1 : 0) : UNKNOWN;
  case OP_BIND: return a;
  case OP_ADD: return add(a, b);
  case OP_SUB: return add(a, neg(b));
  case OP_MUL: return mul(a, b);
  case OP_MULACC: return add(mul(a, b), iv(s[2]));
  case OP_NEG: return neg(a);
  case OP_CDIV: return cdiv(a, b);
  case OP_CMOD: return cmod(a, b);
  case OP_MAX: return (a.ok && b.ok) ? mk(a.lo > b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi) : UNKNOWN;
  case OP_CMPLT: return (a.ok && b.ok) ? mk(a.hi < b.lo, a.lo < b.hi) : mk(0, 1);
  case OP_CMPNE: case OP_CMPEQ: {
    bool disjoint = a.ok && b.ok && (a.hi < b.lo || b.hi < a.lo);
    bool same = a.ok && b.ok && a.lo == a.hi && b.lo == b.hi && a.lo == b.lo;
    int64_t ne_lo = disjoint, ne_hi = !same;
    return u->op == OP_CMPNE ? mk(ne_lo, ne_hi) : mk(1 - ne_hi, 1 - ne_lo);
  }
  case OP_AND:
    if (u->dtype.scalar == DT_BOOL && a.ok && b.ok) return mk(a.lo & b.lo, a.hi & b.hi);
    if (a.ok && b.ok && a.lo >= 0 && b.lo >= 0) return mk(0, a.hi < b.hi ? a.hi : b.hi);
    return UNKNOWN;
  case OP_OR: case OP_XOR:
    if (u->dtype.scalar == DT_BOOL && u->op == OP_OR && a.ok && b.ok) return mk(a.lo | b.lo, a.hi | b.hi);
    if (a.ok && b.ok && a.lo >= 0 && b.lo >= 0) {
      int64_t m = a.hi > b.hi ? a.hi : b.hi, p = 1;
      while (p <= m && p < INT64_MAX / 2) p <<= 1;
      return mk(0, p - 1 >= m ? p - 1 : INT64_MAX);
    }
    return UNKNOWN;
  case OP_SHL:
    if (b.ok && b.lo == b.hi && b.lo >= 0 && b.lo < 62) return mul(a, mk(1ll << b.lo, 1ll << b.lo));
    return UNKNOWN;
  case OP_SHR:
    if (a.ok && a.lo >= 0 && b.ok && b.lo >= 0 && b.hi < 64) return mk(a.lo >> b.hi, a.hi >> b.lo);
    return UNKNOWN;
  case OP_WHERE: {
    Iv c = iv(s[2]), c0 = a;
    if (c0.ok && c0.lo == c0.hi) return c0.lo ? b : c;
    return (b.ok && c.ok) ? mk(b.lo < c.lo ? b.lo : c.lo, b.hi > c.hi ? b.hi : c.hi) : UNKNOWN;
  }
  case OP_CAST: return a;     // clamped to the target's range by the caller
  case OP_VECTORIZE: case OP_GEP: {
    if (!u->nsrc) return UNKNOWN;
    Iv r = a;
    for (uint32_t i = 1; i < u->nsrc && r.ok; i++) {
      Iv x = iv(s[i]);
      if (!x.ok) return UNKNOWN;
      if (x.lo < r.lo) r.lo = x.lo;
      if (x.hi > r.hi) r.hi = x.hi;
    }
    return r;
  }
  default: return UNKNOWN;
  }
}

void uop_compute_range_(UOp *u) {
  if (!tracked(u->dtype)) { u->has_range = 0; return; }
  ScalarType st = (ScalarType)u->dtype.scalar;
  int64_t lo = st == DT_BOOL ? 0 : st_min(st), hi = st == DT_BOOL ? 1 : st_max(st);
  Iv r = range_of(u);
  // a range outside the dtype means the value may wrap: fall back to the dtype's range
  if (!r.ok || r.lo < lo || r.hi > hi || r.lo > r.hi) r = mk(lo, hi);
  u->has_range = 1;
  u->vmin = r.lo;
  u->vmax = r.hi;
}

int64_t uop_vmin(const UOp *u) { return u->has_range ? u->vmin : st_min((ScalarType)u->dtype.scalar); }
int64_t uop_vmax(const UOp *u) { return u->has_range ? u->vmax : st_max((ScalarType)u->dtype.scalar); }
