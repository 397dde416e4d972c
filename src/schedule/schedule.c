// Schedule: realize points (fusion decisions), one kernel AST per realize point, in dependency order
#include "schedule/schedule.h"
#include "schedule/rangeify.h"
#include "tensor/tensor.h"
#include "uop/nest.h"
#include "uop/symbolic.h"
#include "base/env.h"
#include "base/hashmap.h"
#include "base/log.h"
#include "base/vec.h"
#include <stdlib.h>
#include <string.h>

Buffer *sched_view_buffer(UOp *u) {
  if (u->op == OP_RESHAPE) u = u->src[0];
  return u->op == OP_BUFFER ? (Buffer *)u->arg.ptr : NULL;
}

// Realize points: the roots, CONTIGUOUS and COPY nodes, plus reduces found to be recomputed.
static void base_realize_points(HMap *want, UOp *sink) {
  const UOpList *topo = uop_toposort(sink);
  for (int64_t i = 0; i < topo->n; i++) {
    UOp *u = topo->items[i];
    if (u->op == OP_CONTIGUOUS || u->op == OP_COPY) HMAP_PUT_PTR(want, u, 1);
  }
  for (uint32_t i = 0; i < sink->nsrc; i++)
    if (!sched_view_buffer(sink->src[i])) HMAP_PUT_PTR(want, sink->src[i], 1);
}

static void push_item(Schedule *s, ScheduleItem it) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 16;
    s->items = realloc(s->items, (size_t)s->cap * sizeof *s->items);
    TG_ASSERT(s->items, "out of memory");
  }
  s->items[s->n++] = it;
}

// Build the kernel that computes node x into buffer out. Returns the AST (not yet simplified);
// *recompute is set to a REDUCE_AXIS that this kernel would recompute, if any.
static UOp *build_kernel(RangeifyCtx *ctx, UOp *x, Buffer *out, UOp **recompute) {
  const Shape *s = ushape(x);
  UOp *idx[TG_MAX_DIMS];
  ctx->nbufs = 0;
  ctx->next_range = 0;
  hmap_clear(&ctx->reduce_origin);
  rfy_global(ctx, out);
  for (int i = 0; i < s->ndim; i++) idx[i] = s->d[i] == 1 ? uop_iconst(0) : rfy_range(ctx, s->d[i], 0);
  ctx->next_range = s->ndim;
  UOp *value_node = x->op == OP_CONTIGUOUS ? x->src[0] : x;
  if (value_node->op == OP_COPY) value_node = x;   // (copies are not kernels; handled by the caller)
  UOp *val = rfy_index(value_node, uop_const(DT_BOOL_T, 1), idx, s->ndim);
  UOp *g = rfy_global(ctx, out);
  UOp *st = uop2(OP_STORE, DT_VOID_T, uop2(OP_INDEX, g->dtype, g, rfy_linear(idx, s->d, s->ndim), arg_none()), val, arg_none());
  UOp *ast = rfy_run(ctx, uop1(OP_SINK, DT_VOID_T, st, arg_none()));
  // fusion check: a reduce that would be recomputed inside loops it does not depend on gets a buffer
  *recompute = NULL;
  Nest nest;
  nest_build(&nest, ast);
  for (int64_t i = 0; i < nest.topo->n && !*recompute; i++) {
    UOp *u = nest.topo->items[i];
    if (u->op == OP_REDUCE && nest_recompute_factor(&nest, u) > 1) *recompute = HMAP_PTR(&ctx->reduce_origin, u->src[1]);
  }
  nest_free(&nest);
  return ast;
}

static int realize_order(UOp *sink, HMap *want, UOp ***order) {
  const UOpList *topo = uop_toposort(sink);
  VEC(UOp *) v = { 0 };
  for (int64_t i = 0; i < topo->n; i++) if (hmap_get(want, (uint64_t)(uintptr_t)topo->items[i], NULL)) vec_push(&v, topo->items[i]);
  *order = v.data;
  return (int)v.len;
}

