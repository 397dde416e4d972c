// Rangeify: push tensor-level INDEX nodes through the graph until only loads, ALU and reduces remain
#include "schedule/rangeify.h"
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include "uop/rewrite.h"
#include "uop/symbolic.h"
#include <string.h>

UOp *rfy_index(UOp *x, UOp *valid, UOp *const *idx, int n) {
  UOp *src[TG_MAX_DIMS + 2] = { x, valid };
  memcpy(src + 2, idx, (size_t)n * sizeof(UOp *));
  return uop_new(OP_INDEX, dt_deref(x->dtype), src, n + 2, arg_none());
}

// size: a dimension (a symbolic one ends the loop at its expression, computed at launch)
UOp *rfy_range(RangeifyCtx *ctx, int64_t size, int kind, int parent) {
  TG_ASSERT(ctx->next_range < RANGEIFY_MAX_RANGES, "rangeify: more than %d ranges", RANGEIFY_MAX_RANGES);
  ctx->parent[ctx->next_range] = parent;
  ctx->size[ctx->next_range] = dim_max(size);
  ctx->origin[ctx->next_range] = NULL;
  int64_t arg[2] = { ctx->next_range++, kind };
  return uop1(OP_RANGE, DT_INDEX_T, dim_kernel_expr(size), arg_tuple(arg, 2));
}

UOp *rfy_global(RangeifyCtx *ctx, Buffer *b) {
  int slot = 0;
  while (slot < ctx->nbufs && ctx->bufs[slot] != b) slot++;
  if (slot == ctx->nbufs) {
    TG_ASSERT(ctx->nbufs < RANGEIFY_MAX_BUFS, "kernel reads more than %d buffers", RANGEIFY_MAX_BUFS);
    ctx->reads_old[ctx->nbufs] = false;
    ctx->bufs[ctx->nbufs++] = b;
  }
  return uop0(OP_DEFINE_GLOBAL, dt_ptr(dt_scalar(b->dtype), ADDR_GLOBAL, b->size), arg_int(slot));
}

// Row-major offset; symbolic dims give symbolic strides (a buffer of such a shape is packed for the run's values).
UOp *rfy_linear(UOp *const *idx, const int64_t *shape, int n) {
  UOp *acc = uop_iconst(0);
  int64_t stride = 1;
  for (int i = n - 1; i >= 0; i--) {
    if (shape[i] != 1) acc = uop_add(acc, stride == 1 ? idx[i] : uop_mul(idx[i], dim_kernel_expr(stride)));
    stride = dim_mul(stride, shape[i]);
  }
  return acc;
}

// The node a kernel computes: its realize point, or what a CONTIGUOUS wraps.
bool rfy_is_root(const RangeifyCtx *ctx, const UOp *x) {
  return x == ctx->current || (ctx->current->op == OP_CONTIGUOUS && x == ctx->current->src[0]);
}

// ---- helpers for the rules ----
#define IDX_N(m) ((int)B(idx)->nsrc - 2)
#define IDX_AT(m, i) (B(idx)->src[2 + (i)])
#define VALID(m) (B(idx)->src[1])

static UOp *load_from(RangeifyCtx *ctx, Buffer *b, UOp *valid, UOp *offset, DType dt) {
  bool gated = !(valid->op == OP_CONST && valid->arg.i == 1);
  UOp *g = rfy_global(ctx, b);
  UOp *ix = gated ? uop3(OP_INDEX, g->dtype, g, offset, valid, arg_none()) : uop2(OP_INDEX, g->dtype, g, offset, arg_none());
  return gated ? uop2(OP_LOAD, dt, ix, uop_const(dt, 0), arg_none()) : uop1(OP_LOAD, dt, ix, arg_none());
}

static bool is_tensor_index(UOp *u) { return u->op == OP_INDEX && !dt_is_ptr(u->dtype); }

