// Schedule: realize points (fusion decisions), one kernel AST per realize point, in dependency order
#include "schedule/schedule.h"
#include "schedule/rangeify.h"
#include "schedule/split_reduce.h"
#include "schedule/merge_ranges.h"
#include "tensor/tensor.h"
#include "uop/nest.h"
#include "uop/spec.h"
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
    if (u->op == OP_CONTIGUOUS || u->op == OP_COPY || u->op == OP_ASSIGN) HMAP_PUT_PTR(want, u, 1);
  }
  for (uint32_t i = 0; i < sink->nsrc; i++)
    if (!sched_view_buffer(sink->src[i])) HMAP_PUT_PTR(want, sink->src[i], 1);
}

// A reduce that two kernels would both inline is computed twice (a weight gradient read by Adam's m and v
// updates; a convolution read by batchnorm's statistics and by the next layer). Realize it once instead.
// Likewise an elementwise node of SHARED_ALU_COST ops or more (default 6; 0: never): the demo network's max-pool
// gradient at its batchnorm's output (relu, normalize, compare with the window's max, select) was recomputed by
// each of the batchnorm backward's five reductions, with gathered loads; realized once, the step's kernels other
// than the convolutions went 346 -> 176 ms (cost 4: 189, 8: 196). Each node is labelled with the one kernel that
// reads it, or MULTI, walking users before sources, so the outermost shared node is realized and its sources
// then have one reader. A small reduce costs less to recompute than a kernel launch does.
#define MULTI ((uint64_t)1)
enum { SHARED_REDUCE_MIN_WORK = 4096, SHARED_ALU_MIN_NUMEL = 65536 };
static void shared_points(HMap *want, UOp *sink) {
  int alu_cost = env_int("SHARED_ALU_COST", 6);
  HMap memo = { 0 };
  const UOpList *topo = uop_toposort(sink);
  HMap label = { 0 };                                   // node -> kernel (realize point) or MULTI
  for (int64_t i = topo->n - 1; i >= 0; i--) {
    UOp *u = topo->items[i];
    uint64_t mine = hmap_get_or(&label, (uint64_t)(uintptr_t)u, 0);
    if (u->op == OP_REDUCE_AXIS && mine == MULTI && shape_numel(ushape(u->src[0])) >= SHARED_REDUCE_MIN_WORK) HMAP_PUT_PTR(want, u, 1);
    if (alu_cost && op_is_alu((Op)u->op) && mine == MULTI && shape_numel(ushape(u)) >= SHARED_ALU_MIN_NUMEL &&
        rfy_alu_cost(&memo, want, u) >= alu_cost) HMAP_PUT_PTR(want, u, 1);
    if (u == sink || u->op == OP_BUFFER) continue;
    if (hmap_get(want, (uint64_t)(uintptr_t)u, NULL)) mine = (uint64_t)(uintptr_t)u;
    for (uint32_t k = 0; k < u->nsrc; k++) {
      uint64_t have = hmap_get_or(&label, (uint64_t)(uintptr_t)u->src[k], 0);
      hmap_put(&label, (uint64_t)(uintptr_t)u->src[k], !have || have == mine ? mine : MULTI);
    }
  }
  hmap_free(&label);
  hmap_free(&memo);
}
#undef MULTI

static void push_item(Schedule *s, ScheduleItem it) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 16;
    s->items = realloc(s->items, (size_t)s->cap * sizeof *s->items);
    TG_ASSERT(s->items, "out of memory");
  }
  s->items[s->n++] = it;
}

// An assign whose value reads its own target at other positions would read elements it already
// overwrote: compute the value into a buffer of its own first.
static UOp *assign_hazard(UOp *ast, UOp *assign) {
  UOp *st = ast->src[0], *where = st->src[0]->src[1];
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_INDEX && u->src[0]->op == OP_DEFINE_GLOBAL && u->src[0]->arg.i == 0 && u != st->src[0] &&
        (u->nsrc > 2 || u->src[1] != where))
      return assign->src[1];
  }
  return NULL;
}

