// Random integer expressions and a brute-force evaluator, shared by the symbolic fuzz tests
#ifndef TG_SYMGEN_H
#define TG_SYMGEN_H
#include "testlib.h"
#include "uop/print.h"
#include "uop/symbolic.h"
#include "uop/uop.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct SymGen {
  TestRng rng;
  int nvars;
  UOp *vars[4];
  DType dt;                  // index or int32 (vars are index; int32 expressions cast them)
} SymGen;

static const int64_t symgen_bounds[][2] = { { 0, 100 }, { -50, 50 }, { 0, 7 }, { 1, 16 }, { -10, -1 }, { 0, 3 }, { -3, 3 }, { 5, 5 }, { 0, 2147483647 }, { -1000000, 1000000 } };
static const char *const symgen_names[] = { "a", "b", "c", "d" };

static int64_t symgen_pick_const(SymGen *g, bool nonzero) {
  static const int64_t special[] = { 1, 2, 3, 4, 8, 16, 6, 12, -1, -2, -4, -8, -3, 32, 64, 5, 7 };
  int64_t v;
  do {
    v = rng_range(&g->rng, 0, 2) ? special[rng_range(&g->rng, 0, sizeof special / sizeof *special - 1)] : rng_range(&g->rng, -20, 20);
  } while (nonzero && v == 0);
  return v;
}

static void symgen_new_vars(SymGen *g) {
  g->nvars = (int)rng_range(&g->rng, 2, 4);
  for (int i = 0; i < g->nvars; i++) {
    const int64_t *b = symgen_bounds[rng_range(&g->rng, 0, sizeof symgen_bounds / sizeof *symgen_bounds - 1)];
    g->vars[i] = uop_var(symgen_names[i], b[0], b[1]);
  }
  g->dt = rng_range(&g->rng, 0, 4) == 0 ? dt_scalar(DT_INT32) : DT_INDEX_T;
}

static int64_t symgen_absmax(UOp *u) {
  int64_t a = u->vmin == INT64_MIN ? INT64_MAX : llabs(u->vmin), b = u->vmax == INT64_MIN ? INT64_MAX : llabs(u->vmax);
  return a > b ? a : b;
}

static UOp *symgen_bool(SymGen *g, int depth);

static UOp *symgen_int(SymGen *g, int depth) {
  DType dt = g->dt;
  int k = depth <= 0 ? (int)rng_range(&g->rng, 0, 1) : (int)rng_range(&g->rng, 0, 15);
  switch (k) {
  case 0: return uop_const_int(dt, symgen_pick_const(g, false));
  case 1: { UOp *v = g->vars[rng_range(&g->rng, 0, g->nvars - 1)]; return uop_cast(v, dt); }
  case 2: case 3: return uop_add(symgen_int(g, depth - 1), symgen_int(g, depth - 1));
  case 4: return uop_sub(symgen_int(g, depth - 1), symgen_int(g, depth - 1));
  case 5: case 6: {
    UOp *a = symgen_int(g, depth - 1), *b = rng_range(&g->rng, 0, 2) ? uop_const_int(dt, symgen_pick_const(g, false)) : symgen_int(g, depth - 1);
    if (b->op != OP_CONST && (symgen_absmax(a) > 100000 || symgen_absmax(b) > 100000)) b = uop_const_int(dt, symgen_pick_const(g, false));
    return rng_range(&g->rng, 0, 1) ? uop_mul(a, b) : uop_mul(b, a);
  }
  case 7: case 8: return uop_cdiv(symgen_int(g, depth - 1), uop_const_int(dt, symgen_pick_const(g, true)));
  case 9: case 10: return uop_cmod(symgen_int(g, depth - 1), uop_const_int(dt, symgen_pick_const(g, true)));
  case 11: return uop_max(symgen_int(g, depth - 1), symgen_int(g, depth - 1));
  case 12: return uop_neg(symgen_int(g, depth - 1));
  case 14: {   // index math: (sum of term*const + const) // or % const
    UOp *acc = uop_const_int(dt, symgen_pick_const(g, false));
    for (int t = (int)rng_range(&g->rng, 1, 3); t > 0; t--)
      acc = uop_add(acc, uop_mul(rng_range(&g->rng, 0, 3) ? uop_cast(g->vars[rng_range(&g->rng, 0, g->nvars - 1)], dt) : symgen_int(g, depth - 2),
                                 uop_const_int(dt, symgen_pick_const(g, false))));
    UOp *c = uop_const_int(dt, symgen_pick_const(g, true));
    return rng_range(&g->rng, 0, 1) ? uop_cdiv(acc, c) : uop_cmod(acc, c);
  }
  default: return uop_where(symgen_bool(g, depth - 1), symgen_int(g, depth - 1), symgen_int(g, depth - 1));
  }
}