// ---- rules: each handles one kind of source op ----
static UOp *idx_realized(Match *m) {          // a node computed by an earlier kernel, or a BUFFER
  RangeifyCtx *ctx = m->ctx;
  UOp *x = B(x);
  if (!is_tensor_index(B(idx)) || x == ctx->current) return NULL;
  Buffer *b = x->op == OP_BUFFER ? x->arg.ptr : HMAP_PTR(ctx->realized, x);
  if (!b) return NULL;
  const Shape *s = ushape(x);
  if (x->op == OP_BUFFER) ctx->reads_old[rfy_global(ctx, b)->arg.i] = true;
  return load_from(ctx, b, VALID(m), rfy_linear(&IDX_AT(m, 0), s->d, s->ndim), dt_deref(B(idx)->dtype));
}

static int alu_cost(RangeifyCtx *ctx, UOp *x);
static bool recomputes_alu(RangeifyCtx *ctx, Match *m);

static UOp *idx_alu(Match *m) {               // elementwise ops: index every operand the same way
  UOp *x = B(x), *src[4];
  if (!is_tensor_index(B(idx))) return NULL;
  RangeifyCtx *ctx = m->ctx;
  if (ctx->realize_instead) return NULL;
  if (!rfy_is_root(ctx, x) && alu_cost(ctx, x) >= RANGEIFY_ALU_COST && shape_numel(ushape(x)) >= RANGEIFY_ALU_MIN_NUMEL &&
      recomputes_alu(ctx, m)) { ctx->realize_instead = x; return NULL; }
  for (uint32_t i = 0; i < x->nsrc; i++) src[i] = rfy_index(x->src[i], VALID(m), &IDX_AT(m, 0), IDX_N(m));
  return uop_with_src(x, src, (int)x->nsrc);
}

static UOp *idx_scalar(Match *m) {           // CONST, DEFINE_VAR; a BIND's value is passed at launch
  if (!is_tensor_index(B(idx))) return NULL;
  return B(x)->op == OP_BIND ? B(x)->src[0] : B(x);
}
static UOp *idx_passthru(Match *m) {          // DETACH, CONTIGUOUS_BACKWARD: no-ops in the forward graph
  return is_tensor_index(B(idx)) ? rfy_index(B(x)->src[0], VALID(m), &IDX_AT(m, 0), IDX_N(m)) : NULL;
}

// Output index -> input index of a reshape over the dims out[a0..a1) -> in[b0..b1) (equal products).
static void reshape_span(UOp *const *idx, const int64_t *so, int a0, int a1, const int64_t *si, int b0, int b1, UOp **in) {
  UOp *flat = rfy_linear(idx + a0, so + a0, a1 - a0);
  int64_t stride = 1;
  for (int j = b1 - 1; j >= b0; j--) {
    UOp *e = stride == 1 ? flat : uop_cdiv(flat, dim_kernel_expr(stride));
    in[j] = si[j] == 1 ? uop_iconst(0) : j == b0 ? e : uop_cmod(e, dim_kernel_expr(si[j]));
    stride = dim_mul(stride, si[j]);
  }
}

// Spans where both shapes' running products meet, so each is decomposed on its own: a symbolic dim facing
// a dim of the same value passes its index through (no division by a variable). False when a symbolic dim
// falls inside a wider span.
static bool reshape_spans(UOp *const *idx, const Shape *so, const Shape *si, UOp **in) {
  int a = 0, b = 0;
  while (a < so->ndim || b < si->ndim) {
    if (b < si->ndim && si->d[b] == 1) { in[b++] = uop_iconst(0); continue; }
    if (a < so->ndim && so->d[a] == 1) { a++; continue; }
    if (a == so->ndim || b == si->ndim) return false;
    int64_t da = so->d[a], db = si->d[b];
    if (dim_is_sym(da) || dim_is_sym(db)) {
      if (dim_value(da) != dim_value(db)) return false;
      in[b++] = idx[a++];
      continue;
    }
    int a0 = a++, b0 = b++;
    while (da != db) {
      if (da < db) { if (a == so->ndim || dim_is_sym(so->d[a])) return false; da *= so->d[a++]; }
      else { if (b == si->ndim || dim_is_sym(si->d[b])) return false; db *= si->d[b++]; }
    }
    reshape_span(idx, so->d, a0, a, si->d, b0, b, in);
  }
  return true;
}