// Build the kernel that computes node x into buffer out. Returns the simplified AST, or NULL with
// *recompute set to a REDUCE_AXIS that must get its own buffer first (see rangeify's idx_reduce).
static UOp *build_kernel(RangeifyCtx *ctx, UOp *x, Buffer *out, UOp **recompute) {
  const Shape *s = ushape(x);
  UOp *idx[TG_MAX_DIMS];
  ctx->nbufs = 0;
  ctx->next_range = 0;
  ctx->realize_instead = NULL;
  hmap_clear(&ctx->evals);
  rfy_global(ctx, out);
  int prev = -1;
  for (int i = 0; i < s->ndim; i++) {         // output loops nest in axis order
    if (s->d[i] == 1) { idx[i] = uop_iconst(0); continue; }
    idx[i] = rfy_range(ctx, s->d[i], 0, prev);
    prev = (int)idx[i]->arg.tup[0];
  }
  UOp *value_node = x->op == OP_CONTIGUOUS ? x->src[0] : x->op == OP_ASSIGN ? x->src[1] : x;   // (a COPY source loads)
  UOp *val = rfy_index(value_node, uop_const(DT_BOOL_T, 1), idx, s->ndim);
  UOp *g = rfy_global(ctx, out);
  UOp *st = uop2(OP_STORE, DT_VOID_T, uop2(OP_INDEX, g->dtype, g, rfy_linear(idx, s->d, s->ndim), arg_none()), val, arg_none());
  UOp *raw = rfy_run(ctx, uop1(OP_SINK, DT_VOID_T, st, arg_none()));
  *recompute = ctx->realize_instead;
  if (*recompute) return NULL;
  UOp *ast = sym_simplify(raw);
  spec_verify(ast, SPEC_KERNEL, "rangeify + symbolic");
  if (x->op == OP_ASSIGN && (*recompute = assign_hazard(ast, x))) return NULL;
  // the same rule on the final kernel: simplification can drop a dependency the check above relied on
  Nest nest;
  nest_build(&nest, ast);
  HMap evals = { 0 };
  for (int64_t i = 0; i < nest.topo->n && !*recompute; i++) {
    UOp *u = nest.topo->items[i];
    UOp *origin = u->op == OP_REDUCE ? ctx->origin[u->src[1]->arg.tup[0]] : NULL;
    if (!origin || rfy_is_root(ctx, origin)) continue;
    int64_t numel = shape_numel(ushape(origin)), here = 1;     // as in rangeify's reduce_placement
    for (int at = nest_place(&nest, u); at != NEST_ROOT && here <= numel; at = nest.parent[at]) {
      int64_t sz = nest_range_size(nest.range[at]);
      if (sz < 0 || __builtin_mul_overflow(here, sz, &here)) here = INT64_MAX;
    }
    int64_t trips = (int64_t)hmap_get_or(&evals, (uint64_t)(uintptr_t)origin, 0);
    trips = here > numel || trips + here > numel ? numel + 1 : trips + here;
    hmap_put(&evals, (uint64_t)(uintptr_t)origin, (uint64_t)trips);
    if (trips > numel) *recompute = origin;
  }
  hmap_free(&evals);
  nest_free(&nest);
  if (*recompute) return NULL;
  return merge_adjacent_ranges(ast);
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

// Schedule one realize point. Returns NULL when done, or a node that needs its own buffer first
// (a reduce that inlining would recompute, or a copy's source).
static UOp *schedule_point(Schedule *s, RangeifyCtx *ctx, HMap *bufs, UOp *x, Device *dev) {
  if (x->op == OP_COPY) {
    UOp *src = x->src[0];
    Buffer *from = sched_view_buffer(src);
    if (!from) from = HMAP_PTR(bufs, src);
    if (!from) return src;
    ScheduleItem it = { .ast = NULL, .nbufs = 2, .dev = dev };
    it.bufs = malloc(2 * sizeof(Buffer *));
    it.reads_old = calloc(2, sizeof(bool));
    it.bufs[0] = buf_ref(HMAP_PTR(bufs, x)); it.bufs[1] = buf_ref(from);
    it.reads_old[1] = sched_view_buffer(src) != NULL;
    push_item(s, it);
    return NULL;
  }
  if (shape_numel(ushape(x)) == 0) return NULL;   // an empty result needs no kernel: its (empty) buffer is the value
  ctx->current = x;
  UOp *first = NULL;
  UOp *ast = build_kernel(ctx, x, HMAP_PTR(bufs, x), &first);
  if (!ast) return first;
  ScheduleItem it = { .ast = ast, .nbufs = ctx->nbufs, .dev = dev };
  it.bufs = malloc((size_t)ctx->nbufs * sizeof(Buffer *));
  it.reads_old = malloc((size_t)ctx->nbufs * sizeof(bool));
  for (int i = 0; i < ctx->nbufs; i++) { it.bufs[i] = buf_ref(ctx->bufs[i]); it.reads_old[i] = ctx->reads_old[i]; }
  push_item(s, it);
  return NULL;
}

// Items are built producers first. Writes into existing buffers (assigns) must also wait for every item
// that reads the old contents: reorder with those write-after-read edges, keeping the order otherwise.
static bool order_writes_after_reads(Schedule *s) {
  int n = s->n;
  if (n <= 1) return true;
  bool *before = calloc((size_t)n * (size_t)n, 1);     // before[a*n+b]: a must run before b
  int *indeg = calloc((size_t)n + 1, sizeof(int));
  for (int b = 0; b < n; b++)
    for (int a = 0; a < n; a++) {
      if (a == b) continue;
      ScheduleItem *A = &s->items[a], *Bi = &s->items[b];
      bool edge = false;
      for (int k = 0; k < Bi->nbufs && !edge; k++) {
        if (k == 0) continue;                                                   // slot 0 is written
        bool raw = a < b && Bi->bufs[k] == A->bufs[0] && !Bi->reads_old[k];     // b reads what a wrote
        bool war = Bi->bufs[k] == A->bufs[0] && Bi->reads_old[k];             // a overwrites what b reads
        if (raw) edge = true;
        if (war) { before[b * n + a] = true; }
      }
      if (edge) before[a * n + b] = true;
    }
  for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) if (before[a * n + b]) indeg[b]++;
  ScheduleItem *out = malloc((size_t)n * sizeof *out);
  bool *done = calloc((size_t)n + 1, 1);
  for (int k = 0; k < n; k++) {
    int pick = -1;
    for (int i = 0; i < n && pick < 0; i++) if (!done[i] && indeg[i] == 0) pick = i;
    if (pick < 0) {
      tg_set_error("tg_realize: assigns in one realize read each other's old values (a cycle); realize them separately");
      free(out); free(done); free(indeg); free(before);
      return false;
    }
    done[pick] = true;
    out[k] = s->items[pick];
    for (int b = 0; b < n; b++) if (before[pick * n + b]) indeg[b]--;
  }
  if (n) memcpy(s->items, out, (size_t)n * sizeof *out);   // (items is NULL when nothing is scheduled)
  free(out); free(done); free(indeg); free(before);
  return true;
}

