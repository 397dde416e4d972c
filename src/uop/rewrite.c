// Pattern rewrite: matching UPats, indexing passes by root op, and the fixed-point graph_rewrite
#include "uop/rewrite.h"
#include "base/env.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include <pthread.h>
#include <stdlib.h>

static const char *const bind_names[] = {
#define X(nm) #nm,
  TG_BIND_NAMES(X)
#undef X
};
const char *bind_name(int slot) { return slot >= 0 && slot < BIND_COUNT_ ? bind_names[slot] : "?"; }

// ---- matching ----
static bool match_srcs(const UPat *p, UOp *u, Bind *b);

static bool bind_slot(const UPat *p, UOp *u, Bind *b) {
  if (!p->name) return true;
  int slot = p->name - 1;
  if ((b->set >> slot) & 1) return b->v[slot] == u;   // a name bound twice must be the same node
  b->set |= 1ull << slot;
  b->v[slot] = u;
  return true;
}

bool upat_match(const UPat *p, UOp *u, Bind *b) {
  if (!opset_empty(p->ops) && !opset_has(p->ops, u->op)) return false;
  if (p->dtypes && !((p->dtypes >> u->dtype.scalar) & 1)) return false;
  if (p->match_arg && !arg_eq(&p->arg, &u->arg)) return false;
  if (p->match_value && (u->op != OP_CONST || uop_const_value(u) != p->value)) return false;
  if (!bind_slot(p, u, b)) return false;
  return p->src_mode == SRC_ANY || match_srcs(p, u, b);
}

static bool match_in_order(const UPat *p, UOp *u, Bind *b, const int *order) {
  for (int i = 0; i < p->nsrc; i++)
    if (!upat_match(p->src[i], u->src[order[i]], b)) return false;
  return true;
}

static bool match_srcs(const UPat *p, UOp *u, Bind *b) {
  static const int fwd[] = { 0, 1, 2, 3, 4, 5, 6, 7 }, rev[] = { 1, 0 };
  switch ((SrcMode)p->src_mode) {
  case SRC_REPEAT:
    if (!u->nsrc) return false;
    for (uint32_t i = 0; i < u->nsrc; i++) if (!upat_match(p->src[0], u->src[i], b)) return false;
    return true;
  case SRC_PREFIX:
    return (int)u->nsrc >= p->nsrc && match_in_order(p, u, b, fwd);
  case SRC_AUTO:
    if ((int)u->nsrc != p->nsrc) return false;
    if (p->nsrc == 2 && op_is_commutative((Op)u->op)) {
      uint64_t saved = b->set;
      if (match_in_order(p, u, b, fwd)) return true;
      b->set = saved;                      // forget what the failed order bound
      return match_in_order(p, u, b, rev);
    }
    return match_in_order(p, u, b, fwd);
  case SRC_EXACT:
    return (int)u->nsrc == p->nsrc && match_in_order(p, u, b, fwd);
  default: return true;
  }
}

// ---- pass index: for each root op, the rules that can match it, in table order ----
struct PassIndex { const Rule **rules[OP_COUNT_]; int n[OP_COUNT_]; };
static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

static PassIndex *build_index(const Pass *pass) {
  PassIndex *ix = calloc(1, sizeof *ix);
  TG_ASSERT(ix, "out of memory");
  for (int op = 0; op < OP_COUNT_; op++) {
    VEC(const Rule *) v = { 0 };
    for (const Rule *const *t = pass->tables; *t; t++)
      for (const Rule *r = *t; r->pat; r++)
        if (opset_empty(r->pat->ops) || opset_has(r->pat->ops, op)) vec_push(&v, r);
    ix->rules[op] = v.data;
    ix->n[op] = (int)v.len;
  }
  return ix;
}

static PassIndex *pass_index(Pass *pass) {
  PassIndex *ix = pass->index;
  if (ix) return ix;
  pthread_mutex_lock(&index_lock);
  if (!(ix = pass->index)) pass->index = ix = build_index(pass);
  pthread_mutex_unlock(&index_lock);
  return ix;
}

// ---- trace ----
static bool trace_on, trace_inited;
static VEC(RewriteStep) trace;
static void trace_roots(void *ctx) {
  (void)ctx;
  for (int64_t i = 0; i < trace.len; i++) { uop_gc_mark(trace.data[i].before); uop_gc_mark(trace.data[i].after); }
}
static void trace_init(void) {
  if (trace_inited) return;
  trace_inited = true;
  trace_on = env_int("VIZ", 0) > 0;
  uop_gc_add_roots(trace_roots, NULL);
}
void rewrite_trace_enable(bool on) { trace_init(); trace_on = on; }
bool rewrite_trace_enabled(void) { trace_init(); return trace_on; }
int64_t rewrite_trace_len(void) { return trace.len; }
const RewriteStep *rewrite_trace_at(int64_t i) { return (i >= 0 && i < trace.len) ? &trace.data[i] : NULL; }
void rewrite_trace_clear(void) { vec_clear(&trace); }