static bool has_sym(const Shape *s) {
  for (int i = 0; i < s->ndim; i++) if (dim_is_sym(s->d[i])) return true;
  return false;
}

static UOp *idx_reshape(Match *m) {
  if (!is_tensor_index(B(idx))) return NULL;
  UOp *x = B(x), *in[TG_MAX_DIMS];
  const Shape *so = ushape(x), *si = ushape(x->src[0]);
  // concrete shapes, and views of a flat buffer, take one span (the simplifier folds the div/mod)
  if ((!has_sym(so) && !has_sym(si)) || si->ndim == 1 || !reshape_spans(&IDX_AT(m, 0), so, si, in))
    reshape_span(&IDX_AT(m, 0), so->d, 0, so->ndim, si->d, 0, si->ndim, in);
  return rfy_index(x->src[0], VALID(m), in, si->ndim);
}

static UOp *idx_expand(Match *m) {
  if (!is_tensor_index(B(idx))) return NULL;
  UOp *x = B(x), *in[TG_MAX_DIMS];
  const Shape *si = ushape(x->src[0]);
  for (int j = 0; j < si->ndim; j++) in[j] = si->d[j] == 1 ? uop_iconst(0) : IDX_AT(m, j);
  return rfy_index(x->src[0], VALID(m), in, si->ndim);
}

static UOp *idx_permute(Match *m) {
  if (!is_tensor_index(B(idx))) return NULL;
  UOp *x = B(x), *in[TG_MAX_DIMS];
  for (int i = 0; i < IDX_N(m); i++) in[x->arg.tup[i]] = IDX_AT(m, i);
  return rfy_index(x->src[0], VALID(m), in, IDX_N(m));
}

static UOp *idx_shrink(Match *m) {
  if (!is_tensor_index(B(idx))) return NULL;
  UOp *x = B(x), *in[TG_MAX_DIMS];
  for (int i = 0; i < IDX_N(m); i++) in[i] = x->arg.tup[2 * i] ? uop_add(IDX_AT(m, i), dim_kernel_expr(x->arg.tup[2 * i])) : IDX_AT(m, i);
  return rfy_index(x->src[0], VALID(m), in, IDX_N(m));
}

static UOp *idx_flip(Match *m) {
  if (!is_tensor_index(B(idx))) return NULL;
  UOp *x = B(x), *in[TG_MAX_DIMS];
  const Shape *s = ushape(x);
  for (int i = 0; i < IDX_N(m); i++)
    in[i] = x->arg.tup[i] ? uop_add(uop_neg(IDX_AT(m, i)), dim_kernel_expr(dim_add(s->d[i], -1))) : IDX_AT(m, i);
  return rfy_index(x->src[0], VALID(m), in, IDX_N(m));
}

static UOp *idx_pad(Match *m) {               // out of the pad's bounds the value is 0 and nothing loads
  if (!is_tensor_index(B(idx))) return NULL;
  UOp *x = B(x), *in[TG_MAX_DIMS], *inside = NULL;
  const Shape *si = ushape(x->src[0]);
  for (int i = 0; i < IDX_N(m); i++) {
    int64_t before = x->arg.tup[2 * i], after = x->arg.tup[2 * i + 1];
    UOp *b = dim_kernel_expr(before);
    in[i] = before ? uop_add(IDX_AT(m, i), uop_neg(b)) : IDX_AT(m, i);
    if (!before && !after) continue;
    UOp *ok = uop_and(uop_lt(uop_add_i(b, -1), IDX_AT(m, i)), uop_lt(IDX_AT(m, i), dim_kernel_expr(dim_add(before, si->d[i]))));
    inside = inside ? uop_and(inside, ok) : ok;
  }
  if (!inside) return rfy_index(x->src[0], VALID(m), in, IDX_N(m));
  UOp *valid = uop_is_const(VALID(m), 1) ? inside : uop_and(VALID(m), inside);
  UOp *v = rfy_index(x->src[0], valid, in, IDX_N(m));
  return uop_where(inside, v, uop_const(v->dtype, 0));
}

