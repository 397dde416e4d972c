// Symbolic dimensions: a table of pinned index expressions named by int64 tokens (see symdim.h)
#include "uop/symdim.h"
#include "uop/symbolic.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "base/error.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static VEC(UOp *) table;        // id -> expression (pinned)
static HMap ids;                // expression -> id + 1

bool dim_is_sym(int64_t d) { return d < 0 && (d & 0xffff) == DIM_TAG; }

static int64_t id_of(int64_t d) { return (int64_t)(((uint64_t)d & ~(1ull << 63)) >> 16); }

bool dim_ok(int64_t d) { return d >= 0 || (dim_is_sym(d) && id_of(d) < table.len); }

UOp *dim_expr(int64_t d) {
  if (!dim_is_sym(d)) return uop_iconst(d);
  TG_ASSERT(id_of(d) < table.len, "dim_expr: %lld is not a dimension", (long long)d);
  return table.data[id_of(d)];
}

int64_t dim_of(UOp *e) {
  e = sym_simplify(e);
  if (e->op == OP_CONST) return e->arg.i;
  uint64_t have;
  if (hmap_get(&ids, (uint64_t)(uintptr_t)e, &have)) return (int64_t)((1ull << 63) | (have - 1) << 16 | DIM_TAG);
  TG_ASSERT(table.len < (1ll << 46), "too many symbolic dimensions");
  uop_pin(e);
  vec_push(&table, e);
  hmap_put(&ids, (uint64_t)(uintptr_t)e, (uint64_t)table.len);
  return (int64_t)((1ull << 63) | (uint64_t)(table.len - 1) << 16 | DIM_TAG);
}

// e with each BIND b replaced by with(b, ctx) (NULL: kept). Shared by unbinding, evaluating and rebinding.
typedef UOp *(*BindFn)(UOp *bind, const void *ctx);
static UOp *map_binds(UOp *e, BindFn with, const void *ctx) {
  const UOpList *t = uop_toposort(e);
  VEC(UOp *) from = { 0 }, to = { 0 };
  for (int64_t i = 0; i < t->n; i++) {
    UOp *r = t->items[i]->op == OP_BIND ? with(t->items[i], ctx) : NULL;
    if (r) { vec_push(&from, t->items[i]); vec_push(&to, r); }
  }
  UOp *out = from.len ? sym_substitute(e, from.data, to.data, (int)from.len) : e;
  vec_free(&from); vec_free(&to);
  return out;
}

static UOp *bind_var(UOp *b, const void *ctx) { (void)ctx; return b->src[0]; }
static UOp *bind_value(UOp *b, const void *ctx) { (void)ctx; return b->src[1]; }
static UOp *strip_binds(UOp *e) { return map_binds(e, bind_var, NULL); }

UOp *dim_kernel_expr(int64_t d) { return strip_binds(dim_expr(d)); }
int64_t dim_unbound(int64_t d) { return dim_is_sym(d) ? dim_of(dim_kernel_expr(d)) : d; }
int64_t dim_max(int64_t d) { return dim_is_sym(d) ? uop_vmax(dim_expr(d)) : d; }

int64_t dim_value(int64_t d) {
  if (!dim_is_sym(d)) return d;
  UOp *v = sym_simplify(map_binds(dim_expr(d), bind_value, NULL));
  return v->op == OP_CONST ? v->arg.i : -1;
}

int64_t dim_add(int64_t a, int64_t b) {
  if (!dim_is_sym(a) && !dim_is_sym(b)) return a + b;
  return dim_of(uop_add(dim_expr(a), dim_expr(b)));
}
int64_t dim_sub(int64_t a, int64_t b) {
  if (!dim_is_sym(a) && !dim_is_sym(b)) return a - b;
  return dim_of(uop_add(dim_expr(a), uop_neg(dim_expr(b))));
}
int64_t dim_mul(int64_t a, int64_t b) {
  if (!dim_is_sym(a) && !dim_is_sym(b)) return a * b;
  return dim_of(uop_mul(dim_expr(a), dim_expr(b)));
}

static void expr_str(UOp *e, char *buf, int len) {
  if (len <= 1) return;
  switch ((Op)e->op) {
  case OP_CONST: snprintf(buf, (size_t)len, "%lld", (long long)e->arg.i); return;
  case OP_DEFINE_VAR: snprintf(buf, (size_t)len, "%s", uop_var_name(e)); return;
  case OP_BIND: expr_str(e->src[0], buf, len); return;
  default: break;
  }
  const char *op = e->op == OP_ADD ? "+" : e->op == OP_MUL ? "*" : e->op == OP_CDIV ? "//" : e->op == OP_CMOD ? "%" : NULL;
  if (!op || e->nsrc != 2) { snprintf(buf, (size_t)len, "%s(...)", op_name((Op)e->op)); return; }
  char a[128], b[128];
  expr_str(e->src[0], a, sizeof a);
  expr_str(e->src[1], b, sizeof b);
  snprintf(buf, (size_t)len, "(%.60s%s%.60s)", a, op, b);
}

