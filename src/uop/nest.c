// Loop nest analysis of a kernel graph: which RANGEs each node depends on, and where each node lives
#include "uop/nest.h"
#include "uop/axis.h"
#include "base/error.h"
#include <string.h>

int64_t nest_range_size(const UOp *r) { return r->src[0]->op == OP_CONST ? r->src[0]->arg.i : -1; }
static int64_t range_id(const UOp *r) { return r->arg.kind == ARG_TUPLE ? r->arg.tup[0] : r->arg.i; }

int nest_range_index(const Nest *n, UOp *r) {
  for (int i = 0; i < n->nranges; i++) if (n->range[i] == r) return i;
  return -1;
}

uint64_t nest_free_mask(const Nest *n, UOp *u) { return hmap_get_or(&n->free, (uint64_t)(uintptr_t)u, 0); }

static int add_range(Nest *n, UOp *r) {
  int i = nest_range_index(n, r);
  if (i >= 0) return i;
  TG_ASSERT(n->nranges < NEST_MAX_RANGES, "kernel has more than %d ranges", NEST_MAX_RANGES);
  n->range[n->nranges] = r;
  n->parent[n->nranges] = NEST_ROOT;
  return n->nranges++;
}

// A node that depends on a thread range goes inside the innermost one: the thread ranges stay one unbroken chain
// (nothing but their RANGEs between them), which a GPU opens as thread indices and INTERP as virtual threads.
static int deepest(const Nest *n, uint64_t mask) {
  int best = NEST_ROOT;
  if (mask & n->thread_mask) mask |= n->thread_mask;
  for (int i = 0; i < n->nranges; i++)
    if (((mask >> i) & 1) && (best == NEST_ROOT || n->depth[i] > n->depth[best])) best = i;
  return best;
}

// thread ranges inside the other output ranges, a warp's lanes innermost (threadIdx.x: consecutive threads, one warp)
static int64_t out_key(const Nest *n, int i) {
  int64_t bonus = ((n->thread_mask >> i) & 1) ? (int64_t)1 << 40 : 0;
  return range_id(n->range[i]) + (axis_kind(n->range[i]) == AXIS_WARP ? bonus << 1 : bonus);
}

void nest_build(Nest *n, UOp *root) {
  memset(n, 0, sizeof *n);
  n->topo = uop_toposort(root);
  // 1. free-range masks, bottom-up; a REDUCE binds its own ranges
  for (int64_t i = 0; i < n->topo->n; i++) {
    UOp *u = n->topo->items[i];
    uint64_t m = 0;
    for (uint32_t k = 0; k < u->nsrc; k++) m |= nest_free_mask(n, u->src[k]);
    if (u->op == OP_RANGE) m |= 1ull << add_range(n, u);
    if (u->op == OP_REDUCE)
      for (uint32_t k = 1; k < u->nsrc; k++) {
        int ri = add_range(n, u->src[k]);
        n->owner[ri] = u;
        m &= ~(1ull << ri);
      }
    if (m) hmap_put(&n->free, (uint64_t)(uintptr_t)u, m);
  }
  // 2. output ranges nest by id, thread ranges (not owned by a REDUCE) innermost
  int outs[NEST_MAX_RANGES], nout = 0;
  for (int i = 0; i < n->nranges; i++) if (!n->owner[i]) outs[nout++] = i;
  for (int i = 0; i < nout; i++) if (axis_is_thread(n->range[outs[i]])) n->thread_mask |= 1ull << outs[i];
  for (int a = 1; a < nout; a++)
    for (int b = a; b > 0 && out_key(n, outs[b]) < out_key(n, outs[b - 1]); b--) {
      int t = outs[b]; outs[b] = outs[b - 1]; outs[b - 1] = t;
    }
  for (int k = 0; k < nout; k++) { n->parent[outs[k]] = k ? outs[k - 1] : NEST_ROOT; n->depth[outs[k]] = k + 1; }
  // 3. reduce ranges nest inside their REDUCE's placement; outer reduces come later in toposort
  for (int64_t i = n->topo->n - 1; i >= 0; i--) {
    UOp *u = n->topo->items[i];
    if (u->op != OP_REDUCE) continue;
    int at = deepest(n, nest_free_mask(n, u));
    for (uint32_t k = 1; k < u->nsrc; k++) {
      int ri = nest_range_index(n, u->src[k]);
      if (n->depth[ri] != 0 && n->parent[ri] != at) n->split_reduce = true;
      n->parent[ri] = at;
      n->depth[ri] = (at == NEST_ROOT ? 0 : n->depth[at]) + 1;
      at = ri;
    }
  }
}

void nest_free(Nest *n) { hmap_free(&n->free); }

int nest_place(const Nest *n, UOp *u) { return deepest(n, nest_free_mask(n, u)); }

int64_t nest_recompute_factor(const Nest *n, UOp *reduce) {
  uint64_t mine = nest_free_mask(n, reduce);
  int64_t factor = 1;
  for (int at = nest_place(n, reduce); at != NEST_ROOT; at = n->parent[at]) {
    if ((mine >> at) & 1) continue;
    int64_t s = nest_range_size(n->range[at]);
    if (s < 0 || __builtin_mul_overflow(factor, s, &factor)) return INT64_MAX;
  }
  return factor;
}