// The ranges an index expression uses, as a bitmask of range ids (expressions here are small).
static uint64_t ranges_used(UOp *e) {
  const UOpList *t = uop_toposort(e);
  uint64_t m = 0;
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_RANGE) m |= 1ull << t->items[i]->arg.tup[0];
  return m;
}

// Inlining a reduce places it in the innermost loop its index uses, so it is evaluated once per trip of
// the loops around that place. Counted over every place this kernel inlines the same REDUCE_AXIS, the
// evaluations may not exceed the reduce's number of output elements; past that it is recomputing values
// (a loop its index does not really depend on, or the same values needed in several places, as a matmul
// feeding both a softmax's max and its sum): realize it instead. The count needs no symbolic proof of
// independence, so it also catches index math the simplifier cannot see through.
static int deepest_range(RangeifyCtx *ctx, uint64_t used) {   // the used range whose chain holds all others
  int at = -1;
  for (int r = 0; r < ctx->next_range; r++) {
    if (!((used >> r) & 1)) continue;
    int depth = 0, best = 0;
    for (int p = r; p >= 0; p = ctx->parent[p]) depth++;
    for (int p = at; p >= 0; p = ctx->parent[p]) best++;
    if (depth > best) at = r;
  }
  return at;
}

static int reduce_placement(RangeifyCtx *ctx, UOp *x, uint64_t used, bool *recompute) {
  int at = deepest_range(ctx, used);
  int64_t numel = shape_numel(ushape(x)), trips = (int64_t)hmap_get_or(&ctx->evals, (uint64_t)(uintptr_t)x, 0);
  int64_t here = 1;
  for (int p = at; p >= 0 && here <= numel; p = ctx->parent[p]) here *= ctx->size[p];
  trips = here > numel || trips + here > numel ? numel + 1 : trips + here;
  hmap_put(&ctx->evals, (uint64_t)(uintptr_t)x, (uint64_t)trips);
  *recompute = trips > numel;
  return at;
}

int rfy_alu_cost(HMap *memo, const HMap *stop, UOp *x) {
  uint64_t have;
  if (hmap_get(memo, (uint64_t)(uintptr_t)x, &have)) return (int)have;
  int c = 0;
  if (op_is_alu((Op)x->op) && !hmap_get(stop, (uint64_t)(uintptr_t)x, NULL)) {
    c = 1;
    for (uint32_t i = 0; i < x->nsrc && c < RANGEIFY_ALU_COST_CAP; i++) c += rfy_alu_cost(memo, stop, x->src[i]);
  } else if (op_is_movement((Op)x->op) || x->op == OP_DETACH || x->op == OP_CONTIGUOUS_BACKWARD) {
    c = rfy_alu_cost(memo, stop, x->src[0]);
  }
  c = c > RANGEIFY_ALU_COST_CAP ? RANGEIFY_ALU_COST_CAP : c;
  hmap_put(memo, (uint64_t)(uintptr_t)x, (uint64_t)c);
  return c;
}

static int alu_cost(RangeifyCtx *ctx, UOp *x) { return rfy_alu_cost(&ctx->cost, ctx->realized, x); }