UOp *pass_apply(Pass *pass, UOp *u, void *ctx) {
  PassIndex *ix = pass_index(pass);
  const Rule **rules = ix->rules[u->op];
  for (int i = 0, n = ix->n[u->op]; i < n; i++) {
    Match m = { .ctx = ctx, .root = u };
    m.b.set = 0;
    if (!upat_match(rules[i]->pat, u, &m.b)) continue;
    UOp *r = rules[i]->fn(&m);
    if (!r || r == u) continue;
    if (__builtin_expect(trace_on, 0))
      vec_push(&trace, ((RewriteStep){ pass->name, rules[i]->name, rules[i]->file, rules[i]->line, u, r }));
    return r;
  }
  return NULL;
}

// ---- graph_rewrite: an explicit stack of (node, stage, working node) ----
typedef struct { UOp *n, *work; int stage; } Frame;
typedef struct { Pass *post, *pre; void *ctx; HMap done; VEC(Frame) stack; VEC(UOp *) srcbuf; int64_t pre_steps; } Rewriter;

static UOp *done_of(Rewriter *rw, UOp *u) { return HMAP_PTR(&rw->done, u); }
static void push(Rewriter *rw, UOp *n, int stage, UOp *work) { vec_push(&rw->stack, ((Frame){ n, work, stage })); }

// stage 0: apply pre rules once; a rewritten node is processed as a node of its own (so every
// intermediate is memoized too), else visit sources. stage 1: rebuild from rewritten sources and
// apply post rules. stage 2: n's result is whatever its replacement rewrote to.
static void step(Rewriter *rw, Frame f) {
  if (f.stage == 0) {
    if (done_of(rw, f.n)) return;
    UOp *r = rw->pre ? pass_apply(rw->pre, f.n, rw->ctx) : NULL;
    if (r) {
      TG_ASSERT(++rw->pre_steps < 100000000, "pass %s does not reach a fixed point", rw->pre->name);
      push(rw, f.n, 2, r);
      if (!done_of(rw, r)) push(rw, r, 0, r);
      return;
    }
    push(rw, f.n, 1, f.n);
    for (int i = (int)f.n->nsrc - 1; i >= 0; i--)
      if (!done_of(rw, f.n->src[i])) push(rw, f.n->src[i], 0, f.n->src[i]);
    return;
  }
  if (f.stage == 2) { HMAP_PUT_PTR(&rw->done, f.n, done_of(rw, f.work)); return; }
  UOp *w = f.work;
  bool changed = false;
  rw->srcbuf.len = 0;
  for (uint32_t i = 0; i < w->nsrc; i++) {
    UOp *s = done_of(rw, w->src[i]);
    TG_ASSERT(s, "graph_rewrite: source %u of %s not rewritten", i, op_name((Op)w->op));
    changed |= s != w->src[i];
    vec_push(&rw->srcbuf, s);
  }
  UOp *next = changed ? uop_with_src(w, rw->srcbuf.data, (int)w->nsrc) : rw->post ? pass_apply(rw->post, w, rw->ctx) : NULL;
  if (!next) { HMAP_PUT_PTR(&rw->done, f.n, w); return; }
  push(rw, f.n, 2, next);          // when `next` is done, n maps to its result
  if (!done_of(rw, next)) push(rw, next, 0, next);
}

UOp *graph_rewrite_ex(UOp *root, Pass *post, Pass *pre, void *ctx) {
  trace_init();
  Rewriter rw = { .post = post, .pre = pre, .ctx = ctx };
  push(&rw, root, 0, root);
  while (rw.stack.len) step(&rw, vec_pop(&rw.stack));
  UOp *out = done_of(&rw, root);
  hmap_free(&rw.done);
  vec_free(&rw.stack);
  vec_free(&rw.srcbuf);
  return out;
}

UOp *graph_rewrite(UOp *root, Pass *post, void *ctx) { return graph_rewrite_ex(root, post, NULL, ctx); }
UOp *graph_rewrite_pre(UOp *root, Pass *pre, void *ctx) { return graph_rewrite_ex(root, NULL, pre, ctx); }