// Memory planner: intermediates (buffers this schedule made that are not its outputs) share storage by
// lifetime. Walking the items in order, a buffer takes the smallest free storage that fits when it is
// first written, and gives it back after the last item that uses it (not during: an item may read one
// buffer while it writes another). NO_MEMORY_PLANNER=1 gives every intermediate its own memory.
typedef VEC(Buffer *) BufVec;
static Buffer *take_storage(BufVec *pool, BufVec *all, Buffer *b) {
  int64_t best = -1;
  for (int64_t i = 0; i < pool->len; i++)
    if (pool->data[i]->dev == b->dev && pool->data[i]->nbytes >= b->nbytes && (best < 0 || pool->data[i]->nbytes < pool->data[best]->nbytes)) best = i;
  if (best >= 0) { Buffer *st = pool->data[best]; pool->data[best] = vec_last(pool); pool->len--; return st; }
  Buffer *st = buf_new(b->dev, DT_UINT8, (int64_t)b->nbytes);
  vec_push(all, st);
  return st;
}

static void plan_memory(Schedule *s, HMap *fresh) {
  if (env_int("NO_MEMORY_PLANNER", 0) || !fresh->len) return;
  HMap last = { 0 }, placed = { 0 };
  for (int i = 0; i < s->n; i++)
    for (int k = 0; k < s->items[i].nbufs; k++)
      if (hmap_get(fresh, (uint64_t)(uintptr_t)s->items[i].bufs[k], NULL)) hmap_put(&last, (uint64_t)(uintptr_t)s->items[i].bufs[k], (uint64_t)i + 1);
  BufVec pool = { 0 }, all = { 0 };
  size_t unplanned = 0, planned = 0;
  for (int i = 0; i < s->n; i++) {
    ScheduleItem *it = &s->items[i];
    for (int k = 0; k < it->nbufs; k++) {
      Buffer *b = it->bufs[k];
      if (!hmap_get(fresh, (uint64_t)(uintptr_t)b, NULL) || HMAP_PTR(&placed, b) || b->ptr) continue;
      Buffer *st = take_storage(&pool, &all, b);
      buf_share(b, st);
      HMAP_PUT_PTR(&placed, b, st);
      unplanned += b->nbytes;
    }
    for (int k = 0; k < it->nbufs; k++) {
      Buffer *b = it->bufs[k];
      if (hmap_get_or(&last, (uint64_t)(uintptr_t)b, 0) != (uint64_t)i + 1 || !HMAP_PTR(&placed, b)) continue;
      vec_push(&pool, (Buffer *)HMAP_PTR(&placed, b));
      hmap_del(&last, (uint64_t)(uintptr_t)b);           // (a buffer in two slots goes back once)
    }
  }
  for (int64_t i = 0; i < all.len; i++) { planned += all.data[i]->nbytes; buf_unref(all.data[i]); }   // the buffers hold them
  LOG(2, "memory planner: %.2f MB of intermediates in %.2f MB of storage", (double)unplanned / 1e6, (double)planned / 1e6);
  vec_free(&pool); vec_free(&all);
  hmap_free(&last); hmap_free(&placed);
}