// An expensive elementwise node inlined where its index misses most loops around it (a gradient read by a
// convolution's backward once per window position and channel) is recomputed many times: the same count
// as for reduces, with a margin, since cheap recomputation beats a round trip through memory.
static bool recomputes_alu(RangeifyCtx *ctx, Match *m) {
  uint64_t used = ranges_used(sym_simplify(VALID(m)));
  for (int i = 0; i < IDX_N(m); i++) used |= ranges_used(sym_simplify(IDX_AT(m, i)));
  UOp *x = B(x);
  int at = deepest_range(ctx, used);
  int64_t numel = shape_numel(ushape(x)), limit = numel > INT64_MAX / RANGEIFY_ALU_RECOMPUTE ? INT64_MAX : numel * RANGEIFY_ALU_RECOMPUTE;
  int64_t trips = (int64_t)hmap_get_or(&ctx->evals, (uint64_t)(uintptr_t)x, 0), here = 1;
  for (int p = at; p >= 0 && here <= limit; p = ctx->parent[p]) here *= ctx->size[p];
  trips = here > limit || trips + here > limit ? limit + 1 : trips + here;
  hmap_put(&ctx->evals, (uint64_t)(uintptr_t)x, (uint64_t)trips);
  return trips > limit;
}

static UOp *idx_reduce(Match *m) {            // fresh RANGEs over the reduced axes
  if (!is_tensor_index(B(idx))) return NULL;
  RangeifyCtx *ctx = m->ctx;
  if (ctx->realize_instead) return NULL;      // this attempt is abandoned: stop expanding
  UOp *x = B(x), *in[TG_MAX_DIMS], *src[TG_MAX_DIMS + 1];
  const Shape *si = ushape(x->src[0]);
  // simplified first: a raw index can name a range it does not depend on ((i*M + j) // M is i)
  uint64_t used = ranges_used(sym_simplify(VALID(m)));
  for (int i = 0; i < IDX_N(m); i++) { in[i] = sym_simplify(IDX_AT(m, i)); used |= ranges_used(in[i]); }
  bool recompute;
  int at = reduce_placement(ctx, x, used, &recompute);
  int nr = (int)x->arg.n - 1;
  // (the kernel's own output is needed once per output element: computing it per element is no waste)
  if (!rfy_is_root(ctx, x) && (recompute || ctx->next_range + nr > RANGEIFY_MAX_RANGES)) { ctx->realize_instead = x; return NULL; }
  for (int k = 0; k < nr; k++) {
    int ax = (int)x->arg.tup[1 + k];
    in[ax] = src[1 + k] = rfy_range(ctx, si->d[ax], 1, at);
    ctx->origin[src[1 + k]->arg.tup[0]] = x;
    at = (int)src[1 + k]->arg.tup[0];
  }
  src[0] = rfy_index(x->src[0], VALID(m), in, IDX_N(m));
  return uop_new(OP_REDUCE, src[0]->dtype, src, nr + 1, arg_int(x->arg.tup[0]));
}

#define IDXPAT(...) UP(.ops = OPSET(OP_INDEX), PNAME(idx), .src_mode = SRC_PREFIX, UP_SRCS_(__VA_ARGS__))
static const Rule rangeify_rules[] = {
  RULE(IDXPAT(P(x)), idx_realized),
  RULE(IDXPAT(UP(.ops = GROUP_ALU, PNAME(x))), idx_alu),
  RULE(IDXPAT(UP(.ops = OPSET(OP_CONST, OP_DEFINE_VAR, OP_BIND), PNAME(x))), idx_scalar),
  RULE(IDXPAT(UP(.ops = OPSET(OP_DETACH, OP_CONTIGUOUS_BACKWARD), PNAME(x))), idx_passthru),
  RULE(IDXPAT(POP(OP_RESHAPE, x)), idx_reshape),
  RULE(IDXPAT(POP(OP_EXPAND, x)), idx_expand),
  RULE(IDXPAT(POP(OP_PERMUTE, x)), idx_permute),
  RULE(IDXPAT(POP(OP_SHRINK, x)), idx_shrink),
  RULE(IDXPAT(POP(OP_FLIP, x)), idx_flip),
  RULE(IDXPAT(POP(OP_PAD, x)), idx_pad),
  RULE(IDXPAT(POP(OP_REDUCE_AXIS, x)), idx_reduce),
  RULES_END,
};
static Pass rangeify_pass = PASS("rangeify", rangeify_rules);

UOp *rfy_run(RangeifyCtx *ctx, UOp *root) { return graph_rewrite_pre(root, &rangeify_pass, ctx); }