static UOp *symgen_bool(SymGen *g, int depth) {
  int k = depth <= 0 ? 0 : (int)rng_range(&g->rng, 0, 9);
  switch (k) {
  case 0: case 1: return uop_lt(symgen_int(g, depth - 1), symgen_int(g, depth - 1));
  case 2: return uop_ne(symgen_int(g, depth - 1), symgen_int(g, depth - 1));
  case 3: return uop_eq(symgen_int(g, depth - 1), symgen_int(g, depth - 1));
  case 4: return uop_and(symgen_bool(g, depth - 1), symgen_bool(g, depth - 1));
  case 5: return uop_or(symgen_bool(g, depth - 1), symgen_bool(g, depth - 1));
  case 6: return uop_neg(symgen_bool(g, depth - 1));
  case 8: case 9: {   // a bound on a variable or a small expression, as valids look
    UOp *x = rng_range(&g->rng, 0, 1) ? uop_cast(g->vars[rng_range(&g->rng, 0, g->nvars - 1)], g->dt) : symgen_int(g, 1);
    UOp *c = uop_const_int(g->dt, rng_range(&g->rng, -12, 40));
    return rng_range(&g->rng, 0, 1) ? uop_lt(x, c) : uop_lt(c, x);
  }
  default: return uop_const(DT_BOOL_T, (double)rng_range(&g->rng, 0, 1));
  }
}

// one expression: mostly integer, sometimes a comparison
static UOp *symgen_expr(SymGen *g) {
  symgen_new_vars(g);
  int depth = (int)rng_range(&g->rng, 1, 6);
  return rng_range(&g->rng, 0, 4) == 0 ? symgen_bool(g, depth) : symgen_int(g, depth);
}

// ---- evaluation with C semantics (truncating division), ints wrap to their dtype ----
typedef struct SymEval {
  int64_t *vals;          // per toposort position
  bool overflow;          // some node's exact value left int64 / was undefined
  const char *error;      // evaluation hit something it cannot do
} SymEval;

static int64_t symgen_wrap(UOp *u, int64_t v) { return st_wrap_int((ScalarType)u->dtype.scalar, v); }

static int64_t symgen_find(const UOpList *t, UOp *u, int64_t before) {
  for (int64_t j = before - 1; j >= 0; j--) if (t->items[j] == u) return j;
  return -1;
}