void dim_str(int64_t d, char *buf, int len) {
  if (!dim_is_sym(d)) { snprintf(buf, (size_t)len, "%lld", (long long)d); return; }
  if (!dim_ok(d)) { snprintf(buf, (size_t)len, "<bad dim>"); return; }
  char e[200];
  expr_str(dim_expr(d), e, sizeof e);
  int64_t v = dim_value(d);
  if (v >= 0) snprintf(buf, (size_t)len, "%.100s=%lld", e, (long long)v);
  else snprintf(buf, (size_t)len, "%.100s", e);
}

// ---- variable values of a run ----
int varvals_find(const VarVals *v, const char *name) {
  for (int i = 0; i < v->n; i++) if (!strcmp(v->names[i], name)) return i;
  return -1;
}

int varvals_add(VarVals *v, const char *name, int64_t value) {
  int at = varvals_find(v, name);
  if (at >= 0) {
    if (v->vals[at] == value) return 0;
    tg_set_error("variable %s is bound to both %lld and %lld in one realize", name, (long long)v->vals[at], (long long)value);
    return -1;
  }
  if (v->n == v->cap) {
    v->cap = v->cap ? 2 * v->cap : 4;
    v->names = realloc(v->names, (size_t)v->cap * sizeof *v->names);
    v->vals = realloc(v->vals, (size_t)v->cap * sizeof *v->vals);
    TG_ASSERT(v->names && v->vals, "out of memory");
  }
  v->names[v->n] = name;        // names live in interned DEFINE_VAR nodes, pinned by the dimension table or the graph
  v->vals[v->n++] = value;
  return 0;
}

static int collect_expr(VarVals *v, UOp *e) {
  const UOpList *t = uop_toposort(e);
  for (int64_t i = 0; i < t->n; i++)
    if (t->items[i]->op == OP_BIND && varvals_add(v, uop_var_name(t->items[i]->src[0]), t->items[i]->src[1]->arg.i) != 0) return -1;
  return 0;
}

static bool has_shape_arg(const UOp *u) {
  return (u->op == OP_RESHAPE || u->op == OP_EXPAND || u->op == OP_PAD || u->op == OP_SHRINK) && u->arg.kind == ARG_TUPLE;
}

int varvals_collect(VarVals *v, UOp *root) {
  const UOpList *t = uop_toposort(root);
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_BIND && varvals_add(v, uop_var_name(u->src[0]), u->src[1]->arg.i) != 0) return -1;
    if (!has_shape_arg(u)) continue;
    for (uint32_t k = 0; k < u->arg.n; k++)
      if (dim_is_sym(u->arg.tup[k]) && collect_expr(v, dim_expr(u->arg.tup[k])) != 0) return -1;
  }
  return 0;
}

int varvals_fill(const VarVals *v, UOp *const *vars, int nvars, int64_t *out, const char *who) {
  for (int k = 0; k < nvars; k++) {
    int at = v ? varvals_find(v, uop_var_name(vars[k])) : -1;
    if (at < 0) { tg_set_error("%s: variable %s has no value (tg_bind it before use)", who, uop_var_name(vars[k])); return -1; }
    out[k] = v->vals[at];
  }
  return 0;
}

static UOp *bind_from(UOp *b, const void *ctx) {   // the variable bound to its value in the VarVals, if there
  const VarVals *v = ctx;
  int at = varvals_find(v, uop_var_name(b->src[0]));
  return at < 0 ? NULL : uop2(OP_BIND, b->dtype, b->src[0], uop_const_int(b->dtype, v->vals[at]), arg_none());
}

int64_t dim_rebind(int64_t d, const VarVals *v) {
  return dim_is_sym(d) ? dim_of(map_binds(dim_expr(d), bind_from, v)) : d;
}

void varvals_free(VarVals *v) { free(v->names); free(v->vals); memset(v, 0, sizeof *v); }

// ---- structure keys ----
bool dim_unbind_tuple(const UOp *u, int64_t *out) {
  if (!has_shape_arg(u)) return false;
  bool changed = false;
  for (uint32_t k = 0; k < u->arg.n; k++) {
    out[k] = dim_unbound(u->arg.tup[k]);
    changed |= out[k] != u->arg.tup[k];
  }
  return changed;
}
