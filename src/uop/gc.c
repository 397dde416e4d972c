// Garbage collection of UOps: mark from registered roots and pins, sweep the intern table
#include "uop/uop_internal.h"
#include "base/error.h"
#include "base/vec.h"
#include <stdlib.h>
#include <string.h>

typedef struct { GcRootFn fn; void *ctx; } RootSrc;
static VEC(RootSrc) root_srcs;
static HMap pins;                        // UOp* -> pin count
static VEC(UOp *) mark_stack;
static void (*finalizers[OP_COUNT_])(UOp *u);

void uop_gc_on_free(Op op, void (*fn)(UOp *u)) { finalizers[op] = fn; }

void uop_gc_add_roots(GcRootFn fn, void *ctx) { vec_push(&root_srcs, ((RootSrc){ fn, ctx })); }

void uop_gc_remove_roots(GcRootFn fn, void *ctx) {
  for (int64_t i = 0; i < root_srcs.len; i++)
    if (root_srcs.data[i].fn == fn && root_srcs.data[i].ctx == ctx) {
      root_srcs.data[i] = vec_last(&root_srcs);
      root_srcs.len--;
      return;
    }
}

void uop_pin(UOp *u) { hmap_put(&pins, (uint64_t)(uintptr_t)u, hmap_get_or(&pins, (uint64_t)(uintptr_t)u, 0) + 1); }

void uop_unpin(UOp *u) {
  uint64_t n = hmap_get_or(&pins, (uint64_t)(uintptr_t)u, 0);
  TG_ASSERT(n > 0, "uop_unpin of a node that is not pinned");
  if (n == 1) hmap_del(&pins, (uint64_t)(uintptr_t)u);
  else hmap_put(&pins, (uint64_t)(uintptr_t)u, n - 1);
}

void uop_gc_mark(UOp *root) {     // iterative: graphs can be millions deep
  if (!root || root->gc_mark) return;
  root->gc_mark = 1;
  vec_push(&mark_stack, root);
  while (mark_stack.len) {
    UOp *u = vec_pop(&mark_stack);
    for (uint32_t i = 0; i < u->nsrc; i++)
      if (!u->src[i]->gc_mark) { u->src[i]->gc_mark = 1; vec_push(&mark_stack, u->src[i]); }
  }
}

static void clear_topo_cache(void) {
  HMap *tc = &uop_pool_.topo_cache;
  for (int64_t i = 0; i < tc->cap; i++)
    if (tc->keys[i]) { UOpList *l = (UOpList *)(uintptr_t)tc->vals[i]; free(l->items); free(l); }
  hmap_clear(tc);
}

static size_t node_bytes(const UOp *u) {
  size_t n = sizeof(UOp) + u->nsrc * sizeof(UOp *);
  if (u->arg.kind == ARG_TUPLE || u->arg.kind == ARG_VAR) n += u->arg.n * 8;
  if (u->arg.kind == ARG_STR || u->arg.kind == ARG_VAR) n += strlen(u->arg.str) + 1;
  return n;
}

size_t uop_gc(void) {
  for (int64_t i = 0; i < pins.cap; i++) if (pins.keys[i]) uop_gc_mark((UOp *)(uintptr_t)pins.keys[i]);
  for (int64_t i = 0; i < root_srcs.len; i++) root_srcs.data[i].fn(root_srcs.data[i].ctx);
  clear_topo_cache();
  // sweep: free the unmarked, then re-insert the survivors into a clean table
  size_t freed = 0, cap = uop_pool_.cap;
  UOp **old = uop_pool_.table;
  VEC(UOp *) live = { 0 };
  for (size_t i = 0; i < cap; i++) {
    UOp *u = old[i];
    if (!u) continue;
    if (u->gc_mark) { u->gc_mark = 0; vec_push(&live, u); }
    else {
      if (finalizers[u->op]) finalizers[u->op](u);
      uop_pool_.live_bytes -= node_bytes(u);
      free(u);
      freed++;
    }
  }
  if (cap) memset(old, 0, cap * sizeof(UOp *));   // a collection before the first node: no table yet
  // shrink the table when it is mostly empty, so memory follows the live set
  while (uop_pool_.cap > (1u << 12) && (size_t)live.len * 8 < uop_pool_.cap) uop_pool_.cap /= 2;
  if (uop_pool_.cap != cap) {
    free(old);
    uop_pool_.table = calloc(uop_pool_.cap, sizeof(UOp *));
    TG_ASSERT(uop_pool_.table, "out of memory: intern table");
  }
  for (int64_t i = 0; i < live.len; i++) pool_insert_(live.data[i]);
  uop_pool_.count = (size_t)live.len;
  uop_pool_.count_after_gc = uop_pool_.count;
  uop_pool_.epoch++;
  vec_free(&live);
  return freed;
}

// Collect once the pool has grown by as much as survived the last collection (at least 16384 nodes),
// so collection cost stays proportional to allocation while garbage stays bounded.
size_t uop_gc_maybe(void) {
  size_t growth = uop_pool_.count_after_gc > 16384 ? uop_pool_.count_after_gc : 16384;
  return uop_pool_.count > uop_pool_.count_after_gc + growth ? uop_gc() : 0;
}

uint64_t uop_gc_epoch(void) { return uop_pool_.epoch; }
size_t uop_live_count(void) { return uop_pool_.count; }
size_t uop_live_bytes(void) { return uop_pool_.live_bytes; }