static void release_bufs(HMap *bufs) {
  for (int64_t i = 0; i < bufs->cap; i++) if (bufs->keys[i]) buf_unref((Buffer *)(uintptr_t)bufs->vals[i]);
  hmap_free(bufs);
}

// One attempt at scheduling with a given set of realize points; returns the reduce to realize next, if any.
static UOp *try_schedule(Schedule *s, UOp *sink, HMap *want, Device *dev) {
  HMap bufs = { 0 };                  // realize point -> Buffer (owned reference)
  RangeifyCtx ctx = { .realized = &bufs };
  UOp **order;
  int n = realize_order(sink, want, &order);
  UOp *again = NULL;
  for (int k = 0; k < n && !again; k++) {
    UOp *x = order[k];
    const Shape *sh = ushape(x);
    Buffer *out = buf_new(dev, (ScalarType)x->dtype.scalar, shape_numel(sh));
    HMAP_PUT_PTR(&bufs, x, out);
    if (x->op == OP_COPY) {
      UOp *src = x->src[0];
      Buffer *from = sched_view_buffer(src);
      if (!from) from = HMAP_PTR(&bufs, src);
      if (!from) { again = src; break; }          // the copy's source needs its own buffer first
      ScheduleItem it = { .ast = NULL, .nbufs = 2, .dev = dev };
      it.bufs = malloc(2 * sizeof(Buffer *));
      it.bufs[0] = buf_ref(out); it.bufs[1] = buf_ref(from);
      push_item(s, it);
      continue;
    }
    ctx.current = x;
    UOp *ast = build_kernel(&ctx, x, out, &again);
    if (again) break;
    ScheduleItem it = { .ast = sym_simplify(ast), .nbufs = ctx.nbufs, .dev = dev };
    it.bufs = malloc((size_t)ctx.nbufs * sizeof(Buffer *));
    for (int i = 0; i < ctx.nbufs; i++) it.bufs[i] = buf_ref(ctx.bufs[i]);
    push_item(s, it);
  }
  if (!again) {
    s->nouts = (int)sink->nsrc;
    s->outs = malloc((size_t)s->nouts * sizeof(Buffer *));
    for (int i = 0; i < s->nouts; i++) {
      Buffer *b = sched_view_buffer(sink->src[i]);
      s->outs[i] = buf_ref(b ? b : HMAP_PTR(&bufs, sink->src[i]));
    }
  }
  hmap_free(&ctx.reduce_origin);
  release_bufs(&bufs);
  free(order);
  return again;
}

int sched_create(Schedule *s, UOp **roots, int n, Device *dev) {
  memset(s, 0, sizeof *s);
  UOp *sink = uop_new(OP_SINK, DT_VOID_T, roots, n, arg_none());
  HMap want = { 0 };
  base_realize_points(&want, sink);
  for (int attempt = 0;; attempt++) {
    UOp *extra = try_schedule(s, sink, &want, dev);
    if (!extra) break;
    TG_ASSERT(!hmap_get(&want, (uint64_t)(uintptr_t)extra, NULL), "scheduler: %s already realized", op_name((Op)extra->op));
    LOG(5, "schedule: realizing %s to avoid recomputation", op_name((Op)extra->op));
    HMAP_PUT_PTR(&want, extra, 1);
    sched_free(s);
  }
  hmap_free(&want);
  LOG(1, "scheduled %d kernels on %s", s->n, dev->name);
  return 0;
}

void sched_free(Schedule *s) {
  for (int i = 0; i < s->n; i++) {
    for (int k = 0; k < s->items[i].nbufs; k++) buf_unref(s->items[i].bufs[k]);
    free(s->items[i].bufs);
  }
  for (int i = 0; i < s->nouts; i++) buf_unref(s->outs[i]);
  free(s->items);
  free(s->outs);
  memset(s, 0, sizeof *s);
}