// Realize points in dependency order. A point found to need another node realized first gets it
// scheduled right there (that node only depends on what is already scheduled or inlined), then retries.
int sched_create(Schedule *s, UOp **roots, int n, Device *dev) {
  memset(s, 0, sizeof *s);
  UOp *sink = uop_new(OP_SINK, DT_VOID_T, roots, n, arg_none());
  spec_verify(sink, SPEC_TENSOR, "sched_create input");
  sink = split_reduces(sink);
  HMap want = { 0 }, bufs = { 0 };            // bufs: realize point -> Buffer (owned reference)
  base_realize_points(&want, sink);
  shared_points(&want, sink);
  RangeifyCtx ctx = { .realized = &bufs };
  UOp **order;
  int npoints = realize_order(sink, &want, &order);
  VEC(UOp *) pending = { 0 };
  for (int k = 0; k < npoints; k++) {
    vec_push(&pending, order[k]);
    while (pending.len) {
      UOp *x = vec_last(&pending);
      if (!HMAP_PTR(&bufs, x))          // an assign writes its target's buffer; everything else gets a new one
        HMAP_PUT_PTR(&bufs, x, x->op == OP_ASSIGN ? buf_ref(sched_view_buffer(x->src[0])) : buf_new(dev, (ScalarType)x->dtype.scalar, shape_numel(ushape(x))));
      UOp *first = schedule_point(s, &ctx, &bufs, x, dev);
      if (!first) { pending.len--; continue; }
      TG_ASSERT(!HMAP_PTR(&bufs, first), "scheduler: %s needs a node that already has a buffer", op_name((Op)x->op));
      LOG(5, "schedule: realizing %s first, so %s does not recompute it", op_name((Op)first->op), op_name((Op)x->op));
      vec_push(&pending, first);
    }
  }
  bool ordered = order_writes_after_reads(s);
  s->nouts = (int)sink->nsrc;
  s->outs = malloc((size_t)s->nouts * sizeof(Buffer *));
  for (int i = 0; i < s->nouts; i++) {
    Buffer *b = sched_view_buffer(sink->src[i]);
    s->outs[i] = buf_ref(b ? b : HMAP_PTR(&bufs, sink->src[i]));
  }
  HMap fresh = { 0 };                       // buffers made here that no output holds: the planner's to place
  for (int64_t i = 0; i < bufs.cap; i++)
    if (bufs.keys[i] && ((UOp *)(uintptr_t)bufs.keys[i])->op != OP_ASSIGN) hmap_put(&fresh, bufs.vals[i], 1);
  for (int i = 0; i < s->nouts; i++) hmap_del(&fresh, (uint64_t)(uintptr_t)s->outs[i]);
  if (ordered) plan_memory(s, &fresh);
  hmap_free(&fresh);
  vec_free(&pending);
  hmap_free(&ctx.evals);
  hmap_free(&ctx.cost);
  release_bufs(&bufs);
  hmap_free(&want);
  free(order);
  LOG(1, "scheduled %d kernels on %s", s->n, dev->name);
  return ordered ? 0 : -1;
}

void sched_free(Schedule *s) {
  for (int i = 0; i < s->n; i++) {
    for (int k = 0; k < s->items[i].nbufs; k++) buf_unref(s->items[i].bufs[k]);
    free(s->items[i].bufs);
    free(s->items[i].reads_old);
  }
  for (int i = 0; i < s->nouts; i++) buf_unref(s->outs[i]);
  varvals_free(&s->vars);
  free(s->items);
  free(s->outs);
  memset(s, 0, sizeof *s);
}