// Evaluate every node of root at the point (values of g->vars). Returns root's value; fills e.
static int64_t symgen_eval(SymGen *g, UOp *root, const int64_t *point, SymEval *e, int64_t **vals_out, const UOpList **topo_out) {
  const UOpList *t = uop_toposort(root);
  int64_t *v = malloc(sizeof(int64_t) * (size_t)t->n);
  // sources are found by a scan back from the node: fine for the small graphs fuzzed here
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    int64_t s[3] = { 0, 0, 0 }, r = 0;
    for (uint32_t k = 0; k < u->nsrc && k < 3; k++) s[k] = v[symgen_find(t, u->src[k], i)];
    switch ((Op)u->op) {
    case OP_CONST: r = u->arg.i; break;
    case OP_DEFINE_VAR: {
      int j = 0;
      while (j < g->nvars && g->vars[j] != u) j++;
      if (j == g->nvars) { e->error = "unknown DEFINE_VAR"; r = 0; } else r = point[j];
      break;
    }
    case OP_CAST: r = symgen_wrap(u, s[0]); break;
    case OP_ADD: if (__builtin_add_overflow(s[0], s[1], &r)) { e->overflow = true; r = (int64_t)((uint64_t)s[0] + (uint64_t)s[1]); } r = symgen_wrap(u, r); break;
    case OP_SUB: if (__builtin_sub_overflow(s[0], s[1], &r)) { e->overflow = true; r = (int64_t)((uint64_t)s[0] - (uint64_t)s[1]); } r = symgen_wrap(u, r); break;
    case OP_MUL: if (__builtin_mul_overflow(s[0], s[1], &r)) { e->overflow = true; r = (int64_t)((uint64_t)s[0] * (uint64_t)s[1]); } r = symgen_wrap(u, r); break;
    case OP_NEG: r = symgen_wrap(u, (int64_t)(0 - (uint64_t)s[0])); break;
    case OP_CDIV: case OP_CMOD:
      if (s[1] == 0) { e->error = "division by zero"; r = 0; break; }
      if (s[0] == INT64_MIN && s[1] == -1) { e->overflow = true; r = u->op == OP_CDIV ? INT64_MIN : 0; break; }
      r = symgen_wrap(u, u->op == OP_CDIV ? s[0] / s[1] : s[0] % s[1]);
      break;
    case OP_MAX: r = s[0] > s[1] ? s[0] : s[1]; break;
    case OP_CMPLT: r = s[0] < s[1]; break;
    case OP_CMPNE: r = s[0] != s[1]; break;
    case OP_CMPEQ: r = s[0] == s[1]; break;
    case OP_AND: r = s[0] & s[1]; break;
    case OP_OR: r = s[0] | s[1]; break;
    case OP_XOR: r = s[0] ^ s[1]; break;
    case OP_WHERE: r = s[0] ? s[1] : s[2]; break;
    default: e->error = "op the evaluator does not know"; break;
    }
    v[i] = r;
  }
  *vals_out = v;
  *topo_out = t;
  return v[t->n - 1];
}

static void symgen_print_point(SymGen *g, const int64_t *point) {
  for (int j = 0; j < g->nvars; j++)
    fprintf(stderr, "%s%s=%" PRId64 " in [%" PRId64 ", %" PRId64 "]", j ? ", " : "    at ", symgen_names[j], point[j],
            g->vars[j]->arg.tup[0], g->vars[j]->arg.tup[1]);
  fputc('\n', stderr);
}

// every node's value lies in its vmin/vmax
static bool symgen_check_ranges(SymGen *g, const UOpList *t, const int64_t *v, const int64_t *point, UOp *root, const char *which) {
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (!u->has_range || (v[i] >= u->vmin && v[i] <= u->vmax)) continue;
    char *n = uop_expr(u), *r = uop_expr(root);
    fprintf(stderr, "range violation in the %s graph: node %s = %" PRId64 " outside [%" PRId64 ", %" PRId64 "]\n    in %s\n",
            which, n, v[i], u->vmin, u->vmax, r);
    symgen_print_point(g, point);
    free(n); free(r);
    return false;
  }
  return true;
}

// Simplify e and compare it with the original at `npoints` points (corners first). Returns false
// (after printing the case) on a mismatch, an evaluation error or a range violation.
static bool symgen_check(SymGen *g, UOp *e, UOp *s, int npoints) {
  for (int p = 0; p < npoints; p++) {
    int64_t point[4];
    for (int j = 0; j < g->nvars; j++) {
      int64_t lo = g->vars[j]->arg.tup[0], hi = g->vars[j]->arg.tup[1];
      point[j] = p == 0 ? lo : p == 1 ? hi : rng_range(&g->rng, lo, hi);
    }
    SymEval eo = { 0 }, es = { 0 };
    int64_t *vo, *vs;
    const UOpList *to, *ts;
    int64_t a = symgen_eval(g, e, point, &eo, &vo, &to);
    int64_t b = symgen_eval(g, s, point, &es, &vs, &ts);
    bool ok = true;
    if (!eo.overflow && !eo.error) {
      if (es.error || a != b) {
        char *x = uop_expr(e), *y = uop_expr(s);
        fprintf(stderr, "MISMATCH: %s = %" PRId64 "\n    simplified %s = %" PRId64 "%s%s\n", x, a, y, b, es.error ? "  error: " : "", es.error ? es.error : "");
        symgen_print_point(g, point);
        free(x); free(y);
        ok = false;
      }
      ok = ok && symgen_check_ranges(g, to, vo, point, e, "original") && symgen_check_ranges(g, ts, vs, point, s, "simplified");
    }
    free(vo);
    free(vs);
    if (!ok) return false;
  }
  return true;
}
#endif
